//! `bangfu check`: every problem of the rule set at once, the columns it reads that the data
//! set lacks, and — when the rules are sound — the data validated exactly as `run` would.

use super::output::{print_data_errors, print_diags};
use super::{Format, Options};
use crate::data::parse::read_header;
use crate::data::{DataError, DataSet};
use crate::diag::{did_you_mean, Diagnostic, Location, Severity};
use crate::exit::Exit;

/// Run the `check` command.
pub fn run(opts: &Options) -> Exit {
    let (rules, mut diags, needs) = crate::rules::check(&opts.rules);
    let mut data_errors: Vec<DataError> = Vec::new();
    let mut data_notes: Vec<DataError> = Vec::new();
    match DataSet::open(&opts.data) {
        Err(_) if !opts.data_given && !opts.data.exists() => diags.push(
            Diagnostic::warning(
                format!(
                    "no data set at `{}`: only the rules were checked",
                    opts.data.display()
                ),
                Location::default(),
            )
            .with_help("pass `--data DIR` to check the rules against a data set"),
        ),
        Err(e) => data_errors.push(e),
        Ok(ds) => {
            for need in &needs {
                let tf = match ds.table(&need.table) {
                    Ok(tf) => tf,
                    // A unit kind without columns of its own takes its ids from its links.
                    Err(_) if !need.needs_table => continue,
                    Err(e) => {
                        data_errors.push(e);
                        continue;
                    }
                };
                let header = match read_header(tf) {
                    Ok(h) => h,
                    Err(e) => {
                        data_errors.push(e);
                        continue;
                    }
                };
                let wanted = std::iter::once(&need.id_column)
                    .chain(&need.key_columns)
                    .chain(
                        need.columns
                            .iter()
                            .filter(|c| c.from_data())
                            .map(|c| &c.name),
                    );
                for col in wanted {
                    // An empty name is the rules' own error (`id_column: []`), reported there.
                    if col.is_empty() || header.iter().any(|h| h == col) {
                        continue;
                    }
                    let origin = need
                        .columns
                        .iter()
                        .find(|c| &c.name == col)
                        .map(|c| c.origin.clone())
                        .unwrap_or_default();
                    let help = did_you_mean(col, header.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| {
                            format!(
                                "the columns of `{}` are: {}",
                                ds.name_of(tf),
                                header.join(", ")
                            )
                        });
                    diags.push(
                        Diagnostic::error(
                            format!(
                                "unknown column `{col}`: `{}` has no such column",
                                ds.name_of(tf)
                            ),
                            origin,
                        )
                        .with_help(help),
                    );
                }
            }
            // With sound rules, validate the data as `run` would, so `check` never says ok to
            // data that `run` rejects.
            let rules_ok = !diags.iter().any(|d| d.severity == Severity::Error);
            if let (Some(rs), true) = (&rules, rules_ok) {
                let (data, scripts, notes) = super::pipeline::validate_data(rs, &ds);
                data_errors.extend(data);
                data_notes = notes;
                // The same failure on many entities is one problem; show where and for whom first.
                let mut seen: Vec<(String, String)> = Vec::new();
                for e in scripts {
                    if seen.contains(&(e.what.clone(), e.message.clone())) {
                        continue;
                    }
                    seen.push((e.what.clone(), e.message.clone()));
                    diags.push(
                        Diagnostic::error(
                            format!(
                                "{} fails on the data: {} (first for `{}`)",
                                e.what, e.message, e.entity
                            ),
                            Location {
                                path: Some(e.place.clone()),
                                ..Location::default()
                            },
                        )
                        .with_help("`run` would stop here with exit code 5"),
                    );
                }
            }
        }
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
        + data_errors.len();
    if opts.format == Format::Json {
        let list: Vec<serde_json::Value> = diags
            .iter()
            .map(|d| {
                serde_json::json!({
                    "severity": d.severity,
                    "message": d.message,
                    "file": d.location.file.as_ref().map(|f| f.name.clone()),
                    "line": (d.location.line > 0).then_some(d.location.line),
                    "column": (d.location.col > 0).then_some(d.location.col),
                    "path": d.location.path,
                    "help": d.help,
                })
            })
            .chain(
                data_errors
                    .iter()
                    .map(|e| serde_json::json!({"severity": "error", "data": e})),
            )
            .chain(
                data_notes
                    .iter()
                    .map(|e| serde_json::json!({"severity": "note", "data": e})),
            )
            .collect();
        let doc = crate::report::json::with_layout(
            serde_json::json!({"ok": errors == 0, "problems": list}),
        );
        crate::outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        if !diags.is_empty() {
            print_diags(&diags, opts.color);
        }
        if !data_errors.is_empty() {
            print_data_errors(&data_errors, opts.color);
        }
        for n in &data_notes {
            let text = n.to_string();
            crate::errln!("note: {}", text.strip_prefix("error: ").unwrap_or(&text));
        }
        if errors == 0 && !opts.quiet {
            if let Some(rs) = &rules {
                let k = &rs.primary;
                let count = |n: usize, one: &str, many: &str| {
                    format!("{n} {}", if n == 1 { one } else { many })
                };
                let scored = k.dims.iter().filter(|d| !d.is_adjustment()).count();
                let groups = k.dims.len() - scored;
                let items = k
                    .indicators
                    .iter()
                    .filter(|i| k.dims.get(i.dim).is_some_and(|d| d.is_adjustment()))
                    .count();
                let conditions = k.gates.iter().filter(|g| g.require).count();
                let mut parts = vec![count(1 + rs.units.len(), "kind", "kinds")];
                // A kind decided by its conditions alone has no points to count.
                if k.indicators.len() > items || scored > 0 || conditions == 0 {
                    parts.push(format!(
                        "{} in {}",
                        count(k.indicators.len() - items, "indicator", "indicators"),
                        count(scored, "dimension", "dimensions")
                    ));
                }
                if groups > 0 {
                    parts.push(format!(
                        "{} in {}",
                        count(items, "adjustment item", "adjustment items"),
                        count(groups, "group", "groups")
                    ));
                }
                if k.gates.len() > conditions || conditions == 0 {
                    parts.push(count(k.gates.len() - conditions, "gate", "gates"));
                }
                if conditions > 0 {
                    parts.push(count(conditions, "condition", "conditions"));
                }
                parts.push(count(k.outcomes.len(), "outcome", "outcomes"));
                crate::outln!(
                    "ok: `{}` {} — {} for `{}`",
                    rs.name,
                    rs.version,
                    parts.join(", "),
                    k.name
                );
            }
        }
    }
    if errors > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    }
}
