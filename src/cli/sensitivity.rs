//! `bangfu sensitivity`: Monte Carlo over the rule set's uncertain parameters.

use super::pipeline::{adjust_data, load_data, load_rules_for, load_what_if};
use super::{Format, Options};
use crate::exit::Exit;
use crate::report::short_label;
use crate::report::table::cells;
use crate::report::write::{write_all, Emit};
use crate::rules::model::Kind;
use crate::sensitivity::{run as analyse, Report};
use std::io::{IsTerminal, Write};
use tabled::builder::Builder;
use tabled::settings::Style;

/// Run the `sensitivity` command.
pub fn run(
    opts: &Options,
    draws: usize,
    seed: u64,
    scenario: Option<&str>,
    flags: &crate::scenario::Flags,
) -> Exit {
    if draws == 0 {
        crate::errln!("error: `--draws` must be at least 1");
        return Exit::Usage;
    }
    let sc = match load_what_if(opts, scenario, flags) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let rules = match load_rules_for(opts, sc.as_ref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if rules.uncertainty.is_empty() {
        // Like `compare` with no scenario: nothing to run, and the rules are not at fault.
        let example = rules
            .params
            .iter()
            .find(|p| p.formula.is_none())
            .map(|p| {
                let v = crate::rules::compile::fmt_num(p.value);
                format!(
                    "\n          uncertainty:\n            - {{ parameter: {}, min: …, max: … }}   # now {v}",
                    p.name
                )
            })
            .unwrap_or_default();
        crate::errln!(
            "error: the rule set declares no uncertain parameters, so there is nothing to vary\n  help: list the parameters the committee is unsure of, with their plausible range, in `{}`{example}",
            opts.rules.join("ruleset.yaml").display()
        );
        return Exit::Usage;
    }
    let (ds, mut frame) = match load_data(opts, &rules) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if let Err(e) = adjust_data(opts, &rules, &mut frame, sc.as_ref()) {
        return e;
    }
    // The draws re-compile the files the rules came from: with the scenario's overlays.
    let files = match crate::rules::load::read_files(&opts.rules) {
        Ok(f) => f,
        Err(_) => return Exit::InvalidRules,
    };
    let files = match &sc {
        Some(sc) => match crate::scenario::apply(&files, sc) {
            Ok(f) => f,
            Err(_) => return Exit::InvalidRules,
        },
        None => files,
    };
    let bar = (!opts.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(draws as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} draws ({eta} left)")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let report = match analyse(&files, &rules, &ds, &frame, draws, seed, &tick) {
        Ok(r) => r,
        Err(e) => {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            crate::errln!("error: {e}");
            return Exit::InvalidRules;
        }
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    // The document, with the what-if it was made under when there is one.
    let what_if = sc.as_ref().map(crate::report::WhatIf::of);
    let doc = {
        let mut doc = report.to_json(&rules.primary);
        if let (Some(w), Some(o)) = (&what_if, doc.as_object_mut()) {
            o.insert("what_if".into(), crate::report::json::what_if(w));
        }
        doc
    };
    if let Some(dir) = &opts.out {
        let r = &report;
        let doc = &doc;
        let primary = &rules.primary;
        let files: Vec<(String, Emit)> = vec![
            (
                "sensitivity.json".into(),
                Box::new(move |w: &mut dyn Write| {
                    w.write_all(
                        (serde_json::to_string_pretty(doc).unwrap_or_default() + "\n").as_bytes(),
                    )
                }),
            ),
            (
                format!("sensitivity_{}.csv", Report::primary_key(primary)),
                Box::new(move |w: &mut dyn Write| entities_csv(r, w)),
            ),
            (
                "sensitivity_units.csv".into(),
                Box::new(move |w: &mut dyn Write| units_csv(r, w)),
            ),
        ];
        if let Err(e) = write_all(dir, &files, &super::pipeline::inputs(opts, &ds)) {
            crate::errln!("error: {e}");
            return Exit::Usage;
        }
    }
    if opts.quiet {
        return Exit::Ok;
    }
    match opts.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default()),
        _ => {
            // A what-if's analysis says so before anything else.
            if let Some(w) = &what_if {
                crate::outln!("{}\n", w.banner());
            }
            crate::outln!("{}", render(&report, &rules.primary))
        }
    }
    Exit::Ok
}

fn entities_csv(r: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    // A UTF-8 BOM, as for the run's CSV files: Excel on Chinese Windows then reads the labels.
    w.write_all(b"\xEF\xBB\xBF")?;
    let mut c = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["id".to_string(), "label".into(), "nominal".into()];
    if let Some(v) = r.entities.first() {
        head.extend(v.p.iter().map(|(o, _)| format!("p_{o}")));
    }
    let _ = c.write_record(&head);
    for v in &r.entities {
        let mut row = vec![v.id.clone(), v.label.clone(), v.nominal.clone()];
        row.extend(v.p.iter().map(|(_, p)| format!("{p:.4}")));
        let _ = c.write_record(&row);
    }
    w.write_all(&c.into_inner().unwrap_or_default())
}

fn units_csv(r: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    w.write_all(b"\xEF\xBB\xBF")?;
    let mut c = csv::Writer::from_writer(Vec::new());
    let _ = c.write_record([
        "kind",
        "id",
        "label",
        "nominal_outcome",
        "nominal_rank",
        "rank_5",
        "rank_50",
        "rank_95",
        "p_best",
        "expected_award",
    ]);
    for u in &r.units {
        let _ = c.write_record([
            u.kind.clone(),
            u.id.clone(),
            u.label.clone(),
            u.nominal_outcome.clone(),
            opt(u.nominal_rank, ""),
            opt(u.rank_5, ""),
            opt(u.rank_50, ""),
            opt(u.rank_95, ""),
            format!("{:.4}", u.p_best),
            format!("{:.2}", u.expected_award),
        ]);
    }
    w.write_all(&c.into_inner().unwrap_or_default())
}

/// A rank, or `none` for kinds without ranking.
fn opt(rank: Option<u32>, none: &str) -> String {
    rank.map_or_else(|| none.to_string(), |r| r.to_string())
}

fn render(r: &Report, primary: &Kind) -> String {
    let mut out = format!(
        "不确定性分析 (sensitivity): {} draws, seed {}\n\n参数 (uncertain parameters)\n",
        r.draws, r.seed
    );
    let mut b = Builder::default();
    b.push_record(cells([
        "parameter",
        "nominal",
        "range",
        "distribution",
        "flips (one at a time)",
        "share",
        "first-order",
    ]));
    for p in &r.parameters {
        let inf = r.influence.iter().find(|i| i.parameter == p.name);
        b.push_record(cells([
            p.name.clone(),
            format!("{}", p.nominal),
            format!("[{}, {}]", p.min, p.max),
            p.distribution.clone(),
            inf.map(|i| i.flips_one_at_a_time.to_string())
                .unwrap_or_default(),
            inf.map(|i| format!("{:.0}%", i.share * 100.0))
                .unwrap_or_default(),
            inf.map(|i| format!("{:.2}", i.first_order))
                .unwrap_or_default(),
        ]));
    }
    let mut t = b.build();
    t.with(Style::psql());
    out.push_str(&t.to_string());
    // The flips counted above, by name: what each parameter changes on its own.
    if r.influence.iter().any(|i| !i.flipped.is_empty()) {
        out.push_str(&format!(
            "\n\n单独改变结果的{} ({} whose outcome one parameter changes on its own, the others nominal)\n",
            primary.zh_noun(),
            primary.nouns()
        ));
        let mut b = Builder::default();
        b.push_record(cells([
            "parameter",
            "id",
            "name",
            "nominal",
            "at min",
            "at max",
        ]));
        let range = |p: &str| r.parameters.iter().find(|x| x.name == p);
        for inf in &r.influence {
            for f in &inf.flipped {
                let at = |o: &str, x: Option<f64>| {
                    let x = x.map(|x| format!(" ({x})")).unwrap_or_default();
                    if o == f.nominal {
                        o.to_string()
                    } else {
                        format!("{o}{x}")
                    }
                };
                b.push_record(cells([
                    inf.parameter.clone(),
                    f.id.clone(),
                    f.label.clone(),
                    f.nominal.clone(),
                    at(&f.at_min, range(&inf.parameter).map(|p| p.min)),
                    at(&f.at_max, range(&inf.parameter).map(|p| p.max)),
                ]));
            }
        }
        let mut t = b.build();
        t.with(Style::psql());
        out.push_str(&t.to_string());
    }
    out.push_str(&format!(
        "\n\n临界{} (borderline {}: passing with probability between 5% and 95%): {}\n",
        primary.zh_noun(),
        primary.nouns(),
        r.borderline.len()
    ));
    if !r.borderline.is_empty() {
        let mut b = Builder::default();
        let mut head = vec!["id".to_string(), "name".into(), "nominal".into()];
        if let Some(v) = r.entities.first() {
            head.extend(v.p.iter().map(|(o, _)| format!("P({o})")));
        }
        b.push_record(cells(head));
        let borderline: std::collections::HashSet<&str> =
            r.borderline.iter().map(String::as_str).collect();
        for v in r
            .entities
            .iter()
            .filter(|v| borderline.contains(v.id.as_str()))
            .take(PRINTED_ROWS)
        {
            let mut row = vec![v.id.clone(), v.label.clone(), v.nominal.clone()];
            row.extend(v.p.iter().map(|(_, p)| percent(*p)));
            b.push_record(cells(row));
        }
        let mut t = b.build();
        t.with(Style::psql());
        out.push_str(&t.to_string());
        out.push('\n');
        out.push_str(&more(r.borderline.len()));
    }
    if !r.units.is_empty() {
        out.push_str("\n单位名次区间 (unit rank bands: 5% / 50% / 95%)\n");
        let mut b = Builder::default();
        b.push_record(cells([
            "kind",
            "id",
            "name",
            "rank",
            "5%",
            "50%",
            "95%",
            "P(best)",
            "expected award",
        ]));
        for u in r.units.iter().take(PRINTED_ROWS) {
            b.push_record(cells([
                u.kind.clone(),
                u.id.clone(),
                short_label(&u.label).to_string(),
                opt(u.nominal_rank, "-"),
                opt(u.rank_5, "-"),
                opt(u.rank_50, "-"),
                opt(u.rank_95, "-"),
                percent(u.p_best),
                format!("{:.0}", u.expected_award),
            ]));
        }
        let mut t = b.build();
        t.with(Style::psql());
        out.push_str(&t.to_string());
        out.push('\n');
        out.push_str(&more(r.units.len()));
    }
    out
}

/// The rows a printed table of `sensitivity` lists; `--format json` and `--out` hold every one.
const PRINTED_ROWS: usize = 1_000;

/// The line under a table cut at [`PRINTED_ROWS`].
fn more(all: usize) -> String {
    if all <= PRINTED_ROWS {
        return String::new();
    }
    let n = all - PRINTED_ROWS;
    format!(
        "… 另有 {n} 行，全部见 `--format json` 或 `--out DIR` ({n} more rows; `--format json` and `--out DIR` hold every one)\n"
    )
}

/// A probability in whole percent, without rounding a rare event away: above 0 but under
/// 0.5% shows as `<1%`, and below 1 but over 99.5% as `>99%`.
fn percent(p: f64) -> String {
    if p > 0.0 && p < 0.005 {
        "<1%".into()
    } else if p < 1.0 && p > 0.995 {
        ">99%".into()
    } else {
        format!("{}%", (p * 100.0).round())
    }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn rare_events_are_not_rounded_away() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.003), "<1%");
        assert_eq!(percent(0.005), "1%");
        assert_eq!(percent(0.42), "42%");
        assert_eq!(percent(0.996), ">99%");
        assert_eq!(percent(1.0), "100%");
    }
}
