//! Parameters: plain numbers, or formulas over other parameters (`"votes_total / 2"`). Every
//! value is settled here, once, when the rule set loads: the values a scenario or a
//! sensitivity draw gives are applied first, then each formula is evaluated after the
//! parameters it reads. Whatever reads a parameter later sees only its number.

// A value given on top of the files travels with them; it is named here, where it is applied.
pub use super::load::ParamOverride;
use super::load::YamlFile;
use super::model::{Param, Var};
use super::raw::{ParamValue, RawParam};
use crate::diag::{did_you_mean, Diagnostic, Location};
use crate::script::{Returns, ScriptHost, TextOrigin};
use indexmap::IndexMap;
use rhai::Scope;
use std::cell::RefCell;

/// One parameter on its way to a number.
struct Pending {
    name: String,
    value: ParamValue,
    origin: TextOrigin,
    /// The compiled formula and the parameters it reads, by index.
    formula: Option<(crate::rules::model::ExprId, Vec<usize>)>,
    /// The value comes from an override with a place of its own (a scenario's line).
    overridden: bool,
}

/// The parameters, settled, and the names of those whose value could not be settled (their
/// errors are reported; checks that would only repeat them skip these).
pub(super) struct Settled {
    pub params: Vec<Param>,
    pub unsettled: Vec<String>,
}

/// Settle every parameter: apply `overrides` (in order, the last one for a name wins), compile
/// the formulas, and evaluate them in dependency order. Problems go to `diags`; a parameter
/// whose value cannot be settled keeps `0` only so that later stages can still be checked (the
/// rule set is refused, as `diags` holds an error).
pub(super) fn settle(
    header: &YamlFile,
    declared: &IndexMap<String, RawParam>,
    overrides: &[ParamOverride],
    host: &mut ScriptHost,
    diags: &mut Vec<Diagnostic>,
) -> Settled {
    let names: Vec<&str> = declared.keys().map(String::as_str).collect();
    let mut pending: Vec<Pending> = declared
        .iter()
        .map(|(name, p)| Pending {
            name: name.clone(),
            value: p.value.clone(),
            origin: header_origin(header, name),
            formula: None,
            overridden: false,
        })
        .collect();
    for o in overrides {
        // Scenarios check names before they get here; a draw names an uncertain parameter.
        if let Some(p) = pending.iter_mut().find(|p| p.name == o.name) {
            p.value = o.value.clone();
            if let Some(origin) = &o.origin {
                p.origin = origin.clone();
                p.overridden = true;
            }
        }
    }

    let mut broken = vec![false; pending.len()];
    for (p, bad) in pending.iter_mut().zip(broken.iter_mut()) {
        match &p.value {
            ParamValue::Number(x) if x.is_finite() => {}
            ParamValue::Number(_) => {
                diags.push(Diagnostic::error(
                    format!("parameter `{}` is not a finite number", p.name),
                    origin_loc(&p.origin),
                ));
                *bad = true;
            }
            ParamValue::Formula(text) => {
                match compile_formula(&p.name, text, &p.origin, &names, host) {
                    Ok(f) => p.formula = Some(f),
                    Err(d) => {
                        diags.push(d);
                        *bad = true;
                    }
                }
            }
        }
    }

    let reads: Vec<Vec<usize>> = pending
        .iter()
        .map(|p| {
            p.formula
                .as_ref()
                .map(|(_, r)| r.clone())
                .unwrap_or_default()
        })
        .collect();
    let (order, cycles) = dependency_order(&reads);
    for cycle in &cycles {
        // A cycle a scenario closes is shown where the scenario closes it.
        let mut cycle = cycle.clone();
        if let Some(k) = cycle
            .iter()
            .position(|&i| pending.get(i).is_some_and(|p| p.overridden))
        {
            cycle.rotate_left(k);
        }
        let path: Vec<&str> = cycle
            .iter()
            .chain(cycle.first())
            .filter_map(|&i| pending.get(i).map(|p| p.name.as_str()))
            .collect();
        let Some(first) = cycle.first().and_then(|&i| pending.get(i)) else {
            continue;
        };
        let help = if cycle.len() == 1 {
            "a formula cannot read the parameter it defines: write a number, or read other parameters".to_string()
        } else {
            "give one of these parameters a number, so the others can be computed from it"
                .to_string()
        };
        diags.push(
            Diagnostic::error(
                format!(
                    "parameters are computed from each other in a cycle: {}",
                    path.join(" -> ")
                ),
                origin_loc(&first.origin),
            )
            .with_help(help),
        );
        for &i in &cycle {
            if let Some(b) = broken.get_mut(i) {
                *b = true;
            }
        }
    }

    let mut values: Vec<Option<f64>> = pending
        .iter()
        .map(|p| match p.value {
            ParamValue::Number(x) => Some(x),
            ParamValue::Formula(_) => None,
        })
        .collect();
    for i in order {
        let (Some(p), Some(false)) = (pending.get(i), broken.get(i).copied()) else {
            continue;
        };
        let Some((expr, reads)) = &p.formula else {
            continue;
        };
        // A formula reading a parameter that could not be settled is not evaluated: that
        // parameter's own error is the one to fix.
        let mut scope = Scope::new();
        let mut ready = true;
        for &r in reads {
            match (names.get(r), values.get(r).copied().flatten()) {
                (Some(n), Some(v)) => {
                    scope.push(n.to_string(), v);
                }
                _ => ready = false,
            }
        }
        if !ready {
            continue;
        }
        match evaluate(p, *expr, &mut scope, host) {
            Ok(v) => {
                if let Some(slot) = values.get_mut(i) {
                    *slot = Some(v);
                }
            }
            Err(d) => diags.push(d),
        }
    }

    let unsettled = pending
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(p, _)| p.name.clone())
        .collect();
    let params = pending
        .into_iter()
        .zip(values)
        .zip(declared.values())
        .map(|((p, value), raw)| Param {
            formula: match p.value {
                ParamValue::Formula(f) => Some(f.trim().to_string()),
                ParamValue::Number(_) => None,
            },
            name: p.name,
            value: value.unwrap_or(0.0),
            label: raw.label.clone(),
            unit: raw.unit.clone(),
            reference: raw.reference.clone(),
        })
        .collect();
    Settled { params, unsettled }
}

/// Where parameter `name`'s value is written in `ruleset.yaml`.
fn header_origin(header: &YamlFile, name: &str) -> TextOrigin {
    let full = format!("parameters.{name}.value");
    let bare = format!("parameters.{name}");
    let (path, pos) = match header.index.exact(&full) {
        Some(p) => (full, Some(p)),
        None => {
            let pos = header.index.exact(&bare);
            (bare, pos)
        }
    };
    TextOrigin {
        file: Some(header.source.clone()),
        line: pos.map(|p| p.value_line.max(p.line)).unwrap_or(0),
        col: pos.map(|p| p.value_col).unwrap_or(0),
        quoted: pos.map(|p| p.quoted).unwrap_or(false),
        path: Some(super::load::display_path(&path)),
    }
}

/// The location of a whole value.
fn origin_loc(o: &TextOrigin) -> Location {
    Location {
        file: o.file.clone(),
        line: o.line,
        col: o.col,
        len: 1,
        path: o.path.clone(),
    }
}

/// Compile one formula; it may read other parameters and call helper functions, nothing else.
fn compile_formula(
    name: &str,
    text: &str,
    origin: &TextOrigin,
    names: &[&str],
    host: &mut ScriptHost,
) -> Result<(crate::rules::model::ExprId, Vec<usize>), Diagnostic> {
    let unknown: RefCell<Option<String>> = RefCell::new(None);
    let mut resolve = |n: &str| -> Result<Option<Var>, String> {
        match names.iter().position(|p| *p == n) {
            Some(i) => Ok(Some(Var::Param(i))),
            None => {
                *unknown.borrow_mut() = Some(n.to_string());
                Err(format!("unknown parameter `{n}`"))
            }
        }
    };
    let what = format!("the formula of parameter `{name}`");
    let id = host
        .compile_expr(text, origin, what, Returns::Number, &mut resolve)
        .map_err(|d| {
            let help = unknown.borrow().as_ref().map(|n| {
                match did_you_mean(n, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "write a number, or a formula over other parameters and helper functions (data is not known when parameters are computed)".to_string(),
                }
            });
            d.with_help_opt(help)
        })?;
    let reads = host
        .expr(id)
        .map(|e| {
            e.vars
                .iter()
                .filter_map(|(_, v)| match v {
                    Var::Param(i) => Some(*i),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((id, reads))
}

/// Evaluate a compiled formula to a finite number.
fn evaluate(
    p: &Pending,
    expr: crate::rules::model::ExprId,
    scope: &mut Scope,
    host: &ScriptHost,
) -> Result<f64, Diagnostic> {
    let loc = origin_loc(&p.origin);
    let out = host.eval(expr, scope, &p.name).map_err(|e| {
        // rhai finds functions only when called: a misspelt one shows here.
        if let Some(rest) = e.message.strip_prefix("Function not found: ") {
            let called = rest.split(" (").next().unwrap_or(rest);
            let help = match did_you_mean(called, host.function_names()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "helper functions are defined in the rule set's `.rhai` scripts".to_string(),
            };
            return Diagnostic::error(
                format!(
                    "the formula of parameter `{}` calls `{called}`, which is not a function for these arguments",
                    p.name
                ),
                loc.clone(),
            )
            .with_help(help);
        }
        Diagnostic::error(
            format!("the formula of parameter `{}` failed: {}", p.name, e.message),
            loc.clone(),
        )
    })?;
    let value = if let Ok(x) = out.as_float() {
        x
    } else if let Ok(i) = out.as_int() {
        i as f64
    } else {
        return Err(Diagnostic::error(
            format!(
                "the formula of parameter `{}` gives {}, expected a number",
                p.name,
                describe(&out)
            ),
            loc,
        ));
    };
    if !value.is_finite() {
        return Err(Diagnostic::error(
            format!(
                "the formula of parameter `{}` gives `{value}`, expected a finite number",
                p.name
            ),
            loc,
        )
        .with_help("a division by zero, or a number too large?"));
    }
    Ok(value)
}

/// A non-numeric result in words.
fn describe(v: &rhai::Dynamic) -> String {
    if v.is_bool() {
        format!("`{v}` (true/false)")
    } else if v.is_string() {
        format!("the text \"{v}\"")
    } else if v.is_unit() {
        "nothing".to_string()
    } else {
        format!("`{v}`")
    }
}

/// An evaluation order in which every parameter comes after those it reads, and the cycles
/// that make such an order impossible. `reads[i]` lists the parameters parameter `i` reads.
///
/// The order is a depth-first walk in declaration order, so it is the same for the same rule
/// set whatever the platform. Each cycle is given once, starting at its earliest-declared
/// parameter; parameters caught in a cycle, or reading one, are left out of the order.
pub(crate) fn dependency_order(reads: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
        Stuck,
    }
    let n = reads.len();
    let mut mark = vec![Mark::New; n];
    let mut order = Vec::with_capacity(n);
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    for start in 0..n {
        if mark.get(start) != Some(&Mark::New) {
            continue;
        }
        // (parameter, next of its reads to visit)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(m) = mark.get_mut(start) {
            *m = Mark::OnPath;
        }
        while let Some(&(node, next)) = stack.last() {
            let dep = reads.get(node).and_then(|r| r.get(next)).copied();
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            match dep {
                Some(d) => match mark.get(d).copied() {
                    Some(Mark::New) => {
                        if let Some(m) = mark.get_mut(d) {
                            *m = Mark::OnPath;
                        }
                        stack.push((d, 0));
                    }
                    Some(Mark::OnPath) => {
                        // `d` is on the path, so it is on the stack.
                        let from = stack.iter().position(|&(x, _)| x == d);
                        let mut cycle: Vec<usize> = match from {
                            Some(f) => stack.iter().skip(f).map(|&(x, _)| x).collect(),
                            None => Vec::new(),
                        };
                        if let Some(k) = cycle
                            .iter()
                            .enumerate()
                            .min_by_key(|&(_, &x)| x)
                            .map(|(k, _)| k)
                        {
                            cycle.rotate_left(k);
                        }
                        if !cycle.is_empty() && !cycles.contains(&cycle) {
                            cycles.push(cycle);
                        }
                        // The node reading the cycle cannot be computed either.
                        if let Some(m) = mark.get_mut(node) {
                            *m = Mark::Stuck;
                        }
                    }
                    Some(Mark::Stuck) => {
                        if let Some(m) = mark.get_mut(node) {
                            *m = Mark::Stuck;
                        }
                    }
                    _ => {}
                },
                None => {
                    stack.pop();
                    match mark.get(node).copied() {
                        Some(Mark::Stuck) => {
                            // Whoever reads a stuck parameter is stuck too.
                            if let Some(&(parent, _)) = stack.last() {
                                if let Some(m) = mark.get_mut(parent) {
                                    *m = Mark::Stuck;
                                }
                            }
                        }
                        _ => {
                            if let Some(m) = mark.get_mut(node) {
                                *m = Mark::Done;
                            }
                            order.push(node);
                        }
                    }
                }
            }
        }
    }
    (order, cycles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_puts_every_parameter_after_what_it_reads() {
        // 0 reads 2, 2 reads 1, 3 reads 0 and 1.
        let reads = vec![vec![2], vec![], vec![1], vec![0, 1]];
        let (order, cycles) = dependency_order(&reads);
        assert!(cycles.is_empty());
        assert_eq!(order.len(), 4);
        let pos = |x: usize| order.iter().position(|&y| y == x).unwrap();
        for (i, r) in reads.iter().enumerate() {
            for &d in r {
                assert!(pos(d) < pos(i), "{d} must come before {i} in {order:?}");
            }
        }
        assert_eq!(order, vec![1, 2, 0, 3]);
    }

    #[test]
    fn a_cycle_is_named_from_its_first_declared_parameter() {
        // 0 plain; 1 reads 2, 2 reads 3, 3 reads 1; 4 reads 2 (stuck behind the cycle).
        let reads = vec![vec![], vec![2], vec![3], vec![1], vec![2]];
        let (order, cycles) = dependency_order(&reads);
        assert_eq!(cycles, vec![vec![1, 2, 3]]);
        assert_eq!(order, vec![0]);
        // Entered from the middle, the same cycle is still named from its first parameter.
        let reads = vec![vec![2], vec![0], vec![1]];
        let (_, cycles) = dependency_order(&reads);
        assert_eq!(cycles, vec![vec![0, 2, 1]]);
    }

    #[test]
    fn a_self_reference_is_a_cycle_of_one() {
        let reads = vec![vec![], vec![1]];
        let (order, cycles) = dependency_order(&reads);
        assert_eq!(cycles, vec![vec![1]]);
        assert_eq!(order, vec![0]);
    }

    #[test]
    fn two_separate_cycles_are_both_named() {
        let reads = vec![vec![1], vec![0], vec![3], vec![2], vec![]];
        let (order, cycles) = dependency_order(&reads);
        assert_eq!(cycles, vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(order, vec![4]);
    }
}
