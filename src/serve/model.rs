//! The controls of the live page: every figure of the rule files a committee decides on, by
//! the stable path a scenario sets it with, with its words, its baseline value and the range
//! a slider offers. Read from the rule files as written, so that every number of a kind's
//! file (points, band lines, minimums, grade lines, quotas, the fund) has its control.

use super::session::{Problem, Refusal};
use crate::rules::load::RuleFiles;
use crate::rules::RuleSet;
use crate::scenario::Flags;
use serde::Serialize;
use serde_json::{json, Value as Json};
use serde_yaml::Value;
use std::path::Path;

/// One control: a value the page can change, and how.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// What `--set` takes: a parameter's name or a stable path.
    pub path: String,
    pub group: String,
    pub group_label: String,
    pub label: String,
    pub unit: Option<String>,
    pub reference: Option<String>,
    /// The baseline's value: a number, or a text (a parameter's name, an interval).
    pub value: Json,
    /// The formula of a parameter computed from others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    pub min: f64,
    pub max: f64,
    pub step: f64,
    /// The values the server accepts for a number (a typed value beyond the slider's range
    /// is taken up to here).
    pub limit: [f64; 2],
}

/// A gate the page can switch off and on.
#[derive(Debug, Clone, Serialize)]
pub struct GateControl {
    /// As `--gate` takes it: `collective_petition`, or `department.village_not_passed`.
    pub id: String,
    pub kind: String,
    pub label: String,
    pub effect: String,
    pub when: String,
}

/// Everything the page builds its controls from.
#[derive(Debug, Clone)]
pub struct Model {
    pub controls: Vec<Control>,
    pub gates: Vec<GateControl>,
    pub scenarios: Vec<Json>,
}

/// The words of a section of a kind's file.
fn section_words(key: &str) -> &str {
    match key {
        "dimensions" => "维度 (dimensions)",
        "indicators" => "指标 (indicators)",
        "gates" => "否决项 (gates)",
        "conditions" => "必备条件 (conditions)",
        "grades" => "等次 (grades)",
        "outcomes" => "结果 (outcomes)",
        "quotas" => "名额 (quotas)",
        "top" => "前 N 名 (top N)",
        "fund" => "奖金 (fund)",
        "cascade" => "连带 (cascade)",
        "adjustments" => "加减分 (bonus and deductions)",
        "total" => "总分 (total)",
        other => other,
    }
}

/// The words of a field.
fn field_words(key: &str) -> String {
    let w = match key {
        "points" => "分值 (points)",
        "min" => "最低分 (minimum)",
        "max" => "最高 (maximum)",
        "range" => "区间 (range)",
        "budget" => "总额 (budget)",
        "count" => "名额 (count)",
        "per" => "每 (per)",
        "cap" => "上限 (cap)",
        "max_share" => "最高比例 (max share)",
        "max_count" => "最多个数 (max count)",
        "when" => "条件 (condition)",
        "floor" => "下限 (floor)",
        "ceiling" => "上限 (ceiling)",
        "target" => "目标 (target)",
        "full" => "满分值 (full at)",
        "zero" => "零分值 (zero at)",
        "step" => "每档 (step)",
        "value" => "值 (value)",
        "amount" => "金额 (amount)",
        "share" => "比例 (share)",
        "from" => "起点 (from)",
        "to" => "满分点 (to)",
        other => return other.to_string(),
    };
    w.to_string()
}

/// Top-level keys of a kind's file that hold no figure a committee tunes.
const NOT_TUNED: &[&str] = &[
    "kind",
    "label",
    "table",
    "id_column",
    "label_column",
    "group_by",
    "link",
    "columns",
    "rank",
    "members",
    "description",
    "reference",
    "primary_column",
    "village_column",
    "categories",
];

/// Fields inside a section that are names and words, not figures.
const WORDS: &[&str] = &[
    "id",
    "label",
    "reference",
    "description",
    "column",
    "unit",
    "name",
    "type",
    "message",
    "kind",
    "method",
    "input",
    "effect",
    "of",
    "script",
    "expr",
    "key",
    "outcome",
    "grade",
    "order",
    "label_column",
];

/// Text fields worth a text box: a line that names a parameter, an interval, a condition.
const TEXT_FIELDS: &[&str] = &[
    "min", "max", "points", "range", "when", "budget", "count", "cap",
];

impl Model {
    pub fn of(files: &RuleFiles, rules: &RuleSet, scenarios: &Path) -> Model {
        let mut controls = Vec::new();
        let uncertain = |name: &str| rules.uncertainty.iter().find(|u| u.name == name);
        for p in &rules.params {
            let (min, max) = match uncertain(&p.name) {
                Some(u) => (u.min, u.max),
                None => around(p.value),
            };
            controls.push(Control {
                path: p.name.clone(),
                group: "parameters".into(),
                group_label: "参数 (parameters)".into(),
                label: p.label.clone().unwrap_or_else(|| p.name.clone()),
                unit: p.unit.clone(),
                reference: p.reference.clone(),
                value: num(p.value),
                formula: p.formula.clone(),
                min,
                max,
                step: step_of(min, max),
                limit: limit_of(p.value, max),
            });
        }
        let mut gates = Vec::new();
        // The primary kind first, then the units in the rule set's order.
        let order = |f: &&crate::rules::load::YamlFile| {
            let name = f.value.get("kind").and_then(Value::as_str).unwrap_or("");
            std::iter::once(&rules.primary)
                .chain(&rules.units)
                .position(|k| k.name == name)
                .unwrap_or(usize::MAX)
        };
        let mut kinds: Vec<&crate::rules::load::YamlFile> = files.kinds.iter().collect();
        kinds.sort_by_key(order);
        for file in kinds {
            let Value::Mapping(m) = &file.value else {
                continue;
            };
            let kind = text(m.get("kind")).unwrap_or_default();
            let kind_label = text(m.get("label")).unwrap_or_else(|| kind.clone());
            let primary = kind == rules.primary.name;
            for (k, v) in m {
                let Some(key) = k.as_str() else { continue };
                if NOT_TUNED.contains(&key) {
                    continue;
                }
                let group = format!("{kind}.{key}");
                let group_label = format!("{kind_label} · {}", section_words(key));
                let mut walk = Walk {
                    group: &group,
                    group_label: &group_label,
                    out: &mut controls,
                };
                walk.value(v, &group, "", key);
                if key == "gates" {
                    for g in v.as_sequence().into_iter().flatten() {
                        let Some(id) = text(g.get("id")) else {
                            continue;
                        };
                        let when = ["when", "all", "any"]
                            .iter()
                            .find_map(|c| g.get(*c).map(condition_text))
                            .unwrap_or_default();
                        gates.push(GateControl {
                            id: if primary {
                                id.clone()
                            } else {
                                format!("{kind}.{id}")
                            },
                            kind: kind.clone(),
                            label: text(g.get("label")).unwrap_or(id),
                            effect: text(g.get("effect")).unwrap_or_else(|| "fail".into()),
                            when,
                        });
                    }
                }
            }
        }
        let scenarios = crate::scenario::list(scenarios)
            .into_iter()
            .map(|n| match crate::scenario::load(scenarios, &n) {
                Ok(sc) => {
                    let description = sc.chain.last().and_then(|(_, r)| r.description.clone());
                    json!({"name": n, "label": sc.label, "description": description, "valid": true})
                }
                Err(_) => json!({"name": n, "label": n, "description": null, "valid": false}),
            })
            .collect();
        Model {
            controls,
            gates,
            scenarios,
        }
    }

    /// A number given for a control must lie within its limit.
    pub fn check_limits(&self, flags: &Flags) -> Result<(), Refusal> {
        for s in &flags.set {
            let Some((path, value)) = s.split_once('=') else {
                continue;
            };
            let (path, value) = (path.trim(), value.trim());
            // A text control (a minimum naming a parameter) takes any text the rules accept.
            let Some(c) = self
                .controls
                .iter()
                .find(|c| c.path == path && c.value.is_number())
            else {
                continue;
            };
            let Ok(x) = value.parse::<f64>() else {
                continue;
            };
            let [lo, hi] = c.limit;
            if !x.is_finite() || x < lo || x > hi {
                return Err(Refusal::bad(
                    Problem::new(format!(
                        "{} ({path}) {value} is out of range: it takes {} to {}",
                        c.label,
                        crate::words::fmt_num(lo),
                        crate::words::fmt_num(hi)
                    ))
                    .with_help(format!(
                        "the rules say {}",
                        match c.value.as_f64() {
                            Some(x) => crate::words::fmt_num(x),
                            None => c.value.to_string(),
                        }
                    )),
                ));
            }
        }
        Ok(())
    }

    /// The document `GET /api/model` answers.
    pub fn json(&self, rules: &RuleSet, token_required: bool) -> Json {
        let kinds: Vec<Json> = std::iter::once(&rules.primary)
            .chain(&rules.units)
            .map(|k| {
                json!({
                    "name": k.name,
                    "label": k.label,
                    "dimensions": k.dims.iter().map(|d| json!({
                        "id": d.id, "label": d.label, "min": d.min,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "name": rules.name,
            "version": rules.version,
            "mark": crate::scenario::WHAT_IF_MARK,
            "primary": rules.primary.name,
            "kinds": kinds,
            "scenarios": self.scenarios,
            "controls": self.controls,
            "gates": self.gates,
            "lines": lines(rules),
            "token_required": token_required,
        })
    }
}

/// The lines drawn over the primary kind's totals: each line an outcome's condition draws on
/// the total (`total >= pass_line`), then the lower bound of each grade.
pub fn lines(rules: &RuleSet) -> Vec<Json> {
    use crate::rules::model::{Condition, Operand};
    use crate::rules::var::Var;
    let mut out: Vec<Json> = Vec::new();
    for o in &rules.primary.outcomes {
        let cmps = match &o.condition {
            Some(Condition::All(c) | Condition::Any(c)) => c.as_slice(),
            _ => &[],
        };
        for c in cmps {
            if !matches!(c.left, Operand::Var(Var::Total)) {
                continue;
            }
            let line = match &c.op {
                Some((_, Operand::Var(Var::Param(i)))) => rules.params.get(*i).map(|p| {
                    let label = p.label.clone().unwrap_or_else(|| p.name.clone());
                    (p.name.clone(), label, p.value)
                }),
                Some((_, Operand::Num(x))) => {
                    Some((o.id.clone(), format!("{} 线 (line)", o.label), *x))
                }
                _ => None,
            };
            if let Some((id, label, value)) = line {
                if !out
                    .iter()
                    .any(|l| l.get("id").and_then(Json::as_str) == Some(id.as_str()))
                {
                    out.push(json!({"id": id, "label": label, "value": value}));
                }
            }
        }
    }
    for g in &rules.primary.grades {
        let lo = g.interval.lo;
        if lo.is_finite() && lo > 0.0 {
            out.push(json!({"id": g.id, "label": format!("{} 线 (line)", g.label), "value": lo}));
        }
    }
    out
}

/// A number as the rules would write it: a whole number without a decimal point (a count
/// of `1.0` is not read as a whole number).
fn num(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// A condition as written: `a > 0`, or `a > 0 and b`.
fn condition_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Sequence(items) => items
            .iter()
            .map(condition_text)
            .collect::<Vec<_>>()
            .join("; "),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A slider's range around a value the rules give no range for.
fn around(x: f64) -> (f64, f64) {
    if x == 0.0 {
        return (0.0, 10.0);
    }
    let (a, b) = (x * 0.5, x * 1.5);
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    if x.fract() == 0.0 {
        // A whole number keeps whole bounds, two either side at least.
        (
            (lo.floor())
                .min(x - 2.0)
                .max(if x > 0.0 { 0.0 } else { f64::MIN }),
            hi.ceil().max(x + 2.0),
        )
    } else {
        (tidy(lo), tidy(hi))
    }
}

/// A bound without the noise of binary fractions (0.30000000000000004 is 0.3).
fn tidy(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A step that gives a slider about a hundred positions, rounded to 1, 2 or 5 times a power
/// of ten.
fn step_of(min: f64, max: f64) -> f64 {
    let span = (max - min).abs();
    if span == 0.0 {
        return 1.0;
    }
    let raw = span / 100.0;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(p * 10.0);
    // Whole-number bounds keep whole or half steps: a line of 70.05 is no line a committee
    // draws.
    match (min.fract() == 0.0 && max.fract() == 0.0, span >= 10.0) {
        (true, true) => step.max(1.0).round(),
        (true, false) => step.max(0.5),
        _ => step,
    }
}

/// The values a typed number may take: zero to four times the value (a hundred at least),
/// or the mirror of that for a negative value.
fn limit_of(x: f64, max: f64) -> [f64; 2] {
    let hi = (x.abs() * 4.0).max(100.0).max(max);
    if x < 0.0 {
        [-hi, hi]
    } else {
        [0.0, hi]
    }
}

/// A walk over one section of a kind's file, naming each figure by its stable path.
struct Walk<'a> {
    group: &'a str,
    group_label: &'a str,
    out: &'a mut Vec<Control>,
}

impl Walk<'_> {
    fn value(&mut self, v: &Value, path: &str, label: &str, key: &str) {
        match v {
            Value::Number(n) => {
                let Some(x) = n.as_f64() else { return };
                let (min, max) = around(x);
                // Counts move by whole units.
                let step = if matches!(key, "count" | "max_count") {
                    1.0
                } else {
                    step_of(min, max)
                };
                self.out.push(Control {
                    path: path.to_string(),
                    group: self.group.to_string(),
                    group_label: self.group_label.to_string(),
                    label: join_label(label, &field_words(key)),
                    unit: None,
                    reference: None,
                    value: num(x),
                    formula: None,
                    min,
                    max,
                    step,
                    limit: limit_of(x, max),
                });
            }
            Value::String(s) if TEXT_FIELDS.contains(&key) && !label.is_empty() => {
                self.out.push(Control {
                    path: path.to_string(),
                    group: self.group.to_string(),
                    group_label: self.group_label.to_string(),
                    label: join_label(label, &field_words(key)),
                    unit: None,
                    reference: None,
                    value: json!(s),
                    formula: None,
                    min: 0.0,
                    max: 0.0,
                    step: 0.0,
                    limit: [0.0, 0.0],
                });
            }
            Value::Mapping(m) => {
                let here = text(m.get("label")).unwrap_or_else(|| label.to_string());
                for (k, v) in m {
                    let Some(k) = k.as_str() else { continue };
                    if WORDS.contains(&k) {
                        continue;
                    }
                    self.value(v, &format!("{path}.{k}"), &here, k);
                }
            }
            Value::Sequence(items) => {
                let by_id = items
                    .iter()
                    .all(|i| i.get("id").and_then(Value::as_str).is_some());
                for (i, item) in items.iter().enumerate() {
                    if !item.is_mapping() {
                        continue;
                    }
                    let (p, l) = if by_id {
                        let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                        let l = text(item.get("label")).unwrap_or_else(|| id.to_string());
                        (format!("{path}.{id}"), l)
                    } else {
                        // A band is named by its interval, another item by its place.
                        let what = text(item.get("range"))
                            .or_else(|| text(item.get("label")))
                            .unwrap_or_else(|| format!("{} #{}", section_words(key), i + 1));
                        (format!("{path}[{i}]"), join_label(label, &what))
                    };
                    self.value(item, &p, &l, key);
                }
            }
            _ => {}
        }
    }
}

fn join_label(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a} · {b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_give_about_a_hundred_positions() {
        assert_eq!(step_of(68.0, 72.0), 0.5);
        assert_eq!(step_of(0.0, 500_000.0), 5000.0);
        assert_eq!(step_of(6.0, 18.0), 1.0);
        assert_eq!(step_of(0.5, 1.5), 0.01);
    }

    #[test]
    fn a_value_without_a_range_gets_one_around_it() {
        assert_eq!(around(70.0), (35.0, 105.0));
        assert_eq!(around(0.0), (0.0, 10.0));
        assert_eq!(around(-6.0), (-9.0, -3.0));
        assert_eq!(around(1.0), (0.0, 3.0));
        assert_eq!(around(0.2), (0.1, 0.3));
        assert_eq!(limit_of(70.0, 105.0), [0.0, 280.0]);
        assert_eq!(limit_of(-6.0, -3.0), [-100.0, 100.0]);
    }
}
