//! Data-entry workbooks: `bangfu template` split by town from the sample, filled in with the
//! sample's values, read back by `run` with results byte-identical to the run on the sample's
//! CSV files; the same after LibreOffice has opened and saved every workbook; and every
//! read-back problem, located to file, sheet, row and column.
//!
//! The LibreOffice round trip is ignored in a plain `cargo test`. To run it:
//!
//! ```sh
//! apt-get install libreoffice-calc
//! BANGFU_OFFICE_TESTS=1 cargo test --test forms -- --include-ignored
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, root, stderr};

use calamine::{open_workbook_auto, Data, Reader};
use rust_xlsxwriter::Workbook;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The rows of a table: machine name → value, by first cell and line.
type Table = HashMap<String, HashMap<String, String>>;

/// A rule set and the data set its templates are made from and filled in with.
struct Sample {
    rules: PathBuf,
    data: PathBuf,
    split_by: Option<&'static str>,
}

impl Sample {
    /// The bundled rules and sample, split by town.
    fn bundled() -> Sample {
        Sample {
            rules: root().join("rules"),
            data: root().join("data/sample"),
            split_by: Some("town_id"),
        }
    }

    /// The rows a sheet is filled in with: the table's own file, or the baseline.
    fn values(&self, table: &str, baseline: bool) -> Table {
        if baseline {
            table_of(&self.data.join("baseline.csv"))
        } else {
            table_of(&self.data.join(format!("{table}.csv")))
        }
    }
}

fn sample_table(file: &str) -> Table {
    table_of(&root().join("data/sample").join(file))
}

fn table_of(path: &Path) -> Table {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut out = Table::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let row: HashMap<String, String> = header
            .iter()
            .cloned()
            .zip(rec.iter().map(String::from))
            .collect();
        out.insert(format!("{}/{}", &rec[0], out.len()), row);
    }
    out
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A sheet's cells, row by row.
fn cells(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.iter().map(text).collect()).collect()
}

/// What a clerk types for a sample value: numbers as numbers, yes/no as 是/否.
enum Typed {
    Number(f64),
    Text(String),
}

fn typed(v: &str) -> Typed {
    match v {
        "true" => Typed::Text("是".into()),
        "false" => Typed::Text("否".into()),
        _ => match v.parse::<f64>() {
            Ok(x) => Typed::Number(x),
            Err(_) => Typed::Text(v.to_string()),
        },
    }
}

/// Each sheet's table, whether it is the baseline and how many columns make its ids, from a
/// template's marker sheet.
fn marker(path: &Path) -> Vec<(String, String, bool, usize)> {
    let rows = cells(path, "_bangfu");
    rows.iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| !r[0].is_empty() && r[1] != "headings" && r[1] != "values")
        .map(|(i, r)| {
            let keys = rows[i + 2][2].parse().unwrap();
            (r[0].clone(), r[1].clone(), r[2] == "baseline", keys)
        })
        .collect()
}

/// A change to a sheet's cells before the workbook is saved; `false` leaves the sheet out.
type Edit = dyn Fn(&str, &mut Vec<Vec<String>>) -> bool;

/// A copy of a template with every empty cell of its rows filled from `values` (table, id →
/// row), written with a workbook library as an office's own program would save it. `edit`
/// may change any sheet's cells before they are written.
fn fill(template: &Path, out: &Path, sample: &Sample, edit: &Edit) {
    let sheets = marker(template);
    let mut wb = Workbook::new();
    let names = open_workbook_auto(template).unwrap().sheet_names();
    for name in names {
        let mut rows = cells(template, &name);
        // The cells the clerk types (the rest were in the template).
        let mut typed_in = std::collections::HashSet::new();
        if let Some((_, table, baseline, keys)) = sheets.iter().find(|s| s.0 == name) {
            let machine = rows[1].clone();
            let key = |row: &dyn Fn(&str) -> String| -> String {
                machine[..*keys]
                    .iter()
                    .map(|c| row(c))
                    .collect::<Vec<_>>()
                    .join("/")
            };
            let data: HashMap<String, HashMap<String, String>> = sample
                .values(table, *baseline)
                .into_values()
                .map(|r| (key(&|c| r.get(c).cloned().unwrap_or_default()), r))
                .collect();
            for (r, row) in rows.iter_mut().enumerate().skip(2) {
                row.resize(machine.len(), String::new());
                let id = row[..*keys].join("/");
                let Some(src) = data.get(&id) else {
                    continue;
                };
                for (c, (cell, col)) in row.iter_mut().zip(&machine).enumerate() {
                    if cell.is_empty() {
                        *cell = src.get(col).cloned().unwrap_or_default();
                        typed_in.insert((r, c));
                    }
                }
            }
        }
        if !edit(&name, &mut rows) {
            continue;
        }
        let ws = wb.add_worksheet();
        ws.set_name(&name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                let typed_here = typed_in.contains(&(r, c));
                let (r, c) = (r as u32, c as u16);
                // The headings and the pre-filled ids stay text; the inputs are typed.
                match (
                    typed_here || (r >= 2 && c > 0 && !v.starts_with('0')),
                    typed(v),
                ) {
                    (true, Typed::Number(x)) => ws.write_number(r, c, x).unwrap(),
                    (true, Typed::Text(t)) => ws.write_string(r, c, t).unwrap(),
                    (false, _) => ws.write_string(r, c, v).unwrap(),
                };
            }
        }
        if name == "_bangfu" {
            ws.set_hidden(true);
        }
    }
    wb.save(out).unwrap();
}

/// Templates split by town from the sample, in `dir/forms`.
fn templates(dir: &Path) -> PathBuf {
    templates_of(&Sample::bundled(), dir)
}

/// The templates of `sample`, in `dir/forms`.
fn templates_of(sample: &Sample, dir: &Path) -> PathBuf {
    let forms = dir.join("forms");
    let mut args = vec![
        "template",
        "--rules",
        sample.rules.to_str().unwrap(),
        "--out",
        forms.to_str().unwrap(),
        "--data",
        sample.data.to_str().unwrap(),
        "--quiet",
    ];
    if let Some(col) = sample.split_by {
        args.extend(["--split-by", col]);
    }
    let o = bangfu(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    forms
}

/// The templates filled in with the sample's values, in `dir/returned`, with `edit` applied
/// to the workbook named `which` (every workbook when it is empty).
fn returned_with(dir: &Path, edits: &[(&str, &Edit)]) -> PathBuf {
    returned_of(&Sample::bundled(), dir, edits)
}

/// The templates of `sample` filled in with its values, in `dir/returned`, with `edits`.
fn returned_of(sample: &Sample, dir: &Path, edits: &[(&str, &Edit)]) -> PathBuf {
    let forms = templates_of(sample, dir);
    let back = dir.join("returned");
    std::fs::create_dir_all(&back).unwrap();
    for e in std::fs::read_dir(&forms).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".xlsx") {
            let noop = |_: &str, _: &mut Vec<Vec<String>>| true;
            let edit: &Edit = edits
                .iter()
                .find(|(w, _)| *w == name)
                .map_or(&noop, |(_, e)| *e);
            fill(&p, &back.join(&name), sample, edit);
        } else {
            std::fs::copy(&p, back.join(&name)).unwrap();
        }
    }
    back
}

fn returned(dir: &Path) -> PathBuf {
    returned_with(dir, &[])
}

/// `run --out` on `data`, into `out`.
fn run_out(rules: &Path, data: &Path, out: &Path) {
    let o = bangfu(&[
        "run",
        "--rules",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The results of the returned workbooks are those of the sample's CSV files: every CSV byte
/// for byte, results.json's villages and units; the manifest names each workbook and its hash.
fn same_results(returned: &Path, dir: &Path) {
    same_results_of(&Sample::bundled(), returned, dir);
    let json = |d: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join(d).join("results.json")).unwrap()).unwrap()
    };
    assert_eq!(
        json("from-workbooks")["villages"].as_array().unwrap().len(),
        78
    );
    let csvs = std::fs::read_dir(dir.join("from-workbooks"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "csv")
        })
        .count();
    assert_eq!(csvs, 6);
    assert_eq!(json("from-workbooks")["manifest"]["data"]["period"], "2026");
}

/// [`same_results`] for any sample.
fn same_results_of(sample: &Sample, returned: &Path, dir: &Path) {
    let (a, b) = (dir.join("from-csv"), dir.join("from-workbooks"));
    run_out(&sample.rules, &sample.data, &a);
    run_out(&sample.rules, returned, &b);
    let mut csvs = 0;
    for e in std::fs::read_dir(&a).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            let name = p.file_name().unwrap();
            assert_eq!(
                std::fs::read(&p).unwrap(),
                std::fs::read(b.join(name)).unwrap(),
                "{name:?} differs"
            );
            csvs += 1;
        }
    }
    assert!(csvs > 0);
    let json = |d: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join("results.json")).unwrap()).unwrap()
    };
    let (ja, jb) = (json(&a), json(&b));
    for key in ["villages", "units", "summary"] {
        assert_eq!(ja[key], jb[key], "results.json `{key}` differs");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["data"]["files"].as_array().unwrap();
    let mut books: Vec<String> = std::fs::read_dir(returned)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xlsx"))
        .collect();
    books.sort();
    let listed: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(listed, books);
    for f in files {
        let bytes = std::fs::read(returned.join(f["path"].as_str().unwrap())).unwrap();
        use sha2_check::hex_sha256;
        assert_eq!(f["sha256"].as_str().unwrap(), hex_sha256(&bytes));
    }
    // No result names the merged tables' text (report.html, results.xlsx and all).
    for e in std::fs::read_dir(&b).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("bangfu-forms-"),
            "{} names a merged table",
            p.display()
        );
    }
    let from_csv: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
    for key in ["name", "period"] {
        assert_eq!(manifest["data"][key], from_csv["data"][key]);
    }
}

/// SHA-256 through the system's `sha256sum`, so the test does not share the code it checks.
mod sha2_check {
    pub fn hex_sha256(bytes: &[u8]) -> String {
        use std::io::Write;
        let mut child = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(bytes).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap()[..64].to_string()
    }
}

#[test]
fn templates_split_by_town_hold_only_each_towns_rows() {
    let dir = tempfile::tempdir().unwrap();
    let forms = templates(dir.path());
    let qishan = forms.join("齐山镇.xlsx");
    let villages = cells(&qishan, "后进村");
    // Two header rows, then the town's seven villages, ids and labels filled in.
    assert_eq!(villages[1][..2], ["village_id", "name"]);
    assert!(villages[1][2..6].contains(&"town_id".to_string()));
    let ids: Vec<&str> = villages[2..].iter().map(|r| r[0].as_str()).collect();
    let expected: Vec<String> = {
        let t = sample_table("villages.csv");
        let mut v: Vec<String> = t
            .values()
            .filter(|r| r["town_id"] == "Z01")
            .map(|r| r["village_id"].clone())
            .collect();
        v.sort();
        v
    };
    let mut got: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    got.sort();
    assert_eq!(got, expected);
    assert!(villages[2][1].ends_with('村'));
    // The inputs are empty for the clerk.
    let income = villages[1]
        .iter()
        .position(|c| c == "farmer_income_yuan")
        .unwrap();
    assert!(villages[0][income].contains("（元）"));
    assert!(villages[2..]
        .iter()
        .all(|r| r.get(income).is_none_or(String::is_empty)));
    let names = open_workbook_auto(&qishan).unwrap().sheet_names();
    assert_eq!(names[0], "填表说明");
    assert!(names.contains(&"后进村基线".to_string()));
    // Departments help villages of several towns: they are the office's, in one workbook.
    let shared = forms.join("共用表.xlsx");
    assert_eq!(cells(&shared, "包帮部门").len(), 2 + 50);
    assert!(!names.contains(&"包帮部门".to_string()));
    assert!(forms.join("dataset.yaml").is_file());
}

#[test]
fn returned_workbooks_give_the_results_of_the_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    let back = returned(dir.path());
    same_results(&back, dir.path());
    // The other commands read the returned workbooks as they read CSV files.
    let data = back.to_str().unwrap();
    let o = bangfu(&["check", "--data", data]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let explain = |d: &str| common::stdout(&bangfu(&["explain", "V14", "--data", d]));
    assert_eq!(explain(data), explain("data/sample"));
}

fn office_tests() -> bool {
    std::env::var("BANGFU_OFFICE_TESTS").is_ok_and(|v| v == "1")
}

#[test]
#[ignore = "needs LibreOffice: set BANGFU_OFFICE_TESTS=1 (apt-get install libreoffice-calc)"]
fn workbooks_saved_by_libreoffice_give_the_same_results() {
    if !office_tests() {
        eprintln!("skipped: set BANGFU_OFFICE_TESTS=1 to run the LibreOffice round trip");
        return;
    }
    let soffice = std::env::var("BANGFU_SOFFICE").unwrap_or_else(|_| "soffice".into());
    let dir = tempfile::tempdir().unwrap();
    let back = returned(dir.path());
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&saved).unwrap();
    let profile = dir.path().join("lo-profile");
    let mut books: Vec<PathBuf> = std::fs::read_dir(&back)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .collect();
    books.sort();
    let status = std::process::Command::new(&soffice)
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--convert-to", "xlsx", "--outdir"])
        .arg(&saved)
        .args(&books)
        .output()
        .unwrap_or_else(|e| {
            panic!("BANGFU_OFFICE_TESTS=1 but `{soffice}` could not be run ({e}): apt-get install libreoffice-calc")
        });
    assert!(status.status.success(), "{}", stderr(&status));
    for b in &books {
        let out = saved.join(b.file_name().unwrap());
        assert!(out.is_file(), "LibreOffice did not save {}", out.display());
        // LibreOffice's own file, not ours.
        assert_ne!(std::fs::read(&out).unwrap(), std::fs::read(b).unwrap());
    }
    std::fs::copy(back.join("dataset.yaml"), saved.join("dataset.yaml")).unwrap();
    same_results(&saved, dir.path());
}

/// `bangfu ARGS` in `dir` with the bundled rules; its exit code and its stderr.
fn in_dir(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let rules = root().join("rules");
    let mut all = vec!["--rules", rules.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = common::bangfu_in(dir, &all);
    (o.status.code(), stderr(&o))
}

/// The problems `check` and `run` report for the returned workbooks after `edits`; both
/// report the same and exit 4, and `run` writes nothing.
fn problems(edits: &[(&str, &Edit)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    returned_with(dir.path(), edits);
    let (code, run) = in_dir(
        dir.path(),
        &["run", "--data", "returned", "--out", "results"],
    );
    assert_eq!(code, Some(4), "{run}");
    assert!(!dir.path().join("results").exists());
    // Every problem is named by its workbook, never by the merged tables' text.
    assert!(!run.contains("bangfu-forms-"), "{run}");
    let (code, check) = in_dir(dir.path(), &["check", "--data", "returned"]);
    assert_ne!(code, Some(0), "{check}");
    for line in run.lines().filter(|l| l.starts_with("error: returned")) {
        assert!(check.contains(line), "check lacks {line}\n{check}");
    }
    run
}

/// Village `id`'s row of a sheet.
fn row_of<'a>(rows: &'a mut [Vec<String>], id: &str) -> &'a mut Vec<String> {
    rows.iter_mut().find(|r| r[0] == id).unwrap()
}

#[test]
fn a_changed_header_is_located() {
    let edit = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "后进村" {
            rows[0][18] = "农民收入".into();
            rows[1][6] = "hist_fixed".into();
        }
        true
    };
    insta::assert_snapshot!("forms_changed_header", problems(&[("齐山镇.xlsx", &edit)]));
}

#[test]
fn a_missing_sheet_is_located() {
    let edit = |sheet: &str, _: &mut Vec<Vec<String>>| sheet != "驻村工作队";
    insta::assert_snapshot!("forms_missing_sheet", problems(&[("南河镇.xlsx", &edit)]));
}

#[test]
fn a_cell_outside_the_template_is_located() {
    let edit = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "驻村干部" {
            rows[4].resize(7, String::new());
            rows[4][6] = "请假两天".into();
            rows[1].resize(6, String::new());
            rows[1][5] = "备注".into();
        }
        true
    };
    insta::assert_snapshot!("forms_outside_columns", problems(&[("柳林镇.xlsx", &edit)]));
}

/// Two workbooks sent with the same village (the office made one of them again after the
/// village moved to another town, say) both come back with it.
#[test]
fn an_id_in_two_workbooks_names_both() {
    let edit = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "后进村" {
            let mut copy = rows[2].clone();
            copy[0] = "V01".into();
            rows.push(copy);
        }
        if sheet == "_bangfu_rows" {
            rows.push(vec!["后进村".into(), "V01".into()]);
        }
        true
    };
    insta::assert_snapshot!(
        "forms_id_in_two_workbooks",
        problems(&[("东庄镇.xlsx", &edit)])
    );
}

/// A filled template comes back with the rows it was sent with: a total added below them and
/// a row deleted are each located.
#[test]
fn a_row_added_or_deleted_in_a_filled_template_is_located() {
    let edit = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "后进村" {
            let mut total = vec![String::new(); rows[2].len()];
            total[1] = "合计".into();
            total[rows[2].len() - 1] = "12".into();
            rows.push(total);
        }
        if sheet == "驻村工作队" {
            rows.remove(3);
        }
        true
    };
    insta::assert_snapshot!(
        "forms_row_added_or_deleted",
        problems(&[("西山镇.xlsx", &edit)])
    );
}

#[test]
fn a_bad_value_is_located_in_its_workbook() {
    let edit = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "后进村" {
            let income = rows[1]
                .iter()
                .position(|c| c == "farmer_income_yuan")
                .unwrap();
            row_of(rows, "V03")[income] = "三千".into();
            let flag = rows[1]
                .iter()
                .position(|c| c == "rules_established")
                .unwrap();
            row_of(rows, "V05")[flag] = "有".into();
        }
        true
    };
    insta::assert_snapshot!("forms_bad_value", problems(&[("齐山镇.xlsx", &edit)]));
}

#[test]
fn every_problem_in_every_workbook_is_reported_at_once() {
    let header = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "后进村" {
            rows[1][6] = "hist_fixed".into();
        }
        true
    };
    let missing = |sheet: &str, _: &mut Vec<Vec<String>>| sheet != "后进村基线";
    let value = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "驻村工作队" {
            rows[2][1] = "45".into();
        }
        true
    };
    let out = problems(&[
        ("齐山镇.xlsx", &header),
        ("南河镇.xlsx", &missing),
        ("石桥镇.xlsx", &value),
    ]);
    assert!(
        out.contains("齐山镇.xlsx") && out.contains("南河镇.xlsx") && out.contains("石桥镇.xlsx")
    );
    insta::assert_snapshot!("forms_all_at_once", out);
}

#[test]
fn a_workbook_that_is_not_a_template_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let back = returned(dir.path());
    let mut wb = Workbook::new();
    wb.add_worksheet().write_string(0, 0, "village_id").unwrap();
    wb.save(back.join("汇总.xlsx")).unwrap();
    std::fs::copy(root().join("data/sample/towns.csv"), back.join("towns.csv")).unwrap();
    let (code, err) = in_dir(dir.path(), &["run", "--data", "returned"]);
    assert_eq!(code, Some(4));
    insta::assert_snapshot!("forms_not_a_template", err);
}

/// A part of a workbook's package, as text.
fn part(book: &Path, name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(book).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn a_template_validates_and_explains_every_input() {
    let dir = tempfile::tempdir().unwrap();
    let book = templates(dir.path()).join("齐山镇.xlsx");
    let workbook = part(&book, "xl/workbook.xml");
    // The guide first, then the sheets, the layout sheet hidden last.
    let guide = workbook.find("name=\"填表说明\"").unwrap();
    let villages = workbook.find("name=\"后进村\"").unwrap();
    assert!(guide < villages);
    assert!(workbook.contains("name=\"_bangfu\" sheetId=\"8\" state=\"hidden\""));
    let sheet = part(&book, "xl/worksheets/sheet2.xml");
    // Headings and machine names frozen, with the id and label.
    assert!(sheet.contains("xSplit=\"2\" ySplit=\"2\""), "{sheet}");
    // Yes/no as a list, whole numbers from the declared minimum, shares between 0 and 1.
    assert!(sheet.contains("<formula1>\"是,否\"</formula1>"));
    assert!(sheet.contains("<formula1>\"村情不稳定,班子软弱涣散,集体经济薄弱\"</formula1>"));
    assert!(sheet.contains("type=\"whole\" operator=\"greaterThanOrEqual\""));
    assert!(sheet.contains("type=\"decimal\" allowBlank=\"1\" showInputMessage=\"1\" showErrorMessage=\"1\" errorTitle=\"填写有误\""));
    // The headings and pre-filled cells are locked, and a filled template's rows are the
    // ones it is sent with: neither rows nor columns may be inserted (`insertRows="0"` would
    // allow rows).
    assert!(sheet.contains("<sheetProtection sheet=\"1\""));
    assert!(!sheet.contains("insertRows=\"0\""));
    assert!(!sheet.contains("insertColumns=\"0\""));
    // The rows it was sent with, recorded in a hidden sheet.
    assert!(workbook.contains("name=\"_bangfu_rows\" sheetId=\"9\" state=\"hidden\""));
    // Each input's message carries its reference text.
    assert!(sheet.contains("依据：梳理解决历史遗留问题20多个"));
    assert!(sheet.contains("promptTitle=\"农民人均纯收入（元）\""));
}

#[test]
fn the_examples_rule_sets_round_trip_too() {
    let examples = root().join("examples");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("rules").is_dir())
        .collect();
    names.sort();
    assert!(names.len() >= 4);
    for ex in names {
        let dir = tempfile::tempdir().unwrap();
        let sample = Sample {
            rules: ex.join("rules"),
            data: ex.join("data/sample"),
            split_by: None,
        };
        let back = returned_of(&sample, dir.path(), &[]);
        same_results_of(&sample, &back, dir.path());
    }
}

#[test]
fn a_changed_layout_sheet_is_refused() {
    let wiped = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "_bangfu" {
            rows[0][0] = "layout".into();
        }
        true
    };
    let newer = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "_bangfu" {
            rows[0][1] = "2".into();
        }
        true
    };
    // Another template's town sheet, with one more column.
    let other = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "_bangfu" {
            let at = rows.iter().position(|r| r[0] == "镇街区").unwrap();
            rows[at].push("head".into());
            rows[at + 1].push("镇长".into());
        }
        if sheet == "镇街区" {
            rows[0].push("镇长".into());
            rows[1].push("head".into());
        }
        true
    };
    insta::assert_snapshot!(
        "forms_layout_sheet",
        problems(&[
            ("东庄镇.xlsx", &wiped),
            ("南河镇.xlsx", &newer),
            ("齐山镇.xlsx", &other),
        ])
    );
}

#[test]
fn a_link_to_a_missing_unit_is_located() {
    let edit = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "后进村" {
            let team = rows[1].iter().position(|c| c == "team_id").unwrap();
            row_of(rows, "V02")[team] = "WT99".into();
        }
        if sheet == "市级领导" {
            rows[2][2] = "V99".into();
        }
        true
    };
    insta::assert_snapshot!("forms_missing_unit", problems(&[("齐山镇.xlsx", &edit)]));
}

#[test]
fn a_note_on_a_cell_is_located_too() {
    let dir = tempfile::tempdir().unwrap();
    let edit = |sheet: &str, rows: &mut Vec<Vec<String>>| {
        if sheet == "驻村工作队" {
            rows[2][1] = "２５".into();
        }
        true
    };
    returned_with(dir.path(), &[("石桥镇.xlsx", &edit)]);
    let (code, err) = in_dir(dir.path(), &["check", "--data", "returned"]);
    assert_eq!(code, Some(0), "{err}");
    let out = common::stdout(&common::bangfu_in(
        dir.path(),
        &[
            "--rules",
            root().join("rules").to_str().unwrap(),
            "check",
            "--data",
            "returned",
        ],
    ));
    let all = format!("{out}{err}");
    assert!(
        all.contains("returned/石桥镇.xlsx (sheet 驻村工作队), row 3, column `days_on_post`: full-width digits"),
        "{all}"
    );
}
