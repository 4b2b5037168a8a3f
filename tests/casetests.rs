//! `bangfu test` and `bangfu init`: the default rules' cases pass with full coverage; a changed
//! band fails a named case with a diff; a new rule set passes `check` and `test` at once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in as bangfu, copy_dir, root, stdout};

#[test]
fn the_default_rules_pass_their_tests_with_full_coverage() {
    let o = bangfu(&root(), &["test"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("(100%)"), "{out}");
    assert!(out.contains(" 0 failed"), "{out}");
    let j = bangfu(&root(), &["test", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert!(v["passed"].as_u64().unwrap() >= 20);
    for item in v["coverage"]["items"].as_array().unwrap() {
        assert_eq!(item["covered"], item["total"], "{item}");
    }
}

#[test]
fn a_changed_band_fails_a_named_case_with_a_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    let village = rules.join("kinds/village.yaml");
    let text = std::fs::read_to_string(&village).unwrap();
    let changed = text.replacen(
        r#"- { range: "[5, 10)", points: 7 }"#,
        r#"- { range: "[5, 10)", points: 6 }"#,
        1,
    );
    assert_ne!(text, changed);
    std::fs::write(&village, changed).unwrap();
    let o = bangfu(
        &root(),
        &["test", "--rules", rules.to_str().unwrap(), "--quiet"],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAILED"), "{out}");
    assert!(out.contains("expected") && out.contains("got"), "{out}");
    assert!(
        out.contains("collective_income"),
        "the diff traces the differing item: {out}"
    );
}

#[test]
fn a_case_that_checks_nothing_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new");
    assert_eq!(
        bangfu(tmp.path(), &["init", dir.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(
        dir.join("rules/tests/empty.yaml"),
        "cases:\n  - name: nothing\n    expect: {}\n",
    )
    .unwrap();
    let o = bangfu(&dir, &["test"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("the case checks nothing"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn init_writes_a_rule_set_that_passes_check_and_test() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-criteria");
    let o = bangfu(tmp.path(), &["init", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for args in [vec!["check"], vec!["test"], vec!["run"], vec!["compare"]] {
        let o = bangfu(&dir, &args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}{}",
            stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(stdout(&bangfu(&dir, &["test"])).contains("(100%)"));
    // Never over an existing folder.
    assert_eq!(
        bangfu(tmp.path(), &["init", dir.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

/// A case's data problems name the case's rows, not the folder its tables were written to,
/// and the columns a case leaves out are listed once, with where to give them.
#[test]
fn a_case_with_bad_data_names_its_rows_not_a_temporary_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new");
    assert_eq!(
        bangfu(tmp.path(), &["init", dir.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let file = std::fs::read_to_string(dir.join("rules/tests/villages.yaml")).unwrap();
    let base = file.split("cases:").next().unwrap();
    std::fs::write(
        dir.join("rules/tests/villages.yaml"),
        format!(
            "{base}cases:\n  - name: bad cells\n    villages:\n      - {{ petitions: many }}\n      - {{ village_id: T2, funds_wan: -3 }}\n    expect: {{ outcome: exit }}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("rules/tests/bare.yaml"),
        "cases:\n  - name: no base\n    village: { village_id: T1, petitions: 0 }\n    expect: { outcome: exit }\n",
    )
    .unwrap();
    let o = bangfu(&dir, &["test", "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(!out.contains(tmp.path().to_str().unwrap()), "{out}");
    assert!(!out.contains(".tmp"), "{out}");
    let errors: String = out
        .lines()
        .filter(|l| l.contains("error:") || l.contains("help:") || l.contains("FAILED"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("case_data_errors", errors);
}
