//! The stages every scoring command shares: load rules (exit 3), load data (exit 4), evaluate
//! (exit 4 or 5).

use super::output::{print_data_errors, print_diags};
use super::Options;
use crate::data::{DataError, DataSet, Frame};
use crate::engine::graph::{evaluate_primary, evaluate_units_after, Finer};
pub use crate::engine::reads::{columns_read_after_scoring, keeps_values};
use crate::engine::units::Standing;
use crate::engine::{evaluate_kind, EvalError, KindResult};
use crate::exit::Exit;
use crate::rules::RuleSet;
use crate::scenario::{Flags, Scenario};
use std::path::Path;

/// Load a scenario and its bases (exit 3 when it is invalid).
pub fn load_scenario(opts: &Options, name: &str) -> Result<Scenario, Exit> {
    crate::scenario::load(&opts.scenarios, name).map_err(|d| {
        print_diags(&d, opts.color);
        Exit::InvalidRules
    })
}

/// The what-if a command runs under: the scenario file named, if any, with the `--set` and
/// `--gate` flags on top; `None` for the rules as they are. A malformed flag is a mistake on
/// the command line (exit 2), a bad scenario file an invalid scenario (exit 3).
pub fn load_what_if(
    opts: &Options,
    scenario: Option<&str>,
    flags: &Flags,
) -> Result<Option<Scenario>, Exit> {
    let sc = scenario.map(|n| load_scenario(opts, n)).transpose()?;
    crate::scenario::with_flags(sc, flags).map_err(|d| {
        print_diags(&d, opts.color);
        Exit::Usage
    })
}

/// Load and compile the rule set with a scenario's overlays.
pub fn load_rules_for(opts: &Options, sc: Option<&Scenario>) -> Result<RuleSet, Exit> {
    let Some(sc) = sc else {
        return load_rules(opts);
    };
    let base = crate::rules::load::read_files(&opts.rules).map_err(|d| {
        print_diags(&d, opts.color);
        Exit::InvalidRules
    })?;
    let files = crate::scenario::apply(&base, sc).map_err(|d| {
        print_diags(&d, opts.color);
        crate::errln!(
            "{} does not apply to the rule set in `{}`",
            sc.what(),
            opts.rules.display()
        );
        // A path or a gate mistyped in a flag is a mistake on the command line.
        if d.iter().all(crate::scenario::is_flag_problem) {
            Exit::Usage
        } else {
            Exit::InvalidRules
        }
    })?;
    let (rules, warnings) = crate::rules::load_files(&files).map_err(|d| {
        print_diags(&d, opts.color);
        crate::errln!("with {}, the rule set is invalid", sc.what());
        Exit::InvalidRules
    })?;
    // An outcome the scenario leaves unreachable (a pass line of 150) is shown, when the rules
    // themselves reach it: every result would otherwise just read as failing. `check`'s other
    // warnings (a parameter a scenario's override leaves unused) are not the scenario's point.
    let warnings: Vec<_> = warnings
        .into_iter()
        .filter(|d| d.message.contains("can never be reached"))
        .collect();
    if !warnings.is_empty() && !opts.quiet {
        // The rule files already read, compiled without the scenario.
        let known: Vec<String> = crate::rules::load_files(&base)
            .map(|(_, w)| w.into_iter().map(|d| d.message).collect())
            .unwrap_or_default();
        let new: Vec<_> = warnings
            .into_iter()
            .filter(|d| !known.contains(&d.message))
            .collect();
        if !new.is_empty() {
            print_diags(&new, opts.color);
            crate::errln!(
                "{} gives the warning{} above, which the rule set alone does not",
                sc.what(),
                crate::diag::plural(new.len())
            );
        }
    }
    Ok(rules)
}

/// Apply a scenario's data changes to a loaded primary frame.
pub fn adjust_data(
    opts: &Options,
    rules: &RuleSet,
    frame: &mut Frame,
    sc: Option<&Scenario>,
) -> Result<(), Exit> {
    let Some(sc) = sc else { return Ok(()) };
    crate::scenario::apply_scenario_data(&rules.primary, frame, sc).map_err(|d| {
        print_diags(&d, opts.color);
        crate::errln!(
            "{} does not apply to the data in `{}`",
            sc.what(),
            opts.data.display()
        );
        Exit::InvalidRules
    })
}

/// Load and compile the rule set, printing problems; warnings are not printed here.
pub fn load_rules(opts: &Options) -> Result<RuleSet, Exit> {
    match crate::rules::load(&opts.rules) {
        Ok((rs, _warnings)) => Ok(rs),
        Err(diags) => {
            print_diags(&diags, opts.color);
            // Without a folder there is nothing more for `check` to say.
            if opts.rules.is_dir() {
                crate::errln!(
                    "the rule set in `{}` is invalid; run `bangfu check` for details",
                    opts.rules.display()
                );
            }
            Err(Exit::InvalidRules)
        }
    }
}

/// Open the data set and load the primary table.
pub fn load_data(opts: &Options, rules: &RuleSet) -> Result<(DataSet, Frame), Exit> {
    load_data_with(opts, rules, false)
}

/// [`load_data`]; with `hash`, each file's hash is taken as it is read (for the manifest).
pub fn load_data_with(
    opts: &Options,
    rules: &RuleSet,
    hash: bool,
) -> Result<(DataSet, Frame), Exit> {
    let mut ds = DataSet::open(&opts.data).map_err(|e| {
        print_data_errors(&[e], opts.color);
        Exit::InvalidData
    })?;
    if hash {
        ds.hash_while_reading();
    }
    let frame = ds.load_primary(&rules.primary).map_err(|errs| {
        print_data_errors(&with_unit_tables(errs, rules, &ds), opts.color);
        Exit::InvalidData
    })?;
    Ok((ds, frame))
}

/// The problems of a primary table that could not be read, then those of the units' own
/// tables: bad data is reported in full, as far as it can be checked without the villages.
fn with_unit_tables(mut errs: Vec<DataError>, rules: &RuleSet, ds: &DataSet) -> Vec<DataError> {
    errs.extend(crate::engine::units::unit_table_problems(rules, ds));
    errs
}

/// What a run reads, which its results must not replace: the rules' and the data's folders, and
/// every file the data set names (`dataset.yaml` may name files outside its folder).
pub fn inputs<'a>(opts: &'a Options, ds: &'a DataSet) -> Vec<&'a Path> {
    [opts.rules.as_path(), opts.data.as_path()]
        .into_iter()
        .chain(ds.files())
        .collect()
}

/// Score and decide the primary entities, after the finer kinds they read (whose aggregates
/// then fill `frame`), and apply its population rules (its standing, `None` when it declares
/// none). Input values are kept only when something after scoring reads one (a unit
/// aggregating `value.ID`, an outcome condition that reasons re-test); a million villages then
/// need no more than their points.
pub fn evaluate(
    opts: &Options,
    rules: &RuleSet,
    ds: &DataSet,
    frame: &mut Frame,
) -> Result<(KindResult, Option<Standing>, Finer), Exit> {
    let keep = keeps_values(rules);
    let p = evaluate_primary(rules, ds, frame, None, |f, _| {
        crate::engine::evaluate_kind_with(rules, &rules.primary, f, keep)
    })
    .map_err(|e| eval_error(opts, located(ds, e)))?;
    if let Some(f) = p.frame {
        *frame = f;
    }
    Ok((p.result, p.standing, p.finer))
}

/// Score and decide every unit kind from the village results (the finer kinds the primary
/// kind read are already evaluated).
pub fn evaluate_units(
    opts: &Options,
    rules: &RuleSet,
    ds: &DataSet,
    frame: &Frame,
    result: &KindResult,
    finer: Finer,
) -> Result<Vec<crate::engine::units::UnitResult>, Exit> {
    evaluate_units_after(rules, ds, frame, result, finer)
        .map_err(|e| eval_error(opts, located(ds, e)))
}

/// An evaluation error with its data problems named where the data set's files are: a table
/// merged from returned workbooks by workbook, sheet and row.
pub fn located(ds: &DataSet, e: EvalError) -> EvalError {
    match e {
        EvalError::Data(errs, count) => EvalError::Data(ds.locate(errs), count),
        other => other,
    }
}

/// Print an evaluation error and give its exit code.
pub fn eval_error(opts: &Options, e: EvalError) -> Exit {
    match e {
        EvalError::Data(errs, count) => {
            print_data_errors(
                &crate::data::error::with_unlisted(errs, count, ""),
                opts.color,
            );
            Exit::InvalidData
        }
        EvalError::Script(errs, count) => {
            // The same failure on many entities is one problem: show it once with examples.
            let mut groups: Vec<(&crate::script::ScriptError, Vec<&str>)> = Vec::new();
            for e in &errs {
                match groups
                    .iter_mut()
                    .find(|(g, _)| g.what == e.what && g.message == e.message)
                {
                    Some((_, ids)) => ids.push(&e.entity),
                    None => groups.push((e, vec![&e.entity])),
                }
            }
            for (e, ids) in &groups {
                crate::errln!("error: {e}");
                if ids.len() > 1 {
                    let shown: Vec<&str> = ids.iter().skip(1).take(5).copied().collect();
                    let more = ids.len().saturating_sub(6);
                    crate::errln!(
                        "  the same for {}{}",
                        shown.join(", "),
                        if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        }
                    );
                }
            }
            if count > errs.len() {
                crate::errln!("… and {} more script failures", count - errs.len());
            }
            crate::errln!("a script failed; nothing was written");
            Exit::ScriptFailed
        }
        EvalError::Internal(what) => {
            crate::errln!("error: internal error: {what}");
            crate::errln!(
                "this is a bug in bangfu, not a problem with the rules or the data; nothing was written"
            );
            Exit::ScriptFailed
        }
    }
}

/// Every data problem `run` would report (loading and computed inputs), for `check`.
/// Scripts are run too: a script that fails on the data is reported as its own problem.
pub fn validate_data(
    rules: &RuleSet,
    ds: &DataSet,
) -> (
    Vec<DataError>,
    Vec<crate::script::ScriptError>,
    Vec<DataError>,
) {
    let split = |e: EvalError| match located(ds, e) {
        EvalError::Data(errs, count) => (
            crate::data::error::with_unlisted(errs, count, ""),
            Vec::new(),
        ),
        EvalError::Script(errs, _) => (Vec::new(), errs),
        // Said as a failure of the engine itself, with `run`'s exit code.
        EvalError::Internal(what) => (
            Vec::new(),
            vec![crate::script::ScriptError {
                what: "the engine".to_string(),
                place: "scoring".to_string(),
                entity: String::new(),
                message: format!("internal error: {what} (a bug in bangfu)"),
            }],
        ),
    };
    match ds.load_primary(&rules.primary) {
        Ok(frame) => {
            // Cells read in a way worth telling (`１２` as 12), in the primary table and the
            // units' own tables.
            let mut notes = frame.notes.clone();
            for kind in &rules.units {
                if let Ok(Some(f)) = ds.load_unit(kind) {
                    notes.extend(f.notes);
                }
            }
            let primary = evaluate_primary(rules, ds, &frame, None, |f, _| {
                evaluate_kind(rules, &rules.primary, f)
            });
            let (errors, scripts) = match primary {
                Ok(p) => {
                    let frame = p.frame.as_ref().unwrap_or(&frame);
                    match evaluate_units_after(rules, ds, frame, &p.result, p.finer) {
                        Ok(_) => (Vec::new(), Vec::new()),
                        Err(e) => split(e),
                    }
                }
                Err(e) => split(e),
            };
            (errors, scripts, notes)
        }
        Err(errs) => (with_unit_tables(errs, rules, ds), Vec::new(), Vec::new()),
    }
}

/// The names written beside ids in a run's results (see [`crate::report::names`]). The tables
/// of the unit kinds that a text column names are read here on their own (they are small), so
/// that the primary kind's file can be written before the units are evaluated. A table that
/// cannot be read gives no names: the units' own stage reports why.
pub fn names_of_run(rules: &RuleSet, ds: &DataSet, primary: &Frame) -> crate::report::names::Names {
    let kinds = || std::iter::once(&rules.primary).chain(&rules.units);
    let wanted = |k: &crate::rules::model::Kind| {
        k.label_column.is_some()
            && kinds().any(|o| o.name != k.name && o.text_columns.contains(&k.id_column))
    };
    let loaded: Vec<(&crate::rules::model::Kind, Frame)> = rules
        .units
        .iter()
        .filter(|k| wanted(k))
        .filter_map(|k| Some((k, ds.load_unit(k).ok()??)))
        .collect();
    let mut tables: Vec<(&crate::rules::model::Kind, &Frame)> =
        loaded.iter().map(|(k, f)| (*k, f)).collect();
    tables.push((&rules.primary, primary));
    crate::report::names::Names::of(kinds(), &tables)
}
