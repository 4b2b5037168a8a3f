//! The rule set: files → [`raw`] → [`compile`]d [`RuleSet`], plus the checks `bangfu check` runs.

pub mod compile;
pub mod cond;
pub mod interval;
pub mod load;
pub mod model;
pub mod params;
pub mod raw;
pub mod schema;
pub mod signs;
mod units;
pub mod var;
pub mod yaml_index;

pub use model::RuleSet;

use crate::diag::{Diagnostic, Severity};
use std::path::Path;

/// Load and compile the rule set in `dir`. On failure, every problem found; warnings are
/// returned alongside a successful load.
pub fn load(dir: &Path) -> Result<(RuleSet, Vec<Diagnostic>), Vec<Diagnostic>> {
    let files = load::read_files(dir)?;
    load_files(&files)
}

/// Deserialize and compile already-read files (scenarios overlay the files first).
pub fn load_files(files: &load::RuleFiles) -> Result<(RuleSet, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (raw, mut diags) = load::deserialize(files);
    let Some(raw) = raw else {
        return Err(diags);
    };
    // Unknown keys are errors, but the rest of the file is still worth checking.
    let (rs, more) = compile::compile(files, &raw);
    diags.extend(more);
    match rs {
        Some(rs) if !diags.iter().any(|d| d.severity == Severity::Error) => Ok((rs, diags)),
        _ => Err(diags),
    }
}

/// Everything `check` needs: the problems, the rule set if it compiled, and the columns each
/// kind reads (known even when the rules have errors).
pub fn check(dir: &Path) -> (Option<RuleSet>, Vec<Diagnostic>, Vec<compile::ColumnNeeds>) {
    let files = match load::read_files(dir) {
        Ok(f) => f,
        Err(d) => return (None, d, Vec::new()),
    };
    let (raw, mut diags) = load::deserialize(&files);
    let Some(raw) = raw else {
        return (None, diags, Vec::new());
    };
    let (rs, more, needs) = compile::compile_with_needs(&files, &raw);
    diags.extend(more);
    let ok = !diags.iter().any(|d| d.severity == Severity::Error);
    (rs.filter(|_| ok), diags, needs)
}
