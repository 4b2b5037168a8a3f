//! One CSV per entity kind: scores, grade, outcome, gates, and every indicator's points.

use super::{fmt_score, KindView};

/// The CSV text for one kind (UTF-8, header row, rows by id).
pub fn kind_csv(k: &KindView, precision: u32) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut header: Vec<String> = vec!["id".into(), "label".into()];
    header.extend(k.frame.groups.iter().map(|(n, _)| n.clone()));
    header.extend(k.kind.dims.iter().map(|d| d.id.clone()));
    header.extend(["total", "grade", "outcome", "gates", "below_min"].map(String::from));
    header.extend(k.kind.indicators.iter().map(|i| format!("points.{}", i.id)));
    let _ = w.write_record(&header);
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for r in 0..k.frame.len() {
        row.clear();
        row.push(k.frame.id(r).to_string());
        row.push(k.frame.label(r).to_string());
        for (_, vals) in &k.frame.groups {
            row.push(vals.get(r).cloned().unwrap_or_default());
        }
        row.extend(k.result.dims_of(r).iter().map(|x| fmt_score(*x, precision)));
        row.push(fmt_score(
            k.result.total.get(r).copied().unwrap_or(0.0),
            precision,
        ));
        row.push(k.grade_id(r).to_string());
        row.push(k.outcome_id(r).to_string());
        row.push(k.fired(r).join(";"));
        row.push(k.below_min(r).join(";"));
        row.extend(
            k.result
                .points_of(r)
                .iter()
                .map(|x| fmt_score(*x, precision)),
        );
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
