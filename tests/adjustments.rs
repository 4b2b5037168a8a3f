//! Bonus and deduction groups, zeroing, floor and ceiling: bangfu's totals against an
//! independent model of the documented order (dimensions → total before adjustments → bonus →
//! deductions → clamp), on random caps and random data; and the worked examples, run as a user
//! would, from inside their folders.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in, json, root, stderr, stdout};

use proptest::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// Round half away from zero at 2 decimals on the decimal value, as the engine documents.
fn round2(x: f64) -> f64 {
    let s = format!("{:.9}", x.abs());
    let v: f64 = s.parse().unwrap();
    let r = (v * 100.0 + 0.5 + 1e-9).floor() / 100.0;
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// One entity's inputs.
#[derive(Debug, Clone)]
struct Row {
    a: u32,
    b: f64,
    honours: u32,
    praise: bool,
    incidents: u32,
    complaints: u32,
    faked: bool,
    discipline: bool,
}

/// The rule set's numbers that vary between cases.
#[derive(Debug, Clone)]
struct Caps {
    bonus: Option<u32>,
    deduct: Option<u32>,
    floor: u32,
    ceiling: Option<u32>,
}

fn rules(dir: &Path, caps: &Caps) {
    std::fs::create_dir_all(dir.join("rules/kinds")).unwrap();
    std::fs::write(
        dir.join("rules/ruleset.yaml"),
        "name: t\nversion: \"1\"\nprimary: sheet\n",
    )
    .unwrap();
    let cap = |c: Option<u32>| c.map(|c| format!("    cap: {c}\n")).unwrap_or_default();
    let mut total = format!("total:\n  floor: {}\n", caps.floor);
    if let Some(c) = caps.ceiling {
        writeln!(total, "  ceiling: {c}").unwrap();
    }
    let top = caps.ceiling.unwrap_or(1000);
    let kind = format!(
        r#"kind: sheet
table: sheets
id_column: id
columns:
  faked: {{ type: bool }}
  discipline: {{ type: bool }}
dimensions:
  - {{ id: work, label: 工作, max: 60 }}
  - {{ id: result, label: 成效, max: 40 }}
indicators:
  - id: a
    label: A
    dimension: work
    input: a
    type: integer
    min: 0
    scoring: {{ method: linear, from: 0, to: 7, points: 60 }}
  - id: b
    label: B
    dimension: result
    input: b
    min: 0
    scoring: {{ method: linear, from: 0, to: 3, points: 40 }}
adjustments:
  - id: bonus
    label: 加分
    effect: add
{bcap}    items:
      - id: honours
        label: 表彰
        input: honours
        type: integer
        min: 0
        scoring: {{ method: bonus, per: 1.5, points: 6 }}
      - id: praise
        label: 推广
        input: praise
        scoring: {{ method: boolean, points: 2.25 }}
  - id: penalty
    label: 扣分
    effect: deduct
{dcap}    items:
      - id: incidents
        label: 事故
        input: incidents
        type: integer
        min: 0
        scoring: {{ method: bonus, per: 7, points: 35 }}
      - id: complaints
        label: 投诉
        input: complaints
        type: integer
        min: 0
        scoring: {{ method: bonus, per: 0.75, points: 9 }}
{total}gates:
  - id: faked_work
    label: 作假
    when: faked
    message: 工作项不得分
    effect: zero
    zero: [a]
  - id: no_bonus
    label: 违纪
    when: discipline
    message: 不得加分
    effect: zero
    zero: [bonus]
grades:
  - {{ id: top, label: 高, range: "[50, {top}]" }}
  - {{ id: low, label: 低, range: "[{floor}, 50)" }}
outcomes:
  - {{ id: ok, label: 合格, all: [total >= 50] }}
  - {{ id: no, label: 不合格 }}
"#,
        bcap = cap(caps.bonus),
        dcap = cap(caps.deduct),
        floor = caps.floor,
    );
    std::fs::write(dir.join("rules/kinds/sheet.yaml"), kind).unwrap();
}

fn data(dir: &Path, rows: &[Row]) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let mut csv = String::from("id,a,b,honours,praise,incidents,complaints,faked,discipline\n");
    for (i, r) in rows.iter().enumerate() {
        writeln!(
            csv,
            "S{i:03},{},{},{},{},{},{},{},{}",
            r.a, r.b, r.honours, r.praise, r.incidents, r.complaints, r.faked, r.discipline
        )
        .unwrap();
    }
    std::fs::write(dir.join("data/sheets.csv"), csv).unwrap();
}

/// The documented order, written independently of the engine.
fn model(r: &Row, caps: &Caps) -> (f64, f64, f64, f64) {
    let a = if r.faked {
        0.0
    } else {
        round2((f64::from(r.a) / 7.0).min(1.0) * 60.0)
    };
    let b = round2((r.b / 3.0).min(1.0) * 40.0);
    let before = round2(round2(a) + round2(b));
    let mut bonus =
        round2(round2((1.5 * f64::from(r.honours)).min(6.0)) + if r.praise { 2.25 } else { 0.0 });
    if r.discipline {
        bonus = 0.0;
    }
    let bonus = bonus.min(f64::from(caps.bonus.unwrap_or(u32::MAX)));
    let penalty = round2(
        round2((7.0 * f64::from(r.incidents)).min(35.0))
            + round2((0.75 * f64::from(r.complaints)).min(9.0)),
    )
    .min(f64::from(caps.deduct.unwrap_or(u32::MAX)));
    let mut total = round2(before + bonus - penalty).max(f64::from(caps.floor));
    if let Some(c) = caps.ceiling {
        total = total.min(f64::from(c));
    }
    (before, bonus, penalty, total)
}

fn row() -> impl Strategy<Value = Row> {
    (
        0u32..9,
        (0u32..400).prop_map(|x| f64::from(x) / 100.0),
        0u32..6,
        any::<bool>(),
        0u32..7,
        0u32..15,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(a, b, honours, praise, incidents, complaints, faked, discipline)| Row {
                a,
                b,
                honours,
                praise,
                incidents,
                complaints,
                faked,
                discipline,
            },
        )
}

fn caps() -> impl Strategy<Value = Caps> {
    (
        prop::option::of(1u32..8),
        prop::option::of(1u32..44),
        0u32..3,
        prop::option::of(100u32..109),
    )
        .prop_map(|(bonus, deduct, floor, ceiling)| Caps {
            bonus,
            deduct,
            floor,
            ceiling,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Every entity's total before adjustments, group points and total equal the model's, exactly.
    #[test]
    fn totals_follow_the_documented_order(caps in caps(), rows in prop::collection::vec(row(), 1..40)) {
        let tmp = tempfile::tempdir().unwrap();
        rules(tmp.path(), &caps);
        data(tmp.path(), &rows);
        let out = bangfu_in(tmp.path(), &["run", "--rules", "rules", "--data", "data", "--format", "json"]);
        let j = json(&out);
        let list = j["sheets"].as_array().unwrap();
        prop_assert_eq!(list.len(), rows.len());
        for (r, e) in rows.iter().zip(list) {
            let (before, bonus, penalty, total) = model(r, &caps);
            prop_assert_eq!(e["total_before_adjustments"].as_f64().unwrap(), before, "{:?} {}", r, e);
            prop_assert_eq!(e["adjustments"]["bonus"].as_f64().unwrap(), bonus, "{:?} {}", r, e);
            prop_assert_eq!(e["adjustments"]["penalty"].as_f64().unwrap(), penalty, "{:?} {}", r, e);
            prop_assert_eq!(e["total"].as_f64().unwrap(), total, "{:?} {}", r, e);
            let fired: Vec<&str> = e["gates"].as_array().unwrap().iter().filter_map(|g| g.as_str()).collect();
            prop_assert_eq!(fired.contains(&"faked_work"), r.faked);
            prop_assert_eq!(fired.contains(&"no_bonus"), r.discipline);
        }
    }
}

/// Each worked example checks, passes its own test cases with full coverage, and runs, from
/// inside its folder with no flags, as its README says.
#[test]
fn every_example_checks_tests_and_runs_inside_its_folder() {
    let examples = root().join("examples");
    let mut seen = 0;
    for e in std::fs::read_dir(&examples).unwrap() {
        let dir = e.unwrap().path();
        if !dir.join("rules/ruleset.yaml").exists() {
            continue;
        }
        seen += 1;
        for cmd in [&["check"][..], &["test"], &["run"]] {
            let out = bangfu_in(&dir, cmd);
            assert!(
                out.status.success(),
                "{} `{}` failed:\n{}\n{}",
                dir.display(),
                cmd.join(" "),
                stdout(&out),
                stderr(&out)
            );
        }
        let out = bangfu_in(&dir, &["test", "--format", "json"]);
        let j = json(&out);
        let items = j["coverage"]["items"].as_array().expect("coverage items");
        assert!(!items.is_empty(), "{}: no coverage reported", dir.display());
        for item in items {
            assert_eq!(
                item["covered"],
                item["total"],
                "{}: not fully covered: {item}",
                dir.display()
            );
        }
    }
    assert!(
        seen >= 1,
        "no example rule set found under {}",
        examples.display()
    );
}

/// A fired zeroing rule is named in the reason, whatever the outcome: 北塘村 passes with its
/// economy zeroed for faked records, 石桥村 is commended with its bonus forfeited.
#[test]
fn the_reason_names_a_zeroing_rule_that_fired() {
    let dir = root().join("examples/county-sheet");
    let tmp = tempfile::tempdir().unwrap();
    let out = bangfu_in(&dir, &["run", "--out", tmp.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut rd = csv::Reader::from_path(tmp.path().join("villages.csv")).unwrap();
    let head = rd.headers().unwrap().clone();
    let at = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (id, reason) = (at("id"), at("reason"));
    let reasons: std::collections::HashMap<String, String> = rd
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[id].to_string(), r[reason].to_string())
        })
        .collect();
    assert_eq!(reasons["C04"], "弄虚作假: scored 0");
    assert_eq!(reasons["C05"], "违纪不得加分: scored 0");
    assert_eq!(reasons["C01"], "");
    assert_eq!(reasons["C06"], "total 11.50 < 60");
}

/// A town's aggregate over hundreds of households lists the first twelve and counts the rest;
/// the JSON keeps every id.
#[test]
fn explain_counts_the_entities_an_aggregate_read_beyond_twelve() {
    let dir = root().join("examples/household-check");
    let out = bangfu_in(&dir, &["explain", "Z02"]);
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("poor_share:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("over 58 households"), "{line}");
    assert_eq!(line.matches(", H0").count(), 11, "{line}");
    assert!(line.contains("… and 46 more"), "{line}");
    let j = json(&bangfu_in(&dir, &["explain", "Z02", "--format", "json"]));
    let all = j["unit"]["aggregates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["indicator"] == "poor_share")
        .unwrap()["covered"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(all, 58);
}
