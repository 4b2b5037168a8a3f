//! Cascades between kinds, resolved once every kind is compiled: the member kind and grades a
//! cascade names, and the text column it is read through.

use crate::diag::{did_you_mean, Diagnostic};
use crate::rules::load::{RawRuleSet, RuleFiles};
use crate::rules::model::*;

/// Resolve each cascade's member kind and member grades, once every kind is compiled. A
/// cascade may start from the primary kind (decided before every unit) or from a unit kind,
/// and always reaches a unit kind.
pub(super) fn link_cascades(
    primary: Option<&Kind>,
    units: &mut [Kind],
    raw: &RawRuleSet,
    files: &RuleFiles,
    diags: &mut Vec<Diagnostic>,
) {
    let kinds: Vec<(String, Vec<String>)> = units
        .iter()
        .map(|k| {
            (
                k.name.clone(),
                k.grades.iter().map(|g| g.id.clone()).collect(),
            )
        })
        .collect();
    let mut add_text: Vec<(String, String)> = Vec::new();
    for k in primary.into_iter().chain(units.iter()) {
        let Some(c) = &k.cascade else { continue };
        let file_idx = raw.kinds.iter().position(|r| r.kind == k.name);
        let file = file_idx.and_then(|i| files.kinds.get(i));
        let loc = |path: &str| file.map(|f| f.loc(path)).unwrap_or_default();
        let Some((_, member_grades)) = kinds.iter().find(|(n, _)| *n == c.to) else {
            if c.to == k.name {
                diags.push(Diagnostic::error(
                    "a kind cannot cascade to itself",
                    loc("cascade.to"),
                ));
                continue;
            }
            if raw.kinds.iter().any(|r| r.kind == c.to) {
                // The kind exists: it is the primary kind. Every unit aggregates the primary
                // results, so a grade carried back to it would change what the units were
                // scored on: the primary kind would have to be evaluated twice.
                diags.push(
                    Diagnostic::error(
                        format!(
                            "a cascade cannot reach `{}`, the primary kind: every unit is scored on its results, so a grade carried back to it would mean evaluating it twice",
                            c.to
                        ),
                        loc("cascade.to"),
                    )
                    .with_help("a cascade carries a grade to the members of a unit kind; to limit the primary kind's grades, give it `quotas` or `top`"),
                );
                continue;
            }
            let help = did_you_mean(&c.to, kinds.iter().map(|(n, _)| n.as_str()))
                .map(|s| format!("did you mean `{s}`?"));
            diags.push(
                Diagnostic::error(
                    format!("cascade to unknown kind `{}`", c.to),
                    loc("cascade.to"),
                )
                .with_help_opt(help),
            );
            continue;
        };
        if c.to == k.name {
            diags.push(Diagnostic::error(
                "a kind cannot cascade to itself",
                loc("cascade.to"),
            ));
        }
        for (i, r) in c.rules.iter().enumerate() {
            let g = match &r.action {
                CascadeAction::Set(g)
                | CascadeAction::Cap(g)
                | CascadeAction::AtMost { grade: g, .. } => g,
            };
            if !member_grades.contains(g) {
                let help = did_you_mean(g, member_grades.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                diags.push(
                    Diagnostic::error(
                        format!("kind `{}` has no grade `{g}`", c.to),
                        loc(&format!("cascade.rules.{i}")),
                    )
                    .with_help_opt(help),
                );
            }
        }
        add_text.push((c.to.clone(), c.via.clone()));
    }
    for (to, via) in add_text {
        if let Some(m) = units.iter_mut().find(|k| k.name == to) {
            if !m.text_columns.contains(&via) {
                m.text_columns.push(via);
            }
        }
    }
}
