//! The server's routes: the page, and the JSON and files it asks for. Every route reads its
//! settings from the query string, exactly as the page's own address holds them:
//! `?scenario=NAME&set=PATH=VALUE&gate=ID=off`.

use super::session::{Problem, Refusal, Settings};
use super::App;
use crate::compare::{diff, Evaluated};
use crate::report::handout::{self, Handout, Summary};
use axum::body::Bytes;
use axum::extract::{rejection::BytesRejection, DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value as Json_};
use std::sync::Arc;
use std::time::Instant;

/// The largest body a request may carry.
pub const MAX_BODY: usize = 64 * 1024;
/// The longest query string a request may carry.
pub const MAX_QUERY: usize = 16 * 1024;
/// The most entities the "near the line" view lists.
const NEAR_ROWS: usize = 500;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(json!({ "problems": self.problems }))).into_response()
    }
}

type Answer = Result<Response, Refusal>;

/// Every route of the server.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/model", get(model))
        .route("/api/evaluate", get(evaluate))
        .route("/api/near", get(near))
        .route("/api/explain", get(explain))
        .route("/api/scenario", post(save_scenario))
        .route("/api/download/{file}", get(download))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), guard))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// The token, when the server has one, and the length of the query, before any route.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or("");
    if query.len() > MAX_QUERY {
        return Refusal::with_status(
            414,
            Problem::new(format!(
                "the address is {} bytes long; at most {MAX_QUERY} are read",
                query.len()
            )),
        )
        .into_response();
    }
    if let Some(token) = &app.token {
        let given = pairs(query)
            .into_iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v)
            .or_else(|| {
                req.headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|h| h.to_str().ok())
                    .and_then(|h| h.strip_prefix("Bearer "))
                    .map(str::to_string)
            });
        if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
            return Refusal::with_status(
                401,
                Problem::new("this server needs its token")
                    .with_help("open the address `bangfu serve` printed, with `?token=…` in it"),
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// Two byte strings compared in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A query string's pairs, decoded.
fn pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// The settings and the route's own keys of a query; any other key is refused.
fn settings(
    query: Option<&str>,
    own: &[&str],
) -> Result<(Settings, Vec<(String, String)>), Refusal> {
    let query = query.unwrap_or("");
    let list = serde_urlencoded::from_str::<Vec<(String, String)>>(query).map_err(|e| {
        Refusal::bad(Problem::new(format!(
            "the address's query cannot be read: {e}"
        )))
    })?;
    let mut s = Settings::default();
    let mut rest = Vec::new();
    for (k, v) in list {
        match k.as_str() {
            "scenario" if s.scenario.is_some() => {
                return Err(Refusal::bad(Problem::new(
                    "`scenario` is given twice; a page starts from one scenario",
                )))
            }
            "scenario" if v.is_empty() => {}
            "scenario" => s.scenario = Some(v),
            "set" => s.flags.set.push(v),
            "gate" => s.flags.gates.push(v),
            "token" => {}
            other if own.contains(&other) => rest.push((k, v)),
            other => {
                let keys: Vec<String> = ["scenario", "set", "gate"]
                    .iter()
                    .chain(own)
                    .map(|k| format!("`{k}`"))
                    .collect();
                return Err(Refusal::bad(
                    Problem::new(format!("unknown query key `{other}`"))
                        .with_help(format!("the keys here are {}", keys.join(", "))),
                ));
            }
        }
    }
    Ok((s, rest))
}

fn own<'a>(rest: &'a [(String, String)], key: &str) -> Option<&'a str> {
    rest.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Run the work of a request off the server's threads: scoring is parallel work.
async fn blocking<F>(f: F) -> Response
where
    F: FnOnce() -> Answer + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(r)) => r,
        Ok(Err(refusal)) => refusal.into_response(),
        Err(_) => Refusal::with_status(
            500,
            Problem::new("internal error: the request's work stopped (a bug in bangfu)"),
        )
        .into_response(),
    }
}

async fn index(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    // The page's own settings are read by the page; only their form is checked here.
    if let Err(r) = settings(q.as_deref(), &[]) {
        return r.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        app.page.clone(),
    )
        .into_response()
}

async fn not_found() -> Response {
    Refusal::with_status(
        404,
        Problem::new("no such page").with_help("the page is at `/`"),
    )
    .into_response()
}

async fn model(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    if let Err(r) = settings(q.as_deref(), &[]) {
        return r.into_response();
    }
    let s = &app.session;
    Json(s.model.json(&s.base.rules, app.token.is_some())).into_response()
}

async fn evaluate(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    blocking(move || {
        let start = Instant::now();
        let (s, _) = settings(q.as_deref(), &[])?;
        let e = app.session.evaluate(&s)?;
        let mut doc = evaluation_json(&app.session.base, &e, &s);
        if let Some(o) = doc.as_object_mut() {
            o.insert(
                "elapsed_ms".into(),
                json!((start.elapsed().as_secs_f64() * 10_000.0).round() / 10.0),
            );
        }
        Ok(Json(doc).into_response())
    })
    .await
}

/// What the page shows of an evaluation against the baseline.
pub fn evaluation_json(base: &Evaluated, e: &Evaluated, s: &Settings) -> Json_ {
    let all = |_: &str| true;
    let (b, c) = (Summary::of(base, &all), Summary::of(e, &all));
    let count = |list: &[(String, String, usize)], id: &str| {
        list.iter().find(|(i, _, _)| i == id).map_or(0, |x| x.2)
    };
    let side_by_side = |bl: &[(String, String, usize)], cl: &[(String, String, usize)]| {
        let mut ids: Vec<(String, String)> =
            bl.iter().map(|(i, l, _)| (i.clone(), l.clone())).collect();
        for (i, l, _) in cl {
            if !ids.iter().any(|(x, _)| x == i) {
                ids.push((i.clone(), l.clone()));
            }
        }
        ids.into_iter()
            .map(|(id, label)| {
                json!({"id": id, "label": label, "baseline": count(bl, &id), "current": count(cl, &id)})
            })
            .collect::<Vec<_>>()
    };
    let kinds: Vec<Json_> = b
        .kinds
        .iter()
        .map(|bk| {
            let empty = Vec::new();
            let ck = c.kinds.iter().find(|k| k.name == bk.name);
            json!({
                "name": bk.name,
                "label": bk.label,
                "outcomes": side_by_side(&bk.outcomes, ck.map_or(&empty, |k| &k.outcomes)),
                "grades": side_by_side(&bk.grades, ck.map_or(&empty, |k| &k.grades)),
            })
        })
        .collect();
    let funds: Vec<Json_> = b
        .funds
        .iter()
        .map(|(kind, bf)| {
            let label = base
                .rules
                .units
                .iter()
                .find(|u| &u.name == kind)
                .map_or(kind.clone(), |u| u.label.clone());
            let cf = c.funds.iter().find(|(k, _)| k == kind).map(|(_, f)| f.clone());
            json!({
                "kind": kind,
                "label": label,
                "budget": cf.as_ref().and_then(|f| f.get("budget").cloned()).unwrap_or_else(|| bf.get("budget").cloned().unwrap_or(Json_::Null)),
                "baseline": {"paid": bf.get("paid"), "recipients": bf.get("recipients")},
                "current": cf.map(|f| json!({"paid": f.get("paid"), "recipients": f.get("recipients")})),
            })
        })
        .collect();
    let (changes, awards) = if s.is_baseline() {
        (Vec::new(), Vec::new())
    } else {
        diff(base, e)
    };
    let labelled: Vec<Json_> = changes
        .iter()
        .map(|ch| {
            let mut v = serde_json::to_value(ch).unwrap_or(Json_::Null);
            let kind = std::iter::once(&e.rules.primary)
                .chain(&e.rules.units)
                .find(|k| k.name == ch.kind);
            let bkind = std::iter::once(&base.rules.primary)
                .chain(&base.rules.units)
                .find(|k| k.name == ch.kind);
            for (side, k) in [("from", bkind), ("to", kind)] {
                if let (Some(d), Some(k)) = (v.get_mut(side).and_then(Json_::as_object_mut), k) {
                    let outcome = d
                        .get("outcome")
                        .and_then(Json_::as_str)
                        .unwrap_or("")
                        .to_string();
                    let grade = d
                        .get("grade")
                        .and_then(Json_::as_str)
                        .unwrap_or("")
                        .to_string();
                    let ol = k
                        .outcomes
                        .iter()
                        .find(|o| o.id == outcome)
                        .map(|o| o.label.clone());
                    let gl = k
                        .grades
                        .iter()
                        .find(|g| g.id == grade)
                        .map(|g| g.label.clone());
                    d.insert("outcome_label".into(), json!(ol.unwrap_or(outcome)));
                    d.insert("grade_label".into(), json!(gl.unwrap_or(grade)));
                }
            }
            if let Some(o) = v.as_object_mut() {
                o.remove("scenario");
            }
            v
        })
        .collect();
    let awards: Vec<Json_> = awards
        .iter()
        .map(|a| json!({"kind": a.kind, "entity": a.entity, "label": a.label, "from": a.from, "to": a.to}))
        .collect();
    json!({
        "what_if": !s.is_baseline(),
        "label": if s.is_baseline() { base.label.clone() } else { e.label.clone() },
        "mark": crate::scenario::WHAT_IF_MARK,
        "kinds": kinds,
        "funds": funds,
        "changes": labelled,
        "awards": awards,
        "distribution": distribution(base, e),
    })
}

/// The primary totals of the baseline and of the settings, in bins of equal width, with the
/// grade lines of each.
fn distribution(base: &Evaluated, e: &Evaluated) -> Json_ {
    let (bt, ct) = (&base.result.total, &e.result.total);
    let finite = bt
        .iter()
        .chain(ct.iter())
        .copied()
        .filter(|x| x.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let lines_of = |ev: &Evaluated| super::model::lines(&ev.rules);
    let (bl, cl) = (lines_of(base), lines_of(e));
    let lines: Vec<Json_> = bl
        .iter()
        .map(|l| {
            let id = l.get("id").cloned().unwrap_or(Json_::Null);
            let now = cl
                .iter()
                .find(|c| c.get("id") == Some(&id))
                .and_then(|c| c.get("value").cloned());
            json!({"id": id, "label": l.get("label"), "baseline": l.get("value"), "current": now})
        })
        .collect();
    if !lo.is_finite() {
        return json!({"kind": base.rules.primary.name, "label": base.rules.primary.label, "width": 1, "bins": [], "lines": lines});
    }
    let width = match hi - lo {
        s if s > 60.0 => 5.0,
        s if s > 20.0 => 2.0,
        _ => 1.0,
    };
    let first = (lo / width).floor() * width;
    let n = (((hi - first) / width).floor() as usize) + 1;
    let mut counts = vec![(0usize, 0usize); n];
    let bin = |x: f64| (((x - first) / width).floor().max(0.0) as usize).min(n - 1);
    for x in bt.iter().filter(|x| x.is_finite()) {
        if let Some(c) = counts.get_mut(bin(*x)) {
            c.0 += 1;
        }
    }
    for x in ct.iter().filter(|x| x.is_finite()) {
        if let Some(c) = counts.get_mut(bin(*x)) {
            c.1 += 1;
        }
    }
    let bins: Vec<Json_> = counts
        .iter()
        .enumerate()
        .map(|(i, (b, c))| {
            let from = first + width * i as f64;
            json!({"from": from, "to": from + width, "baseline": b, "current": c})
        })
        .collect();
    json!({"kind": e.rules.primary.name, "label": e.rules.primary.label, "width": width, "bins": bins, "lines": lines})
}

async fn near(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    blocking(move || {
        let (s, rest) = settings(q.as_deref(), &["line", "distance"])?;
        let distance = match own(&rest, "distance") {
            None => 2.0,
            Some(d) => d
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|d| d.is_finite() && *d >= 0.0)
                .ok_or_else(|| {
                    Refusal::bad(Problem::new(format!(
                        "`distance={d}`: a distance is a number, 0 or more"
                    )))
                })?,
        };
        let line = own(&rest, "line").unwrap_or("").trim().to_string();
        let e = app.session.evaluate(&s)?;
        Ok(Json(near_json(&e, &line, distance)?).into_response())
    })
    .await
}

/// The primary entities within `distance` of a line: a grade line, a number, or a
/// dimension's minimum (`dim:economy`).
fn near_json(e: &Evaluated, line: &str, distance: f64) -> Result<Json_, Refusal> {
    let kind = &e.rules.primary;
    let lines = super::model::lines(&e.rules);
    let dim = line.strip_prefix("dim:");
    let (line_json, value, dim_index) = if let Some(id) = dim {
        let Some(j) = kind.dims.iter().position(|d| d.id == id) else {
            return Err(Refusal::bad(
                Problem::new(format!("no dimension `{id}`")).with_help(format!(
                    "the dimensions are {}",
                    kind.dims
                        .iter()
                        .map(|d| format!("`dim:{}`", d.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ));
        };
        let d = kind.dims.get(j);
        let Some(min) = d.and_then(|d| d.min) else {
            return Err(Refusal::bad(Problem::new(format!(
                "dimension `{id}` has no minimum"
            ))));
        };
        let label = d.map_or(String::new(), |d| format!("{} 最低分 (minimum)", d.label));
        (
            json!({"id": line, "label": label, "value": min}),
            min,
            Some(j),
        )
    } else if let Some(l) = lines
        .iter()
        .find(|l| l.get("id").and_then(Json_::as_str) == Some(line))
    {
        let v = l.get("value").and_then(Json_::as_f64).unwrap_or(0.0);
        (l.clone(), v, None)
    } else if let Ok(v) = line.parse::<f64>() {
        (json!({"id": line, "label": line, "value": v}), v, None)
    } else {
        let ids: Vec<String> = lines
            .iter()
            .filter_map(|l| {
                l.get("id")
                    .and_then(Json_::as_str)
                    .map(|s| format!("`{s}`"))
            })
            .collect();
        return Err(Refusal::bad(
            Problem::new(format!("`line={line}`: no such line")).with_help(format!(
                "give a number, one of the lines ({}) or `dim:ID`",
                ids.join(", ")
            )),
        ));
    };
    let views = e.views();
    let Some(v) = views.first() else {
        return Ok(json!({"line": line_json, "distance": distance, "rows": [], "more": 0}));
    };
    let mut rows: Vec<(f64, Json_)> = Vec::new();
    for r in 0..v.frame.len() {
        let dims = v.result.dims_of(r);
        // A score every entity has: missing, it is a bug, never a row quietly left out.
        let score = match dim_index {
            Some(j) => dims.get(j).copied(),
            None => v.result.total.get(r).copied(),
        };
        let Some(x) = score else {
            return Err(Refusal::with_status(
                500,
                Problem::new(format!(
                    "internal error: no score for `{}` (a bug in bangfu)",
                    v.frame.id(r)
                )),
            ));
        };
        let off = x - value;
        if off.is_nan() || off.abs() > distance + 1e-9 {
            continue;
        }
        let minimums: Vec<Json_> = kind
            .dims
            .iter()
            .enumerate()
            .filter_map(|(j, d)| {
                let min = d.min?;
                let p = dims.get(j).copied()?;
                Some(json!({"dimension": d.id, "label": d.label, "points": p, "min": min, "distance": round2(p - min)}))
            })
            .collect();
        let columns = v.named_columns(r);
        rows.push((
            off.abs(),
            json!({
                "entity": v.frame.id(r),
                "label": v.frame.label(r),
                "columns": columns,
                "total": v.result.total.get(r),
                "value": x,
                "distance": round2(off),
                "outcome": v.outcome_id(r),
                "outcome_label": v.outcome_label(r),
                "grade_label": v.grade_label(r),
                "minimums": minimums,
            }),
        ));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let more = rows.len().saturating_sub(NEAR_ROWS);
    let rows: Vec<Json_> = rows.into_iter().take(NEAR_ROWS).map(|(_, r)| r).collect();
    Ok(json!({"line": line_json, "distance": distance, "rows": rows, "more": more}))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn explain(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    blocking(move || {
        let (s, rest) = settings(q.as_deref(), &["id", "kind"])?;
        let id = own(&rest, "id").unwrap_or("").trim().to_string();
        if id.is_empty() {
            return Err(Refusal::bad(Problem::new(
                "`id` is missing: which entity to explain?",
            )));
        }
        let kind = own(&rest, "kind").map(str::to_string);
        let e = app.session.evaluate_for_trace(&s)?;
        let hits = crate::explain::find(&e.rules, &e.frame, &e.units, &id, kind.as_deref());
        let found = match hits.as_slice() {
            [] => {
                return Err(Refusal::with_status(
                    404,
                    Problem::new(format!("no entity with id `{id}`")),
                ))
            }
            [(_, f)] => f,
            many => {
                let kinds: Vec<&str> = many.iter().map(|(k, _)| k.as_str()).collect();
                return Err(Refusal::bad(
                    Problem::new(format!(
                        "`{id}` is an id of several kinds: {}",
                        kinds.join(", ")
                    ))
                    .with_help("add `kind=` to say which"),
                ));
            }
        };
        let (ex, kind_name) = match found {
            crate::explain::Found::Primary(r) => {
                let standing = e.standing.as_ref().map(|s| s.view());
                (
                    crate::explain::explain(
                        &e.rules,
                        &e.rules.primary,
                        &e.frame,
                        &e.result,
                        *r,
                        standing,
                        &e.frame,
                    ),
                    e.rules.primary.name.clone(),
                )
            }
            crate::explain::Found::Unit(u, r) => {
                let Some(k) = e.rules.units.get(u.kind) else {
                    return Err(Refusal::with_status(
                        404,
                        Problem::new(format!("no entity with id `{id}`")),
                    ));
                };
                (
                    crate::explain::explain(
                        &e.rules,
                        k,
                        &u.frame,
                        &u.result,
                        *r,
                        Some(u.standing()),
                        &e.frame,
                    ),
                    k.name.clone(),
                )
            }
        };
        let mut text = crate::cli::explain::render(&ex, &e.rules.primary, e.rules.precision);
        if let Some(sc) = app.session.scenario(&s)? {
            text = format!("{}\n\n{text}", crate::report::WhatIf::of(&sc).banner());
        }
        Ok(Json(json!({
            "id": id,
            "kind": kind_name,
            "text": text,
            "explanation": serde_json::to_value(&ex).unwrap_or(Json_::Null),
        }))
        .into_response())
    })
    .await
}

/// A name a saved scenario may have: letters, digits, `_`, `-` and Chinese characters; no
/// path, no dot first.
fn check_name(name: &str) -> Result<(), Refusal> {
    let bad = |why: &str| {
        Err(Refusal::bad(
            Problem::new(format!("the name `{name}` cannot be used: {why}")).with_help(
                "use letters, digits, `_`, `-` or Chinese characters, such as `pass_line_72`",
            ),
        ))
    };
    if name.trim().is_empty() {
        return bad("it is empty");
    }
    if name.chars().count() > 64 {
        return bad("it is longer than 64 characters");
    }
    if name.contains(['/', '\\']) || name.contains("..") {
        return bad("it holds a path");
    }
    if name.starts_with(['.', '-']) {
        return bad("it starts with a dot or a dash");
    }
    let fine = |c: char| {
        c.is_ascii_alphanumeric() || c == '_' || c == '-' || ('\u{4e00}'..='\u{9fff}').contains(&c)
    };
    if let Some(c) = name.chars().find(|c| !fine(*c)) {
        return bad(&format!("`{c}` is not allowed in a name"));
    }
    Ok(())
}

async fn save_scenario(
    State(app): State<Arc<App>>,
    RawQuery(q): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let status = e.status().as_u16();
            return Refusal::with_status(
                status,
                Problem::new(format!(
                    "the request's body cannot be read: {}",
                    e.body_text()
                )),
            )
            .into_response();
        }
    };
    blocking(move || {
        let (s, _) = settings(q.as_deref(), &[])?;
        let doc: Json_ = serde_json::from_slice(&body).map_err(|e| {
            Refusal::bad(Problem::new(format!("the body is not JSON: {e}")).with_help(
                "send `{\"name\": \"pass_line_72\", \"label\": \"合格线 72 分\"}`",
            ))
        })?;
        let field = |k: &str| doc.get(k).and_then(Json_::as_str).map(str::trim).unwrap_or("").to_string();
        let (name, label, description) = (field("name"), field("label"), field("description"));
        check_name(&name)?;
        if s.is_baseline() {
            return Err(Refusal::bad(Problem::new(
                "nothing is changed from the rules as they are: there is no scenario to save",
            )));
        }
        // The settings must be valid as they are saved.
        app.session.evaluate(&s)?;
        let label = if label.is_empty() { name.clone() } else { label };
        let text = s
            .flags
            .file_text(&name, &label, &description, s.scenario.as_deref())
            .map_err(|d| Refusal {
                status: 400,
                problems: d.iter().map(super::session::problem_of).collect(),
            })?;
        let dir = &app.session.folders.scenarios;
        let path = dir.join(format!("{name}.yaml"));
        let head = format!(
            "# 由 bangfu serve 保存 (saved from the live page); compare it with `bangfu compare {name}`\n"
        );
        write_new(dir, &path, &format!("{head}{text}")).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Refusal::with_status(
                409,
                Problem::new(format!("a scenario `{name}` already exists; nothing was written"))
                    .with_help("choose another name: a saved scenario is never replaced"),
            ),
            _ => Refusal::with_status(
                500,
                Problem::new(format!("`{}` could not be written: {e}", path.display())),
            ),
        })?;
        Ok((
            StatusCode::CREATED,
            Json(json!({"name": name, "label": label, "file": path.display().to_string()})),
        )
            .into_response())
    })
    .await
}

/// Write a new file whole, never over one that exists.
fn write_new(dir: &std::path::Path, path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

async fn download(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    blocking(move || {
        let (s, _) = settings(q.as_deref(), &[])?;
        let e = app.session.evaluate(&s)?;
        let sc = app.session.scenario(&s)?;
        let base = &app.session.base;
        let (bytes, mime) = match file.as_str() {
            "results.xlsx" => {
                let views = e.views();
                let mut it = views.into_iter();
                let Some(primary) = it.next() else {
                    return Err(Refusal::with_status(500, Problem::new("no results")));
                };
                let view = crate::report::RunView {
                    rules: &e.rules,
                    data: &app.session.ds,
                    primary,
                    units: it.collect(),
                    data_sha256: String::new(),
                    data_files: Vec::new(),
                    scenario: sc.as_ref().and_then(|s| s.from_file.clone()),
                    outputs: Vec::new(),
                    what_if: sc.as_ref().map(crate::report::WhatIf::of),
                };
                let bytes = crate::report::xlsx::results_xlsx(&view).map_err(|e| {
                    Refusal::with_status(
                        500,
                        Problem::new(format!("the workbook could not be made: {e}")),
                    )
                })?;
                (bytes, XLSX)
            }
            "compare.xlsx" | "compare.html" => {
                let all = |_: &str| true;
                let mut current = Summary::of(&e, &all);
                current.flags = sc.as_ref().is_some_and(|s| s.from_file.is_none());
                let runs = vec![Summary::of(base, &all), current];
                let (changes, awards) = if s.is_baseline() {
                    (Vec::new(), Vec::new())
                } else {
                    diff(base, &e)
                };
                let h = Handout {
                    runs: &runs,
                    changes: &changes,
                    awards: &awards,
                    left_out: &[],
                };
                if file.ends_with(".xlsx") {
                    let bytes = handout::xlsx(&h).map_err(|e| {
                        Refusal::with_status(
                            500,
                            Problem::new(format!("the workbook could not be made: {e}")),
                        )
                    })?;
                    (bytes, XLSX)
                } else {
                    let mut out = Vec::new();
                    let title = format!("{} {}", base.rules.name, base.rules.version);
                    handout::html(&h, &title, &mut out).map_err(|e| {
                        Refusal::with_status(
                            500,
                            Problem::new(format!("the page could not be made: {e}")),
                        )
                    })?;
                    (out, "text/html; charset=utf-8")
                }
            }
            other => {
                return Err(Refusal::with_status(
                    404,
                    Problem::new(format!("no download `{other}`"))
                        .with_help("the downloads are results.xlsx, compare.xlsx and compare.html"),
                ))
            }
        };
        let disposition = if mime == XLSX {
            format!("attachment; filename=\"{file}\"")
        } else {
            "inline".to_string()
        };
        let mut r = (StatusCode::OK, bytes).into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        Ok(r)
    })
    .await
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_path_or_odd_characters_are_refused() {
        for bad in [
            "",
            "../x",
            "a/b",
            ".hidden",
            "a b",
            "x.yaml",
            &"a".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} was accepted");
        }
        for good in ["pass_line_72", "合格线72", "strict-2026"] {
            assert!(check_name(good).is_ok(), "{good:?} was refused");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abcdef", b"abcdef"));
        assert!(!same(b"abcdef", b"abcdeg"));
        assert!(!same(b"abc", b"abcdef"));
    }
}
