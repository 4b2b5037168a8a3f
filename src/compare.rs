//! Comparing evaluations: the baseline against each scenario — outcome and grade counts, every
//! entity whose outcome or grade changed with the reason, and award changes.

use crate::data::Frame;
use crate::engine::units::{Standing, UnitResult};
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
    /// Views of every kind: the primary first, then the units.
    pub fn views(&self) -> Vec<KindView<'_>> {
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

/// An entity whose decision changed under a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub scenario: String,
    pub kind: String,
    pub entity: String,
    pub label: String,
    pub from: Decision,
    pub to: Decision,
    pub reason: String,
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

/// Every change of outcome or grade, and of award, from `base` to `sc`.
pub fn diff(base: &Evaluated, sc: &Evaluated) -> (Vec<Change>, Vec<AwardChange>) {
    let mut changes = Vec::new();
    let mut awards = Vec::new();
    let sviews = sc.views();
    for bv in base.views() {
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
            let (from, to) = (decision(&bv, r), decision(sv, s));
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
                    let was = reasons(&base.rules, &bv, r);
                    if was.is_empty() {
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
                changes.push(Change {
                    scenario: sc.name.clone(),
                    kind: bv.kind.name.clone(),
                    entity: id.to_string(),
                    label: bv.frame.label(r).to_string(),
                    from,
                    to,
                    reason,
                });
            }
        }
    }
    (changes, awards)
}

fn fmt(x: f64) -> String {
    format!("{x:.2}")
}
