//! Terminal and Markdown tables. Borders are ASCII (psql style): box-drawing characters are
//! ambiguous-width and misalign in Chinese terminals, while tabled measures CJK text as two
//! columns, so plain borders keep every column straight.

use super::summary::{by_group, grade_counts, outcome_counts, programme_totals, reasons};
use super::{fmt_score, short_label, KindView, RunView};
use rayon::prelude::*;
use std::io::{self, Write};
use tabled::builder::Builder;
use tabled::settings::{object::Columns, Alignment, Style};

/// Table flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Terminal,
    Markdown,
}

fn render(b: Builder, flavor: Flavor, numeric_from: usize) -> String {
    let mut t = b.build();
    match flavor {
        Flavor::Terminal => t.with(Style::psql()),
        Flavor::Markdown => t.with(Style::markdown()),
    };
    t.modify(Columns::new(numeric_from..), Alignment::right());
    t.to_string()
}

fn heading(flavor: Flavor, text: &str) -> String {
    match flavor {
        Flavor::Terminal => format!("{text}\n"),
        Flavor::Markdown => format!("## {text}\n\n"),
    }
}

fn share(c: usize, n: usize) -> String {
    if n == 0 {
        "-".into()
    } else {
        format!("{:.1}%", c as f64 * 100.0 / n as f64)
    }
}

/// A table row with every character that terminals draw one column wide, or two in Chinese
/// terminals (East Asian "ambiguous" width: arrows, the middle dot, dashes, curly quotes),
/// spelt in characters of one width everywhere, so that tables stay aligned in both.
pub fn cells<I, S>(row: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    row.into_iter().map(|c| one_width(c.into())).collect()
}

fn one_width(text: String) -> String {
    // Most cells: ids, numbers, words.
    if text.is_ascii() || !text.chars().any(|c| unambiguous(c).is_some()) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match unambiguous(c) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    out
}

/// The spelling of an ambiguous-width character in tables.
fn unambiguous(c: char) -> Option<&'static str> {
    Some(match c {
        '→' => "->",
        '←' => "<-",
        '▶' | '►' => ">",
        '≥' => ">=",
        '≤' => "<=",
        '×' => "x",
        '±' => "+/-",
        '−' | '–' | '—' => "-",
        '…' => "...",
        '“' | '”' => "\"",
        '‘' | '’' => "'",
        // As in names (阿卜杜·热合曼): the full-width middle dot, two columns everywhere.
        '·' | '•' => "・",
        _ => return None,
    })
}

/// The leading phrase of a label: `验收合格，工作队撤离 (passed; …)` → `验收合格`.
fn brief(label: &str) -> &str {
    let s = short_label(label);
    s.split(['，', ',', ';', '；']).next().unwrap_or(s)
}

/// The run summary: outcomes, grades, breakdowns and programme totals.
pub fn summary(v: &RunView, flavor: Flavor) -> String {
    let p = &v.primary;
    let n = p.frame.len();
    let mut out = String::new();
    let title = format!(
        "{} {} · {}{} · {} {}",
        v.rules.name,
        v.rules.version,
        v.data
            .name
            .as_deref()
            .unwrap_or(&v.data.dir.display().to_string()),
        v.data
            .period
            .as_ref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default(),
        n,
        short_label(&p.kind.label),
    );
    // A what-if must never look like the baseline.
    let title = match &v.scenario {
        Some((name, _)) => format!("{title} · 情景 (scenario) {name}"),
        None => title,
    };
    out.push_str(&match flavor {
        Flavor::Terminal => format!("{title}\n\n"),
        Flavor::Markdown => format!("# {title}\n\n"),
    });
    if let Some(w) = &v.what_if {
        out.push_str(&match flavor {
            Flavor::Terminal => format!("{}\n\n", w.banner()),
            Flavor::Markdown => format!("> **{}**\n\n", w.banner()),
        });
    }

    out.push_str(&heading(flavor, "结果 (outcomes)"));
    let mut b = Builder::default();
    b.push_record(cells(["outcome", "label", "count", "share"]));
    for (id, label, c) in outcome_counts(p) {
        b.push_record(cells([id, label, c.to_string(), share(c, n)]));
    }
    out.push_str(&render(b, flavor, 2));
    out.push_str("\n\n");

    if p.kind.graded() {
        out.push_str(&heading(flavor, "等次 (grades)"));
        let mut b = Builder::default();
        b.push_record(cells(["grade", "label", "range", "count", "share"]));
        for ((id, label, c), g) in grade_counts(p).into_iter().zip(&p.kind.grades) {
            b.push_record(cells([
                id,
                label,
                g.interval.to_string(),
                c.to_string(),
                share(c, n),
            ]));
        }
        out.push_str(&render(b, flavor, 3));
        out.push_str("\n\n");
    }

    for col in &p.kind.group_by {
        let groups = by_group(p, col);
        if groups.is_empty() {
            continue;
        }
        // The column's declared label, else its name.
        let title = p
            .kind
            .column(col)
            .and_then(|c| p.kind.columns.get(c))
            .and_then(|c| c.label.clone())
            .unwrap_or_else(|| col.clone());
        out.push_str(&heading(flavor, &title));
        let mut b = Builder::default();
        let mut head = vec![col.clone(), "count".into()];
        head.extend(p.kind.outcomes.iter().map(|o| o.id.clone()));
        b.push_record(cells(head));
        for (g, counts) in groups {
            let mut row = vec![g, counts.iter().sum::<usize>().to_string()];
            row.extend(counts.iter().map(|c| c.to_string()));
            b.push_record(cells(row));
        }
        out.push_str(&render(b, flavor, 1));
        out.push_str("\n\n");
    }

    out.push_str(&units_summary(v, flavor));
    let totals = programme_totals(v.rules, p);
    if !totals.is_empty() {
        out.push_str(&heading(flavor, "项目合计 (programme totals)"));
        let mut b = Builder::default();
        b.push_record(cells(["item", "total", "unit"]));
        for (_, label, sum, unit) in totals {
            b.push_record(cells([
                label,
                crate::words::fmt_num(sum),
                unit.unwrap_or_default(),
            ]));
        }
        out.push_str(&render(b, flavor, 1));
        out.push_str("\n\n");
    }
    out
}

/// The unit kinds at a glance: outcome counts and funds.
pub fn units_summary(v: &RunView, flavor: Flavor) -> String {
    if v.units.is_empty() {
        return String::new();
    }
    let mut out = heading(flavor, "考核单位 (assessed units)");
    let mut b = Builder::default();
    b.push_record(cells(["kind", "count", "outcomes", "fund (yuan)"]));
    for u in &v.units {
        let outcomes = outcome_counts(u)
            .into_iter()
            .map(|(_, label, c)| format!("{} {c}", brief(&label)))
            .collect::<Vec<_>>()
            .join(", ");
        let fund = u
            .fund()
            .map(|f| format!("{} of {} to {}", f.paid, f.budget, f.recipients))
            .unwrap_or_default();
        b.push_record(cells([
            u.kind.label.clone(),
            u.frame.len().to_string(),
            outcomes,
            fund,
        ]));
    }
    out.push_str(&render(b, flavor, 1));
    out.push_str("\n\n");
    out
}

/// One row per entity: dimension scores, total, grade, outcome and the reason it missed.
/// The table of one kind's entities, written as it is laid out (a long table a few pages at a
/// time: a closed pipe stops it early).
pub fn write_entities(
    w: &mut dyn Write,
    v: &RunView,
    k: &KindView,
    flavor: Flavor,
) -> io::Result<()> {
    let prec = v.rules.precision;
    w.write_all(heading(flavor, &format!("{}: {}", k.kind.label, k.frame.len())).as_bytes())?;
    let mut head: Vec<String> = vec!["id".into(), "name".into()];
    let scored_dims = k.scored_dims();
    let adjusted = k.kind.has_adjustments();
    head.extend(k.kind.dims.iter().take(scored_dims).map(super::dim_heading));
    if adjusted {
        head.push("subtotal".into());
        head.extend(k.kind.dims.iter().skip(scored_dims).map(super::dim_heading));
    }
    // A kind decided by conditions alone has no total; one without grades, no grade.
    let (scored, graded) = (k.kind.scored(), k.kind.graded());
    if scored {
        head.push("total".into());
    }
    if graded {
        head.push("grade".into());
    }
    let unit = k.unit.is_some();
    let ranked = k.ranked();
    let funded = k.kind.fund.is_some();
    if ranked {
        head.push("rank".into());
    }
    head.push("outcome".into());
    if funded {
        head.push("award".into());
    }
    head.push(if unit { "notes" } else { "reason" }.into());
    let row = |r: usize| {
        let mut row: Vec<String> = vec![k.frame.id(r).into(), k.frame.label(r).into()];
        let dims = k.result.dims_of(r);
        let cell =
            |(d, x): (&crate::rules::model::Dimension, &f64)| super::fmt_dim_score(d, *x, prec);
        row.extend(
            k.kind
                .dims
                .iter()
                .zip(dims.iter())
                .take(scored_dims)
                .map(cell),
        );
        if let Some(base) = k.base_total(r, prec) {
            row.push(fmt_score(base, prec));
            row.extend(
                k.kind
                    .dims
                    .iter()
                    .zip(dims.iter())
                    .skip(scored_dims)
                    .map(cell),
            );
        }
        if scored {
            row.push(fmt_score(
                k.result.total.get(r).copied().unwrap_or(0.0),
                prec,
            ));
        }
        if graded {
            row.push(short_label(k.grade_label(r)).to_string());
        }
        if ranked {
            row.push(k.rank(r).map(|x| x.to_string()).unwrap_or_default());
        }
        row.push(brief(k.outcome_label(r)).to_string());
        if funded {
            row.push(k.award(r).to_string());
        }
        let mut why = reasons(v.rules, k, r);
        for n in k.notes(r) {
            if !why.is_empty() {
                why.push_str("; ");
            }
            why.push_str(n);
        }
        row.push(why);
        row
    };
    let d = k.kind.dims.len() + usize::from(adjusted) + usize::from(scored);
    paged(w, &head, k.frame.len(), row, 2..2 + d, flavor, PAGE)?;
    w.write_all(b"\n")
}

/// Rows of a long table are laid out a page at a time.
const PAGE: usize = 2048;

/// A table of `head` and rows `0..n` (each made by `row`), columns `right` aligned right. A
/// table longer than `page` rows is laid out a page at a time, each cell first padded to its
/// column's width over the whole table: the text is the same as one table of every row would
/// give, without holding every row's layout at once.
fn paged(
    w: &mut dyn Write,
    head: &[String],
    n: usize,
    row: impl Fn(usize) -> Vec<String> + Sync,
    right: std::ops::Range<usize>,
    flavor: Flavor,
    page: usize,
) -> io::Result<()> {
    // Measured as shown.
    let row = |r: usize| cells(row(r));
    let head = &cells(head.to_vec())[..];
    let style = |b: Builder| {
        let mut t = b.build();
        match flavor {
            Flavor::Terminal => t.with(Style::psql()),
            Flavor::Markdown => t.with(Style::markdown()),
        };
        t.modify(Columns::new(right.clone()), Alignment::right());
        t.to_string()
    };
    let mut b = Builder::default();
    b.push_record(head.to_vec());
    if n <= page {
        for r in 0..n {
            b.push_record(row(r));
        }
        return w.write_all(style(b).as_bytes());
    }
    let widest = |a: Vec<usize>, b: Vec<usize>| a.iter().zip(&b).map(|(x, y)| *x.max(y)).collect();
    let widths: Vec<usize> = (0..n)
        .into_par_iter()
        .map(|r| row(r).iter().map(|c| text_width(c)).collect::<Vec<usize>>())
        .reduce(|| head.iter().map(|c| text_width(c)).collect(), widest);
    let pad = |cells: Vec<String>| -> Vec<String> {
        cells
            .into_iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (text, &w))| padded(&text, w, right.contains(&c)))
            .collect()
    };
    let head = pad(head.to_vec());
    // The header and the rule under it, which later pages leave out.
    let head_lines = head
        .iter()
        .map(|c| c.split('\n').count())
        .max()
        .unwrap_or(1)
        + 1;
    let starts: Vec<usize> = (0..n).step_by(page).collect();
    // A few pages per thread laid out at once, then written.
    let window = rayon::current_num_threads().max(1) * 2;
    for starts in starts.chunks(window) {
        let pages: Vec<String> = starts
            .par_iter()
            .map(|&start| {
                let mut b = Builder::default();
                b.push_record(head.clone());
                for r in start..(start + page).min(n) {
                    b.push_record(pad(row(r)));
                }
                let text = style(b);
                if start == 0 {
                    return text;
                }
                let mut rest = String::with_capacity(text.len());
                for line in text.split('\n').skip(head_lines) {
                    rest.push('\n');
                    rest.push_str(line);
                }
                rest
            })
            .collect();
        for p in pages {
            w.write_all(p.as_bytes())?;
        }
    }
    Ok(())
}

/// The width of a cell as tables measure it: its widest line, in terminal columns.
fn text_width(text: &str) -> usize {
    // Printable ASCII (most cells: ids, numbers, reasons) takes a column a byte.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.len();
    }
    tabled::grid::util::string::get_text_dimension(text).1
}

/// Every line of `text` padded with spaces to `width` columns. A cell's lines stay aligned
/// on the left within the cell, and the cell as a whole moves right when `right`, as tables
/// align a cell of several lines.
fn padded(text: &str, width: usize, right: bool) -> String {
    let block = text_width(text);
    let lead = if right {
        " ".repeat(width.saturating_sub(block))
    } else {
        String::new()
    };
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let used = lead.len() + text_width(line);
            format!("{lead}{line}{}", " ".repeat(width.saturating_sub(used)))
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::{cells, paged, Flavor};
    use proptest::prelude::*;

    #[test]
    fn cells_spell_ambiguous_width_characters_in_one_width() {
        assert_eq!(
            cells(["pass → good", "阿卜杜·热合曼", "“好”—…", "V01"]),
            ["pass -> good", "阿卜杜・热合曼", "\"好\"-...", "V01"]
        );
    }

    proptest! {
        /// A long table laid out a page at a time reads exactly as one table of every row:
        /// Chinese text, empty and multi-line cells, left and right alignment, both flavours.
        #[test]
        fn pages_read_as_one_table(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z0-9 ]{0,6}|[甲乙丙村部门]{0,4}|[a-z]{1,3}\n[甲乙]{0,3}|[a\t ]{0,3}\n\n[b]?", 4),
                0..40,
            ),
            page in 1usize..8,
            markdown: bool,
        ) {
            let head: Vec<String> = ["id", "名称", "total", "reason"].map(String::from).to_vec();
            let flavor = if markdown { Flavor::Markdown } else { Flavor::Terminal };
            let row = |r: usize| rows.get(r).cloned().unwrap_or_default();
            let text = |page: usize| {
                let mut out = Vec::new();
                paged(&mut out, &head, rows.len(), row, 2..3, flavor, page).map(|()| out).ok()
            };
            let whole = text(usize::MAX);
            prop_assert!(whole.is_some());
            prop_assert_eq!(text(page), whole);
        }
    }
}
