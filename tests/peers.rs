//! Scores relative to the others (a share of the best, points by place, min–max) against an
//! independent model, on random data written in two row orders.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in, json};

use proptest::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

const KIND: &str = r#"kind: office
table: offices
id_column: id
dimensions:
  - { id: work, label: 工作, max: 60 }
indicators:
  - id: income
    label: 收入
    dimension: work
    input: income
    min: 0
    scoring: { method: relative, points: 20 }
  - id: cost
    label: 成本
    dimension: work
    input: cost
    min: 0
    scoring: { method: relative, direction: lower, points: 10 }
  - id: place
    label: 排名
    dimension: work
    input: cases
    type: integer
    min: 0
    scoring: { method: rank, per: 3, floor: 2, points: 15 }
  - id: spread
    label: 区间
    dimension: work
    input: waiting_days
    min: 0
    scoring: { method: minmax, direction: lower, points: 15 }
grades:
  - { id: ok, label: 好, range: "[0, 60]" }
outcomes:
  - { id: done, label: 完成 }
"#;

fn round2(x: f64) -> f64 {
    let v: f64 = format!("{:.9}", x).parse().unwrap();
    (v * 100.0 + 0.5 + 1e-9).floor() / 100.0
}

/// Rows: (income, cost, cases, waiting_days), all non-negative.
fn model(rows: &[(u32, u32, u32, u32)], r: usize) -> [f64; 4] {
    let (inc, cost, cases, wait) = rows[r];
    let best_inc = rows.iter().map(|x| x.0).max().unwrap();
    let best_cost = rows.iter().map(|x| x.1).min().unwrap();
    let better = rows.iter().filter(|x| x.2 > cases).count() as f64;
    let (lo, hi) = (
        rows.iter().map(|x| x.3).min().unwrap(),
        rows.iter().map(|x| x.3).max().unwrap(),
    );
    let income = if inc == best_inc {
        20.0
    } else {
        f64::from(inc) / f64::from(best_inc) * 20.0
    };
    let cost_pts = if cost == best_cost {
        10.0
    } else if cost > 0 {
        f64::from(best_cost) / f64::from(cost) * 10.0
    } else {
        0.0
    };
    let place = (15.0 - 3.0 * better).max(2.0);
    let spread = if hi == lo {
        15.0
    } else {
        f64::from(hi - wait) / f64::from(hi - lo) * 15.0
    };
    [
        round2(income),
        round2(cost_pts),
        round2(place),
        round2(spread),
    ]
}

fn run(dir: &Path, rows: &[(u32, u32, u32, u32)], order: &[usize]) -> serde_json::Value {
    std::fs::create_dir_all(dir.join("rules/kinds")).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("rules/ruleset.yaml"),
        "name: t\nversion: \"1\"\nprimary: office\n",
    )
    .unwrap();
    std::fs::write(dir.join("rules/kinds/office.yaml"), KIND).unwrap();
    let mut csv = String::from("id,income,cost,cases,waiting_days\n");
    for &r in order {
        let (a, b, c, d) = rows[r];
        writeln!(csv, "O{r:03},{a},{b},{c},{d}").unwrap();
    }
    std::fs::write(dir.join("data/offices.csv"), csv).unwrap();
    json(&bangfu_in(
        dir,
        &[
            "run", "--rules", "rules", "--data", "data", "--format", "json",
        ],
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Every entity's points equal the model's, whatever the order of the rows.
    #[test]
    fn peer_scores_follow_the_model_in_any_row_order(
        rows in prop::collection::vec((0u32..60, 1u32..40, 0u32..8, 0u32..30), 1..30),
        seed in any::<u64>(),
    ) {
        let n = rows.len();
        let mut order: Vec<usize> = (0..n).collect();
        // A shuffled order from the seed (a simple LCG is enough to reorder the rows).
        let mut s = seed | 1;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let first = run(a.path(), &rows, &(0..n).collect::<Vec<_>>());
        let second = run(b.path(), &rows, &order);
        prop_assert_eq!(&first["offices"], &second["offices"]);
        for e in first["offices"].as_array().unwrap() {
            let r: usize = e["id"].as_str().unwrap()[1..].parse().unwrap();
            let want = model(&rows, r);
            let got = ["income", "cost", "place", "spread"].map(|k| e["indicators"][k].as_f64().unwrap());
            prop_assert_eq!(got, want, "{:?} row {}", rows, r);
        }
    }
}

const ZKIND: &str = r#"kind: office
table: offices
id_column: id
dimensions:
  - { id: work, label: 工作, max: 30 }
indicators:
  - id: income
    label: 收入
    dimension: work
    input: income
    min: 0
    scoring: { method: zscore, from: -2, to: 2, points: 20 }
  - id: cost
    label: 成本
    dimension: work
    input: cost
    min: 0
    scoring: { method: zscore, direction: lower, from: -1, to: 1.5, points: 10 }
grades:
  - { id: ok, label: 好, range: "[0, 30]" }
outcomes:
  - { id: done, label: 完成 }
"#;

/// The standardised-score points of each row, from the mean and population deviation.
fn z_model(values: &[f64], v: f64, higher: bool, from: f64, to: f64, points: f64) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let z = if sd < 1e-9 {
        0.0
    } else if higher {
        (v - mean) / sd
    } else {
        (mean - v) / sd
    };
    ((z - from) / (to - from)).clamp(0.0, 1.0) * points
}

fn z_run(dir: &Path, rows: &[(u32, u32)], order: &[usize]) -> serde_json::Value {
    std::fs::create_dir_all(dir.join("rules/kinds")).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("rules/ruleset.yaml"),
        "name: t\nversion: \"1\"\nprimary: office\n",
    )
    .unwrap();
    std::fs::write(dir.join("rules/kinds/office.yaml"), ZKIND).unwrap();
    let mut csv = String::from("id,income,cost\n");
    for &r in order {
        let (a, b) = rows[r];
        // Values with decimals, so that a sum in another order could round differently.
        writeln!(csv, "O{r:03},{}.{},{b}.3", a / 10, a % 10).unwrap();
    }
    std::fs::write(dir.join("data/offices.csv"), csv).unwrap();
    json(&bangfu_in(
        dir,
        &[
            "run", "--rules", "rules", "--data", "data", "--format", "json",
        ],
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Standardised scores lie within 0..points, follow the model, and are the same bit for bit
    /// whatever the order of the rows.
    #[test]
    fn z_scores_are_bounded_and_independent_of_row_order(
        rows in prop::collection::vec((0u32..600, 0u32..40), 1..30),
        seed in any::<u64>(),
    ) {
        let n = rows.len();
        let mut order: Vec<usize> = (0..n).collect();
        let mut s = seed | 1;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let first = z_run(a.path(), &rows, &(0..n).collect::<Vec<_>>());
        let second = z_run(b.path(), &rows, &order);
        prop_assert_eq!(&first["offices"], &second["offices"]);
        let incomes: Vec<f64> = rows.iter().map(|r| f64::from(r.0) / 10.0).collect();
        let costs: Vec<f64> = rows.iter().map(|r| f64::from(r.1) + 0.3).collect();
        for e in first["offices"].as_array().unwrap() {
            let r: usize = e["id"].as_str().unwrap()[1..].parse().unwrap();
            let inc = e["indicators"]["income"].as_f64().unwrap();
            let cost = e["indicators"]["cost"].as_f64().unwrap();
            prop_assert!((0.0..=20.0).contains(&inc) && (0.0..=10.0).contains(&cost));
            let want_inc = z_model(&incomes, incomes[r], true, -2.0, 2.0, 20.0);
            let want_cost = z_model(&costs, costs[r], false, -1.0, 1.5, 10.0);
            // Within the rounding of the last decimal kept.
            prop_assert!((inc - want_inc).abs() <= 0.005 + 1e-9, "income {} vs {}", inc, want_inc);
            prop_assert!((cost - want_cost).abs() <= 0.005 + 1e-9, "cost {} vs {}", cost, want_cost);
        }
        // Every value the same: every entity at the mean, z 0, the mean's points.
        if incomes.iter().all(|x| *x == incomes[0]) {
            for e in first["offices"].as_array().unwrap() {
                prop_assert_eq!(e["indicators"]["income"].as_f64().unwrap(), 10.0);
            }
        }
    }
}

#[test]
fn explain_shows_the_mean_and_deviation_of_a_z_score() {
    let dir = tempfile::tempdir().unwrap();
    // Incomes 0.2, 0.4, 0.4, 0.4, 0.5, 0.5, 0.7, 0.9: mean 0.5, deviation 0.2.
    let rows: Vec<(u32, u32)> = [2, 4, 4, 4, 5, 5, 7, 9].iter().map(|&a| (a, 1)).collect();
    z_run(dir.path(), &rows, &(0..rows.len()).collect::<Vec<_>>());
    let out = common::stdout(&bangfu_in(
        dir.path(),
        &["explain", "O007", "--rules", "rules", "--data", "data"],
    ));
    assert!(
        out.contains("zscore: z = (value - mean) / sd over all, mean 0.5, standard deviation 0.2; z 2 here; z -2 -> 2 maps to 0 -> 20, clamped"),
        "{out}"
    );
    let out = common::stdout(&bangfu_in(
        dir.path(),
        &["explain", "O000", "--rules", "rules", "--data", "data"],
    ));
    assert!(
        out.contains("every value is the same: each is at the mean, z 0"),
        "{out}"
    );
}
