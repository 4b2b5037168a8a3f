#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! `bangfu criteria`: the printed scoring table of every rule set, as a scenario changes it,
//! in every format.

mod common;

use calamine::Reader;
use common::{bangfu, root, stderr, stdout};

/// `criteria --format md` of a rule set (relative to the repository root), which must succeed.
fn md(rules: &str, extra: &[&str]) -> String {
    let mut args = vec!["criteria", "--rules", rules, "--format", "md"];
    args.extend_from_slice(extra);
    let o = bangfu(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

const EXAMPLES: &[&str] = &[
    "county-sheet",
    "exit-list",
    "monthly-sheets",
    "household-check",
];

#[test]
fn the_default_rules_as_a_scoring_table() {
    insta::assert_snapshot!("criteria_default_md", md("rules", &[]));
}

#[test]
fn every_example_rule_set_as_a_scoring_table() {
    for name in EXAMPLES {
        let text = md(&format!("examples/{name}/rules"), &[]);
        insta::assert_snapshot!(format!("criteria_example_{name}_md"), text);
    }
}

/// Every indicator of every kind shows, by id and by label: a method the table could not put
/// into words would leave its row out, and fail here.
#[test]
fn every_indicator_of_every_rule_set_is_in_the_table() {
    let sets: Vec<String> = std::iter::once("rules".to_string())
        .chain(EXAMPLES.iter().map(|e| format!("examples/{e}/rules")))
        .collect();
    for set in sets {
        let (rules, _) = bangfu::rules::load(&root().join(&set)).expect("the rules load");
        let text = md(&set, &[]);
        let all = bangfu::criteria::indicator_ids(&rules);
        for (kind, id, label) in all {
            assert!(
                text.contains(&format!("| {id} |")),
                "{set}: {kind}.{id} is missing"
            );
            assert!(
                text.contains(&label),
                "{set}: {kind}.{id}'s label `{label}` is missing"
            );
        }
        for k in std::iter::once(&rules.primary).chain(&rules.units) {
            for g in &k.gates {
                assert!(
                    text.contains(&format!("| {} |", g.id)),
                    "{set}: gate {}",
                    g.id
                );
            }
            for o in &k.outcomes {
                assert!(
                    text.contains(&format!("| {} |", o.id)),
                    "{set}: outcome {}",
                    o.id
                );
            }
        }
    }
}

#[test]
fn a_scenario_s_change_shows_in_its_line_and_the_table_is_marked() {
    let base = md("rules", &[]);
    let proposal = md("rules", &["--scenario", "pass_line_75"]);
    let line = |text: &str, id: &str| {
        text.lines()
            .find(|l| l.starts_with("| 1 |") && l.contains(&format!("| {id} |")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line(&base, "exit").contains("总分 ≥ 70（pass_line（验收合格线） = 70 分）"),
        "{}",
        line(&base, "exit")
    );
    assert!(
        line(&proposal, "exit").contains("总分 ≥ 75（pass_line（验收合格线） = 75 分）"),
        "{}",
        line(&proposal, "exit")
    );
    assert!(!base.contains("模拟测算"));
    assert!(proposal.starts_with("> **模拟测算，非正式结果 · 合格线提高到 75 分"));
    // The grade lines named by the parameter move with it.
    assert!(proposal.contains("| 合格 | pass | 75 分（含）至 80 分（不含）"));
    // Only what the scenario changes differs (besides the mark and the parameter's value).
    let changed: Vec<(&str, &str)> = base
        .lines()
        .zip(proposal.lines().skip(2))
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 4, "{changed:#?}");
}

#[test]
fn a_gate_switched_off_says_so() {
    let text = md("rules", &["--gate", "collective_petition=off"]);
    let line = text
        .lines()
        .find(|l| l.contains("| collective_petition |"))
        .unwrap();
    assert!(line.contains("（已停用）一票否决"), "{line}");
    assert!(text.contains("模拟测算"));
}

#[test]
fn a_set_flag_changes_a_dimension_minimum() {
    let text = md("rules", &["--set", "village.dimensions.economy.min=15"]);
    let line = text
        .lines()
        .find(|l| l.contains("| **economy** |"))
        .unwrap();
    assert!(line.contains("低于 15 分不能通过"), "{line}");
}

#[test]
fn the_terminal_table_has_ascii_borders() {
    let o = bangfu(&["criteria"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("-+-"), "psql borders");
    assert!(!text.contains('│') && !text.contains('─'));
    // Ambiguous-width signs are spelt one column wide.
    assert!(!text.contains('≥') && !text.contains('÷'));
    assert!(text.contains("历史遗留问题化解率"));
}

#[test]
fn the_workbook_reads_back_with_a_sheet_per_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("评分细则.xlsx");
    let o = bangfu(&[
        "criteria",
        "--format",
        "xlsx",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut wb = calamine::open_workbook_auto(&out).unwrap();
    let names = wb.sheet_names().to_vec();
    assert_eq!(
        names,
        [
            "后进村",
            "包帮部门",
            "市级领导",
            "驻村干部",
            "驻村工作队",
            "镇街区",
            "参数"
        ],
    );
    let range = wb.worksheet_range("后进村").unwrap();
    let cells: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert_eq!(
        cells.first().map(String::as_str),
        Some("后进村 (backward village)")
    );
    for want in [
        "评分指标",
        "历史遗留问题化解率",
        "否决与条件",
        "等次",
        "每 1 起扣 1 分，4 分扣完为止。每起扣 1 分，扣完为止",
    ] {
        assert!(cells.iter().any(|c| c == want), "`{want}` is not a cell");
    }
    let params = wb.worksheet_range("参数").unwrap();
    let row = params
        .rows()
        .find(|r| r.iter().any(|c| *c == "pass_line"))
        .expect("the pass line");
    assert_eq!(row[2].to_string(), "70");
}

#[test]
fn the_page_is_one_file_that_prints_on_a4() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("criteria.html");
    let o = bangfu(&[
        "criteria",
        "--format",
        "html",
        "--out",
        out.to_str().unwrap(),
        "--scenario",
        "pass_line_75",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("@page { size: A4 landscape; }"));
    assert!(html.contains("thead { display: table-header-group; }"));
    assert!(html.contains("break-inside: avoid"));
    assert!(html.contains(
        "<div class=\"what-if\" role=\"note\">模拟测算，非正式结果 · 合格线提高到 75 分"
    ));
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    // Nothing else is left in the folder (the file was staged and moved into place).
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 1);
    // Without `--out` the page goes to stdout.
    let o = bangfu(&["criteria", "--format", "html"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("<h1>后进村帮扶验收细则 评分细则</h1>"));
}

#[test]
fn usage_mistakes_exit_2_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["criteria", "--format", "xlsx"], "add `--out FILE`"),
        (
            &["criteria", "--format", "json"],
            "`criteria` has no `--format json`",
        ),
        (&["criteria", "--out", "rules"], "is a folder"),
        (
            &["criteria", "--out", "/tmp/bangfu-criteria-test.xlsx"],
            "add `--format xlsx`",
        ),
        (
            &["criteria", "--data", "data/sample"],
            "does not read `--data`",
        ),
        (&["criteria", "--set", "pass_lin=75"], "pass_lin"),
    ];
    for (args, want) in cases {
        let o = bangfu(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

#[test]
fn the_table_is_never_written_into_the_rules() {
    let o = bangfu(&["criteria", "--format", "md", "--out", "rules/criteria.md"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!root().join("rules/criteria.md").exists());
}

#[test]
fn an_unknown_scenario_is_an_invalid_scenario() {
    let o = bangfu(&["criteria", "--scenario", "pass_line_57"]);
    assert_eq!(o.status.code(), Some(3));
    insta::assert_snapshot!("criteria_unknown_scenario", stderr(&o));
}

#[test]
fn the_help_has_examples() {
    let o = bangfu(&["criteria", "--help"]);
    let help = stdout(&o);
    assert!(help.contains("bangfu criteria --format html --out 评分细则.html"));
    assert!(help.contains("Output format: table, md, html or xlsx"));
    assert!(help.contains("--out <FILE>"));
    assert!(!help.contains("--data"));
}
