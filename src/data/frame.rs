//! A typed, validated table, ordered by id: one column per column the rules read.

/// One typed column. Numbers, integers and booleans (0/1) are stored as `f64`; categories as
/// codes into `dict`.
#[derive(Debug, Clone, Default)]
pub struct Column {
    pub values: Vec<f64>,
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
            .and_then(|&c| self.dict.get(c as usize))
            .map(String::as_str)
            .unwrap_or("")
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

    /// The row index of `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.ids.find_sorted(id)
    }

    /// A copy of row `r` alone (with its baseline), to re-score one entity with changed inputs.
    pub fn row(&self, r: usize) -> Frame {
        let one = |v: &Vec<f64>| v.get(r).map(|x| vec![*x]).unwrap_or_default();
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
                    values: one(&c.values),
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
        }
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
            c.values = take(&c.values, order);
            if !c.missing.is_empty() {
                c.missing = take(&c.missing, order);
            }
        }
    }
}
