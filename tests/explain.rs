//! `bangfu explain`: traces pinned by snapshots, and counterfactuals confirmed by re-running.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, sample_data, stdout};

use serde_json::Value;

#[test]
fn a_village_explanation() {
    let o = bangfu(&["explain", "V18"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("explain_village_v18", stdout(&o));
    let j = bangfu(&["explain", "V18", "--format", "json"]);
    let v: Value = serde_json::from_slice(&j.stdout).unwrap();
    for key in [
        "indicators",
        "dimensions",
        "gates",
        "outcome",
        "counterfactuals",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let i0 = &v["indicators"][0];
    for key in ["id", "input", "points", "max"] {
        assert!(i0.get(key).is_some(), "indicators[].{key}");
    }
    insta::assert_json_snapshot!("explain_village_v18_json", v);
}

#[test]
fn a_department_explanation() {
    let o = bangfu(&["explain", "D02"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("explain_department_d02", stdout(&o));
    let j = bangfu(&["explain", "D02", "--format", "json"]);
    let v: Value = serde_json::from_slice(&j.stdout).unwrap();
    insta::assert_json_snapshot!("explain_department_d02_json", v);
}

#[test]
fn every_counterfactual_of_a_continuing_village_makes_it_exit() {
    let v: Value = serde_json::from_slice(&bangfu(&["run", "--format", "json"]).stdout).unwrap();
    let continuing: Vec<String> = v["villages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["outcome"] == "continue")
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    let mut confirmed = 0;
    for id in continuing {
        let e: Value =
            serde_json::from_slice(&bangfu(&["explain", &id, "--format", "json"]).stdout).unwrap();
        let below: Vec<&Value> = e["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["below_min"] == true)
            .collect();
        let cfs = e["counterfactuals"].as_array().unwrap();
        // Either a change that works, or the shortfall per dimension.
        assert!(
            !cfs.is_empty()
                || !e["shortfalls"].as_array().unwrap().is_empty()
                || !e["vetoes"].as_array().unwrap().is_empty(),
            "{id}"
        );
        if !below.is_empty() && cfs.is_empty() {
            continue;
        }
        for cf in cfs {
            let tmp = tempfile::tempdir().unwrap();
            let data = sample_data(tmp.path());
            let csv = data.join("villages.csv");
            let text = std::fs::read_to_string(&csv).unwrap();
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            let header: Vec<String> = lines[0].split(',').map(String::from).collect();
            let col = header
                .iter()
                .position(|h| h == cf["column"].as_str().unwrap())
                .unwrap();
            let row = lines
                .iter()
                .position(|l| l.starts_with(&format!("{id},")))
                .unwrap();
            let mut fields: Vec<String> = lines[row].split(',').map(String::from).collect();
            let to = cf["to"].as_f64().unwrap();
            fields[col] = if fields[col] == "true" || fields[col] == "false" {
                (to != 0.0).to_string()
            } else {
                format!("{to}")
            };
            lines[row] = fields.join(",");
            std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
            let o = bangfu(&["run", "--format", "json", "--data", data.to_str().unwrap()]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            let after: Value = serde_json::from_slice(&o.stdout).unwrap();
            let village = after["villages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == id.as_str())
                .unwrap()
                .clone();
            assert_eq!(village["outcome"], "exit", "{id}: {cf}");
            assert_eq!(village["total"], cf["total_to"], "{id}: {cf}");
            confirmed += 1;
        }
    }
    assert!(confirmed >= 3, "only {confirmed} counterfactuals confirmed");
}

#[test]
fn an_unknown_id_suggests_the_closest() {
    let o = bangfu(&["explain", "V1"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no village or unit with id `V1`") && err.contains("closest ids are `V10`"),
        "{err}"
    );
}

/// Every unit of the sample that misses its kind's best outcome is told what stands in the
/// way: a change of one input, a veto, a shortfall (a grade's line or a minimum), or, when
/// its outcome follows its villages, which villages to look at; or its notes say what
/// lowered it. Never nothing.
#[test]
fn every_unit_short_of_the_best_outcome_is_told_why() {
    let run = common::json(&bangfu(&["run", "--format", "json"]));
    let mut told = 0;
    for (kind, units) in run["units"].as_object().unwrap() {
        for u in units.as_array().unwrap() {
            let id = u["id"].as_str().unwrap();
            let e = common::json(&bangfu(&[
                "explain", id, "--kind", kind, "--format", "json",
            ]));
            if e["counterfactuals"].as_array().is_none_or(|c| c.is_empty())
                && e["vetoes"].as_array().is_none_or(|v| v.is_empty())
                && e["shortfalls"].as_array().is_none_or(|s| s.is_empty())
                && u["notes"].as_array().is_none_or(|n| n.is_empty())
            {
                // Nothing said: only right when it has the best outcome already.
                let best = bangfu(&["explain", id, "--kind", kind]);
                let text = String::from_utf8_lossy(&best.stdout).into_owned();
                assert!(
                    !text.contains("no single input change reaches the best outcome"),
                    "{kind} {id}: nothing said\n{text}"
                );
            }
            for s in e["shortfalls"].as_array().into_iter().flatten() {
                let s = s.as_str().unwrap();
                if let Some(rest) = s.strip_suffix("shows what a village needs") {
                    // The villages named are those its aggregates covered.
                    let covered: Vec<&str> = e["unit"]["aggregates"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|a| a["covered"].as_array().unwrap())
                        .map(|v| v.as_str().unwrap())
                        .collect();
                    assert!(covered.iter().any(|v| rest.contains(v)), "{id}: {s}");
                    told += 1;
                }
            }
        }
    }
    assert!(told > 0, "no unit was sent to its villages");
}

/// A town held back by the top-N rule is told the place and the total it needs; one vetoed
/// by a line on its total is told where the veto lifts.
#[test]
fn a_town_hears_of_the_top_n_route_and_of_a_veto_on_its_total() {
    let o = bangfu(&["explain", "Z05", "--kind", "town"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("ranked 4 of 12: the top 3 receive `commended` (通报表扬); `Z02` (东庄镇) holds place 3 with 79.97: a total above that (more than 2.56 points more, 77.41 → over 79.97) would put this one among them"),
        "{text}"
    );
    let o = bangfu(&["explain", "Z03", "--kind", "town"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("it is lifted when the total reaches 60 (24.07 more points, 35.93 → 60)"),
        "{text}"
    );
}
