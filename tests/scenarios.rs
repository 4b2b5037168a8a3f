//! Scenarios: `compare` lists changes that `run --scenario` confirms one by one; bad scenarios
//! are located rule errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, json};

use serde_json::Value;
use std::collections::HashMap;

#[test]
fn compare_changes_are_confirmed_by_running_each_scenario() {
    let cmp = json(&bangfu(&["compare", "--format", "json"]));
    let scenarios = cmp["scenarios"].as_array().unwrap();
    assert_eq!(scenarios[0]["name"], "baseline");
    assert_eq!(
        scenarios.len(),
        1 + shipped_scenarios().len(),
        "the baseline and every example scenario"
    );
    let changes = cmp["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    let mut runs: HashMap<String, Value> = HashMap::new();
    for c in changes {
        let sc = c["scenario"].as_str().unwrap().to_string();
        let run = runs
            .entry(sc.clone())
            .or_insert_with(|| json(&bangfu(&["run", "--scenario", &sc, "--format", "json"])));
        let kind = c["kind"].as_str().unwrap();
        let list = if kind == "village" {
            &run["villages"]
        } else {
            &run["units"][kind]
        };
        let e = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == c["entity"])
            .unwrap();
        assert_eq!(e["outcome"], c["to"]["outcome"], "{c}");
        assert_eq!(e["grade"], c["to"]["grade"], "{c}");
        assert_eq!(e["total"], c["to"]["total"], "{c}");
        assert!(!c["reason"].as_str().unwrap().is_empty(), "{c}");
        assert_eq!(run["manifest"]["scenario"]["name"], sc.as_str());
    }
    // The counts side by side agree with each run's summary.
    for s in &scenarios[1..] {
        let name = s["name"].as_str().unwrap().to_string();
        let run = runs
            .entry(name.clone())
            .or_insert_with(|| json(&bangfu(&["run", "--scenario", &name, "--format", "json"])));
        assert_eq!(s["counts"]["village"], run["summary"]["villages"], "{name}");
    }
}

/// The file names of the example scenarios in `scenarios/`, sorted.
fn shipped_scenarios() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(common::root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_rules_reference_lists_every_example_scenario() {
    let doc = std::fs::read_to_string(common::root().join("docs/rules.md")).unwrap();
    let shipped = shipped_scenarios();
    let words = [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let claim = format!("ships {} examples in", words[shipped.len()]);
    assert!(doc.contains(&claim), "docs/rules.md should say it {claim}");
    for name in &shipped {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "the table of examples in docs/rules.md misses `{name}`"
        );
    }
}

#[test]
fn raising_the_pass_line_only_ever_removes_exits() {
    let cmp = json(&bangfu(&["compare", "pass_line_75", "--format", "json"]));
    for c in cmp["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "village")
    {
        let total = c["to"]["total"].as_f64().unwrap();
        assert!(total < 75.0, "{c}");
        if c["from"]["outcome"] == c["to"]["outcome"] {
            // A village that continued anyway (a veto, a minimum): only its grade follows the
            // line, 合格 starting at the pass line.
            assert_eq!(c["to"]["outcome"], "continue", "{c}");
            assert_eq!(c["from"]["grade"], "pass", "{c}");
            assert_eq!(c["to"]["grade"], "fail", "{c}");
            assert!(total >= 70.0, "{c}");
        } else {
            assert_eq!(c["from"]["outcome"], "exit");
            assert_eq!(c["to"]["outcome"], "continue");
            assert!(c["reason"].as_str().unwrap().contains("< 75"), "{c}");
        }
    }
}

#[test]
fn a_mistyped_override_path_is_an_invalid_rule_set() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("typo.yaml"),
        "name: typo\nset:\n  village.dimensions.econmy.min: 15\n",
    )
    .unwrap();
    let o = bangfu(&[
        "run",
        "--scenarios",
        tmp.path().to_str().unwrap(),
        "--scenario",
        "typo",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("override path `village.dimensions.econmy.min` does not exist"),
        "{err}"
    );
    assert!(err.contains("`village.dimensions.economy`"), "{err}");
    assert!(err.contains("typo.yaml:3"), "{err}");
}

#[test]
fn scenario_bases_chain_and_cycles_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("a.yaml"),
        "name: a\nbase: b\nparameters:\n  pass_line: 75\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.yaml"),
        "name: b\nset:\n  village.dimensions.economy.min: 15\n",
    )
    .unwrap();
    let chained = json(&bangfu(&[
        "run",
        "--scenarios",
        dir.to_str().unwrap(),
        "--scenario",
        "a",
        "--format",
        "json",
    ]));
    let both = chained["summary"]["villages"]["exit"].as_u64().unwrap();
    let only_b = json(&bangfu(&[
        "run",
        "--scenarios",
        dir.to_str().unwrap(),
        "--scenario",
        "b",
        "--format",
        "json",
    ]));
    assert!(both <= only_b["summary"]["villages"]["exit"].as_u64().unwrap());
    assert_eq!(chained["manifest"]["parameters"]["pass_line"], 75.0);
    std::fs::write(dir.join("b.yaml"), "name: b\nbase: a\n").unwrap();
    let o = bangfu(&[
        "run",
        "--scenarios",
        dir.to_str().unwrap(),
        "--scenario",
        "a",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cycle: a → b → a"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_scenario_is_validated_like_the_rule_set() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("gap.yaml"),
        "name: gap\nset:\n  village.grades.good.range: \"[81, 90)\"\n",
    )
    .unwrap();
    let o = bangfu(&[
        "run",
        "--scenarios",
        tmp.path().to_str().unwrap(),
        "--scenario",
        "gap",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("leave a gap"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A scenario's data changes that would change what is assessed silently are refused, each
/// located on its own line: an id not in the data, a category the column does not have, a
/// subset left empty, and values pushed outside a column's range. `compare` reports them too.
#[test]
fn data_changes_that_would_mislead_are_located_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "ids",
            "name: ids\ndata:\n  subset:\n    name: picked\n    ids: [V01, V999, V998]\n",
            "`V999` in the ids of subset `picked`",
            5,
        ),
        (
            "category",
            "name: category\ndata:\n  subset:\n    name: c\n    where: [village_type == nonexist]\n",
            "`nonexist` is not a category of `village_type`",
            5,
        ),
        (
            "empty",
            "name: empty\ndata:\n  subset:\n    name: none_left\n    where: [town_id == Z99]\n",
            "subset `none_left` selects none of the 78",
            4,
        ),
        (
            "scaled",
            "name: scaled\ndata:\n  scale:\n    investment_wan: -1\n",
            "`investment_wan` scaled by -1 gives -53 for V01, outside the column's range (at least 0)",
            4,
        ),
        (
            "nan",
            "name: nan\ndata:\n  set:\n    investment_wan: .nan\n",
            "`investment_wan` set to NaN gives NaN for V01: a value must be a number",
            4,
        ),
        (
            "infinite",
            "name: infinite\ndata:\n  scale:\n    collective_income_wan: .inf\n",
            "`collective_income_wan` scaled by inf gives inf for V01: a value must be a number",
            4,
        ),
        (
            "yes_no",
            "name: yes_no\ndata:\n  set:\n    committees_complete: 5\n",
            "`committees_complete` set to 5 gives 5 for V01: a yes/no column takes 1 (true) or 0 (false)",
            4,
        ),
        (
            "set",
            "name: set\ndata:\n  set:\n    medical_insurance_rate: 1.5\n",
            "`medical_insurance_rate` set to 1.5 gives 1.5 for V01, outside the column's range (from 0 to 1)",
            4,
        ),
    ];
    let dir = tmp.path().to_str().unwrap();
    for (name, text, message, line) in cases {
        std::fs::write(tmp.path().join(format!("{name}.yaml")), text).unwrap();
        let o = bangfu(&["run", "--scenarios", dir, "--scenario", name]);
        assert_eq!(o.status.code(), Some(3), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(message), "{name}: {err}");
        assert!(
            err.contains(&format!("{name}.yaml:{line}")),
            "{name}: {err}"
        );
        let c = bangfu(&["compare", "--scenarios", dir, name]);
        assert_eq!(c.status.code(), Some(3), "{name}");
        assert!(
            String::from_utf8_lossy(&c.stderr).contains(message),
            "{name}"
        );
    }
    // The sample's own subset still applies.
    assert_eq!(
        bangfu(&["run", "--scenario", "unstable_villages", "--quiet"])
            .status
            .code(),
        Some(0)
    );
}

/// A unit whose outcome moved with its rank, not its score, is given its ranks as the reason:
/// each town's rank in the baseline and in the scenario, as `run` gives them.
#[test]
fn a_change_of_rank_is_the_reason_given() {
    let towns = |args: &[&str]| -> HashMap<String, (u64, usize)> {
        let v = json(&bangfu(args));
        let list = v["units"]["town"].as_array().unwrap().clone();
        let n = list.len();
        list.iter()
            .map(|t| {
                (
                    t["id"].as_str().unwrap().to_string(),
                    (t["rank"].as_u64().unwrap(), n),
                )
            })
            .collect()
    };
    let base = towns(&["run", "--format", "json"]);
    let now = towns(&["run", "--scenario", "unstable_villages", "--format", "json"]);
    let c = json(&bangfu(&[
        "compare",
        "unstable_villages",
        "--format",
        "json",
    ]));
    let mut checked = 0;
    for ch in c["changes"].as_array().unwrap() {
        let id = ch["entity"].as_str().unwrap();
        let reason = ch["reason"].as_str().unwrap();
        if ch["kind"] != "town" || !reason.contains(", was ") {
            continue;
        }
        let ((was, bn), (is, sn)) = (base[id], now[id]);
        assert_ne!(was, is, "{id}");
        assert!(
            reason.starts_with(&format!("ranked {is} of {sn}, was {was} of {bn}; total ")),
            "{id}: {reason}"
        );
        checked += 1;
    }
    // Z01 lost its commendation though its total rose: its rank is why.
    assert!(checked >= 3, "{checked}");
}

/// A scenario that leaves an outcome unreachable is warned of when it is run or compared (the
/// results still come, exit 0); the sample's scenarios, which do not, run without a word on
/// stderr.
#[test]
fn a_scenario_that_makes_an_outcome_unreachable_is_warned_of() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("too_high.yaml"),
        "name: too_high\nparameters:\n  pass_line: 150\nset:\n  village.grades.pass.range: \"[70, 80)\"\n  village.grades.fail.range: \"[0, 70)\"\n",
    )
    .unwrap();
    let dir = tmp.path().to_str().unwrap();
    for args in [
        &["run", "--scenarios", dir, "--scenario", "too_high"][..],
        &["compare", "--scenarios", dir, "too_high"],
    ] {
        let o = bangfu(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("outcome `exit` can never be reached")
                && err.contains("scenario `too_high` gives the warning above"),
            "{args:?}: {err}"
        );
        assert!(!o.stdout.is_empty(), "{args:?}");
    }
    for e in std::fs::read_dir(common::root().join("scenarios")).unwrap() {
        let name = e
            .unwrap()
            .path()
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let o = bangfu(&["run", "--scenario", &name]);
        assert_eq!(o.status.code(), Some(0), "{name}");
        assert!(
            o.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
