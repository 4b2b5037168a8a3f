//! Which keys each part of a rule file accepts, read from the raw types themselves so that
//! "did you mean" suggestions never drift from the schema.

use super::raw::*;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::fmt;

/// The kind of file a path is rooted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `ruleset.yaml`
    Header,
    /// `kinds/*.yaml`
    Kind,
}

/// The keys accepted at `parent` (a dotted path) in a file of kind `root`.
pub fn fields_at(root: Root, parent: &str) -> &'static [&'static str] {
    let segs: Vec<&str> = parent.split('.').filter(|s| !s.is_empty()).collect();
    let shape: Vec<&str> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let prev = i.checked_sub(1).and_then(|j| segs.get(j)).copied();
            if s.bytes().all(|b| b.is_ascii_digit()) {
                "#"
            } else if matches!(
                prev,
                Some("parameters")
                    | Some("columns")
                    | Some("table")
                    | Some("per_grade")
                    | Some("members")
            ) {
                "*"
            } else {
                s
            }
        })
        .collect();
    // An adjustment item is written as an indicator: the same keys below it.
    let shape: Vec<&str> = match shape.as_slice() {
        ["adjustments", "#", "items", "#", rest @ ..] => ["indicators", "#"]
            .into_iter()
            .chain(rest.iter().copied())
            .collect(),
        _ => shape,
    };
    match (root, shape.as_slice()) {
        (Root::Header, []) => fields::<RawHeader>(),
        (Root::Header, ["parameters", "*"]) => PARAM_FIELDS,
        (Root::Header, ["totals", "#"]) => fields::<RawTotal>(),
        (Root::Header, ["uncertainty", "#"]) => fields::<RawUncertain>(),
        (Root::Header, ["notice"]) => fields::<RawNotice>(),
        (Root::Kind, []) => fields::<RawKind>(),
        (Root::Kind, ["columns", "*"]) => fields::<RawColumn>(),
        (Root::Kind, ["dimensions", "#"]) => fields::<RawDimension>(),
        (Root::Kind, ["indicators", "#"]) => fields::<RawIndicator>(),
        (Root::Kind, ["indicators", "#", "input"]) => INPUT_FIELDS,
        (Root::Kind, ["indicators", "#", "input", "ratio"]) => fields::<RawRatio>(),
        (Root::Kind, ["indicators", "#", "input", "change"]) => fields::<RawChange>(),
        (Root::Kind, ["indicators", "#", "scoring"]) => fields::<RawScoring>(),
        (Root::Kind, ["indicators", "#", "scoring", "bands", "#"]) => fields::<RawBand>(),
        (Root::Kind, ["gates", "#"]) => fields::<RawGate>(),
        (Root::Kind, ["conditions", "#"]) => fields::<RawCondition>(),
        (Root::Kind, ["adjustments", "#"]) => fields::<RawAdjustment>(),
        (Root::Kind, ["total"]) => fields::<RawTotalBounds>(),
        (Root::Kind, ["grades", "#"]) => fields::<RawGrade>(),
        (Root::Kind, ["outcomes", "#"]) => fields::<RawOutcome>(),
        (Root::Kind, ["indicators", "#", "input", "aggregate"]) => fields::<RawAggregate>(),
        (Root::Kind, ["link"]) => fields::<RawLink>(),
        (Root::Kind, ["members", "*"]) => fields::<RawMembers>(),
        (Root::Kind, ["quotas", "#"]) => fields::<RawQuota>(),
        (Root::Kind, ["top"]) => fields::<RawTop>(),
        (Root::Kind, ["fund"]) => fields::<RawFund>(),
        (Root::Kind, ["cascade"]) => fields::<RawCascade>(),
        (Root::Kind, ["cascade", "rules", "#"]) => fields::<RawCascadeRule>(),
        (Root::Kind, ["cascade", "rules", "#", "at_most"]) => fields::<RawAtMost>(),
        _ => &[],
    }
}

/// Keys of a parameter written as a map (it has a hand-written deserializer).
const PARAM_FIELDS: &[&str] = &["value", "label", "unit", "reference", "description"];
/// Keys of an input written as a map (it has a hand-written deserializer).
const INPUT_FIELDS: &[&str] = &["column", "ratio", "change", "expr", "aggregate"];

/// The field names a derived `Deserialize` struct accepts.
fn fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut captured: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldCatcher { out: &mut captured });
    captured
}

/// A deserializer that records the field list a struct asks for, then stops.
struct FieldCatcher<'a> {
    out: &'a mut &'static [&'static str],
}

#[derive(Debug, thiserror::Error)]
#[error("stop")]
struct Stop;

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldCatcher<'_> {
    type Error = Stop;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        *self.out = fields;
        Err(Stop)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_from_the_types() {
        assert!(fields_at(Root::Kind, "indicators.3.scoring").contains(&"points"));
        assert!(fields_at(Root::Kind, "").contains(&"indicators"));
        assert!(fields_at(Root::Header, "parameters.pass_line").contains(&"reference"));
        assert!(fields_at(Root::Kind, "gates.0").contains(&"when"));
    }
}
