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

impl KindCompiler<'_> {
    /// A kind's key: one column, or several distinct ones for the primary kind (a unit is
    /// named by one id, which its links and cascades read).
    pub(super) fn key_columns(&mut self, rk: &crate::rules::raw::RawKind) {
        let keys = &rk.id_column.0;
        if keys.is_empty() {
            self.err("`id_column` names no column", "id_column");
            return;
        }
        for (i, k) in keys.iter().enumerate() {
            if k.trim().is_empty() {
                self.err("an empty key column name", &format!("id_column.{i}"));
            } else if keys.iter().take(i).any(|x| x == k) {
                self.err(
                    format!("key column `{k}` is listed twice"),
                    &format!("id_column.{i}"),
                );
            }
        }
        if keys.len() > 1 && !self.is_primary {
            let loc = self.loc("id_column");
            self.diags.push(
                crate::diag::Diagnostic::error(
                    format!(
                        "unit kind `{}` is keyed by several columns; a unit is named by one id",
                        rk.kind
                    ),
                    loc,
                )
                .with_help(
                    "key the rows of several columns (a team's months) in the primary kind, \
                     and roll them up to this kind through `link` and aggregates",
                ),
            );
        }
    }
}
