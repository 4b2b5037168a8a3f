//! Exit codes, as documented in the README.

/// The process exit codes of every `bangfu` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything went well (failing villages are results, not errors).
    Ok = 0,
    /// Rule-set tests failed, or `check` found errors.
    Failed = 1,
    /// The command line was wrong.
    Usage = 2,
    /// The rule set is invalid.
    InvalidRules = 3,
    /// The data set is invalid.
    InvalidData = 4,
    /// A script failed while scoring, or the engine found one of its own invariants broken.
    ScriptFailed = 5,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}
