//! Compiling what happens to the total after the dimensions: bonus and deduction groups
//! (加分项, 扣分项) with their caps, the total's floor and ceiling, and the targets of `zero`
//! gates (a condition that scores an indicator, a dimension or a group 0).

use super::{fmt_num, is_identifier, KindCompiler};
use crate::diag::{did_you_mean, Diagnostic};
use crate::rules::model::{DimRole, Dimension, Indicator};
use crate::rules::raw::{AdjustEffect, RawKind};

impl KindCompiler<'_> {
    /// The adjustment groups as dimensions after the scored ones. A group's `max` is its cap,
    /// or (settled once its items are compiled) the sum of its items' points.
    pub(super) fn adjustment_groups(&mut self, rk: &RawKind) -> Vec<Dimension> {
        let mut groups = Vec::new();
        for (g, ra) in rk.adjustments.iter().enumerate() {
            let base = format!("adjustments.{g}");
            if !is_identifier(&ra.id) {
                self.err(
                    format!("adjustment group id `{}` is not a plain name", ra.id),
                    &format!("{base}.id"),
                );
            }
            let taken_by_dim = rk.dimensions.iter().any(|d| d.id == ra.id);
            let taken_by_group = rk.adjustments.iter().take(g).any(|x| x.id == ra.id);
            if taken_by_dim || taken_by_group {
                let other = if taken_by_dim {
                    "a dimension"
                } else {
                    "another adjustment group"
                };
                self.err(
                    format!("adjustment group id `{}` is also the id of {other}", ra.id),
                    &format!("{base}.id"),
                );
            }
            if ra.items.is_empty() {
                self.err(
                    format!("adjustment group `{}` has no items", ra.id),
                    &format!("{base}.items"),
                );
            }
            let cap = self.opt_num(&ra.cap, &format!("{base}.cap")).flatten();
            if cap.is_some_and(|c| c < 0.0) {
                self.err(
                    "a group's `cap` must not be negative (0 switches the group off)",
                    &format!("{base}.cap"),
                );
            }
            groups.push(Dimension {
                id: ra.id.clone(),
                label: ra.label.clone(),
                max: cap.unwrap_or(0.0),
                min: None,
                min_param: None,
                role: match ra.effect {
                    AdjustEffect::Add => DimRole::Add,
                    AdjustEffect::Deduct => DimRole::Deduct,
                },
            });
        }
        groups
    }

    /// The maximum of each group without a cap, or with one its items cannot reach: its
    /// items' sum (dimension index, maximum). Warns of a cap the items can never reach.
    pub(super) fn settle_caps(
        &mut self,
        rk: &RawKind,
        scored: usize,
        dims: &[Dimension],
        indicators: &[Indicator],
    ) -> Vec<(usize, f64)> {
        let mut settled = Vec::new();
        for (g, ra) in rk.adjustments.iter().enumerate() {
            let d = scored + g;
            let sum: f64 = indicators
                .iter()
                .filter(|x| x.dim == d)
                .map(|x| x.points)
                .sum();
            let Some(dim) = dims.get(d) else {
                continue;
            };
            if ra.cap.is_none() {
                settled.push((d, sum));
            } else if dim.max > sum + 1e-9 {
                // The group can give no more than its items do.
                settled.push((d, sum));
                let (max, id) = (dim.max, dim.id.clone());
                let loc = self.value_loc(&format!("adjustments.{g}.cap"));
                self.diags.push(
                    Diagnostic::warning(
                        format!(
                            "the cap {} of group `{id}` is never reached: its items give at most {} points",
                            fmt_num(max),
                            fmt_num(sum)
                        ),
                        loc,
                    )
                    .with_help("lower the cap, or raise the items' `points` (each item's own cap)"),
                );
            }
        }
        settled
    }

    /// The total's floor (0 unless declared) and ceiling, checked.
    pub(super) fn total_bounds(&mut self, rk: &RawKind, dims: &[Dimension]) -> (f64, Option<f64>) {
        let Some(t) = &rk.total else {
            return (0.0, None);
        };
        if !dims.iter().any(Dimension::is_adjustment) {
            let loc = self.loc("total");
            self.diags.push(
                Diagnostic::error(
                    format!(
                        "`total` has no effect: kind `{}` has no bonus or deduction items",
                        rk.kind
                    ),
                    loc,
                )
                .with_help(
                    "the floor and ceiling bound the total after `adjustments:`; add a group there \
                     or remove `total`",
                ),
            );
        }
        let floor = self
            .opt_num(&t.floor, "total.floor")
            .flatten()
            .unwrap_or(0.0);
        let ceiling = self.opt_num(&t.ceiling, "total.ceiling").flatten();
        if let Some(c) = ceiling {
            if c <= floor {
                self.err(
                    format!(
                        "the ceiling {} is not above the floor {}",
                        fmt_num(c),
                        fmt_num(floor)
                    ),
                    "total.ceiling",
                );
            }
        }
        (floor, ceiling)
    }

    /// The indicators a `zero` gate scores 0: each name is an indicator (or adjustment item),
    /// a dimension or an adjustment group (all its items).
    pub(super) fn zero_targets(
        &mut self,
        base: &str,
        names: &[String],
        dims: &[Dimension],
        indicators: &[Indicator],
        attached: Option<usize>,
    ) -> Option<Vec<usize>> {
        if names.is_empty() {
            return match attached {
                Some(i) => Some(vec![i]),
                None => {
                    self.err(
                        "effect `zero` needs `zero:`, the indicators, dimensions or groups whose points become 0",
                        &format!("{base}.effect"),
                    );
                    None
                }
            };
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (j, name) in names.iter().enumerate() {
            if let Some(i) = indicators.iter().position(|x| &x.id == name) {
                out.push(i);
            } else if let Some(d) = dims.iter().position(|x| &x.id == name) {
                out.extend(
                    indicators
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| x.dim == d)
                        .map(|(i, _)| i),
                );
            } else {
                let known = indicators
                    .iter()
                    .map(|x| x.id.as_str())
                    .chain(dims.iter().map(|d| d.id.as_str()));
                let help = did_you_mean(name, known).map(|s| format!("did you mean `{s}`?"));
                let loc = self.value_loc(&format!("{base}.zero.{j}"));
                self.diags.push(
                    Diagnostic::error(
                        format!("`{name}` is no indicator, dimension or adjustment group"),
                        loc,
                    )
                    .with_help_opt(help),
                );
                ok = false;
            }
        }
        out.sort_unstable();
        out.dedup();
        ok.then_some(out)
    }
}
