//! The compiled rule set: names resolved to indices, parameters to numbers, expressions to
//! ASTs. Immutable once built and shared by reference across threads.

use super::interval::Interval;
pub use super::raw::{MethodName, MissingPolicy, ValueType};
pub use super::var::Var;
use crate::diag::Location;
pub use crate::script::ExprId;
use crate::script::ScriptHost;
use std::collections::HashMap;

/// A whole compiled rule set.
#[derive(Debug)]
pub struct RuleSet {
    pub name: String,
    pub version: String,
    pub period: Option<String>,
    pub description: Option<String>,
    pub precision: u32,
    pub params: Vec<Param>,
    /// The primary entity kind (villages by default).
    pub primary: Kind,
    /// The other entity kinds (units), in file order.
    pub units: Vec<Kind>,
    /// The order units are evaluated in (indices into `units`): each after every kind it
    /// reads. The first `finer` are the kinds the primary kind reads, evaluated before it.
    pub order: Vec<usize>,
    pub finer: usize,
    pub totals: Vec<Total>,
    pub scripts: ScriptHost,
    pub sha256: String,
    pub file_hashes: Vec<(String, String)>,
    /// Uncertain parameters, for sensitivity analysis.
    pub uncertainty: Vec<Uncertain>,
    /// The public notice's wording and the kinds it lists.
    pub notice: Notice,
}

/// The public notice (公示名单): a sheet of `results.xlsx` and a section of `report.html`
/// listing every entity's total, grade and outcome, with the notice period and where to
/// object. Every text has a default (see `docs/rules.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub intro: String,
    pub period: String,
    pub contact: String,
    /// The office issuing the notice, above the date at its foot.
    pub office: String,
    /// The date at its foot (blank, to be written in when it is signed, by default).
    pub date: String,
    /// The kinds listed, by name, in order.
    pub kinds: Vec<String>,
}

/// A parameter's plausible range.
#[derive(Debug, Clone)]
pub struct Uncertain {
    pub name: String,
    pub min: f64,
    pub max: f64,
    /// Triangular with this mode; uniform when `None`.
    pub mode: Option<f64>,
    pub nominal: f64,
}

impl RuleSet {
    /// A parameter's value by name.
    pub fn param(&self, name: &str) -> Option<f64> {
        self.params.iter().find(|p| p.name == name).map(|p| p.value)
    }
}

/// A named number.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub value: f64,
    /// The formula the value was computed from, as written (`votes_total / 2`), if any.
    pub formula: Option<String>,
    pub label: Option<String>,
    pub unit: Option<String>,
    pub reference: Option<String>,
}

/// A programme total: the sum of one primary column over all entities.
#[derive(Debug, Clone)]
pub struct Total {
    pub id: String,
    pub label: String,
    pub column: usize,
    pub unit: Option<String>,
}

/// An entity kind and its criteria.
#[derive(Debug)]
pub struct Kind {
    pub name: String,
    pub label: String,
    pub table: String,
    /// The column naming each row (the first of the key columns).
    pub id_column: String,
    /// Further key columns: a row's id is its key values joined by `/` (`WT01/03`).
    pub key_columns: Vec<String>,
    pub label_column: Option<String>,
    pub group_by: Vec<String>,
    /// The typed data columns the rules read, in load order.
    pub columns: Vec<ColumnSpec>,
    pub dims: Vec<Dimension>,
    pub indicators: Vec<Indicator>,
    pub gates: Vec<Gate>,
    pub grades: Vec<Grade>,
    pub outcomes: Vec<Outcome>,
    /// Whether any input reads the baseline table.
    pub needs_baseline: bool,
    /// Every name usable in conditions and expressions, for suggestions and docs.
    pub names: HashMap<String, Var>,
    /// The highest total the points allow: the dimensions' maximums plus every bonus group's,
    /// within the ceiling.
    pub max_total: f64,
    /// The total's bounds after the adjustments (floor 0 unless declared).
    pub floor: f64,
    pub ceiling: Option<f64>,
    /// Text columns loaded as they are: `group_by` plus the columns units link through.
    pub text_columns: Vec<String>,
    /// For units: the link to the primary entities.
    pub link: Option<Link>,
    /// The entities of other unit kinds that belong to each entity of this kind (`members`),
    /// in the order written. Members of the primary kind are the `link`.
    pub members: Vec<MemberLink>,
    /// For a unit kind without a `link`: the kinds its members lead through to the primary
    /// entities, when one way does (a town's villages, to their households). Empty otherwise.
    pub through: Vec<String>,
    /// For units: ranking keys, best first; the id breaks any remaining tie.
    pub rank: Vec<RankKey>,
    pub quotas: Vec<Quota>,
    pub top: Option<Top>,
    pub fund: Option<Fund>,
    pub cascade: Option<Cascade>,
}

impl Kind {
    /// The gates of this kind that can be evaluated together: enabled, written in rhai, and
    /// reading nothing decided after the scores (such as another gate).
    /// `(gate indices, expressions)`.
    pub fn batchable_gates(&self, host: &ScriptHost) -> (Vec<usize>, Vec<ExprId>) {
        let mut gates = Vec::new();
        let mut exprs = Vec::new();
        for (g, gate) in self.gates.iter().enumerate().take(64) {
            let Condition::Script(id) = gate.condition else {
                continue;
            };
            let early = host
                .expr(id)
                .is_some_and(|e| e.vars.iter().all(|(_, v)| v.stage() < 3));
            if gate.enabled && early {
                gates.push(g);
                exprs.push(id);
            }
        }
        (gates, exprs)
    }
}

impl Kind {
    /// Whether two compiled kinds read the same data columns the same way (so a frame loaded
    /// for one serves the other).
    pub fn same_columns(&self, other: &Kind) -> bool {
        self.text_columns == other.text_columns
            && self.label_column == other.label_column
            && self.columns.len() == other.columns.len()
            && self.columns.iter().zip(&other.columns).all(|(x, y)| {
                x.name == y.name
                    && x.ty == y.ty
                    && x.min == y.min
                    && x.max == y.max
                    && x.missing == y.missing
                    && x.baseline == y.baseline
                    && x.categories == y.categories
            })
    }
}

impl Kind {
    /// The kind as an English noun for messages: its name, `_` read as a space (`team`,
    /// `monthly sheet`).
    pub fn noun(&self) -> String {
        self.name.replace('_', " ")
    }

    /// The plural of [`Kind::noun`]: `teams`, `households`, `cities`.
    pub fn nouns(&self) -> String {
        plural_noun(&self.noun())
    }

    /// The kind as a Chinese word for headings: the Chinese part of its label (`工作队` of
    /// `工作队 (work team)`). The village kind keeps the short `村` that its headings have
    /// always used (`临界村`, `村数`), rather than its label's `后进村`.
    pub fn zh_noun(&self) -> &str {
        if self.name == "village" {
            return "村";
        }
        match self.label.find(" (") {
            Some(i) if i > 0 => self.label.get(..i).unwrap_or(&self.label),
            _ => &self.label,
        }
    }

    /// The name of a unit's result field counting the primary entities it is linked to:
    /// `village_count` when the primary kind is `village`, `team_count` for `team`.
    pub fn count_field(&self) -> String {
        format!("{}_count", self.name)
    }
}

/// A regular English plural; kind names are short nouns, so the common endings suffice.
pub(crate) fn plural_noun(one: &str) -> String {
    let vowel_before_y = one
        .chars()
        .rev()
        .nth(1)
        .is_some_and(|c| "aeiou".contains(c));
    if let Some(stem) = one.strip_suffix('y').filter(|_| !vowel_before_y) {
        format!("{stem}ies")
    } else if ["s", "x", "z", "ch", "sh"].iter().any(|e| one.ends_with(e)) {
        format!("{one}es")
    } else {
        format!("{one}s")
    }
}

impl ColumnSpec {
    /// A column of the entity's table, as first asked for at `origin`: required, unbounded.
    pub fn data(name: &str, ty: ValueType, origin: Location) -> ColumnSpec {
        ColumnSpec {
            name: name.to_string(),
            ty,
            min: None,
            max: None,
            missing: MissingPolicy::Error,
            categories: None,
            category_labels: Vec::new(),
            label: None,
            unit: None,
            source: ColumnSource::Data,
            baseline: false,
            origin,
        }
    }

    /// Whether the column is read from the data table (not computed from other entities).
    pub fn from_data(&self) -> bool {
        matches!(self.source, ColumnSource::Data)
    }
}

/// Where a column's values come from.
#[derive(Debug, Clone)]
pub enum ColumnSource {
    /// The entity's own data table.
    Data,
    /// An aggregate over the unit's villages.
    Aggregate(Aggregate),
}

/// Aggregation functions over a unit's villages.
pub use super::raw::AggFn;

/// `fn` of a village field over a unit's villages, counting only those meeting `filter`.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub func: AggFn,
    /// A variable of the primary kind (`None` for `count` and `share`).
    pub of: Option<Var>,
    /// The field as written, for explanations.
    pub of_text: String,
    pub filter: Vec<Cmp>,
    /// Decimals kept (the rule set's `precision` unless the aggregate says otherwise).
    pub precision: Option<u32>,
    /// The kind aggregated over when it is not the primary kind reached through `link`
    /// (`from`): `None` for every aggregate that does not say, as before `from` existed.
    pub from: Option<Source>,
}

/// The kind an aggregate reads, and the one way to reach it from the aggregating kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The kind aggregated over.
    pub kind: String,
    /// The kinds passed through, from the first member kind to `kind` itself: `[village,
    /// household]` for a town reading its villages' households.
    pub path: Vec<String>,
}

/// The entities of one other kind that belong to each entity of a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLink {
    /// The member kind's name.
    pub kind: String,
    pub via: MemberVia,
}

/// How members are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberVia {
    /// A text column of the member kind's table holds the id of the entity it belongs to.
    Column(String),
    /// A table with one row per (entity, member) pair.
    Table {
        table: String,
        unit_column: String,
        member_column: String,
    },
}

/// How a unit is linked to villages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A text column of the primary table holds the unit id.
    Column(String),
    /// A table with one row per (unit, village) pair.
    Table {
        table: String,
        unit_column: String,
        village_column: String,
    },
}

/// One ranking key.
#[derive(Debug, Clone)]
pub struct RankKey {
    pub var: Var,
    pub desc: bool,
    pub text: String,
}

/// What a quota limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaTarget {
    Outcome(usize),
    Grade(usize),
}

/// At most `max_share` of the units, or `max_count`, may have the target.
#[derive(Debug, Clone)]
pub struct Quota {
    pub target: QuotaTarget,
    pub max_share: Option<f64>,
    pub max_count: Option<usize>,
}

/// The best-ranked `count` units that have not failed receive `outcome`.
#[derive(Debug, Clone)]
pub struct Top {
    pub count: usize,
    pub outcome: usize,
}

/// How a fund is split.
#[derive(Debug, Clone)]
pub enum Split {
    Equal,
    Proportional,
    /// Weight per grade index.
    ByGrade(Vec<f64>),
}

/// A reward fund in whole yuan.
#[derive(Debug, Clone)]
pub struct Fund {
    pub budget: i64,
    pub outcome: usize,
    pub split: Split,
    pub label: Option<String>,
}

/// How a unit's grade carries to its members.
#[derive(Debug, Clone)]
pub struct Cascade {
    /// The member kind's name.
    pub to: String,
    /// The member table's column holding the unit id.
    pub via: String,
    pub rules: Vec<CascadeRule>,
}

/// One cascade rule: for units with one of `grades` (indices into the unit's grades).
#[derive(Debug, Clone)]
pub struct CascadeRule {
    pub grades: Vec<usize>,
    pub action: CascadeAction,
}

/// What a cascade rule does to the members' grades (grade ids of the member kind).
#[derive(Debug, Clone)]
pub enum CascadeAction {
    Set(String),
    Cap(String),
    AtMost { grade: String, count: usize },
}

impl Kind {
    /// The column index of `name`, if the rules read it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// A data column as the rules need it.
#[derive(Debug, Clone)]
pub struct ColumnSpec {
    pub name: String,
    pub ty: ValueType,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub missing: MissingPolicy,
    pub categories: Option<Vec<String>>,
    /// The label of each category, when the rules give them as a map
    /// (`{ weak_leadership: 班子软弱涣散 }`): reports show it beside the value.
    pub category_labels: Vec<(String, String)>,
    pub label: Option<String>,
    /// What the column counts in (`件`, `米`): `explain` says its suggestions in it.
    pub unit: Option<String>,
    pub source: ColumnSource,
    /// Read from the baseline table too.
    pub baseline: bool,
    /// Where the rules first ask for this column.
    pub origin: Location,
}

/// A dimension: a group of indicators. Adjustment groups (bonus and deduction items) are
/// dimensions too, after the scored ones, so that every score has one place to live.
#[derive(Debug, Clone)]
pub struct Dimension {
    pub id: String,
    pub label: String,
    /// The most it can score; for an adjustment group, its cap.
    pub max: f64,
    pub min: Option<f64>,
    /// The parameter the minimum came from, if any.
    pub min_param: Option<String>,
    pub role: DimRole,
}

/// What a dimension's score does to the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimRole {
    /// Part of the total before adjustments.
    Score,
    /// A bonus group: added after the scored dimensions, at most its `max`.
    Add,
    /// A deduction group: taken away after the bonus, at most its `max`.
    Deduct,
}

impl Dimension {
    /// Whether this is a bonus or deduction group rather than a scored dimension.
    pub fn is_adjustment(&self) -> bool {
        self.role != DimRole::Score
    }
}

impl Kind {
    /// Whether the kind scores points (has dimensions); a kind decided by conditions alone
    /// has no total.
    pub fn scored(&self) -> bool {
        !self.dims.is_empty()
    }

    /// Whether the kind has grades.
    pub fn graded(&self) -> bool {
        !self.grades.is_empty()
    }

    /// Whether the kind has required conditions.
    pub fn has_conditions(&self) -> bool {
        self.gates.iter().any(|g| g.require)
    }

    /// Whether the total has bonus or deduction groups, or bounds of its own.
    pub fn has_adjustments(&self) -> bool {
        self.dims.iter().any(Dimension::is_adjustment) || self.ceiling.is_some()
    }
}

/// One measured item.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: String,
    pub label: String,
    pub dim: usize,
    pub unit: Option<String>,
    pub reference: Option<String>,
    pub description: Option<String>,
    pub input: Input,
    pub ty: ValueType,
    /// Valid range of the input value; outside it is a data error.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub method: Method,
    /// The points the indicator is worth (its maximum).
    pub points: f64,
    /// The parameters its points and scoring spec name, in the order read (their values are
    /// already in `points` and `method`; the printed criteria name them).
    pub params: Vec<String>,
    pub origin: Location,
}

/// Where an indicator's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Column(usize),
    Ratio {
        num: usize,
        den: usize,
        if_zero: f64,
    },
    Change {
        col: usize,
        percent: bool,
        if_zero: Option<f64>,
    },
    Expr(ExprId),
}

/// A scoring method with its specs resolved to numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    Threshold {
        target: f64,
        higher: bool,
        partial: f64,
    },
    Linear {
        from: f64,
        to: f64,
    },
    Bands(Vec<Band>),
    Deduct {
        per: f64,
    },
    Bonus {
        per: f64,
    },
    Boolean,
    Script(ExprId),
    /// Category name → points; a category not listed scores 0.
    Lookup(Vec<(String, f64)>),
    /// Category → points read from a data table (积分制: points by event type). The table is
    /// data: it is read and validated with the kind's table, and travels with its frame.
    LookupFrom(PointsFrom),
    /// 以最高值为满分：`value / best × points` (`best / value` when lower is better), best over
    /// the kind's entities.
    Relative {
        higher: bool,
    },
    /// 按排名赋分：the first place gets the points, each place lower `per` fewer, never under
    /// `floor`; tied values share the better place.
    Rank {
        higher: bool,
        per: f64,
        floor: f64,
    },
    /// Where the value lies between the kind's lowest and highest, as a share of the points.
    MinMax {
        higher: bool,
    },
    /// 标准分: the standardised score `z = (value − mean) / sd` over the kind's entities
    /// (`(mean − value) / sd` when lower is better), mapped linearly from `from → to` standard
    /// deviations onto `0 → points`, clamped.
    ZScore {
        higher: bool,
        from: f64,
        to: f64,
    },
}

impl Method {
    /// The method's name as written in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Threshold { .. } => "threshold",
            Method::Linear { .. } => "linear",
            Method::Bands(_) => "bands",
            Method::Deduct { .. } => "deduct",
            Method::Bonus { .. } => "bonus",
            Method::Boolean => "boolean",
            Method::Script(_) => "script",
            Method::Lookup(_) | Method::LookupFrom(_) => "lookup",
            Method::Relative { .. } => "relative",
            Method::Rank { .. } => "rank",
            Method::MinMax { .. } => "minmax",
            Method::ZScore { .. } => "zscore",
        }
    }

    /// Whether the points depend on the other entities of the kind (computed once every
    /// entity has its input).
    pub fn is_peer(&self) -> bool {
        matches!(
            self,
            Method::Relative { .. }
                | Method::Rank { .. }
                | Method::MinMax { .. }
                | Method::ZScore { .. }
        )
    }
}

/// Where a `lookup` reads its points: `table`'s rows, each category in column `key` and its
/// points in column `column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsFrom {
    pub table: String,
    pub key: String,
    pub column: String,
}

/// One band of a `bands` method.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub interval: Interval,
    pub points: f64,
    pub label: Option<String>,
}

/// A veto or cap.
#[derive(Debug, Clone)]
pub struct Gate {
    pub id: String,
    pub label: String,
    pub indicator: Option<usize>,
    /// For [`Effect::Zero`]: the indicators whose points it sets to 0.
    pub zero: Vec<usize>,
    /// A required condition (from `conditions:`): the gate fires when its condition does not
    /// hold, and fails the entity.
    pub require: bool,
    pub condition: Condition,
    pub message: String,
    pub effect: Effect,
    pub enabled: bool,
    pub reference: Option<String>,
}

/// What a fired gate does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The entity cannot reach a passing outcome; with a grade, its grade is capped there too.
    Fail(Option<usize>),
    /// The grade is at best this one (index into grades, best first).
    CapGrade(usize),
    /// The outcome is this one.
    ForceOutcome(usize),
    /// The points of the gate's `zero` indicators are 0 (decided while scoring, from inputs).
    Zero,
}

/// A grade band.
#[derive(Debug, Clone)]
pub struct Grade {
    pub id: String,
    pub label: String,
    pub interval: Interval,
    /// The parameters its range names (`[pass_line, 80)`).
    pub params: Vec<String>,
}

/// An outcome rule; the last one is the fallback and has no condition.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub label: String,
    pub passing: bool,
    pub condition: Option<Condition>,
}

/// A condition: a rhai expression, or plain comparisons that all (or any) must hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Script(ExprId),
    All(Vec<Cmp>),
    Any(Vec<Cmp>),
}

/// `left op right`, or a bare boolean (`op` is `None`), possibly negated.
#[derive(Debug, Clone, PartialEq)]
pub struct Cmp {
    pub negate: bool,
    pub left: Operand,
    pub op: Option<(Op, Operand)>,
    pub text: String,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Var(Var),
    Num(f64),
    Str(String),
    Bool(bool),
}

#[cfg(test)]
mod tests {
    use super::plural_noun;

    #[test]
    fn plurals_of_kind_names() {
        for (one, many) in [
            ("village", "villages"),
            ("team", "teams"),
            ("monthly sheet", "monthly sheets"),
            ("city", "cities"),
            ("survey", "surveys"),
            ("household", "households"),
            ("box", "boxes"),
            ("branch", "branches"),
            ("bus", "buses"),
        ] {
            assert_eq!(plural_noun(one), many, "{one}");
        }
    }
}
