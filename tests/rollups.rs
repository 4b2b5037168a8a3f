//! Roll-ups from the villages to a unit: `any`, `all` and a share kept at a precision of its
//! own, checked against the villages' own results in the same run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu_in, copy_dir, json, root};
use std::collections::BTreeMap;

#[test]
fn any_all_and_a_precise_share_follow_the_villages() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    let town = rules.join("kinds/town.yaml");
    let text = std::fs::read_to_string(&town).unwrap();
    let extra = r#"  - id: any_continues
    label: 有村未通过 (a village continues)
    dimension: villages
    input:
      aggregate: { fn: any, where: [outcome == continue] }
    scoring: { method: boolean, points: 0 }
  - id: all_exit
    label: 全部通过 (every village exits)
    dimension: villages
    input:
      aggregate: { fn: all, where: [outcome == exit] }
    scoring: { method: boolean, points: 0 }
  - id: exact_share
    label: 通过率 (share exiting, four decimals)
    dimension: villages
    input:
      aggregate: { fn: share, where: [outcome == exit], precision: 4 }
    scoring: { method: threshold, target: 2, points: 0 }

# Only towns that at least pass"#;
    let text = text.replacen("# Only towns that at least pass", extra, 1);
    std::fs::write(&town, text).unwrap();
    let out = bangfu_in(
        &root(),
        &[
            "run",
            "--rules",
            rules.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let j = json(&out);
    let mut by_town: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for v in j["villages"].as_array().unwrap() {
        by_town
            .entry(v["town_id"].as_str().unwrap().to_string())
            .or_default()
            .push(v["outcome"].as_str().unwrap().to_string());
    }
    let towns = j["units"]["town"].as_array().unwrap();
    assert_eq!(towns.len(), by_town.len());
    let mut mixed = 0;
    for t in towns {
        let outcomes = &by_town[t["id"].as_str().unwrap()];
        let exits = outcomes.iter().filter(|o| *o == "exit").count();
        let any = outcomes.iter().any(|o| o == "continue");
        let all = exits == outcomes.len();
        mixed += usize::from(any && exits > 0);
        assert_eq!(
            t["inputs"]["any_continues"].as_f64().unwrap(),
            f64::from(u8::from(any)),
            "{t}"
        );
        assert_eq!(
            t["inputs"]["all_exit"].as_f64().unwrap(),
            f64::from(u8::from(all)),
            "{t}"
        );
        let share = exits as f64 / outcomes.len() as f64;
        let four = (share * 10_000.0).round() / 10_000.0;
        assert_eq!(t["inputs"]["exact_share"].as_f64().unwrap(), four, "{t}");
    }
    // The sample has towns with both kinds of village, so neither answer is trivial.
    assert!(mixed > 0, "no town mixes exits and continues");
}
