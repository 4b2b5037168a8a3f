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
