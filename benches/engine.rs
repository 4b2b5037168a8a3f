//! Engine benchmarks on RC-1 (`benches/rc1/yaml`): loading a data set, scoring, and writing the
//! results CSV, at 10k and 100k generated villages. They measure; they assert nothing about
//! time. The side-by-side comparison with the peer scripts is `benches/compare.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/rc1gen.rs"]
mod rc1gen;

use bangfu::data::DataSet;
use bangfu::engine::{evaluate_kind_with, KindResult};
use bangfu::report::{csv_out, KindView};
use bangfu::RuleSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

struct Fixture {
    _dir: tempfile::TempDir,
    rules: RuleSet,
    data: PathBuf,
}

fn fixture(n: usize) -> &'static Fixture {
    static SMALL: OnceLock<Fixture> = OnceLock::new();
    static LARGE: OnceLock<Fixture> = OnceLock::new();
    let cell = if n <= 10_000 { &SMALL } else { &LARGE };
    cell.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        rc1gen::write_csv(&rc1gen::generate(n, 7), &data.join("villages.csv"));
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let (rules, _) = bangfu::rules::load(&root.join("benches/rc1/yaml")).unwrap();
        Fixture {
            _dir: dir,
            rules,
            data,
        }
    })
}

const SIZES: [usize; 2] = [10_000, 100_000];

#[divan::bench(args = SIZES, sample_count = 10)]
fn load(n: usize) {
    let f = fixture(n);
    let ds = DataSet::open(&f.data).unwrap();
    divan::black_box(ds.load_primary(&f.rules.primary).unwrap());
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn score(bencher: divan::Bencher, n: usize) {
    let f = fixture(n);
    let frame = DataSet::open(&f.data)
        .unwrap()
        .load_primary(&f.rules.primary)
        .unwrap();
    bencher.bench(|| {
        divan::black_box(evaluate_kind_with(&f.rules, &f.rules.primary, &frame, false).unwrap())
    });
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn write_csv(bencher: divan::Bencher, n: usize) {
    let f = fixture(n);
    let frame = DataSet::open(&f.data)
        .unwrap()
        .load_primary(&f.rules.primary)
        .unwrap();
    let result: KindResult = evaluate_kind_with(&f.rules, &f.rules.primary, &frame, false).unwrap();
    let view = KindView::of_primary(&f.rules, &frame, &result, None);
    bencher
        .bench(|| csv_out::write_kind_csv(&f.rules, &view, false, &mut std::io::sink()).unwrap());
}
