//! The bad-input corpus (SPEC §10): every file in `tests/corpus/` describes one malformed rule,
//! data, scenario or test file, or one bad command line, and the exit code and message bangfu
//! must give for it.
//!
//! For each case the harness copies `rules/`, `data/sample/` and `scenarios/` into a fresh
//! temporary folder (same relative layout), applies the case's `edits` and `writes`, runs the
//! binary there with the case's `command` (so the default `--rules`, `--data` and `--scenarios`
//! paths point at the copies) and checks that:
//!
//! - it exits with the case's `exit` code, in time, and does not panic;
//! - for exit codes 3, 4 and 5, and 1 from `check`, stderr names a file (`.yaml`, `.csv`,
//!   `.rhai` or the data folder) and a location (a line, a row or a YAML path), unless the case
//!   says `no_location: true`;
//! - stderr (the temporary folder replaced by `[TMP]`) matches the case's snapshot,
//!   `tests/snapshots/bad_inputs__CASE.snap`.
//!
//! Every case runs, and every failure is reported at the end. A new case has no snapshot and
//! fails; accept it with `INSTA_UPDATE=always cargo test --test bad_inputs`, then read the new
//! `.snap` file.
//!
//! A case file:
//!
//! ```yaml
//! description: a truncated kind file
//! command: [check]
//! edits:                      # in the copies; `replace` must occur, its first occurrence changes
//!   - file: rules/kinds/village.yaml
//!     replace: "scoring: { method: deduct, points: 4, per: 1 }"
//!     with: "scoring: { method: deduct, points"   # or `with_hex:` for raw bytes
//!     truncate: true          # optional: also drop everything after the replacement
//! writes:                     # whole files, as text or as hex bytes
//!   - file: data/sample/villages.csv
//!     hex: "efbbbf..."
//! removes: [data/sample]      # optional: files or folders to delete
//! exit: 3
//! no_location: false          # optional: only where a location makes no sense
//! stdout: false               # optional: pin stdout too (after stderr)
//! max_seconds: 60             # optional: the most the command may take
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::{copy_dir, root};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// A case may run at most this long unless it says otherwise.
const DEFAULT_MAX_SECONDS: u64 = 120;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    command: Vec<String>,
    #[serde(default)]
    edits: Vec<Edit>,
    #[serde(default)]
    writes: Vec<Write>,
    #[serde(default)]
    removes: Vec<String>,
    exit: i32,
    #[serde(default)]
    no_location: bool,
    #[serde(default)]
    stdout: bool,
    max_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    replace: String,
    with: Option<String>,
    with_hex: Option<String>,
    #[serde(default)]
    truncate: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Write {
    file: String,
    text: Option<String>,
    hex: Option<String>,
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let pairs = digits.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    pairs
        .map(|pair| {
            let s = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
            u8::from_str_radix(s, 16).map_err(|e| format!("bad hex `{s}`: {e}"))
        })
        .collect()
}

/// Build the case's input folders in `dir`: fresh copies, then its edits, writes and removals.
fn prepare(case: &Case, dir: &Path) -> Result<(), String> {
    copy_dir(&root().join("rules"), &dir.join("rules"));
    copy_dir(&root().join("data/sample"), &dir.join("data/sample"));
    copy_dir(&root().join("scenarios"), &dir.join("scenarios"));
    for e in &case.edits {
        let path = dir.join(&e.file);
        let bytes =
            std::fs::read(&path).map_err(|err| format!("edit: cannot read `{}`: {err}", e.file))?;
        let needle = e.replace.as_bytes();
        let Some(at) = (!needle.is_empty())
            .then(|| bytes.windows(needle.len()).position(|w| w == needle))
            .flatten()
        else {
            return Err(format!(
                "edit: `{}` does not occur in `{}`; the corpus case is out of date",
                e.replace, e.file
            ));
        };
        let with = match (&e.with, &e.with_hex) {
            (Some(t), None) => t.clone().into_bytes(),
            (None, Some(h)) => decode_hex(h).map_err(|err| format!("edit `{}`: {err}", e.file))?,
            _ => {
                return Err(format!(
                    "edit `{}`: give exactly one of `with` and `with_hex`",
                    e.file
                ))
            }
        };
        let mut new = Vec::with_capacity(bytes.len() + with.len());
        new.extend_from_slice(&bytes[..at]);
        new.extend_from_slice(&with);
        if !e.truncate {
            new.extend_from_slice(&bytes[at + needle.len()..]);
        }
        std::fs::write(&path, new).unwrap();
    }
    for w in &case.writes {
        let path = dir.join(&w.file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let bytes = match (&w.text, &w.hex) {
            (Some(t), None) => t.clone().into_bytes(),
            (None, Some(h)) => decode_hex(h).map_err(|e| format!("write `{}`: {e}", w.file))?,
            _ => {
                return Err(format!(
                    "write `{}`: give exactly one of `text` and `hex`",
                    w.file
                ))
            }
        };
        std::fs::write(&path, bytes).unwrap();
    }
    for r in &case.removes {
        let path = dir.join(r);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).map_err(|e| format!("remove `{r}`: {e}"))?;
        }
    }
    Ok(())
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    timed_out: bool,
}

/// Run bangfu in `dir`, its output going to files (so nothing can block on a full pipe), and
/// kill it after `limit`.
fn run(dir: &Path, args: &[String], limit: Duration) -> Ran {
    let out_path = dir.join("stdout.txt");
    let err_path = dir.join("stderr.txt");
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bangfu"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("run bangfu");
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    Ran {
        code: status.code(),
        stdout: read(&out_path),
        stderr: read(&err_path),
        elapsed,
        timed_out,
    }
}

/// Whether `s` names an input file: a rule, data, scenario or script file, or a data folder.
fn names_a_file(s: &str) -> bool {
    [".yaml", ".csv", ".rhai", "data/"]
        .iter()
        .any(|n| s.contains(n))
}

/// Whether `s` gives a location: `file:LINE` (as in `village.yaml:144:16`), a row or line
/// number, or a YAML path (`indicators[8].dimension`, `` at `dimensions[3].max` ``).
fn names_a_location(s: &str) -> bool {
    let digit_after = |pat: &str| {
        s.match_indices(pat).any(|(i, _)| {
            s[i + pat.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
    };
    let file_line = [".yaml:", ".csv:", ".rhai:"].iter().any(|p| digit_after(p));
    let row_or_line = ["row ", "line ", "rows "].iter().any(|p| digit_after(p));
    // A YAML path: `-- a.b[0].c` under a source span, or `(at `a.b`)`.
    let yaml_path = s.contains("`-- ") || s.contains("(at `");
    file_line || row_or_line || yaml_path
}

fn check_case(name: &str, case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    prepare(case, tmp.path())?;
    let limit = Duration::from_secs(case.max_seconds.unwrap_or(DEFAULT_MAX_SECONDS));
    let ran = run(tmp.path(), &case.command, limit);
    let scrub = |s: &str| {
        let mut s = s.replace(&tmp.path().display().to_string(), "[TMP]");
        if let Ok(canon) = tmp.path().canonicalize() {
            s = s.replace(&canon.display().to_string(), "[TMP]");
        }
        s
    };
    let stderr = scrub(&ran.stderr);
    let stdout = scrub(&ran.stdout);
    let show = || {
        format!(
            "command: bangfu {}\n--- stderr ---\n{stderr}",
            case.command.join(" ")
        )
    };

    let mut problems = Vec::new();
    if ran.timed_out {
        problems.push(format!(
            "did not finish within {} s and was killed",
            limit.as_secs()
        ));
    } else if ran.code != Some(case.exit) {
        problems.push(format!(
            "exit code: expected {}, got {:?}",
            case.exit, ran.code
        ));
    }
    if stderr.contains("panicked") || stdout.contains("panicked") || ran.code == Some(101) {
        problems.push("panicked".to_owned());
    }
    if let Some(s) = case.max_seconds {
        if ran.elapsed > Duration::from_secs(s) {
            problems.push(format!(
                "took {:.1} s, more than {s} s",
                ran.elapsed.as_secs_f64()
            ));
        }
    }
    let located = matches!(case.exit, 3..=5)
        || (case.exit == 1 && case.command.first().is_some_and(|c| c == "check"));
    if located && !case.no_location {
        if !names_a_file(&stderr) {
            problems.push("stderr names no file (.yaml, .csv, .rhai or the data folder)".into());
        }
        if !names_a_location(&stderr) {
            problems.push("stderr gives no location (a line, a row or a YAML path)".into());
        }
    }
    if stderr.trim().is_empty() && case.exit != 0 && !case.stdout {
        problems.push("stderr is empty".into());
    }

    let pinned = if case.stdout {
        let mut both = String::new();
        let _ = write!(both, "--- stderr ---\n{stderr}\n--- stdout ---\n{stdout}");
        both
    } else {
        stderr.clone()
    };
    let snapshot = std::panic::catch_unwind(|| {
        insta::with_settings!({
            description => case.description.as_str(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, pinned);
        });
    });
    if snapshot.is_err() {
        problems.push(format!(
            "stderr does not match tests/snapshots/bad_inputs__{name}.snap (or it is new)"
        ));
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{}", problems.join("\n"), show()))
    }
}

fn corpus() -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("tests/corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_input_gets_its_exit_code_and_a_located_message() {
    let files = corpus();
    assert!(
        files.len() >= 45,
        "the corpus has {} cases, expected at least 45",
        files.len()
    );
    let mut failures = Vec::new();
    for (name, path) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let case: Case = match serde_yaml::from_str(&text) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: the case file is invalid: {e}"));
                continue;
            }
        };
        if let Err(e) = check_case(name, &case) {
            failures.push(format!("{name} ({}):\n{e}", case.description));
        }
    }
    // A snapshot whose case was removed or renamed is stale.
    for e in std::fs::read_dir(root().join("tests/snapshots")).unwrap() {
        let file = e.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = file
            .strip_prefix("bad_inputs__")
            .and_then(|f| f.strip_suffix(".snap"))
        {
            if !files.iter().any(|(n, _)| n == stem) {
                failures.push(format!(
                    "{file}: no case `tests/corpus/{stem}.yaml`; delete the snapshot"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
