//! One CSV per entity kind: scores, grade, outcome, gates, and every indicator's points.
//! Rows are formatted in parallel blocks and written in id order.

use super::digits::{push_fixed, push_int, push_scaled, push_short, push_word, spellings};
use super::KindView;
use crate::engine::fixed::{scale_for, Fixed};
use crate::rules::RuleSet;
use rayon::prelude::*;
use std::io::{self, Write};

/// Rows per parallel formatting block.
const BLOCK: usize = 8192;

/// Append the `width` scores of row `r` of `col`, each after a comma. Scores stored scaled at
/// this precision are written from their whole numbers directly.
fn push_scores(buf: &mut Vec<u8>, col: &Fixed, r: usize, width: usize, precision: u32) {
    match col.scaled_row(r, width) {
        Some((ns, scale)) if scale_for(precision) == Some(scale) => {
            // The comma and the number in one copy, for most scores.
            let table = spellings(precision, true);
            for &n in ns {
                match usize::try_from(n).ok().and_then(|i| table.get(i)) {
                    Some(&word) => push_word(buf, word),
                    None => {
                        buf.push(b',');
                        push_scaled(buf, i64::from(n), precision);
                    }
                }
            }
        }
        _ => {
            for i in r * width..(r + 1) * width {
                buf.push(b',');
                push_fixed(buf, col.get(i).unwrap_or(0.0), precision);
            }
        }
    }
}

/// Append a CSV field, quoted when it holds a separator, a quote or a line break.
fn push_field(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        push_short(buf, s.as_bytes());
    }
}

/// Append ids joined by `;` as one field (ids hold no separators or quotes).
fn push_joined<'a>(buf: &mut Vec<u8>, ids: impl Iterator<Item = &'a str>) {
    for (i, id) in ids.enumerate() {
        if i > 0 {
            buf.push(b';');
        }
        push_field(buf, id);
    }
}

/// The header row; `count_field` names a unit's count of linked primary entities.
fn header(k: &KindView, count_field: &str) -> Vec<u8> {
    let mut cols: Vec<String> = vec!["id".into(), "label".into()];
    for (c, _, named) in k.text_columns() {
        cols.push(c.to_string());
        // The names of the linked unit or of the category, right after its column.
        if let Some(n) = named {
            cols.push(n.header.clone());
        }
    }
    cols.extend(k.kind.dims.iter().map(|d| d.id.clone()));
    if k.kind.has_adjustments() {
        // Only kinds with adjustments: the others' files keep their columns.
        cols.push("total_before_adjustments".into());
    }
    cols.extend(
        [
            "total",
            "grade",
            "grade_label",
            "outcome",
            "outcome_label",
            "reason",
            "gates",
            "below_min",
        ]
        .map(String::from),
    );
    cols.extend(k.kind.indicators.iter().map(|i| format!("points.{}", i.id)));
    if k.unit.is_some() {
        cols.extend(["rank", "award", count_field, "notes"].map(String::from));
    } else if k.standing.is_some() {
        // A primary kind with population rules: its rank, award and notes, no count.
        cols.extend(["rank", "award", "notes"].map(String::from));
    }
    let mut buf = Vec::new();
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        push_field(&mut buf, c);
    }
    buf.push(b'\n');
    buf
}

/// What every row of a kind's file spells alike, worked out once per file: which text columns
/// need no quoting at all, and the grade and outcome fields as written.
struct Spelled {
    /// Ids, labels and each group column: true when no text in the column needs quotes.
    ids: bool,
    labels: bool,
    groups: Vec<bool>,
    /// Per grade and per outcome: `id,label`, quoted as needed.
    grades: Vec<Vec<u8>>,
    outcomes: Vec<Vec<u8>>,
}

impl Spelled {
    fn of(k: &KindView) -> Spelled {
        let plain = |text: &str| {
            let b = text.as_bytes();
            memchr::memchr3(b',', b'"', b'\n', b).is_none() && memchr::memchr(b'\r', b).is_none()
        };
        let pair = |id: &str, label: &str| {
            let mut b = Vec::new();
            push_field(&mut b, id);
            b.push(b',');
            push_field(&mut b, label);
            b
        };
        let ids = plain(k.frame.ids.text());
        Spelled {
            ids,
            // A row without a label shows its id.
            labels: k.frame.labels.as_ref().map_or(ids, |l| {
                plain(l.text()) && (ids || l.len() >= k.frame.ids.len())
            }),
            groups: k
                .frame
                .groups
                .iter()
                .map(|(_, g)| plain(g.text()))
                .collect(),
            grades: k
                .kind
                .grades
                .iter()
                .map(|g| pair(&g.id, &g.label))
                .collect(),
            outcomes: k
                .kind
                .outcomes
                .iter()
                .map(|o| pair(&o.id, &o.label))
                .collect(),
        }
    }
}

/// Append a text from a column: copied when the column needs no quotes, else as a field.
#[inline]
fn push_text(buf: &mut Vec<u8>, s: &str, plain: bool) {
    if plain {
        push_short(buf, s.as_bytes());
    } else {
        push_field(buf, s);
    }
}

/// The `id,label` of grade or outcome `i`, spelled once per file; two empty fields for none.
fn pair<'s>(i: Option<&u16>, spelled: &'s [Vec<u8>]) -> &'s [u8] {
    i.and_then(|&x| spelled.get(usize::from(x)))
        .map_or(b",".as_slice(), Vec::as_slice)
}

/// Rows `start..end`, appended to `buf`.
fn rows(rules: &RuleSet, k: &KindView, sp: &Spelled, start: usize, end: usize, buf: &mut Vec<u8>) {
    let precision = rules.precision;
    let mut why = String::new();
    for r in start..end {
        push_text(buf, k.frame.id(r), sp.ids);
        buf.push(b',');
        push_text(buf, k.frame.label(r), sp.labels);
        for ((_, vals, named), &plain) in k.text_columns().zip(&sp.groups) {
            buf.push(b',');
            let value = vals.get(r).unwrap_or("");
            push_text(buf, value, plain);
            if let Some(n) = named {
                buf.push(b',');
                push_field(buf, n.name(value));
            }
        }
        push_scores(buf, &k.result.dims, r, k.result.d, precision);
        if let Some(base) = k.base_total(r, precision) {
            buf.push(b',');
            push_fixed(buf, base, precision);
        }
        buf.push(b',');
        // A kind decided by conditions alone has no total: the cell stays empty.
        if k.kind.scored() {
            push_fixed(
                buf,
                k.result.total.get(r).copied().unwrap_or(0.0),
                precision,
            );
        }
        buf.push(b',');
        push_short(buf, pair(k.result.grade.get(r), &sp.grades));
        buf.push(b',');
        push_short(buf, pair(k.result.outcome.get(r), &sp.outcomes));
        buf.push(b',');
        super::summary::write_reasons(rules, k, r, &mut why);
        push_field(buf, &why);
        buf.push(b',');
        push_joined(buf, k.fired_ids(r));
        buf.push(b',');
        push_joined(buf, k.below_min_ids(r));
        push_scores(buf, &k.result.points, r, k.result.k, precision);
        if let Some(u) = k.unit {
            let count = u.villages.get(r).map_or(0, <[usize]>::len);
            // An unranked kind's rank is an empty cell, as `null` is in the JSON.
            buf.push(b',');
            if let Some(rank) = k.rank(r) {
                push_int(buf, i64::from(rank));
            }
            for n in [k.award(r), count as i64] {
                buf.push(b',');
                push_int(buf, n);
            }
            buf.push(b',');
            push_field(buf, &k.notes(r).join("; "));
        } else if k.standing.is_some() {
            buf.push(b',');
            if let Some(rank) = k.rank(r) {
                push_int(buf, i64::from(rank));
            }
            buf.push(b',');
            push_int(buf, k.award(r));
            buf.push(b',');
            push_field(buf, &k.notes(r).join("; "));
        }
        buf.push(b'\n');
    }
}

/// Write the CSV for one kind (UTF-8, header row, rows by id). With `bom`, the file starts
/// with a UTF-8 byte-order mark so that Excel on Chinese Windows reads the labels correctly.
pub fn write_kind_csv(
    rules: &RuleSet,
    k: &KindView,
    bom: bool,
    w: &mut dyn Write,
) -> io::Result<()> {
    if bom {
        w.write_all(b"\xEF\xBB\xBF")?;
    }
    w.write_all(&header(k, &rules.primary.count_field()))?;
    let n = k.frame.len();
    let blocks: Vec<(usize, usize)> = (0..n)
        .step_by(BLOCK)
        .map(|s| (s, (s + BLOCK).min(n)))
        .collect();
    // A window of blocks is formatted in parallel on one side while the one before is written
    // on this thread. Written buffers come back to be filled again: memory stays flat, and
    // pages are not allocated afresh for every block.
    let spelled = Spelled::of(k);
    let sp = &spelled;
    let per = rayon::current_num_threads().max(1) * 4;
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(per);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        s.spawn(move || {
            for window in blocks.chunks(per) {
                let mut bufs: Vec<Vec<u8>> = window
                    .iter()
                    .map(|_| empty_rx.try_recv().unwrap_or_default())
                    .collect();
                bufs.par_iter_mut().zip(window).for_each(|(buf, &(s, e))| {
                    buf.clear();
                    rows(rules, k, sp, s, e, buf);
                });
                for b in bufs {
                    // The writer stopped (a failed write): nothing more is needed.
                    if full_tx.send(b).is_err() {
                        return;
                    }
                }
            }
        });
        let full_rx = full_rx;
        let mut written = Ok(());
        for buf in full_rx.iter() {
            written = w.write_all(&buf);
            if written.is_err() {
                break;
            }
            let _ = empty_tx.send(buf);
        }
        // Dropped before the formatting side is waited for, so that a failed write stops it.
        drop(full_rx);
        written
    })
}

#[cfg(test)]
mod tests {
    use super::push_scores;
    use crate::engine::fixed::{scale_for, scaled, Fixed};
    use crate::engine::round::round_dp;
    use proptest::prelude::*;

    proptest! {
        /// Scores stored scaled are written exactly as the same scores stored as they are.
        #[test]
        fn scaled_scores_write_as_exact_ones(xs in proptest::collection::vec(-1.0e5f64..1.0e5, 1..6), p in 0u32..=4) {
            let xs: Vec<f64> = xs.iter().map(|&x| round_dp(x, p)).collect();
            let scale = scale_for(p).unwrap_or(1.0);
            let v: Vec<i32> = xs.iter().filter_map(|&x| scaled(x, scale)).collect();
            prop_assert_eq!(v.len(), xs.len());
            let (mut a, mut b) = (Vec::new(), Vec::new());
            push_scores(&mut a, &Fixed::Scaled { scale, v }, 0, xs.len(), p);
            push_scores(&mut b, &Fixed::Exact(xs.clone()), 0, xs.len(), p);
            prop_assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        }
    }
}
