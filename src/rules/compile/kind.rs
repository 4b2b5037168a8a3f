//! A kind's assembly: its indicators, dimensions, gates, grades and outcomes put together and
//! checked to add up; dimensions, grades and the grade cover.

use super::{default_type, fmt_num, is_identifier, KindCompiler, Names};
use crate::diag::Diagnostic;
use crate::rules::interval::Join;
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::{HashMap, HashSet};

impl KindCompiler<'_> {
    /// A whole kind, or `None` when it has errors (they are pushed as found).
    pub(super) fn kind(&mut self, rk: &RawKind) -> Option<Kind> {
        let before = self
            .diags
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .count();
        if !is_identifier(&rk.kind) {
            self.err(
                format!("kind name `{}` is not a plain name", rk.kind),
                "kind",
            );
        }
        self.key_columns(rk);
        // Declared columns first: they fix types for everything that reads them.
        for (name, c) in &rk.columns {
            let path = format!("columns.{name}");
            let loc = self.loc(&path);
            let ty = c.ty.unwrap_or(if c.categories.is_some() {
                ValueType::Category
            } else {
                ValueType::Number
            });
            self.columns.push(ColumnSpec {
                name: name.clone(),
                ty,
                min: c.min,
                max: c.max,
                missing: c.missing.unwrap_or(MissingPolicy::Error),
                categories: c.categories.as_ref().map(|c| c.values()),
                category_labels: c
                    .categories
                    .as_ref()
                    .map(|c| c.labels())
                    .unwrap_or_default(),
                label: c.label.clone(),
                unit: c.unit.clone(),
                source: ColumnSource::Data,
                baseline: false,
                origin: loc,
            });
        }

        let mut dims = self.dimensions(rk);
        let scored_dims = dims.len();
        dims.extend(self.adjustment_groups(rk));
        let grades = self.grades(rk);
        let grade_ids: Vec<String> = grades.iter().map(|g| g.id.clone()).collect();
        // Indicators, then the adjustment items group by group: one list, one index space.
        let all_raw: Vec<(&RawIndicator, Option<usize>)> =
            rk.indicators
                .iter()
                .map(|ri| (ri, None))
                .chain(
                    rk.adjustments.iter().enumerate().flat_map(|(g, ra)| {
                        ra.items.iter().map(move |ri| (ri, Some(scored_dims + g)))
                    }),
                )
                .collect();
        self.ind_paths = (0..rk.indicators.len())
            .map(|i| format!("indicators.{i}"))
            .chain(rk.adjustments.iter().enumerate().flat_map(|(g, ra)| {
                (0..ra.items.len()).map(move |j| format!("adjustments.{g}.items.{j}"))
            }))
            .collect();
        let ind_sigs: Vec<(String, ValueType)> = all_raw
            .iter()
            .map(|(i, _)| (i.id.clone(), i.ty.unwrap_or(default_type(i.scoring.method))))
            .collect();
        let gate_ids: Vec<String> = rk
            .gates
            .iter()
            .map(|g| g.id.clone())
            .chain(rk.conditions.iter().map(|c| c.id.clone()))
            .collect();
        let names = Names {
            dims: &dims,
            indicators: &ind_sigs,
            gates: &gate_ids,
            grades: &grade_ids,
        };

        let mut indicators = Vec::new();
        let mut seen = HashSet::new();
        for (i, (ri, group)) in all_raw.iter().enumerate() {
            if !seen.insert(ri.id.clone()) {
                let what = if group.is_some() {
                    "adjustment item"
                } else {
                    "indicator"
                };
                self.err(
                    format!("{what} id `{}` is used twice", ri.id),
                    &format!("{}.id", self.ind_path(i)),
                );
                continue;
            }
            if let Some(ind) = self.indicator(i, ri, *group, &names) {
                indicators.push(ind);
            }
        }
        // Points must add up to each dimension's maximum.
        // Skip sums when an indicator could not be read or compiled: its error is the real one.
        let skip_sums = !self.remap.is_empty() || indicators.len() != all_raw.len();
        let settled = if skip_sums {
            Vec::new()
        } else {
            self.settle_caps(rk, scored_dims, &dims, &indicators)
        };
        let mut derived = Vec::new();
        for (d, dim) in dims
            .iter()
            .enumerate()
            .take(scored_dims)
            .filter(|_| !skip_sums)
        {
            let sum: f64 = indicators
                .iter()
                .filter(|x| x.dim == d)
                .map(|x| x.points)
                .sum();
            if self.derive_maximums {
                derived.push((d, sum));
            } else if (sum - dim.max).abs() > 1e-9 {
                let n = indicators.iter().filter(|x| x.dim == d).count();
                // The sum in the committee's words: each indicator's points, then the maximum.
                let parts: Vec<String> = indicators
                    .iter()
                    .filter(|x| x.dim == d)
                    .map(|x| {
                        format!(
                            "{} {}",
                            crate::words::short_label(&x.label),
                            fmt_num(x.points)
                        )
                    })
                    .collect();
                self.err_help(
                    format!(
                        "the {n} indicator{} of dimension `{}` add up to {} points, but its `max` is {}",
                        crate::diag::plural(n),
                        dim.id,
                        fmt_num(sum),
                        fmt_num(dim.max)
                    ),
                    &format!("dimensions.{d}.max"),
                    format!(
                        "{}：{} = {}，应为 {} (change the points to add up to {}, or the maximum to {})",
                        crate::words::short_label(&dim.label),
                        parts.join(" + "),
                        fmt_num(sum),
                        fmt_num(dim.max),
                        fmt_num(dim.max),
                        fmt_num(sum)
                    ),
                );
            }
        }
        let (floor, ceiling) = self.total_bounds(rk, &dims);
        let mut max_total: f64 = dims
            .iter()
            .enumerate()
            .filter(|(_, d)| d.role != DimRole::Deduct)
            .map(|(i, d)| {
                settled
                    .iter()
                    .find(|(s, _)| *s == i)
                    .map_or(d.max, |(_, m)| *m)
            })
            .sum();
        // An empty sum is -0: a kind without dimensions has a highest total of 0.
        max_total += 0.0;
        if let Some(c) = ceiling {
            max_total = max_total.min(c);
        }
        if !self.derive_maximums {
            self.check_grade_cover(rk, &grades, &dims, floor, max_total);
        }

        let outcomes = self.outcomes(rk, &names);
        let outcome_ids: Vec<String> = outcomes.iter().map(|o| o.id.clone()).collect();
        let mut gates = Vec::new();
        let mut gseen = HashSet::new();
        for (i, rg) in rk.gates.iter().enumerate() {
            if !gseen.insert(rg.id.clone()) {
                self.err(
                    format!("gate id `{}` is used twice", rg.id),
                    &format!("gates.{i}.id"),
                );
                continue;
            }
            // A gate's id is read as the gate wherever a name is read: a column of the same
            // name could no longer be read at all.
            if self.columns.iter().any(|c| c.name == rg.id) {
                let loc = self.value_loc(&format!("gates.{i}.id"));
                self.diags.push(
                    Diagnostic::error(
                        format!(
                            "gate id `{}` is also the name of a column the rules read: conditions and expressions would read the gate, never the column",
                            rg.id
                        ),
                        loc,
                    )
                    .with_help(format!("rename the gate, for example to `{}_veto`", rg.id)),
                );
            }
            self.id_taken("gate", &rg.id, &format!("gates.{i}.id"), &dims);
            if let Some(g) = self.gate(i, rg, &names, &indicators, &outcome_ids) {
                gates.push(g);
            }
        }
        for (i, rc) in rk.conditions.iter().enumerate() {
            if !gseen.insert(rc.id.clone()) {
                self.err(
                    format!(
                        "condition id `{}` is also a gate's or another condition's",
                        rc.id
                    ),
                    &format!("conditions.{i}.id"),
                );
                continue;
            }
            self.id_taken("condition", &rc.id, &format!("conditions.{i}.id"), &dims);
            if let Some(g) = self.required(i, rc, &names) {
                gates.push(g);
            }
        }
        self.check_outcomes_reachable(rk, &outcomes, &gates, floor, max_total);
        let text_columns = rk.group_by.clone();
        let (members, member_link) = self.members(rk);
        let link = self.link(rk).or(member_link);
        let through = self.through(&link);
        let rank = self.rank(rk, &names);
        let outcome_ids: Vec<String> = outcomes.iter().map(|o| o.id.clone()).collect();
        let (quotas, top, fund) = self.population(rk, &grade_ids, &outcome_ids);
        let cascade = self.cascade(rk, &grade_ids);

        let mut names_map = HashMap::new();
        for (i, p) in self.params.iter().enumerate() {
            names_map.insert(p.name.clone(), Var::Param(i));
        }
        for (i, d) in dims.iter().enumerate() {
            names_map.insert(d.id.clone(), Var::Dim(i));
        }
        for (i, g) in gates.iter().enumerate() {
            names_map.insert(g.id.clone(), Var::Gate(i));
        }
        for (i, c) in self.columns.iter().enumerate() {
            names_map.entry(c.name.clone()).or_insert(Var::Column(i));
        }
        let needs_baseline = self.columns.iter().any(|c| c.baseline);
        let errors = self
            .diags
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .count();
        if errors > before {
            return None;
        }
        for (d, sum) in derived.into_iter().chain(settled) {
            if let Some(dim) = dims.get_mut(d) {
                dim.max = sum;
            }
        }
        Some(Kind {
            text_columns,
            link,
            members,
            through,
            rank,
            quotas,
            top,
            fund,
            cascade,
            name: rk.kind.clone(),
            label: rk.label.clone().unwrap_or_else(|| rk.kind.clone()),
            table: rk.table.clone().unwrap_or_else(|| format!("{}s", rk.kind)),
            id_column: rk.id_column.first().to_string(),
            key_columns: rk.id_column.rest().to_vec(),
            label_column: rk.label_column.clone(),
            group_by: rk.group_by.clone(),
            columns: std::mem::take(&mut self.columns),
            dims,
            indicators,
            gates,
            grades,
            outcomes,
            needs_baseline,
            names: names_map,
            max_total,
            floor,
            ceiling,
        })
    }

    fn dimensions(&mut self, rk: &RawKind) -> Vec<Dimension> {
        let mut dims = Vec::new();
        let mut seen = HashSet::new();
        for (i, d) in rk.dimensions.iter().enumerate() {
            if !seen.insert(d.id.clone()) {
                self.err(
                    format!("dimension id `{}` is used twice", d.id),
                    &format!("dimensions.{i}.id"),
                );
                continue;
            }
            if !is_identifier(&d.id) {
                self.err(
                    format!("dimension id `{}` is not a plain name", d.id),
                    &format!("dimensions.{i}.id"),
                );
            }
            if !(d.max.is_finite() && d.max > 0.0) {
                self.err(
                    "a dimension's `max` must be a positive number",
                    &format!("dimensions.{i}.max"),
                );
            }
            let min = self
                .opt_num(&d.min, &format!("dimensions.{i}.min"))
                .flatten();
            if let Some(m) = min {
                if m < 0.0 || m > d.max {
                    self.err(
                        format!(
                            "minimum {} is outside 0..{} for dimension `{}`",
                            fmt_num(m),
                            fmt_num(d.max),
                            d.id
                        ),
                        &format!("dimensions.{i}.min"),
                    );
                }
            }
            let min_param = match &d.min {
                Some(NumRef::Param(p)) => Some(p.clone()),
                _ => None,
            };
            dims.push(Dimension {
                id: d.id.clone(),
                label: d.label.clone(),
                max: d.max,
                min,
                min_param,
                role: DimRole::Score,
            });
        }
        dims
    }

    fn grades(&mut self, rk: &RawKind) -> Vec<Grade> {
        let mut grades = Vec::new();
        let mut seen = HashSet::new();
        for (i, g) in rk.grades.iter().enumerate() {
            if !seen.insert(g.id.clone()) {
                self.err(
                    format!("grade id `{}` is used twice", g.id),
                    &format!("grades.{i}.id"),
                );
                continue;
            }
            self.spec_params.clear();
            match self.interval(&g.range) {
                Ok(interval) => grades.push(Grade {
                    id: g.id.clone(),
                    label: g.label.clone(),
                    interval,
                    params: std::mem::take(&mut self.spec_params),
                }),
                Err(Some(e)) => {
                    let loc = self.value_loc(&format!("grades.{i}.range"));
                    let mut d = Diagnostic::error(format!("bad grade range: {e}"), loc);
                    // A bound that names a parameter: a what-if moved it past the grade.
                    if e.ends_with(')') && e.contains(" = ") {
                        d = d.with_help(format!(
                            "this grade's bounds follow the parameters they name: keep the value between them, or give the grades new ranges as well (`set: {}.grades.{}.range: \"[…]\"`)",
                            rk.kind, g.id
                        ));
                    }
                    self.diags.push(d);
                }
                // A bound whose parameter failed: kept, unchecked, so nothing else that names
                // the grade fails with it.
                Err(None) => grades.push(Grade {
                    id: g.id.clone(),
                    label: g.label.clone(),
                    interval: crate::rules::interval::Interval {
                        lo: f64::NAN,
                        lo_incl: true,
                        hi: f64::NAN,
                        hi_incl: true,
                    },
                    params: Vec::new(),
                }),
            }
        }
        // Best first: the highest interval leads.
        grades.sort_by(|a, b| b.interval.lo.total_cmp(&a.interval.lo));
        grades
    }

    fn check_grade_cover(
        &mut self,
        rk: &RawKind,
        grades: &[Grade],
        dims: &[Dimension],
        floor: f64,
        max_total: f64,
    ) {
        // Grades are optional: a kind without them is decided by its outcomes alone. A grade
        // bounded by a parameter that failed is not checked.
        if grades.is_empty() || grades.iter().any(|g| g.interval.lo.is_nan()) {
            return;
        }
        let path_of = |id: &str| {
            let i = rk.grades.iter().position(|g| g.id == id).unwrap_or(0);
            format!("grades.{i}.range")
        };
        // A grade a parameter emptied (合格 from a pass line moved up to its top) holds no
        // total and is passed over.
        let mut asc: Vec<&Grade> = grades.iter().filter(|g| !g.interval.is_empty()).collect();
        asc.reverse();
        for w in asc.windows(2) {
            let (Some(a), Some(b)) = (w.first(), w.get(1)) else {
                continue;
            };
            match a.interval.meets(&b.interval) {
                Join::Touch => {}
                Join::Gap => self.err(
                    format!(
                        "grades `{}` {} and `{}` {} leave a gap: a total there has no grade",
                        a.id, a.interval, b.id, b.interval
                    ),
                    &path_of(&b.id),
                ),
                Join::Overlap => self.err(
                    format!(
                        "grades `{}` {} and `{}` {} overlap: a total there would have two grades",
                        a.id, a.interval, b.id, b.interval
                    ),
                    &path_of(&b.id),
                ),
            }
        }
        if let (Some(lo), Some(hi)) = (asc.first(), asc.last()) {
            if !lo.interval.contains(floor) && lo.interval.lo > floor {
                self.err(
                    format!(
                        "no grade covers totals from {} to {}",
                        fmt_num(floor),
                        fmt_num(lo.interval.lo)
                    ),
                    &path_of(&lo.id),
                );
            }
            if !hi.interval.contains(max_total) && hi.interval.hi < max_total {
                // Where the maximum comes from, in the committee's words.
                let counted: Vec<&Dimension> =
                    dims.iter().filter(|d| d.role != DimRole::Deduct).collect();
                let parts: Vec<String> = counted
                    .iter()
                    .map(|d| format!("{} {}", crate::words::short_label(&d.label), fmt_num(d.max)))
                    .collect();
                let sum: f64 = counted.iter().map(|d| d.max).sum();
                let help = if parts.len() > 1 && (sum - max_total).abs() < 1e-9 {
                    format!(
                        "{} = {}，等次只到 {} (the dimensions' maxima add up to {}; the grades stop at {})",
                        parts.join(" + "),
                        fmt_num(max_total),
                        fmt_num(hi.interval.hi),
                        fmt_num(max_total),
                        fmt_num(hi.interval.hi)
                    )
                } else {
                    format!("extend the top grade to {}", fmt_num(max_total))
                };
                self.err_help(
                    format!(
                        "no grade covers totals from {} to the maximum {}",
                        fmt_num(hi.interval.hi),
                        fmt_num(max_total)
                    ),
                    &path_of(&hi.id),
                    help,
                );
            }
        }
    }
}

impl KindCompiler<'_> {
    /// A gate's or condition's id that a parameter or a dimension already has: a name reads the
    /// parameter, then the dimension, so the gate could never be read by its id.
    fn id_taken(&mut self, what: &str, id: &str, path: &str, dims: &[Dimension]) {
        let other = if self.params.iter().any(|p| p.name == id) {
            "the name of a parameter"
        } else if dims.iter().any(|d| d.id == id) {
            "the id of a dimension"
        } else {
            return;
        };
        let loc = self.value_loc(path);
        self.diags.push(
            Diagnostic::error(
                format!("{what} id `{id}` is also {other}: conditions would read that, never the {what}"),
                loc,
            )
            .with_help(format!("give the {what} another id, for example `{id}_{what}`")),
        );
    }
}
