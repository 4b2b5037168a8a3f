//! Compiling `conditions:`, the conditions an entity must all meet to pass (an exit list such
//! as 贫困村退出七项指标). Each becomes a gate that fires when its condition does not hold and
//! fails the entity, so that results, `explain`, coverage and scenarios treat it as they treat
//! a veto, and name it in rule order.

use super::{is_identifier, KindCompiler, Names, Scope};
use crate::rules::model::{Effect, Gate};
use crate::rules::raw::RawCondition;

impl KindCompiler<'_> {
    /// A required condition as a gate that fires when the condition does not hold.
    pub(super) fn required(&mut self, i: usize, rc: &RawCondition, names: &Names) -> Option<Gate> {
        let base = format!("conditions.{i}");
        if !is_identifier(&rc.id) {
            self.err(
                format!("condition id `{}` is not a plain name", rc.id),
                &format!("{base}.id"),
            );
        }
        let what = format!("condition `{}`", rc.id);
        let scope = Scope {
            max_stage: 2,
            indicator: None,
        };
        let Some(condition) =
            self.condition(&base, &rc.when, &rc.all, &rc.any, what, scope, names)?
        else {
            self.err(
                format!("condition `{}` needs `when`, `all` or `any`", rc.id),
                &base,
            );
            return None;
        };
        Some(Gate {
            id: rc.id.clone(),
            label: rc.label.clone(),
            indicator: None,
            zero: Vec::new(),
            require: true,
            condition,
            message: rc
                .message
                .clone()
                .unwrap_or_else(|| format!("not met: {}", rc.label)),
            effect: Effect::Fail(None),
            enabled: true,
            reference: rc.reference.clone(),
        })
    }
}
