//! Atomic result files: everything is written to a temporary folder beside the target, then
//! moved into place file by file with `rename`, so readers never see a half-written file and a
//! failed run leaves the previous results as they were.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Something that writes one result file's contents.
pub type Emit<'a> = Box<dyn Fn(&mut dyn Write) -> io::Result<()> + 'a>;

/// Write `files` (name, writer) into `dir`. Refuses to write into a folder the run reads.
pub fn write_all(dir: &Path, files: &[(String, Emit)], inputs: &[&Path]) -> Result<(), String> {
    // Decide before creating anything: the folder may not exist yet.
    let target = resolve(dir).map_err(|e| format!("cannot open `{}`: {e}", dir.display()))?;
    for input in inputs {
        if let Ok(inp) = input.canonicalize() {
            if target.starts_with(&inp) {
                return Err(format!(
                    "`{}` is inside the run's inputs (`{}`); choose a folder outside the rules and the data for `--out`",
                    dir.display(),
                    input.display()
                ));
            }
        }
    }
    std::fs::create_dir_all(&target)
        .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    // A run killed while writing leaves its staging folder behind; the next run clears it.
    if let Ok(entries) = std::fs::read_dir(&target) {
        for e in entries.filter_map(Result::ok) {
            if e.file_name().to_string_lossy().starts_with(".bangfu-tmp-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let staging = target.join(format!(".bangfu-tmp-{}", std::process::id()));
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create `{}`: {e}", staging.display()))?;
    let result = (|| -> Result<(), String> {
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        for (name, emit) in files {
            let tmp = staging.join(name);
            let fail = |e: io::Error| format!("cannot write `{}`: {e}", tmp.display());
            let f = std::fs::File::create(&tmp).map_err(fail)?;
            let mut w = BufWriter::with_capacity(1 << 20, f);
            emit(&mut w).map_err(fail)?;
            let f = w.into_inner().map_err(|e| fail(e.into_error()))?;
            // No fsync: a rename makes the files appear whole or not at all when a run is
            // interrupted, which is the guarantee results need; forcing 500 MB to disk is not.
            drop(f);
            staged.push((tmp, target.join(name)));
        }
        for (tmp, dest) in staged {
            std::fs::rename(&tmp, &dest)
                .map_err(|e| format!("cannot move `{}` into place: {e}", dest.display()))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// The absolute form of `dir`, whose tail may not exist yet: the nearest existing ancestor is
/// resolved (links included) and the rest appended.
fn resolve(dir: &Path) -> io::Result<PathBuf> {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()?.join(dir)
    };
    let mut existing = abs.as_path();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(name)) => {
                rest.push(name.to_os_string());
                existing = p;
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize()?;
    for part in rest.iter().rev() {
        out.push(part);
    }
    Ok(out)
}
