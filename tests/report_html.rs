//! Integration test: `run --out DIR` writes a self-contained `report.html`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::root;

use std::process::Command;

#[test]
fn run_out_writes_a_self_contained_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results");
    let o = Command::new(env!("CARGO_BIN_EXE_bangfu"))
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run bangfu");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let path = out.join("report.html");
    assert!(path.is_file(), "report.html was not written");
    let html = std::fs::read_to_string(&path).unwrap();

    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("lang=\"zh"));
    assert!(html.contains("<svg"));
    assert!(html.contains("class=\"pass-line\""));
    assert!(
        html.contains("后进村帮扶验收细则"),
        "the Chinese title is missing"
    );
    // Offline and inert: no scripts, nothing fetched from the network.
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"));
    assert!(!lower.contains("http://"));
    assert!(!lower.contains("https://"));

    // Every village that continues is listed, by id.
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let continuing: Vec<&str> = results["villages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["outcome"] == "continue")
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(!continuing.is_empty());
    for id in continuing {
        assert!(
            html.contains(&format!("<td class=\"id\">{id}</td>")),
            "{id} missing"
        );
    }
    // Every unit of every kind is listed, ranked or not (city leaders are neither ranked nor
    // rewarded).
    for (kind, units) in results["units"].as_object().unwrap() {
        for u in units.as_array().unwrap() {
            let id = u["id"].as_str().unwrap();
            assert!(
                html.contains(&format!("<td class=\"id\">{id}</td>")),
                "{kind} {id} missing"
            );
        }
    }
}
