//! The names beside ids. A text column that holds the ids of another kind with names gets
//! those names (`town_id` → `town_name`: 齐山镇); a category column whose categories the rules
//! label gets the labels (`village_type` → `village_type_label`: 班子软弱涣散). Every result
//! file writes the name right after the column it names.

use crate::data::Frame;
use crate::rules::model::Kind;
use std::collections::HashMap;
use std::sync::Arc;

/// How the values of one text column are named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The heading of the names' column: `town_name`, `village_type_label`.
    pub header: String,
    names: HashMap<String, String>,
}

impl Named {
    /// The name of `value`, or nothing when it has none.
    pub fn name(&self, value: &str) -> &str {
        self.names.get(value).map_or("", String::as_str)
    }
}

/// The named text columns of every kind of a run.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// (kind, column, how it is named).
    columns: Vec<(String, String, Arc<Named>)>,
}

impl Names {
    /// The names of every kind's text columns, from the kinds whose tables are given: a column
    /// named like another kind's id column (and that kind has a `label_column`) reads that
    /// kind's names; a category column with labelled categories reads its labels.
    pub fn of<'a>(kinds: impl IntoIterator<Item = &'a Kind>, tables: &[(&Kind, &Frame)]) -> Names {
        let mut columns = Vec::new();
        for kind in kinds {
            for column in &kind.text_columns {
                if let Some(named) = named(kind, column, tables) {
                    columns.push((kind.name.clone(), column.clone(), Arc::new(named)));
                }
            }
        }
        Names { columns }
    }

    /// How `column` of `kind` is named, if it is.
    pub fn get(&self, kind: &str, column: &str) -> Option<&Arc<Named>> {
        self.columns
            .iter()
            .find(|(k, c, _)| k == kind && c == column)
            .map(|(_, _, n)| n)
    }

    /// Per text column of `frame` (in its order), how it is named, for `kind`.
    pub fn for_frame(&self, kind: &str, frame: &Frame) -> Vec<Option<Arc<Named>>> {
        frame
            .groups
            .iter()
            .map(|(c, _)| self.get(kind, c).cloned())
            .collect()
    }
}

/// The heading of the names of `column`: `town_id` → `town_name`, `village_type` →
/// `village_type_label`.
fn header(column: &str, of_kind: bool) -> String {
    match column.strip_suffix("_id") {
        Some(stem) if of_kind && !stem.is_empty() => format!("{stem}_name"),
        _ if of_kind => format!("{column}_name"),
        _ => format!("{column}_label"),
    }
}

fn named(kind: &Kind, column: &str, tables: &[(&Kind, &Frame)]) -> Option<Named> {
    let other = tables.iter().find(|(k, _)| {
        k.name != kind.name
            && k.id_column == column
            && k.key_columns.is_empty()
            && k.label_column.is_some()
    });
    let taken = |h: &str| h == "label" || h == "id" || kind.text_columns.iter().any(|c| c == h);
    if let Some((_, frame)) = other {
        let names = (0..frame.len())
            .filter(|&r| frame.label(r) != frame.id(r))
            .map(|r| (frame.id(r).to_string(), frame.label(r).to_string()))
            .collect();
        let h = header(column, true);
        return (!taken(&h)).then_some(Named { header: h, names });
    }
    let spec = kind.columns.get(kind.column(column)?)?;
    if spec.category_labels.is_empty() {
        return None;
    }
    let h = header(column, false);
    (!taken(&h)).then(|| Named {
        header: h,
        names: spec.category_labels.iter().cloned().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::header;

    #[test]
    fn a_column_of_ids_is_named_by_its_stem() {
        assert_eq!(header("town_id", true), "town_name");
        assert_eq!(header("dept_id", true), "dept_name");
        assert_eq!(header("team", true), "team_name");
        assert_eq!(header("village_type", false), "village_type_label");
    }
}
