//! `bangfu explain ID`: the full trace of one entity's decision and what would change it.

use super::pipeline::{
    adjust_data, eval_error, evaluate_units, load_data, load_rules_for, load_what_if, located,
};
use super::{Format, Options};
use crate::diag::closest;
use crate::exit::Exit;
use crate::explain::{explain, find, Counterfactual, Explanation, Found};
use crate::report::short_label;
use crate::report::table::cells;
use crate::rules::model::Kind;
use crate::words::fmt_num;
use tabled::builder::Builder;
use tabled::settings::{object::Columns, Alignment, Style};

/// Run the `explain` command.
pub fn run(
    opts: &Options,
    id: &str,
    kind: Option<&str>,
    scenario: Option<&str>,
    flags: &crate::scenario::Flags,
) -> Exit {
    let sc = match load_what_if(opts, scenario, flags) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let rules = match load_rules_for(opts, sc.as_ref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if let Some(k) = kind {
        let kinds: Vec<&str> = std::iter::once(rules.primary.name.as_str())
            .chain(rules.units.iter().map(|u| u.name.as_str()))
            .collect();
        if !kinds.contains(&k) {
            crate::errln!(
                "error: no entity kind `{k}`; the kinds are {}",
                kinds.join(", ")
            );
            return Exit::Usage;
        }
    }
    let (ds, mut frame) = match load_data(opts, &rules) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if let Err(e) = adjust_data(opts, &rules, &mut frame, sc.as_ref()) {
        return e;
    }
    let frame = frame;
    let what_if = sc.as_ref().map(crate::report::WhatIf::of);
    // Explanations show every input value, so they are kept here.
    let primary = crate::engine::graph::evaluate_primary(&rules, &ds, &frame, None, |f, _| {
        crate::engine::evaluate_kind(&rules, &rules.primary, f)
    });
    let (result, standing, finer, frame) = match primary {
        Ok(p) => (p.result, p.standing, p.finer, p.frame.unwrap_or(frame)),
        Err(e) => return eval_error(opts, located(&ds, e)),
    };
    let units = match evaluate_units(opts, &rules, &ds, &frame, &result, finer) {
        Ok(u) => u,
        Err(e) => return e,
    };
    let hits = find(&rules, &frame, &units, id, kind);
    let found = match hits.as_slice() {
        [] if kind.is_some() && !find(&rules, &frame, &units, id, None).is_empty() => {
            // The id is there, as another kind (found again only on this way out).
            let kinds: Vec<String> = find(&rules, &frame, &units, id, None)
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            crate::errln!(
                "error: `{id}` is not a `{}` but a `{}`",
                kind.unwrap_or_default(),
                kinds.join("` and a `")
            );
            crate::errln!(
                "  help: pass `--kind {}`, or leave `--kind` out",
                kinds.first().map_or("", String::as_str)
            );
            return Exit::Usage;
        }
        [] => {
            // Suggest ids of the kind asked for, when one was.
            let primary_ids = frame
                .ids
                .iter()
                .filter(|_| kind.is_none_or(|k| k == rules.primary.name));
            let unit_ids = units
                .iter()
                .filter(|u| {
                    kind.is_none_or(|k| rules.units.get(u.kind).is_some_and(|x| x.name == k))
                })
                .flat_map(|u| u.frame.ids.iter());
            let all: Vec<&str> = primary_ids.chain(unit_ids).collect();
            let near = closest(id, all, 5);
            crate::errln!(
                "error: no {} with id `{id}` in `{}`",
                kind.map_or_else(
                    || format!("{} or unit", rules.primary.noun()),
                    |k| format!("`{k}`")
                ),
                opts.data.display()
            );
            if !near.is_empty() {
                crate::errln!(
                    "  help: the closest ids are {}",
                    near.iter()
                        .map(|x| format!("`{x}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            return Exit::Usage;
        }
        [(_, f)] => f,
        many => {
            let kinds: Vec<&str> = many.iter().map(|(k, _)| k.as_str()).collect();
            crate::errln!(
                "error: `{id}` is an id of several kinds: {}",
                kinds.join(", ")
            );
            crate::errln!(
                "  help: pass `--kind {}` (or another of them)",
                kinds.first().copied().unwrap_or("")
            );
            return Exit::Usage;
        }
    };
    let e = match found {
        Found::Primary(r) => {
            let standing = standing.as_ref().map(|s| s.view());
            explain(
                &rules,
                &rules.primary,
                &frame,
                &result,
                *r,
                standing,
                &frame,
            )
        }
        Found::Unit(u, r) => {
            let Some(k) = rules.units.get(u.kind) else {
                return Exit::Usage;
            };
            explain(
                &rules,
                k,
                &u.frame,
                &u.result,
                *r,
                Some(u.standing()),
                &frame,
            )
        }
    };
    match opts.format {
        Format::Json => {
            let mut doc =
                crate::report::json::with_layout(serde_json::to_value(&e).unwrap_or_default());
            if let (Some(w), Some(o)) = (&what_if, doc.as_object_mut()) {
                o.insert("what_if".into(), crate::report::json::what_if(w));
            }
            crate::outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default())
        }
        _ => {
            // Under a what-if, the trace says so before anything else.
            if let Some(w) = &what_if {
                crate::outln!("{}\n", w.banner());
            }
            crate::outln!("{}", render(&e, &rules.primary, rules.precision))
        }
    }
    Exit::Ok
}

/// A change as the committee would act on it: `调解矛盾纠纷 3 → 4 件 (disputes_mediated)`,
/// then what it does to the points and the outcome.
fn suggestion(c: &Counterfactual, f: &dyn Fn(f64) -> String) -> String {
    let amount = if c.yes_no {
        let word = |x: f64| if x != 0.0 { "是" } else { "否" };
        format!("{} → {}", word(c.from), word(c.to))
    } else {
        let unit = c.unit.as_ref().map(|u| format!(" {u}")).unwrap_or_default();
        format!("{} → {}{unit}", fmt_num(c.from), fmt_num(c.to))
    };
    // A column the rules give no words for is named by its id alone.
    let what = match &c.label {
        Some(label) => format!("{label} {amount} ({})", c.column),
        None => format!("`{}` {amount}", c.column),
    };
    // What the points are of: the parts a lifted gate gives back, or the indicator, named
    // when it is not what was just named; a deduction item's points are taken off.
    let points = match (&c.lifts, &c.indicator_label) {
        (Some(l), _) => format!(
            "lifts {} ({}), {} points",
            l.label,
            l.gate,
            l.parts.join(" + ")
        ),
        (None, Some(ind)) if c.label.as_deref() != Some(ind.as_str()) => {
            format!("{ind} {}", if c.deduction { "taken off" } else { "points" })
        }
        _ if c.deduction => "taken off".into(),
        _ => "points".into(),
    };
    format!(
        "{what}: {points} {} → {}, total {} → outcome {}",
        f(c.points_from),
        f(c.points_to),
        f(c.total_to),
        c.outcome
    )
}

fn table(b: Builder, right_from: usize) -> String {
    let mut t = b.build();
    t.with(Style::psql());
    t.modify(Columns::new(right_from..right_from + 1), Alignment::right());
    t.to_string()
}

/// The explanation as a committee member reads it.
pub fn render(e: &Explanation, primary: &Kind, precision: u32) -> String {
    let f = |x: f64| format!("{:.*}", precision as usize, x);
    let mut out = String::new();
    out.push_str(&format!("{} {} — {}\n", e.id, e.label, e.kind_label));
    let scored = !e.dimensions.is_empty();
    out.push_str(&format!(
        "outcome: {} ({})",
        e.outcome.id,
        short_label(&e.outcome.label)
    ));
    // A kind decided by conditions alone has neither a total nor grades to show.
    if scored || e.grade.is_some() {
        out.push_str(&format!(
            "   grade: {}",
            e.grade
                .as_ref()
                .map(|g| short_label(&g.label).to_string())
                .unwrap_or_else(|| "-".into())
        ));
    }
    if scored {
        out.push_str(&format!(
            "   total: {} / {}",
            f(e.total),
            fmt_num(e.max_total)
        ));
    }
    out.push_str("\n\n");

    if scored {
        out.push_str("指标 (indicators)\n");
        let mut b = Builder::default();
        b.push_record(cells(["indicator", "input", "value", "method", "points"]));
        for d in &e.dimensions {
            for i in e.indicators.iter().filter(|i| i.dimension == d.id) {
                let value = match &i.unit {
                    _ if i.method.starts_with("boolean") => (i.value != 0.0).to_string(),
                    Some(u) => format!("{} {u}", fmt_num(i.value)),
                    None => fmt_num(i.value),
                };
                b.push_record(cells([
                    format!("{} {}", i.id, short_label(&i.label)),
                    i.input.clone(),
                    value,
                    i.method.clone(),
                    match &i.zeroed_by {
                        Some(g) => format!("{} / {} (0 by {g})", f(i.points), fmt_num(i.max)),
                        None => format!("{} / {}", f(i.points), fmt_num(i.max)),
                    },
                ]));
            }
        }
        out.push_str(&table(b, 4));
        out.push_str("\n\n维度 (dimensions)\n");
        let mut b = Builder::default();
        b.push_record(cells(["dimension", "score", "minimum", "note"]));
        for d in &e.dimensions {
            let (sign, note) = match (d.effect, d.items) {
                (Some(effect), Some(items)) => {
                    let verb = if effect == "add" { "adds" } else { "takes off" };
                    let note = if items > d.score {
                        format!(
                            "items {}, capped at {}: {verb} {}",
                            f(items),
                            fmt_num(d.max),
                            f(d.score)
                        )
                    } else {
                        format!("{verb} {}", f(d.score))
                    };
                    let sign = match effect {
                        _ if d.score == 0.0 => "",
                        "add" => "+",
                        _ => "-",
                    };
                    (sign, note)
                }
                _ if d.below_min => ("", "below minimum: cannot pass".to_string()),
                _ => ("", String::new()),
            };
            b.push_record(cells([
                d.label.clone(),
                format!("{sign}{} / {}", f(d.score), fmt_num(d.max)),
                d.min.map(fmt_num).unwrap_or_else(|| "-".into()),
                note,
            ]));
        }
        out.push_str(&table(b, 1));
        out.push('\n');
    }
    if let Some(a) = &e.adjustments {
        // dimensions -> total before adjustments -> bonus -> deductions -> floor and ceiling.
        let mut line = format!("\n总分 (total): {} before adjustments", f(a.before));
        for d in e.dimensions.iter().filter(|d| d.effect.is_some()) {
            let sign = if d.effect == Some("add") { '+' } else { '-' };
            line.push_str(&format!(" {sign} {} {}", f(d.score), short_label(&d.label)));
        }
        line.push_str(&format!(" = {}", f(a.adjusted)));
        match a.held_at {
            Some("floor") => line.push_str(&format!(", held at the floor {}", fmt_num(a.floor))),
            Some(_) => line.push_str(&format!(
                ", held at the ceiling {}",
                a.ceiling.map(fmt_num).unwrap_or_default()
            )),
            None => {}
        }
        line.push_str(&format!(" -> total {}\n", f(e.total)));
        out.push_str(&line);
    }
    let conditions: Vec<_> = e.gates.iter().filter(|g| g.require).collect();
    if !conditions.is_empty() {
        out.push_str(if scored { "\n" } else { "" });
        out.push_str("条件 (conditions, all must hold)\n");
        for g in conditions {
            let state = if g.fired { "NOT MET" } else { "met" };
            out.push_str(&format!(
                "  {} {} — {state}: {}\n",
                g.id,
                short_label(&g.label),
                g.condition
            ));
        }
    }
    if e.gates.iter().any(|g| !g.require) {
        out.push_str("\n否决与封顶 (gates)\n");
        for g in e.gates.iter().filter(|g| !g.require) {
            let state = if !g.enabled {
                "off"
            } else if g.fired {
                "FIRED"
            } else {
                "not fired"
            };
            out.push_str(&format!(
                "  {} {} — {state}: {}\n",
                g.id,
                short_label(&g.label),
                g.condition
            ));
            if g.fired {
                out.push_str(&format!("      effect: {}; {}\n", g.effect, g.message));
            }
        }
    }
    if let Some(g) = &e.grade {
        // The band the total falls in, then any cap (a gate or a cascade) that lowered it.
        match &g.capped_from {
            Some(from) => out.push_str(&format!(
                "\n等次 (grade): total {} is in {from}; capped at {}\n",
                f(e.total),
                g.label
            )),
            None => out.push_str(&format!(
                "\n等次 (grade): total {} is in {} → {}\n",
                f(e.total),
                g.band,
                g.label
            )),
        }
    }
    out.push_str("\n结果 (outcome rules, in order)\n");
    for (n, r) in e.outcome.rules.iter().enumerate() {
        let mark = if r.matched { "→" } else { " " };
        out.push_str(&format!("  {mark} {}. {}: {}\n", n + 1, r.id, r.why));
    }
    if let Some(u) = &e.unit {
        if e.kind == primary.name {
            out.push_str("\n排名 (rank and population rules)\n");
        } else {
            out.push_str("\n单位 (unit)\n");
        }
        if let Some(rank) = u.rank {
            out.push_str(&format!(
                "  rank {} by {}\n",
                rank,
                u.rank_keys.join(", then ")
            ));
        }
        if u.award > 0 {
            out.push_str(&format!("  award: {} yuan\n", u.award));
        }
        for a in &u.aggregates {
            let covered: Vec<&str> = a.covered.iter().map(String::as_str).collect();
            let filter = if a.filter.is_empty() {
                String::new()
            } else {
                format!(" where {}", a.filter.join(" and "))
            };
            // `share of villages where …` or `mean of total`, over the villages it covers.
            let what = if a.of.is_empty() {
                format!("{} of {}", a.function, a.over.1)
            } else {
                format!("{} of `{}`", a.function, a.of)
            };
            out.push_str(&format!(
                "  {}: {what}{filter}, over {} {} ({}) = {}\n",
                a.indicator,
                covered.len(),
                if covered.len() == 1 {
                    &a.over.0
                } else {
                    &a.over.1
                },
                shown_ids(&covered),
                fmt_num(a.value)
            ));
        }
        for n in &u.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
    }
    if e.outcome.id != e.outcome.best {
        out.push_str("\n怎样才能通过 (what would change the outcome)\n");
        for v in &e.vetoes {
            out.push_str(&format!("  {v}\n"));
        }
        // One target is said as it always was; several (a failed entity that could pass or
        // be commended) each under its own heading, the nearest first.
        let said = |t: &&crate::explain::TargetTrace| {
            !(t.counterfactuals.is_empty() && t.shortfalls.is_empty())
        };
        let headed = e.targets.iter().filter(said).count() > 1;
        let pad = if headed { "    " } else { "  " };
        for t in &e.targets {
            if headed && said(&t) {
                out.push_str(&format!(
                    "  to reach {} ({}):\n",
                    t.outcome,
                    short_label(&t.label)
                ));
            }
            for c in &t.counterfactuals {
                out.push_str(&format!("{pad}{}\n", suggestion(c, &f)));
            }
            for s in &t.shortfalls {
                out.push_str(&format!("{pad}no single change suffices: {s}\n"));
            }
        }
        // What no target holds: a unit sent to its villages, with nothing of its own to change.
        for s in e
            .shortfalls
            .iter()
            .filter(|s| !e.targets.iter().any(|t| t.shortfalls.contains(s)))
        {
            out.push_str(&format!("  {s}\n"));
        }
        for r in &e.routes {
            out.push_str(&format!("  {r}\n"));
        }
        if e.vetoes.is_empty()
            && e.counterfactuals.is_empty()
            && e.shortfalls.is_empty()
            && e.routes.is_empty()
        {
            out.push_str("  no single input change reaches the best outcome\n");
        }
    }
    out
}

/// At most twelve ids, the rest counted: a town's hundreds of households stay one line (the
/// JSON lists them all).
fn shown_ids(ids: &[&str]) -> String {
    const SHOWN: usize = 12;
    match ids.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!(
            "{}, … and {more} more",
            ids.get(..SHOWN).unwrap_or(ids).join(", ")
        ),
        _ => ids.join(", "),
    }
}
