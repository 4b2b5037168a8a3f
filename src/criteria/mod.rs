//! The printed scoring table (评分细则): the compiled rule set, after any what-if, put into
//! words a committee reads — every indicator with its points, its scoring method, the data it
//! needs and its reference; then the vetoes, the grade lines, the outcome rules and the
//! population rules of each kind; and the parameters with their values.
//!
//! [`build`] turns the rules into a neutral [`Criteria`] (sections of rows of text cells); the
//! renderers in [`render`] print it as a terminal table, Markdown, HTML or a workbook. Reading
//! the compiled rules rather than the files means a scenario's or a flag's change shows exactly
//! as the engine will apply it.

pub mod render;
mod words;

use crate::rules::model::{
    DimRole, Effect, Indicator, Kind, Link, MemberVia, Method, QuotaTarget, RuleSet, Split,
};
use crate::words::short_label;
use words::{condition_words, input_words, interval_words, method_words, num, params_note};

/// The whole scoring table.
#[derive(Debug, Clone)]
pub struct Criteria {
    /// The rule set's name (its Chinese part when bilingual) and version.
    pub title: String,
    pub version: String,
    pub period: Option<String>,
    pub description: Option<String>,
    /// The what-if banner (`模拟测算，非正式结果 · …`) when a scenario or flag applies.
    pub what_if: Option<String>,
    /// One part per entity kind (the primary kind first), then the parameters.
    pub parts: Vec<Part>,
}

/// The sections of one entity kind (or of the parameters).
#[derive(Debug, Clone)]
pub struct Part {
    /// The heading: the kind's label (`后进村 (backward village)`), or `参数`.
    pub title: String,
    /// A short name for a workbook sheet (`后进村`).
    pub short: String,
    /// Lines under the heading: how the kind is linked, its maximum total.
    pub notes: Vec<String>,
    pub sections: Vec<Section>,
}

/// One table.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// A column heading, and how its cells read.
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    /// The row's name (an indicator, a gate): kept readable in narrow layouts.
    pub key: bool,
    /// An id (`collective_petition`): set in a smaller, muted face.
    pub code: bool,
    /// Numbers (points): aligned right.
    pub numeric: bool,
    /// Long text (a method in words): wrapped in narrow outputs.
    pub wide: bool,
}

/// A row of cells, one per column.
#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<String>,
    /// A dimension's heading row or a total: set apart from the items.
    pub emphasis: bool,
}

fn col(title: &str) -> Column {
    Column {
        title: title.into(),
        key: false,
        code: false,
        numeric: false,
        wide: false,
    }
}

fn key_col(title: &str) -> Column {
    Column {
        key: true,
        ..col(title)
    }
}

fn code_col() -> Column {
    Column {
        code: true,
        ..col("代码")
    }
}

fn num_col(title: &str) -> Column {
    Column {
        numeric: true,
        ..col(title)
    }
}

fn wide_col(title: &str) -> Column {
    Column {
        wide: true,
        ..col(title)
    }
}

fn row(cells: Vec<String>) -> Row {
    Row {
        cells,
        emphasis: false,
    }
}

/// The scoring table of `rules`, marked with `what_if` when one applies.
pub fn build(rules: &RuleSet, what_if: Option<&crate::report::WhatIf>) -> Criteria {
    let mut parts = Vec::new();
    parts.push(kind_part(rules, &rules.primary));
    for k in &rules.units {
        parts.push(kind_part(rules, k));
    }
    if !rules.params.is_empty() {
        parts.push(params_part(rules));
    }
    Criteria {
        title: rules.name.clone(),
        version: rules.version.clone(),
        period: rules.period.clone(),
        description: rules.description.as_ref().map(|d| d.trim().to_string()),
        what_if: what_if.map(crate::report::WhatIf::banner),
        parts,
    }
}

fn kind_part(rules: &RuleSet, kind: &Kind) -> Part {
    let mut notes = Vec::new();
    if let Some(link) = &kind.link {
        let noun = rules.primary.zh_noun();
        notes.push(match link {
            Link::Column(c) => format!("所联系的{noun}：{noun}的 `{c}` 列为本单位编号"),
            Link::Table {
                table,
                unit_column,
                village_column,
            } => {
                format!("所联系的{noun}：关联表 `{table}`（`{unit_column}` → `{village_column}`）")
            }
        });
    }
    for m in &kind.members {
        let member = std::iter::once(&rules.primary)
            .chain(&rules.units)
            .find(|u| u.name == m.kind)
            .map_or(m.kind.as_str(), Kind::zh_noun);
        notes.push(match &m.via {
            MemberVia::Column(c) => format!("下属{member}：{member}的 `{c}` 列为本单位编号"),
            MemberVia::Table {
                table,
                unit_column,
                member_column,
            } => format!("下属{member}：关联表 `{table}`（`{unit_column}` → `{member_column}`）"),
        });
    }
    // A unit kind with data of its own names its table; the primary kind's is the data set's.
    if kind.name != rules.primary.name && kind.columns.iter().any(|c| c.from_data()) {
        notes.push(format!("本单位数据：`{}` 表", kind.table));
    }
    if kind.scored() {
        let mut total = format!("总分满分 {} 分", num(kind.max_total));
        if kind.floor != 0.0 || kind.ceiling.is_some() {
            total.push_str(&format!("，最低 {} 分", num(kind.floor)));
            if let Some(c) = kind.ceiling {
                total.push_str(&format!("，最高 {} 分", num(c)));
            }
        }
        notes.push(total);
    } else {
        notes.push("不计分：按条件判定".into());
    }
    let mut sections = Vec::new();
    if !kind.indicators.is_empty() {
        sections.push(indicators_section(rules, kind));
    }
    if !kind.gates.is_empty() {
        sections.push(gates_section(rules, kind));
    }
    if kind.graded() {
        sections.push(grades_section(rules, kind));
    }
    if !kind.outcomes.is_empty() {
        sections.push(outcomes_section(rules, kind));
    }
    let population = population_section(rules, kind);
    if !population.rows.is_empty() {
        sections.push(population);
    }
    Part {
        title: kind.label.clone(),
        short: short_label(&kind.label).to_string(),
        notes,
        sections,
    }
}

fn indicators_section(rules: &RuleSet, kind: &Kind) -> Section {
    let mut rows = Vec::new();
    for (d, dim) in kind.dims.iter().enumerate() {
        let mut what = match dim.role {
            DimRole::Score => format!("本项满分 {} 分", num(dim.max)),
            DimRole::Add => format!("加分项：累计最多加 {} 分", num(dim.max)),
            DimRole::Deduct => format!("扣分项：累计最多扣 {} 分", num(dim.max)),
        };
        if let Some(min) = dim.min {
            what.push_str(&format!("；低于 {} 分不能通过", num(min)));
            if let Some(p) = &dim.min_param {
                what.push_str(&format!(
                    "（{}）",
                    params_note(rules, std::slice::from_ref(p))
                ));
            }
        }
        let points = match dim.role {
            DimRole::Deduct => format!("-{}", num(dim.max)),
            _ => num(dim.max),
        };
        rows.push(Row {
            cells: vec![
                short_label(&dim.label).to_string(),
                String::new(),
                dim.id.clone(),
                points,
                what,
                String::new(),
                String::new(),
            ],
            emphasis: true,
        });
        for ind in kind.indicators.iter().filter(|i| i.dim == d) {
            rows.push(row(indicator_cells(rules, kind, ind, dim.role)));
        }
    }
    // Every indicator has a dimension; one that had none would still be listed, never dropped.
    for ind in kind.indicators.iter().filter(|i| i.dim >= kind.dims.len()) {
        rows.push(row(indicator_cells(rules, kind, ind, DimRole::Score)));
    }
    if kind.scored() {
        rows.push(Row {
            cells: vec![
                "合计".into(),
                String::new(),
                String::new(),
                num(kind.max_total),
                "各项得分之和".to_string()
                    + if kind.has_adjustments() {
                        "，加上加分项、减去扣分项"
                    } else {
                        ""
                    },
                String::new(),
                String::new(),
            ],
            emphasis: true,
        });
    }
    Section {
        title: "评分指标".into(),
        columns: vec![
            col("维度"),
            key_col("指标"),
            code_col(),
            num_col("分值"),
            wide_col("评分方法"),
            wide_col("所需数据"),
            wide_col("依据"),
        ],
        rows,
    }
}

fn indicator_cells(rules: &RuleSet, kind: &Kind, ind: &Indicator, role: DimRole) -> Vec<String> {
    let mut method = match (role, &ind.method) {
        // A deduction item's points are taken off: its bonus reads as a deduction.
        (DimRole::Deduct, Method::Bonus { per }) => format!(
            "每 1 {}扣 {} 分，最多扣 {} 分",
            ind.unit.as_deref().unwrap_or("个单位"),
            num(*per),
            num(ind.points)
        ),
        (DimRole::Deduct, Method::Boolean) => format!("是扣 {} 分，否不扣分", num(ind.points)),
        (DimRole::Deduct, _) => format!("扣分：{}", method_words(rules, kind, ind)),
        _ => method_words(rules, kind, ind),
    };
    if !ind.params.is_empty() {
        method.push_str(&format!("（{}）", params_note(rules, &ind.params)));
    }
    if let Some(d) = &ind.description {
        method.push_str(&format!("。{}", short_label(d.trim())));
    }
    let points = match role {
        DimRole::Deduct => format!("-{}", num(ind.points)),
        _ => num(ind.points),
    };
    vec![
        String::new(),
        short_label(&ind.label).to_string(),
        ind.id.clone(),
        points,
        method,
        input_words(rules, kind, ind),
        ind.reference.clone().unwrap_or_default(),
    ]
}

fn gates_section(rules: &RuleSet, kind: &Kind) -> Section {
    let rows = kind
        .gates
        .iter()
        .map(|g| {
            let grade = |i: usize| {
                kind.grades
                    .get(i)
                    .map_or(String::new(), |g| short_label(&g.label).to_string())
            };
            let mut cond = condition_words(rules, kind, &g.condition);
            // A condition on an indicator that does not name it says which one it is on.
            if let Some(ind) = g.indicator.and_then(|i| kind.indicators.get(i)) {
                let label = short_label(&ind.label);
                if !cond.contains(label) {
                    cond = format!("{label}：{cond}");
                }
            }
            let (cond, effect) = if g.require {
                (format!("须满足：{cond}"), "不满足则不能通过".to_string())
            } else {
                let effect = match g.effect {
                    Effect::Fail(None) => "一票否决：不能通过".to_string(),
                    Effect::Fail(Some(i)) => {
                        format!("一票否决：不能通过，等次最高为{}", grade(i))
                    }
                    Effect::CapGrade(i) => format!("等次最高为{}", grade(i)),
                    Effect::ForceOutcome(o) => format!(
                        "结果定为{}",
                        kind.outcomes
                            .get(o)
                            .map_or(String::new(), |o| short_label(&o.label).to_string())
                    ),
                    Effect::Zero => format!(
                        "以下指标记 0 分：{}",
                        g.zero
                            .iter()
                            .filter_map(|&i| kind.indicators.get(i))
                            .map(|x| short_label(&x.label))
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                };
                (format!("出现：{cond}"), effect)
            };
            let effect = if g.enabled {
                effect
            } else {
                format!("（已停用）{effect}")
            };
            row(vec![
                short_label(&g.label).to_string(),
                g.id.clone(),
                cond,
                effect,
                message(g),
                g.reference.clone().unwrap_or_default(),
            ])
        })
        .collect();
    Section {
        title: if kind.has_conditions() && kind.gates.iter().all(|g| g.require) {
            "必备条件".into()
        } else {
            "否决与条件".into()
        },
        columns: vec![
            key_col("项目"),
            code_col(),
            wide_col("条件"),
            col("效果"),
            wide_col("说明"),
            wide_col("依据"),
        ],
        rows,
    }
}

/// A gate's message, unless it only repeats the label (`not met: LABEL`, the default of a
/// required condition).
fn message(g: &crate::rules::model::Gate) -> String {
    let m = g.message.trim();
    match m.strip_prefix("not met: ") {
        Some(rest) if rest == g.label || rest == short_label(&g.label) => String::new(),
        _ => short_label(m).to_string(),
    }
}

fn grades_section(rules: &RuleSet, kind: &Kind) -> Section {
    let rows = kind
        .grades
        .iter()
        .map(|g| {
            let mut line = interval_words(&g.interval, Some("分"));
            if !g.params.is_empty() {
                line.push_str(&format!("（{}）", params_note(rules, &g.params)));
            }
            row(vec![short_label(&g.label).to_string(), g.id.clone(), line])
        })
        .collect();
    Section {
        title: "等次".into(),
        columns: vec![key_col("等次"), code_col(), wide_col("总分")],
        rows,
    }
}

fn outcomes_section(rules: &RuleSet, kind: &Kind) -> Section {
    let rows = kind
        .outcomes
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let last = n + 1 == kind.outcomes.len();
            // A passing outcome is never reached by an entity that cannot pass.
            let cond = match (&o.condition, last) {
                (None, true) => "以上都不满足时".into(),
                (Some(c), _) if o.passing => {
                    format!("{}，且未被否决", condition_words(rules, kind, c))
                }
                (Some(c), _) => condition_words(rules, kind, c),
                (None, false) => "未被否决的全部".into(),
            };
            row(vec![
                (n + 1).to_string(),
                short_label(&o.label).to_string(),
                o.id.clone(),
                cond,
                if o.passing { "通过" } else { "不通过" }.into(),
            ])
        })
        .collect();
    Section {
        title: "结果判定（按顺序，先满足者定）".into(),
        columns: vec![
            num_col("顺序"),
            key_col("结果"),
            code_col(),
            wide_col("条件"),
            col("是否通过"),
        ],
        rows,
    }
}

fn population_section(rules: &RuleSet, kind: &Kind) -> Section {
    let mut rows = Vec::new();
    let outcome = |i: usize| {
        kind.outcomes
            .get(i)
            .map_or(String::new(), |o| short_label(&o.label).to_string())
    };
    let grade = |i: usize| {
        kind.grades
            .get(i)
            .map_or(String::new(), |g| short_label(&g.label).to_string())
    };
    if !kind.rank.is_empty() {
        let keys: Vec<String> = kind
            .rank
            .iter()
            .map(|k| {
                format!(
                    "{}{}",
                    words::var_words(rules, kind, k.var),
                    if k.desc {
                        "从高到低"
                    } else {
                        "从低到高"
                    }
                )
            })
            .collect();
        rows.push(row(vec![
            "排名".into(),
            format!("按{}排序，仍相同按编号", keys.join("，再按")),
        ]));
    }
    if let Some(t) = &kind.top {
        rows.push(row(vec![
            "前 N 名".into(),
            format!("排名前 {} 且未被否决的定为{}", t.count, outcome(t.outcome)),
        ]));
    }
    for q in &kind.quotas {
        let target = match q.target {
            QuotaTarget::Outcome(o) => outcome(o),
            QuotaTarget::Grade(g) => grade(g),
        };
        let limit = match (q.max_share, q.max_count) {
            (Some(s), Some(c)) => format!("不超过 {}%，且不超过 {c} 个", num(s * 100.0)),
            (Some(s), None) => format!("不超过 {}%", num(s * 100.0)),
            (None, Some(c)) => format!("不超过 {c} 个"),
            (None, None) => "不限".into(),
        };
        rows.push(row(vec![
            "名额".into(),
            format!("{target}{limit}；超出名额的按排名顺延至下一档"),
        ]));
    }
    if let Some(f) = &kind.fund {
        let split = match &f.split {
            Split::Equal => "平均分配".to_string(),
            Split::Proportional => "按总分比例分配".to_string(),
            Split::ByGrade(w) => format!(
                "按等次系数分配：{}",
                kind.grades
                    .iter()
                    .zip(w)
                    .filter(|(_, w)| **w != 0.0)
                    .map(|(g, w)| format!("{} {}", short_label(&g.label), num(*w)))
                    .collect::<Vec<_>>()
                    .join("，")
            ),
        };
        rows.push(row(vec![
            "奖励资金".into(),
            format!(
                "{} {} 元，奖给{}，{split}；取整到元，余数按最大余额分配",
                f.label.as_deref().map(short_label).unwrap_or("奖励资金"),
                crate::words::thousands(f.budget),
                outcome(f.outcome)
            ),
        ]));
    }
    if let Some(c) = &kind.cascade {
        let member = rules.units.iter().find(|u| u.name == c.to);
        let member_noun = member.map_or(c.to.as_str(), Kind::zh_noun);
        let member_grade = |id: &str| {
            member
                .and_then(|m| m.grades.iter().find(|g| g.id == id))
                .map_or(id.to_string(), |g| short_label(&g.label).to_string())
        };
        for r in &c.rules {
            let grades: Vec<String> = r.grades.iter().map(|&g| grade(g)).collect();
            let action = match &r.action {
                crate::rules::model::CascadeAction::Set(g) => {
                    format!("其{member_noun}等次均定为{}", member_grade(g))
                }
                crate::rules::model::CascadeAction::Cap(g) => {
                    format!("其{member_noun}等次最高为{}", member_grade(g))
                }
                crate::rules::model::CascadeAction::AtMost { grade, count } => format!(
                    "其{member_noun}至多 {count} 名可评为{}",
                    member_grade(grade)
                ),
            };
            rows.push(row(vec![
                "延伸到成员".into(),
                format!("等次为{}的，{action}", grades.join("、")),
            ]));
        }
    }
    Section {
        title: "排名、名额与奖励".into(),
        columns: vec![key_col("项目"), wide_col("规则")],
        rows,
    }
}

fn params_part(rules: &RuleSet) -> Part {
    let rows = rules
        .params
        .iter()
        .map(|p| {
            let mut value = num(p.value);
            if let Some(f) = &p.formula {
                value = format!("{value}（= {}）", f.trim());
            }
            row(vec![
                p.label
                    .as_deref()
                    .map(short_label)
                    .unwrap_or("")
                    .to_string(),
                p.name.clone(),
                value,
                p.unit.clone().unwrap_or_default(),
                p.reference.clone().unwrap_or_default(),
            ])
        })
        .collect();
    Part {
        title: "参数 (parameters)".into(),
        short: "参数".into(),
        notes: vec!["上文引用的参数及其取值；方案（scenario）可改动这些取值".into()],
        sections: vec![Section {
            title: "参数".into(),
            columns: vec![
                key_col("参数"),
                code_col(),
                num_col("取值"),
                col("单位"),
                wide_col("依据"),
            ],
            rows,
        }],
    }
}

/// Every indicator of `rules` with the kind it belongs to: what the table must show.
pub fn indicator_ids(rules: &RuleSet) -> Vec<(String, String, String)> {
    std::iter::once(&rules.primary)
        .chain(&rules.units)
        .flat_map(|k| {
            k.indicators.iter().map(|i| {
                (
                    k.name.clone(),
                    i.id.clone(),
                    short_label(&i.label).to_string(),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_have_thousands_separators() {
        assert_eq!(crate::words::thousands(500_000), "500,000");
        assert_eq!(crate::words::thousands(999), "999");
        assert_eq!(crate::words::thousands(1_000), "1,000");
        assert_eq!(crate::words::thousands(-12_345), "-12,345");
    }
}
