//! What would change an entity's outcome: the smallest changes of one input that reach the
//! nearest better outcome, then the best one, each found and confirmed by re-scoring a one-row
//! copy of the entity with the change. No suggestion comes from a formula alone: caps, the
//! floor and ceiling of the total, zeroing and grades are all applied by the engine itself.
//!
//! The levers are an indicator's input (a scored indicator raised toward its full points, a
//! bonus item raised within its own cap, a deduction item lowered toward nothing) and the
//! input a fired `zero` gate reads (`faked_records 1 → 0`), which gives the zeroed points back.

use super::{Counterfactual, DimensionTrace, Lift, TargetTrace};
use crate::data::Frame;
use crate::engine::peer::has_peers;
use crate::engine::round::round_dp;
use crate::engine::{evaluate_kind, KindResult};
use crate::rules::model::*;
use crate::words::{fmt_num, short_label};

/// The outcomes an entity is shown the way to, nearest first: the nearest better passing
/// outcome (for an entity that failed, the last passing one: how to pass), then the best.
/// Empty for an entity at the best outcome already.
pub fn targets(kind: &Kind, chosen: usize) -> Vec<usize> {
    let chosen_passing = kind.outcomes.get(chosen).is_some_and(|o| o.passing);
    let better: Vec<usize> = kind
        .outcomes
        .iter()
        .enumerate()
        .filter(|(o, x)| x.passing && (!chosen_passing || *o < chosen))
        .map(|(o, _)| o)
        .collect();
    let mut out = Vec::new();
    match (better.last(), better.first()) {
        (Some(&near), Some(&best)) => {
            out.push(near);
            if best != near {
                out.push(best);
            }
        }
        // A kind with no passing outcome: the first one stands for the best.
        _ => {
            let best = super::best_outcome(kind);
            if best != chosen {
                out.push(best);
            }
        }
    }
    out
}

/// Whether outcome `o` is at least target `t`: a passing outcome no later than it (outcomes
/// are listed best first), or the target itself.
fn reaches(kind: &Kind, o: usize, t: usize) -> bool {
    o == t || (o < t && kind.outcomes.get(o).is_some_and(|x| x.passing))
}

/// What the search knows of the entity as it stands.
pub struct Entity<'a> {
    /// A one-row copy of the entity's data, the row the changes are made to.
    pub one: Frame,
    pub res: &'a KindResult,
    pub r: usize,
    pub dims: &'a [DimensionTrace],
    pub total: f64,
    /// The total after bonus and deductions, before the floor and ceiling held it.
    pub adjusted: Option<(f64, &'static str)>,
    /// No veto holds (a veto no score can overcome leaves only the shortfalls).
    pub no_veto: bool,
}

/// For each target of [`targets`], the changes that reach it, or, when none does, what is
/// missing.
pub fn search(rules: &RuleSet, kind: &Kind, e: &Entity, chosen: usize) -> Vec<TargetTrace> {
    // Single-input changes are found by scoring the entity alone, which a score relative to
    // the others cannot be: such a kind gets the shortfalls only.
    let levers = if e.no_veto && !has_peers(kind) {
        levers(rules, kind, e)
    } else {
        Vec::new()
    };
    targets(kind, chosen)
        .into_iter()
        .filter_map(|t| {
            let o = kind.outcomes.get(t)?;
            let mut found: Vec<Counterfactual> = levers
                .iter()
                .filter_map(|l| reach(rules, kind, e, l, t))
                .collect();
            found.sort_by(|a, b| {
                let da = (a.points_to - a.points_from).abs();
                let db = (b.points_to - b.points_from).abs();
                da.total_cmp(&db)
                    .then_with(|| a.indicator.cmp(&b.indicator))
                    .then_with(|| a.column.cmp(&b.column))
            });
            let shortfalls = if found.is_empty() {
                shortfalls(rules, kind, e, t)
            } else {
                Vec::new()
            };
            Some(TargetTrace {
                outcome: o.id.clone(),
                label: o.label.clone(),
                counterfactuals: found,
                shortfalls,
            })
        })
        .collect()
}

/// What a lever moves.
#[derive(Clone, Copy)]
enum By {
    /// Indicator `i`'s input, searched for the smallest change.
    Indicator(usize),
    /// The input `zero` gate `g` reads, set to the one value that lifts its condition.
    Gate(usize),
}

/// One input the search may change, and the far end of its useful range.
struct Lever {
    by: By,
    col: usize,
    from: f64,
    far: f64,
    up: bool,
    integer: bool,
}

/// Maps an indicator's input value back to the value of the column it is computed from.
type ToColumn = Box<dyn Fn(f64) -> f64>;

/// The column a change moves for an indicator, and how an input value maps back to it.
fn lever_column(kind: &Kind, frame: &Frame, ind: &Indicator) -> Option<(usize, ToColumn)> {
    // The frame holds the one entity being explained.
    let col = |c: usize| frame.value(c, 0);
    match &ind.input {
        Input::Column(c)
            if kind
                .columns
                .get(*c)
                .is_some_and(|s| s.from_data() && s.ty != ValueType::Category) =>
        {
            Some((*c, Box::new(|v| v)))
        }
        Input::Ratio { num, den, .. } => {
            let d = col(*den);
            (d > 0.0).then(|| {
                (
                    *num,
                    Box::new(move |v: f64| v * d) as Box<dyn Fn(f64) -> f64>,
                )
            })
        }
        Input::Change {
            col: c, percent, ..
        } => {
            let base = frame.baseline_value(*c, 0);
            if *percent {
                (base != 0.0).then(|| {
                    (
                        *c,
                        Box::new(move |v: f64| base + v / 100.0 * base.abs())
                            as Box<dyn Fn(f64) -> f64>,
                    )
                })
            } else {
                Some((*c, Box::new(move |v: f64| base + v)))
            }
        }
        _ => None,
    }
}

/// The input value at which a monotone method first gives its full points, and the direction.
fn saturation(ind: &Indicator) -> Option<(f64, bool)> {
    match &ind.method {
        Method::Threshold { target, higher, .. } => Some((*target, *higher)),
        Method::Linear { from, to } => Some((*to, to > from)),
        Method::Bands(b) => {
            let best = b
                .iter()
                .filter(|x| (x.points - ind.points).abs() < 1e-9)
                .min_by(|a, c| a.interval.lo.total_cmp(&c.interval.lo))?;
            let lo = if best.interval.lo.is_finite() {
                best.interval.lo
            } else {
                best.interval.hi
            };
            // Bands are monotone when points never fall as the value rises.
            let mut sorted: Vec<&Band> = b.iter().collect();
            sorted.sort_by(|a, c| a.interval.lo.total_cmp(&c.interval.lo));
            let rising = sorted
                .windows(2)
                .all(|w| w.first().map(|x| x.points) <= w.get(1).map(|x| x.points));
            rising.then_some((if best.interval.lo_incl { lo } else { lo + 1e-9 }, true))
        }
        Method::Deduct { .. } => Some((0.0, false)),
        Method::Bonus { per } => Some((ind.points / per, true)),
        Method::Boolean => Some((1.0, true)),
        _ => None,
    }
}

/// For a deduction item: the input value at which it takes nothing off, and the direction.
fn relief(ind: &Indicator) -> Option<(f64, bool)> {
    match &ind.method {
        Method::Bonus { .. } | Method::Boolean => Some((0.0, false)),
        Method::Linear { from, to } => Some((*from, from > to)),
        _ => None,
    }
}

/// Every input the search may change for this entity.
fn levers(rules: &RuleSet, kind: &Kind, e: &Entity) -> Vec<Lever> {
    let points = e.res.points_of(e.r);
    let mut out = Vec::new();
    for ((i, ind), &pts) in kind.indicators.iter().enumerate().zip(points.iter()) {
        let deduction = kind
            .dims
            .get(ind.dim)
            .is_some_and(|d| d.role == DimRole::Deduct);
        // A scored indicator or a bonus item short of its full points; a deduction item that
        // takes something off.
        let (aim, short) = if deduction {
            (relief(ind), pts > 0.0)
        } else {
            (saturation(ind), pts < ind.points)
        };
        let (Some((sat, up)), true) = (aim, short) else {
            continue;
        };
        let Some((c, to_col)) = lever_column(kind, &e.one, ind) else {
            continue;
        };
        let Some(spec) = kind.columns.get(c) else {
            continue;
        };
        if let Some(l) = lever(
            spec,
            By::Indicator(i),
            c,
            e.one.value(c, 0),
            to_col(sat),
            up,
        ) {
            out.push(l);
        }
    }
    let fired = e.res.gates_of(e.r);
    for ((g, gate), _) in kind
        .gates
        .iter()
        .enumerate()
        .zip(fired)
        .filter(|((_, gate), f)| **f && gate.enabled && gate.effect == Effect::Zero)
    {
        let cmps: Vec<Cmp> = match &gate.condition {
            Condition::All(c) | Condition::Any(c) => c.clone(),
            Condition::Script(id) => script_cmp(rules, *id).into_iter().collect(),
        };
        let mut lifts: Vec<(usize, f64)> = cmps
            .iter()
            .filter_map(|cmp| lift_value(rules, kind, cmp))
            .collect();
        // An expression that is more than one comparison: each data column it reads at its
        // lowest (a count at 0), or a yes/no the other way; re-scoring tells which lift it.
        if let (true, Condition::Script(id)) = (lifts.is_empty(), &gate.condition) {
            for (_, var) in rules
                .scripts
                .expr(*id)
                .map(|x| x.vars.as_slice())
                .unwrap_or(&[])
            {
                let Var::Column(c) = *var else {
                    continue;
                };
                let Some(spec) = kind.columns.get(c) else {
                    continue;
                };
                let to = match spec.ty {
                    ValueType::Bool => 1.0 - e.one.value(c, 0),
                    _ => spec.min.unwrap_or(0.0),
                };
                lifts.push((c, to));
            }
        }
        for (c, to) in lifts {
            let Some(spec) = kind.columns.get(c) else {
                continue;
            };
            let from = e.one.value(c, 0);
            if let Some(l) = lever(spec, By::Gate(g), c, from, to, to > from) {
                out.push(l);
            }
        }
    }
    out
}

/// A lever on column `spec` from `from` toward `to`, within the column's range and, for a
/// whole-number column, rounded toward the far end; none when that is no change at all.
fn lever(spec: &ColumnSpec, by: By, col: usize, from: f64, to: f64, up: bool) -> Option<Lever> {
    if !spec.from_data() || spec.ty == ValueType::Category {
        return None;
    }
    let integer = matches!(spec.ty, ValueType::Integer | ValueType::Bool);
    let mut far = clamp(spec, to);
    if integer {
        far = if up { far.ceil() } else { far.floor() };
    }
    if (up && far <= from) || (!up && far >= from) {
        return None;
    }
    Some(Lever {
        by,
        col,
        from,
        far,
        up,
        integer,
    })
}

fn clamp(spec: &ColumnSpec, x: f64) -> f64 {
    let x = spec.max.map_or(x, |m| x.min(m));
    spec.min.map_or(x, |m| x.max(m))
}

/// The nearest value of a data column that makes comparison `cmp` false, when it compares
/// the column with a number or a yes/no: `faked_records > 0` gives 0.
fn lift_value(rules: &RuleSet, kind: &Kind, cmp: &Cmp) -> Option<(usize, f64)> {
    let Operand::Var(Var::Column(c)) = cmp.left else {
        return None;
    };
    let spec = kind.columns.get(c)?;
    let integer = matches!(spec.ty, ValueType::Integer | ValueType::Bool);
    let step = if integer {
        1.0
    } else {
        10f64.powi(-(rules.precision as i32 + 1))
    };
    let (op, k) = match &cmp.op {
        // A bare yes/no column: it must become the other answer.
        None => (Op::Ne, 0.0),
        Some((op, Operand::Num(k))) => (*op, *k),
        Some((op, Operand::Bool(b))) => (*op, if *b { 1.0 } else { 0.0 }),
        Some(_) => return None,
    };
    // The relation the new value must satisfy for the comparison to be false.
    let need = if cmp.negate {
        op
    } else {
        match op {
            Op::Lt => Op::Ge,
            Op::Le => Op::Gt,
            Op::Gt => Op::Le,
            Op::Ge => Op::Lt,
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
        }
    };
    let to = match need {
        Op::Ge | Op::Le | Op::Eq => k,
        Op::Gt if integer => k.floor() + 1.0,
        Op::Gt => k + step,
        Op::Lt if integer => k.ceil() - 1.0,
        Op::Lt => k - step,
        // Only a yes/no has one other value.
        Op::Ne if spec.ty == ValueType::Bool => 1.0 - k,
        Op::Ne => return None,
    };
    Some((c, to))
}

/// A `when:` expression that is one plain comparison (`faked_records > 0`), as one.
fn script_cmp(rules: &RuleSet, id: ExprId) -> Option<Cmp> {
    let e = rules.scripts.expr(id)?;
    let mut resolve = |name: &str| -> Result<Operand, String> {
        if let Some((_, v)) = e.vars.iter().find(|(n, _)| n == name) {
            return match v {
                Var::Param(p) => rules
                    .params
                    .get(*p)
                    .map(|x| Operand::Num(x.value))
                    .ok_or_else(|| format!("no parameter `{name}`")),
                v => Ok(Operand::Var(*v)),
            };
        }
        Err(format!("`{name}` is not read"))
    };
    crate::rules::cond::parse_cmp(e.source.trim(), &mut resolve).ok()
}

/// Re-score the one-row copy with column `c` set to `x`.
fn rescore(rules: &RuleSet, kind: &Kind, one: &Frame, c: usize, x: f64) -> Option<KindResult> {
    let mut f = one.clone();
    f.cols.get_mut(c)?.values.set(0, x);
    evaluate_kind(rules, kind, &f).ok()
}

/// The outcome of a re-scored one-row copy.
fn outcome_of(res: &KindResult) -> Option<usize> {
    res.outcome.first().map(|&o| usize::from(o))
}

/// The smallest change of lever `l` that reaches target `t`, confirmed by re-scoring.
fn reach(rules: &RuleSet, kind: &Kind, e: &Entity, l: &Lever, t: usize) -> Option<Counterfactual> {
    let reached = |x: f64| {
        rescore(rules, kind, &e.one, l.col, x)
            .filter(|res| outcome_of(res).is_some_and(|o| reaches(kind, o, t)))
    };
    // Does the full change reach the target? If not, no smaller one will.
    reached(l.far)?;
    let to = match l.by {
        By::Indicator(_) => smallest(rules, l, &reached),
        By::Gate(_) => l.far,
    };
    let after = reached(to)?;
    let outcome = outcome_of(&after).and_then(|o| kind.outcomes.get(o))?;
    let spec = kind.columns.get(l.col)?;
    let total_to = after.total.first().copied()?;
    let target = kind.outcomes.get(t).map(|o| o.id.clone())?;
    match l.by {
        By::Indicator(i) => {
            let ind = kind.indicators.get(i)?;
            // The committee's words for the column changed: its own label, else the label of
            // the indicator that reads it as it is; the same for its unit.
            let direct = matches!(ind.input, Input::Column(ic) if ic == l.col);
            let label = spec
                .label
                .as_deref()
                .or(direct.then_some(ind.label.as_str()))
                .map(|l| short_label(l).to_string());
            let unit = spec
                .unit
                .clone()
                .or_else(|| ind.unit.clone().filter(|_| direct));
            Some(Counterfactual {
                indicator: Some(ind.id.clone()),
                indicator_label: Some(short_label(&ind.label).to_string()),
                lifts: None,
                deduction: kind
                    .dims
                    .get(ind.dim)
                    .is_some_and(|d| d.role == DimRole::Deduct),
                column: spec.name.clone(),
                label,
                unit,
                yes_no: spec.ty == ValueType::Bool,
                from: l.from,
                to,
                points_from: e.res.points_of(e.r).get(i).copied()?,
                points_to: after.points_of(0).get(i).copied()?,
                total_to,
                outcome: outcome.id.clone(),
                target: target.clone(),
            })
        }
        By::Gate(g) => {
            let gate = kind.gates.get(g)?;
            // The change must lift the gate itself, not reach the outcome some other way.
            if after.gates_of(0).get(g).copied()? {
                return None;
            }
            // The parts the gate zeroed, in declaration order, and their points before and
            // after.
            let mut parts: Vec<usize> = gate
                .zero
                .iter()
                .filter_map(|&i| kind.indicators.get(i).map(|x| x.dim))
                .collect();
            parts.sort_unstable();
            parts.dedup();
            let before = e.res.dims_of(e.r);
            let now = after.dims_of(0);
            let sum = |d: &[f64]| -> Option<f64> {
                parts
                    .iter()
                    .map(|&p| d.get(p).copied())
                    .sum::<Option<f64>>()
            };
            Some(Counterfactual {
                indicator: None,
                indicator_label: None,
                lifts: Some(Lift {
                    gate: gate.id.clone(),
                    label: short_label(&gate.label).to_string(),
                    parts: parts
                        .iter()
                        .filter_map(|&p| kind.dims.get(p))
                        .map(|d| short_label(&d.label).to_string())
                        .collect(),
                }),
                deduction: false,
                column: spec.name.clone(),
                label: spec.label.as_deref().map(|l| short_label(l).to_string()),
                unit: spec.unit.clone(),
                yes_no: spec.ty == ValueType::Bool,
                from: l.from,
                to,
                points_from: round_dp(sum(&before)?, rules.precision),
                points_to: round_dp(sum(&now)?, rules.precision),
                total_to,
                outcome: outcome.id.clone(),
                target: target.clone(),
            })
        }
    }
}

/// The smallest change of a monotone lever that still reaches the target, by bisection
/// between the value now and the far end (which reaches it), then rounded outward to a value
/// people can enter.
fn smallest(rules: &RuleSet, l: &Lever, reached: &dyn Fn(f64) -> Option<KindResult>) -> f64 {
    let (mut lo, mut hi) = (l.from, l.far);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        let mid = match (l.integer, l.up) {
            (true, true) => mid.ceil(),
            (true, false) => mid.floor(),
            _ => mid,
        };
        if mid == lo || mid == hi {
            break;
        }
        if reached(mid).is_some() {
            hi = mid;
        } else {
            lo = mid;
        }
        if !l.integer && (hi - lo).abs() < 1e-6 {
            break;
        }
    }
    if l.integer {
        return hi;
    }
    // The finest value people can enter, rounded outward; a rounder value at no more change
    // is said instead (`5`, not `5.001`, for a band that starts at 5), when it reaches.
    let finest = rules.precision as i32 + 1;
    let outward = |step: f64| {
        let x = if l.up {
            (hi / step).ceil() * step
        } else {
            (hi / step).floor() * step
        };
        round_dp(x, rules.precision + 1)
    };
    let fine = outward(10f64.powi(-finest));
    let rounder = (0..finest).map(|d| 10f64.powi(-d)).find_map(|step| {
        let x = round_dp((hi / step).round() * step, rules.precision + 1);
        let within = if l.up { x <= fine } else { x >= fine };
        (within && x != l.from && reached(x).is_some()).then_some(x)
    });
    let to = rounder.unwrap_or(fine);
    // Never past the far end, which is known to reach the target.
    if l.up {
        to.min(l.far)
    } else {
        to.max(l.far)
    }
}

/// What is missing for target `t` when no single change reaches it: points per dimension
/// under its minimum, and points on the total for the target's line or grade. A total the
/// floor held is counted from where it stood before the floor: points that only move it
/// below the floor change nothing.
fn shortfalls(rules: &RuleSet, kind: &Kind, e: &Entity, t: usize) -> Vec<String> {
    let p = rules.precision;
    let mut out = Vec::new();
    for d in e.dims.iter().filter(|d| d.below_min) {
        let min = d.min.unwrap_or(0.0);
        out.push(format!(
            "{} needs {} more points ({} → {})",
            d.label,
            fmt_num(round_dp(min - d.score, p)),
            fmt_num(d.score),
            fmt_num(min)
        ));
    }
    let (start, from) = match e.adjusted {
        Some((adjusted, "floor")) if adjusted < e.total => (
            adjusted,
            format!(
                "{} before the floor {}",
                fmt_num(adjusted),
                fmt_num(kind.floor)
            ),
        ),
        _ => (e.total, fmt_num(e.total)),
    };
    let mut line = |line: f64, what: String| {
        if e.total < line {
            out.push(format!(
                "the total needs {} more points ({from} → {}){what}",
                fmt_num(round_dp(line - start, p)),
                fmt_num(line)
            ));
        }
    };
    if let Some(x) = pass_line(kind, t) {
        line(x, String::new());
    }
    if let Some(g) = grade_needed(kind, t) {
        line(g.interval.lo, format!(" for the grade {}", g.label));
    }
    out
}

/// The comparisons of outcome `o`'s condition, when it is a list of them (`all:`).
pub fn comparisons(kind: &Kind, o: usize) -> &[Cmp] {
    match kind.outcomes.get(o).and_then(|o| o.condition.as_ref()) {
        Some(Condition::All(cmps)) => cmps,
        _ => &[],
    }
}

/// The grade outcome `o` asks for, when its condition holds a plain `grade == G`.
fn grade_needed(kind: &Kind, o: usize) -> Option<&Grade> {
    comparisons(kind, o)
        .iter()
        .find_map(|c| match (&c.left, &c.op) {
            (Operand::Var(Var::Grade), Some((Op::Eq, Operand::Str(g)))) if !c.negate => {
                kind.grades.iter().find(|x| &x.id == g)
            }
            _ => None,
        })
}

/// The total outcome `o` asks for, when its condition holds a plain `total >= X`.
fn pass_line(kind: &Kind, o: usize) -> Option<f64> {
    comparisons(kind, o)
        .iter()
        .find_map(|c| match (&c.left, &c.op) {
            (Operand::Var(Var::Total), Some((Op::Ge | Op::Gt, Operand::Num(x)))) => Some(*x),
            _ => None,
        })
}
