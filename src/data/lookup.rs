//! `lookup` points read from a data table (积分制: one row per event, points by event type from
//! a table of types). The table is data like any other: read with the kind's table, validated
//! with located errors, and carried by the kind's frame to the engine.

use super::error::{with_unlisted, DataError};
use super::frame::Frame;
use super::DataSet;
use crate::rules::model::{Input, Kind, Method, PointsFrom};
use crate::words::fmt_num;

/// Problems listed per table before the rest are only counted.
const SHOWN: usize = 50;

/// Read every points table the kind's `lookup` indicators name, check it, check that each
/// category in `frame` has its points, and attach the tables to `frame`.
pub fn attach(ds: &DataSet, kind: &Kind, frame: &mut Frame) -> Result<(), Vec<DataError>> {
    let mut tables: Vec<(PointsFrom, Vec<(String, f64)>)> = Vec::new();
    let mut errors = Vec::new();
    for ind in &kind.indicators {
        let Method::LookupFrom(from) = &ind.method else {
            continue;
        };
        let table = match tables.iter().find(|(f, _)| f == from) {
            Some((_, t)) => Some(t.clone()),
            None => match read(ds, from) {
                Ok(t) => {
                    tables.push((from.clone(), t.clone()));
                    Some(t)
                }
                Err(e) => {
                    errors.extend(e);
                    None
                }
            },
        };
        // A table's points may suit one indicator's maximum and not another's.
        if let Some(t) = &table {
            errors.extend(over_points(ds, from, t, ind.points, &ind.id));
        }
        if let (Some(t), Input::Column(c)) = (&table, &ind.input) {
            errors.extend(missing_categories(frame, kind, *c, from, t));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if !tables.is_empty() {
        frame.lookups = std::sync::Arc::new(tables);
    }
    Ok(())
}

/// The table's categories and points: no empty or repeated key, every points cell a number.
fn read(ds: &DataSet, from: &PointsFrom) -> Result<Vec<(String, f64)>, Vec<DataError>> {
    let tf = ds.table(&from.table).map_err(|e| vec![e])?;
    let file = tf.display();
    let rows = super::parse::read_columns(tf, &[&from.key, &from.column], "a lookup column")?;
    let mut out: Vec<(String, f64)> = Vec::new();
    let mut first_row: std::collections::HashMap<String, u64> = Default::default();
    let mut errors = Vec::new();
    for (cells, row) in rows {
        let (key, text) = match cells.as_slice() {
            [k, p] => (k.as_str(), p.as_str()),
            _ => continue,
        };
        if key.is_empty() {
            errors.push(DataError::cell(
                &file,
                row,
                &from.key,
                "",
                "the key cell is empty",
                "a category".into(),
            ));
            continue;
        }
        if let Some(prev) = first_row.get(key) {
            let mut e = DataError::cell(
                &file,
                row,
                &from.key,
                key,
                "duplicate key",
                format!("each category once (first on row {prev})"),
            );
            e.help = Some(
                "keep one row per category: a category with two rows has no one number of points"
                    .into(),
            );
            errors.push(e);
            continue;
        }
        first_row.insert(key.to_string(), row);
        // Points typed in full-width digits (`５`) read as the number they are, as in any table.
        let number = crate::data::parse::parse_number(text)
            .or_else(|| {
                crate::fullwidth::number(text).and_then(|a| crate::data::parse::parse_number(&a))
            })
            .filter(|x| x.is_finite());
        match number {
            Some(p) => out.push((key.to_string(), p)),
            None => errors.push(DataError::cell(
                &file,
                row,
                &from.column,
                text,
                "not a number",
                "the category's points, a number".into(),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        let n = errors.len();
        errors.truncate(SHOWN);
        Err(with_unlisted(errors, n, ""))
    }
}

/// Rows whose points lie outside the indicator's `0..points`.
fn over_points(
    ds: &DataSet,
    from: &PointsFrom,
    table: &[(String, f64)],
    points: f64,
    indicator: &str,
) -> Vec<DataError> {
    let Ok(tf) = ds.table(&from.table) else {
        return Vec::new();
    };
    let file = tf.display();
    let bad: Vec<&(String, f64)> = table
        .iter()
        .filter(|(_, p)| *p < 0.0 || *p > points)
        .collect();
    if bad.is_empty() {
        return Vec::new();
    }
    // The rows are found again by key: the table keeps only categories and points.
    let rows = super::parse::read_columns(tf, &[&from.key], "a lookup column").unwrap_or_default();
    bad.into_iter()
        .take(SHOWN)
        .map(|(key, p)| {
            let row = rows
                .iter()
                .find(|(cells, _)| cells.first().is_some_and(|k| k == key))
                .map_or(0, |(_, r)| *r);
            DataError::cell(
                &file,
                row,
                &from.column,
                &fmt_num(*p),
                &format!("points outside 0..{} for `{key}`", fmt_num(points)),
                format!(
                    "at most the {} points of indicator `{indicator}`",
                    fmt_num(points)
                ),
            )
        })
        .collect()
}

/// Rows of the kind's table whose category has no row in the points table.
fn missing_categories(
    frame: &Frame,
    kind: &Kind,
    c: usize,
    from: &PointsFrom,
    table: &[(String, f64)],
) -> Vec<DataError> {
    let Some(col) = frame.cols.get(c) else {
        return Vec::new();
    };
    let name = kind.columns.get(c).map_or("", |s| s.name.as_str());
    let mut out = Vec::new();
    let mut more = 0usize;
    for (r, &file_row) in frame.rows.iter().enumerate() {
        if col.is_missing(r) {
            continue;
        }
        let cat = col.category(r);
        if table.iter().any(|(k, _)| k == cat) {
            continue;
        }
        if out.len() == SHOWN {
            more += 1;
            continue;
        }
        let mut e = DataError::cell(
            &frame.file,
            file_row,
            name,
            cat,
            &format!("no points for this category in `{}`", from.table),
            format!(
                "a category listed in column `{}` of `{}`",
                from.key, from.table
            ),
        );
        e.help = Some(format!(
            "add a row for `{cat}` to `{}`, or correct the category",
            from.table
        ));
        out.push(e);
    }
    let listed = out.len();
    with_unlisted(out, listed + more, "")
}
