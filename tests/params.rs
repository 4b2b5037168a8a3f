//! Computed parameters: a line written as a formula over other parameters follows them when a
//! scenario or a sensitivity draw moves them, and settles to the same value whatever order the
//! parameters are written in.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in as bangfu, json, stderr};

use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `line` is written before the `base` it reads, and `star_line` reads `line`: a chain.
const HEADER: &str = r#"name: t
version: "1"
parameters:
  line:
    value: "base + 10"
    label: the pass line, ten above the base
  base: 50
  star_line: { value: "line * 1.5", unit: points }
uncertainty:
  - { parameter: base, min: 30, max: 70 }
"#;

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
  - { id: star, label: star, when: "total >= star_line" }
  - { id: exit, label: exit, all: [total >= line] }
  - { id: continue, label: continue }
"#;

const VILLAGES: &str =
    "village_id,score\nV1,35\nV2,45\nV3,55\nV4,65\nV5,75\nV6,85\nV7,95\nV8,100\n";

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("kinds")).unwrap();
    std::fs::write(rules.join("ruleset.yaml"), HEADER).unwrap();
    std::fs::write(rules.join("kinds/village.yaml"), VILLAGE).unwrap();
    let data = dir.path().join("data/sample");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("villages.csv"), VILLAGES).unwrap();
    std::fs::create_dir_all(dir.path().join("scenarios")).unwrap();
    dir
}

fn scenario(dir: &Path, name: &str, parameters: &str) {
    std::fs::write(
        dir.join(format!("scenarios/{name}.yaml")),
        format!("name: {name}\nparameters:\n{parameters}"),
    )
    .unwrap();
}

/// Village id → outcome.
fn outcomes(v: &Value) -> Vec<(String, String)> {
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
}

fn outcome_list(v: &Value) -> Vec<&str> {
    v["villages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["outcome"].as_str().unwrap())
        .collect()
}

#[test]
fn the_rule_set_settles_its_chain_and_the_manifest_shows_the_formulas() {
    let dir = fixture();
    let v = json(&bangfu(dir.path(), &["run", "--format", "json"]));
    let m = &v["manifest"];
    // base 50 → line 60 → star line 90.
    assert_eq!(m["parameters"]["base"], 50.0);
    assert_eq!(m["parameters"]["line"], 60.0);
    assert_eq!(m["parameters"]["star_line"], 90.0);
    assert_eq!(m["parameter_formulas"]["line"], "base + 10");
    assert_eq!(m["parameter_formulas"]["star_line"], "line * 1.5");
    assert!(m["parameter_formulas"].get("base").is_none());
    // Scores are the totals: under 60 continue, 60 up to 90 exit, 90 and over star.
    assert_eq!(
        outcome_list(&v),
        ["continue", "continue", "continue", "exit", "exit", "exit", "star", "star"]
    );
}

#[test]
fn a_scenario_moving_the_base_moves_the_lines_computed_from_it() {
    let dir = fixture();
    scenario(dir.path(), "low", "  base: 40\n");
    let v = json(&bangfu(
        dir.path(),
        &["run", "--scenario", "low", "--format", "json"],
    ));
    let p = &v["manifest"]["parameters"];
    // base 40 → line 50 → star line 75.
    assert_eq!(p["base"], 40.0);
    assert_eq!(p["line"], 50.0);
    assert_eq!(p["star_line"], 75.0);
    assert_eq!(
        outcome_list(&v),
        ["continue", "continue", "exit", "exit", "star", "star", "star", "star"]
    );
}

#[test]
fn a_scenario_may_fix_a_computed_parameter_or_give_it_a_new_formula() {
    let dir = fixture();
    // A number: `line` is no longer computed, but `star_line` still follows it.
    scenario(dir.path(), "fixed", "  line: 70\n  base: 0\n");
    let v = json(&bangfu(
        dir.path(),
        &["run", "--scenario", "fixed", "--format", "json"],
    ));
    let m = &v["manifest"];
    assert_eq!(m["parameters"]["line"], 70.0);
    assert_eq!(m["parameters"]["star_line"], 105.0);
    assert!(m["parameter_formulas"].get("line").is_none());
    assert_eq!(m["parameter_formulas"]["star_line"], "line * 1.5");
    assert_eq!(
        outcome_list(&v),
        ["continue", "continue", "continue", "continue", "exit", "exit", "exit", "exit"]
    );
    // A new formula, over a base the same scenario moves.
    scenario(dir.path(), "double", "  base: 30\n  line: \"base * 2\"\n");
    let v = json(&bangfu(
        dir.path(),
        &["run", "--scenario", "double", "--format", "json"],
    ));
    let m = &v["manifest"];
    assert_eq!(m["parameters"]["line"], 60.0);
    assert_eq!(m["parameters"]["star_line"], 90.0);
    assert_eq!(m["parameter_formulas"]["line"], "base * 2");
}

#[test]
fn a_scenario_closing_a_cycle_is_refused_at_its_own_line() {
    let dir = fixture();
    scenario(dir.path(), "loop", "  base: \"star_line - 40\"\n");
    let o = bangfu(dir.path(), &["run", "--scenario", "loop"]);
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    assert!(
        e.contains("in a cycle: base -> star_line -> line -> base"),
        "{e}"
    );
    assert!(e.contains("scenarios/loop.yaml:3:9"), "{e}");
}

#[test]
fn explain_shows_a_computed_line_with_its_formula() {
    let dir = fixture();
    let o = bangfu(dir.path(), &["explain", "V5"]);
    let out = common::stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.contains("line = base + 10 = 60"), "{out}");
    assert!(out.contains("star_line = line * 1.5 = 90"), "{out}");
}

/// The drawn value of `base` in draw 0 of `seed`, as `sensitivity` draws it.
fn drawn_base(rules: &Path, seed: u64) -> f64 {
    let (rules, _) = bangfu::rules::load(rules).unwrap();
    let values = bangfu::sensitivity::draw(&rules.uncertainty, seed, 0);
    assert_eq!(rules.uncertainty.len(), 1);
    assert_eq!(rules.uncertainty[0].name, "base");
    values[0]
}

#[test]
fn a_sensitivity_draw_gives_what_a_scenario_with_the_drawn_value_gives() {
    let dir = fixture();
    let nominal = outcomes(&json(&bangfu(dir.path(), &["run", "--format", "json"])));
    let mut moved = 0;
    for seed in [1u64, 2, 3, 5, 8, 13] {
        let base = drawn_base(&dir.path().join("rules"), seed);
        assert!((30.0..=70.0).contains(&base));
        // One draw: each village's chance of its outcome in that draw is 1.
        let s = json(&bangfu(
            dir.path(),
            &[
                "sensitivity",
                "--draws",
                "1",
                "--seed",
                &seed.to_string(),
                "--format",
                "json",
            ],
        ));
        let drawn: Vec<(String, String)> = s["villages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let sure: Vec<&Value> = x["p"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p[1] == 1.0)
                    .collect();
                assert_eq!(sure.len(), 1, "{x}");
                (
                    x["id"].as_str().unwrap().to_string(),
                    sure[0][0].as_str().unwrap().to_string(),
                )
            })
            .collect();
        // `{}` writes the shortest text that reads back as the same number.
        scenario(dir.path(), "drawn", &format!("  base: {base}\n"));
        let v = json(&bangfu(
            dir.path(),
            &["run", "--scenario", "drawn", "--format", "json"],
        ));
        // (Read back from JSON text, the last digit may differ.)
        let p = &v["manifest"]["parameters"];
        assert!((p["base"].as_f64().unwrap() - base).abs() < 1e-9);
        assert!((p["line"].as_f64().unwrap() - (base + 10.0)).abs() < 1e-9);
        assert_eq!(drawn, outcomes(&v), "seed {seed}, base {base}");
        if drawn != nominal {
            moved += 1;
        }
    }
    // The draws must reach the lines for the comparison to mean anything.
    assert!(moved >= 2, "only {moved} draws changed an outcome");
}

/// A rule set whose parameters form a chain `p0 → p1 → … → pn`, written in `order`.
fn chain_rules(dir: &Path, base: i32, steps: &[(bool, u8)], order: &[usize]) -> PathBuf {
    let mut defs: Vec<String> = vec![format!("  p0: {base}\n")];
    for (i, (add, k)) in steps.iter().enumerate() {
        let op = if *add { "+" } else { "*" };
        defs.push(format!("  p{}: \"p{i} {op} {k}.5\"\n", i + 1));
    }
    let mut text = String::from("name: t\nversion: \"1\"\nparameters:\n");
    for &i in order {
        text.push_str(&defs[i]);
    }
    let rules = dir.join("rules");
    std::fs::create_dir_all(rules.join("kinds")).unwrap();
    std::fs::write(rules.join("ruleset.yaml"), text).unwrap();
    let last = steps.len();
    std::fs::write(
        rules.join("kinds/village.yaml"),
        VILLAGE
            .replace("star_line", &format!("p{last}"))
            .replace("total >= line", "total >= p0"),
    )
    .unwrap();
    rules
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn a_chain_settles_the_same_whatever_order_it_is_written_in(
        base in -50i32..50,
        steps in prop::collection::vec((any::<bool>(), 0u8..9), 1..7),
        shuffle in any::<u64>(),
    ) {
        let n = steps.len() + 1;
        // The expected chain, step by step, as the formulas say.
        let mut expected = vec![f64::from(base)];
        for (add, k) in &steps {
            let prev = *expected.last().unwrap();
            let k = f64::from(*k) + 0.5;
            expected.push(if *add { prev + k } else { prev * k });
        }
        // A permutation of the declaration order, from the seed.
        let mut order: Vec<usize> = (0..n).collect();
        let mut s = shuffle;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let dir = tempfile::tempdir().unwrap();
        let written = bangfu::rules::load(&chain_rules(dir.path(), base, &steps, &order))
            .unwrap()
            .0;
        let straight = tempfile::tempdir().unwrap();
        let in_order: Vec<usize> = (0..n).collect();
        let reference = bangfu::rules::load(&chain_rules(straight.path(), base, &steps, &in_order))
            .unwrap()
            .0;
        for (i, want) in expected.iter().enumerate() {
            let name = format!("p{i}");
            prop_assert_eq!(written.param(&name), Some(*want), "{} in order {:?}", name, order);
            prop_assert_eq!(reference.param(&name), Some(*want));
        }
    }
}
