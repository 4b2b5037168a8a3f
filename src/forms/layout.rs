//! Which sheets and columns a rule set's data-entry workbooks hold: every table the rules read,
//! with only the columns they read (ids and labels first, then the inputs by dimension).

use crate::rules::model::{ColumnSpec, Input, Kind, Link, MemberVia, Method, ValueType};
use crate::rules::RuleSet;

/// One column of a sheet.
#[derive(Debug, Clone)]
pub struct FormColumn {
    /// The machine name: the data column the rules read.
    pub name: String,
    /// The header shown above it: the Chinese label and the unit.
    pub heading: String,
    /// `None` for a text column (an id, a label, a link).
    pub ty: Option<ValueType>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A category column's values, each with the label shown in the workbook's list.
    pub categories: Vec<(String, String)>,
    /// Ids, labels and links: what identifies and places a row, filled in by the office.
    pub key: bool,
    /// The dimension whose indicators read it (`标识` for keys, `其他` for the rest).
    pub group: String,
    /// The programme text the column answers to, and what it is for.
    pub note: String,
}

impl FormColumn {
    fn text(name: &str, heading: String, note: String) -> FormColumn {
        FormColumn {
            name: name.to_string(),
            heading,
            ty: None,
            min: None,
            max: None,
            categories: Vec::new(),
            key: true,
            group: KEY_GROUP.to_string(),
            note,
        }
    }

    /// The workbook text of a category: its label when the rules give one.
    pub fn shown(&self, code: &str) -> String {
        self.categories
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_string(), |(_, l)| l.clone())
    }

    /// The category a workbook's text stands for: a label read as its code.
    pub fn code_of<'a>(&'a self, text: &'a str) -> &'a str {
        self.categories
            .iter()
            .find(|(_, l)| l == text)
            .map_or(text, |(c, _)| c.as_str())
    }
}

/// The group of the columns that identify a row.
pub const KEY_GROUP: &str = "标识";
/// The group of inputs read by gates, ratios and totals rather than a dimension's indicators.
pub const OTHER_GROUP: &str = "其他";

/// One sheet: a table (or a table's baseline).
#[derive(Debug, Clone)]
pub struct FormSheet {
    /// The data table's name (`villages`).
    pub table: String,
    /// Whether this is the table's baseline (the values at the start of the programme).
    pub baseline: bool,
    /// The sheet's name: the table's Chinese label.
    pub title: String,
    pub id_column: String,
    /// The column naming each row, when the table has one.
    pub label_column: Option<String>,
    /// How many of the first columns make a row's id (the id column and any key columns).
    pub key_count: usize,
    pub columns: Vec<FormColumn>,
}

impl FormSheet {
    fn push(&mut self, col: FormColumn) {
        if !self.columns.iter().any(|c| c.name == col.name) {
            self.columns.push(col);
        }
    }
}

/// The part of a label before its English gloss: `后进村 (backward village)` → `后进村`.
pub fn chinese(label: &str) -> String {
    crate::words::short_label(label).trim().to_string()
}

/// A column's heading: its label and unit (`农民人均纯收入（元）`), or its name.
fn heading(spec: &ColumnSpec, unit: Option<&str>, label: Option<&str>) -> String {
    let label = spec
        .label
        .clone()
        .or_else(|| label.map(String::from))
        .unwrap_or_else(|| spec.name.clone());
    match spec.unit.as_deref().or(unit) {
        Some(u) if !u.is_empty() => format!("{label}（{u}）"),
        _ => label,
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(label: &str, taken: &[FormSheet]) -> String {
    let clean: String = chinese(label)
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(28)
        .collect();
    let mut name = clean.clone();
    let mut n = 2;
    while taken.iter().any(|s| s.title == name) || name == super::MARKER_SHEET {
        name = format!("{clean}{n}");
        n += 1;
    }
    name
}

/// A column an indicator reads: its group (the dimension), its note, and the unit and label
/// of the indicator when it reads the column alone.
struct Read {
    col: usize,
    group: String,
    note: String,
    unit: Option<String>,
    label: Option<String>,
}

/// The columns of `kind` its indicators read, by dimension, with their notes.
fn by_dimension(kind: &Kind) -> Vec<Read> {
    let mut out: Vec<Read> = Vec::new();
    for ind in &kind.indicators {
        let cols: Vec<usize> = match &ind.input {
            Input::Column(c) => vec![*c],
            Input::Ratio { num, den, .. } => vec![*num, *den],
            Input::Change { col, .. } => vec![*col],
            Input::Expr(_) => Vec::new(),
        };
        let dim = kind
            .dims
            .get(ind.dim)
            .map_or_else(|| OTHER_GROUP.to_string(), |d| chinese(&d.label));
        let mut note = format!("用于指标：{}", chinese(&ind.label));
        if let Some(r) = &ind.reference {
            note.push_str(&format!("\n依据：{r}"));
        }
        // A column an indicator reads alone is named and counted as the indicator is.
        let alone = matches!(ind.input, Input::Column(_));
        let unit = alone.then(|| ind.unit.clone()).flatten();
        let label = alone.then(|| ind.label.clone());
        for c in cols {
            match out.iter_mut().find(|r| r.col == c) {
                Some(r) => r
                    .note
                    .push_str(&format!("\n用于指标：{}", chinese(&ind.label))),
                None => out.push(Read {
                    col: c,
                    group: dim.clone(),
                    note: note.clone(),
                    unit: unit.clone(),
                    label: label.clone(),
                }),
            }
        }
    }
    // Grouped by dimension, in the dimensions' order, each column with the dimension of the
    // first indicator reading it; within a dimension, in the indicators' order.
    out.sort_by_key(|r| {
        let c = &r.col;
        kind.indicators
            .iter()
            .find(|i| match &i.input {
                Input::Column(x) => x == c,
                Input::Ratio { num, den, .. } => num == c || den == c,
                Input::Change { col, .. } => col == c,
                Input::Expr(_) => false,
            })
            .map_or(usize::MAX, |i| i.dim)
    });
    out
}

/// An input column of a kind, with its group and note.
fn input(
    spec: &ColumnSpec,
    group: String,
    note: String,
    unit: Option<&str>,
    label: Option<&str>,
) -> FormColumn {
    let categories = match &spec.categories {
        Some(cs) => cs
            .iter()
            .map(|c| {
                let label = spec
                    .category_labels
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or_else(|| c.clone(), |(_, l)| l.clone());
                (c.clone(), label)
            })
            .collect(),
        None => Vec::new(),
    };
    FormColumn {
        name: spec.name.clone(),
        heading: heading(spec, unit, label),
        ty: Some(spec.ty),
        min: spec.min,
        max: spec.max,
        categories,
        key: false,
        group,
        note,
    }
}

/// The sheets of the workbooks for `rules`: the primary table, its baseline, each unit kind's
/// table, then the tables that only link (a leader's village) or give points.
pub fn sheets(rules: &RuleSet) -> Vec<FormSheet> {
    let mut sheets: Vec<FormSheet> = Vec::new();
    let kinds = std::iter::once(&rules.primary).chain(&rules.units);
    for kind in kinds.clone() {
        let own_columns = kind.columns.iter().any(|c| c.from_data());
        let own = own_columns || kind.label_column.is_some() || kind.name == rules.primary.name;
        if !own {
            continue;
        }
        let sheet = kind_sheet(kind, false, &sheets);
        add(&mut sheets, sheet);
        if kind.needs_baseline {
            let sheet = kind_sheet(kind, true, &sheets);
            add(&mut sheets, sheet);
        }
    }
    for kind in kinds {
        if let Some(Link::Table {
            table,
            unit_column,
            village_column,
        }) = &kind.link
        {
            pairs(&mut sheets, table, unit_column, village_column);
        }
        for m in &kind.members {
            if let MemberVia::Table {
                table,
                unit_column,
                member_column,
            } = &m.via
            {
                pairs(&mut sheets, table, unit_column, member_column);
            }
        }
        for ind in &kind.indicators {
            if let Method::LookupFrom(from) = &ind.method {
                let mut s = bare(&sheets, &from.table, &from.key);
                s.push(FormColumn::text(&from.key, from.key.clone(), String::new()));
                s.push(FormColumn {
                    name: from.column.clone(),
                    heading: from.column.clone(),
                    ty: Some(ValueType::Number),
                    min: None,
                    max: None,
                    categories: Vec::new(),
                    key: false,
                    group: OTHER_GROUP.into(),
                    note: format!("用于指标：{}", chinese(&ind.label)),
                });
                add(&mut sheets, s);
            }
        }
    }
    // A link column the rules do not label is named by the kind whose id it holds.
    let ids: Vec<(String, String)> = std::iter::once(&rules.primary)
        .chain(&rules.units)
        .map(|k| (k.id_column.clone(), format!("{}编号", chinese(&k.label))))
        .collect();
    for c in sheets.iter_mut().flat_map(|s| s.columns.iter_mut()) {
        if c.heading == c.name {
            if let Some((_, h)) = ids.iter().find(|(id, _)| *id == c.name) {
                c.heading = h.clone();
            }
        }
    }
    sheets
}

/// A new sheet for `table`, before its columns.
fn bare(taken: &[FormSheet], table: &str, id: &str) -> FormSheet {
    FormSheet {
        table: table.to_string(),
        baseline: false,
        title: sheet_name(table, taken),
        id_column: id.to_string(),
        label_column: None,
        key_count: 1,
        columns: Vec::new(),
    }
}

/// A table of (unit, entity) pairs.
fn pairs(sheets: &mut Vec<FormSheet>, table: &str, unit: &str, other: &str) {
    let mut s = bare(sheets, table, unit);
    s.push(FormColumn::text(unit, unit.to_string(), String::new()));
    s.push(FormColumn::text(other, other.to_string(), String::new()));
    add(sheets, s);
}

/// Add a sheet, or its columns to the sheet of the same table.
fn add(sheets: &mut Vec<FormSheet>, sheet: FormSheet) {
    match sheets
        .iter_mut()
        .find(|s| s.table == sheet.table && s.baseline == sheet.baseline)
    {
        Some(s) => {
            for c in sheet.columns {
                s.push(c);
            }
        }
        None => sheets.push(sheet),
    }
}

/// The sheet of a kind's own table (or its baseline).
fn kind_sheet(kind: &Kind, baseline: bool, taken: &[FormSheet]) -> FormSheet {
    let label = chinese(&kind.label);
    let mut s = FormSheet {
        table: kind.table.clone(),
        baseline,
        title: sheet_name(
            &if baseline {
                format!("{label}基线")
            } else {
                label.clone()
            },
            taken,
        ),
        id_column: kind.id_column.clone(),
        label_column: kind.label_column.clone().filter(|_| !baseline),
        key_count: 1 + kind.key_columns.len(),
        columns: Vec::new(),
    };
    let spec_of = |n: &str| kind.columns.iter().find(|c| c.name == n && c.from_data());
    s.push(FormColumn::text(
        &kind.id_column,
        format!("{label}编号"),
        format!("每行一个{label}，编号不可重复"),
    ));
    for k in &kind.key_columns {
        s.push(FormColumn::text(
            k,
            k.clone(),
            format!("{label}编号的一部分"),
        ));
    }
    if baseline {
        for spec in kind.columns.iter().filter(|c| c.baseline && c.from_data()) {
            let note = "项目开始时（基线）的数值".to_string();
            s.push(input(spec, OTHER_GROUP.into(), note, None, None));
        }
        return s;
    }
    if let Some(l) = &kind.label_column {
        s.push(FormColumn::text(l, format!("{label}名称"), String::new()));
    }
    for t in &kind.text_columns {
        let mut c = match spec_of(t) {
            Some(spec) => input(spec, KEY_GROUP.into(), String::new(), None, None),
            None => FormColumn::text(t, t.clone(), String::new()),
        };
        c.key = true;
        if c.note.is_empty() {
            c.note = "分组或关联所用，由汇总单位填写".into();
        }
        s.push(c);
    }
    for r in by_dimension(kind) {
        if let Some(spec) = kind.columns.get(r.col).filter(|c| c.from_data()) {
            s.push(input(
                spec,
                r.group,
                r.note,
                r.unit.as_deref(),
                r.label.as_deref(),
            ));
        }
    }
    for spec in kind.columns.iter().filter(|c| c.from_data()) {
        let note = "用于否决、比率或汇总".to_string();
        s.push(input(spec, OTHER_GROUP.into(), note, None, None));
    }
    s
}
