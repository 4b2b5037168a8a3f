//! Raw → compiled: resolve every name, turn parameters into numbers, compile expressions, and
//! check that the criteria hold together (points add up, bands and grades have no gaps or
//! overlaps, outcomes can be reached). Problems are collected, never thrown one at a time.

use super::load::{RawRuleSet, RuleFiles, YamlFile};
use super::model::*;
use super::raw::*;
use crate::diag::{did_you_mean, Diagnostic, Location};
use crate::script::ScriptHost;
pub use crate::words::fmt_num;
use cascade::link_cascades;
use std::collections::{HashMap, HashSet};

mod adjust;
mod cascade;
mod gate;
pub(crate) mod graph;
mod header;
mod indicator;
mod kind;
mod method;
mod outcome;
mod reach;
mod require;

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
    header::check_parameter_names(hf, h, &mut diags);
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
    // Kinds compile after the kinds whose names they read: the primary kind first, unless it
    // aggregates over finer kinds, then file order.
    let graph = graph::KindGraph::new(raw, &primary_name);
    graph.check(files, raw, &mut diags);
    let primary_ix = raw.kinds.iter().position(|k| k.kind == primary_name);
    let mut compiled: Vec<Option<Kind>> = raw.kinds.iter().map(|_| None).collect();
    let mut failed_needs: Vec<ColumnNeeds> = Vec::new();
    let mut seen_kinds: HashMap<String, usize> = HashMap::new();
    let no_remap = super::load::Remap::default();
    for i in graph.compile_order() {
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
        let is_primary = Some(i) == primary_ix;
        let mut kc = KindCompiler {
            file,
            derive_maximums: files.derive_maximums,
            params: &params,
            unsettled: &unsettled,
            host: &mut host,
            diags: &mut diags,
            used_params: &mut used_params,
            columns: Vec::new(),
            remap,
            kinds: &mut compiled,
            index: i,
            primary_ix,
            graph: &graph,
            is_primary,
            ind_paths: Vec::new(),
            spec_params: Vec::new(),
        };
        match kc.kind(rk) {
            Some(k) => {
                if let Some(slot) = compiled.get_mut(i) {
                    *slot = Some(k);
                }
            }
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
    // Member columns are read as text from the member kinds' tables.
    graph::add_member_columns(&mut compiled);
    let mut primary: Option<Kind> = primary_ix
        .and_then(|p| compiled.get_mut(p))
        .and_then(Option::take);
    // Units stay in file order, whatever order they compiled in.
    let mut units: Vec<Kind> = compiled.into_iter().flatten().collect();
    let order: Vec<usize> = graph
        .evaluation_order()
        .into_iter()
        .filter(|&i| Some(i) != primary_ix)
        .filter_map(|i| {
            let name = &raw.kinds.get(i)?.kind;
            units.iter().position(|k| &k.name == name)
        })
        .collect();
    let finer = graph.before_primary().iter().filter(|b| **b).count();
    link_cascades(primary.as_ref(), &mut units, raw, files, &mut diags);

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

    let totals = header::totals(primary.as_mut(), hf, h, &mut diags);
    let uncertainty = header::uncertainty(hf, h, files, &params, &unsettled, &mut diags);
    header::warn_unused_parameters(hf, &params, &used_params, &mut diags);
    let kind_names: Vec<&str> = std::iter::once(primary_name.as_str())
        .chain(
            units
                .iter()
                .map(|k| k.name.as_str())
                .filter(|k| *k != primary_name),
        )
        .collect();
    let notice = header::notice(hf, h, &kind_names, &mut diags);

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
        let (gates, exprs) = kind.batchable_gates(&host);
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
            order,
            finer,
            totals,
            scripts: host,
            sha256: files.sha256.clone(),
            file_hashes: files.file_hashes.clone(),
            uncertainty,
            notice,
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
    /// Parameters whose formula failed (reported): what they bound is not checked again.
    pub(super) unsettled: &'a [String],
    pub(super) host: &'a mut ScriptHost,
    pub(super) diags: &'a mut Vec<Diagnostic>,
    pub(super) used_params: &'a mut HashSet<String>,
    pub(super) columns: Vec<ColumnSpec>,
    /// Unreadable elements set aside: paths are mapped back, and sums are not checked.
    pub(super) remap: &'a super::load::Remap,
    /// Every kind compiled so far, by raw kind index (this one's slot is empty): the kinds
    /// aggregates read compile first, so their names are known (and aggregates may add
    /// columns to them).
    pub(super) kinds: &'a mut [Option<Kind>],
    /// The raw kind index of this kind, and of the primary kind.
    pub(super) index: usize,
    pub(super) primary_ix: Option<usize>,
    pub(super) graph: &'a graph::KindGraph,
    pub(super) is_primary: bool,
    /// Each indicator's path in the file: `indicators.3`, or `adjustments.0.items.2` for an
    /// adjustment item (indicators first, then the items group by group).
    pub(super) ind_paths: Vec<String>,
    /// The parameters named by the numbers and intervals read since it was last taken: an
    /// indicator's scoring spec, a grade's range (the printed criteria show them by name).
    pub(super) spec_params: Vec<String>,
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
    /// Where `path` is in the kind's file (mapped back past set-aside elements).
    pub(super) fn loc(&self, path: &str) -> Location {
        self.file.loc(&self.remap.original(path))
    }

    /// Where the value at `path` is in the kind's file.
    pub(super) fn value_loc(&self, path: &str) -> Location {
        self.file.value_loc(&self.remap.original(path))
    }

    /// The path of indicator `i` (indicators, then adjustment items) in the file.
    pub(super) fn ind_path(&self, i: usize) -> String {
        self.ind_paths.get(i).cloned().unwrap_or_default()
    }

    /// Push an error located at `path`.
    pub(super) fn err(&mut self, msg: impl Into<String>, path: &str) {
        let loc = self.loc(path);
        self.diags.push(Diagnostic::error(msg, loc));
    }

    /// Push an error located at `path`, with a help line.
    pub(super) fn err_help(&mut self, msg: impl Into<String>, path: &str, help: String) {
        let loc = self.loc(path);
        self.diags.push(Diagnostic::error(msg, loc).with_help(help));
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
                        if !self.spec_params.contains(name) {
                            self.spec_params.push(name.clone());
                        }
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

    /// An interval whose bounds may name parameters (`[pass_line, 80)`): each one named is
    /// used.
    /// `Err(None)` when a parameter it names could not be computed (that error is reported).
    pub(super) fn interval(
        &mut self,
        text: &str,
    ) -> Result<crate::rules::interval::Interval, Option<String>> {
        let params = self.params;
        let named = std::cell::RefCell::new(Vec::new());
        let r = crate::rules::interval::Interval::parse_with(text, &|name| {
            let p = params.iter().find(|p| p.name == name)?;
            named.borrow_mut().push(p.name.clone());
            Some(p.value)
        });
        let named = named.into_inner();
        let values: Vec<String> = named
            .iter()
            .filter_map(|n| params.iter().find(|p| &p.name == n))
            .map(|p| format!("{} = {}", p.name, fmt_num(p.value)))
            .collect();
        let unknown = named.iter().any(|n| self.unsettled.contains(n));
        for n in &named {
            if !self.spec_params.contains(n) {
                self.spec_params.push(n.clone());
            }
        }
        self.used_params.extend(named);
        // An interval that a parameter's value empties says which value.
        r.map_err(|e| {
            if unknown {
                None
            } else if values.is_empty() {
                Some(e)
            } else {
                Some(format!("{e} ({})", values.join(", ")))
            }
        })
    }

    /// An optional number or parameter; `None` when it is given but cannot be read.
    pub(super) fn opt_num(&mut self, r: &Option<NumRef>, path: &str) -> Option<Option<f64>> {
        match r {
            None => Some(None),
            Some(r) => self.num(r, path).map(Some),
        }
    }
}

/// The type an indicator's input has when it does not say: what its method reads.
fn default_type(m: MethodName) -> ValueType {
    match m {
        MethodName::Boolean => ValueType::Bool,
        MethodName::Lookup => ValueType::Category,
        _ => ValueType::Number,
    }
}
