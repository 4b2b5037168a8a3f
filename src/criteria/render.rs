//! The scoring table printed: a terminal table, Markdown, a self-contained HTML page that
//! prints on A4, and a workbook.

use super::{Criteria, Section};
use crate::report::html::{escape, page_start};
use crate::report::xlsx::{sheet_name, width};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};
use tabled::builder::Builder;
use tabled::settings::{object::Columns, Alignment, Style, Width};

/// The heading lines every format starts with: the name and version, the period, the
/// what-if mark.
fn heading(c: &Criteria) -> (String, Vec<String>) {
    let title = format!("{} 评分细则", crate::words::short_label(&c.title));
    let mut meta = vec![format!("版本 {}", c.version)];
    if let Some(p) = &c.period {
        meta.push(format!("期间 {p}"));
    }
    (title, vec![meta.join(" · ")])
}

/// Characters that terminals draw one column wide, or two in Chinese terminals, that the
/// shared table spelling does not already replace.
fn terminal_text(s: &str) -> String {
    s.replace('÷', "/").replace('≠', "!=").replace('∞', "inf")
}

/// The terminal table (psql borders, long text wrapped), or Markdown.
pub fn text(c: &Criteria, markdown: bool) -> String {
    let mut out = String::new();
    let (title, meta) = heading(c);
    if markdown {
        if let Some(w) = &c.what_if {
            out.push_str(&format!("> **{}**\n\n", md_cell(w)));
        }
        out.push_str(&format!("# {title}\n\n"));
        for m in &meta {
            out.push_str(&format!("{m}\n\n"));
        }
        out.push_str(&format!("规则集：{}\n\n", md_cell(&c.title)));
        if let Some(d) = &c.description {
            out.push_str(&format!("{}\n\n", md_cell(d)));
        }
    } else {
        if let Some(w) = &c.what_if {
            out.push_str(&format!("{w}\n\n"));
        }
        out.push_str(&format!(
            "{title}\n{}\n规则集：{}\n",
            meta.join("\n"),
            c.title
        ));
    }
    for part in &c.parts {
        out.push('\n');
        if markdown {
            out.push_str(&format!("## {}\n\n", md_cell(&part.title)));
            for n in &part.notes {
                out.push_str(&format!("- {}\n", md_cell(n)));
            }
        } else {
            out.push_str(&format!("== {} ==\n", part.title));
            for n in &part.notes {
                out.push_str(&format!("  {}\n", terminal_text(n)));
            }
        }
        for s in &part.sections {
            out.push('\n');
            if markdown {
                out.push_str(&format!("### {}\n\n{}\n", s.title, md_table(s)));
            } else {
                out.push_str(&format!("{}\n{}\n", s.title, terminal_table(s)));
            }
        }
    }
    out
}

fn terminal_table(s: &Section) -> String {
    let mut b = Builder::default();
    b.push_record(crate::report::table::cells(
        s.columns.iter().map(|c| c.title.clone()),
    ));
    for r in &s.rows {
        b.push_record(crate::report::table::cells(
            r.cells.iter().map(|c| terminal_text(c)),
        ));
    }
    let mut t = b.build();
    t.with(Style::psql());
    for (i, col) in s.columns.iter().enumerate() {
        if col.wide {
            t.modify(Columns::one(i), Width::wrap(28));
        }
        if col.numeric {
            t.modify(Columns::one(i), Alignment::right());
        }
    }
    t.to_string()
}

/// A Markdown cell: pipes escaped, lines joined.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn md_table(s: &Section) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "| {} |\n",
        s.columns
            .iter()
            .map(|c| md_cell(&c.title))
            .collect::<Vec<_>>()
            .join(" | ")
    ));
    out.push_str(&format!(
        "|{}|\n",
        s.columns
            .iter()
            .map(|c| if c.numeric { " ---: " } else { " --- " })
            .collect::<Vec<_>>()
            .join("|")
    ));
    for r in &s.rows {
        let cells: Vec<String> = r
            .cells
            .iter()
            .map(|c| match (r.emphasis, c.is_empty()) {
                (true, false) => format!("**{}**", md_cell(c)),
                _ => md_cell(c),
            })
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// Styles of the printed table, on top of the report's.
const CSS: &str = r#"
main { max-width: 1120px; }
h1 { text-align: center; }
.meta { text-align: center; }
h2 { margin-top: 26px; }
h3 { margin: 14px 0 4px; font-size: 14px; }
table.criteria { width: 100%; table-layout: auto; border: 1px solid #adb5bd; }
table.criteria th, table.criteria td { border: 1px solid #ced4da; padding: 3px 6px; }
table.criteria th { text-align: center; }
table.criteria td.w { min-width: 9em; }
table.criteria td.c { color: #66727f; font-size: 11px; white-space: nowrap; }
table.criteria td.k { min-width: 7.5em; }
table.criteria tr.em td { background: #f1f3f5; font-weight: 600; }
ul.notes { margin: 0 0 6px; padding-left: 20px; color: #66727f; font-size: 13px; }
@page { size: A4 landscape; }
@media print {
  body { font-size: 12px; }
  table.criteria { font-size: 11px; }
  /* Each kind starts a page of its own. */
  section + section h2 { break-before: page; }
  h2, h3, ul.notes { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  tr.em td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// The self-contained page (one file, inline styles, prints on landscape A4).
pub fn html(c: &Criteria) -> String {
    let (title, meta) = heading(c);
    // As report.html: the watermark carries the mark alone, the banner the scenario's name too.
    let mark = crate::scenario::WHAT_IF_MARK;
    let mut out = page_start(&title, c.what_if.as_ref().map(|_| mark));
    if let Some(w) = &c.what_if {
        out = out.replace(
            &format!(
                "<div class=\"what-if\" role=\"note\">{}</div>",
                escape(mark)
            ),
            &format!("<div class=\"what-if\" role=\"note\">{}</div>", escape(w)),
        );
    }
    out.push_str(&format!("<style>{CSS}</style>\n"));
    out.push_str(&format!("<h1>{}</h1>\n", escape(&title)));
    for m in &meta {
        out.push_str(&format!("<p class=\"meta\">{}</p>\n", escape(m)));
    }
    out.push_str(&format!("<p class=\"meta\">{}</p>\n", escape(&c.title)));
    if let Some(d) = &c.description {
        out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(d)));
    }
    for (n, part) in c.parts.iter().enumerate() {
        out.push_str(&format!(
            "<section>\n<h2 id=\"part-{n}\">{}</h2>\n",
            escape(&part.title)
        ));
        if !part.notes.is_empty() {
            out.push_str("<ul class=\"notes\">\n");
            for note in &part.notes {
                out.push_str(&format!("<li>{}</li>\n", code_spans(note)));
            }
            out.push_str("</ul>\n");
        }
        for s in &part.sections {
            out.push_str(&html_table(s));
        }
        out.push_str("</section>\n");
    }
    out.push_str(&format!(
        "<footer>bangfu {} · {}</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&format!("{} {}", c.title, c.version))
    ));
    out
}

/// Escaped text with `name` spans set as code.
fn code_spans(s: &str) -> String {
    let mut out = String::new();
    for (i, piece) in s.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", escape(piece)));
        } else {
            out.push_str(&escape(piece));
        }
    }
    out
}

fn html_table(s: &Section) -> String {
    let mut out = format!(
        "<h3>{}</h3>\n<table class=\"criteria\">\n<thead><tr>",
        escape(&s.title)
    );
    for c in &s.columns {
        out.push_str(&format!("<th>{}</th>", escape(&c.title)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &s.rows {
        out.push_str(if r.emphasis {
            "<tr class=\"em\">"
        } else {
            "<tr>"
        });
        for (cell, c) in r.cells.iter().zip(&s.columns) {
            let class = if c.numeric {
                " class=\"n\""
            } else if c.wide {
                " class=\"w\""
            } else if c.code {
                " class=\"c\""
            } else if c.key {
                " class=\"k\""
            } else {
                ""
            };
            out.push_str(&format!("<td{class}>{}</td>", code_spans(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// The workbook: one sheet per kind (each section under its heading) and one of parameters,
/// every sheet printed on landscape A4, one page wide, with a header naming the rules.
pub fn xlsx(c: &Criteria) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation time: the same rules give the same bytes.
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let title = format!("{} {}", c.title, c.version);
    let printed = crate::report::xlsx::Printed {
        title: &title,
        mark: c.what_if.as_deref(),
    };
    let big = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_background_color("#F1F3F5")
        .set_border(rust_xlsxwriter::FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let cell = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let em = cell.clone().set_bold().set_background_color("#F1F3F5");
    let mark = Format::new().set_bold().set_font_color("#B00020");
    let mut taken: Vec<String> = Vec::new();
    for part in &c.parts {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&part.short, &mut taken))?;
        let mut r: u32 = 0;
        if let Some(w) = &c.what_if {
            ws.write_string_with_format(r, 0, w, &mark)?;
            r += 1;
        }
        ws.write_string_with_format(r, 0, &part.title, &big)?;
        r += 1;
        for n in &part.notes {
            ws.write_string(r, 0, n)?;
            r += 1;
        }
        for s in &part.sections {
            r += 1;
            ws.write_string_with_format(r, 0, &s.title, &bold)?;
            r += 1;
            let spans = spans(s);
            let titles: Vec<String> = s.columns.iter().map(|c| c.title.clone()).collect();
            let plain = vec![false; titles.len()];
            write_spanned(ws, r, &spans, &titles, &plain, &head)?;
            r += 1;
            let numeric: Vec<bool> = s.columns.iter().map(|c| c.numeric).collect();
            for row in &s.rows {
                let f = if row.emphasis { &em } else { &cell };
                write_spanned(ws, r, &spans, &row.cells, &numeric, f)?;
                r += 1;
            }
        }
        for (i, w) in GRID.iter().enumerate() {
            ws.set_column_width(i as u16, *w)?;
        }
        crate::report::xlsx::page_setup(
            ws,
            &printed,
            u32::from(c.what_if.is_some()),
            r.saturating_sub(1 + u32::from(c.what_if.is_some())),
            GRID.len() as u16,
        )?;
    }
    wb.save_to_buffer()
}

/// The widths of a kind's sheet's columns (characters, a Chinese one counting two): the
/// indicators table's seven columns. Other tables span them: each of their columns covers
/// one or more grid columns, merged, so that every table on the sheet prints one page wide
/// and long text has room.
const GRID: [f64; 7] = [8.0, 18.0, 20.0, 7.0, 36.0, 30.0, 30.0];

/// The width a column would like, for sharing the grid out.
fn wants(c: &super::Column) -> f64 {
    if c.wide {
        34.0
    } else if c.key || c.code {
        18.0
    } else if c.numeric {
        7.0
    } else {
        14.0
    }
}

/// The grid columns each of a table's columns covers, `(first, last)`: of every way to cut the
/// grid into as many runs as the table has columns, the one whose widths are closest (as
/// ratios) to what the columns wish, scaled to the grid. Seven columns at most: a few dozen ways.
fn spans(s: &Section) -> Vec<(u16, u16)> {
    let n = s.columns.len().clamp(1, GRID.len());
    let wishes: Vec<f64> = s.columns.iter().take(n).map(wants).collect();
    let total: f64 = GRID.iter().sum();
    let scale = total / wishes.iter().sum::<f64>().max(1.0);
    let cuts = GRID.len() - 1;
    let mut best: Option<(f64, Vec<(u16, u16)>)> = None;
    // Bit j set: a cut after grid column j.
    for mask in 0u32..(1 << cuts) {
        if mask.count_ones() as usize != n - 1 {
            continue;
        }
        let mut runs = Vec::with_capacity(n);
        let mut first = 0usize;
        for j in 0..GRID.len() {
            if j == cuts || mask & (1 << j) != 0 {
                runs.push((first as u16, j as u16));
                first = j + 1;
            }
        }
        let cost: f64 = runs
            .iter()
            .zip(&wishes)
            .map(|(&(a, b), w)| {
                let width: f64 = GRID
                    .iter()
                    .skip(a as usize)
                    .take((b - a + 1) as usize)
                    .sum();
                (width / (w * scale)).ln().powi(2)
            })
            .sum();
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, runs));
        }
    }
    best.map(|(_, runs)| runs).unwrap_or_default()
}

/// One row of a table across its spans, merged where a span covers several grid columns, the
/// row tall enough for its longest text (merged cells do not grow on their own).
fn write_spanned(
    ws: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    spans: &[(u16, u16)],
    cells: &[String],
    numeric: &[bool],
    f: &Format,
) -> Result<(), XlsxError> {
    let mut lines = 1.0_f64;
    for ((&(a, b), text), right) in spans.iter().zip(cells).zip(numeric) {
        // Code spans are marked for the page; in a sheet the names stand as they are.
        let text = text.replace('`', "");
        let right_f;
        let f = if *right {
            right_f = f.clone().set_align(FormatAlign::Right);
            &right_f
        } else {
            f
        };
        if a == b {
            ws.write_string_with_format(r, a, &text, f)?;
        } else {
            ws.merge_range(r, a, r, b, &text, f)?;
        }
        let room: f64 = GRID
            .iter()
            .skip(a as usize)
            .take((b - a + 1) as usize)
            .sum::<f64>()
            - 1.0;
        lines = lines.max((width(&text) / room.max(4.0)).ceil());
    }
    ws.set_row_height(r, 15.0 * lines + 1.0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::criteria::Column;

    fn section(columns: Vec<Column>) -> Section {
        Section {
            title: String::new(),
            columns,
            rows: Vec::new(),
        }
    }

    fn column(wide: bool, numeric: bool) -> Column {
        Column {
            title: String::new(),
            key: false,
            code: false,
            numeric,
            wide,
        }
    }

    #[test]
    fn every_table_covers_the_grid_once_in_order() {
        for n in 1..=GRID.len() {
            let cols = (0..n).map(|i| column(i % 2 == 0, i % 3 == 0)).collect();
            let runs = spans(&section(cols));
            assert_eq!(runs.len(), n);
            assert_eq!(runs.first().map(|r| r.0), Some(0));
            assert_eq!(runs.last().map(|r| r.1), Some(GRID.len() as u16 - 1));
            for pair in runs.windows(2) {
                assert_eq!(pair[0].1 + 1, pair[1].0, "{runs:?}");
            }
        }
    }

    #[test]
    fn the_indicators_table_is_the_grid_itself() {
        let cols = vec![
            column(false, false),
            Column {
                key: true,
                ..column(false, false)
            },
            Column {
                code: true,
                ..column(false, false)
            },
            column(false, true),
            column(true, false),
            column(true, false),
            column(true, false),
        ];
        let runs = spans(&section(cols));
        assert_eq!(runs, (0..7).map(|i| (i, i)).collect::<Vec<_>>());
    }

    #[test]
    fn a_wide_column_is_not_squeezed_into_a_narrow_one() {
        // 项目, 代码, 条件 (wide), 效果, 说明 (wide), 依据 (wide): the gates.
        let cols = vec![
            Column {
                key: true,
                ..column(false, false)
            },
            Column {
                code: true,
                ..column(false, false)
            },
            column(true, false),
            column(false, false),
            column(true, false),
            column(true, false),
        ];
        let runs = spans(&section(cols));
        let width = |(a, b): (u16, u16)| -> f64 {
            GRID.iter()
                .skip(a as usize)
                .take((b - a + 1) as usize)
                .sum()
        };
        assert!(width(runs[2]) >= 20.0, "{runs:?}");
    }
}
