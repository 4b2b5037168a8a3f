//! The parallel driver: entities are split into blocks scored on rayon's pool, each block with
//! its own scratch scope. Blocks are joined in id order, so results never depend on the
//! thread count.

use super::entity::{
    decide_row, evaluate_row, has_zeroing, indicator_points, score_block, scores_by_block,
    sum_dims, DecideOut, EntityError, KindCtx, KnownGates, ScoreOut, Scores,
};
use super::fixed::{scale_for, Dest, Fixed, Row};
use crate::data::{DataError, Frame};
use crate::rules::model::{
    Condition, DimRole, ExprId, Input, Kind, Method, Operand, Param, RuleSet, Var,
};
use crate::script::{ScriptError, ScriptHost};
use rayon::prelude::*;
use rhai::Scope;
use std::borrow::Cow;
use std::sync::Arc;

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
    /// Scores are shared, never changed once computed: a later evaluation that decides again
    /// from the same scores (another scenario, a sensitivity draw) holds them without a copy.
    pub values: Arc<Vec<f64>>,
    pub points: Arc<Fixed>,
    pub dims: Arc<Fixed>,
    pub total: Arc<Vec<f64>>,
    pub gates: Vec<bool>,
    pub below_min: Vec<bool>,
    pub failed: Vec<bool>,
    pub missing_fail: Vec<bool>,
    pub grade_raw: Vec<u16>,
    pub grade: Vec<u16>,
    pub outcome: Vec<u16>,
}

impl KindResult {
    /// Dimension scores of entity `r`.
    pub fn dims_of(&self, r: usize) -> Cow<'_, [f64]> {
        self.dims.row(r, self.d)
    }

    /// Indicator points of entity `r`.
    pub fn points_of(&self, r: usize) -> Cow<'_, [f64]> {
        self.points.row(r, self.k)
    }

    /// The same result with its scores stored as they are (see [`Fixed`]): for a result that
    /// many evaluations decide again from.
    pub fn with_exact_scores(self) -> KindResult {
        KindResult {
            points: Arc::new(self.points.to_exact()),
            dims: Arc::new(self.dims.to_exact()),
            ..self
        }
    }

    /// Dimension scores of entity `r`, read in place.
    pub fn dims_row(&self, r: usize) -> Row<'_> {
        Row::of(&self.dims, r, self.d)
    }

    /// Indicator points of entity `r`, read in place.
    pub fn points_row(&self, r: usize) -> Row<'_> {
        Row::of(&self.points, r, self.k)
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
    /// An invariant of the engine broke: a bug in bangfu, not a problem with the rules or the
    /// data (exit 5). It names the invariant; a silent default would have put a wrong number
    /// in someone's score instead.
    Internal(String),
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
    drive(&ctx, Scoring::Full { keep_values })
}

/// A kind's earlier result, and what produced it: the starting point of [`rescore_kind`].
pub struct Prior<'a> {
    pub kind: &'a Kind,
    pub params: &'a [Param],
    pub scripts: &'a ScriptHost,
    pub precision: u32,
    pub result: &'a KindResult,
}

impl<'a> Prior<'a> {
    /// `result`, computed for `kind` under `rules`.
    pub fn of(rules: &'a RuleSet, kind: &'a Kind, result: &'a KindResult) -> Self {
        Prior {
            kind,
            params: &rules.params,
            scripts: &rules.scripts,
            precision: rules.precision,
            result,
        }
    }
}

/// Score and decide every entity again from an earlier result over the same data, recomputing
/// only what the rules changed. Input values are shared with the earlier result; only the
/// indicators whose scoring changed are re-scored, and dimensions and totals are summed again
/// only if one did (otherwise every score is shared, not copied). Minimums, gates, grades and
/// outcomes are always decided afresh. The result equals what [`evaluate_kind`] gives.
///
/// `None` when the earlier result cannot serve: it kept no input values, the inputs or the
/// dimensions changed, or a script that computes an input or points could read a changed
/// parameter or is itself changed.
pub fn rescore_kind(
    rules: &RuleSet,
    kind: &Kind,
    frame: &Frame,
    prior: &Prior,
) -> Option<Result<KindResult, EvalError>> {
    let changed = reusable(rules, kind, frame, prior)?;
    let mut ctx = KindCtx::new(kind, frame, &rules.params, &rules.scripts, rules.precision);
    ctx.known_gates = known_gates(rules, kind, prior, changed.is_empty());
    Some(if changed.is_empty() {
        drive(&ctx, Scoring::Reuse(prior.result))
    } else {
        drive(&ctx, Scoring::Rescore(prior.result, &changed))
    })
}

/// Score and decide every entity again from an earlier result over the same entities, whose
/// inputs changed only on the rows marked in `rows`: those are scored afresh, the others keep
/// their earlier scores, and every entity is decided afresh. The result equals what
/// [`evaluate_kind`] gives when the unmarked rows' inputs are indeed unchanged.
///
/// `None` under the same conditions as [`rescore_kind`], or when an indicator's scoring changed.
pub fn rescore_rows(
    rules: &RuleSet,
    kind: &Kind,
    frame: &Frame,
    prior: &Prior,
    rows: &[bool],
) -> Option<Result<KindResult, EvalError>> {
    let changed = reusable(rules, kind, frame, prior)?;
    // A changed row can change every entity's points under a peer-relative method.
    if !changed.is_empty() || rows.len() != frame.len() || super::peer::has_peers(kind) {
        return None;
    }
    let ctx = KindCtx::new(kind, frame, &rules.params, &rules.scripts, rules.precision);
    Some(drive(&ctx, Scoring::Partial(prior.result, rows)))
}

/// Whether `prior` can serve to evaluate `kind` over `frame`, and if so which indicators must
/// be scored again.
fn reusable(rules: &RuleSet, kind: &Kind, frame: &Frame, prior: &Prior) -> Option<Vec<usize>> {
    let (n, k) = (frame.len(), kind.indicators.len());
    let pr = prior.result;
    let same_shape = pr.n == n
        && pr.k == k
        && pr.d == kind.dims.len()
        && pr.values.len() == n * k
        && prior.kind.indicators.len() == k
        && prior.precision == rules.precision;
    // Zeroing and adjustments change totals in ways the reuse below does not follow.
    if !same_shape
        || has_zeroing(prior.kind)
        || has_zeroing(kind)
        || !same_totalling(prior.kind, kind)
    {
        return None;
    }
    // A script is reused only if it is the same code and every variable it reads is an input
    // (unchanged, checked below) or a parameter with the same value.
    let same_script = |a: ExprId, b: ExprId| {
        prior.scripts.same_expr(a, &rules.scripts, b)
            && rules.scripts.expr(b).is_some_and(|e| {
                e.points_members.is_empty()
                    && e.vars.iter().all(|(_, v)| match v {
                        Var::Column(_) | Var::Value(_) => true,
                        Var::Param(p) => {
                            prior.params.get(*p).map(|x| (&x.name, x.value))
                                == rules.params.get(*p).map(|x| (&x.name, x.value))
                        }
                        _ => false,
                    })
            })
    };
    let mut changed = Vec::new();
    for (i, (a, b)) in prior
        .kind
        .indicators
        .iter()
        .zip(&kind.indicators)
        .enumerate()
    {
        let inputs_same = a.ty == b.ty
            && a.min == b.min
            && a.max == b.max
            && match (&a.input, &b.input) {
                (Input::Expr(x), Input::Expr(y)) => same_script(*x, *y),
                (x, y) => x == y,
            };
        if !inputs_same {
            return None;
        }
        let scoring_same = a.points == b.points
            && a.dim == b.dim
            && match (&a.method, &b.method) {
                (Method::Script(x), Method::Script(y)) => same_script(*x, *y),
                (Method::Script(_), _) | (_, Method::Script(_)) => false,
                (x, y) => x == y,
            };
        if !scoring_same {
            if matches!(b.method, Method::Script(_)) {
                return None;
            }
            changed.push(i);
        }
    }
    Some(changed)
}

/// The gates whose earlier results still hold: enabled before and now, with the same
/// condition, reading only inputs, parameters with unchanged values and, when `scores_same`,
/// scores.
fn known_gates<'a>(
    rules: &RuleSet,
    kind: &Kind,
    prior: &Prior<'a>,
    scores_same: bool,
) -> Option<KnownGates<'a>> {
    let count = kind.gates.len();
    if prior.kind.gates.len() != count || prior.result.g != count || count == 0 {
        return None;
    }
    let var_same = |v: &Var| match v {
        Var::Column(_) | Var::Value(_) => true,
        Var::Param(p) => {
            prior.params.get(*p).map(|x| (&x.name, x.value))
                == rules.params.get(*p).map(|x| (&x.name, x.value))
        }
        Var::Points(_) | Var::Dim(_) | Var::Total => scores_same,
        _ => false,
    };
    let operand_same = |o: &Operand| match o {
        Operand::Var(v) => var_same(v),
        _ => true,
    };
    let reuse: Vec<bool> = prior
        .kind
        .gates
        .iter()
        .zip(&kind.gates)
        .map(|(a, b)| {
            a.enabled
                && b.enabled
                && match (&a.condition, &b.condition) {
                    (Condition::Script(x), Condition::Script(y)) => {
                        prior.scripts.same_expr(*x, &rules.scripts, *y)
                            && rules.scripts.expr(*y).is_some_and(|e| {
                                e.vars.iter().all(|(_, v)| var_same(v))
                                    && (e.points_members.is_empty() || scores_same)
                            })
                    }
                    (Condition::All(p), Condition::All(q))
                    | (Condition::Any(p), Condition::Any(q)) => {
                        p == q
                            && q.iter().all(|c| {
                                operand_same(&c.left)
                                    && c.op.as_ref().is_none_or(|(_, r)| operand_same(r))
                            })
                    }
                    _ => false,
                }
        })
        .collect();
    reuse.iter().any(|r| *r).then_some(KnownGates {
        prior: &prior.result.gates,
        count,
        reuse,
    })
}

/// Whether two kinds turn dimension scores into a total the same way: the same dimensions in
/// the same roles, the same adjustment caps, floor and ceiling.
fn same_totalling(a: &Kind, b: &Kind) -> bool {
    a.floor == b.floor
        && a.ceiling == b.ceiling
        && a.dims.len() == b.dims.len()
        && a.dims
            .iter()
            .zip(&b.dims)
            .all(|(x, y)| x.role == y.role && (x.role == DimRole::Score || x.max == y.max))
}

/// Whether two rule sets' parameters have the same names and values.
pub fn same_params(a: &[Param], b: &[Param]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.name == y.name && x.value == y.value)
}

/// Entity `i`'s `w` items of a block column.
#[inline]
fn span<'a, T>(
    v: &'a [T],
    i: usize,
    w: usize,
    what: &str,
    kind: &Kind,
) -> Result<&'a [T], EntityError> {
    v.get(i * w..(i + 1) * w)
        .ok_or_else(|| missing(what, i, kind))
}

/// Entity `i`'s `w` items of a block column, to write.
#[inline]
fn span_mut<'a, T>(
    v: &'a mut [T],
    i: usize,
    w: usize,
    what: &str,
    kind: &Kind,
) -> Result<&'a mut [T], EntityError> {
    v.get_mut(i * w..(i + 1) * w)
        .ok_or_else(|| missing(what, i, kind))
}

/// Entity `i`'s item of a block column, to write.
#[inline]
fn slot_mut<'a, T>(
    v: &'a mut [T],
    i: usize,
    what: &str,
    kind: &Kind,
) -> Result<&'a mut T, EntityError> {
    v.get_mut(i).ok_or_else(|| missing(what, i, kind))
}

/// The invariant a missing row breaks, in words.
#[cold]
fn missing(what: &str, i: usize, kind: &Kind) -> EntityError {
    EntityError::Internal(format!(
        "kind `{}`: the {what} have no row {i} where every entity has one",
        kind.name
    ))
}

/// Where a run's scores come from.
#[derive(Clone, Copy)]
enum Scoring<'a> {
    /// Computed entity by entity.
    Full { keep_values: bool },
    /// An earlier result's scores, unchanged.
    Reuse(&'a KindResult),
    /// An earlier result's input values, with these indicators scored again.
    Rescore(&'a KindResult, &'a [usize]),
    /// An earlier result's scores, except on the marked rows, which are scored afresh.
    Partial(&'a KindResult, &'a [bool]),
}

/// One block's slices of the run's columnar outputs.
struct Block<'a> {
    start: usize,
    len: usize,
    values: &'a mut [f64],
    points: Dest<'a>,
    dims: Dest<'a>,
    total: &'a mut [f64],
    gates: &'a mut [bool],
    below_min: &'a mut [bool],
    failed: &'a mut [bool],
    missing_fail: &'a mut [bool],
    grade_raw: &'a mut [u16],
    grade: &'a mut [u16],
    outcome: &'a mut [u16],
}

/// `v` cut into `blocks` pieces of `per_row` × BLOCK items (the last one shorter); empty pieces
/// when `v` is empty.
fn cut<T>(v: &mut [T], per_row: usize, blocks: usize) -> Vec<&mut [T]> {
    let mut out: Vec<&mut [T]> = if v.is_empty() || per_row == 0 {
        Vec::new()
    } else {
        v.chunks_mut(per_row * BLOCK).collect()
    };
    out.resize_with(blocks, || &mut []);
    out
}

/// `f` cut like [`cut`], as destinations in its storage.
fn cut_fixed(f: &mut Fixed, per_row: usize, blocks: usize) -> Vec<Dest<'_>> {
    let mut out: Vec<Dest> = match f {
        Fixed::Scaled { scale, v } => cut(v, per_row, blocks)
            .into_iter()
            .map(|c| Dest::Scaled(c, *scale))
            .collect(),
        Fixed::Exact(v) => cut(v, per_row, blocks)
            .into_iter()
            .map(Dest::Exact)
            .collect(),
    };
    out.resize_with(blocks, || Dest::Exact(&mut []));
    out
}

/// The parallel driver: every entity scored (or its scores taken) and decided, block by block,
/// into the run's columnar outputs. Scores are kept in four bytes each when they all fit
/// ([`Fixed`]); when one does not, the kind is evaluated again keeping them as they are.
fn drive(ctx: &KindCtx, scoring: Scoring) -> Result<KindResult, EvalError> {
    // Every index the rows are read by, checked once here rather than per entity.
    ctx.check().map_err(EvalError::Internal)?;
    if let Scoring::Reuse(pr) | Scoring::Rescore(pr, _) | Scoring::Partial(pr, _) = scoring {
        check_prior(ctx, pr).map_err(EvalError::Internal)?;
    }
    // Scores made from an earlier result's are stored like its own: a result kept as plain
    // `f64` for the many evaluations that start from it (sensitivity draws) spares each of
    // them the conversion.
    let scale = match scoring {
        Scoring::Rescore(pr, _) | Scoring::Partial(pr, _)
            if matches!(*pr.points, Fixed::Exact(_)) =>
        {
            None
        }
        // Scores that cannot fit (a fine precision, large points) are not tried scaled.
        _ => scale_for(ctx.precision)
            .filter(|scale| largest_score(ctx.kind) * scale < f64::from(i32::MAX)),
    };
    match drive_into(ctx, scoring, scale)? {
        (res, true) => Ok(res),
        (_, false) => drive_into(ctx, scoring, None).map(|(res, _)| res),
    }
}

/// An earlier result scores start from has the kind's shape: a row of every width for each
/// entity of the frame.
fn check_prior(ctx: &KindCtx, pr: &KindResult) -> Result<(), String> {
    let kind = ctx.kind;
    let n = ctx.frame.len();
    let (k, d, g) = (kind.indicators.len(), kind.dims.len(), kind.gates.len());
    let sizes = [
        ("entities", pr.n, n),
        ("indicators", pr.k, k),
        ("dimensions", pr.d, d),
        ("input values", pr.values.len(), n * k),
        ("points", pr.points.len(), n * k),
        ("dimension scores", pr.dims.len(), n * d),
        ("totals", pr.total.len(), n),
        ("gate flags", pr.gates.len(), n * pr.g),
    ];
    match sizes.iter().find(|(_, have, want)| have != want) {
        Some((what, have, want)) => Err(format!(
            "kind `{}`: an earlier result has {have} {what} where {want} were expected ({n} entities, {k} indicators, {d} dimensions, {g} gates)",
            kind.name
        )),
        None => Ok(()),
    }
}

/// A bound on every score of `kind`: its largest dimension at its indicators' full points.
fn largest_score(kind: &Kind) -> f64 {
    (0..kind.dims.len())
        .map(|d| {
            kind.indicators
                .iter()
                .filter(|i| i.dim == d)
                .map(|i| i.points.abs())
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

/// [`drive`], with scores scaled by `scale` (`None`: kept as they are); also whether every
/// score fitted.
fn drive_into(
    ctx: &KindCtx,
    scoring: Scoring,
    scale: Option<f64>,
) -> Result<(KindResult, bool), EvalError> {
    let kind = ctx.kind;
    let n = ctx.frame.len();
    let (k, d, g) = (kind.indicators.len(), kind.dims.len(), kind.gates.len());
    let p = ctx.precision;
    let fresh = |len: usize| vec![0.0; len];
    let scores = |len: usize| match scale {
        Some(scale) => Fixed::Scaled {
            scale,
            v: vec![0; len],
        },
        None => Fixed::Exact(fresh(len)),
    };
    let (mut values, mut points, mut dims, mut total) = match scoring {
        Scoring::Full { keep_values } => (
            fresh(if keep_values { n * k } else { 0 }),
            scores(n * k),
            scores(n * d),
            fresh(n),
        ),
        Scoring::Reuse(_) => (Vec::new(), Fixed::default(), Fixed::default(), Vec::new()),
        Scoring::Rescore(..) => (Vec::new(), scores(n * k), scores(n * d), fresh(n)),
        Scoring::Partial(..) => (fresh(n * k), scores(n * k), scores(n * d), fresh(n)),
    };
    let mut gates = vec![false; n * g];
    let mut below_min = vec![false; n * d];
    let mut failed = vec![false; n];
    let mut missing_fail = vec![false; n];
    let mut grade_raw = vec![0u16; n];
    let mut grade = vec![0u16; n];
    let mut outcome = vec![0u16; n];
    // A full scoring of a kind without scripts or lookups in its indicators goes one
    // indicator at a time over each block.
    let by_block = matches!(scoring, Scoring::Full { .. }) && scores_by_block(kind);
    let keeps_values = matches!(scoring, Scoring::Full { keep_values: true });
    let nb = n.div_ceil(BLOCK);
    let mut cuts = (
        cut(&mut values, k, nb).into_iter(),
        cut_fixed(&mut points, k, nb).into_iter(),
        cut_fixed(&mut dims, d, nb).into_iter(),
        cut(&mut total, 1, nb).into_iter(),
        cut(&mut gates, g, nb).into_iter(),
        cut(&mut below_min, d, nb).into_iter(),
        cut(&mut failed, 1, nb).into_iter(),
        cut(&mut missing_fail, 1, nb).into_iter(),
        cut(&mut grade_raw, 1, nb).into_iter(),
        cut(&mut grade, 1, nb).into_iter(),
        cut(&mut outcome, 1, nb).into_iter(),
    );
    let mut blocks = Vec::with_capacity(nb);
    for b in 0..nb {
        let start = b * BLOCK;
        // `cut` gives every column exactly one part per block.
        let (
            Some(values),
            Some(points),
            Some(dims),
            Some(total),
            Some(gates),
            Some(below_min),
            Some(failed),
            Some(missing_fail),
            Some(grade_raw),
            Some(grade),
            Some(outcome),
        ) = (
            cuts.0.next(),
            cuts.1.next(),
            cuts.2.next(),
            cuts.3.next(),
            cuts.4.next(),
            cuts.5.next(),
            cuts.6.next(),
            cuts.7.next(),
            cuts.8.next(),
            cuts.9.next(),
            cuts.10.next(),
        )
        else {
            return Err(EvalError::Internal(format!(
                "kind `{}`: its result columns were cut into fewer parts than its {nb} blocks",
                kind.name
            )));
        };
        blocks.push(Block {
            start,
            len: BLOCK.min(n - start),
            values,
            points,
            dims,
            total,
            gates,
            below_min,
            failed,
            missing_fail,
            grade_raw,
            grade,
            outcome,
        });
    }
    let parts: Vec<(Vec<EntityError>, usize, bool)> = blocks
        .into_par_iter()
        .map_init(
            || {
                // Scores are computed into these block buffers, then stored; reused scores
                // are read where they are.
                let rows = if matches!(scoring, Scoring::Reuse(_)) {
                    0
                } else {
                    BLOCK
                };
                // A kind scored a block at a time also needs its input values for the block
                // (when the result does not keep them) and which rows to score on their own.
                let by_rows = if by_block { rows } else { 0 };
                let values_rows = if keeps_values { 0 } else { by_rows };
                (
                    Scope::new(),
                    vec![0.0; k],
                    vec![0.0; rows * k],
                    vec![0.0; rows * d],
                    (vec![0.0; values_rows * k], vec![false; by_rows]),
                )
            },
            |(scope, scratch, bp, bd, (bv, redo)), mut b| {
                let mut errors = Vec::new();
                let mut count = 0;
                // An entity whose slice of a block column is missing is a broken invariant
                // (every column holds `len` rows of its width): reported, never read as empty.
                macro_rules! or_report {
                    ($e:expr) => {
                        match $e {
                            Ok(x) => x,
                            Err(e) => {
                                count += 1;
                                if errors.len() < MAX_ERRORS {
                                    errors.push(e);
                                }
                                continue;
                            }
                        }
                    };
                }
                if by_block {
                    let vals: &mut [f64] = if b.values.is_empty() {
                        bv
                    } else {
                        &mut *b.values
                    };
                    score_block(ctx, b.start, b.len, vals, bp, redo);
                }
                for i in 0..b.len {
                    let row = b.start + i;
                    let decide = DecideOut {
                        gates: or_report!(span_mut(b.gates, i, g, "gates", kind)),
                        below_min: or_report!(span_mut(b.below_min, i, d, "minimums", kind)),
                        failed: or_report!(slot_mut(b.failed, i, "failed", kind)),
                        missing_fail: or_report!(slot_mut(b.missing_fail, i, "missing", kind)),
                        grade_raw: or_report!(slot_mut(b.grade_raw, i, "grades", kind)),
                        grade: or_report!(slot_mut(b.grade, i, "grades", kind)),
                        outcome: or_report!(slot_mut(b.outcome, i, "outcomes", kind)),
                    };
                    let fresh_row = match scoring {
                        Scoring::Partial(pr, rows) => {
                            if rows.get(row).copied().unwrap_or(true) {
                                true
                            } else {
                                // Unchanged: the earlier scores, copied into place (the
                                // earlier result has this kind's shape: checked in `drive`).
                                let vals = or_report!(span_mut(b.values, i, k, "values", kind));
                                let src = pr.values_of(row);
                                if vals.len() != src.len() {
                                    or_report!(Err(missing("earlier values", row, kind)));
                                }
                                vals.copy_from_slice(src);
                                let pts = or_report!(span_mut(bp, i, k, "points", kind));
                                if !pr.points.read_row(row, pts) {
                                    or_report!(Err(missing("earlier points", row, kind)));
                                }
                                let dm = or_report!(span_mut(bd, i, d, "dimensions", kind));
                                if !pr.dims.read_row(row, dm) {
                                    or_report!(Err(missing("earlier dimensions", row, kind)));
                                }
                                let t = or_report!(slot_mut(b.total, i, "totals", kind));
                                *t = or_report!(pr.total.get(row).copied().ok_or_else(|| missing(
                                    "earlier totals",
                                    row,
                                    kind
                                )));
                                false
                            }
                        }
                        _ => false,
                    };
                    let done = match scoring {
                        Scoring::Partial(..) if !fresh_row => {
                            let sc = Scores {
                                values: or_report!(span(b.values, i, k, "values", kind)),
                                points: Row::Slice(or_report!(span(bp, i, k, "points", kind))),
                                dims: Row::Slice(or_report!(span(bd, i, d, "dimensions", kind))),
                                total: *or_report!(slot_mut(b.total, i, "totals", kind)),
                            };
                            decide_row(ctx, row, sc, decide, scope)
                        }
                        // Points already computed with the block: dimensions, total, decisions.
                        Scoring::Full { .. }
                            if by_block && !redo.get(i).copied().unwrap_or(true) =>
                        {
                            let values = if b.values.is_empty() {
                                &bv[..]
                            } else {
                                &b.values[..]
                            };
                            let pts = or_report!(span(bp, i, k, "points", kind));
                            let dm = or_report!(span_mut(bd, i, d, "dimensions", kind));
                            let t = sum_dims(kind, pts, dm, p);
                            *or_report!(slot_mut(b.total, i, "totals", kind)) = t;
                            let sc = Scores {
                                values: or_report!(span(values, i, k, "values", kind)),
                                points: Row::Slice(pts),
                                dims: Row::Slice(dm),
                                total: t,
                            };
                            decide_row(ctx, row, sc, decide, scope)
                        }
                        Scoring::Full { .. } | Scoring::Partial(..) => {
                            let t = or_report!(slot_mut(b.total, i, "totals", kind));
                            let score = ScoreOut {
                                // A run that does not keep input values scores each entity's
                                // in the scratch row.
                                values: if b.values.is_empty() {
                                    scratch
                                } else {
                                    or_report!(span_mut(b.values, i, k, "values", kind))
                                },
                                points: or_report!(span_mut(bp, i, k, "points", kind)),
                                dims: or_report!(span_mut(bd, i, d, "dimensions", kind)),
                                total: t,
                            };
                            evaluate_row(ctx, row, score, decide, scope)
                        }
                        Scoring::Reuse(pr) => {
                            let sc = Scores {
                                values: pr.values_of(row),
                                points: pr.points_row(row),
                                dims: pr.dims_row(row),
                                total: or_report!(pr
                                    .total
                                    .get(row)
                                    .copied()
                                    .ok_or_else(|| missing("earlier totals", row, kind))),
                            };
                            decide_row(ctx, row, sc, decide, scope)
                        }
                        Scoring::Rescore(pr, changed) => {
                            let values = pr.values_of(row);
                            let pts = or_report!(span_mut(bp, i, k, "points", kind));
                            if !pr.points.read_row(row, pts) {
                                or_report!(Err(missing("earlier points", row, kind)));
                            }
                            let mut res = Ok(());
                            for &c in changed {
                                match indicator_points(ctx, row, c, values, scope) {
                                    Ok(x) => {
                                        if let Some(slot) = pts.get_mut(c) {
                                            *slot = x;
                                        }
                                    }
                                    Err(e) => res = Err(e),
                                }
                            }
                            let dm = or_report!(span_mut(bd, i, d, "dimensions", kind));
                            let t = sum_dims(kind, pts, dm, p);
                            *or_report!(slot_mut(b.total, i, "totals", kind)) = t;
                            res.and_then(|()| {
                                let sc = Scores {
                                    values,
                                    points: Row::Slice(pts),
                                    dims: Row::Slice(dm),
                                    total: t,
                                };
                                decide_row(ctx, row, sc, decide, scope)
                            })
                        }
                    };
                    if let Err(e) = done {
                        count += 1;
                        if errors.len() < MAX_ERRORS {
                            errors.push(e);
                        }
                    }
                }
                // The block's scores, into the kind's columns.
                let fits = b.points.store(bp.get(..b.len * k).unwrap_or_default())
                    & b.dims.store(bd.get(..b.len * d).unwrap_or_default());
                (errors, count, fits)
            },
        )
        .collect();
    let fits = parts.iter().all(|(_, _, f)| *f);
    let mut data_errors = Vec::new();
    let mut script_errors = Vec::new();
    let (mut data_count, mut script_count) = (0, 0);
    let mut internal = None;
    for (errors, count, _) in parts {
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
                EntityError::Internal(what) => {
                    internal.get_or_insert(what);
                }
                _ => {}
            }
        }
    }
    // A broken invariant is a bug: it is reported before anything the rules or data caused.
    if let Some(what) = internal {
        return Err(EvalError::Internal(what));
    }
    // A script failure stops the run (exit 5) even when data errors were found too.
    if !script_errors.is_empty() {
        return Err(EvalError::Script(script_errors, script_count));
    }
    if !data_errors.is_empty() {
        return Err(EvalError::Data(data_errors, data_count));
    }
    let (values, points, dims, total) = match scoring {
        Scoring::Full { .. } | Scoring::Partial(..) => (
            Arc::new(values),
            Arc::new(points),
            Arc::new(dims),
            Arc::new(total),
        ),
        Scoring::Reuse(pr) => (
            Arc::clone(&pr.values),
            Arc::clone(&pr.points),
            Arc::clone(&pr.dims),
            Arc::clone(&pr.total),
        ),
        Scoring::Rescore(pr, _) => (
            Arc::clone(&pr.values),
            Arc::new(points),
            Arc::new(dims),
            Arc::new(total),
        ),
    };
    let res = KindResult {
        n,
        k,
        d,
        g,
        values,
        points,
        dims,
        total,
        gates,
        below_min,
        failed,
        missing_fail,
        grade_raw,
        grade,
        outcome,
    };
    Ok((res, fits))
}

#[cfg(test)]
mod tests {
    use super::{cut, BLOCK};

    /// The driver relies on it: every column is cut into exactly one part per block, each
    /// holding its rows' items.
    #[test]
    fn columns_are_cut_into_one_part_per_block() {
        for n in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7] {
            let blocks = n.div_ceil(BLOCK);
            for per_row in [0, 1, 3] {
                let mut v = vec![0u8; n * per_row];
                let parts = cut(&mut v, per_row, blocks);
                assert_eq!(parts.len(), blocks, "n {n}, {per_row} per row");
                for (b, part) in parts.iter().enumerate() {
                    let rows = BLOCK.min(n - b * BLOCK);
                    assert_eq!(part.len(), rows * per_row, "n {n}, block {b}");
                }
            }
        }
    }
}
