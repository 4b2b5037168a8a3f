//! Headless Chromium for the tests that need a real browser: finding it, whether Chinese
//! fonts are installed, and running it with a deadline. Included by path
//! (`#[path = "common/browser.rs"] mod browser;`) by the tests that use it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How to install what the test needs, for its failure messages.
pub const INSTALL: &str = "install Chromium and CJK fonts (Debian/Ubuntu: \
    `apt-get install chromium fonts-noto-cjk`), or point BANGFU_CHROMIUM at a Chrome or \
    Chromium binary";

/// Whether the browser tests were asked for (`BANGFU_BROWSER_TESTS=1`).
pub fn enabled() -> bool {
    std::env::var("BANGFU_BROWSER_TESTS").is_ok_and(|v| v == "1")
}

/// The browser: `BANGFU_CHROMIUM`, else the first Chromium or Chrome on the PATH.
pub fn find_browser() -> Option<PathBuf> {
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
pub fn chinese_fonts() -> bool {
    match Command::new("fc-list").arg(":lang=zh").output() {
        Ok(o) => !o.stdout.is_empty(),
        Err(_) => true,
    }
}

/// Run the browser headless with `args`, killed after `limit`.
pub fn run(chrome: &Path, profile: &Path, args: &[String], limit: Duration) -> Output {
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
