//! A rule set whose primary kind is not villages (`tests/teams/`: work teams judged through
//! their offices) speaks of teams, never of villages; and the JSON documents never hold a key
//! twice, whatever the tables and kinds are called.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in, copy_dir, root, stderr, stdout};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn teams() -> PathBuf {
    root().join("tests/teams")
}

/// Run in the teams rule set's folder (its `rules/`, `data/sample/` and `scenarios/`).
fn bangfu(args: &[&str]) -> Output {
    bangfu_in(&teams(), args)
}

/// Fails the test when `text` speaks of villages. The teams data holds no such word either,
/// so any occurrence is bangfu's own wording.
fn assert_neutral(what: &str, text: &str) {
    let lower = text.to_lowercase();
    for word in ["village", "村"] {
        if let Some(at) = lower.find(word) {
            let start = lower[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            let context: String = lower[start..].chars().take(140).collect();
            panic!("{what} says `{word}`: …{context}…");
        }
    }
}

/// Stdout and stderr of a command that must exit with `code`, checked for village words.
fn neutral(args: &[&str], code: i32) -> String {
    let o = bangfu(args);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    let (out, err) = (stdout(&o), stderr(&o));
    assert_neutral(&format!("`{}` stdout", args.join(" ")), &out);
    assert_neutral(&format!("`{}` stderr", args.join(" ")), &err);
    out
}

/// Every file in `dir` (workbooks read cell by cell) checked for village words.
fn assert_files_neutral(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let text = if name.ends_with(".xlsx") {
            use calamine::Reader;
            let mut wb = calamine::open_workbook_auto(&p).unwrap();
            let mut all = wb.sheet_names().join("\n");
            for sheet in wb.sheet_names() {
                let range = wb.worksheet_range(&sheet).unwrap();
                for row in range.rows() {
                    for c in row {
                        all.push_str(&c.to_string());
                        all.push('\n');
                    }
                }
            }
            all
        } else {
            std::fs::read_to_string(&p).unwrap()
        };
        assert_neutral(&name, &text);
        names.push(name);
    }
    names.sort();
    names
}

#[test]
fn a_work_team_rule_set_never_speaks_of_villages() {
    let check = neutral(&["check"], 0);
    insta::assert_snapshot!("teams_check", check);
    neutral(&["check", "--format", "json"], 0);

    let table = neutral(&["run"], 0);
    insta::assert_snapshot!("teams_run", table);
    for format in ["json", "csv", "md", "table"] {
        neutral(&["run", "--format", format], 0);
    }
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("results");
    neutral(&["run", "--out", dir.to_str().unwrap()], 0);
    assert_eq!(
        assert_files_neutral(&dir),
        [
            "manifest.json",
            "offices.csv",
            "report.html",
            "results.json",
            "results.xlsx",
            "teams.csv"
        ]
    );
    // The offices' count of their teams is named after the primary kind.
    let offices = std::fs::read_to_string(dir.join("offices.csv")).unwrap();
    assert!(
        offices.contains(",rank,award,team_count,notes\n"),
        "{offices}"
    );

    insta::assert_snapshot!("teams_explain_t2", neutral(&["explain", "T2"], 0));
    insta::assert_snapshot!("teams_explain_o1", neutral(&["explain", "O1"], 0));
    for id in ["T2", "T3", "O1", "O2"] {
        neutral(&["explain", id, "--format", "json"], 0);
    }
    let unknown = bangfu(&["explain", "X9"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_neutral("explain X9", &stderr(&unknown));
    assert!(
        stderr(&unknown).contains("no team or unit with id `X9`"),
        "{}",
        stderr(&unknown)
    );

    insta::assert_snapshot!("teams_compare", neutral(&["compare"], 0));
    neutral(&["compare", "--format", "json"], 0);

    let sens = neutral(&["sensitivity", "--draws", "40"], 0);
    insta::assert_snapshot!("teams_sensitivity", sens);
    neutral(&["sensitivity", "--draws", "40", "--format", "json"], 0);
    let sdir = out.path().join("sensitivity");
    neutral(
        &[
            "sensitivity",
            "--draws",
            "40",
            "--out",
            sdir.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(
        assert_files_neutral(&sdir),
        [
            "sensitivity.json",
            "sensitivity_teams.csv",
            "sensitivity_units.csv"
        ]
    );

    // One case of the teams' tests is wrong on purpose, so that a failure's diff shows too.
    insta::assert_snapshot!("teams_test", neutral(&["test"], 1));
    neutral(&["test", "--format", "json"], 1);
}

/// A JSON value read by a parser that refuses an object holding a key twice (serde_json's
/// own keeps the last and drops the others without a word).
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, x: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(x)))
    }
    fn visit_i64<E>(self, x: i64) -> Result<Strict, E> {
        Ok(Strict(x.into()))
    }
    fn visit_u64<E>(self, x: u64) -> Result<Strict, E> {
        Ok(Strict(x.into()))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Strict, E> {
        Ok(Strict(x.into()))
    }
    fn visit_str<E>(self, x: &str) -> Result<Strict, E> {
        Ok(Strict(x.into()))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut v = Vec::new();
        while let Some(Strict(x)) = seq.next_element()? {
            v.push(x);
        }
        Ok(Strict(Value::Array(v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut o = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if o.insert(k.clone(), v).is_some() {
                return Err(serde::de::Error::custom(format!("key `{k}` given twice")));
            }
        }
        Ok(Strict(Value::Object(o)))
    }
}

fn strict(what: &str, bytes: &[u8]) -> Value {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match Strict::deserialize(&mut de) {
        Ok(Strict(v)) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// The teams rule set with the primary table and the office kind renamed to `name`, and the
/// link column renamed to `link_column`.
fn renamed(name: &str, link_column: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&teams(), dir.path());
    let edit = |path: &str, from: &str, to: &str| {
        let p = dir.path().join(path);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{path} has no `{from}`");
        std::fs::write(&p, text.replace(from, to)).unwrap();
    };
    edit(
        "rules/kinds/team.yaml",
        "table: teams",
        &format!("table: {name}"),
    );
    edit(
        "rules/kinds/office.yaml",
        "kind: office",
        &format!("kind: {name}"),
    );
    for f in [
        "rules/kinds/team.yaml",
        "rules/kinds/office.yaml",
        "data/sample/teams.csv",
        "data/sample/offices.csv",
        "rules/tests/teams.yaml",
    ] {
        edit(f, "office_id", link_column);
    }
    std::fs::rename(
        dir.path().join("data/sample/teams.csv"),
        dir.path().join(format!("data/sample/{name}.csv")),
    )
    .unwrap();
    dir
}

/// The key of the primary list, as the document states it; the list must be there in full.
fn primary_list<'a>(doc: &'a Value, what: &str) -> &'a Vec<Value> {
    assert_eq!(doc["layout"], 2, "{what}");
    assert_eq!(
        doc.as_object().unwrap().keys().next().map(String::as_str),
        Some("layout"),
        "{what}: `layout` comes first"
    );
    let key = doc["primary"]["key"].as_str().unwrap();
    assert_eq!(doc["primary"]["kind"], "team", "{what}");
    doc[key]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no list under `{key}`"))
}

#[test]
fn every_fixed_key_works_as_a_table_and_kind_name() {
    let names = [
        // results.json and its summary
        "layout",
        "primary",
        "manifest",
        "units",
        "summary",
        "grades",
        "totals",
        "funds",
        // where a list named like one of them goes instead
        "entities", // sensitivity.json
        "draws",
        "seed",
        "parameters",
        "borderline",
        "influence",
    ];
    for name in names {
        // `notes` and `rank` are keys of a unit's result: the link column is then written
        // under `columns`, on the teams and on the offices.
        let link = if name.len() % 2 == 0 { "notes" } else { "rank" };
        let dir = renamed(name, link);
        let run = |args: &[&str]| {
            let o = bangfu_in(dir.path(), args);
            assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
            o.stdout
        };
        let doc = strict(name, &run(&["run", "--format", "json"]));
        assert_eq!(doc["primary"]["table"], name);
        let teams = primary_list(&doc, name);
        let ids: Vec<&str> = teams.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["T1", "T2", "T3", "T4", "T5"], "{name}");
        assert_eq!(teams[2]["columns"][link], "O2", "{name}: {}", teams[2]);
        assert_eq!(teams[2]["outcome"], "redo", "{name}");
        let offices = doc["units"][name].as_array().unwrap();
        assert_eq!(offices.len(), 2, "{name}");
        assert_eq!(offices[1]["team_count"], 3, "{name}");
        assert_eq!(offices[1]["rank"], 1, "{name}");
        let key = doc["primary"]["key"].as_str().unwrap();
        let summary = &doc["summary"];
        assert_eq!(summary[key]["done"], 3, "{name}: {summary}");
        assert_eq!(summary[key]["redo"], 2, "{name}: {summary}");
        assert_eq!(summary["grades"]["good"], 2, "{name}: {summary}");
        assert_eq!(summary["units"][name]["praised"], 1, "{name}: {summary}");
        assert_eq!(summary["funds"][name]["paid"], 10000, "{name}: {summary}");

        let out = dir.path().join("out");
        run(&["run", "--out", out.to_str().unwrap()]);
        let written = strict(name, &std::fs::read(out.join("results.json")).unwrap());
        assert_eq!(written, doc, "{name}: results.json and --format json agree");

        let sens = strict(
            name,
            &run(&["sensitivity", "--draws", "10", "--format", "json"]),
        );
        let entities = primary_list(&sens, name);
        assert_eq!(entities.len(), 5, "{name}");
        assert_eq!(sens["draws"], 10, "{name}");
        assert!(sens["borderline"].is_array(), "{name}");
        assert!(sens["influence"].is_array(), "{name}");
        assert!(sens["parameters"].is_array(), "{name}");
    }
}

#[test]
fn the_primary_list_keeps_its_table_name_unless_it_is_taken() {
    let doc = strict("teams", &bangfu(&["run", "--format", "json"]).stdout);
    assert_eq!(
        doc["primary"],
        serde_json::json!({"kind": "team", "table": "teams", "key": "teams"})
    );
    let dir = renamed("units", "office_id");
    let o = bangfu_in(dir.path(), &["run", "--format", "json"]);
    let doc = strict("units", &o.stdout);
    assert_eq!(doc["primary"]["key"], "entities");
    assert_eq!(doc["entities"].as_array().unwrap().len(), 5);
    // The unit kind named `units` sits in `units`, which is an object of kinds.
    assert_eq!(doc["units"]["units"].as_array().unwrap().len(), 2);
    // A text column with a name of its own stays beside the other fields.
    assert_eq!(doc["entities"][0]["office_id"], "O1");
    assert!(doc["entities"][0].get("columns").is_none());
}

#[test]
fn every_json_document_states_its_layout_first() {
    let out = tempfile::tempdir().unwrap();
    let sdir = out.path().join("s");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["check", "--format", "json"], 0),
        (vec!["run", "--format", "json"], 0),
        (vec!["explain", "T2", "--format", "json"], 0),
        (vec!["explain", "O1", "--format", "json"], 0),
        (vec!["compare", "--format", "json"], 0),
        (vec!["test", "--format", "json"], 1),
        (vec!["sensitivity", "--draws", "10", "--format", "json"], 0),
        (
            vec![
                "sensitivity",
                "--draws",
                "10",
                "--out",
                sdir.to_str().unwrap(),
            ],
            0,
        ),
    ];
    for (args, code) in cases {
        let o = bangfu(&args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        let bytes = if args.contains(&"--out") {
            std::fs::read(sdir.join("sensitivity.json")).unwrap()
        } else {
            o.stdout
        };
        let doc = strict(&args.join(" "), &bytes);
        let first = doc.as_object().unwrap().iter().next().unwrap();
        assert_eq!(
            (first.0.as_str(), first.1),
            ("layout", &Value::from(2)),
            "{args:?}"
        );
    }
    // A unit kind that is not ranked has no rank: `null`, not 0.
    let o = bangfu(&["explain", "O1", "--format", "json"]);
    let e = strict("explain", &o.stdout);
    assert_eq!(e["unit"]["rank"], 2);
    assert_eq!(
        e["unit"]["aggregates"][0]["covered"],
        serde_json::json!(["T1", "T2"])
    );
}

#[test]
fn a_test_file_gives_teams_under_entity_keys() {
    // The teams' own tests use `entity:`; a mistyped key is answered with the neutral keys.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&teams(), dir.path());
    let file = dir.path().join("rules/tests/teams.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("    entity: { days_on_post: 12 }"));
    std::fs::write(&file, text.replacen("    entity: ", "    entitty: ", 1)).unwrap();
    let o = bangfu_in(dir.path(), &["test"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim_end(),
        "error: rules/tests/teams.yaml:12:5: cases[1]: unknown key `entitty`, expected one of \
         `name`, `scenario`, `entity`, `baseline`, `entities`, `tables`, `tolerance`, `expect`"
    );

    // Top-level expectations on a case with several teams point to `entities:`.
    let several = "description: several\nbase: { team_id: T01, name: 队, office_id: O1, tasks_done: 10, days_on_post: 25 }\n\
        cases:\n  - name: two teams\n    entities: [{ team_id: A }, { team_id: B }]\n    expect: { outcome: done }\n  \
        - name: per team\n    entities: [{ team_id: A }, { team_id: B, tasks_done: 0 }]\n    \
        expect: { entities: { A: { outcome: done }, B: { outcome: redo, total: 30 } } }\n";
    std::fs::write(&file, several).unwrap();
    let o = bangfu_in(dir.path(), &["test"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert_neutral("test with several teams", &out);
    assert!(
        out.contains("expected one team for top-level expectations, got 2 teams; put expectations under `entities:`"),
        "{out}"
    );
    assert!(out.contains("  ok      per team"), "{out}");
}

#[test]
fn a_link_table_names_its_team_column_in_neutral_words() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&teams(), dir.path());
    let office = dir.path().join("rules/kinds/office.yaml");
    let text = std::fs::read_to_string(&office).unwrap();
    let linked = |link: &str| {
        std::fs::write(
            &office,
            text.replace("link: { column: office_id }", &format!("link: {link}")),
        )
        .unwrap();
    };
    linked("{ table: assignments, unit_column: office_id, primary_column: team_id }");
    std::fs::write(
        dir.path().join("data/sample/assignments.csv"),
        "office_id,team_id\nO1,T1\nO1,T2\nO2,T3\nO2,T4\nO2,T5\nO2,T9\n",
    )
    .unwrap();
    let o = bangfu_in(dir.path(), &["run"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_neutral("a link to an unknown team", &stderr(&o));
    assert!(
        stderr(&o).contains("assignments.csv, row 7, column `team_id`: no such team (found `T9`)"),
        "{}",
        stderr(&o)
    );

    // Without the unknown team, the link table gives the same results as the link column.
    std::fs::write(
        dir.path().join("data/sample/assignments.csv"),
        "office_id,team_id\nO1,T1\nO1,T2\nO2,T3\nO2,T4\nO2,T5\n",
    )
    .unwrap();
    let by_table = strict(
        "link table",
        &bangfu_in(dir.path(), &["run", "--format", "json"]).stdout,
    );
    let by_column = strict("link column", &bangfu(&["run", "--format", "json"]).stdout);
    assert_eq!(by_table["units"], by_column["units"]);

    linked("{ column: office_id, primary_column: team_id }");
    let o = bangfu_in(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_neutral("a link with both", &(stdout(&o) + &stderr(&o)));
    assert!(
        (stdout(&o) + &stderr(&o))
            .contains("`unit_column` and `primary_column` go with `table`, not `column`"),
        "{}",
        stderr(&o)
    );
}
