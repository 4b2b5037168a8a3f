//! Outcomes, conditions and expressions, and what a name in them refers to.

use super::{declare_column, is_identifier, KindCompiler, Names, Scope};
use crate::diag::{did_you_mean, Diagnostic, Location};
use crate::rules::cond::parse_cmp;
use crate::rules::load::display_path;
use crate::rules::model::*;
use crate::rules::raw::*;
use crate::script::{Returns, TextOrigin};
use std::collections::HashSet;

impl KindCompiler<'_> {
    /// The outcome rules, in order: the first whose condition holds decides.
    pub(super) fn outcomes(&mut self, rk: &RawKind, names: &Names) -> Vec<Outcome> {
        let mut out = Vec::new();
        let n = rk.outcomes.len();
        if n == 0 {
            self.err(format!("kind `{}` has no outcomes", rk.kind), "kind");
            return out;
        }
        let mut seen = HashSet::new();
        for (i, ro) in rk.outcomes.iter().enumerate() {
            let base = format!("outcomes.{i}");
            if !seen.insert(ro.id.clone()) {
                self.err(
                    format!("outcome id `{}` is used twice", ro.id),
                    &format!("{base}.id"),
                );
                continue;
            }
            let last = i + 1 == n;
            let what = format!("the condition of outcome `{}`", ro.id);
            let cond = self.condition(
                &base,
                &ro.when,
                &ro.all,
                &ro.any,
                what,
                Scope {
                    max_stage: 4,
                    indicator: None,
                },
                names,
            );
            let Some(cond) = cond else { continue };
            if last && cond.is_some() {
                self.err(
                    format!(
                        "the last outcome `{}` is the fallback and takes no condition",
                        ro.id
                    ),
                    &format!("{base}.id"),
                );
            }
            // A passing outcome without a condition holds for every entity that has not failed
            // (an exit list: exit unless a condition is unmet); it must say so.
            if !last && cond.is_none() && ro.passing != Some(true) {
                let loc = self.loc(&format!("{base}.id"));
                self.diags.push(
                    Diagnostic::error(
                        format!("outcome `{}` has no condition, so the outcomes after it can never be reached", ro.id),
                        loc,
                    )
                    .with_help("give it a condition, or `passing: true` to have it hold for every entity that has not failed"),
                );
            }
            out.push(Outcome {
                id: ro.id.clone(),
                label: ro.label.clone(),
                passing: ro.passing.unwrap_or(!last),
                condition: cond,
            });
        }
        out
    }

    /// Compile `when` / `all` / `any`; `Some(None)` when none is given, `None` on error.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::rules) fn condition(
        &mut self,
        base: &str,
        when: &Option<String>,
        all: &Option<Vec<String>>,
        any: &Option<Vec<String>>,
        what: String,
        scope: Scope,
        names: &Names,
    ) -> Option<Option<Condition>> {
        let n =
            usize::from(when.is_some()) + usize::from(all.is_some()) + usize::from(any.is_some());
        if n > 1 {
            self.err("give only one of `when`, `all` and `any`", base);
            return None;
        }
        if let Some(text) = when {
            let id = self.expression(
                text,
                &format!("{base}.when"),
                what,
                Returns::Bool,
                scope,
                names,
            )?;
            return Some(Some(Condition::Script(id)));
        }
        let (list, key, is_all) = match (all, any) {
            (Some(l), _) => (l, "all", true),
            (_, Some(l)) => (l, "any", false),
            _ => return Some(None),
        };
        if list.is_empty() {
            self.err(format!("`{key}` is empty"), &format!("{base}.{key}"));
            return None;
        }
        let mut cmps = Vec::new();
        let mut ok = true;
        for (j, text) in list.iter().enumerate() {
            let path = format!("{base}.{key}.{j}");
            let mut err_loc = None;
            let here = self.value_loc(&path);
            let result = {
                let mut resolve = |name: &str| -> Result<Operand, String> {
                    // Grade ids and category values compare as text: `grade == excellent`.
                    if self.is_literal(name, names) {
                        return Ok(Operand::Str(name.to_string()));
                    }
                    match self.resolve(name, scope, names, &here) {
                        Ok(Some(Var::Param(p))) => {
                            self.used_params.insert(name.to_string());
                            Ok(Operand::Num(
                                self.params.get(p).map(|x| x.value).unwrap_or(0.0),
                            ))
                        }
                        Ok(Some(v)) => Ok(Operand::Var(v)),
                        Ok(None) => Err(format!("unknown name `{name}`")),
                        Err(e) => Err(e),
                    }
                };
                parse_cmp(text, &mut resolve)
            };
            match result {
                Ok(c) => cmps.push(c),
                Err(e) => {
                    self.params_named_in(text);
                    err_loc.get_or_insert_with(|| self.value_loc(&path));
                    let loc = err_loc.unwrap_or_default();
                    self.diags
                        .push(Diagnostic::error(format!("in `{text}`: {e}"), loc));
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        Some(Some(if is_all {
            Condition::All(cmps)
        } else {
            Condition::Any(cmps)
        }))
    }

    /// Compile a rhai expression found at YAML `path`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn expression(
        &mut self,
        text: &str,
        path: &str,
        what: String,
        returns: Returns,
        scope: Scope,
        names: &Names,
    ) -> Option<ExprId> {
        let path = &self.remap.original(path);
        let pos = self
            .file
            .index
            .exact(path)
            .or_else(|| self.file.index.find(path));
        let origin = TextOrigin {
            file: Some(self.file.source.clone()),
            line: pos.map(|p| p.value_line.max(p.line)).unwrap_or(0),
            col: pos.map(|p| p.value_col).unwrap_or(0),
            quoted: pos.map(|p| p.quoted).unwrap_or(false),
            path: Some(display_path(path)),
        };
        let expr_loc = self.value_loc(path);
        // Resolving may declare columns (which needs `self`), so resolve every name first.
        let mut resolved: Vec<(String, Result<Option<Var>, String>)> = Vec::new();
        for (name, member, _) in crate::script::identifiers(text) {
            let key = match (name.as_str(), &member) {
                ("points", Some(m)) | ("value", Some(m)) => format!("{name}.{m}"),
                _ => name.clone(),
            };
            if !resolved.iter().any(|(k, _)| *k == key) {
                let r = self.resolve(&key, scope, names, &expr_loc);
                resolved.push((key, r));
            }
        }
        let mut lookup = |name: &str| -> Result<Option<Var>, String> {
            resolved
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, r)| r.clone())
                .unwrap_or(Ok(None))
        };
        match self
            .host
            .compile_expr(text, &origin, what, returns, &mut lookup)
        {
            Ok(id) => {
                for (name, r) in &resolved {
                    if matches!(r, Ok(Some(Var::Param(_)))) {
                        self.used_params.insert(name.clone());
                    }
                }
                let columns = &self.columns;
                let is_int = |name: &str| match resolved.iter().find(|(k, _)| k == name) {
                    Some((_, Ok(Some(Var::Column(c))))) => {
                        columns.get(*c).is_some_and(|s| s.ty == ValueType::Integer)
                    }
                    _ => false,
                };
                let what = self
                    .host
                    .expr(id)
                    .map(|e| e.what.clone())
                    .unwrap_or_default();
                if let Some(w) =
                    crate::script::whole_division_warning(text, &origin, &what, &is_int)
                {
                    self.diags.push(w);
                }
                Some(id)
            }
            Err(d) => {
                self.params_named_in(text);
                self.diags.push(d);
                None
            }
        }
    }

    /// Count the parameters a condition or expression that could not be compiled names as
    /// used: its error is the problem, not a parameter said besides to be never used.
    fn params_named_in(&mut self, text: &str) {
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if self.params.iter().any(|p| p.name == word) {
                self.used_params.insert(word.to_string());
            }
        }
    }

    /// Whether `name` is a grade id or a declared category value (and nothing else).
    pub(in crate::rules) fn is_literal(&self, name: &str, names: &Names) -> bool {
        let taken = self.params.iter().any(|p| p.name == name)
            || names.dims.iter().any(|d| d.id == name)
            || names.gates.iter().any(|g| g == name)
            || self.columns.iter().any(|c| c.name == name);
        !taken
            && (names.grades.iter().any(|g| g == name)
                || self.columns.iter().any(|c| {
                    c.categories
                        .as_ref()
                        .is_some_and(|cs| cs.iter().any(|x| x == name))
                }))
    }

    /// What `name` means at this point of the evaluation.
    pub(in crate::rules) fn resolve(
        &mut self,
        name: &str,
        scope: Scope,
        names: &Names,
        loc: &Location,
    ) -> Result<Option<Var>, String> {
        let stage_check = |v: Var, what: &str| -> Result<Option<Var>, String> {
            if v.stage() > scope.max_stage {
                Err(format!("`{name}` cannot be read here: {what}"))
            } else {
                Ok(Some(v))
            }
        };
        let too_early = match scope.max_stage {
            0 => "inputs are computed before any score",
            1 => "a `zero` gate is decided from the inputs, before any points are summed",
            2 => "gates are checked before the grade and before other gates",
            _ => "",
        };
        match name {
            "total" => return stage_check(Var::Total, too_early),
            "grade" => return stage_check(Var::Grade, too_early),
            "failed" => return stage_check(Var::Failed, too_early),
            "any_gate" => return stage_check(Var::AnyGate, too_early),
            "value" | "points" => {
                return match scope.indicator {
                    Some(k) if name == "value" => stage_check(Var::Value(k), too_early),
                    Some(k) => stage_check(Var::Points(k), too_early),
                    None => Err(format!(
                        "`{name}` needs an indicator: write `{name}.INDICATOR_ID`"
                    )),
                };
            }
            _ => {}
        }
        if let Some((ns, id)) = name.split_once('.') {
            if ns == "points" || ns == "value" {
                return match names.indicators.iter().position(|(n, _)| n == id) {
                    Some(k) if ns == "value" => stage_check(Var::Value(k), too_early),
                    Some(k) => stage_check(Var::Points(k), too_early),
                    None => {
                        let s = did_you_mean(id, names.indicators.iter().map(|(n, _)| n.as_str()));
                        Err(format!(
                            "unknown indicator `{id}`{}",
                            s.map(|s| format!(" (did you mean `{s}`?)"))
                                .unwrap_or_default()
                        ))
                    }
                };
            }
            return Err(format!("unknown name `{name}`"));
        }
        if let Some(p) = self.params.iter().position(|p| p.name == name) {
            return Ok(Some(Var::Param(p)));
        }
        if let Some(d) = names.dims.iter().position(|d| d.id == name) {
            return stage_check(Var::Dim(d), too_early);
        }
        if let Some(g) = names.gates.iter().position(|g| g == name) {
            // A gate's id hides a column of the same name: say which was read.
            return stage_check(Var::Gate(g), too_early).map_err(|_| {
                if self.columns.iter().any(|c| c.name == name) {
                    format!(
                        "`{name}` is the id of a gate, so the column `{name}` cannot be read here ({too_early}); rename the gate to read the column"
                    )
                } else {
                    format!(
                        "`{name}` is the id of a gate, and a gate cannot be read here ({too_early}); if `{name}` is meant as a column, rename the gate"
                    )
                }
            });
        }
        if !is_identifier(name) {
            return Err(format!("`{name}` is not a name"));
        }
        match name {
            "and" => return Err("rhai writes `and` as `&&`".into()),
            "or" => return Err("rhai writes `or` as `||`".into()),
            "not" => return Err("rhai writes `not` as `!`".into()),
            _ => {}
        }
        if self.is_literal(name, names) {
            return Err(format!(
                "`{name}` is a grade or category value: write it in quotes, \"{name}\""
            ));
        }
        // A near miss of a known name (a letter or two off) is a typo, not a new data column.
        // Declared columns count too, and the closest name wins.
        let declared: Vec<String> = self.columns.iter().map(|c| c.name.clone()).collect();
        let known = self
            .params
            .iter()
            .map(|p| p.name.as_str())
            .chain(names.dims.iter().map(|d| d.id.as_str()))
            .chain(names.gates.iter().map(String::as_str))
            .chain(declared.iter().map(String::as_str))
            .chain(["total", "grade", "failed", "any_gate"]);
        if let Some(s) = known
            .min_by_key(|k| strsim::levenshtein(name, k))
            .filter(|k| strsim::levenshtein(name, k) <= 2 && *k != name)
        {
            if !self.columns.iter().any(|c| c.name == name) {
                return Err(format!("unknown name `{name}` (did you mean `{s}`?)"));
            }
        }
        // Anything else is a data column; `check` confirms it exists in the data.
        match declare_column(&mut self.columns, name, None, loc.clone()) {
            Ok(c) => Ok(Some(Var::Column(c))),
            Err(d) => Err(d.message),
        }
    }
}
