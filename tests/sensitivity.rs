//! `bangfu sensitivity`: reproducible at any thread count, probabilities in range, and sure
//! decisions stay sure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, json};

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn same_seed_same_bytes_at_any_thread_count() {
    let a = bangfu(&[
        "sensitivity",
        "--draws",
        "120",
        "--seed",
        "9",
        "--format",
        "json",
        "--threads",
        "1",
    ]);
    let b = bangfu(&[
        "sensitivity",
        "--draws",
        "120",
        "--seed",
        "9",
        "--format",
        "json",
    ]);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(a.stdout, b.stdout);
    let c = bangfu(&[
        "sensitivity",
        "--draws",
        "120",
        "--seed",
        "10",
        "--format",
        "json",
    ]);
    assert_ne!(a.stdout, c.stdout, "another seed draws other values");
}

#[test]
fn probabilities_are_probabilities_and_sure_villages_stay_sure() {
    let o = bangfu(&["sensitivity", "--draws", "200", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for village in v["villages"].as_array().unwrap() {
        let ps: Vec<f64> = village["p"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[1].as_f64().unwrap())
            .collect();
        assert!(ps.iter().all(|p| (0.0..=1.0).contains(p)));
        assert!((ps.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
    // V01 scores 98 with every dimension far above its minimum: it always exits.
    let v01 = v["villages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "V01")
        .unwrap();
    assert_eq!(v01["p"][0], serde_json::json!(["exit", 1.0]));
    // V04 sits exactly on the pass line, which is uncertain: it is borderline.
    assert!(v["borderline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == "V04"));
    let mut ranked = 0;
    for u in v["units"].as_array().unwrap() {
        // Kinds without a ranking have no rank band, only outcome chances.
        if u["nominal_rank"].is_null() {
            assert!(u["rank_5"].is_null() && u["rank_50"].is_null() && u["rank_95"].is_null());
        } else {
            ranked += 1;
            let (r5, r50, r95) = (
                u["rank_5"].as_u64().unwrap(),
                u["rank_50"].as_u64().unwrap(),
                u["rank_95"].as_u64().unwrap(),
            );
            assert!(r5 <= r50 && r50 <= r95, "{u}");
        }
        assert!((0.0..=1.0).contains(&u["p_best"].as_f64().unwrap()));
    }
    assert!(ranked > 0, "the default rules rank departments");
    // Leaders are not ranked, but whether each is credited is reported.
    assert!(v["units"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["kind"] == "leader" && u["nominal_rank"].is_null()));
    let shares: f64 = v["influence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["share"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9);
}

#[test]
fn without_declared_uncertainty_it_says_what_to_add() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new");
    let o = Command::new(env!("CARGO_BIN_EXE_bangfu"))
        .args(["init", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let o = Command::new(env!("CARGO_BIN_EXE_bangfu"))
        .args(["sensitivity", "--draws", "5"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "nothing to vary is a usage error");
    insta::assert_snapshot!(
        "no_uncertainty",
        String::from_utf8_lossy(&o.stderr).replace('\\', "/")
    );
}

#[test]
fn a_scenario_can_declare_its_own_uncertainty() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = tmp.path().join("wide.yaml");
    std::fs::write(
        &sc,
        "name: wide\nuncertainty:\n  - { parameter: pass_line, min: 60, max: 80 }\n",
    )
    .unwrap();
    let v = json(&bangfu(&[
        "sensitivity",
        "--draws",
        "60",
        "--format",
        "json",
        "--scenario",
        sc.to_str().unwrap(),
    ]));
    let params = v["parameters"].as_array().unwrap();
    assert_eq!(params.len(), 1, "{params:?}");
    assert_eq!(params[0]["name"], "pass_line");
    assert_eq!(params[0]["min"], 60.0);
    assert_eq!(params[0]["max"], 80.0);
    // A wider line makes more villages borderline than the rule set's own 68–72.
    let own = json(&bangfu(&[
        "sensitivity",
        "--draws",
        "60",
        "--format",
        "json",
    ]));
    let count = |v: &Value| v["borderline"].as_array().unwrap().len();
    assert!(count(&v) > count(&own), "{} vs {}", count(&v), count(&own));
    // A mistyped parameter is a rule error naming it.
    std::fs::write(
        &sc,
        "name: wide\nuncertainty:\n  - { parameter: pass_lin, min: 60, max: 80 }\n",
    )
    .unwrap();
    let o = bangfu(&[
        "sensitivity",
        "--draws",
        "5",
        "--scenario",
        sc.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown parameter `pass_lin`") && err.contains("pass_line"),
        "{err}"
    );
}

#[test]
fn uncertain_weights_move_points_and_their_dimension() {
    // RC-1 with the weight of income growth uncertain: its points vary draw by draw, and the
    // economy's maximum follows instead of failing the points-add-up check.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    common::copy_dir(&root.join("benches/rc1/yaml"), &rules);
    let kind = rules.join("kinds/village.yaml");
    let text = std::fs::read_to_string(&kind).unwrap().replace(
        "scoring: { method: linear, from: 0, to: 10, points: 5 }",
        "scoring: { method: linear, from: 0, to: 10, points: w_growth }",
    );
    std::fs::write(&kind, text).unwrap();
    let head = rules.join("ruleset.yaml");
    let text = std::fs::read_to_string(&head)
        .unwrap()
        .replace(
            "  pass_line: { value: 70, label: pass line }\n",
            "  pass_line: { value: 70, label: pass line }\n  w_growth: { value: 5, label: weight of income growth }\n",
        )
        .replace(
            "uncertainty:\n",
            "uncertainty:\n  - { parameter: w_growth, min: 2, max: 8 }\n",
        );
    std::fs::write(&head, text).unwrap();
    #[path = "common/rc1gen.rs"]
    mod rc1gen;
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    rc1gen::write_csv(&rc1gen::generate(2_000, 3), &data.join("villages.csv"));
    let args = |threads: &'static str| {
        let (r, d) = (
            rules.to_str().unwrap().to_string(),
            data.to_str().unwrap().to_string(),
        );
        vec![
            "sensitivity".to_string(),
            "--rules".into(),
            r,
            "--data".into(),
            d,
            "--draws".into(),
            "80".into(),
            "--format".into(),
            "json".into(),
            "--threads".into(),
            threads.into(),
        ]
    };
    let a = bangfu(&args("1").iter().map(String::as_str).collect::<Vec<_>>());
    let b = bangfu(&args("2").iter().map(String::as_str).collect::<Vec<_>>());
    let v = json(&a);
    assert_eq!(a.stdout, b.stdout, "the same at any thread count");
    let growth = v["influence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["parameter"] == "w_growth")
        .unwrap();
    assert!(
        growth["flips_one_at_a_time"].as_u64().unwrap() > 0,
        "a weight between 2 and 8 points moves some villages: {growth}"
    );
}

/// The villages a parameter flips on its own are named, and they are exactly those whose
/// outcome a run with that parameter at its `min` or `max` (the others nominal) changes.
#[test]
fn each_parameter_names_the_villages_it_flips_on_its_own() {
    let s = json(&bangfu(&[
        "sensitivity",
        "--draws",
        "20",
        "--format",
        "json",
    ]));
    let outcomes = |args: &[&str]| -> std::collections::BTreeMap<String, String> {
        let v = json(&bangfu(&[&["run", "--format", "json"][..], args].concat()));
        v["villages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["id"].as_str().unwrap().to_string(),
                    x["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let base = outcomes(&[]);
    let params = s["parameters"].as_array().unwrap();
    let mut named = 0;
    for inf in s["influence"].as_array().unwrap() {
        let name = inf["parameter"].as_str().unwrap();
        let p = params.iter().find(|p| p["name"] == name).unwrap();
        let at = |bound: &str| {
            let set = format!("{name}={}", p[bound]);
            outcomes(&["--set", &set])
        };
        let (lo, hi) = (at("min"), at("max"));
        let expected: Vec<&String> = base
            .keys()
            .filter(|id| lo[*id] != base[*id] || hi[*id] != base[*id])
            .collect();
        let flipped = inf["flipped"].as_array().unwrap();
        assert_eq!(inf["flips_one_at_a_time"], flipped.len(), "{name}");
        let ids: Vec<&str> = flipped.iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert_eq!(ids, expected, "{name}");
        for f in flipped {
            let id = f["id"].as_str().unwrap();
            assert_eq!(f["nominal"], base[id].as_str(), "{name} {id}");
            assert_eq!(f["at_min"], lo[id].as_str(), "{name} {id}");
            assert_eq!(f["at_max"], hi[id].as_str(), "{name} {id}");
            assert!(!f["label"].as_str().unwrap().is_empty());
        }
        named += flipped.len();
    }
    assert!(named > 0, "the sample's parameters flip some villages");
    // The table names them too.
    let o = bangfu(&["sensitivity", "--draws", "20"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("villages whose outcome one parameter changes on its own"),
        "{text}"
    );
}

/// With two passing outcomes (表彰 and 合格), passing counts by either: the county sheet's
/// C03, which passes or fails with the pass line and is never commended, is borderline, and
/// the pass line is what explains the count of passing villages.
#[test]
fn passing_by_any_passing_outcome_is_what_sensitivity_counts() {
    let dir = common::root().join("examples/county-sheet");
    let o = Command::new(env!("CARGO_BIN_EXE_bangfu"))
        .args(["sensitivity", "--draws", "200", "--format", "json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["borderline"], serde_json::json!(["C03"]));
    let first = |name: &str| {
        j["influence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["parameter"] == name)
            .unwrap()["first_order"]
            .as_f64()
            .unwrap()
    };
    assert!(first("pass_line") > 0.5, "{}", first("pass_line"));
    assert!(first("deduction_cap") < first("pass_line"));
}
