//! Plain comparisons (`collective_petitions > 0`, `total >= pass_line`, `not failed`), the
//! YAML-only way to write conditions. They are evaluated natively, without rhai.

use super::model::{Cmp, Op, Operand, Var};

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
        } else {
            let two: String = chars
                .get(i..(i + 2).min(chars.len()))
                .unwrap_or_default()
                .iter()
                .collect();
            let (op, len) = match two.as_str() {
                ">=" => (Some(Op::Ge), 2),
                "<=" => (Some(Op::Le), 2),
                "==" => (Some(Op::Eq), 2),
                "!=" => (Some(Op::Ne), 2),
                _ => match c {
                    '>' => (Some(Op::Gt), 1),
                    '<' => (Some(Op::Lt), 1),
                    '!' => (None, 1),
                    '=' => return Err("use `==` to compare".into()),
                    _ => {
                        return Err(format!(
                            "unexpected `{c}`: a plain comparison is `name op value`; use `when:` for a rhai expression"
                        ))
                    }
                },
            };
            out.push(match op {
                Some(op) => Tok::Op(op),
                None => Tok::Not,
            });
            i += len;
        }
    }
    Ok(out)
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
}
