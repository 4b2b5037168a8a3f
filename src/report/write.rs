//! Atomic result files: everything is written to a temporary folder beside the target, then
//! moved into place file by file with `rename`, so readers never see a half-written file and a
//! failed run leaves the previous results as they were.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Something that writes one result file's contents.
pub type Emit<'a> = Box<dyn Fn(&mut dyn Write) -> io::Result<()> + 'a>;

/// Write `files` (name, writer) into `dir`. Refuses to write into a folder the run reads, or
/// beside a file it reads (`inputs` holds folders and files).
pub fn write_all(dir: &Path, files: &[(String, Emit)], inputs: &[&Path]) -> Result<(), String> {
    let mut staging = Staging::open(dir, inputs)?;
    for (name, emit) in files {
        staging.write(name, emit)?;
    }
    staging.commit()
}

/// Result files on their way into a folder: each is written into a staging folder beside the
/// target as soon as it is ready, and all are moved into place together by
/// [`Staging::commit`]. Dropped before that (a failed run), it removes what it wrote, and the
/// folders it made for the target, as far as they are still empty.
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
    /// The folders made for the target, deepest first; emptied once committed.
    made: Vec<PathBuf>,
}

impl Staging {
    /// Prepare to write into `dir`. Refuses a folder inside one of the `inputs` folders, and the
    /// folder holding one of the `inputs` files.
    pub fn open(dir: &Path, inputs: &[&Path]) -> Result<Staging, String> {
        // Decide before creating anything: the folder may not exist yet.
        let target = resolve(dir).map_err(|e| format!("cannot open `{}`: {e}", dir.display()))?;
        for input in inputs {
            let Ok(inp) = input.canonicalize() else {
                continue;
            };
            if inp.is_file() {
                // A file the run reads may sit in a folder of its own (a data set's
                // `dataset.yaml` can name one): results written beside it could replace it.
                if inp.parent() == Some(target.as_path()) {
                    return Err(format!(
                        "`{}` holds `{}`, which the run reads; choose a folder without the run's inputs for `--out`",
                        dir.display(),
                        input.display()
                    ));
                }
            } else if target.starts_with(&inp) {
                return Err(format!(
                    "`{}` is inside the run's inputs (`{}`); choose a folder outside the rules and the data for `--out`",
                    dir.display(),
                    input.display()
                ));
            }
        }
        let made: Vec<PathBuf> = target
            .ancestors()
            .take_while(|p| !p.exists())
            .map(Path::to_path_buf)
            .collect();
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
        let out = Staging {
            target,
            staging,
            staged: Vec::new(),
            made,
        };
        std::fs::create_dir_all(&out.staging)
            .map_err(|e| format!("cannot create `{}`: {e}", out.staging.display()))?;
        Ok(out)
    }

    /// Write the file `name`.
    pub fn write(&mut self, name: &str, emit: &Emit) -> Result<(), String> {
        let tmp = self.staging.join(name);
        let fail = |e: io::Error| format!("cannot write `{}`: {e}", tmp.display());
        let f = std::fs::File::create(&tmp).map_err(fail)?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        emit(&mut w).map_err(fail)?;
        let f = w.into_inner().map_err(|e| fail(e.into_error()))?;
        // No fsync: a rename makes the files appear whole or not at all when a run is
        // interrupted, which is the guarantee results need; forcing 500 MB to disk is not.
        drop(f);
        self.staged.push((tmp, self.target.join(name)));
        Ok(())
    }

    /// Move every file written into place. Results that the manifest being replaced lists and
    /// this commit does not write (results.json after a `--csv-only` run, say) are removed:
    /// a folder never mixes the files of two runs.
    pub fn commit(mut self) -> Result<(), String> {
        let staged = std::mem::take(&mut self.staged);
        let manifest = self.target.join("manifest.json");
        let writes = |name: &str| {
            staged
                .iter()
                .any(|(_, dest)| dest.file_name() == Some(name.as_ref()))
        };
        let stale: Vec<String> = if writes("manifest.json") {
            earlier_outputs(&manifest)
                .into_iter()
                .filter(|n| !writes(n))
                .collect()
        } else {
            Vec::new()
        };
        for (tmp, dest) in staged {
            std::fs::rename(&tmp, &dest)
                .map_err(|e| format!("cannot move `{}` into place: {e}", dest.display()))?;
        }
        for name in stale {
            let path = self.target.join(&name);
            if path.is_file() {
                std::fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove the earlier `{}`: {e}", path.display()))?;
            }
        }
        self.made.clear();
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
        for dir in &self.made {
            // Only an empty folder is removed.
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// The files an earlier run's manifest lists as its results: plain names in its folder only.
fn earlier_outputs(manifest: &Path) -> Vec<String> {
    let Some(v) = std::fs::read(manifest)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    else {
        return Vec::new();
    };
    v.get("outputs")
        .and_then(|o| o.as_array())
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .filter(|n| {
            let p = Path::new(n);
            p.file_name() == Some(p.as_os_str()) && !n.starts_with('.')
        })
        .map(String::from)
        .collect()
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
