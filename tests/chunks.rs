//! A large data file is read in parts on every thread, each part's values written straight
//! into its share of the columns. Whatever the parts meet (blank lines, whole numbers too wide
//! for four bytes, `-0`, missing cells, categories first met in different parts, lone carriage
//! returns), the frame equals the one the whole file read as one part gives.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use bangfu::data::{DataSet, Frame};
use bangfu::rules::load::read_files;
use bangfu::RuleSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled rules, with `road_length_m` allowed to be missing (flagged).
fn rules(dir: &Path) -> RuleSet {
    let rules = dir.join("rules");
    copy_dir(&root().join("rules"), &rules);
    let kind = rules.join("kinds/village.yaml");
    let text = std::fs::read_to_string(&kind).unwrap();
    let edited = text.replace(
        "road_length_m: { type: number, min: 0 }",
        "road_length_m: { type: number, min: 0, missing: fail }",
    );
    assert_ne!(text, edited, "the rules name road_length_m as expected");
    std::fs::write(&kind, edited).unwrap();
    let files = read_files(&rules).unwrap();
    bangfu::rules::load_files(&files).unwrap().0
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The sample's villages and baseline, each row repeated under new ids: about 6 MB, so the
/// file is read in several parts. Odd values and new towns are spread over it, and with
/// `blank_lines`, two blank lines in one part.
fn texts(blank_lines: bool) -> (String, String) {
    let sample = std::fs::read_to_string(root().join("data/sample/villages.csv")).unwrap();
    let base = std::fs::read_to_string(root().join("data/sample/baseline.csv")).unwrap();
    let (head, rows) = sample.split_once('\n').unwrap();
    let (bhead, brows) = base.split_once('\n').unwrap();
    let cols: Vec<&str> = head.split(',').collect();
    let at = |name: &str| cols.iter().position(|c| *c == name).unwrap();
    let (town, hazards, hist, road) = (
        at("town_id"),
        at("hazards_found"),
        at("hist_identified"),
        at("road_length_m"),
    );
    let towns = ["Z07", "Z01", "Z99", "Z03", "Z42", "Z05", "Z11"];
    let mut villages = format!("{head}\n");
    let mut baseline = format!("{bhead}\n");
    let mut n = 0usize;
    for copy in 0..400 {
        for (row, brow) in rows.lines().zip(brows.lines()) {
            n += 1;
            let mut f: Vec<String> = row.split(',').map(String::from).collect();
            let id = format!("V{copy:03}{}", f[0]);
            f[0] = id.clone();
            // Each part meets the towns in another order.
            f[town] = towns[(3 * n + n / 3000) % towns.len()].to_string();
            if n.is_multiple_of(4999) {
                f[hazards] = "3000000000".into();
            }
            if n.is_multiple_of(7001) {
                f[hist] = "-0".into();
            }
            if n.is_multiple_of(3001) {
                f[road] = String::new();
            }
            // Blank lines in one part only: its rows, and those of the parts after it, are
            // moved up in place; without them, every part fills its share exactly.
            if blank_lines && (n == 12_000 || n == 12_500) {
                villages.push('\n');
            }
            villages.push_str(&f.join(","));
            villages.push('\n');
            let (_, rest) = brow.split_once(',').unwrap();
            baseline.push_str(&format!("{id},{rest}\n"));
        }
    }
    assert!(villages.len() > 4 << 20);
    (villages, baseline)
}

fn frame(rules: &RuleSet, dir: &Path, villages: &str, baseline: &str) -> Frame {
    copy_dir(&root().join("data/sample"), dir);
    std::fs::write(dir.join("villages.csv"), villages).unwrap();
    std::fs::write(dir.join("baseline.csv"), baseline).unwrap();
    let ds = DataSet::open(dir).unwrap();
    ds.load_primary(&rules.primary)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn assert_same(what: &str, a: &Frame, b: &Frame, rows: bool) {
    assert_eq!(a.ids, b.ids, "{what}: ids");
    assert_eq!(a.labels, b.labels, "{what}: labels");
    assert_eq!(a.groups, b.groups, "{what}: groups");
    if rows {
        assert_eq!(a.rows, b.rows, "{what}: rows");
    }
    assert_eq!(a.cols.len(), b.cols.len());
    for (c, (x, y)) in a.cols.iter().zip(&b.cols).enumerate() {
        let bits =
            |v: &bangfu::data::Column| -> Vec<u64> { v.values.iter().map(f64::to_bits).collect() };
        assert_eq!(bits(x), bits(y), "{what}: column {c}");
        assert_eq!(x.missing, y.missing, "{what}: column {c} missing");
        assert_eq!(x.dict, y.dict, "{what}: column {c} categories");
    }
    assert_eq!(a.baseline, b.baseline, "{what}: baseline");
}

#[test]
fn parts_read_as_the_whole_file() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = rules(tmp.path());
    for blank_lines in [false, true] {
        let dir = tmp.path().join(format!("blank_{blank_lines}"));
        let what = |s: &str| format!("{s}, blank lines: {blank_lines}");
        let (villages, baseline) = texts(blank_lines);
        let parts = frame(&rules, &dir.join("parts"), &villages, &baseline);

        // A quoted field anywhere: the whole file is read as one part, by the CSV reader.
        let quoted = villages.replacen("V000V01,", "\"V000V01\",", 1);
        assert_ne!(quoted, villages);
        let whole = frame(&rules, &dir.join("whole"), &quoted, &baseline);
        assert_same(&what("one part"), &parts, &whole, true);

        // Rows ended by lone carriage returns: one part, with more rows than line ends.
        let (head, body) = villages.split_once('\n').unwrap();
        let cr = format!("{head}\n{}", body.replace('\n', "\r"));
        let cr = frame(&rules, &dir.join("cr"), &cr, &baseline);
        assert_same(&what("carriage returns"), &parts, &cr, false);

        // The odd values themselves, read back exactly.
        let col = |name: &str| {
            let c = rules
                .primary
                .columns
                .iter()
                .position(|s| s.name == name)
                .unwrap();
            &parts.cols[c]
        };
        let wide: Vec<f64> = col("hazards_found")
            .values
            .iter()
            .filter(|&v| v > 1e9)
            .collect();
        assert_eq!(wide, vec![3e9; 31200 / 4999]);
        let negative_zero = col("hist_identified")
            .values
            .iter()
            .filter(|v| v.to_bits() == (-0f64).to_bits())
            .count();
        assert_eq!(negative_zero, 31200 / 7001);
        let road = col("road_length_m");
        assert_eq!(road.missing.iter().filter(|&&m| m).count(), 31200 / 3001);
        assert_eq!(road.missing.len(), parts.len());
        let mut towns = col("town_id").dict.clone();
        towns.sort();
        assert_eq!(towns, ["Z01", "Z03", "Z05", "Z07", "Z11", "Z42", "Z99"]);
        assert_eq!(parts.len(), 31200);
    }
}
