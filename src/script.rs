//! The one rhai engine: sandbox limits, helper functions from `scripts/*.rhai`, and every
//! expression of the rule set compiled once. Shared read-only across threads (rhai `sync`).

use crate::diag::{Diagnostic, Location, SourceFile};
use crate::rules::var::Var;
use rhai::{Dynamic, Engine, Module, Scope, AST};
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Operations one evaluation may run before it is stopped.
pub const MAX_OPERATIONS: u64 = 200_000;
/// Wall-clock bound for one evaluation.
pub const MAX_WALL: Duration = Duration::from_millis(500);

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// What an expression must return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    Bool,
    Number,
}

/// One compiled expression and the entity values it reads.
#[derive(Debug, Clone)]
pub struct CompiledExpr {
    pub ast: AST,
    pub source: String,
    /// Variables to put in scope, by name.
    pub vars: Vec<(String, Var)>,
    /// Members read through `points.x` / `value.x`.
    pub points_members: Vec<(String, usize)>,
    pub value_members: Vec<(String, usize)>,
    /// What the expression is, for messages: "gate `collective_petition`".
    pub what: String,
    pub location: Location,
    pub returns: Returns,
}

/// Several expressions of one entity (its gates), evaluated in one call as a list: one pass
/// into rhai per entity instead of one per expression.
pub struct Batch {
    ast: AST,
    /// The expressions, in list order.
    pub members: Vec<ExprId>,
    /// Every variable the members read, by name.
    pub vars: Vec<(String, Var)>,
    pub points_members: Vec<(String, usize)>,
    pub value_members: Vec<(String, usize)>,
}

/// Index of an expression compiled in the [`ScriptHost`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExprId(pub usize);

/// A compiled batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchId(usize);

/// The engine, its helper functions and all compiled expressions.
pub struct ScriptHost {
    engine: Engine,
    exprs: Vec<CompiledExpr>,
    batches: Vec<Batch>,
    /// Helper function names and their parameter counts.
    functions: Vec<(String, usize)>,
    /// Which script file defines each helper function, for runtime messages.
    function_files: Vec<(String, String)>,
    /// The helper scripts' text, to tell whether two hosts run the same code.
    helper_text: Vec<Arc<str>>,
    /// The text of helper scripts that did not compile (their error already reported).
    broken: Vec<Arc<str>>,
}

impl fmt::Debug for ScriptHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptHost")
            .field("exprs", &self.exprs.len())
            .field("functions", &self.functions)
            .finish()
    }
}

/// Where an expression's text sits in its YAML file, to map rhai positions back.
#[derive(Debug, Clone)]
pub struct TextOrigin {
    pub file: Option<Arc<SourceFile>>,
    pub line: usize,
    pub col: usize,
    /// The text starts after an opening quote.
    pub quoted: bool,
    pub path: Option<String>,
}

/// A script that failed while scoring an entity.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what} failed for `{entity}`: {message} ({place})")]
pub struct ScriptError {
    pub what: String,
    pub place: String,
    pub entity: String,
    pub message: String,
}

/// A fresh engine with the sandbox limits set.
fn sandboxed_engine() -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(32);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(10_000);
    engine.set_max_array_size(10_000);
    engine.set_max_map_size(1_000);
    engine.set_max_modules(0);
    // The engine's own rounding, for scripts that round as scores are rounded: half away from
    // zero on the decimal value (`round_to(2.675, 2)` is 2.68).
    engine.register_fn("round_to", |x: rhai::FLOAT, decimals: rhai::INT| {
        crate::engine::round::round_dp(x, u32::try_from(decimals.clamp(0, 12)).unwrap_or(0))
    });
    engine.register_fn("round_to", |x: rhai::INT, decimals: rhai::INT| {
        crate::engine::round::round_dp(
            x as rhai::FLOAT,
            u32::try_from(decimals.clamp(0, 12)).unwrap_or(0),
        )
    });
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine.on_progress(|ops| {
        if ops % 1024 == 0 {
            // The clock starts at the first check: most evaluations end long before it, and
            // need no clock reading at all.
            let now = Instant::now();
            let late = DEADLINE.with(|d| match d.get() {
                Some(t) => now > t,
                None => {
                    d.set(Some(now + MAX_WALL));
                    false
                }
            });
            if late {
                return Some(Dynamic::from("time limit"));
            }
        }
        None
    });
    engine
}

impl ScriptHost {
    /// Compile the helper scripts; their functions become callable from every expression.
    pub fn new(scripts: &[Arc<SourceFile>], diags: &mut Vec<Diagnostic>) -> ScriptHost {
        let mut engine = sandboxed_engine();
        let mut functions = Vec::new();
        let mut function_files = Vec::new();
        let helper_text = scripts.iter().map(|s| Arc::clone(&s.text)).collect();
        let mut broken = Vec::new();
        for src in scripts {
            match engine.compile(&*src.text) {
                Ok(ast) => {
                    for f in ast.iter_functions() {
                        functions.push((f.name.to_string(), f.params.len()));
                        function_files.push((f.name.to_string(), src.name.clone()));
                    }
                    match Module::eval_ast_as_new(Scope::new(), &ast, &engine) {
                        Ok(module) => {
                            engine.register_global_module(module.into());
                        }
                        Err(e) => diags.push(Diagnostic::error(
                            format!(
                                "script `{}` failed to load: {}",
                                src.name,
                                clean(&e.to_string())
                            ),
                            located(src, e.position()),
                        )),
                    }
                }
                Err(e) => {
                    let pos = e.position();
                    diags.push(Diagnostic::error(
                        format!("rhai syntax error: {}", clean(&e.0.to_string())),
                        located(src, pos),
                    ));
                    broken.push(Arc::clone(&src.text));
                }
            }
        }
        ScriptHost {
            engine,
            exprs: Vec::new(),
            batches: Vec::new(),
            functions,
            function_files,
            helper_text,
            broken,
        }
    }

    /// Whether expression `id` here and `other_id` in `other` are the same code reading the same
    /// variables, with the same helper functions: given the same values they give the same
    /// result.
    pub fn same_expr(&self, id: ExprId, other: &ScriptHost, other_id: ExprId) -> bool {
        match (self.expr(id), other.expr(other_id)) {
            (Some(a), Some(b)) => {
                a.source == b.source
                    && a.vars == b.vars
                    && a.points_members == b.points_members
                    && a.value_members == b.value_members
                    && self.helper_text == other.helper_text
            }
            _ => false,
        }
    }

    /// Whether a helper function `name` taking `arity` arguments exists.
    pub fn has_function(&self, name: &str, arity: usize) -> bool {
        self.functions.iter().any(|(n, a)| n == name && *a == arity)
    }

    /// Whether a helper script that did not compile seems to define function `name`: a call to
    /// it is then not reported as a missing function, only the script's syntax error.
    pub fn maybe_in_broken_script(&self, name: &str) -> bool {
        self.broken.iter().any(|text| {
            text.match_indices("fn ").any(|(i, _)| {
                text.get(i + 3..)
                    .map(str::trim_start)
                    .and_then(|rest| rest.strip_prefix(name))
                    .is_some_and(|rest| rest.trim_start().starts_with('('))
            })
        })
    }

    /// Helper function names, for suggestions.
    pub fn function_names(&self) -> impl Iterator<Item = &str> {
        self.functions.iter().map(|(n, _)| n.as_str())
    }

    /// Compile an expression. `resolve` maps each identifier it reads to an entity variable,
    /// or explains why that name cannot be used here.
    pub fn compile_expr(
        &mut self,
        text: &str,
        origin: &TextOrigin,
        what: String,
        returns: Returns,
        resolve: &mut dyn FnMut(&str) -> Result<Option<Var>, String>,
    ) -> Result<ExprId, Diagnostic> {
        let ast = self.engine.compile_expression(text).map_err(|e| {
            let d = Diagnostic::error(
                format!("rhai syntax error in {what}: {}", clean(&e.0.to_string())),
                map_pos(origin, e.position()),
            );
            match crate::rules::signs::operator_hint(text) {
                Some(hint) => d.with_help(hint),
                None => d,
            }
        })?;
        let mut vars = Vec::new();
        let mut points_members = Vec::new();
        let mut value_members = Vec::new();
        for (name, member, offset) in identifiers(text) {
            let resolved = match (name.as_str(), &member) {
                ("points", Some(m)) | ("value", Some(m)) => resolve(&format!("{name}.{m}")),
                _ => resolve(&name),
            };
            let var = resolved.map_err(|msg| {
                let (line, col) = line_col(text, offset);
                let mut loc = map_pos(origin, rhai::Position::new(line as u16, col as u16));
                loc.len = name.chars().count();
                Diagnostic::error(format!("{msg} in {what}"), loc)
            })?;
            match (var, member) {
                (Some(Var::Points(i)), Some(m)) if !points_members.iter().any(|(n, _)| *n == m) => {
                    points_members.push((m, i))
                }
                (Some(Var::Value(i)), Some(m)) if !value_members.iter().any(|(n, _)| *n == m) => {
                    value_members.push((m, i))
                }
                (Some(Var::Points(_) | Var::Value(_)), Some(_)) => {}
                (Some(v), _) if !vars.iter().any(|(n, _)| *n == name) => vars.push((name, v)),
                _ => {}
            }
        }
        let location = map_pos(origin, rhai::Position::new(1, 1));
        self.exprs.push(CompiledExpr {
            ast,
            source: text.to_string(),
            vars,
            points_members,
            value_members,
            what,
            location,
            returns,
        });
        Ok(ExprId(self.exprs.len() - 1))
    }

    /// Compile `members` into one list expression. None when they cannot share a scope (one
    /// name read as two different variables) or the list does not compile.
    pub fn compile_batch(&mut self, members: &[ExprId]) -> Option<BatchId> {
        if let Some(i) = self.batches.iter().position(|b| b.members == members) {
            return Some(BatchId(i));
        }
        let mut vars: Vec<(String, Var)> = Vec::new();
        let mut points_members: Vec<(String, usize)> = Vec::new();
        let mut value_members: Vec<(String, usize)> = Vec::new();
        let mut parts = Vec::new();
        for id in members {
            let e = self.exprs.get(id.0)?;
            for (name, var) in &e.vars {
                match vars.iter().find(|(n, _)| n == name) {
                    Some((_, v)) if v != var => return None,
                    Some(_) => {}
                    None => vars.push((name.clone(), *var)),
                }
            }
            for (list, from) in [
                (&mut points_members, &e.points_members),
                (&mut value_members, &e.value_members),
            ] {
                for (name, i) in from {
                    match list.iter().find(|(n, _)| n == name) {
                        Some((_, j)) if j != i => return None,
                        Some(_) => {}
                        None => list.push((name.clone(), *i)),
                    }
                }
            }
            // On lines of their own, so that a trailing comment ends with its member.
            parts.push(format!("(\n{}\n)", e.source));
        }
        // A bare `value` or `points` in one member and `value.x` or `points.x` in another
        // would share one name in the scope: such gates are evaluated one by one.
        let clash = |name: &str, members: &[(String, usize)]| {
            !members.is_empty() && vars.iter().any(|(n, _)| n == name)
        };
        if clash("value", &value_members) || clash("points", &points_members) {
            return None;
        }
        let ast = self
            .engine
            .compile_expression(format!("[{}]", parts.join(",")))
            .ok()?;
        self.batches.push(Batch {
            ast,
            members: members.to_vec(),
            vars,
            points_members,
            value_members,
        });
        Some(BatchId(self.batches.len() - 1))
    }

    /// The batch of exactly these expressions, if one was compiled.
    pub fn batch_of(&self, members: &[ExprId]) -> Option<BatchId> {
        self.batches
            .iter()
            .position(|b| b.members == members)
            .map(BatchId)
    }

    /// A compiled batch.
    pub fn batch(&self, id: BatchId) -> Option<&Batch> {
        self.batches.get(id.0)
    }

    /// Evaluate a batch with the values already pushed into `scope`: one value per member, or
    /// None when anything went wrong (the members are then evaluated one by one, which names
    /// the one that failed).
    pub fn eval_batch(&self, id: BatchId, scope: &mut Scope) -> Option<Vec<Dynamic>> {
        let b = self.batches.get(id.0)?;
        DEADLINE.with(|d| d.set(None));
        let r = self.engine.eval_ast_with_scope::<Dynamic>(scope, &b.ast);
        DEADLINE.with(|d| d.set(None));
        let list = r.ok()?.into_array().ok()?;
        (list.len() == b.members.len()).then_some(list)
    }

    /// A compiled expression.
    pub fn expr(&self, id: ExprId) -> Option<&CompiledExpr> {
        self.exprs.get(id.0)
    }

    /// Evaluate an expression with the values already pushed into `scope`.
    pub fn eval(
        &self,
        id: ExprId,
        scope: &mut Scope,
        entity: &str,
    ) -> Result<Dynamic, ScriptError> {
        let Some(e) = self.exprs.get(id.0) else {
            return Err(ScriptError {
                what: "expression".into(),
                place: String::new(),
                entity: entity.into(),
                message: "unknown expression".into(),
            });
        };
        DEADLINE.with(|d| d.set(None));
        let r = self.engine.eval_ast_with_scope::<Dynamic>(scope, &e.ast);
        DEADLINE.with(|d| d.set(None));
        r.map_err(|err| ScriptError {
            what: e.what.clone(),
            place: place_of(&e.location),
            entity: entity.into(),
            message: self.runtime_message(&err),
        })
    }
}

impl ScriptHost {
    /// A runtime error in words, naming the helper function and its file when it failed inside one.
    fn runtime_message(&self, err: &rhai::EvalAltResult) -> String {
        if let rhai::EvalAltResult::ErrorInFunctionCall(name, _, inner, pos) = err {
            let file = self
                .function_files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, f)| f.as_str())
                .unwrap_or("a script");
            let at = inner.position();
            let line = at.line().map(|l| format!(", line {l}")).unwrap_or_default();
            let _ = pos;
            return format!(
                "{} in function `{name}` ({file}{line})",
                runtime_message(inner)
            );
        }
        runtime_message(err)
    }
}

fn runtime_message(err: &rhai::EvalAltResult) -> String {
    use rhai::EvalAltResult as E;
    match err {
        E::ErrorRuntime(v, _) => format!("the script threw: {v}"),
        E::ErrorTooManyOperations(_) => {
            format!("stopped after {MAX_OPERATIONS} operations (a loop that never ends?)")
        }
        E::ErrorTerminated(_, _) => format!("stopped after {} ms", MAX_WALL.as_millis()),
        E::ErrorStackOverflow(_) => "too many nested calls (runaway recursion?)".into(),
        E::ErrorDataTooLarge(what, _) => {
            format!("{} exceeds the sandbox limit", what.to_lowercase())
        }
        other => clean(&other.to_string()),
    }
}

fn place_of(loc: &Location) -> String {
    let file = loc.file.as_ref().map(|f| f.name.as_str()).unwrap_or("");
    format!("{file}:{}:{}", loc.line, loc.col)
}

/// Drop rhai's own " (line x, position y)" suffix: positions are shown in file terms.
fn clean(msg: &str) -> String {
    match msg.rfind(" (line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_string(),
        None => msg.to_string(),
    }
}

fn located(src: &Arc<SourceFile>, pos: rhai::Position) -> Location {
    Location {
        file: Some(src.clone()),
        line: pos.line().unwrap_or(0),
        col: pos.position().unwrap_or(0),
        len: 1,
        path: None,
    }
}

/// Map a rhai position inside an embedded expression to its place in the YAML file.
fn map_pos(origin: &TextOrigin, pos: rhai::Position) -> Location {
    let rl = pos.line().unwrap_or(1).max(1);
    let rc = pos.position().unwrap_or(1).max(1);
    let (line, col) = if rl == 1 {
        (
            origin.line,
            origin.col + usize::from(origin.quoted) + rc - 1,
        )
    } else {
        (origin.line + rl - 1, rc)
    };
    Location {
        file: origin.file.clone(),
        line,
        col,
        len: 1,
        path: origin.path.clone(),
    }
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

const KEYWORDS: &[&str] = &[
    "true",
    "false",
    "if",
    "else",
    "switch",
    "do",
    "while",
    "loop",
    "until",
    "for",
    "in",
    "break",
    "continue",
    "return",
    "throw",
    "try",
    "catch",
    "fn",
    "let",
    "const",
    "this",
    "private",
    "import",
    "export",
    "as",
    "global",
    "Fn",
    "call",
    "curry",
    "is_def_var",
    "is_def_fn",
    "type_of",
    "print",
    "debug",
    "eval",
];

/// Identifiers an expression reads as variables: not keywords, not function names (followed
/// by `(`), not properties (after `.`), not inside strings or comments. Returns
/// `(name, member after a dot, byte offset)`.
pub fn identifiers(text: &str) -> Vec<(String, Option<String>, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut prev_sig: Option<u8> = None;
    let mut locals: Vec<String> = Vec::new();
    // Inside `|a, b|` of a closure: names there are parameters, not entity values.
    let mut in_params = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' | b'\'' | b'`' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    if c == b {
                        break;
                    }
                }
                prev_sig = Some(b'"');
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len()
                    && !(bytes.get(i) == Some(&b'*') && bytes.get(i + 1) == Some(&b'/'))
                {
                    i += 1;
                }
                i += 2;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
                {
                    i += 1;
                }
                let name = text.get(start..i).unwrap_or("").to_string();
                let mut j = i;
                while bytes.get(j).is_some_and(|c| *c == b' ') {
                    j += 1;
                }
                // `f(…)` and `f!(…)` are calls; `x != …` compares `x`.
                let is_call = match bytes.get(j) {
                    Some(b'(') => true,
                    Some(b'!') => bytes.get(j + 1) != Some(&b'='),
                    _ => false,
                };
                let is_prop = prev_sig == Some(b'.');
                let is_decl = matches!(out.last(), Some((k, _, _)) if k == "let" || k == "const");
                let mut member = None;
                if bytes.get(i) == Some(&b'.') {
                    let ms = i + 1;
                    let mut me = ms;
                    while bytes
                        .get(me)
                        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
                    {
                        me += 1;
                    }
                    if me > ms && bytes.get(me) != Some(&b'(') {
                        member = text.get(ms..me).map(str::to_string);
                    }
                }
                if in_params || is_decl {
                    locals.push(name.clone());
                }
                if !is_call
                    && !is_prop
                    && !KEYWORDS.contains(&name.as_str())
                    && !locals.contains(&name)
                {
                    out.push((name, member, start));
                } else if name == "let" || name == "const" {
                    out.push((name, None, start));
                }
                prev_sig = Some(b'a');
            }
            c if c.is_ascii_digit() => {
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_')
                {
                    i += 1;
                }
                prev_sig = Some(b'0');
            }
            b'|' if bytes.get(i + 1) == Some(&b'|') && !in_params => {
                // `||`: logical or, or a closure without parameters.
                prev_sig = Some(b'o');
                i += 2;
            }
            b'|' => {
                if in_params {
                    in_params = false;
                } else if matches!(
                    prev_sig,
                    None | Some(b'(') | Some(b',') | Some(b'=') | Some(b':') | Some(b'[')
                ) {
                    in_params = true;
                }
                prev_sig = Some(b'|');
                i += 1;
            }
            c => {
                if !c.is_ascii_whitespace() {
                    prev_sig = Some(c);
                }
                i += 1;
            }
        }
    }
    out.retain(|(n, _, _)| n != "let" && n != "const");
    out
}

/// A `/` between two whole numbers in an expression: rhai divides them as whole numbers and
/// drops the remainder (`7 / 2` is 3), which is rarely what a rule means. `is_int` says
/// whether a name (an integer column, an integer indicator's `value.ID`) holds a whole number;
/// a literal without a decimal point is one. The warning points at the `/`.
pub fn whole_division_warning(
    text: &str,
    origin: &TextOrigin,
    what: &str,
    is_int: &dyn Fn(&str) -> bool,
) -> Option<Diagnostic> {
    #[derive(PartialEq)]
    enum Tok {
        Int(String),
        Other,
        Name(String),
        Slash(usize),
    }
    let bytes = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' | b'\'' | b'`' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b {
                        break;
                    }
                }
                toks.push(Tok::Other);
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len()
                    && !(bytes.get(i) == Some(&b'*') && bytes.get(i + 1) == Some(&b'/'))
                {
                    i += 1;
                }
                i += 2;
            }
            b'/' if bytes.get(i + 1) == Some(&b'=') => {
                toks.push(Tok::Other);
                i += 2;
            }
            b'/' => {
                toks.push(Tok::Slash(i));
                i += 1;
            }
            c if c.is_ascii_digit() => {
                let start = i;
                let mut whole = true;
                while let Some(&c) = bytes.get(i) {
                    if c.is_ascii_digit() || c == b'_' {
                        i += 1;
                    } else if (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
                        || c == b'e'
                        || c == b'E'
                    {
                        whole = false;
                        i += 1;
                    } else {
                        break;
                    }
                }
                let lit = text.get(start..i).unwrap_or_default().to_string();
                toks.push(if whole { Tok::Int(lit) } else { Tok::Other });
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while bytes.get(i).is_some_and(|&c| {
                    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 || c == b'.'
                }) {
                    i += 1;
                }
                let name = text.get(start..i).unwrap_or_default().to_string();
                // A call (`to_float(x)`) is not a name's value.
                let call = text
                    .get(i..)
                    .is_some_and(|rest| rest.trim_start().starts_with('('));
                toks.push(if call { Tok::Other } else { Tok::Name(name) });
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                toks.push(Tok::Other);
                i += 1;
            }
        }
    }
    let whole = |t: &Tok| match t {
        Tok::Int(_) => true,
        Tok::Name(n) => is_int(n),
        _ => false,
    };
    let shown = |t: &Tok| match t {
        Tok::Int(s) | Tok::Name(s) => s.clone(),
        _ => String::new(),
    };
    toks.windows(3).find_map(|w| {
        let [l, Tok::Slash(at), r] = w else {
            return None;
        };
        if !(whole(l) && whole(r)) {
            return None;
        }
        let (line, col) = line_col(text, *at);
        let mut loc = map_pos(origin, rhai::Position::new(line as u16, col as u16));
        loc.len = 1;
        let (a, b) = (shown(l), shown(r));
        Some(
            Diagnostic::warning(
                format!("`{a} / {b}` in {what} divides two whole numbers: the remainder is dropped (7 / 2 is 3)"),
                loc,
            )
            .with_help(format!("write `to_float({a}) / {b}` for the exact quotient")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_number_division_is_found_only_between_whole_numbers() {
        let origin = TextOrigin {
            file: None,
            line: 1,
            col: 1,
            quoted: false,
            path: None,
        };
        let ints = |n: &str| n == "a" || n == "b" || n == "value.c";
        let warns = |text: &str| whole_division_warning(text, &origin, "x", &ints).is_some();
        assert!(warns("a / b > 1"));
        assert!(warns("a / 2 > 1"));
        assert!(warns("7 / 2"));
        assert!(warns("x + value.c / b"));
        assert!(!warns("a / 2.0 > 1"));
        assert!(!warns("to_float(a) / b"));
        assert!(!warns("a / f"));
        assert!(!warns("1e3 / 2"));
        assert!(!warns("\"a / b\" == s"));
        assert!(!warns("a // b / c"));
        assert!(!warns("(a + 1) / b"));
        let engine = sandboxed_engine();
        let q: rhai::FLOAT = engine.eval("to_float(7) / 2").unwrap();
        assert_eq!(q, 3.5, "the suggested fix gives the exact quotient");
    }

    #[test]
    fn scripts_round_as_the_engine_does() {
        let engine = sandboxed_engine();
        let x: rhai::FLOAT = engine.eval("round_to(2.675, 2)").unwrap();
        assert_eq!(x, 2.68);
        let y: rhai::FLOAT = engine.eval("round_to(-1.005, 2)").unwrap();
        assert_eq!(y, -1.01);
        let z: rhai::FLOAT = engine.eval("round_to(7, 1)").unwrap();
        assert_eq!(z, 7.0);
    }

    #[test]
    fn finds_variables_not_functions_or_strings() {
        let ids: Vec<String> = identifiers("max(a, b.len()) > total && grade == \"good x\" // c")
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(ids, vec!["a", "b", "total", "grade"]);
        let or: Vec<String> = identifiers("a > 1 || b > 0")
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(or, vec!["a", "b"]);
        // `!=` after a space compares; `f!(…)` calls.
        let ne: Vec<String> = identifiers("value != 1 && x!= 2 && f!(y) && g !(z)")
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(ne, vec!["value", "x", "y", "z"]);
        let closure: Vec<String> = identifiers("xs.filter(|x| x > limit)")
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(closure, vec!["xs", "limit"]);
        let m = identifiers("points.hist > 3");
        assert_eq!(
            m.first().and_then(|(_, m, _)| m.clone()),
            Some("hist".to_string())
        );
    }
}
