//! Raw → compiled: resolve every name, turn parameters into numbers, compile expressions, and
//! check that the criteria hold together (points add up, bands and grades have no gaps or
//! overlaps, outcomes can be reached). Problems are collected, never thrown one at a time.

use super::cond::parse_cmp;
use super::interval::{Interval, Join};
use super::load::{RawRuleSet, RuleFiles, YamlFile};
use super::model::*;
use super::raw::*;
use super::units::link_cascades;
use crate::diag::{did_you_mean, Diagnostic, Location};
use crate::script::{Returns, ScriptHost, TextOrigin};
use std::collections::{HashMap, HashSet};

/// The data columns each kind reads, known even when the rules have errors (for `check`).
#[derive(Debug, Clone)]
pub struct ColumnNeeds {
    pub kind: String,
    pub table: String,
    pub id_column: String,
    /// Further key columns, for a kind keyed by several.
    pub key_columns: Vec<String>,
    pub columns: Vec<ColumnSpec>,
    /// Whether the kind must have its own table (it reads columns or labels from it).
    pub needs_table: bool,
}

/// Compile a typed rule set. Returns the rule set only when there are no errors.
pub fn compile(files: &RuleFiles, raw: &RawRuleSet) -> (Option<RuleSet>, Vec<Diagnostic>) {
    let (rs, diags, _) = compile_with_needs(files, raw);
    (rs, diags)
}

/// Compile, also returning the columns each kind reads.
pub fn compile_with_needs(
    files: &RuleFiles,
    raw: &RawRuleSet,
) -> (Option<RuleSet>, Vec<Diagnostic>, Vec<ColumnNeeds>) {
    let mut diags = Vec::new();
    let hf = &files.header;
    let h = &raw.header;
    let precision = h.precision.unwrap_or(2);
    if precision > 9 {
        diags.push(Diagnostic::error(
            "`precision` must be between 0 and 9 decimals",
            hf.loc("precision"),
        ));
    }
    for name in h.parameters.keys() {
        if !is_identifier(name) {
            diags.push(
                Diagnostic::error(format!("parameter name `{name}` is not a plain name"), hf.loc(&format!("parameters.{name}")))
                    .with_help("use letters, digits and `_`, starting with a letter, so expressions can read it"),
            );
        }
    }
    let sources: Vec<_> = files.scripts.iter().map(|s| s.source.clone()).collect();
    // The helper scripts come first, as formulas may call them; their problems are listed
    // after the parameters', in file order.
    let mut script_diags = Vec::new();
    let mut host = ScriptHost::new(&sources, &mut script_diags);
    let super::params::Settled { params, unsettled } = super::params::settle(
        hf,
        &h.parameters,
        &files.param_overrides,
        &mut host,
        &mut diags,
    );
    diags.extend(script_diags);
    // A parameter a formula reads is used, through the parameter computed from it.
    let mut used_params: HashSet<String> = params
        .iter()
        .filter_map(|p| p.formula.as_ref())
        .flat_map(|f| crate::script::identifiers(f))
        .map(|(n, _, _)| n)
        .filter(|n| h.parameters.contains_key(n))
        .collect();

    let primary_name = h.primary.clone().unwrap_or_else(|| "village".to_string());
    // The primary kind compiles first: units aggregate over it and read its names.
    let mut order: Vec<usize> = (0..raw.kinds.len()).collect();
    order.sort_by_key(|&i| raw.kinds.get(i).is_none_or(|k| k.kind != primary_name));
    let mut primary: Option<Kind> = None;
    let mut units: Vec<Kind> = Vec::new();
    let mut failed_needs: Vec<ColumnNeeds> = Vec::new();
    let mut seen_kinds: HashMap<String, usize> = HashMap::new();
    let no_remap = super::load::Remap::default();
    for i in order {
        let (Some(rk), Some(file)) = (raw.kinds.get(i), files.kinds.get(i)) else {
            continue;
        };
        let remap = raw.remaps.get(i).unwrap_or(&no_remap);
        if let Some(&prev) = seen_kinds.get(&rk.kind) {
            let other = files
                .kinds
                .get(prev)
                .map(|f| f.source.name.clone())
                .unwrap_or_default();
            diags.push(Diagnostic::error(
                format!(
                    "entity kind `{}` is defined twice (also in `{other}`)",
                    rk.kind
                ),
                file.loc("kind"),
            ));
            continue;
        }
        seen_kinds.insert(rk.kind.clone(), i);
        let is_primary = rk.kind == primary_name;
        let mut kc = KindCompiler {
            file,
            derive_maximums: files.derive_maximums,
            params: &params,
            host: &mut host,
            diags: &mut diags,
            used_params: &mut used_params,
            columns: Vec::new(),
            remap,
            primary: if is_primary { None } else { primary.as_mut() },
            is_primary,
            ind_paths: Vec::new(),
        };
        match kc.kind(rk) {
            Some(k) if is_primary => primary = Some(k),
            Some(k) => units.push(k),
            None => {
                let columns = std::mem::take(&mut kc.columns);
                failed_needs.push(ColumnNeeds {
                    kind: rk.kind.clone(),
                    table: rk.table.clone().unwrap_or_else(|| format!("{}s", rk.kind)),
                    id_column: rk.id_column.first().to_string(),
                    key_columns: rk.id_column.rest().to_vec(),
                    needs_table: is_primary
                        || rk.label_column.is_some()
                        || columns.iter().any(|c| c.from_data()),
                    columns,
                })
            }
        }
    }
    link_cascades(&mut units, raw, files, &mut diags);

    if primary.is_none() && !raw.kinds.iter().any(|k| k.kind == primary_name) {
        let names: Vec<&str> = raw.kinds.iter().map(|k| k.kind.as_str()).collect();
        let help = match did_you_mean(&primary_name, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "the kinds defined are {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let loc = if h.primary.is_some() {
            hf.loc("primary")
        } else {
            hf.loc("name")
        };
        diags.push(
            Diagnostic::error(
                format!("no entity kind `{primary_name}` for the primary table"),
                loc,
            )
            .with_help(help),
        );
    }

    let mut totals = Vec::new();
    {
        if let Some(kind) = primary.as_mut() {
            for (i, t) in h.totals.iter().enumerate() {
                let loc = hf.loc(&format!("totals.{i}.column"));
                let col = declare_column(&mut kind.columns, &t.column, None, loc);
                match col {
                    Ok(c) => totals.push(Total {
                        id: t.id.clone(),
                        label: t.label.clone(),
                        column: c,
                        unit: t.unit.clone(),
                    }),
                    Err(d) => diags.push(d),
                }
            }
        }
    }

    let mut uncertainty = Vec::new();
    for (i, u) in h.uncertainty.iter().enumerate() {
        let path = format!("uncertainty.{i}");
        let Some(p) = params.iter().find(|p| p.name == u.parameter) else {
            let help = did_you_mean(&u.parameter, params.iter().map(|p| p.name.as_str()))
                .map(|s| format!("did you mean `{s}`?"));
            diags.push(
                Diagnostic::error(
                    format!("unknown parameter `{}`", u.parameter),
                    hf.value_loc(&format!("{path}.parameter")),
                )
                .with_help_opt(help),
            );
            continue;
        };
        if unsettled.contains(&p.name) {
            // Its own error says why it has no value.
            continue;
        }
        if let Some(f) = &p.formula {
            let reads: Vec<String> = crate::script::identifiers(f)
                .into_iter()
                .map(|(n, _, _)| n)
                .filter(|n| params.iter().any(|q| &q.name == n))
                .fold(Vec::new(), |mut v, n| {
                    if !v.contains(&n) {
                        v.push(n);
                    }
                    v
                });
            let by_scenario = files
                .param_overrides
                .iter()
                .rev()
                .find(|o| o.name == p.name)
                .is_some_and(|o| o.origin.is_some() && matches!(o.value, ParamValue::Formula(_)));
            let help = if by_scenario {
                "the scenario gives it this formula: give the scenario its own `uncertainty:` list without it".to_string()
            } else if reads.is_empty() {
                "give it a number in `parameters:` to let it vary".to_string()
            } else {
                format!(
                    "give the uncertainty to what it is computed from: {}",
                    reads
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            diags.push(
                Diagnostic::error(
                    format!(
                        "parameter `{}` is computed (`{f}`), so it is not free to vary",
                        p.name
                    ),
                    hf.value_loc(&format!("{path}.parameter")),
                )
                .with_help(help),
            );
            continue;
        }
        let ok_mode = u.mode.is_none_or(|m| m >= u.min && m <= u.max);
        if !(u.min.is_finite() && u.max.is_finite() && u.min <= u.max && ok_mode) {
            diags.push(Diagnostic::error(
                "an uncertainty range needs `min` ≤ `mode` ≤ `max`",
                hf.loc(&path),
            ));
            continue;
        }
        if p.value < u.min || p.value > u.max {
            diags.push(Diagnostic::warning(
                format!(
                    "parameter `{}` is {} but its uncertainty range is [{}, {}]",
                    p.name,
                    fmt_num(p.value),
                    fmt_num(u.min),
                    fmt_num(u.max)
                ),
                hf.loc(&path),
            ));
        }
        uncertainty.push(Uncertain {
            name: p.name.clone(),
            min: u.min,
            max: u.max,
            mode: u.mode,
            nominal: p.value,
        });
    }

    for p in &params {
        if !used_params.contains(&p.name) {
            diags.push(
                Diagnostic::warning(
                    format!("parameter `{}` is never used", p.name),
                    hf.loc(&format!("parameters.{}", p.name)),
                )
                .with_help("use it in a scoring spec, a minimum or a condition, or remove it"),
            );
        }
    }

    let has_errors = diags
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Error);
    // What each kind reads from the data, known even when compiling failed (for `check`).
    let needs: Vec<ColumnNeeds> = primary
        .iter()
        .chain(&units)
        .map(|k| ColumnNeeds {
            kind: k.name.clone(),
            table: k.table.clone(),
            id_column: k.id_column.clone(),
            key_columns: k.key_columns.clone(),
            columns: k.columns.clone(),
            needs_table: k.link.is_none()
                || k.label_column.is_some()
                || k.columns.iter().any(|c| c.from_data()),
        })
        .chain(failed_needs)
        .collect();
    let Some(primary) = primary.filter(|_| !has_errors) else {
        return (None, diags, needs);
    };
    // Each kind's rhai gates, compiled together: one call per entity evaluates them all.
    for kind in std::iter::once(&primary).chain(&units) {
        let (gates, exprs) = crate::script::batchable_gates(kind, &host);
        if gates.len() >= 2 {
            host.compile_batch(&exprs);
        }
    }
    (
        Some(RuleSet {
            name: h.name.0.clone(),
            version: h.version.0.clone(),
            period: h.period.as_ref().map(|p| p.0.clone()),
            description: h.description.clone(),
            precision,
            params,
            primary,
            units,
            totals,
            scripts: host,
            sha256: files.sha256.clone(),
            file_hashes: files.file_hashes.clone(),
            uncertainty,
        }),
        diags,
        needs,
    )
}

/// Whether `s` is a plain name expressions can read.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Add (or find) a column, checking its type agrees with earlier uses.
pub(super) fn declare_column(
    columns: &mut Vec<ColumnSpec>,
    name: &str,
    ty: Option<ValueType>,
    origin: Location,
) -> Result<usize, Diagnostic> {
    if let Some(i) = columns.iter().position(|c| c.name == name) {
        if let (Some(want), Some(have)) = (ty, columns.get(i).map(|c| c.ty)) {
            if want != have && !(numeric(want) && numeric(have)) {
                return Err(Diagnostic::error(
                    format!(
                        "column `{name}` is read as {} here but as {} elsewhere",
                        type_name(want),
                        type_name(have)
                    ),
                    origin,
                ));
            }
        }
        return Ok(i);
    }
    columns.push(ColumnSpec::data(
        name,
        ty.unwrap_or(ValueType::Number),
        origin,
    ));
    Ok(columns.len() - 1)
}

fn numeric(t: ValueType) -> bool {
    matches!(t, ValueType::Number | ValueType::Integer)
}

/// A type's name in messages.
pub fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Number => "a number",
        ValueType::Integer => "an integer",
        ValueType::Bool => "a true/false value",
        ValueType::Category => "a category",
    }
}

pub(super) struct KindCompiler<'a> {
    pub(super) file: &'a YamlFile,
    /// Dimension maximums follow their indicators' points (sensitivity draws).
    pub(super) derive_maximums: bool,
    pub(super) params: &'a [Param],
    pub(super) host: &'a mut ScriptHost,
    pub(super) diags: &'a mut Vec<Diagnostic>,
    pub(super) used_params: &'a mut HashSet<String>,
    pub(super) columns: Vec<ColumnSpec>,
    /// Unreadable elements set aside: paths are mapped back, and sums are not checked.
    pub(super) remap: &'a super::load::Remap,
    /// For a unit kind: the compiled primary kind, whose names aggregates read (and to which
    /// they may add columns).
    pub(super) primary: Option<&'a mut Kind>,
    pub(super) is_primary: bool,
    /// Each indicator's path in the file: `indicators.3`, or `adjustments.0.items.2` for an
    /// adjustment item (indicators first, then the items group by group).
    pub(super) ind_paths: Vec<String>,
}

/// What a name may refer to at a given point of the evaluation.
#[derive(Clone, Copy)]
pub(super) struct Scope {
    pub(super) max_stage: u8,
    /// The indicator a gate is attached to (`value`, `points`).
    pub(super) indicator: Option<usize>,
}

pub(super) struct Names<'k> {
    pub(super) dims: &'k [Dimension],
    pub(super) indicators: &'k [(String, ValueType)],
    pub(super) gates: &'k [String],
    pub(super) grades: &'k [String],
}

impl KindCompiler<'_> {
    pub(super) fn loc(&self, path: &str) -> Location {
        self.file.loc(&self.remap.original(path))
    }

    pub(super) fn value_loc(&self, path: &str) -> Location {
        self.file.value_loc(&self.remap.original(path))
    }

    /// The path of indicator `i` (indicators, then adjustment items) in the file.
    pub(super) fn ind_path(&self, i: usize) -> String {
        self.ind_paths.get(i).cloned().unwrap_or_default()
    }

    pub(super) fn err(&mut self, msg: impl Into<String>, path: &str) {
        let loc = self.loc(path);
        self.diags.push(Diagnostic::error(msg, loc));
    }

    fn num(&mut self, r: &NumRef, path: &str) -> Option<f64> {
        match r {
            NumRef::Num(x) if x.is_finite() => Some(*x),
            NumRef::Num(_) => {
                self.err("expected a finite number", path);
                None
            }
            NumRef::Param(name) => {
                match self.params.iter().find(|p| &p.name == name) {
                    Some(p) => {
                        self.used_params.insert(name.clone());
                        Some(p.value)
                    }
                    None => {
                        let help = did_you_mean(name, self.params.iter().map(|p| p.name.as_str()))
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "declare it under `parameters:` in `ruleset.yaml`, or write a number".into());
                        let loc = self.value_loc(path);
                        self.diags.push(
                            Diagnostic::error(format!("unknown parameter `{name}`"), loc)
                                .with_help(help),
                        );
                        None
                    }
                }
            }
        }
    }

    pub(super) fn opt_num(&mut self, r: &Option<NumRef>, path: &str) -> Option<Option<f64>> {
        match r {
            None => Some(None),
            Some(r) => self.num(r, path).map(Some),
        }
    }

    fn kind(&mut self, rk: &RawKind) -> Option<Kind> {
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
                categories: c.categories.clone(),
                label: c.label.clone(),
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
                self.err(
                    format!(
                        "the {n} indicator{} of dimension `{}` add up to {} points, but its `max` is {}",
                        crate::diag::plural(n),
                        dim.id,
                        fmt_num(sum),
                        fmt_num(dim.max)
                    ),
                    &format!("dimensions.{d}.max"),
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
        if let Some(c) = ceiling {
            max_total = max_total.min(c);
        }
        if !self.derive_maximums {
            self.check_grade_cover(rk, &grades, floor, max_total);
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
            if let Some(g) = self.required(i, rc, &names) {
                gates.push(g);
            }
        }
        self.check_outcomes_reachable(rk, &outcomes, &gates, floor, max_total);
        if self.is_primary {
            self.unused_on_primary(rk);
        }
        let text_columns = rk.group_by.clone();
        let link = self.link(rk);
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
            match Interval::parse(&g.range) {
                Ok(interval) => grades.push(Grade {
                    id: g.id.clone(),
                    label: g.label.clone(),
                    interval,
                }),
                Err(e) => {
                    let loc = self.value_loc(&format!("grades.{i}.range"));
                    self.diags
                        .push(Diagnostic::error(format!("bad grade range: {e}"), loc));
                }
            }
        }
        // Best first: the highest interval leads.
        grades.sort_by(|a, b| b.interval.lo.total_cmp(&a.interval.lo));
        grades
    }

    fn check_grade_cover(&mut self, rk: &RawKind, grades: &[Grade], floor: f64, max_total: f64) {
        // Grades are optional: a kind without them is decided by its outcomes alone.
        if grades.is_empty() {
            return;
        }
        let path_of = |id: &str| {
            let i = rk.grades.iter().position(|g| g.id == id).unwrap_or(0);
            format!("grades.{i}.range")
        };
        let mut asc: Vec<&Grade> = grades.iter().collect();
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
                self.err(
                    format!(
                        "no grade covers totals from {} to the maximum {}",
                        fmt_num(hi.interval.hi),
                        fmt_num(max_total)
                    ),
                    &path_of(&hi.id),
                );
            }
        }
    }

    fn indicator(
        &mut self,
        i: usize,
        ri: &RawIndicator,
        group: Option<usize>,
        names: &Names,
    ) -> Option<Indicator> {
        let base = self.ind_path(i);
        if !is_identifier(&ri.id) {
            self.err(
                format!("indicator id `{}` is not a plain name", ri.id),
                &format!("{base}.id"),
            );
        }
        let scored = names.dims.iter().filter(|d| !d.is_adjustment());
        let dim = match (group, &ri.dimension) {
            (Some(g), None) => Some(g),
            (Some(_), Some(_)) => {
                let loc = self.loc(&format!("{base}.dimension"));
                self.diags.push(
                    Diagnostic::error(
                        format!("adjustment item `{}` takes no `dimension`", ri.id),
                        loc,
                    )
                    .with_help("an item belongs to the group it is listed in; remove `dimension`"),
                );
                None
            }
            (None, None) => {
                self.err(
                    format!("indicator `{}` needs a `dimension`", ri.id),
                    &format!("{base}.id"),
                );
                None
            }
            (None, Some(name)) => match scored.clone().position(|d| &d.id == name) {
                Some(d) => Some(d),
                None => {
                    let help = did_you_mean(name, scored.map(|d| d.id.as_str()))
                        .map(|s| format!("did you mean `{s}`?"));
                    let loc = self.value_loc(&format!("{base}.dimension"));
                    self.diags.push(
                        Diagnostic::error(format!("unknown dimension `{name}`"), loc)
                            .with_help_opt(help),
                    );
                    None
                }
            },
        };
        if group.is_some() && ri.scoring.method == MethodName::Deduct {
            let loc = self.value_loc(&format!("{base}.scoring.method"));
            self.diags.push(
                Diagnostic::error(
                    format!("adjustment item `{}` cannot use method `deduct`", ri.id),
                    loc,
                )
                .with_help(
                    "an item's points are what it adds or takes away: for \"2 points off per case, \
                     at most 10\" write `method: bonus`, `per: 2`, `points: 10` in a group with \
                     `effect: deduct`",
                ),
            );
            return None;
        }
        let sc = &ri.scoring;
        let ty = ri.ty.unwrap_or(default_type(sc.method));
        let origin = self.loc(&format!("{base}.id"));
        let input = self.input(&base, ri, ty, names)?;
        let points = self.num(&sc.points, &format!("{base}.scoring.points"));
        if let Some(p) = points {
            if p < 0.0 {
                self.err(
                    "`points` must not be negative",
                    &format!("{base}.scoring.points"),
                );
            }
        }
        let method = self.method(i, ri, ty, points.unwrap_or(0.0), names);
        if let (Some(min), Some(max)) = (ri.min, ri.max) {
            if min > max {
                self.err(
                    format!("`min` {} is above `max` {}", fmt_num(min), fmt_num(max)),
                    &format!("{base}.min"),
                );
            }
        }
        Some(Indicator {
            id: ri.id.clone(),
            label: ri.label.clone(),
            dim: dim?,
            unit: ri.unit.clone(),
            reference: ri.reference.clone(),
            description: ri.description.clone(),
            input,
            ty,
            min: ri.min,
            max: ri.max,
            method: method?,
            points: points?,
            origin,
        })
    }

    fn input(
        &mut self,
        ind_base: &str,
        ri: &RawIndicator,
        ty: ValueType,
        names: &Names,
    ) -> Option<Input> {
        let base = format!("{ind_base}.input");
        let inp = &ri.input;
        let given = [
            inp.column.is_some(),
            inp.ratio.is_some(),
            inp.change.is_some(),
            inp.expr.is_some(),
            inp.aggregate.is_some(),
        ];
        let n = given.iter().filter(|g| **g).count();
        if n != 1 {
            self.err(
                format!("an input needs exactly one of `column`, `ratio`, `change`, `expr` or `aggregate` (found {n})"),
                &base,
            );
            return None;
        }
        if let Some(agg) = &inp.aggregate {
            return self.aggregate_input(&base, ri, agg);
        }
        let loc = self.loc(&base);
        if let Some(col) = &inp.column {
            let c = self.column(col, Some(ty), loc)?;
            // A plain column takes the indicator's range and missing policy.
            if let Some(spec) = self.columns.get_mut(c) {
                if spec.min.is_none() {
                    spec.min = ri.min;
                }
                if spec.max.is_none() {
                    spec.max = ri.max;
                }
                if let Some(m) = ri.missing {
                    spec.missing = m;
                }
                if spec.categories.is_none() {
                    spec.categories = ri.categories.clone().or_else(|| {
                        ri.scoring
                            .table
                            .as_ref()
                            .map(|t| t.keys().cloned().collect())
                    });
                }
            }
            return Some(Input::Column(c));
        }
        if ri.missing.is_some() {
            self.missing_on_parts(&base, ri);
        }
        if let Some(r) = &inp.ratio {
            let num = self.column(
                &r.num,
                Some(ValueType::Number),
                self.loc(&format!("{base}.ratio.num")),
            )?;
            let den = self.column(
                &r.den,
                Some(ValueType::Number),
                self.loc(&format!("{base}.ratio.den")),
            )?;
            if !r.if_zero.is_finite() {
                self.err(
                    "`if_zero` must be a finite number",
                    &format!("{base}.ratio.if_zero"),
                );
            }
            return Some(Input::Ratio {
                num,
                den,
                if_zero: r.if_zero,
            });
        }
        if let Some(ch) = &inp.change {
            if !self.is_primary {
                let (one, _) = self.primary_words();
                self.err(format!("a change since the baseline is for the primary kind; aggregate a {one} `change` indicator instead"), &format!("{base}.change"));
                return None;
            }
            let col = self.column(
                &ch.column,
                Some(ValueType::Number),
                self.loc(&format!("{base}.change.column")),
            )?;
            if let Some(spec) = self.columns.get_mut(col) {
                spec.baseline = true;
            }
            let percent = ch.as_ == Some(ChangeAs::Percent);
            if ch.if_zero.is_some() && !percent {
                self.err(
                    "`if_zero` applies only to `as: percent`",
                    &format!("{base}.change.if_zero"),
                );
            }
            return Some(Input::Change {
                col,
                percent,
                if_zero: ch.if_zero,
            });
        }
        if let Some(text) = &inp.expr {
            let returns = if ty == ValueType::Bool {
                Returns::Bool
            } else {
                Returns::Number
            };
            let what = format!("the input of indicator `{}`", ri.id);
            let path = format!("{base}.expr");
            let id = self.expression(
                text,
                &path,
                what,
                returns,
                Scope {
                    max_stage: 0,
                    indicator: None,
                },
                names,
            )?;
            return Some(Input::Expr(id));
        }
        None
    }

    /// `missing:` on a computed input applies to the columns it reads, which are declared in
    /// `columns:`; say so rather than silently ignoring it.
    fn missing_on_parts(&mut self, base: &str, ri: &RawIndicator) {
        let path = base.trim_end_matches(".input").to_string() + ".missing";
        let loc = self.loc(&path);
        self.diags.push(
            Diagnostic::error(
                format!(
                    "`missing` on indicator `{}` has no effect: its input is computed",
                    ri.id
                ),
                loc,
            )
            .with_help("declare the policy on the columns it reads, under `columns:`"),
        );
    }

    fn column(&mut self, name: &str, ty: Option<ValueType>, loc: Location) -> Option<usize> {
        if name.trim().is_empty() {
            self.diags.push(Diagnostic::error("empty column name", loc));
            return None;
        }
        match declare_column(&mut self.columns, name, ty, loc) {
            Ok(c) => Some(c),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    /// The values an indicator's input may take, from its declared bounds (unbounded where
    /// none is declared), and what holds them, for messages. A plain column's bounds are the
    /// column's, as the data is checked against them: those under `columns:` take precedence
    /// over the indicator's (see [`Self::input`], which merges them before methods compile).
    fn input_range(&self, ri: &RawIndicator) -> (f64, f64, String) {
        let column = ri
            .input
            .column
            .as_ref()
            .and_then(|c| self.columns.iter().find(|spec| &spec.name == c));
        match column {
            Some(spec) => (
                spec.min.unwrap_or(f64::NEG_INFINITY),
                spec.max.unwrap_or(f64::INFINITY),
                format!("the column `{}`", spec.name),
            ),
            None => (
                ri.min.unwrap_or(f64::NEG_INFINITY),
                ri.max.unwrap_or(f64::INFINITY),
                format!("the input of `{}`", ri.id),
            ),
        }
    }

    fn method(
        &mut self,
        i: usize,
        ri: &RawIndicator,
        ty: ValueType,
        points: f64,
        names: &Names,
    ) -> Option<Method> {
        let sc = &ri.scoring;
        let ind_base = self.ind_path(i);
        let base = format!("{ind_base}.scoring");
        let m = sc.method;
        // Fields each method reads; anything else given is a mistake worth reporting.
        let allowed: &[&str] = match m {
            MethodName::Threshold => &["target", "direction", "partial"],
            MethodName::Linear => &["from", "to"],
            MethodName::Bands => &["bands"],
            MethodName::Deduct | MethodName::Bonus => &["per"],
            MethodName::Boolean => &[],
            MethodName::Script => &["function"],
            MethodName::Lookup => &["table"],
        };
        let present = [
            ("target", sc.target.is_some()),
            ("direction", sc.direction.is_some()),
            ("partial", sc.partial.is_some()),
            ("from", sc.from.is_some()),
            ("to", sc.to.is_some()),
            ("bands", sc.bands.is_some()),
            ("per", sc.per.is_some()),
            ("function", sc.function.is_some()),
            ("table", sc.table.is_some()),
        ];
        let mut ok = true;
        for (field, given) in present {
            if given && !allowed.contains(&field) {
                self.err(
                    format!("`{field}` is not used by method `{}`", m.as_str()),
                    &format!("{base}.{field}"),
                );
                ok = false;
            }
        }
        let need = |kc: &mut Self, v: &Option<NumRef>, field: &str| -> Option<f64> {
            match v {
                Some(r) => kc.num(r, &format!("{base}.{field}")),
                None => {
                    kc.err(format!("method `{}` needs `{field}`", m.as_str()), &base);
                    None
                }
            }
        };
        let numeric_input = |kc: &mut Self| {
            if matches!(ty, ValueType::Bool | ValueType::Category) {
                kc.err(
                    format!(
                        "method `{}` needs a numeric input, but the input is {}",
                        m.as_str(),
                        type_name(ty)
                    ),
                    &format!("{ind_base}.type"),
                );
                false
            } else {
                true
            }
        };
        let method = match m {
            MethodName::Threshold => {
                numeric_input(self);
                let target = need(self, &sc.target, "target");
                let partial = self
                    .opt_num(&sc.partial, &format!("{base}.partial"))
                    .flatten()
                    .unwrap_or(0.0);
                if partial < 0.0 || partial > points {
                    self.err(
                        format!(
                            "`partial` must lie between 0 and the indicator's {} points",
                            fmt_num(points)
                        ),
                        &format!("{base}.partial"),
                    );
                }
                Method::Threshold {
                    target: target?,
                    higher: sc.direction != Some(Direction::Lower),
                    partial,
                }
            }
            MethodName::Linear => {
                numeric_input(self);
                let from = need(self, &sc.from, "from");
                let to = need(self, &sc.to, "to");
                if let (Some(f), Some(t)) = (from, to) {
                    if f == t {
                        self.err("`from` and `to` must differ", &format!("{base}.to"));
                    }
                }
                Method::Linear {
                    from: from?,
                    to: to?,
                }
            }
            MethodName::Bands => {
                numeric_input(self);
                let Some(raw_bands) = &sc.bands else {
                    self.err("method `bands` needs `bands`", &base);
                    return None;
                };
                if raw_bands.is_empty() {
                    self.err("`bands` is empty", &format!("{base}.bands"));
                    return None;
                }
                let mut bands = Vec::new();
                for (b, rb) in raw_bands.iter().enumerate() {
                    let p = self.num(&rb.points, &format!("{base}.bands.{b}.points"));
                    match Interval::parse(&rb.range) {
                        Ok(interval) => {
                            if let Some(p) = p {
                                if p < 0.0 || p > points {
                                    self.err(
                                        format!(
                                            "band points {} lie outside 0..{}",
                                            fmt_num(p),
                                            fmt_num(points)
                                        ),
                                        &format!("{base}.bands.{b}.points"),
                                    );
                                }
                                bands.push((
                                    b,
                                    Band {
                                        interval,
                                        points: p,
                                        label: rb.label.clone(),
                                    },
                                ));
                            }
                        }
                        Err(e) => {
                            let loc = self.value_loc(&format!("{base}.bands.{b}.range"));
                            self.diags
                                .push(Diagnostic::error(format!("bad band range: {e}"), loc));
                        }
                    }
                }
                bands.sort_by(|a, b| {
                    a.1.interval
                        .lo
                        .total_cmp(&b.1.interval.lo)
                        .then(b.1.interval.lo_incl.cmp(&a.1.interval.lo_incl))
                });
                for w in bands.windows(2) {
                    let (Some((_, a)), Some((bi, b))) = (w.first(), w.get(1)) else {
                        continue;
                    };
                    match a.interval.meets(&b.interval) {
                        Join::Touch => {}
                        Join::Gap => self.err(
                            format!("bands {} and {} of indicator `{}` leave a gap: a value there scores nothing", a.interval, b.interval, ri.id),
                            &format!("{base}.bands.{bi}.range"),
                        ),
                        Join::Overlap => self.err(
                            format!("bands {} and {} of indicator `{}` overlap: a value there matches both", a.interval, b.interval, ri.id),
                            &format!("{base}.bands.{bi}.range"),
                        ),
                    }
                }
                let best = bands
                    .iter()
                    .map(|(_, b)| b.points)
                    .fold(f64::NEG_INFINITY, f64::max);
                if bands.len() == raw_bands.len() && (best - points).abs() > 1e-9 {
                    self.err(
                        format!(
                            "the best band gives {} points, but the indicator is worth {}",
                            fmt_num(best),
                            fmt_num(points)
                        ),
                        &format!("{base}.points"),
                    );
                }
                // Values the input may take but no band covers. A plain column's range is the
                // column's: declared under `columns:`, or else the indicator's.
                if let (Some((_, first)), Some((_, last))) = (bands.first(), bands.last()) {
                    let (lo, hi, what) = self.input_range(ri);
                    if first.interval.lo > lo
                        || (first.interval.lo == lo && !first.interval.lo_incl && lo.is_finite())
                    {
                        let loc = self.loc(&format!("{base}.bands"));
                        let help = if lo.is_finite() {
                            format!(
                                "{what} may be as low as {}: start the first band there",
                                fmt_num(lo)
                            )
                        } else {
                            "start the first band at the input's `min`, or declare `min`".into()
                        };
                        self.diags.push(
                            Diagnostic::warning(
                                format!(
                                    "values of `{}` below {} fall in no band and score 0",
                                    ri.id, first.interval
                                ),
                                loc,
                            )
                            .with_help(help),
                        );
                    }
                    if last.interval.hi < hi
                        || (last.interval.hi == hi && !last.interval.hi_incl && hi.is_finite())
                    {
                        let loc = self.loc(&format!("{base}.bands"));
                        let help = if hi.is_finite() {
                            format!(
                                "{what} may be as high as {}: end the last band there, or with `inf)`",
                                fmt_num(hi)
                            )
                        } else {
                            "end the last band with `inf)`, or declare `max`".into()
                        };
                        self.diags.push(
                            Diagnostic::warning(
                                format!(
                                    "values of `{}` above {} fall in no band and score 0",
                                    ri.id, last.interval
                                ),
                                loc,
                            )
                            .with_help(help),
                        );
                    }
                }
                Method::Bands(bands.into_iter().map(|(_, b)| b).collect())
            }
            MethodName::Deduct | MethodName::Bonus => {
                numeric_input(self);
                let per = need(self, &sc.per, "per")?;
                if per <= 0.0 {
                    self.err("`per` must be positive", &format!("{base}.per"));
                }
                if m == MethodName::Deduct {
                    Method::Deduct { per }
                } else {
                    Method::Bonus { per }
                }
            }
            MethodName::Boolean => {
                if ty != ValueType::Bool {
                    self.err(
                        format!(
                            "method `boolean` needs a true/false input, but `type` is {}",
                            type_name(ty)
                        ),
                        &format!("{ind_base}.type"),
                    );
                }
                Method::Boolean
            }
            MethodName::Script => {
                let Some(f) = &sc.function else {
                    self.err("method `script` needs `function`: the name of a rhai function in `scripts/`", &base);
                    return None;
                };
                if !self.host.has_function(f, 1) {
                    if self.host.maybe_in_broken_script(f) {
                        // The script's syntax error is the problem to report.
                        return None;
                    }
                    let help = did_you_mean(f, self.host.function_names().collect::<Vec<_>>())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| {
                            "define `fn NAME(value) { … }` in a `.rhai` file under `scripts/`"
                                .into()
                        });
                    let loc = self.value_loc(&format!("{base}.function"));
                    self.diags.push(
                        Diagnostic::error(
                            format!("no rhai function `{f}` taking one argument"),
                            loc,
                        )
                        .with_help(help),
                    );
                    return None;
                }
                let what = format!("scoring function `{f}` of indicator `{}`", ri.id);
                let text = format!("{f}(value)");
                let id = self.expression(
                    &text,
                    &format!("{base}.function"),
                    what,
                    Returns::Number,
                    Scope {
                        max_stage: 1,
                        indicator: Some(i),
                    },
                    names,
                )?;
                Method::Script(id)
            }
            MethodName::Lookup => {
                if ty != ValueType::Category {
                    self.err(
                        format!(
                            "method `lookup` needs a category input, but `type` is {}",
                            type_name(ty)
                        ),
                        &format!("{ind_base}.type"),
                    );
                }
                let Some(table) = &sc.table else {
                    self.err("method `lookup` needs `table`: category → points", &base);
                    return None;
                };
                let mut pts = Vec::new();
                for (k, v) in table {
                    let p = self.num(v, &format!("{base}.table.{k}"))?;
                    if p < 0.0 || p > points {
                        self.err(
                            format!(
                                "points {} for `{k}` lie outside 0..{}",
                                fmt_num(p),
                                fmt_num(points)
                            ),
                            &format!("{base}.table.{k}"),
                        );
                    }
                    pts.push((k.clone(), p));
                }
                Method::Lookup(pts)
            }
        };
        ok.then_some(method)
    }

    fn gate(
        &mut self,
        i: usize,
        rg: &RawGate,
        names: &Names,
        indicators: &[Indicator],
        outcomes: &[String],
    ) -> Option<Gate> {
        let base = format!("gates.{i}");
        let indicator = match &rg.indicator {
            None => None,
            Some(id) => match indicators.iter().position(|x| &x.id == id) {
                Some(k) => Some(k),
                // The indicator exists but did not compile: its own error says why.
                None if names.indicators.iter().any(|(n, _)| n == id) => return None,
                None => {
                    let help = did_you_mean(id, names.indicators.iter().map(|(n, _)| n.as_str()))
                        .map(|s| format!("did you mean `{s}`?"));
                    let loc = self.value_loc(&format!("{base}.indicator"));
                    self.diags.push(
                        Diagnostic::error(format!("unknown indicator `{id}`"), loc)
                            .with_help_opt(help),
                    );
                    return None;
                }
            },
        };
        let what = format!("the condition of gate `{}`", rg.id);
        let zeroing = rg.effect == EffectName::Zero;
        let scope = Scope {
            // A `zero` gate is decided while scoring, from the inputs alone.
            max_stage: if zeroing { 1 } else { 2 },
            indicator,
        };
        let condition = self.condition(&base, &rg.when, &rg.all, &rg.any, what, scope, names)?;
        let Some(condition) = condition else {
            self.err(
                format!("gate `{}` needs a condition: `when`, `all` or `any`", rg.id),
                &base,
            );
            return None;
        };
        if rg.zero.is_some() && !zeroing {
            self.err(
                format!(
                    "`zero` is used only by effect `zero`, not `{}`",
                    effect_name(rg.effect)
                ),
                &format!("{base}.zero"),
            );
        }
        let mut zero = Vec::new();
        let effect = match rg.effect {
            EffectName::Zero => {
                for (field, given) in [
                    ("grade", rg.grade.is_some()),
                    ("outcome", rg.outcome.is_some()),
                ] {
                    if given {
                        self.err(
                            format!("effect `zero` takes no `{field}`: it changes points, not the decision"),
                            &format!("{base}.{field}"),
                        );
                    }
                }
                let targets = rg.zero.clone().unwrap_or_default();
                zero = self.zero_targets(&base, &targets, names.dims, indicators, indicator)?;
                Effect::Zero
            }
            EffectName::Fail => {
                if rg.outcome.is_some() {
                    self.err(
                        "effect `fail` takes no `outcome` (use `force_outcome`)",
                        &format!("{base}.effect"),
                    );
                }
                // An optional `grade` also caps the grade of a failed entity.
                match &rg.grade {
                    None => Effect::Fail(None),
                    Some(g) => match names.grades.iter().position(|x| x == g) {
                        Some(k) => Effect::Fail(Some(k)),
                        None => {
                            let help = did_you_mean(g, names.grades.iter().map(String::as_str))
                                .map(|s| format!("did you mean `{s}`?"));
                            let loc = self.value_loc(&format!("{base}.grade"));
                            self.diags.push(
                                Diagnostic::error(format!("unknown grade `{g}`"), loc)
                                    .with_help_opt(help),
                            );
                            return None;
                        }
                    },
                }
            }
            EffectName::CapGrade => {
                let Some(g) = &rg.grade else {
                    self.err(
                        "effect `cap_grade` needs `grade`: the best grade the entity can get",
                        &format!("{base}.effect"),
                    );
                    return None;
                };
                match names.grades.iter().position(|x| x == g) {
                    Some(k) => Effect::CapGrade(k),
                    None => {
                        let help = did_you_mean(g, names.grades.iter().map(String::as_str))
                            .map(|s| format!("did you mean `{s}`?"));
                        let loc = self.value_loc(&format!("{base}.grade"));
                        self.diags.push(
                            Diagnostic::error(format!("unknown grade `{g}`"), loc)
                                .with_help_opt(help),
                        );
                        return None;
                    }
                }
            }
            EffectName::ForceOutcome => {
                let Some(o) = &rg.outcome else {
                    self.err(
                        "effect `force_outcome` needs `outcome`",
                        &format!("{base}.effect"),
                    );
                    return None;
                };
                match outcomes.iter().position(|x| x == o) {
                    Some(k) => Effect::ForceOutcome(k),
                    None => {
                        let help = did_you_mean(o, outcomes.iter().map(String::as_str))
                            .map(|s| format!("did you mean `{s}`?"));
                        let loc = self.value_loc(&format!("{base}.outcome"));
                        self.diags.push(
                            Diagnostic::error(format!("unknown outcome `{o}`"), loc)
                                .with_help_opt(help),
                        );
                        return None;
                    }
                }
            }
        };
        Some(Gate {
            id: rg.id.clone(),
            label: rg.label.clone(),
            indicator,
            zero,
            require: false,
            condition,
            message: rg.message.clone(),
            effect,
            enabled: rg.enabled.unwrap_or(true),
            reference: rg.reference.clone(),
        })
    }

    fn outcomes(&mut self, rk: &RawKind, names: &Names) -> Vec<Outcome> {
        let mut out = Vec::new();
        let n = rk.outcomes.len();
        if n == 0 {
            self.err(format!("kind `{}` has no outcomes", rk.kind), "kind");
            return out;
        }
        let mut seen = HashSet::new();
        for (i, ro) in rk.outcomes.iter().enumerate() {
            let base = format!("outcomes.{i}");
            if !seen.insert(ro.id.clone()) {
                self.err(
                    format!("outcome id `{}` is used twice", ro.id),
                    &format!("{base}.id"),
                );
                continue;
            }
            let last = i + 1 == n;
            let what = format!("the condition of outcome `{}`", ro.id);
            let cond = self.condition(
                &base,
                &ro.when,
                &ro.all,
                &ro.any,
                what,
                Scope {
                    max_stage: 4,
                    indicator: None,
                },
                names,
            );
            let Some(cond) = cond else { continue };
            if last && cond.is_some() {
                self.err(
                    format!(
                        "the last outcome `{}` is the fallback and takes no condition",
                        ro.id
                    ),
                    &format!("{base}.id"),
                );
            }
            // A passing outcome without a condition holds for every entity that has not failed
            // (an exit list: exit unless a condition is unmet); it must say so.
            if !last && cond.is_none() && ro.passing != Some(true) {
                let loc = self.loc(&format!("{base}.id"));
                self.diags.push(
                    Diagnostic::error(
                        format!("outcome `{}` has no condition, so the outcomes after it can never be reached", ro.id),
                        loc,
                    )
                    .with_help("give it a condition, or `passing: true` to have it hold for every entity that has not failed"),
                );
            }
            out.push(Outcome {
                id: ro.id.clone(),
                label: ro.label.clone(),
                passing: ro.passing.unwrap_or(!last),
                condition: cond,
            });
        }
        out
    }

    /// Compile `when` / `all` / `any`; `Some(None)` when none is given, `None` on error.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn condition(
        &mut self,
        base: &str,
        when: &Option<String>,
        all: &Option<Vec<String>>,
        any: &Option<Vec<String>>,
        what: String,
        scope: Scope,
        names: &Names,
    ) -> Option<Option<Condition>> {
        let n =
            usize::from(when.is_some()) + usize::from(all.is_some()) + usize::from(any.is_some());
        if n > 1 {
            self.err("give only one of `when`, `all` and `any`", base);
            return None;
        }
        if let Some(text) = when {
            let id = self.expression(
                text,
                &format!("{base}.when"),
                what,
                Returns::Bool,
                scope,
                names,
            )?;
            return Some(Some(Condition::Script(id)));
        }
        let (list, key, is_all) = match (all, any) {
            (Some(l), _) => (l, "all", true),
            (_, Some(l)) => (l, "any", false),
            _ => return Some(None),
        };
        if list.is_empty() {
            self.err(format!("`{key}` is empty"), &format!("{base}.{key}"));
            return None;
        }
        let mut cmps = Vec::new();
        let mut ok = true;
        for (j, text) in list.iter().enumerate() {
            let path = format!("{base}.{key}.{j}");
            let mut err_loc = None;
            let here = self.value_loc(&path);
            let result = {
                let mut resolve = |name: &str| -> Result<Operand, String> {
                    // Grade ids and category values compare as text: `grade == excellent`.
                    if self.is_literal(name, names) {
                        return Ok(Operand::Str(name.to_string()));
                    }
                    match self.resolve(name, scope, names, &here) {
                        Ok(Some(Var::Param(p))) => {
                            self.used_params.insert(name.to_string());
                            Ok(Operand::Num(
                                self.params.get(p).map(|x| x.value).unwrap_or(0.0),
                            ))
                        }
                        Ok(Some(v)) => Ok(Operand::Var(v)),
                        Ok(None) => Err(format!("unknown name `{name}`")),
                        Err(e) => Err(e),
                    }
                };
                parse_cmp(text, &mut resolve)
            };
            match result {
                Ok(c) => cmps.push(c),
                Err(e) => {
                    self.params_named_in(text);
                    err_loc.get_or_insert_with(|| self.value_loc(&path));
                    let loc = err_loc.unwrap_or_default();
                    self.diags
                        .push(Diagnostic::error(format!("in `{text}`: {e}"), loc));
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        Some(Some(if is_all {
            Condition::All(cmps)
        } else {
            Condition::Any(cmps)
        }))
    }

    /// Compile a rhai expression found at YAML `path`.
    #[allow(clippy::too_many_arguments)]
    fn expression(
        &mut self,
        text: &str,
        path: &str,
        what: String,
        returns: Returns,
        scope: Scope,
        names: &Names,
    ) -> Option<ExprId> {
        let path = &self.remap.original(path);
        let pos = self
            .file
            .index
            .exact(path)
            .or_else(|| self.file.index.find(path));
        let origin = TextOrigin {
            file: Some(self.file.source.clone()),
            line: pos.map(|p| p.value_line.max(p.line)).unwrap_or(0),
            col: pos.map(|p| p.value_col).unwrap_or(0),
            quoted: pos.map(|p| p.quoted).unwrap_or(false),
            path: Some(super::load::display_path(path)),
        };
        let expr_loc = self.value_loc(path);
        // Resolving may declare columns (which needs `self`), so resolve every name first.
        let mut resolved: Vec<(String, Result<Option<Var>, String>)> = Vec::new();
        for (name, member, _) in crate::script::identifiers(text) {
            let key = match (name.as_str(), &member) {
                ("points", Some(m)) | ("value", Some(m)) => format!("{name}.{m}"),
                _ => name.clone(),
            };
            if !resolved.iter().any(|(k, _)| *k == key) {
                let r = self.resolve(&key, scope, names, &expr_loc);
                resolved.push((key, r));
            }
        }
        let mut lookup = |name: &str| -> Result<Option<Var>, String> {
            resolved
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, r)| r.clone())
                .unwrap_or(Ok(None))
        };
        match self
            .host
            .compile_expr(text, &origin, what, returns, &mut lookup)
        {
            Ok(id) => {
                for (name, r) in &resolved {
                    if matches!(r, Ok(Some(Var::Param(_)))) {
                        self.used_params.insert(name.clone());
                    }
                }
                Some(id)
            }
            Err(d) => {
                self.params_named_in(text);
                self.diags.push(d);
                None
            }
        }
    }

    /// Count the parameters a condition or expression that could not be compiled names as
    /// used: its error is the problem, not a parameter said besides to be never used.
    fn params_named_in(&mut self, text: &str) {
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if self.params.iter().any(|p| p.name == word) {
                self.used_params.insert(word.to_string());
            }
        }
    }

    /// Whether `name` is a grade id or a declared category value (and nothing else).
    pub(super) fn is_literal(&self, name: &str, names: &Names) -> bool {
        let taken = self.params.iter().any(|p| p.name == name)
            || names.dims.iter().any(|d| d.id == name)
            || names.gates.iter().any(|g| g == name)
            || self.columns.iter().any(|c| c.name == name);
        !taken
            && (names.grades.iter().any(|g| g == name)
                || self.columns.iter().any(|c| {
                    c.categories
                        .as_ref()
                        .is_some_and(|cs| cs.iter().any(|x| x == name))
                }))
    }

    /// What `name` means at this point of the evaluation.
    pub(super) fn resolve(
        &mut self,
        name: &str,
        scope: Scope,
        names: &Names,
        loc: &Location,
    ) -> Result<Option<Var>, String> {
        let stage_check = |v: Var, what: &str| -> Result<Option<Var>, String> {
            if v.stage() > scope.max_stage {
                Err(format!("`{name}` cannot be read here: {what}"))
            } else {
                Ok(Some(v))
            }
        };
        let too_early = match scope.max_stage {
            0 => "inputs are computed before any score",
            1 => "a `zero` gate is decided from the inputs, before any points are summed",
            2 => "gates are checked before the grade and before other gates",
            _ => "",
        };
        match name {
            "total" => return stage_check(Var::Total, too_early),
            "grade" => return stage_check(Var::Grade, too_early),
            "failed" => return stage_check(Var::Failed, too_early),
            "any_gate" => return stage_check(Var::AnyGate, too_early),
            "value" | "points" => {
                return match scope.indicator {
                    Some(k) if name == "value" => stage_check(Var::Value(k), too_early),
                    Some(k) => stage_check(Var::Points(k), too_early),
                    None => Err(format!(
                        "`{name}` needs an indicator: write `{name}.INDICATOR_ID`"
                    )),
                };
            }
            _ => {}
        }
        if let Some((ns, id)) = name.split_once('.') {
            if ns == "points" || ns == "value" {
                return match names.indicators.iter().position(|(n, _)| n == id) {
                    Some(k) if ns == "value" => stage_check(Var::Value(k), too_early),
                    Some(k) => stage_check(Var::Points(k), too_early),
                    None => {
                        let s = did_you_mean(id, names.indicators.iter().map(|(n, _)| n.as_str()));
                        Err(format!(
                            "unknown indicator `{id}`{}",
                            s.map(|s| format!(" (did you mean `{s}`?)"))
                                .unwrap_or_default()
                        ))
                    }
                };
            }
            return Err(format!("unknown name `{name}`"));
        }
        if let Some(p) = self.params.iter().position(|p| p.name == name) {
            return Ok(Some(Var::Param(p)));
        }
        if let Some(d) = names.dims.iter().position(|d| d.id == name) {
            return stage_check(Var::Dim(d), too_early);
        }
        if let Some(g) = names.gates.iter().position(|g| g == name) {
            // A gate's id hides a column of the same name: say which was read.
            return stage_check(Var::Gate(g), too_early).map_err(|_| {
                if self.columns.iter().any(|c| c.name == name) {
                    format!(
                        "`{name}` is the id of a gate, so the column `{name}` cannot be read here ({too_early}); rename the gate to read the column"
                    )
                } else {
                    format!(
                        "`{name}` is the id of a gate, and a gate cannot be read here ({too_early}); if `{name}` is meant as a column, rename the gate"
                    )
                }
            });
        }
        if !is_identifier(name) {
            return Err(format!("`{name}` is not a name"));
        }
        match name {
            "and" => return Err("rhai writes `and` as `&&`".into()),
            "or" => return Err("rhai writes `or` as `||`".into()),
            "not" => return Err("rhai writes `not` as `!`".into()),
            _ => {}
        }
        if self.is_literal(name, names) {
            return Err(format!(
                "`{name}` is a grade or category value: write it in quotes, \"{name}\""
            ));
        }
        // A near miss of a known name (a letter or two off) is a typo, not a new data column.
        // Declared columns count too, and the closest name wins.
        let declared: Vec<String> = self.columns.iter().map(|c| c.name.clone()).collect();
        let known = self
            .params
            .iter()
            .map(|p| p.name.as_str())
            .chain(names.dims.iter().map(|d| d.id.as_str()))
            .chain(names.gates.iter().map(String::as_str))
            .chain(declared.iter().map(String::as_str))
            .chain(["total", "grade", "failed", "any_gate"]);
        if let Some(s) = known
            .min_by_key(|k| strsim::levenshtein(name, k))
            .filter(|k| strsim::levenshtein(name, k) <= 2 && *k != name)
        {
            if !self.columns.iter().any(|c| c.name == name) {
                return Err(format!("unknown name `{name}` (did you mean `{s}`?)"));
            }
        }
        // Anything else is a data column; `check` confirms it exists in the data.
        match declare_column(&mut self.columns, name, None, loc.clone()) {
            Ok(c) => Ok(Some(Var::Column(c))),
            Err(d) => Err(d.message),
        }
    }
}

/// An effect's name as written in rule files.
fn effect_name(e: EffectName) -> &'static str {
    match e {
        EffectName::Fail => "fail",
        EffectName::CapGrade => "cap_grade",
        EffectName::ForceOutcome => "force_outcome",
        EffectName::Zero => "zero",
    }
}

fn default_type(m: MethodName) -> ValueType {
    match m {
        MethodName::Boolean => ValueType::Bool,
        MethodName::Lookup => ValueType::Category,
        _ => ValueType::Number,
    }
}

/// A number without a needless `.0`.
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

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
    fn check_outcomes_reachable(
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
