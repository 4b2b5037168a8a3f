//! Result files at scale: `results.xlsx` is written row by row through a temporary file,
//! `results.json` entity by entity, and `report.html` summarises. Each must still hold every
//! entity exactly as the CSV files do: on the sample, and on 100,000 generated villages of
//! RC-1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
#[path = "common/rc1gen.rs"]
mod rc1gen;

use calamine::{Data, Reader};
use std::collections::HashMap;
use std::path::Path;

/// A CSV file's rows, by header.
fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("a CSV file");
    let head: Vec<String> = r
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (head, rows)
}

/// Every sheet of a kind (`后进村 village`, `后进村 village 2`, …), rows after the heading,
/// with the heading.
fn sheet_rows(path: &Path, kind: &str) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).expect("a workbook");
    let names: Vec<String> = wb
        .sheet_names()
        .iter()
        .filter(|n| {
            let n = n.as_str();
            n.ends_with(&format!(" {kind}")) || n.contains(&format!(" {kind} "))
        })
        .cloned()
        .collect();
    assert!(!names.is_empty(), "no sheet for {kind}");
    let mut head = Vec::new();
    let mut rows = Vec::new();
    for n in names {
        let range = wb.worksheet_range(&n).unwrap();
        let mut it = range.rows();
        head = it.next().unwrap().iter().map(|c| c.to_string()).collect();
        rows.extend(it.map(<[Data]>::to_vec));
    }
    (head, rows)
}

fn numbers_of_csv(row: &[String], head: &[String]) -> Vec<f64> {
    row.iter()
        .zip(head)
        .filter(|(_, h)| !matches!(h.as_str(), "id" | "label"))
        .filter_map(|(c, _)| c.parse::<f64>().ok())
        .collect()
}

fn numbers_of_sheet(row: &[Data]) -> Vec<f64> {
    row.iter()
        .skip(2)
        .filter_map(|c| match c {
            Data::Float(x) => Some(*x),
            Data::Int(x) => Some(*x as f64),
            _ => None,
        })
        .collect()
}

/// The workbook's rows of `kind` hold the CSV's: the same entities in the same order, the same
/// names, every score, rank, award and count, and the same reason.
fn workbook_matches_csv(dir: &Path, kind: &str, table: &str) {
    let (chead, crows) = csv_rows(&dir.join(format!("{table}.csv")));
    let (xhead, xrows) = sheet_rows(&dir.join("results.xlsx"), kind);
    assert_eq!(crows.len(), xrows.len(), "{kind}: rows");
    let reason_c = chead.iter().position(|h| h == "reason").unwrap();
    let reason_x = xhead.iter().position(|h| h == "原因 (reason)").unwrap();
    for (c, x) in crows.iter().zip(&xrows) {
        assert_eq!(c[0], x[0].to_string(), "{kind}: id");
        assert_eq!(c[1], x[1].to_string(), "{kind} {}: name", c[0]);
        assert_eq!(
            c[reason_c],
            x[reason_x].to_string(),
            "{kind} {}: reason",
            c[0]
        );
        // The same numbers: a unit's rank, award and count stand in another place in each.
        let (mut cn, mut xn) = (numbers_of_csv(c, &chead), numbers_of_sheet(x));
        cn.sort_by(f64::total_cmp);
        xn.sort_by(f64::total_cmp);
        assert_eq!(cn.len(), xn.len(), "{kind} {}: {cn:?} vs {xn:?}", c[0]);
        for (a, b) in cn.iter().zip(&xn) {
            assert!(
                (a - b).abs() < 0.005 + 1e-9,
                "{kind} {}: {cn:?} vs {xn:?}",
                c[0]
            );
        }
    }
}

/// `results.json`'s entities hold the CSV's totals and outcomes.
fn json_matches_csv(dir: &Path, key: &str, table: &str) {
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    let list = doc[key].as_array().expect("the primary list");
    let (head, rows) = csv_rows(&dir.join(format!("{table}.csv")));
    let col: HashMap<&str, usize> = head
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    assert_eq!(list.len(), rows.len());
    for (e, r) in list.iter().zip(&rows) {
        assert_eq!(e["id"], r[col["id"]].as_str());
        assert_eq!(e["outcome"], r[col["outcome"]].as_str());
        assert_eq!(e["grade"], r[col["grade"]].as_str());
        let total: f64 = r[col["total"]].parse().unwrap();
        assert!((e["total"].as_f64().unwrap() - total).abs() < 1e-9, "{e}");
    }
}

fn run_out(rules: &Path, data: &Path, out: &Path) {
    let o = common::bangfu(&[
        "run",
        "--rules",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
}

#[test]
fn the_sample_s_workbook_and_json_hold_every_row_of_its_csv_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_out(
        &common::root().join("rules"),
        &common::root().join("data/sample"),
        &out,
    );
    for (kind, table) in [
        ("village", "villages"),
        ("department", "departments"),
        ("team", "teams"),
        ("member", "members"),
        ("town", "towns"),
        ("leader", "leaders"),
    ] {
        workbook_matches_csv(&out, kind, table);
    }
    json_matches_csv(&out, "villages", "villages");
}

#[test]
fn a_hundred_thousand_villages_are_written_whole_and_the_report_stays_small() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    rc1gen::write_csv(&rc1gen::generate(100_000, 11), &data.join("villages.csv"));
    let out = tmp.path().join("out");
    run_out(&common::root().join("benches/rc1/yaml"), &data, &out);
    workbook_matches_csv(&out, "village", "villages");
    workbook_matches_csv(&out, "department", "departments");
    json_matches_csv(&out, "villages", "villages");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.len() < 2_000_000,
        "report.html is {} bytes",
        html.len()
    );
    // The long lists say where the rest are.
    assert!(
        html.contains("完整名单见 departments.csv"),
        "the departments' note"
    );
    assert!(html.contains("全部") && html.contains("villages.csv 与 results.xlsx"));
}

/// A comparison printed at scale lists its first thousand changes and says where the rest are;
/// its JSON holds every one.
#[test]
fn a_comparison_over_a_hundred_thousand_villages_prints_a_bounded_list() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    rc1gen::write_csv(&rc1gen::generate(100_000, 13), &data.join("villages.csv"));
    let rules = common::root().join("benches/rc1/yaml");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "compare",
            "--rules",
            rules.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--set",
            "pass_line=75",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = common::bangfu(&refs);
        assert!(o.status.success(), "{}", common::stderr(&o));
        o
    };
    let doc = common::json(&run(&["--format", "json"]));
    let all = doc["changes"].as_array().unwrap().len();
    assert!(all > 1_000, "the line at 75 moves {all} decisions");
    let printed = common::stdout(&run(&[]));
    let rows = printed
        .lines()
        .filter(|l| l.contains(" | village "))
        .count();
    assert_eq!(rows, 1_000, "the printed table lists the first thousand");
    assert!(
        printed.contains(&format!("另有 {} 项", all - 1_000)),
        "the line under the table counts the rest"
    );
}
