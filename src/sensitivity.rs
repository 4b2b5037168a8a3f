//! Monte Carlo sensitivity: draw the uncertain parameters (uniform or triangular, seeded),
//! re-decide every village and unit per draw, and report how often each entity gets each
//! outcome, which villages are borderline, the 5/50/95% rank bands and reward chances of the
//! units, and which parameter moves the decisions most.
//!
//! Every draw has its own random stream derived from the seed and the draw's number, and the
//! counts are integer sums, so results are identical at any thread count.

use crate::data::{DataSet, Frame};
use crate::engine::graph::evaluate_primary;
use crate::engine::run::{rescore_kind, Prior};
use crate::engine::units::{
    evaluate_linked, evaluate_linked_from, link_units, same_links, Links, PriorUnits, UnitResult,
};
use crate::engine::{evaluate_kind_with, EvalError, KindResult};
use crate::rules::load::RuleFiles;
use crate::rules::model::{Kind, Uncertain};
use crate::rules::params::ParamOverride;
use crate::rules::RuleSet;
use rayon::prelude::*;
use serde::Serialize;

/// The whole analysis. Written as JSON by [`Report::to_json`], which names the primary list
/// after its table.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub draws: usize,
    pub seed: u64,
    pub parameters: Vec<ParamSummary>,
    /// The primary entities' outcome chances.
    pub entities: Vec<EntitySens>,
    pub borderline: Vec<String>,
    pub units: Vec<UnitSens>,
    pub influence: Vec<Influence>,
}

/// The keys of the sensitivity document besides the primary list.
const DOCUMENT_KEYS: [&str; 8] = [
    "layout",
    "primary",
    "draws",
    "seed",
    "parameters",
    "borderline",
    "units",
    "influence",
];

impl Report {
    /// The key of the primary list: the primary table's name unless the document uses it.
    pub fn primary_key(primary: &Kind) -> &str {
        crate::report::json::primary_key(&primary.table, &DOCUMENT_KEYS)
    }

    /// The JSON document (`--format json`, `sensitivity.json`): the layout, where the primary
    /// list is, then the analysis.
    pub fn to_json(&self, primary: &Kind) -> serde_json::Value {
        let key = Report::primary_key(primary);
        let mut o = serde_json::Map::new();
        let mut put = |k: &str, v: serde_json::Value| {
            o.insert(k.to_string(), v);
        };
        put("layout", serde_json::json!(crate::report::json::LAYOUT));
        put("primary", crate::report::json::primary_block(primary, key));
        put("draws", serde_json::json!(self.draws));
        put("seed", serde_json::json!(self.seed));
        put("parameters", to_value(&self.parameters));
        put(key, to_value(&self.entities));
        put("borderline", to_value(&self.borderline));
        put("units", to_value(&self.units));
        put("influence", to_value(&self.influence));
        serde_json::Value::Object(o)
    }
}

fn to_value<T: Serialize>(x: &T) -> serde_json::Value {
    serde_json::to_value(x).unwrap_or_default()
}

/// An uncertain parameter as drawn.
#[derive(Debug, Clone, Serialize)]
pub struct ParamSummary {
    pub name: String,
    pub nominal: f64,
    pub min: f64,
    pub max: f64,
    pub distribution: String,
}

/// One entity's outcome chances.
#[derive(Debug, Clone, Serialize)]
pub struct EntitySens {
    pub id: String,
    pub label: String,
    pub nominal: String,
    /// Outcome id → probability, in rule order.
    pub p: Vec<(String, f64)>,
}

/// One unit's rank band and reward chance.
#[derive(Debug, Clone, Serialize)]
pub struct UnitSens {
    pub kind: String,
    pub id: String,
    pub label: String,
    pub nominal_outcome: String,
    /// Ranks are absent for kinds that declare no ranking.
    pub nominal_rank: Option<u32>,
    pub rank_5: Option<u32>,
    pub rank_50: Option<u32>,
    pub rank_95: Option<u32>,
    /// Probability of the best (first passing) outcome, e.g. `reward`.
    pub p_best: f64,
    pub expected_award: f64,
}

/// How much one parameter moves the villages' outcomes.
#[derive(Debug, Clone, Serialize)]
pub struct Influence {
    pub parameter: String,
    /// Villages whose outcome changes at the parameter's min or max, others nominal.
    pub flips_one_at_a_time: usize,
    /// Those villages, in id order: the count above is their number.
    pub flipped: Vec<Flip>,
    /// Share of all one-at-a-time flips due to this parameter.
    pub share: f64,
    /// First-order index from the draws: the share of the variance of the number of exits
    /// explained by this parameter (binned, 10 bins).
    pub first_order: f64,
}

/// A village whose outcome one parameter changes on its own, the others at their nominal
/// values.
#[derive(Debug, Clone, Serialize)]
pub struct Flip {
    pub id: String,
    pub label: String,
    pub nominal: String,
    /// The outcome with the parameter at its `min`, and at its `max`.
    pub at_min: String,
    pub at_max: String,
}

/// splitmix64: independent streams from (seed, draw).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit_float(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Draw one value of `u` from uniform `r` in [0, 1).
fn sample(u: &Uncertain, r: f64) -> f64 {
    match u.mode {
        None => u.min + r * (u.max - u.min),
        Some(m) => {
            // Inverse CDF of the triangular distribution.
            let (a, b) = (u.min, u.max);
            if b <= a {
                return a;
            }
            let f = (m - a) / (b - a);
            if r < f {
                a + (r * (b - a) * (m - a)).sqrt()
            } else {
                b - ((1.0 - r) * (b - a) * (b - m)).sqrt()
            }
        }
    }
}

/// The parameter values of draw `d`.
pub fn draw(unc: &[Uncertain], seed: u64, d: u64) -> Vec<f64> {
    unc.iter()
        .enumerate()
        .map(|(k, u)| {
            sample(
                u,
                unit_float(mix(mix(seed ^ mix(d)).wrapping_add(k as u64))),
            )
        })
        .collect()
}

/// The rule set with some parameters set.
fn with_params(files: &RuleFiles, names: &[&str], values: &[f64]) -> Result<RuleSet, String> {
    let mut f = files.clone();
    // Uncertain weights move indicator points; their dimensions' maximums move with them.
    f.derive_maximums = true;
    // Applied after any scenario's values; what is computed from them is recomputed.
    f.param_overrides.extend(
        names
            .iter()
            .zip(values)
            .map(|(n, v)| ParamOverride::number(n, *v)),
    );
    crate::rules::load_files(&f).map(|(r, _)| r).map_err(|d| {
        d.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Per draw: the primary outcomes, and per unit kind the ranks, outcomes and awards.
struct DrawResult {
    outcomes: Vec<u16>,
    units: Vec<(Vec<u32>, Vec<u16>, Vec<i64>)>,
}

/// The nominal evaluation, which every draw starts from: a draw re-scores only the indicators
/// its parameters change, reuses the input values and the unit links, and decides afresh.
struct Nominal<'a> {
    rules: &'a RuleSet,
    ds: &'a DataSet,
    frame: &'a Frame,
    result: KindResult,
    linked: Links,
    units: Vec<UnitResult>,
}

impl<'a> Nominal<'a> {
    fn new(rules: &'a RuleSet, ds: &'a DataSet, frame: &'a Frame) -> Result<Self, String> {
        // Every draw decides again from these scores: read as they are, not divided out of
        // whole numbers each time.
        let p = evaluate_primary(rules, ds, frame, None, |f, _| {
            evaluate_kind_with(rules, &rules.primary, f, true)
        })
        .map_err(msg)?;
        let result = p.result.with_exact_scores();
        let linked = match p.finer.links {
            Some(l) => l,
            None => link_units(rules, ds, frame).map_err(msg)?,
        };
        let filled = p.frame.as_ref().unwrap_or(frame);
        let units = evaluate_linked(rules, filled, &result, &linked, p.finer.units)
            .map_err(msg)?
            .into_iter()
            .map(|u| UnitResult {
                result: u.result.with_exact_scores(),
                ..u
            })
            .collect();
        Ok(Nominal {
            rules,
            ds,
            frame,
            result,
            linked,
            units,
        })
    }

    /// Evaluate the rule set of one draw.
    fn evaluate(&self, rules: &RuleSet) -> Result<DrawResult, String> {
        let prior = Prior::of(self.rules, &self.rules.primary, &self.result);
        let reuse = same_links(self.rules, rules);
        // A primary kind reading finer kinds is filled again from this draw's results, and
        // scored afresh.
        let p = evaluate_primary(
            rules,
            self.ds,
            self.frame,
            reuse.then_some(&self.linked),
            |f, same| match same
                .then(|| rescore_kind(rules, &rules.primary, f, &prior))
                .flatten()
            {
                Some(r) => r,
                None => evaluate_kind_with(rules, &rules.primary, f, false),
            },
        )
        .map_err(msg)?;
        let frame = p.frame.as_ref().unwrap_or(self.frame);
        let res = p.result;
        let units = if reuse {
            let prior = PriorUnits {
                rules: self.rules,
                units: &self.units,
                before: &self.result,
            };
            evaluate_linked_from(
                rules,
                frame,
                &res,
                &self.linked,
                Some(&prior),
                p.finer.units,
            )
        } else {
            crate::engine::graph::evaluate_units_after(rules, self.ds, frame, &res, p.finer)
        }
        .map_err(msg)?;
        Ok(DrawResult {
            outcomes: res.outcome,
            units: units
                .into_iter()
                .map(|u| (u.rank, u.result.outcome, u.award))
                .collect(),
        })
    }
}

fn msg(e: EvalError) -> String {
    match e {
        EvalError::Data(d, _) => d
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        EvalError::Script(s, _) => s
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        EvalError::Internal(what) => format!("internal error: {what} (a bug in bangfu)"),
    }
}

/// Run the analysis. `tick` is called once per finished draw (for a progress bar).
pub fn run(
    files: &RuleFiles,
    nominal: &RuleSet,
    ds: &DataSet,
    frame: &Frame,
    draws: usize,
    seed: u64,
    tick: &(dyn Fn() + Sync),
) -> Result<Report, String> {
    let unc = &nominal.uncertainty;
    if unc.is_empty() {
        return Err(
            "the rule set declares no uncertain parameters: add `uncertainty:` to ruleset.yaml"
                .into(),
        );
    }
    let names: Vec<&str> = unc.iter().map(|u| u.name.as_str()).collect();
    let start = Nominal::new(nominal, ds, frame)?;
    let base = start.evaluate(nominal)?;
    let n = frame.len();
    let k = nominal.primary.outcomes.len();
    let mut samples = Vec::with_capacity(draws);
    let mut counts = vec![0u32; n * k];
    // Which unit kinds are reported: ranked ones (rank bands), and any with a choice of outcome.
    let reported: Vec<bool> = (0..base.units.len())
        .map(|u| {
            nominal
                .units
                .get(u)
                .is_some_and(|uk| ranked(uk) || uk.outcomes.len() > 1 || uk.fund.is_some())
        })
        .collect();
    let is_ranked = |u: usize| nominal.units.get(u).is_some_and(ranked);
    let mut unit_ranks: Vec<Vec<Vec<u32>>> = base
        .units
        .iter()
        .enumerate()
        .map(|(u, (r, _, _))| {
            if is_ranked(u) {
                vec![Vec::with_capacity(draws); r.len()]
            } else {
                Vec::new()
            }
        })
        .collect();
    let mut unit_best: Vec<Vec<u32>> = base
        .units
        .iter()
        .map(|(r, _, _)| vec![0; r.len()])
        .collect();
    let mut unit_award: Vec<Vec<i64>> = base
        .units
        .iter()
        .map(|(r, _, _)| vec![0; r.len()])
        .collect();
    let best_units: Vec<u16> = (0..base.units.len())
        .map(|u| nominal.units.get(u).map_or(0, crate::explain::best_outcome) as u16)
        .collect();
    let mut exits_per_draw = Vec::with_capacity(draws);
    // Which of the primary kind's outcomes pass: what the influence and the borderline count.
    let passing: Vec<bool> = nominal.primary.outcomes.iter().map(|o| o.passing).collect();
    // Draws in parallel, a batch at a time, each batch folded in draw order: memory stays
    // bounded whatever the number of draws, and the sums are the same at any thread count.
    const BATCH: usize = 64;
    let all: Vec<usize> = (0..draws).collect();
    for batch in all.chunks(BATCH) {
        let results: Vec<Result<(Vec<f64>, DrawResult), String>> = batch
            .par_iter()
            .map(|&d| {
                let values = draw(unc, seed, d as u64);
                let rules = with_params(files, &names, &values)?;
                let r = start.evaluate(&rules)?;
                tick();
                Ok((values, r))
            })
            .collect();
        for r in results {
            let (values, dr) = r?;
            for (i, o) in dr.outcomes.iter().enumerate() {
                if let Some(c) = counts.get_mut(i * k + *o as usize) {
                    *c += 1;
                }
            }
            // Entities that pass (any passing outcome: 合格 and 表彰 alike), per draw.
            exits_per_draw.push(
                dr.outcomes
                    .iter()
                    .filter(|o| passing.get(**o as usize).copied().unwrap_or(false))
                    .count() as f64,
            );
            for (u, (ranks, outcomes, awards)) in dr.units.iter().enumerate() {
                let best = best_units.get(u).copied().unwrap_or(0);
                if let Some(per_unit) = unit_ranks.get_mut(u) {
                    for (v, rk) in per_unit.iter_mut().zip(ranks) {
                        v.push(*rk);
                    }
                }
                for (c, o) in unit_best.get_mut(u).into_iter().flatten().zip(outcomes) {
                    *c += u32::from(*o == best);
                }
                for (a, x) in unit_award.get_mut(u).into_iter().flatten().zip(awards) {
                    *a += *x;
                }
            }
            samples.push(values);
        }
    }
    let kind = &nominal.primary;
    let entities: Vec<EntitySens> = (0..n)
        .map(|i| EntitySens {
            id: frame.id(i).to_string(),
            label: frame.label(i).to_string(),
            nominal: kind
                .outcomes
                .get(base.outcomes.get(i).copied().unwrap_or(0) as usize)
                .map(|o| o.id.clone())
                .unwrap_or_default(),
            p: kind
                .outcomes
                .iter()
                .enumerate()
                .map(|(o, out)| {
                    (
                        out.id.clone(),
                        f64::from(counts.get(i * k + o).copied().unwrap_or(0))
                            / draws.max(1) as f64,
                    )
                })
                .collect(),
        })
        .collect();
    // Borderline: passing (by any passing outcome) in more than 5% and fewer than 95% of the
    // draws.
    let borderline: Vec<String> = entities
        .iter()
        .filter(|v| {
            let p: f64 =
                v.p.iter()
                    .zip(&kind.outcomes)
                    .filter(|(_, o)| o.passing)
                    .map(|((_, p), _)| *p)
                    .sum();
            p > 0.05 && p < 0.95
        })
        .map(|v| v.id.clone())
        .collect();
    // Units: the frames are re-evaluated each draw in the same order (units are sorted by id).
    let nominal_units = &start.units;
    let mut units = Vec::new();
    for (u, nu) in nominal_units.iter().enumerate() {
        let Some(uk) = nominal.units.get(nu.kind) else {
            continue;
        };
        if !reported.get(nu.kind).copied().unwrap_or(false) {
            continue;
        }
        let has_rank = ranked(uk);
        for i in 0..nu.frame.len() {
            let mut ranks = unit_ranks
                .get(u)
                .and_then(|x| x.get(i))
                .cloned()
                .unwrap_or_default();
            ranks.sort_unstable();
            let q = |p: f64| {
                ranks
                    .get(((ranks.len().saturating_sub(1)) as f64 * p).round() as usize)
                    .copied()
                    .filter(|_| has_rank)
            };
            units.push(UnitSens {
                kind: uk.name.clone(),
                id: nu.frame.id(i).to_string(),
                label: nu.frame.label(i).to_string(),
                nominal_outcome: uk
                    .outcomes
                    .get(nu.result.outcome.get(i).copied().unwrap_or(0) as usize)
                    .map(|o| o.id.clone())
                    .unwrap_or_default(),
                nominal_rank: nu.rank.get(i).copied().filter(|_| has_rank),
                rank_5: q(0.05),
                rank_50: q(0.5),
                rank_95: q(0.95),
                p_best: f64::from(
                    unit_best
                        .get(u)
                        .and_then(|x| x.get(i))
                        .copied()
                        .unwrap_or(0),
                ) / draws.max(1) as f64,
                expected_award: unit_award
                    .get(u)
                    .and_then(|x| x.get(i))
                    .copied()
                    .unwrap_or(0) as f64
                    / draws.max(1) as f64,
            });
        }
    }
    let outcome_id = |o: u16| {
        kind.outcomes
            .get(usize::from(o))
            .map(|x| x.id.clone())
            .unwrap_or_default()
    };
    let influence = influence(files, &start, &base.outcomes, &samples, &exits_per_draw)?
        .into_iter()
        .map(|(mut inf, moved)| {
            inf.flipped = moved
                .into_iter()
                .filter_map(|(i, lo, hi)| {
                    let v = entities.get(i)?;
                    Some(Flip {
                        id: v.id.clone(),
                        label: v.label.clone(),
                        nominal: v.nominal.clone(),
                        at_min: outcome_id(lo),
                        at_max: outcome_id(hi),
                    })
                })
                .collect();
            inf
        })
        .collect();
    Ok(Report {
        draws,
        seed,
        parameters: unc
            .iter()
            .map(|u| ParamSummary {
                name: u.name.clone(),
                nominal: u.nominal,
                min: u.min,
                max: u.max,
                distribution: u
                    .mode
                    .map_or("uniform".into(), |m| format!("triangular, mode {m}")),
            })
            .collect(),
        entities,
        borderline,
        units,
        influence,
    })
}

/// Whether a unit kind is put in order (and so has ranks worth a band).
fn ranked(uk: &crate::rules::model::Kind) -> bool {
    !uk.rank.is_empty() || uk.fund.is_some() || !uk.quotas.is_empty() || uk.top.is_some()
}

/// An entity one parameter flips on its own: its row, and its outcome at the parameter's
/// `min` and at its `max`.
type Moved = (usize, u16, u16);

/// One-at-a-time flips at each parameter's extremes, and a binned first-order index. With
/// each parameter, the entities it flips: (row, outcome at its min, outcome at its max).
fn influence(
    files: &RuleFiles,
    start: &Nominal,
    base: &[u16],
    samples: &[Vec<f64>],
    exits: &[f64],
) -> Result<Vec<(Influence, Vec<Moved>)>, String> {
    let unc = &start.rules.uncertainty;
    let names: Vec<&str> = unc.iter().map(|u| u.name.as_str()).collect();
    let mut flips = Vec::new();
    let mut moved = Vec::new();
    for (j, u) in unc.iter().enumerate() {
        let mut at = Vec::new();
        for extreme in [u.min, u.max] {
            let mut values: Vec<f64> = unc.iter().map(|x| x.nominal).collect();
            if let Some(v) = values.get_mut(j) {
                *v = extreme;
            }
            let rules = with_params(files, &names, &values)?;
            at.push(start.evaluate(&rules)?.outcomes);
        }
        let (lo, hi) = match at.as_slice() {
            [lo, hi] => (lo, hi),
            _ => return Err("a parameter was not evaluated at both of its extremes".into()),
        };
        let changed: Vec<Moved> = base
            .iter()
            .zip(lo.iter().zip(hi))
            .enumerate()
            .filter(|(_, (a, (l, h)))| a != l || a != h)
            .map(|(i, (_, (l, h)))| (i, *l, *h))
            .collect();
        flips.push(changed.len());
        moved.push(changed);
    }
    let total_flips: usize = flips.iter().sum();
    let mean = exits.iter().sum::<f64>() / exits.len().max(1) as f64;
    let var = exits.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / exits.len().max(1) as f64;
    Ok(unc
        .iter()
        .zip(moved)
        .enumerate()
        .map(|(j, (u, m))| {
            // Var(E[Y | X_j]) / Var(Y), with X_j in 10 equal bins of its range.
            let mut bins = [(0.0, 0usize); 10];
            for (s, y) in samples.iter().zip(exits) {
                let x = s.get(j).copied().unwrap_or(u.nominal);
                let b = if u.max > u.min {
                    (((x - u.min) / (u.max - u.min)) * 10.0)
                        .floor()
                        .clamp(0.0, 9.0) as usize
                } else {
                    0
                };
                if let Some(bin) = bins.get_mut(b) {
                    bin.0 += y;
                    bin.1 += 1;
                }
            }
            let n = exits.len().max(1) as f64;
            let between: f64 = bins
                .iter()
                .filter(|b| b.1 > 0)
                .map(|(sum, c)| (*c as f64 / n) * (sum / *c as f64 - mean).powi(2))
                .sum();
            let flips_j = flips.get(j).copied().unwrap_or(0);
            let inf = Influence {
                parameter: u.name.clone(),
                flips_one_at_a_time: flips_j,
                flipped: Vec::new(),
                share: if total_flips == 0 {
                    0.0
                } else {
                    flips_j as f64 / total_flips as f64
                },
                first_order: if var > 0.0 {
                    (between / var).clamp(0.0, 1.0)
                } else {
                    0.0
                },
            };
            (inf, m)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_reproducible_and_in_range() {
        let u = vec![
            Uncertain {
                name: "a".into(),
                min: 68.0,
                max: 72.0,
                mode: None,
                nominal: 70.0,
            },
            Uncertain {
                name: "b".into(),
                min: 10.0,
                max: 14.0,
                mode: Some(12.0),
                nominal: 12.0,
            },
        ];
        for d in 0..1000 {
            let v = draw(&u, 42, d);
            assert_eq!(v, draw(&u, 42, d));
            assert!((68.0..=72.0).contains(&v[0]) && (10.0..=14.0).contains(&v[1]));
        }
        assert_ne!(draw(&u, 42, 1), draw(&u, 43, 1));
        // The triangular draws gather around the mode.
        let mean: f64 = (0..2000).map(|d| draw(&u, 7, d)[1]).sum::<f64>() / 2000.0;
        assert!((mean - 12.0).abs() < 0.1, "{mean}");
    }
}
