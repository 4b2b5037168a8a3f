//! Decimal rounding: half away from zero, on the number's shortest decimal representation.
//!
//! `2.675` is stored as `2.67499999999999982236431605997495353221893310546875`; rounding the
//! binary value would give 2.67. The specification rounds the decimal value, so 2.675 → 2.68.

/// Powers of ten for the supported precisions (0..=9 decimals).
const SCALE: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Round `x` to `decimals` places, half away from zero, on its shortest decimal representation.
pub fn round_dp(x: f64, decimals: u32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let scale = SCALE.get(decimals as usize).copied().unwrap_or(1e9);
    let y = x * scale;
    let frac = (y - y.trunc()).abs();
    // Only values whose scaled fraction sits next to one half can round differently on their
    // decimal value; everything else takes the fast path.
    let r = if (frac - 0.5).abs() < 1e-6 {
        round_decimal_text(x, decimals).unwrap_or_else(|| y.round() / scale)
    } else {
        y.round() / scale
    };
    // Normalise -0.0 so outputs never show "-0".
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Slow path: round the shortest round-trip decimal text of `x`.
fn round_decimal_text(x: f64, decimals: u32) -> Option<f64> {
    let text = format!("{}", x.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text.as_str(), ""),
    };
    if text.contains('e') {
        return None;
    }
    let d = decimals as usize;
    let mut digits: Vec<u8> = int_part.bytes().map(|b| b - b'0').collect();
    let int_len = digits.len();
    let frac_digits: Vec<u8> = frac_part.bytes().map(|b| b - b'0').collect();
    for i in 0..d {
        digits.push(frac_digits.get(i).copied().unwrap_or(0));
    }
    let round_up = frac_digits.get(d).is_some_and(|&next| next >= 5);
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            let slot = digits.get_mut(i)?;
            if *slot == 9 {
                *slot = 0;
            } else {
                *slot += 1;
                break;
            }
        }
    }
    let split = digits.len() - d;
    let _ = int_len;
    let mut s = String::with_capacity(digits.len() + 2);
    for (i, dgt) in digits.iter().enumerate() {
        if i == split {
            s.push('.');
        }
        s.push(char::from(b'0' + dgt));
    }
    let v: f64 = s.parse().ok()?;
    Some(if x < 0.0 { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::round_dp;
    use proptest::prelude::*;

    #[test]
    fn rounds_decimal_value_half_away_from_zero() {
        assert_eq!(round_dp(2.675, 2), 2.68);
        assert_eq!(round_dp(-2.675, 2), -2.68);
        assert_eq!(round_dp(1.005, 2), 1.01);
        assert_eq!(round_dp(0.125, 2), 0.13);
        assert_eq!(round_dp(2.5, 0), 3.0);
        assert_eq!(round_dp(-2.5, 0), -3.0);
        assert_eq!(round_dp(9.995, 2), 10.0);
        assert_eq!(round_dp(2.674, 2), 2.67);
        assert_eq!(round_dp(69.99999999999999, 2), 70.0);
        assert_eq!(round_dp(-0.001, 2), 0.0);
    }

    #[test]
    fn sums_that_should_make_seventy_do() {
        let parts = [17.1, 16.2, 12.3, 14.15, 10.25];
        let s: f64 = parts.iter().sum();
        assert_eq!(round_dp(s, 2), 70.0);
    }

    proptest! {
        #[test]
        fn idempotent(x in -1e6f64..1e6, d in 0u32..6) {
            let r = round_dp(x, d);
            prop_assert_eq!(round_dp(r, d), r);
        }

        #[test]
        fn within_half_a_step(x in -1e6f64..1e6, d in 0u32..6) {
            let r = round_dp(x, d);
            let step = 10f64.powi(-(d as i32));
            prop_assert!((r - x).abs() <= step / 2.0 + 1e-9 * x.abs().max(1.0));
        }

        #[test]
        fn monotone(a in -1e4f64..1e4, b in -1e4f64..1e4, d in 0u32..5) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(round_dp(lo, d) <= round_dp(hi, d));
        }

        #[test]
        fn two_decimal_inputs_are_fixed_points(n in -10_000_000i64..10_000_000) {
            let x = n as f64 / 100.0;
            prop_assert_eq!(round_dp(x, 2), x);
        }
    }
}
