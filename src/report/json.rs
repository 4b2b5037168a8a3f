//! `results.json` / `--format json` and `manifest.json`.

use super::summary::{grade_counts, outcome_counts, programme_totals};
use super::{KindView, RunView};
use serde_json::{json, Map, Value};

/// The manifest: what produced these results, enough to reproduce them.
pub fn manifest(v: &RunView) -> Value {
    let rules = v.rules;
    let params: Map<String, Value> = rules
        .params
        .iter()
        .map(|p| (p.name.clone(), json!(p.value)))
        .collect();
    json!({
        "tool_version": env!("CARGO_PKG_VERSION"),
        "rules": {
            "name": rules.name,
            "version": rules.version,
            "period": rules.period,
            "sha256": rules.sha256,
            "files": rules.file_hashes.iter().map(|(f, h)| json!({"path": f, "sha256": h})).collect::<Vec<_>>(),
        },
        "data": {
            "name": v.data.name,
            "period": v.data.period,
            "sha256": v.data_sha256,
            "files": v.data_files.iter().map(|(f, h)| json!({"path": f, "sha256": h})).collect::<Vec<_>>(),
        },
        "scenario": v.scenario,
        "precision": rules.precision,
        "parameters": params,
    })
}

fn entities(k: &KindView) -> Vec<Value> {
    (0..k.frame.len())
        .map(|r| {
            let dims: Map<String, Value> = k
                .kind
                .dims
                .iter()
                .zip(k.result.dims_of(r))
                .map(|(d, s)| (d.id.clone(), json!(s)))
                .collect();
            let points: Map<String, Value> = k
                .kind
                .indicators
                .iter()
                .zip(k.result.points_of(r))
                .map(|(i, s)| (i.id.clone(), json!(s)))
                .collect();
            let mut o = Map::new();
            o.insert("id".into(), json!(k.frame.id(r)));
            o.insert("label".into(), json!(k.frame.label(r)));
            for (name, vals) in &k.frame.groups {
                o.insert(name.clone(), json!(vals.get(r)));
            }
            o.insert("dimensions".into(), Value::Object(dims));
            o.insert("total".into(), json!(k.result.total.get(r)));
            o.insert("grade".into(), json!(k.grade_id(r)));
            o.insert("outcome".into(), json!(k.outcome_id(r)));
            o.insert("gates".into(), json!(k.fired(r)));
            o.insert("below_min".into(), json!(k.below_min(r)));
            o.insert("indicators".into(), Value::Object(points));
            Value::Object(o)
        })
        .collect()
}

fn counts(list: Vec<(String, String, usize)>) -> Value {
    Value::Object(list.into_iter().map(|(id, _, c)| (id, json!(c))).collect())
}

/// The whole results document.
pub fn results(v: &RunView) -> Value {
    let p = &v.primary;
    let totals: Map<String, Value> = programme_totals(v.rules, p)
        .into_iter()
        .map(|(id, _, sum, _)| (id, json!(sum)))
        .collect();
    let key = p.kind.table.clone();
    let mut summary = Map::new();
    summary.insert(key.clone(), counts(outcome_counts(p)));
    summary.insert(
        "grades".into(),
        json!({ key.clone(): counts(grade_counts(p)) }),
    );
    summary.insert("totals".into(), Value::Object(totals));
    let mut doc = Map::new();
    doc.insert("manifest".into(), manifest(v));
    doc.insert(key, Value::Array(entities(p)));
    doc.insert("units".into(), json!({}));
    doc.insert("summary".into(), Value::Object(summary));
    Value::Object(doc)
}

/// Pretty JSON with a final newline.
pub fn to_string(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
