//! `results.json` / `--format json` and `manifest.json`.

use super::summary::{grade_counts, outcome_counts, programme_totals};
use super::{KindView, RunView};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// The manifest: what produced these results, enough to reproduce them.
pub fn manifest(v: &RunView) -> Value {
    let rules = v.rules;
    let params: Map<String, Value> = rules
        .params
        .iter()
        .map(|p| (p.name.clone(), json!(p.value)))
        .collect();
    // Computed parameters' formulas sit beside `parameters`, which stays a plain map of
    // numbers for the readers that know only that; the key is there only when a parameter is
    // computed.
    let formulas: Map<String, Value> = rules
        .params
        .iter()
        .filter_map(|p| p.formula.as_ref().map(|f| (p.name.clone(), json!(f))))
        .collect();
    let mut m = json!({
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
        "scenario": v.scenario.as_ref().map(|(n, h)| json!({"name": n, "sha256": h})),
        "precision": rules.precision,
        "outputs": v.outputs,
        "parameters": params,
    });
    if !formulas.is_empty() {
        if let Some(o) = m.as_object_mut() {
            o.insert("parameter_formulas".into(), Value::Object(formulas));
        }
    }
    m
}

fn entity(k: &KindView, r: usize) -> Value {
    let dims: Map<String, Value> = k
        .kind
        .dims
        .iter()
        .zip(k.result.dims_row(r).iter())
        .map(|(d, s)| (d.id.clone(), json!(s)))
        .collect();
    let points: Map<String, Value> = k
        .kind
        .indicators
        .iter()
        .zip(k.result.points_row(r).iter())
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
    if let Some(u) = k.unit {
        // A unit's inputs are few and explain its score (aggregates especially).
        let inputs: Map<String, Value> = k
            .kind
            .indicators
            .iter()
            .zip(k.result.values_of(r))
            .map(|(i, x)| (i.id.clone(), json!(x)))
            .collect();
        o.insert("inputs".into(), Value::Object(inputs));
        o.insert("rank".into(), json!(k.rank(r)));
        o.insert("award".into(), json!(k.award(r)));
        o.insert(
            "village_count".into(),
            json!(u.villages.get(r).map_or(0, <[usize]>::len)),
        );
        o.insert("notes".into(), json!(k.notes(r)));
    }
    Value::Object(o)
}

/// Entities per parallel formatting block.
const BLOCK: usize = 4096;

/// Append `x` as a JSON string.
fn js(buf: &mut Vec<u8>, x: &str) {
    let _ = serde_json::to_writer(&mut *buf, x);
}

/// Append `x` as a JSON number.
fn jn(buf: &mut Vec<u8>, x: f64) {
    let _ = serde_json::to_writer(&mut *buf, &x);
}

/// One primary entity written straight to bytes: a million villages take no JSON tree.
fn write_entity_fast(k: &KindView, r: usize, keys: &FastKeys, buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"{\"id\":");
    js(buf, k.frame.id(r));
    buf.extend_from_slice(b",\"label\":");
    js(buf, k.frame.label(r));
    for ((_, vals), key) in k.frame.groups.iter().zip(&keys.groups) {
        buf.push(b',');
        buf.extend_from_slice(key);
        js(buf, vals.get(r).unwrap_or(""));
    }
    buf.extend_from_slice(b",\"dimensions\":{");
    for (i, (x, key)) in k.result.dims_of(r).iter().zip(&keys.dims).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(key);
        jn(buf, *x);
    }
    buf.extend_from_slice(b"},\"total\":");
    jn(buf, k.result.total.get(r).copied().unwrap_or(0.0));
    buf.extend_from_slice(b",\"grade\":");
    js(buf, k.grade_id(r));
    buf.extend_from_slice(b",\"outcome\":");
    js(buf, k.outcome_id(r));
    buf.extend_from_slice(b",\"gates\":");
    let _ = serde_json::to_writer(&mut *buf, &k.fired(r));
    buf.extend_from_slice(b",\"below_min\":");
    let _ = serde_json::to_writer(&mut *buf, &k.below_min(r));
    buf.extend_from_slice(b",\"indicators\":{");
    for (i, (x, key)) in k
        .result
        .points_of(r)
        .iter()
        .zip(&keys.indicators)
        .enumerate()
    {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(key);
        jn(buf, *x);
    }
    buf.extend_from_slice(b"}}");
}

/// JSON object keys (`"id":`), escaped once per kind.
struct FastKeys {
    groups: Vec<Vec<u8>>,
    dims: Vec<Vec<u8>>,
    indicators: Vec<Vec<u8>>,
}

impl FastKeys {
    fn new(k: &KindView) -> FastKeys {
        let key = |s: &str| {
            let mut b = serde_json::to_vec(s).unwrap_or_default();
            b.push(b':');
            b
        };
        FastKeys {
            groups: k.frame.groups.iter().map(|(n, _)| key(n)).collect(),
            dims: k.kind.dims.iter().map(|d| key(&d.id)).collect(),
            indicators: k.kind.indicators.iter().map(|i| key(&i.id)).collect(),
        }
    }
}

/// Write `[ … ]` of every entity, one per line, formatted in parallel blocks.
fn write_entities(k: &KindView, w: &mut dyn Write) -> io::Result<()> {
    let n = k.frame.len();
    let keys = FastKeys::new(k);
    w.write_all(b"[")?;
    let blocks: Vec<(usize, usize)> = (0..n)
        .step_by(BLOCK)
        .map(|s| (s, (s + BLOCK).min(n)))
        .collect();
    for window in blocks.chunks(rayon::current_num_threads().max(1) * 4) {
        let parts: Vec<Vec<u8>> = window
            .par_iter()
            .map(|&(s, e)| {
                let mut buf = Vec::with_capacity((e - s) * 400);
                for r in s..e {
                    buf.extend_from_slice(if r == 0 { b"\n    " } else { b",\n    " });
                    match k.unit {
                        Some(_) => {
                            let _ = serde_json::to_writer(&mut buf, &entity(k, r));
                        }
                        None => write_entity_fast(k, r, &keys, &mut buf),
                    }
                }
                buf
            })
            .collect();
        for p in parts {
            w.write_all(&p)?;
        }
    }
    w.write_all(if n == 0 { b"]" } else { b"\n  ]" })
}

fn counts(list: Vec<(String, String, usize)>) -> Value {
    Value::Object(list.into_iter().map(|(id, _, c)| (id, json!(c))).collect())
}

/// Write the whole results document. Entities are streamed: a million villages never sit in
/// memory as one JSON tree.
pub fn write_results(v: &RunView, w: &mut dyn Write) -> io::Result<()> {
    let p = &v.primary;
    let pretty = |x: &Value| {
        serde_json::to_string_pretty(x)
            .unwrap_or_default()
            .replace('\n', "\n  ")
    };
    w.write_all(b"{\n  \"manifest\": ")?;
    w.write_all(pretty(&manifest(v)).as_bytes())?;
    write!(w, ",\n  {}: ", Value::String(p.kind.table.clone()))?;
    write_entities(p, w)?;
    w.write_all(b",\n  \"units\": {")?;
    for (i, u) in v.units.iter().enumerate() {
        let sep: &[u8] = if i == 0 { b"\n    " } else { b",\n    " };
        w.write_all(sep)?;
        write!(w, "{}: ", Value::String(u.kind.name.clone()))?;
        write_entities(u, w)?;
    }
    w.write_all(if v.units.is_empty() { b"}" } else { b"\n  }" })?;
    w.write_all(b",\n  \"summary\": ")?;
    w.write_all(pretty(&summary(v)).as_bytes())?;
    w.write_all(b"\n}\n")
}

/// The summary block: outcome and grade counts, programme totals.
pub fn summary(v: &RunView) -> Value {
    let p = &v.primary;
    let totals: Map<String, Value> = programme_totals(v.rules, p)
        .into_iter()
        .map(|(id, _, sum, _)| (id, json!(sum)))
        .collect();
    let key = p.kind.table.clone();
    let mut summary = Map::new();
    summary.insert(key.clone(), counts(outcome_counts(p)));
    summary.insert("grades".into(), counts(grade_counts(p)));
    summary.insert("totals".into(), Value::Object(totals));
    let units: Map<String, Value> = v
        .units
        .iter()
        .map(|u| (u.kind.name.clone(), counts(outcome_counts(u))))
        .collect();
    summary.insert("units".into(), Value::Object(units));
    let funds: Map<String, Value> = v
        .units
        .iter()
        .filter_map(|u| {
            let f = u.unit.and_then(|x| x.fund.as_ref())?;
            Some((
                u.kind.name.clone(),
                json!({"budget": f.budget, "paid": f.paid, "recipients": f.recipients}),
            ))
        })
        .collect();
    summary.insert("funds".into(), Value::Object(funds));
    Value::Object(summary)
}

/// Pretty JSON with a final newline.
pub fn to_string(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
