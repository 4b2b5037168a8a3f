//! Score columns in four bytes a score.
//!
//! Every point, dimension score and total is rounded to the rule set's precision, so it is a
//! whole number of 10^-precision. [`Fixed`] keeps that whole number as an `i32` when it reads
//! back as exactly the same `f64`; a kind with any score that would not (a precision too fine
//! for its magnitudes) keeps plain `f64`s. Either way every score reads back bit for bit.

use std::borrow::Cow;

/// Powers of ten for the supported precisions.
const SCALE: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// The divisor of scaled scores at `precision`, when one applies.
pub fn scale_for(precision: u32) -> Option<f64> {
    SCALE.get(precision as usize).copied()
}

/// A column of scores, `width` to an entity (row-major).
#[derive(Debug, Clone)]
pub enum Fixed {
    /// Whole numbers of 1/`scale`.
    Scaled { scale: f64, v: Vec<i32> },
    /// The scores themselves.
    Exact(Vec<f64>),
}

impl Default for Fixed {
    fn default() -> Fixed {
        Fixed::Exact(Vec::new())
    }
}

impl PartialEq for Fixed {
    /// Equal when every score is the same `f64`, whatever the storage.
    fn eq(&self, other: &Fixed) -> bool {
        self.len() == other.len()
            && (0..self.len())
                .all(|i| self.get(i).map(f64::to_bits) == other.get(i).map(f64::to_bits))
    }
}

/// `x` as a whole number of 1/`scale`, when that number reads back as exactly `x`.
#[inline]
pub fn scaled(x: f64, scale: f64) -> Option<i32> {
    let y = x * scale;
    if !(f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&y) {
        return None;
    }
    // Nearest whole number, half away from zero, through a cast (no library call); whatever
    // it gives is checked below.
    let i = (y + 0.5f64.copysign(y)) as i32;
    ((f64::from(i) / scale).to_bits() == x.to_bits()).then_some(i)
}

impl Fixed {
    /// Number of scores.
    pub fn len(&self) -> usize {
        match self {
            Fixed::Scaled { v, .. } => v.len(),
            Fixed::Exact(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Score `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        match self {
            Fixed::Scaled { scale, v } => v.get(i).map(|&n| f64::from(n) / scale),
            Fixed::Exact(v) => v.get(i).copied(),
        }
    }

    /// The same scores stored as they are.
    pub fn to_exact(&self) -> Fixed {
        match self {
            Fixed::Scaled { .. } => {
                Fixed::Exact((0..self.len()).filter_map(|i| self.get(i)).collect())
            }
            Fixed::Exact(v) => Fixed::Exact(v.clone()),
        }
    }

    /// Row `r` of `dst.len()` scores, into `dst`; false (and `dst` partly written) when the
    /// column holds no such row, which the caller reports: a score never reads as 0 for
    /// want of a row.
    #[must_use]
    pub fn read_row(&self, r: usize, dst: &mut [f64]) -> bool {
        let start = r * dst.len();
        dst.iter_mut()
            .enumerate()
            .all(|(i, slot)| match self.get(start + i) {
                Some(x) => {
                    *slot = x;
                    true
                }
                None => false,
            })
    }

    /// The `width` whole numbers of entity `r` and their divisor, when stored scaled.
    pub fn scaled_row(&self, r: usize, width: usize) -> Option<(&[i32], f64)> {
        match self {
            Fixed::Scaled { scale, v } => Some((v.get(r * width..(r + 1) * width)?, *scale)),
            Fixed::Exact(_) => None,
        }
    }

    /// The `width` scores of entity `r`: borrowed when stored as they are.
    pub fn row(&self, r: usize, width: usize) -> Cow<'_, [f64]> {
        let span = r * width..(r + 1) * width;
        match self {
            Fixed::Scaled { scale, v } => Cow::Owned(
                v.get(span)
                    .unwrap_or(&[])
                    .iter()
                    .map(|&n| f64::from(n) / scale)
                    .collect(),
            ),
            Fixed::Exact(v) => Cow::Borrowed(v.get(span).unwrap_or(&[])),
        }
    }
}

/// One entity's scores (points or dimension scores): a slice while the entity is scored, or
/// its row of a finished kind's stored scores, read without a copy.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    Slice(&'a [f64]),
    Stored {
        col: &'a Fixed,
        start: usize,
        len: usize,
    },
}

impl<'a> Row<'a> {
    /// Row `r` of `col`, `width` scores to a row.
    pub fn of(col: &'a Fixed, r: usize, width: usize) -> Row<'a> {
        match col {
            Fixed::Exact(v) => Row::Slice(v.get(r * width..(r + 1) * width).unwrap_or(&[])),
            Fixed::Scaled { .. } => Row::Stored {
                col,
                start: r * width,
                len: width,
            },
        }
    }

    /// Score `i` of the row.
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        match *self {
            Row::Slice(s) => s.get(i).copied(),
            Row::Stored { col, start, len } => (i < len).then(|| col.get(start + i)).flatten(),
        }
    }

    pub fn len(&self) -> usize {
        match *self {
            Row::Slice(s) => s.len(),
            Row::Stored { len, .. } => len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every score of the row.
    pub fn iter(self) -> impl Iterator<Item = f64> + 'a {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

/// Where a block of scores goes: a slice of the kind's column, in its storage.
pub enum Dest<'a> {
    Scaled(&'a mut [i32], f64),
    Exact(&'a mut [f64]),
}

impl Dest<'_> {
    /// Store `src` from the start of the slice; false when a score does not fit the storage.
    pub fn store(&mut self, src: &[f64]) -> bool {
        match self {
            Dest::Exact(d) => {
                for (slot, x) in d.iter_mut().zip(src) {
                    *slot = *x;
                }
                true
            }
            Dest::Scaled(d, scale) => {
                let mut fits = true;
                for (slot, x) in d.iter_mut().zip(src) {
                    match scaled(*x, *scale) {
                        Some(n) => *slot = n,
                        None => fits = false,
                    }
                }
                fits
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::round::round_dp;
    use proptest::prelude::*;

    proptest! {
        /// Every rounded score of a usual size and precision is stored scaled and reads back
        /// bit for bit.
        #[test]
        fn rounded_scores_read_back_exactly(x in -1.0e6f64..1.0e6, p in 0u32..=3) {
            let r = round_dp(x, p);
            let scale = scale_for(p).unwrap_or(1.0);
            let n = scaled(r, scale);
            prop_assert!(n.is_some(), "{r} at precision {p} was not stored scaled");
            let col = Fixed::Scaled { scale, v: vec![n.unwrap_or(0)] };
            prop_assert_eq!(col.get(0).map(f64::to_bits), Some(r.to_bits()));
        }

        /// Whatever is stored scaled reads back as the same bits; anything else is refused.
        #[test]
        fn scaled_never_changes_a_value(x in proptest::num::f64::ANY, p in 0u32..=9) {
            let scale = scale_for(p).unwrap_or(1.0);
            if let Some(n) = scaled(x, scale) {
                prop_assert_eq!((f64::from(n) / scale).to_bits(), x.to_bits());
            }
        }
    }

    #[test]
    fn what_does_not_fit_is_refused() {
        // Not rounded to the precision, too large for four bytes, negative zero, not a number.
        for x in [0.125, 3.0e7, -0.0, f64::NAN, f64::INFINITY] {
            assert_eq!(scaled(x, 100.0), None, "{x}");
        }
        let mut d = [0i32; 2];
        assert!(!Dest::Scaled(&mut d, 100.0).store(&[1.25, 0.125]));
        assert!(Dest::Scaled(&mut d, 100.0).store(&[1.25, -2.5]));
        assert_eq!(d, [125, -250]);
    }
}
