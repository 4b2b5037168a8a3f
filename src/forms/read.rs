//! Reading returned workbooks: each template's sheets checked against the layout its marker
//! records, 是/否 and category labels read as the values the rules know, and the rows of every
//! workbook merged per table. Every problem names the file, sheet, row and column.

use super::{HEADER_ROWS, LAYOUT_VERSION, MARKER_SHEET, MARKER_TAG, ROWS_SHEET};
use crate::data::xlsx::{cell_text, quiet_reader_panics};
use crate::data::DataError;
use calamine::{open_workbook_auto, Data, Range, Reader};
use std::collections::HashMap;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Where a merged row came from.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Index into [`Returned::workbooks`].
    pub workbook: usize,
    pub sheet: String,
    /// The row in the sheet, 1-based as Excel numbers it.
    pub row: u64,
}

/// One table merged from every workbook that holds it.
#[derive(Debug, Clone)]
pub struct Table {
    pub table: String,
    pub baseline: bool,
    /// The sheet's name in the workbooks.
    pub title: String,
    /// The machine names, the merged text's header.
    pub names: Vec<String>,
    /// Each row's cells as the CSV path would read them, and where it came from.
    pub rows: Vec<(Vec<String>, Origin)>,
}

/// A folder of returned workbooks, read.
#[derive(Debug, Clone, Default)]
pub struct Returned {
    pub workbooks: Vec<PathBuf>,
    pub tables: Vec<Table>,
    /// Problems of the workbooks themselves (a changed header, a missing sheet, a cell outside
    /// the template, an id in two workbooks). Nothing is scored while any remains.
    pub problems: Vec<DataError>,
}

impl Returned {
    /// How a row is shown in messages: `齐山镇.xlsx (sheet 后进村)`.
    pub fn place(&self, o: &Origin) -> String {
        let file = self
            .workbooks
            .get(o.workbook)
            .map_or_else(String::new, |p| p.display().to_string());
        sheet_place(&file, &o.sheet)
    }
}

fn sheet_place(file: &str, sheet: &str) -> String {
    format!("{file} (sheet {sheet})")
}

/// How a column's cells are read.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    Text,
    Bool,
    /// Category labels and their codes.
    Category(Vec<(String, String)>),
}

impl Values {
    fn parse(spec: &str) -> Values {
        if spec == "bool" {
            return Values::Bool;
        }
        match spec.strip_prefix("category:") {
            Some(pairs) => Values::Category(
                pairs
                    .split(';')
                    .filter_map(|p| p.split_once('='))
                    .map(|(c, l)| (l.to_string(), c.to_string()))
                    .collect(),
            ),
            None => Values::Text,
        }
    }

    /// A cell's text as the CSV path reads it: 是/否 as `true`/`false`, a label as its code.
    fn read(&self, text: String) -> String {
        match self {
            Values::Bool => match text.trim() {
                "是" => "true".into(),
                "否" => "false".into(),
                _ => text,
            },
            Values::Category(labels) => labels
                .iter()
                .find(|(l, _)| *l == text.trim())
                .map_or(text, |(_, c)| c.clone()),
            Values::Text => text,
        }
    }
}

/// One sheet as a template's marker records it.
#[derive(Debug, Clone)]
struct Layout {
    title: String,
    table: String,
    baseline: bool,
    key_count: usize,
    names: Vec<String>,
    headings: Vec<String>,
    values: Vec<Values>,
}

/// Whether the workbook at `path` is a bangfu template (it has the marker sheet).
pub fn is_template(path: &Path) -> bool {
    open_workbook_auto(path).is_ok_and(|wb| wb.sheet_names().iter().any(|s| s == MARKER_SHEET))
}

/// The workbook's column letter of 0-based column `c`.
fn letter(c: usize) -> String {
    rust_xlsxwriter::utility::column_number_to_name(u16::try_from(c).unwrap_or(u16::MAX))
}

/// A cell's text, by 0-based position.
fn cell(range: &Range<Data>, r: u32, c: u32) -> String {
    range.get_value((r, c)).map(cell_text).unwrap_or_default()
}

/// The rows and columns a range reaches, from A1.
fn extent(range: &Range<Data>) -> (u32, u32) {
    range.end().map_or((0, 0), |(r, c)| (r + 1, c + 1))
}

/// Read a sheet, a damaged one as an error rather than a crash.
fn sheet(
    wb: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    name: &str,
) -> Option<Range<Data>> {
    quiet_reader_panics();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wb.worksheet_range(name)))
        .ok()?
        .ok()
}

/// The layout a workbook's marker records.
fn marker(range: &Range<Data>, file: &str) -> Result<Vec<Layout>, DataError> {
    let (rows, width) = extent(range);
    let damaged = || {
        let mut e = DataError::file(
            sheet_place(file, MARKER_SHEET),
            "the template's hidden layout sheet was changed".into(),
        );
        e.help =
            Some("make the workbook again with `bangfu template` and copy the data into it".into());
        e
    };
    if cell(range, 0, 0) != MARKER_TAG {
        return Err(damaged());
    }
    let version = cell(range, 0, 1);
    if version != LAYOUT_VERSION {
        let mut e = DataError::file(
            file.to_string(),
            format!("a template of layout version `{version}`, which this bangfu does not read"),
        );
        e.expected = Some(format!("layout version `{LAYOUT_VERSION}`"));
        e.help = Some("make the template again with this bangfu's `bangfu template`".into());
        return Err(e);
    }
    let mut out = Vec::new();
    let mut r = 1;
    while r < rows && !cell(range, r, 0).is_empty() {
        let title = cell(range, r, 0);
        let row_of = |at: u32| -> Vec<String> {
            let mut v: Vec<String> = (3..width).map(|c| cell(range, at, c)).collect();
            while v.last().is_some_and(String::is_empty) {
                v.pop();
            }
            v
        };
        let names = row_of(r);
        let mut headings = row_of(r + 1);
        headings.resize(names.len(), String::new());
        let mut values: Vec<Values> = row_of(r + 2).iter().map(|s| Values::parse(s)).collect();
        values.resize(names.len(), Values::Text);
        let ok = cell(range, r + 1, 0) == title
            && cell(range, r + 1, 1) == "headings"
            && cell(range, r + 2, 1) == "values"
            && !names.is_empty();
        if !ok {
            return Err(damaged());
        }
        out.push(Layout {
            table: cell(range, r, 1),
            baseline: cell(range, r, 2) == "baseline",
            key_count: cell(range, r + 2, 2).parse().unwrap_or(1),
            title,
            names,
            headings,
            values,
        });
        r += 3;
    }
    if out.is_empty() {
        return Err(damaged());
    }
    Ok(out)
}

/// The folder's workbooks and other table files, read: every template's sheets merged per
/// table. `paths` are the folder's `.xlsx` and `.csv` files.
pub fn read_all(paths: &[PathBuf]) -> Returned {
    let mut out = Returned {
        workbooks: paths.to_vec(),
        ..Returned::default()
    };
    out.workbooks.sort();
    // Per table: the id of each row already read, and where.
    let mut seen: HashMap<(String, bool), HashMap<String, Origin>> = HashMap::new();
    for (w, path) in out.workbooks.clone().iter().enumerate() {
        let file = path.display().to_string();
        let is_xlsx = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if !is_xlsx && ext != "csv" {
            let mut e = DataError::file(file, format!("a workbook saved as `.{ext}`"));
            e.expected = Some("an .xlsx workbook".into());
            e.help = Some(
                "open it and save it as an Excel workbook (.xlsx), keeping its name; then remove the old file".into(),
            );
            out.problems.push(e);
            continue;
        }
        if !is_xlsx {
            let mut e = DataError::file(file, "a table file among returned workbooks".into());
            e.expected = Some("only the workbooks made by `bangfu template`".into());
            e.help = Some("move it to another folder: a folder of returned workbooks is read as the union of their sheets".into());
            out.problems.push(e);
            continue;
        }
        let mut wb = match open_workbook_auto(path) {
            Ok(wb) => wb,
            Err(e) => {
                let mut err = DataError::file(file, format!("cannot read the workbook: {e}"));
                err.expected = Some("an .xlsx file saved by Excel, WPS or LibreOffice".into());
                out.problems.push(err);
                continue;
            }
        };
        let names = wb.sheet_names();
        if !names.iter().any(|s| s == MARKER_SHEET) {
            let mut e = DataError::file(file, "this workbook is not a bangfu template".into());
            e.expected = Some("a workbook made by `bangfu template`, filled in and saved".into());
            e.help = Some(format!(
                "a template holds a hidden sheet `{MARKER_SHEET}`; copy the data into a template, or move this file out of the folder"
            ));
            out.problems.push(e);
            continue;
        }
        let layouts = match sheet(&mut wb, MARKER_SHEET)
            .ok_or_else(|| DataError::file(file.clone(), "the workbook is damaged".into()))
            .and_then(|r| marker(&r, &file))
        {
            Ok(l) => l,
            Err(e) => {
                out.problems.push(e);
                continue;
            }
        };
        // A template filled from a data set comes back with the rows it was sent with.
        let sent = names
            .iter()
            .any(|s| s == ROWS_SHEET)
            .then(|| sent_rows(&mut wb))
            .flatten();
        for lay in layouts {
            let place = sheet_place(&file, &lay.title);
            // Every workbook holding a table holds it with the same columns.
            let at = out
                .tables
                .iter()
                .position(|t| t.table == lay.table && t.baseline == lay.baseline);
            if let Some(t) = at.and_then(|i| out.tables.get(i)) {
                if t.names != lay.names {
                    let first = t.rows.first().map_or_else(String::new, |(_, o)| {
                        out.workbooks
                            .get(o.workbook)
                            .map_or_else(String::new, |p| p.display().to_string())
                    });
                    let mut e = DataError::file(
                        place,
                        "the sheet's columns differ from the same table's in another workbook"
                            .into(),
                    );
                    e.expected = Some(format!(
                        "the columns {}",
                        t.names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    e.help = Some(if first.is_empty() {
                        "make every workbook from one template".into()
                    } else {
                        format!("make every workbook from one template (as `{first}`)")
                    });
                    out.problems.push(e);
                    continue;
                }
            }
            if !names.contains(&lay.title) {
                let mut e = DataError::file(
                    file.clone(),
                    format!("no sheet `{}` in the workbook", lay.title),
                );
                e.expected = Some(format!(
                    "every sheet of the template, `{}` among them",
                    lay.title
                ));
                e.help = Some(
                    "sheets may not be renamed or deleted: copy the sheet back from the template"
                        .into(),
                );
                out.problems.push(e);
                continue;
            }
            let Some(range) = sheet(&mut wb, &lay.title) else {
                out.problems.push(DataError::file(
                    place,
                    "cannot read the sheet: the workbook is damaged".into(),
                ));
                continue;
            };
            let mut rows = read_sheet(&range, &lay, w, &place, &mut out.problems);
            if let Some(sent) = &sent {
                check_sent(&mut rows, &lay, sent, &place, &mut out.problems);
            }
            let i = match at {
                Some(i) => i,
                None => {
                    out.tables.push(Table {
                        table: lay.table.clone(),
                        baseline: lay.baseline,
                        title: lay.title.clone(),
                        names: lay.names.clone(),
                        rows: Vec::new(),
                    });
                    out.tables.len() - 1
                }
            };
            let ids = seen.entry((lay.table.clone(), lay.baseline)).or_default();
            let Some(table) = out.tables.get_mut(i) else {
                continue;
            };
            for (cells, origin) in rows {
                let id: Vec<&str> = cells
                    .iter()
                    .take(lay.key_count)
                    .map(String::as_str)
                    .collect();
                let id = id.join("/");
                if id.trim_matches('/').is_empty() {
                    table.rows.push((cells, origin));
                    continue;
                }
                match ids.get(&id) {
                    Some(first) => {
                        let first_file = out
                            .workbooks
                            .get(first.workbook)
                            .map_or_else(String::new, |p| p.display().to_string());
                        let mut e = DataError::cell(
                            &place,
                            origin.row,
                            &lay.names.first().cloned().unwrap_or_default(),
                            &id,
                            if first.workbook == w {
                                "duplicate id"
                            } else {
                                "an id in two workbooks"
                            },
                            "each id once, in one workbook".into(),
                        );
                        e.note = Some(format!(
                            "also in `{first_file}`, sheet {}, row {}",
                            first.sheet, first.row
                        ));
                        e.help = Some(
                            "keep the row in the workbook it belongs to and delete the other"
                                .into(),
                        );
                        out.problems.push(e);
                    }
                    None => {
                        ids.insert(id, origin.clone());
                        table.rows.push((cells, origin));
                    }
                }
            }
        }
    }
    out
}

/// The rows a filled template was sent with, per sheet: each row's id (its key columns
/// joined by `/`), in order.
fn sent_rows(
    wb: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
) -> Option<HashMap<String, Vec<String>>> {
    let range = sheet(wb, ROWS_SHEET)?;
    let (rows, _) = extent(&range);
    let mut sent: HashMap<String, Vec<String>> = HashMap::new();
    for r in 1..rows {
        let sheet = cell(&range, r, 0);
        if !sheet.is_empty() {
            sent.entry(sheet).or_default().push(cell(&range, r, 1));
        }
    }
    Some(sent)
}

/// A filled template's sheet holds the rows it was sent with and no other: a row added below
/// them (another entity, a total, a note) or one deleted is a located error. An added row is
/// then left out, so it is not reported again for what it lacks.
fn check_sent(
    rows: &mut Vec<(Vec<String>, Origin)>,
    lay: &Layout,
    sent: &HashMap<String, Vec<String>>,
    place: &str,
    problems: &mut Vec<DataError>,
) {
    let expected: &[String] = sent.get(&lay.title).map_or(&[], Vec::as_slice);
    let known: HashSet<&str> = expected.iter().map(String::as_str).collect();
    let mut found: HashSet<String> = HashSet::new();
    let mut keep = Vec::with_capacity(rows.len());
    for (cells, origin) in rows.iter() {
        let id = cells
            .iter()
            .take(lay.key_count)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("/");
        keep.push(known.contains(id.as_str()));
        if known.contains(id.as_str()) {
            found.insert(id);
            continue;
        }
        let shown = cells
            .iter()
            .filter(|c| !c.trim().is_empty())
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let mut e = DataError::cell(
            place,
            origin.row,
            &lay.names.first().cloned().unwrap_or_default(),
            &shown,
            "a row added outside the template",
            format!(
                "only the {} rows the template was sent with",
                expected.len()
            ),
        );
        e.help = Some(
            "delete the row (a total or a note belongs outside the workbook); a new entity is added by the office, which makes the template again"
                .into(),
        );
        problems.push(e);
    }
    let mut keep = keep.into_iter();
    rows.retain(|_| keep.next().unwrap_or(true));
    for id in expected.iter().filter(|id| !found.contains(*id)) {
        let mut e = DataError::file(place.to_string(), format!("the row of `{id}` was deleted"));
        e.expected = Some("every row the template was sent with".into());
        e.help = Some("copy the row back from the template and fill it in".into());
        problems.push(e);
    }
}

/// A data sheet's rows, after its header is checked against the layout: blank rows skipped,
/// cells outside the template's columns reported.
fn read_sheet(
    range: &Range<Data>,
    lay: &Layout,
    workbook: usize,
    place: &str,
    problems: &mut Vec<DataError>,
) -> Vec<(Vec<String>, Origin)> {
    let (rows, width) = extent(range);
    let n = lay.names.len();
    let expected_rows = [&lay.headings, &lay.names];
    for (r, want) in (0..HEADER_ROWS).zip(expected_rows) {
        for (c, w) in want.iter().enumerate() {
            let found = cell(range, r, u32::try_from(c).unwrap_or(u32::MAX));
            if found.trim() != w.trim() {
                let mut e = DataError::cell(
                    place,
                    u64::from(r) + 1,
                    lay.names.get(c).map_or("", String::as_str),
                    &found,
                    "the header was changed",
                    format!("`{w}` (column {})", letter(c)),
                );
                e.help = Some("the first two rows are the template's: put them back as they were; columns may not be inserted, deleted or moved".into());
                problems.push(e);
            }
        }
    }
    let mut out = Vec::new();
    for r in 0..rows {
        for c in n..usize::try_from(width).unwrap_or(0) {
            let found = cell(range, r, u32::try_from(c).unwrap_or(u32::MAX));
            if !found.trim().is_empty() {
                let mut e = DataError::cell(
                    place,
                    u64::from(r) + 1,
                    &letter(c),
                    &found,
                    if r < HEADER_ROWS {
                        "a column added outside the template"
                    } else {
                        "a cell outside the template's columns"
                    },
                    format!(
                        "nothing right of column {} (`{}`)",
                        letter(n.saturating_sub(1)),
                        lay.names.last().map_or("", String::as_str)
                    ),
                );
                e.help = Some("the template's columns are the ones the rules read: move the value into its column, or delete it".into());
                problems.push(e);
            }
        }
        if r < HEADER_ROWS {
            continue;
        }
        let cells: Vec<String> = (0..n)
            .zip(&lay.values)
            .map(|(c, v)| v.read(cell(range, r, u32::try_from(c).unwrap_or(u32::MAX))))
            .collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        out.push((
            cells,
            Origin {
                workbook,
                sheet: lay.title.clone(),
                row: u64::from(r) + 1,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no_and_labels_read_as_the_rules_values() {
        assert_eq!(Values::parse("bool").read("是".into()), "true");
        assert_eq!(Values::parse("bool").read(" 否 ".into()), "false");
        // Anything else is left for validation to judge.
        assert_eq!(Values::parse("bool").read("有".into()), "有");
        let cat = Values::parse("category:weak_economy=集体经济薄弱;unstable=村情不稳定");
        assert_eq!(cat.read("集体经济薄弱".into()), "weak_economy");
        assert_eq!(cat.read("unstable".into()), "unstable");
        assert_eq!(Values::parse("").read("是".into()), "是");
    }

    #[test]
    fn columns_are_named_by_their_letters() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(26), "AA");
    }
}
