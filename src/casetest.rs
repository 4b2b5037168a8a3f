//! Rule-set test cases (`rules/tests/*.yaml`): small data sets written inline, run through the
//! same pipeline as real data, and compared with the committee's expectations. Also measures
//! which indicators, bands, gates, grades and outcome rules the cases exercise.

use crate::data::DataSet;
use crate::engine::graph::{evaluate_primary, evaluate_units_after};
use crate::engine::{evaluate_kind, EvalError};
use crate::report::KindView;
use crate::rules::model::{Kind, Method};
use crate::rules::RuleSet;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A test file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    #[serde(default)]
    pub description: Option<String>,
    /// The row every case's villages start from.
    #[serde(default)]
    pub base: IndexMap<String, Value>,
    /// The baseline row every case's villages start from.
    #[serde(default)]
    pub baseline: IndexMap<String, Value>,
    /// Unit tables shared by the cases (table → rows).
    #[serde(default)]
    pub tables: IndexMap<String, Vec<IndexMap<String, Value>>>,
    pub cases: Vec<Case>,
}

/// One case: a village (or several) and what the committee expects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub scenario: Option<String>,
    /// One village: changes over the base row. `entity:` says the same for any primary kind.
    #[serde(default, alias = "entity")]
    pub village: Option<IndexMap<String, Value>>,
    /// Its baseline: changes over the base baseline row.
    #[serde(default)]
    pub baseline: IndexMap<String, Value>,
    /// Several villages, each over the base row (`entities:` for any primary kind).
    #[serde(default, alias = "entities")]
    pub villages: Vec<IndexMap<String, Value>>,
    /// Unit tables for this case (replacing the file's).
    #[serde(default)]
    pub tables: IndexMap<String, Vec<IndexMap<String, Value>>>,
    /// Allowed difference for scores (default: half the last kept decimal).
    #[serde(default)]
    pub tolerance: Option<f64>,
    pub expect: Expect,
}

/// Expectations: for the one village directly, or per village and per unit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub grade: Option<String>,
    #[serde(default)]
    pub total: Option<f64>,
    /// For a kind with bonus or deduction groups: the total before them.
    #[serde(default)]
    pub total_before_adjustments: Option<f64>,
    /// Dimension and adjustment-group scores by id.
    #[serde(default)]
    pub dimensions: IndexMap<String, f64>,
    #[serde(default)]
    pub points: IndexMap<String, f64>,
    #[serde(default)]
    pub gates: Option<Vec<String>>,
    /// Primary entity id → expectations (`entities:` for any primary kind).
    #[serde(default, alias = "entities")]
    pub villages: IndexMap<String, EntityExpect>,
    /// Unit kind → unit id → expectations.
    #[serde(default)]
    pub units: IndexMap<String, IndexMap<String, EntityExpect>>,
}

impl Expect {
    /// The top-level expectations, for a case with one village.
    pub fn entity(&self) -> EntityExpect {
        EntityExpect {
            outcome: self.outcome.clone(),
            grade: self.grade.clone(),
            total: self.total,
            total_before_adjustments: self.total_before_adjustments,
            dimensions: self.dimensions.clone(),
            points: self.points.clone(),
            gates: self.gates.clone(),
            rank: None,
            award: None,
        }
    }
}

/// What one entity should get.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityExpect {
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub grade: Option<String>,
    #[serde(default)]
    pub total: Option<f64>,
    /// For a kind with bonus or deduction groups: the total before them.
    #[serde(default)]
    pub total_before_adjustments: Option<f64>,
    /// Dimension and adjustment-group scores by id.
    #[serde(default)]
    pub dimensions: IndexMap<String, f64>,
    #[serde(default)]
    pub points: IndexMap<String, f64>,
    /// Exactly these gates fired.
    #[serde(default)]
    pub gates: Option<Vec<String>>,
    #[serde(default)]
    pub rank: Option<u32>,
    #[serde(default)]
    pub award: Option<i64>,
}

impl EntityExpect {
    fn is_empty(&self) -> bool {
        self.outcome.is_none()
            && self.grade.is_none()
            && self.total.is_none()
            && self.total_before_adjustments.is_none()
            && self.dimensions.is_empty()
            && self.points.is_empty()
            && self.gates.is_none()
            && self.rank.is_none()
            && self.award.is_none()
    }
}

/// The result of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub file: String,
    pub name: String,
    pub passed: bool,
    /// Each difference: what, expected, got, and the trace of the differing item.
    pub diffs: Vec<Diff>,
    /// A problem running the case (bad case data, an invalid scenario).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One expectation that did not hold.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub entity: String,
    pub what: String,
    pub expected: String,
    pub got: String,
    pub trace: String,
}

/// What the cases exercised, per kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub items: Vec<CoverageItem>,
}

/// One coverage line: e.g. indicators of `village`, 18 of 20, missing `jobs`, `relief`.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageItem {
    pub kind: String,
    pub what: String,
    pub covered: usize,
    pub total: usize,
    pub missing: Vec<String>,
}

/// Everything seen across the cases, to compute coverage.
#[derive(Default)]
struct Seen {
    /// (kind, indicator) → distinct points.
    points: Vec<((String, String), BTreeSet<u64>)>,
    bands: BTreeSet<(String, String, usize)>,
    gates: BTreeSet<(String, String)>,
    outcomes: BTreeSet<(String, String)>,
    grades: BTreeSet<(String, String)>,
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

fn csv_of(rows: &[IndexMap<String, Value>]) -> String {
    let mut cols: Vec<String> = Vec::new();
    for r in rows {
        for k in r.keys() {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(&cols);
    for r in rows {
        let _ = w.write_record(cols.iter().map(|c| r.get(c).map(cell).unwrap_or_default()));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The test files of a rule set, sorted.
pub fn files(rules_dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(rules_dir.join("tests"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Write a case's data set into `dir`.
fn write_case(dir: &Path, rules: &RuleSet, file: &TestFile, case: &Case) -> std::io::Result<()> {
    let id_col = rules.primary.id_column.clone();
    let mut rows: Vec<IndexMap<String, Value>> = Vec::new();
    let singles: Vec<IndexMap<String, Value>> = match &case.village {
        Some(v) => vec![v.clone()],
        None if case.villages.is_empty() => vec![IndexMap::new()],
        None => case.villages.clone(),
    };
    for (i, over) in singles.iter().enumerate() {
        let mut row = file.base.clone();
        row.entry(id_col.clone())
            .or_insert_with(|| Value::String(format!("T{:02}", i + 1)));
        for (k, v) in over {
            row.insert(k.clone(), v.clone());
        }
        rows.push(row);
    }
    std::fs::write(
        dir.join(format!("{}.csv", rules.primary.table)),
        csv_of(&rows),
    )?;
    let mut manifest = format!(
        "tables:\n  {}: {}.csv\n",
        rules.primary.table, rules.primary.table
    );
    if !case.baseline.is_empty() && !case.villages.is_empty() {
        let key = entity_keys(&rules.primary).0;
        return Err(std::io::Error::other(format!("a case's `baseline:` goes with one {one} (`{key}:` or the base row); give several {many} a baseline in the file's `baseline:`", one = rules.primary.noun(), many = rules.primary.nouns())));
    }
    if rules.primary.needs_baseline || !file.baseline.is_empty() {
        let base_rows: Vec<IndexMap<String, Value>> = rows
            .iter()
            .map(|r| {
                let mut b = file.baseline.clone();
                b.insert(
                    id_col.clone(),
                    r.get(&id_col).cloned().unwrap_or(Value::Null),
                );
                if case.villages.is_empty() {
                    for (k, v) in &case.baseline {
                        b.insert(k.clone(), v.clone());
                    }
                }
                b
            })
            .collect();
        std::fs::write(dir.join("baseline.csv"), csv_of(&base_rows))?;
        manifest.push_str(&format!(
            "baseline:\n  {}: baseline.csv\n",
            rules.primary.table
        ));
    }
    let mut tables = file.tables.clone();
    for (k, v) in &case.tables {
        tables.insert(k.clone(), v.clone());
    }
    let mut extra = String::new();
    for (name, t) in &tables {
        std::fs::write(dir.join(format!("{name}.csv")), csv_of(t))?;
        extra.push_str(&format!("  {name}: {name}.csv\n"));
    }
    let manifest = manifest.replacen("tables:\n", &format!("tables:\n{extra}"), 1);
    std::fs::write(dir.join("dataset.yaml"), manifest)
}

/// The keys a test file gives primary entities under, `(one, several)`: `village` and
/// `villages` in the village kind's words, `entity` and `entities` (which any rule set may
/// use) for another primary kind.
fn entity_keys(primary: &Kind) -> (&'static str, &'static str) {
    if primary.name == "village" {
        ("village", "villages")
    } else {
        ("entity", "entities")
    }
}

/// A test file's parse error as shown: only the spelling of the entity keys that suits the
/// primary kind is offered among the expected keys.
fn parse_message(msg: &str, primary: &Kind) -> String {
    let other = if entity_keys(primary).0 == "village" {
        ["entity", "entities"]
    } else {
        ["village", "villages"]
    };
    let mut msg = msg
        .replace("unknown field", "unknown key")
        .replace("expected f64", "expected a number");
    if msg.contains("expected one of") {
        for key in other {
            msg = msg.replace(&format!("`{key}`, "), "");
        }
    }
    msg
}

/// How a case's rule set is obtained (the baseline, or with a scenario).
pub type RulesFor<'a> = dyn Fn(Option<&str>) -> Result<RuleSet, String> + Sync + 'a;

/// Run every case of every test file.
pub fn run_all(
    rules_dir: &Path,
    rules: &RuleSet,
    rules_for: &RulesFor,
) -> Result<(Vec<CaseResult>, Coverage), String> {
    let mut results = Vec::new();
    let mut seen = Seen::default();
    let tmp = tempfile::tempdir().map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let mut n = 0usize;
    for path in files(rules_dir) {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        if let Some((msg, line, help)) = crate::rules::load::repeated_key(&text) {
            return Err(format!("{shown}:{line}: {msg}\n  help: {help}"));
        }
        if let Some(slip) = crate::fullwidth::yaml_slips(&text).first() {
            return Err(format!(
                "{shown}:{}:{}: {} where YAML needs `{}`\n  help: {}",
                slip.line,
                slip.col,
                crate::fullwidth::describe(slip.ch),
                crate::fullwidth::half_width(slip.ch).unwrap_or(slip.ch),
                crate::fullwidth::help(slip.ch)
            ));
        }
        let file: TestFile = serde_yaml::from_str(&text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            let msg = e.to_string();
            let msg = parse_message(
                msg.split(" at line ").next().unwrap_or(&msg),
                &rules.primary,
            );
            match crate::rules::load::colon_help_at(&text, &msg, &e) {
                Some(help) => format!(
                    "{shown}{at}: {msg}
  help: {help}"
                ),
                None => format!("{shown}{at}: {msg}"),
            }
        })?;
        for case in &file.cases {
            n += 1;
            let dir = tmp.path().join(format!("case{n}"));
            let outcome = (|| -> Result<Vec<Diff>, String> {
                let e = &case.expect;
                if e.entity().is_empty() && e.villages.is_empty() && e.units.is_empty() {
                    return Ok(vec![Diff {
                        entity: String::new(),
                        what: "expect".into(),
                        expected: "at least one expectation (outcome, grade, total, …)".into(),
                        got: "none: the case checks nothing".into(),
                        trace: String::new(),
                    }]);
                }
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let owned;
                let rs = match &case.scenario {
                    Some(s) => {
                        owned = rules_for(Some(s))?;
                        &owned
                    }
                    None => rules,
                };
                write_case(&dir, rs, &file, case).map_err(|e| e.to_string())?;
                let ev = evaluate_case(
                    rs,
                    &dir,
                    !case.expect.units.is_empty()
                        || !file.tables.is_empty()
                        || !case.tables.is_empty(),
                )?;
                record(&ev, &mut seen);
                Ok(check_case(&ev, case))
            })();
            results.push(match outcome {
                Ok(diffs) => CaseResult {
                    file: shown.clone(),
                    name: case.name.clone(),
                    passed: diffs.is_empty(),
                    diffs,
                    error: None,
                },
                Err(e) => CaseResult {
                    file: shown.clone(),
                    name: case.name.clone(),
                    passed: false,
                    diffs: Vec::new(),
                    error: Some(e),
                },
            });
        }
    }
    Ok((results, coverage(rules, &seen)))
}

/// Evaluate a case's data set (a borrowed rule set, so the result holds a copy of nothing).
fn evaluate_case<'a>(
    rules: &'a RuleSet,
    dir: &Path,
    with_units: bool,
) -> Result<CaseRun<'a>, String> {
    let ds = DataSet::open(dir).map_err(|e| e.to_string())?;
    let frame = ds
        .load_primary(&rules.primary)
        .map_err(|e| case_data_msg(e, dir))?;
    let in_case = |e: EvalError| match e {
        EvalError::Data(errs, _) => case_data_msg(errs, dir),
        other => eval_msg(other),
    };
    let p = evaluate_primary(rules, &ds, &frame, None, |f, _| {
        evaluate_kind(rules, &rules.primary, f)
    })
    .map_err(in_case)?;
    let frame = p.frame.unwrap_or(frame);
    let result = p.result;
    let standing = p.standing;
    let units = if with_units || !p.finer.units.is_empty() {
        evaluate_units_after(rules, &ds, &frame, &result, p.finer).map_err(in_case)?
    } else {
        Vec::new()
    };
    Ok(CaseRun {
        rules,
        frame,
        result,
        standing,
        units,
    })
}

/// A case's results, borrowing its rule set.
struct CaseRun<'a> {
    rules: &'a RuleSet,
    frame: crate::data::Frame,
    result: crate::engine::KindResult,
    standing: Option<crate::engine::units::Standing>,
    units: Vec<crate::engine::units::UnitResult>,
}

impl CaseRun<'_> {
    fn views(&self) -> Vec<KindView<'_>> {
        let rules = self.rules;
        std::iter::once(KindView::of_primary(
            rules,
            &self.frame,
            &self.result,
            self.standing.as_ref(),
        ))
        .chain(
            self.units
                .iter()
                .filter_map(|u| KindView::of_unit(rules, u)),
        )
        .collect()
    }
}

/// A case's data problems, in the case's terms: the tables written for it are named by their
/// table name, not by where they were written, and the columns the case leaves out are listed
/// once, with where to give them.
fn case_data_msg(errs: Vec<crate::data::DataError>, dir: &Path) -> String {
    let prefix = format!("{}{}", dir.display(), std::path::MAIN_SEPARATOR);
    let mut absent: Vec<(String, Vec<String>)> = Vec::new();
    let mut lines = Vec::new();
    for mut e in errs {
        let Some(name) = e.file.strip_prefix(&prefix).map(str::to_string) else {
            lines.push(e.to_string());
            continue;
        };
        let table = name.strip_suffix(".csv").unwrap_or(&name).to_string();
        if let (Some(col), true) = (&e.column, e.message.starts_with("missing column")) {
            let col = format!("`{col}`");
            match absent.iter_mut().find(|(t, _)| *t == table) {
                Some((_, cols)) if cols.contains(&col) => {}
                Some((_, cols)) => cols.push(col),
                None => absent.push((table, vec![col])),
            }
            continue;
        }
        e.file = format!("the case's `{table}` rows");
        // Row 1 of the written table is its header: the case's first row is row 2.
        e.row = e.row.map(|r| r.saturating_sub(1));
        lines.push(e.to_string());
    }
    let absent = absent.into_iter().map(|(table, cols)| {
        let n = cols.len();
        format!(
            "error: the case's `{table}` rows have no value for {} {}: {}\n  help: give {} in the file's `base:` or in the case",
            n,
            if n == 1 { "column the rules read" } else { "columns the rules read" },
            cols.join(", "),
            if n == 1 { "it" } else { "them" },
        )
    });
    absent.chain(lines).collect::<Vec<_>>().join("\n")
}

fn eval_msg(e: EvalError) -> String {
    match e {
        EvalError::Data(errs, _) => errs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        EvalError::Script(errs, _) => errs
            .iter()
            .map(|e| format!("error: {e}"))
            .collect::<Vec<_>>()
            .join("\n"),
        EvalError::Internal(what) => format!("error: internal error: {what} (a bug in bangfu)"),
    }
}

fn record(ev: &CaseRun, seen: &mut Seen) {
    for v in ev.views() {
        let k = v.kind.name.clone();
        for r in 0..v.frame.len() {
            for (i, (ind, p)) in v
                .kind
                .indicators
                .iter()
                .zip(v.result.points_of(r).iter())
                .enumerate()
            {
                let key = (k.clone(), ind.id.clone());
                let bits = p.to_bits();
                match seen.points.iter_mut().find(|(x, _)| *x == key) {
                    Some((_, set)) => {
                        set.insert(bits);
                    }
                    None => seen.points.push((key, BTreeSet::from([bits]))),
                }
                if let Method::Bands(bands) = &ind.method {
                    let value = v.result.values_of(r).get(i).copied().unwrap_or(f64::NAN);
                    if let Some(b) = bands.iter().position(|b| b.interval.contains(value)) {
                        seen.bands.insert((k.clone(), ind.id.clone(), b));
                    }
                }
            }
            for (g, f) in v.kind.gates.iter().zip(v.result.gates_of(r)) {
                if *f {
                    seen.gates.insert((k.clone(), g.id.clone()));
                }
            }
            seen.outcomes
                .insert((k.clone(), v.outcome_id(r).to_string()));
            seen.grades.insert((k.clone(), v.grade_id(r).to_string()));
        }
    }
}

fn coverage(rules: &RuleSet, seen: &Seen) -> Coverage {
    let mut items = Vec::new();
    let kinds: Vec<&Kind> = std::iter::once(&rules.primary)
        .chain(&rules.units)
        .collect();
    for k in kinds {
        let name = k.name.clone();
        let mut add = |what: &str, all: Vec<String>, hit: &dyn Fn(&str) -> bool| {
            let missing: Vec<String> = all.iter().filter(|x| !hit(x)).cloned().collect();
            items.push(CoverageItem {
                kind: name.clone(),
                what: what.into(),
                covered: all.len() - missing.len(),
                total: all.len(),
                missing,
            });
        };
        // An indicator is exercised when the cases gave it at least two different scores.
        add(
            "indicators",
            k.indicators.iter().map(|i| i.id.clone()).collect(),
            &|id| {
                seen.points
                    .iter()
                    .any(|((kk, ii), set)| *kk == k.name && ii == id && set.len() >= 2)
            },
        );
        let bands: Vec<String> = k
            .indicators
            .iter()
            .flat_map(|i| match &i.method {
                Method::Bands(b) => b
                    .iter()
                    .map(|x| format!("{} {}", i.id, x.interval))
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect();
        add("bands", bands, &|label| {
            k.indicators.iter().any(|i| match &i.method {
                Method::Bands(b) => b.iter().enumerate().any(|(n, x)| {
                    format!("{} {}", i.id, x.interval) == label
                        && seen.bands.contains(&(k.name.clone(), i.id.clone(), n))
                }),
                _ => false,
            })
        });
        add(
            "gates",
            k.gates.iter().map(|g| g.id.clone()).collect(),
            &|id| seen.gates.contains(&(k.name.clone(), id.to_string())),
        );
        add(
            "grades",
            k.grades.iter().map(|g| g.id.clone()).collect(),
            &|id| seen.grades.contains(&(k.name.clone(), id.to_string())),
        );
        add(
            "outcome rules",
            k.outcomes.iter().map(|o| o.id.clone()).collect(),
            &|id| seen.outcomes.contains(&(k.name.clone(), id.to_string())),
        );
    }
    // Kinds no case touched are listed too, so gaps are visible.
    Coverage { items }
}

fn check_case(ev: &CaseRun, case: &Case) -> Vec<Diff> {
    let rules = ev.rules;
    let tol = case
        .tolerance
        .unwrap_or(0.5 * 10f64.powi(-(rules.precision as i32)));
    let views = ev.views();
    let mut diffs = Vec::new();
    let Some(primary) = views.first() else {
        return diffs;
    };
    let top = case.expect.entity();
    if top.is_empty() && case.expect.villages.is_empty() && case.expect.units.is_empty() {
        diffs.push(Diff {
            entity: String::new(),
            what: "expect".into(),
            expected: "at least one expectation (outcome, grade, total, …)".into(),
            got: "none: the case checks nothing".into(),
            trace: String::new(),
        });
        return diffs;
    }
    let mut targets: Vec<(&KindView, String, &EntityExpect)> = Vec::new();
    if !top.is_empty() {
        if let Some(id) = (primary.frame.len() == 1).then(|| primary.frame.id(0).to_string()) {
            targets.push((primary, id, &top));
        } else {
            diffs.push(Diff {
                entity: String::new(),
                what: "case".into(),
                expected: format!("one {} for top-level expectations", primary.kind.noun()),
                got: format!(
                    "{} {}; put expectations under `{}:`",
                    primary.frame.len(),
                    primary.kind.nouns(),
                    entity_keys(primary.kind).1
                ),
                trace: String::new(),
            });
        }
    }
    for (id, e) in &case.expect.villages {
        targets.push((primary, id.clone(), e));
    }
    for (kind, ids) in &case.expect.units {
        match views.iter().find(|v| v.kind.name == *kind) {
            Some(v) => {
                for (id, e) in ids {
                    targets.push((v, id.clone(), e));
                }
            }
            None => diffs.push(Diff {
                entity: kind.clone(),
                what: "kind".into(),
                expected: format!("unit kind `{kind}`"),
                got: "no such kind was evaluated".into(),
                trace: String::new(),
            }),
        }
    }
    for (v, id, e) in targets {
        let Some(r) = v.frame.find(&id) else {
            diffs.push(Diff {
                entity: id.clone(),
                what: "entity".into(),
                expected: format!("a {} `{id}`", v.kind.name),
                got: "not in the case".into(),
                trace: String::new(),
            });
            continue;
        };
        let explanation =
            || crate::explain::explain(rules, v.kind, v.frame, v.result, r, v.standing, &ev.frame);
        let reasons = crate::report::summary::reasons(rules, v, r);
        let mut push = |what: String, expected: String, got: String, trace: String| {
            diffs.push(Diff {
                entity: id.clone(),
                what,
                expected,
                got,
                trace,
            })
        };
        if let Some(o) = &e.outcome {
            if o != v.outcome_id(r) {
                let ex = explanation();
                let trace = ex
                    .outcome
                    .rules
                    .iter()
                    .map(|x| format!("{}: {}", x.id, x.why))
                    .collect::<Vec<_>>()
                    .join("\n");
                push(
                    "outcome".into(),
                    o.clone(),
                    v.outcome_id(r).into(),
                    if reasons.is_empty() {
                        trace
                    } else {
                        format!("{reasons}\n{trace}")
                    },
                );
            }
        }
        if let Some(g) = &e.grade {
            if g != v.grade_id(r) {
                let ex = explanation();
                let trace = ex
                    .grade
                    .map(|g| {
                        format!(
                            "total {} in {}{}",
                            v.result.total.get(r).copied().unwrap_or(0.0),
                            g.band,
                            g.capped_from
                                .map(|c| format!(", capped from {c}"))
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                push("grade".into(), g.clone(), v.grade_id(r).into(), trace);
            }
        }
        let total = v.result.total.get(r).copied().unwrap_or(0.0);
        if let Some(t) = e.total {
            if (t - total).abs() > tol {
                let dims = v
                    .kind
                    .dims
                    .iter()
                    .zip(v.result.dims_of(r).iter())
                    .map(|(d, s)| format!("{} {s:.2}", d.id))
                    .collect::<Vec<_>>()
                    .join(", ");
                push("total".into(), format!("{t}"), format!("{total}"), dims);
            }
        }
        if let Some(want) = e.total_before_adjustments {
            match v.base_total(r, rules.precision) {
                Some(got) if (got - want).abs() > tol => push(
                    "total before adjustments".into(),
                    format!("{want}"),
                    format!("{got}"),
                    String::new(),
                ),
                Some(_) => {}
                None => push(
                    "total before adjustments".into(),
                    "a kind with bonus or deduction groups".into(),
                    format!("kind `{}` has none", v.kind.name),
                    String::new(),
                ),
            }
        }
        for (d, want) in &e.dimensions {
            match v.kind.dims.iter().position(|x| &x.id == d) {
                Some(k) => {
                    let got = v.result.dims_of(r).get(k).copied().unwrap_or(0.0);
                    if (got - want).abs() > tol {
                        let parts = v
                            .kind
                            .indicators
                            .iter()
                            .zip(v.result.points_of(r).iter())
                            .filter(|(i, _)| i.dim == k)
                            .map(|(i, p)| format!("{} {p:.2}", i.id))
                            .collect::<Vec<_>>()
                            .join(", ");
                        push(
                            format!("dimension `{d}`"),
                            format!("{want}"),
                            format!("{got}"),
                            parts,
                        );
                    }
                }
                None => push(
                    format!("dimension `{d}`"),
                    "a dimension of the rules".into(),
                    "no such dimension".into(),
                    String::new(),
                ),
            }
        }
        for (i, want) in &e.points {
            match v.kind.indicators.iter().position(|x| &x.id == i) {
                Some(k) => {
                    let got = v.result.points_of(r).get(k).copied().unwrap_or(0.0);
                    if (got - want).abs() > tol {
                        let ex = explanation();
                        let t = ex
                            .indicators
                            .get(k)
                            .map(|t| format!("input {} = {}; {}", t.input, t.value, t.method))
                            .unwrap_or_default();
                        push(
                            format!("points of `{i}`"),
                            format!("{want}"),
                            format!("{got}"),
                            t,
                        );
                    }
                }
                None => push(
                    format!("points of `{i}`"),
                    "an indicator of the rules".into(),
                    "no such indicator".into(),
                    String::new(),
                ),
            }
        }
        if let Some(g) = &e.gates {
            let mut want: Vec<String> = g.clone();
            want.sort();
            let mut got: Vec<String> = v.fired(r).iter().map(|s| s.to_string()).collect();
            got.sort();
            if want != got {
                let ex = explanation();
                let trace = ex
                    .gates
                    .iter()
                    .map(|x| {
                        format!(
                            "{}: {} ({})",
                            x.id,
                            match (x.require, x.fired) {
                                (true, true) => "NOT MET",
                                (true, false) => "met",
                                (false, true) => "fired",
                                (false, false) => "not fired",
                            },
                            x.condition
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                push(
                    "gates fired".into(),
                    format!("[{}]", want.join(", ")),
                    format!("[{}]", got.join(", ")),
                    trace,
                );
            }
        }
        if let Some(rank) = e.rank {
            if Some(rank) != v.rank(r) {
                push(
                    "rank".into(),
                    rank.to_string(),
                    v.rank(r)
                        .map_or_else(|| "not ranked".to_string(), |x| x.to_string()),
                    v.kind
                        .rank
                        .iter()
                        .map(|k| k.text.clone())
                        .collect::<Vec<_>>()
                        .join(", then "),
                );
            }
        }
        if let Some(award) = e.award {
            if award != v.award(r) {
                let fund = v
                    .unit
                    .and_then(|u| u.fund.as_ref())
                    .map(|f| format!("fund {} yuan shared by {}", f.budget, f.recipients))
                    .unwrap_or_default();
                push(
                    "award".into(),
                    award.to_string(),
                    v.award(r).to_string(),
                    fund,
                );
            }
        }
    }
    diffs
}
