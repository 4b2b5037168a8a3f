//! What is read of the primary entities after they are scored: by outcome conditions that
//! reasons test again, by units' aggregates and by programme totals. It decides which input
//! values and columns a run keeps once the scores are computed.

use crate::rules::model::{Cmp, ColumnSource, Condition, Input, Operand, Var};
use crate::rules::RuleSet;

/// Whether anything after scoring reads the primary entities' input values.
pub fn keeps_values(rules: &RuleSet) -> bool {
    read_after_scoring(rules).any(|v| matches!(v, Var::Value(_)))
}

/// Every primary variable read after the primary entities are scored: by outcome conditions
/// (reasons re-test their comparisons) and by unit aggregates (their field and filter). A
/// script condition's `value.ID` members count as reading that input value.
fn read_after_scoring(rules: &RuleSet) -> impl Iterator<Item = Var> + '_ {
    fn of_cmps(cmps: &[Cmp]) -> impl Iterator<Item = Var> + '_ {
        cmps.iter().flat_map(|f| {
            let right = match &f.op {
                Some((_, Operand::Var(v))) => Some(*v),
                _ => None,
            };
            let left = match f.left {
                Operand::Var(v) => Some(v),
                _ => None,
            };
            left.into_iter().chain(right)
        })
    }
    let outcomes = rules
        .primary
        .outcomes
        .iter()
        .filter_map(|o| o.condition.as_ref())
        .flat_map(|c| -> Vec<Var> {
            match c {
                Condition::All(cmps) | Condition::Any(cmps) => of_cmps(cmps).collect(),
                Condition::Script(id) => rules
                    .scripts
                    .expr(*id)
                    .map(|e| {
                        let members = (!e.value_members.is_empty()).then_some(Var::Value(0));
                        e.vars.iter().map(|(_, v)| *v).chain(members).collect()
                    })
                    .unwrap_or_default(),
            }
        });
    let units = rules
        .units
        .iter()
        .flat_map(|u| &u.columns)
        .flat_map(|c| -> Vec<Var> {
            match &c.source {
                ColumnSource::Aggregate(a) => a.of.into_iter().chain(of_cmps(&a.filter)).collect(),
                ColumnSource::Data => Vec::new(),
            }
        });
    outcomes.chain(units)
}

/// The primary table's columns that anything after scoring reads: those read by outcome
/// conditions and unit aggregates (directly, or as an indicator's input), and the programme
/// totals' columns. A run releases the others once its primary entities are scored, which
/// lowers the memory of a large run while its units are scored and its files written.
pub fn columns_read_after_scoring(rules: &RuleSet) -> Vec<bool> {
    let mut keep = vec![false; rules.primary.columns.len()];
    let read = read_after_scoring(rules)
        .filter_map(|v| match v {
            Var::Column(c) => Some(c),
            // A category input's text is read from its column, not from the kept values.
            Var::Value(i) => match rules.primary.indicators.get(i).map(|x| &x.input) {
                Some(Input::Column(c)) => Some(*c),
                _ => None,
            },
            _ => None,
        })
        .chain(rules.totals.iter().map(|t| t.column));
    for c in read {
        if let Some(k) = keep.get_mut(c) {
            *k = true;
        }
    }
    keep
}
