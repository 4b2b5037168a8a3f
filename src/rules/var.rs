//! What a name read by an expression or a condition refers to. Both the rules and the script
//! host speak of it, so it stands on its own.

/// A name an expression or condition can read for one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Var {
    /// A data column of the entity's table.
    Column(usize),
    /// A parameter (a constant per run).
    Param(usize),
    /// A dimension's score.
    Dim(usize),
    /// The total score.
    Total,
    /// The grade id (after caps).
    Grade,
    /// Whether the entity cannot pass (a fail gate, a dimension under its minimum, missing evidence).
    Failed,
    /// Whether any gate fired.
    AnyGate,
    /// Whether this gate fired.
    Gate(usize),
    /// An indicator's points.
    Points(usize),
    /// An indicator's input value.
    Value(usize),
    /// The outcome id (only once decided: for unit aggregates over villages).
    Outcome,
}

impl Var {
    /// The stage at which the variable is known: inputs 0, scores 1, gates 2, grade 3.
    pub fn stage(self) -> u8 {
        match self {
            Var::Column(_) | Var::Param(_) => 0,
            Var::Value(_) => 1,
            Var::Dim(_) | Var::Total | Var::Points(_) => 2,
            Var::Gate(_) | Var::AnyGate | Var::Failed => 3,
            Var::Grade => 4,
            Var::Outcome => 5,
        }
    }
}
