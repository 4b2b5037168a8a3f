//! XLSX in and out: a data set saved as workbooks scores exactly as its CSV; results.xlsx holds
//! the same numbers as the CSV files, stored as numbers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, root};

use calamine::{open_workbook_auto, Data, Reader};
use std::path::Path;

/// Save a CSV file as a one-sheet workbook, numbers as numbers.
fn csv_to_xlsx(csv_path: &Path, xlsx_path: &Path, sheet: &str) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(csv_path)
        .unwrap();
    for (r, rec) in rdr.records().enumerate() {
        for (c, field) in rec.unwrap().iter().enumerate() {
            let field = field.trim_start_matches('\u{feff}');
            match field.parse::<f64>() {
                Ok(x) if r > 0 => ws.write_number(r as u32, c as u16, x).unwrap(),
                _ => ws.write_string(r as u32, c as u16, field).unwrap(),
            };
        }
    }
    wb.save(xlsx_path).unwrap();
}

#[test]
fn the_sample_as_workbooks_scores_like_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let sample = root().join("data/sample");
    let mut manifest = String::from("name: 后进村帮扶样例数据 (backward-village assistance, sample)\nperiod: \"2026\"\ntables:\n");
    for t in [
        "villages",
        "towns",
        "departments",
        "teams",
        "members",
        "leaders",
    ] {
        csv_to_xlsx(
            &sample.join(format!("{t}.csv")),
            &data.join(format!("{t}.xlsx")),
            "数据",
        );
        manifest.push_str(&format!("  {t}: {{ file: {t}.xlsx, sheet: 数据 }}\n"));
    }
    csv_to_xlsx(
        &sample.join("baseline.csv"),
        &data.join("baseline.xlsx"),
        "Sheet1",
    );
    manifest.push_str("baseline:\n  villages: baseline.xlsx\n");
    std::fs::write(data.join("dataset.yaml"), manifest).unwrap();
    scores_like_the_sample(
        tmp.path(),
        &data,
        &[],
        &[
            "villages.csv",
            "departments.csv",
            "towns.csv",
            "teams.csv",
            "members.csv",
            "leaders.csv",
        ],
    );
}

/// `run` (with `flags`) over the sample and over `data` give the named result files byte for
/// byte the same. Both results folders go under `tmp`.
fn scores_like_the_sample(tmp: &Path, data: &Path, flags: &[&str], names: &[&str]) {
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    let run = |extra: &[&str], out: &Path| {
        let mut args = vec!["run", "--quiet"];
        args.extend_from_slice(flags);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let o = bangfu(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&[], &a);
    run(&["--data", data.to_str().unwrap()], &b);
    for f in names {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

/// A data set declared GBK may still hold a workbook: its sheet is text already, not GBK bytes.
#[test]
fn a_workbook_in_a_gbk_data_set_scores_like_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let sample = root().join("data/sample");
    let mut manifest = String::from("encoding: gbk\ntables:\n  villages: villages.xlsx\n");
    csv_to_xlsx(
        &sample.join("villages.csv"),
        &data.join("villages.xlsx"),
        "Sheet1",
    );
    for t in [
        "towns",
        "departments",
        "teams",
        "members",
        "leaders",
        "baseline",
    ] {
        let text = std::fs::read_to_string(sample.join(format!("{t}.csv"))).unwrap();
        let (gbk, _, lossy) = encoding_rs::GBK.encode(text.trim_start_matches('\u{feff}'));
        assert!(!lossy);
        std::fs::write(data.join(format!("{t}.csv")), gbk).unwrap();
        if t != "baseline" {
            manifest.push_str(&format!("  {t}: {t}.csv\n"));
        }
    }
    manifest.push_str("baseline:\n  villages: baseline.csv\n");
    std::fs::write(data.join("dataset.yaml"), manifest).unwrap();
    let o = bangfu(&["check", "--data", data.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    scores_like_the_sample(
        tmp.path(),
        &data,
        &["--csv-only"],
        &["villages.csv", "departments.csv", "towns.csv", "teams.csv"],
    );
}

#[test]
fn a_bad_cell_in_a_workbook_is_located_by_sheet_row_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in std::fs::read_dir(root().join("data/sample")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), data.join(f.file_name())).unwrap();
    }
    let csv = std::fs::read_to_string(data.join("villages.csv"))
        .unwrap()
        .replacen(
            "V02,东王家夼村,Z01,weak_leadership,D07,WT02,0,0",
            "V02,东王家夼村,Z01,weak_leadership,D07,WT02,x,0",
            1,
        );
    std::fs::write(data.join("villages.csv"), csv).unwrap();
    csv_to_xlsx(
        &data.join("villages.csv"),
        &data.join("villages.xlsx"),
        "村",
    );
    let manifest = std::fs::read_to_string(data.join("dataset.yaml"))
        .unwrap()
        .replace(
            "villages: villages.csv",
            "villages: { file: villages.xlsx, sheet: 村 }",
        );
    std::fs::write(data.join("dataset.yaml"), manifest).unwrap();
    let o = bangfu(&["run", "--data", data.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(4));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("villages.xlsx (sheet 村), row 3, column `hist_identified`"),
        "{err}"
    );
}

#[test]
fn results_xlsx_holds_the_same_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(
        bangfu(&["run", "--quiet", "--out", out.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let mut wb = open_workbook_auto(out.join("results.xlsx")).unwrap();
    let names = wb.sheet_names();
    assert!(names.iter().any(|n| n.contains("汇总")), "{names:?}");
    let village_sheet = names
        .iter()
        .find(|n| n.ends_with("village"))
        .unwrap()
        .clone();
    let range = wb.worksheet_range(&village_sheet).unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let total_col = header.iter().position(|h| h.starts_with("总分")).unwrap();
    let mut rdr = csv::Reader::from_path(out.join("villages.csv")).unwrap();
    let csv_header: Vec<String> = rdr
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let csv_total = csv_header.iter().position(|h| h == "total").unwrap();
    let csv_rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() - 1, csv_rows.len());
    for (x, c) in rows[1..].iter().zip(&csv_rows) {
        assert_eq!(x[0].to_string(), c[0].to_string());
        match &x[total_col] {
            Data::Float(f) => assert_eq!(format!("{f:.2}"), c[csv_total].to_string()),
            other => panic!("total stored as {other:?}, not a number"),
        }
    }
}

/// Every sheet of `results.xlsx` prints as an office prints it: landscape A4, one page wide,
/// the heading row on every page, the print area set, a page header naming the rules and the
/// period, and a footer numbering the pages; under a what-if the mark is in both.
#[test]
fn every_sheet_prints_landscape_one_page_wide_with_its_heading_on_every_page() {
    for (extra, marked) in [(&[][..], false), (&["--set", "pass_line=72"][..], true)] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut args = vec!["run", "--out", out.to_str().unwrap(), "--quiet"];
        args.extend(extra);
        let o = bangfu(&args);
        assert!(o.status.success());
        let file = std::fs::File::open(out.join("results.xlsx")).unwrap();
        let mut zip = zip::ZipArchive::new(file).unwrap();
        let read = |zip: &mut zip::ZipArchive<std::fs::File>, name: &str| {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
            s
        };
        let sheets: Vec<String> = zip
            .file_names()
            .filter(|n| n.starts_with("xl/worksheets/sheet"))
            .map(str::to_string)
            .collect();
        assert_eq!(
            sheets.len(),
            8,
            "the summary, six kinds and the notice: {sheets:?}"
        );
        for name in &sheets {
            let xml = read(&mut zip, name);
            for needle in [
                "<pageSetUpPr fitToPage=\"1\"/>",
                "paperSize=\"9\"",
                "orientation=\"landscape\"",
                "fitToHeight=\"0\"",
                "后进村帮扶验收细则 2026.1 · 2025–2026",
                "第 &amp;P 页 共 &amp;N 页",
            ] {
                assert!(xml.contains(needle), "{name} lacks {needle}");
            }
            assert_eq!(xml.contains("模拟测算，非正式结果"), marked, "{name}");
        }
        let wb = read(&mut zip, "xl/workbook.xml");
        let titles = wb.matches("_xlnm.Print_Titles").count();
        let areas = wb.matches("_xlnm.Print_Area").count();
        assert_eq!((titles, areas), (8, 8), "{wb}");
        // The heading row (row 1, or row 2 below the mark) repeats on every page, and on a
        // kind's sheet the id and name columns too.
        let rows = if marked { "$1:$2" } else { "$1:$1" };
        assert!(
            wb.contains(&format!("village'!$A:$B,'后进村 village'!{rows}")),
            "{wb}"
        );
        // The notice's heading is below its title and opening words: that row alone repeats.
        let notice = if marked { "$5:$5" } else { "$4:$4" };
        assert!(
            wb.contains(&format!("'公示名单 (public notice)'!{notice}")),
            "{wb}"
        );
    }
}

/// The rows of the notice sheet of `results.xlsx` in `out`, from its heading row on.
fn notice_rows(out: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut wb = open_workbook_auto(out.join("results.xlsx")).unwrap();
    let names = wb.sheet_names();
    let notice = names
        .iter()
        .find(|n| n.starts_with("公示名单"))
        .unwrap()
        .clone();
    let range = wb.worksheet_range(&notice).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let head = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "序号"))
        .unwrap();
    let opening: Vec<String> = rows[..head]
        .iter()
        .filter_map(|r| r.first().cloned())
        .filter(|c| !c.is_empty())
        .collect();
    (opening, rows[head..].to_vec())
}

/// The public notice lists every entity of every kind once, kind by kind: each outcome's
/// entities together, the highest total first within an outcome, numbered from 1 in each
/// kind; then the default period, contact, office and date.
#[test]
fn the_notice_lists_every_entity_once_sorted_as_a_notice_is() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(bangfu(&["run", "--out", out.to_str().unwrap(), "--quiet"])
        .status
        .success());
    let (opening, rows) = notice_rows(&out);
    assert_eq!(opening[0], "验收和考核结果公示");
    assert!(
        opening[1].starts_with("根据《后进村帮扶验收细则》"),
        "{opening:?}"
    );
    assert_eq!(
        rows[0],
        ["序号", "类别", "编号", "名称", "所属", "总分", "等次", "结果"]
    );
    let listed: Vec<&Vec<String>> = rows[1..].iter().take_while(|r| !r[0].is_empty()).collect();
    let closing: Vec<String> = rows[1 + listed.len()..]
        .iter()
        .filter_map(|r| r.first().cloned())
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        closing,
        [
            "公示期为 5 个工作日。",
            "公示期间如对结果有异议，请以书面形式向评估委员会办公室反映，并写明理由和联系方式。",
            "评估委员会办公室",
            "年　　月　　日"
        ]
    );
    // Kind by kind, as many as its result file holds, each id once.
    let mut kinds: Vec<(String, Vec<&Vec<String>>)> = Vec::new();
    for r in &listed {
        match kinds.last_mut() {
            Some((k, rs)) if *k == r[1] => rs.push(r),
            _ => kinds.push((r[1].clone(), vec![r])),
        }
    }
    let files = [
        ("后进村", "villages"),
        ("包帮部门", "departments"),
        ("市级领导", "leaders"),
        ("驻村干部", "members"),
        ("驻村工作队", "teams"),
        ("镇街区", "towns"),
    ];
    assert_eq!(
        kinds.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        files.map(|(k, _)| k)
    );
    for ((kind, rs), (_, file)) in kinds.iter().zip(files) {
        let mut rdr = csv::Reader::from_path(out.join(format!("{file}.csv"))).unwrap();
        let mut expected: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).collect();
        let mut ids: Vec<String> = rs.iter().map(|r| r[2].clone()).collect();
        assert_eq!(
            rs.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
            (1..=rs.len()).map(|n| n.to_string()).collect::<Vec<_>>(),
            "{kind}: numbered from 1"
        );
        expected.sort();
        ids.sort();
        assert_eq!(ids, expected, "{kind}: every id once");
        // Each outcome's rows together, and within them the highest total first.
        let mut outcomes: Vec<&str> = Vec::new();
        for w in rs.windows(2) {
            if w[0][7] == w[1][7] {
                let total = |r: &Vec<String>| r[5].parse::<f64>().unwrap();
                assert!(
                    total(w[0]) >= total(w[1]),
                    "{kind}: {:?} before {:?}",
                    w[0],
                    w[1]
                );
            }
        }
        for r in rs {
            if outcomes.last() != Some(&r[7].as_str()) {
                assert!(!outcomes.contains(&r[7].as_str()), "{kind}: {} split", r[7]);
                outcomes.push(&r[7]);
            }
        }
    }
    // The villages' best outcome first.
    assert_eq!(kinds[0].1[0][7], "验收合格，工作队撤离");
}

/// The notice's words and kinds come from `notice:` in ruleset.yaml, in the workbook and in
/// the report alike.
#[test]
fn the_notice_takes_its_words_and_kinds_from_the_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    common::copy_dir(&root().join("rules"), &rules);
    let header = std::fs::read_to_string(rules.join("ruleset.yaml")).unwrap();
    let header = header.replacen(
        "\nparameters:\n",
        "\nnotice:\n  title: 2026 年度后进村验收结果公示\n  period: 公示时间：2026 年 12 月 8 日至 12 月 14 日。\n  contact: 联系电话：0535-1234567\n  office: 市委组织部\n  date: 2026 年 12 月 7 日\n  kinds: [town, village]\n\nparameters:\n",
        1,
    );
    std::fs::write(rules.join("ruleset.yaml"), header).unwrap();
    let out = tmp.path().join("out");
    let o = bangfu(&[
        "run",
        "--rules",
        rules.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (opening, rows) = notice_rows(&out);
    assert_eq!(opening[0], "2026 年度后进村验收结果公示");
    let kinds: Vec<&str> = rows[1..]
        .iter()
        .take_while(|r| !r[0].is_empty())
        .map(|r| r[1].as_str())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "镇街区").count(), 12);
    assert_eq!(kinds.iter().filter(|k| **k == "后进村").count(), 78);
    assert_eq!((kinds[0], kinds[12]), ("镇街区", "后进村"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let notice = &html[html.find("<section class=\"notice\"").unwrap()..];
    for words in [
        "2026 年度后进村验收结果公示",
        "一、镇街区（12 个）",
        "二、后进村（78 个）",
        "公示时间：2026 年 12 月 8 日至 12 月 14 日。",
        "联系电话：0535-1234567",
        "市委组织部<br>2026 年 12 月 7 日",
    ] {
        assert!(notice.contains(words), "the report's notice lacks {words}");
    }
    assert!(!notice.contains("包帮部门（"));
}
