//! Data errors: where (file, row, column), what was found and what was expected.

use serde::Serialize;
use std::fmt;

/// The same problem in the same column is listed this many times; the rest are counted.
pub const SHOWN_PER_PROBLEM: usize = 5;

/// One problem in a data file, or a line standing for problems counted but not listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataError {
    pub file: String,
    /// 1-based row in the file (the header is row 1); `None` for whole-file problems.
    pub row: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
    /// What is particular to this row (`also on row 12`), shown after the message in
    /// parentheses. Two rows with the same file, column and message are the same problem
    /// whatever their notes say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// For a line that stands for problems not listed one by one (`… and 40 more`): how many.
    /// 0 for a problem of its own.
    #[serde(skip_serializing_if = "is_zero")]
    pub unlisted: usize,
    /// Whether the problems counted in `unlisted` are more rows with this line's problem (its
    /// file, column and message); otherwise the message says what they are.
    #[serde(skip_serializing_if = "is_false")]
    pub same_problem: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
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
            note: None,
            expected: None,
            help: None,
            unlisted: 0,
            same_problem: false,
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
            note: None,
            expected: Some(expected),
            help: None,
            unlisted: 0,
            same_problem: false,
        }
    }

    /// A line standing for `n` problems of `file` that were counted but not kept:
    /// `… and {n} more{what}`.
    pub fn unlisted(file: String, n: usize, what: &str) -> DataError {
        DataError {
            unlisted: n,
            ..DataError::file(file, format!("… and {n} more{what}"))
        }
    }

    /// A line standing for `n` more rows with the problem `message` (in `column`, when it
    /// is a column's): `… and {n} more rows: {message}`.
    pub fn more_rows(file: String, column: Option<String>, n: usize, message: String) -> DataError {
        DataError {
            column,
            unlisted: n,
            same_problem: true,
            ..DataError::file(file, message)
        }
    }

    /// Whether this line counts rows with one problem (see [`DataError::more_rows`]).
    pub fn is_more_rows(&self) -> bool {
        self.unlisted > 0 && self.same_problem
    }

    /// How many problems this line stands for: itself, or those it counts.
    pub fn problems(&self) -> usize {
        if self.unlisted > 0 {
            self.unlisted
        } else {
            1
        }
    }
}

/// `listed`, then a line for the problems of `count` it does not hold (when there are any),
/// named after the file of the last one listed.
pub fn with_unlisted(mut listed: Vec<DataError>, count: usize, what: &str) -> Vec<DataError> {
    let more = count.saturating_sub(count_problems(&listed));
    if more > 0 {
        let file = listed.last().map(|e| e.file.clone()).unwrap_or_default();
        listed.push(DataError::unlisted(file, more, what));
    }
    listed
}

/// The problems of a list, counting those its lines stand for.
pub fn count_problems(errors: &[DataError]) -> usize {
    errors.iter().map(DataError::problems).sum()
}

/// The same problem (one file, one column, one message) in many rows is listed
/// [`SHOWN_PER_PROBLEM`] times, then counted on one line placed after the last one listed:
/// `… and 195 more rows: duplicate id`. A count of such rows made earlier (see
/// [`DataError::more_rows`]) joins it. Other lines keep their order.
pub fn fold_repeats(errors: Vec<DataError>) -> Vec<DataError> {
    type Key = (String, Option<String>, String);
    let key = |e: &DataError| -> Option<Key> {
        (e.is_more_rows() || (e.row.is_some() && e.unlisted == 0))
            .then(|| (e.file.clone(), e.column.clone(), e.message.clone()))
    };
    // Per problem: the rows listed, and every row with it, listed or counted.
    let mut totals: Vec<(Key, usize, usize)> = Vec::new();
    for e in &errors {
        let Some(k) = key(e) else { continue };
        let listed = usize::from(!e.is_more_rows());
        match totals.iter_mut().find(|(seen, _, _)| *seen == k) {
            Some((_, l, t)) => {
                *l += listed;
                *t += e.problems();
            }
            None => totals.push((k, listed, e.problems())),
        }
    }
    let mut shown: Vec<(Key, usize)> = Vec::new();
    let mut out = Vec::with_capacity(errors.len());
    for e in errors {
        let Some(k) = key(&e) else {
            out.push(e);
            continue;
        };
        let (listed, total) = totals
            .iter()
            .find(|(seen, _, _)| *seen == k)
            .map_or((0, 0), |(_, l, t)| (*l, *t));
        if e.is_more_rows() {
            // Counted rows with none listed keep their place.
            if listed == 0 {
                out.push(e);
            }
            continue;
        }
        let n = match shown.iter_mut().find(|(seen, _)| *seen == k) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                shown.push((k.clone(), 1));
                1
            }
        };
        if n > SHOWN_PER_PROBLEM {
            continue;
        }
        out.push(e);
        if n == listed.min(SHOWN_PER_PROBLEM) && total > n {
            let (file, column, message) = k;
            out.push(DataError::more_rows(file, column, total - n, message));
        }
    }
    out
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.file)?;
        if self.is_more_rows() {
            if let Some(c) = &self.column {
                write!(f, ", column `{c}`")?;
            }
            return write!(f, ": … and {} more rows: {}", self.unlisted, self.message);
        }
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(n) = &self.note {
            write!(f, " ({n})")?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dup(row: u64, first: u64) -> DataError {
        let mut e = DataError::cell(
            "v.csv",
            row,
            "id",
            "V1",
            "duplicate id",
            "each id once".into(),
        );
        e.note = Some(format!("also on row {first}"));
        e
    }

    #[test]
    fn a_repeated_problem_is_listed_five_times_then_counted() {
        let mut errors: Vec<DataError> = (3..=14).map(|r| dup(r, 2)).collect();
        errors.insert(
            2,
            DataError::cell("v.csv", 4, "x", "a", "not a number", "a number".into()),
        );
        let folded = fold_repeats(errors);
        let rows: Vec<Option<u64>> = folded.iter().map(|e| e.row).collect();
        assert_eq!(
            rows,
            [Some(3), Some(4), Some(4), Some(5), Some(6), Some(7), None]
        );
        let last = folded.last().unwrap();
        assert_eq!(
            last.to_string(),
            "error: v.csv, column `id`: … and 7 more rows: duplicate id"
        );
        assert_eq!(count_problems(&folded), 13);
    }

    #[test]
    fn rows_counted_earlier_join_the_count_of_their_problem() {
        let mut errors: Vec<DataError> = (3..=9).map(|r| dup(r, 2)).collect();
        errors.push(DataError::unlisted(
            "v.csv".into(),
            3,
            " problems in this file",
        ));
        errors.push(DataError::more_rows(
            "v.csv".into(),
            Some("id".into()),
            100,
            "duplicate id".into(),
        ));
        let folded = fold_repeats(errors);
        let text: Vec<String> = folded.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 7);
        assert_eq!(
            text[5],
            "error: v.csv, column `id`: … and 102 more rows: duplicate id"
        );
        assert_eq!(text[6], "error: v.csv: … and 3 more problems in this file");
        assert_eq!(count_problems(&folded), 7 + 3 + 100);
    }

    #[test]
    fn counted_rows_with_none_listed_stay_as_they_are() {
        let line =
            DataError::more_rows("v.csv".into(), Some("id".into()), 4, "duplicate id".into());
        assert_eq!(fold_repeats(vec![line.clone()]), vec![line]);
    }

    #[test]
    fn five_of_a_kind_need_no_count() {
        let errors: Vec<DataError> = (3..=7).map(|r| dup(r, 2)).collect();
        let folded = fold_repeats(errors.clone());
        assert_eq!(folded, errors);
    }

    #[test]
    fn counted_lines_count_what_they_stand_for() {
        let listed = vec![dup(3, 2), dup(4, 2)];
        let all = with_unlisted(listed, 10, " problems in this file");
        assert_eq!(all.len(), 3);
        assert_eq!(
            all.last().unwrap().to_string(),
            "error: v.csv: … and 8 more problems in this file"
        );
        assert_eq!(count_problems(&all), 10);
        assert_eq!(with_unlisted(vec![dup(3, 2)], 1, "").len(), 1);
    }
}
