//! Counts and totals for the run summary.

use super::KindView;
use crate::rules::model::RuleSet;

/// `(outcome id, label, count)` in rule order.
pub fn outcome_counts(v: &KindView) -> Vec<(String, String, usize)> {
    let mut counts = vec![0usize; v.kind.outcomes.len()];
    for &o in &v.result.outcome {
        if let Some(c) = counts.get_mut(o as usize) {
            *c += 1;
        }
    }
    v.kind
        .outcomes
        .iter()
        .zip(counts)
        .map(|(o, c)| (o.id.clone(), o.label.clone(), c))
        .collect()
}

/// `(grade id, label, count)`, best first.
pub fn grade_counts(v: &KindView) -> Vec<(String, String, usize)> {
    let mut counts = vec![0usize; v.kind.grades.len()];
    for &g in &v.result.grade {
        if let Some(c) = counts.get_mut(g as usize) {
            *c += 1;
        }
    }
    v.kind
        .grades
        .iter()
        .zip(counts)
        .map(|(g, c)| (g.id.clone(), g.label.clone(), c))
        .collect()
}

/// Programme totals: `(id, label, sum, unit)`.
pub fn programme_totals(
    rules: &RuleSet,
    v: &KindView,
) -> Vec<(String, String, f64, Option<String>)> {
    rules
        .totals
        .iter()
        .map(|t| {
            // Summed in id order: the same figure at any thread count.
            let sum: f64 = v
                .frame
                .cols
                .get(t.column)
                .map(|c| c.values.iter().sum())
                .unwrap_or(0.0);
            (
                t.id.clone(),
                t.label.clone(),
                crate::engine::round::round_dp(sum, rules.precision),
                t.unit.clone(),
            )
        })
        .collect()
}

/// Outcome counts per value of a `group_by` column: `(group value, counts per outcome)`.
pub fn by_group(v: &KindView, column: &str) -> Vec<(String, Vec<usize>)> {
    let Some((_, values)) = v.frame.groups.iter().find(|(n, _)| n == column) else {
        return Vec::new();
    };
    let mut counts: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (r, g) in values.iter().enumerate() {
        let o = v.result.outcome.get(r).copied().unwrap_or(0) as usize;
        let c = counts
            .entry(g)
            .or_insert_with(|| vec![0; v.kind.outcomes.len()]);
        if let Some(c) = c.get_mut(o) {
            *c += 1;
        }
    }
    let mut groups: Vec<(String, Vec<usize>)> = counts
        .into_iter()
        .map(|(g, c)| (g.to_string(), c))
        .collect();
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups
}

/// Why entity `r` did not reach a passing outcome, and which zeroing rules took its points, in a
/// few words.
pub fn reasons(rules: &RuleSet, v: &KindView, r: usize) -> String {
    let mut out = String::new();
    write_reasons(rules, v, r, &mut out);
    out
}

/// Reasons joined by `; `, written into a reused buffer. Consecutive repeats are dropped when
/// the entity missed its passing rule.
struct Items<'o> {
    out: &'o mut String,
    count: usize,
    last: std::ops::Range<usize>,
    dedup: bool,
}

impl Items<'_> {
    fn push(&mut self, write: impl FnOnce(&mut String)) {
        let before = self.out.len();
        if self.count > 0 {
            self.out.push_str("; ");
        }
        let start = self.out.len();
        write(self.out);
        let repeat = self.dedup
            && self.count > 0
            && self.out.get(start..) == self.out.get(self.last.clone());
        if repeat {
            self.out.truncate(before);
        } else {
            self.last = start..self.out.len();
            self.count += 1;
        }
    }
}

/// A score already rounded to `p` decimals, as `fmt_score` writes it.
fn push_score(out: &mut String, x: f64, p: u32) {
    let mut buf = std::mem::take(out).into_bytes();
    super::digits::push_fixed(&mut buf, x, p);
    // Only ASCII digits were added to valid text.
    *out = String::from_utf8(buf).unwrap_or_default();
}

/// A rule's number as `fmt_num` writes it.
fn push_num(out: &mut String, x: f64) {
    use std::fmt::Write;
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let mut buf = std::mem::take(out).into_bytes();
        super::digits::push_int(&mut buf, x as i64);
        // Only ASCII digits and a sign were added to valid text.
        *out = String::from_utf8(buf).unwrap_or_default();
    } else {
        let _ = write!(out, "{x}");
    }
}

/// `reasons`, into `out` (cleared first).
pub fn write_reasons(rules: &RuleSet, v: &KindView, r: usize, out: &mut String) {
    use crate::rules::model::{Condition, Effect, Operand, Var};
    use std::fmt::Write;
    out.clear();
    let kind = v.kind;
    let p = rules.precision;
    let outcome = v.result.outcome.get(r).copied().unwrap_or(0) as usize;
    let passing = kind.outcomes.get(outcome).is_some_and(|o| o.passing);
    // Not failed, yet no passing rule held: the comparisons of the lowest bar that was missed
    // (the last passing rule) are named.
    let missed = if passing {
        None
    } else {
        kind.outcomes.iter().rev().find(|o| o.passing)
    };
    let mut items = Items {
        out,
        count: 0,
        last: 0..0,
        dedup: missed.is_some(),
    };
    // Only what blocks passing is a reason; grade caps are not.
    for (fired, gate) in v.result.gates_of(r).iter().zip(&kind.gates) {
        if *fired && matches!(gate.effect, Effect::Fail(_) | Effect::ForceOutcome(_)) {
            items.push(|o| {
                if gate.require {
                    o.push_str("not met: ");
                }
                o.push_str(super::short_label(&gate.label));
            });
        }
    }
    if v.result.missing_fail.get(r).copied().unwrap_or(false) {
        items.push(|o| o.push_str("missing evidence"));
    }
    // Points a zeroing rule took are named too, whatever the outcome: they explain a score.
    for (fired, gate) in v.result.gates_of(r).iter().zip(&kind.gates) {
        if *fired && matches!(gate.effect, Effect::Zero) {
            items.push(|o| {
                o.push_str(super::short_label(&gate.label));
                o.push_str(": scored 0");
            });
        }
    }
    for (d, (below, dim)) in v.result.below_min_of(r).iter().zip(&kind.dims).enumerate() {
        if *below {
            let score = v.result.dims_row(r).get(d).unwrap_or(0.0);
            items.push(|o| {
                o.push_str(super::short_label(&dim.label));
                o.push(' ');
                push_score(o, score, p);
                o.push_str(" < ");
                push_num(o, dim.min.unwrap_or(0.0));
            });
        }
    }
    let Some(rule) = missed else {
        return;
    };
    if let Some(Condition::All(cmps)) = &rule.condition {
        let total = v.result.total.get(r).copied().unwrap_or(0.0);
        for c in cmps {
            let total_cmp = matches!(c.left, Operand::Var(Var::Total));
            // A comparison that does not hold, in words (one view of the entity for both).
            let missed = (!total_cmp)
                .then(|| {
                    with_view(rules, v, r, |view| {
                        (!view.compare(c)).then(|| missed_by(view, c))
                    })
                })
                .flatten();
            if let Some(miss) = missed {
                items.push(|o| match &miss {
                    Some(m) => o.push_str(m),
                    None => {
                        let _ = write!(o, "`{}` does not hold", c.text);
                    }
                });
            }
            if let (Operand::Var(Var::Total), Some((op, Operand::Num(x)))) = (&c.left, &c.op) {
                if !op_holds(*op, total, *x) {
                    items.push(|o| {
                        o.push_str("total ");
                        push_score(o, total, p);
                        o.push(' ');
                        o.push_str(negated(*op));
                        o.push(' ');
                        push_num(o, *x);
                    });
                }
            }
        }
    }
    if items.count == 0 {
        items.push(|o| {
            let _ = write!(o, "`{}` not met", rule.id);
        });
    }
}

fn op_holds(op: crate::rules::model::Op, a: f64, b: f64) -> bool {
    use crate::rules::model::Op::*;
    match op {
        Lt => a < b,
        Le => a <= b,
        Gt => a > b,
        Ge => a >= b,
        Eq => a == b,
        Ne => a != b,
    }
}

fn negated(op: crate::rules::model::Op) -> &'static str {
    use crate::rules::model::Op::*;
    match op {
        Lt => ">=",
        Le => ">",
        Gt => "<=",
        Ge => "<",
        Eq => "!=",
        Ne => "==",
    }
}

/// How the entity in `view` misses comparison `c`, in words: `village_passed is 0, needs >= 1`. None
/// for a comparison without an operator, or one negated as a whole.
fn missed_by(view: &crate::engine::entity::View, c: &crate::rules::model::Cmp) -> Option<String> {
    use crate::engine::entity::Val;
    use crate::rules::model::{Op, Operand};
    let (op, right) = c.op.as_ref().filter(|_| !c.negate)?;
    let Operand::Var(var) = &c.left else {
        return None;
    };
    // The left side as written: the text before its operator.
    let left = c.text.split(op.as_str()).next()?.trim();
    let fmt = crate::words::fmt_num;
    let value = match view.get(*var) {
        Val::Num(x) => fmt(x),
        Val::Bool(b) => b.to_string(),
        Val::Str(s) => s.to_string(),
    };
    let want = match right {
        Operand::Num(x) => fmt(*x),
        Operand::Str(s) => s.clone(),
        Operand::Bool(b) => b.to_string(),
        Operand::Var(_) => c.text.split(op.as_str()).nth(1)?.trim().to_string(),
    };
    Some(match op {
        Op::Eq => format!("{left} is {value}, not {want}"),
        _ => format!("{left} is {value}, needs {} {want}", op.as_str()),
    })
}

/// `f` of entity `r` of a finished kind, as its outcome conditions saw it (before its outcome).
fn with_view<T>(
    rules: &RuleSet,
    v: &KindView,
    r: usize,
    f: impl FnOnce(&crate::engine::entity::View) -> T,
) -> T {
    let ctx = crate::engine::entity::KindCtx::new(
        v.kind,
        v.frame,
        &rules.params,
        &rules.scripts,
        rules.precision,
    );
    let view = crate::engine::entity::View {
        outcome: None,
        ..crate::engine::entity::View::of_result(&ctx, v.result, r)
    };
    f(&view)
}
