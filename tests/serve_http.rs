//! `bangfu serve` over HTTP: every route, every bad request, saved scenarios read back by
//! `compare`, and the page's answers against `compare`'s for the same settings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use assert_cmd::Command;
use axum::body::Body;
use axum::http::Request;
use axum::Router;
use bangfu::serve::session::Folders;
use bangfu::serve::{api, App};
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;

/// A copy of the bundled rules, sample data and scenarios: saving writes into the copy.
fn copy_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    for (from, to) in [
        ("rules", "rules"),
        ("data/sample", "data"),
        ("scenarios", "scenarios"),
    ] {
        common::copy_dir(&common::root().join(from), &tmp.path().join(to));
    }
    tmp
}

fn folders(dir: &Path) -> Folders {
    Folders {
        rules: dir.join("rules"),
        data: dir.join("data"),
        scenarios: dir.join("scenarios"),
    }
}

fn router(dir: &Path, token: Option<&str>) -> Router {
    let app = App::open(folders(dir), token.map(str::to_string)).expect("the sample opens");
    api::router(app)
}

async fn send(app: &Router, req: Request<Body>) -> (u16, Vec<u8>, String) {
    let res = app.clone().oneshot(req).await.expect("an answer");
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .expect("a body");
    (status, body.to_vec(), ctype)
}

async fn get(app: &Router, uri: &str) -> (u16, Value) {
    let (status, body, _) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    let v = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("{uri}: not JSON: {}", String::from_utf8_lossy(&body)));
    (status, v)
}

async fn post(app: &Router, uri: &str, body: &str) -> (u16, Value) {
    let req = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, body, _) = send(app, req).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn bangfu(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("bangfu").expect("binary");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["--data", "data"]);
    c
}

/// `compare`'s JSON for the same what-if, run in `dir`.
fn compare_json(dir: &Path, args: &[&str]) -> Value {
    let out = bangfu(dir)
        .args(["compare", "--format", "json"])
        .args(args)
        .output()
        .expect("compare runs");
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "compare failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("compare's JSON")
}

/// The page's counts as `compare` lists them: kind → outcome → count.
fn page_counts(v: &Value, run: &str, what: &str) -> Value {
    let mut out = serde_json::Map::new();
    for k in v["kinds"].as_array().expect("kinds") {
        let mut m = serde_json::Map::new();
        for o in k[what].as_array().expect("counts") {
            m.insert(o["id"].as_str().unwrap().to_string(), o[run].clone());
        }
        out.insert(k["name"].as_str().unwrap().to_string(), Value::Object(m));
    }
    Value::Object(out)
}

/// The changes as (kind, entity, from outcome, to outcome, from grade, to grade, flip).
fn flips(changes: &Value) -> Vec<(String, String, String, String, String, String, String)> {
    let mut v: Vec<_> = changes
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            let s = |p: &str| c.pointer(p).map(|x| x.to_string()).unwrap_or_default();
            (
                s("/kind"),
                s("/entity"),
                s("/from/outcome"),
                s("/to/outcome"),
                s("/from/grade"),
                s("/to/grade"),
                s("/flip"),
            )
        })
        .collect();
    v.sort();
    v
}

fn awards(list: &Value) -> Vec<(String, String, i64, i64)> {
    let mut v: Vec<_> = list
        .as_array()
        .expect("awards")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or("").to_string(),
                a["entity"].as_str().unwrap_or("").to_string(),
                a["from"].as_i64().unwrap_or(-1),
                a["to"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    v.sort();
    v
}

/// The same settings on the page and in `compare` give the same counts, changes and awards.
#[tokio::test]
async fn the_page_agrees_with_compare() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    let cases: &[(&str, &[&str])] = &[
        ("set=pass_line%3D75", &["--set", "pass_line=75"]),
        (
            "set=village.dimensions.economy.min%3D15&gate=collective_petition%3Doff",
            &[
                "--set",
                "village.dimensions.economy.min=15",
                "--gate",
                "collective_petition=off",
            ],
        ),
        (
            "set=department.fund.budget%3D600000&set=reward_line_department%3D80",
            &[
                "--set",
                "department.fund.budget=600000",
                "--set",
                "reward_line_department=80",
            ],
        ),
        // A scenario with data changes, and one with a subset.
        (
            "scenario=collective_income_growth",
            &["collective_income_growth"],
        ),
        ("scenario=unstable_villages", &["unstable_villages"]),
    ];
    for (query, args) in cases {
        let (status, page) = get(&app, &format!("/api/evaluate?{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(page["mark"], "模拟测算，非正式结果");
        assert_eq!(page["what_if"], true);
        let cli = compare_json(tmp.path(), args);
        let cur = &cli["scenarios"][1];
        assert_eq!(
            page_counts(&page, "baseline", "outcomes"),
            cli["scenarios"][0]["counts"],
            "{query}"
        );
        assert_eq!(
            page_counts(&page, "current", "outcomes"),
            cur["counts"],
            "{query}"
        );
        assert_eq!(
            page_counts(&page, "current", "grades"),
            cur["grades"],
            "{query}"
        );
        assert_eq!(flips(&page["changes"]), flips(&cli["changes"]), "{query}");
        assert_eq!(awards(&page["awards"]), awards(&cli["awards"]), "{query}");
        // The fund's paid amounts and recipients too.
        for f in page["funds"].as_array().unwrap() {
            let kind = f["kind"].as_str().unwrap();
            assert_eq!(
                f["current"]["paid"], cur["funds"][kind]["paid"],
                "{query} {kind}"
            );
            assert_eq!(
                f["current"]["recipients"], cur["funds"][kind]["recipients"],
                "{query}"
            );
        }
        // Every village is in one bin of the distribution, in either run.
        let bins = page["distribution"]["bins"].as_array().unwrap();
        let total: u64 = bins.iter().map(|b| b["current"].as_u64().unwrap()).sum();
        let villages: u64 = cur["counts"]["village"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(total, villages, "{query}");
    }
}

#[tokio::test]
async fn the_model_offers_every_figure_by_its_stable_path() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    let (status, m) = get(&app, "/api/model").await;
    assert_eq!(status, 200);
    let controls = m["controls"].as_array().unwrap();
    let find = |p: &str| controls.iter().find(|c| c["path"] == p).cloned();
    let pass = find("pass_line").expect("the pass line");
    assert_eq!(pass["label"], "验收合格线 (pass line)");
    assert_eq!(pass["unit"], "分");
    assert_eq!(
        (
            pass["value"].as_f64(),
            pass["min"].as_f64(),
            pass["max"].as_f64()
        ),
        (Some(70.0), Some(68.0), Some(72.0))
    );
    for path in [
        "village.indicators.collective_income.scoring.bands[1].points",
        "department.fund.budget",
        "department.quotas[0].max_share",
        "village.grades.good.range",
        "reward_line_department",
    ] {
        assert!(find(path).is_some(), "no control for {path}");
    }
    // A minimum named by a parameter shows the name.
    assert_eq!(
        find("village.dimensions.economy.min").unwrap()["value"],
        "min_economy"
    );
    // The primary kind's controls come before any unit's.
    let first_unit = controls
        .iter()
        .position(|c| c["group"].as_str().unwrap().starts_with("department."))
        .unwrap();
    let last_village = controls
        .iter()
        .rposition(|c| c["group"].as_str().unwrap().starts_with("village."))
        .unwrap();
    assert!(last_village < first_unit);
    // Every control's path is one `--set` takes: each, set to its own value, is accepted.
    for c in controls {
        // A text is sent quoted, as the page sends it: `[0, 0.8)` is no YAML list.
        let v = c["value"].to_string();
        let q = format!(
            "set={}",
            urlencode(&format!("{}={v}", c["path"].as_str().unwrap()))
        );
        let (status, body) = get(&app, &format!("/api/evaluate?{q}")).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert!(
            body["changes"].as_array().unwrap().is_empty(),
            "{q} changed something"
        );
    }
    let gates = m["gates"].as_array().unwrap();
    assert!(gates.iter().any(|g| g["id"] == "collective_petition"));
    assert!(gates
        .iter()
        .any(|g| g["id"] == "department.village_not_passed"));
    let scenarios: Vec<&str> = m["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(scenarios.len(), 6, "{scenarios:?}");
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .unwrap()
        .trim_start_matches("x=")
        .to_string()
}

/// Every bad request gets its status and a message; none writes anything.
#[tokio::test]
async fn bad_requests_are_refused_in_words() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    let before = listing(&tmp.path().join("scenarios"));
    let long = format!("/api/evaluate?set=pass_line%3D{}", "7".repeat(17 * 1024));
    let cases: Vec<(&str, String)> = vec![
        (
            "unknown parameter",
            "/api/evaluate?set=pass_lin%3D72".into(),
        ),
        (
            "unknown path",
            "/api/evaluate?set=village.dimensions.econ.min%3D14".into(),
        ),
        (
            "unknown gate",
            "/api/evaluate?gate=collective_petitions%3Doff".into(),
        ),
        (
            "gate neither on nor off",
            "/api/evaluate?gate=collective_petition%3Dmaybe".into(),
        ),
        ("malformed flag", "/api/evaluate?set=pass_line".into()),
        (
            "wrong type",
            "/api/evaluate?set=pass_line%3D%5B1%2C2%5D".into(),
        ),
        ("out of range", "/api/evaluate?set=pass_line%3D1000".into()),
        (
            "invalid rule set",
            "/api/evaluate?set=village.dimensions.economy.max%3D30".into(),
        ),
        (
            "unknown scenario",
            "/api/evaluate?scenario=pass_line_57".into(),
        ),
        (
            "scenario as a path",
            "/api/evaluate?scenario=..%2Frules%2Fruleset.yaml".into(),
        ),
        (
            "two scenarios",
            "/api/evaluate?scenario=pass_line_75&scenario=economy_min_15".into(),
        ),
        ("unknown key", "/api/evaluate?pass_line=72".into()),
        ("query too long", long),
        ("unknown route", "/api/evalute".into()),
        ("near: unknown line", "/api/near?line=bogus".into()),
        (
            "near: bad distance",
            "/api/near?line=pass&distance=-1".into(),
        ),
        ("explain: no id", "/api/explain".into()),
        ("explain: unknown id", "/api/explain?id=V999".into()),
        ("unknown download", "/api/download/secrets.txt".into()),
    ];
    let mut report = String::new();
    for (what, uri) in &cases {
        let (status, body) = get(&app, uri).await;
        assert!((400..500).contains(&status), "{what}: {status} {body}");
        assert!(
            body["problems"].as_array().is_some_and(|p| !p.is_empty()),
            "{what}: {body}"
        );
        report.push_str(&format!("{what}: {status}\n"));
        for p in body["problems"].as_array().unwrap() {
            report.push_str(&format!("  {}\n", p["message"].as_str().unwrap()));
            if let Some(h) = p["help"].as_str() {
                report.push_str(&format!("  help: {h}\n"));
            }
        }
    }
    let posts: Vec<(&str, String, String)> = vec![
        (
            "save: a path in the name",
            "/api/scenario?set=pass_line%3D72".into(),
            r#"{"name": "../rules/x"}"#.into(),
        ),
        (
            "save: a dot first",
            "/api/scenario?set=pass_line%3D72".into(),
            r#"{"name": ".x"}"#.into(),
        ),
        (
            "save: no name",
            "/api/scenario?set=pass_line%3D72".into(),
            r#"{"label": "x"}"#.into(),
        ),
        (
            "save: not JSON",
            "/api/scenario?set=pass_line%3D72".into(),
            "name=x".into(),
        ),
        (
            "save: nothing changed",
            "/api/scenario".into(),
            r#"{"name": "same"}"#.into(),
        ),
        (
            "save: bad settings",
            "/api/scenario?set=pass_lin%3D72".into(),
            r#"{"name": "typo"}"#.into(),
        ),
        (
            "save: existing name",
            "/api/scenario?set=pass_line%3D72".into(),
            r#"{"name": "pass_line_75"}"#.into(),
        ),
        (
            "save: too large",
            "/api/scenario?set=pass_line%3D72".into(),
            format!(r#"{{"name": "big", "label": "{}"}}"#, "x".repeat(70 * 1024)),
        ),
    ];
    for (what, uri, body) in &posts {
        let (status, answer) = post(&app, uri, body).await;
        assert!((400..500).contains(&status), "{what}: {status} {answer}");
        report.push_str(&format!("{what}: {status}\n"));
        for p in answer["problems"].as_array().into_iter().flatten() {
            report.push_str(&format!("  {}\n", p["message"].as_str().unwrap_or("")));
        }
    }
    // The scenario that exists is untouched, and nothing was added.
    assert_eq!(listing(&tmp.path().join("scenarios")), before);
    let report = report.replace(&tmp.path().display().to_string(), "[dir]");
    insta::assert_snapshot!("serve_bad_requests", report);
}

fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A saved scenario is a file `compare` and `run --scenario` accept, giving what the page
/// showed; a second save under the name is refused and leaves the first.
#[tokio::test]
async fn a_saved_scenario_is_read_back_by_compare() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    let q = "scenario=economy_min_15&set=pass_line%3D72&set=village.indicators.collective_income.scoring.bands%5B1%5D.points%3D6&gate=collective_petition%3Doff";
    let (status, shown) = get(&app, &format!("/api/evaluate?{q}")).await;
    assert_eq!(status, 200, "{shown}");
    let (status, saved) = post(
        &app,
        &format!("/api/scenario?{q}"),
        r#"{"name": "合格线72_econ", "label": "合格线 72 分，经济最低 15 分"}"#,
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    let file = tmp.path().join("scenarios").join("合格线72_econ.yaml");
    let text = std::fs::read_to_string(&file).expect("the file is written");
    insta::assert_snapshot!("serve_saved_scenario", text);
    let cli = compare_json(tmp.path(), &["合格线72_econ"]);
    assert_eq!(
        page_counts(&shown, "current", "outcomes"),
        cli["scenarios"][1]["counts"]
    );
    assert_eq!(flips(&shown["changes"]), flips(&cli["changes"]));
    assert_eq!(cli["scenarios"][1]["label"], "合格线 72 分，经济最低 15 分");
    bangfu(tmp.path())
        .args(["run", "--scenario", "合格线72_econ", "--format", "json"])
        .assert()
        .success();
    // Never over a file that exists.
    let (status, again) = post(
        &app,
        &format!("/api/scenario?{q}"),
        r#"{"name": "合格线72_econ", "label": "other"}"#,
    )
    .await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // The new scenario is offered by the model of a server started afterwards.
    let (_, m) = get(&router(tmp.path(), None), "/api/model").await;
    assert!(m["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "合格线72_econ"));
}

#[tokio::test]
async fn a_trace_is_explain_under_the_same_settings() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    for (q, args) in [
        ("id=V04", vec![]),
        ("id=V04&set=pass_line%3D75", vec!["--set", "pass_line=75"]),
        (
            "id=D35&kind=department&gate=collective_petition%3Doff",
            vec!["--kind", "department", "--gate", "collective_petition=off"],
        ),
    ] {
        let (status, t) = get(&app, &format!("/api/explain?{q}")).await;
        assert_eq!(status, 200, "{q}: {t}");
        let id = t["id"].as_str().unwrap();
        let out = bangfu(tmp.path())
            .arg("explain")
            .arg(id)
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            t["text"].as_str().unwrap().trim_end(),
            String::from_utf8_lossy(&out.stdout).trim_end(),
            "{q}"
        );
    }
}

#[tokio::test]
async fn the_band_near_a_line_lists_each_entity_with_its_distances() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    let (status, n) = get(&app, "/api/near?line=pass&distance=2&set=pass_line%3D72").await;
    assert_eq!(status, 200, "{n}");
    assert_eq!(n["line"]["value"], 72.0);
    let rows = n["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    let mut last = 0.0;
    for r in rows {
        let total = r["total"].as_f64().unwrap();
        let d = r["distance"].as_f64().unwrap();
        assert!((total - 72.0 - d).abs() < 0.006 && d.abs() <= 2.0, "{r}");
        assert!(d.abs() >= last - 1e-9, "sorted by distance");
        last = d.abs();
        assert!(r["columns"]["town_name"].is_string(), "{r}");
        for m in r["minimums"].as_array().unwrap() {
            let gap = m["points"].as_f64().unwrap() - m["min"].as_f64().unwrap();
            assert!((gap - m["distance"].as_f64().unwrap()).abs() < 0.006);
        }
    }
    // The villages within 2 of 72 are exactly those the sample's totals place there.
    let (_, all) = get(&app, "/api/near?line=pass&distance=1000&set=pass_line%3D72").await;
    let within = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| (r["total"].as_f64().unwrap() - 72.0).abs() <= 2.0)
        .count();
    assert_eq!(within, rows.len());
    assert_eq!(all["rows"].as_array().unwrap().len(), 78);
    // A dimension's minimum is a line too.
    let (status, d) = get(&app, "/api/near?line=dim:economy&distance=1").await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["line"]["value"], 12.0);
}

#[tokio::test]
async fn downloads_carry_the_what_if_mark() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    for (uri, marked) in [
        ("/api/download/results.xlsx?set=pass_line%3D75", true),
        ("/api/download/results.xlsx", false),
        ("/api/download/compare.xlsx?set=pass_line%3D75", true),
    ] {
        let (status, body, ctype) =
            send(&app, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, 200, "{uri}");
        assert!(ctype.contains("spreadsheetml"), "{uri}: {ctype}");
        let path = tmp.path().join("dl.xlsx");
        std::fs::write(&path, &body).unwrap();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("a workbook");
        use calamine::Reader;
        let sheets = wb.sheet_names().to_vec();
        for s in sheets {
            let range = wb.worksheet_range(&s).expect("a sheet");
            let top = range.get((0, 0)).map(|c| c.to_string()).unwrap_or_default();
            assert_eq!(
                top.contains("模拟测算，非正式结果"),
                marked,
                "{uri} sheet {s}: {top}"
            );
        }
    }
    let (status, body, ctype) = send(
        &app,
        Request::get("/api/download/compare.html?set=pass_line%3D75")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("模拟测算，非正式结果") && html.contains("V04"));
}

#[tokio::test]
async fn the_page_is_one_document_with_nothing_from_elsewhere() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    let (status, body, ctype) = send(&app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(
        !html.contains("/*__APP_JS__*/") && !html.contains("/*__APP_CSS__*/"),
        "the style and script are inlined"
    );
    for external in ["http://", "https://", "//cdn", "src=\"/", "href=\"/"] {
        let hits: Vec<&str> = html
            .lines()
            .filter(|l| l.contains(external) && !l.contains("w3.org"))
            .collect();
        assert!(hits.is_empty(), "the page refers to {external}: {hits:?}");
    }
}

#[tokio::test]
async fn a_token_guards_every_route() {
    let tmp = copy_project();
    let token = "0123456789abcdef0123";
    let app = router(tmp.path(), Some(token));
    for uri in [
        "/",
        "/api/model",
        "/api/evaluate?set=pass_line%3D72",
        "/api/download/results.xlsx",
    ] {
        let (status, _, _) = send(&app, Request::get(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, 401, "{uri} without the token");
        let wrong = format!(
            "{uri}{}token=0123456789abcdef0124",
            if uri.contains('?') { "&" } else { "?" }
        );
        let (status, _, _) = send(&app, Request::get(&wrong).body(Body::empty()).unwrap()).await;
        assert_eq!(status, 401, "{uri} with a wrong token");
        let right = format!(
            "{uri}{}token={token}",
            if uri.contains('?') { "&" } else { "?" }
        );
        let (status, _, _) = send(&app, Request::get(&right).body(Body::empty()).unwrap()).await;
        assert_eq!(status, 200, "{uri} with the token");
    }
    let req = Request::get("/api/model")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, req).await.0, 200);
    let (status, _) = post(&app, "/api/scenario?set=pass_line%3D72", r#"{"name": "x"}"#).await;
    assert_eq!(status, 401);
    assert!(!tmp.path().join("scenarios/x.yaml").exists());
}

/// Several pages at once each get the answer to their own settings; a bounded load of
/// mixed requests is answered without a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_pages_at_once_get_their_own_answers() {
    let tmp = copy_project();
    let app = router(tmp.path(), None);
    let settings: Vec<String> = (0..8)
        .map(|i| format!("set=pass_line%3D{}", 66 + i))
        .collect();
    let mut expected = Vec::new();
    for s in &settings {
        let (_, v) = get(&app, &format!("/api/evaluate?{s}")).await;
        expected.push(page_counts(&v, "current", "outcomes"));
    }
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for round in 0..25 {
        for (i, s) in settings.iter().enumerate() {
            let app = app.clone();
            // The same settings, written with or without a parameter at its own value.
            let extra = if round % 2 == 0 {
                "&set=min_days_on_post%3D20"
            } else {
                ""
            };
            let uri = format!("/api/evaluate?{s}{extra}");
            tasks.push(tokio::spawn(async move { (i, get(&app, &uri).await) }));
        }
    }
    for t in tasks {
        let (i, (status, v)) = tokio::time::timeout(std::time::Duration::from_secs(120), t)
            .await
            .expect("answered in time")
            .expect("the task ran");
        assert_eq!(status, 200, "{v}");
        assert_eq!(page_counts(&v, "current", "outcomes"), expected[i]);
    }
    assert!(start.elapsed() < std::time::Duration::from_secs(300));
}

/// The binary: it prints its address, answers on the loopback address, refuses another host
/// without a token, and stops on Ctrl-C.
#[test]
fn the_server_runs_on_the_loopback_address_and_stops_cleanly() {
    let tmp = copy_project();
    let out = bangfu(tmp.path())
        .args(["serve", "--host", "0.0.0.0", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs `--token`") && err.contains("--token "),
        "{err}"
    );
    let bin = assert_cmd::cargo::cargo_bin("bangfu");
    let mut child = std::process::Command::new(bin)
        .current_dir(tmp.path())
        .args([
            "serve",
            "--rules",
            "rules",
            "--data",
            "data",
            "--scenarios",
            "scenarios",
            "--port",
            "0",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let guard = Kill(child.id());
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let url = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        if let Some(u) = line.trim().strip_prefix("open ") {
            break u.to_string();
        }
    };
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let reply = http_get(addr, "/api/evaluate?set=pass_line%3D75");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\"what_if\":true"));
    #[cfg(unix)]
    {
        std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        let status = wait_for(&mut child, 30).expect("the server stops on Ctrl-C");
        assert!(status.success(), "{status:?}");
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
    }
    drop(guard);
}

/// Kills the server when a test ends, passed or not.
struct Kill(u32);

impl Drop for Kill {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .status();
        #[cfg(windows)]
        let _ = std::process::Command::new("taskkill")
            .args(["/F", "/PID", &self.0.to_string()])
            .status();
    }
}

#[cfg(unix)]
fn wait_for(child: &mut std::process::Child, secs: u64) -> Option<std::process::ExitStatus> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    None
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
