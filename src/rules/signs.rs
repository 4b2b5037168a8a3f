//! Comparison signs as people type them: full-width (`＞`, `＝`) and mathematical (`≥`, `≠`)
//! signs read as the ASCII ones, and near misses (`>==`, `=>`) named with the operator meant.
//! Plain comparisons and the script host's messages both use them.

/// The ASCII a comparison sign stands for: itself, or what a full-width (`＞`, `＝`) or
/// mathematical (`≥`, `≠`) sign, as Chinese input methods give them, is meant as.
pub(super) fn sign(c: char) -> Option<&'static str> {
    Some(match c {
        '<' | '＜' => "<",
        '>' | '＞' => ">",
        '=' | '＝' => "=",
        '!' | '！' => "!",
        '≥' | '≧' => ">=",
        '≤' | '≦' => "<=",
        '≠' => "!=",
        _ => return None,
    })
}

/// The operator a run of signs that is none (`>==`, `=>`) most likely means.
pub(super) fn near_miss(ascii: &str) -> Option<&'static str> {
    Some(match ascii {
        ">==" | "=>" | "=>=" | "==>" => ">=",
        "<==" | "=<" | "=<=" | "==<" => "<=",
        "=" | "===" => "==",
        "!==" | "=!" | "<>" | "=!=" => "!=",
        _ => return None,
    })
}

/// The message for the signs `written` (reading as `ascii`) where `meant` was meant.
pub(super) fn misspelt(written: &str, ascii: &str, meant: &str) -> String {
    if written == ascii {
        format!("`{written}` is not an operator; use `{meant}`")
    } else {
        format!("`{written}` is written with full-width or mathematical signs; use `{meant}`")
    }
}

/// A near miss of an operator in a rhai expression that did not compile (`total >== 70`,
/// `total ＞＝ 70`), said as for a plain comparison; text in quotes is passed over.
pub fn operator_hint(text: &str) -> Option<String> {
    let mut quote = None;
    let mut run = String::new();
    let mut ascii = String::new();
    // A space at the end closes the last run.
    for c in text.chars().chain(std::iter::once(' ')) {
        match (quote, sign(c)) {
            (Some(q), _) => {
                if c == q {
                    quote = None;
                }
            }
            (None, Some(s)) => {
                run.push(c);
                ascii.push_str(s);
            }
            (None, None) => {
                if !run.is_empty() {
                    let meant = if run == ascii {
                        near_miss(&ascii)
                    } else {
                        // Full-width signs: the operator they spell, or the one it nearly is.
                        match ascii.as_str() {
                            ">=" | "<=" | "==" | "!=" | ">" | "<" | "!" => Some(sign_str(&ascii)),
                            other => near_miss(other),
                        }
                    };
                    if let Some(meant) = meant {
                        return Some(misspelt(&run, &ascii, meant));
                    }
                    run.clear();
                    ascii.clear();
                }
                if c == '"' || c == '\'' || c == '`' {
                    quote = Some(c);
                }
            }
        }
    }
    // Any other full-width character outside quotes: a digit, a comma, a parenthesis.
    crate::fullwidth::in_expression(text).map(|c| {
        format!(
            "{} is not rhai; {}",
            crate::fullwidth::describe(c),
            crate::fullwidth::help(c)
        )
    })
}

/// `ascii`, one of the operators, as a `'static` text.
fn sign_str(ascii: &str) -> &'static str {
    match ascii {
        ">=" => ">=",
        "<=" => "<=",
        "==" => "==",
        "!=" => "!=",
        ">" => ">",
        "<" => "<",
        _ => "!",
    }
}

#[cfg(test)]
mod tests {
    use super::operator_hint;

    #[test]
    fn a_near_miss_in_a_rhai_expression_is_named() {
        assert_eq!(
            operator_hint("total >== 70 && !failed").unwrap(),
            "`>==` is not an operator; use `>=`"
        );
        assert_eq!(
            operator_hint("total ＞＝ 70").unwrap(),
            "`＞＝` is written with full-width or mathematical signs; use `>=`"
        );
        assert_eq!(
            operator_hint("x => 1").unwrap(),
            "`=>` is not an operator; use `>=`"
        );
        assert_eq!(operator_hint("grade == \"a=>b\" && x < 1"), None);
        assert_eq!(operator_hint("total >= 70 && x != 1 || !y"), None);
        assert_eq!(
            operator_hint("total >= ６０").unwrap(),
            "full-width digit `６` (U+FF16) is not rhai; write the half-width `6` (switch the input method to half-width, 半角)"
        );
    }
}
