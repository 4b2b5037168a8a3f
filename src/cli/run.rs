//! `bangfu run`: score and decide every entity, print the summary and tables, write results.

use super::pipeline::{adjust_data, evaluate, load_rules_for, load_what_if};
use super::{Format, Options};
use crate::exit::Exit;
use crate::report::table::{summary, write_entities, Flavor};
use crate::report::write::Emit;
use crate::report::{csv_out, html, json, write, KindView, RunView};
use std::io::Write;

/// The summary, then the primary entities, then each unit kind, written as they are laid out.
fn write_tables(w: &mut dyn Write, view: &RunView, flavor: Flavor) -> std::io::Result<()> {
    w.write_all(summary(view, flavor).as_bytes())?;
    write_entities(w, view, &view.primary, flavor)?;
    for u in &view.units {
        w.write_all(b"\n")?;
        write_entities(w, view, u, flavor)?;
    }
    Ok(())
}

/// The primary kind's result file (the first of [`result_files`]).
fn primary_file<'a>(rules: &'a crate::RuleSet, primary: &'a KindView<'a>) -> (String, Emit<'a>) {
    (
        format!("{}.csv", rules.primary.table),
        Box::new(move |w: &mut dyn Write| csv_out::write_kind_csv(rules, primary, true, w)),
    )
}

/// The files `--out` writes, by name, the primary kind's first. With `csv_only`, the CSV files
/// and the manifest only.
fn result_files<'a>(v: &'a RunView<'a>, csv_only: bool) -> Vec<(String, Emit<'a>)> {
    let mut files: Vec<(String, Emit)> = vec![
        primary_file(v.rules, &v.primary),
        (
            "manifest.json".to_string(),
            Box::new(move |w: &mut dyn Write| {
                w.write_all(json::to_string(&json::manifest(v)).as_bytes())
            }),
        ),
    ];
    for u in &v.units {
        files.push((
            format!("{}.csv", u.kind.table),
            Box::new(move |w: &mut dyn Write| csv_out::write_kind_csv(v.rules, u, true, w)),
        ));
    }
    if !csv_only {
        files.push((
            "results.json".to_string(),
            Box::new(move |w: &mut dyn Write| json::write_results(v, w)),
        ));
        files.push((
            "results.xlsx".to_string(),
            Box::new(move |w: &mut dyn Write| {
                crate::report::xlsx::write_results_xlsx(v, w)
                    .map_err(|e| std::io::Error::other(e.to_string()))
            }),
        ));
        files.push((
            "report.html".to_string(),
            Box::new(move |w: &mut dyn Write| html::write_report(v, w)),
        ));
    }
    files
}

/// `--verify DIR`: re-create every result file the folder holds and compare them byte for byte.
fn verify_dir(dir: &std::path::Path, v: &RunView) -> Exit {
    let manifest: Option<serde_json::Value> = std::fs::read(dir.join("manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let Some(manifest) = manifest else {
        crate::errln!("error: `{}` holds no readable manifest.json", dir.display());
        crate::errln!("  help: point `--verify` at a folder written by `bangfu run --out`");
        return Exit::Usage;
    };
    let mut problems = Vec::new();
    // The files of the rules or the data that differ from those the manifest lists.
    let changed = |what: &str, now: &[(String, String)]| -> Vec<String> {
        let then: Vec<(&str, &str)> = manifest
            .pointer(&format!("/{what}/files"))
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .map(|f| {
                        let text = |k: &str| f.get(k).and_then(|x| x.as_str()).unwrap_or("");
                        (text("path"), text("sha256"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let noun = if what == "rules" { "rule" } else { "data" };
        let gone = then
            .iter()
            .filter(|(p, _)| !now.iter().any(|(n, _)| n == p))
            .map(|(p, _)| format!("{noun} file `{p}` is no longer read"));
        now.iter()
            .filter_map(|(path, hash)| match then.iter().find(|(p, _)| p == path) {
                Some((_, h)) if h == hash => None,
                Some(_) => Some(format!("{noun} file `{path}` has changed")),
                None => Some(format!("{noun} file `{path}` is new")),
            })
            .chain(gone)
            .collect()
    };
    if manifest.pointer("/rules/sha256").and_then(|x| x.as_str()) != Some(v.rules.sha256.as_str()) {
        let files = changed("rules", &v.rules.file_hashes);
        if files.is_empty() {
            problems.push("the rule set is not the one that produced these results".into());
        }
        problems.extend(files);
    }
    if manifest.pointer("/data/sha256").and_then(|x| x.as_str()) != Some(v.data_sha256.as_str()) {
        let files = changed("data", &v.data_files);
        if files.is_empty() {
            // Every file the same, yet another hash: one recorded before the data set's hash
            // covered each file's name and own hash.
            problems.push(
                "the data files are those that produced these results, but the manifest records the data set's hash as an earlier version computed it; write the results again with `--out`".into(),
            );
        }
        problems.extend(files);
    }
    // Every file the run recorded must still be there.
    if let Some(names) = manifest.pointer("/outputs").and_then(|x| x.as_array()) {
        for n in names.iter().filter_map(|x| x.as_str()) {
            if !dir.join(n).is_file() {
                problems.push(format!("`{n}` is missing from the results folder"));
            }
        }
    }
    let mut checked = 0;
    for (name, emit) in result_files(v, false) {
        let path = dir.join(&name);
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        // The fresh file is compared with the one on disk as it is made: neither is held
        // whole, whatever its size.
        let mut same = SameAs::new(file);
        if emit(&mut same).is_err() {
            problems.push(format!("`{name}` could not be re-created"));
            continue;
        }
        checked += 1;
        if !same.finish() {
            problems.push(format!("`{name}` differs from a fresh run"));
        }
    }
    if problems.is_empty() {
        crate::outln!(
            "reproduced: all {checked} result files in {} are identical to a fresh run",
            dir.display()
        );
        Exit::Ok
    } else {
        for p in &problems {
            crate::errln!("error: {p}");
        }
        crate::errln!(
            "not reproduced: {} problem{} in {}",
            problems.len(),
            crate::diag::plural(problems.len()),
            dir.display()
        );
        Exit::Failed
    }
}

/// A writer that compares what is written with a file, a buffer at a time.
struct SameAs {
    file: std::io::BufReader<std::fs::File>,
    same: bool,
    buf: Vec<u8>,
}

impl SameAs {
    fn new(file: std::fs::File) -> SameAs {
        SameAs {
            file: std::io::BufReader::with_capacity(1 << 20, file),
            same: true,
            buf: Vec::new(),
        }
    }

    /// Whether everything written was the file, and the file holds nothing more.
    fn finish(mut self) -> bool {
        let mut one = [0u8; 1];
        self.same && matches!(std::io::Read::read(&mut self.file, &mut one), Ok(0))
    }
}

impl Write for SameAs {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.same {
            self.buf.resize(data.len(), 0);
            let read = std::io::Read::read_exact(&mut self.file, &mut self.buf);
            self.same = read.is_ok() && self.buf == data;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Clears the spinner however the command ends, so messages never mix with it.
struct Spinner(Option<indicatif::ProgressBar>);

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(s) = &self.0 {
            s.finish_and_clear();
        }
        if let Ok(mut slot) = super::output::PROGRESS.lock() {
            *slot = None;
        }
    }
}

/// Run the `run` command.
pub fn run(
    opts: &Options,
    scenario: Option<&str>,
    flags: &crate::scenario::Flags,
    csv_only: bool,
    verify: Option<&std::path::Path>,
) -> Exit {
    // Verifying re-runs the scenario the results were made with, and writes (in memory) the
    // files they were written with: a folder written with `--csv-only` lists no results.json.
    let recorded: Option<serde_json::Value> = verify
        .and_then(|d| std::fs::read(d.join("manifest.json")).ok())
        .and_then(|b| serde_json::from_slice(&b).ok());
    let recorded_scenario: Option<String> = recorded.as_ref().and_then(|m| {
        m.pointer("/scenario/name")
            .and_then(|x| x.as_str())
            .map(String::from)
    });
    // The flags a what-if's results were made with, unless others are given.
    let recorded_flags = |key: &str| -> Vec<String> {
        recorded
            .as_ref()
            .and_then(|m| m.pointer(&format!("/what_if/{key}")))
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let flags = if flags.is_empty() && scenario.is_none() {
        crate::scenario::Flags {
            set: recorded_flags("set"),
            gates: recorded_flags("gate"),
        }
    } else {
        flags.clone()
    };
    let csv_only = match recorded.as_ref().and_then(|m| m.pointer("/outputs")) {
        Some(serde_json::Value::Array(names)) => !names.iter().any(|n| n == "results.json"),
        _ => csv_only,
    };
    let timing = std::env::var_os("BANGFU_TIMING").is_some();
    let t0 = std::time::Instant::now();
    // A spinner with the current stage, on a terminal only: long runs show they are alive.
    let guard = Spinner(
        (!opts.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
            let s = indicatif::ProgressBar::new_spinner();
            s.enable_steady_tick(std::time::Duration::from_millis(120));
            s.set_message("loading the rules and the data…");
            s
        }),
    );
    let spinner = &guard.0;
    if let (Some(s), Ok(mut slot)) = (spinner, super::output::PROGRESS.lock()) {
        *slot = Some(s.clone());
    }
    let lap = |what: &str| {
        if timing {
            let cpu = process_usage().map_or(String::new(), |(c, faults)| {
                format!(" (processor {c:.3}s, {faults} page faults)")
            });
            crate::errln!("[timing] {what}: {:.3}s{cpu}", t0.elapsed().as_secs_f64());
        }
        if let Some(s) = &spinner {
            let next = match what {
                "rules and data loaded" => "scoring…",
                "primary kind scored" => "scoring the units…",
                "scored" | "inputs hashed" => "writing the results…",
                _ => "",
            };
            if next.is_empty() {
                s.finish_and_clear();
            } else {
                s.set_message(next);
            }
        }
    };
    let from_manifest = scenario.is_none() && recorded_scenario.is_some();
    let scenario = scenario.or(recorded_scenario.as_deref());
    let sc = match load_what_if(opts, scenario, &flags) {
        Ok(s) => s,
        Err(e) => {
            if from_manifest {
                crate::errln!(
                    "  help: the results were made with scenario `{}`; pass `--scenario FILE` with its file, or `--scenarios DIR` with its folder",
                    scenario.unwrap_or_default()
                );
            }
            return e;
        }
    };
    let rules = match load_rules_for(opts, sc.as_ref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    // Hashes are for the manifest: only computed when one is written.
    let manifest = opts.out.is_some() || opts.format == Format::Json || verify.is_some();
    let (ds, mut frame) = match super::pipeline::load_data_with(opts, &rules, manifest) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if let Err(e) = adjust_data(opts, &rules, &mut frame, sc.as_ref()) {
        return e;
    }
    lap("rules and data loaded");
    let (result, standing, finer) = match evaluate(opts, &rules, &ds, &mut frame) {
        Ok(r) => r,
        Err(e) => return e,
    };
    lap("primary kind scored");
    // Only what units and reports still read is kept from the village columns.
    frame.release_columns(&super::pipeline::columns_read_after_scoring(&rules));
    let frame = frame;
    let names = super::pipeline::names_of_run(&rules, &ds, &frame);
    let primary =
        KindView::of_primary(&rules, &frame, &result, standing.as_ref()).with_names(&names);
    // The villages' file depends on nothing the units decide: it is written (staged) on its
    // own thread while the units are evaluated.
    let (units, staged) = std::thread::scope(|s| {
        let staged = opts.out.as_ref().filter(|_| verify.is_none()).map(|dir| {
            s.spawn(|| {
                let mut staging = write::Staging::open(dir, &super::pipeline::inputs(opts, &ds))?;
                let (name, emit) = primary_file(&rules, &primary);
                staging.write(&name, &emit)?;
                Ok::<_, String>(staging)
            })
        });
        let units = super::pipeline::evaluate_units(opts, &rules, &ds, &frame, &result, finer);
        let staged = staged.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err("the results could not be written".into()))
        });
        (units, staged)
    });
    let units = match units {
        Ok(u) => u,
        Err(e) => return e,
    };
    let mut staging = match staged.transpose() {
        Ok(s) => s,
        Err(e) => {
            crate::errln!("error: {e}");
            return Exit::Usage;
        }
    };
    lap("scored");
    // CSV tables were hashed as they were read; workbooks and link tables are read again here.
    let (data_sha256, data_files) = if manifest {
        ds.hashes()
    } else {
        Default::default()
    };
    lap("inputs hashed");
    let view = RunView {
        rules: &rules,
        data: &ds,
        primary,
        units: units
            .iter()
            .filter_map(|u| KindView::of_unit(&rules, u))
            .map(|k| k.with_names(&names))
            .collect(),
        data_sha256,
        data_files,
        scenario: sc.as_ref().and_then(|s| s.from_file.clone()),
        outputs: Vec::new(),
        what_if: sc.as_ref().map(crate::report::WhatIf::of),
    };
    let mut view = view;
    view.outputs = result_files(&view, csv_only)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let view = view;

    if let Some(dir) = verify {
        return verify_dir(dir, &view);
    }
    if let Some(mut staging) = staging.take() {
        // The primary kind's file (the first) is staged already.
        let written = result_files(&view, csv_only)
            .iter()
            .skip(1)
            .try_for_each(|(name, emit)| staging.write(name, emit))
            .and_then(|_| staging.commit());
        if let Err(e) = written {
            crate::errln!("error: {e}");
            return Exit::Usage;
        }
    }
    lap("files written");
    if opts.quiet {
        return Exit::Ok;
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let written = match opts.format {
        Format::Json => json::write_results(&view, &mut w),
        Format::Csv => csv_out::write_kind_csv(&rules, &view.primary, false, &mut w),
        Format::Md => write_tables(&mut w, &view, Flavor::Markdown),
        // `criteria`'s formats are refused before the command runs.
        Format::Table | Format::Html | Format::Xlsx => {
            write_tables(&mut w, &view, Flavor::Terminal)
        }
    };
    // A closed pipe (`bangfu run | head`) is not an error worth reporting.
    if written.and_then(|_| w.flush()).is_err() {
        return Exit::Ok;
    }
    lap("printed");
    if let Some(dir) = &opts.out {
        if opts.format == Format::Table {
            crate::outln!("\nresults written to {}", dir.display());
        }
    }
    Exit::Ok
}

/// The processor time this process has used so far (user and system, all threads) and its
/// page faults (memory first touched), where the system reports them (`/proc/self/stat`, time
/// in clock ticks of 1/100 s); for `BANGFU_TIMING`.
fn process_usage() -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut f = rest.split(' ').skip(7);
    let faults: u64 = f.next()?.parse().ok()?;
    let mut f = f.skip(3);
    let user: f64 = f.next()?.parse().ok()?;
    let system: f64 = f.next()?.parse().ok()?;
    Some(((user + system) / 100.0, faults))
}
