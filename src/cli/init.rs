//! `bangfu init DIR`: a working rule set, test cases, a scenario and a tiny data set to start
//! from. Everything it writes passes `check` and `test` at once.

use super::Options;
use crate::exit::Exit;
use std::path::Path;

/// The files `init` writes, relative to the new folder.
const FILES: &[(&str, &str)] = &[
    ("README.md", include_str!("../../templates/init/README.md")),
    (
        "rules/ruleset.yaml",
        include_str!("../../templates/init/rules/ruleset.yaml"),
    ),
    (
        "rules/kinds/village.yaml",
        include_str!("../../templates/init/rules/kinds/village.yaml"),
    ),
    (
        "rules/kinds/town.yaml",
        include_str!("../../templates/init/rules/kinds/town.yaml"),
    ),
    (
        "rules/scripts/helpers.rhai",
        include_str!("../../templates/init/rules/scripts/helpers.rhai"),
    ),
    (
        "rules/tests/villages.yaml",
        include_str!("../../templates/init/rules/tests/villages.yaml"),
    ),
    (
        "data/sample/dataset.yaml",
        include_str!("../../templates/init/data/sample/dataset.yaml"),
    ),
    (
        "data/sample/villages.csv",
        include_str!("../../templates/init/data/sample/villages.csv"),
    ),
    (
        "data/sample/baseline.csv",
        include_str!("../../templates/init/data/sample/baseline.csv"),
    ),
    (
        "data/sample/towns.csv",
        include_str!("../../templates/init/data/sample/towns.csv"),
    ),
    (
        "scenarios/pass_line_80.yaml",
        include_str!("../../templates/init/scenarios/pass_line_80.yaml"),
    ),
];

/// Run the `init` command.
pub fn run(opts: &Options, dir: &Path) -> Exit {
    if dir.exists() && !dir.is_dir() {
        crate::errln!("error: `{}` is a file, not a folder", dir.display());
        crate::errln!("  help: choose a new folder; `init` never overwrites files");
        return Exit::Usage;
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        crate::errln!("error: `{}` already exists and is not empty", dir.display());
        crate::errln!("  help: choose a new folder; `init` never overwrites files");
        return Exit::Usage;
    }
    for (rel, text) in FILES {
        let path = dir.join(rel);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(&path, text));
        if let Err(e) = written {
            crate::errln!("error: cannot write `{}`: {e}", path.display());
            return Exit::Usage;
        }
    }
    if !opts.quiet {
        crate::outln!("wrote a new rule set and sample data to {}", dir.display());
        crate::outln!(
            "next:\n  cd {}\n  bangfu check\n  bangfu test\n  bangfu run",
            dir.display()
        );
    }
    Exit::Ok
}
