//! One entity, start to finish: inputs → points → dimensions → total → gates → grade →
//! outcome. Works on borrowed scratch buffers so the hot loop allocates nothing.

use super::fixed::Row;
use super::round::round_dp;
use super::score::points_for;
use crate::data::{DataError, Frame};
use crate::rules::model::*;
use crate::script::{Returns, ScriptError, ScriptHost};
use rhai::{Dynamic, ImmutableString, Scope, INT};

/// A value as conditions see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    Num(f64),
    Bool(bool),
    Str(&'a str),
}

impl Val<'_> {
    fn num(self) -> Option<f64> {
        match self {
            Val::Num(x) => Some(x),
            Val::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
            Val::Str(_) => None,
        }
    }
}

/// Why an entity could not be scored.
#[derive(Debug, Clone)]
pub enum EntityError {
    Data(DataError),
    Script(ScriptError),
    /// An invariant of the engine broke (a bug): what it was, said in full.
    Internal(String),
}

/// Read-only context shared by every entity of a kind in one run.
pub struct KindCtx<'a> {
    pub kind: &'a Kind,
    pub frame: &'a Frame,
    pub params: &'a [Param],
    pub scripts: &'a ScriptHost,
    pub precision: u32,
    /// Category dictionaries as rhai strings, per column.
    pub cat_dicts: Vec<Vec<ImmutableString>>,
    pub grade_ids: Vec<ImmutableString>,
    /// Columns with the `fail` missing policy that have empty cells.
    pub fail_columns: Vec<usize>,
    /// Gates whose result an earlier evaluation already knows.
    pub known_gates: Option<KnownGates<'a>>,
    /// The rhai gates evaluated together, in one call per entity.
    pub gate_batch: Option<GateBatch>,
    /// Per indicator: what a peer-relative method knows of the whole kind (empty when none
    /// scores relative to the others).
    pub peers: Vec<Option<super::peer::PeerStat>>,
}

/// Gates evaluated in one rhai call.
pub struct GateBatch {
    pub id: crate::script::BatchId,
    /// The gates, in the batch's order.
    pub gates: Vec<usize>,
    /// The same as bits.
    pub mask: u64,
}

/// Gate results carried over from an earlier evaluation of the same entities, for the gates
/// whose condition and everything it reads are unchanged.
pub struct KnownGates<'a> {
    /// The earlier result's gate flags (`count` per entity).
    pub prior: &'a [bool],
    pub count: usize,
    /// Per gate: whether its earlier result holds.
    pub reuse: Vec<bool>,
}

impl<'a> KindCtx<'a> {
    /// Prepare the shared context.
    pub fn new(
        kind: &'a Kind,
        frame: &'a Frame,
        params: &'a [Param],
        scripts: &'a ScriptHost,
        precision: u32,
    ) -> Self {
        let cat_dicts = frame
            .cols
            .iter()
            .map(|c| {
                c.dict
                    .iter()
                    .map(|s| ImmutableString::from(s.as_str()))
                    .collect()
            })
            .collect();
        let grade_ids = kind
            .grades
            .iter()
            .map(|g| ImmutableString::from(g.id.as_str()))
            .collect();
        let fail_columns = kind
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                c.missing == MissingPolicy::Fail
                    && frame
                        .cols
                        .get(*i)
                        .is_some_and(|col| !col.missing.is_empty())
            })
            .map(|(i, _)| i)
            .collect();
        KindCtx {
            kind,
            frame,
            params,
            scripts,
            precision,
            cat_dicts,
            grade_ids,
            fail_columns,
            known_gates: None,
            peers: if super::peer::has_peers(kind) {
                super::peer::peer_stats(kind, frame)
            } else {
                Vec::new()
            },
            gate_batch: {
                let (gates, exprs) = kind.batchable_gates(scripts);
                scripts.batch_of(&exprs).map(|id| GateBatch {
                    id,
                    mask: gates.iter().fold(0u64, |m, &g| m | (1u64 << g)),
                    gates,
                })
            },
        }
    }
}

impl KindCtx<'_> {
    /// Check, once before any entity is scored, that every index the kind's compiled rules
    /// hold is in range: each variable its conditions and expressions read (a column of the
    /// frame, a parameter, a dimension, a gate, an indicator), each indicator's dimension and
    /// each indicator a `zero` gate names. With it, and the driver giving every entity full
    /// rows of its kind's widths, [`View::get`] reads no index that is not there: its
    /// fallbacks serve only a view that does not know a stage yet ([`View::inputs`] has no
    /// points). A broken index is a bug in bangfu, said here in full, never a 0 in a score.
    pub fn check(&self) -> Result<(), String> {
        let kind = self.kind;
        let scripts = self.scripts;
        let (k, d, g) = (kind.indicators.len(), kind.dims.len(), kind.gates.len());
        let cols = kind.columns.len().min(self.frame.cols.len());
        let bad = |what: String| Err(format!("kind `{}`: {what}", kind.name));
        let var_ok = |v: Var| match v {
            Var::Column(c) => c < cols,
            Var::Param(x) => x < self.params.len(),
            Var::Dim(x) => x < d,
            Var::Gate(x) => x < g,
            Var::Points(x) | Var::Value(x) => x < k,
            Var::Total | Var::Grade | Var::Outcome | Var::Failed | Var::AnyGate => true,
        };
        let mut exprs: Vec<ExprId> = Vec::new();
        let mut vars: Vec<(String, Var)> = Vec::new();
        let conditions = kind
            .gates
            .iter()
            .map(|x| (format!("gate `{}`", x.id), Some(&x.condition)))
            .chain(
                kind.outcomes
                    .iter()
                    .map(|o| (format!("outcome `{}`", o.id), o.condition.as_ref())),
            );
        for (what, cond) in conditions {
            match cond {
                Some(Condition::All(cmps) | Condition::Any(cmps)) => {
                    for c in cmps {
                        let right = c.op.as_ref().map(|(_, r)| r);
                        for o in std::iter::once(&c.left).chain(right) {
                            if let Operand::Var(v) = o {
                                vars.push((what.clone(), *v));
                            }
                        }
                    }
                }
                Some(Condition::Script(id)) => exprs.push(*id),
                None => {}
            }
        }
        for (i, ind) in kind.indicators.iter().enumerate() {
            if ind.dim >= d {
                return bad(format!(
                    "indicator `{}` is in dimension {} of {d}",
                    ind.id, ind.dim
                ));
            }
            if let Input::Expr(id) = ind.input {
                exprs.push(id);
            }
            if let Method::Script(id) = ind.method {
                exprs.push(id);
            }
            let reads = match ind.input {
                Input::Column(c) => vec![c],
                Input::Ratio { num, den, .. } => vec![num, den],
                Input::Change { col, .. } => vec![col],
                Input::Expr(_) => Vec::new(),
            };
            for c in reads {
                vars.push((format!("indicator {i} `{}`", ind.id), Var::Column(c)));
            }
        }
        for gate in &kind.gates {
            if let Some(&i) = gate.zero.iter().find(|&&i| i >= k) {
                return bad(format!("gate `{}` zeroes indicator {i} of {k}", gate.id));
            }
        }
        for id in exprs {
            let Some(e) = scripts.expr(id) else {
                return bad(format!("expression {} is not compiled", id.0));
            };
            vars.extend(e.vars.iter().map(|(_, v)| (e.what.clone(), *v)));
            let members = e.points_members.iter().chain(&e.value_members);
            vars.extend(members.map(|(_, i)| (e.what.clone(), Var::Points(*i))));
        }
        match vars.into_iter().find(|(_, v)| !var_ok(*v)) {
            Some((what, v)) => bad(format!(
                "{what} reads {v:?}, out of range ({cols} columns, {} parameters, {d} dimensions, {g} gates, {k} indicators)",
                self.params.len()
            )),
            None => Ok(()),
        }
    }
}

/// The scores of one entity, written into slices of the run's columnar outputs.
pub struct ScoreOut<'o> {
    pub values: &'o mut [f64],
    pub points: &'o mut [f64],
    pub dims: &'o mut [f64],
    pub total: &'o mut f64,
}

impl ScoreOut<'_> {
    /// The finished scores, to decide from.
    pub fn scores(&self) -> Scores<'_> {
        Scores {
            values: self.values,
            points: Row::Slice(self.points),
            dims: Row::Slice(self.dims),
            total: *self.total,
        }
    }
}

/// The scores of one entity, as its decisions read them.
#[derive(Clone, Copy)]
pub struct Scores<'s> {
    pub values: &'s [f64],
    pub points: Row<'s>,
    pub dims: Row<'s>,
    pub total: f64,
}

/// The decisions about one entity, written into slices of the run's columnar outputs.
pub struct DecideOut<'o> {
    pub gates: &'o mut [bool],
    pub below_min: &'o mut [bool],
    pub failed: &'o mut bool,
    pub missing_fail: &'o mut bool,
    pub grade_raw: &'o mut u16,
    pub grade: &'o mut u16,
    pub outcome: &'o mut u16,
}

/// The values of one entity at the point a condition is evaluated.
pub struct View<'v> {
    pub ctx: &'v KindCtx<'v>,
    pub row: usize,
    pub values: &'v [f64],
    /// Borrowed from the scores, or read out of a finished kind's stored scores.
    pub points: Row<'v>,
    pub dims: Row<'v>,
    pub total: f64,
    pub gates: &'v [bool],
    pub failed: bool,
    pub grade: Option<usize>,
    pub outcome: Option<usize>,
}

impl<'v> View<'v> {
    /// A finished entity's view: every stored score, its grade and its outcome.
    pub fn of_result(ctx: &'v KindCtx<'v>, res: &'v super::KindResult, r: usize) -> View<'v> {
        View {
            ctx,
            row: r,
            values: res.values_of(r),
            points: res.points_row(r),
            dims: res.dims_row(r),
            total: res.total.get(r).copied().unwrap_or(0.0),
            gates: res.gates_of(r),
            failed: res.failed.get(r).copied().unwrap_or(false),
            grade: res
                .grade
                .get(r)
                .copied()
                .filter(|g| *g != u16::MAX)
                .map(usize::from),
            outcome: res.outcome.get(r).copied().map(usize::from),
        }
    }

    /// An entity's view while its inputs are computed: values only, no scores yet.
    pub fn inputs(ctx: &'v KindCtx<'v>, row: usize, values: &'v [f64]) -> View<'v> {
        View {
            ctx,
            row,
            values,
            points: Row::Slice(&[]),
            dims: Row::Slice(&[]),
            total: 0.0,
            gates: &[],
            failed: false,
            grade: None,
            outcome: None,
        }
    }

    /// An entity's view while it is decided: its scores, the gates so far, and what is known of
    /// its failure and grade.
    pub fn scored(
        ctx: &'v KindCtx<'v>,
        row: usize,
        sc: Scores<'v>,
        gates: &'v [bool],
        failed: bool,
        grade: Option<usize>,
    ) -> View<'v> {
        View {
            ctx,
            row,
            values: sc.values,
            points: sc.points,
            dims: sc.dims,
            total: sc.total,
            gates,
            failed,
            grade,
            outcome: None,
        }
    }

    /// The value of a variable for this entity. Total over the indices: [`KindCtx::check`]
    /// holds every variable the kind reads in range before any entity is scored, and every
    /// view is given full rows. What is left are the stages a view does not know yet (no
    /// points while inputs are computed, no grade before it is decided).
    pub fn get(&self, var: Var) -> Val<'v> {
        let kind = self.ctx.kind;
        match var {
            Var::Column(c) => {
                let col = self.ctx.frame.cols.get(c);
                let v = self.ctx.frame.value(c, self.row);
                match kind.columns.get(c).map(|s| s.ty) {
                    Some(ValueType::Bool) => Val::Bool(v != 0.0),
                    Some(ValueType::Category) => {
                        Val::Str(col.map(|c| c.category(self.row)).unwrap_or(""))
                    }
                    _ => Val::Num(v),
                }
            }
            Var::Param(p) => Val::Num(self.ctx.params.get(p).map(|p| p.value).unwrap_or(0.0)),
            Var::Dim(d) => Val::Num(self.dims.get(d).unwrap_or(0.0)),
            Var::Total => Val::Num(self.total),
            Var::Outcome => Val::Str(
                self.outcome
                    .and_then(|o| kind.outcomes.get(o))
                    .map(|o| o.id.as_str())
                    .unwrap_or(""),
            ),
            Var::Grade => Val::Str(
                self.grade
                    .and_then(|g| kind.grades.get(g))
                    .map(|g| g.id.as_str())
                    .unwrap_or(""),
            ),
            Var::Failed => Val::Bool(self.failed),
            Var::AnyGate => Val::Bool(self.gates.iter().any(|g| *g)),
            Var::Gate(g) => Val::Bool(self.gates.get(g).copied().unwrap_or(false)),
            Var::Points(i) => Val::Num(self.points.get(i).unwrap_or(0.0)),
            Var::Value(i) => {
                let v = self.values.get(i).copied().unwrap_or(0.0);
                match kind.indicators.get(i).map(|x| x.ty) {
                    Some(ValueType::Bool) => Val::Bool(v != 0.0),
                    Some(ValueType::Category) => {
                        let col = match kind.indicators.get(i).map(|x| &x.input) {
                            Some(Input::Column(c)) => self.ctx.frame.cols.get(*c),
                            _ => None,
                        };
                        Val::Str(col.map(|c| c.category(self.row)).unwrap_or(""))
                    }
                    _ => Val::Num(v),
                }
            }
        }
    }

    /// The variable as a rhai value.
    fn dynamic(&self, var: Var) -> Dynamic {
        let ctx = self.ctx;
        match (var, self.get(var)) {
            (Var::Column(c), Val::Num(x))
                if ctx
                    .kind
                    .columns
                    .get(c)
                    .is_some_and(|s| s.ty == ValueType::Integer) =>
            {
                Dynamic::from_int(x as INT)
            }
            (Var::Column(c), Val::Str(_)) => {
                let code = ctx.frame.value(c, self.row) as usize;
                ctx.cat_dicts
                    .get(c)
                    .and_then(|d| d.get(code))
                    .cloned()
                    .map(Dynamic::from)
                    .unwrap_or(Dynamic::UNIT)
            }
            (Var::Grade, _) => self
                .grade
                .and_then(|g| ctx.grade_ids.get(g))
                .cloned()
                .map(Dynamic::from)
                .unwrap_or(Dynamic::UNIT),
            (_, Val::Num(x)) => Dynamic::from_float(x),
            (_, Val::Bool(b)) => Dynamic::from_bool(b),
            (_, Val::Str(s)) => Dynamic::from(s.to_string()),
        }
    }

    /// Evaluate a condition.
    pub fn test(&self, cond: &Condition, scope: &mut Scope<'static>) -> Result<bool, ScriptError> {
        match cond {
            Condition::All(cmps) => Ok(cmps.iter().all(|c| self.compare(c))),
            Condition::Any(cmps) => Ok(cmps.iter().any(|c| self.compare(c))),
            Condition::Script(id) => {
                let v = self.run(*id, scope)?;
                v.as_bool()
                    .map_err(|t| self.type_error(*id, t, "true or false"))
            }
        }
    }

    /// Evaluate a plain comparison.
    pub fn compare<'c>(&'c self, c: &'c Cmp) -> bool {
        let get = |o: &'c Operand| -> Val<'c> {
            match o {
                Operand::Var(v) => self.get(*v),
                Operand::Num(x) => Val::Num(*x),
                Operand::Str(s) => Val::Str(s.as_str()),
                Operand::Bool(b) => Val::Bool(*b),
            }
        };
        let left = get(&c.left);
        let r = match &c.op {
            None => matches!(left, Val::Bool(true)) || matches!(left, Val::Num(x) if x != 0.0),
            Some((op, right)) => {
                let right = get(right);
                match (left, right) {
                    (Val::Str(a), Val::Str(b)) => match op {
                        Op::Eq => a == b,
                        Op::Ne => a != b,
                        _ => false,
                    },
                    (a, b) => match (a.num(), b.num()) {
                        (Some(x), Some(y)) => match op {
                            Op::Lt => x < y,
                            Op::Le => x <= y,
                            Op::Gt => x > y,
                            Op::Ge => x >= y,
                            Op::Eq => x == y,
                            Op::Ne => x != y,
                        },
                        _ => *op == Op::Ne,
                    },
                }
            }
        };
        r != c.negate
    }

    /// Evaluate a rhai expression with this entity's values in scope.
    pub fn run(&self, id: ExprId, scope: &mut Scope<'static>) -> Result<Dynamic, ScriptError> {
        let scripts = self.ctx.scripts;
        if let Some(e) = scripts.expr(id) {
            self.fill_scope(&e.vars, &e.points_members, &e.value_members, scope);
        }
        scripts.eval(id, scope, self.ctx.frame.id(self.row))
    }

    /// Evaluate the kind's batched gates in one call: whether each fired, as bits by gate
    /// index. None when the call failed or a member gave no true or false; the gates are then
    /// evaluated one by one, which reports the problem.
    pub fn run_gate_batch(&self, batch: &GateBatch, scope: &mut Scope<'static>) -> Option<u64> {
        let scripts = self.ctx.scripts;
        let b = scripts.batch(batch.id)?;
        self.fill_scope(&b.vars, &b.points_members, &b.value_members, scope);
        let values = scripts.eval_batch(batch.id, scope)?;
        let mut fired = 0u64;
        for (&g, v) in batch.gates.iter().zip(values) {
            if v.as_bool().ok()? {
                fired |= 1u64 << g;
            }
        }
        Some(fired)
    }

    /// Put the variables an expression reads into `scope`.
    fn fill_scope(
        &self,
        vars: &[(String, Var)],
        points_members: &[(String, usize)],
        value_members: &[(String, usize)],
        scope: &mut Scope<'static>,
    ) {
        scope.rewind(0);
        for (name, var) in vars {
            scope.push_dynamic(name.as_str(), self.dynamic(*var));
        }
        if !points_members.is_empty() {
            let map: rhai::Map = points_members
                .iter()
                .map(|(n, i)| (n.as_str().into(), self.dynamic(Var::Points(*i))))
                .collect();
            scope.push_dynamic("points", Dynamic::from_map(map));
        }
        if !value_members.is_empty() {
            let map: rhai::Map = value_members
                .iter()
                .map(|(n, i)| (n.as_str().into(), self.dynamic(Var::Value(*i))))
                .collect();
            scope.push_dynamic("value", Dynamic::from_map(map));
        }
    }

    fn type_error(&self, id: ExprId, got: &str, want: &str) -> ScriptError {
        // rhai's type names, in words.
        let got = match got {
            "i64" => "an integer",
            "f64" => "a number",
            "bool" => "true or false",
            "string" | "ImmutableString" => "text",
            "()" => "nothing",
            "array" => "a list",
            "map" => "a map",
            other => other,
        };
        let e = self.ctx.scripts.expr(id);
        ScriptError {
            what: e.map(|e| e.what.clone()).unwrap_or_default(),
            place: e
                .map(|e| {
                    format!(
                        "{}:{}:{}",
                        e.location
                            .file
                            .as_ref()
                            .map(|f| f.name.as_str())
                            .unwrap_or(""),
                        e.location.line,
                        e.location.col
                    )
                })
                .unwrap_or_default(),
            entity: self.ctx.frame.id(self.row).to_string(),
            message: format!("returned {got}, expected {want}"),
        }
    }
}

/// A number from a rhai result, or a type error.
fn number(view: &View, id: ExprId, v: Dynamic) -> Result<f64, ScriptError> {
    if let Ok(i) = v.as_int() {
        return Ok(i as f64);
    }
    if let Ok(f) = v.as_float() {
        if f.is_finite() {
            return Ok(f);
        }
        return Err(view.type_error(id, "a number that is not finite", "a finite number"));
    }
    if let Ok(b) = v.as_bool() {
        if view
            .ctx
            .scripts
            .expr(id)
            .is_some_and(|e| e.returns == Returns::Bool)
        {
            return Ok(if b { 1.0 } else { 0.0 });
        }
    }
    Err(view.type_error(id, v.type_name(), "a number"))
}

/// Score and decide one entity.
pub fn evaluate_row(
    ctx: &KindCtx,
    row: usize,
    mut score: ScoreOut,
    decide: DecideOut,
    scope: &mut Scope<'static>,
) -> Result<(), EntityError> {
    score_row(ctx, row, &mut score, scope)?;
    decide_row(ctx, row, score.scores(), decide, scope)
}

/// Steps 1–3: input values, points, dimensions and total.
fn score_row(
    ctx: &KindCtx,
    row: usize,
    out: &mut ScoreOut,
    scope: &mut Scope<'static>,
) -> Result<(), EntityError> {
    let kind = ctx.kind;
    let frame = ctx.frame;
    let p = ctx.precision;

    // 1. Input values.
    for (i, ind) in kind.indicators.iter().enumerate() {
        let v = match data_input(frame, row, &ind.input) {
            Some(v) => v,
            None => {
                let Input::Expr(id) = &ind.input else {
                    continue;
                };
                let view = View::inputs(ctx, row, out.values);
                let v = view.run(*id, scope).map_err(EntityError::Script)?;
                let n = number(&view, *id, v).map_err(EntityError::Script)?;
                if ind.ty == ValueType::Integer {
                    n.round()
                } else {
                    n
                }
            }
        };
        if out_of_range(ind, v) {
            let fmt = crate::words::fmt_num;
            let range = match (ind.min, ind.max) {
                (Some(a), Some(b)) => format!("a value from {} to {}", fmt(a), fmt(b)),
                (Some(a), None) => format!("a value of at least {}", fmt(a)),
                (None, Some(b)) => format!("a value of at most {}", fmt(b)),
                _ => "a finite value".into(),
            };
            let Some(&line) = frame.rows.get(row) else {
                return Err(EntityError::Internal(format!(
                    "entity {row} of kind `{}` has no line in `{}`, which has {} rows",
                    kind.name,
                    frame.file,
                    frame.rows.len()
                )));
            };
            let mut e = DataError::cell(
                &frame.file,
                line,
                &ind.id,
                &format!("{}", round_dp(v, 6)),
                "the computed input is out of range",
                range,
            );
            // Name the cells the value was computed from.
            let name = |c: &usize| kind.columns.get(*c).map(|s| s.name.as_str()).unwrap_or("");
            let fmtv = |c: &usize| crate::words::fmt_num(frame.value(*c, row));
            let (what, from) = match &ind.input {
                Input::Ratio { num, den, .. } => (
                    format!("the ratio `{}` / `{}`", name(num), name(den)),
                    format!(
                        "{} = {} / {}",
                        crate::words::fmt_num(round_dp(v, 6)),
                        fmtv(num),
                        fmtv(den)
                    ),
                ),
                Input::Change { col: c, .. } => (
                    format!("the change in `{}` since the baseline", name(c)),
                    crate::words::fmt_num(round_dp(v, 6)),
                ),
                _ => (
                    "the expression".to_string(),
                    crate::words::fmt_num(round_dp(v, 6)),
                ),
            };
            e.column = None;
            e.message = format!("indicator `{}`: {what} is out of range", ind.id);
            e.value = Some(from);
            return Err(EntityError::Data(e));
        }
        if let Some(slot) = out.values.get_mut(i) {
            *slot = v;
        }
    }

    // 2. Points, rounded per indicator.
    for i in 0..kind.indicators.len() {
        let pts = indicator_points(ctx, row, i, out.values, scope)?;
        if let Some(slot) = out.points.get_mut(i) {
            *slot = pts;
        }
    }

    // 3. Zeroing, then dimensions, adjustments and total.
    apply_zeroing(ctx, row, out.values, out.points, scope)?;
    *out.total = sum_dims(kind, out.points, out.dims, p);
    Ok(())
}

/// The input of `row` read from the data: a column, the ratio of two, or the change in one
/// since the baseline. None for an expression.
#[inline]
pub(crate) fn data_input(frame: &Frame, row: usize, input: &Input) -> Option<f64> {
    let col = |c: usize| frame.value(c, row);
    Some(match input {
        Input::Column(c) => col(*c),
        Input::Ratio { num, den, if_zero } => {
            let d = col(*den);
            if d == 0.0 {
                *if_zero
            } else {
                col(*num) / d
            }
        }
        Input::Change {
            col: c,
            percent,
            if_zero,
        } => {
            let base = frame.baseline_value(*c, row);
            let now = col(*c);
            if *percent {
                if base == 0.0 {
                    if_zero.unwrap_or(0.0)
                } else {
                    (now - base) / base.abs() * 100.0
                }
            } else {
                now - base
            }
        }
        Input::Expr(_) => return None,
    })
}

/// Whether a computed input (anything but a column, which was checked as it was read) falls
/// outside the indicator's range or is not a finite number.
#[inline]
fn out_of_range(ind: &Indicator, v: f64) -> bool {
    let computed = !matches!(ind.input, Input::Column(_));
    computed && (ind.min.is_some_and(|m| v < m) || ind.max.is_some_and(|m| v > m) || !v.is_finite())
}

/// Whether every indicator of `kind` can be scored a block of entities at a time: inputs read
/// from the data and points by a fixed method, with no script and no category lookup.
pub fn scores_by_block(kind: &Kind) -> bool {
    !has_zeroing(kind)
        && !super::peer::has_peers(kind)
        && kind.indicators.iter().all(|ind| {
            !matches!(ind.input, Input::Expr(_))
                && !matches!(
                    ind.method,
                    Method::Script(_) | Method::Lookup(_) | Method::LookupFrom(_)
                )
        })
}

/// Steps 1–2 for rows `start..start + len` of a kind that [`scores_by_block`], one indicator
/// at a time over the rows: input values into `values` and rounded points into `points`
/// (each `k` to a row). A row with a computed input out of range is marked in `redo`, to be
/// scored on its own, which reports the problem. Gives what [`score_row`] gives, row by row.
pub fn score_block(
    ctx: &KindCtx,
    start: usize,
    len: usize,
    values: &mut [f64],
    points: &mut [f64],
    redo: &mut [bool],
) {
    let kind = ctx.kind;
    let k = kind.indicators.len();
    let p = ctx.precision;
    for r in redo.iter_mut() {
        *r = false;
    }
    for (i, ind) in kind.indicators.iter().enumerate() {
        let slots = values
            .chunks_exact_mut(k)
            .take(len)
            .filter_map(|row| row.get_mut(i));
        match &ind.input {
            Input::Column(c) => match ctx.frame.cols.get(*c) {
                Some(col) => col.values.read_into(start, slots),
                None => slots.for_each(|slot| *slot = 0.0),
            },
            input => {
                for ((r, slot), bad) in slots.enumerate().zip(redo.iter_mut()) {
                    // An input only a row on its own can compute is left to it.
                    let Some(v) = data_input(ctx.frame, start + r, input) else {
                        *bad = true;
                        continue;
                    };
                    *bad |= out_of_range(ind, v);
                    *slot = v;
                }
            }
        }
        let method = &ind.method;
        let full = ind.points;
        for (row_pts, row_vals) in points
            .chunks_exact_mut(k)
            .zip(values.chunks_exact(k))
            .take(len)
        {
            if let (Some(slot), Some(&v)) = (row_pts.get_mut(i), row_vals.get(i)) {
                *slot = round_dp(points_for(method, v, full), p);
            }
        }
    }
}

/// The rounded points of indicator `i` from the entity's input values.
pub fn indicator_points(
    ctx: &KindCtx,
    row: usize,
    i: usize,
    values: &[f64],
    scope: &mut Scope<'static>,
) -> Result<f64, EntityError> {
    let kind = ctx.kind;
    let Some(ind) = kind.indicators.get(i) else {
        return Err(EntityError::Internal(format!(
            "kind `{}` has {} indicators, and indicator {i} was scored",
            kind.name,
            kind.indicators.len()
        )));
    };
    let raw = match &ind.method {
        Method::Script(id) => {
            let view = View::inputs(ctx, row, values);
            let r = view.run(*id, scope).map_err(EntityError::Script)?;
            let pts = number(&view, *id, r).map_err(EntityError::Script)?;
            if !(0.0..=ind.points).contains(&pts) {
                let mut err = view.type_error(*id, &crate::words::fmt_num(pts), "");
                err.message = format!(
                    "returned {} points, outside 0..{} for indicator `{}`",
                    crate::words::fmt_num(pts),
                    crate::words::fmt_num(ind.points),
                    ind.id
                );
                return Err(EntityError::Script(err));
            }
            pts
        }
        Method::Lookup(table) => {
            let view = View::inputs(ctx, row, values);
            match view.get(Var::Value(i)) {
                Val::Str(cat) => super::score::lookup_points(table, cat),
                _ => 0.0,
            }
        }
        Method::LookupFrom(from) => {
            // Read and validated with the frame: every category of the data has its points.
            let Some(table) = ctx.frame.lookup(from) else {
                return Err(EntityError::Internal(format!(
                    "the points table `{}` of indicator `{}` was not read with the data",
                    from.table, ind.id
                )));
            };
            let view = View::inputs(ctx, row, values);
            match view.get(Var::Value(i)) {
                Val::Str(cat) => super::score::lookup_points(table, cat),
                _ => 0.0,
            }
        }
        m => {
            // Every entity scored has all its input values, in indicator order.
            let Some(&v) = values.get(i) else {
                return Err(EntityError::Internal(format!(
                    "indicator `{}` of kind `{}` was scored with {} input values for {} indicators",
                    ind.id,
                    kind.name,
                    values.len(),
                    kind.indicators.len()
                )));
            };
            if m.is_peer() {
                super::peer::peer_points(
                    m,
                    ctx.peers.get(i).and_then(Option::as_ref),
                    v,
                    ind.points,
                )
            } else {
                points_for(m, v, ind.points)
            }
        }
    };
    Ok(round_dp(raw, ctx.precision))
}

/// Dimension scores from indicator points, and the total: sums in declaration order (never a
/// parallel sum), each rounded. The order is fixed: the scored dimensions give the total before
/// adjustments; each bonus group (at most its cap) is added, each deduction group (at most its
/// cap) taken away; then the total is clamped to the kind's floor and ceiling.
pub fn sum_dims(kind: &Kind, points: &[f64], dims: &mut [f64], p: u32) -> f64 {
    for d in dims.iter_mut() {
        *d = 0.0;
    }
    for (ind, pts) in kind.indicators.iter().zip(points) {
        if let Some(slot) = dims.get_mut(ind.dim) {
            *slot += *pts;
        }
    }
    let mut total = 0.0;
    let mut adjust = 0.0;
    for (d, dim) in dims.iter_mut().zip(&kind.dims) {
        *d = round_dp(*d, p);
        match dim.role {
            DimRole::Score => total += *d,
            // A cap from a formula may have more decimals than a score keeps.
            DimRole::Add => {
                *d = round_dp(d.min(dim.max), p);
                adjust += *d;
            }
            DimRole::Deduct => {
                *d = round_dp(d.min(dim.max), p);
                adjust -= *d;
            }
        }
    }
    let base = round_dp(total, p);
    if !kind.has_adjustments() {
        return base;
    }
    let mut total = round_dp(base + adjust, p).max(kind.floor);
    if let Some(c) = kind.ceiling {
        total = total.min(c);
    }
    total
}

/// The total before adjustments: the scored dimensions' sum, from the rounded dimension scores.
pub fn base_total(kind: &Kind, dims: Row, p: u32) -> f64 {
    let sum: f64 = kind
        .dims
        .iter()
        .zip(dims.iter())
        .filter(|(d, _)| d.role == DimRole::Score)
        .map(|(_, x)| x)
        .sum();
    round_dp(sum, p)
}

/// Whether any enabled gate of `kind` sets points to 0.
pub fn has_zeroing(kind: &Kind) -> bool {
    kind.gates
        .iter()
        .any(|g| g.enabled && g.effect == Effect::Zero)
}

/// Set to 0 the points of the indicators that an enabled `zero` gate names, when its
/// condition (over inputs and parameters only) holds.
pub fn apply_zeroing(
    ctx: &KindCtx,
    row: usize,
    values: &[f64],
    points: &mut [f64],
    scope: &mut Scope<'static>,
) -> Result<(), EntityError> {
    for gate in ctx
        .kind
        .gates
        .iter()
        .filter(|g| g.enabled && g.effect == Effect::Zero)
    {
        let view = View::inputs(ctx, row, values);
        if view
            .test(&gate.condition, scope)
            .map_err(EntityError::Script)?
        {
            for &i in &gate.zero {
                if let Some(slot) = points.get_mut(i) {
                    *slot = 0.0;
                }
            }
        }
    }
    Ok(())
}

/// Steps 4–6 from an entity's scores: minimums, gates, grade and outcome.
pub fn decide_row(
    ctx: &KindCtx,
    row: usize,
    sc: Scores,
    out: DecideOut,
    scope: &mut Scope<'static>,
) -> Result<(), EntityError> {
    let kind = ctx.kind;
    let frame = ctx.frame;
    let total = sc.total;
    let mut failed = false;
    for ((b, d), dim) in out.below_min.iter_mut().zip(sc.dims.iter()).zip(&kind.dims) {
        *b = dim.min.is_some_and(|m| d < m);
        failed |= *b;
    }
    let missing = ctx
        .fail_columns
        .iter()
        .any(|&c| frame.cols.get(c).is_some_and(|col| col.is_missing(row)));
    *out.missing_fail = missing;
    failed |= missing;

    // 4. Gates: the batched ones in one call, unless an earlier evaluation knows them all.
    let mut cap: Option<usize> = None;
    let mut forced: Option<usize> = None;
    let reused = |g: usize| {
        ctx.known_gates
            .as_ref()
            .filter(|k| k.reuse.get(g).copied().unwrap_or(false))
            .map(|k| k.prior.get(row * k.count + g).copied().unwrap_or(false))
    };
    let batched = ctx
        .gate_batch
        .as_ref()
        .filter(|b| b.gates.iter().any(|&g| reused(g).is_none()))
        .and_then(|b| {
            let view = View::scored(ctx, row, sc, out.gates, false, None);
            view.run_gate_batch(b, scope).map(|fired| (b.mask, fired))
        });
    for (g, gate) in kind.gates.iter().enumerate() {
        if !gate.enabled {
            continue;
        }
        let from_batch = batched
            .filter(|(mask, _)| g < 64 && mask & (1u64 << g) != 0)
            .map(|(_, fired)| fired & (1u64 << g) != 0);
        // A required condition fires when it does not hold; a result carried over is a
        // firing already.
        let fired = match (reused(g), from_batch) {
            (Some(f), _) => f,
            (None, Some(holds)) => holds != gate.require,
            (None, None) => {
                let view = View::scored(ctx, row, sc, out.gates, false, None);
                let holds = view
                    .test(&gate.condition, scope)
                    .map_err(EntityError::Script)?;
                holds != gate.require
            }
        };
        if let Some(slot) = out.gates.get_mut(g) {
            *slot = fired;
        }
        if fired {
            match gate.effect {
                Effect::Fail(c) => {
                    failed = true;
                    if let Some(k) = c {
                        cap = Some(cap.map_or(k, |x| x.max(k)));
                    }
                }
                Effect::CapGrade(k) => cap = Some(cap.map_or(k, |c| c.max(k))),
                Effect::ForceOutcome(o) => {
                    forced.get_or_insert(o);
                }
                // Applied while scoring; here it is only recorded as fired.
                Effect::Zero => {}
            }
        }
    }
    *out.failed = failed;

    // 5. Grade (best first), then caps.
    let raw_grade = kind
        .grades
        .iter()
        .position(|gr| gr.interval.contains(total));
    *out.grade_raw = raw_grade.map_or(u16::MAX, |g| g as u16);
    let grade = match (raw_grade, cap) {
        (Some(g), Some(c)) => Some(g.max(c)),
        (g, _) => g,
    };
    *out.grade = grade.map_or(u16::MAX, |g| g as u16);

    // 6. Outcome.
    let view = View::scored(ctx, row, sc, out.gates, failed, grade);
    *out.outcome = decide_outcome(&view, forced, scope)? as u16;
    Ok(())
}

/// The outcome: a forced one, else the first rule that holds (passing rules are skipped when
/// the entity failed); the last rule is the fallback.
pub fn decide_outcome(
    view: &View,
    forced: Option<usize>,
    scope: &mut Scope<'static>,
) -> Result<usize, EntityError> {
    if let Some(o) = forced {
        return Ok(o);
    }
    let kind = view.ctx.kind;
    for (o, rule) in kind.outcomes.iter().enumerate() {
        if rule.passing && view.failed {
            continue;
        }
        match &rule.condition {
            None => return Ok(o),
            Some(c) => {
                if view.test(c, scope).map_err(EntityError::Script)? {
                    return Ok(o);
                }
            }
        }
    }
    Ok(kind.outcomes.len().saturating_sub(1))
}

/// Decide the outcome again for entity `row` after its grade changed (a quota or a cascade).
pub fn redecide(
    ctx: &KindCtx,
    res: &super::KindResult,
    row: usize,
    scope: &mut Scope<'static>,
) -> Result<usize, EntityError> {
    let gates = res.gates_of(row);
    let forced = ctx
        .kind
        .gates
        .iter()
        .zip(gates)
        .find_map(|(g, f)| match (g.effect, f) {
            (Effect::ForceOutcome(o), true) => Some(o),
            _ => None,
        });
    let view = View {
        outcome: None,
        ..View::of_result(ctx, res, row)
    };
    decide_outcome(&view, forced, scope)
}
