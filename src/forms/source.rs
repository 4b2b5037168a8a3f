//! Returned workbooks as a data set's tables: each merged table written as the CSV text the
//! ordinary path validates (so results are byte-identical to the CSV files'), and each problem
//! found in that text located back to its workbook, sheet and row.

use super::read::{Returned, Table};
use crate::data::DataError;
use std::path::{Path, PathBuf};

/// A folder of returned workbooks, read and merged.
#[derive(Debug)]
pub struct Source {
    pub folder: PathBuf,
    pub returned: Returned,
    /// Holds the merged tables' text while the data set is used.
    _dir: tempfile::TempDir,
    /// Per merged table (as `returned.tables`): its text's file as messages name it, and the
    /// line each row starts on.
    files: Vec<(String, Vec<u64>)>,
}

/// A merged table's file: its table, whether it is the baseline, and where its text is.
pub struct Merged {
    pub table: String,
    pub baseline: bool,
    pub path: PathBuf,
}

impl Source {
    /// Write each merged table's text, for the ordinary path to read.
    pub fn new(folder: &Path, returned: Returned) -> Result<(Source, Vec<Merged>), DataError> {
        let fail = |e: &dyn std::fmt::Display| {
            DataError::file(
                folder.display().to_string(),
                format!("cannot merge the returned workbooks: {e}"),
            )
        };
        let dir = tempfile::Builder::new()
            .prefix("bangfu-forms-")
            .tempdir()
            .map_err(|e| fail(&e))?;
        let mut files = Vec::new();
        let mut merged = Vec::new();
        for (i, t) in returned.tables.iter().enumerate() {
            let path = dir.path().join(format!(
                "{i}-{}{}.csv",
                t.table,
                if t.baseline { "-baseline" } else { "" }
            ));
            let starts = write_table(&path, t).map_err(|e| fail(&e))?;
            files.push((path.display().to_string(), starts));
            merged.push(Merged {
                table: t.table.clone(),
                baseline: t.baseline,
                path,
            });
        }
        Ok((
            Source {
                folder: folder.to_path_buf(),
                returned,
                _dir: dir,
                files,
            },
            merged,
        ))
    }

    /// A problem found in a merged table's text, named by the workbook, sheet and row it came
    /// from (a problem of the whole table, by the folder and the sheet's name).
    pub fn locate(&self, e: DataError) -> DataError {
        let mut e = self.place_row(e);
        // A message naming a merged table's text names the sheet instead.
        for ((file, _), table) in self.files.iter().zip(&self.returned.tables) {
            let sheet = self.whole(table);
            for text in [
                Some(&mut e.message),
                e.expected.as_mut(),
                e.help.as_mut(),
                e.note.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                if text.contains(file.as_str()) {
                    *text = text.replace(file.as_str(), &sheet);
                }
            }
        }
        // Yes/no cells of a workbook are 是 or 否.
        if e.expected.as_deref() == Some("`true` or `false`") {
            e.expected = Some("`是` or `否`".into());
        }
        e
    }

    /// A table's sheet in the returned workbooks, for a problem of the whole table.
    fn whole(&self, table: &Table) -> String {
        format!("{} (sheet {})", self.folder.display(), table.title)
    }

    /// The workbook, sheet and row of a problem in a merged table's text.
    fn place_row(&self, mut e: DataError) -> DataError {
        let Some((k, (_, starts))) = self
            .files
            .iter()
            .enumerate()
            .find(|(_, (f, _))| *f == e.file)
        else {
            return e;
        };
        let Some(table) = self.returned.tables.get(k) else {
            return e;
        };
        let whole = || self.whole(table);
        match e.row {
            Some(line) if line >= 2 && !e.is_more_rows() => {
                let i = starts.partition_point(|s| *s <= line).saturating_sub(1);
                match table.rows.get(i) {
                    Some((_, o)) => {
                        e.file = self.returned.place(o);
                        e.row = Some(o.row);
                    }
                    None => e.file = whole(),
                }
            }
            _ => {
                e.file = whole();
                e.row = None;
            }
        }
        e
    }

    /// [`Source::locate`] for each problem.
    pub fn locate_all(&self, errors: Vec<DataError>) -> Vec<DataError> {
        errors.into_iter().map(|e| self.locate(e)).collect()
    }
}

/// Write a table as CSV; the line each row starts on (the header is line 1).
fn write_table(path: &Path, t: &Table) -> Result<Vec<u64>, csv::Error> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(&t.names)?;
    let mut line = 2;
    let mut starts = Vec::with_capacity(t.rows.len());
    for (cells, _) in &t.rows {
        starts.push(line);
        w.write_record(cells)?;
        let breaks: usize = cells.iter().map(|c| c.matches('\n').count()).sum();
        line += 1 + breaks as u64;
    }
    w.flush()?;
    Ok(starts)
}
