//! Characters a Chinese keyboard types in place of ASCII: the full-width colon `：`, comma `，`
//! and digits `０`–`９` (U+FF01–U+FF5E, each the ASCII character U+0021–U+007E moved up by
//! U+FEE0), and the ideographic space. In labels and messages they are text and stay as written;
//! where YAML, a formula or a number needs ASCII, they are named with their half-width form.

/// The ASCII character a full-width one stands for (`：` → `:`, `６` → `6`, `　` → space).
pub fn half_width(c: char) -> Option<char> {
    match c {
        '\u{3000}' => Some(' '),
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0),
        _ => None,
    }
}

/// A full-width character in words: `full-width colon `：` (U+FF1A)`.
pub fn describe(c: char) -> String {
    let what = match half_width(c) {
        Some(':') => "full-width colon",
        Some(',') => "full-width comma",
        Some('0'..='9') => "full-width digit",
        Some('.') => "full-width full stop",
        Some('-') => "full-width minus",
        Some(' ') => "ideographic (full-width) space",
        Some('(' | ')') => "full-width parenthesis",
        Some('[' | ']') => "full-width bracket",
        _ => "full-width character",
    };
    format!("{what} `{c}` (U+{:04X})", u32::from(c))
}

/// The help for a full-width character: its half-width form, as a Chinese input method in
/// English mode types it.
pub fn help(c: char) -> String {
    match half_width(c) {
        Some(' ') => "write a plain space (switch the input method to half-width, 半角)".into(),
        Some(h) => {
            format!("write the half-width `{h}` (switch the input method to half-width, 半角)")
        }
        None => "write it in half-width characters (半角)".into(),
    }
}

/// A number written with full-width digits (`１２`, `－３．５`), read as its ASCII form; `None`
/// when the text has no full-width digit or is not a number once converted.
pub fn number(raw: &str) -> Option<String> {
    if !raw.chars().any(|c| ('\u{FF10}'..='\u{FF19}').contains(&c)) {
        return None;
    }
    let ascii: String = raw.chars().map(|c| half_width(c).unwrap_or(c)).collect();
    let ok = !ascii.is_empty()
        && ascii
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    ok.then_some(ascii)
}

/// A full-width character where YAML needs ASCII, at a 1-based line and character column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slip {
    pub line: usize,
    pub col: usize,
    pub ch: char,
}

/// Full-width characters standing where YAML syntax is: a colon after a key (`value：60`,
/// `{ parameter： pass_line }`), a comma between plain ASCII items of a flow list
/// (`[economy，bonus]`), a value written only in digits (`value: ６０`), an ideographic space
/// indenting a line. Text in quotes and comments, and Chinese text in labels and messages
/// (`说明：见附件`, `甲，乙`), are left alone.
pub fn yaml_slips(text: &str) -> Vec<Slip> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let at = |i: usize| chars.get(i).copied();
        let slip = |i: usize| Slip {
            line: n + 1,
            col: i + 1,
            ch: chars.get(i).copied().unwrap_or(' '),
        };
        // Indentation typed with the ideographic space.
        if let Some(i) = chars
            .iter()
            .take_while(|c| c.is_whitespace())
            .position(|c| *c == '\u{3000}')
        {
            out.push(slip(i));
            continue;
        }
        let mut quote: Option<char> = None;
        let mut flow = 0usize;
        // Where the current plain token starts, and whether it is an ASCII name so far.
        let mut token_start: Option<usize> = None;
        let mut i = 0;
        while let Some(c) = at(i) {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            let prev = i.checked_sub(1).and_then(at);
            match c {
                '"' | '\'' if token_start.is_none() => quote = Some(c),
                '#' if prev.is_none_or(char::is_whitespace) => break,
                '[' | '{' => flow += 1,
                ']' | '}' => flow = flow.saturating_sub(1),
                '：' => {
                    let key: String = token_start
                        .and_then(|s| chars.get(s..i))
                        .map(|k| k.iter().collect())
                        .unwrap_or_default();
                    let key = key.trim_end();
                    let after = at(i + 1);
                    if is_key(key)
                        && after.is_none_or(|a| {
                            a.is_whitespace()
                                || a.is_ascii_alphanumeric()
                                || half_width(a).is_some_and(|h| h.is_ascii_digit())
                                || a == '"'
                                || a == '['
                                || a == '{'
                        })
                    {
                        out.push(slip(i));
                    }
                }
                '，' if flow > 0 => {
                    let before = chars
                        .get(..i)
                        .and_then(|b| b.iter().rev().find(|c| !c.is_whitespace()));
                    let after = chars
                        .get(i + 1..)
                        .and_then(|a| a.iter().find(|c| !c.is_whitespace()));
                    let plain = |c: Option<&char>| {
                        c.is_some_and(|c| {
                            c.is_ascii_alphanumeric()
                                || matches!(c, '_' | '"' | '\'' | ']' | '}' | '[' | '{')
                        })
                    };
                    if plain(before) && plain(after) {
                        out.push(slip(i));
                    }
                }
                _ => {}
            }
            if c.is_whitespace()
                || matches!(c, ',' | '[' | ']' | '{' | '}')
                || (c == ':' && at(i + 1).is_none_or(char::is_whitespace))
            {
                // A value written in digits only, some of them full-width, after `: ` or `- `
                // or inside a flow list.
                token_start = None;
            } else if token_start.is_none() {
                token_start = Some(i);
                let end = (i..chars.len())
                    .find(|&j| {
                        at(j).is_some_and(|c| {
                            c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#' | '：' | '，')
                        })
                    })
                    .unwrap_or(chars.len());
                let token: String = chars
                    .get(i..end)
                    .map(|t| t.iter().collect())
                    .unwrap_or_default();
                if number(&token).is_some() {
                    if let Some(j) =
                        (i..end).find(|&j| at(j).is_some_and(|c| half_width(c).is_some()))
                    {
                        out.push(slip(j));
                    }
                }
            }
            i += 1;
        }
    }
    out
}

/// A YAML key as rule files write them: ASCII letters, digits, `_`, `.` and `-`, after an
/// optional `- ` of a list item.
fn is_key(key: &str) -> bool {
    let key = key.trim_start_matches("- ").trim();
    !key.is_empty()
        && key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The first full-width character outside quotes in a formula or condition, for the help of an
/// expression that did not compile (`total >= ６０`).
pub fn in_expression(text: &str) -> Option<char> {
    let mut quote = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if half_width(c).is_some() => return Some(c),
            None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slips(text: &str) -> Vec<(usize, usize, char)> {
        yaml_slips(text)
            .into_iter()
            .map(|s| (s.line, s.col, s.ch))
            .collect()
    }

    #[test]
    fn half_width_forms() {
        assert_eq!(half_width('：'), Some(':'));
        assert_eq!(half_width('，'), Some(','));
        assert_eq!(half_width('６'), Some('6'));
        assert_eq!(half_width('　'), Some(' '));
        assert_eq!(half_width('。'), None);
        assert_eq!(half_width('a'), None);
    }

    #[test]
    fn full_width_numbers_read_as_numbers() {
        assert_eq!(number("１２").as_deref(), Some("12"));
        assert_eq!(number("－３．５").as_deref(), Some("-3.5"));
        assert_eq!(number("12"), None, "nothing to convert");
        assert_eq!(number("１２个"), None);
    }

    #[test]
    fn slips_where_yaml_needs_ascii() {
        assert_eq!(slips("    value：60\n"), vec![(1, 10, '：')]);
        assert_eq!(slips("precision：2\n"), vec![(1, 10, '：')]);
        assert_eq!(slips("  - id：economy\n"), vec![(1, 7, '：')]);
        assert_eq!(slips("value: ６０\n"), vec![(1, 8, '６')]);
        assert_eq!(slips("zero: [economy，bonus]\n"), vec![(1, 15, '，')]);
        assert_eq!(
            slips("x: { parameter： pass_line, min: 1 }\n"),
            vec![(1, 15, '：')]
        );
        assert_eq!(
            slips("range: \"[60，70)\"\n"),
            vec![],
            "quoted text is left alone"
        );
        assert_eq!(
            slips("\u{3000}\u{3000}value: 1\n"),
            vec![(1, 1, '\u{3000}')]
        );
    }

    #[test]
    fn chinese_text_is_left_alone() {
        assert_eq!(slips("label: 说明：见附件\n"), vec![]);
        assert_eq!(slips("reference: 百分制，60 分以上为合格\n"), vec![]);
        assert_eq!(slips("message: 发生越级访，一票否决\n"), vec![]);
        assert_eq!(slips("label: 第１项\n"), vec![]);
        assert_eq!(slips("labels: [甲，乙]\n"), vec![]);
        assert_eq!(slips("# 注释：value：60\n"), vec![]);
        assert_eq!(slips("label: \"value：60\"\n"), vec![]);
    }

    #[test]
    fn expressions_name_their_first_full_width_character() {
        assert_eq!(in_expression("total >= ６０"), Some('６'));
        assert_eq!(in_expression("grade == \"合格（一）\" && total > 1"), None);
        assert_eq!(in_expression("max(a，b)"), Some('，'));
    }
}
