//! Files → raw: read the rule-set folder, parse YAML keeping positions, deserialise into the
//! raw types and report unknown keys (all of them, each with a suggestion).

use super::raw::{ParamValue, RawHeader, RawKind};
use super::schema;
use super::yaml_index::PathIndex;
use crate::diag::{did_you_mean, Diagnostic, Location, SourceFile};
use crate::script::TextOrigin;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A parsed YAML file of the rule set, with what is needed to point into it.
#[derive(Debug, Clone)]
pub struct YamlFile {
    pub source: Arc<SourceFile>,
    pub index: Arc<PathIndex>,
    pub value: serde_yaml::Value,
}

impl YamlFile {
    /// The location of a YAML path in this file (its nearest indexed ancestor if need be).
    pub fn loc(&self, path: &str) -> Location {
        let pos = self.index.find(path);
        Location {
            file: Some(self.source.clone()),
            line: pos.map(|p| p.line).unwrap_or(0),
            col: pos.map(|p| p.col).unwrap_or(0),
            len: path
                .rsplit('.')
                .next()
                .map(|k| k.chars().count())
                .unwrap_or(1),
            path: Some(display_path(path)),
        }
    }

    /// The location of a YAML path's value (where a scalar's text starts).
    pub fn value_loc(&self, path: &str) -> Location {
        match self.index.exact(path) {
            Some(p) => Location {
                file: Some(self.source.clone()),
                line: p.value_line.max(p.line),
                col: p.value_col,
                len: 1,
                path: Some(display_path(path)),
            },
            None => self.loc(path),
        }
    }
}

/// A rhai script file.
#[derive(Debug, Clone)]
pub struct ScriptFile {
    pub source: Arc<SourceFile>,
}

/// Every file of a rule set, parsed to YAML values but not yet typed.
#[derive(Debug, Clone)]
pub struct RuleFiles {
    pub dir: PathBuf,
    pub header: YamlFile,
    pub kinds: Vec<YamlFile>,
    pub scripts: Vec<ScriptFile>,
    /// SHA-256 over every file's path and bytes, in a fixed order.
    pub sha256: String,
    /// Each file's display name and SHA-256.
    pub file_hashes: Vec<(String, String)>,
    /// Each dimension's maximum is the sum of its indicators' points rather than a check on
    /// it: set for sensitivity draws, where uncertain weights move the points.
    pub derive_maximums: bool,
    /// Parameter values given on top of `ruleset.yaml` (a scenario's, a sensitivity draw's),
    /// applied in order when the parameters are settled.
    pub param_overrides: Vec<ParamOverride>,
}

/// A value given to a parameter on top of the rule set: by a scenario (which may also give a
/// new formula) or by a sensitivity draw.
#[derive(Debug, Clone)]
pub struct ParamOverride {
    pub name: String,
    pub value: ParamValue,
    /// Where the value was written, for messages; a draw has no place of its own.
    pub origin: Option<TextOrigin>,
}

impl ParamOverride {
    /// A drawn or otherwise computed number.
    pub fn number(name: &str, value: f64) -> Self {
        ParamOverride {
            name: name.to_string(),
            value: ParamValue::Number(value),
            origin: None,
        }
    }
}

/// The typed rule set before names are resolved.
#[derive(Debug, Clone)]
pub struct RawRuleSet {
    pub header: RawHeader,
    pub kinds: Vec<RawKind>,
    /// Per kind: the unreadable list elements set aside (so sums are incomplete).
    pub remaps: Vec<Remap>,
}

/// Read and parse every file of the rule set in `dir`.
pub fn read_files(dir: &Path) -> Result<RuleFiles, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    if !dir.is_dir() {
        let what = if dir.is_file() {
            format!(
                "`{}` is a file; the rules are a folder holding `ruleset.yaml` and `kinds/*.yaml`",
                dir.display()
            )
        } else {
            format!("rule set folder `{}` does not exist", dir.display())
        };
        let help = match dir.ancestors().skip(1).find(|p| p.join("ruleset.yaml").is_file()) {
            Some(p) if dir.is_file() => format!("pass `--rules {}`", p.display()),
            _ => "pass `--rules DIR` with a folder holding `ruleset.yaml` and `kinds/*.yaml` (the default, `rules/`, is relative to the working folder)".into(),
        };
        return Err(vec![
            Diagnostic::error(what, Location::default()).with_help(help)
        ]);
    }
    let header_path = dir.join("ruleset.yaml");
    let mut hasher = Sha256::new();
    let mut file_hashes = Vec::new();
    let mut read = |path: &Path, diags: &mut Vec<Diagnostic>| -> Option<Arc<SourceFile>> {
        let name = path.display().to_string();
        // Hashes name files relative to the rule set, so `rules/` and `./rules` agree.
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        match std::fs::read(path) {
            Ok(bytes) => {
                hasher.update(rel.as_bytes());
                hasher.update(&bytes);
                file_hashes.push((rel, hex(&Sha256::digest(&bytes))));
                let bytes = bytes
                    .strip_prefix(b"\xEF\xBB\xBF")
                    .map(<[u8]>::to_vec)
                    .unwrap_or(bytes);
                match String::from_utf8(bytes) {
                    Ok(text) => Some(Arc::new(SourceFile {
                        name,
                        text: text.into(),
                    })),
                    Err(e) => {
                        let at = e.utf8_error().valid_up_to();
                        let bytes = e.into_bytes();
                        let before = bytes.get(..at).unwrap_or(&[]);
                        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
                        let line_start = before
                            .iter()
                            .rposition(|b| *b == b'\n')
                            .map_or(0, |i| i + 1);
                        let col = String::from_utf8_lossy(before.get(line_start..).unwrap_or(&[]))
                            .chars()
                            .count()
                            + 1;
                        diags.push(
                            Diagnostic::error(
                                format!("`{name}` is not valid UTF-8 at line {line}, column {col}"),
                                Location { file: None, line: 0, col: 0, len: 0, path: Some(format!("{name}:{line}:{col}")) },
                            )
                            .with_help("save rule files as UTF-8 (a GBK text pasted from another file is the usual cause)"),
                        );
                        None
                    }
                }
            }
            Err(e) => {
                diags.push(Diagnostic::error(
                    format!("cannot read `{name}`: {e}"),
                    Location::default(),
                ));
                None
            }
        }
    };
    let header_src = if header_path.is_file() {
        read(&header_path, &mut diags)
    } else {
        diags.push(
            Diagnostic::error(
                format!("`{}` is missing", header_path.display()),
                Location::default(),
            )
            .with_help("a rule set needs `ruleset.yaml` with at least `name` and `version`"),
        );
        None
    };
    let kinds_dir = dir.join("kinds");
    let kind_paths = list(&kinds_dir, "yaml");
    if kind_paths.is_empty() {
        // Name the file after the primary kind that `ruleset.yaml` declares, if it says.
        let primary = header_src
            .as_ref()
            .and_then(|h| serde_yaml::from_str::<serde_yaml::Value>(&h.text).ok())
            .and_then(|v| v.get("primary")?.as_str().map(str::to_string))
            .unwrap_or_else(|| "village".to_string());
        let many = super::model::plural_noun(&primary.replace('_', " "));
        diags.push(
            Diagnostic::error(
                format!("no entity kinds in `{}`", kinds_dir.display()),
                Location::default(),
            )
            .with_help(format!(
                "add `kinds/{primary}.yaml` describing the {many} and their criteria"
            )),
        );
    }
    let kind_srcs: Vec<_> = kind_paths
        .iter()
        .filter_map(|p| read(p, &mut diags))
        .collect();
    let script_srcs: Vec<_> = list(&dir.join("scripts"), "rhai")
        .iter()
        .filter_map(|p| read(p, &mut diags))
        .collect();
    let sha256 = hex(&hasher.finalize());

    let header = header_src.and_then(|s| parse_yaml(s, &mut diags));
    let kinds: Vec<YamlFile> = kind_srcs
        .into_iter()
        .filter_map(|s| parse_yaml(s, &mut diags))
        .collect();
    match header {
        Some(header) if diags.is_empty() => Ok(RuleFiles {
            dir: dir.to_path_buf(),
            header,
            kinds,
            scripts: script_srcs
                .into_iter()
                .map(|source| ScriptFile { source })
                .collect(),
            sha256,
            file_hashes,
            derive_maximums: false,
            param_overrides: Vec::new(),
        }),
        _ => Err(diags),
    }
}

/// Files with extension `ext` in `dir`, sorted by name.
fn list(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_yaml(source: Arc<SourceFile>, diags: &mut Vec<Diagnostic>) -> Option<YamlFile> {
    if source.text.trim().is_empty() {
        diags.push(Diagnostic::error(
            format!("`{}` is empty", source.name),
            Location {
                file: Some(source.clone()),
                ..Location::default()
            },
        ));
        return None;
    }
    // Full-width characters where YAML needs ASCII are named first: the parse errors they
    // cause elsewhere in the file say nothing of them.
    let slips = crate::fullwidth::yaml_slips(&source.text);
    if !slips.is_empty() {
        diags.extend(slips.into_iter().map(|s| slip_error(source.clone(), &s)));
        return None;
    }
    match serde_yaml::from_str::<serde_yaml::Value>(&source.text) {
        Ok(value) => {
            let index = Arc::new(PathIndex::build(&source.text));
            Some(YamlFile {
                source,
                index,
                value,
            })
        }
        Err(e) => {
            diags.push(yaml_error(&source, &e));
            None
        }
    }
}

/// A full-width character where YAML needs ASCII, as a located diagnostic.
pub(crate) fn slip_error(source: Arc<SourceFile>, s: &crate::fullwidth::Slip) -> Diagnostic {
    Diagnostic::error(
        match crate::fullwidth::half_width(s.ch) {
            Some(d) if d.is_ascii_digit() => format!(
                "{} in a number: YAML reads it as text",
                crate::fullwidth::describe(s.ch)
            ),
            h => format!(
                "{} where YAML needs `{}`",
                crate::fullwidth::describe(s.ch),
                h.unwrap_or(s.ch)
            ),
        },
        Location {
            file: Some(source),
            line: s.line,
            col: s.col,
            len: 1,
            path: None,
        },
    )
    .with_help(crate::fullwidth::help(s.ch))
}

/// A serde_yaml error as a located diagnostic.
fn yaml_error(source: &Arc<SourceFile>, e: &serde_yaml::Error) -> Diagnostic {
    let (mut line, mut col) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    let msg = clean_yaml_message(&e.to_string());
    // A duplicate key is reported where its mapping starts; point at the second one.
    let mut first = None;
    if let Some((key, a, b)) = duplicate_at(&source.text, &msg, e) {
        first = Some((key, a));
        (line, col) = (b, col.max(1));
    }
    let mut d = Diagnostic::error(
        msg.clone(),
        Location {
            file: Some(source.clone()),
            line,
            col,
            len: 1,
            path: None,
        },
    );
    let line_text = source
        .text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("");
    if msg.contains("tab") || line_text.contains('\t') {
        d = d.with_help("indent with spaces; YAML does not allow tabs for indentation");
    } else if let Some((key, at)) = first {
        d = d.with_help(format!(
            "each key may appear once in a mapping; the first `{key}` is on line {at}"
        ));
    } else if msg.contains("duplicate") {
        d = d.with_help("each key may appear once in a mapping");
    } else if let Some(help) = unquoted_colon_help(&source.text, &msg, line, col) {
        d = d.with_help(help);
    }
    d
}

/// The help for a YAML error (`msg`, cleaned) at `line`, `col` of `text` that a value holding
/// `: ` without quotes causes (`label: 说明: 见附件`): YAML reads the text before the `: ` as a
/// key. In a block it says "mapping values are not allowed in this context"; inside `{ … }`,
/// "did not find expected ',' or '}'" just after the `: `. Names the key and gives it with its
/// value quoted, when the line shows them.
fn unquoted_colon_help(text: &str, msg: &str, line: usize, col: usize) -> Option<String> {
    const GENERAL: &str =
        "a value holding `: ` must be in quotes, or YAML reads the text before it as a key";
    let l = line.checked_sub(1).and_then(|i| text.lines().nth(i));
    if msg.contains("mapping values are not allowed") {
        let quoted = l.and_then(|l| {
            let body = l.trim_start();
            quote_value(body.strip_prefix("- ").map_or(body, str::trim_start))
        });
        Some(quoted.unwrap_or_else(|| GENERAL.to_string()))
    } else if msg.contains("did not find expected ',' or '}'") {
        let l = l?;
        // The entry of the flow mapping the error is in: from the `{` or `,` before it to the
        // `,` or `}` after it.
        // The error is reported where the `,` or `}` was looked for: the end of the entry,
        // or the next `:` in it. Other mistakes there (a missing comma) get no help.
        let at = l
            .char_indices()
            .nth(col.checked_sub(1)?)
            .map_or(l.len(), |(i, _)| i);
        let (before, after) = l.split_at(at);
        let start = before.rfind([',', '{']).map_or(0, |i| i + 1);
        let end = after.find([',', '}']).map_or(l.len(), |i| at + i);
        quote_value(l.get(start..end)?.trim())
    } else {
        None
    }
}

/// [`unquoted_colon_help`] at the place serde_yaml reports `e`.
pub(crate) fn colon_help_at(text: &str, msg: &str, e: &serde_yaml::Error) -> Option<String> {
    let at = e.location()?;
    unquoted_colon_help(text, msg, at.line(), at.column())
}

/// `key: value` with the value in quotes, for a help, when `entry` is a plain key and a plain
/// value holding `: `.
fn quote_value(entry: &str) -> Option<String> {
    let (key, value) = entry.split_once(": ")?;
    // A comment after the value is not part of it.
    let value = value.split(" #").next().unwrap_or(value).trim();
    let plain_key = !key.is_empty() && !key.contains(['{', '[', '"', '\'', ' ']);
    let plain_value = value.contains(':') && !value.starts_with(['"', '\'', '{', '[']);
    if !(plain_key && plain_value) {
        return None;
    }
    let value = if value.contains('"') && !value.contains('\'') {
        format!("'{value}'")
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    };
    Some(format!(
        "the value of `{key}` holds `: `, so it must be in quotes: `{key}: {value}`"
    ))
}

/// A key given twice in the YAML `text`, which a typed reading would take the last of
/// silently: the message, the line of the second, and a help naming the line of the first.
pub(crate) fn repeated_key(text: &str) -> Option<(String, usize, String)> {
    let e = serde_yaml::from_str::<serde_yaml::Value>(text).err()?;
    let msg = clean_yaml_message(&e.to_string());
    let (key, first, second) = duplicate_at(text, &msg, &e).or_else(|| {
        // A repeated key whose two lines could not be told: where its mapping starts.
        let key = msg
            .split("duplicate entry with key \"")
            .nth(1)?
            .strip_suffix('"')?;
        let at = e.location()?;
        Some((key.to_string(), at.line(), at.line()))
    })?;
    Some((
        format!("`{key}` is given twice"),
        second,
        format!("each key may appear once in a mapping; the first `{key}` is on line {first}"),
    ))
}

/// The key a YAML error `msg` (`e` cleaned) reports as given twice, a map's (`duplicate entry
/// with key "K"`) or a struct's (`duplicate field `K``), with the lines of its first and
/// second occurrence in `text`.
pub(crate) fn duplicate_at(
    text: &str,
    msg: &str,
    e: &serde_yaml::Error,
) -> Option<(String, usize, usize)> {
    let key = msg
        .split("duplicate entry with key \"")
        .nth(1)
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| {
            msg.split("duplicate field `")
                .nth(1)
                .and_then(|k| k.strip_suffix('`'))
        })?;
    let at = e.location()?;
    let (first, second) = duplicate_key_lines(text, at.line(), at.column(), key)?;
    Some((key.to_string(), first, second))
}

/// The lines of the first two `key:` entries of the block mapping whose first key starts at
/// `line`, `col` (1-based), as the YAML parser reports a duplicate key.
fn duplicate_key_lines(text: &str, line: usize, col: usize, key: &str) -> Option<(usize, usize)> {
    let indent = col.checked_sub(1)?;
    let mut found = Vec::new();
    for (i, l) in text.lines().enumerate().skip(line.checked_sub(1)?) {
        let body = if i + 1 == line {
            l.get(indent..)?
        } else {
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let lead = l.len() - trimmed.len();
            if lead < indent {
                break;
            }
            if lead > indent {
                continue;
            }
            trimmed
        };
        let is_key = [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
            .iter()
            .any(|k| {
                body.strip_prefix(k.as_str())
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            });
        if is_key {
            found.push(i + 1);
            if let [a, b] = found.as_slice() {
                return Some((*a, *b));
            }
        }
    }
    None
}

/// Drop serde_yaml's trailing " at line L column C" (the location is shown separately).
fn clean_yaml_message(msg: &str) -> String {
    let m = match msg.find(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg),
        None => msg,
    };
    m.to_string()
}

/// Deserialize the typed rule set, collecting every unknown key and type error.
pub fn deserialize(files: &RuleFiles) -> (Option<RawRuleSet>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let header: Option<(RawHeader, Remap)> = typed(&files.header, schema::Root::Header, &mut diags);
    let kinds: Vec<Option<(RawKind, Remap)>> = files
        .kinds
        .iter()
        .map(|f| typed(f, schema::Root::Kind, &mut diags))
        .collect();
    match header {
        Some((header, _)) if kinds.iter().all(Option::is_some) => {
            let (kinds, remaps) = kinds.into_iter().flatten().unzip();
            (
                Some(RawRuleSet {
                    header,
                    kinds,
                    remaps,
                }),
                diags,
            )
        }
        _ => (None, diags),
    }
}

/// Deserialize one file's value into `T`, reporting unknown keys with suggestions.
///
/// A list element that cannot be read (a missing field, a wrong type) is reported and set
/// aside, and the rest of the file is read again, so one mistake does not hide the others.
/// Returns the value and whether any element was set aside.
pub fn typed<T: DeserializeOwned>(
    file: &YamlFile,
    root: schema::Root,
    diags: &mut Vec<Diagnostic>,
) -> Option<(T, Remap)> {
    let mut value = file.value.clone();
    // Original indices still present, per top-level list.
    let mut kept: Vec<(String, Vec<usize>)> = Vec::new();
    let mut reported: Vec<String> = Vec::new();
    let mut dropped = false;
    for _ in 0..200 {
        let mut unknown: Vec<String> = Vec::new();
        let result: Result<T, _> = {
            let mut note = |p: serde_ignored::Path| unknown.push(path_string(&p));
            let de = serde_ignored::Deserializer::new(value.clone(), &mut note);
            serde_path_to_error::deserialize(de)
        };
        for path in unknown {
            let path = original_path(&path, &kept);
            if reported.contains(&path) {
                continue;
            }
            reported.push(path.clone());
            let (parent, key) = match path.rsplit_once('.') {
                Some((p, k)) => (p, k),
                None => ("", path.as_str()),
            };
            let expected = schema::fields_at(root, parent);
            let help = did_you_mean(key, expected.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| {
                    (!expected.is_empty()).then(|| format!("expected one of {}", ticked(expected)))
                });
            diags.push(
                Diagnostic::error(format!("unknown key `{key}`"), file.loc(&path))
                    .with_help_opt(help),
            );
        }
        match result {
            Ok(v) => return Some((v, Remap(if dropped { kept } else { Vec::new() }))),
            Err(e) => {
                let inner = dotted(&e.path().to_string());
                let path = original_path(&inner, &kept);
                let msg = friendly(&clean_yaml_message(&e.inner().to_string()));
                let loc = if msg.starts_with("missing field") {
                    file.loc(&path)
                } else {
                    file.value_loc(&path)
                };
                diags.push(Diagnostic::error(msg, loc));
                // Set the offending list element aside and read the rest.
                let mut segs = inner.split('.');
                let (Some(list), Some(idx)) = (
                    segs.next(),
                    segs.next().and_then(|i| i.parse::<usize>().ok()),
                ) else {
                    return None;
                };
                let seq = value.get_mut(list).and_then(|v| v.as_sequence_mut())?;
                if idx >= seq.len() {
                    return None;
                }
                seq.remove(idx);
                dropped = true;
                let entry = match kept.iter().position(|(k, _)| k == list) {
                    Some(i) => kept.get_mut(i),
                    None => {
                        kept.push((list.to_string(), (0..seq.len() + 1).collect()));
                        kept.last_mut()
                    }
                };
                if let Some((_, ix)) = entry {
                    if idx < ix.len() {
                        ix.remove(idx);
                    }
                }
            }
        }
    }
    None
}

/// Which original list indices remain after unreadable elements were set aside, so later
/// messages point at the right lines.
#[derive(Debug, Clone, Default)]
pub struct Remap(pub Vec<(String, Vec<usize>)>);

impl Remap {
    /// Whether nothing was set aside.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The file's own path for a path into the reduced value.
    pub fn original(&self, path: &str) -> String {
        original_path(path, &self.0)
    }
}

/// serde_path_to_error's `a.b[3].c` as `a.b.3.c`.
fn dotted(p: &str) -> String {
    p.replace('[', ".")
        .replace(']', "")
        .trim_start_matches('.')
        .to_string()
}

/// Map a path in the reduced value back to the file's own indices.
fn original_path(path: &str, kept: &[(String, Vec<usize>)]) -> String {
    let mut segs: Vec<String> = path.split('.').map(str::to_string).collect();
    if let (Some(list), Some(idx)) = (
        segs.first().cloned(),
        segs.get(1).and_then(|i| i.parse::<usize>().ok()),
    ) {
        if let Some((_, ix)) = kept.iter().find(|(k, _)| *k == list) {
            if let (Some(orig), Some(slot)) = (ix.get(idx), segs.get_mut(1)) {
                *slot = orig.to_string();
            }
        }
    }
    segs.join(".")
}

/// Say type errors in the rule file's own words.
fn friendly(msg: &str) -> String {
    let mut m = msg
        .replace("missing field", "missing key")
        .replace("unknown field", "unknown key")
        .replace("f64", "a number")
        .replace("u32", "a whole number")
        .replace("usize", "a whole number")
        .replace("a sequence", "a list")
        .replace("type: sequence", "type: a list")
        .replace("type: map", "type: a map")
        .replace(
            "expected a list",
            "expected a list (`- item` lines or `[a, b]`)",
        );
    // Name no Rust types: `expected struct RawRatio` is a map of keys to the user.
    while let Some(i) = m.find("struct Raw") {
        let end = m
            .get(i..)
            .and_then(|r| {
                r.find(|c: char| !c.is_alphanumeric() && c != ' ')
                    .map(|e| i + e)
            })
            .unwrap_or(m.len());
        m.replace_range(i..end, "a map of keys");
    }
    m
}

fn ticked(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// serde_ignored's path as `a.0.b`.
fn path_string(p: &serde_ignored::Path) -> String {
    use serde_ignored::Path as P;
    fn go(p: &P, out: &mut Vec<String>) {
        match p {
            P::Root => {}
            P::Seq { parent, index } => {
                go(parent, out);
                out.push(index.to_string());
            }
            P::Map { parent, key } => {
                go(parent, out);
                out.push(key.clone());
            }
            P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
                go(parent, out)
            }
        }
    }
    let mut segs = Vec::new();
    go(p, &mut segs);
    segs.join(".")
}

/// `indicators.3.scoring` → `indicators[3].scoring`, for people.
pub fn display_path(path: &str) -> String {
    let mut out = String::new();
    for seg in path.split('.') {
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "mapping values are not allowed in this context";
    const FLOW: &str = "did not find expected ',' or '}'";

    #[test]
    fn a_value_holding_a_colon_is_given_back_quoted() {
        let text = "indicators:\n  - id: x\n    label: 说明: 见附件  # note\n";
        assert_eq!(
            unquoted_colon_help(text, BLOCK, 3, 18).unwrap(),
            "the value of `label` holds `: `, so it must be in quotes: `label: \"说明: 见附件\"`"
        );
        let text = "- label: a \"b\": c\n";
        assert!(unquoted_colon_help(text, BLOCK, 1, 14)
            .unwrap()
            .ends_with("`label: 'a \"b\": c'`"));
        let text = "bands:\n  - { range: \"[0, 2)\", label: 空壳村: 无收入 }\n";
        let col = text.lines().nth(1).unwrap().chars().count();
        assert!(unquoted_colon_help(text, FLOW, 2, col)
            .unwrap()
            .ends_with("`label: \"空壳村: 无收入\"`"));
    }

    #[test]
    fn other_yaml_errors_get_no_colon_help() {
        // A missing comma in a flow mapping is not a colon in a value.
        let text = "- { range: \"[0, 2)\" points: 0 }\n";
        assert_eq!(unquoted_colon_help(text, FLOW, 1, 21), None);
        assert_eq!(unquoted_colon_help("a: b\n", "found a tab", 1, 1), None);
        // A line that does not show the key still gets the general advice.
        let help = unquoted_colon_help("a:\n  b: c: d\n", BLOCK, 9, 1).unwrap();
        assert!(help.contains("must be in quotes"), "{help}");
    }
}
