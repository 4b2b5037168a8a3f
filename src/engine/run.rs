//! The parallel driver: entities are split into blocks scored on rayon's pool, each block with
//! its own scratch scope. Blocks are joined in id order, so results never depend on the
//! thread count.

use super::entity::{evaluate_row, EntityError, KindCtx, RowOut};
use crate::data::{DataError, Frame};
use crate::rules::model::{Kind, RuleSet};
use crate::script::ScriptError;
use rayon::prelude::*;
use rhai::Scope;

/// Entities per parallel block.
const BLOCK: usize = 2048;
/// Errors kept per run before the rest are only counted.
const MAX_ERRORS: usize = 200;

/// Columnar results for every entity of one kind, in id order.
#[derive(Debug, Clone, Default)]
pub struct KindResult {
    pub n: usize,
    /// Indicator count, dimension count and gate count (the row strides).
    pub k: usize,
    pub d: usize,
    pub g: usize,
    pub values: Vec<f64>,
    pub points: Vec<f64>,
    pub dims: Vec<f64>,
    pub total: Vec<f64>,
    pub gates: Vec<bool>,
    pub below_min: Vec<bool>,
    pub failed: Vec<bool>,
    pub missing_fail: Vec<bool>,
    pub grade_raw: Vec<u16>,
    pub grade: Vec<u16>,
    pub outcome: Vec<u16>,
}

impl KindResult {
    fn with_len(n: usize, k: usize, d: usize, g: usize) -> Self {
        KindResult {
            n,
            k,
            d,
            g,
            values: vec![0.0; n * k],
            points: vec![0.0; n * k],
            dims: vec![0.0; n * d],
            total: vec![0.0; n],
            gates: vec![false; n * g],
            below_min: vec![false; n * d],
            failed: vec![false; n],
            missing_fail: vec![false; n],
            grade_raw: vec![0; n],
            grade: vec![0; n],
            outcome: vec![0; n],
        }
    }

    fn append(&mut self, mut o: KindResult) {
        self.n += o.n;
        self.values.append(&mut o.values);
        self.points.append(&mut o.points);
        self.dims.append(&mut o.dims);
        self.total.append(&mut o.total);
        self.gates.append(&mut o.gates);
        self.below_min.append(&mut o.below_min);
        self.failed.append(&mut o.failed);
        self.missing_fail.append(&mut o.missing_fail);
        self.grade_raw.append(&mut o.grade_raw);
        self.grade.append(&mut o.grade);
        self.outcome.append(&mut o.outcome);
    }

    /// Dimension scores of entity `r`.
    pub fn dims_of(&self, r: usize) -> &[f64] {
        self.dims.get(r * self.d..(r + 1) * self.d).unwrap_or(&[])
    }

    /// Indicator points of entity `r`.
    pub fn points_of(&self, r: usize) -> &[f64] {
        self.points.get(r * self.k..(r + 1) * self.k).unwrap_or(&[])
    }

    /// Indicator input values of entity `r`.
    pub fn values_of(&self, r: usize) -> &[f64] {
        self.values.get(r * self.k..(r + 1) * self.k).unwrap_or(&[])
    }

    /// Gate flags of entity `r`.
    pub fn gates_of(&self, r: usize) -> &[bool] {
        self.gates.get(r * self.g..(r + 1) * self.g).unwrap_or(&[])
    }

    /// Below-minimum flags of entity `r`.
    pub fn below_min_of(&self, r: usize) -> &[bool] {
        self.below_min
            .get(r * self.d..(r + 1) * self.d)
            .unwrap_or(&[])
    }
}

/// Why a kind could not be evaluated.
#[derive(Debug, Clone)]
pub enum EvalError {
    /// Computed inputs out of range (exit 4).
    Data(Vec<DataError>, usize),
    /// Scripts failed (exit 5).
    Script(Vec<ScriptError>, usize),
}

/// Score and decide every entity of `kind` in `frame`, keeping every input value.
pub fn evaluate_kind(rules: &RuleSet, kind: &Kind, frame: &Frame) -> Result<KindResult, EvalError> {
    evaluate_kind_with(rules, kind, frame, true)
}

/// Score and decide every entity. Without `keep_values`, input values live only while their
/// entity is scored (`values` stays empty), which saves memory on large runs.
pub fn evaluate_kind_with(
    rules: &RuleSet,
    kind: &Kind,
    frame: &Frame,
    keep_values: bool,
) -> Result<KindResult, EvalError> {
    let ctx = KindCtx::new(kind, frame, &rules.params, &rules.scripts, rules.precision);
    let n = frame.len();
    let (k, d, g) = (kind.indicators.len(), kind.dims.len(), kind.gates.len());
    let blocks: Vec<(usize, usize)> = (0..n)
        .step_by(BLOCK)
        .map(|s| (s, (s + BLOCK).min(n)))
        .collect();
    let parts: Vec<(KindResult, Vec<EntityError>, usize)> = blocks
        .par_iter()
        .map_init(Scope::new, |scope, &(start, end)| {
            let m = end - start;
            let mut res = KindResult::with_len(m, k, d, g);
            let mut scratch = vec![0.0; k];
            if !keep_values {
                res.values = Vec::new();
            }
            let mut errors = Vec::new();
            let mut count = 0;
            for i in 0..m {
                let out = RowOut {
                    values: if keep_values {
                        res.values.get_mut(i * k..(i + 1) * k).unwrap_or_default()
                    } else {
                        &mut scratch
                    },
                    points: res.points.get_mut(i * k..(i + 1) * k).unwrap_or_default(),
                    dims: res.dims.get_mut(i * d..(i + 1) * d).unwrap_or_default(),
                    gates: res.gates.get_mut(i * g..(i + 1) * g).unwrap_or_default(),
                    below_min: res
                        .below_min
                        .get_mut(i * d..(i + 1) * d)
                        .unwrap_or_default(),
                    total: match res.total.get_mut(i) {
                        Some(t) => t,
                        None => continue,
                    },
                    failed: match res.failed.get_mut(i) {
                        Some(t) => t,
                        None => continue,
                    },
                    missing_fail: match res.missing_fail.get_mut(i) {
                        Some(t) => t,
                        None => continue,
                    },
                    grade_raw: match res.grade_raw.get_mut(i) {
                        Some(t) => t,
                        None => continue,
                    },
                    grade: match res.grade.get_mut(i) {
                        Some(t) => t,
                        None => continue,
                    },
                    outcome: match res.outcome.get_mut(i) {
                        Some(t) => t,
                        None => continue,
                    },
                };
                if let Err(e) = evaluate_row(&ctx, start + i, out, scope) {
                    count += 1;
                    if errors.len() < MAX_ERRORS {
                        errors.push(e);
                    }
                }
            }
            (res, errors, count)
        })
        .collect();
    let mut result = KindResult {
        k,
        d,
        g,
        ..KindResult::default()
    };
    let mut data_errors = Vec::new();
    let mut script_errors = Vec::new();
    let (mut data_count, mut script_count) = (0, 0);
    for (part, errors, count) in parts {
        result.append(part);
        let scripts = errors
            .iter()
            .filter(|e| matches!(e, EntityError::Script(_)))
            .count();
        script_count += scripts;
        data_count += count - scripts;
        for e in errors {
            match e {
                EntityError::Data(x) if data_errors.len() < MAX_ERRORS => data_errors.push(x),
                EntityError::Script(x) if script_errors.len() < MAX_ERRORS => script_errors.push(x),
                _ => {}
            }
        }
    }
    // A script failure stops the run (exit 5) even when data errors were found too.
    if !script_errors.is_empty() {
        return Err(EvalError::Script(script_errors, script_count));
    }
    if !data_errors.is_empty() {
        return Err(EvalError::Data(data_errors, data_count));
    }
    Ok(result)
}
