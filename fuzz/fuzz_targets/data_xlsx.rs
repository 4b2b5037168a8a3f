//! Any bytes as `villages.xlsx` for the default rules: loading
//! and validating must report problems, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn rules() -> Option<&'static bangfu::RuleSet> {
    static RULES: OnceLock<Option<bangfu::RuleSet>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
            bangfu::rules::load(&dir).ok().map(|(r, _)| r)
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(rules) = rules() else { return };
    let Ok(dir) = tempfile::tempdir() else { return };
    let _ = std::fs::write(dir.path().join("villages.xlsx"), data);
    let Ok(ds) = bangfu::data::DataSet::open(dir.path()) else { return };
    if let Ok(frame) = ds.load_primary(&rules.primary) {
        let _ = bangfu::engine::evaluate_kind(rules, &rules.primary, &frame);
    }
});
