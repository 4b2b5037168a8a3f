//! The public notice (公示名单): every entity of the kinds the rule set's `notice:` lists, with
//! its total, grade and outcome, sorted as a notice is (the best outcome first, then the
//! highest total, then by id), between the notice's opening words and its period, contact and
//! signature. `results.xlsx` holds it as a sheet and `report.html` as a section printed on its
//! own pages.

use super::xlsx::Cell;
use super::{KindView, RunView};
use crate::words::short_label;

/// The notice's columns, the same for every kind (a kind without points or grades leaves
/// those blank): one heading row repeats on every printed page.
pub(crate) const HEAD: [&str; 8] = [
    "序号", "类别", "编号", "名称", "所属", "总分", "等次", "结果",
];

/// Which of [`HEAD`] hold numbers.
pub(crate) const NUMERIC: [bool; 8] = [true, false, false, false, false, true, false, false];

/// One kind's part of the notice.
pub(crate) struct Section<'v, 'a> {
    pub kind: &'v KindView<'a>,
    /// The kind's name in the notice: `后进村`, `包帮部门`.
    pub heading: String,
    /// What the `所属` column holds for this kind: the linked kinds' names (`镇街区 / 包帮部门`),
    /// empty when it links to none.
    pub belongs: String,
    /// Rows of the frame in notice order.
    pub order: Vec<usize>,
    /// The frame's text columns that link to another kind, shown by that kind's names.
    links: Vec<usize>,
}

/// The sections of the notice, in the order `notice.kinds` gives.
pub(crate) fn sections<'v, 'a>(v: &'v RunView<'a>) -> Vec<Section<'v, 'a>> {
    let kinds: Vec<&KindView> = std::iter::once(&v.primary).chain(&v.units).collect();
    v.rules
        .notice
        .kinds
        .iter()
        .filter_map(|name| kinds.iter().find(|k| &k.kind.name == name).copied())
        .map(|k| section(v, k))
        .collect()
}

fn section<'v, 'a>(v: &'v RunView<'a>, k: &'v KindView<'a>) -> Section<'v, 'a> {
    let all_kinds: Vec<&crate::rules::model::Kind> = std::iter::once(&v.rules.primary)
        .chain(&v.rules.units)
        .collect();
    let mut links = Vec::new();
    let mut belongs = Vec::new();
    for (i, (column, _, named)) in k.text_columns().enumerate() {
        if named.is_none() {
            continue;
        }
        // A column of another kind's ids, shown by that kind's names (`town_id` → 镇街区).
        if let Some(other) = all_kinds
            .iter()
            .find(|o| o.name != k.kind.name && o.id_column == column && o.key_columns.is_empty())
        {
            links.push(i);
            belongs.push(short_label(&other.label).to_string());
        }
    }
    let mut order: Vec<usize> = (0..k.frame.len()).collect();
    let outcome = |r: usize| k.result.outcome.get(r).copied().map_or(u32::MAX, u32::from);
    let total = |r: usize| k.result.total.get(r).copied().unwrap_or(0.0);
    order.sort_by(|&a, &b| {
        outcome(a)
            .cmp(&outcome(b))
            .then(total(b).total_cmp(&total(a)))
            .then_with(|| k.frame.id(a).cmp(k.frame.id(b)))
    });
    Section {
        kind: k,
        heading: short_label(&k.kind.label).to_string(),
        belongs: belongs.join(" / "),
        order,
        links,
    }
}

impl Section<'_, '_> {
    /// The `n`th row of the section (0-based, numbered from 1), one cell per [`HEAD`].
    pub fn row(&self, n: usize) -> Vec<Cell> {
        let k = self.kind;
        let Some(&r) = self.order.get(n) else {
            return Vec::new();
        };
        let mut belongs = Vec::new();
        for (i, (_, vals, named)) in k.text_columns().enumerate() {
            if self.links.contains(&i) {
                let value = vals.get(r).unwrap_or_default();
                let name = named.map(|n| n.name(value)).unwrap_or_default();
                belongs.push(if name.is_empty() { value } else { name });
            }
        }
        let blank = || Cell::Text(String::new());
        vec![
            Cell::Int(n as i64 + 1),
            Cell::Text(self.heading.clone()),
            Cell::Text(k.frame.id(r).to_string()),
            Cell::Text(k.frame.label(r).to_string()),
            Cell::Text(belongs.join(" / ")),
            if k.kind.scored() {
                Cell::Num(k.result.total.get(r).copied().unwrap_or(0.0))
            } else {
                blank()
            },
            if k.kind.grades.is_empty() {
                blank()
            } else {
                Cell::Text(short_label(k.grade_label(r)).to_string())
            },
            Cell::Text(short_label(k.outcome_label(r)).to_string()),
        ]
    }

    /// How many entities the section lists.
    pub fn len(&self) -> usize {
        self.order.len()
    }
}
