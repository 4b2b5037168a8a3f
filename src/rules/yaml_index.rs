//! Where each YAML path sits in its file, so that checks made after parsing can point at a line.
//!
//! serde gives no positions for values, so this scans the text once. It understands block
//! mappings and sequences, which is how rule files are written; a path inside a flow collection
//! (`{a: 1}`) resolves to the line of the collection itself.

use std::collections::HashMap;

/// The position of a key (and its value) in a YAML file. Lines and columns are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    /// The line and column where the value's text starts (for block scalars, the first
    /// content line).
    pub value_line: usize,
    pub value_col: usize,
    /// Whether the value is a quoted scalar (rhai positions shift by the quote).
    pub quoted: bool,
}

/// Path → position for one YAML file. Paths are dot-separated keys and sequence indices:
/// `indicators.3.scoring.bands.1.range`.
#[derive(Debug, Default, Clone)]
pub struct PathIndex {
    map: HashMap<String, Pos>,
}

#[derive(Debug)]
enum Frame {
    Map {
        indent: usize,
        path: String,
    },
    Seq {
        indent: usize,
        path: String,
        next: usize,
    },
    /// A key with no inline value: its children decide whether it is a map or a sequence.
    Pending {
        key_indent: usize,
        path: String,
    },
}

impl PathIndex {
    /// Build the index for a file's text.
    pub fn build(text: &str) -> PathIndex {
        let mut map = HashMap::new();
        let mut stack: Vec<Frame> = vec![Frame::Map {
            indent: 0,
            path: String::new(),
        }];
        let mut block_scalar: Option<(usize, String)> = None; // (key indent, path)
        for (i, raw_line) in text.lines().enumerate() {
            let lineno = i + 1;
            let line = raw_line.trim_end();
            let trimmed = line.trim_start_matches(' ');
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if let Some((key_indent, path)) = &block_scalar {
                if indent > *key_indent {
                    if let Some(p) = map.get_mut(path) {
                        let p: &mut Pos = p;
                        if p.value_line == 0 {
                            p.value_line = lineno;
                            p.value_col = char_col(line, indent);
                        }
                    }
                    continue;
                }
                block_scalar = None;
            }
            let mut col = indent;
            let mut rest = trimmed;
            // Close frames that this line is not inside.
            close_frames(&mut stack, indent, rest.starts_with('-'));
            // Sequence items, possibly nested on one line ("- - x" is rare; handle one level).
            if rest == "-" || rest.starts_with("- ") {
                let item_path = match stack.last_mut() {
                    Some(Frame::Seq {
                        indent: si,
                        path,
                        next,
                    }) if *si == col => {
                        let p = join(path, &next.to_string());
                        *next += 1;
                        p
                    }
                    Some(Frame::Pending { key_indent, path }) if col >= *key_indent => {
                        let base = path.clone();
                        let p = join(&base, "0");
                        stack.pop();
                        stack.push(Frame::Seq {
                            indent: col,
                            path: base,
                            next: 1,
                        });
                        p
                    }
                    _ => continue,
                };
                map.entry(item_path.clone()).or_insert(Pos {
                    line: lineno,
                    col: char_col(line, col),
                    value_line: lineno,
                    value_col: char_col(line, col + 2),
                    quoted: false,
                });
                let after = rest.get(1..).unwrap_or("");
                let spaces = after.len() - after.trim_start_matches(' ').len();
                rest = after.trim_start_matches(' ');
                col += 1 + spaces;
                if rest.is_empty() {
                    stack.push(Frame::Pending {
                        key_indent: col - 1,
                        path: item_path,
                    });
                    continue;
                }
                if split_key(rest).is_none() {
                    continue; // a scalar item
                }
                stack.push(Frame::Map {
                    indent: col,
                    path: item_path,
                });
            }
            let Some((key, value_off)) = split_key(rest) else {
                continue;
            };
            // The frame for this key: an open map at this indent, or a pending key above.
            let parent = match stack.last_mut() {
                Some(Frame::Map { indent: mi, path }) if *mi == col => path.clone(),
                Some(Frame::Pending { key_indent, path }) if col > *key_indent => {
                    let p = path.clone();
                    stack.pop();
                    stack.push(Frame::Map {
                        indent: col,
                        path: p.clone(),
                    });
                    p
                }
                _ => continue,
            };
            let path = join(&parent, &key);
            let value = rest.get(value_off..).unwrap_or("").trim_start_matches(' ');
            let value_start = col + (rest.len() - value.len());
            let value = strip_comment(value);
            let mut pos = Pos {
                line: lineno,
                col: char_col(line, col),
                value_line: lineno,
                value_col: char_col(line, value_start),
                quoted: value.starts_with('"') || value.starts_with('\''),
            };
            if value.is_empty() {
                map.insert(path.clone(), pos);
                stack.push(Frame::Pending {
                    key_indent: col,
                    path,
                });
            } else if value.starts_with('|') || value.starts_with('>') {
                pos.value_line = 0;
                map.insert(path.clone(), pos);
                block_scalar = Some((col, path));
            } else {
                map.insert(path, pos);
            }
        }
        PathIndex { map }
    }

    /// The position of `path`, or of its nearest indexed ancestor.
    pub fn find(&self, path: &str) -> Option<Pos> {
        let mut p = path;
        loop {
            if let Some(pos) = self.map.get(p) {
                return Some(*pos);
            }
            match p.rfind('.') {
                Some(i) => p = p.get(..i).unwrap_or(""),
                None => return self.map.get(p).copied(),
            }
        }
    }

    /// The exact position of `path`, if indexed.
    pub fn exact(&self, path: &str) -> Option<Pos> {
        self.map.get(path).copied()
    }
}

fn close_frames(stack: &mut Vec<Frame>, indent: usize, is_dash: bool) {
    while stack.len() > 1 {
        let close = match stack.last() {
            Some(Frame::Map { indent: mi, .. }) => indent < *mi,
            Some(Frame::Seq { indent: si, .. }) => indent < *si || (indent == *si && !is_dash),
            Some(Frame::Pending { key_indent, .. }) => {
                indent < *key_indent || (indent == *key_indent && !is_dash)
            }
            None => false,
        };
        if close {
            stack.pop();
        } else {
            break;
        }
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// `key: value` → (key, byte offset just after the colon). Handles quoted keys.
fn split_key(s: &str) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    if let Some(&q) = bytes.first() {
        if q == b'"' || q == b'\'' {
            let end = s.get(1..)?.find(q as char)? + 1;
            let after = s.get(end + 1..)?;
            if after.starts_with(':') && (after.len() == 1 || after.get(1..2) == Some(" ")) {
                return Some((s.get(1..end)?.to_string(), end + 2));
            }
            return None;
        }
        if q == b'{' || q == b'[' {
            return None;
        }
    }
    let mut search = 0;
    while let Some(i) = s.get(search..)?.find(':') {
        let at = search + i;
        let next = s.get(at + 1..at + 2);
        if next.is_none() || next == Some(" ") {
            let key = s.get(..at)?.trim_end();
            if key.is_empty() {
                return None;
            }
            return Some((key.to_string(), at + 1));
        }
        search = at + 1;
    }
    None
}

fn strip_comment(v: &str) -> &str {
    if v.starts_with('"') || v.starts_with('\'') {
        return v;
    }
    match v.find(" #") {
        Some(i) => v.get(..i).unwrap_or(v).trim_end(),
        None => v,
    }
}

/// 1-based column in characters for a byte offset in the line.
fn char_col(line: &str, byte: usize) -> usize {
    line.get(..byte).map(|s| s.chars().count()).unwrap_or(byte) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
kind: village
dimensions:
  - id: stability
    label: 稳定
    max: 20
indicators:
- id: a
  scoring:
    method: bands
    bands:
      - range: \"[0, 3)\"
        points: 0
      - {range: \"[3, inf)\", points: 6}
  when: |
    total > 3
gates:
  - id: g
    when: \"x > 0\"
";

    #[test]
    fn finds_nested_paths() {
        let ix = PathIndex::build(DOC);
        assert_eq!(ix.exact("kind").map(|p| p.line), Some(1));
        assert_eq!(ix.exact("dimensions.0.id").map(|p| p.line), Some(3));
        assert_eq!(
            ix.exact("dimensions.0.max").map(|p| (p.line, p.col)),
            Some((5, 5))
        );
        assert_eq!(ix.exact("indicators.0.id").map(|p| p.line), Some(7));
        assert_eq!(
            ix.exact("indicators.0.scoring.method").map(|p| p.line),
            Some(9)
        );
        assert_eq!(
            ix.exact("indicators.0.scoring.bands.0.range")
                .map(|p| p.line),
            Some(11)
        );
        assert_eq!(
            ix.exact("indicators.0.scoring.bands.1").map(|p| p.line),
            Some(13)
        );
        assert_eq!(
            ix.find("indicators.0.scoring.bands.1.points")
                .map(|p| p.line),
            Some(13)
        );
        let when = ix.exact("indicators.0.when");
        assert_eq!(when.map(|p| (p.value_line, p.value_col)), Some((15, 5)));
        let g = ix.exact("gates.0.when");
        assert_eq!(
            g.map(|p| (p.line, p.value_col, p.quoted)),
            Some((18, 11, true))
        );
    }

    #[test]
    fn chinese_text_counts_characters() {
        let ix = PathIndex::build("label: 稳定\nmax: 2\n");
        assert_eq!(ix.exact("max").map(|p| p.line), Some(2));
        assert_eq!(ix.exact("label").map(|p| p.value_col), Some(8));
    }
}
