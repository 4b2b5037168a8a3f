//! `bangfu criteria --format html` in a real browser: headless Chromium prints the default
//! rules' scoring table to PDF on A4 and takes a screenshot. The PDF must be A4, have a few
//! pages, and hold the Chinese text (read back with `pdftotext` when poppler is installed);
//! the screenshot must be a PNG of the page.
//!
//! Ignored in a plain `cargo test`. To run it:
//!
//! ```sh
//! apt-get install chromium fonts-noto-cjk poppler-utils
//! BANGFU_BROWSER_TESTS=1 cargo test --test criteria_browser -- --include-ignored
//! ```
//!
//! `BANGFU_CHROMIUM=/path/to/chrome` picks the browser; `BANGFU_SCREENSHOTS=1` also writes the
//! screenshot to `docs/criteria-screenshot.png`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{bangfu, root, stderr};

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How to install what the test needs, for its failure messages.
const INSTALL: &str = "install Chromium and CJK fonts (Debian/Ubuntu: \
    `apt-get install chromium fonts-noto-cjk poppler-utils`), or point BANGFU_CHROMIUM at a \
    Chrome or Chromium binary";

fn enabled() -> bool {
    std::env::var("BANGFU_BROWSER_TESTS").is_ok_and(|v| v == "1")
}

/// The browser: `BANGFU_CHROMIUM`, else the first Chromium or Chrome on the PATH.
fn find_browser() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BANGFU_CHROMIUM") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ];
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Are fonts with Chinese glyphs installed? (Unknown, and so taken as yes, without fontconfig.)
fn chinese_fonts() -> bool {
    match Command::new("fc-list").arg(":lang=zh").output() {
        Ok(o) => !o.stdout.is_empty(),
        Err(_) => true,
    }
}

/// Run the browser headless with `args`, killed after `limit`.
fn browser(chrome: &Path, profile: &Path, args: &[String], limit: Duration) -> Output {
    let mut child = Command::new(chrome)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--lang=zh-CN",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", chrome.display()));
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the browser") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser did not finish within {limit:?}: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

/// The page count and the size of the first page (points) of a PDF, read from its objects.
fn pdf_pages(pdf: &[u8]) -> (usize, Option<(f64, f64)>) {
    let text = String::from_utf8_lossy(pdf);
    let pages = text.matches("/Type /Page\n").count()
        + text.matches("/Type /Page/").count()
        + text.matches("/Type /Page>").count()
        + text.matches("/Type /Page ").count();
    let size = text.find("/MediaBox [").and_then(|i| {
        let rest = &text[i + "/MediaBox [".len()..];
        let end = rest.find(']')?;
        let n: Vec<f64> = rest[..end]
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        (n.len() == 4).then(|| (n[2] - n[0], n[3] - n[1]))
    });
    (pages, size)
}

#[test]
#[ignore = "needs Chromium: set BANGFU_BROWSER_TESTS=1 (apt-get install chromium fonts-noto-cjk poppler-utils)"]
fn the_scoring_table_prints_on_a4_in_headless_chromium() {
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
    let page = tmp.path().join("criteria.html");
    let o = bangfu(&[
        "criteria",
        "--format",
        "html",
        "--out",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let url = format!("file://{}", page.display());

    // On paper: A4 (landscape), a few pages, the Chinese text there to read.
    let pdf = tmp.path().join("criteria.pdf");
    let printed = browser(
        &chrome,
        &tmp.path().join("profile-pdf"),
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
            url.clone(),
        ],
        Duration::from_secs(120),
    );
    let bytes = std::fs::read(&pdf).unwrap_or_else(|e| {
        panic!(
            "no PDF ({e}); browser stderr:\n{}",
            String::from_utf8_lossy(&printed.stderr)
        )
    });
    let (pages, size) = pdf_pages(&bytes);
    let (w, h) = size.expect("a page size");
    // A4 landscape is 842 × 595 points.
    assert!(
        (w - 842.0).abs() < 2.0 && (h - 595.0).abs() < 2.0,
        "{w} × {h}"
    );
    assert!((2..=30).contains(&pages), "{pages} pages");
    // poppler, when installed, counts the same pages.
    if let Ok(info) = Command::new("pdfinfo").arg(&pdf).output() {
        let info = String::from_utf8_lossy(&info.stdout);
        if let Some(line) = info.lines().find(|l| l.starts_with("Pages:")) {
            assert_eq!(line.trim_start_matches("Pages:").trim(), pages.to_string());
        }
    }
    if let Ok(text) = Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
    {
        let text = String::from_utf8_lossy(&text.stdout);
        for want in [
            "后进村帮扶验收细则 评分细则",
            "历史遗留问题化解率",
            "一票否决",
            "专项奖励资金",
            "验收合格线",
        ] {
            assert!(text.contains(want), "`{want}` is not in the printed text");
        }
    }

    // On screen: a screenshot of the top of the page.
    let png = tmp.path().join("criteria.png");
    let shot = browser(
        &chrome,
        &tmp.path().join("profile-shot"),
        &[
            "--hide-scrollbars".into(),
            "--window-size=1280,1500".into(),
            format!("--screenshot={}", png.display()),
            url,
        ],
        Duration::from_secs(120),
    );
    let image = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}); browser stderr:\n{}",
            String::from_utf8_lossy(&shot.stderr)
        )
    });
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        image.len() > 50_000,
        "a page, not a blank: {} bytes",
        image.len()
    );
    if std::env::var("BANGFU_SCREENSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(root().join("docs/criteria-screenshot.png"), &image).unwrap();
    }
}
