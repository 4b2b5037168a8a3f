//! Scores relative to the others of a kind: 以最高值为满分、其余按比例折算 (a share of the best
//! value), 按排名赋分 (points by place) and min–max scores. What each needs from the whole
//! kind (the best value, the sorted values, the range) is taken once, over every entity's
//! input, before any entity is scored, so that no score depends on the order of the rows.

use super::entity::data_input;
use crate::data::Frame;
use crate::rules::model::{Indicator, Kind, Method};

/// What a peer-relative method knows of the whole kind.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerStat {
    /// The best value (the largest, or the smallest when lower is better).
    Best(f64),
    /// Every entity's value, ascending, to find a value's place.
    Sorted(Vec<f64>),
    /// The lowest and highest values.
    Range(f64, f64),
    /// The mean and the (population) standard deviation of the values.
    Moments { mean: f64, sd: f64 },
}

/// Whether any indicator of `kind` scores relative to the others.
pub fn has_peers(kind: &Kind) -> bool {
    kind.indicators.iter().any(|i| i.method.is_peer())
}

/// For each indicator, what its peer-relative method needs of the whole kind (`None` for the
/// other methods, and for a kind without entities).
pub fn peer_stats(kind: &Kind, frame: &Frame) -> Vec<Option<PeerStat>> {
    kind.indicators.iter().map(|ind| stat(ind, frame)).collect()
}

fn stat(ind: &Indicator, frame: &Frame) -> Option<PeerStat> {
    if !ind.method.is_peer() {
        return None;
    }
    let values: Vec<f64> = (0..frame.len())
        .filter_map(|r| data_input(frame, r, &ind.input))
        .collect();
    let lo = values.iter().copied().reduce(f64::min)?;
    let hi = values.iter().copied().reduce(f64::max)?;
    Some(match ind.method {
        Method::Relative { higher } => PeerStat::Best(if higher { hi } else { lo }),
        Method::Rank { .. } => {
            let mut sorted = values;
            sorted.sort_by(f64::total_cmp);
            PeerStat::Sorted(sorted)
        }
        Method::ZScore { .. } => moments(values),
        _ => PeerStat::Range(lo, hi),
    })
}

/// The points of `value` under a peer-relative method, from what the kind's entities give.
/// Without a statistic (no entity), the value is the only one and the best.
pub fn peer_points(method: &Method, stat: Option<&PeerStat>, value: f64, points: f64) -> f64 {
    match (method, stat) {
        (Method::Relative { higher }, Some(PeerStat::Best(best))) => {
            let share = if value == *best {
                1.0
            } else if *higher && *best > 0.0 {
                value / best
            } else if !*higher && value > 0.0 && *best >= 0.0 {
                best / value
            } else {
                0.0
            };
            share.clamp(0.0, 1.0) * points
        }
        (Method::Rank { higher, per, floor }, Some(PeerStat::Sorted(sorted))) => {
            let better = place(sorted, value, *higher) - 1;
            (points - per * better as f64).max(*floor).max(0.0)
        }
        (Method::MinMax { higher }, Some(PeerStat::Range(lo, hi))) => {
            if hi <= lo {
                return points;
            }
            let t = if *higher {
                (value - lo) / (hi - lo)
            } else {
                (hi - value) / (hi - lo)
            };
            t.clamp(0.0, 1.0) * points
        }
        (Method::ZScore { higher, from, to }, Some(PeerStat::Moments { mean, sd })) => {
            let z = z_of(value, *mean, *sd, *higher);
            ((z - from) / (to - from)).clamp(0.0, 1.0) * points
        }
        _ => points,
    }
}

/// The mean and population standard deviation (divided by the number of values, not one
/// less: the kind's entities are the whole population, not a sample of it). The values are
/// summed in ascending order, so the result is the same bit for bit whatever the row order.
fn moments(mut values: Vec<f64>) -> PeerStat {
    values.sort_by(f64::total_cmp);
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    PeerStat::Moments {
        mean,
        sd: var.sqrt(),
    }
}

/// Whether the values are all the same. A spread lost in rounding noise (the mean of three
/// 0.1s is not exactly 0.1) is no spread: equal values must all score alike.
pub fn no_spread(mean: f64, sd: f64) -> bool {
    sd <= mean.abs().max(1.0) * 1e-12
}

/// The standardised score of `value`, better values higher: 0 for every entity when all the
/// values are the same (each is then at the mean).
pub fn z_of(value: f64, mean: f64, sd: f64, higher: bool) -> f64 {
    if no_spread(mean, sd) {
        return 0.0;
    }
    let z = (value - mean) / sd;
    if higher {
        z
    } else {
        -z
    }
}

/// The place of `value` among `sorted` (1 = best), tied values sharing the better place.
pub fn place(sorted: &[f64], value: f64, higher: bool) -> usize {
    1 + if higher {
        sorted.len() - sorted.partition_point(|x| *x <= value)
    } else {
        sorted.partition_point(|x| *x < value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_the_best() {
        let m = Method::Relative { higher: true };
        let s = PeerStat::Best(40.0);
        assert_eq!(peer_points(&m, Some(&s), 40.0, 20.0), 20.0);
        assert_eq!(peer_points(&m, Some(&s), 10.0, 20.0), 5.0);
        let low = Method::Relative { higher: false };
        let s = PeerStat::Best(2.0);
        assert_eq!(peer_points(&low, Some(&s), 2.0, 10.0), 10.0);
        assert_eq!(peer_points(&low, Some(&s), 4.0, 10.0), 5.0);
        // Every value 0: each ties the best.
        assert_eq!(peer_points(&m, Some(&PeerStat::Best(0.0)), 0.0, 10.0), 10.0);
    }

    #[test]
    fn places_share_ties_and_stop_at_the_floor() {
        let m = Method::Rank {
            higher: true,
            per: 2.0,
            floor: 3.0,
        };
        let s = PeerStat::Sorted(vec![1.0, 5.0, 5.0, 9.0]);
        assert_eq!(peer_points(&m, Some(&s), 9.0, 10.0), 10.0);
        // Two values tie for second place; the next is fourth.
        assert_eq!(peer_points(&m, Some(&s), 5.0, 10.0), 8.0);
        assert_eq!(peer_points(&m, Some(&s), 1.0, 10.0), 4.0);
        let deep = PeerStat::Sorted(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(peer_points(&m, Some(&deep), 1.0, 10.0), 3.0);
        assert_eq!(place(&[1.0, 5.0, 5.0, 9.0], 5.0, true), 2);
        assert_eq!(place(&[1.0, 5.0, 5.0, 9.0], 1.0, false), 1);
    }

    #[test]
    fn min_max_over_the_range() {
        let m = Method::MinMax { higher: false };
        let s = PeerStat::Range(10.0, 30.0);
        assert_eq!(peer_points(&m, Some(&s), 10.0, 8.0), 8.0);
        assert_eq!(peer_points(&m, Some(&s), 25.0, 8.0), 2.0);
        assert_eq!(
            peer_points(&m, Some(&PeerStat::Range(3.0, 3.0)), 3.0, 8.0),
            8.0
        );
    }

    #[test]
    fn standardised_scores_from_the_mean_and_deviation() {
        // Mean 5, population standard deviation 2.
        let s = moments(vec![9.0, 2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0]);
        assert_eq!(s, PeerStat::Moments { mean: 5.0, sd: 2.0 });
        let m = Method::ZScore {
            higher: true,
            from: -2.0,
            to: 2.0,
        };
        assert_eq!(peer_points(&m, Some(&s), 9.0, 10.0), 10.0);
        assert_eq!(peer_points(&m, Some(&s), 5.0, 10.0), 5.0);
        assert_eq!(peer_points(&m, Some(&s), 4.0, 10.0), 3.75);
        assert_eq!(peer_points(&m, Some(&s), 20.0, 10.0), 10.0);
        assert_eq!(peer_points(&m, Some(&s), -20.0, 10.0), 0.0);
        let low = Method::ZScore {
            higher: false,
            from: -1.0,
            to: 1.0,
        };
        assert_eq!(peer_points(&low, Some(&s), 4.0, 10.0), 7.5);
        // All the same: each is at the mean, z 0, which scores what the mean scores.
        let flat = moments(vec![0.1, 0.1, 0.1]);
        assert_eq!(peer_points(&m, Some(&flat), 0.1, 10.0), 5.0);
        let lopsided = Method::ZScore {
            higher: true,
            from: -1.0,
            to: 0.0,
        };
        assert_eq!(peer_points(&lopsided, Some(&flat), 0.1, 10.0), 10.0);
    }
}
