//! `bangfu sensitivity`: reproducible at any thread count, probabilities in range, and sure
//! decisions stay sure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn bangfu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bangfu"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

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
    assert_ne!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("add `uncertainty:` to ruleset.yaml"));
}
