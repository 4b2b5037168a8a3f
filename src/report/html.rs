//! `report.html`: one self-contained page (inline SVG charts, no scripts, no network) with the
//! programme totals, outcomes by village type and town, the distribution of totals against the
//! pass line, the dimension profile of continuing villages, unit rankings and awards, and the
//! continuing villages with their main shortfall.
//!
//! Every section is built by its own function as a string of HTML; every chart is drawn by a
//! small builder from plain numbers, so the charts can be tested without a run.

use super::summary::{by_group, grade_counts, outcome_counts, programme_totals, reasons};
use super::xlsx::Cell;
use super::{fmt_score, short_label, KindView, RunView};
use crate::rules::model::{Condition, Kind, Link, Op, Operand, Var};
use crate::words::{fmt_num, thousands};
use std::io::{self, Write};

/// Width of one bin of the histogram of totals, in points.
const BIN_WIDTH: f64 = 5.0;

/// The report summarises at any scale: past these counts a list shows its head (and a
/// ranking its bottom), and a note names the files that hold every row.
/// The units of a kind listed in full up to this many; beyond, the top and the bottom.
pub const UNIT_ROWS: usize = 1_000;
/// Of a longer ranking: its first places, and its last.
pub const UNIT_TOP: usize = 100;
pub const UNIT_BOTTOM: usize = 20;
/// The entities that did not pass, listed up to this many.
pub const CONTINUING_ROWS: usize = 500;
/// The groups of a `group_by` column drawn, the largest first past this many.
pub const GROUPS_SHOWN: usize = 40;
/// Width of every chart, in SVG user units (pixels at 100%).
const CHART_W: f64 = 940.0;

/// Write the whole report.
pub fn write_report(v: &RunView, w: &mut dyn Write) -> io::Result<()> {
    let sections = [
        patterns(),
        title_section(v),
        contents(v),
        totals_section(v),
        outcomes_section(v),
        groups_section(v),
        // A kind decided by conditions alone has no totals to chart.
        if v.primary.kind.scored() {
            distribution_section(v)
        } else {
            String::new()
        },
        if v.primary.kind.scored() {
            profile_section(v)
        } else {
            String::new()
        },
        units_section(v),
        continuing_section(v),
        footer(v),
        // The notice last, on pages of its own, to be printed and posted by itself.
        notice_section(v),
    ];
    w.write_all(page_head(v).as_bytes())?;
    for s in &sections {
        w.write_all(s.as_bytes())?;
    }
    w.write_all(b"</main>\n</body>\n</html>\n")
}

/// Escape text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

// ── page frame ─────────────────────────────────────────────────────────────────────────────

const CSS: &str = r#"
tr.more td { text-align: center; color: #66727f; font-style: italic; }
:root { --ink: #1f2933; --muted: #66727f; --line: #dde2e7; --head: #f1f3f5; --accent: #2b8a3e; }
* { box-sizing: border-box; }
body { margin: 0; background: #eef1f4; color: var(--ink);
  font: 14px/1.55 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
    "WenQuanYi Zen Hei", "Hiragino Sans GB", sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 28px 30px 48px; background: #fff; }
h1 { font-size: 24px; line-height: 1.35; margin: 0 0 6px; }
h2 { font-size: 19px; margin: 34px 0 12px; padding-bottom: 5px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 15px; margin: 20px 0 6px; }
.en { color: var(--muted); font-weight: normal; font-size: 0.85em; }
h1 .en { white-space: nowrap; }
.meta { color: var(--muted); margin: 2px 0; }
.note { color: var(--muted); font-size: 13px; margin: 4px 0 8px; }
nav { margin: 14px 0 0; font-size: 13px; }
nav a { color: var(--accent); text-decoration: none; margin-right: 14px; white-space: nowrap; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 6px 0 10px;
  font-size: 13px; line-height: 1.45; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.id, td.k { white-space: nowrap; }
table.wide { width: 100%; }
table.wide th { white-space: normal; }
td.why { min-width: 260px; }
tr.award td { background: #fff6d6; }
tr.out td { background: #fff0f0; }
tr.in td { background: #ebfbee; }
.ok { color: #2b8a3e; }
.no { color: #c92a2a; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 4px 0 10px; font-size: 13px; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
  vertical-align: -1px; }
svg.sw { display: inline-block; margin: 0 6px 0 0; border-radius: 0; }
svg.defs { position: absolute; width: 0; height: 0; margin: 0; }
.sw.line { height: 0; border-top: 2px dashed #c92a2a; border-radius: 0; vertical-align: 3px; }
.sw.min { height: 0; border-top: 2px dashed #343a40; border-radius: 0; vertical-align: 3px; }
svg { display: block; max-width: 100%; height: auto; margin: 4px 0 8px; }
svg text { font-size: 12px; fill: #1f2933; }
svg text.small { font-size: 11px; fill: #66727f; }
svg text.small, svg text.halo { paint-order: stroke; stroke: #fff; stroke-width: 3px;
  stroke-linejoin: round; }
svg text.in { font-size: 11px; }
svg .grid { stroke: #e9ecef; }
svg .axis { stroke: #adb5bd; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  padding-top: 8px; word-break: break-all; }
@page { size: A4; margin: 14mm 12mm 16mm;
  @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 10px;
    color: #66727f; } }
.notice-title { text-align: center; font-size: 22px; border: 0; }
.notice .sign { text-align: right; margin-top: 24px; line-height: 2; }
@media print {
  body { background: #fff; }
  /* The public notice starts on a page of its own and ends its last. */
  .notice { break-before: page; }
  main { padding: 0; max-width: none; }
  nav { display: none; }
  /* A heading, and the note or legend under it, stay with what they introduce. */
  h2, h3, .note, .legend { break-after: avoid; }
  tr, svg, .legend, .keep { break-inside: avoid; }
  thead { display: table-header-group; }
  svg, .sw, tr.award td, tr.out td, tr.in td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// What a what-if's report adds: a banner above the title, and a watermark fixed to the
/// page, which browsers repeat on every printed page. The baseline's report has neither.
const WHAT_IF_CSS: &str = r#"
.what-if { margin: 0 0 16px; padding: 8px 12px; border: 2px solid #c92a2a; background: #fff5f5;
  color: #c92a2a; font-weight: 600; font-size: 15px; }
.watermark { position: fixed; top: 50%; left: 50%; transform: translate(-50%, -50%) rotate(-30deg);
  font-size: 72px; font-weight: 700; color: rgba(201, 42, 42, 0.10); white-space: nowrap;
  pointer-events: none; z-index: 10; }
@media print {
  .what-if, .watermark { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .watermark { color: rgba(201, 42, 42, 0.16); }
}
"#;

/// The start of a page of another output (`compare.html`) in this report's style, up to
/// `<main>`: with `mark`, the banner and the printed watermark of a what-if.
pub(crate) fn page_start(title: &str, mark: Option<&str>) -> String {
    let title = escape(title);
    let Some(mark) = mark else {
        return format!(
            "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"bangfu {}\">\n<title>{title}</title>\n<style>{CSS}</style>\n\
             </head>\n<body>\n<main>\n",
            env!("CARGO_PKG_VERSION"),
        );
    };
    let mark = escape(mark);
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"bangfu {}\">\n<title>{mark} · {title}</title>\n\
         <style>{CSS}</style>\n<style>{WHAT_IF_CSS}</style>\n</head>\n<body>\n\
         <div class=\"watermark\" aria-hidden=\"true\">{mark}</div>\n<main>\n\
         <div class=\"what-if\" role=\"note\">{mark}</div>\n",
        env!("CARGO_PKG_VERSION"),
    )
}

fn page_head(v: &RunView) -> String {
    let title = escape(&format!("{} {}", v.rules.name, v.rules.version));
    let Some(w) = &v.what_if else {
        return format!(
            "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"bangfu {}\">\n<title>{title}</title>\n<style>{CSS}</style>\n\
             </head>\n<body>\n<main>\n",
            env!("CARGO_PKG_VERSION"),
        );
    };
    let mark = escape(crate::scenario::WHAT_IF_MARK);
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"bangfu {}\">\n<title>{mark} · {title}</title>\n\
         <style>{CSS}</style>\n<style>{WHAT_IF_CSS}</style>\n</head>\n<body>\n\
         <div class=\"watermark\" aria-hidden=\"true\">{mark}</div>\n<main>\n\
         <div class=\"what-if\" role=\"note\">{}</div>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&w.banner()),
    )
}

/// A section heading: the Chinese words, then the English in a lighter style.
pub(crate) fn h2(id: &str, zh: &str, en: &str) -> String {
    format!(
        "<h2 id=\"{}\">{} <span class=\"en\">{}</span></h2>\n",
        escape(id),
        escape(zh),
        escape(en)
    )
}

/// `(anchor, Chinese, English)` of every section after the title, in the primary kind's
/// words. The village kind keeps the headings written for it (its group columns are village
/// type and town, and a village that does not pass continues to be helped).
fn sections(p: &Kind) -> Vec<(&'static str, String, String)> {
    let (groups, continuing) = if p.name == "village" {
        (
            (
                "分类型、分镇街区结果".to_string(),
                "Outcomes by village type and town".to_string(),
            ),
            (
                "继续帮扶的村".to_string(),
                "Villages that continue".to_string(),
            ),
        )
    } else {
        let many = p.nouns();
        let mut title = many.chars();
        let many_title: String = title
            .next()
            .map(|c| c.to_uppercase().chain(title).collect())
            .unwrap_or_default();
        (
            ("分组结果".to_string(), "Outcomes by group".to_string()),
            (
                format!("未达到通过结果的{}", p.zh_noun()),
                format!("{many_title} short of a passing outcome"),
            ),
        )
    };
    let fixed = |a: &'static str, zh: &str, en: &str| (a, zh.to_string(), en.to_string());
    let scored = p.scored();
    [
        fixed("totals", "项目合计", "Programme totals"),
        fixed("outcomes", "验收结果与等次", "Outcomes and grades"),
        ("groups", groups.0, groups.1),
        fixed("distribution", "总分分布", "Distribution of totals"),
        fixed("profile", "各项得分画像", "Dimension profile"),
        fixed(
            "units",
            "考核单位",
            "Assessed units: outcomes, ranks and awards",
        ),
        ("continuing", continuing.0, continuing.1),
        fixed("notice", "公示名单", "Public notice"),
    ]
    .into_iter()
    .filter(|(a, _, _)| scored || !matches!(*a, "distribution" | "profile"))
    .collect()
}

fn section_head(v: &RunView, anchor: &str) -> String {
    sections(v.primary.kind)
        .iter()
        .find(|(a, _, _)| *a == anchor)
        .map(|(a, zh, en)| h2(a, zh, en))
        .unwrap_or_default()
}

fn contents(v: &RunView) -> String {
    let links: String = sections(v.primary.kind)
        .iter()
        .map(|(a, zh, en)| format!("<a href=\"#{a}\">{} ({})</a>", escape(zh), escape(en)))
        .collect();
    format!("<nav>{links}</nav>\n")
}

fn title_section(v: &RunView) -> String {
    let p = &v.primary;
    let data_name = v
        .data
        .name
        .clone()
        .unwrap_or_else(|| v.data.dir.display().to_string());
    let mut facts = vec![format!("数据 (data) {data_name}")];
    if let Some(period) = v.data.period.as_ref().or(v.rules.period.as_ref()) {
        facts.push(format!("期间 (period) {period}"));
    }
    facts.push(format!("{} {}", p.frame.len(), short_label(&p.kind.label)));
    if let Some((name, _)) = &v.scenario {
        facts.push(format!("情景 (scenario) {name}"));
    }
    let facts: Vec<String> = facts.iter().map(|f| escape(f)).collect();
    format!(
        "<header>\n<h1>{} <span class=\"en\">版本 (version) {}</span></h1>\n<p class=\"meta\">{}</p>\n</header>\n",
        escape(&v.rules.name),
        escape(&v.rules.version),
        facts.join(" · ")
    )
}

fn footer(v: &RunView) -> String {
    let mut parts = vec![format!(
        "由 bangfu {} 生成 (generated by bangfu)",
        env!("CARGO_PKG_VERSION")
    )];
    if !v.rules.sha256.is_empty() {
        parts.push(format!("rules sha256 {}", v.rules.sha256));
    }
    if !v.data_sha256.is_empty() {
        parts.push(format!("data sha256 {}", v.data_sha256));
    }
    let parts: Vec<String> = parts.iter().map(|p| escape(p)).collect();
    format!("<footer>{}</footer>\n", parts.join(" · "))
}

// ── sections ───────────────────────────────────────────────────────────────────────────────

fn totals_section(v: &RunView) -> String {
    let mut out = section_head(v, "totals");
    let totals = programme_totals(v.rules, &v.primary);
    if totals.is_empty() {
        out.push_str("<p class=\"note\">规则未定义项目合计 (the rules declare no totals).</p>\n");
        return out;
    }
    out.push_str(
        "<table>\n<thead><tr><th>项目 (item)</th><th class=\"n\">合计 (total)</th>\
         <th>单位 (unit)</th></tr></thead>\n<tbody>\n",
    );
    for (_, label, sum, unit) in totals {
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
            escape(&label),
            escape(&fmt_num(sum)),
            escape(unit.as_deref().unwrap_or(""))
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn outcomes_section(v: &RunView) -> String {
    let p = &v.primary;
    let n = p.frame.len();
    let mut out = section_head(v, "outcomes");
    let oc = outcome_colors(p.kind);
    let outcomes: Vec<Seg> = outcome_counts(p)
        .into_iter()
        .zip(&oc)
        .map(|((_, label, c), color)| Seg {
            name: brief(&label).to_string(),
            count: c,
            color: *color,
        })
        .collect();
    let gc = grade_colors(p.kind.grades.len());
    let grades: Vec<Seg> = grade_counts(p)
        .into_iter()
        .zip(&gc)
        .map(|((_, label, c), color)| Seg {
            name: short_label(&label).to_string(),
            count: c,
            color: *color,
        })
        .collect();
    let rows = [
        BarRow {
            label: "结果 (outcome)".into(),
            segs: outcomes,
        },
        BarRow {
            label: "等次 (grade)".into(),
            segs: grades,
        },
    ];
    out.push_str(&stacked_bars(
        &rows,
        &format!("{}: outcomes and grades", p.kind.label),
        true,
    ));
    let outcome_items: Vec<(String, Color)> = outcome_counts(p)
        .into_iter()
        .zip(&oc)
        .map(|((id, label, c), color)| (format!("{label} [{id}]: {c} · {}", share(c, n)), *color))
        .collect();
    out.push_str(&legend(&outcome_items, ""));
    let grade_items: Vec<(String, Color)> = grade_counts(p)
        .into_iter()
        .zip(&p.kind.grades)
        .zip(&gc)
        .map(|(((_, label, c), g), color)| {
            (
                format!("{label} {}: {c} · {}", g.interval, share(c, n)),
                *color,
            )
        })
        .collect();
    out.push_str(&legend(&grade_items, ""));
    keep(out)
}

/// A chart with its title, its notes and its legend: printed on one page, never split from
/// its title.
fn keep(inner: String) -> String {
    format!("<div class=\"keep\">\n{inner}</div>\n")
}

fn groups_section(v: &RunView) -> String {
    let p = &v.primary;
    // The section's heading and legend stay with its first chart.
    let mut out = String::new();
    let mut chart = section_head(v, "groups");
    let colors = outcome_colors(p.kind);
    let names: Vec<String> = p.kind.outcomes.iter().map(|o| o.label.clone()).collect();
    let items: Vec<(String, Color)> = names.iter().cloned().zip(colors.clone()).collect();
    chart.push_str(&legend(&items, ""));
    let mut any = false;
    for col in &p.kind.group_by {
        let mut groups = by_group(p, col);
        if groups.is_empty() {
            continue;
        }
        // Many groups: the largest are drawn, the rest counted.
        let all = groups.len();
        if all > GROUPS_SHOWN {
            groups.sort_by(|a, b| {
                let size = |g: &(String, Vec<usize>)| g.1.iter().sum::<usize>();
                size(b).cmp(&size(a)).then_with(|| a.0.cmp(&b.0))
            });
            groups.truncate(GROUPS_SHOWN);
        }
        any = true;
        let title = p
            .kind
            .column(col)
            .and_then(|c| p.kind.columns.get(c))
            .and_then(|c| c.label.clone())
            .unwrap_or_else(|| col.clone());
        chart.push_str(&format!("<h3>{}</h3>\n", escape(&title)));
        let rows: Vec<BarRow> = groups
            .into_iter()
            .map(|(g, counts)| BarRow {
                label: group_label(v, col, &g),
                segs: counts
                    .iter()
                    .zip(&names)
                    .zip(&colors)
                    .map(|((c, name), color)| Seg {
                        name: brief(name).to_string(),
                        count: *c,
                        color: *color,
                    })
                    .collect(),
            })
            .collect();
        chart.push_str(&stacked_bars(&rows, &format!("outcomes by {col}"), false));
        if all > GROUPS_SHOWN {
            chart.push_str(&format!(
                "<p class=\"note\">共 {all} 组，此处为最大的 {GROUPS_SHOWN} 组；全部见 {}.csv 的 {col} 列 ({all} groups; the {GROUPS_SHOWN} largest are drawn, every one is in the {col} column of {}.csv).</p>\n",
                escape(&p.kind.table),
                escape(&p.kind.table),
            ));
        }
        out.push_str(&keep(std::mem::take(&mut chart)));
    }
    if !any {
        chart.push_str("<p class=\"note\">没有分组列 (no group_by columns).</p>\n");
    }
    out.push_str(&chart);
    out
}

fn distribution_section(v: &RunView) -> String {
    let p = &v.primary;
    let mut out = section_head(v, "distribution");
    let h = histogram(
        &p.result.total,
        &p.result.outcome,
        p.kind.outcomes.len(),
        p.kind.max_total,
        BIN_WIDTH,
    );
    let line = pass_line(p.kind);
    let colors = outcome_colors(p.kind);
    let items: Vec<(String, Color)> = p
        .kind
        .outcomes
        .iter()
        .map(|o| o.label.clone())
        .zip(colors.clone())
        .collect();
    let extra = line
        .map(|x| dashed_key("line", &format!("合格线 (pass line) {}", fmt_num(x))))
        .unwrap_or_default();
    out.push_str(&format!(
        "<p class=\"note\">每组 {} 分，区间含下限不含上限 (bins of {} points, each including its \
         lower edge).</p>\n",
        fmt_num(BIN_WIDTH),
        fmt_num(BIN_WIDTH)
    ));
    out.push_str(&legend(&items, &extra));
    let axis = format!("{}数 (count)", p.kind.zh_noun());
    out.push_str(&histogram_svg(&h, &colors, line, &axis));
    keep(out)
}

fn profile_section(v: &RunView) -> String {
    let p = &v.primary;
    let mut out = section_head(v, "profile");
    let (fail_name, fail_n) = outcome_group(p, false);
    let (pass_name, pass_n) = outcome_group(p, true);
    let series = [
        (format!("{fail_name}: {fail_n}"), FAIL_SERIES),
        (format!("{pass_name}: {pass_n}"), PASS_SERIES),
    ];
    out.push_str(&format!(
        "<p class=\"note\">各项平均得分占该项满分的百分比；虚线为该项最低分 (mean score of each \
         dimension as a percent of its maximum; the dashed line marks the dimension's minimum).\
         </p>\n{}",
        legend(&series, &dashed_key("min", "最低分 (minimum)"))
    ));
    out.push_str(&profile_svg(&profiles(p)));
    keep(out)
}

fn units_section(v: &RunView) -> String {
    let mut out = section_head(v, "units");
    // Every unit kind: one that neither ranks nor rewards (city leaders) still has outcomes
    // the committee reads.
    // A primary kind with population rules is ranked like a unit: its table leads.
    if v.primary.standing.is_some() {
        out.push_str(&unit_table(v, &v.primary));
    }
    if v.units.is_empty() {
        out.push_str("<p class=\"note\">没有考核单位 (the rules assess no units).</p>\n");
    }
    for u in &v.units {
        out.push_str(&unit_table(v, u));
    }
    out
}

fn unit_table(v: &RunView, u: &KindView) -> String {
    let prec = v.rules.precision;
    let mut out = format!(
        "<h3>{} <span class=\"en\">{}</span></h3>\n",
        escape(&u.kind.label),
        u.frame.len()
    );
    let funded = u.kind.fund.is_some();
    if let (Some(fund), Some(sum)) = (&u.kind.fund, u.fund()) {
        out.push_str(&format!(
            "<p class=\"note\">{}: 预算 (budget) {} 元, 已发 (paid) {} 元, 获奖 (recipients) {}</p>\n",
            escape(fund.label.as_deref().unwrap_or("奖励资金 (fund)")),
            thousands(sum.budget),
            thousands(sum.paid),
            sum.recipients
        ));
    }
    out.push_str(
        "<table>\n<thead><tr><th class=\"n\">名次 (rank)</th><th>编号 (id)</th>\
         <th>名称 (name)</th><th class=\"n\">总分 (total)</th><th>等次 (grade)</th>\
         <th>结果 (outcome)</th>",
    );
    if funded {
        out.push_str("<th class=\"n\">奖励 (award, 元)</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    // A long ranking: its top and its bottom, with a row saying where the rest are.
    let order = rank_order(u);
    let n = order.len();
    let shown: Vec<Option<usize>> = if n > UNIT_ROWS {
        let mut v: Vec<Option<usize>> = order.iter().take(UNIT_TOP).map(|r| Some(*r)).collect();
        v.push(None);
        v.extend(order.iter().skip(n - UNIT_BOTTOM).map(|r| Some(*r)));
        v
    } else {
        order.iter().map(|r| Some(*r)).collect()
    };
    let columns = if funded { 7 } else { 6 };
    for r in shown {
        let Some(r) = r else {
            let hidden = n - UNIT_TOP - UNIT_BOTTOM;
            out.push_str(&format!(
                "<tr class=\"more\"><td colspan=\"{columns}\">… 另有 {hidden} 个，完整名单见 {t}.csv 与 results.xlsx ({hidden} more; every one is in {t}.csv and results.xlsx)</td></tr>\n",
                t = escape(&u.kind.table),
            ));
            continue;
        };
        let award = u.award(r);
        let rank = u.rank(r);
        out.push_str(&format!(
            "<tr{}><td class=\"n\">{}</td><td class=\"id\">{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td>{}</td><td class=\"{}\" title=\"{}\">{}</td>",
            if award > 0 { " class=\"award\"" } else { "" },
            rank.map_or_else(|| "–".into(), |x| x.to_string()),
            escape(u.frame.id(r)),
            escape(name_of(u, r)),
            fmt_score(u.result.total.get(r).copied().unwrap_or(0.0), prec),
            escape(short_label(u.grade_label(r))),
            if passing(u, r) { "ok" } else { "no" },
            escape(u.outcome_label(r)),
            escape(brief(u.outcome_label(r)))
        ));
        if funded {
            out.push_str(&format!(
                "<td class=\"n\">{}</td>",
                if award > 0 {
                    thousands(award)
                } else {
                    "–".into()
                }
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// The public notice (公示名单), on pages of its own when printed: its title and opening
/// words, each listed kind's entities as a notice sorts them, then the notice period, where to
/// object, and the office and date to sign. A kind of more than [`UNIT_ROWS`] lists its first
/// ones, and says where the whole list is.
fn notice_section(v: &RunView) -> String {
    let prec = v.rules.precision;
    let n = &v.rules.notice;
    let mut out = format!(
        "<section class=\"notice\" id=\"notice\">\n<h2 class=\"notice-title\">{}</h2>\n<p>{}</p>\n",
        escape(&n.title),
        escape(&n.intro)
    );
    const NUMBERS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    for (i, s) in super::notice::sections(v).iter().enumerate() {
        let k = s.kind;
        let number = NUMBERS
            .get(i)
            .map_or_else(|| (i + 1).to_string(), |n| n.to_string());
        out.push_str(&format!(
            "<h3>{number}、{}（{} 个）</h3>\n<table class=\"wide\">\n<thead><tr><th class=\"n\">序号</th>\
             <th>编号</th><th>名称</th>",
            escape(&s.heading),
            s.len()
        ));
        if !s.belongs.is_empty() {
            out.push_str(&format!("<th>{}</th>", escape(&s.belongs)));
        }
        let scored = k.kind.scored();
        let graded = !k.kind.grades.is_empty();
        if scored {
            out.push_str("<th class=\"n\">总分</th>");
        }
        if graded {
            out.push_str("<th>等次</th>");
        }
        out.push_str("<th>结果</th></tr></thead>\n<tbody>\n");
        let columns =
            4 + usize::from(!s.belongs.is_empty()) + usize::from(scored) + usize::from(graded);
        for n in 0..s.len().min(UNIT_ROWS) {
            let cells = s.row(n);
            let text = |c: usize| match cells.get(c) {
                Some(Cell::Text(t)) => escape(t),
                _ => String::new(),
            };
            out.push_str(&format!(
                "<tr><td class=\"n\">{}</td><td class=\"id\">{}</td><td>{}</td>",
                n + 1,
                text(2),
                text(3)
            ));
            if !s.belongs.is_empty() {
                out.push_str(&format!("<td>{}</td>", text(4)));
            }
            if scored {
                let total = match cells.get(5) {
                    Some(Cell::Num(x)) => fmt_score(*x, prec),
                    _ => String::new(),
                };
                out.push_str(&format!("<td class=\"n\">{total}</td>"));
            }
            if graded {
                out.push_str(&format!("<td>{}</td>", text(6)));
            }
            out.push_str(&format!("<td>{}</td></tr>\n", text(7)));
        }
        if s.len() > UNIT_ROWS {
            let hidden = s.len() - UNIT_ROWS;
            out.push_str(&format!(
                "<tr class=\"more\"><td colspan=\"{columns}\">… 另有 {hidden} 个，完整名单见 results.xlsx 的公示名单 ({hidden} more; the whole list is the public notice sheet of results.xlsx)</td></tr>\n"
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str(&format!(
        "<p>{}</p>\n<p>{}</p>\n<p class=\"sign\">{}<br>{}</p>\n</section>\n",
        escape(&n.period),
        escape(&n.contact),
        escape(&n.office),
        escape(&n.date)
    ));
    out
}

fn continuing_section(v: &RunView) -> String {
    let p = &v.primary;
    let prec = v.rules.precision;
    let mut out = section_head(v, "continuing");
    let rows: Vec<usize> = (0..p.frame.len()).filter(|&r| !passing(p, r)).collect();
    if rows.is_empty() {
        out.push_str(&format!(
            "<p class=\"note\">所有{}均已通过 (every {} passed).</p>\n",
            escape(p.kind.zh_noun()),
            escape(&p.kind.noun())
        ));
        return out;
    }
    out.push_str(&format!(
        "<p class=\"note\">{} 个{}未达到通过结果 ({} did not reach a passing outcome).</p>\n",
        rows.len(),
        escape(p.kind.zh_noun()),
        rows.len()
    ));
    let groups: Vec<&String> = p
        .kind
        .group_by
        .iter()
        .filter(|c| p.frame.groups.iter().any(|(n, _)| n == *c))
        .collect();
    out.push_str("<table class=\"wide\">\n<thead><tr><th>编号 (id)</th><th>名称 (name)</th>");
    for col in &groups {
        let label = p
            .kind
            .column(col)
            .and_then(|c| p.kind.columns.get(c))
            .and_then(|c| c.label.as_deref())
            .unwrap_or(col);
        out.push_str(&format!("<th>{}</th>", escape(label)));
    }
    out.push_str(
        "<th class=\"n\">总分 (total)</th><th>等次 (grade)</th><th>结果 (outcome)</th>\
         <th>主要差距 (main shortfall)</th></tr></thead>\n<tbody>\n",
    );
    let all = rows.len();
    for r in rows.into_iter().take(CONTINUING_ROWS) {
        out.push_str(&format!(
            "<tr><td class=\"id\">{}</td><td class=\"k\">{}</td>",
            escape(p.frame.id(r)),
            escape(name_of(p, r))
        ));
        for col in &groups {
            let value = p
                .frame
                .groups
                .iter()
                .find(|(n, _)| n == *col)
                .and_then(|(_, vals)| vals.get(r))
                .unwrap_or("");
            out.push_str(&format!("<td>{}</td>", escape(&group_label(v, col, value))));
        }
        out.push_str(&format!(
            "<td class=\"n\">{}</td><td class=\"k\">{}</td><td class=\"no k\">{}</td>\
             <td class=\"why\">{}</td></tr>\n",
            fmt_score(p.result.total.get(r).copied().unwrap_or(0.0), prec),
            escape(short_label(p.grade_label(r))),
            escape(brief(p.outcome_label(r))),
            escape(&reasons(v.rules, p, r))
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    if all > CONTINUING_ROWS {
        out.push_str(&format!(
            "<p class=\"note\">此处列出前 {CONTINUING_ROWS} 个；全部 {all} 个见 {t}.csv 与 results.xlsx（按结果筛选）(the first {CONTINUING_ROWS} are listed; all {all} are in {t}.csv and results.xlsx, filtered by outcome).</p>\n",
            t = escape(&p.kind.table),
        ));
    }
    out
}

// ── helpers over the results ───────────────────────────────────────────────────────────────

/// The leading phrase of a label: `验收合格，工作队撤离 (passed; …)` → `验收合格`.
fn brief(label: &str) -> &str {
    let s = short_label(label);
    s.split(['，', ',', ';', '；']).next().unwrap_or(s)
}

fn share(c: usize, n: usize) -> String {
    if n == 0 {
        "–".into()
    } else {
        format!("{:.1}%", c as f64 * 100.0 / n as f64)
    }
}

/// The name of entity `r`, or nothing when the data gives none (the label is then its id).
fn name_of<'a>(k: &'a KindView, r: usize) -> &'a str {
    let label = k.frame.label(r);
    if label == k.frame.id(r) {
        ""
    } else {
        label
    }
}

/// Whether entity `r` of a kind has a passing outcome.
fn passing(k: &KindView, r: usize) -> bool {
    k.result
        .outcome
        .get(r)
        .and_then(|&o| k.kind.outcomes.get(o as usize))
        .is_some_and(|o| o.passing)
}

/// The names of the passing (or the other) outcomes, and how many entities have them.
fn outcome_group(k: &KindView, pass: bool) -> (String, usize) {
    let names: Vec<String> = k
        .kind
        .outcomes
        .iter()
        .filter(|o| o.passing == pass)
        .map(|o| format!("{} ({})", brief(&o.label), o.id))
        .collect();
    let n = (0..k.frame.len())
        .filter(|&r| passing(k, r) == pass)
        .count();
    (names.join(" / "), n)
}

/// A group value with its name: for a column a unit kind links through, that unit's name;
/// for a column with named values (labelled categories), the value's label.
fn group_label(v: &RunView, column: &str, value: &str) -> String {
    let name = v
        .units
        .iter()
        .filter(|u| matches!(&u.kind.link, Some(Link::Column(c)) if c == column))
        .find_map(|u| u.frame.find(value).map(|r| u.frame.label(r).to_string()))
        .or_else(|| {
            v.primary
                .text_columns()
                .find(|(c, _, _)| *c == column)
                .and_then(|(_, _, named)| named)
                .map(|n| n.name(value).to_string())
                .filter(|n| !n.is_empty())
        });
    match name {
        Some(n) if n != value => format!("{value} {n}"),
        _ => value.to_string(),
    }
}

/// Unit rows best first: by rank (unranked last), then by award, then in id order.
fn rank_order(u: &KindView) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..u.frame.len()).collect();
    rows.sort_by_key(|&r| {
        let rank = u.rank(r);
        (rank.is_none(), rank, std::cmp::Reverse(u.award(r)), r)
    });
    rows
}

/// The total the best outcome asks for, when its condition has a plain `total >= X`.
fn pass_line(kind: &Kind) -> Option<f64> {
    // The lowest bar that still passes (the last passing rule), as reasons name it.
    let best = kind.outcomes.iter().rev().find(|o| o.passing)?;
    let Some(Condition::All(cmps)) = best.condition.as_ref() else {
        return None;
    };
    cmps.iter().find_map(|c| match (&c.left, &c.op) {
        (Operand::Var(Var::Total), Some((Op::Ge | Op::Gt, Operand::Num(x)))) => Some(*x),
        _ => None,
    })
}

/// One dimension's means for the two groups of villages, as percent of its maximum.
#[derive(Debug, Clone, PartialEq)]
struct Profile {
    label: String,
    max: f64,
    min: Option<f64>,
    /// Mean of the entities without a passing outcome (`None` when there are none).
    fail: Option<f64>,
    /// Mean of the entities with a passing outcome.
    pass: Option<f64>,
}

fn profiles(k: &KindView) -> Vec<Profile> {
    let mean = |d: usize, pass: bool| -> Option<f64> {
        let xs: Vec<f64> = (0..k.frame.len())
            .filter(|&r| passing(k, r) == pass)
            .filter_map(|r| k.result.dims_row(r).get(d))
            .collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    };
    k.kind
        .dims
        .iter()
        .enumerate()
        .map(|(d, dim)| Profile {
            label: short_label(&dim.label).to_string(),
            max: dim.max,
            min: dim.min,
            fail: mean(d, false),
            pass: mean(d, true),
        })
        .collect()
}

// ── colours ────────────────────────────────────────────────────────────────────────────────

/// A fill and the text colour that reads on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Color {
    fill: &'static str,
    text: &'static str,
}

const fn c(fill: &'static str, text: &'static str) -> Color {
    Color { fill, text }
}

/// How a colour is also told apart in black and white: by a pattern over it, in the colour
/// of the text that reads on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hatch {
    Solid,
    Rising,
    Falling,
    Dots,
    Cross,
    Across,
    Upright,
}

/// The pattern of each fill: the colours that can meet in one chart (the outcomes' greens and
/// reds, the grades' sequence, the two series of the profile) each have their own.
const HATCHES: [(&str, Hatch); 10] = [
    ("#2b8a3e", Hatch::Solid),
    ("#74b816", Hatch::Rising),
    ("#5c940d", Hatch::Rising),
    ("#b2e26b", Hatch::Dots),
    ("#94c83d", Hatch::Dots),
    ("#fab005", Hatch::Falling),
    ("#e8590c", Hatch::Cross),
    ("#f76707", Hatch::Across),
    ("#c92a2a", Hatch::Upright),
    ("#adb5bd", Hatch::Solid),
];

impl Color {
    fn hatch(&self) -> Hatch {
        HATCHES
            .iter()
            .find(|(fill, _)| *fill == self.fill)
            .map_or(Hatch::Solid, |(_, h)| *h)
    }

    /// The SVG paint of the colour: itself, or its pattern (defined once per page by
    /// [`patterns`]).
    fn paint(&self) -> String {
        match self.hatch() {
            Hatch::Solid => self.fill.to_string(),
            _ => format!("url(#bw{})", self.fill.trim_start_matches('#')),
        }
    }
}

/// Every colour's pattern, in an SVG of no size that the page's charts and legends refer to.
fn patterns() -> String {
    let colours =
        GOOD.iter()
            .chain(&BAD)
            .chain(&SEQUENTIAL)
            .chain([&PASS_SERIES, &FAIL_SERIES, &GREY]);
    let mut seen = Vec::new();
    let mut defs = String::new();
    for c in colours {
        if seen.contains(&c.fill) || c.hatch() == Hatch::Solid {
            continue;
        }
        seen.push(c.fill);
        let line = |x1: u8, y1: u8, x2: u8, y2: u8| {
            format!(
                "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{}\" stroke-width=\"1.5\" stroke-opacity=\"0.75\"/>",
                c.text
            )
        };
        let (turn, marks) = match c.hatch() {
            Hatch::Solid => continue,
            Hatch::Rising => (45, line(0, 0, 0, 6)),
            Hatch::Falling => (-45, line(0, 0, 0, 6)),
            Hatch::Cross => (45, format!("{}{}", line(0, 0, 0, 6), line(0, 3, 6, 3))),
            Hatch::Across => (0, line(0, 3, 6, 3)),
            Hatch::Upright => (0, line(3, 0, 3, 6)),
            Hatch::Dots => (
                0,
                format!(
                    "<circle cx=\"3\" cy=\"3\" r=\"1.2\" fill=\"{}\" fill-opacity=\"0.75\"/>",
                    c.text
                ),
            ),
        };
        defs.push_str(&format!(
            "<pattern id=\"bw{}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
             patternTransform=\"rotate({turn})\"><rect width=\"6\" height=\"6\" fill=\"{}\"/>{marks}</pattern>",
            c.fill.trim_start_matches('#'),
            c.fill
        ));
    }
    format!(
        "<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\"><defs>{defs}</defs></svg>\n"
    )
}

const GOOD: [Color; 3] = [
    c("#2b8a3e", "#ffffff"),
    c("#74b816", "#ffffff"),
    c("#b2e26b", "#1f2933"),
];
const BAD: [Color; 3] = [
    c("#e8590c", "#ffffff"),
    c("#c92a2a", "#ffffff"),
    c("#fab005", "#1f2933"),
];
/// Best to worst.
const SEQUENTIAL: [Color; 6] = [
    c("#2b8a3e", "#ffffff"),
    c("#5c940d", "#ffffff"),
    c("#94c83d", "#1f2933"),
    c("#fab005", "#1f2933"),
    c("#f76707", "#ffffff"),
    c("#c92a2a", "#ffffff"),
];
const PASS_SERIES: Color = c("#2b8a3e", "#ffffff");
const FAIL_SERIES: Color = c("#e8590c", "#ffffff");
const GREY: Color = c("#adb5bd", "#1f2933");

/// Passing outcomes in greens, the others in oranges and reds.
fn outcome_colors(kind: &Kind) -> Vec<Color> {
    let (mut good, mut bad) = (GOOD.iter().cycle(), BAD.iter().cycle());
    kind.outcomes
        .iter()
        .map(|o| {
            if o.passing { good.next() } else { bad.next() }
                .copied()
                .unwrap_or(GREY)
        })
        .collect()
}

/// `n` colours from the best grade (green) to the worst (red).
fn grade_colors(n: usize) -> Vec<Color> {
    let last = SEQUENTIAL.len() - 1;
    (0..n)
        .map(|i| {
            let at = if n > 1 {
                ((i * last) as f64 / (n - 1) as f64).round() as usize
            } else {
                0
            };
            SEQUENTIAL.get(at).copied().unwrap_or(GREY)
        })
        .collect()
}

/// A legend entry for a dashed line (`class` is `line` or `min`).
fn dashed_key(class: &str, text: &str) -> String {
    format!(
        "<span><span class=\"sw {class}\"></span>{}</span>",
        escape(text)
    )
}

/// An HTML legend: a swatch and a text per item, then `extra` (HTML) at the end.
fn legend(items: &[(String, Color)], extra: &str) -> String {
    let spans: String = items
        .iter()
        .map(|(text, color)| {
            format!(
                "<span><svg class=\"sw\" width=\"12\" height=\"12\" viewBox=\"0 0 12 12\" \
                 aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"{}\"/></svg>{}</span>",
                color.paint(),
                escape(text)
            )
        })
        .collect();
    format!("<div class=\"legend\">{spans}{extra}</div>\n")
}

// ── SVG ────────────────────────────────────────────────────────────────────────────────────

/// The width of `s` in pixels at `px`, roughly: CJK and other wide characters take a full em.
fn text_width(s: &str, px: f64) -> f64 {
    s.chars()
        .map(|ch| if ch.is_ascii() { 0.58 } else { 1.0 })
        .sum::<f64>()
        * px
}

/// A small SVG builder: elements are appended as text.
struct Svg {
    w: f64,
    h: f64,
    body: String,
}

impl Svg {
    fn new(w: f64, h: f64) -> Self {
        Svg {
            w,
            h,
            body: String::new(),
        }
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, title: &str) {
        self.body.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\">\
             <title>{}</title></rect>\n",
            w.max(0.0),
            h.max(0.0),
            escape(title)
        ));
    }

    fn line(&mut self, class: &str, (x1, y1): (f64, f64), (x2, y2): (f64, f64), style: &str) {
        self.body.push_str(&format!(
            "<line class=\"{class}\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" {style}/>\n"
        ));
    }

    /// Text at `(x, y)`; `anchor` is `start`, `middle` or `end`.
    fn text(&mut self, x: f64, y: f64, anchor: &str, attrs: &str, s: &str) {
        self.body.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" {attrs}>{}</text>\n",
            escape(s)
        ));
    }

    fn finish(self, label: &str) -> String {
        format!(
            "<svg viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" \
             aria-label=\"{}\">\n{}</svg>\n",
            escape(label),
            self.body,
            w = self.w,
            h = self.h
        )
    }
}

/// A round step for an axis from 0 to `max` with about five ticks.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    step.max(1.0)
}

/// One segment of a stacked bar.
#[derive(Debug, Clone)]
struct Seg {
    name: String,
    count: usize,
    color: Color,
}

/// One stacked bar with its label on the left.
#[derive(Debug, Clone)]
struct BarRow {
    label: String,
    segs: Vec<Seg>,
}

/// Horizontal stacked bars, all on one scale (the longest row fills the width), the row's
/// total at its end; a segment shows its count (and with `names`, its name) where it fits.
fn stacked_bars(rows: &[BarRow], aria: &str, names: bool) -> String {
    const ROW_H: f64 = 28.0;
    const BAR_H: f64 = 20.0;
    let label_w = rows
        .iter()
        .map(|r| text_width(&r.label, 13.0))
        .fold(40.0, f64::max)
        .min(300.0)
        + 14.0;
    let end_w = 44.0;
    let plot_w = CHART_W - label_w - end_w;
    let max = rows
        .iter()
        .map(|r| r.segs.iter().map(|s| s.count).sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut svg = Svg::new(CHART_W, rows.len() as f64 * ROW_H + 6.0);
    for (i, row) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * ROW_H;
        let mid = y + BAR_H / 2.0 + 4.5;
        svg.text(
            label_w - 10.0,
            mid,
            "end",
            "style=\"font-size:13px\"",
            &row.label,
        );
        let total: usize = row.segs.iter().map(|s| s.count).sum();
        let mut x = label_w;
        for s in row.segs.iter().filter(|s| s.count > 0) {
            let w = s.count as f64 / max * plot_w;
            let tip = format!("{}: {} · {}", s.name, s.count, share(s.count, total));
            svg.rect(x, y, w, BAR_H, &s.color.paint(), &tip);
            let full = format!("{} {}", s.name, s.count);
            let count = s.count.to_string();
            let text = [names.then_some(full), Some(count)]
                .into_iter()
                .flatten()
                .find(|t| text_width(t, 11.0) + 8.0 <= w);
            if let Some(t) = text {
                let attrs = format!("class=\"in\" style=\"fill:{}\"", s.color.text);
                svg.text(x + w / 2.0, mid - 0.5, "middle", &attrs, &t);
            }
            x += w;
        }
        svg.text(x + 6.0, mid, "start", "class=\"small\"", &total.to_string());
    }
    svg.finish(aria)
}

/// Counts of totals per bin, by outcome: `bins[b][outcome]`.
#[derive(Debug, Clone, PartialEq)]
struct Histogram {
    width: f64,
    bins: Vec<Vec<usize>>,
}

impl Histogram {
    /// The right edge of the last bin.
    fn top(&self) -> f64 {
        self.bins.len() as f64 * self.width
    }
}

/// The bin of total `t`: bins include their lower edge; the maximum falls in the last bin.
fn bin_of(t: f64, width: f64, n: usize) -> usize {
    if t.is_nan() || t <= 0.0 || width <= 0.0 {
        return 0;
    }
    ((t / width).floor() as usize).min(n.saturating_sub(1))
}

/// Bins of `width` from 0 to the larger of `max_total` and the highest total.
fn histogram(
    totals: &[f64],
    outcomes: &[u16],
    n_outcomes: usize,
    max_total: f64,
    width: f64,
) -> Histogram {
    let width = if width > 0.0 { width } else { BIN_WIDTH };
    let hi = totals.iter().copied().fold(max_total, f64::max);
    let n = ((hi / width).ceil() as usize).max(1);
    let mut bins = vec![vec![0usize; n_outcomes.max(1)]; n];
    for (r, t) in totals.iter().enumerate() {
        let o = outcomes.get(r).copied().unwrap_or(0) as usize;
        if let Some(c) = bins
            .get_mut(bin_of(*t, width, n))
            .and_then(|b| b.get_mut(o))
        {
            *c += 1;
        }
    }
    Histogram { width, bins }
}

const HIST_H: f64 = 320.0;
const HIST_LEFT: f64 = 52.0;
const HIST_RIGHT: f64 = 20.0;
const HIST_TOP: f64 = 30.0;
const HIST_BOTTOM: f64 = 46.0;

/// The x position of score `v` on the histogram.
fn hist_x(h: &Histogram, v: f64) -> f64 {
    let plot_w = CHART_W - HIST_LEFT - HIST_RIGHT;
    HIST_LEFT + v / h.top().max(f64::MIN_POSITIVE) * plot_w
}

/// The histogram as bars stacked by outcome, with the pass line as a dashed vertical line.
/// `count_axis` labels the vertical axis (`村数 (count)`).
fn histogram_svg(h: &Histogram, colors: &[Color], pass: Option<f64>, count_axis: &str) -> String {
    let plot_h = HIST_H - HIST_TOP - HIST_BOTTOM;
    let base = HIST_TOP + plot_h;
    let max = h
        .bins
        .iter()
        .map(|b| b.iter().sum::<usize>())
        .max()
        .unwrap_or(0);
    let step = nice_step(max as f64);
    // Room above the tallest bar for its count.
    let y_top = ((max as f64 * 1.1 / step).ceil() * step).max(step);
    let y = |c: f64| base - c / y_top * plot_h;
    let mut svg = Svg::new(CHART_W, HIST_H);
    let mut tick = 0.0;
    while tick <= y_top + 1e-9 {
        svg.line(
            "grid",
            (HIST_LEFT, y(tick)),
            (CHART_W - HIST_RIGHT, y(tick)),
            "",
        );
        svg.text(
            HIST_LEFT - 6.0,
            y(tick) + 4.0,
            "end",
            "class=\"small\"",
            &fmt_num(tick),
        );
        tick += step;
    }
    for (b, counts) in h.bins.iter().enumerate() {
        let lo = b as f64 * h.width;
        let (x0, x1) = (hist_x(h, lo) + 1.0, hist_x(h, lo + h.width) - 1.0);
        let mut acc = 0.0;
        for (o, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let color = colors.get(o).copied().unwrap_or(GREY);
            let tip = format!("[{}, {}): {c}", fmt_num(lo), fmt_num(lo + h.width));
            let top = y(acc + c as f64);
            svg.rect(x0, top, x1 - x0, y(acc) - top, &color.paint(), &tip);
            acc += c as f64;
        }
        if acc > 0.0 {
            svg.text(
                (x0 + x1) / 2.0,
                y(acc) - 4.0,
                "middle",
                "class=\"small\"",
                &fmt_num(acc),
            );
        }
    }
    svg.line("axis", (HIST_LEFT, base), (CHART_W - HIST_RIGHT, base), "");
    // Edge labels every second bin when there are many.
    let every = if h.bins.len() > 12 { 2 } else { 1 };
    for e in (0..=h.bins.len()).step_by(every) {
        let v = e as f64 * h.width;
        svg.text(
            hist_x(h, v),
            base + 16.0,
            "middle",
            "class=\"small\"",
            &fmt_num(v),
        );
    }
    svg.text(
        (HIST_LEFT + CHART_W - HIST_RIGHT) / 2.0,
        HIST_H - 8.0,
        "middle",
        "",
        "总分 (total)",
    );
    svg.text(
        14.0,
        HIST_TOP + plot_h / 2.0,
        "middle",
        &format!(
            "transform=\"rotate(-90 14 {:.1})\"",
            HIST_TOP + plot_h / 2.0
        ),
        count_axis,
    );
    if let Some(line) = pass {
        let x = hist_x(h, line);
        svg.line(
            "pass-line",
            (x, HIST_TOP - 8.0),
            (x, base),
            "stroke=\"#c92a2a\" stroke-width=\"2\" stroke-dasharray=\"6 4\"",
        );
        svg.text(
            x + 6.0,
            HIST_TOP - 12.0,
            "start",
            "class=\"halo\" style=\"fill:#c92a2a;font-weight:600\"",
            &format!("合格线 (pass line) {}", fmt_num(line)),
        );
    }
    svg.finish("distribution of totals")
}

/// Grouped vertical bars: per dimension, the mean of entities that did not pass and of those
/// that did, as percent of the dimension's maximum, with the minimum as a dashed line.
fn profile_svg(ps: &[Profile]) -> String {
    const H: f64 = 330.0;
    const LEFT: f64 = 52.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 20.0;
    const BOTTOM: f64 = 54.0;
    let plot_w = CHART_W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let base = TOP + plot_h;
    let y = |pct: f64| base - pct.clamp(0.0, 100.0) / 100.0 * plot_h;
    let mut svg = Svg::new(CHART_W, H);
    for t in (0..=100).step_by(20) {
        let t = f64::from(t);
        svg.line("grid", (LEFT, y(t)), (CHART_W - RIGHT, y(t)), "");
        svg.text(
            LEFT - 6.0,
            y(t) + 4.0,
            "end",
            "class=\"small\"",
            &format!("{t}%"),
        );
    }
    svg.line("axis", (LEFT, base), (CHART_W - RIGHT, base), "");
    let gw = plot_w / ps.len().max(1) as f64;
    let bw = (gw * 0.3).min(64.0);
    let pct = |x: f64, max: f64| if max > 0.0 { x / max * 100.0 } else { 0.0 };
    for (i, p) in ps.iter().enumerate() {
        let mid = LEFT + gw * (i as f64 + 0.5);
        let bars = [
            (p.fail, mid - bw - 2.0, FAIL_SERIES),
            (p.pass, mid + 2.0, PASS_SERIES),
        ];
        for (mean, x, color) in bars {
            let Some(mean) = mean else { continue };
            let v = pct(mean, p.max);
            let tip = format!(
                "{}: {} / {} ({:.1}%)",
                p.label,
                fmt_num((mean * 100.0).round() / 100.0),
                fmt_num(p.max),
                v
            );
            svg.rect(x, y(v), bw, base - y(v), &color.paint(), &tip);
            svg.text(
                x + bw / 2.0,
                y(v) - 5.0,
                "middle",
                "class=\"small\"",
                &format!("{v:.1}%"),
            );
        }
        if let Some(min) = p.min {
            let m = y(pct(min, p.max));
            svg.line(
                "min-line",
                (mid - bw - 12.0, m),
                (mid + bw + 12.0, m),
                "stroke=\"#343a40\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"",
            );
        }
        svg.text(
            mid,
            base + 18.0,
            "middle",
            "style=\"font-size:13px\"",
            &p.label,
        );
        let sub = match p.min {
            Some(min) => format!("满分 {} · 最低 {}", fmt_num(p.max), fmt_num(min)),
            None => format!("满分 {}", fmt_num(p.max)),
        };
        svg.text(mid, base + 36.0, "middle", "class=\"small\"", &sub);
    }
    svg.finish("dimension profile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("稳定 (stability)"), "稳定 (stability)");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn a_total_on_the_pass_line_falls_in_the_bin_that_starts_there() {
        let h = histogram(&[70.0, 69.99, 0.0, 100.0], &[0, 1, 1, 0], 2, 100.0, 5.0);
        assert_eq!(h.bins.len(), 20);
        assert_eq!(h.bins.get(14), Some(&vec![1, 0]));
        assert_eq!(h.bins.get(13), Some(&vec![0, 1]));
        assert_eq!(h.bins.first(), Some(&vec![0, 1]));
        // The maximum belongs to the last bin, which is closed on the right.
        assert_eq!(h.bins.last(), Some(&vec![1, 0]));
    }

    #[test]
    fn the_histogram_extends_to_a_total_above_the_maximum() {
        let h = histogram(&[101.0], &[0], 1, 100.0, 5.0);
        assert_eq!(h.bins.len(), 21);
        assert_eq!(h.bins.last(), Some(&vec![1]));
    }

    #[test]
    fn the_histogram_draws_the_pass_line_on_its_bin_edge() {
        let h = histogram(&[70.0], &[0], 1, 100.0, 5.0);
        let svg = histogram_svg(&h, &[PASS_SERIES], Some(70.0), "村数 (count)");
        let x = hist_x(&h, 70.0);
        assert!(svg.contains(&format!("<line class=\"pass-line\" x1=\"{x:.1}\"")));
        // The bar of [70, 75) starts just right of the line.
        assert!(svg.contains(&format!("<rect x=\"{:.1}\"", x + 1.0)));
        assert!(svg.contains("[70, 75): 1"));
        assert!(svg.contains("合格线 (pass line) 70"));
        assert!(!histogram_svg(&h, &[PASS_SERIES], None, "村数 (count)").contains("pass-line"));
    }

    #[test]
    fn stacked_bars_escape_labels_and_skip_empty_segments() {
        let rows = [BarRow {
            label: "<b>&".into(),
            segs: vec![
                Seg {
                    name: "a".into(),
                    count: 3,
                    color: PASS_SERIES,
                },
                Seg {
                    name: "b".into(),
                    count: 0,
                    color: FAIL_SERIES,
                },
            ],
        }];
        let svg = stacked_bars(&rows, "test", true);
        assert!(svg.contains("&lt;b&gt;&amp;"));
        assert_eq!(svg.matches("<rect").count(), 1);
        assert!(svg.contains(">a 3</text>"));
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(500000), "500,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
    }

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(3.0), 1.0);
        assert_eq!(nice_step(18.0), 5.0);
        assert_eq!(nice_step(40.0), 10.0);
    }
}
