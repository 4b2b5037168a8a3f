//! What-if scenarios: named overlays on a rule set (parameters, any field by a stable path,
//! gates switched off or on, indicators and gates added or removed) and on the data (scale or
//! set a column, keep a named subset). Overlays apply to the parsed YAML before it is typed,
//! so a scenario is validated exactly as the rule set is. Parameter values are the exception:
//! they travel beside the files and are applied when the parameters are settled, so that the
//! parameters computed from them follow, and a formula's error points at the scenario.

use crate::data::{DataError, Frame};
use crate::diag::{closest, did_you_mean, Diagnostic, Location, SourceFile};
use crate::rules::load::{RuleFiles, YamlFile};
use crate::rules::model::{Kind, ValueType};
use crate::rules::params::ParamOverride;
use crate::rules::raw::ParamValue;
use crate::rules::schema;
use crate::rules::yaml_index::PathIndex;
use crate::script::TextOrigin;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A scenario file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Another scenario this one builds on.
    #[serde(default)]
    pub base: Option<String>,
    /// Parameter values: numbers, or formulas over other parameters.
    #[serde(default)]
    pub parameters: IndexMap<String, ParamValue>,
    /// Any rule-set field by its stable path: `village.dimensions.economy.min`.
    #[serde(default)]
    pub set: IndexMap<String, Value>,
    #[serde(default)]
    pub gates: Option<GateSwitch>,
    /// Kind → indicator ids to remove.
    #[serde(default)]
    pub remove_indicators: IndexMap<String, Vec<String>>,
    /// Kind → indicator definitions to add (as in a kind file).
    #[serde(default)]
    pub add_indicators: IndexMap<String, Vec<Value>>,
    /// Kind → gate definitions to add.
    #[serde(default)]
    pub add_gates: IndexMap<String, Vec<Value>>,
    #[serde(default)]
    pub data: Option<DataChanges>,
    /// Uncertain parameters for `sensitivity`, in place of the rule set's (as in ruleset.yaml).
    #[serde(default)]
    pub uncertainty: Option<Value>,
}

/// Gates to switch off or on, as `KIND.GATE` or just `GATE` of the primary kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSwitch {
    #[serde(default)]
    pub off: Vec<String>,
    #[serde(default)]
    pub on: Vec<String>,
}

/// Changes to the primary table's data.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataChanges {
    /// Column → factor.
    #[serde(default)]
    pub scale: IndexMap<String, f64>,
    /// Column → value.
    #[serde(default)]
    pub set: IndexMap<String, f64>,
    #[serde(default)]
    pub subset: Option<Subset>,
}

/// A named subset of the primary entities: listed ids, or those meeting plain comparisons on
/// text and category columns (`village_type == unstable`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subset {
    pub name: String,
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default, rename = "where")]
    pub filter: Vec<String>,
}

/// A scenario with its chain of bases resolved, base first.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub label: String,
    pub file: PathBuf,
    pub sha256: String,
    /// The overlays, base first; the layer of `--set` and `--gate` flags, if any, last.
    pub chain: Vec<(Arc<SourceFile>, RawScenario)>,
    /// The scenario file's own name and the SHA-256 of its text, when one was named.
    pub from_file: Option<(String, String)>,
    /// The flags applied on top of the file (empty when there are none).
    pub flags: Flags,
}

/// The words every output of a what-if carries, so that it is never taken for the results.
pub const WHAT_IF_MARK: &str = "模拟测算，非正式结果";

/// What the "file" of the command-line layer is called. Its text is the flags, one a line
/// (`--set pass_line=72`), so that its problems are found by the same search as a file's.
pub const COMMAND_LINE: &str = "command line";

/// What-ifs given on the command line: `--set PATH=VALUE` and `--gate ID=off|on`, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub set: Vec<String>,
    pub gates: Vec<String>,
}

impl Flags {
    /// Whether no flag was given.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.gates.is_empty()
    }

    /// The flags as a short list: `pass_line=72, gate collective_petition=off`.
    pub fn describe(&self) -> String {
        self.set
            .iter()
            .cloned()
            .chain(self.gates.iter().map(|g| format!("gate {g}")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The command line's layer as a scenario file would hold it. A bare name is a parameter
    /// (or a field of `ruleset.yaml` such as `precision`); anything else is a stable path. A
    /// value is read as YAML reads it: `72`, `"pass_line + 5"`, `[total >= 75]`.
    fn layer(&self) -> Result<(Arc<SourceFile>, RawScenario), Vec<Diagnostic>> {
        let text: String = self
            .set
            .iter()
            .map(|s| format!("--set {s}\n"))
            .chain(self.gates.iter().map(|g| format!("--gate {g}\n")))
            .collect();
        let src = Arc::new(SourceFile {
            name: COMMAND_LINE.to_string(),
            text: text.into(),
        });
        let mut raw = RawScenario {
            name: None,
            label: None,
            description: None,
            base: None,
            parameters: IndexMap::new(),
            set: IndexMap::new(),
            gates: None,
            remove_indicators: IndexMap::new(),
            add_indicators: IndexMap::new(),
            add_gates: IndexMap::new(),
            data: None,
            uncertainty: None,
        };
        let mut diags = Vec::new();
        let flag_err = |flag: &str, arg: &str, msg: String| {
            Diagnostic::error(format!("{flag} `{arg}`: {msg}"), Location::default())
        };
        let mut seen: Vec<String> = Vec::new();
        for arg in &self.set {
            let Some((path, value)) = arg.split_once('=') else {
                diags.push(
                    flag_err("--set", arg, "expected `PATH=VALUE`".into())
                        .with_help("for example `--set pass_line=75` or `--set village.dimensions.economy.min=15`"),
                );
                continue;
            };
            let path = path.trim();
            if path.is_empty() || value.trim().is_empty() {
                let what = if path.is_empty() {
                    "a path before"
                } else {
                    "a value after"
                };
                diags.push(flag_err("--set", arg, format!("expected {what} `=`")));
                continue;
            }
            if seen.iter().any(|p| p == path) {
                diags.push(flag_err("--set", arg, format!("`{path}` is set twice")));
                continue;
            }
            seen.push(path.to_string());
            let value: Value = match serde_yaml::from_str(value) {
                Ok(v) => v,
                Err(e) => {
                    let msg = e.to_string();
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                    diags.push(flag_err(
                        "--set",
                        arg,
                        format!("the value is not read as YAML reads it: {msg}"),
                    ));
                    continue;
                }
            };
            let bare = !path.contains(['.', '[']);
            let header_field = schema::fields_at(schema::Root::Header, "").contains(&path);
            if bare && !header_field {
                match serde_yaml::from_value::<ParamValue>(value) {
                    Ok(v) => {
                        raw.parameters.insert(path.to_string(), v);
                    }
                    Err(_) => diags.push(flag_err(
                        "--set",
                        arg,
                        format!(
                            "parameter `{path}` takes a number, or a formula over other parameters"
                        ),
                    )),
                }
            } else {
                raw.set.insert(path.to_string(), value);
            }
        }
        let mut switch = GateSwitch::default();
        for arg in &self.gates {
            match arg.split_once('=').map(|(g, s)| (g.trim(), s.trim())) {
                Some((id, "off")) if !id.is_empty() => switch.off.push(id.to_string()),
                Some((id, "on")) if !id.is_empty() => switch.on.push(id.to_string()),
                _ => diags.push(
                    flag_err("--gate", arg, "expected `GATE=off` or `GATE=on`".into())
                        .with_help("for example `--gate collective_petition=off`, or `--gate department.village_not_passed=on` for another kind's gate"),
                ),
            }
        }
        if !switch.off.is_empty() || !switch.on.is_empty() {
            raw.gates = Some(switch);
        }
        if diags.is_empty() {
            Ok((src, raw))
        } else {
            Err(diags)
        }
    }
}

impl Flags {
    /// The text of a scenario file that asks for what these flags ask, on top of scenario
    /// `base` if one is named: what the live page saves. The values are written as YAML
    /// reads them from a flag, so the file and the flags give the same results.
    pub fn file_text(
        &self,
        name: &str,
        label: &str,
        description: &str,
        base: Option<&str>,
    ) -> Result<String, Vec<Diagnostic>> {
        let (_, raw) = self.layer()?;
        let mut doc = serde_yaml::Mapping::new();
        let mut put = |k: &str, v: Value| {
            doc.insert(Value::String(k.to_string()), v);
        };
        put("name", Value::String(name.to_string()));
        put("label", Value::String(label.to_string()));
        if !description.is_empty() {
            put("description", Value::String(description.to_string()));
        }
        if let Some(b) = base {
            put("base", Value::String(b.to_string()));
        }
        if !raw.parameters.is_empty() {
            let mut m = serde_yaml::Mapping::new();
            for (k, v) in &raw.parameters {
                let v = match v {
                    // A whole number is written as one (`72`, not `72.0`).
                    ParamValue::Number(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                        Value::Number((*x as i64).into())
                    }
                    ParamValue::Number(x) => serde_yaml::to_value(x).unwrap_or(Value::Null),
                    ParamValue::Formula(f) => Value::String(f.clone()),
                };
                m.insert(Value::String(k.clone()), v);
            }
            put("parameters", Value::Mapping(m));
        }
        if !raw.set.is_empty() {
            let mut m = serde_yaml::Mapping::new();
            for (k, v) in &raw.set {
                m.insert(Value::String(k.clone()), v.clone());
            }
            put("set", Value::Mapping(m));
        }
        if let Some(g) = &raw.gates {
            let mut m = serde_yaml::Mapping::new();
            let list = |ids: &[String]| {
                Value::Sequence(ids.iter().map(|i| Value::String(i.clone())).collect())
            };
            if !g.off.is_empty() {
                m.insert(Value::String("off".into()), list(&g.off));
            }
            if !g.on.is_empty() {
                m.insert(Value::String("on".into()), list(&g.on));
            }
            put("gates", Value::Mapping(m));
        }
        serde_yaml::to_string(&Value::Mapping(doc)).map_err(|e| {
            vec![Diagnostic::error(
                format!("the scenario could not be written as YAML: {e}"),
                Location::default(),
            )]
        })
    }
}

/// `flags` alone as a scenario, or on top of the scenario file `base`; `None` when there is
/// neither. The flags' layer is applied last, so it wins over the file.
pub fn with_flags(
    base: Option<Scenario>,
    flags: &Flags,
) -> Result<Option<Scenario>, Vec<Diagnostic>> {
    if flags.is_empty() {
        return Ok(base);
    }
    let layer = flags.layer()?;
    let listed = flags.describe();
    Ok(Some(match base {
        Some(mut sc) => {
            sc.name = format!("{} + {listed}", sc.name);
            sc.label = format!("{} + {listed}", sc.label);
            sc.chain.push(layer);
            sc.flags = flags.clone();
            sc
        }
        None => Scenario {
            name: listed.clone(),
            label: listed,
            file: PathBuf::new(),
            sha256: String::new(),
            chain: vec![layer],
            from_file: None,
            flags: flags.clone(),
        },
    }))
}

/// A problem with what a scenario's layer in `src` asks for, at the line that asks it. On
/// the command line the flag itself is the place: `` --set `pass_lin=72`: unknown … ``.
fn problem_at(src: &Arc<SourceFile>, needle: &str, msg: String) -> Diagnostic {
    if src.name == COMMAND_LINE {
        let flag = flag_line(src, needle);
        let (flag, arg) = flag.split_once(' ').unwrap_or(("--set", flag));
        return Diagnostic::error(format!("{flag} `{arg}`: {msg}"), Location::default());
    }
    let line = src
        .text
        .lines()
        .position(|l| l.contains(needle))
        .map_or(0, |i| i + 1);
    Diagnostic::error(msg, file_loc(src, line))
}

/// The command-line flag (`--set PATH=VALUE`) whose path or gate is `key`; the first that
/// mentions it otherwise.
fn flag_line<'a>(src: &'a SourceFile, key: &str) -> &'a str {
    let key_of = |l: &'a str| {
        l.split_once(' ')
            .map(|(_, a)| a.split('=').next().unwrap_or(a).trim())
    };
    src.text
        .lines()
        .find(|l| key_of(l) == Some(key))
        .or_else(|| src.text.lines().find(|l| l.contains(key)))
        .unwrap_or("")
}

/// Whether a scenario problem is about a command-line flag rather than a file: such
/// problems are mistakes on the command line (exit code 2).
pub fn is_flag_problem(d: &Diagnostic) -> bool {
    d.location.file.is_none()
        && (d.message.starts_with("--set `") || d.message.starts_with("--gate `"))
}

impl Scenario {
    /// How messages name it: `scenario `NAME``, or the flags.
    pub fn what(&self) -> String {
        match &self.from_file {
            Some((name, _)) if self.flags.is_empty() => format!("scenario `{name}`"),
            Some((name, _)) => format!("scenario `{name}` with `{}`", self.flags.describe()),
            None => format!("the what-if `{}`", self.flags.describe()),
        }
    }

    /// The data changes of the whole chain, base first.
    pub fn data_changes(&self) -> Vec<&DataChanges> {
        self.chain
            .iter()
            .filter_map(|(_, s)| s.data.as_ref())
            .collect()
    }
}

fn file_loc(src: &Arc<SourceFile>, line: usize) -> Location {
    Location {
        file: Some(src.clone()),
        line,
        col: if line > 0 { 1 } else { 0 },
        len: 1,
        path: None,
    }
}

/// Where scenario `name` lives: a path, or `DIR/NAME.yaml`.
fn scenario_path(dir: &Path, name: &str) -> PathBuf {
    let p = PathBuf::from(name);
    if p.extension().is_some_and(|e| e == "yaml" || e == "yml") || p.is_file() {
        p
    } else {
        dir.join(format!("{name}.yaml"))
    }
}

/// The scenario names in `dir`, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Load a scenario and its bases (cycles are errors).
pub fn load(dir: &Path, name: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let mut chain: Vec<(Arc<SourceFile>, RawScenario)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some(name.to_string());
    let mut first_file = None;
    let mut sha = String::new();
    while let Some(n) = next.take() {
        let path = scenario_path(dir, &n);
        if seen.contains(&n) {
            let src = chain.last().map(|(s, _)| s.clone());
            let mut cycle = seen.clone();
            cycle.push(n.clone());
            let loc = src
                .map(|s| {
                    let line = s
                        .text
                        .lines()
                        .position(|l| l.trim_start().starts_with("base:"))
                        .map_or(0, |i| i + 1);
                    file_loc(&s, line)
                })
                .unwrap_or_default();
            return Err(vec![Diagnostic::error(
                format!("scenario bases form a cycle: {}", cycle.join(" → ")),
                loc,
            )
            .with_help("a scenario may build on another, but not on itself")]);
        }
        seen.push(n.clone());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) => {
                let names = list(dir);
                let help = did_you_mean(&n, names.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        format!(
                            "the scenarios in `{}` are: {}",
                            dir.display(),
                            names.join(", ")
                        )
                    });
                return Err(vec![Diagnostic::error(
                    format!("no scenario `{n}` (looked for `{}`)", path.display()),
                    Location::default(),
                )
                .with_help(help)]);
            }
        };
        if first_file.is_none() {
            first_file = Some(path.clone());
            sha = crate::rules::load::hex(&<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
        }
        let src = Arc::new(SourceFile {
            name: path.display().to_string(),
            text: text.clone().into(),
        });
        if let Some((msg, line, help)) = crate::rules::load::repeated_key(&text) {
            return Err(vec![
                Diagnostic::error(msg, file_loc(&src, line)).with_help(help)
            ]);
        }
        let slips = crate::fullwidth::yaml_slips(&text);
        if !slips.is_empty() {
            return Err(slips
                .iter()
                .map(|s| crate::rules::load::slip_error(src.clone(), s))
                .collect());
        }
        let raw: RawScenario = serde_yaml::from_str(&text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(0);
            let msg = e.to_string();
            let msg = msg
                .split(" at line ")
                .next()
                .unwrap_or(&msg)
                .replace("unknown field", "unknown key")
                .replace("expected f64", "expected a number");
            let help = crate::rules::load::colon_help_at(&text, &msg, &e);
            let d = Diagnostic::error(msg, file_loc(&src, line));
            vec![match help {
                Some(h) => d.with_help(h),
                None => d,
            }]
        })?;
        next = raw.base.clone();
        chain.push((src, raw));
    }
    chain.reverse();
    let (name_field, label) = chain
        .last()
        .map(|(_, s)| (s.name.clone(), s.label.clone()))
        .unwrap_or_default();
    let name = name_field.unwrap_or_else(|| name.to_string());
    Ok(Scenario {
        label: label.unwrap_or_else(|| name.clone()),
        from_file: Some((name.clone(), sha.clone())),
        name,
        file: first_file.unwrap_or_default(),
        sha256: sha,
        chain,
        flags: Flags::default(),
    })
}

/// Apply a scenario's rule overlays to a copy of the rule files.
pub fn apply(files: &RuleFiles, sc: &Scenario) -> Result<RuleFiles, Vec<Diagnostic>> {
    let mut out = files.clone();
    let mut diags = Vec::new();
    let mut touched_header = false;
    let mut touched: Vec<usize> = Vec::new();
    for (src, s) in &sc.chain {
        let err = |msg: String, needle: &str| problem_at(src, needle, msg);
        if let Some(u) = &s.uncertainty {
            if let Some(m) = out.header.value.as_mapping_mut() {
                m.insert(Value::String("uncertainty".into()), u.clone());
                touched_header = true;
            }
        }
        for (name, value) in &s.parameters {
            let params = out
                .header
                .value
                .get("parameters")
                .and_then(Value::as_mapping);
            let Some(params) = params else {
                diags.push(err(
                    format!("the rule set has no parameters, so `{name}` cannot be set"),
                    name,
                ));
                continue;
            };
            if !params.contains_key(Value::String(name.clone())) {
                let names: Vec<String> = params
                    .keys()
                    .filter_map(|k| k.as_str().map(String::from))
                    .collect();
                let help = did_you_mean(name, names.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                diags.push(err(format!("unknown parameter `{name}`"), name).with_help_opt(help));
                continue;
            }
            // The value is applied, and whatever is computed from it recomputed, when the
            // parameters are settled: errors in a formula point here, at the scenario.
            out.param_overrides.push(ParamOverride {
                name: name.clone(),
                value: value.clone(),
                origin: Some(param_origin(src, name)),
            });
        }
        for (path, value) in &s.set {
            match set_path(&mut out, path, value.clone()) {
                Ok(Some(k)) => touched.push(k),
                Ok(None) => touched_header = true,
                Err((msg, help)) => diags.push(err(msg, path).with_help_opt(help)),
            }
        }
        if let Some(g) = &s.gates {
            for (ids, on) in [(&g.off, false), (&g.on, true)] {
                for id in ids {
                    let (kind, gate) = match id.split_once('.') {
                        Some((k, g)) => (Some(k), g),
                        None => (None, id.as_str()),
                    };
                    // A bare id names a gate of the primary kind: one of another kind is
                    // pointed to by its qualified name.
                    if kind.is_none() {
                        let primary = primary_name(&out);
                        let gates_of = |k: &YamlFile| ids_of(&k.value, "gates");
                        let here = out
                            .kinds
                            .iter()
                            .find(|f| f.value.get("kind").and_then(Value::as_str) == Some(&primary))
                            .is_some_and(|f| gates_of(f).iter().any(|g| g == gate));
                        if !here {
                            let all: Vec<String> = out
                                .kinds
                                .iter()
                                .flat_map(|f| {
                                    let k =
                                        f.value.get("kind").and_then(Value::as_str).unwrap_or("");
                                    let mine = k == primary;
                                    gates_of(f).into_iter().map(move |g| {
                                        if mine {
                                            g
                                        } else {
                                            format!("{k}.{g}")
                                        }
                                    })
                                })
                                .collect();
                            let elsewhere: Vec<&String> = all
                                .iter()
                                .filter(|q| q.ends_with(&format!(".{gate}")))
                                .collect();
                            let help = match elsewhere.as_slice() {
                                [one, ..] => {
                                    Some(format!("the gate belongs to another kind: write `{one}`"))
                                }
                                [] => did_you_mean(gate, all.iter().map(String::as_str))
                                    .map(|s| format!("did you mean `{s}`?")),
                            };
                            diags.push(
                                err(format!("the {primary} kind has no gate `{gate}`"), id)
                                    .with_help_opt(help),
                            );
                            continue;
                        }
                    }
                    let path = format!(
                        "{}.gates.{gate}.enabled",
                        kind.unwrap_or(primary_name(&out).as_str())
                    );
                    match set_path(&mut out, &path, Value::Bool(on)) {
                        Ok(Some(k)) => touched.push(k),
                        Ok(None) => {}
                        Err((msg, help)) => diags.push(err(msg, id).with_help_opt(help)),
                    }
                }
            }
        }
        for (kind, ids) in &s.remove_indicators {
            match kind_file(&mut out, kind) {
                Some((k, f)) => {
                    touched.push(k);
                    for id in ids {
                        if !remove_by_id(&mut f.value, "indicators", id) {
                            let known = ids_of(&f.value, "indicators");
                            let help = did_you_mean(id, known.iter().map(String::as_str))
                                .map(|s| format!("did you mean `{s}`?"));
                            diags.push(
                                err(
                                    format!("kind `{kind}` has no indicator `{id}` to remove"),
                                    id,
                                )
                                .with_help_opt(help),
                            );
                        }
                    }
                }
                None => diags.push(err(format!("unknown kind `{kind}`"), kind)),
            }
        }
        for (list, adds) in [("indicators", &s.add_indicators), ("gates", &s.add_gates)] {
            for (kind, items) in adds {
                match kind_file(&mut out, kind) {
                    Some((k, f)) => {
                        touched.push(k);
                        if let Some(seq) = f.value.get_mut(list).and_then(Value::as_sequence_mut) {
                            seq.extend(items.iter().cloned());
                        } else if let Some(m) = f.value.as_mapping_mut() {
                            m.insert(Value::String(list.into()), Value::Sequence(items.clone()));
                        }
                    }
                    None => diags.push(err(format!("unknown kind `{kind}`"), kind)),
                }
            }
        }
    }
    // Lines in overlaid files no longer match their text: point at YAML paths instead.
    if touched_header {
        out.header.index = Arc::new(PathIndex::default());
    }
    for k in touched {
        if let Some(f) = out.kinds.get_mut(k) {
            f.index = Arc::new(PathIndex::default());
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Where a scenario writes parameter `name`'s value: under `parameters:`, the line of
/// `name:` and the column after it.
fn param_origin(src: &Arc<SourceFile>, name: &str) -> TextOrigin {
    if src.name == COMMAND_LINE {
        // `--set NAME=VALUE`: the value starts after the `=`.
        let flag = flag_line(src, name);
        let line = src
            .text
            .lines()
            .position(|l| l == flag)
            .map_or(0, |i| i + 1);
        let col = flag
            .find('=')
            .and_then(|i| flag.get(..i))
            .map_or(1, |k| k.chars().count() + 2);
        return TextOrigin {
            file: Some(src.clone()),
            line,
            col,
            quoted: false,
            path: Some(format!("parameters.{name}")),
        };
    }
    let key = format!("{name}:");
    let mut in_params = false;
    let mut found = None;
    for (i, line) in src.text.lines().enumerate() {
        if !line.starts_with([' ', '\t']) && !line.is_empty() && !line.starts_with('#') {
            in_params = line.starts_with("parameters:");
        }
        let trimmed = line.trim_start();
        if in_params && trimmed.starts_with(&key) {
            let indent = line.chars().count() - trimmed.chars().count();
            let after = trimmed.get(key.len()..).unwrap_or("");
            let value = after.trim_start();
            let col =
                indent + key.chars().count() + (after.chars().count() - value.chars().count()) + 1;
            found = Some((i + 1, col, value.starts_with(['"', '\''])));
            break;
        }
    }
    let (line, col, quoted) = found.unwrap_or_else(|| {
        let line = src
            .text
            .lines()
            .position(|l| l.contains(name))
            .map_or(0, |i| i + 1);
        (line, usize::from(line > 0), false)
    });
    TextOrigin {
        file: Some(src.clone()),
        line,
        col,
        quoted,
        path: Some(format!("parameters.{name}")),
    }
}

fn primary_name(files: &RuleFiles) -> String {
    files
        .header
        .value
        .get("primary")
        .and_then(Value::as_str)
        .unwrap_or("village")
        .to_string()
}

fn kind_file<'a>(files: &'a mut RuleFiles, kind: &str) -> Option<(usize, &'a mut YamlFile)> {
    files
        .kinds
        .iter_mut()
        .enumerate()
        .find(|(_, f)| f.value.get("kind").and_then(Value::as_str) == Some(kind))
}

fn ids_of(v: &Value, list: &str) -> Vec<String> {
    v.get(list)
        .and_then(Value::as_sequence)
        .map(|s| {
            s.iter()
                .filter_map(|e| e.get("id").and_then(Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn remove_by_id(v: &mut Value, list: &str, id: &str) -> bool {
    let Some(seq) = v.get_mut(list).and_then(Value::as_sequence_mut) else {
        return false;
    };
    let before = seq.len();
    seq.retain(|e| e.get("id").and_then(Value::as_str) != Some(id));
    seq.len() != before
}

/// Lists whose elements are addressed by their `id`.
const ID_LISTS: &[&str] = &[
    "dimensions",
    "indicators",
    "adjustments",
    "items",
    "conditions",
    "gates",
    "grades",
    "outcomes",
    "totals",
];

/// Set the value at a stable path. `Ok(Some(k))` when kind file `k` changed, `Ok(None)` for the
/// header; on error, the message and a suggestion of the closest valid paths.
fn set_path(
    files: &mut RuleFiles,
    path: &str,
    value: Value,
) -> Result<Option<usize>, (String, Option<String>)> {
    let segs: Vec<&str> = path.split('.').collect();
    let Some((&first, rest)) = segs.split_first() else {
        return Err(("an empty path".into(), None));
    };
    let kinds: Vec<String> = files
        .kinds
        .iter()
        .filter_map(|f| {
            f.value
                .get("kind")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .collect();
    let (target, rest, root, k) = if let Some((k, f)) = kind_file(files, first) {
        (&mut f.value, rest, schema::Root::Kind, Some(k))
    } else if schema::fields_at(schema::Root::Header, "")
        .contains(&first.split('[').next().unwrap_or(first))
    {
        (
            &mut files.header.value,
            segs.as_slice(),
            schema::Root::Header,
            None,
        )
    } else {
        let mut options: Vec<&str> = kinds.iter().map(String::as_str).collect();
        options.extend(schema::fields_at(schema::Root::Header, ""));
        let near = closest(first, options, 3);
        return Err((
            format!("override path `{path}` does not exist: `{first}` is neither an entity kind nor a rule-set field"),
            Some(format!("paths start with a kind ({}) or a rule-set field; closest: {}", kinds.join(", "), near.join(", "))),
        ));
    };
    let mut node = target;
    let mut schema_path = String::new();
    let mut walked = first.to_string();
    let n = rest.len();
    for (i, seg) in rest.iter().enumerate() {
        let last = i + 1 == n;
        // `bands[2]` addresses a list element by position.
        let (key, index) = match seg.split_once('[') {
            Some((k, ix)) => (k, ix.trim_end_matches(']').parse::<usize>().ok()),
            None => (*seg, None),
        };
        let parent_is_id_list = ID_LISTS.contains(&schema_path.rsplit('.').next().unwrap_or(""));
        if parent_is_id_list && node.is_sequence() {
            let list_name = schema_path.rsplit('.').next().unwrap_or("").to_string();
            let ids: Vec<String> = node
                .as_sequence()
                .map(|s| {
                    s.iter()
                        .filter_map(|e| e.get("id").and_then(Value::as_str).map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let Some(pos) = ids.iter().position(|x| x == key) else {
                let near = closest(key, ids.iter().map(String::as_str), 3);
                return Err((
                    format!(
                        "override path `{path}` does not exist: no {} `{key}` in `{walked}`",
                        list_name.trim_end_matches('s')
                    ),
                    Some(format!(
                        "closest: {}",
                        near.iter()
                            .map(|x| format!("`{walked}.{x}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ));
            };
            node = node
                .as_sequence_mut()
                .and_then(|s| s.get_mut(pos))
                .ok_or(("internal".to_string(), None))?;
            schema_path.push_str(".#");
            walked.push('.');
            walked.push_str(key);
            if last {
                *node = value;
                return Ok(k);
            }
            continue;
        }
        let allowed = schema::fields_at(root, schema_path.trim_start_matches('.'));
        let is_map_of_any = matches!(
            schema_path.rsplit('.').next(),
            Some("parameters") | Some("columns") | Some("table") | Some("per_grade")
        );
        let exists = node.get(key).is_some();
        if !exists && !allowed.contains(&key) && !is_map_of_any {
            let near = closest(key, allowed.iter().copied(), 3);
            return Err((
                format!("override path `{path}` does not exist: `{walked}` has no field `{key}`"),
                (!near.is_empty()).then(|| {
                    format!(
                        "closest: {}",
                        near.iter()
                            .map(|x| format!("`{walked}.{x}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }),
            ));
        }
        let Some(map) = node.as_mapping_mut() else {
            return Err((
                format!("override path `{path}` does not exist: `{walked}` is not a map"),
                None,
            ));
        };
        let kv = Value::String(key.to_string());
        if last && index.is_none() {
            map.insert(kv, value);
            return Ok(k);
        }
        if !map.contains_key(&kv) {
            map.insert(kv.clone(), Value::Mapping(Default::default()));
        }
        node = map.get_mut(&kv).ok_or(("internal".to_string(), None))?;
        schema_path.push('.');
        schema_path.push_str(if is_map_of_any { "*" } else { key });
        walked.push('.');
        walked.push_str(key);
        if let Some(ix) = index {
            let len = node.as_sequence().map_or(0, Vec::len);
            let Some(elem) = node.as_sequence_mut().and_then(|s| s.get_mut(ix)) else {
                return Err((format!("override path `{path}` does not exist: `{walked}` has {len} elements (from [0])"), None));
            };
            node = elem;
            schema_path.push_str(".#");
            walked.push_str(&format!("[{ix}]"));
            if last {
                *node = value;
                return Ok(k);
            }
        }
    }
    Err((format!("override path `{path}` names no field"), None))
}

/// Apply a scenario's data changes to a loaded primary frame. Problems point at the scenario
/// file: they are mistakes in the scenario, not in the data.
pub fn apply_scenario_data(
    kind: &Kind,
    frame: &mut Frame,
    sc: &Scenario,
) -> Result<(), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    for (src, raw) in &sc.chain {
        let Some(ch) = &raw.data else { continue };
        if let Err(errs) = apply_data(kind, frame, &[ch], &src.name) {
            for e in errs {
                // The first name in backticks is the column or condition the scenario wrote.
                let needle = e.message.split('`').nth(1).unwrap_or("").to_string();
                let lines: Vec<&str> = src.text.lines().collect();
                // Within the scenario's `data:` section first: a column may share its name
                // with a key above it (`name`).
                let data_at = lines
                    .iter()
                    .position(|l| l.trim_start().starts_with("data:"))
                    .unwrap_or(0);
                let found = |from: usize| {
                    lines
                        .iter()
                        .enumerate()
                        .skip(from)
                        .find(|(_, l)| !needle.is_empty() && l.contains(&needle))
                        .map(|(i, _)| i + 1)
                };
                let line = found(data_at).or_else(|| found(0)).unwrap_or(0);
                diags.push(Diagnostic::error(e.message.clone(), file_loc(src, line)));
            }
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(diags)
    }
}

/// Apply the data changes to a loaded primary frame.
pub fn apply_data(
    kind: &Kind,
    frame: &mut Frame,
    changes: &[&DataChanges],
    file: &str,
) -> Result<(), Vec<DataError>> {
    let mut errors = Vec::new();
    for ch in changes {
        for (col, factor) in &ch.scale {
            match kind.column(col).filter(|&c| {
                kind.columns
                    .get(c)
                    .is_some_and(|s| matches!(s.ty, ValueType::Number | ValueType::Integer))
            }) {
                Some(c) => {
                    if let Some(column) = frame.cols.get_mut(c) {
                        column.values = column
                            .values
                            .iter()
                            .map(|v| v * factor)
                            .collect::<Vec<_>>()
                            .into();
                    }
                    if let Some(e) = out_of_range(kind, frame, c, &format!("scaled by {factor}")) {
                        errors.push(DataError::file(file.to_string(), e));
                    }
                }
                None => errors.push(DataError::file(
                    file.to_string(),
                    format!(
                        "the scenario scales `{col}`, which is not a numeric column the rules read"
                    ),
                )),
            }
        }
        for (col, value) in &ch.set {
            match kind.column(col) {
                Some(c) => {
                    if let Some(column) = frame.cols.get_mut(c) {
                        column.values = vec![*value; column.values.len()].into();
                        column.missing.clear();
                    }
                    if let Some(e) = out_of_range(kind, frame, c, &format!("set to {value}")) {
                        errors.push(DataError::file(file.to_string(), e));
                    }
                }
                None => errors.push(DataError::file(
                    file.to_string(),
                    format!("the scenario sets `{col}`, which is not a column the rules read"),
                )),
            }
        }
        if let Some(sub) = &ch.subset {
            // Every id named is in the data: a mistyped one would shrink the subset silently.
            let unknown: Vec<&str> = sub
                .ids
                .iter()
                .filter(|x| frame.find(x).is_none())
                .map(String::as_str)
                .collect();
            if let Some(first) = unknown.first() {
                errors.push(DataError::file(
                    file.to_string(),
                    format!(
                        "`{first}` in the ids of subset `{}` is not a {} in the data{}",
                        sub.name,
                        kind.label,
                        match unknown.get(1..).unwrap_or_default() {
                            [] => String::new(),
                            [one] => format!(" (nor is `{one}`)"),
                            more => format!(" (nor are `{}`)", more.join("`, `")),
                        }
                    ),
                ));
            }
            for f in &sub.filter {
                if let Some(e) = undeclared_category(kind, f) {
                    errors.push(DataError::file(
                        file.to_string(),
                        format!("`{f}` in subset `{}`: {e}", sub.name),
                    ));
                }
            }
            let keep: Vec<usize> = (0..frame.len())
                .filter(|&r| {
                    let id_ok = sub.ids.is_empty() || sub.ids.iter().any(|x| x == frame.id(r));
                    id_ok
                        && sub
                            .filter
                            .iter()
                            .all(|f| text_filter(kind, frame, r, f).unwrap_or(false))
                })
                .collect();
            for f in &sub.filter {
                if let Err(e) = text_filter(kind, frame, 0, f) {
                    errors.push(DataError::file(
                        file.to_string(),
                        format!("`{f}` in subset `{}`: {e}", sub.name),
                    ));
                }
            }
            if keep.is_empty() && errors.is_empty() {
                errors.push(DataError::file(
                    file.to_string(),
                    format!(
                        "subset `{}` selects none of the {} {}: nothing would be assessed",
                        sub.name,
                        frame.len(),
                        kind.label
                    ),
                ));
            }
            let mut baseline = std::mem::take(&mut frame.baseline);
            frame.permute(&keep);
            for b in baseline.iter_mut().flatten() {
                *b = keep.iter().filter_map(|&i| b.get(i).copied()).collect();
            }
            frame.baseline = baseline;
            frame.subset = Some(sub.name.clone());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Why the values of column `c`, once a scenario has `changed` them, are not what the column
/// accepts, if they are not: a number (not NaN or infinity), `0` or `1` for a yes/no column,
/// and the same range the data is checked against.
fn out_of_range(kind: &Kind, frame: &Frame, c: usize, changed: &str) -> Option<String> {
    let spec = kind.columns.get(c)?;
    let column = frame.cols.get(c)?;
    let fmt = crate::words::fmt_num;
    let first = |bad: &dyn Fn(f64) -> bool| {
        (0..frame.len()).find_map(|r| column.values.get(r).filter(|v| bad(*v)).map(|v| (r, v)))
    };
    if let Some((r, v)) = first(&|v: f64| !v.is_finite()) {
        return Some(format!(
            "`{}` {changed} gives {v} for {}: a value must be a number",
            spec.name,
            frame.id(r)
        ));
    }
    if spec.ty == ValueType::Bool {
        return first(&|v: f64| v != 0.0 && v != 1.0).map(|(r, v)| {
            format!(
                "`{}` {changed} gives {} for {}: a yes/no column takes 1 (true) or 0 (false)",
                spec.name,
                fmt(v),
                frame.id(r)
            )
        });
    }
    let bad = |v: f64| spec.min.is_some_and(|m| v < m) || spec.max.is_some_and(|m| v > m);
    let (r, v) = first(&bad)?;
    let range = match (spec.min, spec.max) {
        (Some(a), Some(b)) => format!("from {} to {}", fmt(a), fmt(b)),
        (Some(a), None) => format!("at least {}", fmt(a)),
        (None, Some(b)) => format!("at most {}", fmt(b)),
        (None, None) => String::new(),
    };
    Some(format!(
        "`{}` {changed} gives {} for {}, outside the column's range ({range})",
        spec.name,
        fmt(v),
        frame.id(r)
    ))
}

/// Why a subset's `column == value` can never hold, when the column's categories are declared
/// and the value is not one of them.
fn undeclared_category(kind: &Kind, f: &str) -> Option<String> {
    let (col, want) = f.split_once("!=").or_else(|| f.split_once("=="))?;
    let (col, want) = (col.trim(), want.trim().trim_matches(['"', '\'']));
    let spec = kind.columns.get(kind.column(col)?)?;
    let cats = spec.categories.as_ref()?;
    (!cats.iter().any(|c| c == want)).then(|| {
        format!(
            "`{want}` is not a category of `{col}` ({})",
            cats.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// `column == value` / `!=` on a text or category column of row `r`.
fn text_filter(kind: &Kind, frame: &Frame, r: usize, f: &str) -> Result<bool, String> {
    let (col, neg, want) = if let Some((a, b)) = f.split_once("!=") {
        (a.trim(), true, b.trim())
    } else if let Some((a, b)) = f.split_once("==") {
        (a.trim(), false, b.trim())
    } else {
        return Err("a condition is `COLUMN == VALUE` or `COLUMN != VALUE`".into());
    };
    let want = want.trim_matches(['"', '\'']);
    let got = if let Some((_, vals)) = frame.groups.iter().find(|(n, _)| n == col) {
        vals.get(r).unwrap_or_default().to_string()
    } else if let Some(c) = kind.column(col) {
        let column = frame.cols.get(c).ok_or("missing column")?;
        match kind.columns.get(c).map(|s| s.ty) {
            Some(ValueType::Category) => column.category(r).to_string(),
            _ => crate::words::fmt_num(column.values.get(r).unwrap_or(0.0)),
        }
    } else {
        return Err(format!("`{col}` is not a column the rules read"));
    };
    Ok((got == want) != neg)
}
