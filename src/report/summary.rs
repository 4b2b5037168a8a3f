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
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (r, g) in values.iter().enumerate() {
        let o = v.result.outcome.get(r).copied().unwrap_or(0) as usize;
        let entry = match groups.iter().position(|(k, _)| k == g) {
            Some(i) => groups.get_mut(i),
            None => {
                groups.push((g.clone(), vec![0; v.kind.outcomes.len()]));
                groups.last_mut()
            }
        };
        if let Some(c) = entry.and_then(|(_, c)| c.get_mut(o)) {
            *c += 1;
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups
}

/// Why entity `r` did not reach a passing outcome, in a few words.
pub fn reasons(rules: &RuleSet, v: &KindView, r: usize) -> String {
    let kind = v.kind;
    let p = rules.precision;
    let mut out: Vec<String> = Vec::new();
    // Only what blocks passing is a reason; grade caps are not.
    for (fired, gate) in v.result.gates_of(r).iter().zip(&kind.gates) {
        if *fired
            && matches!(
                gate.effect,
                crate::rules::model::Effect::Fail(_) | crate::rules::model::Effect::ForceOutcome(_)
            )
        {
            out.push(super::short_label(&gate.label).to_string());
        }
    }
    if v.result.missing_fail.get(r).copied().unwrap_or(false) {
        out.push("missing evidence".into());
    }
    let dims = v.result.dims_of(r);
    for (d, (below, dim)) in v.result.below_min_of(r).iter().zip(&kind.dims).enumerate() {
        if *below {
            let score = dims.get(d).copied().unwrap_or(0.0);
            out.push(format!(
                "{} {} < {}",
                super::short_label(&dim.label),
                super::fmt_score(score, p),
                crate::rules::compile::fmt_num(dim.min.unwrap_or(0.0))
            ));
        }
    }
    let outcome = v.result.outcome.get(r).copied().unwrap_or(0) as usize;
    let passing = kind.outcomes.get(outcome).is_some_and(|o| o.passing);
    if !passing {
        // Not failed, yet no passing rule held: name the comparisons of the first that missed.
        if let Some(rule) = kind.outcomes.iter().find(|o| o.passing) {
            if let Some(crate::rules::model::Condition::All(cmps)) = &rule.condition {
                let total = v.result.total.get(r).copied().unwrap_or(0.0);
                for c in cmps {
                    let total_cmp = matches!(
                        c.left,
                        crate::rules::model::Operand::Var(crate::rules::model::Var::Total)
                    );
                    if !total_cmp && !v_holds(rules, v, r, c) {
                        out.push(format!("`{}` does not hold", c.text));
                    }
                    if let (
                        crate::rules::model::Operand::Var(crate::rules::model::Var::Total),
                        Some((op, crate::rules::model::Operand::Num(x))),
                    ) = (&c.left, &c.op)
                    {
                        if !op_holds(*op, total, *x) {
                            out.push(format!(
                                "total {} {} {}",
                                super::fmt_score(total, p),
                                negated(*op),
                                crate::rules::compile::fmt_num(*x)
                            ));
                        }
                    }
                }
            }
            if out.is_empty() {
                out.push(format!("`{}` not met", rule.id));
            }
            out.dedup();
        }
    }
    out.join("; ")
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

/// Whether a plain comparison holds for entity `r` of a finished kind.
fn v_holds(rules: &RuleSet, v: &KindView, r: usize, c: &crate::rules::model::Cmp) -> bool {
    let res = v.result;
    let ctx = crate::engine::entity::KindCtx::new(
        v.kind,
        v.frame,
        &rules.params,
        &rules.scripts,
        rules.precision,
    );
    let view = crate::engine::entity::View {
        outcome: None,
        ..crate::engine::entity::View::of_result(&ctx, res, r)
    };
    view.compare(c)
}
