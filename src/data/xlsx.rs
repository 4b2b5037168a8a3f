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
    let range = wb
        .worksheet_range(&chosen)
        .map_err(|e| DataError::file(name.clone(), format!("cannot read sheet `{chosen}`: {e}")))?;
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

/// A cell as the text a CSV file would hold.
fn cell_text(d: &Data) -> String {
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
