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

/// Whole numbers (yuan, counts) with thousands separators: `1234567` → `1,234,567`.
pub fn thousands(x: i64) -> String {
    let digits = x.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0 {
        format!("-{out}")
    } else {
        out
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
