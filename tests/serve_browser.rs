//! `bangfu serve` in a real browser: headless Chromium loads the page from a server started on
//! a copy of the bundled rules, sample data and scenarios, moves the pass line's slider, turns a
//! gate off, opens one village's trace and saves the settings as a scenario. The counts the
//! page then shows must be those `bangfu compare` gives for the saved scenario file.
//!
//! The page carries its own walk-through, started by `#selftest=NAME` in its address: it works
//! the real controls (slider events, checkbox and link clicks, the save form), waits for every
//! answer and writes what it read from the page into `<pre id="selftest-result">`. Chromium's
//! `--dump-dom` with a virtual time budget (which waits for pending fetches) prints that DOM.
//!
//! Ignored in a plain `cargo test`. To run it:
//!
//! ```sh
//! apt-get install chromium fonts-noto-cjk
//! BANGFU_BROWSER_TESTS=1 cargo test --test serve_browser -- --include-ignored
//! ```
//!
//! `BANGFU_CHROMIUM=/path/to/chrome` picks the browser; `BANGFU_SCREENSHOTS=1` also writes the
//! 1366×768 screenshot to `docs/serve-screenshot.png`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/browser.rs"]
mod browser;
mod common;
use browser::{chinese_fonts, enabled, find_browser, INSTALL};
use common::{copy_dir, root};

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The name of the scenario the walk-through saves.
const SAVED: &str = "browser_walk";

/// The running server; killed when dropped, also when the test panics.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `bangfu serve` on a free port in `dir` and return it with the address it printed.
fn start_server(dir: &Path) -> (Server, String) {
    let child = Command::new(assert_cmd::cargo::cargo_bin("bangfu"))
        .args([
            "serve",
            "--rules",
            "rules",
            "--data",
            "data",
            "--scenarios",
            "scenarios",
        ])
        .args(["--port", "0"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bangfu serve");
    let mut server = Server { child };
    // Both streams are read to the end on their own threads, so the server never blocks on a
    // full pipe; the lines come here.
    let (tx, rx) = mpsc::channel::<String>();
    let out = server.child.stdout.take().expect("stdout");
    let err = server.child.stderr.take().expect("stderr");
    for stream in [Box::new(out) as Box<dyn Read + Send>, Box::new(err)] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(at) = line.find("http://127.0.0.1:") {
                    let url: String = line[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    // Keep draining the streams for the rest of the test.
                    std::thread::spawn(move || for _ in rx {});
                    return (server, url);
                }
                seen.push(line);
            }
            Err(_) => panic!(
                "bangfu serve printed no http://127.0.0.1:PORT/ address within 60 s; it said:\n{}",
                seen.join("\n")
            ),
        }
    }
}

/// Add query parameters to the server's address (which may carry `?token=` already).
fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

/// The walk-through's report from the dumped DOM.
fn selftest_result(dom: &str) -> Value {
    let open = "<pre id=\"selftest-result\">";
    // The last one: the page's script mentions the element too.
    let Some(start) = dom.rfind(open) else {
        let tail: String = dom
            .chars()
            .rev()
            .take(3000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        panic!("the page wrote no selftest result; the end of its DOM:\n{tail}");
    };
    let rest = &dom[start + open.len()..];
    let end = rest.find("</pre>").expect("</pre>");
    let text = rest[..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("selftest result is not JSON ({e}):\n{text}"))
}

/// The counts of `kind` in the page's report, as {id: n} for `outcomes` or `grades`.
fn page_counts<'a>(page: &'a Value, kind: &str, what: &str) -> &'a Value {
    &page["counts"][kind][what]
}

#[test]
#[ignore = "needs Chromium: set BANGFU_BROWSER_TESTS=1 (apt-get install chromium fonts-noto-cjk)"]
fn page_in_headless_chromium_matches_compare() {
    if !enabled() {
        eprintln!("skipped: set BANGFU_BROWSER_TESTS=1 to run the browser test");
        return;
    }
    let chrome = find_browser().unwrap_or_else(|| {
        panic!("BANGFU_BROWSER_TESTS=1 but no Chromium or Chrome was found: {INSTALL}")
    });
    assert!(
        chinese_fonts(),
        "no font with Chinese glyphs (fc-list :lang=zh is empty): {INSTALL}"
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    copy_dir(&root().join("rules"), &dir.join("rules"));
    copy_dir(&root().join("data/sample"), &dir.join("data"));
    copy_dir(&root().join("scenarios"), &dir.join("scenarios"));

    let (server, url) = start_server(dir);

    // The walk-through: slider, gate, trace, save; then the counts the page shows.
    let walk = browser::run(
        &chrome,
        &dir.join("profile-walk"),
        &[
            "--dump-dom".into(),
            "--virtual-time-budget=30000".into(),
            format!("{url}#selftest={SAVED}"),
        ],
        Duration::from_secs(180),
    );
    let dom = String::from_utf8_lossy(&walk.stdout);
    let page = selftest_result(&dom);
    assert_eq!(
        page["ok"],
        Value::Bool(true),
        "the walk-through failed:\n{page:#}\nbrowser stderr:\n{}",
        String::from_utf8_lossy(&walk.stderr)
    );
    // Each step did what it says.
    let step = |name: &str| -> &Value {
        page["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|x| x["step"] == name))
            .unwrap_or_else(|| panic!("no step `{name}` in {page:#}"))
    };
    assert_eq!(step("slider")["path"], "pass_line", "{page:#}");
    // The what-if mark: absent for the rules as they are, shown once the line moved.
    assert_eq!(step("loaded")["marked"], false, "{page:#}");
    assert_eq!(step("slider")["marked"], true, "{page:#}");
    assert_eq!(step("gate")["checked"], false, "{page:#}");
    let gate = step("gate")["gate"].as_str().expect("gate id").to_owned();
    assert!(
        page["query"]
            .as_str()
            .unwrap_or("")
            .contains("pass_line%3D"),
        "{page:#}"
    );
    assert!(
        page["query"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("gate={gate}%3Doff")),
        "{page:#}"
    );
    let trace_id = page["trace"]["id"].as_str().expect("trace id");
    assert!(page["trace"]["open"] == true, "{page:#}");
    assert!(
        page["trace"]["chars"].as_u64().unwrap_or(0) > 100,
        "{page:#}"
    );
    assert!(trace_id.starts_with('V'), "{page:#}");
    assert_eq!(page["saved"]["status"], 201, "{page:#}");
    let file = dir.join("scenarios").join(format!("{SAVED}.yaml"));
    assert!(file.is_file(), "{} was not written", file.display());

    // The saved scenario, run by the command line, gives the counts the page showed.
    let o = Command::new(assert_cmd::cargo::cargo_bin("bangfu"))
        .args(["compare", SAVED, "--format", "json"])
        .args([
            "--rules",
            "rules",
            "--data",
            "data",
            "--scenarios",
            "scenarios",
        ])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run bangfu compare");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let cmp: Value = serde_json::from_slice(&o.stdout).expect("compare JSON");
    let current = &cmp["scenarios"][1];
    let baseline = &cmp["scenarios"][0];
    let kinds = current["counts"].as_object().expect("counts by kind");
    assert!(!kinds.is_empty());
    for (kind, counts) in kinds {
        assert_eq!(
            page_counts(&page, kind, "outcomes"),
            counts,
            "outcome counts of {kind}: page vs compare"
        );
        if let Some(grades) = current["grades"].get(kind) {
            assert_eq!(
                page_counts(&page, kind, "grades"),
                grades,
                "grade counts of {kind}: page vs compare"
            );
        }
    }
    // The settings did change something, so the comparison above is not the baseline's.
    assert_ne!(
        current["counts"]["village"], baseline["counts"]["village"],
        "the walk-through's settings changed no village outcome"
    );

    // The screenshot: the sample with a changed pass line, as on a 1366×768 projector.
    let shot = dir.join("serve-screenshot.png");
    let o = browser::run(
        &chrome,
        &dir.join("profile-shot"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1366,768".into(),
            "--hide-scrollbars".into(),
            "--virtual-time-budget=20000".into(),
            with_query(&url, "set=pass_line%3D72"),
        ],
        Duration::from_secs(120),
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "screenshot {} is empty or missing ({size} bytes); browser said:\n{}",
        shot.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    if std::env::var("BANGFU_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let to = root().join("docs/serve-screenshot.png");
        std::fs::copy(&shot, &to).expect("copy the screenshot into docs/");
        eprintln!("screenshot written to {}", to.display());
    }
    drop(server);
}
