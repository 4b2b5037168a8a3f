//! Atomic result files: everything is written to a temporary folder beside the target, then
//! moved into place file by file with `rename`, so readers never see a half-written file and a
//! failed run leaves the previous results as they were.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Write `files` (name, contents) into `dir`. Refuses to write into a folder the run reads.
pub fn write_all(dir: &Path, files: &[(String, Vec<u8>)], inputs: &[&Path]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let target = dir
        .canonicalize()
        .map_err(|e| format!("cannot open `{}`: {e}", dir.display()))?;
    for input in inputs {
        if let Ok(inp) = input.canonicalize() {
            if inp == target {
                return Err(format!(
                    "`{}` holds the run's inputs; choose another folder for `--out`",
                    dir.display()
                ));
            }
        }
    }
    let staging = target.join(format!(".bangfu-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create `{}`: {e}", staging.display()))?;
    let result = (|| -> Result<(), String> {
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        for (name, bytes) in files {
            let tmp = staging.join(name);
            let mut f = std::fs::File::create(&tmp)
                .map_err(|e| format!("cannot write `{}`: {e}", tmp.display()))?;
            f.write_all(bytes)
                .map_err(|e| format!("cannot write `{}`: {e}", tmp.display()))?;
            f.sync_all()
                .map_err(|e| format!("cannot write `{}`: {e}", tmp.display()))?;
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
