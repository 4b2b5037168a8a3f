//! `results.json` / `--format json` and `manifest.json`.

use super::summary::{grade_counts, outcome_counts, programme_totals};
use super::{KindView, RunView};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// The version of the JSON layout, the first key of every JSON document bangfu prints or
/// writes. Raised whenever a key is renamed, moved or changes meaning (`docs/results.md`).
pub const LAYOUT: u32 = 2;

/// The keys `results.json` and its `summary` use for themselves. A primary table named like
/// one of them is listed under [`FALLBACK_KEY`] instead, so that no key appears twice.
const DOCUMENT_KEYS: [&str; 8] = [
    "layout", "primary", "manifest", "units", "summary", "grades", "totals", "funds",
];

/// Where the primary list goes when its table's name is taken by a fixed key.
const FALLBACK_KEY: &str = "entities";

/// The key of the primary list in a document whose own keys are `fixed`: the table's name,
/// as long as the document does not use that name for something else.
pub fn primary_key<'a>(table: &'a str, fixed: &[&str]) -> &'a str {
    if fixed.contains(&table) {
        FALLBACK_KEY
    } else {
        table
    }
}

/// `"primary": {"kind", "table", "key"}`: which kind the primary list holds and under which
/// key, for a reader that does not know the rule set.
pub fn primary_block(kind: &crate::rules::model::Kind, key: &str) -> Value {
    json!({"kind": kind.name, "table": kind.table, "key": key})
}

/// The keys of an entity object. A text column named like one of them (or like a unit's
/// count field) is written under `columns` rather than beside them.
const ENTITY_KEYS: [&str; 14] = [
    "id",
    "label",
    "columns",
    "dimensions",
    "total",
    "grade",
    "outcome",
    "gates",
    "below_min",
    "indicators",
    "inputs",
    "rank",
    "award",
    "notes",
];

/// Which of a kind's text columns must go under `columns`: those named like a fixed key, or
/// for a unit like its count field.
fn nested_columns(k: &KindView, count_field: &str) -> Vec<bool> {
    k.frame
        .groups
        .iter()
        .map(|(name, _)| {
            ENTITY_KEYS.contains(&name.as_str()) || (k.unit.is_some() && name == count_field)
        })
        .collect()
}

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
    // Only a what-if has the key: the baseline's manifest stays as it always was.
    if let (Some(w), Some(o)) = (&v.what_if, m.as_object_mut()) {
        o.insert("what_if".into(), what_if(w));
    }
    m
}

/// A what-if as the manifest and `explain --format json` record it.
pub fn what_if(w: &super::WhatIf) -> Value {
    json!({
        "mark": crate::scenario::WHAT_IF_MARK,
        "label": w.label,
        "scenario": w.scenario,
        "set": w.set,
        "gate": w.gates,
    })
}

fn entity(k: &KindView, r: usize, precision: u32, count_field: &str, nested: &[bool]) -> Value {
    let scored = k.scored_dims();
    let dims_of = |skip: usize, take: usize| -> Map<String, Value> {
        k.kind
            .dims
            .iter()
            .zip(k.result.dims_row(r).iter())
            .skip(skip)
            .take(take)
            .map(|(d, s)| (d.id.clone(), json!(s)))
            .collect()
    };
    let dims = dims_of(0, scored);
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
    let mut columns = Map::new();
    for ((name, vals, named), &inner) in k.text_columns().zip(nested) {
        let into = if inner { &mut columns } else { &mut o };
        into.insert(name.to_string(), json!(vals.get(r)));
        if let Some(n) = named {
            into.insert(n.header.clone(), json!(n.name(vals.get(r).unwrap_or(""))));
        }
    }
    if !columns.is_empty() {
        o.insert("columns".into(), Value::Object(columns));
    }
    o.insert("dimensions".into(), Value::Object(dims));
    if let Some(base) = k.base_total(r, precision) {
        o.insert("total_before_adjustments".into(), json!(base));
        o.insert(
            "adjustments".into(),
            Value::Object(dims_of(scored, usize::MAX)),
        );
    }
    o.insert("total".into(), total_value(k, r));
    o.insert("grade".into(), grade_value(k, r));
    o.insert("outcome".into(), json!(k.outcome_id(r)));
    o.insert("gates".into(), json!(k.fired(r)));
    if k.kind.has_conditions() {
        o.insert("unmet_conditions".into(), unmet_conditions(k, r));
    }
    o.insert("below_min".into(), json!(k.below_min(r)));
    o.insert("indicators".into(), Value::Object(points));
    if k.unit.is_none() && k.standing.is_some() {
        // A primary kind with population rules: its rank, award and notes, as for a unit.
        o.insert("rank".into(), json!(k.rank(r)));
        o.insert("award".into(), json!(k.award(r)));
        o.insert("notes".into(), json!(k.notes(r)));
    }
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
            count_field.into(),
            json!(u.villages.get(r).map_or(0, <[usize]>::len)),
        );
        o.insert("notes".into(), json!(k.notes(r)));
    }
    Value::Object(o)
}

/// The total, or `null` for a kind decided by conditions alone.
fn total_value(k: &KindView, r: usize) -> Value {
    match k.result.total.get(r) {
        Some(t) if k.kind.scored() => json!(t),
        _ => Value::Null,
    }
}

/// The grade's id, or `null` for a kind without grades (or an entity no grade covers).
fn grade_value(k: &KindView, r: usize) -> Value {
    match k.grade_id(r) {
        "" => Value::Null,
        g => json!(g),
    }
}

/// The required conditions entity `r` does not meet, in rule order, with their labels.
fn unmet_conditions(k: &KindView, r: usize) -> Value {
    Value::Array(
        k.kind
            .gates
            .iter()
            .zip(k.result.gates_of(r))
            .filter(|(g, f)| g.require && **f)
            .map(|(g, _)| json!({"id": g.id, "label": g.label}))
            .collect(),
    )
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
fn write_entity_fast(k: &KindView, r: usize, keys: &FastKeys, precision: u32, buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"{\"id\":");
    js(buf, k.frame.id(r));
    buf.extend_from_slice(b",\"label\":");
    js(buf, k.frame.label(r));
    let columns = || k.text_columns().zip(&keys.groups).zip(&keys.nested);
    // A column, then its names (`"town_id":"Z01","town_name":"齐山镇"`).
    let one = |buf: &mut Vec<u8>,
               vals: &crate::data::TextColumn,
               key: &[u8],
               named: Option<(&super::names::Named, &Vec<u8>)>| {
        let value = vals.get(r).unwrap_or("");
        buf.extend_from_slice(key);
        js(buf, value);
        if let Some((n, key)) = named {
            buf.push(b',');
            buf.extend_from_slice(key);
            js(buf, n.name(value));
        }
    };
    let name_key = |i: usize| keys.names.get(i).and_then(Option::as_ref);
    for (i, (((_, vals, named), key), _)) in
        columns().enumerate().filter(|(_, (_, inner))| !**inner)
    {
        buf.push(b',');
        one(buf, vals, key, named.zip(name_key(i)));
    }
    if keys.nested.contains(&true) {
        buf.extend_from_slice(b",\"columns\":{");
        let inner = columns().enumerate().filter(|(_, (_, inner))| **inner);
        for (j, (i, (((_, vals, named), key), _))) in inner.enumerate() {
            if j > 0 {
                buf.push(b',');
            }
            one(buf, vals, key, named.zip(name_key(i)));
        }
        buf.push(b'}');
    }
    buf.extend_from_slice(b",\"dimensions\":{");
    let dims = k.result.dims_of(r);
    let scored = keys.scored;
    for (i, (x, key)) in dims.iter().zip(&keys.dims).take(scored).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(key);
        jn(buf, *x);
    }
    buf.push(b'}');
    if let Some(base) = k.base_total(r, precision) {
        buf.extend_from_slice(b",\"total_before_adjustments\":");
        jn(buf, base);
        buf.extend_from_slice(b",\"adjustments\":{");
        for (i, (x, key)) in dims.iter().zip(&keys.dims).skip(scored).enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(key);
            jn(buf, *x);
        }
        buf.push(b'}');
    }
    buf.extend_from_slice(b",\"total\":");
    let _ = serde_json::to_writer(&mut *buf, &total_value(k, r));
    buf.extend_from_slice(b",\"grade\":");
    let _ = serde_json::to_writer(&mut *buf, &grade_value(k, r));
    buf.extend_from_slice(b",\"outcome\":");
    js(buf, k.outcome_id(r));
    buf.extend_from_slice(b",\"gates\":");
    let _ = serde_json::to_writer(&mut *buf, &k.fired(r));
    if k.kind.has_conditions() {
        buf.extend_from_slice(b",\"unmet_conditions\":");
        let _ = serde_json::to_writer(&mut *buf, &unmet_conditions(k, r));
    }
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
    /// Per text column: the key of its names, when it is named.
    names: Vec<Option<Vec<u8>>>,
    /// How many of `dims` are scored dimensions (the rest are adjustment groups).
    scored: usize,
    /// Per text column: whether it goes under `columns`.
    nested: Vec<bool>,
    dims: Vec<Vec<u8>>,
    indicators: Vec<Vec<u8>>,
}

impl FastKeys {
    fn new(k: &KindView, count_field: &str) -> FastKeys {
        let key = |s: &str| {
            let mut b = serde_json::to_vec(s).unwrap_or_default();
            b.push(b':');
            b
        };
        FastKeys {
            groups: k.frame.groups.iter().map(|(n, _)| key(n)).collect(),
            names: k
                .text_columns()
                .map(|(_, _, named)| named.map(|n| key(&n.header)))
                .collect(),
            scored: k.scored_dims(),
            nested: nested_columns(k, count_field),
            dims: k.kind.dims.iter().map(|d| key(&d.id)).collect(),
            indicators: k.kind.indicators.iter().map(|i| key(&i.id)).collect(),
        }
    }
}

/// Write `[ … ]` of every entity, one per line, formatted in parallel blocks.
fn write_entities(
    k: &KindView,
    precision: u32,
    count_field: &str,
    w: &mut dyn Write,
) -> io::Result<()> {
    let n = k.frame.len();
    let keys = FastKeys::new(k, count_field);
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
                    match k.standing {
                        Some(_) => {
                            let _ = serde_json::to_writer(
                                &mut buf,
                                &entity(k, r, precision, count_field, &keys.nested),
                            );
                        }
                        None => write_entity_fast(k, r, &keys, precision, &mut buf),
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
    let key = primary_key(&p.kind.table, &DOCUMENT_KEYS);
    let count_field = p.kind.count_field();
    write!(w, "{{\n  \"layout\": {LAYOUT},\n  \"primary\": ")?;
    w.write_all(serde_json::to_string(&primary_block(p.kind, key))?.as_bytes())?;
    w.write_all(b",\n  \"manifest\": ")?;
    w.write_all(pretty(&manifest(v)).as_bytes())?;
    write!(w, ",\n  {}: ", Value::String(key.to_string()))?;
    write_entities(p, v.rules.precision, &count_field, w)?;
    w.write_all(b",\n  \"units\": {")?;
    for (i, u) in v.units.iter().enumerate() {
        let sep: &[u8] = if i == 0 { b"\n    " } else { b",\n    " };
        w.write_all(sep)?;
        write!(w, "{}: ", Value::String(u.kind.name.clone()))?;
        write_entities(u, v.rules.precision, &count_field, w)?;
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
    let key = primary_key(&p.kind.table, &DOCUMENT_KEYS);
    let mut summary = Map::new();
    summary.insert(key.to_string(), counts(outcome_counts(p)));
    summary.insert("grades".into(), counts(grade_counts(p)));
    summary.insert("totals".into(), Value::Object(totals));
    let units: Map<String, Value> = v
        .units
        .iter()
        .map(|u| (u.kind.name.clone(), counts(outcome_counts(u))))
        .collect();
    summary.insert("units".into(), Value::Object(units));
    let funds: Map<String, Value> = std::iter::once(p)
        .chain(&v.units)
        .filter_map(|u| {
            let f = u.fund()?;
            Some((
                u.kind.name.clone(),
                json!({"budget": f.budget, "paid": f.paid, "recipients": f.recipients}),
            ))
        })
        .collect();
    summary.insert("funds".into(), Value::Object(funds));
    Value::Object(summary)
}

/// `doc` with `"layout"` as its first key: every JSON document a command prints states it.
pub fn with_layout(doc: Value) -> Value {
    let mut o = Map::new();
    o.insert("layout".into(), json!(LAYOUT));
    match doc {
        Value::Object(rest) => o.extend(rest),
        other => {
            o.insert("value".into(), other);
        }
    }
    Value::Object(o)
}

/// Pretty JSON with a final newline.
pub fn to_string(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
