//! `bangfu explain`: traces pinned by snapshots, and counterfactuals confirmed by re-running.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, bangfu_in, root, sample_data, stdout};

use proptest::prelude::*;
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

/// The first line of an explanation and what it says would change the outcome.
fn way_forward(text: &str) -> String {
    let head = text.lines().take(2).collect::<Vec<_>>().join("\n");
    let rest = text
        .find("怎样才能通过")
        .map_or("(nothing: at the best outcome)\n", |at| &text[at..]);
    format!("{head}\n\n{rest}")
}

/// The county sheet's villages short of the best outcome: a failed one is shown how to pass,
/// then how to be commended; the economy zeroed for faked records comes back when the
/// records are clean; a total held at the floor counts from below it; a veto stays a veto.
#[test]
fn the_county_sheet_ways_forward() {
    let dir = root().join("examples/county-sheet");
    for id in ["C04", "C06", "C07", "C08", "C10"] {
        let o = bangfu_in(&dir, &["explain", id]);
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        insta::assert_snapshot!(format!("explain_county_{id}"), way_forward(&stdout(&o)));
    }
}

/// Villages on the county sheet made to need one lever each: a deduction lowered (X1, X2),
/// a bonus raised (X1, X2), a band's lower end said as it is written (X1: `5`, not `5.001`),
/// a discipline case cleared, which gives the bonus back (X3), deductions over their cap,
/// where only a change that brings them under it counts (X4), a bonus item within what is left
/// of its group's cap (X5).
const LEVERS: &str = "\
village_id,name,town,branch_meetings,members_trained_pct,collective_income_wan,farmer_income_growth_pct,disputes_unresolved,village_rules_adopted,service_days,provincial_honours,city_honours,practice_promoted,safety_incidents,complaints,late_reports,faked_records,discipline_cases,major_incidents
X1,甲村,东山镇,12,80,3,10,0,true,120,0,0,false,0,3,0,0,0,0
X2,乙村,东山镇,12,90,10,10,0,true,240,0,0,false,0,3,3,0,0,0
X3,丙村,东山镇,12,90,10,10,1,true,200,2,2,true,0,0,0,0,1,0
X4,丁村,东山镇,12,80,8,5,0,true,240,0,0,false,2,5,5,0,0,0
X5,戊村,东山镇,12,80,10,10,0,true,240,2,0,false,0,0,0,0,0,0
";

/// A copy of the county sheet's data with `csv` as its villages.
fn county_data(dir: &std::path::Path, csv: &str) -> std::path::PathBuf {
    let data = dir.join("data");
    common::copy_dir(&root().join("examples/county-sheet/data/sample"), &data);
    std::fs::write(data.join("villages.csv"), csv).unwrap();
    data
}

#[test]
fn bonus_deduction_and_zeroing_levers() {
    let tmp = tempfile::tempdir().unwrap();
    let data = county_data(tmp.path(), LEVERS);
    let rules = root().join("examples/county-sheet/rules");
    let mut all = String::new();
    for id in ["X1", "X2", "X3", "X4", "X5"] {
        let o = bangfu(&[
            "explain",
            id,
            "--rules",
            rules.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        all.push_str(&way_forward(&stdout(&o)));
        all.push_str("----\n");
    }
    insta::assert_snapshot!("explain_county_levers", all);
}

/// One village of the county sheet, as its CSV row (without the id and name).
fn county_row() -> impl Strategy<Value = Vec<String>> {
    let count = |hi: u32| (0..=hi).prop_map(|x| x.to_string());
    let rare = |hi: u32| prop_oneof![4 => Just(0u32), 1 => 1..=hi].prop_map(|x| x.to_string());
    let yes = any::<bool>().prop_map(|b| b.to_string());
    (
        (
            count(12),
            (0u32..=100).prop_map(|x| x.to_string()),
            (0u32..=300).prop_map(|x| format!("{}", f64::from(x) / 10.0)),
            (-20i32..=120).prop_map(|x| format!("{}", f64::from(x) / 10.0)),
            count(4),
            yes.clone(),
            count(366),
        ),
        (
            count(3),
            count(3),
            yes,
            count(3),
            count(6),
            count(6),
            rare(2),
            rare(2),
            rare(1),
        ),
    )
        .prop_map(|((a, b, c, d, e, f, g), (h, i, j, k, l, m, n, o, p))| {
            vec![a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]
        })
}

/// Apply every suggestion `explain` makes for each of `rows` (CSV cells after the id and
/// name) to that village's data and run again: the village gets the outcome and the total
/// promised, at least the target the change was found for; the targets come nearest first.
/// Gives the number of suggestions confirmed.
fn confirm_suggestions(rows: &[Vec<String>]) -> Result<usize, TestCaseError> {
    let header = LEVERS.lines().next().unwrap();
    let order = ["commended", "passed", "failed"];
    let at = |o: &Value| order.iter().position(|x| o == x).unwrap();
    let csv = |rows: &[Vec<String>]| {
        let mut text = format!("{header}\n");
        for (n, r) in rows.iter().enumerate() {
            text.push_str(&format!("P{n},村{n},东山镇,{}\n", r.join(",")));
        }
        text
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = county_data(tmp.path(), &csv(rows));
    let rules = root().join("examples/county-sheet/rules");
    let (rules, data_s) = (rules.to_str().unwrap(), data.to_str().unwrap());
    let columns: Vec<&str> = header.split(',').collect();
    let mut confirmed = 0;
    for n in 0..rows.len() {
        let id = format!("P{n}");
        let e = common::json(&bangfu(&[
            "explain", &id, "--rules", rules, "--data", data_s, "--format", "json",
        ]));
        let chosen = at(&e["outcome"]["id"]);
        let targets: Vec<usize> = e["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| at(&t["outcome"]))
            .collect();
        let expected: Vec<usize> = match chosen {
            2 => vec![1, 0],
            1 => vec![0],
            _ => vec![],
        };
        prop_assert_eq!(&targets, &expected, "{}", e);
        for cf in e["counterfactuals"].as_array().unwrap() {
            prop_assert!(at(&cf["outcome"]) <= at(&cf["target"]), "{}", cf);
            prop_assert!(at(&cf["outcome"]) < chosen, "{}", cf);
            let col = columns
                .iter()
                .position(|c| *c == cf["column"].as_str().unwrap())
                .unwrap();
            let mut changed = rows.to_vec();
            let cell = &mut changed[n][col - 3];
            let to = cf["to"].as_f64().unwrap();
            *cell = if cell == "true" || cell == "false" {
                (to != 0.0).to_string()
            } else {
                format!("{to}")
            };
            std::fs::write(data.join("villages.csv"), csv(&changed)).unwrap();
            let after = common::json(&bangfu(&[
                "run", "--rules", rules, "--data", data_s, "--format", "json",
            ]));
            std::fs::write(data.join("villages.csv"), csv(rows)).unwrap();
            let v = after["villages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == id.as_str())
                .unwrap()
                .clone();
            prop_assert_eq!(&v["outcome"], &cf["outcome"], "{} {}", cf, v);
            prop_assert_eq!(&v["total"], &cf["total_to"], "{} {}", cf, v);
            confirmed += 1;
        }
    }
    Ok(confirmed)
}

/// The rows of a villages CSV, without the id and name.
fn cells_of(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').skip(3).map(String::from).collect())
        .collect()
}

/// Every suggestion for the county sheet's sample and the lever villages above holds.
#[test]
fn every_county_suggestion_gives_what_it_promises() {
    let sample =
        std::fs::read_to_string(root().join("examples/county-sheet/data/sample/villages.csv"))
            .unwrap();
    let mut rows = cells_of(&sample);
    rows.extend(cells_of(LEVERS));
    let confirmed = confirm_suggestions(&rows).unwrap();
    // C02 2, C04 1, C10 2, X1 5, X2 3, X3 4, X4 1, X5 4.
    assert_eq!(confirmed, 22);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The same on random villages.
    #[test]
    fn every_suggestion_gives_what_it_promises(rows in prop::collection::vec(county_row(), 1..4)) {
        confirm_suggestions(&rows)?;
    }
}

/// A leader not credited, with nothing of its own to change, is sent to its village: the
/// way forward is never an empty heading.
#[test]
fn a_leader_not_credited_is_sent_to_its_village() {
    let o = bangfu(&["explain", "L04"]);
    let text = stdout(&o);
    let way = text
        .split("怎样才能通过 (what would change the outcome)\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        way.contains("`village_passed` (0) comes from its villages (V60): `bangfu explain V60` shows what a village needs"),
        "{text}"
    );
}
