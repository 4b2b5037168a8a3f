//! Any text as a gate's rhai `when:` expression: compiling must report problems, and running
//! it on the sample must stay inside the sandbox (errors, never a hang or a panic).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if text.contains('\n') || text.len() > 400 {
        return;
    }
    let Ok(dir) = tempfile::tempdir() else { return };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rules = dir.path().join("rules");
    let _ = std::fs::create_dir_all(rules.join("kinds"));
    let _ = std::fs::create_dir_all(rules.join("scripts"));
    for f in ["ruleset.yaml", "kinds/village.yaml", "scripts/helpers.rhai"] {
        let _ = std::fs::copy(root.join("rules").join(f), rules.join(f));
    }
    let village = rules.join("kinds/village.yaml");
    let Ok(src) = std::fs::read_to_string(&village) else { return };
    let quoted = serde_json_escape(text);
    let _ = std::fs::write(&village, src.replacen("when: skip_level_petitions > 0", &format!("when: {quoted}"), 1));
    if let Ok((rs, _)) = bangfu::rules::load(&rules) {
        if let Ok(ds) = bangfu::data::DataSet::open(&root.join("data/sample")) {
            if let Ok(frame) = ds.load_primary(&rs.primary) {
                let _ = bangfu::engine::evaluate_kind(&rs, &rs.primary, &frame);
            }
        }
    }
});

/// A YAML double-quoted scalar holding `s`.
fn serde_json_escape(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
