//! What-ifs from the command line: `--set` and `--gate` give exactly what the equivalent
//! scenario file gives, `explain` follows them, and every output of a what-if carries the
//! mark that the baseline's never carry.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, bangfu_in, copy_dir, json, root, stderr, stdout};

use calamine::{open_workbook_auto, Data, Reader};
use std::path::Path;

const MARK: &str = "模拟测算，非正式结果";

/// `run --out DIR` in a scratch copy of the repository's inputs, with extra arguments.
fn run_out(work: &Path, out: &str, extra: &[&str]) {
    let mut args = vec!["run", "--quiet", "--out", out];
    args.extend_from_slice(extra);
    let o = bangfu_in(work, &args);
    assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
}

/// The rules, the sample data and the scenarios, copied where a test may add scenario files.
fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for d in ["rules", "data/sample", "scenarios"] {
        copy_dir(&root().join(d), &tmp.path().join(d));
    }
    tmp
}

/// The CSV files of a results folder, by name.
fn csv_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// results.json without its manifest, which names the what-if (a file or flags).
fn results_without_manifest(dir: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("manifest");
    v
}

#[test]
fn set_flags_give_the_same_results_as_the_equivalent_scenario_file() {
    let tmp = workspace();
    let work = tmp.path();
    run_out(work, "baseline", &[]);
    // (flags, the scenario file that says the same, a result file the change must alter)
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--set", "pass_line=72"],
            "parameters:\n  pass_line: 72\n",
            "villages.csv",
        ),
        (
            &["--set", "village.dimensions.economy.min=14"],
            "set:\n  village.dimensions.economy.min: 14\n",
            "villages.csv",
        ),
        (
            &[
                "--set",
                "village.indicators.collective_income.scoring.points=13",
                "--set",
                "village.indicators.collective_income.scoring.bands[3].points=13",
                "--set",
                "village.indicators.investment.scoring.points=2",
            ],
            "set:\n  village.indicators.collective_income.scoring.points: 13\n  village.indicators.collective_income.scoring.bands[3].points: 13\n  village.indicators.investment.scoring.points: 2\n",
            "villages.csv",
        ),
        (
            &["--set", "department.fund.budget=600000"],
            "set:\n  department.fund.budget: 600000\n",
            "departments.csv",
        ),
        (
            &["--set", "village.outcomes.exit.all=[total >= 75]"],
            "set:\n  village.outcomes.exit.all: [total >= 75]\n",
            "villages.csv",
        ),
        (
            &["--gate", "hazard_outstanding=off", "--set", "min_stability=10"],
            "gates:\n  off: [hazard_outstanding]\nparameters:\n  min_stability: 10\n",
            "villages.csv",
        ),
    ];
    let baseline = csv_files(&work.join("baseline"));
    for (n, (flags, file, changed)) in cases.iter().enumerate() {
        let name = format!("same_{n}");
        std::fs::write(work.join(format!("scenarios/{name}.yaml")), file).unwrap();
        let by_flags = format!("flags_{n}");
        let by_file = format!("file_{n}");
        run_out(work, &by_flags, flags);
        run_out(work, &by_file, &["--scenario", &name]);
        let a = csv_files(&work.join(&by_flags));
        let b = csv_files(&work.join(&by_file));
        assert_eq!(a.len(), baseline.len());
        for ((name_a, bytes_a), (name_b, bytes_b)) in a.iter().zip(&b) {
            assert_eq!(name_a, name_b);
            assert!(
                bytes_a == bytes_b,
                "{flags:?}: `{name_a}` differs from the scenario file's"
            );
        }
        assert_eq!(
            results_without_manifest(&work.join(&by_flags)),
            results_without_manifest(&work.join(&by_file)),
            "{flags:?}"
        );
        // The change did something: the two agree on a result that is not the baseline's.
        let base = &baseline.iter().find(|(f, _)| f == changed).unwrap().1;
        let now = &a.iter().find(|(f, _)| f == changed).unwrap().1;
        assert!(base != now, "{flags:?} left `{changed}` as it was");
    }
}

#[test]
fn set_flags_apply_on_top_of_a_scenario_file() {
    let tmp = workspace();
    let work = tmp.path();
    std::fs::write(
        work.join("scenarios/strict.yaml"),
        "name: strict\nbase: pass_line_75\nset:\n  village.dimensions.economy.min: 15\n",
    )
    .unwrap();
    run_out(work, "file", &["--scenario", "strict"]);
    run_out(
        work,
        "both",
        &[
            "--scenario",
            "pass_line_75",
            "--set",
            "village.dimensions.economy.min=15",
        ],
    );
    assert_eq!(csv_files(&work.join("file")), csv_files(&work.join("both")));
    // The flag wins over the file: pass_line_75 sets 75, the flag 72.
    let o = json(&bangfu_in(
        work,
        &[
            "run",
            "--scenario",
            "pass_line_75",
            "--set",
            "pass_line=72",
            "--format",
            "json",
        ],
    ));
    assert_eq!(o["manifest"]["parameters"]["pass_line"], 72.0);
    assert_eq!(o["manifest"]["scenario"]["name"], "pass_line_75");
    assert_eq!(
        o["manifest"]["what_if"]["set"],
        serde_json::json!(["pass_line=72"])
    );
}

#[test]
fn compare_shows_the_flags_as_a_column_of_their_own() {
    let o = bangfu(&["compare", "--set", "pass_line=75"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let head = text
        .lines()
        .find(|l| l.contains("后进村") && l.contains("baseline"))
        .unwrap();
    assert!(head.contains("| pass_line=75"), "{head}");
    // The same counts as the scenario file that raises the line to 75, and only that column.
    let by_flag = json(&bangfu(&[
        "compare",
        "--set",
        "pass_line=75",
        "--format",
        "json",
    ]));
    let by_file = json(&bangfu(&["compare", "pass_line_75", "--format", "json"]));
    assert_eq!(by_flag["scenarios"].as_array().unwrap().len(), 2);
    assert_eq!(by_flag["scenarios"][1]["name"], "pass_line=75");
    assert_eq!(
        by_flag["scenarios"][1]["counts"],
        by_file["scenarios"][1]["counts"]
    );
    assert_eq!(
        by_flag["changes"].as_array().unwrap().len(),
        by_file["changes"].as_array().unwrap().len()
    );
}

/// Flags too long to head a column are `S1` in every table people read, the award changes
/// too; the JSON keeps their full text for programs.
#[test]
fn long_flags_are_one_name_in_every_table() {
    let args = [
        "compare",
        "--set",
        "department.fund.budget=600000",
        "--set",
        "village.dimensions.economy.min=14",
    ];
    let o = bangfu(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let awards = text
        .split("奖励变化 (award changes)")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    let rows: Vec<&str> = awards
        .lines()
        .filter(|l| l.contains("| department |"))
        .collect();
    assert!(!rows.is_empty(), "{awards}");
    for r in &rows {
        assert!(r.trim_start().starts_with("S1 "), "{r}");
    }
    let j = json(&bangfu(&[&args[..], &["--format", "json"]].concat()));
    let full = "department.fund.budget=600000, village.dimensions.economy.min=14";
    assert!(j["awards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["scenario"] == full));
}

#[test]
fn explain_follows_a_what_if_and_says_so() {
    // V18 misses its stability minimum of 12 with 10.75: with a minimum of 10 it exits.
    let base = stdout(&bangfu(&["explain", "V18"]));
    assert!(base.contains("outcome: continue"), "{base}");
    assert!(!base.contains(MARK));
    let o = bangfu(&["explain", "V18", "--set", "min_stability=10"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(&format!("{MARK} · min_stability=10\n")),
        "{text}"
    );
    assert!(text.contains("outcome: exit"), "{text}");
    // A scenario file: V04's 70.00 points no longer reach the line of 75.
    let text = stdout(&bangfu(&["explain", "V04", "--scenario", "pass_line_75"]));
    assert!(
        text.starts_with(&format!("{MARK} · 合格线提高到 75 分")),
        "{text}"
    );
    assert!(text.contains("outcome: continue"), "{text}");
    assert!(
        text.contains("total 70.00 < 75") || text.contains("70.00"),
        "{text}"
    );
    let j = json(&bangfu(&[
        "explain",
        "V04",
        "--scenario",
        "pass_line_75",
        "--format",
        "json",
    ]));
    assert_eq!(j["what_if"]["scenario"], "pass_line_75");
    assert_eq!(j["what_if"]["mark"], MARK);
    assert_eq!(j["outcome"]["id"], "continue");
}

/// Every cell of every sheet of a workbook, as text, sheet by sheet.
fn sheets(path: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let mut wb = open_workbook_auto(path).unwrap();
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            Data::String(s) => s.clone(),
                            Data::Float(x) => x.to_string(),
                            Data::Int(x) => x.to_string(),
                            _ => String::new(),
                        })
                        .collect()
                })
                .collect();
            (name, rows)
        })
        .collect()
}

#[test]
fn a_what_if_is_marked_in_every_output_and_the_baseline_in_none() {
    let tmp = workspace();
    let work = tmp.path();
    run_out(work, "base", &[]);
    run_out(
        work,
        "flags",
        &["--set", "pass_line=72", "--gate", "hazard_outstanding=off"],
    );
    run_out(work, "file", &["--scenario", "pass_line_75"]);

    // The baseline: no mark anywhere, no `what_if` in its manifest.
    let base = work.join("base");
    for f in ["report.html", "manifest.json", "results.json"] {
        let text = std::fs::read_to_string(base.join(f)).unwrap();
        assert!(!text.contains(MARK), "{f}");
        assert!(!text.contains("what_if"), "{f}");
    }
    let base_sheets = sheets(&base.join("results.xlsx"));
    for (name, rows) in &base_sheets {
        assert!(
            rows.iter().flatten().all(|c| !c.contains(MARK)),
            "baseline sheet {name}"
        );
    }
    let base_terminal = stdout(&bangfu(&["run"]));
    assert!(!base_terminal.contains(MARK));

    for (dir, label) in [
        ("flags", "pass_line=72, gate hazard_outstanding=off"),
        ("file", "合格线提高到 75 分 (pass line raised to 75)"),
    ] {
        let out = work.join(dir);
        let banner = format!("{MARK} · {label}");
        // The manifest, and results.json which holds it.
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(m["what_if"]["mark"], MARK, "{dir}");
        assert_eq!(m["what_if"]["label"], label, "{dir}");
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
        assert_eq!(r["manifest"]["what_if"], m["what_if"]);
        // The report: a banner at the top of the page, and a watermark that prints.
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        let body = html.split("<body").nth(1).unwrap();
        let first = body.find(MARK).unwrap();
        assert!(
            first < body.find("<header").unwrap(),
            "{dir}: the banner comes before the title"
        );
        assert!(html.contains(&escape(label)), "{dir}");
        assert!(html.contains("class=\"watermark\""), "{dir}");
        assert!(html.contains("@media print"), "{dir}");
        // The workbook: row 1 of every sheet is the mark; the baseline's table follows it.
        let marked = sheets(&out.join("results.xlsx"));
        assert_eq!(marked.len(), base_sheets.len());
        for ((name, rows), (_, base_rows)) in marked.iter().zip(&base_sheets) {
            assert_eq!(rows[0][0], banner, "{dir}: sheet {name}");
            assert_eq!(
                rows[1], base_rows[0],
                "{dir}: sheet {name} has its header in row 2"
            );
        }
    }
    // The terminal, with and without a scenario file.
    let text = stdout(&bangfu(&["run", "--set", "pass_line=72"]));
    assert!(
        text.contains(&format!("\n\n{MARK} · pass_line=72\n")),
        "{text}"
    );
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn verify_reproduces_a_run_made_with_set_flags() {
    let tmp = workspace();
    let work = tmp.path();
    run_out(work, "out", &["--set", "pass_line=72"]);
    let o = bangfu_in(work, &["run", "--verify", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("reproduced"));
}

#[test]
fn test_runs_every_case_under_the_flags() {
    // A line of 75 breaks the cases written for a line of 70.
    let base = bangfu(&["test", "--quiet"]);
    assert_eq!(base.status.code(), Some(0), "{}", stderr(&base));
    let o = bangfu(&["test", "--quiet", "--set", "pass_line=75"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(&format!("{MARK} · pass_line=75")),
        "{text}"
    );
    assert!(text.contains("FAILED"), "{text}");
}

/// `compare` as a handout: a swap (two villages out, two in, the counts unchanged) at the
/// meeting's table, in every format and every file of `--out`.
const SWAP: [&str; 6] = [
    "--set",
    "min_leadership=6",
    "--set",
    "pass_line=70.01",
    "--kind",
    "village",
];

#[test]
fn compare_shows_a_swap_even_when_the_counts_stay_equal() {
    let doc = json(&bangfu(
        &[&["compare", "--format", "json"][..], &SWAP[..]].concat(),
    ));
    let counts = |i: usize| doc["scenarios"][i]["counts"]["village"].clone();
    assert_eq!(counts(0), counts(1), "the counts stay equal");
    let changes = doc["changes"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c["entity"].as_str().unwrap(), c["flip"].as_str().unwrap()))
        .collect();
    // Out first, then in, each in id order; only the villages were asked for.
    assert_eq!(
        seen,
        [("V04", "out"), ("V63", "out"), ("V44", "in"), ("V57", "in")]
    );
    assert!(changes.iter().all(|c| c["kind"] == "village"));
    let v04 = &changes[0];
    assert_eq!(v04["columns"]["town_id"], "Z01");
    assert_eq!(v04["columns"]["town_name"], "齐山镇");
    assert_eq!(v04["columns"]["village_type_label"], "集体经济薄弱");
    assert_eq!(v04["reason"], "total 70.00 < 70.01");
    assert_eq!(
        changes[2]["reason"],
        "no longer: 班子 6.00 < 12 (total 74.98 → 74.98)"
    );
    for format in ["table", "md", "csv"] {
        let o = bangfu(&[&["compare", "--format", format][..], &SWAP[..]].concat());
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        insta::assert_snapshot!(format!("compare_swap_{format}"), stdout(&o));
    }
}

#[test]
fn compare_writes_a_handout_for_the_meeting() {
    let work = workspace();
    let o = bangfu_in(
        work.path(),
        &[&["compare", "--quiet", "--out", "handout"][..], &SWAP[..]].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let dir = work.path().join("handout");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "changes.csv",
            "compare.html",
            "compare.json",
            "compare.xlsx"
        ]
    );
    // The JSON file is what `--format json` prints.
    let printed = json(&bangfu_in(
        work.path(),
        &[&["compare", "--format", "json"][..], &SWAP[..]].concat(),
    ));
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("compare.json")).unwrap()).unwrap();
    assert_eq!(written, printed);
    // The workbook, read back: the mark in row 1, a sheet of counts, of changes, of awards.
    let book = sheets(&dir.join("compare.xlsx"));
    for (name, rows) in &book {
        assert_eq!(rows[0][0], MARK, "{name}");
    }
    let text: Vec<String> = book
        .iter()
        .map(|(name, rows)| {
            let rows: Vec<String> = rows.iter().map(|r| r.join(" | ")).collect();
            format!("[{name}]\n{}", rows.join("\n"))
        })
        .collect();
    insta::assert_snapshot!("compare_handout_xlsx", text.join("\n\n"));
    let csv = std::fs::read_to_string(dir.join("changes.csv")).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark for Excel");
    insta::assert_snapshot!(
        "compare_handout_changes_csv",
        csv.trim_start_matches('\u{feff}')
    );
    // The page stands alone: no scripts, nothing fetched, and it says it is a what-if.
    let html = std::fs::read_to_string(dir.join("compare.html")).unwrap();
    for outside in ["<script", "http://", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(outside), "compare.html holds `{outside}`");
    }
    assert!(html.contains(&format!(
        "<div class=\"what-if\" role=\"note\">{MARK}</div>"
    )));
    for id in ["V04", "V63", "V44", "V57", "齐山镇", "班子软弱涣散"] {
        assert!(html.contains(id), "compare.html lacks {id}");
    }
    assert!(html.find(">V63<").unwrap() < html.find(">V44<").unwrap());
    // The folders the comparison reads are refused.
    let o = bangfu_in(work.path(), &["compare", "--quiet", "--out", "scenarios/x"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!work.path().join("scenarios/x").exists());
}

#[test]
fn compare_refuses_an_unknown_kind_and_names_the_kinds() {
    let o = bangfu(&["compare", "--set", "pass_line=75", "--kind", "vilage"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: `--kind vilage`: no such kind; the kinds are `village`, `department`, `leader`, `member`, `team`, `town`\n  help: did you mean `village`?\n"
    );
}

#[test]
fn a_broken_draft_leaves_the_other_scenarios_compared() {
    let work = workspace();
    std::fs::write(
        work.path().join("scenarios/zz_draft.yaml"),
        "name: zz_draft\nparameters:\n  passline: 75\n",
    )
    .unwrap();
    let o = bangfu_in(work.path(), &["compare", "--format", "json"]);
    assert_eq!(o.status.code(), Some(3), "the draft failed");
    let err = stderr(&o);
    assert!(err.contains("unknown parameter `passline`"), "{err}");
    assert!(err.contains("zz_draft.yaml:3:"), "located: {err}");
    assert!(
        err.contains("scenario `zz_draft` is left out of the comparison"),
        "{err}"
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let names: Vec<&str> = doc["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 7, "the baseline and the six others: {names:?}");
    assert!(!names.contains(&"zz_draft"));
    // The handout says which draft is missing from it.
    assert_eq!(doc["left_out"], serde_json::json!(["zz_draft"]));
    let out = work.path().join("handout");
    let o = bangfu_in(
        work.path(),
        &["compare", "--out", out.to_str().unwrap(), "--quiet"],
    );
    assert_eq!(o.status.code(), Some(3));
    let page = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(
        page.contains("未纳入比较 (left out, not valid): zz_draft"),
        "{page}"
    );
    let sheets = sheets(&out.join("compare.xlsx"));
    let listed = sheets
        .iter()
        .find(|(n, _)| n.starts_with("情景"))
        .unwrap()
        .1
        .iter()
        .any(|row| {
            row.iter()
                .any(|c| c.contains("left out, not valid): zz_draft"))
        });
    assert!(listed, "{sheets:?}");
    // Named, the draft still stops the comparison.
    let o = bangfu_in(work.path(), &["compare", "zz_draft", "pass_line_75"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).is_empty());
}

/// A member whose team's cascade no longer lowers its grade is told so, not that its total
/// went from 100 to 100.
#[test]
fn a_lifted_cascade_is_the_reason_a_member_moves_up() {
    let doc = json(&bangfu(&[
        "compare",
        "--set",
        "team.cascade.rules[0].at_most.count=2",
        "--kind",
        "member",
        "--format",
        "json",
    ]));
    let m002 = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["entity"] == "M002")
        .unwrap();
    assert_eq!(m002["from"]["grade"], "good");
    assert_eq!(m002["to"]["grade"], "excellent");
    assert_eq!(
        m002["reason"],
        "no longer: 驻村工作队 `WT01` is 优秀: grade lowered from 优秀 to 良好"
    );
    assert_eq!(m002["columns"]["role_label"], "部门干部");
}
