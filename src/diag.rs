//! Located problems (errors and warnings) and how they are shown.
//!
//! Every stage reports problems as [`Diagnostic`]s: a message, a place (file, line, column,
//! and the YAML path when there is one) and an optional help line. They are rendered through
//! miette with an ASCII theme, which stays aligned in Chinese terminals.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A source file's display name and text, shared by the diagnostics that point into it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
}

/// Where a problem is.
#[derive(Debug, Clone, Default)]
pub struct Location {
    pub file: Option<Arc<SourceFile>>,
    /// 1-based line and column (in characters); 0 when unknown.
    pub line: usize,
    pub col: usize,
    /// How many characters to underline.
    pub len: usize,
    /// The YAML path, e.g. `indicators[3].scoring.points`.
    pub path: Option<String>,
}

/// One located problem.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(message: impl Into<String>, location: Location) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location,
            help: None,
        }
    }

    /// A warning at `location`.
    pub fn warning(message: impl Into<String>, location: Location) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            location,
            help: None,
        }
    }

    /// Attach a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Attach a help line if there is one.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// `file:line:col`, or whatever part of it is known.
    pub fn place(&self) -> String {
        let loc = &self.location;
        let mut s = loc
            .file
            .as_ref()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        if loc.line > 0 {
            s.push_str(&format!(":{}", loc.line));
            if loc.col > 0 {
                s.push_str(&format!(":{}", loc.col));
            }
        }
        s
    }

    /// Render for a terminal: message, place, the source line underlined, and help.
    pub fn render(&self) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let loc = &self.location;
        let mut head = format!("{sev}: {}", self.message);
        let place = self.place();
        let path_note = loc
            .path
            .as_ref()
            .map(|p| format!(" (at `{p}`)"))
            .unwrap_or_default();
        let Some(file) = loc.file.as_ref().filter(|_| loc.line > 0) else {
            match (&loc.path, place.is_empty()) {
                // No file: the path is the whole place (`kinds/village.yaml:270:14`).
                (Some(p), true) => head.push_str(&format!("\n  --> {p}")),
                _ if !place.is_empty() => head.push_str(&format!("\n  --> {place}{path_note}")),
                _ => {}
            }
            if let Some(h) = &self.help {
                head.push_str(&format!("\n  help: {h}"));
            }
            return head + "\n";
        };
        let offset = byte_offset(&file.text, loc.line, loc.col.max(1));
        let len = span_len(&file.text, offset, loc.len);
        let mut diag = MietteDiagnostic::new("-").with_label(LabeledSpan::at(
            offset..offset + len,
            loc.path.clone().unwrap_or_else(|| "here".into()),
        ));
        diag = match self.severity {
            Severity::Error => diag.with_severity(miette::Severity::Error),
            Severity::Warning => diag.with_severity(miette::Severity::Warning),
        };
        if let Some(h) = &self.help {
            diag = diag.with_help(h.clone());
        }
        let report = miette::Report::new(diag)
            .with_source_code(NamedSource::new(file.name.clone(), file.text.to_string()));
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::none())
            .with_context_lines(1)
            .with_width(100);
        let mut out = String::new();
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            return head + "\n";
        }
        // miette prints the severity as a symbol; lead with a plain word for every terminal.
        let body = out.lines().skip(1).collect::<Vec<_>>().join("\n");
        format!("{head}\n{}\n", body.trim_end())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let place = self.place();
        if place.is_empty() {
            write!(f, "{sev}: {}", self.message)
        } else {
            write!(f, "{place}: {sev}: {}", self.message)
        }
    }
}

/// Byte offset of a 1-based (line, char column) in `text`.
fn byte_offset(text: &str, line: usize, col: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within: usize = l
                .chars()
                .take(col.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return off + within.min(l.trim_end_matches(['\n', '\r']).len());
        }
        off += l.len();
    }
    text.len()
}

/// The byte length of `chars` characters from `offset`, at least one character, within the line.
fn span_len(text: &str, offset: usize, chars: usize) -> usize {
    let rest = text.get(offset..).unwrap_or("");
    let line = rest.split('\n').next().unwrap_or("");
    let n = chars.max(1);
    let len: usize = line.chars().take(n).map(char::len_utf8).sum();
    len
}

/// The closest candidate to `name`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(name, c);
        if score > 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The closest few candidates, best first (for "closest ids" suggestions).
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// Render many diagnostics followed by a one-line count.
pub fn render_all(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.render());
        out.push('\n');
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    out.push_str(&format!(
        "{} error{}, {} warning{}\n",
        errors,
        plural(errors),
        warnings,
        plural(warnings)
    ));
    out
}

/// "s" unless `n` is one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
