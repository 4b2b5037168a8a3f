//! Compiling what only units have: the link to villages, aggregates over them, ranking,
//! quotas, top N, the reward fund and the cascade to members.

use super::compile::{declare_column, fmt_num, is_identifier, KindCompiler, Names, Scope};
use super::cond::parse_cmp;
use super::model::*;
use super::raw::{FundSplit, RawAggregate, RawIndicator, RawKind};
use crate::diag::{did_you_mean, Diagnostic, Location};

impl KindCompiler<'_> {
    /// The compiled primary kind (none while the primary kind itself compiles).
    fn primary(&self) -> Option<&Kind> {
        self.primary_ix
            .and_then(|p| self.kinds.get(p))
            .and_then(Option::as_ref)
    }

    /// The compiled kind at raw index `i`, to read its names and add the columns they need.
    fn compiled_mut(&mut self, i: usize) -> Option<&mut Kind> {
        self.kinds.get_mut(i).and_then(Option::as_mut)
    }

    /// The primary kind in words for messages: `(village, villages)`, `(team, teams)`.
    pub(super) fn primary_words(&self) -> (String, String) {
        self.primary().map_or_else(
            || ("primary entity".to_string(), "primary entities".to_string()),
            |p| (p.noun(), p.nouns()),
        )
    }

    /// The members of other unit kinds (`members`). Members of the primary kind are the
    /// `link`, written either way: `members: { village: { column: town_id } }` is
    /// `link: { column: town_id }`.
    pub(super) fn members(&mut self, rk: &RawKind) -> (Vec<MemberLink>, Option<Link>) {
        let mut out = Vec::new();
        let mut link = None;
        let primary_name = self.primary_ix.and_then(|p| self.graph.name_of(p));
        for (name, m) in &rk.members {
            let path = format!("members.{name}");
            if name == &rk.kind {
                self.err("a kind cannot be a member of itself", &path);
                continue;
            }
            if !self.graph.has_kind(name) {
                let help =
                    did_you_mean(name, self.graph.names()).map(|s| format!("did you mean `{s}`?"));
                let loc = self.loc(&path);
                self.diags.push(
                    Diagnostic::error(format!("members of unknown kind `{name}`"), loc)
                        .with_help_opt(help),
                );
                continue;
            }
            if Some(name.as_str()) == primary_name.as_deref() {
                if self.is_primary {
                    continue;
                }
                if rk.link.is_some() {
                    self.err(
                        format!("`link` already says which `{name}` rows belong to each unit: give `link` or `members: {{ {name}: … }}`, not both"),
                        &path,
                    );
                    continue;
                }
            }
            let via = match (&m.column, &m.table) {
                (Some(col), None) => {
                    if m.unit_column.is_some() || m.member_column.is_some() {
                        self.err(
                            "`unit_column` and `member_column` go with `table`, not `column`",
                            &path,
                        );
                    }
                    MemberVia::Column(col.clone())
                }
                (None, Some(table)) => MemberVia::Table {
                    table: table.clone(),
                    unit_column: m
                        .unit_column
                        .clone()
                        .unwrap_or_else(|| rk.id_column.first().to_string()),
                    member_column: m.member_column.clone().unwrap_or_default(),
                },
                _ => {
                    self.err(format!("members need one of `column` (a `{name}` column holding the {} id) or `table` (a link table)", rk.kind), &path);
                    continue;
                }
            };
            if Some(name.as_str()) == primary_name.as_deref() {
                link = Some(via);
                continue;
            }
            out.push(MemberLink {
                kind: name.clone(),
                via,
            });
        }
        let link = link.and_then(|via| {
            let p = self.primary_ix.and_then(|p| self.compiled_mut(p))?;
            Some(match via {
                MemberVia::Column(col) => {
                    if !p.text_columns.contains(&col) {
                        p.text_columns.push(col.clone());
                    }
                    Link::Column(col)
                }
                MemberVia::Table {
                    table,
                    unit_column,
                    member_column,
                } => Link::Table {
                    table,
                    unit_column,
                    village_column: if member_column.is_empty() {
                        p.id_column.clone()
                    } else {
                        member_column
                    },
                },
            })
        });
        (out, link)
    }

    /// For a unit kind without a `link`, the one way its members lead to the primary entities
    /// (none when there is no way, or more than one).
    pub(super) fn through(&self, link: &Option<Link>) -> Vec<String> {
        if self.is_primary || link.is_some() {
            return Vec::new();
        }
        let Some(primary) = self.primary_ix.and_then(|p| self.graph.name_of(p)) else {
            return Vec::new();
        };
        self.graph.path(self.index, &primary).unwrap_or_default()
    }

    /// The link to the primary entities.
    pub(super) fn link(&mut self, rk: &RawKind) -> Option<Link> {
        let raw = rk.link.as_ref()?;
        if self.is_primary {
            self.err(
                "the primary kind is what units link to; it takes no `link`",
                "link",
            );
            return None;
        }
        match (&raw.column, &raw.table) {
            (Some(col), None) => {
                if raw.unit_column.is_some() || raw.village_column.is_some() {
                    let key = match self.primary() {
                        Some(p) if p.name != "village" => "primary_column",
                        _ => "village_column",
                    };
                    self.err(
                        format!("`unit_column` and `{key}` go with `table`, not `column`"),
                        "link",
                    );
                }
                if let Some(p) = self.primary_ix.and_then(|p| self.compiled_mut(p)) {
                    if !p.text_columns.contains(col) {
                        p.text_columns.push(col.clone());
                    }
                }
                Some(Link::Column(col.clone()))
            }
            (None, Some(table)) => {
                let village_column = raw
                    .village_column
                    .clone()
                    .or_else(|| self.primary().map(|p| p.id_column.clone()))
                    .unwrap_or_default();
                Some(Link::Table {
                    table: table.clone(),
                    unit_column: raw
                        .unit_column
                        .clone()
                        .unwrap_or_else(|| rk.id_column.first().to_string()),
                    village_column,
                })
            }
            _ => {
                let (one, _) = self.primary_words();
                self.err(format!("`link` needs one of `column` (a {one} column holding the unit id) or `table` (a link table)"), "link");
                None
            }
        }
    }

    /// An input aggregated over the unit's villages, stored as a computed column.
    pub(super) fn aggregate_input(
        &mut self,
        input_base: &str,
        ri: &RawIndicator,
        agg: &RawAggregate,
    ) -> Option<Input> {
        let base = format!("{input_base}.aggregate");
        // The kind read: the primary kind through `link` unless `from` names another, reached
        // by the one way its members lead there.
        let from = match &agg.from {
            None if self.is_primary => {
                self.err(
                    "an aggregate on the primary kind reads a finer kind: name it with `from`",
                    &base,
                );
                return None;
            }
            None => None,
            Some(name) => match self.graph.path(self.index, name) {
                // The primary kind through the kind's own link is what an aggregate reads
                // without `from`.
                Ok(path) if path.len() == 1 && self.primary().is_some_and(|p| &p.name == name) => {
                    None
                }
                Ok(path) => Some(Source {
                    kind: name.clone(),
                    path,
                }),
                Err(e) => {
                    let loc = self.value_loc(&format!("{base}.from"));
                    self.diags.push(Diagnostic::error(e, loc));
                    return None;
                }
            },
        };
        let source_ix = match &from {
            None => self.primary_ix,
            Some(s) => self.graph.index_of(&s.kind),
        };
        let (mut source_kind, source_ix) = match source_ix {
            Some(i) => (self.kinds.get_mut(i).and_then(Option::take), i),
            None => (None, 0),
        };
        let out = self.aggregate_over(&base, ri, agg, from, source_kind.as_mut());
        if let (Some(k), Some(slot)) = (source_kind, self.kinds.get_mut(source_ix)) {
            *slot = Some(k);
        }
        out
    }

    /// [`KindCompiler::aggregate_input`] over a compiled source kind, whose names `of` and
    /// `where` read.
    fn aggregate_over(
        &mut self,
        base: &str,
        ri: &RawIndicator,
        agg: &RawAggregate,
        from: Option<Source>,
        source: Option<&mut Kind>,
    ) -> Option<Input> {
        let base = base.to_string();
        let Some(primary) = source else {
            // The kind read failed to compile and its errors say why; stand the aggregate in
            // so this kind's own problems are still reported.
            let origin = self.loc(&base);
            self.columns.push(ColumnSpec {
                name: format!("aggregate.{}", ri.id),
                ty: ValueType::Number,
                min: None,
                max: None,
                missing: MissingPolicy::Zero,
                categories: None,
                category_labels: Vec::new(),
                label: None,
                unit: None,
                source: ColumnSource::Aggregate(Aggregate {
                    func: agg.func,
                    of: None,
                    of_text: String::new(),
                    filter: Vec::new(),
                    precision: None,
                    from: None,
                }),
                baseline: false,
                origin,
            });
            return Some(Input::Column(self.columns.len() - 1));
        };
        let needs_of = matches!(agg.func, AggFn::Mean | AggFn::Min | AggFn::Max | AggFn::Sum);
        let fname = format!("{:?}", agg.func).to_lowercase();
        let (one, many) = (primary.noun(), primary.nouns());
        let mut problems: Vec<(String, String)> = Vec::new();
        let of = match (&agg.of, needs_of) {
            (Some(text), true) => match primary_var(primary, text) {
                Ok(v) => Some(v),
                Err(e) => {
                    problems.push((e, format!("{base}.of")));
                    None
                }
            },
            (None, true) => {
                problems.push((format!("`{fname}` needs `of`: the {one} field to aggregate (`total`, a dimension, `points.ID`, a column, …)"), base.clone()));
                None
            }
            (Some(_), false) => {
                problems.push((
                    format!("`{fname}` counts {many} and takes no `of`; filter them with `where`"),
                    format!("{base}.of"),
                ));
                None
            }
            (None, false) => None,
        };
        if matches!(agg.func, AggFn::Share | AggFn::Any | AggFn::All) && agg.filter.is_none() {
            problems.push((
                format!("`{fname}` needs `where`: the conditions a {one} must meet"),
                base.clone(),
            ));
        }
        if agg.precision.is_some_and(|p| p > 9) {
            problems.push((
                "an aggregate keeps at most 9 decimals".to_string(),
                format!("{base}.precision"),
            ));
        }
        let mut filter = Vec::new();
        for (j, text) in agg.filter.iter().flatten().enumerate() {
            let mut resolve = |name: &str| -> Result<Operand, String> {
                if primary_literal(primary, name) {
                    return Ok(Operand::Str(name.to_string()));
                }
                if let Some(p) = self.params.iter().find(|p| p.name == name) {
                    self.used_params.insert(name.to_string());
                    return Ok(Operand::Num(p.value));
                }
                primary_var(primary, name).map(Operand::Var)
            };
            match parse_cmp(text, &mut resolve) {
                Ok(c) => filter.push(c),
                Err(e) => problems.push((format!("in `{text}`: {e}"), format!("{base}.where.{j}"))),
            }
        }
        let of_text = agg.of.clone().unwrap_or_default();
        if !problems.is_empty() {
            for (msg, path) in problems {
                let loc = self.value_loc(&path);
                self.diags.push(Diagnostic::error(msg, loc));
            }
            return None;
        }
        let name = format!("{}.{}", fname, ri.id);
        let origin = self.loc(&base);
        // `any` and `all` are yes or no.
        let ty = if matches!(agg.func, AggFn::Any | AggFn::All) {
            ValueType::Bool
        } else {
            ValueType::Number
        };
        self.columns.push(ColumnSpec {
            name,
            ty,
            min: ri.min,
            max: ri.max,
            missing: ri.missing.unwrap_or(MissingPolicy::Error),
            categories: None,
            category_labels: Vec::new(),
            label: None,
            unit: None,
            source: ColumnSource::Aggregate(Aggregate {
                func: agg.func,
                of,
                of_text,
                filter,
                precision: agg.precision,
                from,
            }),
            baseline: false,
            origin,
        });
        Some(Input::Column(self.columns.len() - 1))
    }

    /// Ranking keys: `total desc`, `points.funds asc`, a column; the id ends every ranking.
    pub(super) fn rank(&mut self, rk: &RawKind, names: &Names) -> Vec<RankKey> {
        let Some(keys) = &rk.rank else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, text) in keys.iter().enumerate() {
            let path = format!("rank.{i}");
            let mut parts = text.split_whitespace();
            let (Some(name), dir, extra) = (parts.next(), parts.next(), parts.next()) else {
                self.err("a ranking key is `FIELD desc` or `FIELD asc`", &path);
                continue;
            };
            let desc = match dir {
                None | Some("desc") => true,
                Some("asc") => false,
                Some(other) => {
                    self.err(format!("`{other}` is not a direction: use `desc` (higher ranks first) or `asc`"), &path);
                    continue;
                }
            };
            if extra.is_some() {
                self.err("a ranking key is `FIELD desc` or `FIELD asc`", &path);
                continue;
            }
            let loc = self.value_loc(&path);
            match self.resolve(
                name,
                Scope {
                    max_stage: 4,
                    indicator: None,
                },
                names,
                &loc,
            ) {
                Ok(Some(Var::Param(_))) => self.err(
                    format!(
                        "`{name}` is a parameter, the same for every unit: it cannot rank them"
                    ),
                    &path,
                ),
                Ok(Some(var)) => out.push(RankKey {
                    var,
                    desc,
                    text: text.clone(),
                }),
                Ok(None) => self.err(format!("unknown field `{name}`"), &path),
                Err(e) => {
                    self.diags.push(Diagnostic::error(e, loc));
                }
            }
        }
        out
    }

    /// Quotas, top N and the fund.
    pub(super) fn population(
        &mut self,
        rk: &RawKind,
        grades: &[String],
        outcomes: &[String],
    ) -> (Vec<Quota>, Option<Top>, Option<Fund>) {
        let mut quotas = Vec::new();
        for (i, q) in rk.quotas.iter().enumerate() {
            let path = format!("quotas.{i}");
            let target = match (&q.outcome, &q.grade) {
                (Some(o), None) => self
                    .find_id(o, outcomes, "outcome", &format!("{path}.outcome"))
                    .map(QuotaTarget::Outcome),
                (None, Some(g)) => self
                    .find_id(g, grades, "grade", &format!("{path}.grade"))
                    .map(QuotaTarget::Grade),
                _ => {
                    self.err("a quota limits exactly one `outcome` or one `grade`", &path);
                    None
                }
            };
            match (q.max_share, q.max_count) {
                (Some(s), None) if !(s > 0.0 && s <= 1.0) => self.err(
                    format!(
                        "`max_share` is a share between 0 and 1 (20% is 0.2), not {}",
                        fmt_num(s)
                    ),
                    &format!("{path}.max_share"),
                ),
                (Some(_), None) | (None, Some(_)) => {}
                _ => self.err(
                    "a quota needs exactly one of `max_share` and `max_count`",
                    &path,
                ),
            }
            if let Some(QuotaTarget::Outcome(o)) = target {
                if o + 1 >= outcomes.len() {
                    self.err(
                        "a quota on the last outcome has nowhere to send the units beyond it",
                        &path,
                    );
                }
            }
            if let Some(QuotaTarget::Grade(g)) = target {
                if g + 1 >= grades.len() {
                    self.err(
                        "a quota on the lowest grade has nowhere to send the units beyond it",
                        &path,
                    );
                }
            }
            if let Some(target) = target {
                quotas.push(Quota {
                    target,
                    max_share: q.max_share,
                    max_count: q.max_count,
                });
            }
        }
        let top = rk.top.as_ref().and_then(|t| {
            let o = self.find_id(&t.outcome, outcomes, "outcome", "top.outcome")?;
            if o + 1 >= outcomes.len() {
                self.err(
                    "`top` on the last outcome has nowhere to send the units beyond the top",
                    "top.outcome",
                );
            }
            if t.count == 0 {
                self.err("`top.count` must be at least 1", "top.count");
            }
            Some(Top {
                count: t.count,
                outcome: o,
            })
        });
        let fund = rk.fund.as_ref().and_then(|f| {
            if !(f.budget.is_finite() && f.budget >= 0.0) || f.budget.fract() != 0.0 {
                self.err(
                    "`budget` is a whole number of yuan, 0 or more",
                    "fund.budget",
                );
                return None;
            }
            let outcome = self.find_id(&f.outcome, outcomes, "outcome", "fund.outcome")?;
            let split = match (f.split, &f.per_grade) {
                (FundSplit::Equal, None) => Split::Equal,
                (FundSplit::Proportional, None) => Split::Proportional,
                (FundSplit::ByGrade, Some(per)) => {
                    let mut w = vec![0.0; grades.len()];
                    for (g, weight) in per {
                        let k = self.find_id(g, grades, "grade", &format!("fund.per_grade.{g}"))?;
                        if !(weight.is_finite() && *weight >= 0.0) {
                            self.err(
                                "a grade's weight must be 0 or more",
                                &format!("fund.per_grade.{g}"),
                            );
                        }
                        if let Some(slot) = w.get_mut(k) {
                            *slot = *weight;
                        }
                    }
                    Split::ByGrade(w)
                }
                (FundSplit::ByGrade, None) => {
                    self.err(
                        "`split: by_grade` needs `per_grade`: each grade's weight",
                        "fund.split",
                    );
                    return None;
                }
                (_, Some(_)) => {
                    self.err("`per_grade` goes with `split: by_grade`", "fund.per_grade");
                    return None;
                }
            };
            Some(Fund {
                budget: f.budget as i64,
                outcome,
                split,
                label: f.label.clone(),
            })
        });
        (quotas, top, fund)
    }

    /// The cascade, with member grades left as text until every kind is compiled.
    pub(super) fn cascade(&mut self, rk: &RawKind, grades: &[String]) -> Option<Cascade> {
        let c = rk.cascade.as_ref()?;
        let mut rules = Vec::new();
        for (i, r) in c.rules.iter().enumerate() {
            let path = format!("cascade.rules.{i}");
            let gs: Vec<usize> = r
                .grades
                .iter()
                .filter_map(|g| self.find_id(g, grades, "grade", &format!("{path}.grades")))
                .collect();
            let action = match (&r.set, &r.cap, &r.at_most) {
                (Some(g), None, None) => CascadeAction::Set(g.clone()),
                (None, Some(g), None) => CascadeAction::Cap(g.clone()),
                (None, None, Some(a)) => CascadeAction::AtMost {
                    grade: a.grade.clone(),
                    count: a.count,
                },
                _ => {
                    self.err(
                        "a cascade rule does exactly one of `set`, `cap` and `at_most`",
                        &path,
                    );
                    continue;
                }
            };
            rules.push(CascadeRule { grades: gs, action });
        }
        Some(Cascade {
            to: c.to.clone(),
            via: c.via.clone(),
            rules,
        })
    }

    /// The position of `id` in `ids`, or a located "unknown WHAT" error with a suggestion.
    pub(super) fn find_id(
        &mut self,
        id: &str,
        ids: &[String],
        what: &str,
        path: &str,
    ) -> Option<usize> {
        match ids.iter().position(|x| x == id) {
            Some(k) => Some(k),
            None => {
                let help = did_you_mean(id, ids.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                let loc = self.value_loc(path);
                self.diags.push(
                    Diagnostic::error(format!("unknown {what} `{id}`"), loc).with_help_opt(help),
                );
                None
            }
        }
    }
}

/// Whether `name` is a grade id, an outcome id or a category value of the primary kind.
fn primary_literal(p: &Kind, name: &str) -> bool {
    p.dims.iter().all(|d| d.id != name)
        && p.gates.iter().all(|g| g.id != name)
        && (p.grades.iter().any(|g| g.id == name)
            || p.outcomes.iter().any(|o| o.id == name)
            || p.columns.iter().any(|c| {
                c.categories
                    .as_ref()
                    .is_some_and(|cs| cs.iter().any(|x| x == name))
            }))
}

/// What a village field name means, for aggregates: scores, grade, outcome, gates, columns.
fn primary_var(p: &mut Kind, name: &str) -> Result<Var, String> {
    match name {
        "total" => return Ok(Var::Total),
        "grade" => return Ok(Var::Grade),
        "outcome" => return Ok(Var::Outcome),
        "failed" => return Ok(Var::Failed),
        "any_gate" => return Ok(Var::AnyGate),
        _ => {}
    }
    if let Some((ns, id)) = name.split_once('.') {
        let k = p
            .indicators
            .iter()
            .position(|x| x.id == id)
            .ok_or_else(|| {
                let s = did_you_mean(id, p.indicators.iter().map(|x| x.id.as_str()));
                format!(
                    "no {} indicator `{id}`{}",
                    p.name,
                    s.map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default()
                )
            })?;
        return match ns {
            "points" => Ok(Var::Points(k)),
            "value" => Ok(Var::Value(k)),
            _ => Err(format!(
                "unknown field `{name}`: write `points.{id}` or `value.{id}`"
            )),
        };
    }
    if let Some(d) = p.dims.iter().position(|d| d.id == name) {
        return Ok(Var::Dim(d));
    }
    if let Some(g) = p.gates.iter().position(|g| g.id == name) {
        return Ok(Var::Gate(g));
    }
    if !is_identifier(name) {
        return Err(format!("`{name}` is not a field name"));
    }
    // A village column not read by the village rules is loaded for the units.
    declare_column(&mut p.columns, name, None, Location::default())
        .map(Var::Column)
        .map_err(|d| d.message)
}
