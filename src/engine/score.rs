//! Scoring methods: an input value → points. Pure functions; rounding happens in the caller.

use crate::rules::model::Method;

/// The points `method` gives to `value`, for an indicator worth `points`. `Script` methods are
/// evaluated by the caller and never reach here.
#[inline]
pub fn points_for(method: &Method, value: f64, points: f64) -> f64 {
    match method {
        Method::Threshold {
            target,
            higher,
            partial,
        } => {
            let met = if *higher {
                value >= *target
            } else {
                value <= *target
            };
            if met {
                points
            } else {
                *partial
            }
        }
        Method::Linear { from, to } => {
            let t = ((value - from) / (to - from)).clamp(0.0, 1.0);
            t * points
        }
        Method::Bands(bands) => bands
            .iter()
            .find(|b| b.interval.contains(value))
            .map(|b| b.points)
            .unwrap_or(0.0),
        Method::Deduct { per } => (points - per * value.max(0.0)).max(0.0),
        Method::Bonus { per } => (per * value.max(0.0)).min(points),
        Method::Boolean => {
            if value != 0.0 {
                points
            } else {
                0.0
            }
        }
        // Looked up by category name in the caller; see `lookup_points`.
        // Scored with what the row alone does not know (a script, a table, the other
        // entities): by `indicator_points`, never here.
        Method::Lookup(_) | Method::LookupFrom(_) | Method::Script(_) => 0.0,
        Method::Relative { .. }
        | Method::Rank { .. }
        | Method::MinMax { .. }
        | Method::ZScore { .. } => 0.0,
    }
}

/// The points of a `lookup` method for a category, by name.
pub fn lookup_points(table: &[(String, f64)], category: &str) -> f64 {
    table
        .iter()
        .find(|(k, _)| k == category)
        .map(|(_, p)| *p)
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::interval::Interval;
    use crate::rules::model::Band;
    use proptest::prelude::*;

    fn bands() -> Method {
        let b = |r: &str, p: f64| Band {
            interval: Interval::parse(r).unwrap(),
            points: p,
            label: None,
        };
        Method::Bands(vec![
            b("[0, 3)", 0.0),
            b("[3, 5)", 6.0),
            b("[5, 10)", 10.0),
            b("[10, 20)", 15.0),
            b("[20, inf)", 20.0),
        ])
    }

    #[test]
    fn boundaries() {
        let th = Method::Threshold {
            target: 0.9,
            higher: true,
            partial: 2.0,
        };
        assert_eq!(points_for(&th, 0.9, 6.0), 6.0);
        assert_eq!(points_for(&th, 0.8999, 6.0), 2.0);
        let lower = Method::Threshold {
            target: 0.0,
            higher: false,
            partial: 0.0,
        };
        assert_eq!(points_for(&lower, 0.0, 4.0), 4.0);
        assert_eq!(points_for(&lower, 1.0, 4.0), 0.0);
        let lin = Method::Linear {
            from: 0.8,
            to: 0.95,
        };
        assert_eq!(points_for(&lin, 0.8, 4.0), 0.0);
        assert_eq!(points_for(&lin, 0.95, 4.0), 4.0);
        assert_eq!(points_for(&lin, 1.0, 4.0), 4.0);
        let down = Method::Linear {
            from: 10.0,
            to: 0.0,
        };
        assert_eq!(points_for(&down, 0.0, 5.0), 5.0);
        assert_eq!(points_for(&down, 10.0, 5.0), 0.0);
        assert_eq!(points_for(&bands(), 2.999, 20.0), 0.0);
        assert_eq!(points_for(&bands(), 3.0, 20.0), 6.0);
        assert_eq!(points_for(&bands(), 20.0, 20.0), 20.0);
        assert_eq!(points_for(&Method::Deduct { per: 2.0 }, 2.0, 6.0), 2.0);
        assert_eq!(points_for(&Method::Deduct { per: 2.0 }, 5.0, 6.0), 0.0);
        assert_eq!(points_for(&Method::Bonus { per: 1.2 }, 5.0, 6.0), 6.0);
        assert_eq!(points_for(&Method::Bonus { per: 1.2 }, 9.0, 6.0), 6.0);
        assert_eq!(points_for(&Method::Boolean, 1.0, 5.0), 5.0);
        assert_eq!(points_for(&Method::Boolean, 0.0, 5.0), 0.0);
        let table = vec![
            ("weak_economy".to_string(), 3.0),
            ("unstable".to_string(), 1.0),
        ];
        assert_eq!(lookup_points(&table, "unstable"), 1.0);
        assert_eq!(lookup_points(&table, "other"), 0.0);
    }

    fn methods() -> impl Strategy<Value = (Method, bool)> {
        // (method, whether more input means more points)
        prop_oneof![
            (-10.0f64..10.0, 0.0f64..1.0).prop_map(|(t, p)| (
                Method::Threshold {
                    target: t,
                    higher: true,
                    partial: p
                },
                true
            )),
            (-10.0f64..10.0, 0.0f64..1.0).prop_map(|(t, p)| (
                Method::Threshold {
                    target: t,
                    higher: false,
                    partial: p
                },
                false
            )),
            (-10.0f64..10.0, 0.1f64..10.0)
                .prop_map(|(f, w)| (Method::Linear { from: f, to: f + w }, true)),
            (-10.0f64..10.0, 0.1f64..10.0)
                .prop_map(|(f, w)| (Method::Linear { from: f + w, to: f }, false)),
            (0.01f64..5.0).prop_map(|per| (Method::Deduct { per }, false)),
            (0.01f64..5.0).prop_map(|per| (Method::Bonus { per }, true)),
            Just((bands(), true)),
        ]
    }

    proptest! {
        #[test]
        fn points_within_bounds((m, _) in methods(), v in -100.0f64..100.0, pts in 1.0f64..30.0) {
            let p = points_for(&m, v, pts.max(20.0));
            prop_assert!((0.0..=pts.max(20.0)).contains(&p), "{p}");
        }

        #[test]
        fn monotone_methods_are_monotone((m, up) in methods(), a in -100.0f64..100.0, b in -100.0f64..100.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (plo, phi) = (points_for(&m, lo, 20.0), points_for(&m, hi, 20.0));
            if up { prop_assert!(plo <= phi + 1e-12) } else { prop_assert!(plo + 1e-12 >= phi) }
        }
    }
}
