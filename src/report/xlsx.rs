//! `results.xlsx`: a summary sheet, then one sheet per entity kind; frozen header, columns wide
//! enough for Chinese labels, numbers stored as numbers.

use super::summary::{grade_counts, outcome_counts, programme_totals, reasons};
use super::{short_label, KindView, RunView};
use rayon::prelude::*;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};

/// Display width of text in a spreadsheet column (CJK characters count double).
pub(crate) fn width(s: &str) -> f64 {
    s.chars()
        .map(|c| {
            if (c as u32) >= 0x1100 && !c.is_ascii() {
                2.0
            } else {
                1.0
            }
        })
        .sum()
}

/// A cell: text, a score or amount (at the rule set's precision), or a whole number (a count,
/// a rank, yuan).
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    Text(String),
    Num(f64),
    Int(i64),
}

/// Write rows (the first is the header) into a sheet, freezing the header and sizing columns.
/// Under a what-if, the mark comes first: row 1 holds it, the table starts in row 2, and the
/// printed page carries it as its header and footer.
/// The formats of a sheet's cells.
struct Formats {
    bold: Format,
    /// The heading of a column of numbers.
    bold_right: Format,
    /// A notice's title, its paragraphs, and its signature lines (to the right).
    title: Format,
    para: Format,
    sign: Format,
    /// Scores, at the rule set's precision.
    num: Format,
    /// Counts, ranks and yuan are whole numbers: shown without decimals.
    whole: Format,
}

impl Formats {
    fn new(precision: u32) -> Formats {
        Formats {
            bold: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            bold_right: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_align(FormatAlign::Right),
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center),
            para: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            sign: Format::new().set_align(FormatAlign::Right),
            num: Format::new()
                .set_align(FormatAlign::Top)
                .set_num_format(if precision == 0 {
                    "0".to_string()
                } else {
                    format!("0.{}", "0".repeat(precision as usize))
                }),
            whole: Format::new()
                .set_align(FormatAlign::Top)
                .set_num_format("0"),
        }
    }
}

/// The most rows a sheet holds (Excel's limit).
const SHEET_ROWS: usize = 1_048_576;

/// How many rows of a kind give its sheet's column widths (a million rows are not measured).
const WIDTH_ROWS: usize = 2_000;

/// The what-if mark in row 1 and in the printed header and footer, if any; the first row
/// left for the sheet's own rows.
fn begin_sheet(ws: &mut Worksheet, mark: Option<&str>) -> Result<u32, XlsxError> {
    if let Some(mark) = mark {
        let red = Format::new().set_bold().set_font_color("#B00020");
        ws.write_string_with_format(0, 0, mark, &red)?;
    }
    Ok(u32::from(mark.is_some()))
}

/// What every printed page of a sheet carries.
pub(crate) struct Printed<'a> {
    /// The rule set's name and version, and the data set's period: the page header.
    pub title: &'a str,
    /// The what-if mark, in the header and the footer of every page.
    pub mark: Option<&'a str>,
}

/// A sheet as an office prints it: landscape A4, every column on one page wide, the heading
/// row (and the mark's row) on every page, the print area the data, a header naming the
/// rules and a footer numbering the pages (第 N 页 共 M 页) and dating them. The date is the
/// day the page is printed (the `&D` code): the file itself names no date, so the same
/// inputs give the same bytes (`run --verify`).
pub(crate) fn page_setup(
    ws: &mut Worksheet,
    p: &Printed,
    top: u32,
    rows: u32,
    cols: u16,
) -> Result<(), XlsxError> {
    // `&&` is a literal ampersand in Excel's header and footer codes; a header holds at most
    // 255 characters.
    let code = |s: &str| s.replace('&', "&&").chars().take(100).collect::<String>();
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, top)?;
    ws.set_print_area(0, 0, top + rows, cols.saturating_sub(1))?;
    let (header, footer) = match p.mark {
        Some(mark) => (
            format!("&L{}&C&\"-,Bold\"{}", code(p.title), code(mark)),
            format!(
                "&L&\"-,Bold\"{}&C第 &P 页 共 &N 页&R打印日期 &D",
                code(mark)
            ),
        ),
        None => (
            format!("&L{}", code(p.title)),
            "&C第 &P 页 共 &N 页&R打印日期 &D".to_string(),
        ),
    };
    ws.set_header(&header);
    ws.set_footer(&footer);
    Ok(())
}

/// A cell's width in characters, a Chinese character counting two.
fn cell_width(cell: &Cell) -> f64 {
    match cell {
        Cell::Text(t) => width(t),
        Cell::Num(_) | Cell::Int(_) => 8.0,
    }
}

/// Widen `widths` to fit `row`.
fn fit(widths: &mut Vec<f64>, row: &[Cell]) {
    if widths.len() < row.len() {
        widths.resize(row.len(), 0.0);
    }
    for (slot, cell) in widths.iter_mut().zip(row) {
        *slot = slot.max(cell_width(cell));
    }
}

/// Widen `widths` to fit a heading row, which wraps between its words (`稳定` over
/// `(stability)`): a column is as wide as its values need.
fn fit_heading(widths: &mut Vec<f64>, row: &[Cell]) {
    let parts: Vec<Cell> = row
        .iter()
        .map(|cell| match cell {
            Cell::Text(t) => Cell::Text(
                t.split(' ')
                    .max_by(|a, b| width(a).total_cmp(&width(b)))
                    .unwrap_or(t)
                    .to_string(),
            ),
            other => other.clone(),
        })
        .collect();
    fit(widths, &parts);
}

/// The widest a column gets; longer texts (reasons, notes) wrap within it. A sheet of a few
/// columns (the summary) can give them more room.
const MAX_WIDTH: f64 = 26.0;
const MAX_WIDTH_FEW: f64 = 50.0;

/// Set the columns' widths from the widths of their contents; the widths set.
fn set_widths(ws: &mut Worksheet, widths: &[f64], max: f64) -> Result<Vec<f64>, XlsxError> {
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let top = Format::new().set_align(FormatAlign::Top);
    let mut set = Vec::with_capacity(widths.len());
    for (c, w) in widths.iter().enumerate() {
        if w + 2.0 > max {
            ws.set_column_width(c as u16, max)?;
            ws.set_column_format(c as u16, &wrap)?;
            set.push(max);
        } else {
            ws.set_column_width(c as u16, w + 2.0)?;
            ws.set_column_format(c as u16, &top)?;
            set.push(w + 2.0);
        }
    }
    Ok(set)
}

/// How many lines `text` takes in a column `cols` characters wide, wrapped between words
/// and between Chinese characters.
fn lines(text: &str, cols: f64) -> u32 {
    let room = (cols - 1.0).max(1.0);
    let (mut n, mut line) = (1, 0.0);
    let mut word = 0.0;
    let flush = |word: &mut f64, line: &mut f64, n: &mut u32| {
        if *line > 0.0 && *line + *word > room {
            *n += 1;
            *line = 0.0;
        }
        *line += *word;
        *word = 0.0;
    };
    for ch in text.chars() {
        // Printed, a Chinese character is a little under two digits wide.
        let w = match width(ch.encode_utf8(&mut [0; 4])) {
            w if w > 1.0 => 1.8,
            w => w,
        };
        if ch == ' ' || w > 1.0 {
            flush(&mut word, &mut line, &mut n);
            word = w;
            flush(&mut word, &mut line, &mut n);
        } else {
            word += w;
        }
    }
    flush(&mut word, &mut line, &mut n);
    n
}

/// A row's height when a text in it wraps onto more lines than one (`None` when none does):
/// spreadsheet programs do not all grow a row to fit when they open a file.
fn row_height(row: &[Cell], cols: &[f64]) -> Option<f64> {
    let most = row
        .iter()
        .zip(cols)
        .filter_map(|(cell, &w)| match cell {
            // A text no longer in bytes than the column is wide fits on one line (a Chinese
            // character takes three bytes and less than two columns): most cells stop here.
            Cell::Text(t) if t.len() as f64 > w - 1.0 => Some(lines(t, w)),
            _ => None,
        })
        .max()?;
    (most > 1).then(|| 15.0 * f64::from(most.min(8)))
}

/// Write one row; the heading row is bold.
fn write_cells(
    ws: &mut Worksheet,
    rr: u32,
    row: &[Cell],
    f: &Formats,
    heading: bool,
    cols: &[f64],
) -> Result<(), XlsxError> {
    if let Some(h) = row_height(row, cols) {
        ws.set_row_height(rr, h)?;
    }
    for (c, cell) in row.iter().enumerate() {
        let cc = c as u16;
        match cell {
            Cell::Text(t) if heading => {
                ws.write_string_with_format(rr, cc, t, &f.bold)?;
            }
            Cell::Text(t) => {
                ws.write_string(rr, cc, t)?;
            }
            Cell::Num(x) => {
                ws.write_number_with_format(rr, cc, *x, &f.num)?;
            }
            Cell::Int(n) => {
                ws.write_number_with_format(rr, cc, *n as f64, &f.whole)?;
            }
        }
    }
    Ok(())
}

/// A sheet of rows held in memory (a summary, a comparison), the first row the heading.
fn write_rows(
    ws: &mut Worksheet,
    rows: &[Vec<Cell>],
    f: &Formats,
    p: &Printed,
) -> Result<(), XlsxError> {
    let top = begin_sheet(ws, p.mark)?;
    let mut widths: Vec<f64> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        if r == 0 {
            fit_heading(&mut widths, row);
        } else {
            fit(&mut widths, row);
        }
    }
    let max = if widths.len() <= 6 {
        MAX_WIDTH_FEW
    } else {
        MAX_WIDTH
    };
    let cols = set_widths(ws, &widths, max)?;
    for (r, row) in rows.iter().enumerate() {
        write_cells(ws, r as u32 + top, row, f, r == 0, &cols)?;
    }
    ws.set_freeze_panes(top + 1, 0)?;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(1) as u16;
    page_setup(ws, p, top, rows.len().saturating_sub(1) as u32, cols)
}

/// How many sheets a kind of `n` entities needs when a sheet holds `sheet_rows` rows (Excel's
/// limit), less the heading and the mark; and how many entities each holds.
fn sheets_for(n: usize, mark: Option<&str>, sheet_rows: usize) -> (usize, usize) {
    let per_sheet = sheet_rows
        .saturating_sub(1 + usize::from(mark.is_some()))
        .max(1);
    (n.div_ceil(per_sheet).max(1), per_sheet)
}

/// A kind's rows on its sheets (`后进村 village`, then `后进村 village 2`, … when Excel's row
/// limit needs more than one), each with the heading, written as they are made: a million
/// entities are never held as cells at once.
fn fill_kind_sheets(
    sheets: &mut [Worksheet],
    v: &RunView,
    k: &KindView,
    f: &Formats,
    p: &Printed,
    sheet_rows: usize,
) -> Result<(), XlsxError> {
    let head = kind_header(v, k);
    let n = k.frame.len();
    let (_, per_sheet) = sheets_for(n, p.mark, sheet_rows);
    let mut widths = Vec::new();
    fit_heading(&mut widths, &head);
    let first: Vec<Vec<Cell>> = (0..n.min(WIDTH_ROWS)).map(|r| kind_row(v, k, r)).collect();
    for row in &first {
        fit(&mut widths, row);
    }
    let mut first = first.into_iter();
    // Each indicator's points close the row: folded under one group (the `+` above them shows
    // them), so the sheet prints legibly on one page wide with what is signed off.
    // So are the codes that have their names beside them (`town_id` before `town_name`).
    let points = k.kind.indicators.len();
    let folded = (head.len() - points)..head.len();
    let mut codes = Vec::new();
    let mut c = 2;
    for (_, _, named) in k.text_columns() {
        if named.is_some() {
            codes.push(c as u16);
            c += 1;
        }
        c += 1;
    }
    for (part, ws) in sheets.iter_mut().enumerate() {
        let cols = set_widths(ws, &widths, MAX_WIDTH)?;
        if !folded.is_empty() {
            ws.group_columns_collapsed(folded.start as u16, (folded.end - 1) as u16)?;
        }
        for &code in &codes {
            ws.group_columns_collapsed(code, code)?;
        }
        let top = begin_sheet(ws, p.mark)?;
        write_cells(ws, top, &head, f, true, &cols)?;
        let rows = part * per_sheet..((part + 1) * per_sheet).min(n);
        page_setup(ws, p, top, rows.len() as u32, head.len() as u16)?;
        // Should a reader unfold the points and print more than a page wide, every page
        // still starts with the id and the name.
        ws.set_repeat_columns(0, 1)?;
        for (i, r) in rows.enumerate() {
            let row = match first.next() {
                Some(row) => row,
                None => kind_row(v, k, r),
            };
            write_cells(ws, top + 1 + i as u32, &row, f, false, &cols)?;
        }
        ws.set_freeze_panes(top + 1, 0)?;
    }
    Ok(())
}

/// The public notice's sheet.
const NOTICE_SHEET: &str = "公示名单 (public notice)";

/// Rows of the notice's sheet that are not entities: its title, opening words and a blank
/// line above the heading, and its period, contact, office and date below the list.
const NOTICE_OPENING: usize = 3;
const NOTICE_CLOSING: usize = 6;

/// How many sheets the notice of `n` entities needs, and how many each holds.
fn notice_sheets_for(n: usize, mark: Option<&str>, sheet_rows: usize) -> (usize, usize) {
    let per_sheet = sheet_rows
        .saturating_sub(1 + usize::from(mark.is_some()) + NOTICE_OPENING + NOTICE_CLOSING)
        .max(1);
    (n.div_ceil(per_sheet).max(1), per_sheet)
}

/// The public notice (公示名单) on its sheets: the title and opening words, one heading
/// (repeated on every printed page) over every listed entity, kind by kind, then the notice
/// period, where to object, and the office and date to sign.
fn fill_notice_sheets(
    sheets: &mut [Worksheet],
    v: &RunView,
    sections: &[super::notice::Section],
    f: &Formats,
    p: &Printed,
    sheet_rows: usize,
) -> Result<(), XlsxError> {
    let head: Vec<Cell> = super::notice::HEAD.iter().map(|h| text(*h)).collect();
    let mut widths = Vec::new();
    fit_heading(&mut widths, &head);
    for s in sections {
        for n in 0..s.len().min(WIDTH_ROWS) {
            fit(&mut widths, &s.row(n));
        }
    }
    let n: usize = sections.iter().map(super::notice::Section::len).sum();
    let (parts, per_sheet) = notice_sheets_for(n, p.mark, sheet_rows);
    let mut rows = sections
        .iter()
        .flat_map(|s| (0..s.len()).map(move |n| (s, n)));
    let last_col = (head.len() - 1) as u16;
    let notice = &v.rules.notice;
    for (part, ws) in sheets.iter_mut().enumerate() {
        let cols = set_widths(ws, &widths, MAX_WIDTH)?;
        let total: f64 = cols.iter().sum();
        let mut r = begin_sheet(ws, p.mark)?;
        // A paragraph across the whole table, as tall as its words need.
        let para = |ws: &mut Worksheet, r: u32, words: &str, format: &Format| {
            ws.set_row_height(r, 15.0 * f64::from(lines(words, total).min(8)))?;
            ws.merge_range(r, 0, r, last_col, words, format).map(|_| ())
        };
        if part == 0 {
            ws.set_row_height(r, 24.0)?;
            ws.merge_range(r, 0, r, last_col, &notice.title, &f.title)?;
            para(ws, r + 1, &notice.intro, &f.para)?;
            r += NOTICE_OPENING as u32;
        }
        let heading = r;
        write_cells(ws, heading, &head, f, true, &cols)?;
        // The headings of numbers stand over them, to the right.
        for (c, numeric) in super::notice::NUMERIC.iter().enumerate() {
            if let (true, Some(Cell::Text(h))) = (*numeric, head.get(c)) {
                ws.write_string_with_format(heading, c as u16, h, &f.bold_right)?;
            }
        }
        for (s, n) in rows.by_ref().take(per_sheet) {
            r += 1;
            write_cells(ws, r, &s.row(n), f, false, &cols)?;
        }
        if part + 1 == parts {
            r += 2;
            para(ws, r, &notice.period, &f.para)?;
            para(ws, r + 1, &notice.contact, &f.para)?;
            ws.merge_range(r + 3, 0, r + 3, last_col, &notice.office, &f.sign)?;
            ws.merge_range(r + 4, 0, r + 4, last_col, &notice.date, &f.sign)?;
            r += 4;
        }
        page_setup(ws, p, heading, r - heading, head.len() as u16)?;
        // Only the heading repeats: the title and opening words print once.
        ws.set_repeat_rows(heading, heading)?;
        ws.set_freeze_panes(heading + 1, 0)?;
    }
    Ok(())
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// The heading row of a kind's sheet.
fn kind_header(v: &RunView, k: &KindView) -> Vec<Cell> {
    let mut head: Vec<Cell> = vec![text("id"), text("名称 (name)")];
    for (c, _, named) in k.text_columns() {
        head.push(text(c));
        if let Some(n) = named {
            head.push(text(n.header.clone()));
        }
    }
    head.extend(k.kind.dims.iter().map(|d| text(d.label.clone())));
    if k.kind.has_adjustments() {
        head.push(text("加减分前合计 (total before adjustments)"));
    }
    head.extend(
        [
            "总分 (total)",
            "等次 (grade)",
            "结果 (outcome)",
            "原因 (reason)",
        ]
        .map(text),
    );
    if k.unit.is_some() {
        let p = &v.rules.primary;
        head.extend([
            text("名次 (rank)"),
            text("奖励 (award, yuan)"),
            text(format!("{}数 ({})", p.zh_noun(), p.nouns())),
            text("说明 (notes)"),
        ]);
    } else if k.standing.is_some() {
        head.extend([
            text("名次 (rank)"),
            text("奖励 (award, yuan)"),
            text("说明 (notes)"),
        ]);
    }
    head.extend(
        k.kind
            .indicators
            .iter()
            .map(|i| text(short_label(&i.label).to_string())),
    );
    head
}

/// Entity `r`'s row of its kind's sheet.
fn kind_row(v: &RunView, k: &KindView, r: usize) -> Vec<Cell> {
    {
        let mut row = vec![text(k.frame.id(r)), text(k.frame.label(r))];
        for (_, vals, named) in k.text_columns() {
            let value = vals.get(r).unwrap_or_default();
            row.push(text(value));
            if let Some(n) = named {
                row.push(text(n.name(value)));
            }
        }
        row.extend(k.result.dims_of(r).iter().map(|x| Cell::Num(*x)));
        if let Some(base) = k.base_total(r, v.rules.precision) {
            row.push(Cell::Num(base));
        }
        row.push(if k.kind.scored() {
            Cell::Num(k.result.total.get(r).copied().unwrap_or(0.0))
        } else {
            text("")
        });
        row.push(text(short_label(k.grade_label(r))));
        row.push(text(short_label(k.outcome_label(r))));
        let mut why = reasons(v.rules, k, r);
        if k.unit.is_some() {
            row.push(text(why.clone()));
            row.push(
                k.rank(r)
                    .map_or_else(|| text(""), |x| Cell::Int(i64::from(x))),
            );
            row.push(Cell::Int(k.award(r)));
            row.push(Cell::Int(
                k.unit
                    .and_then(|u| u.villages.get(r))
                    .map_or(0, <[usize]>::len) as i64,
            ));
            why = k.notes(r).join("; ");
        } else if k.standing.is_some() {
            row.push(text(why.clone()));
            row.push(
                k.rank(r)
                    .map_or_else(|| text(""), |x| Cell::Int(i64::from(x))),
            );
            row.push(Cell::Int(k.award(r)));
            why = k.notes(r).join("; ");
        }
        row.push(text(why));
        row.extend(k.result.points_of(r).iter().map(|x| Cell::Num(*x)));
        row
    }
}

fn summary_rows(v: &RunView) -> Vec<Vec<Cell>> {
    let mut rows = vec![vec![
        text("项目 (item)"),
        text("名称 (name)"),
        text("数量 (count or total)"),
        text("单位 (unit)"),
    ]];
    for k in std::iter::once(&v.primary).chain(&v.units) {
        for (id, label, c) in outcome_counts(k) {
            rows.push(vec![
                text(format!(
                    "{} 结果 (outcome) {id}",
                    short_label(&k.kind.label)
                )),
                text(label),
                Cell::Int(c as i64),
                text(""),
            ]);
        }
        for (id, label, c) in grade_counts(k) {
            rows.push(vec![
                text(format!("{} 等次 (grade) {id}", short_label(&k.kind.label))),
                text(label),
                Cell::Int(c as i64),
                text(""),
            ]);
        }
        if let Some(f) = k.fund() {
            rows.push(vec![
                text(format!("{} 奖励资金 (fund)", short_label(&k.kind.label))),
                text("已分配 (paid)"),
                Cell::Int(f.paid),
                text("元"),
            ]);
        }
    }
    for (_, label, sum, unit) in programme_totals(v.rules, &v.primary) {
        rows.push(vec![
            text("项目合计 (programme total)"),
            text(label),
            Cell::Num(sum),
            text(unit.unwrap_or_default()),
        ]);
    }
    rows
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
pub(crate) fn sheet_name(label: &str, taken: &mut Vec<String>) -> String {
    let base: String = label
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base} {n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// Write the workbook to `w`. Each kind's sheet is streamed through a temporary file (the
/// rows are never all in memory), then the workbook is copied to `w`.
pub fn write_results_xlsx(v: &RunView, w: &mut dyn std::io::Write) -> Result<(), XlsxError> {
    write_workbook(v, w, SHEET_ROWS)
}

/// [`write_results_xlsx`] with sheets of at most `sheet_rows` rows.
fn write_workbook(
    v: &RunView,
    w: &mut dyn std::io::Write,
    sheet_rows: usize,
) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation time: the same results give the same bytes.
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let f = Formats::new(v.rules.precision);
    let mut taken = Vec::new();
    let mark = v.what_if.as_ref().map(super::WhatIf::banner);
    let mark = mark.as_deref();
    let title = match &v.rules.period {
        Some(period) => format!(
            "{} {} · {period}",
            short_label(&v.rules.name),
            v.rules.version
        ),
        None => format!("{} {}", short_label(&v.rules.name), v.rules.version),
    };
    let p = Printed {
        title: &title,
        mark,
    };
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name("汇总 (summary)", &mut taken))?;
    write_rows(ws, &summary_rows(v), &f, &p)?;
    // Every kind's sheets are added first, then filled in parallel, a kind to a thread.
    let kinds: Vec<&KindView> = std::iter::once(&v.primary).chain(&v.units).collect();
    let mut counts = Vec::new();
    for k in &kinds {
        let (parts, _) = sheets_for(k.frame.len(), p.mark, sheet_rows);
        let base = format!("{} {}", short_label(&k.kind.label), k.kind.name);
        for part in 0..parts {
            let ws = wb.add_worksheet_with_constant_memory();
            let name = if part == 0 {
                base.clone()
            } else {
                format!("{base} {}", part + 1)
            };
            ws.set_name(sheet_name(&name, &mut taken))?;
        }
        counts.push(parts);
    }
    // The public notice closes the workbook.
    let notice = super::notice::sections(v);
    let listed: usize = notice.iter().map(super::notice::Section::len).sum();
    let (notice_parts, _) = notice_sheets_for(listed, p.mark, sheet_rows);
    for part in 0..notice_parts {
        let ws = wb.add_worksheet_with_constant_memory();
        let name = if part == 0 {
            NOTICE_SHEET.to_string()
        } else {
            format!("{NOTICE_SHEET} {}", part + 1)
        };
        ws.set_name(sheet_name(&name, &mut taken))?;
    }
    for format in [
        &f.bold,
        &f.bold_right,
        &f.num,
        &f.whole,
        &f.title,
        &f.para,
        &f.sign,
    ] {
        wb.register_format(format);
    }
    let mut rest: &mut [Worksheet] = wb.worksheets_mut().get_mut(1..).unwrap_or_default();
    let mut jobs = Vec::new();
    for (k, parts) in kinds.iter().zip(counts) {
        let (mine, others) = rest.split_at_mut(parts.min(rest.len()));
        jobs.push((Some(*k), mine));
        rest = others;
    }
    jobs.push((None, rest));
    jobs.into_par_iter().try_for_each(|(k, sheets)| match k {
        Some(k) => fill_kind_sheets(sheets, v, k, &f, &p, sheet_rows),
        None => fill_notice_sheets(sheets, v, &notice, &f, &p, sheet_rows),
    })?;
    let mut tmp = tempfile::tempfile()?;
    wb.save_to_writer(&mut tmp)?;
    std::io::Seek::rewind(&mut tmp)?;
    std::io::copy(&mut tmp, w)?;
    Ok(())
}

/// The workbook's bytes (a download of the live page).
pub fn results_xlsx(v: &RunView) -> Result<Vec<u8>, XlsxError> {
    let mut out = Vec::new();
    write_results_xlsx(v, &mut out)?;
    Ok(out)
}

/// A workbook of plain sheets (name, rows with the header first), scores at `precision`,
/// each marked with `mark` when given: for outputs other than a run's (`compare.xlsx`).
pub(crate) fn sheets_xlsx(
    sheets: &[(&str, Vec<Vec<Cell>>)],
    precision: u32,
    p: &Printed,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation time: the same comparison gives the same bytes.
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let f = Formats::new(precision);
    let mut taken = Vec::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(name, &mut taken))?;
        write_rows(ws, rows, &f, p)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::Reader;

    #[test]
    fn a_kind_past_the_row_limit_continues_on_more_sheets_with_every_row() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (rules, _) = crate::rules::load(&root.join("rules")).expect("the default rules");
        let ds = crate::data::DataSet::open(&root.join("data/sample")).expect("the sample");
        let frame = ds.load_primary(&rules.primary).expect("the villages");
        let result = crate::engine::evaluate_kind(&rules, &rules.primary, &frame).expect("scored");
        let primary = KindView::of_primary(&rules, &frame, &result, None);
        let v = RunView {
            rules: &rules,
            data: &ds,
            primary,
            units: Vec::new(),
            data_sha256: String::new(),
            data_files: Vec::new(),
            scenario: None,
            outputs: Vec::new(),
            what_if: None,
        };
        // 78 villages on sheets of 1 heading and 30 rows: 30 + 30 + 18.
        assert_eq!(sheets_for(78, None, 31), (3, 30));
        assert_eq!(sheets_for(30, None, 31), (1, 30));
        assert_eq!(sheets_for(0, None, 31), (1, 30));
        assert_eq!(sheets_for(60, Some("mark"), 31), (3, 29));
        let mut bytes = Vec::new();
        write_workbook(&v, &mut bytes, 31).expect("written");
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
        let names = wb.sheet_names().to_vec();
        // The summary, three of villages, then the notice: 21 villages a sheet besides its
        // heading, title, opening and closing rows.
        assert_eq!(notice_sheets_for(78, None, 31), (4, 21));
        assert_eq!(names.len(), 8, "{names:?}");
        let (kinds, notice): (Vec<&String>, Vec<&String>) = names
            .iter()
            .skip(1)
            .partition(|n| !n.starts_with(NOTICE_SHEET));
        let mut listed = Vec::new();
        for name in &notice {
            let range = wb.worksheet_range(name).expect("a sheet");
            listed.extend(
                range
                    .rows()
                    .filter(|r| r.get(1).is_some_and(|c| *c == "后进村"))
                    .map(|r| r.get(2).map(|c| c.to_string()).unwrap_or_default()),
            );
        }
        listed.sort();
        let mut ids = Vec::new();
        for name in kinds {
            let range = wb.worksheet_range(name).expect("a sheet");
            let rows: Vec<_> = range.rows().collect();
            assert_eq!(
                rows.first().and_then(|r| r.first()).map(|c| c.to_string()),
                Some("id".into()),
                "{name}"
            );
            ids.extend(
                rows.iter()
                    .skip(1)
                    .map(|r| r.first().map(|c| c.to_string()).unwrap_or_default()),
            );
        }
        let expected: Vec<String> = (0..frame.len()).map(|r| frame.id(r).to_string()).collect();
        assert_eq!(
            ids, expected,
            "every village once, in order, across the sheets"
        );
        assert_eq!(listed, expected, "every village once in the notice");
    }
}
