//! Random villages with the RC-1 columns, for the differential test and the benchmarks.
//! Deterministic: the same seed gives the same villages.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

/// xorshift64*: a small deterministic generator, so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn dec(&mut self, lo: f64, hi: f64, places: i32) -> f64 {
        let p = 10f64.powi(places);
        ((lo + self.unit() * (hi - lo)) * p).round() / p
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

#[derive(Clone)]
pub struct Village {
    pub id: String,
    pub dept: String,
    pub collective: i64,
    pub skip: i64,
    pub hist_id: i64,
    pub hist_res: i64,
    pub disputes: i64,
    pub hazards: f64,
    pub committees: bool,
    pub secretary: bool,
    pub reserve: i64,
    pub training: i64,
    pub dissatisfied: f64,
    pub income: f64,
    pub growth: f64,
    pub funds: f64,
    pub roads: bool,
    pub water: bool,
    pub insurance: f64,
    pub regulations: bool,
    pub disclosure: i64,
    pub major: i64,
    pub procedure: i64,
}

pub fn generate(n: usize, seed: u64) -> Vec<Village> {
    let mut r = Rng(seed);
    (0..n)
        .map(|i| {
            let hist_id = r.int(0, 7);
            let major = r.int(1, 9);
            Village {
                id: format!("V{i:07}"),
                dept: format!("D{:05}", r.int(0, (n as i64 / 3).max(1))),
                collective: if r.chance(0.05) { r.int(1, 2) } else { 0 },
                skip: if r.chance(0.03) { 1 } else { 0 },
                hist_id,
                hist_res: r.int(0, hist_id),
                disputes: r.int(0, 4),
                hazards: if r.chance(0.3) {
                    r.dec(0.9, 1.0, 3)
                } else {
                    r.dec(0.0, 1.0, 3)
                },
                committees: r.chance(0.9),
                secretary: r.chance(0.95),
                reserve: r.int(0, 8),
                training: r.int(0, 6),
                dissatisfied: r.dec(0.0, 0.7, 3),
                income: r.dec(0.0, 40.0, 2),
                growth: r.dec(-10.0, 25.0, 1),
                funds: r.dec(0.0, 60.0, 1),
                roads: r.chance(0.85),
                water: r.chance(0.9),
                insurance: r.dec(0.5, 1.0, 3),
                regulations: r.chance(0.88),
                disclosure: r.int(4, 12),
                major,
                procedure: r.int(0, major),
            }
        })
        .collect()
}

pub fn write_csv(vs: &[Village], path: &Path) {
    let mut s = String::from(
        "village_id,dept_id,collective_petitions,skip_level_petitions,historical_issues_identified,historical_issues_resolved,disputes_unresolved,hazards_eliminated_ratio,committees_complete,secretary_in_post,reserve_cadres,training_sessions,dissatisfied_share,collective_income_wan,income_growth_pct,funds_invested_wan,roads_hardened,safe_water,medical_insurance_rate,regulations_established,finance_disclosure_months,major_matters,matters_by_procedure\n",
    );
    for v in vs {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            v.id,
            v.dept,
            v.collective,
            v.skip,
            v.hist_id,
            v.hist_res,
            v.disputes,
            v.hazards,
            v.committees,
            v.secretary,
            v.reserve,
            v.training,
            v.dissatisfied,
            v.income,
            v.growth,
            v.funds,
            v.roads,
            v.water,
            v.insurance,
            v.regulations,
            v.disclosure,
            v.major,
            v.procedure
        ));
    }
    std::fs::write(path, s).unwrap();
}
