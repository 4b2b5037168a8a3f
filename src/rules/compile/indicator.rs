//! Indicators: their inputs (a column, a computed value, an aggregate), the columns they read
//! and the range an input may take.

use super::{declare_column, default_type, fmt_num, is_identifier, KindCompiler, Names, Scope};
use crate::diag::{did_you_mean, Diagnostic, Location};
use crate::rules::model::*;
use crate::rules::raw::*;
use crate::script::Returns;

impl KindCompiler<'_> {
    /// An indicator: its input, its type and range, and its scoring method.
    pub(super) fn indicator(
        &mut self,
        i: usize,
        ri: &RawIndicator,
        group: Option<usize>,
        names: &Names,
    ) -> Option<Indicator> {
        let base = self.ind_path(i);
        if !is_identifier(&ri.id) {
            self.err(
                format!("indicator id `{}` is not a plain name", ri.id),
                &format!("{base}.id"),
            );
        }
        let scored = names.dims.iter().filter(|d| !d.is_adjustment());
        let dim = match (group, &ri.dimension) {
            (Some(g), None) => Some(g),
            (Some(_), Some(_)) => {
                let loc = self.loc(&format!("{base}.dimension"));
                self.diags.push(
                    Diagnostic::error(
                        format!("adjustment item `{}` takes no `dimension`", ri.id),
                        loc,
                    )
                    .with_help("an item belongs to the group it is listed in; remove `dimension`"),
                );
                None
            }
            (None, None) => {
                self.err(
                    format!("indicator `{}` needs a `dimension`", ri.id),
                    &format!("{base}.id"),
                );
                None
            }
            (None, Some(name)) => match scored.clone().position(|d| &d.id == name) {
                Some(d) => Some(d),
                None => {
                    let help = did_you_mean(name, scored.map(|d| d.id.as_str()))
                        .map(|s| format!("did you mean `{s}`?"));
                    let loc = self.value_loc(&format!("{base}.dimension"));
                    self.diags.push(
                        Diagnostic::error(format!("unknown dimension `{name}`"), loc)
                            .with_help_opt(help),
                    );
                    None
                }
            },
        };
        if group.is_some() && ri.scoring.method == MethodName::Deduct {
            let loc = self.value_loc(&format!("{base}.scoring.method"));
            self.diags.push(
                Diagnostic::error(
                    format!("adjustment item `{}` cannot use method `deduct`", ri.id),
                    loc,
                )
                .with_help(
                    "an item's points are what it adds or takes away: for \"2 points off per case, \
                     at most 10\" write `method: bonus`, `per: 2`, `points: 10` in a group with \
                     `effect: deduct`",
                ),
            );
            return None;
        }
        let sc = &ri.scoring;
        let ty = ri.ty.unwrap_or(default_type(sc.method));
        let origin = self.loc(&format!("{base}.id"));
        let input = self.input(&base, ri, ty, names)?;
        self.spec_params.clear();
        let points = self.num(&sc.points, &format!("{base}.scoring.points"));
        if let Some(p) = points {
            if p < 0.0 {
                self.err(
                    "`points` must not be negative",
                    &format!("{base}.scoring.points"),
                );
            }
        }
        let method = self.method(i, ri, ty, points.unwrap_or(0.0), names);
        let params = std::mem::take(&mut self.spec_params);
        if let (Some(min), Some(max)) = (ri.min, ri.max) {
            if min > max {
                self.err(
                    format!("`min` {} is above `max` {}", fmt_num(min), fmt_num(max)),
                    &format!("{base}.min"),
                );
            }
        }
        Some(Indicator {
            id: ri.id.clone(),
            label: ri.label.clone(),
            dim: dim?,
            unit: ri.unit.clone(),
            reference: ri.reference.clone(),
            description: ri.description.clone(),
            input,
            ty,
            min: ri.min,
            max: ri.max,
            method: method?,
            points: points?,
            params,
            origin,
        })
    }

    fn input(
        &mut self,
        ind_base: &str,
        ri: &RawIndicator,
        ty: ValueType,
        names: &Names,
    ) -> Option<Input> {
        let base = format!("{ind_base}.input");
        let inp = &ri.input;
        let given = [
            inp.column.is_some(),
            inp.ratio.is_some(),
            inp.change.is_some(),
            inp.expr.is_some(),
            inp.aggregate.is_some(),
        ];
        let n = given.iter().filter(|g| **g).count();
        if n != 1 {
            self.err(
                format!("an input needs exactly one of `column`, `ratio`, `change`, `expr` or `aggregate` (found {n})"),
                &base,
            );
            return None;
        }
        if let Some(agg) = &inp.aggregate {
            return self.aggregate_input(&base, ri, agg);
        }
        let loc = self.loc(&base);
        if let Some(col) = &inp.column {
            let c = self.column(col, Some(ty), loc)?;
            // A plain column takes the indicator's range and missing policy.
            if let Some(spec) = self.columns.get_mut(c) {
                if spec.min.is_none() {
                    spec.min = ri.min;
                }
                if spec.max.is_none() {
                    spec.max = ri.max;
                }
                if let Some(m) = ri.missing {
                    spec.missing = m;
                }
                if spec.category_labels.is_empty() {
                    if let Some(c) = &ri.categories {
                        spec.category_labels = c.labels();
                    }
                }
                if spec.categories.is_none() {
                    spec.categories = ri.categories.as_ref().map(|c| c.values()).or_else(|| {
                        ri.scoring
                            .table
                            .as_ref()
                            .map(|t| t.keys().cloned().collect())
                    });
                }
            }
            return Some(Input::Column(c));
        }
        if ri.missing.is_some() {
            self.missing_on_parts(&base, ri);
        }
        if let Some(r) = &inp.ratio {
            let num = self.column(
                &r.num,
                Some(ValueType::Number),
                self.loc(&format!("{base}.ratio.num")),
            )?;
            let den = self.column(
                &r.den,
                Some(ValueType::Number),
                self.loc(&format!("{base}.ratio.den")),
            )?;
            if !r.if_zero.is_finite() {
                self.err(
                    "`if_zero` must be a finite number",
                    &format!("{base}.ratio.if_zero"),
                );
            }
            return Some(Input::Ratio {
                num,
                den,
                if_zero: r.if_zero,
            });
        }
        if let Some(ch) = &inp.change {
            if !self.is_primary {
                let (one, _) = self.primary_words();
                self.err(format!("a change since the baseline is for the primary kind; aggregate a {one} `change` indicator instead"), &format!("{base}.change"));
                return None;
            }
            let col = self.column(
                &ch.column,
                Some(ValueType::Number),
                self.loc(&format!("{base}.change.column")),
            )?;
            if let Some(spec) = self.columns.get_mut(col) {
                spec.baseline = true;
            }
            let percent = ch.as_ == Some(ChangeAs::Percent);
            if ch.if_zero.is_some() && !percent {
                self.err(
                    "`if_zero` applies only to `as: percent`",
                    &format!("{base}.change.if_zero"),
                );
            }
            return Some(Input::Change {
                col,
                percent,
                if_zero: ch.if_zero,
            });
        }
        if let Some(text) = &inp.expr {
            let returns = if ty == ValueType::Bool {
                Returns::Bool
            } else {
                Returns::Number
            };
            let what = format!("the input of indicator `{}`", ri.id);
            let path = format!("{base}.expr");
            let id = self.expression(
                text,
                &path,
                what,
                returns,
                Scope {
                    max_stage: 0,
                    indicator: None,
                },
                names,
            )?;
            return Some(Input::Expr(id));
        }
        None
    }

    /// `missing:` on a computed input applies to the columns it reads, which are declared in
    /// `columns:`; say so rather than silently ignoring it.
    fn missing_on_parts(&mut self, base: &str, ri: &RawIndicator) {
        let path = base.trim_end_matches(".input").to_string() + ".missing";
        let loc = self.loc(&path);
        self.diags.push(
            Diagnostic::error(
                format!(
                    "`missing` on indicator `{}` has no effect: its input is computed",
                    ri.id
                ),
                loc,
            )
            .with_help("declare the policy on the columns it reads, under `columns:`"),
        );
    }

    fn column(&mut self, name: &str, ty: Option<ValueType>, loc: Location) -> Option<usize> {
        if name.trim().is_empty() {
            self.diags.push(Diagnostic::error("empty column name", loc));
            return None;
        }
        match declare_column(&mut self.columns, name, ty, loc) {
            Ok(c) => Some(c),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    /// The values an indicator's input may take, from its declared bounds (unbounded where
    /// none is declared), and what holds them, for messages. A plain column's bounds are the
    /// column's, as the data is checked against them: those under `columns:` take precedence
    /// over the indicator's (see [`Self::input`], which merges them before methods compile).
    pub(super) fn input_range(&self, ri: &RawIndicator) -> (f64, f64, String) {
        let column = ri
            .input
            .column
            .as_ref()
            .and_then(|c| self.columns.iter().find(|spec| &spec.name == c));
        match column {
            Some(spec) => (
                spec.min.unwrap_or(f64::NEG_INFINITY),
                spec.max.unwrap_or(f64::INFINITY),
                format!("the column `{}`", spec.name),
            ),
            None => (
                ri.min.unwrap_or(f64::NEG_INFINITY),
                ri.max.unwrap_or(f64::INFINITY),
                format!("the input of `{}`", ri.id),
            ),
        }
    }
}
