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
    let y = (x * scale).abs();
    if y >= 4.0e15 {
        // Beyond the integers used below; no fraction worth a decimal look either.
        return (x * scale).round() / scale;
    }
    // Truncation through an integer (exact below 2^53) rather than a libm call: this runs for
    // every indicator, dimension and total of every entity.
    let t = y as i64 as f64;
    let frac = y - t;
    let up = if (frac - 0.5).abs() < 1e-6 {
        // Next to one half: compare `x` with the decimal midpoint t.5 × 10^-decimals itself.
        // Both operands of the division are exact integers, so the quotient is the double
        // nearest the midpoint; `x` whose shortest decimal is the midpoint is exactly that
        // double, and rounding is monotone, so the comparison decides on the decimal value.
        x.abs() >= (2.0 * t + 1.0) / (2.0 * scale)
    } else {
        frac > 0.5
    };
    let r = (t + f64::from(u8::from(up))) / scale;
    // Zero is never negative, so outputs never show "-0": adding +0 turns -0 into +0 and
    // leaves any other value as it is. (Without branches: which way a score rounds, and
    // whether it is zero, follow the data, and a mispredicted branch costs more than this.)
    r.copysign(x) + 0.0
}

#[cfg(test)]
mod tests {
    use super::round_dp;
    use proptest::prelude::*;

    /// Reference: round the shortest round-trip decimal text of `x`, digit by digit.
    fn by_text(x: f64, d: usize) -> f64 {
        let text = format!("{}", x.abs());
        let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
        let mut digits: Vec<u8> = int_part.bytes().map(|b| b - b'0').collect();
        let frac: Vec<u8> = frac_part.bytes().map(|b| b - b'0').collect();
        digits.extend((0..d).map(|i| frac.get(i).copied().unwrap_or(0)));
        if frac.get(d).is_some_and(|&n| n >= 5) {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
        let split = digits.len() - d;
        let s: String = digits
            .iter()
            .enumerate()
            .flat_map(|(i, g)| {
                (i == split)
                    .then_some('.')
                    .into_iter()
                    .chain([char::from(b'0' + g)])
            })
            .collect();
        let v: f64 = s.parse().unwrap();
        if x < 0.0 && v != 0.0 {
            -v
        } else {
            v
        }
    }

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
        fn agrees_with_rounding_the_decimal_text(n in -100_000_000i64..100_000_000, d in 0u32..5, extra in 0u32..3) {
            // Values with a few more decimals than kept, many of them exact halves.
            let x = n as f64 / 10f64.powi((d + extra) as i32);
            prop_assume!(!format!("{}", x.abs()).contains('e'));
            prop_assert_eq!(round_dp(x, d), by_text(x, d as usize));
        }

        #[test]
        fn halves_round_away_from_zero(n in -10_000_000i64..10_000_000, d in 0u32..4) {
            let x = (2 * n + 1) as f64 / (2.0 * 10f64.powi(d as i32));
            prop_assume!(!format!("{}", x.abs()).contains('e'));
            prop_assert_eq!(round_dp(x, d), by_text(x, d as usize));
        }

        #[test]
        fn fast_path_agrees_with_float_rounding(x in -1e12f64..1e12, d in 0u32..6) {
            let scale = 10f64.powi(d as i32);
            let y = x * scale;
            prop_assume!(((y - y.trunc()).abs() - 0.5).abs() >= 1e-6);
            let expected = y.round() / scale;
            prop_assert_eq!(round_dp(x, d), if expected == 0.0 { 0.0 } else { expected });
        }

        #[test]
        fn two_decimal_inputs_are_fixed_points(n in -10_000_000i64..10_000_000) {
            let x = n as f64 / 100.0;
            prop_assert_eq!(round_dp(x, 2), x);
        }
    }
}
