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
    // Merged cells read back empty after their first: the value is the next text after the name.
    let texts: Vec<String> = row
        .iter()
        .map(|c| c.to_string())
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(texts[..4], ["验收合格线", "pass_line", "70", "分"]);
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
        (&["criteria", "--quiet"], "`--quiet` would leave nothing"),
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

/// A rule set with every scoring method and input, its table snapshotted: each reads in words.
const ALL_METHODS: &str = r#"kind: office
label: 科室 (office)
table: offices
id_column: id
columns:
  kind: { type: category, categories: { front: 窗口, back: 后台 } }
dimensions:
  - { id: work, label: 工作 (work), max: 120, min: floor_line }
indicators:
  - { id: t_high, label: 达标, dimension: work, input: a, unit: 件, scoring: { method: threshold, target: 5, partial: 1, points: 5 } }
  - { id: t_low, label: 差错, dimension: work, input: b, scoring: { method: threshold, target: 2, direction: lower, points: 5 } }
  - { id: lin_low, label: 等待, dimension: work, input: c, unit: 天, scoring: { method: linear, from: 10, to: 2, points: 5 } }
  - id: band
    label: 分档
    dimension: work
    input: a
    unit: 件
    scoring:
      method: bands
      points: 10
      bands:
        - { range: "(-inf, 3)", points: 0 }
        - { range: "[3, 5]", points: 6 }
        - { range: "(5, inf)", points: 10 }
  - { id: ded, label: 扣分, dimension: work, input: b, type: integer, min: 0, unit: 次, scoring: { method: deduct, per: 2.5, points: 5 } }
  - { id: bon, label: 加分, dimension: work, input: b, type: integer, min: 0, scoring: { method: bonus, per: 0.1, points: 5 } }
  - { id: yes, label: 是否, dimension: work, input: ok, scoring: { method: boolean, points: 5 } }
  - { id: scr, label: 脚本, dimension: work, input: b, type: integer, min: 0, scoring: { method: script, function: audit_points, points: 4 } }
  - { id: look, label: 类别, dimension: work, input: kind, scoring: { method: lookup, points: 6, table: { front: 6, back: 3 } } }
  - { id: rel, label: 相对, dimension: work, input: a, min: 0, scoring: { method: relative, points: 10 } }
  - { id: rnk, label: 名次, dimension: work, input: a, min: 0, scoring: { method: rank, per: 1.5, floor: 2, points: 10 } }
  - { id: mm, label: 区间, dimension: work, input: c, min: 0, scoring: { method: minmax, direction: lower, points: 10 } }
  - { id: z, label: 标准分, dimension: work, input: c, min: 0, scoring: { method: zscore, from: -2, to: 2, points: 10 } }
  - { id: ratio, label: 比率, dimension: work, input: { ratio: { num: a, den: c, if_zero: 0 } }, scoring: { method: linear, from: 0, to: 1, points: 5 } }
  - { id: formula, label: 公式, dimension: work, input: { expr: a + 2 * b }, scoring: { method: linear, from: 0, to: 20, points: 5 } }
  - { id: growth, label: 增长, dimension: work, input: { change: { column: c, as: percent, if_zero: 0 } }, unit: "%", scoring: { method: linear, from: 0, to: 10, points: 5 } }
  - { id: gain, label: 增加, dimension: work, input: { change: { column: a } }, scoring: { method: threshold, target: 1, points: 5 } }
  - { id: events, label: 事件积分, dimension: work, input: type_id, scoring: { method: lookup, points_from: { table: event_types, key: type_id, column: points }, points: 10 } }
gates:
  - { id: zeroed, label: 清零, all: [b > 9], effect: zero, zero: [bon], message: 差错过多不得加分 }
  - { id: forced, label: 直接定为, when: "a > 100 && b == 0", effect: force_outcome, outcome: top, message: 特别突出 }
grades:
  - { id: good, label: 好, range: "[floor_line, 120]" }
  - { id: bad, label: 差, range: "[0, floor_line)" }
outcomes:
  - { id: top, label: 突出, when: "total >= floor_line + 30" }
  - { id: done, label: 完成, passing: true }
  - { id: none, label: 未完成 }
"#;

#[test]
fn every_scoring_method_reads_in_words() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("rules/kinds")).unwrap();
    std::fs::create_dir_all(dir.join("rules/scripts")).unwrap();
    std::fs::write(
        dir.join("rules/ruleset.yaml"),
        "name: 全部方法 (every method)\nversion: \"1\"\nprimary: office\nparameters:\n  floor_line: { value: 40, label: 底线, unit: 分 }\n",
    )
    .unwrap();
    std::fs::write(dir.join("rules/kinds/office.yaml"), ALL_METHODS).unwrap();
    std::fs::copy(
        root().join("rules/scripts/helpers.rhai"),
        dir.join("rules/scripts/helpers.rhai"),
    )
    .unwrap();
    let o = common::bangfu_in(dir, &["criteria", "--rules", "rules", "--format", "md"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("criteria_every_method_md", stdout(&o));
}
