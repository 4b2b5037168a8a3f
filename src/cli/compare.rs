//! `bangfu compare`: the baseline and each scenario side by side, evaluated in parallel over
//! data parsed once.

use super::pipeline::{
    adjust_data, eval_error, evaluate, evaluate_units, load_data, load_rules, load_rules_for,
    load_scenario, load_what_if, located,
};
use super::{Format, Options};
use crate::compare::{diff, AwardChange, Change, Evaluated};
use crate::data::DataSet;
use crate::data::Frame;
use crate::engine::units::Links;
use crate::exit::Exit;
use crate::report::handout::{self, Handout, Summary};
use crate::report::table::Flavor;
use crate::report::write::Emit;
use crate::rules::RuleSet;
use rayon::prelude::*;

/// The baseline, with its input values kept, and its unit links.
fn evaluate_baseline(
    opts: &Options,
    rules: RuleSet,
    frame: std::sync::Arc<Frame>,
    ds: &DataSet,
) -> Result<(Evaluated, Links), Exit> {
    crate::compare::evaluate_baseline(rules, frame, ds)
        .map_err(|e| eval_error(opts, located(ds, e)))
}

/// A scenario over the baseline's data: scores the scenario does not touch are reused, and
/// units whose villages did not change keep their aggregates.
fn evaluate_from(
    opts: &Options,
    base: &Evaluated,
    linked: &Links,
    ds: &DataSet,
    rules: RuleSet,
    sc: &crate::scenario::Scenario,
) -> Result<Evaluated, Exit> {
    crate::compare::evaluate_over(base, linked, ds, rules, &sc.name, &sc.label)
        .map_err(|e| eval_error(opts, located(ds, e)))
}

/// Run the `compare` command. `kinds` keeps only those kinds (all when empty).
pub fn run(
    opts: &Options,
    names: &[String],
    flags: &crate::scenario::Flags,
    kinds: &[String],
) -> Exit {
    // The flags are a column of their own; alone, they are compared with the baseline only.
    let from_folder = names.is_empty() && flags.is_empty();
    let names: Vec<String> = if names.is_empty() && !flags.is_empty() {
        Vec::new()
    } else if names.is_empty() {
        crate::scenario::list(&opts.scenarios)
    } else {
        names.to_vec()
    };
    if names.is_empty() && flags.is_empty() {
        crate::errln!(
            "error: no scenarios to compare in `{}`",
            opts.scenarios.display()
        );
        crate::errln!("  help: add scenario files there, or name them: `bangfu compare NAME …`");
        return Exit::Usage;
    }
    let rules = match load_rules(opts) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let known: Vec<&str> = std::iter::once(&rules.primary)
        .chain(&rules.units)
        .map(|k| k.name.as_str())
        .collect();
    if let Some(bad) = kinds.iter().find(|k| !known.contains(&k.as_str())) {
        crate::errln!(
            "error: `--kind {bad}`: no such kind; the kinds are {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(s) = crate::diag::did_you_mean(bad, known.iter().copied()) {
            crate::errln!("  help: did you mean `{s}`?");
        }
        return Exit::Usage;
    }
    let keep = |k: &str| kinds.is_empty() || kinds.iter().any(|x| x == k);
    let (ds, frame) = match load_data(opts, &rules) {
        Ok(x) => x,
        Err(e) => return e,
    };
    // A scenario of the folder that cannot be read is reported and left out: the others are
    // still compared, and the exit code says that one failed. One named is needed: it stops.
    let mut failed: Option<Exit> = None;
    let mut left_out: Vec<String> = Vec::new();
    let mut scenarios = Vec::new();
    for n in &names {
        match load_scenario(opts, n) {
            Ok(sc) => scenarios.push(sc),
            Err(e) if from_folder => {
                crate::errln!("scenario `{n}` is left out of the comparison");
                left_out.push(n.clone());
                failed = failed.or(Some(e));
            }
            Err(e) => return e,
        }
    }
    match load_what_if(opts, None, flags) {
        Ok(Some(sc)) => scenarios.push(sc),
        Ok(None) => {}
        Err(e) => return e,
    }
    let frame = std::sync::Arc::new(frame);
    // The baseline first, keeping input values: scenarios over the same data start from it.
    let base = match evaluate_baseline(opts, rules, frame, &ds) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let (base, linked) = base;
    // Scenarios run in parallel; each reuses the parsed data unless it reads other columns,
    // and recomputes from the baseline only what it changes. Each is reduced to its changes
    // and counts as soon as it is evaluated, and its results freed: the memory of a few
    // scenarios at a time, not of all of them.
    let evaluated: Vec<Result<Compared, Exit>> = scenarios
        .par_iter()
        .map(|sc| {
            let e = evaluate_scenario(opts, &base, &linked, &ds, sc)?;
            let (changes, awards) = diff(&base, &e);
            let mut summary = Summary::of(&e, &keep);
            // The flags' column is headed by what they set, not by a number, when that fits
            // a column.
            summary.flags = sc.from_file.is_none();
            if summary.flags && sc.name.chars().count() <= HEADING_WIDTH {
                summary.heading = Some(sc.name.clone());
            }
            Ok(Compared {
                summary,
                changes,
                awards,
            })
        })
        .collect();
    let mut runs = vec![Summary::of(&base, &keep)];
    let mut changes: Vec<Change> = Vec::new();
    let mut awards: Vec<AwardChange> = Vec::new();
    for (e, sc) in evaluated.into_iter().zip(&scenarios) {
        match e {
            Ok(c) => {
                runs.push(c.summary);
                changes.extend(c.changes.into_iter().filter(|c| keep(&c.kind)));
                awards.extend(c.awards.into_iter().filter(|a| keep(&a.kind)));
            }
            Err(code) if from_folder && sc.from_file.is_some() => {
                crate::errln!("scenario `{}` is left out of the comparison", sc.name);
                left_out.push(sc.name.clone());
                failed = failed.or(Some(code));
            }
            Err(code) => return code,
        }
    }
    let handout = Handout {
        runs: &runs,
        changes: &changes,
        awards: &awards,
        left_out: &left_out,
    };
    if let Some(dir) = &opts.out {
        let title = format!("{} {}", base.rules.name, base.rules.version);
        let files: Vec<(String, Emit)> = vec![
            (
                "compare.xlsx".into(),
                Box::new(|w: &mut dyn std::io::Write| {
                    let bytes = handout::xlsx(&handout)
                        .map_err(|e| std::io::Error::other(e.to_string()))?;
                    w.write_all(&bytes)
                }),
            ),
            (
                "compare.html".into(),
                Box::new(|w: &mut dyn std::io::Write| handout::html(&handout, &title, w)),
            ),
            (
                "compare.json".into(),
                Box::new(|w: &mut dyn std::io::Write| {
                    let doc = handout::json(&handout);
                    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
                    w.write_all(text.as_bytes())?;
                    w.write_all(b"\n")
                }),
            ),
            (
                "changes.csv".into(),
                Box::new(|w: &mut dyn std::io::Write| handout::changes_csv(&handout, w)),
            ),
        ];
        let mut inputs = super::pipeline::inputs(opts, &ds);
        inputs.push(opts.scenarios.as_path());
        if let Err(e) = crate::report::write::write_all(dir, &files, &inputs) {
            crate::errln!("error: {e}");
            return Exit::Usage;
        }
    }
    if opts.quiet {
        return failed.unwrap_or(Exit::Ok);
    }
    match opts.format {
        Format::Json => {
            let doc = handout::json(&handout);
            crate::outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Csv => {
            let mut buf = Vec::new();
            if handout::changes_csv(&handout, &mut buf).is_ok() {
                // The byte-order mark is for files Excel opens, not for a pipe.
                let text = String::from_utf8_lossy(&buf);
                let _ = std::io::Write::write_all(
                    &mut std::io::stdout().lock(),
                    text.trim_start_matches('\u{feff}').as_bytes(),
                );
            }
        }
        Format::Md => crate::outln!("{}", handout::text(&handout, Flavor::Markdown)),
        // `criteria`'s formats are refused before the command runs.
        Format::Table | Format::Html | Format::Xlsx => {
            crate::outln!("{}", handout::text(&handout, Flavor::Terminal));
            if let Some(dir) = &opts.out {
                crate::outln!("comparison written to {}", dir.display());
            }
        }
    }
    failed.unwrap_or(Exit::Ok)
}

/// One scenario, evaluated over the baseline's data where it can be.
fn evaluate_scenario(
    opts: &Options,
    base: &Evaluated,
    linked: &Links,
    ds: &DataSet,
    sc: &crate::scenario::Scenario,
) -> Result<Evaluated, Exit> {
    let srules = load_rules_for(opts, Some(sc))?;
    // The parsed data is shared, not copied, unless the scenario changes or re-reads it.
    let same_columns = srules.primary.same_columns(&base.rules.primary);
    if same_columns && sc.data_changes().is_empty() {
        return evaluate_from(opts, base, linked, ds, srules, sc);
    }
    let mut f = if same_columns {
        (*base.frame).clone()
    } else {
        load_data(opts, &srules)?.1
    };
    adjust_data(opts, &srules, &mut f, Some(sc))?;
    let (result, standing, finer) = evaluate(opts, &srules, ds, &mut f)?;
    let sframe = std::sync::Arc::new(f);
    let units = evaluate_units(opts, &srules, ds, &sframe, &result, finer)?;
    Ok(Evaluated {
        name: sc.name.clone(),
        label: sc.label.clone(),
        rules: srules,
        frame: sframe,
        result,
        standing,
        units,
    })
}

/// The widest heading of a column of flags; longer lists are numbered like scenarios.
const HEADING_WIDTH: usize = 40;

/// A scenario reduced to what `compare` shows of it.
struct Compared {
    summary: Summary,
    changes: Vec<Change>,
    awards: Vec<AwardChange>,
}
