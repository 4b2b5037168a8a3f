//! CSV → typed frame. Large files without quoted fields are split at line boundaries and
//! parsed in parallel; the chunks are joined in file order, so results never depend on it.

use super::decode::decode;
use super::error::DataError;
use super::frame::{as_flag, as_int, Column, Frame, TextColumn, Values};
use super::TableFile;
use crate::diag::did_you_mean;
use crate::rules::model::{ColumnSpec, Kind, MissingPolicy, ValueType};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Errors listed per file before the rest are only counted.
pub const MAX_ERRORS: usize = 200;

/// Read a table file as text.
fn read_text(tf: &TableFile) -> Result<String, DataError> {
    let bytes = read_bytes(tf)?;
    // Valid UTF-8 becomes the text without a copy (a BOM is skipped when the header is read).
    if may_be_utf8(tf) && std::str::from_utf8(&bytes).is_ok() {
        return String::from_utf8(bytes)
            .map_err(|_| DataError::file(tf.display(), "the file is not valid UTF-8".into()));
    }
    decode_bytes(tf, &bytes)
}

/// Whether the file is read as UTF-8 when its bytes are valid UTF-8: a workbook's sheet always
/// is (it is converted to text), a CSV file unless it is declared GBK.
fn may_be_utf8(tf: &TableFile) -> bool {
    is_workbook(tf)
        || (tf.encoding != super::Encoding::Gbk && tf.encoding != super::Encoding::Gb18030)
}

/// A table file's bytes: a CSV file as it is (large files read in parallel parts), a
/// workbook's sheet as CSV text.
fn read_bytes(tf: &TableFile) -> Result<Vec<u8>, DataError> {
    if is_workbook(tf) {
        return super::xlsx::sheet_as_csv(&tf.path, tf.sheet.as_deref()).map(String::into_bytes);
    }
    let bytes = read_file(&tf.path).map_err(|e| {
        let mut err = DataError::file(tf.display(), format!("cannot read the file: {e}"));
        err.expected = Some("a readable CSV file".into());
        err
    })?;
    if let Some(e) = not_csv_text(tf, &bytes) {
        return Err(e);
    }
    Ok(classic_line_ends(bytes))
}

/// Why `bytes` are not a table's text, when they begin as another kind of file does: a
/// workbook, or text in an encoding tables are not read in.
fn not_csv_text(tf: &TableFile, bytes: &[u8]) -> Option<DataError> {
    const SAVE: &str = "save it as UTF-8 or GBK (in Excel: CSV UTF-8)";
    let kinds: [(&[u8], &str, &str); 4] = [
        (
            b"PK\x03\x04",
            "this is a workbook (or another zip file), not CSV text",
            "rename it to `.xlsx` (workbooks are read as they are), or save it from Excel as CSV",
        ),
        (
            b"\xD0\xCF\x11\xE0",
            "this is an Excel 97-2003 workbook (.xls), not CSV text",
            "save it from Excel as `.xlsx` or as CSV",
        ),
        (b"\xFF\xFE", "this is UTF-16 text", SAVE),
        (b"\xFE\xFF", "this is UTF-16 text", SAVE),
    ];
    // UTF-16 without a byte-order mark: ASCII text with a zero byte after (or before) each.
    let head = bytes.get(..bytes.len().min(64)).unwrap_or(bytes);
    let zeros_at = |odd: usize| {
        head.len() >= 8
            && head.iter().skip(odd).step_by(2).all(|b| *b == 0)
            && head.iter().skip(1 - odd).step_by(2).all(|b| *b != 0)
    };
    if zeros_at(1) || zeros_at(0) {
        let mut e = DataError::file(tf.display(), "this is UTF-16 text".into());
        e.help = Some(SAVE.into());
        return Some(e);
    }
    let (_, what, help) = kinds
        .iter()
        .find(|(magic, _, _)| bytes.starts_with(magic))?;
    let mut e = DataError::file(tf.display(), (*what).into());
    e.help = Some((*help).into());
    Some(e)
}

/// A file whose lines all end with a lone carriage return (as classic Mac OS and Excel's
/// "CSV (Macintosh)" save them), with line feeds instead; any other file as it is. Neither
/// UTF-8 nor GBK/GB18030 uses the byte inside a character, and a file without one line feed
/// has no other line end, so a line break inside a quoted cell becomes a line feed too.
fn classic_line_ends(mut bytes: Vec<u8>) -> Vec<u8> {
    // A usual file answers at its first line end.
    if memchr::memchr(b'\n', &bytes).is_none() {
        for b in bytes.iter_mut().filter(|b| **b == b'\r') {
            *b = b'\n';
        }
    }
    bytes
}

/// Whether the table is a sheet of a workbook (its text is converted, not the file's bytes).
fn is_workbook(tf: &TableFile) -> bool {
    tf.path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// A file's bytes; a large file is read in parts on every thread.
fn read_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        const PART: usize = 8 << 20;
        let f = std::fs::File::open(path)?;
        let len = usize::try_from(f.metadata()?.len()).unwrap_or(usize::MAX);
        if (2 * PART..usize::MAX).contains(&len) {
            let mut buf = vec![0u8; len];
            let read = buf
                .par_chunks_mut(PART)
                .enumerate()
                .try_for_each(|(i, part)| f.read_exact_at(part, (i * PART) as u64));
            // A file that changed size while read is read again, whole.
            let mut probe = [0u8; 1];
            if read.is_ok() && f.read_at(&mut probe, len as u64).ok() == Some(0) {
                return Ok(buf);
            }
        }
    }
    std::fs::read(path)
}

/// Bytes that are not UTF-8 (or a file declared GBK), decoded.
fn decode_bytes(tf: &TableFile, bytes: &[u8]) -> Result<String, DataError> {
    let name = tf.display();
    let text = decode(bytes, tf.encoding).map_err(|m| {
        let mut e = DataError::file(name.clone(), m.clone());
        // The row where the bad bytes start, when the message knows it.
        e.row = m
            .split("row ")
            .nth(1)
            .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok());
        e.help = Some(match tf.encoding {
            super::Encoding::Auto => {
                "save the file as UTF-8 or GBK, or declare `encoding:` in dataset.yaml".into()
            }
            declared => format!(
                "dataset.yaml declares this file {}: save it in that encoding, or change `encoding:`",
                match declared {
                    super::Encoding::Utf8 => "UTF-8",
                    super::Encoding::Gbk => "GBK",
                    _ => "GB18030",
                }
            ),
        });
        e
    })?;
    Ok(text.into_owned())
}

/// Where each needed column sits in the file.
struct Layout {
    id: usize,
    /// Further key columns, by name and position: a row's id is its key values joined by `/`.
    keys: Vec<(String, usize)>,
    label: Option<usize>,
    groups: Vec<(String, usize)>,
    cols: Vec<Option<usize>>,
    width: usize,
}

fn header_layout(
    kind: &Kind,
    file: &str,
    header: &csv::StringRecord,
    specs: &[&ColumnSpec],
    all: bool,
) -> Result<Layout, Vec<DataError>> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    // One header cell holding another separator: every column would be reported missing.
    if let [only] = names.as_slice() {
        let sep = [(';', "semicolons"), ('\t', "tabs"), ('|', "bars")]
            .into_iter()
            .find(|(c, _)| only.contains(*c) && *only != kind.id_column);
        if let Some((c, words)) = sep {
            let shown: String = only.chars().take(60).collect();
            let mut e = DataError::file(
                file.to_string(),
                format!(
                    "the header is one column, `{}{}`: the file's columns are separated by {words}, not commas",
                    shown.escape_debug(),
                    if shown.len() < only.len() { "…" } else { "" }
                ),
            );
            e.row = Some(1);
            e.help = Some(format!(
                "save the table as comma-separated CSV (in Excel: CSV UTF-8), or replace each `{}` with `,`",
                c.escape_debug()
            ));
            return Err(vec![e]);
        }
    }
    let mut errors = Vec::new();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            errors.push(DataError {
                row: Some(1),
                ..DataError::file(
                    file.to_string(),
                    format!("column {} has an empty header", i + 1),
                )
            });
        } else if names.iter().take(i).any(|m| m == n) {
            let mut e = DataError::file(
                file.to_string(),
                format!("column `{n}` appears twice in the header"),
            );
            e.row = Some(1);
            e.column = Some(n.clone());
            errors.push(e);
        }
    }
    let find = |name: &str, errors: &mut Vec<DataError>, why: String| -> Option<usize> {
        let pos = names.iter().position(|n| n == name);
        if pos.is_none() {
            let mut e =
                DataError::file(file.to_string(), format!("missing column `{name}` ({why})"));
            e.row = Some(1);
            e.column = Some(name.to_string());
            e.help = did_you_mean(name, names.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"));
            errors.push(e);
        }
        pos
    };
    let id = find(&kind.id_column, &mut errors, "the id column".into());
    let keys: Vec<(String, usize)> = kind
        .key_columns
        .iter()
        .filter_map(|k| find(k, &mut errors, "a key column".into()).map(|i| (k.clone(), i)))
        .collect();
    // A baseline table needs only the id and the compared columns.
    let label = kind
        .label_column
        .as_ref()
        .filter(|_| all)
        .and_then(|l| find(l, &mut errors, "the label column".into()));
    let groups = if all {
        kind.text_columns
            .iter()
            .filter_map(|g| {
                let why = if kind.group_by.contains(g) {
                    "a `group_by` column"
                } else {
                    "a column units are linked through"
                };
                find(g, &mut errors, why.into()).map(|i| (g.clone(), i))
            })
            .collect()
    } else {
        Vec::new()
    };
    let cols = specs
        .iter()
        .map(|s| {
            if (all || s.baseline) && s.from_data() {
                find(
                    &s.name,
                    &mut errors,
                    format!("read by the rules at {}", place(s)),
                )
            } else {
                None
            }
        })
        .collect();
    match id {
        Some(id) if errors.is_empty() => Ok(Layout {
            id,
            keys,
            label,
            groups,
            cols,
            width: names.len(),
        }),
        _ => Err(errors),
    }
}

fn place(s: &ColumnSpec) -> String {
    let f = s
        .origin
        .file
        .as_ref()
        .map(|f| f.name.as_str())
        .unwrap_or("the rules");
    if s.origin.line > 0 {
        format!("{f}:{}", s.origin.line)
    } else {
        f.to_string()
    }
}

/// What every chunk of one file is read against: the file's name (for messages), where each
/// needed column sits, and the columns' specifications.
#[derive(Clone, Copy)]
struct Reading<'a> {
    file: &'a str,
    layout: &'a Layout,
    specs: &'a [&'a ColumnSpec],
}

/// Parsed rows of one chunk.
#[derive(Default)]
struct Chunk<'d> {
    ids: TextColumn,
    rows: Vec<u64>,
    labels: TextColumn,
    groups: Vec<TextColumn>,
    cols: Vec<Part<'d>>,
    errors: Vec<DataError>,
    error_count: usize,
    /// Cells read from full-width digits (`１２`): per column, the first (line, text) and how
    /// many.
    widened: Vec<(usize, u64, String, usize)>,
}

/// One chunk's share of a joined column's storage: the chunk's values are written straight
/// into place, so joining the chunks copies nothing.
enum Slots<'d> {
    Flags(&'d mut [bool]),
    Ints(&'d mut [i32]),
    Floats(&'d mut [f64]),
}

impl Slots<'_> {
    fn len(&self) -> usize {
        match self {
            Slots::Flags(s) => s.len(),
            Slots::Ints(s) => s.len(),
            Slots::Floats(s) => s.len(),
        }
    }
}

impl Default for Slots<'_> {
    fn default() -> Self {
        Slots::Floats(&mut [])
    }
}

/// The values of one column from one chunk.
#[derive(Default)]
struct Part<'d> {
    slots: Slots<'d>,
    /// Rows read so far.
    filled: usize,
    /// Values the storage cannot hold exactly (a whole number beyond four bytes), and rows
    /// past the share: kept aside, by row, in row order.
    aside: Vec<(usize, f64)>,
    /// As [`Column::missing`]: empty when no cell is missing.
    missing: Vec<bool>,
    /// Categories in the order first met (a code is an index into it).
    dict: Vec<String>,
}

impl<'d> Part<'d> {
    fn new(slots: Slots<'d>, spec: &ColumnSpec) -> Part<'d> {
        Part {
            slots,
            dict: spec.categories.clone().unwrap_or_default(),
            ..Part::default()
        }
    }

    /// Append the value of the next row.
    #[inline]
    fn push(&mut self, v: f64) {
        let r = self.filled;
        self.filled += 1;
        let placed = match &mut self.slots {
            Slots::Flags(s) => match (s.get_mut(r), as_flag(v)) {
                (Some(slot), Some(b)) => {
                    *slot = b;
                    true
                }
                _ => false,
            },
            Slots::Ints(s) => match (s.get_mut(r), as_int(v)) {
                (Some(slot), Some(i)) => {
                    *slot = i;
                    true
                }
                _ => false,
            },
            Slots::Floats(s) => match s.get_mut(r) {
                Some(slot) => {
                    *slot = v;
                    true
                }
                None => false,
            },
        };
        if !placed {
            self.aside.push((r, v));
        }
    }

    /// The part without its share of storage.
    fn detach(self) -> Detached {
        Detached {
            filled: self.filled,
            aside: self.aside,
            missing: self.missing,
            dict: self.dict,
        }
    }
}

/// A [`Part`] once read: what the joined column needs besides its storage.
struct Detached {
    filled: usize,
    aside: Vec<(usize, f64)>,
    missing: Vec<bool>,
    dict: Vec<String>,
}

/// The rows a chunk's share of the columns holds: one per line end (`line_ends` of them), and
/// one for a last line without one.
fn share(chunk: &str, line_ends: usize) -> usize {
    line_ends + usize::from(!chunk.is_empty() && !chunk.ends_with('\n'))
}

/// `rest` cut into consecutive pieces of `shares` elements (the last ones shorter if it runs
/// out).
fn cut<'d, T>(mut rest: &'d mut [T], shares: &[usize]) -> Vec<&'d mut [T]> {
    shares
        .iter()
        .map(|&n| {
            let n = n.min(rest.len());
            let (piece, after) = std::mem::take(&mut rest).split_at_mut(n);
            rest = after;
            piece
        })
        .collect()
}

/// Each chunk's share of every column's storage: `out[chunk][column]`.
fn shares_of<'d>(store: &'d mut [Values], shares: &[usize]) -> Vec<Vec<Slots<'d>>> {
    let mut out: Vec<Vec<Slots<'d>>> = shares
        .iter()
        .map(|_| Vec::with_capacity(store.len()))
        .collect();
    for values in store.iter_mut() {
        let pieces: Vec<Slots<'d>> = match values {
            Values::Flags(v) => cut(v, shares).into_iter().map(Slots::Flags).collect(),
            Values::Ints(v) => cut(v, shares).into_iter().map(Slots::Ints).collect(),
            Values::Floats(v) => cut(v, shares).into_iter().map(Slots::Floats).collect(),
        };
        for (chunk, piece) in out.iter_mut().zip(pieces) {
            chunk.push(piece);
        }
    }
    out
}

/// Load the table of `kind` from `tf`: every column the rules read, typed and validated.
pub fn load_frame(kind: &Kind, tf: &TableFile) -> Result<Frame, Vec<DataError>> {
    let specs: Vec<&ColumnSpec> = kind.columns.iter().collect();
    load_with(kind, tf, &specs, true)
}

fn load_with(
    kind: &Kind,
    tf: &TableFile,
    specs: &[&ColumnSpec],
    all: bool,
) -> Result<Frame, Vec<DataError>> {
    let file = tf.display();
    let bytes = read_bytes(tf).map_err(|e| vec![e])?;
    // UTF-8 is checked piece by piece in parallel; other text is decoded first.
    let decoded: String;
    let (header_line, chunks) = match may_be_utf8(tf).then(|| utf8_pieces(&bytes)).flatten() {
        Some(split) => split,
        None => {
            decoded = decode_bytes(tf, &bytes).map_err(|e| vec![e])?;
            let (header_line, body) = split_header(&decoded);
            (header_line, split_body(body))
        }
    };
    if header_line.trim().is_empty() && chunks.iter().all(|c| c.trim().is_empty()) {
        let mut e = DataError::file(file, "the file is empty".into());
        e.expected = Some(format!(
            "a header row naming `{}` and the columns the rules read",
            kind.id_column
        ));
        return Err(vec![e]);
    }
    let body_start_line = 2;
    let header = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header_line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default();
    let layout = header_layout(kind, &file, &header, specs, all)?;

    // Each chunk's first line, from the line ends counted in parallel.
    let line_ends: Vec<u64> = chunks
        .par_iter()
        .map(|c| memchr::memchr_iter(b'\n', c.as_bytes()).count() as u64)
        .collect();
    let starts: Vec<u64> = line_ends
        .iter()
        .scan(body_start_line, |line, n| {
            let s = *line;
            *line += n;
            Some(s)
        })
        .collect();
    // Each chunk's share of the joined columns: a row per line end, and one for a last line
    // without one (a chunk holds no more records than that, unless lone carriage returns end
    // its lines: rows past the share are kept aside).
    let shares: Vec<usize> = chunks
        .iter()
        .zip(&line_ends)
        .map(|(c, &n)| share(c, n as usize))
        .collect();
    let mut store: Vec<Values> = specs
        .iter()
        .map(|s| Values::zeros(s.ty, shares.iter().sum()))
        .collect();
    // The file's hash, when the run records it, alongside the parsing: the bytes are read once.
    let hash = tf.read_hash.as_ref().filter(|_| !is_workbook(tf));
    let reading = Reading {
        file: &file,
        layout: &layout,
        specs,
    };
    let (_, parsed) = rayon::join(
        || {
            if let Some(h) = hash {
                h.get_or_init(|| crate::rules::load::hex(&Sha256::digest(&bytes)));
            }
        },
        || {
            chunks
                .par_iter()
                .zip(shares_of(&mut store, &shares))
                .zip(&starts)
                .map(|((c, slots), &start)| {
                    let mut ch = parse_chunk(c, start, slots, reading);
                    let parts = std::mem::take(&mut ch.cols)
                        .into_iter()
                        .map(Part::detach)
                        .collect::<Vec<_>>();
                    (ch, parts)
                })
                .collect::<Vec<(Chunk, Vec<Detached>)>>()
        },
    );
    // The text is no longer needed: freed before the columns are joined.
    drop(chunks);
    drop(bytes);
    let (mut parsed, parts): (Vec<Chunk>, Vec<Vec<Detached>>) = parsed.into_iter().unzip();
    let mut error_count = 0;
    let mut errors = Vec::new();
    let mut widened: Vec<(usize, u64, String, usize)> = Vec::new();
    for ch in &mut parsed {
        error_count += ch.error_count;
        errors.append(&mut ch.errors);
        for w in ch.widened.drain(..) {
            match widened.iter_mut().find(|x| x.0 == w.0) {
                Some(x) => x.3 += w.3,
                None => widened.push(w),
            }
        }
    }
    let mut frame = merge(parsed, &layout, kind.label_column.is_some() && all);
    frame.cols = join_columns(store, &shares, parts, specs);
    frame.file = file.clone();
    frame.notes = widened
        .into_iter()
        .map(|(k, line, raw, n)| {
            let column = specs.get(k).map_or("", |s| s.name.as_str());
            let x = crate::fullwidth::number(&raw).unwrap_or_default();
            let mut e = DataError::cell(
                &file,
                line,
                column,
                &raw,
                "full-width digits, read as a number",
                format!("`{x}`"),
            );
            e.expected = None;
            e.note = match n {
                0 | 1 => None,
                2 => Some("and 1 more cell of this column".into()),
                _ => Some(format!("and {} more cells of this column", n - 1)),
            };
            e.help = Some(format!(
                "read as {x}; write half-width digits (半角) to silence this note"
            ));
            e
        })
        .collect();

    // Order by id; duplicates sit side by side after sorting.
    let ids = &frame.ids;
    // Ids already in strictly increasing order (as files usually are) hold no duplicates.
    let increasing = (1..ids.len())
        .into_par_iter()
        .all(|i| ids.get(i - 1) < ids.get(i));
    if !increasing {
        let mut order: Vec<usize> = (0..frame.ids.len()).collect();
        order.par_sort_by(|&a, &b| frame.ids.get(a).cmp(&frame.ids.get(b)).then(a.cmp(&b)));
        frame.permute(&order);
    }
    let more_duplicates = if increasing {
        None
    } else {
        duplicate_ids(&frame, &key_name(kind), &mut errors, &mut error_count)?
    };
    if frame.ids.is_empty() && errors.is_empty() {
        let mut e = DataError::file(file.clone(), "the table has a header but no rows".into());
        e.expected = Some("at least one row".into());
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(frame)
    } else {
        errors.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.column.cmp(&b.column)));
        errors.extend(more_duplicates);
        Err(super::error::with_unlisted(
            errors,
            error_count,
            " problems in this file",
        ))
    }
}

/// The invariant every frame keeps: one file row per id. Broken, it is a bug, reported as one.
fn rows_match_ids(frame: &Frame) -> Result<(), Vec<DataError>> {
    if frame.rows.len() == frame.ids.len() {
        return Ok(());
    }
    Err(vec![DataError::file(
        frame.file.clone(),
        format!(
            "internal error: {} ids for {} rows; please report this as a bug",
            frame.ids.len(),
            frame.rows.len()
        ),
    )])
}

/// The key columns as messages name them: `village_id`, or `team_id, month`.
fn key_name(kind: &Kind) -> String {
    std::iter::once(&kind.id_column)
        .chain(&kind.key_columns)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every row whose id an earlier row of `frame` (sorted by id) already has, counted in
/// `count`: the first few listed in `errors` (while it has room), each naming the first row
/// of its id, and a line counting the rest, when there are more.
fn duplicate_ids(
    frame: &Frame,
    id_column: &str,
    errors: &mut Vec<DataError>,
    count: &mut usize,
) -> Result<Option<DataError>, Vec<DataError>> {
    const MESSAGE: &str = "duplicate id";
    rows_match_ids(frame)?;
    // Rows of one id sit side by side, in file order. Their rows are gathered first (a few
    // bytes each), so the rows listed are the first in the file, not the first by id.
    let mut repeats: Vec<(u64, u64, &str)> = Vec::new();
    let mut first: Option<(&str, u64)> = None;
    for (id, &row) in frame.ids.iter().zip(&frame.rows) {
        match first {
            Some((seen, at)) if seen == id => repeats.push((row, at, id)),
            _ => first = Some((id, row)),
        }
    }
    *count += repeats.len();
    repeats.sort_unstable();
    let room = MAX_ERRORS.saturating_sub(errors.len());
    let listed = repeats.len().min(super::error::SHOWN_PER_PROBLEM).min(room);
    for &(row, at, id) in repeats.iter().take(listed) {
        let mut e = DataError::cell(
            &frame.file,
            row,
            id_column,
            id,
            MESSAGE,
            "each id once".into(),
        );
        e.note = Some(format!("also on row {at}"));
        e.help = Some("every row needs its own id".into());
        errors.push(e);
    }
    let rest = repeats.len() - listed;
    Ok((rest > 0).then(|| {
        DataError::more_rows(
            frame.file.clone(),
            Some(id_column.to_string()),
            rest,
            MESSAGE.into(),
        )
    }))
}

/// File rows of records, counted from their byte offsets: a line ends with `\n` whether the
/// file uses LF or CRLF (as Excel saves it).
struct RowCounter<'t> {
    text: &'t [u8],
    counted_to: usize,
    newlines: u64,
    first_line: u64,
}

impl<'t> RowCounter<'t> {
    fn new(text: &'t str, first_line: u64) -> Self {
        RowCounter {
            text: text.as_bytes(),
            counted_to: 0,
            newlines: 0,
            first_line,
        }
    }

    /// The row of the record starting at `byte` (records come in order).
    fn row(&mut self, byte: Option<usize>) -> u64 {
        let mut start = byte.unwrap_or(self.counted_to);
        // A record's position may be that of line ends before it (the `\n` after a `\r`
        // terminator, or blank lines the reader skipped); the record starts after them.
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.counted_to {
            self.newlines += self
                .text
                .get(self.counted_to..start)
                .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count() as u64);
            self.counted_to = start;
        }
        self.first_line + self.newlines
    }
}

/// (header line, body): the body starts on line 2.
fn split_header(text: &str) -> (&str, &str) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match text.find('\n') {
        Some(i) => (text.get(..i).unwrap_or(""), text.get(i + 1..).unwrap_or("")),
        None => (text, ""),
    }
}

/// Where to cut a body into chunks for parallel parsing: after line ends, about evenly.
fn chunk_ranges(body: &[u8]) -> Vec<std::ops::Range<usize>> {
    const MIN_CHUNK: usize = 1 << 20;
    if body.len() < 2 * MIN_CHUNK {
        return std::iter::once(0..body.len()).collect();
    }
    let n = (rayon::current_num_threads() * 4).max(1);
    let target = (body.len() / n).max(MIN_CHUNK);
    let mut out = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut end = (start + target).min(body.len());
        if end < body.len() {
            end = body
                .get(end..)
                .and_then(|r| r.iter().position(|&b| b == b'\n'))
                .map(|i| end + i + 1)
                .unwrap_or(body.len());
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// Split the body into chunks at line ends, unless quoting could hide a line end.
fn split_body(body: &str) -> Vec<&str> {
    if memchr::memchr(b'"', body.as_bytes()).is_some() {
        return vec![body];
    }
    chunk_ranges(body.as_bytes())
        .into_iter()
        .map(|r| body.get(r).unwrap_or(""))
        .collect()
}

/// The header line and the body's chunks of bytes that are UTF-8, each chunk checked on its
/// own thread (a line end never sits inside a character). None if any part is not UTF-8.
fn utf8_pieces(bytes: &[u8]) -> Option<(&str, Vec<&str>)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (head, body) = match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => (bytes.get(..i)?, bytes.get(i + 1..)?),
        None => (bytes, &[][..]),
    };
    let header = std::str::from_utf8(head).ok()?;
    let chunks: Vec<&str> = chunk_ranges(body)
        .into_par_iter()
        .map(|r| body.get(r).and_then(|b| std::str::from_utf8(b).ok()))
        .collect::<Option<_>>()?;
    // A quoted field may hold a line end: such a body is parsed as one chunk.
    if chunks.len() > 1
        && chunks
            .par_iter()
            .any(|c| memchr::memchr(b'"', c.as_bytes()).is_some())
    {
        return Some((header, vec![std::str::from_utf8(body).ok()?]));
    }
    Some((header, chunks))
}

/// Join the chunks' texts in file order, column by column in parallel, each chunk's part freed
/// once copied.
fn merge(parsed: Vec<Chunk>, layout: &Layout, labels: bool) -> Frame {
    let n: usize = parsed.iter().map(|c| c.ids.len()).sum();
    // The chunks' parts, column by column.
    let mut ids = Vec::with_capacity(parsed.len());
    let mut label_parts = Vec::with_capacity(parsed.len());
    let mut rows = Vec::with_capacity(n);
    let mut groups: Vec<Vec<TextColumn>> = vec![Vec::new(); layout.groups.len()];
    for ch in parsed {
        ids.push(ch.ids);
        label_parts.push(ch.labels);
        rows.extend_from_slice(&ch.rows);
        for (g, part) in groups.iter_mut().zip(ch.groups) {
            g.push(part);
        }
    }
    let join = |parts: Vec<TextColumn>| {
        let mut col = TextColumn::with_capacity(n, parts.iter().map(TextColumn::text_len).sum());
        for p in parts {
            col.extend_from(&p);
        }
        col
    };
    let ((ids, labels), groups) = rayon::join(
        || rayon::join(|| join(ids), || labels.then(|| join(label_parts))),
        || {
            groups
                .into_par_iter()
                .zip(&layout.groups)
                .map(|(parts, (name, _))| (name.clone(), join(parts)))
                .collect()
        },
    );
    Frame {
        ids: ids.into(),
        rows,
        labels,
        groups,
        ..Frame::default()
    }
}

/// The typed columns from their storage, each chunk's rows in its share (`parts[chunk]`, a
/// part per column), in parallel.
fn join_columns(
    store: Vec<Values>,
    shares: &[usize],
    parts: Vec<Vec<Detached>>,
    specs: &[&ColumnSpec],
) -> Vec<Column> {
    let mut by_column: Vec<Vec<Detached>> = specs.iter().map(|_| Vec::new()).collect();
    for chunk in parts {
        for (c, part) in by_column.iter_mut().zip(chunk) {
            c.push(part);
        }
    }
    store
        .into_par_iter()
        .zip(by_column)
        .zip(specs)
        .map(|((values, parts), spec)| join_column(values, shares, parts, spec))
        .collect()
}

/// One column from its storage, where chunk `i`'s part has its rows at the start of its share
/// (`shares[i]` rows, laid end to end). When every part filled its share exactly, as parts of
/// a file without blank lines do, the storage is the column as it is; otherwise the rows are
/// moved up.
fn join_column(
    values: Values,
    shares: &[usize],
    parts: Vec<Detached>,
    spec: &ColumnSpec,
) -> Column {
    let declared = spec.categories.is_some();
    let mut dict = spec.categories.clone().unwrap_or_default();
    // Undeclared categories: each part's codes become codes of the joined dictionary.
    let mut index: HashMap<String, u32> = HashMap::new();
    let maps: Vec<Option<Vec<u32>>> = parts
        .iter()
        .map(|p| {
            if declared || p.dict.is_empty() {
                return None;
            }
            let map: Vec<u32> = p
                .dict
                .iter()
                .map(|v| {
                    *index.entry(v.clone()).or_insert_with(|| {
                        dict.push(v.clone());
                        (dict.len() - 1) as u32
                    })
                })
                .collect();
            let identity = map.iter().enumerate().all(|(i, &m)| m as usize == i);
            (!identity).then_some(map)
        })
        .collect();
    let code = |map: &Option<Vec<u32>>, v: f64| match map {
        Some(map) => map.get(v as usize).map_or(v, |&m| f64::from(m)),
        None => v,
    };
    // Every part within its share: its rows are moved up in place behind the part before
    // (not at all when every share is full, as in a file without blank lines).
    let within = parts.iter().zip(shares).all(|(p, &n)| p.filled <= n);
    let any_missing = parts.iter().any(|p| !p.missing.is_empty());
    let mut missing = Vec::new();
    let values = if within {
        let mut values = values;
        let (mut at, mut to) = (0, 0);
        for ((p, &n), map) in parts.iter().zip(shares).zip(&maps) {
            if to != at {
                values.copy_within(at..at + p.filled, to);
            }
            if map.is_some() {
                for r in to..to + p.filled {
                    let v = values.get(r).unwrap_or(0.0);
                    values.set(r, code(map, v));
                }
            }
            for &(r, v) in &p.aside {
                values.set(to + r, code(map, v));
            }
            at += n;
            to += p.filled;
        }
        values.truncate(to);
        values
    } else {
        // A part past its share (lines ended by lone carriage returns): built anew.
        let rows: usize = parts.iter().map(|p| p.filled).sum();
        let mut out = values.like(rows);
        let mut at = 0;
        for ((p, &n), map) in parts.iter().zip(shares).zip(&maps) {
            let mut aside = p.aside.iter().peekable();
            for r in 0..p.filled {
                let v = match aside.next_if(|&&(a, _)| a == r) {
                    Some(&(_, v)) => v,
                    None => values.get(at + r).unwrap_or(0.0),
                };
                out.push(code(map, v));
            }
            at += n;
        }
        out
    };
    if any_missing {
        for p in &parts {
            if p.missing.is_empty() {
                missing.resize(missing.len() + p.filled, false);
            } else {
                missing.extend_from_slice(&p.missing);
            }
        }
    }
    Column {
        values,
        missing,
        dict,
    }
}

/// Whether a chunk can be split at commas and line ends: no quotes, and no carriage return
/// other than in a CRLF line end.
fn plain(text: &str) -> bool {
    let b = text.as_bytes();
    // Most files hold neither: one search for both.
    if memchr::memchr2(b'"', b'\r', b).is_none() {
        return true;
    }
    if memchr::memchr(b'"', b).is_some() {
        return false;
    }
    memchr::memchr_iter(b'\r', b).all(|i| b.get(i + 1) == Some(&b'\n'))
}

/// `s` without surrounding whitespace; most cells have none, and are returned at once.
fn trimmed(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Parse one chunk, its typed values into `slots` (a share of each column's storage, a row
/// per line).
fn parse_chunk<'d>(text: &str, first_line: u64, slots: Vec<Slots<'d>>, rd: Reading) -> Chunk<'d> {
    let Reading { layout, specs, .. } = rd;
    let rows = match slots.first() {
        Some(s) => s.len(),
        None => memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1,
    };
    let mut ch = Chunk {
        ids: TextColumn::with_capacity(rows, 0),
        rows: Vec::with_capacity(rows),
        cols: slots
            .into_iter()
            .zip(specs)
            .map(|(slots, spec)| Part::new(slots, spec))
            .collect(),
        groups: vec![TextColumn::default(); layout.groups.len()],
        ..Chunk::default()
    };
    if plain(text) {
        parse_plain(&mut ch, text, first_line, rd);
    } else {
        parse_quoted(&mut ch, text, first_line, rd);
    }
    ch
}

/// A chunk without quotes, in one pass over the bytes: fields are the text between commas,
/// and a line ends at `\n` (after an optional `\r`; no other `\r` is in such a chunk).
fn parse_plain(ch: &mut Chunk, text: &str, first_line: u64, rd: Reading) {
    let mut fields: Vec<&str> = Vec::with_capacity(rd.layout.width);
    let mut batch = Batch::new(rd.layout.width);
    let bytes = text.as_bytes();
    let (mut start, mut line) = (0, first_line);
    // Commas and line ends found eight bytes at a time (one mask per word, no branch per byte).
    for (w, word) in separators(bytes) {
        let mut m = word;
        while m != 0 {
            let i = w + (m.trailing_zeros() / 8) as usize;
            m &= m - 1;
            if bytes.get(i) == Some(&b',') {
                fields.push(text.get(start..i).unwrap_or(""));
            } else {
                let end = if i > start && bytes.get(i - 1) == Some(&b'\r') {
                    i - 1
                } else {
                    i
                };
                fields.push(text.get(start..end).unwrap_or(""));
                batch.end_row(ch, line, &mut fields, rd);
                line += 1;
            }
            start = i + 1;
        }
    }
    if start < bytes.len() || !fields.is_empty() {
        fields.push(text.get(start..).unwrap_or(""));
    }
    batch.end_row(ch, line, &mut fields, rd);
    batch.flush(ch, rd);
}

/// For each eight-byte word of `bytes` (the last one padded), its offset and a mask with the
/// high bit of every byte that is a comma or a line end.
fn separators(bytes: &[u8]) -> impl Iterator<Item = (usize, u64)> + '_ {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The high bit of each byte of `x` that is zero, exactly (no carry between bytes).
    let zero_bytes = |x: u64| !(((x & LOW7) + LOW7) | x | LOW7);
    let whole = bytes.chunks_exact(8);
    // The last few bytes, padded with zeros (neither a comma nor a line end).
    let mut last = [0u8; 8];
    for (d, s) in last.iter_mut().zip(whole.remainder()) {
        *d = *s;
    }
    let tail = (!whole.remainder().is_empty()).then_some(u64::from_le_bytes(last));
    let words = whole
        .map(|c| <[u8; 8]>::try_from(c).map_or(0, u64::from_le_bytes))
        .chain(tail);
    words.enumerate().map(move |(k, x)| {
        let m =
            zero_bytes(x ^ (ONES * u64::from(b','))) | zero_bytes(x ^ (ONES * u64::from(b'\n')));
        (k * 8, m)
    })
}

/// Kept rows of a quote-free chunk waiting for their typed cells.
struct Batch<'t> {
    fields: Vec<&'t str>,
    lines: Vec<u64>,
    problems: Vec<DataError>,
}

impl<'t> Batch<'t> {
    fn new(width: usize) -> Batch<'t> {
        Batch {
            fields: Vec::with_capacity(BATCH * width),
            lines: Vec::with_capacity(BATCH),
            problems: Vec::new(),
        }
    }

    /// The record whose fields are `row` (emptied for the next one) ends on `line`.
    fn end_row(&mut self, ch: &mut Chunk, line: u64, row: &mut Vec<&'t str>, rd: Reading) {
        if row.is_empty() {
            return;
        }
        let kept = row_head(ch, line, row, rd, &mut self.problems);
        if !self.problems.is_empty() {
            // The rows before first, so that problems are recorded in row order.
            self.flush(ch, rd);
            for e in self.problems.drain(..) {
                push_err(ch, e);
            }
        }
        if kept {
            self.fields.extend_from_slice(row);
            self.lines.push(line);
        }
        row.clear();
        if self.lines.len() == BATCH {
            self.flush(ch, rd);
        }
    }

    /// The typed cells of the rows waiting.
    fn flush(&mut self, ch: &mut Chunk, rd: Reading) {
        typed_cells(ch, &self.lines, &self.fields, rd);
        self.fields.clear();
        self.lines.clear();
    }
}

/// A chunk with quoted fields, read by the CSV reader.
fn parse_quoted(ch: &mut Chunk, text: &str, first_line: u64, rd: Reading) {
    let Reading { file, .. } = rd;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // Records as text: the chunk is already valid UTF-8, checked once per record, not per cell.
    let mut rec = csv::StringRecord::new();
    let mut rows = RowCounter::new(text, first_line);
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line() + first_line - 1);
                let mut err = DataError::file(
                    file.to_string(),
                    format!(
                        "unreadable CSV: {}",
                        e.to_string().split(": ").last().unwrap_or("")
                    ),
                );
                err.row = line;
                push_err(ch, err);
                break;
            }
        }
        let line = rows.row(rec.position().map(|p| p.byte() as usize));
        let fields: Vec<&str> = rec.iter().collect();
        record(ch, line, &fields, rd);
    }
}

fn push_err(ch: &mut Chunk, e: DataError) {
    ch.error_count += 1;
    if ch.errors.len() < MAX_ERRORS {
        ch.errors.push(e);
    }
}

/// Rows whose typed cells are read together, one column at a time: each column's type and
/// checks stay the same over its run of cells, and the next cell is close by.
const BATCH: usize = 256;

/// One record: its id, label, texts and typed values.
fn record(ch: &mut Chunk, line: u64, rec: &[&str], rd: Reading) {
    let mut problems = Vec::new();
    let kept = row_head(ch, line, rec, rd, &mut problems);
    for e in problems {
        push_err(ch, e);
    }
    if kept {
        typed_cells(ch, &[line], rec, rd);
    }
}

/// The id, label and texts of one record. False when the record holds no row (blank, the
/// wrong width, or no id); its problems go to `problems`.
fn row_head(
    ch: &mut Chunk,
    line: u64,
    rec: &[&str],
    rd: Reading,
    problems: &mut Vec<DataError>,
) -> bool {
    let Reading { file, layout, .. } = rd;
    if rec
        .iter()
        .all(|f| f.bytes().all(|b| b.is_ascii_whitespace()))
    {
        return false; // a blank line, or a row of empty cells as spreadsheets leave behind
    }
    if rec.len() != layout.width {
        let mut e = DataError::file(
            file.to_string(),
            format!(
                "the row has {} fields but the header has {}",
                rec.len(),
                layout.width
            ),
        );
        e.row = Some(line);
        e.expected = Some(format!("{} comma-separated fields", layout.width));
        problems.push(e);
        return false;
    }
    let field = |i: usize| -> &str { trimmed(rec.get(i).copied().unwrap_or("")) };
    // A kind keyed by several columns: the id is the key values joined by `/`.
    let joined;
    let id = if layout.keys.is_empty() || field(layout.id).is_empty() {
        field(layout.id)
    } else {
        let parts: Vec<&str> = std::iter::once(layout.id)
            .chain(layout.keys.iter().map(|(_, i)| *i))
            .map(field)
            .collect();
        // `/` joins the key values: inside one, two keys could read as the same id.
        if let Some(part) = parts.iter().find(|p| p.contains('/')) {
            let mut e = DataError::cell(
                file,
                line,
                "",
                part,
                "a key value may not contain `/`, which joins the key columns",
                "a value without `/`".into(),
            );
            e.column = None;
            problems.push(e);
            return false;
        }
        if let Some((name, _)) = layout.keys.iter().find(|(_, i)| field(*i).is_empty()) {
            let mut e = DataError::cell(file, line, name, "", "empty key", "a value".into());
            e.value = None;
            e.message = format!("the key column `{name}` is empty");
            problems.push(e);
            return false;
        }
        joined = parts.join("/");
        joined.as_str()
    };
    if id.is_empty() {
        let mut e = DataError::cell(file, line, "", "", "empty id", "an id".into());
        e.column = None;
        e.value = None;
        e.message = "the id is empty".into();
        problems.push(e);
        return false;
    }
    if id
        .chars()
        .any(|c| c.is_whitespace() || c == '\u{feff}' || c.is_control())
    {
        let mut e = DataError::cell(
            file,
            line,
            "",
            id,
            "an id may not contain spaces or invisible characters",
            "an id like `V01`".into(),
        );
        e.column = None;
        problems.push(e);
    }
    ch.ids.push(id);
    ch.rows.push(line);
    if let Some(l) = layout.label {
        ch.labels.push(field(l));
    }
    for (g, (_, i)) in ch.groups.iter_mut().zip(&layout.groups) {
        g.push(field(*i));
    }
    true
}

/// The typed values of rows on `lines`, whose fields lie end to end in `fields` (a row's
/// worth each), one column at a time. Problems are recorded in row order, then column order,
/// as if the rows had been read one by one.
fn typed_cells(ch: &mut Chunk, lines: &[u64], fields: &[&str], rd: Reading) {
    let Reading {
        file,
        layout,
        specs,
    } = rd;
    let width = layout.width.max(1);
    let mut problems: Vec<(usize, usize, DataError)> = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        let Some(col) = ch.cols.get_mut(k) else {
            continue;
        };
        let Some(Some(pos)) = layout.cols.get(k) else {
            for _ in lines {
                col.push(0.0);
            }
            continue;
        };
        let cells = fields.iter().skip(*pos).step_by(width);
        for (r, (raw, &line)) in cells.zip(lines).enumerate() {
            let raw = trimmed(raw);
            match parse_cell(raw, spec, &mut col.dict) {
                Cell::Value(v) => {
                    col.push(v);
                    if !col.missing.is_empty() {
                        col.missing.push(false);
                    }
                }
                Cell::Widened(v) => {
                    col.push(v);
                    if !col.missing.is_empty() {
                        col.missing.push(false);
                    }
                    match ch.widened.iter_mut().find(|w| w.0 == k) {
                        Some(w) => w.3 += 1,
                        None => ch.widened.push((k, line, raw.to_string(), 1)),
                    }
                }
                Cell::Missing => {
                    col.push(0.0);
                    if spec.missing == MissingPolicy::Fail {
                        if col.missing.is_empty() {
                            col.missing = vec![false; col.filled - 1];
                        }
                        col.missing.push(true);
                    } else if !col.missing.is_empty() {
                        col.missing.push(false);
                    }
                }
                Cell::Bad(msg, expected) => {
                    col.push(0.0);
                    if !col.missing.is_empty() {
                        col.missing.push(false);
                    }
                    let mut e = DataError::cell(file, line, &spec.name, raw, &msg, expected);
                    if raw.is_empty() {
                        e.value = None;
                        e.help = Some(format!(
                            "fill the cell, or set `missing: zero` or `missing: fail` for `{}` in the rules",
                            spec.name
                        ));
                    }
                    problems.push((r, k, e));
                }
            }
        }
    }
    problems.sort_by_key(|&(r, k, _)| (r, k));
    for (_, _, e) in problems {
        push_err(ch, e);
    }
}

enum Cell {
    Value(f64),
    /// A number written in full-width digits, read as its half-width form.
    Widened(f64),
    Missing,
    Bad(String, String),
}

fn parse_cell(raw: &str, spec: &ColumnSpec, dict: &mut Vec<String>) -> Cell {
    if raw.is_empty() {
        return match spec.missing {
            MissingPolicy::Error => Cell::Bad("the cell is empty".into(), expected(spec)),
            MissingPolicy::Zero | MissingPolicy::Fail => Cell::Missing,
        };
    }
    let v = match spec.ty {
        ValueType::Number | ValueType::Integer => {
            let (x, widened) = match parse_number(raw) {
                Some(x) => (x, false),
                // Typed on a Chinese keyboard: `１２` is 12 (said by `check`).
                None => match crate::fullwidth::number(raw).and_then(|a| parse_number(&a)) {
                    Some(x) => (x, true),
                    None => return Cell::Bad("not a number".into(), expected(spec)),
                },
            };
            if !x.is_finite() {
                return Cell::Bad("NaN and infinity are not values".into(), expected(spec));
            }
            // Whole below 9e15: the same through an integer (no library call per cell).
            if spec.ty == ValueType::Integer && x.abs() > 9.0e15 {
                return Cell::Bad(
                    "too large to count exactly (beyond 9,000,000,000,000,000)".into(),
                    expected(spec),
                );
            }
            if spec.ty == ValueType::Integer && x as i64 as f64 != x {
                return Cell::Bad("not a whole number".into(), expected(spec));
            }
            if widened {
                if spec.min.is_some_and(|m| x < m) || spec.max.is_some_and(|m| x > m) {
                    return Cell::Bad("out of range".into(), expected(spec));
                }
                return Cell::Widened(x);
            }
            x
        }
        ValueType::Bool => {
            let is = |words: &[&str]| words.iter().any(|w| raw.eq_ignore_ascii_case(w));
            // The usual spellings first, compared whole.
            if matches!(raw, "true" | "1" | "TRUE" | "True") {
                1.0
            } else if matches!(raw, "false" | "0" | "FALSE" | "False") {
                0.0
            } else if is(&["true", "1", "yes", "y", "是", "t"]) {
                1.0
            } else if is(&["false", "0", "no", "n", "否", "f"]) {
                0.0
            } else {
                return Cell::Bad("not true or false".into(), expected(spec));
            }
        }
        ValueType::Category => match dict.iter().position(|d| d == raw) {
            Some(i) => i as f64,
            None if spec.categories.is_some() => {
                return Cell::Bad("not one of the categories".into(), expected(spec))
            }
            None => {
                dict.push(raw.to_string());
                (dict.len() - 1) as f64
            }
        },
    };
    if spec.min.is_some_and(|m| v < m) || spec.max.is_some_and(|m| v > m) {
        return Cell::Bad("out of range".into(), expected(spec));
    }
    Cell::Value(v)
}

/// A number as Rust's `f64` parser reads it. Plain decimals of up to 15 significant digits (what
/// data files hold) take a fast path: the digits as an integer divided by a power of ten, both
/// exact in `f64`, so the one rounding of the division gives the same, correctly rounded, value.
pub fn parse_number(raw: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let b = raw.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, b.get(1..).unwrap_or(&[])),
        Some(b'+') => (false, b.get(1..).unwrap_or(&[])),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    let (mut count, mut decimals, mut seen_dot, mut any) = (0usize, 0usize, false, false);
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                any = true;
                if mantissa != 0 || c != b'0' {
                    count += 1;
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
                if seen_dot {
                    decimals += 1;
                }
                if count > 15 || decimals > 15 {
                    return raw.parse().ok();
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            // Exponents, `inf`, `NaN` and anything else: the full parser decides.
            _ => return raw.parse().ok(),
        }
    }
    if !any {
        return raw.parse().ok();
    }
    // Whole numbers (most cells) need no division.
    let x = if decimals == 0 {
        mantissa as f64
    } else {
        mantissa as f64 / POW10.get(decimals).copied()?
    };
    Some(if neg { -x } else { x })
}

/// What a column accepts, in words.
fn expected(spec: &ColumnSpec) -> String {
    let base = match spec.ty {
        ValueType::Number => "a number".to_string(),
        ValueType::Integer => "a whole number".to_string(),
        ValueType::Bool => "`true` or `false`".to_string(),
        ValueType::Category => match &spec.categories {
            Some(c) => format!(
                "one of {}",
                c.iter()
                    .map(|x| format!("`{x}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "a category".to_string(),
        },
    };
    let fmt = crate::words::fmt_num;
    match (spec.min, spec.max) {
        (Some(lo), Some(hi)) => format!("{base} from {} to {}", fmt(lo), fmt(hi)),
        (Some(lo), None) => format!("{base} of at least {}", fmt(lo)),
        (None, Some(hi)) => format!("{base} of at most {}", fmt(hi)),
        (None, None) => base,
    }
}

/// Read the baseline table and attach its values to `frame`, matched by id.
pub fn attach_baseline(
    kind: &Kind,
    frame: &mut Frame,
    tf: &TableFile,
) -> Result<(), Vec<DataError>> {
    let specs: Vec<&ColumnSpec> = kind.columns.iter().collect();
    let base = load_with(kind, tf, &specs, false)?;
    rows_match_ids(frame)?;
    // The rows of entities missing from the baseline (a few bytes each), listed in file order.
    let mut missing: Vec<(u64, usize)> = Vec::new();
    let mut cols: Vec<Option<Vec<f64>>> = kind
        .columns
        .iter()
        .map(|c| c.baseline.then(|| Vec::with_capacity(frame.len())))
        .collect();
    for ((r, id), &row) in frame.ids.iter().enumerate().zip(&frame.rows) {
        match base.find(id) {
            Some(b) => {
                for (k, out) in cols.iter_mut().enumerate() {
                    if let (Some(out), Some(col)) = (out.as_mut(), base.cols.get(k)) {
                        out.push(col.values.get(b).unwrap_or(0.0));
                    }
                }
            }
            None => {
                missing.push((row, r));
                for out in cols.iter_mut().flatten() {
                    out.push(0.0);
                }
            }
        }
    }
    if !missing.is_empty() {
        const MESSAGE: &str = "this entity is missing from the baseline";
        missing.sort_unstable();
        let listed = missing.len().min(super::error::SHOWN_PER_PROBLEM);
        let mut errors: Vec<DataError> = missing
            .iter()
            .take(listed)
            .map(|&(row, r)| {
                let id = frame.id(r);
                let mut e = DataError::cell(
                    &frame.file,
                    row,
                    &kind.id_column,
                    id,
                    MESSAGE,
                    format!("a row for `{id}` in {}", tf.display()),
                );
                e.help = Some("every assessed entity needs its start-of-programme values".into());
                e
            })
            .collect();
        if missing.len() > listed {
            errors.push(DataError::more_rows(
                frame.file.clone(),
                Some(kind.id_column.clone()),
                missing.len() - listed,
                MESSAGE.into(),
            ));
        }
        return Err(errors);
    }
    frame.baseline = cols;
    Ok(())
}

/// The header names of a table file (for `check`): reads only the first line.
pub fn read_header(tf: &TableFile) -> Result<Vec<String>, DataError> {
    use std::io::BufRead;
    let name = tf.display();
    if tf
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        let text = read_text(tf)?;
        let (line, _) = split_header(&text);
        let rec = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
            .unwrap_or_default();
        return Ok(rec.iter().map(|h| h.trim().to_string()).collect());
    }
    let f = std::fs::File::open(&tf.path)
        .map_err(|e| DataError::file(name.clone(), format!("cannot read the file: {e}")))?;
    let mut first = Vec::new();
    std::io::BufReader::new(f)
        .read_until(b'\n', &mut first)
        .map_err(|e| DataError::file(name.clone(), format!("cannot read the file: {e}")))?;
    let text = decode(&first, tf.encoding).map_err(|m| DataError::file(name, m))?;
    let line = text
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\n', '\r']);
    let rec = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default();
    Ok(rec.iter().map(|h| h.trim().to_string()).collect())
}

/// One row of a link table: (unit id, village id, file row).
pub type Pair = (String, String, u64);

/// Read the two id columns of a link table.
pub fn read_pairs(
    tf: &TableFile,
    unit_col: &str,
    village_col: &str,
) -> Result<Vec<Pair>, Vec<DataError>> {
    let file = tf.display();
    let text = read_text(tf).map_err(|e| vec![e])?;
    let (header_line, body) = split_header(&text);
    let first = 2;
    let header: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header_line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| {
            r.iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut errors = Vec::new();
    let mut find = |name: &str| {
        let pos = header.iter().position(|h| h == name);
        if pos.is_none() {
            let mut e = DataError::file(
                file.clone(),
                format!("missing column `{name}` (a link column)"),
            );
            e.row = Some(1);
            e.column = Some(name.to_string());
            e.help = did_you_mean(name, header.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"));
            errors.push(e);
        }
        pos
    };
    let (u, v) = (find(unit_col), find(village_col));
    let (Some(u), Some(v)) = (u, v) else {
        return Err(errors);
    };
    let mut out = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut rows = RowCounter::new(body, first);
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let mut err = DataError::file(file.clone(), format!("unreadable CSV: {e}"));
                err.row = e.position().map(|p| p.line() + first - 1);
                errors.push(err);
                break;
            }
        };
        let row = rows.row(rec.position().map(|p| p.byte() as usize));
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let (a, b) = (get(u), get(v));
        if a.is_empty() || b.is_empty() {
            let col = if a.is_empty() { unit_col } else { village_col };
            errors.push(DataError::cell(
                &file,
                row,
                col,
                "",
                "the link cell is empty",
                "an id".into(),
            ));
            continue;
        }
        out.push((a, b, row));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The cells of the named columns, row by row (blank rows skipped), with each row's number in
/// the file. A column the header lacks is an error naming `role` (`a lookup column`), with a
/// suggestion.
pub fn read_columns(
    tf: &TableFile,
    names: &[&str],
    role: &str,
) -> Result<Vec<(Vec<String>, u64)>, Vec<DataError>> {
    let file = tf.display();
    let text = read_text(tf).map_err(|e| vec![e])?;
    let (header_line, body) = split_header(&text);
    let first = 2;
    let header: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header_line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| {
            r.iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut errors = Vec::new();
    let mut at = Vec::new();
    for name in names {
        match header.iter().position(|h| h == name) {
            Some(i) => at.push(i),
            None => {
                let mut e =
                    DataError::file(file.clone(), format!("missing column `{name}` ({role})"));
                e.row = Some(1);
                e.column = Some(name.to_string());
                e.help = did_you_mean(name, header.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                errors.push(e);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut rows = RowCounter::new(body, first);
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let mut err = DataError::file(file.clone(), format!("unreadable CSV: {e}"));
                err.row = e.position().map(|p| p.line() + first - 1);
                return Err(vec![err]);
            }
        };
        let row = rows.row(rec.position().map(|p| p.byte() as usize));
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let cells = at
            .iter()
            .map(|&i| rec.get(i).unwrap_or("").trim().to_string())
            .collect();
        out.push((cells, row));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{
        join_columns, parse_number, parse_plain, parse_quoted, plain, share, shares_of, Chunk,
        Layout, Part, Reading,
    };
    use crate::data::frame::{TextColumn, Values};
    use crate::rules::model::{ColumnSpec, ValueType};
    use proptest::prelude::*;

    fn spec(name: &str, ty: ValueType) -> ColumnSpec {
        ColumnSpec::data(name, ty, Default::default())
    }

    /// What a chunk holds, comparably.
    type Parsed = (
        Vec<String>,
        Vec<u64>,
        Vec<Vec<String>>,
        Vec<(Vec<u64>, Vec<String>)>,
        Vec<String>,
        usize,
    );

    fn parse_with(text: &str, quoted: bool) -> Parsed {
        let specs = [
            spec("x", ValueType::Number),
            spec("ok", ValueType::Bool),
            spec("kind", ValueType::Category),
        ];
        let specs: Vec<&ColumnSpec> = specs.iter().collect();
        // id, dept, x, ok, kind
        let layout = Layout {
            id: 0,
            keys: Vec::new(),
            label: None,
            groups: vec![("dept".into(), 1)],
            cols: vec![Some(2), Some(3), Some(4)],
            width: 5,
        };
        let share = share(text, text.matches('\n').count());
        let mut store: Vec<Values> = specs.iter().map(|s| Values::zeros(s.ty, share)).collect();
        let slots = shares_of(&mut store, &[share])
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut ch = Chunk {
            cols: slots
                .into_iter()
                .zip(&specs)
                .map(|(s, spec)| Part::new(s, spec))
                .collect(),
            groups: vec![TextColumn::default()],
            ..Chunk::default()
        };
        let rd = Reading {
            file: "t.csv",
            layout: &layout,
            specs: &specs,
        };
        if quoted {
            parse_quoted(&mut ch, text, 2, rd);
        } else {
            parse_plain(&mut ch, text, 2, rd);
        }
        let parts = std::mem::take(&mut ch.cols)
            .into_iter()
            .map(Part::detach)
            .collect();
        let ids = ch.ids.iter().map(String::from).collect();
        let groups = ch
            .groups
            .iter()
            .map(|g| g.iter().map(String::from).collect())
            .collect();
        let errors = ch.errors.iter().map(|e| format!("{e:?}")).collect();
        let (rows, error_count) = (std::mem::take(&mut ch.rows), ch.error_count);
        drop(ch);
        let cols = join_columns(store, &[share], vec![parts], &specs);
        (
            ids,
            rows,
            groups,
            cols.iter()
                .map(|c| (c.values.iter().map(f64::to_bits).collect(), c.dict.clone()))
                .collect(),
            errors,
            error_count,
        )
    }

    proptest! {
        /// The one-pass reader reads every quote-free text as the CSV reader does: fields,
        /// trimming, blank lines, CRLF, a missing last line end, bad cells and their rows. Long
        /// texts span several batches of typed cells and list more problems than are kept:
        /// the same ones are kept, in the same order.
        #[test]
        fn plain_reader_matches_the_csv_reader(
            lines in proptest::collection::vec(
                (
                    0usize..8,
                    prop::sample::select(vec!["D1", " D2", "D3 ", "", "部门"]),
                    prop::sample::select(vec!["1", "2.5", " 7 ", "", "x1", "-0.25"]),
                    prop::sample::select(vec!["true", "0", " yes", "maybe", "是"]),
                    prop::sample::select(vec!["a", "b", " c ", "乙"]),
                    0u8..10,
                ),
                0..700,
            ),
            last_newline: bool,
        ) {
            let mut text = String::new();
            for (i, (id, dept, x, ok, kind, shape)) in lines.iter().enumerate() {
                let end = if shape % 2 == 0 { "\n" } else { "\r\n" };
                match shape {
                    // a blank line, a line of empty cells, a short row
                    7 => text.push_str(end),
                    8 => text.push_str(&format!(" , ,,,{end}")),
                    9 => text.push_str(&format!("V{i},{dept}{end}")),
                    _ => text.push_str(&format!("V{id}{i},{dept},{x},{ok},{kind}{end}")),
                }
            }
            if !last_newline {
                text.truncate(text.trim_end_matches(['\r', '\n']).len());
            }
            prop_assert!(plain(&text));
            prop_assert_eq!(parse_with(&text, false), parse_with(&text, true));
        }
    }

    #[test]
    fn quotes_and_lone_carriage_returns_are_not_plain() {
        assert!(plain("a,b\r\nc,d\n"));
        assert!(!plain("a,\"b\"\n"));
        assert!(!plain("a,b\rc,d\n"));
        assert!(!plain("a,b\r"));
    }

    #[test]
    fn packed_texts_keep_rows_apart() {
        let texts = ["V2", "", "V10", "村甲", "V1"];
        let mut col = TextColumn::from_texts(texts);
        assert_eq!(col.iter().collect::<Vec<_>>(), texts);
        assert_eq!(col.get(5), None);
        let order = [4, 0, 2, 1];
        assert_eq!(
            col.take(&order).iter().collect::<Vec<_>>(),
            ["V1", "V2", "V10", ""]
        );
        col.extend_from(&TextColumn::from_texts(["V9"]));
        assert_eq!(col.get(5), Some("V9"));
        let sorted = TextColumn::from_texts(["A", "B", "C1", "C2", "乙"]);
        for (i, t) in sorted.iter().enumerate() {
            assert_eq!(sorted.find_sorted(t), Some(i));
        }
        assert_eq!(sorted.find_sorted("C"), None);
        assert_eq!(sorted.find_sorted(""), None);
    }

    #[test]
    fn reads_what_the_standard_parser_reads() {
        for t in [
            "0",
            "-0",
            "1",
            "12.5",
            "-3.75",
            "+4",
            ".5",
            "5.",
            "0.1",
            "2.675",
            "1e3",
            "inf",
            "NaN",
            "-",
            ".",
            "",
            "1.2.3",
            "12a",
            "007",
            "123456789012345",
            "1234567890123456",
            "0.000000000000001",
            "0.0000000000000001",
            "99999999999999.9",
        ] {
            let want: Option<f64> = t.parse().ok();
            let got = parse_number(t);
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "`{t}`: {got:?} vs {want:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn decimals_agree_bit_for_bit(
            int in 0u64..10_000_000_000,
            frac in 0u64..1_000_000,
            places in 0usize..7,
            neg: bool,
        ) {
            let sign = if neg { "-" } else { "" };
            let text = if places == 0 {
                format!("{sign}{int}")
            } else {
                let f = frac % 10u64.pow(places as u32);
                format!("{sign}{int}.{f:0places$}")
            };
            let want: f64 = text.parse().unwrap();
            prop_assert_eq!(parse_number(&text).map(f64::to_bits), Some(want.to_bits()), "{}", text);
        }
    }
}
