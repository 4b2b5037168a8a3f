//! The rule set's header (`ruleset.yaml`): parameter names, programme totals, uncertainty
//! ranges, and parameters nothing reads.

use super::{declare_column, fmt_num, is_identifier};
use crate::diag::{did_you_mean, Diagnostic};
use crate::rules::load::{RuleFiles, YamlFile};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::HashSet;

/// Parameter names must be plain names, so expressions can read them.
pub(super) fn check_parameter_names(hf: &YamlFile, h: &RawHeader, diags: &mut Vec<Diagnostic>) {
    for name in h.parameters.keys() {
        if !is_identifier(name) {
            diags.push(
                Diagnostic::error(format!("parameter name `{name}` is not a plain name"), hf.loc(&format!("parameters.{name}")))
                    .with_help("use letters, digits and `_`, starting with a letter, so expressions can read it"),
            );
        }
    }
}

/// The programme totals, each summing a column of the primary kind (declared there if no rule
/// reads it).
pub(super) fn totals(
    primary: Option<&mut Kind>,
    hf: &YamlFile,
    h: &RawHeader,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Total> {
    let mut totals = Vec::new();
    {
        if let Some(kind) = primary {
            for (i, t) in h.totals.iter().enumerate() {
                let loc = hf.loc(&format!("totals.{i}.column"));
                let col = declare_column(&mut kind.columns, &t.column, None, loc);
                match col {
                    Ok(c) => totals.push(Total {
                        id: t.id.clone(),
                        label: t.label.clone(),
                        column: c,
                        unit: t.unit.clone(),
                    }),
                    Err(d) => diags.push(d),
                }
            }
        }
    }
    totals
}

/// The uncertainty ranges sensitivity draws from: each names a parameter given as a number
/// that lies in its range.
pub(super) fn uncertainty(
    hf: &YamlFile,
    h: &RawHeader,
    files: &RuleFiles,
    params: &[Param],
    unsettled: &[String],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Uncertain> {
    let mut uncertainty = Vec::new();
    for (i, u) in h.uncertainty.iter().enumerate() {
        let path = format!("uncertainty.{i}");
        let Some(p) = params.iter().find(|p| p.name == u.parameter) else {
            let help = did_you_mean(&u.parameter, params.iter().map(|p| p.name.as_str()))
                .map(|s| format!("did you mean `{s}`?"));
            diags.push(
                Diagnostic::error(
                    format!("unknown parameter `{}`", u.parameter),
                    hf.value_loc(&format!("{path}.parameter")),
                )
                .with_help_opt(help),
            );
            continue;
        };
        if unsettled.contains(&p.name) {
            // Its own error says why it has no value.
            continue;
        }
        if let Some(f) = &p.formula {
            let reads: Vec<String> = crate::script::identifiers(f)
                .into_iter()
                .map(|(n, _, _)| n)
                .filter(|n| params.iter().any(|q| &q.name == n))
                .fold(Vec::new(), |mut v, n| {
                    if !v.contains(&n) {
                        v.push(n);
                    }
                    v
                });
            let by_scenario = files
                .param_overrides
                .iter()
                .rev()
                .find(|o| o.name == p.name)
                .is_some_and(|o| o.origin.is_some() && matches!(o.value, ParamValue::Formula(_)));
            let help = if by_scenario {
                "the scenario gives it this formula: give the scenario its own `uncertainty:` list without it".to_string()
            } else if reads.is_empty() {
                "give it a number in `parameters:` to let it vary".to_string()
            } else {
                format!(
                    "give the uncertainty to what it is computed from: {}",
                    reads
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            diags.push(
                Diagnostic::error(
                    format!(
                        "parameter `{}` is computed (`{f}`), so it is not free to vary",
                        p.name
                    ),
                    hf.value_loc(&format!("{path}.parameter")),
                )
                .with_help(help),
            );
            continue;
        }
        let ok_mode = u.mode.is_none_or(|m| m >= u.min && m <= u.max);
        if !(u.min.is_finite() && u.max.is_finite() && u.min <= u.max && ok_mode) {
            diags.push(Diagnostic::error(
                "an uncertainty range needs `min` ≤ `mode` ≤ `max`",
                hf.loc(&path),
            ));
            continue;
        }
        if p.value < u.min || p.value > u.max {
            diags.push(Diagnostic::warning(
                format!(
                    "parameter `{}` is {} but its uncertainty range is [{}, {}]",
                    p.name,
                    fmt_num(p.value),
                    fmt_num(u.min),
                    fmt_num(u.max)
                ),
                hf.loc(&path),
            ));
        }
        uncertainty.push(Uncertain {
            name: p.name.clone(),
            min: u.min,
            max: u.max,
            mode: u.mode,
            nominal: p.value,
        });
    }
    uncertainty
}

/// Warn about parameters that nothing reads.
pub(super) fn warn_unused_parameters(
    hf: &YamlFile,
    params: &[Param],
    used_params: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    for p in params {
        if !used_params.contains(&p.name) {
            diags.push(
                Diagnostic::warning(
                    format!("parameter `{}` is never used", p.name),
                    hf.loc(&format!("parameters.{}", p.name)),
                )
                .with_help("use it in a scoring spec, a minimum or a condition, or remove it"),
            );
        }
    }
}

/// The public notice: its texts, or their defaults, and the kinds it lists (each a kind of the
/// rule set).
pub(super) fn notice(
    hf: &YamlFile,
    h: &RawHeader,
    kinds: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Notice {
    let raw = h.notice.clone().unwrap_or(RawNotice {
        title: None,
        intro: None,
        period: None,
        contact: None,
        office: None,
        date: None,
        kinds: None,
    });
    let name = crate::words::short_label(&h.name.0);
    let mut listed = Vec::new();
    match raw.kinds {
        None => listed.extend(kinds.iter().map(|k| k.to_string())),
        Some(names) => {
            for (i, k) in names.iter().enumerate() {
                if !kinds.contains(&k.as_str()) {
                    let help = did_you_mean(k, kinds.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| format!("the kinds are: {}", kinds.join(", ")));
                    diags.push(
                        Diagnostic::error(
                            format!("the notice lists `{k}`, which is not a kind of this rule set"),
                            hf.value_loc(&format!("notice.kinds.{i}")),
                        )
                        .with_help(help),
                    );
                } else if listed.contains(k) {
                    diags.push(Diagnostic::error(
                        format!("the notice lists `{k}` twice"),
                        hf.value_loc(&format!("notice.kinds.{i}")),
                    ));
                } else {
                    listed.push(k.clone());
                }
            }
        }
    }
    Notice {
        title: raw.title.unwrap_or_else(|| "验收和考核结果公示".into()),
        intro: raw.intro.unwrap_or_else(|| {
            format!("根据《{name}》，经评估委员会审定，现将验收和考核结果予以公示。")
        }),
        period: raw.period.unwrap_or_else(|| "公示期为 5 个工作日。".into()),
        contact: raw.contact.unwrap_or_else(|| {
            "公示期间如对结果有异议，请以书面形式向评估委员会办公室反映，并写明理由和联系方式。"
                .into()
        }),
        office: raw.office.unwrap_or_else(|| "评估委员会办公室".into()),
        date: raw.date.unwrap_or_else(|| "年　　月　　日".into()),
        kinds: listed,
    }
}
