//! Shared by the data targets: write the input as the village table under a given file name,
//! then load, validate and score it with the default rules. Problems must be reported, never
//! panic.

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

/// Load `data` as the file `name` of an otherwise empty data set, and score it.
pub fn load_as(name: &str, data: &[u8]) {
    let Some(rules) = rules() else { return };
    let Ok(dir) = tempfile::tempdir() else { return };
    let _ = std::fs::write(dir.path().join(name), data);
    let Ok(ds) = bangfu::data::DataSet::open(dir.path()) else {
        return;
    };
    if let Ok(frame) = ds.load_primary(&rules.primary) {
        let _ = bangfu::engine::evaluate_kind(rules, &rules.primary, &frame);
    }
}
