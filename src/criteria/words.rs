//! The rules in Chinese words: scoring methods, inputs, conditions, intervals and aggregates,
//! as a committee's printed 评分细则 writes them ("每 1 起扣 1 分，扣完为止").

use crate::rules::interval::Interval;
use crate::rules::model::{
    AggFn, Aggregate, Cmp, Condition, Indicator, Input, Kind, Method, Op, Operand, RuleSet, Var,
};
use crate::words::short_label;

/// A number as people write it: no float noise (`0.1 + 0.2` reads `0.3`), no needless `.0`.
pub(crate) fn num(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "∞" } else { "-∞" }.into();
    }
    if x.is_nan() {
        return "?".into();
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// `x` followed by its unit, if any: `5 万元`, `0.8`.
fn with_unit(x: f64, unit: Option<&str>) -> String {
    match unit {
        Some("%") => format!("{}%", num(x)),
        Some(u) if !u.is_empty() => format!("{} {u}", num(x)),
        _ => num(x),
    }
}

/// The space between a bare number and the Chinese after it (`1 得`); none after a unit
/// (`5 万元得`).
fn sp(unit: Option<&str>) -> &'static str {
    match unit {
        Some(u) if !u.is_empty() && u != "%" => "",
        _ => " ",
    }
}

/// An interval in words, each bound saying whether it is included: `80 分（含）至 90 分（不含）`,
/// `90 及以上`, `低于 60 分`, `等于 1`.
pub(crate) fn interval_words(i: &Interval, unit: Option<&str>) -> String {
    if i.lo.is_nan() || i.hi.is_nan() {
        return "（区间未定）".into();
    }
    if i.is_empty() {
        return format!("（空区间 {i}）");
    }
    let (lo, hi) = (with_unit(i.lo, unit), with_unit(i.hi, unit));
    let incl = |b: bool| if b { "（含）" } else { "（不含）" };
    match (i.lo.is_infinite(), i.hi.is_infinite()) {
        _ if i.lo == i.hi => format!("等于 {lo}"),
        (false, false) => format!("{lo}{}至 {hi}{}", incl(i.lo_incl), incl(i.hi_incl)),
        (false, true) if i.lo_incl => format!("{lo}{}及以上", sp(unit)),
        (false, true) => format!("高于 {lo}"),
        (true, false) if i.hi_incl => format!("{hi}{}及以下", sp(unit)),
        (true, false) => format!("低于 {hi}"),
        (true, true) => "任意值".into(),
    }
}

/// The parameters named, with their values: `min_stability（稳定最低分）= 12 分`.
pub(crate) fn params_note(rules: &RuleSet, names: &[String]) -> String {
    names
        .iter()
        .map(|n| match rules.params.iter().find(|p| &p.name == n) {
            Some(p) => {
                let label = p
                    .label
                    .as_deref()
                    .map(|l| format!("（{}）", short_label(l)))
                    .unwrap_or_default();
                format!("{n}{label} = {}", with_unit(p.value, p.unit.as_deref()))
            }
            None => n.clone(),
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// The parameters a text names (a comparison as written, an expression's source).
fn params_in(rules: &RuleSet, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if rules.params.iter().any(|p| p.name == word) && !found.iter().any(|f| f == word) {
            found.push(word.to_string());
        }
    }
    found
}

/// A column's name for people: its label, or its name.
fn column_words(kind: &Kind, c: usize) -> String {
    kind.columns.get(c).map_or_else(
        || format!("第 {c} 列"),
        |s| match &s.label {
            Some(l) => short_label(l).to_string(),
            None => format!("`{}`", s.name),
        },
    )
}

/// What a variable of `kind` reads, in words.
pub(crate) fn var_words(rules: &RuleSet, kind: &Kind, v: Var) -> String {
    match v {
        Var::Column(c) => column_words(kind, c),
        Var::Param(p) => rules.params.get(p).map_or(String::new(), |p| {
            p.label
                .as_deref()
                .map_or(p.name.clone(), |l| short_label(l).to_string())
        }),
        Var::Dim(d) => kind
            .dims
            .get(d)
            .map_or(String::new(), |d| format!("{}得分", short_label(&d.label))),
        Var::Total => "总分".into(),
        Var::Grade => "等次".into(),
        Var::Failed => "未通过".into(),
        Var::AnyGate => "触发任一否决项".into(),
        Var::Gate(g) => kind
            .gates
            .get(g)
            .map_or(String::new(), |g| format!("「{}」", short_label(&g.label))),
        Var::Points(i) => kind
            .indicators
            .get(i)
            .map_or(String::new(), |i| format!("{}得分", short_label(&i.label))),
        Var::Value(i) => kind
            .indicators
            .get(i)
            .map_or(String::new(), |i| short_label(&i.label).to_string()),
        Var::Outcome => "结果".into(),
    }
}

fn op_words(op: Op) -> &'static str {
    match op {
        Op::Lt => "<",
        Op::Le => "≤",
        Op::Gt => ">",
        Op::Ge => "≥",
        Op::Eq => "=",
        Op::Ne => "≠",
    }
}

/// A text operand compared with `left`: a grade's, an outcome's or a category's label.
fn text_words(kind: &Kind, left: &Operand, s: &str) -> String {
    let found = match left {
        Operand::Var(Var::Grade) => kind
            .grades
            .iter()
            .find(|g| g.id == s)
            .map(|g| short_label(&g.label).to_string()),
        Operand::Var(Var::Outcome) => kind
            .outcomes
            .iter()
            .find(|o| o.id == s)
            .map(|o| short_label(&o.label).to_string()),
        Operand::Var(Var::Column(c)) => kind.columns.get(*c).and_then(|col| {
            col.category_labels
                .iter()
                .find(|(k, _)| k == s)
                .map(|(_, l)| short_label(l).to_string())
        }),
        _ => None,
    };
    found.unwrap_or_else(|| s.to_string())
}

fn operand_words(rules: &RuleSet, kind: &Kind, o: &Operand, left: &Operand) -> String {
    match o {
        Operand::Var(v) => var_words(rules, kind, *v),
        Operand::Num(x) => num(*x),
        Operand::Str(s) => text_words(kind, left, s),
        Operand::Bool(b) => if *b { "是" } else { "否" }.into(),
    }
}

/// One comparison in words: `总分 ≥ 85`, `未触发「集体访」`.
fn cmp_words(rules: &RuleSet, kind: &Kind, c: &Cmp) -> String {
    let left = operand_words(rules, kind, &c.left, &c.left);
    match &c.op {
        None => match (&c.left, c.negate) {
            (Operand::Var(Var::Gate(_)), false) => format!("触发{left}"),
            (Operand::Var(Var::Gate(_)), true) => format!("未触发{left}"),
            (Operand::Var(Var::Failed), true) => "未被否决".into(),
            (_, false) => left,
            (_, true) => format!("{left}为否"),
        },
        Some((op, right)) => {
            // A share compared with a number between 0 and 1 reads in percent, as its method.
            let right = match (&c.left, right) {
                (Operand::Var(Var::Value(i)), Operand::Num(x))
                    if (0.0..=1.0).contains(x)
                        && kind
                            .indicators
                            .get(*i)
                            .is_some_and(|ind| is_share(kind, ind)) =>
                {
                    format!("{}%", num(x * 100.0))
                }
                _ => operand_words(rules, kind, right, &c.left),
            };
            let text = format!("{left} {} {right}", op_words(*op));
            if c.negate {
                format!("并非 {text}")
            } else {
                text
            }
        }
    }
}

/// Comparisons joined by `且` (all) or `或` (any), with the parameters they name.
fn cmps_words(rules: &RuleSet, kind: &Kind, cmps: &[Cmp], join: &str) -> String {
    let text = cmps
        .iter()
        .map(|c| cmp_words(rules, kind, c))
        .collect::<Vec<_>>()
        .join(join);
    let names: Vec<String> =
        cmps.iter()
            .flat_map(|c| params_in(rules, &c.text))
            .fold(Vec::new(), |mut acc, n| {
                if !acc.contains(&n) {
                    acc.push(n);
                }
                acc
            });
    if names.is_empty() {
        text
    } else {
        format!("{text}（{}）", params_note(rules, &names))
    }
}

/// A condition in words; an expression is shown as written, with the parameters it reads.
pub(crate) fn condition_words(rules: &RuleSet, kind: &Kind, c: &Condition) -> String {
    match c {
        Condition::All(cmps) => cmps_words(rules, kind, cmps, "，且"),
        Condition::Any(cmps) => cmps_words(rules, kind, cmps, "，或"),
        Condition::Script(id) => match rules.scripts.expr(*id) {
            Some(e) => {
                let src = one_line(&e.source);
                let names: Vec<String> = e
                    .vars
                    .iter()
                    .filter(|(_, v)| matches!(v, Var::Param(_)))
                    .map(|(n, _)| n.clone())
                    .collect();
                if names.is_empty() {
                    format!("`{src}`")
                } else {
                    format!("`{src}`（{}）", params_note(rules, &names))
                }
            }
            None => "（表达式缺失）".into(),
        },
    }
}

/// An expression's source on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the indicator reads, in words.
pub(crate) fn input_words(rules: &RuleSet, kind: &Kind, ind: &Indicator) -> String {
    let col = |c: usize| {
        let words = column_words(kind, c);
        match kind.columns.get(c) {
            Some(spec) => match &spec.source {
                crate::rules::model::ColumnSource::Aggregate(a) => agg_words(rules, a),
                crate::rules::model::ColumnSource::Data if spec.label.is_some() => {
                    format!("{words} `{}`", spec.name)
                }
                crate::rules::model::ColumnSource::Data => words,
            },
            None => words,
        }
    };
    match &ind.input {
        Input::Column(c) => col(*c),
        Input::Ratio {
            num: n,
            den,
            if_zero,
        } => format!(
            "{} ÷ {}（分母为 0 时取 {}）",
            col(*n),
            col(*den),
            num(*if_zero)
        ),
        Input::Change {
            col: c,
            percent,
            if_zero,
        } => {
            if *percent {
                format!(
                    "{} 较基期增长的百分比{}",
                    col(*c),
                    if_zero
                        .map(|z| format!("（基期为 0 时取 {}）", num(z)))
                        .unwrap_or_default()
                )
            } else {
                format!("{} 较基期的变化", col(*c))
            }
        }
        Input::Expr(id) => match rules.scripts.expr(*id) {
            Some(e) => format!("按公式 `{}` 计算", one_line(&e.source)),
            None => "（表达式缺失）".into(),
        },
    }
}

/// The kind an aggregate reads.
fn source_kind<'a>(rules: &'a RuleSet, a: &Aggregate) -> &'a Kind {
    a.from
        .as_ref()
        .and_then(|s| {
            std::iter::once(&rules.primary)
                .chain(&rules.units)
                .find(|k| k.name == s.kind)
        })
        .unwrap_or(&rules.primary)
}

/// An aggregate in words: `所联系村的总分平均值`, `所联系村中结果 = 验收合格的占比`.
pub(crate) fn agg_words(rules: &RuleSet, a: &Aggregate) -> String {
    let src = source_kind(rules, a);
    let noun = format!("所联系{}", src.zh_noun());
    let of =
        a.of.map(|v| var_words(rules, src, v))
            .unwrap_or_else(|| a.of_text.clone());
    let filter = (!a.filter.is_empty()).then(|| cmps_words(rules, src, &a.filter, "且"));
    match (a.func, filter) {
        (AggFn::Mean | AggFn::Min | AggFn::Max | AggFn::Sum, f) => {
            let func = match a.func {
                AggFn::Mean => "平均值",
                AggFn::Min => "最低值",
                AggFn::Max => "最高值",
                _ => "合计",
            };
            match f {
                Some(f) => format!("{noun}中{f}者的{of}{func}"),
                None => format!("{noun}的{of}{func}"),
            }
        }
        (AggFn::Count, Some(f)) => format!("{noun}中{f}的个数"),
        (AggFn::Count, None) => format!("{noun}的个数"),
        (AggFn::Share, Some(f)) => format!("{noun}中{f}的占比"),
        (AggFn::Share, None) => format!("{noun}的占比"),
        (AggFn::Any, Some(f)) => format!("{noun}中是否有{f}（是为 1，否为 0）"),
        (AggFn::Any, None) => format!("是否有{noun}（是为 1，否为 0）"),
        (AggFn::All, Some(f)) => format!("{noun}是否都{f}（是为 1，否为 0）"),
        (AggFn::All, None) => format!("{noun}是否都满足（是为 1，否为 0）"),
    }
}

/// Whether the indicator reads a share, shown in percent: a ratio of two columns or the share
/// of linked entities meeting a condition, with no unit of its own, scored by bounds between
/// 0 and 1 (a ratio of other sizes, such as yuan per person, keeps its numbers).
fn share_input(kind: &Kind, ind: &Indicator) -> bool {
    let within = |x: f64| !x.is_finite() || (0.0..=1.0).contains(&x);
    let bounds = match &ind.method {
        Method::Threshold { target, .. } => within(*target),
        Method::Linear { from, to } => within(*from) && within(*to),
        Method::Bands(b) => b
            .iter()
            .all(|b| within(b.interval.lo) && within(b.interval.hi)),
        _ => false,
    };
    is_share(kind, ind) && bounds
}

/// Whether the indicator's input is a share without a unit of its own: a ratio of two columns
/// or the share of linked entities meeting a condition.
fn is_share(kind: &Kind, ind: &Indicator) -> bool {
    let share = match &ind.input {
        Input::Ratio { .. } => true,
        Input::Column(c) => kind.columns.get(*c).is_some_and(|s| {
            matches!(
                &s.source,
                crate::rules::model::ColumnSource::Aggregate(a) if a.func == AggFn::Share
            )
        }),
        _ => false,
    };
    share && ind.unit.is_none()
}

/// A scoring method in words, for an indicator worth `ind.points`.
pub(crate) fn method_words(rules: &RuleSet, kind: &Kind, ind: &Indicator) -> String {
    let p = num(ind.points);
    // A share (a ratio, or the share of linked entities meeting a condition) reads in percent.
    let scale = if share_input(kind, ind) { 100.0 } else { 1.0 };
    let unit = if scale == 100.0 {
        Some("%")
    } else {
        ind.unit.as_deref()
    };
    let per_unit = ind.unit.as_deref().unwrap_or("个单位");
    match &ind.method {
        Method::Threshold {
            target,
            higher,
            partial,
        } => {
            let cmp = if *higher { "≥" } else { "≤" };
            let otherwise = if *partial == 0.0 {
                "否则不得分".to_string()
            } else {
                format!("否则得 {} 分", num(*partial))
            };
            format!(
                "{cmp} {}{}得 {p} 分，{otherwise}",
                with_unit(target * scale, unit),
                sp(unit)
            )
        }
        Method::Linear { from, to } => {
            let (zero, full) = if from < to {
                ("及以下", "及以上")
            } else {
                ("及以上", "及以下")
            };
            format!(
                "{}{}{zero}得 0 分，{}{}{full}得 {p} 分，其间按比例计分",
                with_unit(from * scale, unit),
                sp(unit),
                with_unit(to * scale, unit),
                sp(unit)
            )
        }
        Method::Bands(bands) => {
            let mut parts: Vec<String> = bands
                .iter()
                .map(|b| {
                    let label = b
                        .label
                        .as_deref()
                        .map(|l| format!("（{}）", short_label(l)))
                        .unwrap_or_default();
                    let scaled = Interval {
                        lo: b.interval.lo * scale,
                        hi: b.interval.hi * scale,
                        ..b.interval
                    };
                    let range = interval_words(&scaled, unit);
                    // A bare number before the Chinese takes a space: `等于 1 得 5 分`.
                    let gap = if label.is_empty() && range.ends_with(|c: char| c.is_ascii()) {
                        " "
                    } else {
                        ""
                    };
                    format!("{range}{label}{gap}得 {} 分", num(b.points))
                })
                .collect();
            parts.push("其他不得分".into());
            parts.join("，")
        }
        Method::Deduct { per } => format!("每 1 {per_unit}扣 {} 分，{p} 分扣完为止", num(*per)),
        Method::Bonus { per } => format!("每 1 {per_unit}计 {} 分，最多 {p} 分", num(*per)),
        Method::Boolean => format!("是得 {p} 分，否不得分"),
        Method::Script(id) => match rules.scripts.expr(*id) {
            Some(e) => {
                let reads: Vec<String> = e
                    .vars
                    .iter()
                    .map(|(n, v)| match v {
                        Var::Param(_) => n.clone(),
                        // The indicator's own input.
                        Var::Value(i)
                            if kind.indicators.get(*i).is_some_and(|x| x.id == ind.id) =>
                        {
                            format!("本项数值 `{n}`")
                        }
                        _ => {
                            let w = var_words(rules, kind, *v);
                            if w.trim_matches('`') == n {
                                format!("`{n}`")
                            } else {
                                format!("{w} `{n}`")
                            }
                        }
                    })
                    .collect();
                let reads = if reads.is_empty() {
                    String::new()
                } else {
                    format!("，读取 {}", reads.join("、"))
                };
                format!(
                    "由脚本 `{}` 计算{reads}；得分在 0 至 {p} 分之间",
                    one_line(&e.source)
                )
            }
            None => "由脚本计算".into(),
        },
        Method::Lookup(table) => {
            let spec = match &ind.input {
                Input::Column(c) => kind.columns.get(*c),
                _ => None,
            };
            let name = |k: &str| {
                spec.and_then(|s| s.category_labels.iter().find(|(c, _)| c == k))
                    .map_or(k.to_string(), |(_, l)| short_label(l).to_string())
            };
            let mut parts: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{}得 {} 分", name(k), num(*v)))
                .collect();
            parts.push("其他类别不得分".into());
            format!("按类别计分：{}", parts.join("，"))
        }
        Method::LookupFrom(f) => format!(
            "按类别查表计分：分值取数据表 `{}` 中该类别（`{}` 列）的 `{}` 列，最多 {p} 分",
            f.table, f.key, f.column
        ),
        Method::Relative { higher } => {
            if *higher {
                format!("以最高值为满分：本值 ÷ 全体最高值 × {p} 分")
            } else {
                format!("以最低值为满分：全体最低值 ÷ 本值 × {p} 分")
            }
        }
        Method::Rank { higher, per, floor } => format!(
            "按排名赋分（{}）：第 1 名得 {p} 分，每低一名少 {} 分，最低 {} 分；并列取较好名次",
            if *higher {
                "值越大越靠前"
            } else {
                "值越小越靠前"
            },
            num(*per),
            num(*floor)
        ),
        Method::MinMax { higher } => {
            let (worst, best) = if *higher {
                ("最低值", "最高值")
            } else {
                ("最高值", "最低值")
            };
            format!("全体{worst}得 0 分，{best}得 {p} 分，其间按比例计分")
        }
        Method::ZScore { higher, from, to } => format!(
            "按标准分计分：z = ({}) ÷ 标准差（全体），z 从 {} 到 {} 对应 0 到 {p} 分，超出按端点计",
            if *higher {
                "本值 − 平均值"
            } else {
                "平均值 − 本值"
            },
            num(*from),
            num(*to)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_without_float_noise() {
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(70.0), "70");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(2.675), "2.675");
        assert_eq!(num(f64::INFINITY), "∞");
    }

    #[test]
    fn intervals_say_which_side_a_boundary_falls_on() {
        let i = |s: &str| Interval::parse(s).expect("an interval");
        assert_eq!(
            interval_words(&i("[90, 100]"), Some("分")),
            "90 分（含）至 100 分（含）"
        );
        assert_eq!(
            interval_words(&i("[80, 90)"), None),
            "80（含）至 90（不含）"
        );
        assert_eq!(
            interval_words(&i("(80, 90]"), None),
            "80（不含）至 90（含）"
        );
        assert_eq!(interval_words(&i("[90, inf)"), None), "90 及以上");
        assert_eq!(interval_words(&i("[5, inf)"), Some("万元")), "5 万元及以上");
        assert_eq!(interval_words(&i("(90, inf)"), None), "高于 90");
        assert_eq!(interval_words(&i("(-inf, 60)"), Some("分")), "低于 60 分");
        assert_eq!(interval_words(&i("(-inf, 60]"), None), "60 及以下");
        assert_eq!(interval_words(&i("[1, 1]"), None), "等于 1");
    }
}
