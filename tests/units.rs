//! Units: aggregation, ranking, quotas, funds and cascades on small hand-made rule sets, and
//! the unit results of the bundled sample.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in as bangfu, json};

use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

const HEADER: &str = "name: t\nversion: \"1\"\nparameters:\n  line: 50\n";

const VILLAGE: &str = r#"
kind: village
table: villages
id_column: village_id
dimensions:
  - { id: d, label: d, max: 100 }
indicators:
  - { id: score, label: score, dimension: d, input: score, scoring: { method: linear, from: 0, to: 100, points: 100 } }
grades:
  - { id: good, label: good, range: "[50, 100]" }
  - { id: poor, label: poor, range: "[0, 50)" }
outcomes:
  - { id: exit, label: exit, all: [total >= line] }
  - { id: continue, label: continue }
"#;

/// A temporary rule set and data set.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(unit_kinds: &[(&str, &str)], tables: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir_all(rules.join("kinds")).unwrap();
        std::fs::write(rules.join("ruleset.yaml"), HEADER).unwrap();
        std::fs::write(rules.join("kinds/village.yaml"), VILLAGE).unwrap();
        for (name, text) in unit_kinds {
            std::fs::write(rules.join(format!("kinds/{name}.yaml")), text).unwrap();
        }
        let data = dir.path().join("data/sample");
        std::fs::create_dir_all(&data).unwrap();
        for (name, text) in tables {
            std::fs::write(data.join(format!("{name}.csv")), text).unwrap();
        }
        Fixture { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn run(&self) -> Output {
        bangfu(&self.path(), &["run", "--format", "json"])
    }

    fn check(&self) -> Output {
        bangfu(&self.path(), &["check"])
    }
}

const VILLAGES: &str =
    "village_id,score,group_id\nV1,80,A\nV2,40,A\nV3,60,A\nV4,90,B\nV5,70,C\nV6,70,D\n";

fn group_kind(indicators: &str, extra: &str) -> String {
    format!(
        r#"
kind: group
table: groups
id_column: group_id
link: {{ column: group_id }}
dimensions:
  - {{ id: d, label: d, max: 100 }}
indicators:
{indicators}
grades:
  - {{ id: top, label: top, range: "[80, 100]" }}
  - {{ id: mid, label: mid, range: "[60, 80)" }}
  - {{ id: low, label: low, range: "[0, 60)" }}
outcomes:
  - {{ id: reward, label: reward, all: [total >= 60] }}
  - {{ id: none, label: none, passing: true }}
{extra}
"#
    )
}

fn units<'a>(v: &'a Value, kind: &str) -> &'a Vec<Value> {
    v["units"][kind].as_array().unwrap()
}

#[test]
fn every_aggregate_function() {
    let ind = r#"
  - { id: mean, label: mean, dimension: d, input: { aggregate: { fn: mean, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 50 } }
  - { id: min, label: min, dimension: d, input: { aggregate: { fn: min, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 10 } }
  - { id: max, label: max, dimension: d, input: { aggregate: { fn: max, of: points.score } }, scoring: { method: linear, from: 0, to: 100, points: 10 } }
  - { id: sum, label: sum, dimension: d, input: { aggregate: { fn: sum, of: score } }, scoring: { method: linear, from: 0, to: 1000, points: 10 } }
  - { id: count, label: count, dimension: d, input: { aggregate: { fn: count } }, scoring: { method: linear, from: 0, to: 10, points: 10 } }
  - { id: share, label: share, dimension: d, input: { aggregate: { fn: share, where: [outcome == exit] } }, scoring: { method: linear, from: 0, to: 1, points: 10 } }"#;
    let f = Fixture::new(
        &[("group", &group_kind(ind, ""))],
        &[("villages", VILLAGES), ("groups", "group_id\nA\nB\nC\nD\n")],
    );
    let v = json(&f.run());
    let a = &units(&v, "group")[0];
    assert_eq!(a["id"], "A");
    let i = &a["inputs"];
    assert_eq!(i["mean"], 60.0);
    assert_eq!(i["min"], 40.0);
    assert_eq!(i["max"], 80.0);
    assert_eq!(i["sum"], 180.0);
    assert_eq!(i["count"], 3.0);
    assert_eq!(i["share"], 0.67);
    assert_eq!(a["village_count"], 3);
}

#[test]
fn ranks_break_ties_by_the_declared_key_then_id() {
    let ind = r#"
  - { id: mean, label: mean, dimension: d, input: { aggregate: { fn: mean, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 100 } }"#;
    let extra = "rank: [total desc, value.mean asc]";
    let f = Fixture::new(
        &[("group", &group_kind(ind, extra))],
        &[("villages", VILLAGES), ("groups", "group_id\nD\nC\nB\nA\n")],
    );
    let v = json(&f.run());
    let ranks: Vec<(String, u64)> = units(&v, "group")
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["rank"].as_u64().unwrap(),
            )
        })
        .collect();
    // B 90 first; C and D tie on 70 (and on the second key): the id decides; A 60 last.
    assert_eq!(
        ranks,
        vec![
            ("A".into(), 4),
            ("B".into(), 1),
            ("C".into(), 2),
            ("D".into(), 3)
        ]
    );
}

#[test]
fn a_quota_sends_the_lowest_ranked_to_the_next_outcome() {
    let ind = r#"
  - { id: mean, label: mean, dimension: d, input: { aggregate: { fn: mean, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 100 } }"#;
    let extra = "rank: [total desc]\nquotas:\n  - { outcome: reward, max_share: 0.5 }";
    let f = Fixture::new(
        &[("group", &group_kind(ind, extra))],
        &[("villages", VILLAGES), ("groups", "group_id\nA\nB\nC\nD\n")],
    );
    let v = json(&f.run());
    let us = units(&v, "group");
    let outcome = |id: &str| {
        us.iter().find(|u| u["id"] == id).unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // All four reach 60; only half (2) may be rewarded: B (90) and C (70, before D by id).
    assert_eq!(outcome("B"), "reward");
    assert_eq!(outcome("C"), "reward");
    assert_eq!(outcome("D"), "none");
    assert_eq!(outcome("A"), "none");
    let notes = us.iter().find(|u| u["id"] == "D").unwrap()["notes"].to_string();
    assert!(
        notes.contains("quota") && notes.contains("ranked 3 of 4"),
        "{notes}"
    );
    assert_eq!(v["summary"]["units"]["group"]["reward"], 2);
}

#[test]
fn a_fund_adds_up_to_its_budget_in_whole_yuan() {
    let ind = r#"
  - { id: mean, label: mean, dimension: d, input: { aggregate: { fn: mean, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 100 } }"#;
    let villages = "village_id,score,group_id\nV1,60,A\nV2,78,B\nV3,60.7,C\nV4,1,D\n";
    // (split, reward line, expected awards): 1000 yuan never divides evenly here.
    let cases = [
        // Three recipients: 333 each and the last yuan to the best-ranked (B).
        ("equal", 50, [("A", 333), ("B", 334), ("C", 333), ("D", 0)]),
        // Weights 6000:7800:6070:100 of 19970 give 300.45, 390.59, 303.96, 5.01: the two
        // leftover yuan go to the largest remainders, C then B.
        (
            "proportional",
            1,
            [("A", 300), ("B", 391), ("C", 304), ("D", 5)],
        ),
    ];
    for (split, line, expect) in cases {
        let extra = format!(
            "rank: [total desc]\nfund:\n  budget: 1000\n  outcome: reward\n  split: {split}"
        );
        let kind = group_kind(ind, &extra)
            .replace("all: [total >= 60]", &format!("all: [total >= {line}]"));
        let f = Fixture::new(
            &[("group", &kind)],
            &[("villages", villages), ("groups", "group_id\nA\nB\nC\nD\n")],
        );
        let v = json(&f.run());
        let got: Vec<(String, i64)> = units(&v, "group")
            .iter()
            .map(|u| {
                (
                    u["id"].as_str().unwrap().to_string(),
                    u["award"].as_i64().unwrap(),
                )
            })
            .collect();
        let expect: Vec<(String, i64)> = expect.iter().map(|(a, b)| (a.to_string(), *b)).collect();
        assert_eq!(got, expect, "{split}");
        assert_eq!(got.iter().map(|(_, a)| a).sum::<i64>(), 1000);
        assert_eq!(v["summary"]["funds"]["group"]["paid"], 1000);
    }
}

#[test]
fn team_grades_cascade_to_members() {
    let villages = "village_id,score,team_id\nV1,95,T1\nV2,30,T2\n";
    let team = r#"
kind: team
table: teams
id_column: team_id
link: { column: team_id }
dimensions:
  - { id: d, label: d, max: 100 }
indicators:
  - { id: t, label: t, dimension: d, input: { aggregate: { fn: mean, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 100 } }
grades:
  - { id: excellent, label: excellent, range: "[90, 100]" }
  - { id: fair, label: fair, range: "[50, 90)" }
  - { id: poor, label: poor, range: "[0, 50)" }
outcomes:
  - { id: ok, label: ok, all: [total >= 50] }
  - { id: not_ok, label: not ok }
cascade:
  to: member
  via: team_id
  rules:
    - { grades: [excellent], at_most: { grade: excellent, count: 1 } }
    - { grades: [poor], set: poor }
"#;
    let member = r#"
kind: member
table: members
id_column: member_id
dimensions:
  - { id: d, label: d, max: 100 }
indicators:
  - { id: days, label: days, dimension: d, input: days, scoring: { method: linear, from: 0, to: 25, points: 100 } }
grades:
  - { id: excellent, label: excellent, range: "[90, 100]" }
  - { id: fair, label: fair, range: "[50, 90)" }
  - { id: poor, label: poor, range: "[0, 50)" }
outcomes:
  - { id: commended, label: commended, all: [grade == excellent] }
  - { id: none, label: none, passing: true }
rank: [total desc]
"#;
    let f = Fixture::new(
        &[("team", team), ("member", member)],
        &[
            ("villages", villages),
            ("teams", "team_id\nT1\nT2\n"),
            (
                "members",
                "member_id,team_id,days\nM1,T1,25\nM2,T1,24\nM3,T1,10\nM4,T2,25\n",
            ),
        ],
    );
    let v = json(&f.run());
    let ms = units(&v, "member");
    let grade = |id: &str| {
        ms.iter().find(|m| m["id"] == id).unwrap()["grade"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        grade("M1"),
        "excellent",
        "the best member of an excellent team stays excellent"
    );
    assert_eq!(
        grade("M2"),
        "fair",
        "only one excellent member per excellent team"
    );
    assert_eq!(grade("M3"), "poor");
    assert_eq!(grade("M4"), "poor", "a poor team makes every member poor");
    let outcome = |id: &str| {
        ms.iter().find(|m| m["id"] == id).unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(outcome("M1"), "commended");
    assert_eq!(
        outcome("M2"),
        "none",
        "the outcome follows the cascaded grade"
    );
}

#[test]
fn a_village_linked_to_an_unknown_unit_is_a_data_error() {
    let ind = r#"
  - { id: mean, label: mean, dimension: d, input: { aggregate: { fn: mean, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 100 } }"#;
    let f = Fixture::new(
        &[("group", &group_kind(ind, ""))],
        &[("villages", VILLAGES), ("groups", "group_id\nA\nB\nC\n")],
    );
    let o = bangfu(&f.path(), &["run"]);
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("row 7") && err.contains("`group_id`") && err.contains("found `D`"),
        "{err}"
    );
}

#[test]
fn a_duplicate_unit_id_is_a_data_error() {
    let ind = r#"
  - { id: mean, label: mean, dimension: d, input: { aggregate: { fn: mean, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 100 } }"#;
    let f = Fixture::new(
        &[("group", &group_kind(ind, ""))],
        &[
            ("villages", VILLAGES),
            ("groups", "group_id\nA\nB\nC\nD\nB\n"),
        ],
    );
    let o = bangfu(&f.path(), &["run"]);
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("groups.csv, row 6") && err.contains("duplicate id"),
        "{err}"
    );
}

#[test]
fn bad_quotas_and_funds_are_located_rule_errors() {
    let ind = r#"
  - { id: mean, label: mean, dimension: d, input: { aggregate: { fn: mean, of: total } }, scoring: { method: linear, from: 0, to: 100, points: 100 } }"#;
    let extra = "quotas:\n  - { outcome: reward, max_share: 1.5 }\nfund:\n  budget: 1000\n  outcome: rewrd\n  split: equal";
    let f = Fixture::new(
        &[("group", &group_kind(ind, extra))],
        &[("villages", VILLAGES), ("groups", "group_id\nA\nB\nC\nD\n")],
    );
    let o = f.check();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`max_share` is a share between 0 and 1"),
        "{err}"
    );
    assert!(
        err.contains("unknown outcome `rewrd`") && err.contains("did you mean `reward`?"),
        "{err}"
    );
    assert!(err.contains("group.yaml:"), "{err}");
}

#[test]
fn the_sample_assesses_every_unit_kind() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let v = json(&bangfu(&root, &["run", "--format", "json"]));
    for kind in ["department", "town", "team", "member", "leader"] {
        let us = units(&v, kind);
        assert!(!us.is_empty(), "{kind}");
        // Ranks, where declared, are 1..n without ties; a kind without ranking has `null`.
        if kind == "leader" {
            assert!(us.iter().all(|u| u["rank"].is_null()), "{kind}");
        } else {
            let mut ranks: Vec<u64> = us.iter().map(|u| u["rank"].as_u64().unwrap()).collect();
            ranks.sort_unstable();
            assert_eq!(ranks, (1..=us.len() as u64).collect::<Vec<_>>(), "{kind}");
        }
    }
    assert_eq!(units(&v, "member").len(), 78 * 3);
    for (kind, budget) in [("department", 500000), ("team", 300000)] {
        let paid: i64 = units(&v, kind)
            .iter()
            .map(|u| u["award"].as_i64().unwrap())
            .sum();
        assert_eq!(paid, budget, "{kind}");
    }
    // No outcome or grade beyond its quota: departments' reward ≤ 20%, teams' excellent ≤ 20%.
    let deps = units(&v, "department");
    assert!(deps.iter().filter(|u| u["outcome"] == "reward").count() * 5 <= deps.len());
    let teams = units(&v, "team");
    assert!(teams.iter().filter(|u| u["grade"] == "excellent").count() * 5 <= teams.len());
    // A department whose village continues stays paired and is not rewarded.
    let villages = v["villages"].as_array().unwrap();
    for d in deps {
        let id = d["id"].as_str().unwrap();
        let _ = id;
        if d["inputs"]["village_exit_share"].as_f64().unwrap() < 1.0 {
            assert_eq!(d["outcome"], "stay_paired", "{id}");
        }
    }
    assert!(!villages.is_empty());
}
