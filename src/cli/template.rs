//! `bangfu template`: data-entry workbooks for the rule set, blank or with the data set's ids
//! and labels filled in, one for the whole data set or one per value of a column (a town).

use super::output::print_data_errors;
use super::Options;
use crate::data::{DataError, DataSet};
use crate::exit::Exit;
use crate::forms::layout::{sheets, FormSheet};
use crate::forms::write::{workbook, Rows};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workbook of a data set that is not split, or of a blank template.
const WHOLE: &str = "填报表.xlsx";
/// The workbook of the tables a split cannot share out (a department helping in two towns).
const SHARED: &str = "共用表.xlsx";

/// Run the `template` command.
pub fn run(opts: &Options, split_by: Option<&str>) -> Exit {
    let Some(out) = &opts.out else {
        crate::errln!("error: `template` needs `--out DIR`, the folder to write the workbooks in");
        crate::errln!(
            "  help: bangfu template --out forms/ --data data/sample/ --split-by town_id"
        );
        return Exit::Usage;
    };
    if split_by.is_some() && !opts.data_given {
        crate::errln!("error: `--split-by` needs `--data DIR`: the rows to share out come from it");
        return Exit::Usage;
    }
    let rules = match super::pipeline::load_rules(opts) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let layout = sheets(&rules);
    let (ds, rows) = if opts.data_given {
        let ds = match DataSet::open(&opts.data) {
            Ok(ds) => ds,
            Err(e) => {
                print_data_errors(&[e], opts.color);
                return Exit::InvalidData;
            }
        };
        // Returned workbooks with problems fill nothing in until they are put right.
        let problems = ds
            .forms
            .as_ref()
            .map(|f| f.returned.problems.clone())
            .unwrap_or_default();
        if !problems.is_empty() {
            print_data_errors(&problems, opts.color);
            return Exit::InvalidData;
        }
        match prefill(&ds, &layout, &rules.primary.table) {
            Ok(rows) => (Some(ds), rows),
            Err(errs) => {
                print_data_errors(&errs, opts.color);
                return Exit::InvalidData;
            }
        }
    } else {
        (None, vec![Vec::new(); layout.len()])
    };
    let filled = opts.data_given;
    let title = format!("{} 数据填报", rules.name);
    let books = match split_by {
        None => vec![(WHOLE.to_string(), layout.iter().zip(rows).collect())],
        Some(col) => match split(&layout, rows, col) {
            Ok(b) => b,
            Err(msg) => {
                crate::errln!("error: {msg}");
                return Exit::Usage;
            }
        },
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    if opts.data_given && same(out, &opts.data) {
        crate::errln!("error: `--out` is the data set's own folder");
        crate::errln!("  help: write the workbooks into a new folder; a folder holding them is read as returned workbooks");
        return Exit::Usage;
    }
    let paths: Vec<PathBuf> = books.iter().map(|(n, _)| out.join(n)).collect();
    let yaml = ds
        .as_ref()
        .filter(|d| d.name.is_some() || d.period.is_some())
        .map(|_| out.join("dataset.yaml"));
    if let Some(p) = paths.iter().chain(&yaml).find(|p| p.exists()) {
        crate::errln!("error: `{}` already exists", p.display());
        crate::errln!("  help: choose a new folder; `template` never overwrites files");
        return Exit::Usage;
    }
    if let Err(e) = std::fs::create_dir_all(out) {
        crate::errln!("error: cannot create `{}`: {e}", out.display());
        return Exit::Usage;
    }
    for (i, ((name, sheets), path)) in books.iter().zip(&paths).enumerate() {
        let sheets: Vec<(&FormSheet, Rows)> =
            sheets.iter().map(|(s, r)| (*s, show(s, r))).collect();
        if let Err(e) = write_atomically(path, |tmp| workbook(tmp, &sheets, &title, filled)) {
            crate::errln!("error: cannot write `{}`: {e}", path.display());
            // No partial set of workbooks is left behind.
            for done in paths.iter().take(i) {
                let _ = std::fs::remove_file(done);
            }
            return Exit::Usage;
        }
        if !opts.quiet {
            let counts: Vec<String> = sheets
                .iter()
                .map(|(s, r)| format!("{} {}", s.title, r.len()))
                .collect();
            println!("{name}: {}", counts.join(", "));
        }
    }
    if let Some(ds) = ds.filter(|d| d.name.is_some() || d.period.is_some()) {
        if let Err(e) = write_dataset_yaml(out, &ds) {
            crate::errln!(
                "error: cannot write `{}`: {e}",
                out.join("dataset.yaml").display()
            );
            return Exit::Usage;
        }
    }
    if !opts.quiet {
        println!(
            "{} workbook{} in {}; read the returned ones back with `bangfu check --data FOLDER`",
            books.len(),
            crate::diag::plural(books.len()),
            out.display()
        );
    }
    Exit::Ok
}

/// Write a file through a temporary one beside it, renamed into place when complete.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), rust_xlsxwriter::XlsxError>,
) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .suffix(".xlsx")
        .tempfile_in(dir)
        .map_err(|e| e.to_string())?;
    write(tmp.path()).map_err(|e| e.to_string())?;
    tmp.persist_noclobber(path).map_err(|e| e.to_string())?;
    Ok(())
}

/// The data set's name and period, for the returned workbooks' folder.
fn write_dataset_yaml(out: &Path, ds: &DataSet) -> std::io::Result<()> {
    let mut text =
        String::from("# 数据填报：交回的工作簿放在本文件夹中 (returned data-entry workbooks)\n");
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    if let Some(n) = &ds.name {
        text.push_str(&format!("name: {}\n", quote(n)));
    }
    if let Some(p) = &ds.period {
        text.push_str(&format!("period: {}\n", quote(p)));
    }
    std::fs::write(out.join("dataset.yaml"), text)
}

/// The rows to pre-fill: each sheet's identifying columns from the data set, as stored (a
/// category's code); the inputs are left empty.
fn prefill(ds: &DataSet, layout: &[FormSheet], primary: &str) -> Result<Vec<Rows>, Vec<DataError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for s in layout {
        let tf = if s.baseline {
            ds.baseline_of(&s.table, s.table == primary)
        } else {
            ds.tables.get(&s.table)
        };
        let Some(tf) = tf else {
            let mut e = DataError::file(
                ds.dir.display().to_string(),
                format!(
                    "no table `{}` to fill the sheet `{}` from",
                    s.table, s.title
                ),
            );
            e.expected = Some(format!("a file `{}.csv` in the data set", s.table));
            errors.push(e);
            continue;
        };
        let keys: Vec<&str> = s
            .columns
            .iter()
            .filter(|c| c.key)
            .map(|c| c.name.as_str())
            .collect();
        match crate::data::parse::read_columns(tf, &keys, "a column the template fills in") {
            Ok(rows) => out.push(
                rows.into_iter()
                    .map(|(cells, _)| {
                        let mut keyed = cells.into_iter();
                        s.columns
                            .iter()
                            .map(|c| {
                                if c.key {
                                    keyed.next().unwrap_or_default()
                                } else {
                                    String::new()
                                }
                            })
                            .collect()
                    })
                    .collect(),
            ),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Rows as the workbook shows them: a category by its label.
fn show(s: &FormSheet, rows: &Rows) -> Rows {
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&s.columns)
                .map(|(v, c)| if v.is_empty() { v.clone() } else { c.shown(v) })
                .collect()
        })
        .collect()
}

/// One workbook's name and its sheets with their rows.
type Book<'a> = (String, Vec<(&'a FormSheet, Rows)>);

/// The value of `col` each row belongs to, for every sheet whose rows each belong to one: the
/// sheets holding the column, then those that name such a sheet's rows (a leader's village), then
/// those such a sheet names (a village's work team). `None` for a sheet shared by several.
fn belongs(layout: &[FormSheet], rows: &[Rows], col: &str) -> Vec<Option<Vec<BTreeSet<String>>>> {
    let at = |s: &FormSheet, name: &str| s.columns.iter().position(|c| c.name == name);
    let mut of: Vec<Option<Vec<BTreeSet<String>>>> = layout
        .iter()
        .zip(rows)
        .map(|(s, rs)| {
            at(s, col).map(|c| {
                rs.iter()
                    .map(|r| r.get(c).cloned().into_iter().collect())
                    .collect()
            })
        })
        .collect();
    // Each pass places the sheets one step further from the column.
    for _ in 0..layout.len() {
        for (x, sx) in layout.iter().enumerate() {
            if of.get(x).is_some_and(Option::is_some) {
                continue;
            }
            let rx = rows.get(x).map_or(&[][..], Vec::as_slice);
            let mut found: Option<Vec<BTreeSet<String>>> = None;
            for (y, sy) in layout.iter().enumerate() {
                let (Some(Some(vy)), Some(ry)) = (of.get(y), rows.get(y)) else {
                    continue;
                };
                if y == x || sy.baseline {
                    continue;
                }
                // This sheet names the other's rows: it follows them.
                if let (Some(cx), Some(cy)) = (at(sx, &sy.id_column), at(sy, &sy.id_column)) {
                    let by_id: BTreeMap<&str, &BTreeSet<String>> = ry
                        .iter()
                        .zip(vy)
                        .filter_map(|(r, v)| Some((r.get(cy)?.as_str(), v)))
                        .collect();
                    found = Some(
                        rx.iter()
                            .map(|r| {
                                r.get(cx)
                                    .and_then(|id| by_id.get(id.as_str()))
                                    .map(|v| (*v).clone())
                                    .unwrap_or_default()
                            })
                            .collect(),
                    );
                    break;
                }
                // The other names this sheet's rows: each belongs where those naming it do.
                if let (Some(cx), Some(cy)) = (at(sx, &sx.id_column), at(sy, &sx.id_column)) {
                    let mut by_id: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
                    for (r, v) in ry.iter().zip(vy) {
                        if let Some(id) = r.get(cy) {
                            by_id
                                .entry(id.as_str())
                                .or_default()
                                .extend(v.iter().cloned());
                        }
                    }
                    found = Some(
                        rx.iter()
                            .map(|r| {
                                r.get(cx)
                                    .and_then(|id| by_id.get(id.as_str()))
                                    .cloned()
                                    .unwrap_or_default()
                            })
                            .collect(),
                    );
                    break;
                }
            }
            if let (Some(f), Some(slot)) = (found, of.get_mut(x)) {
                *slot = Some(f);
            }
        }
    }
    // A sheet is shared out only when each of its rows belongs to exactly one value (a row
    // with none, or an empty one, would otherwise be in no workbook).
    of.into_iter()
        .map(|v| {
            v.filter(|v| {
                !v.is_empty()
                    && v.iter()
                        .all(|s| s.len() == 1 && s.iter().all(|x| !x.is_empty()))
            })
        })
        .collect()
}

/// A file name from a label: characters Windows refuses in names replaced.
fn file_name(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// One workbook per value of `col` with the rows that belong to it, and one for the tables
/// whose rows are shared (a department helping villages of two towns).
fn split<'a>(layout: &'a [FormSheet], rows: Vec<Rows>, col: &str) -> Result<Vec<Book<'a>>, String> {
    if !layout
        .iter()
        .any(|s| s.columns.iter().any(|c| c.name == col))
    {
        let names: BTreeSet<&str> = layout
            .iter()
            .flat_map(|s| s.columns.iter().filter(|c| c.key).map(|c| c.name.as_str()))
            .collect();
        let hint = crate::diag::did_you_mean(col, names.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                format!(
                    "the columns that place rows are: {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        return Err(format!(
            "`--split-by {col}`: no sheet of the template has this column\n  help: {hint}"
        ));
    }
    let of = belongs(layout, &rows, col);
    let values: BTreeSet<String> = of
        .iter()
        .flatten()
        .flatten()
        .flat_map(|s| s.iter().cloned())
        .filter(|v| !v.is_empty())
        .collect();
    // A value's label, from the sheet it is the id of (a town's name).
    let label = |v: &str| -> String {
        layout
            .iter()
            .zip(&rows)
            .filter(|(s, _)| s.id_column == col && !s.baseline)
            .find_map(|(s, rs)| {
                let lc = s
                    .columns
                    .iter()
                    .position(|c| Some(&c.name) == s.label_column.as_ref())?;
                let ic = s.columns.iter().position(|c| c.name == s.id_column)?;
                rs.iter()
                    .find(|r| r.get(ic).is_some_and(|x| x == v))
                    .and_then(|r| r.get(lc).cloned())
            })
            .filter(|l| !file_name(l).is_empty())
            .unwrap_or_else(|| v.to_string())
    };
    let mut books: Vec<Book> = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    names.insert(SHARED.to_string());
    for v in &values {
        let mut name = format!("{}.xlsx", file_name(&label(v)));
        if !names.insert(name.clone()) {
            name = format!("{}-{}.xlsx", file_name(&label(v)), file_name(v));
            names.insert(name.clone());
        }
        let sheets = layout
            .iter()
            .zip(&rows)
            .zip(&of)
            .filter_map(|((s, rs), o)| {
                let o = o.as_ref()?;
                let mine = rs
                    .iter()
                    .zip(o)
                    .filter(|(_, set)| set.contains(v))
                    .map(|(r, _)| r.clone())
                    .collect();
                Some((s, mine))
            })
            .collect();
        books.push((name, sheets));
    }
    let shared: Vec<(&FormSheet, Rows)> = layout
        .iter()
        .zip(rows)
        .zip(&of)
        .filter(|(_, o)| o.is_none())
        .map(|((s, rs), _)| (s, rs))
        .collect();
    if !shared.is_empty() {
        books.push((SHARED.to_string(), shared));
    }
    Ok(books)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::layout::FormColumn;

    fn sheet(table: &str, id: &str, cols: &[&str]) -> FormSheet {
        FormSheet {
            table: table.into(),
            baseline: false,
            title: table.into(),
            id_column: id.into(),
            label_column: None,
            key_count: 1,
            columns: cols
                .iter()
                .map(|c| FormColumn {
                    name: (*c).into(),
                    heading: (*c).into(),
                    ty: None,
                    min: None,
                    max: None,
                    categories: Vec::new(),
                    key: true,
                    group: String::new(),
                    note: String::new(),
                })
                .collect(),
        }
    }

    fn rows(r: &[&[&str]]) -> Rows {
        r.iter()
            .map(|x| x.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn rows_follow_the_column_through_links_and_shared_tables_stay_whole() {
        let layout = vec![
            sheet(
                "villages",
                "village_id",
                &["village_id", "town_id", "dept_id", "team_id"],
            ),
            sheet("teams", "team_id", &["team_id"]),
            sheet("members", "member_id", &["member_id", "team_id"]),
            sheet("departments", "dept_id", &["dept_id"]),
            sheet("leaders", "leader_id", &["leader_id", "village_id"]),
        ];
        let data = vec![
            rows(&[&["V1", "Z1", "D1", "T1"], &["V2", "Z2", "D1", "T2"]]),
            rows(&[&["T1"], &["T2"]]),
            rows(&[&["M1", "T1"], &["M2", "T2"], &["M3", "T2"]]),
            rows(&[&["D1"]]),
            rows(&[&["L1", "V2"]]),
        ];
        let of = belongs(&layout, &data, "town_id");
        let one = |s: &str| BTreeSet::from([s.to_string()]);
        assert_eq!(of[1], Some(vec![one("Z1"), one("Z2")]));
        assert_eq!(of[2], Some(vec![one("Z1"), one("Z2"), one("Z2")]));
        assert_eq!(of[4], Some(vec![one("Z2")]));
        // D1 helps villages of both towns: the office's.
        assert_eq!(of[3], None);
        let books = split(&layout, data, "town_id").unwrap();
        let names: Vec<&str> = books.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Z1.xlsx", "Z2.xlsx", SHARED]);
        let z2_members = &books[1].1[2].1;
        assert_eq!(z2_members.len(), 2);
    }

    #[test]
    fn a_row_without_a_value_keeps_its_table_whole() {
        let layout = vec![sheet("villages", "village_id", &["village_id", "town_id"])];
        let data = vec![rows(&[&["V1", "Z1"], &["V2", ""]])];
        assert_eq!(belongs(&layout, &data, "town_id")[0], None);
        let books = split(&layout, data, "town_id").unwrap();
        assert_eq!(books.len(), 1);
        assert_eq!(books[0].0, SHARED);
        assert_eq!(books[0].1[0].1.len(), 2);
    }
}
