//! Plain comparisons (`collective_petitions > 0`, `total >= pass_line`, `not failed`), the
//! YAML-only way to write conditions. They are evaluated natively, without rhai.

use super::model::{Cmp, Op, Operand, Var};
use super::signs::{misspelt, near_miss, sign};

/// Parse one comparison; `resolve` turns a name into a variable or a parameter value.
pub fn parse_cmp(
    text: &str,
    resolve: &mut dyn FnMut(&str) -> Result<Operand, String>,
) -> Result<Cmp, String> {
    let toks = tokenize(text)?;
    let mut it = toks.iter().peekable();
    let mut negate = false;
    while matches!(it.peek(), Some(Tok::Not)) {
        negate = !negate;
        it.next();
    }
    let left = match it.next() {
        Some(t) => operand(t, resolve)?,
        None => return Err("the comparison is empty".into()),
    };
    let op = match it.next() {
        None => None,
        Some(Tok::Op(op)) => {
            let right = match it.next() {
                Some(t) => operand(t, resolve)?,
                None => return Err(format!("nothing after `{}`", op.as_str())),
            };
            Some((*op, right))
        }
        Some(t) => {
            return Err(format!(
                "expected a comparison operator (`>=`, `<`, `==`, …), found `{}`",
                t.text()
            ))
        }
    };
    if let Some(extra) = it.next() {
        return Err(format!(
            "unexpected `{}`: a plain comparison is `name op value`; use `when:` for a rhai expression",
            extra.text()
        ));
    }
    if op.is_none() && !matches!(left, Operand::Var(_) | Operand::Bool(_)) {
        return Err("a condition needs a comparison, like `total >= 70`".into());
    }
    Ok(Cmp {
        negate,
        left,
        op,
        text: text.trim().to_string(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Num(f64),
    Str(String),
    Op(Op),
    Not,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Name(s) => s.clone(),
            Tok::Num(n) => n.to_string(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Op(o) => o.as_str().to_string(),
            Tok::Not => "not".to_string(),
        }
    }
}

fn operand(
    t: &Tok,
    resolve: &mut dyn FnMut(&str) -> Result<Operand, String>,
) -> Result<Operand, String> {
    match t {
        Tok::Name(n) if n == "true" => Ok(Operand::Bool(true)),
        Tok::Name(n) if n == "false" => Ok(Operand::Bool(false)),
        Tok::Name(n) => resolve(n),
        Tok::Num(x) => Ok(Operand::Num(*x)),
        Tok::Str(s) => Ok(Operand::Str(s.clone())),
        Tok::Op(o) => Err(format!("unexpected `{}`", o.as_str())),
        Tok::Not => Err("unexpected `not`".into()),
    }
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let start = i + 1;
            let mut j = start;
            while chars.get(j).is_some_and(|&d| d != c) {
                j += 1;
            }
            if j >= chars.len() {
                return Err("unclosed quote".into());
            }
            out.push(Tok::Str(
                chars.get(start..j).unwrap_or_default().iter().collect(),
            ));
            i = j + 1;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
            || c == '.'
        {
            let start = i;
            i += 1;
            while chars
                .get(i)
                .is_some_and(|d| d.is_ascii_digit() || *d == '.' || *d == '_')
            {
                i += 1;
            }
            let t: String = chars
                .get(start..i)
                .unwrap_or_default()
                .iter()
                .filter(|c| **c != '_')
                .collect();
            out.push(Tok::Num(
                t.parse().map_err(|_| format!("`{t}` is not a number"))?,
            ));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|d| d.is_alphanumeric() || *d == '_' || *d == '.')
            {
                i += 1;
            }
            let name: String = chars.get(start..i).unwrap_or_default().iter().collect();
            out.push(if name == "not" {
                Tok::Not
            } else {
                Tok::Name(name)
            });
        } else if let Some(first) = sign(c) {
            // A run of comparison signs, read whole so that a near miss (`>==`, `=>`) is named
            // as written rather than cut into pieces.
            let start = i;
            let mut ascii = String::from(first);
            i += 1;
            while let Some(s) = chars.get(i).and_then(|&d| sign(d)) {
                ascii.push_str(s);
                i += 1;
            }
            let written: String = chars.get(start..i).unwrap_or_default().iter().collect();
            out.extend(operator(&written, &ascii)?);
        } else {
            return Err(format!(
                "unexpected `{c}`: a plain comparison is `name op value`; use `when:` for a rhai expression"
            ));
        }
    }
    Ok(out)
}

/// The tokens of a run of comparison signs `written`, which reads as `ascii`; a near miss of
/// an operator is an error naming the one meant.
fn operator(written: &str, ascii: &str) -> Result<Vec<Tok>, String> {
    let op = match ascii {
        ">=" => Some(Op::Ge),
        "<=" => Some(Op::Le),
        "==" => Some(Op::Eq),
        "!=" => Some(Op::Ne),
        ">" => Some(Op::Gt),
        "<" => Some(Op::Lt),
        _ => None,
    };
    let nots = !ascii.is_empty() && ascii.chars().all(|c| c == '!');
    if written == ascii {
        if let Some(op) = op {
            return Ok(vec![Tok::Op(op)]);
        }
        if nots {
            return Ok(ascii.chars().map(|_| Tok::Not).collect());
        }
    }
    let meant = match op {
        Some(op) => Some(op.as_str()),
        None if nots => Some("!"),
        None => near_miss(ascii),
    };
    Err(match meant {
        Some(meant) => misspelt(written, ascii, meant),
        None => format!(
            "`{written}` is not a comparison operator; use one of `>=`, `>`, `<=`, `<`, `==`, `!=`"
        ),
    })
}

/// Whether a variable holds a boolean.
pub fn is_bool_var(v: Var) -> bool {
    matches!(v, Var::Failed | Var::AnyGate | Var::Gate(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(n: &str) -> Result<Operand, String> {
        match n {
            "total" => Ok(Operand::Var(Var::Total)),
            "failed" => Ok(Operand::Var(Var::Failed)),
            "pass_line" => Ok(Operand::Num(70.0)),
            _ => Err(format!("unknown name `{n}`")),
        }
    }

    #[test]
    fn parses_comparisons() {
        let c = parse_cmp("total >= pass_line", &mut res).unwrap();
        assert_eq!(c.left, Operand::Var(Var::Total));
        assert_eq!(c.op, Some((Op::Ge, Operand::Num(70.0))));
        let n = parse_cmp("not failed", &mut res).unwrap();
        assert!(n.negate && n.op.is_none());
        assert!(parse_cmp("total + 1 > 3", &mut res)
            .unwrap_err()
            .contains("when:"));
        assert!(parse_cmp("totl > 3", &mut res)
            .unwrap_err()
            .contains("unknown"));
        assert!(parse_cmp("total = 3", &mut res).unwrap_err().contains("=="));
        assert!(parse_cmp("3", &mut res).is_err());
    }

    #[test]
    fn a_near_miss_of_an_operator_is_named_with_the_one_meant() {
        for (written, meant) in [
            ("=", "=="),
            (">==", ">="),
            ("<==", "<="),
            ("=>", ">="),
            ("=<", "<="),
            ("<>", "!="),
            ("!==", "!="),
            ("=!", "!="),
            ("===", "=="),
        ] {
            let err = parse_cmp(&format!("total {written} 70"), &mut res).unwrap_err();
            assert_eq!(
                err,
                format!("`{written}` is not an operator; use `{meant}`"),
                "{written}"
            );
        }
        for (written, meant) in [
            ("＞＝", ">="),
            ("＜＝", "<="),
            ("＝＝", "=="),
            ("！＝", "!="),
            ("＞", ">"),
            ("≥", ">="),
            ("≧", ">="),
            ("≤", "<="),
            ("≠", "!="),
            ("＝", "=="),
            ("＞＝＝", ">="),
        ] {
            let err = parse_cmp(&format!("total {written} 70"), &mut res).unwrap_err();
            assert_eq!(
                err,
                format!(
                    "`{written}` is written with full-width or mathematical signs; use `{meant}`"
                ),
                "{written}"
            );
        }
        let err = parse_cmp("！failed", &mut res).unwrap_err();
        assert!(err.ends_with("use `!`"), "{err}");
        let err = parse_cmp("total >< 70", &mut res).unwrap_err();
        assert!(
            err.starts_with("`><` is not a comparison operator"),
            "{err}"
        );
    }

    #[test]
    fn operators_written_right_still_read() {
        let ops = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">", Op::Gt),
            ("<", Op::Lt),
        ];
        for (text, op) in ops {
            let c = parse_cmp(&format!("total{text}70"), &mut res).unwrap();
            assert_eq!(c.op, Some((op, Operand::Num(70.0))), "{text}");
        }
        let c = parse_cmp("!failed", &mut res).unwrap();
        assert!(c.negate);
        let c = parse_cmp("!!failed", &mut res).unwrap();
        assert!(!c.negate);
    }
}
