//! What differs between the systems bangfu runs on, checked here on Linux: rule files saved
//! with Windows line ends, result files that must be the same bytes wherever they are written,
//! the names files are recorded under, colour on a console, and what `--version` says.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{bangfu, bangfu_in, copy_dir, root, stderr, stdout};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            m.insert(
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            );
        }
    }
    m
}

/// Rewrite every YAML and rhai file under `dir` with CRLF line ends, as Notepad saves them.
fn to_crlf(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            to_crlf(&p);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "rhai") {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(!text.contains('\r'));
            std::fs::write(&p, text.replace('\n', "\r\n")).unwrap();
        }
    }
}

/// `results.json` without its manifest (which holds the files' hashes, and so differs when
/// the files' bytes do).
fn results_without_manifest(bytes: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    v.as_object_mut().unwrap().remove("manifest").unwrap();
    v
}

#[test]
fn rule_files_saved_with_windows_line_ends_give_the_same_results() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    to_crlf(&rules);
    let data = root().join("data/sample");
    let run = |rules: &Path, out: &Path| {
        let o = bangfu(&[
            "run",
            "--quiet",
            "--rules",
            rules.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        files(out)
    };
    let lf = run(&root().join("rules"), &tmp.path().join("lf"));
    let crlf = run(&rules, &tmp.path().join("crlf"));
    let csvs: Vec<_> = lf.keys().filter(|n| n.ends_with(".csv")).collect();
    assert_eq!(csvs.len(), 6, "{csvs:?}");
    for name in csvs {
        assert!(
            lf[name] == crlf[name],
            "`{name}` differs with CRLF rule files"
        );
    }
    assert_eq!(
        results_without_manifest(&lf["results.json"]),
        results_without_manifest(&crlf["results.json"])
    );
    // The manifest tells the two apart: the files' bytes differ.
    assert_ne!(lf["manifest.json"], crlf["manifest.json"]);

    // The rule set's own test cases pass too.
    let o = bangfu(&["test", "--quiet", "--rules", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn errors_in_rule_files_with_windows_line_ends_are_located_as_with_unix_ones() {
    let tmp = tempfile::tempdir().unwrap();
    // A mistyped dimension, a bad expression on the second line of a YAML block, and a
    // syntax error in a script: each is located by line and column.
    let report = |name: &str, crlf: bool| {
        let rules = tmp.path().join(name);
        copy_dir(&root().join("rules"), &rules);
        let village = rules.join("kinds/village.yaml");
        let text = std::fs::read_to_string(&village).unwrap();
        let expr = "      expr: works_done(roads_hardened, bridges_culverts, wells_ponds_pumps, offices_built)\n";
        assert!(text.contains(expr) && text.contains("dimension: economy"));
        let text = text.replacen("dimension: economy", "dimension: econmy", 1).replace(
            expr,
            "      expr: |\n        let a = 1;\n        works_done(roads_hardened, bridges_culverts, wells_ponds_pumps, offices_built) + * a\n",
        );
        std::fs::write(&village, text).unwrap();
        let script = rules.join("scripts/helpers.rhai");
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(text.contains("    } else if audits >= 2 {\n"));
        let text = text.replace(
            "    } else if audits >= 2 {\n",
            "    } else if audits >= 2 {\n        let x = ;\n",
        );
        std::fs::write(&script, text).unwrap();
        if crlf {
            to_crlf(&rules);
        }
        let o = bangfu_in(tmp.path(), &["check", "--rules", name]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        stderr(&o)
    };
    let lf = report("lf", false);
    let crlf = report("crlf", true);
    assert!(lf.contains("[lf/kinds/village.yaml:144:16]"), "{lf}");
    assert!(lf.contains("[lf/kinds/village.yaml:204:9]"), "{lf}");
    assert!(lf.contains("[lf/scripts/helpers.rhai:10:17]"), "{lf}");
    assert!(
        !crlf.contains('\r'),
        "no carriage return reaches the terminal"
    );
    assert_eq!(crlf.replace("crlf/", "lf/"), lf);
}

#[test]
fn result_files_are_the_same_bytes_wherever_they_are_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = bangfu(&["run", "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = files(&out);
    // Line feeds alone, on Windows too: nothing is translated on the way to the file.
    for (name, bytes) in &got {
        if !name.ends_with(".xlsx") {
            assert!(!bytes.contains(&b'\r'), "`{name}` has a carriage return");
        }
        if name.ends_with(".csv") {
            assert!(
                bytes.starts_with(b"\xEF\xBB\xBF"),
                "`{name}`: a BOM for Excel"
            );
        }
    }
    // Files are recorded under their path inside the rule set, with `/` on every system.
    let manifest: serde_json::Value = serde_json::from_slice(&got["manifest.json"]).unwrap();
    let paths: Vec<&str> = manifest["rules"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"kinds/village.yaml"), "{paths:?}");
    assert!(paths.contains(&"scripts/helpers.rhai"), "{paths:?}");
    assert!(paths.iter().all(|p| !p.contains('\\')), "{paths:?}");

    // Printed CSV has no BOM and line feeds alone.
    let o = bangfu(&["run", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.starts_with(b"id,"));
    assert!(!o.stdout.contains(&b'\r'));
}

#[test]
fn problems_are_coloured_only_when_asked_or_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    let village = rules.join("kinds/village.yaml");
    let text = std::fs::read_to_string(&village).unwrap();
    std::fs::write(
        &village,
        text.replacen("dimension: economy", "dimension: econmy", 1),
    )
    .unwrap();
    let check = |color: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_bangfu"))
            .args(["check", "--rules", "rules", "--color", color])
            .current_dir(tmp.path())
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        stderr(&o)
    };
    // Not a terminal here: `auto` writes no colour codes, which a Windows console in its
    // older mode would show as text.
    assert!(!check("auto").contains('\x1b'));
    assert!(!check("never").contains('\x1b'));
    assert!(check("always").contains("\x1b[1;31merror\x1b[0m: unknown dimension `econmy`"));
}

#[test]
fn version_names_the_target_and_the_commit() {
    let o = bangfu(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let rest = text
        .trim()
        .strip_prefix(&format!("bangfu {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{text}"));
    let (triple, commit) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", commit "))
        .unwrap_or_else(|| panic!("{text}"));
    // The target this test binary runs on.
    assert!(
        triple.starts_with(std::env::consts::ARCH) && triple.contains(std::env::consts::OS),
        "{triple}"
    );
    let git = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output();
    match git {
        Ok(g) if g.status.success() => {
            assert_eq!(commit, String::from_utf8_lossy(&g.stdout).trim());
        }
        // Built outside a git checkout.
        _ => assert_eq!(commit, "unknown"),
    }
    assert_eq!(stdout(&bangfu(&["-V"])), text);
}
