//! Any bytes as the village kind file of an otherwise valid rule set: loading and compiling
//! must report problems, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let rules = dir.path();
    let _ = std::fs::create_dir_all(rules.join("kinds"));
    let _ = std::fs::write(rules.join("ruleset.yaml"), "name: f\nversion: \"1\"\nparameters:\n  line: 70\n");
    let _ = std::fs::write(rules.join("kinds/village.yaml"), data);
    let _ = bangfu::rules::check(rules);
});
