//! Writing a template workbook: a sheet per table with its headings, validation and input
//! messages, the 填表说明 sheet, and the hidden marker the loader recognises.

use super::layout::{FormColumn, FormSheet, KEY_GROUP};
use super::{GUIDE_SHEET, HEADER_ROWS, LAYOUT_VERSION, MARKER_SHEET, MARKER_TAG, ROWS_SHEET};
use crate::report::xlsx::width;
use crate::rules::model::ValueType;
use crate::words::fmt_num;
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder,
    ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use std::path::Path;

/// Rows given validation below the pre-filled ones, for rows a clerk adds.
const SPARE_ROWS: u32 = 200;

/// One sheet's pre-filled rows: a cell per column (empty for the inputs).
pub type Rows = Vec<Vec<String>>;

/// Write a template workbook with `sheets`, each with its pre-filled `rows`. A workbook
/// `filled` from a data set records the rows it is sent with: it may come back with those
/// alone (a row added below them, a total or a note, is an error when it is read back).
pub fn workbook(
    path: &Path,
    sheets: &[(&FormSheet, Rows)],
    title: &str,
    filled: bool,
) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title));
    guide(wb.add_worksheet(), sheets, title)?;
    for (sheet, rows) in sheets {
        data_sheet(wb.add_worksheet(), sheet, rows, filled)?;
    }
    marker(wb.add_worksheet(), sheets)?;
    if filled {
        sent_rows(wb.add_worksheet(), sheets)?;
    }
    // The first data sheet opens, not the guide the clerk reads once.
    if let Some(ws) = wb.worksheets_mut().get_mut(1) {
        ws.set_active(true);
    }
    wb.save(path)
}

/// The hidden sheet recording the layout: for each data sheet, its table and machine names,
/// then its headings.
fn marker(ws: &mut Worksheet, sheets: &[(&FormSheet, Rows)]) -> Result<(), XlsxError> {
    ws.set_name(MARKER_SHEET)?;
    ws.write_string(0, 0, MARKER_TAG)?;
    ws.write_string(0, 1, LAYOUT_VERSION)?;
    let mut row = 1;
    for (s, _) in sheets {
        let kind = if s.baseline { "baseline" } else { "table" };
        ws.write_string(row, 0, &s.title)?;
        ws.write_string(row, 1, &s.table)?;
        ws.write_string(row, 2, kind)?;
        ws.write_string(row + 1, 0, &s.title)?;
        ws.write_string(row + 1, 1, "headings")?;
        ws.write_string(row + 2, 0, &s.title)?;
        ws.write_string(row + 2, 1, "values")?;
        ws.write_number(row + 2, 2, s.key_count as f64)?;
        for (i, c) in s.columns.iter().enumerate() {
            let col = u16::try_from(i + 3).unwrap_or(u16::MAX);
            ws.write_string(row, col, &c.name)?;
            ws.write_string(row + 1, col, &c.heading)?;
            ws.write_string(row + 2, col, values(c))?;
        }
        row += 3;
    }
    ws.set_hidden(true);
    Ok(())
}

/// The hidden sheet of the rows a filled template is sent with: one line per row, its sheet
/// and its id (the key columns joined by `/`).
fn sent_rows(ws: &mut Worksheet, sheets: &[(&FormSheet, Rows)]) -> Result<(), XlsxError> {
    ws.set_name(ROWS_SHEET)?;
    ws.write_string(0, 0, "sheet")?;
    ws.write_string(0, 1, "id")?;
    let mut r = 1;
    for (s, rows) in sheets {
        for row in rows {
            let id: Vec<&str> = row.iter().take(s.key_count).map(String::as_str).collect();
            ws.write_string(r, 0, &s.title)?;
            ws.write_string(r, 1, id.join("/"))?;
            r += 1;
        }
    }
    ws.set_hidden(true);
    Ok(())
}

/// How the loader reads a column's cells: `bool` (是/否), `category:CODE=LABEL;…` (labels
/// read as their codes), or as they are.
fn values(c: &FormColumn) -> String {
    match c.ty {
        Some(ValueType::Bool) => "bool".into(),
        Some(ValueType::Category) if !c.categories.is_empty() => {
            let pairs: Vec<String> = c
                .categories
                .iter()
                .map(|(code, label)| format!("{code}={label}"))
                .collect();
            format!("category:{}", pairs.join(";"))
        }
        _ => String::new(),
    }
}

/// What a column accepts, in Chinese.
fn accepts(c: &FormColumn) -> String {
    let range = match (c.min, c.max) {
        (Some(lo), Some(hi)) => format!("，{} 至 {}", fmt_num(lo), fmt_num(hi)),
        (Some(lo), None) => format!("，不小于 {}", fmt_num(lo)),
        (None, Some(hi)) => format!("，不大于 {}", fmt_num(hi)),
        (None, None) => String::new(),
    };
    match c.ty {
        None => "文字".into(),
        Some(ValueType::Number) => format!("数值{range}"),
        Some(ValueType::Integer) => format!("整数{range}"),
        Some(ValueType::Bool) => "是 或 否".into(),
        Some(ValueType::Category) if c.categories.is_empty() => "文字（类别）".into(),
        Some(ValueType::Category) => {
            let shown: Vec<String> = c.categories.iter().map(|(_, l)| l.clone()).collect();
            format!("以下之一：{}", shown.join("、"))
        }
    }
}

/// A heading without its English gloss: `农民人均纯收入 (farmers' income)（元）` → `农民人均纯收入（元）`.
fn without_gloss(heading: &str) -> String {
    let Some(open) = heading.find(" (") else {
        return heading.to_string();
    };
    let Some(close) = heading.get(open..).and_then(|r| r.find(')')) else {
        return heading.to_string();
    };
    let before = heading.get(..open).unwrap_or("");
    let after = heading.get(open + close + 1..).unwrap_or("");
    format!("{before}{after}")
}

/// At most `n` characters of `text`.
fn clip(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        return text.to_string();
    }
    let mut s: String = text.chars().take(n.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The validation of an input column: its type and range, and its note as the input message.
fn validation(c: &FormColumn) -> Result<DataValidation, XlsxError> {
    let whole = |x: f64| x.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
    let dv = DataValidation::new();
    let dv = match c.ty {
        Some(ValueType::Integer) => dv.allow_whole_number(match (c.min, c.max) {
            (Some(lo), Some(hi)) => {
                DataValidationRule::Between(whole(lo.ceil()), whole(hi.floor()))
            }
            (Some(lo), None) => DataValidationRule::GreaterThanOrEqualTo(whole(lo.ceil())),
            (None, Some(hi)) => DataValidationRule::LessThanOrEqualTo(whole(hi.floor())),
            (None, None) => DataValidationRule::Between(i32::MIN, i32::MAX),
        }),
        Some(ValueType::Number) => dv.allow_decimal_number(match (c.min, c.max) {
            (Some(lo), Some(hi)) => DataValidationRule::Between(lo, hi),
            (Some(lo), None) => DataValidationRule::GreaterThanOrEqualTo(lo),
            (None, Some(hi)) => DataValidationRule::LessThanOrEqualTo(hi),
            (None, None) => DataValidationRule::Between(-1e15, 1e15),
        }),
        Some(ValueType::Bool) => dv.allow_list_strings(&["是", "否"])?,
        Some(ValueType::Category) if !c.categories.is_empty() => {
            let shown: Vec<&str> = c.categories.iter().map(|(_, l)| l.as_str()).collect();
            // Excel holds at most 255 characters of list; a longer one is told in the message.
            dv.allow_list_strings(&shown)
                .unwrap_or_else(|_| DataValidation::new().allow_any_value())
        }
        _ => dv.allow_any_value(),
    };
    let mut message = format!("应填：{}", accepts(c));
    if !c.note.is_empty() {
        message.push('\n');
        message.push_str(&c.note);
    }
    dv.set_input_title(clip(&without_gloss(&c.heading), 32))?
        .set_input_message(clip(&message, 255))?
        .set_error_title("填写有误")?
        .set_error_message(clip(&format!("{}：应填{}", c.heading, accepts(c)), 255))
}

/// The colour of a column group's heading, the same for a group on every sheet.
fn group_color(group: &str) -> Color {
    const COLORS: [u32; 6] = [0xDDEBF7, 0xE2EFDA, 0xFFF2CC, 0xFCE4D6, 0xEDE2F6, 0xDDF4F4];
    if group == KEY_GROUP {
        return Color::RGB(0xD9D9D9);
    }
    let i = group.chars().map(|c| c as usize).sum::<usize>() % COLORS.len();
    Color::RGB(COLORS.get(i).copied().unwrap_or(0xDDEBF7))
}

/// A data sheet: headings, machine names, pre-filled rows, validation.
fn data_sheet(
    ws: &mut Worksheet,
    s: &FormSheet,
    rows: &Rows,
    filled: bool,
) -> Result<(), XlsxError> {
    ws.set_name(&s.title)?;
    let names = Format::new()
        .set_font_color(Color::RGB(0x808080))
        .set_font_size(9)
        .set_border(FormatBorder::Thin);
    let key_cell = Format::new()
        .set_background_color(Color::RGB(0xF2F2F2))
        .set_num_format("@");
    // The headings and the pre-filled cells are locked (the sheet is protected, without a
    // password); every other cell, in the template's columns, is open for entry.
    let open = Format::new().set_unlocked();
    let open_text = Format::new().set_unlocked().set_num_format("@");
    // A filled template comes back with its rows alone; a blank one gets rows to fill.
    let spare = if filled { 0 } else { SPARE_ROWS };
    let last = (HEADER_ROWS + u32::try_from(rows.len()).unwrap_or(u32::MAX - spare) + spare)
        .saturating_sub(1)
        .max(HEADER_ROWS);
    ws.set_row_height(0, 48)?;
    for (i, c) in s.columns.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(u16::MAX);
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin)
            .set_background_color(group_color(&c.group));
        ws.write_string_with_format(0, col, &c.heading, &head)?;
        ws.write_string_with_format(1, col, &c.name, &names)?;
        // Wide enough for the heading on at most three lines, and for the machine name.
        let w = (width(&c.heading) / 2.5)
            .max(width(&c.name) * 0.9)
            .clamp(8.0, 30.0);
        ws.set_column_width(col, w + 2.0)?;
        if c.key || c.ty.is_none() {
            ws.set_column_format(col, &open_text)?;
        } else {
            ws.set_column_format(col, &open)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = HEADER_ROWS + u32::try_from(r).unwrap_or(u32::MAX);
            if let Some(v) = row.get(i).filter(|v| !v.is_empty()) {
                ws.write_string_with_format(r, col, v, &key_cell)?;
            }
        }
        ws.add_data_validation(HEADER_ROWS, col, last, col, &validation(c)?)?;
    }
    // Rows may be sorted and formatted, and added to a blank template; columns may not be
    // inserted or deleted.
    ws.protect_with_options(&ProtectionOptions {
        select_locked_cells: true,
        select_unlocked_cells: true,
        format_cells: true,
        format_columns: true,
        format_rows: true,
        insert_rows: !filled,
        delete_rows: !filled,
        sort: true,
        use_autofilter: true,
        ..ProtectionOptions::default()
    });
    let keys = s.columns.iter().take_while(|c| c.key).count().min(2);
    ws.set_freeze_panes(HEADER_ROWS, u16::try_from(keys).unwrap_or(0))?;
    Ok(())
}

/// The 填表说明 sheet: how to fill the workbook in, then every column of every sheet.
fn guide(ws: &mut Worksheet, sheets: &[(&FormSheet, Rows)], title: &str) -> Result<(), XlsxError> {
    ws.set_name(GUIDE_SHEET)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xD9D9D9))
        .set_border(FormatBorder::Thin);
    ws.write_string_with_format(0, 0, title, &Format::new().set_bold().set_font_size(14))?;
    let lines = [
        "1. 每张工作表对应一张数据表。第 1 行是中文列名和单位，第 2 行是系统列名：两行都不要修改，也不要删除或插入列。",
        "2. 灰色的编号、名称和关联列由汇总单位预先填好，请勿改动；从第 3 行起每行一条，在其余列填写数值。",
        "3. 选中单元格可看到该列的填写要求和依据；“是/否”列从下拉列表中选择“是”或“否”，类别列从下拉列表中选择。",
        "4. 不要在模板的列之外填写任何内容；不要删除、改名或新增工作表（本说明页除外）。已预先填好编号的表，不要增加或删除行，也不要在表格下方加合计或备注。",
        "5. 填好后以 .xlsx 格式保存，保留原文件名交回。汇总单位把交回的文件放在同一文件夹中，用 bangfu check --data 文件夹 检查。",
    ];
    for (i, l) in lines.iter().enumerate() {
        ws.write_string(1 + u32::try_from(i).unwrap_or(0), 0, *l)?;
    }
    let top = 2 + u32::try_from(lines.len()).unwrap_or(0);
    let cols = [
        "工作表",
        "列",
        "中文列名",
        "系统列名",
        "类别",
        "应填",
        "说明与依据",
    ];
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(top, u16::try_from(i).unwrap_or(0), *c, &head)?;
    }
    let mut row = top + 1;
    for (s, _) in sheets {
        for (i, c) in s.columns.iter().enumerate() {
            let letter = rust_xlsxwriter::utility::column_number_to_name(
                u16::try_from(i).unwrap_or(u16::MAX),
            );
            let group = if c.key {
                format!("{KEY_GROUP}（预填）")
            } else {
                c.group.clone()
            };
            let cells = [
                s.title.clone(),
                letter,
                c.heading.clone(),
                c.name.clone(),
                group,
                accepts(c),
                c.note.clone(),
            ];
            for (j, v) in cells.iter().enumerate() {
                ws.write_string_with_format(row, u16::try_from(j).unwrap_or(0), v, &wrap)?;
            }
            row += 1;
        }
    }
    for (j, w) in [12.0, 5.0, 30.0, 24.0, 12.0, 30.0, 60.0].iter().enumerate() {
        ws.set_column_width(u16::try_from(j).unwrap_or(0), *w)?;
    }
    ws.set_row_format(0, &bold)?;
    ws.set_freeze_panes(top + 1, 0)?;
    Ok(())
}
