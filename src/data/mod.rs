//! Data sets: a folder of tables (CSV in UTF-8 or GBK, or XLSX), an optional `dataset.yaml`,
//! and the typed, validated frames the engine scores. Every problem is reported with file,
//! row, column, value and what was expected; nothing is scored when any is found.

pub mod decode;
pub mod error;
pub mod frame;
pub mod lookup;
pub mod parse;
pub mod xlsx;

pub use error::DataError;
pub use frame::{Column, Frame, TextColumn};

use crate::rules::load::hex;
use crate::rules::model::Kind;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A declared text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// UTF-8 if the bytes are valid UTF-8, otherwise GB18030 (a superset of GBK).
    Auto,
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    Gbk,
    Gb18030,
}

/// One table file of a data set.
#[derive(Debug, Clone)]
pub struct TableFile {
    pub path: PathBuf,
    pub encoding: Encoding,
    pub sheet: Option<String>,
    /// When the run records hashes: the SHA-256 of the bytes parsed, taken while reading so
    /// the file is not read again (shared by the data set's copies).
    pub read_hash: Option<std::sync::Arc<std::sync::OnceLock<String>>>,
}

impl TableFile {
    /// The file's name as shown in messages (with the sheet, for a workbook).
    pub fn display(&self) -> String {
        match &self.sheet {
            Some(s) => format!("{} (sheet {s})", self.path.display()),
            None => self.path.display().to_string(),
        }
    }
}

/// A data set folder: where each table is, and its period.
#[derive(Debug, Clone)]
pub struct DataSet {
    pub dir: PathBuf,
    pub name: Option<String>,
    pub period: Option<String>,
    pub tables: BTreeMap<String, TableFile>,
    pub baseline: BTreeMap<String, TableFile>,
    /// When the folder holds returned data-entry workbooks: them, read and merged, with what
    /// locates a problem back to its workbook, sheet and row.
    pub forms: Option<std::sync::Arc<crate::forms::source::Source>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataSet {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    period: Option<crate::rules::raw::Text>,
    #[serde(default)]
    encoding: Option<Encoding>,
    #[serde(default)]
    tables: BTreeMap<String, RawTableRef>,
    #[serde(default)]
    baseline: BTreeMap<String, RawTableRef>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTableRef {
    File(String),
    Full(RawTableFull),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTableFull {
    file: String,
    #[serde(default)]
    encoding: Option<Encoding>,
    #[serde(default)]
    sheet: Option<String>,
}

/// A problem with the data set's description itself.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct DataSetError(pub String);

impl DataSet {
    /// Every file the data set names: its tables and their baselines.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        let workbooks = self
            .forms
            .iter()
            .flat_map(|f| f.returned.workbooks.iter().map(PathBuf::as_path));
        self.tables
            .values()
            .chain(self.baseline.values())
            .map(|t| t.path.as_path())
            .chain(workbooks)
    }

    /// Problems found in the merged tables of returned workbooks, named by the workbook, sheet
    /// and row each came from; other problems as they are.
    pub fn locate(&self, errors: Vec<DataError>) -> Vec<DataError> {
        match &self.forms {
            Some(f) => f.locate_all(errors),
            None => errors,
        }
    }

    /// A table file as messages name it: a table merged from returned workbooks by the folder
    /// and its sheet.
    pub fn name_of(&self, tf: &TableFile) -> String {
        let shown = tf.display();
        match &self.forms {
            Some(f) => f.locate(DataError::file(shown, String::new())).file,
            None => shown,
        }
    }

    /// A folder of returned data-entry workbooks (any `.xlsx` in it is a template): their
    /// sheets merged per table, read as the folder's tables. `None` for a folder of tables.
    fn returned_workbooks(&mut self) -> Result<bool, DataError> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Ok(false);
        };
        let mut paths: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                // Excel's and LibreOffice's lock files beside an open workbook are not tables.
                let lock = name.starts_with("~$") || name.starts_with(".~lock");
                let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase());
                // Workbooks saved in another format are reported, not passed over.
                !lock
                    && matches!(
                        ext.as_deref(),
                        Some("xlsx" | "csv" | "xls" | "et" | "ods" | "xlsm")
                    )
            })
            .collect();
        paths.sort();
        let any_template = paths.iter().any(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
                && crate::forms::read::is_template(p)
        });
        if !any_template {
            return Ok(false);
        }
        let returned = crate::forms::read::read_all(&paths);
        let (source, merged) = crate::forms::source::Source::new(&self.dir, returned)?;
        for m in merged {
            let tf = TableFile {
                path: m.path,
                encoding: Encoding::Utf8,
                sheet: None,
                read_hash: None,
            };
            if m.baseline {
                self.baseline.insert(m.table, tf);
            } else {
                self.tables.insert(m.table, tf);
            }
        }
        self.forms = Some(std::sync::Arc::new(source));
        Ok(true)
    }

    /// Open a data set folder, reading `dataset.yaml` if there is one.
    pub fn open(dir: &Path) -> Result<DataSet, DataError> {
        if !dir.is_dir() {
            let mut e = DataError::file(
                dir.display().to_string(),
                if dir.is_file() {
                    "this is a file; `--data` takes the data set's folder".into()
                } else {
                    "the data set folder does not exist".into()
                },
            );
            e.expected =
                Some("a folder with one CSV per table (`TABLE.csv`), as `data/sample/`".into());
            return Err(e);
        }
        let manifest = dir.join("dataset.yaml");
        let mut ds = DataSet {
            dir: dir.to_path_buf(),
            name: None,
            period: None,
            tables: BTreeMap::new(),
            baseline: BTreeMap::new(),
            forms: None,
        };
        if manifest.is_file() {
            let name = manifest.display().to_string();
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| DataError::file(name.clone(), format!("cannot read: {e}")))?;
            if let Some(slip) = crate::fullwidth::yaml_slips(&text).first() {
                let mut err = DataError::file(
                    format!("{name}:{}", slip.line),
                    format!(
                        "{} at column {} where YAML needs `{}`",
                        crate::fullwidth::describe(slip.ch),
                        slip.col,
                        crate::fullwidth::half_width(slip.ch).unwrap_or(slip.ch)
                    ),
                );
                err.help = Some(crate::fullwidth::help(slip.ch));
                return Err(err);
            }
            let raw: RawDataSet = serde_yaml::from_str(&text).map_err(|e| {
                let msg = e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or("")
                    .replace("unknown field", "unknown key");
                let mut err = DataError::file(name.clone(), msg.clone());
                err.row = e.location().map(|l| l.line() as u64);
                err.help = crate::rules::load::colon_help_at(&text, &msg, &e);
                // A duplicate key is reported where its mapping starts: name the second one.
                if let Some((key, a, b)) = crate::rules::load::duplicate_at(&text, &msg, &e) {
                    err.row = Some(b as u64);
                    err.help = Some(format!(
                        "each key may appear once; the first `{key}` is on line {a}"
                    ));
                }
                // A YAML file has lines, not rows: `dataset.yaml:13`.
                if let Some(line) = err.row.take() {
                    err.file = format!("{}:{line}", err.file);
                }
                err
            })?;
            ds.name = raw.name;
            ds.period = raw.period.map(|p| p.0);
            let default_enc = raw.encoding.unwrap_or(Encoding::Auto);
            let conv = |r: RawTableRef| match r {
                RawTableRef::File(f) => TableFile {
                    path: dir.join(f),
                    encoding: default_enc,
                    sheet: None,
                    read_hash: None,
                },
                RawTableRef::Full(t) => TableFile {
                    path: dir.join(t.file),
                    encoding: t.encoding.unwrap_or(default_enc),
                    sheet: t.sheet,
                    read_hash: None,
                },
            };
            ds.tables = raw.tables.into_iter().map(|(k, v)| (k, conv(v))).collect();
            ds.baseline = raw
                .baseline
                .into_iter()
                .map(|(k, v)| (k, conv(v)))
                .collect();
            // A `dataset.yaml` naming no tables (only a name, a period or an encoding) leaves
            // them to be found as without one.
            if ds.tables.is_empty() {
                ds.discover(default_enc)?;
            }
        } else {
            ds.discover(Encoding::Auto)?;
        }
        Ok(ds)
    }

    /// The tables of a folder whose `dataset.yaml` names none (or that has none): every
    /// `NAME.csv` or `NAME.xlsx` is table NAME, and `baseline.csv` the primary table's baseline
    /// unless one is named. Two files for one table are refused rather than one chosen silently.
    fn discover(&mut self, encoding: Encoding) -> Result<(), DataError> {
        if self.returned_workbooks()? {
            return Ok(());
        }
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Ok(());
        };
        let mut found: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            let (Some(stem), Some(ext)) = (
                p.file_stem().and_then(|s| s.to_str()),
                p.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            if ext == "csv" || ext == "xlsx" {
                found.entry(stem.to_string()).or_default().push(p.clone());
            }
        }
        for (stem, mut paths) in found {
            let named = if stem == "baseline" {
                !self.baseline.is_empty()
            } else {
                self.tables.contains_key(&stem)
            };
            if named {
                continue;
            }
            paths.sort();
            let [path] = paths.as_slice() else {
                let names: Vec<String> = paths
                    .iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| format!("`{}`", n.to_string_lossy()))
                    .collect();
                let mut e = DataError::file(
                    self.dir.display().to_string(),
                    format!("two files for the table `{stem}`: {}", names.join(" and ")),
                );
                e.help = Some(format!(
                    "keep one, or name the one to read in dataset.yaml (`tables: {{ {stem}: {} }}`)",
                    names.last().map_or("", |n| n.trim_matches('`'))
                ));
                return Err(e);
            };
            let tf = TableFile {
                path: path.clone(),
                encoding,
                sheet: None,
                read_hash: None,
            };
            if stem == "baseline" {
                self.baseline.insert(String::new(), tf);
            } else {
                self.tables.insert(stem, tf);
            }
        }
        Ok(())
    }

    /// What a missing table `name` needs: a file, or where `dataset.yaml` lists the tables.
    fn where_table_goes(&self, name: &str) -> String {
        if self.dir.join("dataset.yaml").is_file() && !self.tables.is_empty() {
            format!("an entry `{name}: FILE` under `tables:` in dataset.yaml, which lists the tables to read")
        } else {
            format!("a file `{name}.csv` (or an entry under `tables:` in dataset.yaml)")
        }
    }

    /// The file of table `name`.
    pub fn table(&self, name: &str) -> Result<&TableFile, DataError> {
        self.tables.get(name).ok_or_else(|| {
            let mut e = DataError::file(
                self.dir.display().to_string(),
                format!("no table `{name}` in the data set"),
            );
            e.expected = Some(self.where_table_goes(name));
            e
        })
    }

    /// The baseline file of table `name`, if any.
    pub fn baseline_of(&self, name: &str, primary: bool) -> Option<&TableFile> {
        self.baseline
            .get(name)
            .or_else(|| primary.then(|| self.baseline.get("")).flatten())
    }

    /// Record each CSV file's hash while it is read (for a run that writes a manifest).
    pub fn hash_while_reading(&mut self) {
        for tf in self.tables.values_mut().chain(self.baseline.values_mut()) {
            tf.read_hash = Some(Default::default());
        }
    }

    /// The data set's SHA-256 (over each file's name and own hash, in path order), and each
    /// file's own hash.
    pub fn hashes(&self) -> (String, Vec<(String, String)>) {
        let mut all = Sha256::new();
        let mut each = Vec::new();
        // Returned workbooks are the inputs, not the tables merged from them.
        let workbooks: Vec<TableFile> = self
            .forms
            .iter()
            .flat_map(|f| &f.returned.workbooks)
            .map(|p| TableFile {
                path: p.clone(),
                encoding: Encoding::Auto,
                sheet: None,
                read_hash: None,
            })
            .collect();
        let mut files: Vec<&TableFile> = if self.forms.is_some() {
            workbooks.iter().collect()
        } else {
            self.tables.values().chain(self.baseline.values()).collect()
        };
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        for f in files {
            // A file hashed while it was read is not read again.
            let known = f.read_hash.as_ref().and_then(|h| h.get()).cloned();
            let own = match known {
                Some(h) => Some(h),
                None => std::fs::read(&f.path)
                    .ok()
                    .map(|bytes| hex(&Sha256::digest(&bytes))),
            };
            if let Some(own) = own {
                // Named relative to the data set, so the same files hash the same from anywhere.
                let name = f
                    .path
                    .strip_prefix(&self.dir)
                    .unwrap_or(&f.path)
                    .to_string_lossy()
                    .replace('\\', "/");
                // The data set's hash covers each file's name and own hash, so every byte is
                // hashed once.
                all.update(name.as_bytes());
                all.update(b"\0");
                all.update(own.as_bytes());
                all.update(b"\n");
                each.push((name, own));
            }
        }
        (hex(&all.finalize()), each)
    }

    /// Load a unit kind's own table, if it has one. A unit kind without a table takes its ids
    /// from its links; one that reads columns or labels must have its table.
    pub fn load_unit(&self, kind: &Kind) -> Result<Option<Frame>, Vec<DataError>> {
        match self.tables.get(&kind.table) {
            Some(tf) => {
                let mut frame = parse::load_frame(kind, tf).map_err(|e| self.locate(e))?;
                lookup::attach(self, kind, &mut frame).map_err(|e| self.locate(e))?;
                frame.notes = self.locate(std::mem::take(&mut frame.notes));
                Ok(Some(frame))
            }
            None if kind.columns.iter().any(|c| c.from_data()) || kind.label_column.is_some() => {
                Err(vec![{
                    let mut e = DataError::file(
                        self.dir.display().to_string(),
                        format!(
                            "no table `{}` for the {} in the data set",
                            kind.table, kind.label
                        ),
                    );
                    e.expected = Some(self.where_table_goes(&kind.table));
                    e
                }])
            }
            None => Ok(None),
        }
    }

    /// Load and validate the primary table (and its baseline) for `kind`.
    pub fn load_primary(&self, kind: &Kind) -> Result<Frame, Vec<DataError>> {
        let problems = self
            .forms
            .as_ref()
            .map(|f| f.returned.problems.clone())
            .unwrap_or_default();
        match self.load_primary_table(kind) {
            Ok(mut frame) if problems.is_empty() => {
                frame.notes = self.locate(std::mem::take(&mut frame.notes));
                Ok(frame)
            }
            Ok(_) => Err(problems),
            Err(errs) => Err(problems.into_iter().chain(self.locate(errs)).collect()),
        }
    }

    /// [`DataSet::load_primary`] without the returned workbooks' own problems.
    fn load_primary_table(&self, kind: &Kind) -> Result<Frame, Vec<DataError>> {
        let tf = self.table(&kind.table).map_err(|e| vec![e])?;
        let mut frame = parse::load_frame(kind, tf)?;
        if kind.needs_baseline {
            let Some(bf) = self.baseline_of(&kind.table, true) else {
                let mut e = DataError::file(
                    self.dir.display().to_string(),
                    format!(
                        "the rules compare `{}` with a baseline, but the data set has none",
                        kind.table
                    ),
                );
                e.expected = Some(format!(
                    "`baseline: {{ {}: FILE }}` in dataset.yaml",
                    kind.table
                ));
                return Err(vec![e]);
            };
            parse::attach_baseline(kind, &mut frame, bf)?;
        }
        lookup::attach(self, kind, &mut frame)?;
        Ok(frame)
    }
}
