//! One CSV per entity kind: scores, grade, outcome, gates, and every indicator's points.
//! Rows are formatted in parallel blocks and written in id order.

use super::KindView;
use crate::engine::fixed::{scale_for, Fixed};
use crate::rules::RuleSet;
use rayon::prelude::*;
use std::io::{self, Write};

/// Rows per parallel formatting block.
const BLOCK: usize = 8192;

/// Append `x` (already rounded to `precision`) with exactly `precision` decimals.
pub fn push_fixed(buf: &mut Vec<u8>, x: f64, precision: u32) {
    const SCALE: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    let scale = SCALE
        .get(precision as usize)
        .copied()
        .unwrap_or_else(|| 10f64.powi(precision as i32));
    let scaled = x * scale;
    if !scaled.is_finite() || scaled.abs() >= 9.0e15 {
        let _ = write!(buf, "{:.*}", precision as usize, x);
        return;
    }
    // `x` is already rounded: its scaled value sits next to an integer; take the nearest.
    push_scaled(buf, (scaled + 0.5f64.copysign(scaled)) as i64, precision);
}

/// Append the whole number `n`.
pub fn push_int(buf: &mut Vec<u8>, n: i64) {
    push_scaled(buf, n, 0);
}

/// Append `n` × 10^-`precision` with exactly `precision` decimals.
#[inline]
fn push_scaled(buf: &mut Vec<u8>, n: i64, precision: u32) {
    // Most scores are small and positive: their spelling is looked up.
    if let Some(&word) = usize::try_from(n)
        .ok()
        .and_then(|i| spellings(precision, false).get(i))
    {
        push_word(buf, word);
        return;
    }
    match word_of(n, precision) {
        Some(word) => push_word(buf, word),
        None => push_scaled_long(buf, n, precision),
    }
}

/// Append the characters of a spelling made by [`word_of`].
#[inline]
fn push_word(buf: &mut Vec<u8>, word: u64) {
    // The characters are nonzero bytes from the lowest up, so the zero bytes above them tell
    // their number; all eight bytes are copied at once and the excess cut off.
    let len = 8 - (word.leading_zeros() / 8) as usize;
    let start = buf.len();
    buf.extend_from_slice(&word.to_le_bytes());
    buf.truncate(start + len);
}

/// `n` × 10^-`precision` spelled in one word, the first character in the lowest byte, when it
/// fits in eight characters.
fn word_of(n: i64, precision: u32) -> Option<u64> {
    if precision > 6 || n.unsigned_abs() >= 10_000_000 {
        return None;
    }
    // Built right to left: each character is shifted in below the ones after it.
    let mut u = n.unsigned_abs();
    let mut word: u64 = 0;
    let mut len = 0usize;
    let mut put = |c: u8| {
        word = (word << 8) | u64::from(c);
        len += 1;
    };
    for _ in 0..precision {
        put(b'0' + (u % 10) as u8);
        u /= 10;
    }
    if precision > 0 {
        put(b'.');
    }
    loop {
        put(b'0' + (u % 10) as u8);
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if n < 0 {
        put(b'-');
    }
    (len <= 8).then_some(word)
}

/// How many of the smallest whole numbers have their spelling kept, per precision: every
/// score up to 163.83 at two decimals, in a table that stays in the processor's cache.
const SPELLED: usize = 1 << 14;

/// The spellings of 0, 1, … `SPELLED` - 1 at `precision` (none above six decimals), each after
/// a comma when `comma` (as far as they still fit in one word), made once.
fn spellings(precision: u32, comma: bool) -> &'static [u64] {
    static TABLES: [[std::sync::OnceLock<Vec<u64>>; 7]; 2] =
        [const { [const { std::sync::OnceLock::new() }; 7] }; 2];
    let table = TABLES
        .get(usize::from(comma))
        .and_then(|t| t.get(precision as usize));
    table.map_or(&[], |t| {
        t.get_or_init(|| {
            let words = (0..SPELLED as i64).map_while(|n| word_of(n, precision));
            if comma {
                words
                    .map_while(|w| (w >> 56 == 0).then_some(w << 8 | u64::from(b',')))
                    .collect()
            } else {
                words.collect()
            }
        })
    })
}

/// [`push_scaled`] for any length.
fn push_scaled_long(buf: &mut Vec<u8>, n: i64, precision: u32) {
    if n < 0 {
        buf.push(b'-');
    }
    let mut n = n.unsigned_abs();
    // Digits right to left into a stack buffer: the decimals, the point, then the whole part.
    let mut digits = [b'0'; 40];
    let mut i = digits.len();
    let mut put = |i: &mut usize, d: u8| {
        *i = i.saturating_sub(1);
        if let Some(slot) = digits.get_mut(*i) {
            *slot = d;
        }
    };
    for _ in 0..precision.min(30) {
        put(&mut i, b'0' + (n % 10) as u8);
        n /= 10;
    }
    if precision > 0 {
        put(&mut i, b'.');
    }
    loop {
        put(&mut i, b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push_short(buf, digits.get(i..).unwrap_or(&[]));
}

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

/// Append `s`, byte by byte when it is short: most fields are a few bytes, and a call to copy
/// them costs more than the copy.
#[inline]
fn push_short(buf: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 16 {
        buf.reserve(s.len());
        for &b in s {
            buf.push(b);
        }
    } else {
        buf.extend_from_slice(s);
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
    cols.extend(k.frame.groups.iter().map(|(n, _)| n.clone()));
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
        for ((_, vals), &plain) in k.frame.groups.iter().zip(&sp.groups) {
            buf.push(b',');
            push_text(buf, vals.get(r).unwrap_or(""), plain);
        }
        push_scores(buf, &k.result.dims, r, k.result.d, precision);
        if let Some(base) = k.base_total(r, precision) {
            buf.push(b',');
            push_fixed(buf, base, precision);
        }
        buf.push(b',');
        push_fixed(
            buf,
            k.result.total.get(r).copied().unwrap_or(0.0),
            precision,
        );
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
    use super::{push_fixed, push_scaled, push_scaled_long, push_scores};
    use crate::engine::fixed::{scale_for, scaled, Fixed};
    use crate::engine::round::round_dp;
    use proptest::prelude::*;

    proptest! {
        /// The looked-up and one-word paths write what the general one writes.
        #[test]
        fn short_numbers_write_as_long_ones(n in prop_oneof![-99_999_999i64..99_999_999, -20i64..20_000], p in 0u32..=8) {
            let (mut a, mut b) = (b"x".to_vec(), b"x".to_vec());
            push_scaled(&mut a, n, p);
            push_scaled_long(&mut b, n, p);
            prop_assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        }

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

        /// A rounded number is written as the standard formatter writes it.
        #[test]
        fn fixed_matches_the_formatter(n in 0i64..1_000_000_000_000, p in 0u32..=6, neg: bool) {
            let x = n as f64 / 10f64.powi(p as i32) * if neg { -1.0 } else { 1.0 };
            let mut b = Vec::new();
            push_fixed(&mut b, x, p);
            let want = format!("{:.*}", p as usize, x);
            // The formatter keeps the sign of a negative zero; output never shows one.
            let want = if x == 0.0 { want.trim_start_matches('-').to_string() } else { want };
            prop_assert_eq!(String::from_utf8(b).unwrap(), want);
        }
    }

    #[test]
    fn fixed_decimals() {
        let f = |x: f64, p: u32| {
            let mut b = Vec::new();
            push_fixed(&mut b, x, p);
            String::from_utf8(b).unwrap()
        };
        assert_eq!(f(83.25, 2), "83.25");
        assert_eq!(f(70.0, 2), "70.00");
        assert_eq!(f(0.05, 2), "0.05");
        assert_eq!(f(-1.5, 2), "-1.50");
        assert_eq!(f(7.0, 0), "7");
        assert_eq!(f(2.68, 2), "2.68");
        assert_eq!(f(0.0, 3), "0.000");
        assert_eq!(f(70.05, 2), "70.05");
        assert_eq!(f(-0.07, 2), "-0.07");
        assert_eq!(f(1234567.89, 2), "1234567.89");
        assert_eq!(f(10.0, 0), "10");
        assert_eq!(f(0.0, 0), "0");
        assert_eq!(f(1000.0, 0), "1000");
        assert_eq!(f(100.0, 2), "100.00");
        assert_eq!(f(0.5, 1), "0.5");
        assert_eq!(f(123.456, 3), "123.456");
        assert_eq!(f(-10.05, 2), "-10.05");
    }
}
