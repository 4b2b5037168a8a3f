//! Printing problems to stderr, and printing that never panics on a closed pipe.

/// `println!` to stdout, ignoring a closed pipe.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` to stderr, ignoring a closed pipe, with any progress display set aside.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        $crate::cli::output::err_text(&format!("{}\n", format_args!($($arg)*)));
    }};
}

/// The progress display on the terminal, if one is showing.
pub static PROGRESS: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Write text to stderr, ignoring a closed pipe; a progress display is hidden meanwhile.
pub fn err_text(s: &str) {
    use std::io::Write as _;
    let write = || {
        let _ = std::io::stderr().lock().write_all(s.as_bytes());
    };
    match PROGRESS.lock().ok().and_then(|g| g.clone()) {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

use crate::data::DataError;
use crate::diag::{Diagnostic, Severity};

/// Print diagnostics (errors and warnings) and a count line.
pub fn print_diags(diags: &[Diagnostic], color: bool) {
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by(|a, b| {
        let fa = a
            .location
            .file
            .as_ref()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let fb = b
            .location
            .file
            .as_ref()
            .map(|f| f.name.clone())
            .unwrap_or_default();
        b.severity
            .cmp(&a.severity)
            .then(fa.cmp(&fb))
            .then(a.location.line.cmp(&b.location.line))
            .then(a.location.col.cmp(&b.location.col))
    });
    let mut out = String::new();
    for d in &sorted {
        out.push_str(&paint(&d.render(), color));
        out.push('\n');
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    out.push_str(&format!(
        "{errors} error{}, {warnings} warning{}\n",
        crate::diag::plural(errors),
        crate::diag::plural(warnings)
    ));
    err_text(&out);
}

/// Print data errors, the same problem in many rows listed a few times and then counted, and
/// a count line that counts every problem, listed or not.
pub fn print_data_errors(errors: &[DataError], color: bool) {
    let mut out = String::new();
    for e in crate::data::error::fold_repeats(errors.to_vec()) {
        out.push_str(&paint(&e.to_string(), color));
        out.push('\n');
    }
    let n = crate::data::error::count_problems(errors);
    out.push_str(&format!(
        "invalid data: {n} problem{} found; nothing was scored\n",
        crate::diag::plural(n)
    ));
    err_text(&out);
}

fn paint(s: &str, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    if let Some(rest) = s.strip_prefix("error:") {
        format!("\x1b[1;31merror\x1b[0m:{rest}")
    } else if let Some(rest) = s.strip_prefix("warning:") {
        format!("\x1b[1;33mwarning\x1b[0m:{rest}")
    } else {
        s.to_string()
    }
}
