//! A typed, validated table, ordered by id: one column per column the rules read.

use crate::rules::model::{PointsFrom, ValueType};

/// One typed column. Values are stored as narrowly as they allow (see [`Values`]); categories
/// as codes into `dict`.
#[derive(Debug, Clone, Default)]
pub struct Column {
    pub values: Values,
    /// Empty when no cell is missing; otherwise one flag per row (cells with the `fail`
    /// policy; their value is 0).
    pub missing: Vec<bool>,
    pub dict: Vec<String>,
}

impl Column {
    /// Whether row `r` was empty (under the `fail` policy).
    pub fn is_missing(&self, r: usize) -> bool {
        self.missing.get(r).copied().unwrap_or(false)
    }

    /// The category text of row `r`.
    pub fn category(&self, r: usize) -> &str {
        self.values
            .get(r)
            .and_then(|c| self.dict.get(c as usize))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// A column's numbers, stored as narrowly as they allow: yes/no values in a byte each, whole
/// numbers that fit in four bytes as such, anything else as `f64`. Every storage reads back the
/// exact `f64` that was pushed (a value that would not is stored wider), so the storage never
/// changes a result; it only halves or eighths the memory of a large table.
#[derive(Debug, Clone)]
pub enum Values {
    Flags(Vec<bool>),
    Ints(Vec<i32>),
    Floats(Vec<f64>),
}

impl Default for Values {
    fn default() -> Values {
        Values::Floats(Vec::new())
    }
}

impl From<Vec<f64>> for Values {
    fn from(v: Vec<f64>) -> Values {
        Values::Floats(v)
    }
}

/// `v` as a flag, when it is exactly 0 or 1.
pub(crate) fn as_flag(v: f64) -> Option<bool> {
    if v.to_bits() == 0f64.to_bits() {
        Some(false)
    } else if v.to_bits() == 1f64.to_bits() {
        Some(true)
    } else {
        None
    }
}

/// `v` as an `i32` that converts back to the same bits (no fraction, in range, not `-0`).
pub(crate) fn as_int(v: f64) -> Option<i32> {
    let i = v as i32;
    (f64::from(i).to_bits() == v.to_bits()).then_some(i)
}

impl Values {
    /// An empty column for values of type `ty`, with room for `rows`.
    pub fn for_type(ty: ValueType, rows: usize) -> Values {
        match ty {
            ValueType::Bool => Values::Flags(Vec::with_capacity(rows)),
            ValueType::Integer | ValueType::Category => Values::Ints(Vec::with_capacity(rows)),
            ValueType::Number => Values::Floats(Vec::with_capacity(rows)),
        }
    }

    /// A column of `rows` zeros for values of type `ty`, stored as [`Values::for_type`] stores
    /// them (its memory is taken from the system as it is first written).
    pub fn zeros(ty: ValueType, rows: usize) -> Values {
        match ty {
            ValueType::Bool => Values::Flags(vec![false; rows]),
            ValueType::Integer | ValueType::Category => Values::Ints(vec![0; rows]),
            ValueType::Number => Values::Floats(vec![0.0; rows]),
        }
    }

    /// An empty column stored like `self`, with room for `rows`.
    pub fn like(&self, rows: usize) -> Values {
        match self {
            Values::Flags(_) => Values::Flags(Vec::with_capacity(rows)),
            Values::Ints(_) => Values::Ints(Vec::with_capacity(rows)),
            Values::Floats(_) => Values::Floats(Vec::with_capacity(rows)),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Values::Flags(v) => v.len(),
            Values::Ints(v) => v.len(),
            Values::Floats(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of row `r`.
    #[inline]
    pub fn get(&self, r: usize) -> Option<f64> {
        match self {
            Values::Flags(v) => v.get(r).map(|&b| if b { 1.0 } else { 0.0 }),
            Values::Ints(v) => v.get(r).map(|&i| f64::from(i)),
            Values::Floats(v) => v.get(r).copied(),
        }
    }

    /// The values of rows `start..`, one into each of `slots`, in order (one match on the
    /// storage, not one per value).
    #[inline]
    pub fn read_into<'s>(&self, start: usize, slots: impl Iterator<Item = &'s mut f64>) {
        fn fill<'s, T: Copy>(
            v: &[T],
            start: usize,
            slots: impl Iterator<Item = &'s mut f64>,
            f: impl Fn(T) -> f64,
        ) {
            // Rows past the end read as 0, as callers of `get` read a missing value.
            let values = v.get(start..).unwrap_or(&[]).iter().map(|&x| f(x));
            for (slot, x) in slots.zip(values.chain(std::iter::repeat(0.0))) {
                *slot = x;
            }
        }
        match self {
            Values::Flags(v) => fill(v, start, slots, |b| if b { 1.0 } else { 0.0 }),
            Values::Ints(v) => fill(v, start, slots, f64::from),
            Values::Floats(v) => fill(v, start, slots, |x| x),
        }
    }

    /// Every value, in row order.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len()).filter_map(|r| self.get(r))
    }

    /// The values as `f64`, whatever the storage.
    pub fn to_floats(&self) -> Vec<f64> {
        self.iter().collect()
    }

    /// Widen to `f64` storage and apply `f` to it.
    fn widened(&mut self, f: impl FnOnce(&mut Vec<f64>)) {
        let mut v = match std::mem::take(self) {
            Values::Floats(v) => v,
            other => other.to_floats(),
        };
        f(&mut v);
        *self = Values::Floats(v);
    }

    /// Append `v`, widening the storage when `v` does not fit it.
    #[inline]
    pub fn push(&mut self, v: f64) {
        match self {
            Values::Flags(f) => match as_flag(v) {
                Some(b) => f.push(b),
                None => self.widened(|f| f.push(v)),
            },
            Values::Ints(i) => match as_int(v) {
                Some(x) => i.push(x),
                None => self.widened(|f| f.push(v)),
            },
            Values::Floats(f) => f.push(v),
        }
    }

    /// Set row `r` to `v` (widening when needed); nothing when there is no row `r`.
    pub fn set(&mut self, r: usize, v: f64) {
        let fits = match self {
            Values::Flags(f) => match (f.get_mut(r), as_flag(v)) {
                (Some(slot), Some(b)) => {
                    *slot = b;
                    true
                }
                (None, _) => true,
                (Some(_), None) => false,
            },
            Values::Ints(i) => match (i.get_mut(r), as_int(v)) {
                (Some(slot), Some(x)) => {
                    *slot = x;
                    true
                }
                (None, _) => true,
                (Some(_), None) => false,
            },
            Values::Floats(f) => {
                if let Some(slot) = f.get_mut(r) {
                    *slot = v;
                }
                true
            }
        };
        if !fits {
            self.widened(|f| {
                if let Some(slot) = f.get_mut(r) {
                    *slot = v;
                }
            });
        }
    }

    /// Copy rows `src` to start at row `dest` (as `slice::copy_within`; rows out of range are
    /// left alone).
    pub fn copy_within(&mut self, src: std::ops::Range<usize>, dest: usize) {
        fn copy<T: Copy>(v: &mut [T], src: std::ops::Range<usize>, dest: usize) {
            let fits = src.start <= src.end
                && src.end <= v.len()
                && dest.saturating_add(src.end - src.start) <= v.len();
            if fits {
                v.copy_within(src, dest);
            }
        }
        match self {
            Values::Flags(v) => copy(v, src, dest),
            Values::Ints(v) => copy(v, src, dest),
            Values::Floats(v) => copy(v, src, dest),
        }
    }

    /// Keep the first `rows` rows.
    pub fn truncate(&mut self, rows: usize) {
        match self {
            Values::Flags(v) => v.truncate(rows),
            Values::Ints(v) => v.truncate(rows),
            Values::Floats(v) => v.truncate(rows),
        }
    }

    /// Append every value of `other`.
    pub fn extend(&mut self, other: &Values) {
        match (&mut *self, other) {
            (Values::Flags(a), Values::Flags(b)) => a.extend_from_slice(b),
            (Values::Ints(a), Values::Ints(b)) => a.extend_from_slice(b),
            (Values::Floats(a), Values::Floats(b)) => a.extend_from_slice(b),
            _ => self.widened(|f| f.extend(other.iter())),
        }
    }

    /// Append every value of `it`.
    pub fn extend_values(&mut self, it: impl IntoIterator<Item = f64>) {
        for v in it {
            self.push(v);
        }
    }

    /// The rows `order`, in that order.
    pub fn take(&self, order: &[usize]) -> Values {
        fn pick<T: Copy>(v: &[T], order: &[usize]) -> Vec<T> {
            order.iter().filter_map(|&i| v.get(i).copied()).collect()
        }
        match self {
            Values::Flags(v) => Values::Flags(pick(v, order)),
            Values::Ints(v) => Values::Ints(pick(v, order)),
            Values::Floats(v) => Values::Floats(pick(v, order)),
        }
    }
}

/// A column of texts (ids, labels, `group_by` and link columns), packed into one buffer: no
/// allocation per row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextColumn {
    text: String,
    /// Where each row's text ends in `text`.
    ends: Vec<usize>,
}

impl TextColumn {
    /// An empty column with room for `rows` rows of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> TextColumn {
        TextColumn {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The text of row `r`.
    pub fn get(&self, r: usize) -> Option<&str> {
        let end = *self.ends.get(r)?;
        let start = match r.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0),
            None => 0,
        };
        self.text.get(start..end)
    }

    /// The text of every row, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|r| self.get(r).unwrap_or(""))
    }

    /// Bytes of text in all rows.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Every row's text, end to end.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Add a row.
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    /// Add the rows of `other` after these.
    pub fn extend_from(&mut self, other: &TextColumn) {
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }

    /// A column of the given texts.
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> TextColumn {
        let mut col = TextColumn::default();
        for t in texts {
            col.push(t);
        }
        col
    }

    /// The rows `order` names, in that order.
    pub fn take(&self, order: &[usize]) -> TextColumn {
        let mut out = TextColumn::with_capacity(order.len(), self.text.len());
        for &r in order {
            if let Some(t) = self.get(r) {
                out.push(t);
            }
        }
        out
    }

    /// The row holding `id`, in a column sorted by text.
    pub fn find_sorted(&self, id: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).unwrap_or("").cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// A `lookup`'s categories and their points, read from a data table.
pub type PointsTable = Vec<(String, f64)>;

/// A table for one entity kind, rows sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The file it came from, for messages.
    pub file: String,
    /// Shared: a frame copied to add computed columns (unit aggregates) keeps the same ids.
    pub ids: std::sync::Arc<TextColumn>,
    /// The row each entity had in its file (header = row 1).
    pub rows: Vec<u64>,
    pub labels: Option<TextColumn>,
    /// Text columns for breakdowns (`group_by`), by name.
    pub groups: Vec<(String, TextColumn)>,
    /// Aligned with the kind's `columns`.
    pub cols: Vec<Column>,
    /// Baseline values, aligned with `cols` (`None` for columns without a baseline).
    pub baseline: Vec<Option<Vec<f64>>>,
    /// The name of the subset of rows a scenario kept, if any.
    pub subset: Option<String>,
    /// What was read in a way worth telling, not wrong (`１２` read as 12), for `check`.
    pub notes: Vec<crate::data::DataError>,
    /// The `lookup` points tables read from data tables for this kind: where each came from,
    /// and its categories with their points.
    pub lookups: std::sync::Arc<Vec<(PointsFrom, PointsTable)>>,
}

impl Frame {
    /// Number of entities.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The label of row `r`, or its id.
    pub fn label(&self, r: usize) -> &str {
        self.labels
            .as_ref()
            .and_then(|l| l.get(r))
            .unwrap_or_else(|| self.id(r))
    }

    /// The id of row `r`.
    pub fn id(&self, r: usize) -> &str {
        self.ids.get(r).unwrap_or("")
    }

    /// The value of column `c` in row `r` (0 where there is none).
    #[inline]
    pub fn value(&self, c: usize, r: usize) -> f64 {
        self.cols
            .get(c)
            .and_then(|col| col.values.get(r))
            .unwrap_or(0.0)
    }

    /// The baseline value of column `c` in row `r` (0 where there is none).
    pub fn baseline_value(&self, c: usize, r: usize) -> f64 {
        self.baseline
            .get(c)
            .and_then(|b| b.as_ref())
            .and_then(|b| b.get(r))
            .copied()
            .unwrap_or(0.0)
    }

    /// The points table a `lookup` reads from the data, once read.
    pub fn lookup(&self, from: &PointsFrom) -> Option<&[(String, f64)]> {
        self.lookups
            .iter()
            .find(|(f, _)| f == from)
            .map(|(_, t)| t.as_slice())
    }

    /// The row index of `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.ids.find_sorted(id)
    }

    /// A copy of row `r` alone (with its baseline), to re-score one entity with changed inputs.
    pub fn row(&self, r: usize) -> Frame {
        let one = |v: &Vec<f64>| v.get(r).map(|x| vec![*x]).unwrap_or_default();
        let row = [r];
        Frame {
            file: self.file.clone(),
            ids: TextColumn::from_texts([self.id(r)]).into(),
            rows: vec![self.rows.get(r).copied().unwrap_or(0)],
            labels: self
                .labels
                .as_ref()
                .map(|l| TextColumn::from_texts([l.get(r).unwrap_or("")])),
            groups: self
                .groups
                .iter()
                .map(|(n, v)| (n.clone(), TextColumn::from_texts([v.get(r).unwrap_or("")])))
                .collect(),
            cols: self
                .cols
                .iter()
                .map(|c| Column {
                    values: c.values.take(&row),
                    missing: if c.missing.is_empty() {
                        Vec::new()
                    } else {
                        vec![c.is_missing(r)]
                    },
                    dict: c.dict.clone(),
                })
                .collect(),
            baseline: self.baseline.iter().map(|b| b.as_ref().map(one)).collect(),
            subset: self.subset.clone(),
            notes: Vec::new(),
            lookups: std::sync::Arc::clone(&self.lookups),
        }
    }

    /// Free the values of every column not marked in `keep`, once nothing will read them:
    /// they then read as empty. Baselines go too; ids, labels and text columns stay.
    pub fn release_columns(&mut self, keep: &[bool]) {
        for (c, col) in self.cols.iter_mut().enumerate() {
            if !keep.get(c).copied().unwrap_or(true) {
                *col = Column {
                    dict: std::mem::take(&mut col.dict),
                    ..Column::default()
                };
            }
        }
        self.baseline.iter_mut().for_each(|b| *b = None);
    }

    /// Reorder every column by `order` (new row i = old row order[i]).
    pub fn permute(&mut self, order: &[usize]) {
        fn take<T: Clone>(v: &[T], order: &[usize]) -> Vec<T> {
            order.iter().filter_map(|&i| v.get(i).cloned()).collect()
        }
        self.ids = self.ids.take(order).into();
        self.rows = take(&self.rows, order);
        if let Some(l) = &self.labels {
            self.labels = Some(l.take(order));
        }
        for (_, g) in &mut self.groups {
            *g = g.take(order);
        }
        for c in &mut self.cols {
            c.values = c.values.take(order);
            if !c.missing.is_empty() {
                c.missing = take(&c.missing, order);
            }
        }
    }
}
