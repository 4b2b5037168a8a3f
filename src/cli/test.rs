//! `bangfu test`: run the rule set's test cases, show a diff for each failure, and report which
//! parts of the criteria the cases exercised.

use super::pipeline::{load_rules_for, load_scenario, load_what_if};
use super::{Format, Options};
use crate::casetest::{run_all, CaseResult, Coverage};
use crate::exit::Exit;
use crate::report::table::cells;
use tabled::builder::Builder;
use tabled::settings::Style;

/// Run the `test` command.
pub fn run(opts: &Options, flags: &crate::scenario::Flags) -> Exit {
    // With `--set` or `--gate`, every case runs under the flags: which agreed decisions
    // would the change break?
    let what_if = match load_what_if(opts, None, flags) {
        Ok(w) => w,
        Err(e) => return e,
    };
    let rules = match load_rules_for(opts, what_if.as_ref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if crate::casetest::files(&opts.rules).is_empty() {
        crate::errln!(
            "error: no test files in `{}`",
            opts.rules.join("tests").display()
        );
        crate::errln!("  help: add `tests/*.yaml` with cases; see docs/rules.md, \"Test cases\"");
        return Exit::Failed;
    }
    let rules_for = |scenario: Option<&str>| -> Result<crate::rules::RuleSet, String> {
        let Some(name) = scenario else {
            return Err("no scenario".into());
        };
        let quiet = super::Options {
            quiet: true,
            ..opts.clone()
        };
        let sc = load_scenario(&quiet, name)
            .map_err(|_| format!("scenario `{name}` could not be loaded"))?;
        let sc = crate::scenario::with_flags(Some(sc), flags)
            .map_err(|_| format!("scenario `{name}` could not be loaded"))?;
        load_rules_for(&quiet, sc.as_ref()).map_err(|_| match &sc {
            Some(sc) if !sc.flags.is_empty() => format!("{} does not apply", sc.what()),
            _ => format!("scenario `{name}` does not apply"),
        })
    };
    let (results, coverage) = match run_all(&opts.rules, &rules, &rules_for) {
        Ok(x) => x,
        Err(e) => {
            crate::errln!("error: {e}");
            return Exit::InvalidRules;
        }
    };
    let failed = results.iter().filter(|r| !r.passed).count();
    if opts.format == Format::Json {
        let mut doc = crate::report::json::with_layout(
            serde_json::json!({"passed": results.len() - failed, "failed": failed, "cases": results, "coverage": coverage}),
        );
        if let (Some(sc), Some(o)) = (&what_if, doc.as_object_mut()) {
            let w = crate::report::json::what_if(&crate::report::WhatIf::of(sc));
            o.insert("what_if".into(), w);
        }
        crate::outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        if let Some(sc) = &what_if {
            crate::outln!(
                "{} (every case runs under it)\n",
                crate::report::WhatIf::of(sc).banner()
            );
        }
        crate::outln!("{}", render(&results, &coverage, opts.quiet));
    }
    if failed > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    }
}

fn render(results: &[CaseResult], coverage: &Coverage, quiet: bool) -> String {
    let mut out = String::new();
    let mut file = "";
    for r in results {
        if quiet && r.passed {
            continue;
        }
        if r.file != file {
            file = &r.file;
            out.push_str(&format!("{file}\n"));
        }
        out.push_str(&format!(
            "  {:<6}  {}\n",
            if r.passed { "ok" } else { "FAILED" },
            r.name
        ));
        if let Some(e) = &r.error {
            for line in e.lines() {
                out.push_str(&format!("          {line}\n"));
            }
        }
        for d in &r.diffs {
            let who = if d.entity.is_empty() {
                String::new()
            } else {
                format!("{} ", d.entity)
            };
            out.push_str(&format!(
                "          {who}{}: expected {}, got {}\n",
                d.what, d.expected, d.got
            ));
            for line in d.trace.lines().filter(|l| !l.is_empty()) {
                out.push_str(&format!("              {line}\n"));
            }
        }
    }
    out.push_str("\n覆盖 (coverage: parts of the criteria the cases exercised)\n");
    let whats = ["indicators", "bands", "gates", "grades", "outcome rules"];
    let mut b = Builder::default();
    let mut head = vec!["kind".to_string()];
    head.extend(whats.iter().map(|w| w.to_string()));
    b.push_record(cells(head));
    let mut kinds: Vec<&str> = Vec::new();
    for i in &coverage.items {
        if !kinds.contains(&i.kind.as_str()) {
            kinds.push(&i.kind);
        }
    }
    let (mut covered, mut total) = (0, 0);
    for k in &kinds {
        let mut row = vec![k.to_string()];
        for w in whats {
            let cell = coverage
                .items
                .iter()
                .find(|i| i.kind == *k && i.what == w)
                .map(|i| {
                    covered += i.covered;
                    total += i.total;
                    if i.total == 0 {
                        "-".to_string()
                    } else {
                        format!("{}/{}", i.covered, i.total)
                    }
                });
            row.push(cell.unwrap_or_default());
        }
        b.push_record(cells(row));
    }
    let mut t = b.build();
    t.with(Style::psql());
    out.push_str(&t.to_string());
    out.push('\n');
    let pct = if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    };
    out.push_str(&format!("coverage: {covered} of {total} ({pct:.0}%)\n"));
    for i in coverage.items.iter().filter(|i| !i.missing.is_empty()) {
        out.push_str(&format!(
            "  not exercised — {} {}: {}\n",
            i.kind,
            i.what,
            i.missing.join(", ")
        ));
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    out.push_str(&format!(
        "\n{} passed, {failed} failed\n",
        results.len() - failed
    ));
    out
}
