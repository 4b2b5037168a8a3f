//! Scoring methods: how an indicator's input becomes points, checked against its maximum.

use super::{fmt_num, type_name, KindCompiler, Names, Scope};
use crate::diag::{did_you_mean, Diagnostic};
use crate::rules::interval::Join;
use crate::rules::model::*;
use crate::rules::raw::*;
use crate::script::Returns;

impl KindCompiler<'_> {
    /// A scoring method, checked to give points within the indicator's maximum.
    pub(super) fn method(
        &mut self,
        i: usize,
        ri: &RawIndicator,
        ty: ValueType,
        points: f64,
        names: &Names,
    ) -> Option<Method> {
        let sc = &ri.scoring;
        let ind_base = self.ind_path(i);
        let base = format!("{ind_base}.scoring");
        let m = sc.method;
        // Fields each method reads; anything else given is a mistake worth reporting.
        let allowed: &[&str] = match m {
            MethodName::Threshold => &["target", "direction", "partial"],
            MethodName::Linear => &["from", "to"],
            MethodName::Bands => &["bands"],
            MethodName::Deduct | MethodName::Bonus => &["per"],
            MethodName::Boolean => &[],
            MethodName::Script => &["function"],
            MethodName::Lookup => &["table", "points_from"],
            MethodName::Relative | MethodName::Minmax => &["direction"],
            MethodName::Rank => &["direction", "per", "floor"],
            MethodName::Zscore => &["direction", "from", "to"],
        };
        let present = [
            ("target", sc.target.is_some()),
            ("direction", sc.direction.is_some()),
            ("partial", sc.partial.is_some()),
            ("from", sc.from.is_some()),
            ("to", sc.to.is_some()),
            ("bands", sc.bands.is_some()),
            ("per", sc.per.is_some()),
            ("function", sc.function.is_some()),
            ("table", sc.table.is_some()),
            ("floor", sc.floor.is_some()),
            ("points_from", sc.points_from.is_some()),
        ];
        let mut ok = true;
        for (field, given) in present {
            if given && !allowed.contains(&field) {
                self.err(
                    format!("`{field}` is not used by method `{}`", m.as_str()),
                    &format!("{base}.{field}"),
                );
                ok = false;
            }
        }
        let need = |kc: &mut Self, v: &Option<NumRef>, field: &str| -> Option<f64> {
            match v {
                Some(r) => kc.num(r, &format!("{base}.{field}")),
                None => {
                    kc.err(format!("method `{}` needs `{field}`", m.as_str()), &base);
                    None
                }
            }
        };
        let numeric_input = |kc: &mut Self| {
            if matches!(ty, ValueType::Bool | ValueType::Category) {
                kc.err(
                    format!(
                        "method `{}` needs a numeric input, but the input is {}",
                        m.as_str(),
                        type_name(ty)
                    ),
                    &format!("{ind_base}.type"),
                );
                false
            } else {
                true
            }
        };
        let method = match m {
            MethodName::Threshold => {
                numeric_input(self);
                let target = need(self, &sc.target, "target");
                let partial = self
                    .opt_num(&sc.partial, &format!("{base}.partial"))
                    .flatten()
                    .unwrap_or(0.0);
                if partial < 0.0 || partial > points {
                    self.err(
                        format!(
                            "`partial` must lie between 0 and the indicator's {} points",
                            fmt_num(points)
                        ),
                        &format!("{base}.partial"),
                    );
                }
                Method::Threshold {
                    target: target?,
                    higher: sc.direction != Some(Direction::Lower),
                    partial,
                }
            }
            MethodName::Linear => {
                numeric_input(self);
                let from = need(self, &sc.from, "from");
                let to = need(self, &sc.to, "to");
                if let (Some(f), Some(t)) = (from, to) {
                    if f == t {
                        self.err("`from` and `to` must differ", &format!("{base}.to"));
                    }
                }
                Method::Linear {
                    from: from?,
                    to: to?,
                }
            }
            MethodName::Bands => {
                numeric_input(self);
                let Some(raw_bands) = &sc.bands else {
                    self.err("method `bands` needs `bands`", &base);
                    return None;
                };
                if raw_bands.is_empty() {
                    self.err("`bands` is empty", &format!("{base}.bands"));
                    return None;
                }
                let mut bands = Vec::new();
                for (b, rb) in raw_bands.iter().enumerate() {
                    let p = self.num(&rb.points, &format!("{base}.bands.{b}.points"));
                    match self.interval(&rb.range) {
                        Ok(interval) => {
                            if let Some(p) = p {
                                if p < 0.0 || p > points {
                                    self.err(
                                        format!(
                                            "band points {} lie outside 0..{}",
                                            fmt_num(p),
                                            fmt_num(points)
                                        ),
                                        &format!("{base}.bands.{b}.points"),
                                    );
                                }
                                bands.push((
                                    b,
                                    Band {
                                        interval,
                                        points: p,
                                        label: rb.label.clone(),
                                    },
                                ));
                            }
                        }
                        Err(Some(e)) => {
                            let loc = self.value_loc(&format!("{base}.bands.{b}.range"));
                            self.diags
                                .push(Diagnostic::error(format!("bad band range: {e}"), loc));
                        }
                        // A bound whose parameter failed (reported): the bands go unchecked.
                        Err(None) => return None,
                    }
                }
                // A band a parameter emptied holds no value: passed over.
                bands.retain(|(_, b)| !b.interval.is_empty());
                bands.sort_by(|a, b| {
                    a.1.interval
                        .lo
                        .total_cmp(&b.1.interval.lo)
                        .then(b.1.interval.lo_incl.cmp(&a.1.interval.lo_incl))
                });
                for w in bands.windows(2) {
                    let (Some((_, a)), Some((bi, b))) = (w.first(), w.get(1)) else {
                        continue;
                    };
                    match a.interval.meets(&b.interval) {
                        Join::Touch => {}
                        Join::Gap => self.err(
                            format!("bands {} and {} of indicator `{}` leave a gap: a value there scores nothing", a.interval, b.interval, ri.id),
                            &format!("{base}.bands.{bi}.range"),
                        ),
                        Join::Overlap => self.err(
                            format!("bands {} and {} of indicator `{}` overlap: a value there matches both", a.interval, b.interval, ri.id),
                            &format!("{base}.bands.{bi}.range"),
                        ),
                    }
                }
                let best = bands
                    .iter()
                    .map(|(_, b)| b.points)
                    .fold(f64::NEG_INFINITY, f64::max);
                if bands.len() == raw_bands.len() && (best - points).abs() > 1e-9 {
                    self.err(
                        format!(
                            "the best band gives {} points, but the indicator is worth {}",
                            fmt_num(best),
                            fmt_num(points)
                        ),
                        &format!("{base}.points"),
                    );
                }
                // Values the input may take but no band covers. A plain column's range is the
                // column's: declared under `columns:`, or else the indicator's.
                if let (Some((_, first)), Some((_, last))) = (bands.first(), bands.last()) {
                    let (lo, hi, what) = self.input_range(ri);
                    if first.interval.lo > lo
                        || (first.interval.lo == lo && !first.interval.lo_incl && lo.is_finite())
                    {
                        let loc = self.loc(&format!("{base}.bands"));
                        let help = if lo.is_finite() {
                            format!(
                                "{what} may be as low as {}: start the first band there",
                                fmt_num(lo)
                            )
                        } else {
                            "start the first band at the input's `min`, or declare `min`".into()
                        };
                        self.diags.push(
                            Diagnostic::warning(
                                format!(
                                    "values of `{}` below {} fall in no band and score 0",
                                    ri.id, first.interval
                                ),
                                loc,
                            )
                            .with_help(help),
                        );
                    }
                    if last.interval.hi < hi
                        || (last.interval.hi == hi && !last.interval.hi_incl && hi.is_finite())
                    {
                        let loc = self.loc(&format!("{base}.bands"));
                        let help = if hi.is_finite() {
                            format!(
                                "{what} may be as high as {}: end the last band there, or with `inf)`",
                                fmt_num(hi)
                            )
                        } else {
                            "end the last band with `inf)`, or declare `max`".into()
                        };
                        self.diags.push(
                            Diagnostic::warning(
                                format!(
                                    "values of `{}` above {} fall in no band and score 0",
                                    ri.id, last.interval
                                ),
                                loc,
                            )
                            .with_help(help),
                        );
                    }
                }
                Method::Bands(bands.into_iter().map(|(_, b)| b).collect())
            }
            MethodName::Deduct | MethodName::Bonus => {
                numeric_input(self);
                let per = need(self, &sc.per, "per")?;
                if per <= 0.0 {
                    self.err("`per` must be positive", &format!("{base}.per"));
                }
                if m == MethodName::Deduct {
                    Method::Deduct { per }
                } else {
                    Method::Bonus { per }
                }
            }
            MethodName::Boolean => {
                if ty != ValueType::Bool {
                    self.err(
                        format!(
                            "method `boolean` needs a true/false input, but `type` is {}",
                            type_name(ty)
                        ),
                        &format!("{ind_base}.type"),
                    );
                }
                Method::Boolean
            }
            MethodName::Script => {
                let Some(f) = &sc.function else {
                    self.err("method `script` needs `function`: the name of a rhai function in `scripts/`", &base);
                    return None;
                };
                if !self.host.has_function(f, 1) {
                    if self.host.maybe_in_broken_script(f) {
                        // The script's syntax error is the problem to report.
                        return None;
                    }
                    let help = did_you_mean(f, self.host.function_names().collect::<Vec<_>>())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| {
                            "define `fn NAME(value) { … }` in a `.rhai` file under `scripts/`"
                                .into()
                        });
                    let loc = self.value_loc(&format!("{base}.function"));
                    self.diags.push(
                        Diagnostic::error(
                            format!("no rhai function `{f}` taking one argument"),
                            loc,
                        )
                        .with_help(help),
                    );
                    return None;
                }
                let what = format!("scoring function `{f}` of indicator `{}`", ri.id);
                let text = format!("{f}(value)");
                let id = self.expression(
                    &text,
                    &format!("{base}.function"),
                    what,
                    Returns::Number,
                    Scope {
                        max_stage: 1,
                        indicator: Some(i),
                    },
                    names,
                )?;
                Method::Script(id)
            }
            MethodName::Lookup => {
                if ty != ValueType::Category {
                    self.err(
                        format!(
                            "method `lookup` needs a category input, but `type` is {}",
                            type_name(ty)
                        ),
                        &format!("{ind_base}.type"),
                    );
                }
                let table = match (&sc.table, &sc.points_from) {
                    (Some(_), Some(_)) => {
                        self.err(
                            "give one of `table` and `points_from`: the points are listed here or read from a data table, not both",
                            &format!("{base}.points_from"),
                        );
                        return None;
                    }
                    (None, Some(f)) => {
                        for (field, name) in
                            [("table", &f.table), ("key", &f.key), ("column", &f.column)]
                        {
                            if name.trim().is_empty() {
                                self.err(
                                    format!(
                                        "`points_from.{field}` names no {}",
                                        if field == "table" { "table" } else { "column" }
                                    ),
                                    &format!("{base}.points_from.{field}"),
                                );
                                return None;
                            }
                        }
                        return ok.then(|| {
                            Method::LookupFrom(PointsFrom {
                                table: f.table.clone(),
                                key: f.key.clone(),
                                column: f.column.clone(),
                            })
                        });
                    }
                    (Some(t), None) => t,
                    (None, None) => {
                        self.err("method `lookup` needs `table`: category → points", &base);
                        return None;
                    }
                };
                let mut pts = Vec::new();
                for (k, v) in table {
                    let p = self.num(v, &format!("{base}.table.{k}"))?;
                    if p < 0.0 || p > points {
                        self.err(
                            format!(
                                "points {} for `{k}` lie outside 0..{}",
                                fmt_num(p),
                                fmt_num(points)
                            ),
                            &format!("{base}.table.{k}"),
                        );
                    }
                    pts.push((k.clone(), p));
                }
                Method::Lookup(pts)
            }
            MethodName::Relative | MethodName::Rank | MethodName::Minmax | MethodName::Zscore => {
                if !numeric_input(self) {
                    return None;
                }
                // The others' inputs must be known without running a script per entity twice.
                if ri.input.expr.is_some() {
                    self.err(
                        format!(
                            "method `{}` compares each entity with the others: its input must be read from the data (a column, a ratio, a change or an aggregate), not `expr`",
                            m.as_str()
                        ),
                        &format!("{ind_base}.input.expr"),
                    );
                    return None;
                }
                let higher = sc.direction != Some(Direction::Lower);
                match m {
                    MethodName::Relative => Method::Relative { higher },
                    MethodName::Minmax => Method::MinMax { higher },
                    MethodName::Zscore => {
                        let from = need(self, &sc.from, "from")?;
                        let to = need(self, &sc.to, "to")?;
                        if from >= to {
                            self.err(
                                format!(
                                    "`from` {} must lie below `to` {}: they are standard deviations from the mean, the lower one scoring 0 and the higher one full points (use `direction: lower` when lower values are better)",
                                    fmt_num(from),
                                    fmt_num(to)
                                ),
                                &format!("{base}.from"),
                            );
                        }
                        Method::ZScore { higher, from, to }
                    }
                    _ => {
                        let per = need(self, &sc.per, "per")?;
                        let floor = match &sc.floor {
                            Some(f) => self.num(f, &format!("{base}.floor"))?,
                            None => 0.0,
                        };
                        if per <= 0.0 {
                            self.err("`per` must be a positive number: the points each place lower loses", &format!("{base}.per"));
                        }
                        if floor < 0.0 || floor > points {
                            self.err(
                                format!(
                                    "`floor` {} lies outside 0..{}",
                                    fmt_num(floor),
                                    fmt_num(points)
                                ),
                                &format!("{base}.floor"),
                            );
                        }
                        Method::Rank { higher, per, floor }
                    }
                }
            }
        };
        ok.then_some(method)
    }
}
