//! Gates: conditions that fail an entity, cap its grade, force an outcome or zero its points.

use super::{KindCompiler, Names, Scope};
use crate::diag::{did_you_mean, Diagnostic};
use crate::rules::model::*;
use crate::rules::raw::*;

impl KindCompiler<'_> {
    /// A gate: its condition, its effect and what the effect targets.
    pub(super) fn gate(
        &mut self,
        i: usize,
        rg: &RawGate,
        names: &Names,
        indicators: &[Indicator],
        outcomes: &[String],
    ) -> Option<Gate> {
        let base = format!("gates.{i}");
        let indicator = match &rg.indicator {
            None => None,
            Some(id) => match indicators.iter().position(|x| &x.id == id) {
                Some(k) => Some(k),
                // The indicator exists but did not compile: its own error says why.
                None if names.indicators.iter().any(|(n, _)| n == id) => return None,
                None => {
                    let help = did_you_mean(id, names.indicators.iter().map(|(n, _)| n.as_str()))
                        .map(|s| format!("did you mean `{s}`?"));
                    let loc = self.value_loc(&format!("{base}.indicator"));
                    self.diags.push(
                        Diagnostic::error(format!("unknown indicator `{id}`"), loc)
                            .with_help_opt(help),
                    );
                    return None;
                }
            },
        };
        let what = format!("the condition of gate `{}`", rg.id);
        let zeroing = rg.effect == EffectName::Zero;
        let scope = Scope {
            // A `zero` gate is decided while scoring, from the inputs alone.
            max_stage: if zeroing { 1 } else { 2 },
            indicator,
        };
        let condition = self.condition(&base, &rg.when, &rg.all, &rg.any, what, scope, names)?;
        let Some(condition) = condition else {
            self.err(
                format!("gate `{}` needs a condition: `when`, `all` or `any`", rg.id),
                &base,
            );
            return None;
        };
        if rg.zero.is_some() && !zeroing {
            self.err(
                format!(
                    "`zero` is used only by effect `zero`, not `{}`",
                    effect_name(rg.effect)
                ),
                &format!("{base}.zero"),
            );
        }
        let mut zero = Vec::new();
        let effect = match rg.effect {
            EffectName::Zero => {
                for (field, given) in [
                    ("grade", rg.grade.is_some()),
                    ("outcome", rg.outcome.is_some()),
                ] {
                    if given {
                        self.err(
                            format!("effect `zero` takes no `{field}`: it changes points, not the decision"),
                            &format!("{base}.{field}"),
                        );
                    }
                }
                let targets = rg.zero.clone().unwrap_or_default();
                zero = self.zero_targets(&base, &targets, names.dims, indicators, indicator)?;
                Effect::Zero
            }
            EffectName::Fail => {
                if rg.outcome.is_some() {
                    self.err(
                        "effect `fail` takes no `outcome` (use `force_outcome`)",
                        &format!("{base}.effect"),
                    );
                }
                // An optional `grade` also caps the grade of a failed entity.
                match &rg.grade {
                    None => Effect::Fail(None),
                    Some(g) => Effect::Fail(Some(self.find_id(
                        g,
                        names.grades,
                        "grade",
                        &format!("{base}.grade"),
                    )?)),
                }
            }
            EffectName::CapGrade => {
                let Some(g) = &rg.grade else {
                    self.err(
                        "effect `cap_grade` needs `grade`: the best grade the entity can get",
                        &format!("{base}.effect"),
                    );
                    return None;
                };
                Effect::CapGrade(self.find_id(
                    g,
                    names.grades,
                    "grade",
                    &format!("{base}.grade"),
                )?)
            }
            EffectName::ForceOutcome => {
                let Some(o) = &rg.outcome else {
                    self.err(
                        "effect `force_outcome` needs `outcome`",
                        &format!("{base}.effect"),
                    );
                    return None;
                };
                Effect::ForceOutcome(self.find_id(
                    o,
                    outcomes,
                    "outcome",
                    &format!("{base}.outcome"),
                )?)
            }
        };
        Some(Gate {
            id: rg.id.clone(),
            label: rg.label.clone(),
            indicator,
            zero,
            require: false,
            condition,
            message: rg.message.clone(),
            effect,
            enabled: rg.enabled.unwrap_or(true),
            reference: rg.reference.clone(),
        })
    }
}

/// An effect's name as written in rule files.
fn effect_name(e: EffectName) -> &'static str {
    match e {
        EffectName::Fail => "fail",
        EffectName::CapGrade => "cap_grade",
        EffectName::ForceOutcome => "force_outcome",
        EffectName::Zero => "zero",
    }
}
