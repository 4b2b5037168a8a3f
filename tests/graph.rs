//! A graph of kinds: households → villages → towns. The primary kind (villages) reads a finer
//! kind (households, declared with `members`) evaluated before it; towns read their villages'
//! households through their villages (`from: household`) and their villages' results. Checked
//! against an independent model over random data, exactly, and under every command that
//! evaluates the primary kind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in, json, stderr, stdout};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every aggregate is read back as points: `bonus` with `per: 1` gives the value itself,
/// rounded to the rule set's six decimals like the aggregate.
fn as_points(id: &str, input: &str) -> String {
    format!(
        "  - id: {id}\n    label: {id}\n    dimension: d\n    missing: zero\n    input:\n      aggregate: {input}\n    scoring: {{ method: bonus, per: 1, points: 1000000000 }}\n"
    )
}

fn write_rules(dir: &Path, line: f64) {
    let k = dir.join("rules/kinds");
    std::fs::create_dir_all(&k).unwrap();
    std::fs::write(
        dir.join("rules/ruleset.yaml"),
        format!(
            "name: graph\nversion: \"1\"\nperiod: \"2026\"\nprimary: village\nprecision: 6\nparameters:\n  line: {{ value: {line} }}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        k.join("household.yaml"),
        "kind: household\nlabel: 农户 (household)\ntable: households\nid_column: household_id\ncolumns:\n  income: { type: integer, min: 0 }\noutcomes:\n  - { id: poor, label: 未脱贫, all: [income < line] }\n  - { id: out, label: 已脱贫 }\n",
    )
    .unwrap();
    let village = format!(
        "kind: village\nlabel: 村 (village)\ntable: villages\nid_column: village_id\nmembers:\n  household: {{ column: village_id }}\ndimensions:\n  - {{ id: d, label: d, max: 4000000000 }}\nindicators:\n{}{}{}{}outcomes:\n  - {{ id: exit, label: 退出, all: [points.hh_share < 0.5] }}\n  - {{ id: stay, label: 不退出 }}\n",
        as_points("hh_sum", "{ from: household, fn: sum, of: income }"),
        as_points("hh_count", "{ from: household, fn: count }"),
        as_points("hh_share", "{ from: household, fn: share, where: [outcome == poor] }"),
        as_points("hh_mean", "{ from: household, fn: mean, of: income }"),
    );
    std::fs::write(k.join("village.yaml"), village).unwrap();
    let town = format!(
        "kind: town\nlabel: 镇 (town)\ntable: towns\nid_column: town_id\nlink: {{ column: town_id }}\ndimensions:\n  - {{ id: d, label: d, max: 6000000000 }}\nindicators:\n{}{}{}{}{}{}outcomes:\n  - {{ id: done, label: done }}\n",
        as_points("t_sum", "{ from: household, fn: sum, of: income }"),
        as_points("t_count", "{ from: household, fn: count }"),
        as_points("t_share", "{ from: household, fn: share, where: [outcome == poor] }"),
        as_points("t_mean", "{ from: household, fn: mean, of: income }"),
        as_points("v_mean", "{ fn: mean, of: points.hh_count }"),
        as_points("v_exits", "{ from: village, fn: count, where: [outcome == exit] }"),
    );
    std::fs::write(k.join("town.yaml"), town).unwrap();
}

/// Towns, villages (each in a town) and households (each in a village, or in none).
#[derive(Debug, Clone)]
struct Data {
    towns: usize,
    villages: Vec<usize>,
    households: Vec<(Option<usize>, u32)>,
}

fn write_data(dir: &Path, d: &Data) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut t = String::from("town_id\n");
    for z in 0..d.towns {
        t.push_str(&format!("Z{z:02}\n"));
    }
    let mut v = String::from("village_id,town_id\n");
    for (i, z) in d.villages.iter().enumerate() {
        v.push_str(&format!("V{i:02},Z{z:02}\n"));
    }
    let mut h = String::from("household_id,village_id,income\n");
    for (i, (vil, inc)) in d.households.iter().enumerate() {
        let vid = vil.map(|x| format!("V{x:02}")).unwrap_or_default();
        h.push_str(&format!("H{i:03},{vid},{inc}\n"));
    }
    std::fs::write(data.join("towns.csv"), t).unwrap();
    std::fs::write(data.join("villages.csv"), v).unwrap();
    std::fs::write(data.join("households.csv"), h).unwrap();
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// sum, count, share of poor, mean over a list of incomes (0 where there is none to take).
fn model(incomes: &[u32], line: f64) -> [f64; 4] {
    let n = incomes.len();
    let sum: f64 = incomes.iter().map(|&x| f64::from(x)).sum();
    let poor = incomes.iter().filter(|&&x| f64::from(x) < line).count();
    let share = if n == 0 { 0.0 } else { poor as f64 / n as f64 };
    let mean = if n == 0 { 0.0 } else { sum / n as f64 };
    [sum, n as f64, round6(share), round6(mean)]
}

/// What every village and town should read, computed from the data alone.
fn expected(d: &Data, line: f64) -> (BTreeMap<String, [f64; 4]>, BTreeMap<String, [f64; 6]>) {
    let mut villages = BTreeMap::new();
    let mut per_village: Vec<Vec<u32>> = vec![Vec::new(); d.villages.len()];
    for (vil, inc) in &d.households {
        if let Some(v) = vil {
            per_village[*v].push(*inc);
        }
    }
    for (i, hs) in per_village.iter().enumerate() {
        villages.insert(format!("V{i:02}"), model(hs, line));
    }
    let mut towns = BTreeMap::new();
    for z in 0..d.towns {
        let mine: Vec<usize> = (0..d.villages.len())
            .filter(|&i| d.villages[i] == z)
            .collect();
        let hs: Vec<u32> = mine.iter().flat_map(|&i| per_village[i].clone()).collect();
        let [s, c, sh, m] = model(&hs, line);
        let counts: Vec<f64> = mine.iter().map(|&i| per_village[i].len() as f64).collect();
        let v_mean = if counts.is_empty() {
            0.0
        } else {
            round6(counts.iter().sum::<f64>() / counts.len() as f64)
        };
        let exits = mine
            .iter()
            .filter(|&&i| villages[&format!("V{i:02}")][2] < 0.5)
            .count() as f64;
        towns.insert(format!("Z{z:02}"), [s, c, sh, m, v_mean, exits]);
    }
    (villages, towns)
}

fn run_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["run", "--format", "json"];
    args.extend_from_slice(extra);
    let out = bangfu_in(dir, &args);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    json(&out)
}

fn check_against_model(j: &serde_json::Value, d: &Data, line: f64) {
    let (villages, towns) = expected(d, line);
    let got_v = j["villages"].as_array().unwrap();
    assert_eq!(got_v.len(), villages.len());
    for v in got_v {
        let want = villages[v["id"].as_str().unwrap()];
        let p = &v["indicators"];
        let got = [
            p["hh_sum"].as_f64().unwrap(),
            p["hh_count"].as_f64().unwrap(),
            p["hh_share"].as_f64().unwrap(),
            p["hh_mean"].as_f64().unwrap(),
        ];
        assert_eq!(got, want, "village {}", v["id"]);
        let exit = want[2] < 0.5;
        assert_eq!(v["outcome"], if exit { "exit" } else { "stay" }, "{v}");
    }
    let got_t = j["units"]["town"].as_array().unwrap();
    assert_eq!(got_t.len(), towns.len());
    for t in got_t {
        let want = towns[t["id"].as_str().unwrap()];
        let i = &t["inputs"];
        let got = [
            i["t_sum"].as_f64().unwrap(),
            i["t_count"].as_f64().unwrap(),
            i["t_share"].as_f64().unwrap(),
            i["t_mean"].as_f64().unwrap(),
            i["v_mean"].as_f64().unwrap(),
            i["v_exits"].as_f64().unwrap(),
        ];
        assert_eq!(got, want, "town {}", t["id"]);
    }
    // The households are reported as a unit kind, evaluated before the villages.
    let hs = j["units"]["household"].as_array().unwrap();
    assert_eq!(hs.len(), d.households.len());
    for (h, (_, inc)) in hs.iter().zip(&d.households) {
        let poor = f64::from(*inc) < line;
        assert_eq!(h["outcome"], if poor { "poor" } else { "out" }, "{h}");
    }
}

fn data_strategy() -> impl Strategy<Value = Data> {
    (1usize..4, 1usize..7).prop_flat_map(|(towns, nv)| {
        (
            Just(towns),
            proptest::collection::vec(0..towns, nv),
            proptest::collection::vec((proptest::option::weighted(0.9, 0..nv), 0u32..9000), 1..50),
        )
            .prop_map(|(towns, villages, households)| Data {
                towns,
                villages,
                households,
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Sums, counts, shares and means over households roll up to villages and, through the
    /// villages, to towns exactly as a model of the data says; the villages' own results roll
    /// up to the towns too.
    #[test]
    fn chain_roll_ups_match_a_model(d in data_strategy(), line in 1000u32..8000) {
        let tmp = tempfile::tempdir().unwrap();
        write_rules(tmp.path(), f64::from(line));
        write_data(tmp.path(), &d);
        let j = run_json(tmp.path(), &["--rules", "rules", "--data", "data"]);
        check_against_model(&j, &d, f64::from(line));
    }
}

fn fixed() -> Data {
    Data {
        towns: 2,
        villages: vec![0, 0, 1],
        households: vec![
            (Some(0), 3000),
            (Some(0), 5000),
            (Some(0), 6000),
            (Some(1), 2500),
            (Some(1), 3500),
            (Some(2), 7000),
            (None, 100),
        ],
    }
}

/// A scenario that raises a household parameter changes the villages that read the households,
/// in `run --scenario` and in `compare`; `explain` and `test` see the same numbers.
#[test]
fn a_household_parameter_reaches_the_villages_under_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_rules(dir, 4000.0);
    let d = fixed();
    write_data(dir, &d);
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    std::fs::write(
        dir.join("scenarios/line_5500.yaml"),
        "name: line_5500\nlabel: 标准 5500 (a line of 5500)\nparameters:\n  line: 5500\n",
    )
    .unwrap();
    let base = run_json(dir, &["--rules", "rules", "--data", "data"]);
    check_against_model(&base, &d, 4000.0);
    let sc = run_json(
        dir,
        &[
            "--rules",
            "rules",
            "--data",
            "data",
            "--scenarios",
            "scenarios",
            "--scenario",
            "line_5500",
        ],
    );
    check_against_model(&sc, &d, 5500.0);
    // V00: 1 poor of 3 at 4000, 2 of 3 at 5500: it exits, then stays.
    assert_eq!(base["villages"][0]["outcome"], "exit");
    assert_eq!(sc["villages"][0]["outcome"], "stay");

    let out = bangfu_in(
        dir,
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
            "line_5500",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    let changes = j["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["entity"] == "V00" && c["to"]["outcome"] == "stay"),
        "compare shows V00 leaving `exit`: {j}"
    );

    let out = bangfu_in(
        dir,
        &["explain", "V00", "--rules", "rules", "--data", "data"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // 3000 + 5000 + 6000 over three households.
    assert!(stdout(&out).contains("14000"), "{}", stdout(&out));
    let out = bangfu_in(
        dir,
        &["explain", "Z00", "--rules", "rules", "--data", "data"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("over 5 households (H000, H001, H002, H003, H004)"),
        "{}",
        stdout(&out)
    );

    // A test case: one village with two households, one of them poor.
    std::fs::create_dir_all(dir.join("rules/tests")).unwrap();
    std::fs::write(
        dir.join("rules/tests/villages.yaml"),
        "base: { village_id: V1, town_id: Z1 }\ntables:\n  households:\n    - { household_id: H1, village_id: V1, income: 1000 }\n    - { household_id: H2, village_id: V1, income: 5000 }\n  towns:\n    - { town_id: Z1 }\ncases:\n  - name: half poor\n    expect: { outcome: stay, points: { hh_share: 0.5, hh_sum: 6000, hh_mean: 3000 } }\n  - name: one household, not poor\n    tables:\n      households:\n        - { household_id: H2, village_id: V1, income: 5000 }\n    expect: { outcome: exit, points: { hh_share: 0, hh_count: 1 } }\n",
    )
    .unwrap();
    let out = bangfu_in(dir, &["test", "--rules", "rules"]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("2 passed, 0 failed"),
        "{}",
        stdout(&out)
    );
}

/// Sensitivity draws over a household parameter move the villages that read the households.
#[test]
fn sensitivity_draws_reach_the_villages_through_the_households() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_rules(dir, 4000.0);
    let rs = dir.join("rules/ruleset.yaml");
    let text = std::fs::read_to_string(&rs).unwrap();
    std::fs::write(
        &rs,
        format!("{text}uncertainty:\n  - {{ parameter: line, min: 3000, max: 6500 }}\n"),
    )
    .unwrap();
    write_data(dir, &fixed());
    let out = bangfu_in(
        dir,
        &[
            "sensitivity",
            "--rules",
            "rules",
            "--data",
            "data",
            "--draws",
            "60",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let j = json(&out);
    // V00 (3000, 5000, 6000) exits up to a line of 5000 (one poor household in three) and
    // stays above it: about 57% of the draws from 3000 to 6500. V01 (2500, 3500) never has
    // fewer than half poor, V02 (7000) never a poor one: neither is borderline.
    assert_eq!(j["borderline"], serde_json::json!(["V00"]), "{j}");
}

/// A town with no `link` reaches its households through its villages: they are counted as its
/// households, and an aggregate with no `from` reads them.
#[test]
fn a_unit_without_a_link_reaches_the_primary_kind_through_its_members() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let k = dir.join("rules/kinds");
    std::fs::create_dir_all(&k).unwrap();
    std::fs::write(
        dir.join("rules/ruleset.yaml"),
        "name: chain\nversion: \"1\"\nperiod: \"2026\"\nprimary: household\n",
    )
    .unwrap();
    std::fs::write(
        k.join("household.yaml"),
        "kind: household\nlabel: 农户\ntable: households\nid_column: household_id\ncolumns:\n  poor: { type: bool }\noutcomes:\n  - { id: poor, label: 未脱贫, all: [poor] }\n  - { id: out, label: 已脱贫 }\n",
    )
    .unwrap();
    std::fs::write(
        k.join("village.yaml"),
        "kind: village\nlabel: 村\ntable: villages\nid_column: village_id\nlink: { column: village_id }\noutcomes:\n  - { id: done, label: done }\n",
    )
    .unwrap();
    std::fs::write(
        k.join("town.yaml"),
        "kind: town\nlabel: 镇\ntable: towns\nid_column: town_id\nmembers:\n  village: { column: town_id }\ndimensions:\n  - { id: d, label: d, max: 100 }\nindicators:\n  - id: poor\n    label: poor\n    dimension: d\n    input:\n      aggregate: { fn: count, where: [outcome == poor] }\n    scoring: { method: bonus, per: 1, points: 100 }\noutcomes:\n  - { id: done, label: done }\n",
    )
    .unwrap();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("towns.csv"), "town_id\nZ1\nZ2\n").unwrap();
    std::fs::write(
        data.join("villages.csv"),
        "village_id,town_id\nV1,Z1\nV2,Z1\nV3,Z2\n",
    )
    .unwrap();
    std::fs::write(
        data.join("households.csv"),
        "household_id,village_id,poor\nH1,V1,true\nH2,V2,true\nH3,V2,false\nH4,V3,false\n",
    )
    .unwrap();
    let j = run_json(dir, &["--rules", "rules", "--data", "data"]);
    let towns = j["units"]["town"].as_array().unwrap();
    assert_eq!(towns[0]["household_count"], 3);
    assert_eq!(towns[0]["inputs"]["poor"], 2.0);
    assert_eq!(towns[1]["household_count"], 1);
    assert_eq!(towns[1]["inputs"]["poor"], 0.0);
    // A village naming a town that does not exist is a located data error.
    std::fs::write(
        data.join("villages.csv"),
        "village_id,town_id\nV1,Z1\nV2,Z9\nV3,Z2\n",
    )
    .unwrap();
    let out = bangfu_in(dir, &["run", "--rules", "rules", "--data", "data"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("villages.csv")
            && err.contains("row 3")
            && err.contains("`town_id`")
            && err.contains("no such 镇"),
        "{err}"
    );
}
