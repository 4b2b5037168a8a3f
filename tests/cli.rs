//! Integration tests: the binary on real files — the bundled rules and sample data, and
//! broken copies of them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, copy_dir, root, sample_data, stderr, stdout};

use std::path::Path;
use std::process::Command;

fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.contains(from), "`{from}` not found in {}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).unwrap();
}

/// Replace a temporary folder in output with a stable placeholder.
fn scrub(s: &str, dir: &Path) -> String {
    s.replace(&dir.display().to_string(), "[TMP]")
}

#[test]
fn run_prints_summary_and_every_village() {
    let o = bangfu(&["run"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("结果 (outcomes)"));
    assert!(out.contains("项目合计 (programme totals)"));
    for i in 1..=78 {
        assert!(out.contains(&format!(" V{i:02} ")), "V{i:02} missing");
    }
    assert!(out.contains("北周家村"));
}

#[test]
fn terminal_tables_stay_aligned_with_chinese_labels() {
    let out = stdout(&bangfu(&["run"]));
    // Every row of the village table has its column separators at the same display columns.
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with(" V")).collect();
    assert_eq!(rows.len(), 78);
    let width = |s: &str| -> Vec<usize> {
        let mut col = 0;
        let mut seps = Vec::new();
        for c in s.chars() {
            if c == '|' {
                seps.push(col);
            }
            col += if (c as u32) >= 0x1100 && !c.is_ascii() {
                2
            } else {
                1
            };
        }
        seps
    };
    let first = width(rows[0]);
    for r in &rows {
        assert_eq!(width(r), first, "misaligned row: {r}");
    }
}

/// Every terminal table of every command lines up whether the terminal draws characters of
/// ambiguous width (arrows, the middle dot, dashes) one column wide or, as Chinese terminals
/// do, two: within a table, every line has its column separators at the same places both ways.
#[test]
fn every_table_lines_up_in_chinese_and_other_terminals() {
    use unicode_width::UnicodeWidthChar;
    let seps = |line: &str, cjk: bool| -> Vec<usize> {
        let mut col = 0;
        let mut at = Vec::new();
        for c in line.chars() {
            if c == '|' || c == '+' {
                at.push(col);
            }
            col += if cjk { c.width_cjk() } else { c.width() }.unwrap_or(0);
        }
        at
    };
    let commands: &[&[&str]] = &[
        &["run"],
        &["explain", "V18"],
        &["explain", "V01"],
        &["explain", "D02"],
        &["explain", "WT50"],
        &["explain", "L04"],
        &["explain", "M002"],
        &["explain", "Z01"],
        &["compare"],
        &["test"],
        &["sensitivity", "--draws", "20"],
    ];
    let mut tables = 0;
    for args in commands {
        let o = bangfu(args);
        let out = stdout(&o);
        assert!(!out.is_empty(), "{args:?}: {}", stderr(&o));
        // A table: consecutive lines holding column separators.
        let is_row = |l: &&str| l.contains(" | ") || l.contains("-+-");
        let lines: Vec<&str> = out.lines().collect();
        for block in lines.split(|l| !is_row(l)).filter(|b| b.len() > 1) {
            tables += 1;
            for cjk in [false, true] {
                let first = seps(block[0], cjk);
                for l in block {
                    assert_eq!(
                        seps(l, cjk),
                        first,
                        "{args:?} (ambiguous width as {}): {l}",
                        if cjk { 2 } else { 1 }
                    );
                }
            }
        }
    }
    assert!(tables >= 20, "{tables} tables");
}

#[test]
fn json_has_the_documented_shape() {
    let o = bangfu(&["run", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let m = &v["manifest"];
    for key in ["tool_version", "rules", "data", "scenario", "precision"] {
        assert!(m.get(key).is_some(), "manifest.{key}");
    }
    assert_eq!(m["rules"]["sha256"].as_str().map(str::len), Some(64));
    let villages = v["villages"].as_array().unwrap();
    assert_eq!(villages.len(), 78);
    for key in [
        "id",
        "label",
        "dimensions",
        "total",
        "grade",
        "outcome",
        "gates",
    ] {
        assert!(villages[0].get(key).is_some(), "villages[].{key}");
    }
    let exit = v["summary"]["villages"]["exit"].as_u64().unwrap();
    let cont = v["summary"]["villages"]["continue"].as_u64().unwrap();
    assert_eq!(exit + cont, 78);
    // Most villages exit; some continue.
    assert!(exit > 50 && cont > 5, "{exit} / {cont}");
    // Each village's dimensions add up to its total.
    for vil in villages {
        let sum: f64 = vil["dimensions"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_f64().unwrap())
            .sum();
        assert!((sum - vil["total"].as_f64().unwrap()).abs() < 1e-9);
    }
}

#[test]
fn sample_reproduces_the_published_programme_totals() {
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&bangfu(&["run", "--format", "json"]))).unwrap();
    let t = &v["summary"]["totals"];
    assert_eq!(t["practical_funds"], 218.0);
    assert_eq!(t["roads"], 12.0);
    assert!(t["road_length"].as_f64().unwrap() > 3000.0);
    assert_eq!(t["bridges"], 6.0);
    assert_eq!(t["water_works"], 8.0);
    assert_eq!(t["offices"], 5.0);
    assert!(t["historical_settled"].as_f64().unwrap() > 20.0);
    assert!(t["disputes_mediated"].as_f64().unwrap() > 100.0);
    assert!(t["hazards_removed"].as_f64().unwrap() > 30.0);
    assert_eq!(t["collective_petitions"], 0.0);
    assert_eq!(t["skip_level_petitions"], 0.0);
    assert!(t["secretaries"].as_f64().unwrap() > 10.0);
    assert!(t["reserve_cadres"].as_f64().unwrap() > 30.0);
    assert!(t["training"].as_f64().unwrap() > 50.0);
}

#[test]
fn continuing_villages_fail_for_different_reasons() {
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&bangfu(&["run", "--format", "json"]))).unwrap();
    let villages = v["villages"].as_array().unwrap();
    let cont: Vec<&serde_json::Value> = villages
        .iter()
        .filter(|x| x["outcome"] == "continue")
        .collect();
    assert!(cont
        .iter()
        .any(|x| x["total"].as_f64().unwrap() >= 70.0
            && !x["below_min"].as_array().unwrap().is_empty()));
    assert!(cont.iter().any(|x| x["total"].as_f64().unwrap() < 70.0));
    // A total of exactly the pass line passes.
    let on_line: Vec<_> = villages
        .iter()
        .filter(|x| x["total"].as_f64() == Some(70.0))
        .collect();
    assert!(
        !on_line.is_empty(),
        "the sample should have a village on the line"
    );
    for x in on_line {
        assert_eq!(x["outcome"], "exit", "{}", x["id"]);
    }
}

#[test]
fn check_accepts_the_default_rules() {
    let o = bangfu(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("ok:"));
}

#[test]
fn check_reports_every_problem_with_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    let village = rules.join("kinds/village.yaml");
    edit(
        &village,
        "scoring: { method: deduct, points: 4, per: 1 }",
        "scoring: { method: deduct, pionts: 4, per: 1 }",
    );
    edit(
        &village,
        r#"- { range: "[2, 5)", points: 4 }"#,
        r#"- { range: "[2, 4)", points: 4 }"#,
    );
    edit(
        &village,
        "when: skip_level_petitions > 0",
        "when: skip_level_petitions > > 0",
    );
    edit(&village, "input: investment_wan", "input: investment_wann");
    let o = bangfu(&["check", "--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = scrub(&stderr(&o), tmp.path());
    insta::assert_snapshot!("check_four_problems", err);
}

#[test]
fn run_with_invalid_rules_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    edit(
        &rules.join("kinds/village.yaml"),
        "dimension: economy",
        "dimension: econmy",
    );
    let o = bangfu(&["run", "--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = scrub(&stderr(&o), tmp.path());
    insta::assert_snapshot!("run_invalid_rules", err);
}

#[test]
fn bad_data_is_reported_in_full_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let csv = data.join("villages.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (rc, mi, inv) = (
        col("reserve_cadres"),
        col("medical_insurance_rate"),
        col("investment_wan"),
    );
    let mut set = |row: usize, c: usize, v: &str| {
        let mut f: Vec<String> = lines[row].split(',').map(String::from).collect();
        f[c] = v.to_string();
        lines[row] = f.join(",");
    };
    set(3, rc, "三");
    set(5, mi, "1.7");
    set(7, 0, "V02");
    set(9, inv, "");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let out = tmp.path().join("out");
    let o = bangfu(&[
        "run",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(4));
    assert!(!out.exists(), "no result files on bad data");
    insta::assert_snapshot!("bad_data_four_problems", scrub(&stderr(&o), tmp.path()));
}

/// Problems in several tables are reported together, by `run` and by `check`: the units'
/// own tables alongside a villages' table that could not be read, and every unit kind's
/// table and links once it could.
#[test]
fn bad_data_in_several_tables_is_reported_together() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    edit(
        &data.join("departments.csv"),
        "D01,市委组织部,municipal,2.7,",
        "D01,市委组织部,municipal,2.7x,",
    );
    edit(
        &data.join("teams.csv"),
        "WT01,V01,D33,25.0",
        "WT01,V01,D33,-3",
    );
    edit(
        &data.join("members.csv"),
        "M001,WT01,陈晓东,leader,25.7",
        "M001,WT01,陈晓东,leader,abc",
    );
    let villages = data.join("villages.csv");
    let good = std::fs::read_to_string(&villages).unwrap();
    let row = good.lines().nth(2).unwrap();
    assert!(
        row.starts_with("V02,东王家夼村,Z01,weak_leadership,D07,"),
        "{row}"
    );
    let (bad_cell, bad_town) = (
        good.replace(row, &row.replacen(",0,", ",0x,", 1)),
        good.replace(row, &row.replacen(",Z01,", ",Z99,", 1)),
    );
    for (name, text) in [("bad_cell", bad_cell), ("bad_town", bad_town)] {
        std::fs::write(&villages, &text).unwrap();
        let d = data.to_str().unwrap();
        let run = bangfu(&["run", "--data", d]);
        let check = bangfu(&["check", "--data", d]);
        assert_eq!(run.status.code(), Some(4), "{name}");
        assert_eq!(check.status.code(), Some(1), "{name}");
        let err = scrub(&stderr(&run), tmp.path());
        assert!(
            scrub(&stderr(&check), tmp.path()).contains(&err),
            "{name}: check reports what run does\n{}",
            stderr(&check)
        );
        insta::assert_snapshot!(format!("bad_data_in_several_tables_{name}"), err);
    }
}

/// The problems an error listing stands for: each listed problem, and the number on each
/// line that counts problems not listed (`… and 7 more rows: …`).
fn problems_in_listing(err: &str) -> usize {
    err.lines()
        .filter(|l| l.starts_with("error: "))
        .map(|l| match l.split_once(": … and ") {
            Some((_, rest)) => rest.split(' ').next().unwrap().parse::<usize>().unwrap(),
            None => 1,
        })
        .sum()
}

/// The same problem in one column is listed five times and the rest counted, duplicate ids
/// as any other; the count line counts every problem, listed or not.
#[test]
fn a_problem_in_many_rows_is_listed_five_times_and_every_one_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let csv = data.join("villages.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let inv = header.iter().position(|h| *h == "investment_wan").unwrap();
    // 12 rows whose investment is not a number.
    for line in lines.iter_mut().skip(2).take(12) {
        let mut f: Vec<&str> = line.split(',').collect();
        f[inv] = "n/a";
        *line = f.join(",");
    }
    // 440 more rows with V01's id.
    let v01 = lines[1].clone();
    assert!(v01.starts_with("V01,"), "{v01}");
    lines.extend(std::iter::repeat_n(v01, 440));
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();

    let d = data.to_str().unwrap();
    let run = bangfu(&["run", "--data", d]);
    assert_eq!(run.status.code(), Some(4));
    let err = scrub(&stderr(&run), tmp.path());
    assert_eq!(
        err.matches(": duplicate id (also on row 2)").count(),
        5,
        "{err}"
    );
    assert_eq!(err.matches(": not a number (found").count(), 5, "{err}");
    assert_eq!(problems_in_listing(&err), 440 + 12, "{err}");
    assert!(
        err.ends_with("invalid data: 452 problems found; nothing was scored\n"),
        "{err}"
    );
    let check = bangfu(&["check", "--data", d]);
    assert_eq!(check.status.code(), Some(1));
    assert!(scrub(&stderr(&check), tmp.path()).contains(&err));
    insta::assert_snapshot!("a_problem_in_many_rows", err);
}

/// Villages missing from the baseline follow the same rule.
#[test]
fn villages_missing_from_the_baseline_are_listed_five_times_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let csv = data.join("baseline.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    // The header and the first 18 villages: 60 are missing.
    let kept: Vec<&str> = text.lines().take(19).collect();
    std::fs::write(&csv, kept.join("\n") + "\n").unwrap();
    let run = bangfu(&["run", "--data", data.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(4));
    let err = scrub(&stderr(&run), tmp.path());
    assert_eq!(
        err.matches("this entity is missing from the baseline (found")
            .count(),
        5,
        "{err}"
    );
    assert_eq!(problems_in_listing(&err), 60, "{err}");
    assert!(err.ends_with("invalid data: 60 problems found; nothing was scored\n"));
    insta::assert_snapshot!("villages_missing_from_the_baseline", err);
}

/// A computed input out of range in many villages follows the same rule.
#[test]
fn a_computed_input_out_of_range_in_many_villages_is_listed_five_times() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let csv = data.join("villages.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (identified, resolved) = (col("hist_identified"), col("hist_resolved"));
    // 20 villages resolved three of one historical problem: a ratio of 3, above its `max` of 1.
    for line in lines.iter_mut().skip(1).take(20) {
        let mut f: Vec<&str> = line.split(',').collect();
        f[identified] = "1";
        f[resolved] = "3";
        *line = f.join(",");
    }
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let run = bangfu(&["run", "--data", data.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(4));
    let err = scrub(&stderr(&run), tmp.path());
    assert_eq!(
        err.matches("is out of range (found `3 = 3 / 1`)").count(),
        5,
        "{err}"
    );
    assert_eq!(problems_in_listing(&err), 20, "{err}");
    assert!(err.ends_with("invalid data: 20 problems found; nothing was scored\n"));
    insta::assert_snapshot!("a_computed_input_out_of_range_in_many_villages", err);
}

/// A member of a team that does not exist is reported with the other links, not only once
/// they are mended.
#[test]
fn a_member_of_an_unknown_team_is_reported_with_the_links() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    edit(&data.join("members.csv"), "M002,WT01,", "M002,WT999,");
    edit(
        &data.join("villages.csv"),
        "V02,东王家夼村,Z01,weak_leadership,D07,",
        "V02,东王家夼村,Z01,weak_leadership,D99,",
    );
    let o = bangfu(&["run", "--data", data.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    let err = scrub(&stderr(&o), tmp.path());
    insta::assert_snapshot!("member_of_an_unknown_team", err);
}

#[test]
fn results_are_identical_across_threads_and_row_order() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let many = tmp.path().join("many");
    let shuffled = tmp.path().join("shuffled");
    let data = sample_data(tmp.path());
    // Reverse the village rows (keep the header).
    let csv = data.join("villages.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    std::fs::write(&csv, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    assert_eq!(
        bangfu(&[
            "run",
            "--threads",
            "1",
            "--quiet",
            "--out",
            one.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        bangfu(&["run", "--quiet", "--out", many.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let o = bangfu(&[
        "run",
        "--quiet",
        "--data",
        data.to_str().unwrap(),
        "--out",
        shuffled.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["villages.csv", "results.json"] {
        let a = std::fs::read(one.join(f)).unwrap();
        assert_eq!(a, std::fs::read(many.join(f)).unwrap(), "{f}: threads");
        if f == "villages.csv" {
            assert_eq!(
                a,
                std::fs::read(shuffled.join(f)).unwrap(),
                "{f}: row order"
            );
        }
    }
}

#[test]
fn gbk_csv_gives_the_same_results() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let csv = data.join("villages.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    std::fs::write(&csv, &gbk).unwrap();
    let a = stdout(&bangfu(&["run", "--format", "csv"]));
    let b = stdout(&bangfu(&[
        "run",
        "--format",
        "csv",
        "--data",
        data.to_str().unwrap(),
    ]));
    assert_eq!(a, b);
}

#[test]
fn out_writes_the_result_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let o = bangfu(&["run", "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    for f in ["villages.csv", "results.json", "manifest.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
    let csv = std::fs::read_to_string(out.join("villages.csv")).unwrap();
    assert_eq!(csv.lines().count(), 79);
}

#[test]
fn out_refuses_to_overwrite_inputs() {
    let o = bangfu(&["run", "--quiet", "--out", "data/sample"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is inside the run's inputs"));
}

/// A table `dataset.yaml` names outside the data folder is an input too: `--out` its folder
/// would replace it.
#[test]
fn out_refuses_the_folder_of_a_table_outside_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let ext = tmp.path().join("ext");
    std::fs::create_dir(&ext).unwrap();
    std::fs::rename(data.join("villages.csv"), ext.join("villages.csv")).unwrap();
    edit(
        &data.join("dataset.yaml"),
        "  villages: villages.csv",
        "  villages: ../ext/villages.csv",
    );
    let before = std::fs::read(ext.join("villages.csv")).unwrap();
    let (d, e) = (data.to_str().unwrap(), ext.to_str().unwrap());
    for args in [
        vec!["run", "--data", d, "--out", e],
        vec!["sensitivity", "--data", d, "--draws", "5", "--out", e],
    ] {
        let o = bangfu(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("which the run reads"),
            "{args:?}: {}",
            stderr(&o)
        );
        let names: Vec<String> = std::fs::read_dir(&ext)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["villages.csv"], "{args:?}");
        assert_eq!(std::fs::read(ext.join("villages.csv")).unwrap(), before);
    }
    // Any other folder takes the results.
    let out = tmp.path().join("out");
    let o = bangfu(&["run", "--data", d, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("villages.csv").is_file());
}

/// A run into a folder with an earlier run's results removes the earlier results it does not
/// write again (a `--csv-only` run after a full one), so the folder never mixes two runs; a
/// file bangfu did not write stays, and `sensitivity`, which writes no manifest, removes
/// nothing.
#[test]
fn a_run_replaces_every_earlier_result_in_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let names = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        bangfu(&["run", "--quiet", "--out", o]).status.code(),
        Some(0)
    );
    std::fs::write(out.join("notes.txt"), "kept").unwrap();
    let full = names();
    assert!(full.contains(&"results.json".to_string()), "{full:?}");
    let s = bangfu(&["sensitivity", "--draws", "5", "--quiet", "--out", o]);
    assert_eq!(s.status.code(), Some(0), "{}", stderr(&s));
    assert!(names()
        .iter()
        .all(|n| full.contains(n) || n.starts_with("sensitivity")));
    assert!(names().len() > full.len());
    let c = bangfu(&[
        "run",
        "--quiet",
        "--csv-only",
        "--scenario",
        "pass_line_75",
        "--out",
        o,
    ]);
    assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
    let after = names();
    for gone in ["results.json", "results.xlsx", "report.html"] {
        assert!(!after.contains(&gone.to_string()), "{gone} left: {after:?}");
    }
    for kept in [
        "notes.txt",
        "villages.csv",
        "manifest.json",
        "sensitivity.json",
    ] {
        assert!(after.contains(&kept.to_string()), "{kept} gone: {after:?}");
    }
    let v = bangfu(&["run", "--verify", o]);
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
}

/// A folder written with `--csv-only` verifies as written, without the flag again.
#[test]
fn verify_confirms_a_csv_only_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    assert_eq!(
        bangfu(&["run", "--quiet", "--csv-only", "--out", o])
            .status
            .code(),
        Some(0)
    );
    let v = bangfu(&["run", "--verify", o]);
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
    assert!(stdout(&v).contains("all 7 result files"), "{}", stdout(&v));
    // Still checked: a changed file is named.
    edit(&out.join("towns.csv"), "Z01,", "Z01x,");
    let v = bangfu(&["run", "--verify", o]);
    assert_eq!(v.status.code(), Some(1), "{}", stderr(&v));
    assert!(stderr(&v).contains("`towns.csv` differs"), "{}", stderr(&v));
}

#[test]
fn a_runaway_script_is_stopped_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    edit(
        &rules.join("scripts/helpers.rhai"),
        "fn audit_points(audits) {",
        "fn audit_points(audits) {\n    loop { }",
    );
    let start = std::time::Instant::now();
    let o = bangfu(&["run", "--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
    assert!(start.elapsed().as_secs() < 30);
    let err = stderr(&o);
    assert!(
        err.contains("audit_points") && err.contains("`V01`"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(bangfu(&["run", "--format", "xml"]).status.code(), Some(2));
    assert_eq!(bangfu(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(bangfu(&["run", "--threads", "0"]).status.code(), Some(2));
}

/// A flag its command would ignore is refused with exit 2 and says why; the output asked
/// for never silently goes missing.
#[test]
fn flags_a_command_would_ignore_are_refused() {
    let refused: &[&[&str]] = &[
        &["run", "--csv-only"],
        &["explain", "V01", "--format", "csv"],
        &["compare", "--quiet", "--format", "md"],
        &["test", "--format", "csv"],
        &["check", "--format", "md"],
        &["sensitivity", "--format", "csv", "--draws", "5"],
        &["init", "x", "--format", "json"],
        &["explain", "V01", "--out", "x"],
        &["run", "--quiet", "--format", "json"],
        &["run", "--verify", "x", "--out", "y"],
        &["init", "x", "--rules", "r"],
        &["test", "--data", "d"],
        &["check", "--scenarios", "s"],
        &["explain", "V18", "--quiet"],
    ];
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for args in refused {
        let o = common::bangfu_in(tmp.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
        seen.push(format!("{args:?}\n{}", stderr(&o)));
    }
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "nothing is written"
    );
    insta::assert_snapshot!("flags_a_command_would_ignore", seen.join("\n"));
    // What the commands do take still works.
    for args in [
        &["explain", "V01", "--format", "json"][..],
        &["compare", "pass_line_75", "--format", "json"],
        &["run", "--format", "md"],
    ] {
        assert_eq!(bangfu(args).status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn check_validates_the_data_as_run_would() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    edit(
        &data.join("villages.csv"),
        "V01,北周家村,Z01,weak_economy,D33,WT01,0,0",
        "V01,北周家村,Z01,weak_economy,D33,WT01,1,3",
    );
    let o = bangfu(&["check", "--data", data.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = scrub(&stderr(&o), tmp.path());
    assert!(
        err.contains("row 2") && err.contains("`hist_resolved` / `hist_identified`"),
        "{err}"
    );
    let missing = bangfu(&["check", "--data", "/nonexistent/folder"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn out_refuses_folders_inside_the_inputs() {
    let o = bangfu(&["run", "--quiet", "--out", "rules/kinds"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!root().join("rules/kinds/results.json").exists());
}

#[test]
fn a_run_failing_on_its_units_writes_nothing() {
    // The villages' file is written while the units are evaluated: a unit table's problem
    // must still leave no results, no new folder, and an earlier folder as it was.
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    edit(
        &data.join("departments.csv"),
        "D02,市委宣传部",
        "D01,市委宣传部",
    );
    let run_into = |out: &Path| {
        bangfu(&[
            "run",
            "--quiet",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let fresh = tmp.path().join("fresh");
    let o = run_into(&fresh);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("duplicate id"), "{}", stderr(&o));
    assert!(!fresh.exists());
    // Folders made on the way to it are removed too.
    let o = run_into(&tmp.path().join("new/deeper/out"));
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(!tmp.path().join("new").exists());
    // A folder that cannot be made (a file is in the way): a usage error, and nothing left.
    std::fs::write(tmp.path().join("a_file"), "").unwrap();
    let o = bangfu(&[
        "run",
        "--quiet",
        "--out",
        tmp.path().join("a_file/out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot"), "{}", stderr(&o));
    let earlier = tmp.path().join("earlier");
    std::fs::create_dir_all(&earlier).unwrap();
    std::fs::write(earlier.join("villages.csv"), "earlier results\n").unwrap();
    let o = run_into(&earlier);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(&earlier)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["villages.csv"]);
    assert_eq!(
        std::fs::read_to_string(earlier.join("villages.csv")).unwrap(),
        "earlier results\n"
    );
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_bangfu"))
        .args(["run", "--format", "json"])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_ne!(
        out.status.code(),
        Some(101),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn a_typo_in_a_condition_names_the_parameter() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    edit(
        &rules.join("kinds/village.yaml"),
        "all: [total >= pass_line]",
        "all: [total >= pass_lin]",
    );
    let o = bangfu(&["check", "--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown name `pass_lin` (did you mean `pass_line`?)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_veto_fails_the_village_whatever_its_score() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    // V01 scores 98; give it a collective petition.
    let csv = data.join("villages.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let c = header
        .iter()
        .position(|h| *h == "collective_petitions")
        .unwrap();
    let mut f: Vec<String> = lines[1].split(',').map(String::from).collect();
    f[c] = "2".into();
    lines[1] = f.join(",");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&bangfu(&[
        "run",
        "--format",
        "json",
        "--data",
        data.to_str().unwrap(),
    ])))
    .unwrap();
    let v01 = &v["villages"][0];
    assert_eq!(v01["id"], "V01");
    assert_eq!(v01["total"], 98.0);
    assert_eq!(v01["outcome"], "continue");
    assert_eq!(v01["grade"], "fail");
    assert_eq!(v01["gates"], serde_json::json!(["collective_petition"]));
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in ["check", "run", "explain", "compare"] {
        let o = bangfu(&[cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{cmd}");
        assert!(stdout(&o).contains("Examples:"), "{cmd}");
    }
}

#[test]
fn verify_confirms_a_results_folder_and_names_what_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    assert_eq!(
        bangfu(&[
            "run",
            "--quiet",
            "--scenario",
            "pass_line_75",
            "--out",
            out.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["scenario"]["name"], "pass_line_75");
    assert!(m["parameters"]["pass_line"].as_f64() == Some(75.0));
    assert_eq!(m["data"]["files"].as_array().unwrap().len(), 7);
    let o = bangfu(&["run", "--verify", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("reproduced"));
    let csv = out.join("villages.csv");
    let text = std::fs::read_to_string(&csv)
        .unwrap()
        .replacen(",exit,", ",continue,", 1);
    std::fs::write(&csv, text).unwrap();
    let o = bangfu(&["run", "--verify", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`villages.csv` differs from a fresh run"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_killed_run_leaves_the_previous_results_whole() {
    // A data set large enough that writing takes a while.
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let csv = data.join("villages.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows: Vec<&str> = lines.collect();
    let mut big = header + "\n";
    let mut base = String::new();
    for copy in 0..400 {
        for row in &rows {
            let (id, rest) = row.split_once(',').unwrap();
            big.push_str(&format!("{id}x{copy:03},{rest}\n"));
        }
    }
    std::fs::write(&csv, big).unwrap();
    let btext = std::fs::read_to_string(data.join("baseline.csv")).unwrap();
    let mut blines = btext.lines();
    base.push_str(blines.next().unwrap());
    base.push('\n');
    let brows: Vec<&str> = blines.collect();
    for copy in 0..400 {
        for row in &brows {
            let (id, rest) = row.split_once(',').unwrap();
            base.push_str(&format!("{id}x{copy:03},{rest}\n"));
        }
    }
    std::fs::write(data.join("baseline.csv"), base).unwrap();
    // Villages only: the unit tables name the original ids.
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    for k in ["department", "town", "team", "member", "leader"] {
        std::fs::remove_file(rules.join(format!("kinds/{k}.yaml"))).unwrap();
    }
    let out = tmp.path().join("out");
    let args = [
        "run",
        "--quiet",
        "--rules",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let first = bangfu(&args);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    // Kill a second run part-way, several times at different moments.
    for wait_ms in [50u64, 150, 400] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bangfu"))
            .args(args)
            .current_dir(root())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        let _ = child.kill();
        let _ = child.wait();
        for (name, bytes) in &before {
            assert_eq!(
                &std::fs::read(out.join(name)).unwrap(),
                bytes,
                "{name} after a kill at {wait_ms} ms"
            );
        }
    }
    // The next run completes and clears what the killed ones left behind.
    assert_eq!(bangfu(&args).status.code(), Some(0));
    let leftovers: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn rows_are_file_lines_with_crlf_and_classic_mac_line_ends_too() {
    for end in ["\r\n", "\r"] {
        let tmp = tempfile::tempdir().unwrap();
        let data = sample_data(tmp.path());
        let csv = data.join("villages.csv");
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let col = lines[0]
            .split(',')
            .position(|h| h == "jobs_placed")
            .unwrap();
        let mut f: Vec<String> = lines[3].split(',').map(String::from).collect();
        f[col] = "x".into();
        lines[3] = f.join(",");
        std::fs::write(&csv, lines.join(end) + end).unwrap();
        let o = bangfu(&["run", "--data", data.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(4), "{end:?}");
        assert!(
            stderr(&o).contains("row 4, column `jobs_placed`"),
            "{end:?}: {}",
            stderr(&o)
        );
    }
}

/// A `dataset.yaml` that only names the data set leaves its tables to be found by their file
/// names, as without one.
#[test]
fn a_dataset_yaml_naming_no_tables_finds_them() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let yaml = std::fs::read_to_string(data.join("dataset.yaml")).unwrap();
    let name_line = yaml.lines().find(|l| l.starts_with("name:")).unwrap();
    std::fs::write(data.join("dataset.yaml"), format!("{name_line}\n")).unwrap();
    let sample = root().join("data/sample");
    let summary = |d: &Path| {
        let o = bangfu(&["run", "--data", d.to_str().unwrap(), "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (
            v["summary"].clone(),
            v["villages"].clone(),
            v["units"].clone(),
        )
    };
    assert_eq!(summary(&data), summary(&sample));
}

/// Every table of the sample saved with lone carriage returns (classic Mac OS) gives the same
/// results as the sample itself.
#[test]
fn classic_mac_line_ends_read_as_line_ends() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let mut changed = 0;
    for e in std::fs::read_dir(&data).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "csv") {
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, text.replace('\n', "\r")).unwrap();
            changed += 1;
        }
    }
    assert!(changed >= 5, "{changed}");
    let sample = root().join("data/sample");
    let want = bangfu(&[
        "run",
        "--data",
        sample.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let got = bangfu(&["run", "--data", data.to_str().unwrap(), "--format", "json"]);
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    // The data's hash differs (other bytes); everything else must not.
    let strip = |o: &std::process::Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["manifest"]["data"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&got), strip(&want));
}

/// A kind's rhai gates evaluated together in one call fire exactly as they do one by one, also
/// when one gate reads its indicator's `value` and another reads `value.x` (one name, two
/// meanings: such gates are not put together).
#[test]
fn gates_evaluated_together_fire_as_they_do_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    let file = rules.join("kinds/village.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let alone = text.replace("    any: [value < 1]\n", "    when: \"!(value == 1)\"\n");
    let together = alone.replace(
        "    when: skip_level_petitions > 0\n",
        "    when: skip_level_petitions > 0 || value.hazards > 1000\n",
    );
    assert!(alone != text && together != alone);
    let fired = |yaml: &str| {
        std::fs::write(&file, yaml).unwrap();
        let o = bangfu(&["run", "--rules", rules.to_str().unwrap(), "--format", "csv"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .filter(|l| l.contains("hazard_outstanding"))
            .count()
    };
    let (a, b) = (fired(&alone), fired(&together));
    assert!(a > 0 && a < 78, "{a}");
    assert_eq!(a, b);
}

/// `--verify` names the data files that changed, and tells a manifest whose data-set hash was
/// computed by an earlier version (its files all the same) from changed data.
#[test]
fn verify_names_changed_data_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let out = tmp.path().join("res");
    let d = data.to_str().unwrap();
    let o = bangfu(&[
        "run",
        "--quiet",
        "--data",
        d,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The data set's hash as an earlier version recorded it.
    let path = out.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m["data"]["sha256"] = serde_json::json!("0".repeat(64));
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    // `--verify` fails; what it says.
    let verify = || {
        let o = bangfu(&["run", "--data", d, "--verify", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        stderr(&o)
    };
    let said = verify();
    assert!(
        said.contains("the data files are those that produced these results"),
        "{said}"
    );
    // A changed file is named.
    let towns = data.join("towns.csv");
    let text = std::fs::read_to_string(&towns).unwrap();
    std::fs::write(&towns, format!("{text}\n")).unwrap();
    let said = verify();
    assert!(said.contains("data file `towns.csv` has changed"), "{said}");
}

/// `run --csv-only --quiet` of `rules` over `data` into `out`; it must succeed.
fn run_csv_only(rules: &Path, data: &Path, out: &Path) {
    let o = bangfu(&[
        "run",
        "--rules",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--csv-only",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The rows of a CSV file, each as column → cell.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    csv::Reader::from_path(path)
        .unwrap()
        .deserialize()
        .map(Result::unwrap)
        .collect()
}

/// A run frees the village columns nothing reads once the villages are scored, but keeps
/// those an outcome rule compares: reasons re-test those comparisons while the files are
/// written, and must see each village's own value.
#[test]
fn reasons_read_the_columns_an_outcome_compares() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    edit(
        &rules.join("kinds/village.yaml"),
        "all: [total >= pass_line]",
        "all: [total >= pass_line, collective_income_wan >= 10]",
    );
    let out = tmp.path().join("out");
    run_csv_only(&rules, &root().join("data/sample"), &out);
    let income: std::collections::HashMap<String, f64> =
        csv_rows(&root().join("data/sample/villages.csv"))
            .into_iter()
            .map(|r| {
                let id = r.iter().find(|(k, _)| k.ends_with("village_id")).unwrap().1;
                (id.clone(), r["collective_income_wan"].parse().unwrap())
            })
            .collect();
    let mut named = 0;
    for r in csv_rows(&out.join("villages.csv")) {
        let id = &r["id"];
        let low = income[id] < 10.0;
        // Each village's own value, in words.
        let says = r["reason"].contains(&format!(
            "collective_income_wan is {}, needs >= 10",
            income[id]
        ));
        assert_eq!(says, low && r["outcome"] != "exit", "{id}: {}", r["reason"]);
        assert!(
            !(low && r["outcome"] == "exit"),
            "{id} exits with income {}",
            income[id]
        );
        named += usize::from(says);
    }
    assert!(named > 0, "no village was held back by its income");
}

/// A unit aggregate that filters on a category indicator's value reads the village column
/// behind it after the villages are scored: the run keeps that column, and each department's
/// share is the share of its villages of that type in the data.
#[test]
fn unit_filters_read_category_inputs_after_scoring() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    edit(
        &rules.join("kinds/village.yaml"),
        "indicators:\n",
        "indicators:\n  - { id: vtype, label: village type, dimension: services, input: village_type, \
         scoring: { method: lookup, points: 0, table: { unstable: 0, weak_leadership: 0, weak_economy: 0 } } }\n",
    );
    edit(
        &rules.join("kinds/department.yaml"),
        "aggregate: { fn: share, where: [outcome == exit] }",
        "aggregate: { fn: share, where: [value.vtype == \"weak_economy\"] }",
    );
    let out = tmp.path().join("out");
    run_csv_only(&rules, &root().join("data/sample"), &out);
    // The share per department, from the data.
    let mut per: std::collections::HashMap<String, (usize, usize)> = Default::default();
    for r in csv_rows(&root().join("data/sample/villages.csv")) {
        let e = per.entry(r["dept_id"].clone()).or_default();
        e.0 += usize::from(r["village_type"] == "weak_economy");
        e.1 += 1;
    }
    let mut weak = 0;
    for r in csv_rows(&out.join("departments.csv")) {
        let (k, n) = per[&r["id"]];
        let want = format!("{:.2}", 20.0 * k as f64 / n as f64);
        assert_eq!(r["points.village_exit_share"], want, "{}", r["id"]);
        weak += usize::from(k > 0);
    }
    assert!(weak > 0, "no department helps a weak-economy village");
}

/// Texts that hold a separator, a quote or a line break are quoted in the result files,
/// whether they come from the data (a village's name) or from the rules (a grade's label):
/// reading the file back gives each text whole.
#[test]
fn result_files_quote_texts_that_need_it() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    edit(
        &rules.join("kinds/village.yaml"),
        "label: 合格 (pass)",
        "label: \"合格, \\\"pass\\\"\"",
    );
    let data = tmp.path().join("data");
    copy_dir(&root().join("data/sample"), &data);
    let mut reader = csv::Reader::from_path(data.join("villages.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let mut villages: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let name = header.iter().position(|h| h == "name").unwrap();
    villages[0][name] = "北周家村, \"东\"".into();
    villages[1][name] = "王家\n夼村".into();
    let mut w = csv::Writer::from_path(data.join("villages.csv")).unwrap();
    w.write_record(&header).unwrap();
    for v in &villages {
        w.write_record(v).unwrap();
    }
    w.flush().unwrap();
    let out = tmp.path().join("out");
    run_csv_only(&rules, &data, &out);
    let rows = csv_rows(&out.join("villages.csv"));
    let label = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap()["label"].clone();
    assert_eq!(label(&villages[0][0]), "北周家村, \"东\"");
    assert_eq!(label(&villages[1][0]), "王家\n夼村");
    let passed: Vec<_> = rows.iter().filter(|r| r["grade"] == "pass").collect();
    assert!(
        !passed.is_empty(),
        "no village of grade `pass` in the sample"
    );
    for r in passed {
        assert_eq!(r["grade_label"], "合格, \"pass\"");
    }
}

/// A kind whose indicators hold no script is scored a block of villages at a time; one with a
/// script, village by village. A computed input out of range is reported the same way by both:
/// the same row, indicator, values and range.
#[test]
fn computed_inputs_out_of_range_are_reported_alike_by_block_and_by_village() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    copy_dir(&root().join("data/sample"), &data);
    // V05 resolved three historical problems of one identified.
    edit(
        &data.join("villages.csv"),
        "V05,上姜家村,Z01,unstable,D30,WT05,1,1,",
        "V05,上姜家村,Z01,unstable,D30,WT05,1,3,",
    );
    let by_village = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &by_village);
    let by_block = tmp.path().join("rules_without_scripts");
    copy_dir(&root().join("rules"), &by_block);
    edit(
        &by_block.join("kinds/village.yaml"),
        "input:\n      expr: works_done(roads_hardened, bridges_culverts, wells_ponds_pumps, offices_built)",
        "input: roads_hardened",
    );
    edit(
        &by_block.join("kinds/village.yaml"),
        "scoring: { method: script, function: audit_points, points: 4 }",
        "scoring: { method: linear, from: 0, to: 12, points: 4 }",
    );
    let run = |rules: &Path| {
        bangfu(&[
            "run",
            "--rules",
            rules.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--quiet",
        ])
    };
    let (a, b) = (run(&by_village), run(&by_block));
    assert_eq!(a.status.code(), Some(4), "{}", stderr(&a));
    assert_eq!(b.status.code(), Some(4), "{}", stderr(&b));
    assert!(
        stderr(&a).contains("row 6: indicator `historical_problems`: the ratio"),
        "{}",
        stderr(&a)
    );
    assert_eq!(stderr(&a), stderr(&b));
}

/// Numbers typed in full-width digits (`１２．１`, as a Chinese keyboard gives them) are read as
/// the numbers they are: every village's results are the same bytes as with half-width digits.
#[test]
fn full_width_digits_in_data_give_the_same_results() {
    let tmp = tempfile::tempdir().unwrap();
    let data = sample_data(tmp.path());
    let file = data.join("villages.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    let wide = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' | '.' | '-' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                c => c,
            })
            .collect()
    };
    // Every numeric cell of the first ten villages: after the six text columns of each row.
    let changed: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 || i > 10 {
                return line.to_string();
            }
            let cells: Vec<String> = line
                .split(',')
                .enumerate()
                .map(|(k, c)| {
                    if k >= 6 && c.parse::<f64>().is_ok() {
                        wide(c)
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            cells.join(",")
        })
        .collect();
    let changed = changed.join("\n") + "\n";
    assert_ne!(changed, text);
    std::fs::write(&file, changed).unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let o = bangfu(&["run", "--quiet", "--out", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = bangfu(&[
        "run",
        "--quiet",
        "--data",
        data.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["villages.csv", "departments.csv", "towns.csv", "teams.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let o = bangfu(&["check", "--data", data.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("full-width digits, read as a number"),
        "{}",
        stderr(&o)
    );
}
