//! `bangfu compare`: the baseline and each scenario side by side, evaluated in parallel over
//! data parsed once.

use super::pipeline::{
    adjust_data, eval_error, evaluate, evaluate_units, keeps_values, load_data, load_rules,
    load_rules_for, load_scenario, load_what_if,
};
use super::{Format, Options};
use crate::compare::{diff, AwardChange, Change, Evaluated};
use crate::data::DataSet;
use crate::data::Frame;
use crate::engine::graph::evaluate_primary;
use crate::engine::run::{rescore_kind, Prior};
use crate::engine::units::{
    evaluate_linked, evaluate_linked_from, link_units, same_links, Links, PriorUnits,
};
use crate::exit::Exit;
use crate::report::short_label;
use crate::report::summary::{grade_counts, outcome_counts};
use crate::report::table::cells;
use crate::rules::RuleSet;
use rayon::prelude::*;
use serde_json::json;
use tabled::builder::Builder;
use tabled::settings::Style;

/// The baseline, with its input values kept, and its unit links.
fn evaluate_baseline(
    opts: &Options,
    rules: RuleSet,
    frame: std::sync::Arc<Frame>,
    ds: &DataSet,
) -> Result<(Evaluated, Links), Exit> {
    let p = evaluate_primary(&rules, ds, &frame, None, |f, _| {
        crate::engine::evaluate_kind(&rules, &rules.primary, f)
    })
    .map_err(|e| eval_error(opts, e))?;
    let frame = p.frame.map(std::sync::Arc::new).unwrap_or(frame);
    let result = p.result;
    let standing = p.standing;
    let linked = match p.finer.links {
        Some(l) => l,
        None => link_units(&rules, ds, &frame).map_err(|e| eval_error(opts, e))?,
    };
    let units = evaluate_linked(&rules, &frame, &result, &linked, p.finer.units)
        .map_err(|e| eval_error(opts, e))?;
    Ok((
        Evaluated {
            name: "baseline".into(),
            label: "现行细则 (baseline)".into(),
            rules,
            frame,
            result,
            standing,
            units,
        },
        linked,
    ))
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
    let reuse = same_links(&base.rules, &rules);
    let prior = Prior::of(&base.rules, &base.rules.primary, &base.result);
    let keep = keeps_values(&rules);
    // A primary kind that reads finer kinds has its aggregates filled again from this
    // scenario's results: its scores are then not the baseline's to reuse.
    let p = evaluate_primary(
        &rules,
        ds,
        &base.frame,
        reuse.then_some(linked),
        |f, same| match same
            .then(|| rescore_kind(&rules, &rules.primary, f, &prior))
            .flatten()
        {
            Some(r) => r,
            None => crate::engine::evaluate_kind_with(&rules, &rules.primary, f, keep),
        },
    )
    .map_err(|e| eval_error(opts, e))?;
    let frame = p
        .frame
        .map(std::sync::Arc::new)
        .unwrap_or_else(|| std::sync::Arc::clone(&base.frame));
    let result = p.result;
    let standing = p.standing;
    let units = if reuse {
        let pu = PriorUnits {
            rules: &base.rules,
            units: &base.units,
            before: &base.result,
        };
        evaluate_linked_from(&rules, &frame, &result, linked, Some(&pu), p.finer.units)
            .map_err(|e| eval_error(opts, e))?
    } else {
        evaluate_units(opts, &rules, ds, &frame, &result, p.finer)?
    };
    Ok(Evaluated {
        name: sc.name.clone(),
        label: sc.label.clone(),
        rules,
        frame,
        result,
        standing,
        units,
    })
}

/// Run the `compare` command.
pub fn run(opts: &Options, names: &[String], flags: &crate::scenario::Flags) -> Exit {
    // The flags are a column of their own; alone, they are compared with the baseline only.
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
    let (ds, frame) = match load_data(opts, &rules) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let mut scenarios = match names
        .iter()
        .map(|n| load_scenario(opts, n))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(s) => s,
        Err(e) => return e,
    };
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
            let mut summary = Summary::of(&e);
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
    let mut runs = vec![Summary::of(&base)];
    let mut changes: Vec<Change> = Vec::new();
    let mut awards: Vec<AwardChange> = Vec::new();
    for e in evaluated {
        match e {
            Ok(c) => {
                runs.push(c.summary);
                changes.extend(c.changes);
                awards.extend(c.awards);
            }
            Err(code) => return code,
        }
    }
    if opts.format == Format::Json {
        let scenarios: Vec<serde_json::Value> = runs.iter().map(Summary::json).collect();
        let doc = crate::report::json::with_layout(
            json!({"scenarios": scenarios, "changes": changes, "awards": awards}),
        );
        crate::outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Exit::Ok;
    }
    if !opts.quiet {
        crate::outln!("{}", render(&runs, &changes, &awards));
    }
    Exit::Ok
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

/// How the scenario list describes the column of `--set` and `--gate` flags.
const FLAGS_LABEL: &str = "命令行设定 (set on the command line)";

/// The widest heading of a column of flags; longer lists are numbered like scenarios.
const HEADING_WIDTH: usize = 40;

/// A scenario reduced to what `compare` shows of it.
struct Compared {
    summary: Summary,
    changes: Vec<Change>,
    awards: Vec<AwardChange>,
}

/// What `compare` shows of one run besides its changes: its name, and per kind (the primary
/// first) its outcome and grade counts and its fund.
struct Summary {
    name: String,
    label: String,
    /// The column's heading when it is not `S1`, `S2`, …: the `--set` flags.
    heading: Option<String>,
    /// Whether the column is that of the `--set` and `--gate` flags.
    flags: bool,
    kinds: Vec<KindCounts>,
    /// Per unit kind with a fund: its name, budget, amount paid and recipients.
    funds: Vec<(String, serde_json::Value)>,
}

struct KindCounts {
    name: String,
    label: String,
    outcomes: Vec<(String, String, usize)>,
    grades: Vec<(String, String, usize)>,
}

impl Summary {
    fn of(e: &Evaluated) -> Summary {
        Summary {
            name: e.name.clone(),
            label: e.label.clone(),
            heading: None,
            flags: false,
            kinds: e
                .views()
                .iter()
                .map(|v| KindCounts {
                    name: v.kind.name.clone(),
                    label: v.kind.label.clone(),
                    outcomes: outcome_counts(v),
                    grades: grade_counts(v),
                })
                .collect(),
            funds: e
                .units
                .iter()
                .filter_map(|u| {
                    let f = u.fund.as_ref()?;
                    Some((
                        e.rules.units.get(u.kind)?.name.clone(),
                        json!({"budget": f.budget, "paid": f.paid, "recipients": f.recipients}),
                    ))
                })
                .collect(),
        }
    }

    fn json(&self) -> serde_json::Value {
        let counts = |pick: fn(&KindCounts) -> &Vec<(String, String, usize)>| {
            self.kinds
                .iter()
                .map(|k| {
                    let c: serde_json::Map<String, serde_json::Value> = pick(k)
                        .iter()
                        .map(|(id, _, c)| (id.clone(), json!(c)))
                        .collect();
                    (k.name.clone(), json!(c))
                })
                .collect::<serde_json::Map<String, serde_json::Value>>()
        };
        let funds: serde_json::Map<String, serde_json::Value> =
            self.funds.iter().cloned().collect();
        json!({"name": self.name, "label": self.label, "counts": counts(|k| &k.outcomes), "grades": counts(|k| &k.grades), "funds": funds})
    }
}

fn render(runs: &[Summary], changes: &[Change], awards: &[AwardChange]) -> String {
    let mut out = String::new();
    let Some(base) = runs.first() else { return out };
    out.push_str("情景 (scenarios)\n");
    for (i, e) in runs.iter().enumerate() {
        let line = match &e.heading {
            _ if i == 0 => format!("baseline: {}", e.label),
            // A column of `--set` flags is named by what they set, which is its label too.
            Some(h) => format!("{h}: {FLAGS_LABEL}"),
            None if e.flags => format!("S{i} {}: {FLAGS_LABEL}", e.name),
            None => format!("S{i} {}: {}", e.name, e.label),
        };
        out.push_str(&format!("  {line}\n"));
    }
    out.push('\n');
    // Outcome and grade counts side by side, per kind.
    // A run's count of `id` in kind `k`'s outcomes or grades.
    let count = |e: &Summary,
                 k: usize,
                 pick: fn(&KindCounts) -> &Vec<(String, String, usize)>,
                 id: &str| {
        e.kinds
            .get(k)
            .and_then(|kc| pick(kc).iter().find(|(x, _, _)| x == id))
            .map_or(0, |x| x.2)
    };
    for (k, bk) in base.kinds.iter().enumerate() {
        let mut b = Builder::default();
        let mut head = vec![
            format!("{}", short_label(&bk.label)),
            "baseline".to_string(),
        ];
        head.extend(
            runs.iter()
                .enumerate()
                .skip(1)
                .map(|(i, e)| e.heading.clone().unwrap_or_else(|| format!("S{i}"))),
        );
        b.push_record(cells(head));
        for (id, label, _) in &bk.outcomes {
            let mut row = vec![format!("{id} {}", brief(label))];
            for e in runs {
                row.push(count(e, k, |kc| &kc.outcomes, id).to_string());
            }
            b.push_record(cells(row));
        }
        for (id, label, _) in &bk.grades {
            let mut row = vec![format!("  {id} {}", short_label(label))];
            for e in runs {
                row.push(count(e, k, |kc| &kc.grades, id).to_string());
            }
            b.push_record(cells(row));
        }
        let mut t = b.build();
        t.with(Style::psql());
        out.push_str(&t.to_string());
        out.push_str("\n\n");
    }
    out.push_str(&format!("变化 (changes): {}\n", changes.len()));
    if !changes.is_empty() {
        let mut b = Builder::default();
        b.push_record(cells([
            "scenario", "kind", "id", "name", "outcome", "grade", "total", "reason",
        ]));
        for c in changes {
            let arrow = |a: &str, b: &str| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a} → {b}")
                }
            };
            b.push_record(cells([
                c.scenario.clone(),
                c.kind.clone(),
                c.entity.clone(),
                c.label.clone(),
                arrow(&c.from.outcome, &c.to.outcome),
                arrow(&c.from.grade, &c.to.grade),
                if c.from.total == c.to.total {
                    format!("{:.2}", c.to.total)
                } else {
                    format!("{:.2} → {:.2}", c.from.total, c.to.total)
                },
                c.reason.clone(),
            ]));
        }
        let mut t = b.build();
        t.with(Style::psql());
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if !awards.is_empty() {
        out.push_str(&format!("\n奖励变化 (award changes): {}\n", awards.len()));
        let mut b = Builder::default();
        b.push_record(cells(["scenario", "kind", "id", "name", "award (yuan)"]));
        for a in awards {
            b.push_record(cells([
                a.scenario.clone(),
                a.kind.clone(),
                a.entity.clone(),
                a.label.clone(),
                format!("{} → {}", a.from, a.to),
            ]));
        }
        let mut t = b.build();
        t.with(Style::psql());
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out
}

fn brief(label: &str) -> &str {
    let s = short_label(label);
    s.split(['，', ',', ';', '；']).next().unwrap_or(s)
}
