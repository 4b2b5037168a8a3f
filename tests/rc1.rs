//! Differential test: bangfu on the reference criteria RC-1 (`benches/rc1/`, YAML-only and
//! with the vetoes in rhai) against a small independent model written from `RC1.md`, on
//! random villages. Totals, dimensions, grades, outcomes and department rewards must agree
//! exactly. The model shares no code with the engine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "common/rc1gen.rs"]
mod rc1gen;
use rc1gen::{generate, write_csv, Village};

/// Round half away from zero on the number's shortest decimal text (2.675 → 2.68).
fn round2(x: f64) -> f64 {
    let text = format!("{}", x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac: Vec<u32> = frac.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let mut cents: i64 = int.parse::<i64>().unwrap() * 100
        + i64::from(*frac.first().unwrap_or(&0)) * 10
        + i64::from(*frac.get(1).unwrap_or(&0));
    if *frac.get(2).unwrap_or(&0) >= 5 {
        cents += 1;
    }
    let v = cents as f64 / 100.0;
    if x < 0.0 {
        -v
    } else {
        v
    }
}

struct Scored {
    dims: [f64; 5],
    total: f64,
    grade: &'static str,
    exit: bool,
}

/// RC-1 as `RC1.md` states it.
fn model(v: &Village) -> Scored {
    let b = |x: bool, p: f64| if x { p } else { 0.0 };
    let hist = if v.hist_id == 0 {
        8.0
    } else {
        8.0 * v.hist_res as f64 / v.hist_id as f64
    };
    let disputes = (6.0 - 2.0 * v.disputes as f64).max(0.0);
    let hazards = if v.hazards >= 0.9 {
        6.0
    } else {
        6.0 * v.hazards / 0.9
    };
    let stability = [hist, disputes, hazards];
    let leadership = [
        b(v.committees, 6.0),
        (1.2 * v.reserve as f64).min(6.0),
        (v.training as f64).min(4.0),
        b(v.secretary, 4.0),
    ];
    let income = match v.income {
        x if x < 3.0 => 0.0,
        x if x < 5.0 => 6.0,
        x if x < 10.0 => 10.0,
        x if x < 20.0 => 15.0,
        _ => 20.0,
    };
    let economy = [income, (0.5 * v.growth).clamp(0.0, 5.0)];
    let insurance = if v.insurance >= 0.95 {
        4.0
    } else if v.insurance <= 0.80 {
        0.0
    } else {
        4.0 * (v.insurance - 0.80) / 0.15
    };
    let services = [
        (v.funds * 8.0 / 30.0).min(8.0),
        b(v.roads, 4.0),
        b(v.water, 4.0),
        insurance,
    ];
    let standard = [
        b(v.regulations, 5.0),
        5.0 * v.disclosure as f64 / 12.0,
        5.0 * v.procedure as f64 / v.major as f64,
    ];
    let dim = |xs: &[f64]| round2(xs.iter().map(|x| round2(*x)).sum());
    let dims = [
        dim(&stability),
        dim(&leadership),
        dim(&economy),
        dim(&services),
        dim(&standard),
    ];
    let total = round2(dims.iter().sum());
    let mins = [10.0, 10.0, 10.0, 10.0, 7.5];
    let veto = v.collective > 0 || v.skip > 0 || v.dissatisfied > 0.5;
    let exit = !veto && total >= 70.0 && dims.iter().zip(mins).all(|(d, m)| *d >= m);
    let grade = if total >= 90.0 {
        "excellent"
    } else if total >= 80.0 {
        "good"
    } else if total >= 70.0 {
        "pass"
    } else {
        "fail"
    };
    Scored {
        dims,
        total,
        grade,
        exit,
    }
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = rdr
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    rdr.records()
        .map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn check_variant(variant: &str, n: usize, seed: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let villages = generate(n, seed);
    write_csv(&villages, &data.join("villages.csv"));
    let out = tmp.path().join("out");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new(env!("CARGO_BIN_EXE_bangfu"))
        .args(["run", "--quiet", "--csv-only", "--rules"])
        .arg(root.join("benches/rc1").join(variant))
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows = read_csv(&out.join("villages.csv"));
    assert_eq!(rows.len(), n);
    let dim_names = [
        "stability",
        "leadership",
        "economy",
        "services",
        "standardization",
    ];
    let mut by_dept: BTreeMap<String, (Vec<f64>, bool)> = BTreeMap::new();
    for (v, row) in villages.iter().zip(&rows) {
        assert_eq!(row["id"], v.id);
        let m = model(v);
        for (d, name) in dim_names.iter().enumerate() {
            assert_eq!(
                row[*name],
                format!("{:.2}", m.dims[d]),
                "{variant} {} {name}",
                v.id
            );
        }
        assert_eq!(
            row["total"],
            format!("{:.2}", m.total),
            "{variant} {} total",
            v.id
        );
        assert_eq!(row["grade"], m.grade, "{variant} {} grade", v.id);
        assert_eq!(
            row["outcome"],
            if m.exit { "exit" } else { "continue" },
            "{variant} {} outcome",
            v.id
        );
        let e = by_dept.entry(v.dept.clone()).or_insert((Vec::new(), true));
        e.0.push(m.total);
        e.1 &= m.exit;
    }
    let depts = read_csv(&out.join("departments.csv"));
    assert_eq!(depts.len(), by_dept.len());
    for row in depts {
        let (totals, all_exit) = &by_dept[&row["id"]];
        let mean = round2(totals.iter().sum::<f64>() / totals.len() as f64);
        assert_eq!(
            row["total"],
            format!("{mean:.2}"),
            "{variant} department {}",
            row["id"]
        );
        let reward = *all_exit && mean >= 85.0;
        assert_eq!(
            row["outcome"],
            if reward { "reward" } else { "none" },
            "{variant} department {}",
            row["id"]
        );
    }
}

#[test]
fn rc1_yaml_matches_the_reference_model() {
    check_variant("yaml", 100_000, 20261127);
}

#[test]
fn rc1_rhai_matches_the_reference_model() {
    check_variant("rhai", 20_000, 7);
}
