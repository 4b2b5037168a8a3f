//! Serde types that mirror the rule-set files one to one. No logic lives here: checking and
//! resolving names happen in `compile`. Unknown keys are caught by the loader (see `load`).

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// `ruleset.yaml`: the header, parameters and programme totals.
#[derive(Debug, Clone, Deserialize)]
pub struct RawHeader {
    pub name: Text,
    pub version: Text,
    #[serde(default)]
    pub period: Option<Text>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub precision: Option<u32>,
    /// The entity kind whose table is the primary one (default `village`).
    #[serde(default)]
    pub primary: Option<String>,
    #[serde(default)]
    pub parameters: IndexMap<String, RawParam>,
    #[serde(default)]
    pub totals: Vec<RawTotal>,
    /// Parameters whose values are uncertain, for `bangfu sensitivity`.
    #[serde(default)]
    pub uncertainty: Vec<RawUncertain>,
    /// The wording of the public notice (公示名单) in `results.xlsx` and `report.html`.
    #[serde(default)]
    pub notice: Option<RawNotice>,
}

/// `notice:`: the public notice's wording; every key has a default.
#[derive(Debug, Clone, Deserialize)]
pub struct RawNotice {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub intro: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub office: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    /// The kinds listed, in this order (default: every kind, the primary first).
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
}

/// A parameter's plausible range: uniform between `min` and `max`, or triangular with `mode`.
#[derive(Debug, Clone, Deserialize)]
pub struct RawUncertain {
    pub parameter: String,
    pub min: f64,
    pub max: f64,
    #[serde(default)]
    pub mode: Option<f64>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// A named number that committees tune and scenarios override.
#[derive(Debug, Clone)]
pub struct RawParam {
    pub value: ParamValue,
    pub label: Option<String>,
    pub unit: Option<String>,
    pub reference: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize)]
struct RawParamFull {
    value: ParamValue,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

impl<'de> Deserialize<'de> for RawParam {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawParam;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a number, a formula in quotes, or a map with `value`, `label`, `unit`, `reference`",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawParam, E> {
                Ok(RawParam::bare(ParamValue::Number(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawParam, E> {
                Ok(RawParam::bare(ParamValue::Number(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawParam, E> {
                Ok(RawParam::bare(ParamValue::Number(v as f64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawParam, E> {
                Ok(RawParam::bare(ParamValue::from_text(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawParam, A::Error> {
                let full = RawParamFull::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawParam {
                    value: full.value,
                    label: full.label,
                    unit: full.unit,
                    reference: full.reference,
                    description: full.description,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl RawParam {
    fn bare(value: ParamValue) -> Self {
        RawParam {
            value,
            label: None,
            unit: None,
            reference: None,
            description: None,
        }
    }
}

/// A parameter's value as written: a number, or a formula over other parameters
/// (`"votes_total / 2"`), evaluated once when the rule set loads.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Number(f64),
    Formula(String),
}

impl ParamValue {
    /// A quoted value: a number written in quotes (`"70"`) is still a plain number, so that
    /// it stays free to vary; anything else is a formula.
    pub fn from_text(text: &str) -> ParamValue {
        match text.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => ParamValue::Number(x),
            _ => ParamValue::Formula(text.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, or a formula over other parameters in quotes")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamValue, E> {
                Ok(ParamValue::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
                Ok(ParamValue::Number(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamValue, E> {
                Ok(ParamValue::from_text(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A programme total shown in the run summary, summed over the primary entities.
#[derive(Debug, Clone, Deserialize)]
pub struct RawTotal {
    pub id: String,
    pub label: String,
    pub column: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// One file in `kinds/`: an entity kind (village, department, team, …) and its criteria.
#[derive(Debug, Clone, Deserialize)]
pub struct RawKind {
    pub kind: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Data table name (default: the kind's name with an `s`).
    #[serde(default)]
    pub table: Option<String>,
    /// The column that names each row, or several whose values together do
    /// (`[team_id, month]`).
    pub id_column: KeyColumns,
    #[serde(default)]
    pub label_column: Option<String>,
    /// Text columns shown as breakdowns in the run summary (e.g. village type, town).
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Declared data columns not typed by an indicator (read by gates, outcomes, ratios).
    #[serde(default)]
    pub columns: IndexMap<String, RawColumn>,
    #[serde(default)]
    pub dimensions: Vec<RawDimension>,
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
    /// Bonus and deduction items applied to the total after the dimensions (加分项, 扣分项).
    #[serde(default)]
    pub adjustments: Vec<RawAdjustment>,
    /// The total's floor and ceiling, applied after the adjustments.
    #[serde(default)]
    pub total: Option<RawTotalBounds>,
    #[serde(default)]
    pub gates: Vec<RawGate>,
    /// Conditions that must all hold for a passing outcome (an exit list); one that does not
    /// hold fails the entity and is named in its results.
    #[serde(default)]
    pub conditions: Vec<RawCondition>,
    #[serde(default)]
    pub grades: Vec<RawGrade>,
    #[serde(default)]
    pub outcomes: Vec<RawOutcome>,
    /// For units: how the unit is linked to the primary entities (villages).
    #[serde(default)]
    pub link: Option<RawLink>,
    /// The entities of other kinds that belong to each entity of this one, by kind: the
    /// households of a village, the villages of a town (`link` says it for the primary kind).
    #[serde(default)]
    pub members: IndexMap<String, RawMembers>,
    /// For units: the ranking keys, best first (`total desc`); ties end with the id.
    #[serde(default)]
    pub rank: Option<Vec<String>>,
    /// For units: at most a share or a count per outcome or grade.
    #[serde(default)]
    pub quotas: Vec<RawQuota>,
    /// For units: the best-ranked N receive an outcome.
    #[serde(default)]
    pub top: Option<RawTop>,
    /// For units: a reward fund shared among the units with one outcome.
    #[serde(default)]
    pub fund: Option<RawFund>,
    /// For units: how this unit's grade carries to its members (another kind).
    #[serde(default)]
    pub cascade: Option<RawCascade>,
}

/// The key of a kind's rows: one column, or several written as a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyColumns(pub Vec<String>);

impl KeyColumns {
    /// The first key column (the only one for most kinds).
    pub fn first(&self) -> &str {
        self.0.first().map_or("", String::as_str)
    }

    /// The key columns after the first.
    pub fn rest(&self) -> &[String] {
        self.0.get(1..).unwrap_or(&[])
    }
}

impl<'de> Deserialize<'de> for KeyColumns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyColumns;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a column name, or a list of column names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyColumns, E> {
                Ok(KeyColumns(vec![v.to_string()]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<KeyColumns, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(KeyColumns(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// How a unit is linked to villages: a village column naming the unit, or a link table.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawLink {
    /// A column of the primary table that holds this unit's id.
    #[serde(default)]
    pub column: Option<String>,
    /// A table with one row per (unit, village) pair; may be the unit's own table.
    #[serde(default)]
    pub table: Option<String>,
    /// In `table`: the column with the unit id (default: the unit's `id_column`).
    #[serde(default)]
    pub unit_column: Option<String>,
    /// In `table`: the column with the village id (default: the primary `id_column`).
    /// `primary_column` says the same for any primary kind.
    #[serde(default, alias = "primary_column")]
    pub village_column: Option<String>,
}

/// Which entities of another kind belong to each entity of this kind: a column of the member
/// kind's table naming this kind's id, or a link table.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawMembers {
    /// A column of the member kind's table that holds this kind's id.
    #[serde(default)]
    pub column: Option<String>,
    /// A table with one row per (entity, member) pair.
    #[serde(default)]
    pub table: Option<String>,
    /// In `table`: the column with this kind's id (default: this kind's `id_column`).
    #[serde(default)]
    pub unit_column: Option<String>,
    /// In `table`: the column with the member's id (default: the member kind's `id_column`).
    #[serde(default)]
    pub member_column: Option<String>,
}

/// An aggregate over a unit's villages.
#[derive(Debug, Clone, Deserialize)]
pub struct RawAggregate {
    #[serde(rename = "fn")]
    pub func: AggFn,
    /// The kind aggregated over (default: the primary kind), reached through `link` and
    /// `members`.
    #[serde(default)]
    pub from: Option<String>,
    /// The village field: `total`, a dimension, `points.ID`, `value.ID`, a column, `outcome`.
    #[serde(default)]
    pub of: Option<String>,
    /// Plain comparisons a village must meet to be counted (all of them).
    #[serde(default, rename = "where")]
    pub filter: Option<Vec<String>>,
    /// Decimals kept in the aggregate (default: the rule set's `precision`): a share compared
    /// with a line such as 3% keeps enough to decide it (1 in 34 is 0.0294, not 0.03).
    #[serde(default)]
    pub precision: Option<u32>,
}

/// Aggregation functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AggFn {
    Mean,
    Min,
    Max,
    Sum,
    Count,
    Share,
    /// Whether any entity meets `where` (1 or 0).
    Any,
    /// Whether every entity meets `where` (1 or 0; 0 when there is none).
    All,
}

/// At most `max_share` (0..1) or `max_count` units may have an outcome or a grade.
#[derive(Debug, Clone, Deserialize)]
pub struct RawQuota {
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub grade: Option<String>,
    #[serde(default)]
    pub max_share: Option<f64>,
    #[serde(default)]
    pub max_count: Option<usize>,
}

/// The best-ranked `count` units (that have not failed) receive `outcome`.
#[derive(Debug, Clone, Deserialize)]
pub struct RawTop {
    pub count: usize,
    pub outcome: String,
}

/// A reward fund.
#[derive(Debug, Clone, Deserialize)]
pub struct RawFund {
    pub budget: f64,
    /// The outcome that receives money.
    pub outcome: String,
    pub split: FundSplit,
    /// For `by_grade`: each grade's weight (a unit of weight 2 gets twice one of weight 1).
    #[serde(default)]
    pub per_grade: Option<IndexMap<String, f64>>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// How a fund is split among its recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FundSplit {
    Equal,
    Proportional,
    ByGrade,
}

/// How a unit's grade carries to its members.
#[derive(Debug, Clone, Deserialize)]
pub struct RawCascade {
    /// The member kind.
    pub to: String,
    /// The member table's column holding this unit's id.
    pub via: String,
    pub rules: Vec<RawCascadeRule>,
}

/// One cascade rule: for units with one of `grades`, act on their members' grades.
#[derive(Debug, Clone, Deserialize)]
pub struct RawCascadeRule {
    /// The unit grades this rule applies to.
    pub grades: Vec<String>,
    /// Every member gets this grade.
    #[serde(default)]
    pub set: Option<String>,
    /// Members' grades are at best this one.
    #[serde(default)]
    pub cap: Option<String>,
    /// At most `count` members (best ranked) keep grade `grade`; the rest fall one grade.
    #[serde(default)]
    pub at_most: Option<RawAtMost>,
}

/// A per-unit limit on a member grade.
#[derive(Debug, Clone, Deserialize)]
pub struct RawAtMost {
    pub grade: String,
    pub count: usize,
}

/// The declared type, range and missing-value policy of a data column.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawColumn {
    #[serde(rename = "type", default)]
    pub ty: Option<ValueType>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub missing: Option<MissingPolicy>,
    #[serde(default)]
    pub categories: Option<RawCategories>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
}

/// A value type for inputs and columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    Number,
    Integer,
    Bool,
    Category,
}

/// What an empty cell means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// An empty cell is a data error (the default).
    Error,
    /// An empty cell counts as zero (or false).
    Zero,
    /// The entity cannot pass: insufficient evidence.
    Fail,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawDimension {
    pub id: String,
    pub label: String,
    pub max: f64,
    #[serde(default)]
    pub min: Option<NumRef>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A group of bonus or deduction items: each item's points, summed, at most `cap`, are added
/// to or taken from the total after the dimensions.
#[derive(Debug, Clone, Deserialize)]
pub struct RawAdjustment {
    pub id: String,
    pub label: String,
    pub effect: AdjustEffect,
    /// The most the group adds or takes away (加分最多 5 分); default: the sum of its items.
    #[serde(default)]
    pub cap: Option<NumRef>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    /// The items, written as indicators without a `dimension`.
    pub items: Vec<RawIndicator>,
}

/// Whether an adjustment group adds to the total or takes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdjustEffect {
    Add,
    Deduct,
}

/// The bounds the total is clamped to after the adjustments.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawTotalBounds {
    /// Default 0: deductions never make a total negative.
    #[serde(default)]
    pub floor: Option<NumRef>,
    /// Default: none (the highest total the points allow).
    #[serde(default)]
    pub ceiling: Option<NumRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawIndicator {
    pub id: String,
    pub label: String,
    /// Required for an indicator; absent for an adjustment item (its group places it).
    #[serde(default)]
    pub dimension: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    pub input: RawInput,
    #[serde(rename = "type", default)]
    pub ty: Option<ValueType>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub missing: Option<MissingPolicy>,
    #[serde(default)]
    pub categories: Option<RawCategories>,
    pub scoring: RawScoring,
}

/// Where an indicator's value comes from. Exactly one of the fields is set; a bare string is
/// shorthand for `column`.
#[derive(Debug, Clone, Default)]
pub struct RawInput {
    pub column: Option<String>,
    pub ratio: Option<RawRatio>,
    pub change: Option<RawChange>,
    pub expr: Option<String>,
    pub aggregate: Option<RawAggregate>,
}

impl<'de> Deserialize<'de> for RawInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a column name, or a map with one of `column`, `ratio`, `change`, `expr`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawInput, E> {
                Ok(RawInput {
                    column: Some(v.to_string()),
                    ..RawInput::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawInput, A::Error> {
                RawInputFull::deserialize(de::value::MapAccessDeserializer::new(map)).map(|f| {
                    RawInput {
                        column: f.column,
                        ratio: f.ratio,
                        change: f.change,
                        expr: f.expr,
                        aggregate: f.aggregate,
                    }
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct RawInputFull {
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    ratio: Option<RawRatio>,
    #[serde(default)]
    change: Option<RawChange>,
    #[serde(default)]
    expr: Option<String>,
    #[serde(default)]
    aggregate: Option<RawAggregate>,
}

/// `numerator / denominator`, with the value used when the denominator is zero.
#[derive(Debug, Clone, Deserialize)]
pub struct RawRatio {
    pub num: String,
    pub den: String,
    pub if_zero: f64,
}

/// Change since the baseline period: `column − baseline column`, or as a percentage.
#[derive(Debug, Clone, Deserialize)]
pub struct RawChange {
    pub column: String,
    #[serde(default, rename = "as")]
    pub as_: Option<ChangeAs>,
    /// For `percent`, the value used when the baseline is zero.
    #[serde(default)]
    pub if_zero: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeAs {
    Difference,
    Percent,
}

/// How an indicator's value becomes points. Which fields apply depends on `method`.
#[derive(Debug, Clone, Deserialize)]
pub struct RawScoring {
    pub method: MethodName,
    pub points: NumRef,
    #[serde(default)]
    pub target: Option<NumRef>,
    #[serde(default)]
    pub direction: Option<Direction>,
    #[serde(default)]
    pub partial: Option<NumRef>,
    #[serde(default)]
    pub from: Option<NumRef>,
    #[serde(default)]
    pub to: Option<NumRef>,
    #[serde(default)]
    pub bands: Option<Vec<RawBand>>,
    #[serde(default)]
    pub per: Option<NumRef>,
    #[serde(default)]
    pub function: Option<String>,
    #[serde(default)]
    pub table: Option<IndexMap<String, NumRef>>,
    /// For `rank`: the fewest points any place gets.
    #[serde(default)]
    pub floor: Option<NumRef>,
    /// For `lookup`: the category → points table read from a data table.
    #[serde(default)]
    pub points_from: Option<RawPointsFrom>,
}

/// A `lookup` table kept in the data: one row per category, its key and its points.
#[derive(Debug, Clone, Deserialize)]
pub struct RawPointsFrom {
    pub table: String,
    pub key: String,
    pub column: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MethodName {
    Threshold,
    Linear,
    Bands,
    Deduct,
    Bonus,
    Boolean,
    Script,
    Lookup,
    /// Points in proportion to the best value among the kind's entities.
    Relative,
    /// Points by place among the kind's entities.
    Rank,
    /// Points by where the value lies between the kind's lowest and highest.
    Minmax,
    /// Points by the standardised score over the kind's entities.
    Zscore,
}

impl MethodName {
    /// The method's name as written in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodName::Threshold => "threshold",
            MethodName::Linear => "linear",
            MethodName::Bands => "bands",
            MethodName::Deduct => "deduct",
            MethodName::Bonus => "bonus",
            MethodName::Boolean => "boolean",
            MethodName::Script => "script",
            MethodName::Lookup => "lookup",
            MethodName::Relative => "relative",
            MethodName::Rank => "rank",
            MethodName::Minmax => "minmax",
            MethodName::Zscore => "zscore",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Higher,
    Lower,
}

/// One band: an interval such as `"[5, 10)"` and its points.
#[derive(Debug, Clone, Deserialize)]
pub struct RawBand {
    pub range: String,
    pub points: NumRef,
    #[serde(default)]
    pub label: Option<String>,
}

/// A veto (一票否决) or cap.
#[derive(Debug, Clone, Deserialize)]
pub struct RawGate {
    pub id: String,
    pub label: String,
    /// Attach the gate to one indicator: `value` and `points` then mean that indicator's.
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub all: Option<Vec<String>>,
    #[serde(default)]
    pub any: Option<Vec<String>>,
    pub message: String,
    pub effect: EffectName,
    #[serde(default)]
    pub grade: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    /// For `effect: zero`: the indicators, dimensions or adjustment groups whose points become 0.
    #[serde(default)]
    pub zero: Option<Vec<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// A condition that must hold: `when`, `all` or `any`, as for a gate.
#[derive(Debug, Clone, Deserialize)]
pub struct RawCondition {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub all: Option<Vec<String>>,
    #[serde(default)]
    pub any: Option<Vec<String>>,
    /// Shown when the condition does not hold (default: the label).
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectName {
    Fail,
    CapGrade,
    ForceOutcome,
    Zero,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawGrade {
    pub id: String,
    pub label: String,
    pub range: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawOutcome {
    pub id: String,
    pub label: String,
    /// Whether this outcome counts as passing; a failed entity skips passing outcomes.
    #[serde(default)]
    pub passing: Option<bool>,
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub all: Option<Vec<String>>,
    #[serde(default)]
    pub any: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A number, or the name of a parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum NumRef {
    Num(f64),
    Param(String),
}

impl<'de> Deserialize<'de> for NumRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a parameter name")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumRef, E> {
                Ok(NumRef::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumRef, E> {
                Ok(NumRef::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumRef, E> {
                Ok(NumRef::Num(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumRef, E> {
                Ok(NumRef::Param(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Text that may be written as a bare number in YAML (`version: 2026.1`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A category column's allowed values: a list (`[unstable, weak_leadership]`), or a map from
/// each value to the label reports show beside it (`{ weak_leadership: 班子软弱涣散 }`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawCategories(pub Vec<(String, Option<String>)>);

impl RawCategories {
    /// The values, in the order written.
    pub fn values(&self) -> Vec<String> {
        self.0.iter().map(|(v, _)| v.clone()).collect()
    }

    /// Each value with its label, for the map form; empty for a plain list.
    pub fn labels(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter_map(|(v, l)| Some((v.clone(), l.clone()?)))
            .collect()
    }
}

impl<'de> Deserialize<'de> for RawCategories {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCategories;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of categories, or a map from each category to its label")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawCategories, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Text>()? {
                    out.push((s.0, None));
                }
                Ok(RawCategories(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawCategories, A::Error> {
                let mut out: Vec<(String, Option<String>)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<Text, Text>()? {
                    if out.iter().any(|(x, _)| *x == k.0) {
                        return Err(de::Error::custom(format!(
                            "category `{}` is listed twice",
                            k.0
                        )));
                    }
                    out.push((k.0, Some(v.0)));
                }
                Ok(RawCategories(out))
            }
        }
        d.deserialize_any(V)
    }
}
