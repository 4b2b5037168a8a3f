//! Intervals with explicit inclusivity, written as in mathematics: `[5, 10)`, `[90, inf)`.

use std::fmt;

/// A real interval; each bound says whether it is included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub lo_incl: bool,
    pub hi: f64,
    pub hi_incl: bool,
}

impl Interval {
    /// Parse `[a, b)`, `(a, b]`, `[a, inf)`, `(-inf, b)`; `inf` may also be written `∞`.
    pub fn parse(s: &str) -> Result<Interval, String> {
        Self::parse_with(s, &|_| None)
    }

    /// [`Interval::parse`], where a bound may also be a name that `param` knows
    /// (`[pass_line, 80)`).
    ///
    /// A bound written as a number must leave the interval non-empty; one that names a
    /// parameter may empty it (`[pass_line, 80)` under a what-if at 80): the interval then holds
    /// nothing, written `[80, 80)`.
    pub fn parse_with(s: &str, param: &dyn Fn(&str) -> Option<f64>) -> Result<Interval, String> {
        let named = std::cell::Cell::new(false);
        let bound = |b: &str| {
            bound(b).or_else(|| {
                let v = param(b.trim());
                named.set(named.get() || v.is_some());
                v
            })
        };
        let t = s.trim();
        let open = t.chars().next();
        let close = t.chars().last();
        let lo_incl = match open {
            Some('[') => true,
            Some('(') => false,
            _ => {
                return Err(format!(
                    "`{s}` should start with `[` (included) or `(` (excluded)"
                ))
            }
        };
        let hi_incl = match close {
            Some(']') => true,
            Some(')') => false,
            _ => {
                return Err(format!(
                    "`{s}` should end with `]` (included) or `)` (excluded)"
                ))
            }
        };
        let inner = t
            .get(1..t.len() - close.map(char::len_utf8).unwrap_or(1))
            .unwrap_or("");
        let Some((a, b)) = inner.split_once(',') else {
            return Err(format!(
                "`{s}` should have two bounds separated by a comma, like `[5, 10)`"
            ));
        };
        let lo = bound(a)
            .ok_or_else(|| format!("`{}` in `{s}` is not a number or a parameter", a.trim()))?;
        let hi = bound(b)
            .ok_or_else(|| format!("`{}` in `{s}` is not a number or a parameter", b.trim()))?;
        if named.get() && (lo > hi || (lo == hi && !(lo_incl && hi_incl))) {
            return Ok(Interval {
                lo,
                lo_incl: true,
                hi: lo,
                hi_incl: false,
            });
        }
        if lo > hi || (lo == hi && !(lo_incl && hi_incl)) {
            return Err(format!(
                "`{s}` is empty: the lower bound must be below the upper bound"
            ));
        }
        if lo.is_infinite() && lo_incl || hi.is_infinite() && hi_incl {
            return Err(format!(
                "`{s}`: an infinite bound must be open, like `[90, inf)`"
            ));
        }
        Ok(Interval {
            lo,
            lo_incl,
            hi,
            hi_incl,
        })
    }

    /// Whether no number lies in the interval (possible only when a parameter bounds it).
    pub fn is_empty(&self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && !(self.lo_incl && self.hi_incl))
    }

    /// Whether `x` lies in the interval.
    pub fn contains(&self, x: f64) -> bool {
        let above = if self.lo_incl {
            x >= self.lo
        } else {
            x > self.lo
        };
        let below = if self.hi_incl {
            x <= self.hi
        } else {
            x < self.hi
        };
        above && below
    }

    /// How `self` (sorted before `next`) meets `next`: `Ok` when they touch exactly.
    pub fn meets(&self, next: &Interval) -> Join {
        if self.hi < next.lo || (self.hi == next.lo && !self.hi_incl && !next.lo_incl) {
            Join::Gap
        } else if self.hi > next.lo || (self.hi == next.lo && self.hi_incl && next.lo_incl) {
            Join::Overlap
        } else {
            Join::Touch
        }
    }
}

/// How two sorted intervals meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    Touch,
    Gap,
    Overlap,
}

fn bound(s: &str) -> Option<f64> {
    match s.trim() {
        "inf" | "+inf" | "∞" | "+∞" => Some(f64::INFINITY),
        "-inf" | "-∞" => Some(f64::NEG_INFINITY),
        t => t.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

fn num(x: f64) -> String {
    if x == f64::INFINITY {
        "inf".into()
    } else if x == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{x}")
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}, {}{}",
            if self.lo_incl { '[' } else { '(' },
            num(self.lo),
            num(self.hi),
            if self.hi_incl { ']' } else { ')' }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_tests_membership() {
        let i = Interval::parse("[80, 90)").unwrap();
        assert!(i.contains(80.0) && i.contains(89.99) && !i.contains(90.0));
        let j = Interval::parse("[90, inf)").unwrap();
        assert!(j.contains(1e9));
        assert_eq!(i.meets(&j), Join::Touch);
        let k = Interval::parse("(90, 100]").unwrap();
        assert_eq!(i.meets(&k), Join::Gap);
        let l = Interval::parse("[85, 100]").unwrap();
        assert_eq!(i.meets(&l), Join::Overlap);
        assert!(Interval::parse("[3, 1]").is_err());
        assert!(Interval::parse("[1, inf]").is_err());
        assert!(Interval::parse("1, 2").is_err());
        assert_eq!(
            Interval::parse("( -inf , 0 ]").unwrap().to_string(),
            "(-inf, 0]"
        );
    }
}
