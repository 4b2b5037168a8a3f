//! Units (departments, towns, teams, members, leaders): link them to villages, aggregate the
//! village results, score and decide them like villages, then apply the population rules —
//! rank, top N, quotas — the reward fund, and cascades to members.

use super::entity::{redecide, EntityError, KindCtx, View};
use super::round::round_dp;
use super::run::{evaluate_kind, EvalError, KindResult};
use crate::data::frame::TextColumn;
use crate::data::parse::read_pairs;
use crate::data::{Column, DataError, DataSet, Frame};
use crate::rules::model::*;
use crate::script::ScriptError;
use rayon::prelude::*;
use rhai::Scope;
use std::sync::Arc;

/// The village rows each unit covers, in row order: one flat list, and where each unit's part
/// of it starts (no allocation per unit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members {
    /// One more than there are units: unit `u` covers `rows[starts[u]..starts[u + 1]]`.
    starts: Vec<usize>,
    rows: Vec<usize>,
}

impl Members {
    /// From each link's unit (`None` for a link to no unit) and village row, for `units` units.
    /// Each unit's rows come out sorted and without repeats.
    pub fn from_links(
        units: usize,
        links: impl Iterator<Item = (Option<usize>, usize)> + Clone,
    ) -> Members {
        let mut starts = vec![0usize; units + 1];
        for (u, _) in links.clone() {
            if let Some(c) = u.and_then(|u| starts.get_mut(u + 1)) {
                *c += 1;
            }
        }
        for u in 0..units {
            let before = starts.get(u).copied().unwrap_or(0);
            if let Some(c) = starts.get_mut(u + 1) {
                *c += before;
            }
        }
        let mut next = starts.clone();
        let mut rows = vec![0usize; starts.last().copied().unwrap_or(0)];
        for (u, row) in links {
            let Some(at) = u.and_then(|u| next.get_mut(u)) else {
                continue;
            };
            if let Some(slot) = rows.get_mut(*at) {
                *slot = row;
            }
            *at += 1;
        }
        let mut m = Members { starts, rows };
        let tidy = (0..units).all(|u| {
            m.get(u)
                .is_some_and(|r| r.windows(2).all(|w| w.first() < w.get(1)))
        });
        if !tidy {
            m = m.keep(|_| true);
        }
        m
    }

    /// From each unit's rows laid end to end, and where each unit's part starts (one more
    /// than there are units). Each unit's rows come out sorted and without repeats.
    pub fn from_parts(starts: Vec<usize>, rows: Vec<usize>) -> Members {
        let m = Members { starts, rows };
        let tidy = m
            .par_iter()
            .all(|r| r.windows(2).all(|w| w.first() < w.get(1)));
        if tidy {
            m
        } else {
            m.keep(|_| true)
        }
    }

    /// The units for which `keep` holds, in order, each with its rows sorted and without
    /// repeats.
    pub fn keep(&self, keep: impl Fn(usize) -> bool) -> Members {
        let mut out = Members {
            starts: vec![0],
            rows: Vec::with_capacity(self.rows.len()),
        };
        for u in (0..self.len()).filter(|&u| keep(u)) {
            let from = out.rows.len();
            out.rows.extend_from_slice(self.get(u).unwrap_or(&[]));
            if let Some(part) = out.rows.get_mut(from..) {
                part.sort_unstable();
            }
            let mut part = out.rows.split_off(from);
            part.dedup();
            out.rows.append(&mut part);
            out.starts.push(out.rows.len());
        }
        out
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The village rows of unit `u`.
    pub fn get(&self, u: usize) -> Option<&[usize]> {
        let (a, b) = (*self.starts.get(u)?, *self.starts.get(u + 1)?);
        self.rows.get(a..b)
    }

    /// Every unit's village rows, in unit order.
    pub fn iter(&self) -> impl Iterator<Item = &[usize]> + '_ {
        (0..self.len()).map(|u| self.get(u).unwrap_or(&[]))
    }

    /// [`Members::iter`], in parallel.
    pub fn par_iter(&self) -> impl IndexedParallelIterator<Item = &[usize]> + '_ {
        (0..self.len())
            .into_par_iter()
            .map(|u| self.get(u).unwrap_or(&[]))
    }
}

/// Everything computed for one unit kind.
#[derive(Debug, Clone)]
pub struct UnitResult {
    /// Index of the kind in `RuleSet::units`.
    pub kind: usize,
    pub frame: Frame,
    pub result: KindResult,
    /// Per unit: the village rows (in id order) it covers.
    pub villages: Arc<Members>,
    /// Per unit: its rank, 1 = best (0 when the kind declares no ranking).
    pub rank: Vec<u32>,
    /// Per unit: its award in yuan.
    pub award: Vec<i64>,
    /// Per unit: what the population rules and cascades did to it, in words.
    pub notes: Vec<Vec<String>>,
    pub fund: Option<FundSummary>,
    /// What its aggregates over other kinds (`from`) read.
    pub reached: Vec<super::graph::Reached>,
}

/// What a kind's population rules (rank, top N, quotas, fund) gave each of its entities: for
/// the primary kind, which has no [`UnitResult`] to hold it.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    /// Per entity: its rank, 1 = best (0 when the kind declares no ranking).
    pub rank: Vec<u32>,
    /// Per entity: its award in yuan.
    pub award: Vec<i64>,
    /// Per entity: what the population rules did to it, in words.
    pub notes: Vec<Vec<String>>,
    pub fund: Option<FundSummary>,
}

/// A kind's ranks, awards, notes and fund, read in place from a [`UnitResult`] or a
/// [`Standing`].
#[derive(Debug, Clone, Copy)]
pub struct StandingView<'a> {
    /// For a unit kind: the primary entities each unit is linked to.
    pub villages: Option<&'a Members>,
    pub rank: &'a [u32],
    pub award: &'a [i64],
    pub notes: &'a [Vec<String>],
    pub fund: Option<&'a FundSummary>,
    /// For a unit kind: what its aggregates over other kinds (`from`) read.
    pub reached: &'a [super::graph::Reached],
}

impl Standing {
    /// Read in place.
    pub fn view(&self) -> StandingView<'_> {
        StandingView {
            villages: None,
            rank: &self.rank,
            award: &self.award,
            notes: &self.notes,
            fund: self.fund.as_ref(),
            reached: &[],
        }
    }
}

impl UnitResult {
    /// This kind's ranks, awards, notes and fund, read in place.
    pub fn standing(&self) -> StandingView<'_> {
        StandingView {
            villages: Some(&self.villages),
            rank: &self.rank,
            award: &self.award,
            notes: &self.notes,
            fund: self.fund.as_ref(),
            reached: &self.reached,
        }
    }
}

/// Whether a kind declares a population rule, and so is ranked.
pub fn has_population(kind: &Kind) -> bool {
    !kind.rank.is_empty() || kind.top.is_some() || !kind.quotas.is_empty() || kind.fund.is_some()
}

/// Apply the primary kind's population rules to its decided entities: rank, top N, quotas and
/// the fund, exactly as for a unit kind. They run before any unit reads the primary results,
/// so an aggregate over the primary entities sees their final grades and outcomes. `None`
/// when the primary kind declares none of them (the results are then left as decided).
pub fn primary_population(
    rules: &RuleSet,
    pframe: &Frame,
    presult: &mut KindResult,
) -> Result<Option<Standing>, EvalError> {
    if !has_population(&rules.primary) {
        return Ok(None);
    }
    population(rules, &rules.primary, pframe, presult).map(Some)
}

/// How a fund was shared out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundSummary {
    pub budget: i64,
    pub paid: i64,
    pub recipients: usize,
}

/// A unit kind's table and the villages each unit covers: what depends only on the data and
/// the kind's links and columns, not on any score. Computed once, it serves every evaluation
/// of the same data (scenarios, sensitivity draws).
#[derive(Debug, Clone)]
pub struct Linked {
    /// Index of the kind in `RuleSet::units`.
    pub kind: usize,
    pub frame: Frame,
    pub villages: Arc<Members>,
    /// Per entry of the kind's `members`: the member kind's rows each unit covers.
    pub members: Vec<Arc<Members>>,
}

/// Every kind's links: the unit kinds', in evaluation order, and the primary kind's members.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub units: Vec<Linked>,
    /// Per entry of the primary kind's `members`: the member kind's rows each entity covers.
    pub primary: Vec<Arc<Members>>,
}

/// Evaluate every unit kind against the village results; `finer` are the kinds the primary
/// kind read, already evaluated.
pub fn evaluate_units(
    rules: &RuleSet,
    ds: &DataSet,
    pframe: &Frame,
    presult: &KindResult,
    finer: Vec<UnitResult>,
) -> Result<Vec<UnitResult>, EvalError> {
    let linked = link_units(rules, ds, pframe)?;
    evaluate_linked_from(rules, pframe, presult, &linked, None, finer)
}

/// The order unit kinds are evaluated in: each after the kinds it reads (cascade targets after
/// their sources), the kinds the primary kind reads first.
fn unit_order(rules: &RuleSet) -> Vec<usize> {
    rules.order.clone()
}

/// Load and link every unit kind, in evaluation order. Every kind is tried: the data problems
/// of all of them are reported together.
pub fn link_units(rules: &RuleSet, ds: &DataSet, pframe: &Frame) -> Result<Links, EvalError> {
    let mut done: Vec<Linked> = Vec::new();
    let mut problems = Problems::default();
    for i in unit_order(rules) {
        let Some(kind) = rules.units.get(i) else {
            continue;
        };
        // Under a subset, members of units that are not assessed are not assessed either.
        let members_of: Vec<(&str, &Frame)> = done
            .iter()
            .filter_map(|src| {
                let c = rules
                    .units
                    .get(src.kind)?
                    .cascade
                    .as_ref()
                    .filter(|c| c.to == kind.name)?;
                Some((c.via.as_str(), &src.frame))
            })
            .chain(
                (rules.primary.cascade.as_ref())
                    .filter(|c| c.to == kind.name)
                    .map(|c| (c.via.as_str(), pframe)),
            )
            .collect();
        match link_unit(ds, &rules.primary, kind, i, pframe, &members_of) {
            Ok(linked) => done.push(linked),
            Err(e) => problems.add(e)?,
        }
    }
    if pframe.subset.is_none() {
        problems.0.extend(cascade_problems(rules, pframe, &done));
    }
    let primary = if problems.0.is_empty() {
        match super::graph::link_members(rules, ds, pframe, &mut done) {
            Ok(p) => p,
            Err(e) => {
                problems.add(e)?;
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let mut links = Links {
        units: done,
        primary,
    };
    if problems.0.is_empty() {
        super::graph::reach_primary(rules, &mut links)?;
    }
    problems.or(links)
}

/// Rows of a cascade's target kind naming a unit its source kind does not have (a member of a
/// team that does not exist), found with the links so that they are reported with them.
fn cascade_problems(rules: &RuleSet, pframe: &Frame, done: &[Linked]) -> Vec<DataError> {
    const SHOWN: usize = 50;
    let mut out = Vec::new();
    let mut more = 0usize;
    // Every cascade's source kind and its entities: the primary kind's first.
    let sources = std::iter::once((&rules.primary, pframe)).chain(
        done.iter()
            .filter_map(|d| Some((rules.units.get(d.kind)?, &d.frame))),
    );
    for (skind, sframe) in sources {
        let Some(c) = &skind.cascade else {
            continue;
        };
        let Some(t) = done
            .iter()
            .find(|d| rules.units.get(d.kind).is_some_and(|k| k.name == c.to))
        else {
            continue;
        };
        let Some((_, ids)) = t.frame.groups.iter().find(|(n, _)| *n == c.via) else {
            continue;
        };
        for (r, id) in ids.iter().enumerate() {
            if sframe.find(id).is_some() {
                continue;
            }
            if out.len() == SHOWN {
                more += 1;
                continue;
            }
            out.push(DataError::cell(
                &t.frame.file,
                t.frame.rows.get(r).copied().unwrap_or(0),
                &c.via,
                id,
                &format!("no such {}", skind.label),
                format!("an id from `{}`", sframe.file),
            ));
        }
    }
    let listed = out.len();
    crate::data::error::with_unlisted(out, listed + more, "")
}

/// The problems of every unit kind's own table, for a run whose villages could not be read:
/// the units' links wait for the villages, their tables do not.
pub fn unit_table_problems(rules: &RuleSet, ds: &DataSet) -> Vec<DataError> {
    unit_order(rules)
        .into_iter()
        .filter_map(|i| rules.units.get(i))
        .filter_map(|kind| ds.load_unit(kind).err())
        .flatten()
        .collect()
}

/// Data problems gathered from several steps, each step's overflow ("… and N more") kept
/// with its own file.
#[derive(Default)]
struct Problems(Vec<DataError>);

impl Problems {
    /// Take a step's data problems; a script failure stops at once.
    fn add(&mut self, e: EvalError) -> Result<(), EvalError> {
        match e {
            EvalError::Data(errs, count) => {
                self.0
                    .extend(crate::data::error::with_unlisted(errs, count, ""));
                Ok(())
            }
            script => Err(script),
        }
    }

    /// `value`, when no problem was found.
    fn or<T>(self, value: T) -> Result<T, EvalError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.into_error())
        }
    }

    fn into_error(self) -> EvalError {
        let n = self.0.len();
        EvalError::Data(self.0, n)
    }
}

/// Whether links made under `a` serve `b`: the same kinds, read and linked the same way.
pub fn same_links(a: &RuleSet, b: &RuleSet) -> bool {
    a.units.len() == b.units.len()
        && a.order == b.order
        && a.primary.members == b.primary.members
        && a.units.iter().zip(&b.units).all(|(x, y)| {
            x.name == y.name
                && x.link == y.link
                && x.members == y.members
                && x.table == y.table
                && x.id_column == y.id_column
                && x.cascade.as_ref().map(|c| (&c.to, &c.via))
                    == y.cascade.as_ref().map(|c| (&c.to, &c.via))
                && x.same_columns(y)
        })
}

/// Score and decide every unit kind from the village results, over links made once; `finer`
/// are the kinds the primary kind read, already evaluated.
pub fn evaluate_linked(
    rules: &RuleSet,
    pframe: &Frame,
    presult: &KindResult,
    linked: &Links,
    finer: Vec<UnitResult>,
) -> Result<Vec<UnitResult>, EvalError> {
    evaluate_linked_from(rules, pframe, presult, linked, None, finer)
}

/// An earlier evaluation of the units over the same links: units none of whose villages
/// changed keep their aggregates and scores, and only their decisions are made again.
pub struct PriorUnits<'a> {
    pub rules: &'a RuleSet,
    /// In kind order, as [`evaluate_linked`] returns them.
    pub units: &'a [UnitResult],
    /// The village results `units` were computed from.
    pub before: &'a KindResult,
}

/// [`evaluate_linked`], recomputing from `prior` only what changed. The result is the same.
pub fn evaluate_linked_from(
    rules: &RuleSet,
    pframe: &Frame,
    presult: &KindResult,
    linked: &Links,
    prior: Option<&PriorUnits>,
    finer: Vec<UnitResult>,
) -> Result<Vec<UnitResult>, EvalError> {
    let pctx = KindCtx::new(
        &rules.primary,
        pframe,
        &rules.params,
        &rules.scripts,
        rules.precision,
    );
    let mut done: Vec<UnitResult> = finer;
    for l in &linked.units {
        if done.iter().any(|u| u.kind == l.kind) {
            continue;
        }
        let reads = Reads {
            links: linked,
            pctx: &pctx,
            presult: Some(presult),
            done: &done,
        };
        let u = evaluate_one(rules, l, &reads, prior)?;
        done.push(u);
    }
    done.sort_by_key(|u| u.kind);
    Ok(done)
}

/// What a unit kind's aggregates read: the primary kind (once evaluated), the units evaluated
/// so far, and the links between them.
pub(super) struct Reads<'a> {
    pub links: &'a Links,
    pub pctx: &'a KindCtx<'a>,
    pub presult: Option<&'a KindResult>,
    pub done: &'a [UnitResult],
}

/// Aggregate, score and decide one linked unit kind, with the cascades it receives from the
/// kinds already evaluated.
pub(super) fn evaluate_one(
    rules: &RuleSet,
    l: &Linked,
    reads: &Reads,
    prior: Option<&PriorUnits>,
) -> Result<UnitResult, EvalError> {
    let Some(kind) = rules.units.get(l.kind) else {
        return Err(EvalError::Internal(format!(
            "linked unit kind {} is not in the rule set",
            l.kind
        )));
    };
    let earlier = prior.and_then(|p| {
        let unit = p.units.iter().find(|u| u.kind == l.kind)?;
        let pkind = p.rules.units.get(l.kind)?;
        let params_same = crate::engine::run::same_params(&p.rules.params, &rules.params);
        // Aggregates are rounded to the precision: another one takes every aggregate again.
        (same_aggregates(pkind, kind, params_same)
            && p.rules.precision == rules.precision
            && unit.frame.len() == l.frame.len())
        .then_some(Earlier {
            rules: p.rules,
            kind: pkind,
            unit,
            before: p.before,
        })
    });
    let mut u = score_unit(rules, kind, l, reads, earlier.as_ref())?;
    let subset = reads.pctx.frame.subset.is_some();
    // A cascade from the primary kind, decided before every kind that reads it.
    if let Some(c) = rules.primary.cascade.as_ref().filter(|c| c.to == kind.name) {
        let Some(presult) = reads.presult else {
            return Err(EvalError::Internal(format!(
                "unit kind `{}` receives the primary kind's cascade but was evaluated before it",
                kind.name
            )));
        };
        let from = (reads.pctx.frame, presult);
        apply_cascade(rules, kind, &mut u, &rules.primary, from, c, subset)?;
    }
    // A cascade from an already evaluated kind to this one.
    for src in reads.done {
        let Some(skind) = rules.units.get(src.kind) else {
            continue;
        };
        if let Some(c) = skind.cascade.as_ref().filter(|c| c.to == kind.name) {
            let from = (&src.frame, &src.result);
            apply_cascade(rules, kind, &mut u, skind, from, c, subset)?;
        }
    }
    Ok(u)
}

pub(super) fn data_err(errors: Vec<DataError>) -> EvalError {
    let n = errors.len();
    EvalError::Data(errors, n)
}

fn link_unit(
    ds: &DataSet,
    primary: &Kind,
    kind: &Kind,
    index: usize,
    pframe: &Frame,
    members_of: &[(&str, &Frame)],
) -> Result<Linked, EvalError> {
    // The table and the links are both checked before either's problems are reported.
    let (own, links) = (ds.load_unit(kind), links(ds, primary, kind, pframe));
    let (mut own, (links, site)) = match (own, links) {
        (Ok(own), Ok(links)) => (own, links),
        (own, links) => {
            let mut problems = Problems::default();
            if let Err(errs) = own {
                problems.add(data_err(errs))?;
            }
            if let Err(e) = links {
                problems.add(e)?;
            }
            return Err(problems.into_error());
        }
    };
    if let (Some(f), true) = (own.as_mut(), pframe.subset.is_some()) {
        for (via, src) in members_of {
            let Some((_, ids)) = f.groups.iter().find(|(n, _)| n == via) else {
                continue;
            };
            let keep: Vec<usize> = ids
                .iter()
                .enumerate()
                .filter(|(_, id)| src.find(id).is_some())
                .map(|(r, _)| r)
                .collect();
            if keep.len() < f.len() {
                f.permute(&keep);
            }
        }
    }
    // The villages of each unit: through the unit table's ids, or for a kind without a table,
    // the distinct ids the links name, in id order.
    let (mut frame, mut villages) = match own {
        Some(f) => {
            let villages = table_members(kind, &f, &links, &site)?;
            (f, villages)
        }
        None => derived_frame(kind, &links),
    };
    // Under a scenario's subset of villages, units left without one are not assessed.
    if pframe.subset.is_some() && kind.link.is_some() {
        let keep: Vec<usize> = (0..frame.len())
            .filter(|&u| villages.get(u).is_some_and(|v| !v.is_empty()))
            .collect();
        if keep.len() < frame.len() {
            frame.permute(&keep);
            villages = villages.keep(|u| villages.get(u).is_some_and(|v| !v.is_empty()));
        }
    }
    Ok(Linked {
        kind: index,
        frame,
        villages: Arc::new(villages),
        members: Vec::new(),
    })
}

/// The villages of each row of a unit table, from links naming its ids. A link to an id the
/// table does not hold is an error.
fn table_members(
    kind: &Kind,
    table: &Frame,
    links: &[LinkRow],
    site: &LinkSite,
) -> Result<Members, EvalError> {
    let by_id: std::collections::HashMap<&str, usize> = table
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let unit_of: Vec<Option<usize>> = links
        .iter()
        .map(|(id, _, _)| by_id.get(id.as_ref()).copied())
        .collect();
    let mut errors = Vec::new();
    let mut unknown = 0usize;
    for ((unit_id, _, row), u) in links.iter().zip(&unit_of) {
        match u {
            Some(_) => {}
            None if errors.len() >= 200 => unknown += 1,
            None => {
                let mut e = DataError::cell(
                    &site.file,
                    *row,
                    &site.column,
                    unit_id,
                    &format!("no such {}", kind.label),
                    format!("an id from `{}`", table.file),
                );
                e.help = Some(format!(
                    "add `{unit_id}` to the {} table, or correct the id",
                    kind.label
                ));
                errors.push(e);
            }
        }
    }
    if !errors.is_empty() {
        if unknown > 0 {
            errors.push(DataError::unlisted(
                site.file.clone(),
                unknown,
                " links to unknown ids",
            ));
        }
        return Err(data_err(errors));
    }
    Ok(Members::from_links(
        table.len(),
        links
            .iter()
            .zip(&unit_of)
            .map(|((_, vrow, _), u)| (*u, *vrow)),
    ))
}

/// One unit kind's earlier result, known to aggregate the same way.
struct Earlier<'a> {
    rules: &'a RuleSet,
    kind: &'a Kind,
    unit: &'a UnitResult,
    before: &'a KindResult,
}

/// The village fields an aggregate reads.
fn aggregate_vars(a: &Aggregate) -> Vec<Var> {
    let mut vars: Vec<Var> = a.of.into_iter().collect();
    for c in &a.filter {
        for o in std::iter::once(&c.left).chain(c.op.as_ref().map(|(_, r)| r)) {
            if let Operand::Var(v) = o {
                vars.push(*v);
            }
        }
    }
    vars
}

/// A unit kind's aggregates, with the column each fills.
pub(super) fn aggregates(kind: &Kind) -> Vec<(usize, &ColumnSpec, &Aggregate)> {
    kind.columns
        .iter()
        .enumerate()
        .filter_map(|(c, spec)| match &spec.source {
            ColumnSource::Aggregate(a) => Some((c, spec, a)),
            _ => None,
        })
        .collect()
}

/// Per village: whether any of `vars` differs between two results over the same data. None
/// when none can: every field read is shared by the two results (or is data or a parameter).
fn villages_changed(a: &KindResult, b: &KindResult, vars: &[Var]) -> Option<Vec<bool>> {
    let n = b.n;
    if a.n != n || a.k != b.k || a.d != b.d || a.g != b.g {
        return Some(vec![true; n]);
    }
    fn shared<T>(x: &Arc<T>, y: &Arc<T>) -> bool {
        Arc::ptr_eq(x, y)
    }
    let may_differ = |var: &Var| match *var {
        Var::Column(_) | Var::Param(_) => false,
        Var::Total => !shared(&a.total, &b.total),
        Var::Dim(_) => !shared(&a.dims, &b.dims),
        Var::Points(_) => !shared(&a.points, &b.points),
        Var::Value(_) => !shared(&a.values, &b.values),
        _ => true,
    };
    if !vars.iter().any(may_differ) {
        return None;
    }
    let at = |v: &[f64], i: usize| v.get(i).copied();
    (0..n)
        .map(|r| {
            vars.iter().any(|var| match *var {
                // Same data, and parameters were checked by `same_aggregates`.
                Var::Column(_) | Var::Param(_) => false,
                Var::Total => !shared(&a.total, &b.total) && at(&a.total, r) != at(&b.total, r),
                Var::Dim(d) => {
                    !shared(&a.dims, &b.dims) && a.dims.get(r * a.d + d) != b.dims.get(r * b.d + d)
                }
                Var::Points(i) => {
                    !shared(&a.points, &b.points)
                        && a.points.get(r * a.k + i) != b.points.get(r * b.k + i)
                }
                Var::Value(i) => {
                    !shared(&a.values, &b.values) && at(a.values_of(r), i) != at(b.values_of(r), i)
                }
                Var::Outcome => a.outcome.get(r) != b.outcome.get(r),
                Var::Grade => a.grade.get(r) != b.grade.get(r),
                Var::Failed => a.failed.get(r) != b.failed.get(r),
                Var::Gate(g) => a.gates_of(r).get(g) != b.gates_of(r).get(g),
                Var::AnyGate => a.gates_of(r) != b.gates_of(r),
            })
        })
        .collect::<Vec<bool>>()
        .into()
}

/// Whether two unit kinds compute the same aggregates (so unchanged villages give unchanged
/// values): the same columns, the same aggregates, and no parameter read by a filter unless the
/// parameters are the same.
fn same_aggregates(a: &Kind, b: &Kind, params_same: bool) -> bool {
    let reads_param = |agg: &Aggregate| {
        let param = |o: &Operand| matches!(o, Operand::Var(Var::Param(_)));
        matches!(agg.of, Some(Var::Param(_)))
            || agg
                .filter
                .iter()
                .any(|c| param(&c.left) || c.op.as_ref().is_some_and(|(_, r)| param(r)))
    };
    a.columns.len() == b.columns.len()
        && a.columns.iter().zip(&b.columns).all(|(x, y)| {
            x.name == y.name
                && x.min == y.min
                && x.max == y.max
                && x.missing == y.missing
                && match (&x.source, &y.source) {
                    (ColumnSource::Data, ColumnSource::Data) => true,
                    (ColumnSource::Aggregate(p), ColumnSource::Aggregate(q)) => {
                        p == q && (params_same || !reads_param(p))
                    }
                    _ => false,
                }
        })
}

/// Aggregate, score and decide one linked unit kind, then rank it and share its fund. With an
/// earlier result, only the units whose villages changed are aggregated and scored again.
fn score_unit(
    rules: &RuleSet,
    kind: &Kind,
    linked: &Linked,
    reads: &Reads,
    earlier: Option<&Earlier>,
) -> Result<UnitResult, EvalError> {
    let (frame, result, reached) = match (earlier, reads.presult) {
        (Some(e), Some(presult)) => {
            // An aggregate of a unit is taken again only if a village field it reads changed
            // (a changed outcome redoes a share of exits, not a mean of totals). One over
            // another kind (`from`) is always taken again.
            let per_aggregate: Vec<Vec<bool>> = aggregates(kind)
                .iter()
                .map(|(_, _, a)| {
                    if a.from.is_some() {
                        return vec![true; linked.villages.len()];
                    }
                    match villages_changed(e.before, presult, &aggregate_vars(a)) {
                        Some(changed) => linked
                            .villages
                            .iter()
                            .map(|vs| vs.iter().any(|&v| changed.get(v).copied().unwrap_or(true)))
                            .collect(),
                        None => vec![false; linked.villages.len()],
                    }
                })
                .collect();
            let mask: Vec<bool> = (0..linked.villages.len())
                .map(|u| {
                    per_aggregate
                        .iter()
                        .any(|m| m.get(u).copied().unwrap_or(true))
                })
                .collect();
            let mut frame = e.unit.frame.clone();
            let only = Some(per_aggregate.as_slice());
            let reached = fill_aggregates(rules, kind, &mut frame, linked, reads, only)?;
            let prior = crate::engine::run::Prior::of(e.rules, e.kind, &e.unit.result);
            let result = match crate::engine::run::rescore_rows(rules, kind, &frame, &prior, &mask)
            {
                Some(r) => r?,
                None => evaluate_kind(rules, kind, &frame)?,
            };
            (frame, result, reached)
        }
        _ => {
            let mut frame = linked.frame.clone();
            let reached = fill_aggregates(rules, kind, &mut frame, linked, reads, None)?;
            let result = evaluate_kind(rules, kind, &frame)?;
            (frame, result, reached)
        }
    };
    let mut result = result;
    let standing = population(rules, kind, &frame, &mut result)?;
    Ok(UnitResult {
        kind: linked.kind,
        frame,
        result,
        villages: Arc::clone(&linked.villages),
        rank: standing.rank,
        award: standing.award,
        notes: standing.notes,
        fund: standing.fund,
        reached,
    })
}

/// (unit id, village row, row of the link in its file) for every link.
type LinkRow<'a> = (std::borrow::Cow<'a, str>, usize, u64);

/// Where links come from, for messages: the file and the column naming the unit.
struct LinkSite {
    file: String,
    column: String,
}

fn links<'a>(
    ds: &DataSet,
    primary: &Kind,
    kind: &Kind,
    pframe: &'a Frame,
) -> Result<(Vec<LinkRow<'a>>, LinkSite), EvalError> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut site = LinkSite {
        file: pframe.file.clone(),
        column: String::new(),
    };
    match &kind.link {
        None => {}
        Some(Link::Column(col)) => {
            site.column = col.clone();
            if let Some((_, values)) = pframe.groups.iter().find(|(n, _)| n == col) {
                let link = |r: usize| {
                    let v = values.get(r).unwrap_or("");
                    let row = pframe.rows.get(r).copied().unwrap_or(0);
                    (std::borrow::Cow::Borrowed(v), r, row)
                };
                // Usually every village names its unit: the links are then made in parallel,
                // straight into place.
                if values.iter().all(|v| !v.is_empty()) {
                    out = (0..values.len()).into_par_iter().map(link).collect();
                } else {
                    out = (0..values.len())
                        .map(link)
                        .filter(|l| !l.0.is_empty())
                        .collect();
                }
            }
        }
        Some(Link::Table {
            table,
            unit_column,
            village_column,
        }) => {
            let tf = ds.table(table).map_err(|e| data_err(vec![e]))?;
            site = LinkSite {
                file: tf.display(),
                column: unit_column.clone(),
            };
            for (unit, village, row) in
                read_pairs(tf, unit_column, village_column).map_err(data_err)?
            {
                match pframe.find(&village) {
                    Some(vr) => out.push((std::borrow::Cow::Owned(unit), vr, row)),
                    // A village left out of a scenario's subset links to nothing.
                    None if pframe.subset.is_some() => {}
                    None => {
                        let mut e = DataError::cell(
                            &site.file,
                            row,
                            village_column,
                            &village,
                            &format!("no such {}", primary.noun()),
                            format!("an id from `{}`", pframe.file),
                        );
                        e.help = Some(format!("a link must name an assessed {}", primary.noun()));
                        errors.push(e);
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok((out, site))
    } else {
        Err(data_err(errors))
    }
}

/// A unit kind without a table: its ids are the distinct ids its links name, in id order, and
/// each covers the villages that name it.
fn derived_frame(kind: &Kind, links: &[LinkRow]) -> (Frame, Members) {
    let (ids, villages) = distinct_ids(links);
    let n = ids.len();
    let frame = Frame {
        file: format!("the `{}` links", kind.name),
        rows: vec![0; n],
        ids: ids.into(),
        cols: kind
            .columns
            .iter()
            .map(|_| Column {
                values: vec![0.0; n].into(),
                ..Column::default()
            })
            .collect(),
        ..Frame::default()
    };
    (frame, villages)
}

/// Bits of a sort key that hold a link's index (the rest hold its id's head and length).
const LINK_BITS: u32 = 56;

/// The distinct unit ids the links name, in id order, and the village rows of each.
fn distinct_ids(links: &[LinkRow]) -> (TextColumn, Members) {
    // The links sorted by unit id (in parallel): equal ids sit together, already in id order.
    // A link's key is its id's first eight bytes as one number, the id's length (9 for any
    // longer), then the link's index, packed in one integer. For ids of up to eight bytes the
    // keys order and tell apart exactly as the texts do, so only runs of longer ids with one
    // head are compared in full.
    let head = |id: &str| {
        let mut bytes = [0u8; 8];
        for (k, b) in bytes.iter_mut().zip(id.bytes()) {
            *k = b;
        }
        (u128::from(u64::from_be_bytes(bytes)) << 8 | id.len().min(9) as u128) << LINK_BITS
    };
    let link = |key: u128| (key & ((1 << LINK_BITS) - 1)) as usize;
    let same_head = |a: u128, b: u128| a >> LINK_BITS == b >> LINK_BITS;
    let long = |key: u128| (key >> LINK_BITS) & 0xff > 8;
    let text = |key: u128| links.get(link(key)).map_or("", |l| l.0.as_ref());
    let mut sorted: Vec<u128> = links
        .par_iter()
        .enumerate()
        .map(|(i, l)| head(l.0.as_ref()) | i as u128)
        .collect();
    sorted.par_sort_unstable();
    let mut start = 0;
    while start < sorted.len() {
        let first = sorted.get(start).copied().unwrap_or(0);
        let run = sorted.get(start..).map_or(0, |r| {
            r.iter().take_while(|&&k| same_head(k, first)).count()
        });
        if run > 1 && long(first) {
            if let Some(r) = sorted.get_mut(start..start + run) {
                r.sort_unstable_by(|&a, &b| text(a).cmp(text(b)).then(a.cmp(&b)));
            }
        }
        start += run.max(1);
    }
    // Where each id's run starts: at a new head, or within a run of long ids at a new text.
    let mut starts: Vec<usize> = (0..sorted.len())
        .into_par_iter()
        .filter(|&p| {
            let (Some(&k), Some(&before)) =
                (sorted.get(p), p.checked_sub(1).and_then(|q| sorted.get(q)))
            else {
                return true;
            };
            !same_head(k, before) || (long(k) && text(k) != text(before))
        })
        .collect();
    let mut ids = TextColumn::with_capacity(starts.len(), starts.len() * 8);
    for &p in &starts {
        let key = sorted.get(p).copied().unwrap_or(0);
        // A short id is its key's head: read from there, not from the link it came from.
        let len = ((key >> LINK_BITS) & 0xff) as usize;
        let bytes = ((key >> (LINK_BITS + 8)) as u64).to_be_bytes();
        match bytes.get(..len).map(std::str::from_utf8) {
            Some(Ok(id)) if len <= 8 => ids.push(id),
            _ => ids.push(text(key)),
        }
    }
    starts.push(sorted.len());
    let rows: Vec<usize> = sorted
        .par_iter()
        .map(|&k| links.get(link(k)).map_or(0, |l| l.1))
        .collect();
    (ids, Members::from_parts(starts, rows))
}

/// Add one village to a unit's running aggregates (count, sum, min, max per aggregate), to
/// those for which `todo` holds.
fn accumulate(
    aggs: &[(usize, &ColumnSpec, &Aggregate)],
    view: &super::entity::View,
    slots: &mut [(usize, f64, f64, f64)],
    todo: impl Fn(usize) -> bool,
) {
    for (a, ((_, _, agg), (n, sum, lo, hi))) in aggs.iter().zip(slots.iter_mut()).enumerate() {
        if !todo(a) || !agg.filter.iter().all(|cmp| view.compare(cmp)) {
            continue;
        }
        let x = match agg.of {
            Some(var) => match view.get(var) {
                super::entity::Val::Num(x) => x,
                super::entity::Val::Bool(b) => f64::from(u8::from(b)),
                super::entity::Val::Str(_) => 0.0,
            },
            None => 1.0,
        };
        *n += 1;
        *sum += x;
        *lo = lo.min(x);
        *hi = hi.max(x);
    }
}

/// Compute the aggregate columns over each unit's villages, in village id order. With
/// `only` (per aggregate, per unit), only the marked aggregates of the marked units are taken
/// again; the others keep their values.
fn fill_aggregates(
    rules: &RuleSet,
    kind: &Kind,
    frame: &mut Frame,
    linked: &Linked,
    reads: &Reads,
    only: Option<&[Vec<bool>]>,
) -> Result<Vec<super::graph::Reached>, EvalError> {
    let all = aggregates(kind);
    // Over the primary kind through the link, as before `from` existed.
    let (global, aggs): (Vec<usize>, Vec<_>) = all
        .iter()
        .enumerate()
        .filter(|(_, (_, _, a))| a.from.is_none())
        .map(|(g, x)| (g, *x))
        .unzip();
    let mut errors = Vec::new();
    if !aggs.is_empty() {
        let Some(presult) = reads.presult else {
            return Err(EvalError::Internal(format!(
                "kind `{}` aggregates over the primary kind before it is evaluated",
                kind.name
            )));
        };
        let group = Group {
            aggs: &aggs,
            global: &global,
            members: &linked.villages,
            sctx: reads.pctx,
            sres: presult,
        };
        errors = fill_group(rules, kind, frame, &group, only);
    }
    let (more, reached) =
        super::graph::fill_sourced(rules, kind, Some(linked.kind), frame, &all, reads)?;
    errors.extend(more);
    if errors.is_empty() {
        Ok(reached)
    } else {
        Err(data_err(errors))
    }
}

/// Aggregates over one kind read through one way, and the kind's results.
pub(super) struct Group<'a> {
    pub aggs: &'a [(usize, &'a ColumnSpec, &'a Aggregate)],
    /// Each aggregate's index among all of its kind's (what `only` is indexed by).
    pub global: &'a [usize],
    /// Per entity of the aggregating kind: the rows of the kind read.
    pub members: &'a Members,
    pub sctx: &'a KindCtx<'a>,
    pub sres: &'a KindResult,
}

/// Compute one group's aggregate columns over each entity's members, in id order. With `only`
/// (per aggregate, per entity), only the marked aggregates of the marked entities are taken
/// again; the others keep their values. Returns the data problems found.
pub(super) fn fill_group(
    rules: &RuleSet,
    kind: &Kind,
    frame: &mut Frame,
    group: &Group,
    only: Option<&[Vec<bool>]>,
) -> Vec<DataError> {
    let mut errors = Vec::new();
    let aggs = group.aggs;
    let m = aggs.len();
    if m == 0 {
        return errors;
    }
    let (pctx, presult) = (group.sctx, group.sres);
    let villages = group.members;
    let n = villages.len();
    let wanted = |u: usize, a: usize| {
        only.is_none_or(|w| {
            group
                .global
                .get(a)
                .and_then(|g| w.get(*g))
                .is_none_or(|units| units.get(u).copied().unwrap_or(true))
        })
    };
    let units: Vec<usize> = (0..n).filter(|&u| (0..m).any(|a| wanted(u, a))).collect();
    // Units in parallel, each over its villages in row order (that is, id order, so its sums
    // add up in the same order whatever the thread count), its aggregates at once.
    let mut acc = vec![(0usize, 0.0f64, f64::INFINITY, f64::NEG_INFINITY); units.len() * m];
    acc.par_chunks_mut(m)
        .zip(units.par_iter())
        .for_each(|(slots, &u)| {
            for &r in villages.get(u).unwrap_or(&[]) {
                accumulate(aggs, &village_view(pctx, presult, r), slots, |a| {
                    wanted(u, a)
                });
            }
        });
    for (a, &(c, spec, agg)) in aggs.iter().enumerate() {
        // The earlier values, updated in place where taken again (a first evaluation starts
        // from zeros and takes them all).
        let mut col = frame
            .cols
            .get_mut(c)
            .map(std::mem::take)
            .unwrap_or_default();
        if col.values.len() != n {
            col.values = vec![0.0; n].into();
            col.missing = Vec::new();
        }
        for (&u, slots) in units.iter().zip(acc.chunks_exact(m)) {
            if !wanted(u, a) {
                continue;
            }
            let covered = villages.get(u).map_or(0, <[usize]>::len);
            let Some(&(count, sum, lo, hi)) = slots.get(a) else {
                continue;
            };
            let value = match agg.func {
                AggFn::Count => Some(count as f64),
                AggFn::Share => (covered > 0).then(|| count as f64 / covered as f64),
                AggFn::Sum => Some(sum),
                AggFn::Mean => (count > 0).then(|| sum / count as f64),
                AggFn::Min => (count > 0).then_some(lo),
                AggFn::Max => (count > 0).then_some(hi),
                AggFn::Any => Some(if count > 0 { 1.0 } else { 0.0 }),
                AggFn::All => Some(if covered > 0 && count == covered {
                    1.0
                } else {
                    0.0
                }),
            };
            let mut flag = false;
            let x = match value {
                Some(x) => {
                    let x = round_dp(x, agg.precision.unwrap_or(rules.precision));
                    if spec.min.is_some_and(|m| x < m) || spec.max.is_some_and(|m| x > m) {
                        let fmt = crate::rules::compile::fmt_num;
                        errors.push(DataError::cell(
                            &frame.file,
                            frame.rows.get(u).copied().unwrap_or(0),
                            &kind.id_column,
                            frame.id(u),
                            &format!(
                                "the aggregate `{}` is {} and out of range",
                                spec.name,
                                fmt(x)
                            ),
                            format!(
                                "a value from {} to {}",
                                spec.min.map_or("-inf".into(), fmt),
                                spec.max.map_or("inf".into(), fmt)
                            ),
                        ));
                    }
                    x
                }
                None => {
                    match spec.missing {
                        MissingPolicy::Zero => {}
                        MissingPolicy::Fail => flag = true,
                        MissingPolicy::Error => {
                            let what = if agg.of_text.is_empty() {
                                String::new()
                            } else {
                                format!(" of `{}`", agg.of_text)
                            };
                            let mut e = DataError::cell(
                                &frame.file,
                                frame.rows.get(u).copied().unwrap_or(0),
                                &kind.id_column,
                                frame.id(u),
                                &format!(
                                    "no {} to take the {}{what} over",
                                    pctx.kind.noun(),
                                    format!("{:?}", agg.func).to_lowercase()
                                ),
                                format!(
                                    "at least one linked {}{}",
                                    pctx.kind.noun(),
                                    if agg.filter.is_empty() {
                                        ""
                                    } else {
                                        " meeting the `where` conditions"
                                    }
                                ),
                            );
                            e.help = Some(format!("link a {} to `{}`, or set `missing: zero` or `missing: fail` on the indicator", pctx.kind.noun(), frame.id(u)));
                            errors.push(e);
                        }
                    }
                    0.0
                }
            };
            col.values.set(u, x);
            if flag && col.missing.is_empty() {
                col.missing = vec![false; n];
            }
            if let Some(m) = col.missing.get_mut(u) {
                *m = flag;
            }
        }
        // No missing flags when none is set.
        if !col.missing.iter().any(|m| *m) {
            col.missing = Vec::new();
        }
        if let Some(slot) = frame.cols.get_mut(c) {
            *slot = col;
        }
    }
    errors
}

/// A finished village as conditions see it.
fn village_view<'a>(pctx: &'a KindCtx<'a>, res: &'a KindResult, r: usize) -> View<'a> {
    View::of_result(pctx, res, r)
}

/// Rank, top N, quotas and the fund, over every entity of a kind once each is decided.
fn population(
    rules: &RuleSet,
    kind: &Kind,
    frame: &Frame,
    result: &mut KindResult,
) -> Result<Standing, EvalError> {
    let n = frame.len();
    let mut u = Standing {
        rank: vec![0; n],
        award: vec![0; n],
        notes: vec![Vec::new(); n],
        fund: None,
    };
    let ctx = KindCtx::new(kind, frame, &rules.params, &rules.scripts, rules.precision);
    // 1. Rank: the declared keys, then the id; never the input order.
    let order = ranking(&ctx, result, kind);
    if has_population(kind) {
        for (pos, &r) in order.iter().enumerate() {
            if let Some(slot) = u.rank.get_mut(r) {
                *slot = pos as u32 + 1;
            }
        }
    }
    let mut scope = Scope::new();
    // 2. Top N: the best-ranked units that did not fail get the outcome.
    if let Some(top) = &kind.top {
        let label = kind
            .outcomes
            .get(top.outcome)
            .map(|o| o.id.clone())
            .unwrap_or_default();
        let mut given = 0;
        for &r in &order {
            let failed = result.failed.get(r).copied().unwrap_or(true);
            if given < top.count && !failed {
                given += 1;
                if result.outcome.get(r).copied() != Some(top.outcome as u16) {
                    set(&mut result.outcome, r, top.outcome as u16);
                    note(
                        &mut u.notes,
                        r,
                        format!(
                            "ranked {} of {n}: among the top {} who receive `{label}`",
                            pos_of(&order, r),
                            top.count
                        ),
                    );
                }
            } else if result.outcome.get(r).copied() == Some(top.outcome as u16) {
                let next = top.outcome + 1;
                set(&mut result.outcome, r, next as u16);
                let to = kind.outcomes.get(next).map(|o| o.id.as_str()).unwrap_or("");
                note(
                    &mut u.notes,
                    r,
                    format!(
                        "ranked {} of {n}: only the top {} receive `{label}`; falls to `{to}`",
                        pos_of(&order, r),
                        top.count
                    ),
                );
            }
        }
    }
    // 3. Quotas, grade quotas first (an outcome may depend on the grade).
    let mut quotas: Vec<&Quota> = kind.quotas.iter().collect();
    quotas.sort_by_key(|q| matches!(q.target, QuotaTarget::Outcome(_)));
    for q in quotas {
        let limit = q
            .max_count
            .unwrap_or_else(|| (q.max_share.unwrap_or(1.0) * n as f64 + 1e-9).floor() as usize);
        let limit_text = match (q.max_share, q.max_count) {
            (Some(s), _) => format!(
                "at most {}% ({limit} of {n})",
                crate::rules::compile::fmt_num(round_dp(s * 100.0, 2))
            ),
            (_, Some(c)) => format!("at most {c}"),
            _ => String::new(),
        };
        let (column, target, name, next_name) = match q.target {
            QuotaTarget::Outcome(o) => (
                &mut result.outcome,
                o,
                kind.outcomes
                    .get(o)
                    .map(|x| x.id.clone())
                    .unwrap_or_default(),
                kind.outcomes
                    .get(o + 1)
                    .map(|x| x.id.clone())
                    .unwrap_or_default(),
            ),
            QuotaTarget::Grade(g) => (
                &mut result.grade,
                g,
                kind.grades.get(g).map(|x| x.id.clone()).unwrap_or_default(),
                kind.grades
                    .get(g + 1)
                    .map(|x| x.id.clone())
                    .unwrap_or_default(),
            ),
        };
        let mut kept = 0;
        let mut demoted = Vec::new();
        for &r in &order {
            if column.get(r).copied() == Some(target as u16) {
                kept += 1;
                if kept > limit {
                    set(column, r, target as u16 + 1);
                    demoted.push(r);
                }
            }
        }
        for r in demoted {
            let pos = pos_of(&order, r);
            note(&mut u.notes, r, format!("quota: {limit_text} may be `{name}`; ranked {pos} of {n}, falls to `{next_name}`"));
            if matches!(q.target, QuotaTarget::Grade(_)) {
                let o = redecide(&ctx, result, r, &mut scope).map_err(entity_err)?;
                set(&mut result.outcome, r, o as u16);
            }
        }
    }
    // 4. The fund.
    if let Some(fund) = &kind.fund {
        let (awards, summary) = share_fund(fund, result, &order, rules.precision);
        u.award = awards;
        u.fund = Some(summary);
    }
    Ok(u)
}

pub(super) fn entity_err(e: EntityError) -> EvalError {
    match e {
        EntityError::Data(d) => EvalError::Data(vec![d], 1),
        EntityError::Script(s) => EvalError::Script(vec![s], 1),
        EntityError::Internal(what) => EvalError::Internal(what),
    }
}

fn set(v: &mut [u16], r: usize, x: u16) {
    if let Some(slot) = v.get_mut(r) {
        *slot = x;
    }
}

fn note(notes: &mut [Vec<String>], r: usize, text: String) {
    if let Some(n) = notes.get_mut(r) {
        n.push(text);
    }
}

fn pos_of(order: &[usize], r: usize) -> usize {
    order.iter().position(|&x| x == r).map_or(0, |p| p + 1)
}

/// Rows from best to worst: by each key, then by id.
fn ranking(ctx: &KindCtx, res: &KindResult, kind: &Kind) -> Vec<usize> {
    let key = |r: usize, var: Var| -> f64 {
        let view = View {
            outcome: None,
            ..View::of_result(ctx, res, r)
        };
        match view.get(var) {
            super::entity::Val::Num(x) => x,
            super::entity::Val::Bool(b) => f64::from(u8::from(b)),
            // Grades rank best first: index 0 is the best grade.
            super::entity::Val::Str(_) if var == Var::Grade => {
                -(view.grade.unwrap_or(usize::MAX >> 1) as f64)
            }
            super::entity::Val::Str(_) => 0.0,
        }
    };
    // Frames are in id order, so the id tie-break is the row order.
    let n = ctx.frame.len();
    if kind.rank.is_empty() {
        return (0..n).collect();
    }
    // Keys computed once per unit, not per comparison.
    let keys: Vec<Vec<f64>> = kind
        .rank
        .iter()
        .map(|k| (0..n).map(|r| key(r, k.var)).collect())
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        for (k, vals) in kind.rank.iter().zip(&keys) {
            let (x, y) = (
                vals.get(a).copied().unwrap_or(0.0),
                vals.get(b).copied().unwrap_or(0.0),
            );
            let ord = if k.desc {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            };
            if ord != std::cmp::Ordering::Equal {
                return ord;
            }
        }
        a.cmp(&b)
    });
    order
}

/// Whole yuan by largest remainder: the awards add up to the budget exactly whenever there is
/// a recipient with a positive weight. Ties in the remainder go to the better rank.
pub fn share_fund(
    fund: &Fund,
    res: &KindResult,
    order: &[usize],
    precision: u32,
) -> (Vec<i64>, FundSummary) {
    let n = res.n;
    let scale = 10f64.powi(precision as i32);
    // Integer weights so the arithmetic is exact.
    let weight = |r: usize| -> i128 {
        match &fund.split {
            Split::Equal => 1,
            Split::Proportional => {
                (res.total.get(r).copied().unwrap_or(0.0).max(0.0) * scale).round() as i128
            }
            Split::ByGrade(w) => {
                let g = res.grade.get(r).copied().unwrap_or(u16::MAX) as usize;
                (w.get(g).copied().unwrap_or(0.0) * 1e6).round() as i128
            }
        }
    };
    let recipients: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&r| res.outcome.get(r).copied() == Some(fund.outcome as u16))
        .collect();
    let total_w: i128 = recipients.iter().map(|&r| weight(r)).sum();
    let mut awards = vec![0i64; n];
    if total_w <= 0 || recipients.is_empty() {
        return (
            awards,
            FundSummary {
                budget: fund.budget,
                paid: 0,
                recipients: recipients.len(),
            },
        );
    }
    let budget = fund.budget as i128;
    let mut rema: Vec<(i128, usize, usize)> = Vec::new();
    let mut paid: i128 = 0;
    for (pos, &r) in recipients.iter().enumerate() {
        let share = budget * weight(r);
        let base = share / total_w;
        if let Some(a) = awards.get_mut(r) {
            *a = base as i64;
        }
        paid += base;
        rema.push((share % total_w, pos, r));
    }
    rema.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, r) in rema.iter().take((budget - paid) as usize) {
        if let Some(a) = awards.get_mut(*r) {
            *a += 1;
        }
    }
    let paid: i64 = awards.iter().sum();
    (
        awards,
        FundSummary {
            budget: fund.budget,
            paid,
            recipients: recipients.len(),
        },
    )
}

/// Carry a unit's grade to its members: set, cap, or keep at most N at a grade.
fn apply_cascade(
    rules: &RuleSet,
    mkind: &Kind,
    m: &mut UnitResult,
    skind: &Kind,
    (sframe, sresult): (&Frame, &KindResult),
    c: &Cascade,
    subset: bool,
) -> Result<(), EvalError> {
    let Some((_, via)) = m.frame.groups.iter().find(|(n, _)| *n == c.via) else {
        return Ok(());
    };
    let via = via.clone();
    let grade_ix = |id: &str| mkind.grades.iter().position(|g| g.id == id);
    let mut errors = Vec::new();
    // Members in the member kind's rank order (its `rank` keys, then the id).
    let ctx = KindCtx::new(
        mkind,
        &m.frame,
        &rules.params,
        &rules.scripts,
        rules.precision,
    );
    let order = ranking(&ctx, &m.result, mkind);
    let mut changed = Vec::new();
    let mut seen_at_most: Vec<(usize, usize, usize)> = Vec::new(); // (source row, rule, count)
    for &r in &order {
        let unit_id = via.get(r).unwrap_or_default().to_string();
        let Some(s) = sframe.find(&unit_id) else {
            // Under a subset, a member's unit may not be assessed: nothing carries to it.
            if subset {
                continue;
            }
            errors.push(DataError::cell(
                &m.frame.file,
                m.frame.rows.get(r).copied().unwrap_or(0),
                &c.via,
                &unit_id,
                &format!("no such {}", skind.label),
                format!("an id from `{}`", sframe.file),
            ));
            continue;
        };
        let sgrade = sresult.grade.get(s).copied().unwrap_or(u16::MAX) as usize;
        let sgrade_name = skind
            .grades
            .get(sgrade)
            .map(|g| short(&g.label))
            .unwrap_or_default();
        for (k, rule) in c.rules.iter().enumerate() {
            if !rule.grades.contains(&sgrade) {
                continue;
            }
            let current = m.result.grade.get(r).copied().unwrap_or(u16::MAX) as usize;
            let new = match &rule.action {
                CascadeAction::Set(g) => grade_ix(g),
                CascadeAction::Cap(g) => grade_ix(g).map(|gi| current.max(gi)),
                CascadeAction::AtMost { grade, count } => match grade_ix(grade) {
                    Some(gi) if current == gi => {
                        let used = seen_at_most
                            .iter_mut()
                            .find(|(sr, kk, _)| *sr == s && *kk == k);
                        let n_used = match used {
                            Some((_, _, n)) => {
                                *n += 1;
                                *n
                            }
                            None => {
                                seen_at_most.push((s, k, 1));
                                1
                            }
                        };
                        (n_used > *count).then_some(gi + 1)
                    }
                    _ => None,
                },
            };
            if let Some(g) = new.filter(|g| *g != current) {
                set(&mut m.result.grade, r, g as u16);
                let was = mkind
                    .grades
                    .get(current)
                    .map(|x| short(&x.label))
                    .unwrap_or_default();
                let gname = mkind
                    .grades
                    .get(g)
                    .map(|x| short(&x.label))
                    .unwrap_or_default();
                note(
                    &mut m.notes,
                    r,
                    format!(
                        "{} `{unit_id}` is {sgrade_name}: grade {} from {was} to {gname}",
                        short(&skind.label),
                        if g > current { "lowered" } else { "raised" },
                    ),
                );
                changed.push(r);
            }
        }
    }
    if !errors.is_empty() {
        return Err(data_err(errors));
    }
    let mut scope = Scope::new();
    for r in changed {
        let o = redecide(&ctx, &m.result, r, &mut scope).map_err(entity_err)?;
        set(&mut m.result.outcome, r, o as u16);
    }
    // The fund follows the final outcomes.
    if let Some(fund) = &mkind.fund {
        let (awards, summary) = share_fund(fund, &m.result, &order, rules.precision);
        m.award = awards;
        m.fund = Some(summary);
    }
    Ok(())
}

fn short(label: &str) -> String {
    crate::words::short_label(label).to_string()
}

impl From<ScriptError> for EvalError {
    fn from(e: ScriptError) -> Self {
        EvalError::Script(vec![e], 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn result(totals: &[f64], outcomes: &[u16], grades: &[u16]) -> KindResult {
        KindResult {
            n: totals.len(),
            total: totals.to_vec().into(),
            outcome: outcomes.to_vec(),
            grade: grades.to_vec(),
            ..KindResult::default()
        }
    }

    proptest! {
        /// Each unit's village rows: sorted, each once, in unit order, sequentially and in
        /// parallel, whether made from links or from rows laid end to end; keeping some units
        /// keeps exactly their rows.
        #[test]
        fn members_are_each_units_sorted_distinct_rows(
            links in proptest::collection::vec((proptest::option::of(0usize..6), 0usize..40), 0..80),
            units in 1usize..8,
        ) {
            let links: Vec<(Option<usize>, usize)> = links
                .into_iter()
                .map(|(u, r)| (u.filter(|&u| u < units), r))
                .collect();
            let m = Members::from_links(units, links.iter().copied());
            let mut want: Vec<Vec<usize>> = vec![Vec::new(); units];
            for &(u, r) in &links {
                if let Some(u) = u {
                    want[u].push(r);
                }
            }
            // The same rows laid end to end in link order, unsorted and with repeats.
            let mut starts = vec![0];
            for w in &want {
                starts.push(starts.last().copied().unwrap_or(0) + w.len());
            }
            let parts = Members::from_parts(starts, want.concat());
            for w in &mut want {
                w.sort_unstable();
                w.dedup();
            }
            prop_assert_eq!(m.len(), units);
            let got: Vec<Vec<usize>> = m.iter().map(<[usize]>::to_vec).collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(&parts, &m);
            let par: Vec<Vec<usize>> = m.par_iter().map(<[usize]>::to_vec).collect();
            prop_assert_eq!(&par, &want);
            // Keeping the units with an even index keeps exactly their rows.
            let kept = m.keep(|u| u % 2 == 0);
            let want_kept: Vec<Vec<usize>> = want.iter().step_by(2).cloned().collect();
            prop_assert_eq!(kept.iter().map(<[usize]>::to_vec).collect::<Vec<_>>(), want_kept);
        }

        /// Unit ids found from links: in text order, each once, each covering the links that
        /// name it, whatever the lengths (ids longer than eight bytes sharing a start included).
        #[test]
        fn distinct_ids_are_the_sorted_texts(
            texts in proptest::collection::vec("[AB\\x00é]{0,3}(LONGPREFIX)?[AB]{0,3}", 0..60),
        ) {
            let links: Vec<LinkRow> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| (std::borrow::Cow::Borrowed(t.as_str()), i, 0))
                .collect();
            let (ids, members) = distinct_ids(&links);
            let mut want: Vec<&str> = texts.iter().map(String::as_str).collect();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(ids.iter().collect::<Vec<_>>(), want);
            // Each unit covers, in row order, exactly the links naming its id.
            prop_assert_eq!(members.len(), ids.len());
            for (u, rows) in members.iter().enumerate() {
                let want_rows: Vec<usize> = texts
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| ids.get(u) == Some(t.as_str()))
                    .map(|(i, _)| i)
                    .collect();
                prop_assert_eq!(rows, want_rows.as_slice());
            }
        }

        #[test]
        fn awards_add_up_to_the_budget(
            budget in 0i64..10_000_000,
            rows in proptest::collection::vec((0.0f64..100.0, 0u16..2, 0u16..3), 1..40),
            split in 0usize..3,
        ) {
            let totals: Vec<f64> = rows.iter().map(|r| (r.0 * 100.0).round() / 100.0).collect();
            let outcomes: Vec<u16> = rows.iter().map(|r| r.1).collect();
            let grades: Vec<u16> = rows.iter().map(|r| r.2).collect();
            let res = result(&totals, &outcomes, &grades);
            let split = match split {
                0 => Split::Equal,
                1 => Split::Proportional,
                _ => Split::ByGrade(vec![3.0, 2.0, 1.0]),
            };
            let fund = Fund { budget, outcome: 0, split, label: None };
            let order: Vec<usize> = (0..res.n).collect();
            let (awards, summary) = share_fund(&fund, &res, &order, 2);
            let recipients = outcomes.iter().filter(|o| **o == 0).count();
            let paid: i64 = awards.iter().sum();
            prop_assert!(awards.iter().all(|a| *a >= 0));
            for (a, o) in awards.iter().zip(&outcomes) {
                if *o != 0 { prop_assert_eq!(*a, 0); }
            }
            prop_assert_eq!(summary.paid, paid);
            let positive = recipients > 0 && match &fund.split {
                Split::Proportional => rows.iter().any(|r| r.1 == 0 && (r.0 * 100.0).round() > 0.0),
                _ => true,
            };
            if positive {
                prop_assert_eq!(paid, budget);
            }
        }
    }
}
