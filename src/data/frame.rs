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

/// A table for one entity kind, rows sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The file it came from, for messages.
    pub file: String,
    /// Shared: a frame copied to add computed columns (unit aggregates) keeps the same ids.
    pub ids: std::sync::Arc<Vec<String>>,
    /// The row each entity had in its file (header = row 1).
    pub rows: Vec<u64>,
    pub labels: Option<Vec<String>>,
    /// Text columns for breakdowns (`group_by`), by name.
    pub groups: Vec<(String, Vec<String>)>,
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
            .map(String::as_str)
            .unwrap_or_else(|| self.id(r))
    }

    /// The id of row `r`.
    pub fn id(&self, r: usize) -> &str {
        self.ids.get(r).map(String::as_str).unwrap_or("")
    }

    /// The row index of `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.ids.binary_search_by(|x| x.as_str().cmp(id)).ok()
    }

    /// A copy of row `r` alone (with its baseline), to re-score one entity with changed inputs.
    pub fn row(&self, r: usize) -> Frame {
        let one = |v: &Vec<f64>| v.get(r).map(|x| vec![*x]).unwrap_or_default();
        Frame {
            file: self.file.clone(),
            ids: vec![self.id(r).to_string()].into(),
            rows: vec![self.rows.get(r).copied().unwrap_or(0)],
            labels: self
                .labels
                .as_ref()
                .map(|l| vec![l.get(r).cloned().unwrap_or_default()]),
            groups: self
                .groups
                .iter()
                .map(|(n, v)| (n.clone(), vec![v.get(r).cloned().unwrap_or_default()]))
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
        self.ids = take(&self.ids, order).into();
        self.rows = take(&self.rows, order);
        if let Some(l) = &self.labels {
            self.labels = Some(take(l, order));
        }
        for (_, g) in &mut self.groups {
            *g = take(g, order);
        }
        for c in &mut self.cols {
            c.values = take(&c.values, order);
            if !c.missing.is_empty() {
                c.missing = take(&c.missing, order);
            }
        }
    }
}
