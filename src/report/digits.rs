//! Numbers written straight into a byte buffer, as `format!` would write them but without its
//! cost: the CSV rows and the reasons in every format are written with these.

use std::io::Write;

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
pub(super) fn push_scaled(buf: &mut Vec<u8>, n: i64, precision: u32) {
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
pub(super) fn push_word(buf: &mut Vec<u8>, word: u64) {
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
pub(super) fn spellings(precision: u32, comma: bool) -> &'static [u64] {
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

/// Append `s`, byte by byte when it is short: most fields are a few bytes, and a call to copy
/// them costs more than the copy.
#[inline]
pub(super) fn push_short(buf: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 16 {
        buf.reserve(s.len());
        for &b in s {
            buf.push(b);
        }
    } else {
        buf.extend_from_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use super::{push_fixed, push_scaled, push_scaled_long};
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
