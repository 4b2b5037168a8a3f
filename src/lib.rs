//! bangfu (帮扶): a rule-driven assessment and scoring engine for paired-assistance programmes.
//!
//! Criteria live in a rule set (YAML files and rhai scripts). The pipeline runs one way:
//! files → [`rules::raw`] → [`rules::compile`]d [`RuleSet`] → [`engine`] scores and decisions →
//! [`report`]. The compiled rule set is immutable and shared across threads.

// Diagnostics carry their source file and help text; they are built once per problem, not in
// hot paths, so their size in `Result` does not matter.
#![allow(clippy::result_large_err)]

pub mod casetest;
pub mod cli;
pub mod compare;
pub mod criteria;
pub mod data;
pub mod diag;
pub mod engine;
pub mod exit;
pub mod explain;
pub mod forms;
pub mod fullwidth;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod script;
pub mod sensitivity;
pub mod serve;
pub mod words;

pub use diag::{Diagnostic, Severity};

pub use exit::Exit;
pub use rules::RuleSet;
