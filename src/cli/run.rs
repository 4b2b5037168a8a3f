//! `bangfu run`: score and decide every entity, print the summary and tables, write results.

use super::pipeline::{evaluate, load_data, load_rules};
use super::{Format, Options};
use crate::exit::Exit;
use crate::report::table::{entities, summary, Flavor};
use crate::report::{csv_out, json, write, KindView, RunView};

/// Run the `run` command.
pub fn run(opts: &Options) -> Exit {
    let rules = match load_rules(opts) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (ds, frame) = match load_data(opts, &rules) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let result = match evaluate(opts, &rules, &frame) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (data_sha256, data_files) = ds.hashes();
    let view = RunView {
        rules: &rules,
        data: &ds,
        primary: KindView {
            kind: &rules.primary,
            frame: &frame,
            result: &result,
        },
        data_sha256,
        data_files,
        scenario: None,
    };

    if let Some(dir) = &opts.out {
        let results = json::results(&view);
        let files = vec![
            (
                format!("{}.csv", rules.primary.table),
                csv_out::kind_csv(&view.primary, rules.precision).into_bytes(),
            ),
            (
                "results.json".to_string(),
                json::to_string(&results).into_bytes(),
            ),
            (
                "manifest.json".to_string(),
                json::to_string(&json::manifest(&view)).into_bytes(),
            ),
        ];
        if let Err(e) = write::write_all(dir, &files, &[&opts.rules, &opts.data]) {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    }
    if opts.quiet {
        return Exit::Ok;
    }
    let text = match opts.format {
        Format::Json => json::to_string(&json::results(&view)),
        Format::Csv => csv_out::kind_csv(&view.primary, rules.precision),
        Format::Md => format!(
            "{}{}",
            summary(&view, Flavor::Markdown),
            entities(&view, &view.primary, Flavor::Markdown)
        ),
        Format::Table => format!(
            "{}{}",
            summary(&view, Flavor::Terminal),
            entities(&view, &view.primary, Flavor::Terminal)
        ),
    };
    print!("{text}");
    if let Some(dir) = &opts.out {
        if opts.format == Format::Table {
            println!("\nresults written to {}", dir.display());
        }
    }
    Exit::Ok
}
