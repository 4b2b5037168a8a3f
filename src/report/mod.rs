//! Reporting: results → terminal tables, Markdown, JSON, CSV, and the files of `--out`.
//! Reads only the evaluation; never re-scores.

pub mod csv_out;
pub mod json;
pub mod summary;
pub mod table;
pub mod write;

use crate::data::{DataSet, Frame};
use crate::engine::KindResult;
use crate::rules::model::{Kind, RuleSet};

/// Everything a report reads about one run.
pub struct RunView<'a> {
    pub rules: &'a RuleSet,
    pub data: &'a DataSet,
    pub primary: KindView<'a>,
    pub data_sha256: String,
    pub data_files: Vec<(String, String)>,
    pub scenario: Option<String>,
}

/// One kind's frame and results.
pub struct KindView<'a> {
    pub kind: &'a Kind,
    pub frame: &'a Frame,
    pub result: &'a KindResult,
}

impl KindView<'_> {
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
        let mut v: Vec<&str> = self
            .result
            .gates_of(r)
            .iter()
            .zip(&self.kind.gates)
            .filter(|(f, _)| **f)
            .map(|(_, g)| g.id.as_str())
            .collect();
        if self.result.missing_fail.get(r).copied().unwrap_or(false) {
            v.push("missing_evidence");
        }
        v
    }

    /// Ids of the dimensions under their minimum for entity `r`.
    pub fn below_min(&self, r: usize) -> Vec<&str> {
        self.result
            .below_min_of(r)
            .iter()
            .zip(&self.kind.dims)
            .filter(|(b, _)| **b)
            .map(|(_, d)| d.id.as_str())
            .collect()
    }
}

/// The first part of a bilingual label: `稳定 (stability)` → `稳定`.
pub fn short_label(label: &str) -> &str {
    match label.find(" (") {
        Some(i) if i > 0 => label.get(..i).unwrap_or(label),
        _ => label,
    }
}

/// A score with the rule set's precision.
pub fn fmt_score(x: f64, precision: u32) -> String {
    format!("{:.*}", precision as usize, x)
}
