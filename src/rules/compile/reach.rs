//! Reachability: the values each variable may take under an outcome's conditions, and a warning
//! for outcome rules no entity can reach.

use super::KindCompiler;
use crate::diag::Diagnostic;
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::HashSet;

/// The values of one variable a list of comparisons allows: `[lo, hi]` with open/closed ends.
#[derive(Debug, Clone, Copy)]
struct Range {
    lo: f64,
    lo_open: bool,
    hi: f64,
    hi_open: bool,
}

impl Range {
    fn all() -> Range {
        Range {
            lo: f64::NEG_INFINITY,
            lo_open: false,
            hi: f64::INFINITY,
            hi_open: false,
        }
    }

    fn from_cmp(op: Op, x: f64) -> Option<Range> {
        let r = Range::all();
        Some(match op {
            Op::Gt => Range {
                lo: x,
                lo_open: true,
                ..r
            },
            Op::Ge => Range {
                lo: x,
                lo_open: false,
                ..r
            },
            Op::Lt => Range {
                hi: x,
                hi_open: true,
                ..r
            },
            Op::Le => Range {
                hi: x,
                hi_open: false,
                ..r
            },
            Op::Eq => Range {
                lo: x,
                hi: x,
                lo_open: false,
                hi_open: false,
            },
            Op::Ne => return None,
        })
    }

    fn intersect(self, o: Range) -> Range {
        let (lo, lo_open) = if o.lo > self.lo || (o.lo == self.lo && o.lo_open) {
            (o.lo, o.lo_open)
        } else {
            (self.lo, self.lo_open)
        };
        let (hi, hi_open) = if o.hi < self.hi || (o.hi == self.hi && o.hi_open) {
            (o.hi, o.hi_open)
        } else {
            (self.hi, self.hi_open)
        };
        Range {
            lo,
            lo_open,
            hi,
            hi_open,
        }
    }

    fn is_empty(self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && (self.lo_open || self.hi_open))
    }

    /// Whether every value in `self` is in `o`.
    fn within(self, o: Range) -> bool {
        let lo_ok = self.lo > o.lo || (self.lo == o.lo && (!o.lo_open || self.lo_open));
        let hi_ok = self.hi < o.hi || (self.hi == o.hi && (!o.hi_open || self.hi_open));
        lo_ok && hi_ok
    }
}

/// Per-variable ranges of an `all` list of numeric comparisons, or `None` if it has other kinds.
fn ranges(cmps: &[Cmp], domain: &dyn Fn(Var) -> Range) -> Option<Vec<(Var, Range)>> {
    let mut out: Vec<(Var, Range)> = Vec::new();
    for c in cmps {
        let (var, op, x) = match (&c.left, &c.op) {
            (Operand::Var(v), Some((op, Operand::Num(x)))) => (*v, *op, *x),
            (Operand::Num(x), Some((op, Operand::Var(v)))) => (*v, flip(*op), *x),
            _ => return None,
        };
        if c.negate {
            return None;
        }
        let r = Range::from_cmp(op, x)?;
        match out.iter_mut().find(|(v, _)| *v == var) {
            Some((_, have)) => *have = have.intersect(r),
            None => out.push((var, domain(var).intersect(r))),
        }
    }
    Some(out)
}

fn flip(op: Op) -> Op {
    match op {
        Op::Lt => Op::Gt,
        Op::Le => Op::Ge,
        Op::Gt => Op::Lt,
        Op::Ge => Op::Le,
        o => o,
    }
}

impl KindCompiler<'_> {
    /// Warn about outcome rules that no entity can reach.
    pub(super) fn check_outcomes_reachable(
        &mut self,
        rk: &RawKind,
        outcomes: &[Outcome],
        gates: &[Gate],
        floor: f64,
        max_total: f64,
    ) {
        let dims_max: Vec<f64> = rk.dimensions.iter().map(|d| d.max).collect();
        let domain = |v: Var| -> Range {
            let closed = |lo: f64, hi: f64| Range {
                lo,
                lo_open: false,
                hi,
                hi_open: false,
            };
            match v {
                Var::Total => closed(floor, max_total),
                Var::Dim(d) => closed(0.0, dims_max.get(d).copied().unwrap_or(f64::INFINITY)),
                _ => Range::all(),
            }
        };
        let forced: HashSet<usize> = gates
            .iter()
            .filter_map(|g| match g.effect {
                Effect::ForceOutcome(o) => Some(o),
                _ => None,
            })
            .collect();
        let path_of = |id: &str| {
            format!(
                "outcomes.{}.id",
                rk.outcomes.iter().position(|o| o.id == id).unwrap_or(0)
            )
        };
        let host = &*self.host;
        let text_of = |c: &Condition| -> Option<String> {
            match c {
                Condition::Script(id) => host
                    .expr(*id)
                    .map(|e| e.source.split_whitespace().collect::<Vec<_>>().join(" ")),
                _ => None,
            }
        };
        let mut warnings = Vec::new();
        for (j, oj) in outcomes.iter().enumerate() {
            if forced.contains(&j) {
                continue;
            }
            let Some(cj) = &oj.condition else {
                // The fallback: unreachable only if an earlier failing rule always holds.
                for oi in outcomes.iter().take(j) {
                    if let Some(Condition::All(ci)) = &oi.condition {
                        if !oi.passing
                            && ranges(ci, &domain)
                                .is_some_and(|r| r.iter().all(|(v, x)| domain(*v).within(*x)))
                        {
                            warnings.push((oj.id.clone(), format!("outcome `{}` can never be reached: outcome `{}` always holds before it", oj.id, oi.id)));
                        }
                    }
                }
                continue;
            };
            if let Condition::All(cmps) = cj {
                if let Some(rj) = ranges(cmps, &domain) {
                    if let Some((v, _)) = rj.iter().find(|(_, r)| r.is_empty()) {
                        let what = match v {
                            Var::Total => "total".to_string(),
                            Var::Dim(d) => rk
                                .dimensions
                                .get(*d)
                                .map(|x| x.id.clone())
                                .unwrap_or_default(),
                            _ => "a value".to_string(),
                        };
                        warnings.push((oj.id.clone(), format!("outcome `{}` can never be reached: no {what} satisfies its conditions", oj.id)));
                        continue;
                    }
                    // An earlier rule whose conditions follow from this one's always wins first.
                    let shadow = outcomes.iter().take(j).find(|oi| {
                        if oi.passing && !oj.passing {
                            return false;
                        }
                        match &oi.condition {
                            Some(Condition::All(ci)) => ranges(ci, &domain).is_some_and(|ri| {
                                ri.iter().all(|(v, r)| {
                                    rj.iter()
                                        .find(|(w, _)| w == v)
                                        .map(|(_, x)| *x)
                                        .unwrap_or(domain(*v))
                                        .within(*r)
                                })
                            }),
                            _ => false,
                        }
                    });
                    if let Some(oi) = shadow {
                        warnings.push((oj.id.clone(), format!("outcome `{}` can never be reached: every entity meeting it already meets outcome `{}`", oj.id, oi.id)));
                        continue;
                    }
                }
            }
            if let Some(tj) = text_of(cj) {
                if let Some(oi) = outcomes.iter().take(j).find(|oi| {
                    oi.condition.as_ref().and_then(text_of).as_deref() == Some(tj.as_str())
                }) {
                    warnings.push((oj.id.clone(), format!("outcome `{}` can never be reached: outcome `{}` has the same condition", oj.id, oi.id)));
                }
            }
        }
        for (id, msg) in warnings {
            let loc = self.loc(&path_of(&id));
            self.diags.push(
                Diagnostic::warning(msg, loc)
                    .with_help("reorder the outcomes or change the conditions"),
            );
        }
    }
}
