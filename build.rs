//! Records what `bangfu --version` names besides the version: the target the binary was built
//! for and the commit it was built from. Outside a git checkout (a source archive, or a
//! machine without git) the commit is `unknown`; the build never fails for want of it.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=BANGFU_TARGET={target}");
    println!("cargo:rustc-env=BANGFU_COMMIT={}", commit());
    // Rebuilt when the checked-out commit moves; the paths come from git, so a linked worktree
    // (whose `.git` is a file) is followed too.
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git_path(name) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git_path(&branch) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The short hash of the checked-out commit, or `unknown`. Only bangfu's own checkout counts:
/// a source archive unpacked inside another repository must not take that one's commit.
fn commit() -> String {
    let own = std::env::var_os("CARGO_MANIFEST_DIR")
        .and_then(|d| PathBuf::from(d).canonicalize().ok())
        .zip(
            git(&["rev-parse", "--show-toplevel"])
                .and_then(|t| PathBuf::from(t).canonicalize().ok()),
        )
        .is_some_and(|(dir, top)| dir == top);
    own.then(|| git(&["rev-parse", "--short", "HEAD"]))
        .flatten()
        .unwrap_or_else(|| "unknown".into())
}

/// A file of the git repository that exists, by its name inside the git folder.
fn git_path(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(git(&[
        "rev-parse",
        "--path-format=absolute",
        "--git-path",
        name,
    ])?);
    path.is_file().then_some(path)
}

/// The trimmed output of a successful git command run in the crate's folder.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}
