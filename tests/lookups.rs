//! `lookup` points read from a data table (积分制: one row per event, points by event type).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in, json, stderr, stdout};
use std::path::Path;

const KIND: &str = r#"kind: event
table: events
id_column: id
dimensions:
  - { id: merit, label: 积分, max: 10 }
indicators:
  - id: kind_points
    label: 事件积分
    dimension: merit
    input: type_id
    scoring: { method: lookup, points_from: { table: event_types, key: type_id, column: points }, points: 10 }
outcomes:
  - { id: done, label: 完成 }
"#;

fn setup(dir: &Path, types: &str) {
    std::fs::create_dir_all(dir.join("rules/kinds")).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("rules/ruleset.yaml"),
        "name: t\nversion: \"1\"\nprimary: event\n",
    )
    .unwrap();
    std::fs::write(dir.join("rules/kinds/event.yaml"), KIND).unwrap();
    std::fs::write(
        dir.join("data/events.csv"),
        "id,type_id\nE1,help\nE2,clean\nE3,help\n",
    )
    .unwrap();
    std::fs::write(dir.join("data/event_types.csv"), types).unwrap();
}

#[test]
fn each_event_scores_the_points_of_its_type() {
    let dir = tempfile::tempdir().unwrap();
    setup(
        dir.path(),
        "type_id,label,points\nhelp,帮扶,5\nclean,保洁,2.5\nunused,无,1\n",
    );
    let out = json(&bangfu_in(
        dir.path(),
        &[
            "run", "--rules", "rules", "--data", "data", "--format", "json",
        ],
    ));
    let pts: Vec<f64> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["indicators"]["kind_points"].as_f64().unwrap())
        .collect();
    assert_eq!(pts, [5.0, 2.5, 5.0]);
    let explain = stdout(&bangfu_in(
        dir.path(),
        &["explain", "E2", "--rules", "rules", "--data", "data"],
    ));
    assert!(
        explain.contains(
            "lookup: the points of the category in `event_types` (column `points` by `type_id`)"
        ),
        "{explain}"
    );
}

#[test]
fn check_reports_a_type_the_table_lacks_where_the_event_is() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "type_id,points\nhelp,5\n");
    let o = bangfu_in(dir.path(), &["check", "--rules", "rules", "--data", "data"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stdout(&o) + &stderr(&o);
    assert!(
        err.contains("data/events.csv, row 3, column `type_id`: no points for this category in `event_types` (found `clean`)"),
        "{err}"
    );
}

#[test]
fn test_cases_give_the_points_table_as_a_table() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "type_id,points\nhelp,5\nclean,2.5\n");
    std::fs::create_dir_all(dir.path().join("rules/tests")).unwrap();
    std::fs::write(
        dir.path().join("rules/tests/events.yaml"),
        r#"base: { id: E1, type_id: help }
tables:
  event_types:
    - { type_id: help, points: 4 }
    - { type_id: clean, points: 1 }
cases:
  - name: help scores the case table's 4
    expect: { total: 4 }
  - name: clean scores 1
    entity: { type_id: clean }
    expect: { total: 1 }
"#,
    )
    .unwrap();
    let o = bangfu_in(
        dir.path(),
        &["test", "--rules", "rules", "--format", "json"],
    );
    let doc = json(&o);
    assert_eq!(doc["passed"], 2, "{doc}");
}

/// Points typed in full-width digits in the table of types read as the numbers they are, as
/// in any other table.
#[test]
fn full_width_points_read_as_numbers() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), "type_id,points\nhelp,５\nclean,２．５\n");
    let out = json(&bangfu_in(
        dir.path(),
        &[
            "run", "--rules", "rules", "--data", "data", "--format", "json",
        ],
    ));
    let pts: Vec<f64> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["indicators"]["kind_points"].as_f64().unwrap())
        .collect();
    assert_eq!(pts, [5.0, 2.5, 5.0]);
}
