//! Recomputing only what a change touches gives exactly what a full evaluation gives: for every
//! example scenario and for edits that reach each stage (points, bands, minimums, gates, lines,
//! unit rules), the incremental path (`rescore_kind`, `evaluate_linked_from`) is compared field
//! by field with `evaluate_kind` + `evaluate_units`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use bangfu::data::{DataSet, Frame};
use bangfu::engine::run::{rescore_kind, Prior};
use bangfu::engine::units::{
    evaluate_linked, evaluate_linked_from, evaluate_units, link_units, PriorUnits, UnitResult,
};
use bangfu::engine::{evaluate_kind, KindResult};
use bangfu::rules::load::read_files;
use bangfu::RuleSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn assert_same_kind(what: &str, a: &KindResult, b: &KindResult) {
    assert_eq!(a.n, b.n, "{what}: entities");
    assert_eq!(*a.points, *b.points, "{what}: points");
    assert_eq!(*a.dims, *b.dims, "{what}: dimensions");
    assert_eq!(*a.total, *b.total, "{what}: totals");
    if !a.values.is_empty() && !b.values.is_empty() {
        assert_eq!(*a.values, *b.values, "{what}: input values");
    }
    assert_eq!(a.gates, b.gates, "{what}: gates");
    assert_eq!(a.below_min, b.below_min, "{what}: below minimum");
    assert_eq!(a.failed, b.failed, "{what}: failed");
    assert_eq!(a.missing_fail, b.missing_fail, "{what}: missing");
    assert_eq!(a.grade_raw, b.grade_raw, "{what}: raw grades");
    assert_eq!(a.grade, b.grade, "{what}: grades");
    assert_eq!(a.outcome, b.outcome, "{what}: outcomes");
}

fn assert_same_units(what: &str, a: &[UnitResult], b: &[UnitResult]) {
    assert_eq!(a.len(), b.len(), "{what}: unit kinds");
    for (x, y) in a.iter().zip(b) {
        let what = format!("{what}, unit kind {}", x.kind);
        assert_eq!(x.kind, y.kind, "{what}");
        assert_eq!(x.frame.ids, y.frame.ids, "{what}: ids");
        for (c, (p, q)) in x.frame.cols.iter().zip(&y.frame.cols).enumerate() {
            assert_eq!(
                p.values.to_floats(),
                q.values.to_floats(),
                "{what}: column {c}"
            );
            assert_eq!(p.missing, q.missing, "{what}: column {c} missing");
        }
        assert_same_kind(&what, &x.result, &y.result);
        assert_eq!(x.rank, y.rank, "{what}: ranks");
        assert_eq!(x.award, y.award, "{what}: awards");
        assert_eq!(x.notes, y.notes, "{what}: notes");
        assert_eq!(x.fund, y.fund, "{what}: fund");
    }
}

struct Base {
    rules: RuleSet,
    ds: DataSet,
    frame: Frame,
    result: KindResult,
    units: Vec<UnitResult>,
}

fn base(rules_dir: &Path, data_dir: &Path) -> Base {
    let (rules, _) = bangfu::rules::load(rules_dir).unwrap();
    let ds = DataSet::open(data_dir).unwrap();
    let frame = ds.load_primary(&rules.primary).unwrap();
    let result = evaluate_kind(&rules, &rules.primary, &frame).unwrap();
    let units = evaluate_units(&rules, &ds, &frame, &result, Vec::new()).unwrap();
    Base {
        rules,
        ds,
        frame,
        result,
        units,
    }
}

/// Evaluate `rules` both ways from `b` and compare; returns whether the scores were reused.
/// When they cannot be, the villages are evaluated in full (as `compare` and `sensitivity`
/// do) and the units are still evaluated from the earlier ones.
fn check(b: &Base, rules: &RuleSet, what: &str) -> bool {
    let full = evaluate_kind(rules, &rules.primary, &b.frame).unwrap();
    let full_units = evaluate_units(rules, &b.ds, &b.frame, &full, Vec::new()).unwrap();
    let prior = Prior::of(&b.rules, &b.rules.primary, &b.result);
    let (inc, reused) = match rescore_kind(rules, &rules.primary, &b.frame, &prior) {
        Some(inc) => (inc.unwrap(), true),
        None => (
            evaluate_kind(rules, &rules.primary, &b.frame).unwrap(),
            false,
        ),
    };
    assert_same_kind(what, &inc, &full);
    let linked = link_units(rules, &b.ds, &b.frame).unwrap();
    let pu = PriorUnits {
        rules: &b.rules,
        units: &b.units,
        before: &b.result,
    };
    let inc_units =
        evaluate_linked_from(rules, &b.frame, &inc, &linked, Some(&pu), Vec::new()).unwrap();
    assert_same_units(what, &inc_units, &full_units);
    // Linking once and evaluating gives the same as linking each time.
    let relinked = evaluate_linked(rules, &b.frame, &full, &linked, Vec::new()).unwrap();
    assert_same_units(what, &relinked, &full_units);
    reused
}

fn with_scenario(rules_dir: &Path, dir: &Path, name: &str) -> RuleSet {
    let files = read_files(rules_dir).unwrap();
    let sc = bangfu::scenario::load(dir, name).unwrap();
    let files = bangfu::scenario::apply(&files, &sc).unwrap();
    bangfu::rules::load_files(&files).unwrap().0
}

#[test]
fn example_scenarios_recompute_exactly() {
    let rules_dir = root().join("rules");
    let b = base(&rules_dir, &root().join("data/sample"));
    let dir = root().join("scenarios");
    let mut reused = 0;
    for name in bangfu::scenario::list(&dir) {
        let sc = bangfu::scenario::load(&dir, &name).unwrap();
        if !sc.data_changes().is_empty() {
            continue; // other data: nothing to reuse
        }
        let rules = with_scenario(&rules_dir, &dir, &name);
        // A scenario that reads other columns has the data read again for them (as `compare`
        // does): the baseline's frame does not serve it.
        if !rules.primary.same_columns(&b.rules.primary) {
            continue;
        }
        reused += usize::from(check(&b, &rules, &name));
    }
    // Raising the pass line or a minimum reuses every score; adding a scripted input does not.
    assert!(reused >= 2, "only {reused} scenarios reused the baseline");
}

#[test]
fn edits_at_every_stage_recompute_exactly() {
    let rules_dir = root().join("rules");
    let b = base(&rules_dir, &root().join("data/sample"));
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        // Lines and minimums: every score reused, decisions made again.
        ("pass_line", "parameters:\n  pass_line: 72.5\n", true),
        ("minimums", "parameters:\n  min_economy: 14\n  min_services: 9\n", true),
        ("reward_line", "parameters:\n  reward_line_department: 80\n", true),
        // A method's points: that indicator re-scored, the rest reused.
        (
            "points",
            "set:\n  village.indicators.disputes.scoring.points: 4\n  village.dimensions.stability.max: 19\n",
            true,
        ),
        // A band's points.
        (
            "band",
            "set:\n  village.indicators.collective_income.scoring.bands[1].points: 6\n",
            true,
        ),
        // An indicator removed: the scores cannot be reused.
        (
            "removed",
            "remove_indicators:\n  village: [jobs]\nset:\n  village.dimensions.economy.max: 21\n",
            false,
        ),
        // A gate switched off.
        (
            "gate_off",
            "gates:\n  off: [collective_petition]\n",
            true,
        ),
        // Another precision: every score and every unit aggregate is rounded anew.
        ("precision_0", "set:\n  precision: 0\n", false),
        ("precision_1", "set:\n  precision: 1\n", false),
    ];
    for (name, body, expect_reuse) in edits {
        std::fs::write(
            dir.path().join(format!("{name}.yaml")),
            format!("name: {name}\n{body}"),
        )
        .unwrap();
        let rules = with_scenario(&rules_dir, dir.path(), name);
        assert_eq!(check(&b, &rules, name), expect_reuse, "{name}");
    }
}

#[test]
fn rc1_lines_recompute_exactly_on_generated_villages() {
    #[path = "common/rc1gen.rs"]
    mod rc1gen;
    let data = tempfile::tempdir().unwrap();
    rc1gen::write_csv(
        &rc1gen::generate(5_000, 11),
        &data.path().join("villages.csv"),
    );
    // YAML vetoes and rhai vetoes: both kinds of gate are carried over when they can be.
    for variant in ["yaml", "rhai"] {
        let rules_dir = root().join("benches/rc1").join(variant);
        let b = base(&rules_dir, data.path());
        let files = read_files(&rules_dir).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (i, (pass, econ, reward)) in [(68.0, 8.0, 80.0), (71.5, 11.0, 87.5), (70.0, 12.0, 90.0)]
            .into_iter()
            .enumerate()
        {
            let name = format!("draw_{i}");
            std::fs::write(
                dir.path().join(format!("{name}.yaml")),
                format!(
                    "name: {name}\nparameters:\n  pass_line: {pass}\n  min_economy: {econ}\n  reward_line: {reward}\n"
                ),
            )
            .unwrap();
            let sc = bangfu::scenario::load(dir.path(), &name).unwrap();
            let rules = bangfu::rules::load_files(&bangfu::scenario::apply(&files, &sc).unwrap())
                .unwrap()
                .0;
            assert!(
                check(&b, &rules, &name),
                "{variant} {name} reuses the scores"
            );
        }
    }
}

/// Scores are kept in four bytes each when they fit and as they are when one does not (a
/// precision too fine for their size); either way every stored point, dimension score and
/// total is the one computed: dimensions are the rounded sums of their points, the total the
/// rounded sum of the dimensions.
#[test]
fn scores_read_back_as_computed_whatever_their_storage() {
    use bangfu::engine::fixed::Fixed;
    use bangfu::engine::round::round_dp;
    for (precision, scaled) in [(2, true), (9, false)] {
        let (mut rules, _) = bangfu::rules::load(&root().join("rules")).unwrap();
        rules.precision = precision;
        let ds = DataSet::open(&root().join("data/sample")).unwrap();
        let frame = ds.load_primary(&rules.primary).unwrap();
        let res = evaluate_kind(&rules, &rules.primary, &frame).unwrap();
        assert_eq!(
            matches!(*res.points, Fixed::Scaled { .. }),
            scaled,
            "precision {precision}: points storage"
        );
        assert_eq!(matches!(*res.dims, Fixed::Scaled { .. }), scaled);
        let kind = &rules.primary;
        for r in 0..res.n {
            let points = res.points_of(r);
            let mut sums = vec![0.0; res.d];
            for (ind, p) in kind.indicators.iter().zip(points.iter()) {
                sums[ind.dim] += p;
            }
            let dims = res.dims_of(r);
            for (d, sum) in sums.iter().enumerate() {
                assert_eq!(dims[d], round_dp(*sum, precision), "row {r} dimension {d}");
            }
            let total = round_dp(dims.iter().sum(), precision);
            assert_eq!(
                res.total[r], total,
                "row {r} total at precision {precision}"
            );
        }
    }
}
