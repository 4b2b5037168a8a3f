//! `results.xlsx`: a summary sheet, then one sheet per entity kind; frozen header, columns wide
//! enough for Chinese labels, numbers stored as numbers.

use super::summary::{grade_counts, outcome_counts, programme_totals, reasons};
use super::{short_label, KindView, RunView};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// Display width of text in a spreadsheet column (CJK characters count double).
fn width(s: &str) -> f64 {
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
fn write_rows(
    ws: &mut Worksheet,
    rows: &[Vec<Cell>],
    bold: &Format,
    precision: u32,
    mark: Option<&str>,
) -> Result<(), XlsxError> {
    let top = u32::from(mark.is_some());
    if let Some(mark) = mark {
        let red = Format::new().set_bold().set_font_color("#B00020");
        ws.write_string_with_format(0, 0, mark, &red)?;
        // `&&` is a literal ampersand in Excel's header and footer codes.
        let printed = format!("&C&\"-,Bold\"{}", mark.replace('&', "&&"));
        ws.set_header(&printed);
        ws.set_footer(&printed);
    }
    let num = Format::new().set_num_format(if precision == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(precision as usize))
    });
    // Counts, ranks and yuan are whole numbers: shown without decimals.
    let whole = Format::new().set_num_format("0");
    let mut widths: Vec<f64> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (rr, cc) = (r as u32 + top, c as u16);
            let w = match cell {
                Cell::Text(t) => {
                    if r == 0 {
                        ws.write_string_with_format(rr, cc, t, bold)?;
                    } else {
                        ws.write_string(rr, cc, t)?;
                    }
                    width(t)
                }
                Cell::Num(x) => {
                    ws.write_number_with_format(rr, cc, *x, &num)?;
                    8.0
                }
                Cell::Int(n) => {
                    ws.write_number_with_format(rr, cc, *n as f64, &whole)?;
                    8.0
                }
            };
            if widths.len() <= c {
                widths.resize(c + 1, 0.0);
            }
            if let Some(slot) = widths.get_mut(c) {
                *slot = slot.max(w);
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (w + 2.0).min(60.0))?;
    }
    ws.set_freeze_panes(top + 1, 0)?;
    Ok(())
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn kind_rows(v: &RunView, k: &KindView) -> Vec<Vec<Cell>> {
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
    let mut rows = vec![head];
    for r in 0..k.frame.len() {
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
        rows.push(row);
    }
    rows
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
fn sheet_name(label: &str, taken: &mut Vec<String>) -> String {
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

/// The workbook's bytes.
pub fn results_xlsx(v: &RunView) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation time: the same results give the same bytes.
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let bold = Format::new().set_bold();
    let mut taken = Vec::new();
    let mark = v.what_if.as_ref().map(super::WhatIf::banner);
    let mark = mark.as_deref();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name("汇总 (summary)", &mut taken))?;
    write_rows(ws, &summary_rows(v), &bold, v.rules.precision, mark)?;
    for k in std::iter::once(&v.primary).chain(&v.units) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(
            &format!("{} {}", short_label(&k.kind.label), k.kind.name),
            &mut taken,
        ))?;
        write_rows(ws, &kind_rows(v, k), &bold, v.rules.precision, mark)?;
    }
    wb.save_to_buffer()
}

/// A workbook of plain sheets (name, rows with the header first), scores at `precision`,
/// each marked with `mark` when given: for outputs other than a run's (`compare.xlsx`).
pub(crate) fn sheets_xlsx(
    sheets: &[(&str, Vec<Vec<Cell>>)],
    precision: u32,
    mark: Option<&str>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation time: the same comparison gives the same bytes.
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let bold = Format::new().set_bold();
    let mut taken = Vec::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(name, &mut taken))?;
        write_rows(ws, rows, &bold, precision, mark)?;
    }
    wb.save_to_buffer()
}
