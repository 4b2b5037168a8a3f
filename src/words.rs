//! How labels and numbers read in messages and results. Every stage writes them (the compiler
//! in its messages, the engine in its reasons, the reports in their headings), so they live
//! here rather than in any one of them.

/// The first part of a bilingual label: `稳定 (stability)` → `稳定`.
pub fn short_label(label: &str) -> &str {
    match label.find(" (") {
        Some(i) if i > 0 => label.get(..i).unwrap_or(label),
        _ => label,
    }
}

/// A number without a needless `.0`.
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}
