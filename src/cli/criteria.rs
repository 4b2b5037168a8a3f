//! `bangfu criteria`: the rule set as the printed scoring table (评分细则), as a scenario or
//! the what-if flags change it.

use super::pipeline::{load_rules_for, load_what_if};
use super::{Format, Options};
use crate::criteria::{build, render};
use crate::exit::Exit;
use std::path::Path;

/// Run the `criteria` command.
pub fn run(opts: &Options, scenario: Option<&str>, flags: &crate::scenario::Flags) -> Exit {
    if let Some(out) = &opts.out {
        if let Err(e) = check_out(out, opts.format) {
            crate::errln!("error: {e}");
            return Exit::Usage;
        }
    }
    let sc = match load_what_if(opts, scenario, flags) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let rules = match load_rules_for(opts, sc.as_ref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let what_if = sc.as_ref().map(crate::report::WhatIf::of);
    let criteria = build(&rules, what_if.as_ref());
    let bytes: Vec<u8> = match opts.format {
        Format::Xlsx => match render::xlsx(&criteria) {
            Ok(b) => b,
            Err(e) => {
                crate::errln!("error: cannot make the workbook: {e}");
                return Exit::ScriptFailed;
            }
        },
        Format::Html => render::html(&criteria).into_bytes(),
        Format::Md => render::text(&criteria, true).into_bytes(),
        // Refused before the command runs; the table stands in.
        Format::Table | Format::Json | Format::Csv => render::text(&criteria, false).into_bytes(),
    };
    let Some(out) = &opts.out else {
        use std::io::Write as _;
        let _ = std::io::stdout().lock().write_all(&bytes);
        return Exit::Ok;
    };
    let (dir, name) = split_out(out);
    let files: Vec<(String, crate::report::write::Emit)> = vec![(
        name,
        Box::new(|w: &mut dyn std::io::Write| w.write_all(&bytes)),
    )];
    let inputs = [opts.rules.as_path(), opts.scenarios.as_path()];
    if let Err(e) = crate::report::write::write_all(&dir, &files, &inputs) {
        crate::errln!("error: {e}");
        return Exit::Usage;
    }
    if !opts.quiet {
        crate::errln!("wrote `{}`", out.display());
    }
    Exit::Ok
}

/// The folder and the file name of `--out FILE`.
fn split_out(out: &Path) -> (std::path::PathBuf, String) {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

/// `--out` names a file, and its extension does not contradict `--format`.
fn check_out(out: &Path, format: Format) -> Result<(), String> {
    if out.is_dir() || out.file_name().is_none() {
        return Err(format!(
            "`--out {}` is a folder; `criteria` writes one file: name it (such as `--out 评分细则.html`)",
            out.display()
        ));
    }
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let wants = match ext.as_str() {
        "html" | "htm" => Some(("html", Format::Html)),
        "xlsx" => Some(("xlsx", Format::Xlsx)),
        "md" | "markdown" => Some(("md", Format::Md)),
        _ => None,
    };
    match wants {
        Some((name, f)) if f != format => Err(format!(
            "`--out {}` names a .{ext} file, but the format is not {name}; add `--format {name}`",
            out.display()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_out_file_s_extension_must_match_the_format() {
        assert!(check_out(Path::new("t.html"), Format::Html).is_ok());
        assert!(check_out(Path::new("t.txt"), Format::Table).is_ok());
        let e = check_out(Path::new("t.xlsx"), Format::Table).unwrap_err();
        assert!(e.contains("--format xlsx"), "{e}");
    }

    #[test]
    fn an_out_file_in_the_working_folder_is_written_there() {
        let (dir, name) = split_out(Path::new("t.html"));
        assert_eq!(
            (dir, name.as_str()),
            (Path::new(".").to_path_buf(), "t.html")
        );
    }
}
