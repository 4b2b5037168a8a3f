//! Reporting: results → terminal tables, Markdown, JSON, CSV, and the files of `--out`.
//! Reads only the evaluation; never re-scores.

pub mod csv_out;
mod digits;
pub mod handout;
pub mod html;
pub mod json;
pub mod names;
pub(crate) mod notice;
pub mod summary;
pub mod table;
pub mod write;
pub mod xlsx;

use crate::data::{DataSet, Frame};
use crate::engine::units::StandingView;
use crate::engine::KindResult;
use crate::rules::model::{Kind, RuleSet};
// Every format writes short labels; the helper lives with the other words all stages share.
pub use crate::words::short_label;

/// Everything a report reads about one run.
pub struct RunView<'a> {
    pub rules: &'a RuleSet,
    pub data: &'a DataSet,
    pub primary: KindView<'a>,
    /// The unit kinds, in rule-set order.
    pub units: Vec<KindView<'a>>,
    pub data_sha256: String,
    pub data_files: Vec<(String, String)>,
    /// The scenario applied: its name and the SHA-256 of its file.
    pub scenario: Option<(String, String)>,
    /// The result files this run writes (recorded in the manifest, checked by `--verify`).
    pub outputs: Vec<String>,
    /// The what-if the run was made under, which every output then says; `None` for the
    /// rules as they are, whose outputs carry no mark.
    pub what_if: Option<WhatIf>,
}

/// What marks the outputs of a run under a scenario or `--set`/`--gate` flags.
#[derive(Debug, Clone)]
pub struct WhatIf {
    /// The scenario's label, the flags (`pass_line=72`), or both.
    pub label: String,
    /// The scenario file's name, if one was named.
    pub scenario: Option<String>,
    /// The `--set` flags as typed (`pass_line=72`).
    pub set: Vec<String>,
    /// The `--gate` flags as typed (`collective_petition=off`).
    pub gates: Vec<String>,
}

impl WhatIf {
    /// The what-if a scenario (with any flags) makes.
    pub fn of(sc: &crate::scenario::Scenario) -> WhatIf {
        WhatIf {
            label: sc.label.clone(),
            scenario: sc.from_file.as_ref().map(|(n, _)| n.clone()),
            set: sc.flags.set.clone(),
            gates: sc.flags.gates.clone(),
        }
    }

    /// The one line every output shows: `模拟测算，非正式结果 · LABEL`.
    pub fn banner(&self) -> String {
        format!("{} · {}", crate::scenario::WHAT_IF_MARK, self.label)
    }
}

/// One kind's frame and results.
pub struct KindView<'a> {
    pub kind: &'a Kind,
    pub frame: &'a Frame,
    pub result: &'a KindResult,
    /// For units: the linked primary entities, ranks, awards, notes and the fund.
    pub unit: Option<&'a crate::engine::units::UnitResult>,
    /// Ranks, awards, notes and the fund: every unit kind's, and the primary kind's when it
    /// declares population rules (`None` otherwise, and its results then read as before).
    pub standing: Option<StandingView<'a>>,
    /// Per text column of the frame (in its order): the names written beside its values, if
    /// any (see [`names`]). Empty until [`KindView::with_names`] fills it.
    pub names: Vec<Option<std::sync::Arc<names::Named>>>,
}

impl<'a> KindView<'a> {
    /// A view of a unit kind's results.
    pub fn of_unit(
        rules: &'a RuleSet,
        u: &'a crate::engine::units::UnitResult,
    ) -> Option<KindView<'a>> {
        let kind = rules.units.get(u.kind)?;
        Some(KindView {
            kind,
            frame: &u.frame,
            result: &u.result,
            unit: Some(u),
            standing: Some(u.standing()),
            names: Vec::new(),
        })
    }

    /// A view of the primary kind's results, with its population rules' standing if any.
    pub fn of_primary(
        rules: &'a RuleSet,
        frame: &'a Frame,
        result: &'a KindResult,
        standing: Option<&'a crate::engine::units::Standing>,
    ) -> KindView<'a> {
        KindView {
            kind: &rules.primary,
            frame,
            result,
            unit: None,
            standing: standing.map(|s| s.view()),
            names: Vec::new(),
        }
    }

    /// The view with the names of its text columns.
    pub fn with_names(mut self, names: &names::Names) -> KindView<'a> {
        self.names = names.for_frame(&self.kind.name, self.frame);
        self
    }

    /// Each text column with, when it is named, the names' heading and names: the columns of
    /// a result file, in order.
    pub fn text_columns(
        &self,
    ) -> impl Iterator<Item = (&'a str, &'a crate::data::TextColumn, Option<&names::Named>)> + '_
    {
        let frame: &'a Frame = self.frame;
        frame.groups.iter().enumerate().map(move |(i, (c, vals))| {
            let named = self.names.get(i).and_then(|n| n.as_deref());
            (c.as_str(), vals, named)
        })
    }

    /// Entity `r`'s text columns with the names beside them (`town_id`, `town_name`, …), as
    /// in its result file.
    pub fn named_columns(&self, r: usize) -> indexmap::IndexMap<String, String> {
        let mut columns = indexmap::IndexMap::new();
        for (c, vals, named) in self.text_columns() {
            let value = vals.get(r).unwrap_or("");
            columns.insert(c.to_string(), value.to_string());
            if let Some(n) = named {
                columns.insert(n.header.clone(), n.name(value).to_string());
            }
        }
        columns
    }

    /// Rank of entity `r`, 1 = best; `None` for a kind that is not ranked (the engine then
    /// leaves every rank at 0).
    pub fn rank(&self, r: usize) -> Option<u32> {
        self.standing
            .and_then(|s| s.rank.get(r))
            .copied()
            .filter(|&x| x > 0)
    }

    /// Award of entity `r` in yuan.
    pub fn award(&self, r: usize) -> i64 {
        self.standing
            .and_then(|s| s.award.get(r))
            .copied()
            .unwrap_or(0)
    }

    /// Population and cascade notes of entity `r`.
    pub fn notes(&self, r: usize) -> &[String] {
        self.standing
            .and_then(|s| s.notes.get(r))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Whether this kind ranks its entities, and whether it has a fund.
    pub fn ranked(&self) -> bool {
        self.standing.is_some_and(|s| s.rank.iter().any(|r| *r > 0))
    }

    /// How the kind's fund was shared, for a kind with a fund.
    pub fn fund(&self) -> Option<&'a crate::engine::units::FundSummary> {
        self.standing.and_then(|s| s.fund)
    }

    /// The grade id of entity `r` (empty when no grade applies).
    pub fn grade_id(&self, r: usize) -> &str {
        self.result
            .grade
            .get(r)
            .and_then(|&g| self.kind.grades.get(g as usize))
            .map(|g| g.id.as_str())
            .unwrap_or("")
    }

    /// The grade label of entity `r`.
    pub fn grade_label(&self, r: usize) -> &str {
        self.result
            .grade
            .get(r)
            .and_then(|&g| self.kind.grades.get(g as usize))
            .map(|g| g.label.as_str())
            .unwrap_or("")
    }

    /// The outcome id of entity `r`.
    pub fn outcome_id(&self, r: usize) -> &str {
        self.result
            .outcome
            .get(r)
            .and_then(|&o| self.kind.outcomes.get(o as usize))
            .map(|o| o.id.as_str())
            .unwrap_or("")
    }

    /// The outcome label of entity `r`.
    pub fn outcome_label(&self, r: usize) -> &str {
        self.result
            .outcome
            .get(r)
            .and_then(|&o| self.kind.outcomes.get(o as usize))
            .map(|o| o.label.as_str())
            .unwrap_or("")
    }

    /// Ids of the gates that fired for entity `r`, plus `missing_evidence` when a `fail`
    /// column was empty.
    pub fn fired(&self, r: usize) -> Vec<&str> {
        self.fired_ids(r).collect()
    }

    /// `fired`, without collecting.
    pub fn fired_ids(&self, r: usize) -> impl Iterator<Item = &str> {
        let missing = self.result.missing_fail.get(r).copied().unwrap_or(false);
        self.result
            .gates_of(r)
            .iter()
            .zip(&self.kind.gates)
            .filter(|(f, _)| **f)
            .map(|(_, g)| g.id.as_str())
            .chain(missing.then_some("missing_evidence"))
    }

    /// The scored dimensions (before any bonus or deduction group).
    pub fn scored_dims(&self) -> usize {
        self.kind
            .dims
            .iter()
            .take_while(|d| !d.is_adjustment())
            .count()
    }

    /// The total before adjustments of entity `r`, for a kind whose total has adjustments.
    pub fn base_total(&self, r: usize, precision: u32) -> Option<f64> {
        self.kind.has_adjustments().then(|| {
            crate::engine::entity::base_total(self.kind, self.result.dims_row(r), precision)
        })
    }

    /// Ids of the dimensions under their minimum for entity `r`.
    pub fn below_min(&self, r: usize) -> Vec<&str> {
        self.below_min_ids(r).collect()
    }

    /// `below_min`, without collecting.
    pub fn below_min_ids(&self, r: usize) -> impl Iterator<Item = &str> {
        self.result
            .below_min_of(r)
            .iter()
            .zip(&self.kind.dims)
            .filter(|(b, _)| **b)
            .map(|(_, d)| d.id.as_str())
    }
}

/// A score with the rule set's precision.
pub fn fmt_score(x: f64, precision: u32) -> String {
    format!("{:.*}", precision as usize, x)
}

/// A dimension's score as people read it: a deduction group's points with a minus sign.
pub fn fmt_dim_score(d: &crate::rules::model::Dimension, x: f64, precision: u32) -> String {
    if d.role == crate::rules::model::DimRole::Deduct && x != 0.0 {
        format!("-{}", fmt_score(x, precision))
    } else {
        fmt_score(x, precision)
    }
}

/// A dimension's heading as people read it: `党建/30`, `加分项/+5`, `扣分项/-30`.
pub fn dim_heading(d: &crate::rules::model::Dimension) -> String {
    use crate::rules::model::DimRole;
    let sign = match d.role {
        DimRole::Score => "",
        DimRole::Add => "+",
        DimRole::Deduct => "-",
    };
    format!(
        "{}/{sign}{}",
        short_label(&d.label),
        crate::words::fmt_num(d.max)
    )
}
