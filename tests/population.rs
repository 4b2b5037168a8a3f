//! Population rules (rank, top N, quotas, fund) and cascades written on the primary kind: they
//! work as on a unit kind, before any unit reads the primary results.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in, json, stderr, stdout};

use proptest::prelude::*;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// The scoring and decisions shared by the primary kind and its twin unit kind.
const BODY: &str = r#"dimensions:
  - { id: work, label: 工作, max: 100 }
indicators:
  - id: score
    label: 得分
    dimension: work
    input: score
    min: 0
    max: 100
    scoring: { method: linear, from: 0, to: 100, points: 100 }
grades:
  - { id: top, label: 优秀 (top), range: "[90, 100]" }
  - { id: mid, label: 良好 (mid), range: "[60, 90)" }
  - { id: low, label: 一般 (low), range: "[0, 60)" }
outcomes:
  - id: praised
    label: 表扬 (praised)
    all: [grade == top]
  - { id: none, label: 无 (none), passing: true }
rank: [total desc]
"#;

/// A rule set whose primary kind `office` holds `population`, with a unit kind `twin` over the
/// same table holding the same rules, and a `region` that counts the top offices.
fn write_rules(dir: &Path, population: &str) {
    std::fs::create_dir_all(dir.join("rules/kinds")).unwrap();
    std::fs::write(
        dir.join("rules/ruleset.yaml"),
        "name: t\nversion: \"1\"\nprimary: office\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("rules/kinds/office.yaml"),
        format!("kind: office\ntable: offices\nid_column: id\n{BODY}{population}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("rules/kinds/twin.yaml"),
        format!(
            "kind: twin\ntable: offices\nid_column: id\nlink: {{ table: offices, unit_column: id, primary_column: id }}\n{BODY}{population}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("rules/kinds/region.yaml"),
        r#"kind: region
table: regions
id_column: region
link: { column: region }
dimensions:
  - { id: tops, label: 优秀数, max: 100 }
indicators:
  - id: top_count
    label: 优秀数
    dimension: tops
    input:
      aggregate: { fn: count, where: [grade == top] }
    scoring: { method: bonus, per: 1, points: 100 }
outcomes:
  - { id: done, label: 完成 }
"#,
    )
    .unwrap();
}

fn write_data(dir: &Path, scores: &[u32]) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let mut csv = String::from("id,region,score\n");
    for (r, s) in scores.iter().enumerate() {
        writeln!(csv, "O{r:03},R1,{s}").unwrap();
    }
    std::fs::write(dir.join("data/offices.csv"), csv).unwrap();
}

fn run_json(dir: &Path) -> Value {
    json(&bangfu_in(
        dir,
        &[
            "run", "--rules", "rules", "--data", "data", "--format", "json",
        ],
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// A quota on the primary kind keeps no more than its limit at the grade, ranks and notes
    /// every entity as the same quota on a unit kind over the same table does, and a unit
    /// aggregating the primary entities counts the grades after the quota.
    #[test]
    fn a_quota_on_the_primary_is_the_same_as_on_a_unit_kind(
        scores in prop::collection::vec(50u32..=100, 1..25),
        limit in prop_oneof![
            (1usize..6).prop_map(|c| format!("max_count: {c}")),
            (1u32..=10).prop_map(|s| format!("max_share: {}", f64::from(s) / 10.0)),
        ],
    ) {
        let dir = tempfile::tempdir().unwrap();
        write_rules(dir.path(), &format!("quotas:\n  - {{ grade: top, {limit} }}\n"));
        write_data(dir.path(), &scores);
        let out = run_json(dir.path());
        let primary = out["offices"].as_array().unwrap();
        let twin = out["units"]["twin"].as_array().unwrap();
        let n = scores.len();
        let cap = match limit.split_once(": ").unwrap() {
            ("max_count", c) => c.parse::<usize>().unwrap(),
            (_, s) => (s.parse::<f64>().unwrap() * n as f64 + 1e-9).floor() as usize,
        };
        let eligible = scores.iter().filter(|&&s| s >= 90).count();
        let tops = primary.iter().filter(|e| e["grade"] == "top").count();
        prop_assert_eq!(tops, eligible.min(cap));
        prop_assert_eq!(primary.len(), twin.len());
        for (p, t) in primary.iter().zip(twin) {
            prop_assert_eq!(&p["id"], &t["id"]);
            for key in ["grade", "outcome", "rank", "notes", "award", "total"] {
                prop_assert_eq!(&p[key], &t[key], "{} of {}", key, p["id"]);
            }
        }
        // The ranks are 1..n, best total first.
        let mut ranks: Vec<u64> = primary.iter().map(|e| e["rank"].as_u64().unwrap()).collect();
        ranks.sort_unstable();
        prop_assert_eq!(ranks, (1..=n as u64).collect::<Vec<_>>());
        let region = &out["units"]["region"][0];
        prop_assert_eq!(region["inputs"]["top_count"].as_f64().unwrap(), tops as f64);
    }
}

#[test]
fn top_n_and_a_fund_on_the_primary_kind_reach_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write_rules(
        dir.path(),
        "top: { count: 2, outcome: praised }\nfund: { budget: 1000, outcome: praised, split: equal }\n",
    );
    // O002 and O003 tie on 95: the id breaks the tie; O004 scores 99 but is ranked first.
    write_data(dir.path(), &[70, 92, 95, 95, 99]);
    let out = run_json(dir.path());
    let offices = out["offices"].as_array().unwrap();
    let get = |id: &str| offices.iter().find(|e| e["id"] == id).unwrap();
    assert_eq!(get("O004")["rank"], 1);
    assert_eq!(get("O002")["rank"], 2);
    assert_eq!(get("O003")["rank"], 3);
    assert_eq!(get("O000")["rank"], 5);
    assert_eq!(get("O004")["outcome"], "praised");
    assert_eq!(get("O002")["outcome"], "praised");
    // O003 is excellent but third: top N withdraws the outcome.
    assert_eq!(get("O003")["grade"], "top");
    assert_eq!(get("O003")["outcome"], "none");
    assert_eq!(
        get("O003")["notes"][0],
        "ranked 3 of 5: only the top 2 receive `praised`; falls to `none`"
    );
    assert_eq!(get("O004")["award"], 500);
    assert_eq!(get("O003")["award"], 0);
    assert_eq!(out["summary"]["funds"]["office"]["paid"], 1000);
    // The region counts grades, which top N does not change: four offices are top.
    assert_eq!(out["units"]["region"][0]["inputs"]["top_count"], 4.0);

    let csv = stdout(&bangfu_in(
        dir.path(),
        &[
            "run", "--rules", "rules", "--data", "data", "--format", "csv",
        ],
    ));
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(head[head.len() - 3..], ["rank", "award", "notes"]);
    let o003 = lines.find(|l| l.starts_with("O003,")).unwrap();
    assert!(
        o003.ends_with(",3,0,ranked 3 of 5: only the top 2 receive `praised`; falls to `none`"),
        "{o003}"
    );

    let table = stdout(&bangfu_in(
        dir.path(),
        &["run", "--rules", "rules", "--data", "data"],
    ));
    assert!(table.contains("rank"), "{table}");
    assert!(
        table.contains("only the top 2 receive `praised`"),
        "{table}"
    );

    let explain = stdout(&bangfu_in(
        dir.path(),
        &[
            "explain", "O003", "--kind", "office", "--rules", "rules", "--data", "data",
        ],
    ));
    assert!(
        explain.contains("排名 (rank and population rules)"),
        "{explain}"
    );
    assert!(
        explain.contains("rank 3 by total desc, then id asc"),
        "{explain}"
    );
    assert!(
        explain.contains("note: ranked 3 of 5: only the top 2 receive `praised`"),
        "{explain}"
    );

    // The twin's results would go to the same `offices.csv` as the primary's.
    std::fs::remove_file(dir.path().join("rules/kinds/twin.yaml")).unwrap();
    let out_dir = dir.path().join("out");
    let o = bangfu_in(
        dir.path(),
        &[
            "run", "--rules", "rules", "--data", "data", "--out", "out", "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        report.contains("<td class=\"id\">O003</td>"),
        "the report ranks the offices"
    );
}

#[test]
fn a_primary_without_population_rules_writes_no_rank() {
    let dir = tempfile::tempdir().unwrap();
    write_rules(dir.path(), "");
    // Without `rank`, neither kind declares a population rule.
    for f in ["office", "twin"] {
        let p = dir.path().join(format!("rules/kinds/{f}.yaml"));
        let s = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, s.replace("rank: [total desc]\n", "")).unwrap();
    }
    write_data(dir.path(), &[70, 95]);
    let out = run_json(dir.path());
    let o = &out["offices"][0];
    assert!(o.get("rank").is_none() && o.get("notes").is_none(), "{o}");
    assert!(out["summary"]["funds"].get("office").is_none());
}

#[test]
fn scenarios_and_test_cases_reach_the_primary_quota() {
    let dir = tempfile::tempdir().unwrap();
    write_rules(dir.path(), "quotas:\n  - { grade: top, max_count: 1 }\n");
    write_data(dir.path(), &[91, 95, 99]);
    std::fs::create_dir_all(dir.path().join("scenarios")).unwrap();
    std::fs::write(
        dir.path().join("scenarios/two_tops.yaml"),
        "name: two_tops\nlabel: two may be top\nset:\n  office.quotas[0].max_count: 2\n",
    )
    .unwrap();
    let o = bangfu_in(
        dir.path(),
        &[
            "compare",
            "--rules",
            "rules",
            "--data",
            "data",
            "--scenarios",
            "scenarios",
            "--format",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = json(&o);
    let changes: Vec<&Value> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "office")
        .collect();
    assert_eq!(changes.len(), 1, "{doc}");
    assert_eq!(changes[0]["entity"], "O001");
    assert_eq!(changes[0]["from"]["grade"], "mid");
    assert_eq!(changes[0]["to"]["grade"], "top");

    std::fs::create_dir_all(dir.path().join("rules/tests")).unwrap();
    std::fs::write(
        dir.path().join("rules/tests/offices.yaml"),
        r#"base: { id: T01, region: R1, score: 95 }
cases:
  - name: the second best falls to mid under the quota
    entities: [{ id: A, score: 99 }, { id: B, score: 95 }]
    expect:
      entities:
        A: { grade: top, rank: 1 }
        B: { grade: mid, rank: 2 }
  - name: a wrong rank fails
    entities: [{ id: A, score: 99 }, { id: B, score: 95 }]
    expect: { entities: { B: { rank: 1 } } }
"#,
    )
    .unwrap();
    let o = bangfu_in(
        dir.path(),
        &["test", "--rules", "rules", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "one case fails");
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["passed"], 1, "{doc}");
    assert_eq!(doc["failed"], 1, "{doc}");
}

/// Staff, each naming their office: a cascade from the primary kind carries the office's grade.
fn write_cascade(dir: &Path) {
    write_rules(dir, "cascade:\n  to: staff\n  via: office_id\n  rules:\n    - { grades: [top], at_most: { grade: star, count: 1 } }\n    - { grades: [low], set: out }\n");
    std::fs::write(
        dir.join("rules/kinds/staff.yaml"),
        r#"kind: staff
table: staff
id_column: staff_id
dimensions:
  - { id: days, label: 在岗, max: 10 }
indicators:
  - id: days
    label: 在岗
    dimension: days
    input: days
    min: 0
    max: 10
    scoring: { method: linear, from: 0, to: 10, points: 10 }
grades:
  - { id: star, label: 优秀 (star), range: "[8, 10]" }
  - { id: ok, label: 合格 (ok), range: "[4, 8)" }
  - { id: out, label: 不合格 (out), range: "[0, 4)" }
outcomes:
  - id: commended
    label: 表扬
    all: [grade == star]
  - { id: none, label: 无, passing: true }
rank: [total desc]
"#,
    )
    .unwrap();
    write_data(dir, &[95, 50]);
    std::fs::write(
        dir.join("data/staff.csv"),
        "staff_id,office_id,days\nS1,O000,10\nS2,O000,10\nS3,O001,10\nS4,O001,2\n",
    )
    .unwrap();
}

#[test]
fn a_cascade_from_the_primary_kind_carries_its_grades() {
    let dir = tempfile::tempdir().unwrap();
    write_cascade(dir.path());
    let out = run_json(dir.path());
    let staff = out["units"]["staff"].as_array().unwrap();
    let get = |id: &str| staff.iter().find(|e| e["id"] == id).unwrap();
    // O000 is top: only one of its staff keeps `star`, the first by rank (then id).
    assert_eq!(get("S1")["grade"], "star");
    assert_eq!(get("S1")["outcome"], "commended");
    assert_eq!(get("S2")["grade"], "ok");
    assert_eq!(get("S2")["outcome"], "none");
    assert_eq!(get("S2")["office_id"], "O000");
    assert_eq!(
        get("S2")["notes"][0],
        "office `O000` is 优秀: grade lowered from 优秀 to 合格"
    );
    // O001 is low: every one of its staff is set to `out`.
    assert_eq!(get("S3")["grade"], "out");
    assert_eq!(get("S4")["grade"], "out");
}

#[test]
fn a_staff_row_naming_an_unknown_office_is_a_data_error() {
    let dir = tempfile::tempdir().unwrap();
    write_cascade(dir.path());
    std::fs::write(
        dir.path().join("data/staff.csv"),
        "staff_id,office_id,days\nS1,O000,10\nS2,O404,10\n",
    )
    .unwrap();
    let o = bangfu_in(dir.path(), &["run", "--rules", "rules", "--data", "data"]);
    assert_eq!(o.status.code(), Some(4));
    let err = stderr(&o);
    assert!(
        err.contains("staff.csv, row 3, column `office_id`"),
        "{err}"
    );
    assert!(err.contains("no such office (found `O404`)"), "{err}");
}
