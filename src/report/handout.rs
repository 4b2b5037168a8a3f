//! What `compare` prints and writes: the scenarios, their counts side by side, every change
//! with its reason and every award that moved, as a terminal or Markdown table, JSON, CSV, and
//! with `--out` a handout for a meeting (`compare.xlsx`, `compare.html`, `compare.json`,
//! `changes.csv`). Every output of a comparison carries the what-if mark: its columns are
//! what-ifs, not results.

use super::html::escape;
use super::short_label;
use super::table::{cells, Flavor};
use super::xlsx::Cell;
use crate::compare::{AwardChange, Change, Evaluated};
use crate::report::summary::{grade_counts, outcome_counts};
use serde_json::json;
use std::io::{self, Write};
use tabled::builder::Builder;
use tabled::settings::Style;

/// How the scenario list describes the column of `--set` and `--gate` flags.
pub const FLAGS_LABEL: &str = "命令行设定 (set on the command line)";

/// A run reduced to what `compare` shows of it besides its changes: its name, and per kind
/// (the primary first) its outcome and grade counts and its fund.
pub struct Summary {
    pub name: String,
    pub label: String,
    /// The column's heading when it is not `S1`, `S2`, …: the `--set` flags.
    pub heading: Option<String>,
    /// Whether the column is that of the `--set` and `--gate` flags.
    pub flags: bool,
    pub kinds: Vec<KindCounts>,
    /// Per unit kind with a fund: its name, budget, amount paid and recipients.
    pub funds: Vec<(String, serde_json::Value)>,
}

/// One kind's counts in one run.
pub struct KindCounts {
    pub name: String,
    pub label: String,
    /// (id, label, count), in rule order.
    pub outcomes: Vec<(String, String, usize)>,
    pub grades: Vec<(String, String, usize)>,
}

impl Summary {
    /// The counts of an evaluation, for the kinds `keep` accepts.
    pub fn of(e: &Evaluated, keep: &dyn Fn(&str) -> bool) -> Summary {
        Summary {
            name: e.name.clone(),
            label: e.label.clone(),
            heading: None,
            flags: false,
            kinds: e
                .views()
                .iter()
                .filter(|v| keep(&v.kind.name))
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
                    let name = e.rules.units.get(u.kind)?.name.clone();
                    keep(&name).then(|| {
                        (
                            name,
                            json!({"budget": f.budget, "paid": f.paid, "recipients": f.recipients}),
                        )
                    })
                })
                .collect(),
        }
    }

    /// The summary as `compare --format json` lists it.
    pub fn json(&self) -> serde_json::Value {
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

    /// The column heading of run `i`: `baseline`, `S1`, … or the flags it sets.
    fn column(&self, i: usize) -> String {
        match &self.heading {
            _ if i == 0 => "baseline".to_string(),
            Some(h) => h.clone(),
            None => format!("S{i}"),
        }
    }

    /// The line naming run `i` in the list of scenarios.
    fn line(&self, i: usize) -> String {
        match &self.heading {
            _ if i == 0 => format!("baseline: {}", self.label),
            // A column of `--set` flags is named by what they set, which is its label too.
            Some(h) => format!("{h}: {FLAGS_LABEL}"),
            None if self.flags => format!("S{i} {}: {FLAGS_LABEL}", self.name),
            None => format!("S{i} {}: {}", self.name, self.label),
        }
    }
}

/// A comparison, ready to print or write.
pub struct Handout<'a> {
    /// The baseline first, then each scenario.
    pub runs: &'a [Summary],
    pub changes: &'a [Change],
    pub awards: &'a [AwardChange],
    /// Scenarios of the folder left out because they could not be read or applied.
    pub left_out: &'a [String],
}

/// The line that says which drafts are missing from a comparison.
fn left_out_line(h: &Handout) -> Option<String> {
    (!h.left_out.is_empty()).then(|| {
        format!(
            "未纳入比较 (left out, not valid): {}",
            h.left_out.join(", ")
        )
    })
}

/// `a → b`, or `a` when they are the same.
fn arrow(a: &str, b: &str) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a} → {b}")
    }
}

fn total_text(c: &Change) -> String {
    if c.from.total == c.to.total {
        format!("{:.2}", c.to.total)
    } else {
        format!("{:.2} → {:.2}", c.from.total, c.to.total)
    }
}

/// The leading phrase of a label: `验收合格，工作队撤离 (passed; …)` → `验收合格`.
fn brief(label: &str) -> &str {
    let s = short_label(label);
    s.split(['，', ',', ';', '；']).next().unwrap_or(s)
}

/// The names of a change's linked units and categories, `齐山镇 · 市地税局`: the values of its
/// name columns (`town_name`, `dept_name`, `village_type_label`), in file order.
fn names_of(c: &Change) -> String {
    c.columns
        .iter()
        .filter(|(k, v)| (k.ends_with("_name") || k.ends_with("_label")) && !v.is_empty())
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The count of run `e`'s kind `k` (by name) for outcome or grade `id`.
fn count(
    e: &Summary,
    kind: &str,
    pick: fn(&KindCounts) -> &Vec<(String, String, usize)>,
    id: &str,
) -> usize {
    e.kinds
        .iter()
        .find(|k| k.name == kind)
        .and_then(|kc| pick(kc).iter().find(|(x, _, _)| x == id))
        .map_or(0, |x| x.2)
}

/// The flips of run `name` in kind `kind`: (out, in).
fn flips(changes: &[Change], name: &str, kind: &str) -> (usize, usize) {
    let of = |f: crate::compare::Flip| {
        changes
            .iter()
            .filter(|c| c.scenario == name && c.kind == kind && c.flip == Some(f))
            .count()
    };
    (of(crate::compare::Flip::Out), of(crate::compare::Flip::In))
}

/// Per kind: the rows of its counts table, the first the heading. Under the outcome and
/// grade counts, how many left and reached the passing outcomes: a swap shows there even
/// when the counts stay equal.
fn count_tables(h: &Handout) -> Vec<(String, Vec<Vec<String>>)> {
    let Some(base) = h.runs.first() else {
        return Vec::new();
    };
    base.kinds
        .iter()
        .map(|bk| {
            let mut head = vec![short_label(&bk.label).to_string()];
            head.extend(h.runs.iter().enumerate().map(|(i, e)| e.column(i)));
            let mut rows = vec![head];
            for (id, label, _) in &bk.outcomes {
                let mut row = vec![format!("{id} {}", brief(label))];
                row.extend(
                    h.runs
                        .iter()
                        .map(|e| count(e, &bk.name, |kc| &kc.outcomes, id).to_string()),
                );
                rows.push(row);
            }
            for (id, label, _) in &bk.grades {
                let mut row = vec![format!("  {id} {}", short_label(label))];
                row.extend(
                    h.runs
                        .iter()
                        .map(|e| count(e, &bk.name, |kc| &kc.grades, id).to_string()),
                );
                rows.push(row);
            }
            for (which, words) in [(0, "出 out: passing → not"), (1, "入 in: not → passing")]
            {
                let mut row = vec![words.to_string(), "-".to_string()];
                row.extend(h.runs.iter().skip(1).map(|e| {
                    let (o, i) = flips(h.changes, &e.name, &bk.name);
                    if which == 0 { o } else { i }.to_string()
                }));
                rows.push(row);
            }
            (bk.name.clone(), rows)
        })
        .collect()
}

const CHANGE_HEAD: [&str; 9] = [
    "scenario", "kind", "id", "name", "of", "flip", "outcome", "grade", "total",
];

/// How a change names its scenario: by name, or as `S1` for a column of flags too long to
/// head a column (named in full in the list of scenarios).
fn scenario_of(runs: &[Summary], c: &Change) -> String {
    scenario_named(runs, &c.scenario)
}

/// [`scenario_of`] for a scenario's name: the tables people read (the terminal, the workbook,
/// the page) name a run alike; `changes.csv` and the JSON keep the full name for programs.
fn scenario_named(runs: &[Summary], name: &str) -> String {
    runs.iter()
        .enumerate()
        .find(|(_, e)| e.name == name)
        .filter(|(_, e)| e.flags && e.heading.is_none())
        .map_or_else(|| name.to_string(), |(i, _)| format!("S{i}"))
}

fn change_row(runs: &[Summary], c: &Change) -> Vec<String> {
    vec![
        scenario_of(runs, c),
        c.kind.clone(),
        c.entity.clone(),
        c.label.clone(),
        names_of(c),
        c.flip.map_or("", crate::compare::Flip::words).to_string(),
        arrow(&c.from.outcome, &c.to.outcome),
        arrow(&c.from.grade, &c.to.grade),
        total_text(c),
        c.reason.clone(),
    ]
}

/// The tables as a terminal or Markdown document.
/// The changes and award changes a printed comparison lists; `--format csv`, `--format json`
/// and `--out` hold every one.
pub const PRINTED_CHANGES: usize = 1_000;

/// The line under a list cut at [`PRINTED_CHANGES`].
fn more_line(all: usize) -> Option<String> {
    (all > PRINTED_CHANGES).then(|| {
        format!(
            "… 另有 {} 项，全部见 `--format csv`、`--format json` 或 `--out DIR` ({} more; `--format csv`, `--format json` and `--out DIR` list every one)\n",
            all - PRINTED_CHANGES,
            all - PRINTED_CHANGES
        )
    })
}

/// The note under a list of the page cut at [`PRINTED_CHANGES`].
fn page_more(all: usize) -> String {
    if all <= PRINTED_CHANGES {
        return String::new();
    }
    format!(
        "<p class=\"note\">此处列出前 {PRINTED_CHANGES} 项；全部 {all} 项见 changes.csv 与 compare.xlsx (the first {PRINTED_CHANGES} are listed; all {all} are in changes.csv and compare.xlsx).</p>\n"
    )
}

pub fn text(h: &Handout, flavor: Flavor) -> String {
    let style = |b: Builder| {
        let mut t = b.build();
        match flavor {
            Flavor::Terminal => t.with(Style::psql()),
            Flavor::Markdown => t.with(Style::markdown()),
        };
        t.to_string()
    };
    let heading = |s: &str| match flavor {
        Flavor::Terminal => format!("{s}\n"),
        Flavor::Markdown => format!("## {s}\n\n"),
    };
    let mut out = String::new();
    if h.runs.is_empty() {
        return out;
    }
    if flavor == Flavor::Markdown {
        out.push_str(&format!("> {}\n\n", crate::scenario::WHAT_IF_MARK));
    }
    out.push_str(&heading("情景 (scenarios)"));
    for (i, e) in h.runs.iter().enumerate() {
        match flavor {
            Flavor::Terminal => out.push_str(&format!("  {}\n", e.line(i))),
            Flavor::Markdown => out.push_str(&format!("- {}\n", e.line(i))),
        }
    }
    if let Some(line) = left_out_line(h) {
        match flavor {
            Flavor::Terminal => out.push_str(&format!("  {line}\n")),
            Flavor::Markdown => out.push_str(&format!("- {line}\n")),
        }
    }
    out.push('\n');
    for (_, rows) in count_tables(h) {
        let mut b = Builder::default();
        for r in rows {
            b.push_record(cells(r));
        }
        out.push_str(&style(b));
        out.push_str("\n\n");
    }
    out.push_str(&heading(&format!("变化 (changes): {}", h.changes.len())));
    if !h.changes.is_empty() {
        let mut b = Builder::default();
        let mut head: Vec<&str> = CHANGE_HEAD.to_vec();
        head.push("reason");
        b.push_record(cells(head));
        for c in h.changes.iter().take(PRINTED_CHANGES) {
            b.push_record(cells(change_row(h.runs, c)));
        }
        out.push_str(&style(b));
        out.push('\n');
        out.push_str(&more_line(h.changes.len()).unwrap_or_default());
    }
    if !h.awards.is_empty() {
        out.push('\n');
        out.push_str(&heading(&format!(
            "奖励变化 (award changes): {}",
            h.awards.len()
        )));
        let mut b = Builder::default();
        b.push_record(cells(["scenario", "kind", "id", "name", "award (yuan)"]));
        for a in h.awards.iter().take(PRINTED_CHANGES) {
            b.push_record(cells([
                scenario_named(h.runs, &a.scenario),
                a.kind.clone(),
                a.entity.clone(),
                a.label.clone(),
                format!("{} → {}", a.from, a.to),
            ]));
        }
        out.push_str(&style(b));
        out.push('\n');
        out.push_str(&more_line(h.awards.len()).unwrap_or_default());
    }
    out
}

/// The document `--format json` prints and `compare.json` holds.
pub fn json(h: &Handout) -> serde_json::Value {
    let scenarios: Vec<serde_json::Value> = h.runs.iter().map(Summary::json).collect();
    let mut doc = json!({
        "what_if": {"mark": crate::scenario::WHAT_IF_MARK},
        "scenarios": scenarios,
        "changes": h.changes,
        "awards": h.awards,
    });
    if !h.left_out.is_empty() {
        if let Some(m) = doc.as_object_mut() {
            m.insert("left_out".into(), json!(h.left_out));
        }
    }
    crate::report::json::with_layout(doc)
}

/// The text columns of every change, in the order they first appear: one CSV column each.
fn change_columns(changes: &[Change]) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for c in changes {
        for k in c.columns.keys() {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    cols
}

/// `changes.csv`: one row per change, with the text columns (and their names) of every kind
/// that changed, empty where a kind has no such column. With a UTF-8 byte-order mark, as the
/// run's files, so that Excel on Chinese Windows reads the names.
pub fn changes_csv(h: &Handout, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(b"\xEF\xBB\xBF")?;
    let cols = change_columns(h.changes);
    let mut c = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = ["scenario", "kind", "id", "label"]
        .map(String::from)
        .to_vec();
    head.extend(cols.iter().cloned());
    head.extend(
        [
            "flip",
            "outcome_from",
            "outcome_to",
            "grade_from",
            "grade_to",
            "total_from",
            "total_to",
            "reason",
        ]
        .map(String::from),
    );
    c.write_record(&head).map_err(io::Error::other)?;
    for ch in h.changes {
        let mut row = vec![
            ch.scenario.clone(),
            ch.kind.clone(),
            ch.entity.clone(),
            ch.label.clone(),
        ];
        row.extend(
            cols.iter()
                .map(|k| ch.columns.get(k).cloned().unwrap_or_default()),
        );
        row.extend([
            match ch.flip {
                Some(crate::compare::Flip::Out) => "out".to_string(),
                Some(crate::compare::Flip::In) => "in".to_string(),
                None => String::new(),
            },
            ch.from.outcome.clone(),
            ch.to.outcome.clone(),
            ch.from.grade.clone(),
            ch.to.grade.clone(),
            format!("{:.2}", ch.from.total),
            format!("{:.2}", ch.to.total),
            ch.reason.clone(),
        ]);
        c.write_record(&row).map_err(io::Error::other)?;
    }
    let bytes = c
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    w.write_all(&bytes)
}

/// `compare.xlsx`: the counts per run and kind, every change with its reason, every award.
pub fn xlsx(h: &Handout) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let text = |s: &str| Cell::Text(s.to_string());
    let mut counts: Vec<Vec<Cell>> = Vec::new();
    for (n, (_, rows)) in count_tables(h).into_iter().enumerate() {
        if n > 0 {
            counts.push(Vec::new());
        }
        for (i, row) in rows.into_iter().enumerate() {
            counts.push(
                row.into_iter()
                    .enumerate()
                    .map(|(j, cell)| match cell.parse::<i64>() {
                        Ok(x) if i > 0 && j > 0 => Cell::Int(x),
                        _ => Cell::Text(cell.trim_start().to_string()),
                    })
                    .collect(),
            );
        }
    }
    let cols = change_columns(h.changes);
    let mut head: Vec<Cell> = ["情景 (scenario)", "类别 (kind)", "编号 (id)", "名称 (name)"]
        .map(text)
        .to_vec();
    head.extend(cols.iter().map(|c| text(c)));
    head.extend(
        [
            "进出 (flip)",
            "原结果 (outcome before)",
            "新结果 (outcome after)",
            "原等次 (grade before)",
            "新等次 (grade after)",
            "原总分 (total before)",
            "新总分 (total after)",
            "原因 (reason)",
        ]
        .map(text),
    );
    let mut changes = vec![head];
    for c in h.changes {
        let mut row = vec![
            text(&scenario_of(h.runs, c)),
            text(&c.kind),
            text(&c.entity),
            text(&c.label),
        ];
        row.extend(
            cols.iter()
                .map(|k| text(c.columns.get(k).map_or("", String::as_str))),
        );
        row.extend([
            text(c.flip.map_or("", crate::compare::Flip::words)),
            text(&c.from.outcome),
            text(&c.to.outcome),
            text(&c.from.grade),
            text(&c.to.grade),
            Cell::Num(c.from.total),
            Cell::Num(c.to.total),
            text(&c.reason),
        ]);
        changes.push(row);
    }
    let mut awards = vec![[
        "情景 (scenario)",
        "类别 (kind)",
        "编号 (id)",
        "名称 (name)",
        "原奖励 (award before, yuan)",
        "新奖励 (award after, yuan)",
    ]
    .map(text)
    .to_vec()];
    for a in h.awards {
        awards.push(vec![
            text(&scenario_named(h.runs, &a.scenario)),
            text(&a.kind),
            text(&a.entity),
            text(&a.label),
            Cell::Int(a.from),
            Cell::Int(a.to),
        ]);
    }
    let mut scenarios = vec![vec![text("列 (column)"), text("情景 (scenario)")]];
    for (i, e) in h.runs.iter().enumerate() {
        scenarios.push(vec![text(&e.column(i)), text(&e.line(i))]);
    }
    if let Some(line) = left_out_line(h) {
        scenarios.push(vec![text(""), text(&line)]);
    }
    super::xlsx::sheets_xlsx(
        &[
            ("计数 (counts)", counts),
            ("变化 (changes)", changes),
            ("奖励变化 (awards)", awards),
            ("情景 (scenarios)", scenarios),
        ],
        2,
        &super::xlsx::Printed {
            title: "情景对比 (comparison)",
            mark: Some(crate::scenario::WHAT_IF_MARK),
        },
    )
}

/// `compare.html`: one self-contained page in the style of `report.html` (no scripts, no
/// network): the scenarios, the counts side by side, the changes and the awards.
pub fn html(h: &Handout, title: &str, w: &mut dyn Write) -> io::Result<()> {
    let mut out = super::html::page_start(title, Some(crate::scenario::WHAT_IF_MARK));
    out.push_str(&format!(
        "<h1>{} <span class=\"en\">scenarios compared</span></h1>\n",
        escape(title)
    ));
    out.push_str(
        "<nav><a href=\"#scenarios\">情景</a><a href=\"#counts\">计数</a>\
         <a href=\"#changes\">变化</a><a href=\"#awards\">奖励变化</a></nav>\n",
    );
    out.push_str(&super::html::h2("scenarios", "情景", "scenarios"));
    out.push_str("<table>\n<tbody>\n");
    for (i, e) in h.runs.iter().enumerate() {
        out.push_str(&format!(
            "<tr><td class=\"k\">{}</td><td>{}</td></tr>\n",
            escape(&e.column(i)),
            escape(e.line(i).split_once(": ").map_or("", |(_, l)| l))
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    if let Some(line) = left_out_line(h) {
        out.push_str(&format!("<p><strong>{}</strong></p>\n", escape(&line)));
    }
    out.push_str(&super::html::h2("counts", "计数", "counts side by side"));
    for (_, rows) in count_tables(h) {
        out.push_str("<table>\n");
        for (i, row) in rows.iter().enumerate() {
            out.push_str("<tr>");
            for (j, cell) in row.iter().enumerate() {
                let class = if j > 0 { " class=\"n\"" } else { "" };
                if i == 0 {
                    out.push_str(&format!("<th{class}>{}</th>", escape(cell)));
                } else {
                    out.push_str(&format!("<td{class}>{}</td>", escape(cell)));
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    out.push_str(&super::html::h2(
        "changes",
        &format!("变化 {}", h.changes.len()),
        "every change, with its reason: leaving the passing outcomes first, then reaching one",
    ));
    if h.changes.is_empty() {
        out.push_str("<p class=\"note\">没有变化 (no changes).</p>\n");
    } else {
        out.push_str("<table class=\"wide\">\n<thead><tr>");
        for c in CHANGE_HEAD.iter().chain(&["reason"]) {
            out.push_str(&format!("<th>{}</th>", escape(c)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for c in h.changes.iter().take(PRINTED_CHANGES) {
            let class = match c.flip {
                Some(crate::compare::Flip::Out) => " class=\"out\"",
                Some(crate::compare::Flip::In) => " class=\"in\"",
                None => "",
            };
            out.push_str(&format!("<tr{class}>"));
            let row = change_row(h.runs, c);
            let last = row.len() - 1;
            for (j, cell) in row.iter().enumerate() {
                let class = match j {
                    2 | 5 | 6 | 7 => " class=\"k\"",
                    8 => " class=\"n\"",
                    _ if j == last => " class=\"why\"",
                    _ => "",
                };
                out.push_str(&format!("<td{class}>{}</td>", escape(cell)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
        out.push_str(&page_more(h.changes.len()));
    }
    out.push_str(&super::html::h2(
        "awards",
        &format!("奖励变化 {}", h.awards.len()),
        "awards that moved, in yuan",
    ));
    if h.awards.is_empty() {
        out.push_str("<p class=\"note\">没有奖励变化 (no award moved).</p>\n");
    } else {
        out.push_str(
            "<table>\n<thead><tr><th>scenario</th><th>kind</th><th>id</th><th>name</th>\
             <th class=\"n\">before</th><th class=\"n\">after</th></tr></thead>\n<tbody>\n",
        );
        for a in h.awards.iter().take(PRINTED_CHANGES) {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"k\">{}</td><td>{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                escape(&scenario_named(h.runs, &a.scenario)),
                escape(&a.kind),
                escape(&a.entity),
                escape(&a.label),
                a.from,
                a.to
            ));
        }
        out.push_str("</tbody>\n</table>\n");
        out.push_str(&page_more(h.awards.len()));
    }
    out.push_str(&format!(
        "<footer>bangfu {} · {}</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(crate::scenario::WHAT_IF_MARK)
    ));
    w.write_all(out.as_bytes())
}
