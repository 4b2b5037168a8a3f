//! Data errors: where (file, row, column), what was found and what was expected.

use serde::Serialize;
use std::fmt;

/// One problem in a data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataError {
    pub file: String,
    /// 1-based row in the file (the header is row 1); `None` for whole-file problems.
    pub row: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl DataError {
    /// A problem with a whole file.
    pub fn file(file: String, message: String) -> DataError {
        DataError {
            file,
            row: None,
            column: None,
            value: None,
            message,
            expected: None,
            help: None,
        }
    }

    /// A problem with one cell.
    pub fn cell(
        file: &str,
        row: u64,
        column: &str,
        value: &str,
        message: &str,
        expected: String,
    ) -> DataError {
        DataError {
            file: file.to_string(),
            row: Some(row),
            column: Some(column.to_string()),
            value: Some(value.to_string()),
            message: message.to_string(),
            expected: Some(expected),
            help: None,
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.file)?;
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(v) = &self.value {
            write!(f, " (found `{}`)", v.replace('\n', "\\n"))?;
        }
        if let Some(e) = &self.expected {
            write!(f, "; expected {e}")?;
        }
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}
