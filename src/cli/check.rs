//! `bangfu check`: every problem of the rule set at once, plus the columns it reads that the
//! data set lacks.

use super::output::print_diags;
use super::{Format, Options};
use crate::data::parse::read_header;
use crate::data::DataSet;
use crate::diag::{did_you_mean, Diagnostic, Location, Severity};
use crate::exit::Exit;

/// Run the `check` command.
pub fn run(opts: &Options) -> Exit {
    let (rules, mut diags, needs) = crate::rules::check(&opts.rules);
    // Columns the rules read must exist in the data set's tables.
    if let Ok(ds) = DataSet::open(&opts.data) {
        for need in &needs {
            let Some(tf) = ds.tables.get(&need.table) else {
                continue;
            };
            let Ok(header) = read_header(tf) else {
                continue;
            };
            for col in std::iter::once(&need.id_column).chain(need.columns.iter().map(|c| &c.name))
            {
                if header.iter().any(|h| h == col) {
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
                            tf.display(),
                            header.join(", ")
                        )
                    });
                diags.push(
                    Diagnostic::error(
                        format!(
                            "unknown column `{col}`: `{}` has no such column",
                            tf.display()
                        ),
                        origin,
                    )
                    .with_help(help),
                );
            }
        }
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
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
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"ok": errors == 0, "problems": list}))
                .unwrap_or_default()
        );
    } else {
        if !diags.is_empty() {
            print_diags(&diags, opts.color);
        }
        if errors == 0 && !opts.quiet {
            if let Some(rs) = &rules {
                let k = &rs.primary;
                println!(
                    "ok: `{}` {} — {} kind{}, {} indicators in {} dimensions, {} gates, {} outcomes for `{}`",
                    rs.name,
                    rs.version,
                    1 + rs.units.len(),
                    crate::diag::plural(1 + rs.units.len()),
                    k.indicators.len(),
                    k.dims.len(),
                    k.gates.len(),
                    k.outcomes.len(),
                    k.name
                );
            }
        }
    }
    let _ = Location::default();
    if errors > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    }
}
