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

#[path = "common/browser.rs"]
mod browser;
mod common;
use browser::{chinese_fonts, enabled, find_browser};
use common::{bangfu, root, stderr};

use std::process::Command;
use std::time::Duration;

/// How to install what the test needs, for its failure messages.
const INSTALL: &str = "install Chromium and CJK fonts (Debian/Ubuntu: \
    `apt-get install chromium fonts-noto-cjk poppler-utils`), or point BANGFU_CHROMIUM at a \
    Chrome or Chromium binary";

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
    let printed = browser::run(
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
    let shot = browser::run(
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
