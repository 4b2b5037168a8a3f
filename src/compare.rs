//! Comparing evaluations: the baseline against each scenario — outcome and grade counts, every
//! entity whose outcome or grade changed with the reason, and award changes.

use crate::data::{DataSet, Frame};
use crate::engine::graph::{evaluate_primary, evaluate_units_after};
use crate::engine::run::{rescore_kind, Prior};
use crate::engine::units::{
    evaluate_linked, evaluate_linked_from, link_units, same_links, Links, PriorUnits,
};
use crate::engine::units::{Standing, UnitResult};
use crate::engine::EvalError;
use crate::engine::KindResult;
use crate::report::summary::reasons;
use crate::report::KindView;
use crate::rules::RuleSet;
use serde::Serialize;

/// One evaluation: the baseline or a scenario.
pub struct Evaluated {
    pub name: String,
    pub label: String,
    pub rules: RuleSet,
    /// Shared with the baseline when the scenario reads the same data unchanged.
    pub frame: std::sync::Arc<Frame>,
    pub result: KindResult,
    /// The primary kind's ranks, awards and notes, when it declares population rules.
    pub standing: Option<Standing>,
    pub units: Vec<UnitResult>,
}

impl Evaluated {
    /// Views of every kind, with the names beside their ids: the primary first, then the
    /// units.
    pub fn views(&self) -> Vec<KindView<'_>> {
        let views = self.bare_views();
        let tables: Vec<_> = views.iter().map(|v| (v.kind, v.frame)).collect();
        let names = crate::report::names::Names::of(
            std::iter::once(&self.rules.primary).chain(&self.rules.units),
            &tables,
        );
        drop(tables);
        views.into_iter().map(|v| v.with_names(&names)).collect()
    }

    fn bare_views(&self) -> Vec<KindView<'_>> {
        std::iter::once(KindView::of_primary(
            &self.rules,
            &self.frame,
            &self.result,
            self.standing.as_ref(),
        ))
        .chain(
            self.units
                .iter()
                .filter_map(|u| KindView::of_unit(&self.rules, u)),
        )
        .collect()
    }
}

/// The baseline, with its input values kept (scenarios over the same data start from it),
/// and its unit links.
pub fn evaluate_baseline(
    rules: RuleSet,
    frame: std::sync::Arc<Frame>,
    ds: &DataSet,
) -> Result<(Evaluated, Links), EvalError> {
    let p = evaluate_primary(&rules, ds, &frame, None, |f, _| {
        crate::engine::evaluate_kind(&rules, &rules.primary, f)
    })?;
    let frame = p.frame.map(std::sync::Arc::new).unwrap_or(frame);
    let result = p.result;
    let standing = p.standing;
    let linked = match p.finer.links {
        Some(l) => l,
        None => link_units(&rules, ds, &frame)?,
    };
    let units = evaluate_linked(&rules, &frame, &result, &linked, p.finer.units)?;
    Ok((
        Evaluated {
            name: "baseline".into(),
            label: "现行细则 (baseline)".into(),
            rules,
            frame,
            result,
            standing,
            units,
        },
        linked,
    ))
}

/// Changed rules over the baseline's data, unchanged: scores the change does not touch are
/// reused, and units whose villages did not change keep their aggregates.
pub fn evaluate_over(
    base: &Evaluated,
    linked: &Links,
    ds: &DataSet,
    rules: RuleSet,
    name: &str,
    label: &str,
) -> Result<Evaluated, EvalError> {
    let reuse = same_links(&base.rules, &rules);
    let prior = Prior::of(&base.rules, &base.rules.primary, &base.result);
    let keep = crate::engine::reads::keeps_values(&rules);
    // A primary kind that reads finer kinds has its aggregates filled again from this
    // scenario's results: its scores are then not the baseline's to reuse.
    let p = evaluate_primary(
        &rules,
        ds,
        &base.frame,
        reuse.then_some(linked),
        |f, same| match same
            .then(|| rescore_kind(&rules, &rules.primary, f, &prior))
            .flatten()
        {
            Some(r) => r,
            None => crate::engine::evaluate_kind_with(&rules, &rules.primary, f, keep),
        },
    )?;
    let frame = p
        .frame
        .map(std::sync::Arc::new)
        .unwrap_or_else(|| std::sync::Arc::clone(&base.frame));
    let result = p.result;
    let standing = p.standing;
    let units = if reuse {
        let pu = PriorUnits {
            rules: &base.rules,
            units: &base.units,
            before: &base.result,
        };
        evaluate_linked_from(&rules, &frame, &result, linked, Some(&pu), p.finer.units)?
    } else {
        evaluate_units_after(&rules, ds, &frame, &result, p.finer)?
    };
    Ok(Evaluated {
        name: name.to_string(),
        label: label.to_string(),
        rules,
        frame,
        result,
        standing,
        units,
    })
}

/// An entity whose decision changed under a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub scenario: String,
    pub kind: String,
    pub entity: String,
    pub label: String,
    /// The entity's text columns with the names beside them (`town_id`, `town_name`, …), as
    /// in its result file.
    pub columns: indexmap::IndexMap<String, String>,
    /// `out` when it leaves the passing outcomes, `in` when it reaches one, `null` otherwise.
    pub flip: Option<Flip>,
    pub from: Decision,
    pub to: Decision,
    pub reason: String,
}

/// A move across the line between passing and not passing outcomes.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Flip {
    /// From a passing outcome to one that is not.
    Out,
    /// From an outcome that is not passing to a passing one.
    In,
}

impl Flip {
    /// In the committee's words, then in English.
    pub fn words(self) -> &'static str {
        match self {
            Flip::Out => "出 (out)",
            Flip::In => "入 (in)",
        }
    }
}

/// An outcome, a grade and a total.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Decision {
    pub outcome: String,
    pub grade: String,
    pub total: f64,
}

/// A unit whose award changed.
#[derive(Debug, Clone, Serialize)]
pub struct AwardChange {
    pub scenario: String,
    pub kind: String,
    pub entity: String,
    pub label: String,
    pub from: i64,
    pub to: i64,
}

fn decision(v: &KindView, r: usize) -> Decision {
    Decision {
        outcome: v.outcome_id(r).to_string(),
        grade: v.grade_id(r).to_string(),
        total: v.result.total.get(r).copied().unwrap_or(0.0),
    }
}

/// Whether outcome `id` of `kind` is a passing one.
fn passes(kind: &crate::rules::model::Kind, id: &str) -> bool {
    kind.outcomes.iter().any(|o| o.id == id && o.passing)
}

/// For a unit, the primary entities it covers whose outcome the scenario changed, in words
/// (`V04 大张格庄村 exit → continue`); empty for the primary kind or when none changed. Those
/// a subset leaves out are not listed.
fn covered_changes(
    bv: &KindView,
    r: usize,
    bp: &KindView,
    sp: &KindView,
    same_rows: bool,
) -> Vec<String> {
    let Some(rows) = bv.unit.and_then(|u| u.villages.get(r)) else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(|&vr| {
            let id = bp.frame.id(vr);
            let was = bp.outcome_id(vr);
            // One a subset leaves out is not assessed: no decision of its changed.
            let s = if same_rows {
                Some(vr)
            } else {
                sp.frame.find(id)
            }?;
            let now = sp.outcome_id(s);
            (was != now).then(|| {
                let name = bp.frame.label(vr);
                if name == id {
                    format!("{id} {was} → {now}")
                } else {
                    format!("{id} {name} {was} → {now}")
                }
            })
        })
        .collect()
}

/// Every change of outcome or grade, and of award, from `base` to `sc`. Within a kind, the
/// entities that leave the passing outcomes come first, then those that reach one (a swap
/// shows even when the counts stay equal), then the other changes, each in id order.
pub fn diff(base: &Evaluated, sc: &Evaluated) -> (Vec<Change>, Vec<AwardChange>) {
    let mut changes = Vec::new();
    let mut awards = Vec::new();
    let sviews = sc.views();
    let bviews = base.views();
    let (Some(bp), Some(sp)) = (bviews.first(), sviews.first()) else {
        return (changes, awards);
    };
    let primary_same_rows = std::ptr::eq(bp.frame, sp.frame) || bp.frame.ids == sp.frame.ids;
    for bv in &bviews {
        let start = changes.len();
        let Some(sv) = sviews.iter().find(|v| v.kind.name == bv.kind.name) else {
            continue;
        };
        // The same frame (rows in the same order) needs no lookup by id.
        let same_rows = std::ptr::eq(bv.frame, sv.frame) || bv.frame.ids == sv.frame.ids;
        let award_change = |r: usize, to: i64| AwardChange {
            scenario: sc.name.clone(),
            kind: bv.kind.name.clone(),
            entity: bv.frame.id(r).to_string(),
            label: bv.frame.label(r).to_string(),
            from: bv.award(r),
            to,
        };
        for r in 0..bv.frame.len() {
            let s = if same_rows {
                r
            } else {
                match sv.frame.find(bv.frame.id(r)) {
                    Some(s) => s,
                    // Left out of a subset: not assessed, so any award it had is lost.
                    None => {
                        if bv.standing.is_some() && bv.award(r) != 0 {
                            awards.push(award_change(r, 0));
                        }
                        continue;
                    }
                }
            };
            // Compare the decisions as ids first; build the texts only for a change.
            let same_outcome = bv.outcome_id(r) == sv.outcome_id(s);
            let same_grade = bv.grade_id(r) == sv.grade_id(s);
            if bv.standing.is_some() && bv.award(r) != sv.award(s) {
                awards.push(award_change(r, sv.award(s)));
            }
            if same_outcome && same_grade {
                continue;
            }
            let id = bv.frame.id(r);
            let (from, to) = (decision(bv, r), decision(sv, s));
            if from.outcome != to.outcome || from.grade != to.grade {
                // Passing outcomes rank above the rest, each group in rule order.
                let standing = |k: &crate::rules::model::Kind, id: &str| {
                    k.outcomes
                        .iter()
                        .position(|o| o.id == id)
                        .map(|i| (!k.outcomes.get(i).is_some_and(|o| o.passing), i))
                };
                let worse = standing(sv.kind, &to.outcome) > standing(bv.kind, &from.outcome);
                // For a ranked kind whose decision moved with its rank rather than its score.
                let by_rank = || {
                    let (was, now) = (bv.rank(r)?, sv.rank(s)?);
                    (was != now).then(|| {
                        format!(
                            "ranked {now} of {}, was {was} of {}; ",
                            sv.frame.len(),
                            bv.frame.len()
                        )
                    })
                };
                let reason = if worse || from.outcome == to.outcome {
                    let mut why = reasons(&sc.rules, sv, s);
                    for n in sv.notes(s) {
                        if !why.is_empty() {
                            why.push_str("; ");
                        }
                        why.push_str(n);
                    }
                    // A note of the baseline's that no longer holds (a team's cascade that
                    // lowered this grade, a top-N place) is why it moved.
                    let gone: Vec<&str> = bv
                        .notes(r)
                        .iter()
                        .filter(|n| !sv.notes(s).contains(n))
                        .map(String::as_str)
                        .collect();
                    // A move of rank says more than the note it lost; a lifted cascade
                    // leaves the rank as it was.
                    if why.is_empty() && !gone.is_empty() && by_rank().is_none() {
                        why = format!("no longer: {}", gone.join("; "));
                    }
                    if why.is_empty() {
                        why = format!(
                            "{}total {} → {}",
                            by_rank().unwrap_or_default(),
                            fmt(from.total),
                            fmt(to.total)
                        );
                    }
                    why
                } else if !sv.notes(s).is_empty() {
                    sv.notes(s).join("; ")
                } else {
                    let was = reasons(&base.rules, bv, r);
                    let gone: Vec<&str> = bv.notes(r).iter().map(String::as_str).collect();
                    if was.is_empty() && !gone.is_empty() && by_rank().is_none() {
                        // What held it back was a note of the baseline's: a cascade's cap.
                        format!("no longer: {}", gone.join("; "))
                    } else if was.is_empty() {
                        format!(
                            "{}total {} → {}",
                            by_rank().unwrap_or_default(),
                            fmt(from.total),
                            fmt(to.total)
                        )
                    } else {
                        format!(
                            "no longer: {was} (total {} → {})",
                            fmt(from.total),
                            fmt(to.total)
                        )
                    }
                };
                // A unit whose villages changed: those changes first, then the rule.
                let covered = covered_changes(bv, r, bp, sp, primary_same_rows);
                let reason = if covered.is_empty() {
                    reason
                } else {
                    format!("{}; {reason}", covered.join(", "))
                };
                let flip = match (passes(bv.kind, &from.outcome), passes(sv.kind, &to.outcome)) {
                    (true, false) => Some(Flip::Out),
                    (false, true) => Some(Flip::In),
                    _ => None,
                };
                let columns = bv.named_columns(r);
                changes.push(Change {
                    scenario: sc.name.clone(),
                    kind: bv.kind.name.clone(),
                    entity: id.to_string(),
                    label: bv.frame.label(r).to_string(),
                    columns,
                    flip,
                    from,
                    to,
                    reason,
                });
            }
        }
        // Out, then in, then the rest: a stable sort keeps each group in id order.
        if let Some(kind_changes) = changes.get_mut(start..) {
            kind_changes.sort_by_key(|c| c.flip.map_or(2, |f| f as u8));
        }
    }
    (changes, awards)
}

fn fmt(x: f64) -> String {
    format!("{x:.2}")
}
