//! Explanations: the full trace of one entity's decision — inputs, methods, points, dimensions
//! against their minimums, gates, grade, each outcome rule — and, for an entity short of the
//! best outcome, the smallest single-input changes that would get it there.
//!
//! Built from finished results; counterfactuals re-score a one-row copy of the entity, so a
//! normal run pays nothing for explanations.

mod counterfactual;
pub use counterfactual::targets;

use crate::data::Frame;
use crate::engine::entity::{KindCtx, Val, View};
use crate::engine::peer::PeerStat;
use crate::engine::round::round_dp;
use crate::engine::units::{Members, StandingView, UnitResult};
use crate::engine::KindResult;
use crate::rules::model::*;
use crate::words::fmt_num;
use rhai::Scope;
use serde::Serialize;

/// One entity's explanation.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub id: String,
    pub label: String,
    pub kind: String,
    pub kind_label: String,
    pub total: f64,
    pub max_total: f64,
    /// How the total came from the dimensions, for a kind with bonus or deduction groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustments: Option<AdjustTrace>,
    pub grade: Option<GradeTrace>,
    pub outcome: OutcomeTrace,
    pub dimensions: Vec<DimensionTrace>,
    pub indicators: Vec<IndicatorTrace>,
    pub gates: Vec<GateTrace>,
    /// Every target's changes, nearest target first; each names the target it was found for.
    pub counterfactuals: Vec<Counterfactual>,
    /// Fired vetoes that no score can overcome.
    pub vetoes: Vec<String>,
    /// Points missing per dimension (and for the total) when no single change suffices, every
    /// target's, nearest target first.
    pub shortfalls: Vec<String>,
    /// Ways to the best outcome through a population rule: the place a top-N rule asks for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<String>,
    /// The better outcomes the entity is shown the way to: the nearest (for an entity that
    /// failed, passing), then the best, each with its own shortfalls.
    pub targets: Vec<TargetTrace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitTrace>,
}

/// How one indicator scored.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorTrace {
    pub id: String,
    pub label: String,
    pub dimension: String,
    /// Where the value came from, with the source values.
    pub input: String,
    pub value: f64,
    pub method: String,
    pub points: f64,
    pub max: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The `zero` gate that set its points to 0, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeroed_by: Option<String>,
}

/// A dimension's sum against its minimum; for an adjustment group, its items' sum and cap.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionTrace {
    pub id: String,
    pub label: String,
    pub score: f64,
    pub max: f64,
    pub min: Option<f64>,
    pub below_min: bool,
    /// `add` or `deduct` for an adjustment group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<&'static str>,
    /// For an adjustment group: its items' points before the cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<f64>,
}

/// The steps from the dimensions to the total: the total before adjustments, the total after
/// bonus and deductions, and the bound that held it (floor or ceiling), if any.
#[derive(Debug, Clone, Serialize)]
pub struct AdjustTrace {
    pub before: f64,
    pub adjusted: f64,
    pub floor: f64,
    pub ceiling: Option<f64>,
    /// `floor` or `ceiling` when the total was held there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_at: Option<&'static str>,
}

/// A gate, fired or not.
#[derive(Debug, Clone, Serialize)]
pub struct GateTrace {
    pub id: String,
    pub label: String,
    pub condition: String,
    pub fired: bool,
    /// A required condition (from `conditions:`): `fired` means it does not hold.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require: bool,
    pub effect: String,
    pub message: String,
    pub enabled: bool,
}

/// The grade band the total fell in, and any cap.
#[derive(Debug, Clone, Serialize)]
pub struct GradeTrace {
    pub id: String,
    pub label: String,
    pub band: String,
    /// The grade of the total before a cap, if a cap changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_from: Option<String>,
}

/// The outcome and why each rule did or did not decide it.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeTrace {
    pub id: String,
    pub label: String,
    pub rules: Vec<RuleTrace>,
    /// The best outcome the entity could reach (the first passing one).
    pub best: String,
}

/// The best outcome: the first that counts as passing (`reward` before `none`, after a
/// non-passing `stay_paired`).
pub fn best_outcome(kind: &Kind) -> usize {
    kind.outcomes.iter().position(|o| o.passing).unwrap_or(0)
}

/// One outcome rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTrace {
    pub id: String,
    pub matched: bool,
    pub why: String,
}

/// A better outcome, and what would get the entity there.
#[derive(Debug, Clone, Serialize)]
pub struct TargetTrace {
    pub outcome: String,
    pub label: String,
    /// Changes of one input that reach it, each confirmed by re-scoring, smallest first (in
    /// the JSON, in the explanation's `counterfactuals`, each with its `target`).
    #[serde(skip)]
    pub counterfactuals: Vec<Counterfactual>,
    /// What is missing when no single change reaches it.
    pub shortfalls: Vec<String>,
}

/// A change to one input that would reach a better outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Counterfactual {
    /// The indicator whose input changes; none for a change that lifts a `zero` gate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    /// The indicator's label, short (`矛盾纠纷调处率`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator_label: Option<String>,
    /// The `zero` gate the change lifts, giving back the points it took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifts: Option<Lift>,
    /// The indicator is a deduction item: its points are taken off the total.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deduction: bool,
    pub column: String,
    /// What the column is called in the committee's words: its declared label, or the label
    /// of the indicator that reads it as it is.
    pub label: Option<String>,
    /// What the column counts in (`件`), when the rules say.
    pub unit: Option<String>,
    /// A yes/no column: `from` and `to` are 0 (no) and 1 (yes).
    pub yes_no: bool,
    pub from: f64,
    pub to: f64,
    /// The indicator's points, or for a lifted gate the points of the parts it zeroed.
    pub points_from: f64,
    pub points_to: f64,
    pub total_to: f64,
    /// The outcome the changed entity gets, found by scoring it again: the target, or one
    /// better still.
    pub outcome: String,
    /// The outcome the change was searched for (see `targets`).
    pub target: String,
}

/// A `zero` gate a change lifts.
#[derive(Debug, Clone, Serialize)]
pub struct Lift {
    pub gate: String,
    /// The gate's label, short (`弄虚作假`).
    pub label: String,
    /// The labels of the dimensions or groups whose points it set to 0.
    pub parts: Vec<String>,
}

/// What units have, and a primary kind with population rules: rank, notes, award, and for a
/// unit its aggregates over the primary entities.
#[derive(Debug, Clone, Serialize)]
pub struct UnitTrace {
    /// 1 = best; `None` (JSON `null`) for a kind that is not ranked.
    pub rank: Option<u32>,
    pub rank_keys: Vec<String>,
    pub award: i64,
    pub notes: Vec<String>,
    pub aggregates: Vec<AggregateTrace>,
}

/// One aggregate and the primary entities it covered.
#[derive(Debug, Clone, Serialize)]
pub struct AggregateTrace {
    pub indicator: String,
    pub function: String,
    pub of: String,
    pub filter: Vec<String>,
    pub value: f64,
    /// The ids of the entities it covered: the primary entities linked to the unit, or those of
    /// the kind it reads (`from`).
    pub covered: Vec<String>,
    /// What they are, in words (`villages`, `households`), one and several; said in the text,
    /// not in the JSON, whose `covered` has always been read as the linked entities' ids.
    #[serde(skip)]
    pub over: (String, String),
}

/// The entities an aggregate reads, in words: the primary kind's unless it says `from`.
fn source_nouns(rules: &RuleSet, a: &crate::rules::model::Aggregate) -> String {
    source_words(rules, a).1
}

/// [`source_nouns`], one and several.
fn source_words(rules: &RuleSet, a: &crate::rules::model::Aggregate) -> (String, String) {
    let kind = match &a.from {
        None => Some(&rules.primary),
        Some(s) => std::iter::once(&rules.primary)
            .chain(&rules.units)
            .find(|k| k.name == s.kind),
    };
    kind.map_or_else(|| (String::new(), String::new()), |k| (k.noun(), k.nouns()))
}

/// Where an id was found.
pub enum Found<'a> {
    Primary(usize),
    Unit(&'a UnitResult, usize),
}

/// Find `id` among the primary entities and the units (optionally of one kind).
pub fn find<'a>(
    rules: &RuleSet,
    frame: &Frame,
    units: &'a [UnitResult],
    id: &str,
    kind: Option<&str>,
) -> Vec<(String, Found<'a>)> {
    let mut hits = Vec::new();
    if kind.is_none_or(|k| k == rules.primary.name) {
        if let Some(r) = frame.find(id) {
            hits.push((rules.primary.name.clone(), Found::Primary(r)));
        }
    }
    for u in units {
        let Some(k) = rules.units.get(u.kind) else {
            continue;
        };
        if kind.is_none_or(|x| x == k.name) {
            if let Some(r) = u.frame.find(id) {
                hits.push((k.name.clone(), Found::Unit(u, r)));
            }
        }
    }
    hits
}

fn view<'a>(ctx: &'a KindCtx<'a>, res: &'a KindResult, r: usize) -> View<'a> {
    View::of_result(ctx, res, r)
}

fn val_text(v: Val) -> String {
    match v {
        Val::Num(x) => fmt_num(round_dp(x, 6)),
        Val::Bool(b) => b.to_string(),
        Val::Str(s) => format!("\"{s}\""),
    }
}

fn var_name(kind: &Kind, rules: &RuleSet, var: Var) -> String {
    match var {
        Var::Column(c) => kind
            .columns
            .get(c)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        Var::Param(p) => rules
            .params
            .get(p)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        Var::Dim(d) => kind.dims.get(d).map(|d| d.id.clone()).unwrap_or_default(),
        Var::Total => "total".into(),
        Var::Grade => "grade".into(),
        Var::Outcome => "outcome".into(),
        Var::Failed => "failed".into(),
        Var::AnyGate => "any_gate".into(),
        Var::Gate(g) => kind.gates.get(g).map(|g| g.id.clone()).unwrap_or_default(),
        Var::Points(i) => format!(
            "points.{}",
            kind.indicators.get(i).map(|x| x.id.as_str()).unwrap_or("")
        ),
        Var::Value(i) => format!(
            "value.{}",
            kind.indicators.get(i).map(|x| x.id.as_str()).unwrap_or("")
        ),
    }
}

/// A condition as written, with the values it read.
fn condition_text(rules: &RuleSet, v: &View, cond: &Condition) -> String {
    let kind = v.ctx.kind;
    match cond {
        Condition::All(cmps) | Condition::Any(cmps) => {
            let joiner = if matches!(cond, Condition::All(_)) {
                " and "
            } else {
                " or "
            };
            cmps.iter()
                .map(|c| {
                    let mut vars = Vec::new();
                    if let Operand::Var(x) = c.left {
                        vars.push(x);
                    }
                    if let Some((_, Operand::Var(x))) = &c.op {
                        vars.push(*x);
                    }
                    let mut vals: Vec<String> = vars
                        .iter()
                        .map(|x| format!("{} = {}", var_name(kind, rules, *x), val_text(v.get(*x))))
                        .collect();
                    // A plain comparison reads parameters as numbers; the computed ones are
                    // shown with what they were computed from.
                    for (name, _, _) in crate::script::identifiers(&c.text) {
                        if let Some(p) = rules.params.iter().find(|p| p.name == name) {
                            let shown = param_text(p);
                            if !vals.contains(&shown) {
                                vals.push(shown);
                            }
                        }
                    }
                    if vals.is_empty() {
                        format!("`{}`", c.text)
                    } else {
                        format!("`{}` ({})", c.text, vals.join(", "))
                    }
                })
                .collect::<Vec<_>>()
                .join(joiner)
        }
        Condition::Script(id) => {
            let Some(e) = rules.scripts.expr(*id) else {
                return String::new();
            };
            let vals: Vec<String> = e
                .vars
                .iter()
                .map(|(n, x)| match x {
                    Var::Param(p) => match rules.params.get(*p) {
                        Some(p) => param_text(p),
                        None => format!("{n} = {}", val_text(v.get(*x))),
                    },
                    _ => format!("{n} = {}", val_text(v.get(*x))),
                })
                .collect();
            if vals.is_empty() {
                format!("`{}`", e.source.trim())
            } else {
                format!("`{}` ({})", e.source.trim(), vals.join(", "))
            }
        }
    }
}

/// A parameter as `name = value`, or `name = formula = value` for a computed one.
fn param_text(p: &crate::rules::model::Param) -> String {
    match &p.formula {
        Some(f) => format!("{} = {f} = {}", p.name, val_text(Val::Num(p.value))),
        None => format!("{} = {}", p.name, val_text(Val::Num(p.value))),
    }
}

fn input_text(rules: &RuleSet, kind: &Kind, frame: &Frame, r: usize, ind: &Indicator) -> String {
    let name = |c: usize| {
        kind.columns
            .get(c)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let val = |c: usize| frame.value(c, r);
    match &ind.input {
        Input::Column(c) => match kind.columns.get(*c).map(|s| &s.source) {
            Some(ColumnSource::Aggregate(a)) => {
                // `share of its villages where …`, `mean of `total` over its villages`.
                let many = source_nouns(rules, a);
                let of = if a.of_text.is_empty() {
                    format!("its {many}")
                } else {
                    format!("`{}` over its {many}", a.of_text)
                };
                let filter = if a.filter.is_empty() {
                    String::new()
                } else {
                    format!(
                        " where {}",
                        a.filter
                            .iter()
                            .map(|c| format!("`{}`", c.text))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    )
                };
                format!("{} of {of}{filter}", format!("{:?}", a.func).to_lowercase())
            }
            _ => {
                let missing = frame.cols.get(*c).is_some_and(|col| col.is_missing(r));
                if missing {
                    format!("column `{}` (empty: missing evidence)", name(*c))
                } else {
                    format!("column `{}`", name(*c))
                }
            }
        },
        Input::Ratio { num, den, if_zero } => format!(
            "`{}` / `{}` = {} / {}{}",
            name(*num),
            name(*den),
            fmt_num(val(*num)),
            fmt_num(val(*den)),
            if val(*den) == 0.0 {
                format!(" (zero denominator counts as {})", fmt_num(*if_zero))
            } else {
                String::new()
            }
        ),
        Input::Change { col, percent, .. } => {
            let base = frame.baseline_value(*col, r);
            if *percent {
                format!(
                    "change in `{}` since the baseline, in %: ({} - {}) / {} * 100",
                    name(*col),
                    fmt_num(val(*col)),
                    fmt_num(base),
                    fmt_num(base)
                )
            } else {
                format!(
                    "change in `{}` since the baseline: {} - {}",
                    name(*col),
                    fmt_num(val(*col)),
                    fmt_num(base)
                )
            }
        }
        Input::Expr(id) => rules
            .scripts
            .expr(*id)
            .map(|e| format!("`{}`", e.source.trim()))
            .unwrap_or_default(),
    }
}

fn method_text(rules: &RuleSet, ind: &Indicator, value: f64, peer: Option<&PeerStat>) -> String {
    let p = fmt_num(ind.points);
    match (&ind.method, peer) {
        (Method::Relative { higher }, Some(PeerStat::Best(best))) => {
            return format!(
                "relative: {p} x {} among all, {}",
                if *higher {
                    "value / best"
                } else {
                    "best / value"
                },
                format_args!("best {}", fmt_num(round_dp(*best, 6)))
            )
        }
        (Method::Rank { higher, per, floor }, Some(PeerStat::Sorted(sorted))) => {
            return format!(
                "rank: {p} for first place, {} less per place, at least {}; place {} of {}",
                fmt_num(*per),
                fmt_num(*floor),
                crate::engine::peer::place(sorted, value, *higher),
                sorted.len()
            )
        }
        (Method::MinMax { higher }, Some(PeerStat::Range(lo, hi))) => {
            let (from, to) = if *higher { (lo, hi) } else { (hi, lo) };
            return format!(
                "minmax: {} -> {} (the worst and the best of all) maps to 0 -> {p}",
                fmt_num(round_dp(*from, 6)),
                fmt_num(round_dp(*to, 6))
            );
        }
        (Method::ZScore { higher, from, to }, Some(PeerStat::Moments { mean, sd })) => {
            return format!(
                "zscore: z = ({}) / sd over all, mean {}, standard deviation {}; z {} here; z {} -> {} maps to 0 -> {p}, clamped{}",
                if *higher { "value - mean" } else { "mean - value" },
                fmt_num(round_dp(*mean, 6)),
                fmt_num(round_dp(*sd, 6)),
                fmt_num(round_dp(crate::engine::peer::z_of(value, *mean, *sd, *higher), 4)),
                fmt_num(*from),
                fmt_num(*to),
                if crate::engine::peer::no_spread(*mean, *sd) {
                    " (every value is the same: each is at the mean, z 0)"
                } else {
                    ""
                }
            );
        }
        _ => {}
    }
    match &ind.method {
        Method::Relative { .. }
        | Method::Rank { .. }
        | Method::MinMax { .. }
        | Method::ZScore { .. } => {
            format!("{}: {p}, relative to the others", ind.method.name())
        }
        Method::Threshold {
            target,
            higher,
            partial,
        } => format!(
            "threshold: {p} when {} {}, else {}",
            if *higher { ">=" } else { "<=" },
            fmt_num(*target),
            fmt_num(*partial)
        ),
        Method::Linear { from, to } => format!(
            "linear: {} -> {} maps to 0 -> {p}, clamped",
            fmt_num(*from),
            fmt_num(*to)
        ),
        Method::Bands(bands) => {
            let list: Vec<String> = bands
                .iter()
                .map(|b| {
                    let mark = if b.interval.contains(value) { "*" } else { "" };
                    format!("{mark}{} -> {}", b.interval, fmt_num(b.points))
                })
                .collect();
            format!("bands: {}", list.join(", "))
        }
        Method::Deduct { per } => format!("deduct: {p} - {} per unit, down to 0", fmt_num(*per)),
        Method::Bonus { per } => format!("bonus: {} per unit, at most {p}", fmt_num(*per)),
        Method::Boolean => format!("boolean: {p} when true"),
        Method::Script(id) => rules
            .scripts
            .expr(*id)
            .map(|e| format!("script: `{}`, within 0..{p}", e.source))
            .unwrap_or_default(),
        Method::LookupFrom(f) => format!(
            "lookup: the points of the category in `{}` (column `{}` by `{}`)",
            f.table, f.column, f.key
        ),
        Method::Lookup(t) => format!(
            "lookup: {}",
            t.iter()
                .map(|(k, v)| format!("{k} -> {}", fmt_num(*v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn effect_text(kind: &Kind, gate: &Gate) -> String {
    match gate.effect {
        Effect::Fail(None) => "fail: cannot pass".into(),
        Effect::Fail(Some(g)) => format!(
            "fail: cannot pass; grade {}",
            kind.grades.get(g).map(|g| g.id.as_str()).unwrap_or("")
        ),
        Effect::CapGrade(g) => format!(
            "grade at best {}",
            kind.grades.get(g).map(|g| g.id.as_str()).unwrap_or("")
        ),
        Effect::ForceOutcome(o) => format!(
            "outcome {}",
            kind.outcomes.get(o).map(|o| o.id.as_str()).unwrap_or("")
        ),
        Effect::Zero => format!(
            "points 0 for {}",
            gate.zero
                .iter()
                .filter_map(|&i| kind.indicators.get(i))
                .map(|x| x.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The `zero` gate that fired and names indicator `i`, if any.
fn zeroed_by(kind: &Kind, fired: &[bool], i: usize) -> Option<String> {
    kind.gates
        .iter()
        .zip(fired)
        .find(|(g, f)| **f && g.effect == Effect::Zero && g.zero.contains(&i))
        .map(|(g, _)| g.id.clone())
}

/// Explain entity `r` of `kind`.
pub fn explain(
    rules: &RuleSet,
    kind: &Kind,
    frame: &Frame,
    res: &KindResult,
    r: usize,
    standing: Option<StandingView>,
    village_ids: &Frame,
) -> Explanation {
    let ctx = KindCtx::new(kind, frame, &rules.params, &rules.scripts, rules.precision);
    let v = view(&ctx, res, r);
    let points = res.points_of(r);
    let values = res.values_of(r);
    let indicators: Vec<IndicatorTrace> = kind
        .indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| {
            let value = values.get(i).copied().unwrap_or(0.0);
            IndicatorTrace {
                id: ind.id.clone(),
                label: ind.label.clone(),
                dimension: kind
                    .dims
                    .get(ind.dim)
                    .map(|d| d.id.clone())
                    .unwrap_or_default(),
                input: input_text(rules, kind, frame, r, ind),
                value: round_dp(value, 6),
                method: match kind.dims.get(ind.dim).map(|d| d.role) {
                    // An item of a deduction group: its points are taken off.
                    Some(DimRole::Deduct) => {
                        let text = method_text(
                            rules,
                            ind,
                            value,
                            ctx.peers.get(i).and_then(Option::as_ref),
                        );
                        match text.strip_prefix("bonus: ") {
                            Some(rest) => format!("deduction: {rest}"),
                            None => format!("taken off: {text}"),
                        }
                    }
                    _ => method_text(rules, ind, value, ctx.peers.get(i).and_then(Option::as_ref)),
                },
                points: points.get(i).copied().unwrap_or(0.0),
                max: ind.points,
                unit: ind.unit.clone(),
                reference: ind.reference.clone(),
                zeroed_by: zeroed_by(kind, res.gates_of(r), i),
            }
        })
        .collect();
    let dims = res.dims_of(r);
    let below = res.below_min_of(r);
    let p = rules.precision;
    let dimensions: Vec<DimensionTrace> = kind
        .dims
        .iter()
        .enumerate()
        .map(|(d, dim)| DimensionTrace {
            id: dim.id.clone(),
            label: dim.label.clone(),
            score: dims.get(d).copied().unwrap_or(0.0),
            max: dim.max,
            min: dim.min,
            below_min: below.get(d).copied().unwrap_or(false),
            effect: match dim.role {
                DimRole::Score => None,
                DimRole::Add => Some("add"),
                DimRole::Deduct => Some("deduct"),
            },
            items: dim.is_adjustment().then(|| {
                let sum: f64 = kind
                    .indicators
                    .iter()
                    .zip(points.iter())
                    .filter(|(x, _)| x.dim == d)
                    .map(|(_, pts)| pts)
                    .sum();
                round_dp(sum, p)
            }),
        })
        .collect();
    let adjustments = kind.has_adjustments().then(|| {
        let before = crate::engine::entity::base_total(kind, res.dims_row(r), p);
        let change: f64 = dimensions
            .iter()
            .map(|d| match d.effect {
                Some("add") => d.score,
                Some(_) => -d.score,
                None => 0.0,
            })
            .sum();
        let adjusted = round_dp(before + change, p);
        let total = res.total.get(r).copied().unwrap_or(0.0);
        AdjustTrace {
            before,
            adjusted,
            floor: kind.floor,
            ceiling: kind.ceiling,
            held_at: if total > adjusted {
                Some("floor")
            } else if total < adjusted {
                Some("ceiling")
            } else {
                None
            },
        }
    });
    let fired = res.gates_of(r);
    let gates: Vec<GateTrace> = kind
        .gates
        .iter()
        .enumerate()
        .map(|(g, gate)| {
            let condition = condition_text(rules, &v, &gate.condition);
            GateTrace {
                id: gate.id.clone(),
                label: gate.label.clone(),
                condition,
                fired: fired.get(g).copied().unwrap_or(false),
                require: gate.require,
                effect: effect_text(kind, gate),
                message: gate.message.clone(),
                enabled: gate.enabled,
            }
        })
        .collect();
    let total = res.total.get(r).copied().unwrap_or(0.0);
    let grade = v.grade.and_then(|g| kind.grades.get(g)).map(|g| {
        let raw = res
            .grade_raw
            .get(r)
            .copied()
            .filter(|x| *x != u16::MAX)
            .map(usize::from);
        GradeTrace {
            id: g.id.clone(),
            label: g.label.clone(),
            band: g.interval.to_string(),
            capped_from: raw
                .filter(|x| Some(*x) != v.grade)
                .and_then(|x| kind.grades.get(x))
                .map(|x| format!("{} {}", x.id, x.interval)),
        }
    });
    // Why each outcome rule did or did not decide.
    let failed = v.failed;
    let mut reasons_failed: Vec<String> = Vec::new();
    for (g, gate) in kind.gates.iter().enumerate() {
        if fired.get(g).copied().unwrap_or(false) && matches!(gate.effect, Effect::Fail(_)) {
            reasons_failed.push(if gate.require {
                format!("condition `{}` is not met", gate.id)
            } else {
                format!("gate `{}` fired", gate.id)
            });
        }
    }
    for d in dimensions.iter().filter(|d| d.below_min) {
        reasons_failed.push(format!(
            "{} {} is below its minimum {}",
            d.id,
            fmt_num(d.score),
            fmt_num(d.min.unwrap_or(0.0))
        ));
    }
    if res.missing_fail.get(r).copied().unwrap_or(false) {
        reasons_failed.push("evidence is missing".into());
    }
    let forced = kind.gates.iter().enumerate().find_map(|(g, gate)| {
        match (gate.effect, fired.get(g).copied().unwrap_or(false)) {
            (Effect::ForceOutcome(o), true) => Some((o, gate.id.clone())),
            _ => None,
        }
    });
    let chosen = res.outcome.get(r).copied().unwrap_or(0) as usize;
    let mut scope = Scope::new();
    let mut rules_trace = Vec::new();
    for (o, rule) in kind.outcomes.iter().enumerate() {
        let matched = o == chosen;
        let why = if let Some((fo, gid)) = &forced {
            if *fo == o {
                format!("forced by gate `{gid}`")
            } else {
                format!("gate `{gid}` forces another outcome")
            }
        } else if rule.passing && failed && !(matched && rule.condition.is_none()) {
            format!(
                "skipped: a passing outcome, but {}",
                reasons_failed.join("; ")
            )
        } else {
            match &rule.condition {
                None if o + 1 < kind.outcomes.len() => {
                    "holds: a passing outcome for every entity that has not failed".into()
                }
                None => "the fallback: no earlier rule held".into(),
                Some(c) => {
                    let text = condition_text(rules, &v, c);
                    let holds = v.test(c, &mut scope).unwrap_or(false);
                    format!("{text} {}", if holds { "holds" } else { "does not hold" })
                }
            }
        };
        let after_quota =
            matched && standing.is_some_and(|s| s.notes.get(r).is_some_and(|n| !n.is_empty()));
        let why = if after_quota {
            format!("{why}; then see the notes below")
        } else {
            why
        };
        rules_trace.push(RuleTrace {
            id: rule.id.clone(),
            matched,
            why,
        });
        if o >= chosen && !after_quota {
            break;
        }
    }
    let outcome = OutcomeTrace {
        id: kind
            .outcomes
            .get(chosen)
            .map(|o| o.id.clone())
            .unwrap_or_default(),
        label: kind
            .outcomes
            .get(chosen)
            .map(|o| o.label.clone())
            .unwrap_or_default(),
        rules: rules_trace,
        best: kind
            .outcomes
            .get(best_outcome(kind))
            .map(|o| o.id.clone())
            .unwrap_or_default(),
    };

    let mut vetoes = Vec::new();
    for (g, gate) in kind.gates.iter().enumerate() {
        if fired.get(g).copied().unwrap_or(false) && matches!(gate.effect, Effect::Fail(_)) {
            vetoes.push(if gate.require {
                format!(
                    "condition `{}` ({}) is not met: it must hold to pass",
                    gate.id,
                    crate::words::short_label(&gate.label),
                )
            } else {
                let mut why = format!(
                    "veto `{}` ({}) holds: no score can pass while it does — {}",
                    gate.id,
                    crate::words::short_label(&gate.label),
                    gate.message
                );
                // A veto that is itself a line on the total is lifted by the total.
                if let Some(line) = total_line(gate) {
                    why.push_str(&format!(
                        "; it is lifted when the total reaches {} ({} more points, {} → {})",
                        fmt_num(line),
                        fmt_num(round_dp(line - total, rules.precision)),
                        fmt_num(total),
                        fmt_num(line)
                    ));
                }
                why
            });
        }
    }
    let search = counterfactual::Entity {
        one: frame.row(r),
        res,
        r,
        dims: &dimensions,
        total,
        adjusted: adjustments
            .as_ref()
            .and_then(|a| a.held_at.map(|h| (a.adjusted, h))),
        no_veto: vetoes.is_empty(),
    };
    let targets = counterfactual::search(rules, kind, &search, chosen);
    let counterfactuals: Vec<Counterfactual> = targets
        .iter()
        .flat_map(|t| t.counterfactuals.iter().cloned())
        .collect();
    let shortfalls: Vec<String> = targets
        .iter()
        .flat_map(|t| t.shortfalls.iter().cloned())
        .collect();
    let unit_trace = standing.map(|s| match s.villages {
        Some(villages) => unit_trace(rules, kind, frame, r, s, villages, village_ids),
        // A primary kind with population rules: its rank and what they did, no aggregates.
        None => standing_trace(kind, r, s, Vec::new()),
    });
    let routes: Vec<String> = if chosen == best_outcome(kind) {
        Vec::new()
    } else {
        standing
            .and_then(|s| top_route(kind, frame, res, r, s))
            .into_iter()
            .collect()
    };
    let mut shortfalls = shortfalls;
    // A unit held back by what its villages did, with nothing of its own to change: the way
    // forward is through its villages.
    if chosen != best_outcome(kind)
        && counterfactuals.is_empty()
        && shortfalls.is_empty()
        && vetoes.is_empty()
    {
        let read = best_reads(kind);
        if let Some(t) = &unit_trace {
            for a in t.aggregates.iter().filter(|a| read.contains(&a.indicator)) {
                let shown: Vec<&str> = a.covered.iter().take(8).map(String::as_str).collect();
                shortfalls.push(format!(
                    "`{}` ({}) comes from its {} ({}{}): `bangfu explain {}` shows what a {} needs",
                    a.indicator,
                    fmt_num(a.value),
                    a.over.1,
                    shown.join(", "),
                    if a.covered.len() > shown.len() {
                        ", …"
                    } else {
                        ""
                    },
                    shown.first().copied().unwrap_or("ID"),
                    a.over.0
                ));
            }
        }
    }
    Explanation {
        id: frame.id(r).to_string(),
        label: frame.label(r).to_string(),
        kind: kind.name.clone(),
        kind_label: kind.label.clone(),
        total,
        max_total: kind.max_total,
        adjustments,
        grade,
        outcome,
        dimensions,
        indicators,
        gates,
        counterfactuals,
        vetoes,
        shortfalls,
        routes,
        targets,
        unit: unit_trace,
    }
}

fn unit_trace(
    rules: &RuleSet,
    kind: &Kind,
    frame: &Frame,
    r: usize,
    s: StandingView,
    villages: &Members,
    village_ids: &Frame,
) -> UnitTrace {
    let covered: Vec<&str> = villages
        .get(r)
        .map(|v| v.iter().map(|&x| village_ids.id(x)).collect())
        .unwrap_or_default();
    // An aggregate over another kind (`from`) covers the entities its way reached.
    let covered_by = |a: &crate::rules::model::Aggregate| -> Vec<String> {
        let Some(src) = &a.from else {
            return covered.iter().map(|id| id.to_string()).collect();
        };
        s.reached
            .iter()
            .find(|x| &x.source == src)
            .and_then(|x| {
                let rows = x.members.get(r)?;
                Some(
                    rows.iter()
                        .map(|&m| x.ids.get(m).unwrap_or("").to_string())
                        .collect(),
                )
            })
            .unwrap_or_default()
    };
    let aggregates = kind
        .indicators
        .iter()
        .filter_map(|ind| {
            let Input::Column(c) = ind.input else {
                return None;
            };
            let ColumnSource::Aggregate(a) = &kind.columns.get(c)?.source else {
                return None;
            };
            let value = frame.value(c, r);
            Some(AggregateTrace {
                indicator: ind.id.clone(),
                function: format!("{:?}", a.func).to_lowercase(),
                of: a.of_text.clone(),
                filter: a.filter.iter().map(|c| c.text.clone()).collect(),
                value,
                covered: covered_by(a),
                over: source_words(rules, a),
            })
        })
        .collect();
    let _ = rules;
    standing_trace(kind, r, s, aggregates)
}

/// The line on the total a veto draws (`total < 60` → 60), when that is all it reads.
fn total_line(gate: &Gate) -> Option<f64> {
    let Condition::All(cmps) = &gate.condition else {
        return None;
    };
    match cmps.as_slice() {
        [c] => match (&c.left, &c.op) {
            (Operand::Var(Var::Total), Some((Op::Lt, Operand::Num(x)))) => Some(*x),
            _ => None,
        },
        _ => None,
    }
}

/// The top-N rule as a route to the best outcome: the place it needs and the total the
/// entity now holding that place has, for a kind ranked by its total first.
fn top_route(
    kind: &Kind,
    frame: &Frame,
    res: &KindResult,
    r: usize,
    s: StandingView,
) -> Option<String> {
    let top = kind.top.as_ref()?;
    if top.outcome != best_outcome(kind) {
        return None;
    }
    let rank = s.rank.get(r).copied().filter(|&x| x > 0)?;
    let count = u32::try_from(top.count).ok()?;
    if rank <= count {
        return None;
    }
    let outcome = kind.outcomes.get(top.outcome)?;
    let first = kind.rank.first()?;
    let last_in = s.rank.iter().position(|&x| x == count)?;
    let (own, theirs) = (res.total.get(r)?, res.total.get(last_in)?);
    let place = format!(
        "ranked {rank} of {}: the top {count} receive `{}` ({})",
        frame.len(),
        outcome.id,
        crate::words::short_label(&outcome.label)
    );
    if !(first.var == Var::Total && first.desc) {
        return Some(format!(
            "{place}; `bangfu explain {}` shows the last of them",
            frame.id(last_in)
        ));
    }
    Some(format!(
        "{place}; `{}` ({}) holds place {count} with {}: a total above that (more than {} points more, {} → over {}) would put this one among them",
        frame.id(last_in),
        frame.label(last_in),
        fmt_num(*theirs),
        fmt_num(round_dp(theirs - own, 2)),
        fmt_num(*own),
        fmt_num(*theirs)
    ))
}

/// Entity `r`'s rank, award and population notes.
fn standing_trace(
    kind: &Kind,
    r: usize,
    s: StandingView,
    aggregates: Vec<AggregateTrace>,
) -> UnitTrace {
    UnitTrace {
        rank: s.rank.get(r).copied().filter(|&x| x > 0),
        rank_keys: kind
            .rank
            .iter()
            .map(|k| k.text.clone())
            .chain(std::iter::once("id asc".to_string()))
            .collect(),
        award: s.award.get(r).copied().unwrap_or(0),
        notes: s.notes.get(r).cloned().unwrap_or_default(),
        aggregates,
    }
}

/// The comparisons of the best outcome's condition, when it is a list of them (`all:`).
fn best_comparisons(kind: &Kind) -> &[crate::rules::model::Cmp] {
    counterfactual::comparisons(kind, best_outcome(kind))
}

/// The indicators whose points or values the best outcome's condition compares.
fn best_reads(kind: &Kind) -> Vec<String> {
    let cmps = best_comparisons(kind);
    let of = |o: &Operand| match o {
        Operand::Var(Var::Value(i) | Var::Points(i)) => {
            kind.indicators.get(*i).map(|x| x.id.clone())
        }
        _ => None,
    };
    cmps.iter()
        .flat_map(|c| [of(&c.left), c.op.as_ref().and_then(|(_, r)| of(r))])
        .flatten()
        .collect()
}
