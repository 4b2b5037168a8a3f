//! Kinds as a graph: the members of each kind beyond the primary kind's (`members`), ways
//! through members composed into one list per entity, aggregates over any kind (`from`), and
//! the primary kind evaluated after the finer kinds it reads.

use super::entity::KindCtx;
use super::run::{EvalError, KindResult};
use super::units::{
    aggregates, data_err, evaluate_one, fill_group, Group, Linked, Links, Members, Reads,
    UnitResult,
};
use crate::data::parse::read_pairs;
use crate::data::{DataError, DataSet, Frame};
use crate::rules::model::*;
use std::sync::Arc;

/// Data problems listed per way of linking before the rest are only counted.
const SHOWN: usize = 200;

/// A kind of the rule set: the primary kind or a unit kind (its index in `RuleSet::units`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Primary,
    Unit(usize),
}

fn node_of(rules: &RuleSet, name: &str) -> Option<Node> {
    if rules.primary.name == name {
        return Some(Node::Primary);
    }
    rules
        .units
        .iter()
        .position(|k| k.name == name)
        .map(Node::Unit)
}

fn kind_of(rules: &RuleSet, n: Node) -> Option<&Kind> {
    match n {
        Node::Primary => Some(&rules.primary),
        Node::Unit(i) => rules.units.get(i),
    }
}

fn internal(what: String) -> EvalError {
    EvalError::Internal(what)
}

/// Find every kind's `members` in the data, once the unit kinds are linked: the primary kind's
/// are returned, each unit kind's are stored in its `Linked`. Under a scenario's subset, the
/// members of primary entities left out are left out too, and a member naming an entity that
/// is not assessed belongs to none.
pub fn link_members(
    rules: &RuleSet,
    ds: &DataSet,
    pframe: &Frame,
    linked: &mut [Linked],
) -> Result<Vec<Arc<Members>>, EvalError> {
    if rules.primary.members.is_empty() && rules.units.iter().all(|k| k.members.is_empty()) {
        return Ok(Vec::new());
    }
    let subset = pframe.subset.is_some();
    if subset {
        for m in &rules.primary.members {
            let MemberVia::Column(col) = &m.via else {
                continue;
            };
            let Some(l) = linked
                .iter_mut()
                .find(|l| rules.units.get(l.kind).is_some_and(|k| k.name == m.kind))
            else {
                continue;
            };
            let Some((_, names)) = l.frame.groups.iter().find(|(n, _)| n == col) else {
                continue;
            };
            let keep: Vec<bool> = names
                .iter()
                .map(|v| v.is_empty() || pframe.find(v).is_some())
                .collect();
            if keep.iter().all(|k| *k) {
                continue;
            }
            let rows: Vec<usize> = (0..keep.len())
                .filter(|&r| keep.get(r).copied().unwrap_or(false))
                .collect();
            l.frame.permute(&rows);
            l.villages = Arc::new(l.villages.keep(|u| keep.get(u).copied().unwrap_or(false)));
        }
    }
    let mut errors = Vec::new();
    let mut primary = Vec::new();
    for m in &rules.primary.members {
        match member_rows(rules, ds, (&rules.primary, pframe), m, linked, subset) {
            Ok(rows) => primary.push(Arc::new(rows)),
            Err(e) => errors.extend(e),
        }
    }
    let mut per_unit: Vec<(usize, Vec<Arc<Members>>)> = Vec::new();
    for l in linked.iter() {
        let Some(kind) = rules.units.get(l.kind) else {
            continue;
        };
        let mut found = Vec::new();
        for m in &kind.members {
            match member_rows(rules, ds, (kind, &l.frame), m, linked, subset) {
                Ok(rows) => found.push(Arc::new(rows)),
                Err(e) => errors.extend(e),
            }
        }
        per_unit.push((l.kind, found));
    }
    if !errors.is_empty() {
        return Err(data_err(errors));
    }
    for (k, found) in per_unit {
        if let Some(l) = linked.iter_mut().find(|l| l.kind == k) {
            l.members = found;
        }
    }
    Ok(primary)
}

/// The primary entities of each unit kind that reaches them through its members rather than a
/// `link` (a town's households, through its villages).
pub(super) fn reach_primary(rules: &RuleSet, links: &mut Links) -> Result<(), EvalError> {
    let mut found = Vec::new();
    for l in &links.units {
        let Some(kind) = rules.units.get(l.kind).filter(|k| !k.through.is_empty()) else {
            continue;
        };
        let source = Source {
            kind: rules.primary.name.clone(),
            path: kind.through.clone(),
        };
        found.push((l.kind, reach(rules, links, Node::Unit(l.kind), &source)?));
    }
    for (k, m) in found {
        if let Some(l) = links.units.iter_mut().find(|l| l.kind == k) {
            l.villages = Arc::new(m);
        }
    }
    Ok(())
}

/// The rows of `m`'s kind that belong to each entity of `owner`.
fn member_rows(
    rules: &RuleSet,
    ds: &DataSet,
    owner: (&Kind, &Frame),
    m: &MemberLink,
    linked: &[Linked],
    subset: bool,
) -> Result<Members, Vec<DataError>> {
    let (okind, oframe) = owner;
    let Some((mkind, mframe)) = linked.iter().find_map(|l| {
        let k = rules.units.get(l.kind)?;
        (k.name == m.kind).then_some((k, &l.frame))
    }) else {
        return Err(vec![DataError::file(
            oframe.file.clone(),
            format!(
                "the members of `{}` are `{}`, which is not linked",
                okind.name, m.kind
            ),
        )]);
    };
    let no_such = |file: &str, row: u64, col: &str, id: &str, of: (&Kind, &Frame)| {
        let mut e = DataError::cell(
            file,
            row,
            col,
            id,
            &format!("no such {}", of.0.label),
            format!("an id from `{}`", of.1.file),
        );
        e.help = Some(format!(
            "add `{id}` to the {} table, or correct the id",
            of.0.label
        ));
        e
    };
    let mut errors = Vec::new();
    let mut more = 0usize;
    let mut links: Vec<(Option<usize>, usize)> = Vec::new();
    match &m.via {
        MemberVia::Column(col) => {
            let Some((_, names)) = mframe.groups.iter().find(|(n, _)| n == col) else {
                return Err(vec![DataError::file(
                    mframe.file.clone(),
                    format!(
                        "the {} are the members of `{}` through their `{col}` column, but they have no table to read it from",
                        mkind.nouns(),
                        okind.name
                    ),
                )]);
            };
            for (r, id) in names.iter().enumerate() {
                if id.is_empty() {
                    continue;
                }
                match oframe.find(id) {
                    Some(o) => links.push((Some(o), r)),
                    None if subset => {}
                    None if errors.len() >= SHOWN => more += 1,
                    None => errors.push(no_such(
                        &mframe.file,
                        mframe.rows.get(r).copied().unwrap_or(0),
                        col,
                        id,
                        owner,
                    )),
                }
            }
            if more > 0 {
                errors.push(DataError::unlisted(
                    mframe.file.clone(),
                    more,
                    " members naming unknown ids",
                ));
            }
        }
        MemberVia::Table {
            table,
            unit_column,
            member_column,
        } => {
            let tf = ds.table(table).map_err(|e| vec![e])?;
            let member_column = if member_column.is_empty() {
                &mkind.id_column
            } else {
                member_column
            };
            let file = tf.display();
            for (o, id, row) in read_pairs(tf, unit_column, member_column)? {
                match (oframe.find(&o), mframe.find(&id)) {
                    (Some(o), Some(r)) => links.push((Some(o), r)),
                    _ if subset => {}
                    _ if errors.len() >= SHOWN => more += 1,
                    (None, _) => errors.push(no_such(&file, row, unit_column, &o, owner)),
                    (_, None) => {
                        errors.push(no_such(&file, row, member_column, &id, (mkind, mframe)))
                    }
                }
            }
            if more > 0 {
                errors.push(DataError::unlisted(file, more, " links to unknown ids"));
            }
        }
    }
    if errors.is_empty() {
        Ok(Members::from_links(oframe.len(), links.into_iter()))
    } else {
        Err(errors)
    }
}

/// The rows of `to` that belong to each entity of `from`, through their one way of members:
/// the `link` when `to` is the primary kind, else `from`'s `members` entry for it.
fn step<'a>(
    rules: &RuleSet,
    links: &'a Links,
    from: Node,
    to: Node,
) -> Result<&'a Members, EvalError> {
    let to_name = kind_of(rules, to).map(|k| k.name.as_str()).unwrap_or("");
    match (from, to) {
        (Node::Unit(i), Node::Primary) => links
            .units
            .iter()
            .find(|l| l.kind == i)
            .map(|l| l.villages.as_ref()),
        (Node::Primary, Node::Unit(_)) => rules
            .primary
            .members
            .iter()
            .position(|m| m.kind == to_name)
            .and_then(|j| links.primary.get(j))
            .map(Arc::as_ref),
        (Node::Unit(i), Node::Unit(_)) => {
            let j = rules
                .units
                .get(i)
                .and_then(|k| k.members.iter().position(|m| m.kind == to_name));
            links
                .units
                .iter()
                .find(|l| l.kind == i)
                .and_then(|l| l.members.get(j?))
                .map(Arc::as_ref)
        }
        (Node::Primary, Node::Primary) => None,
    }
    .ok_or_else(|| {
        internal(format!(
            "no members of `{to_name}` linked for `{}`",
            kind_of(rules, from).map(|k| k.name.as_str()).unwrap_or("")
        ))
    })
}

/// Per entity of `a`, the rows of `b`'s members: the union over its `a` rows, sorted.
fn compose(a: &Members, b: &Members) -> Result<Members, EvalError> {
    let mut starts = Vec::with_capacity(a.len() + 1);
    starts.push(0);
    let mut rows = Vec::new();
    for part in a.iter() {
        for &r in part {
            let more = b.get(r).ok_or_else(|| {
                internal(format!(
                    "a member row {r} beyond the {} entities of the next kind",
                    b.len()
                ))
            })?;
            rows.extend_from_slice(more);
        }
        starts.push(rows.len());
    }
    Ok(Members::from_parts(starts, rows))
}

/// The rows of `source.kind` each entity of `from` reaches along `source.path`.
fn reach(
    rules: &RuleSet,
    links: &Links,
    from: Node,
    source: &Source,
) -> Result<Members, EvalError> {
    let mut at = from;
    let mut out: Option<Members> = None;
    for name in &source.path {
        let next = node_of(rules, name)
            .ok_or_else(|| internal(format!("no kind `{name}` on the way to `{}`", source.kind)))?;
        let m = step(rules, links, at, next)?;
        out = Some(match out {
            None => m.clone(),
            Some(so_far) => compose(&so_far, m)?,
        });
        at = next;
    }
    out.ok_or_else(|| internal(format!("an empty way to `{}`", source.kind)))
}

/// Fill the aggregates of `kind` that read another kind (`from`), each group of those read the
/// same way at once. `this` is the kind's index among the units (`None`: the primary kind).
/// Returns the data problems found, and what each way reached.
pub(super) fn fill_sourced(
    rules: &RuleSet,
    kind: &Kind,
    this: Option<usize>,
    frame: &mut Frame,
    all: &[(usize, &ColumnSpec, &Aggregate)],
    reads: &Reads,
) -> Result<(Vec<DataError>, Vec<Reached>), EvalError> {
    let mut reached = Vec::new();
    let mut sources: Vec<&Source> = Vec::new();
    for (_, _, a) in all {
        if let Some(s) = &a.from {
            if !sources.contains(&s) {
                sources.push(s);
            }
        }
    }
    let mut errors = Vec::new();
    let from = this.map_or(Node::Primary, Node::Unit);
    for source in sources {
        let (global, aggs): (Vec<usize>, Vec<_>) = all
            .iter()
            .enumerate()
            .filter(|(_, (_, _, a))| a.from.as_ref() == Some(source))
            .map(|(g, x)| (g, *x))
            .unzip();
        let members = reach(rules, reads.links, from, source)?;
        let what = |n: &str| {
            internal(format!(
                "`{}` reads `{n}` before `{n}` is evaluated",
                kind.name
            ))
        };
        let (skind, sframe, sres) = match node_of(rules, &source.kind) {
            Some(Node::Primary) => (
                &rules.primary,
                reads.pctx.frame,
                reads.presult.ok_or_else(|| what(&source.kind))?,
            ),
            Some(Node::Unit(i)) => {
                let u = reads
                    .done
                    .iter()
                    .find(|u| u.kind == i)
                    .ok_or_else(|| what(&source.kind))?;
                let k = rules.units.get(i).ok_or_else(|| what(&source.kind))?;
                (k, &u.frame, &u.result)
            }
            None => return Err(what(&source.kind)),
        };
        let sctx = KindCtx::new(
            skind,
            sframe,
            &rules.params,
            &rules.scripts,
            rules.precision,
        );
        let group = Group {
            aggs: &aggs,
            global: &global,
            members: &members,
            sctx: &sctx,
            sres,
        };
        errors.extend(fill_group(rules, kind, frame, &group, None));
        reached.push(Reached {
            source: source.clone(),
            members: Arc::new(members),
            ids: Arc::clone(&sframe.ids),
        });
    }
    Ok((errors, reached))
}

/// The entities of another kind an aggregate read (`from`), per entity of the aggregating kind,
/// with their ids: what `explain` lists.
#[derive(Debug, Clone)]
pub struct Reached {
    pub source: Source,
    pub members: Arc<Members>,
    pub ids: Arc<crate::data::frame::TextColumn>,
}

/// Whether the primary kind reads another kind's results (aggregates over a finer kind).
pub fn primary_reads_others(rules: &RuleSet) -> bool {
    rules.primary.columns.iter().any(|c| !c.from_data())
}

/// The primary kind's results, with the finer kinds it read.
pub struct Primary {
    pub result: KindResult,
    /// What its population rules (rank, top N, quotas, fund) gave each entity, when it has any.
    pub standing: Option<super::units::Standing>,
    pub finer: Finer,
    /// The primary frame with its aggregates filled in, when the primary kind has any.
    pub frame: Option<Frame>,
}

/// The kinds the primary kind reads, evaluated before it, and the links made to evaluate them.
#[derive(Default)]
pub struct Finer {
    /// Reported with the units.
    pub units: Vec<UnitResult>,
    /// Used again for the other unit kinds.
    pub links: Option<Links>,
}

/// The one place the primary kind is evaluated: first the finer kinds it aggregates over (in
/// order, with their cascades), then its aggregates from their results, then `score` scores and
/// decides it, then its population rules (rank, top N, quotas, fund) apply. `score` is told whether the frame is the one given (so that scores computed
/// from it before may be reused); when the primary kind reads no other kind it is only that.
pub fn evaluate_primary(
    rules: &RuleSet,
    ds: &DataSet,
    pframe: &Frame,
    links: Option<&Links>,
    score: impl FnOnce(&Frame, bool) -> Result<KindResult, EvalError>,
) -> Result<Primary, EvalError> {
    if !primary_reads_others(rules) {
        let mut result = score(pframe, true)?;
        let standing = super::units::primary_population(rules, pframe, &mut result)?;
        return Ok(Primary {
            result,
            standing,
            finer: Finer::default(),
            frame: None,
        });
    }
    let made = match links {
        Some(_) => None,
        None => Some(super::units::link_units(rules, ds, pframe)?),
    };
    let Some(links) = links.or(made.as_ref()) else {
        return Err(internal("no links for the finer kinds".into()));
    };
    let mut frame = pframe.clone();
    let finer = {
        let pctx = KindCtx::new(
            &rules.primary,
            pframe,
            &rules.params,
            &rules.scripts,
            rules.precision,
        );
        let mut done: Vec<UnitResult> = Vec::new();
        for &k in rules.order.iter().take(rules.finer) {
            let l = links
                .units
                .iter()
                .find(|l| l.kind == k)
                .ok_or_else(|| internal(format!("unit kind {k} is not linked")))?;
            let reads = Reads {
                links,
                pctx: &pctx,
                presult: None,
                done: &done,
            };
            let u = evaluate_one(rules, l, &reads, None)?;
            done.push(u);
        }
        let all = aggregates(&rules.primary);
        let reads = Reads {
            links,
            pctx: &pctx,
            presult: None,
            done: &done,
        };
        let (errors, _) = fill_sourced(rules, &rules.primary, None, &mut frame, &all, &reads)?;
        if !errors.is_empty() {
            return Err(data_err(errors));
        }
        done
    };
    let mut result = score(&frame, false)?;
    let standing = super::units::primary_population(rules, &frame, &mut result)?;
    Ok(Primary {
        result,
        standing,
        finer: Finer {
            units: finer,
            links: made,
        },
        frame: Some(frame),
    })
}

/// Every unit kind not yet evaluated, after the primary kind: over the links the finer kinds
/// were evaluated with, or links made now.
pub fn evaluate_units_after(
    rules: &RuleSet,
    ds: &DataSet,
    pframe: &Frame,
    presult: &KindResult,
    finer: Finer,
) -> Result<Vec<UnitResult>, EvalError> {
    match finer.links {
        Some(links) => super::units::evaluate_linked(rules, pframe, presult, &links, finer.units),
        None => super::units::evaluate_units(rules, ds, pframe, presult, finer.units),
    }
}
