//! XLSX tables: a sheet (named, or the first) read as the same text the CSV path validates, so
//! XLSX and CSV give identical results and identical located errors (rows are sheet rows).

use super::error::DataError;
use calamine::{open_workbook_auto, Data, Reader};
use std::path::Path;

/// The sheet's cells as CSV text (the header first).
pub fn sheet_as_csv(path: &Path, sheet: Option<&str>) -> Result<String, DataError> {
    let name = path.display().to_string();
    let mut wb = open_workbook_auto(path).map_err(|e| {
        let mut err = DataError::file(name.clone(), format!("cannot read the workbook: {e}"));
        err.expected = Some("an .xlsx file saved by Excel or WPS".into());
        err
    })?;
    let sheets = wb.sheet_names();
    let chosen = match sheet {
        Some(s) => {
            if !sheets.iter().any(|x| x == s) {
                let mut err =
                    DataError::file(name.clone(), format!("no sheet `{s}` in the workbook"));
                err.help = crate::diag::did_you_mean(s, sheets.iter().map(String::as_str))
                    .map(|x| format!("did you mean `{x}`?"))
                    .or_else(|| Some(format!("the sheets are: {}", sheets.join(", "))));
                return Err(err);
            }
            s.to_string()
        }
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| DataError::file(name.clone(), "the workbook has no sheets".into()))?,
    };
    // The workbook reader may panic on a damaged file (a cell reference too long to be real
    // overflows its arithmetic, checked in release builds too: see Cargo.toml); that is a bad
    // file like any other, not a crash.
    quiet_reader_panics();
    let read =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wb.worksheet_range(&chosen)));
    let range = match read {
        Ok(r) => r.map_err(|e| {
            DataError::file(name.clone(), format!("cannot read sheet `{chosen}`: {e}"))
        })?,
        Err(_) => {
            let mut err = DataError::file(
                name.clone(),
                format!("cannot read sheet `{chosen}`: the workbook is damaged"),
            );
            err.expected = Some("an .xlsx file saved by Excel or WPS".into());
            return Err(err);
        }
    };
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for row in range.rows() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if w.write_record(&cells).is_err() {
            return Err(DataError::file(name, "cannot convert the sheet".into()));
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|_| DataError::file(name.clone(), "cannot convert the sheet".into()))?;
    String::from_utf8(bytes).map_err(|_| {
        DataError::file(
            name,
            "the sheet holds text that is not valid Unicode".into(),
        )
    })
}

/// Silence the default panic message for panics raised inside the workbook reader, which
/// `sheet_as_csv` turns into a located error; every other panic still reports as usual.
pub fn quiet_reader_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_reader = info
                .location()
                .is_some_and(|l| l.file().contains("calamine"));
            if !in_reader {
                previous(info);
            }
        }));
    });
}

/// A cell as the text a CSV file would hold.
pub fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => format!("{}", dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        // An error cell (#DIV/0!, #N/A) is kept as written so validation reports it.
        Data::Error(e) => format!("#{e:?}"),
    }
}
