//! The graph of kinds: which kinds belong to which (`link`, `members`), which read whose
//! results (aggregates, cascades), and the orders that follow. Built from the raw files, so
//! that kinds compile after the kinds they read, and every circle or ambiguous way is reported
//! where it is written.

use crate::diag::{did_you_mean, Diagnostic, Location};
use crate::rules::load::{RawRuleSet, RuleFiles};
use crate::rules::model::{Kind, MemberVia};
use crate::rules::raw::{RawIndicator, RawKind};

/// Why one kind comes after another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// It aggregates over the other kind's results.
    Aggregates,
    /// Its `link` ties it to the primary kind's rows.
    Linked,
    /// The other kind cascades its grades to it.
    Cascade,
}

/// "`a` comes after `b`", and where that is written.
#[derive(Debug, Clone)]
struct After {
    kind: usize,
    on: usize,
    why: Why,
    /// The file (raw kind index) and the path in it.
    file: usize,
    path: String,
}

/// One kind's members: the member kind, and where it is declared.
#[derive(Debug, Clone)]
struct Member {
    kind: usize,
    file: usize,
    path: String,
}

/// The kinds of a rule set as a graph, by raw kind index.
pub(crate) struct KindGraph {
    names: Vec<String>,
    primary: Option<usize>,
    /// Per kind: its member kinds (`link` to the primary, then `members` in order).
    members: Vec<Vec<Member>>,
    after: Vec<After>,
}

/// Every indicator and adjustment item of a raw kind, with its path.
pub(crate) fn raw_indicators(rk: &RawKind) -> impl Iterator<Item = (String, &RawIndicator)> {
    let plain = rk
        .indicators
        .iter()
        .enumerate()
        .map(|(j, ri)| (format!("indicators.{j}"), ri));
    let items = rk.adjustments.iter().enumerate().flat_map(|(g, ra)| {
        ra.items
            .iter()
            .enumerate()
            .map(move |(j, ri)| (format!("adjustments.{g}.items.{j}"), ri))
    });
    plain.chain(items)
}

impl KindGraph {
    /// The graph of the raw kinds. Names that lead nowhere are left out here and reported
    /// where they are compiled.
    pub(crate) fn new(raw: &RawRuleSet, primary_name: &str) -> KindGraph {
        let names: Vec<String> = raw.kinds.iter().map(|k| k.kind.clone()).collect();
        let find = |n: &str| names.iter().position(|x| x == n);
        let primary = find(primary_name);
        let mut members = vec![Vec::new(); names.len()];
        let mut after = Vec::new();
        for (i, rk) in raw.kinds.iter().enumerate() {
            let is_primary = Some(i) == primary;
            if let (Some(p), Some(_), false) = (primary, &rk.link, is_primary) {
                if let Some(m) = members.get_mut(i) {
                    m.push(Member {
                        kind: p,
                        file: i,
                        path: "link".into(),
                    });
                }
                after.push(After {
                    kind: i,
                    on: p,
                    why: Why::Linked,
                    file: i,
                    path: "link".into(),
                });
            }
            for name in rk.members.keys() {
                let Some(k) = find(name).filter(|&k| k != i) else {
                    continue;
                };
                // `members` naming the primary kind says what `link` says; given both, the
                // error is reported where the kind is compiled.
                if Some(k) == primary && rk.link.is_some() {
                    continue;
                }
                if let Some(m) = members.get_mut(i) {
                    m.push(Member {
                        kind: k,
                        file: i,
                        path: format!("members.{name}"),
                    });
                }
                if Some(k) == primary && !is_primary {
                    after.push(After {
                        kind: i,
                        on: k,
                        why: Why::Linked,
                        file: i,
                        path: format!("members.{name}"),
                    });
                }
            }
            for (path, ri) in raw_indicators(rk) {
                let Some(agg) = &ri.input.aggregate else {
                    continue;
                };
                let (on, path) = match &agg.from {
                    Some(f) => (find(f), format!("{path}.input.aggregate.from")),
                    None if is_primary => (None, String::new()),
                    None => (primary, format!("{path}.input.aggregate")),
                };
                if let Some(on) = on.filter(|&on| on != i) {
                    after.push(After {
                        kind: i,
                        on,
                        why: Why::Aggregates,
                        file: i,
                        path,
                    });
                }
            }
            if let Some(c) = &rk.cascade {
                if let Some(t) = find(&c.to).filter(|&t| t != i && Some(t) != primary) {
                    after.push(After {
                        kind: t,
                        on: i,
                        why: Why::Cascade,
                        file: i,
                        path: "cascade.to".into(),
                    });
                }
            }
        }
        KindGraph {
            names,
            primary,
            members,
            after,
        }
    }

    fn name(&self, k: usize) -> &str {
        self.names.get(k).map_or("", String::as_str)
    }

    /// The name of the kind at raw index `k`.
    pub(crate) fn name_of(&self, k: usize) -> Option<String> {
        self.names.get(k).cloned()
    }

    /// The raw index of the kind named `name`.
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Whether a kind of this name is defined.
    pub(crate) fn has_kind(&self, name: &str) -> bool {
        self.index_of(name).is_some()
    }

    /// Every kind's name, for suggestions.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// The order kinds compile in: each after the kinds whose names it reads (aggregates, and
    /// the primary kind for a `link`), otherwise the primary kind first, then file order. Kinds
    /// caught in a circle come last, in the same order (the circle is an error).
    pub(crate) fn compile_order(&self) -> Vec<usize> {
        let deps = |e: &&After| e.why != Why::Cascade;
        let key = |k: usize| (Some(k) != self.primary, k);
        self.topological(deps, key)
    }

    /// Kahn's order over the edges `keep` selects: among the kinds ready, the one with the
    /// smallest `key` goes first; kinds left in a circle follow in `key` order.
    fn topological<K: Ord>(
        &self,
        keep: impl Fn(&&After) -> bool,
        key: impl Fn(usize) -> K,
    ) -> Vec<usize> {
        let n = self.names.len();
        let edges: Vec<&After> = self.after.iter().filter(keep).collect();
        let mut done = vec![false; n];
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let ready = (0..n)
                .filter(|&k| !done.get(k).copied().unwrap_or(true))
                .filter(|&k| {
                    edges
                        .iter()
                        .filter(|e| e.kind == k)
                        .all(|e| done.get(e.on).copied().unwrap_or(true))
                })
                .min_by_key(|&k| key(k));
            // In a circle nothing is ready: take the rest as they come.
            let next = ready.or_else(|| {
                (0..n)
                    .filter(|&k| !done.get(k).copied().unwrap_or(true))
                    .min_by_key(|&k| key(k))
            });
            let Some(k) = next else { break };
            if let Some(d) = done.get_mut(k) {
                *d = true;
            }
            out.push(k);
        }
        out
    }

    /// The kinds the primary kind reads, directly or through others (those evaluated before
    /// it), as raw kind indices.
    pub(crate) fn before_primary(&self) -> Vec<bool> {
        let mut before = vec![false; self.names.len()];
        let mut todo: Vec<usize> = self.primary.into_iter().collect();
        while let Some(k) = todo.pop() {
            for e in self.after.iter().filter(|e| e.kind == k) {
                if let Some(b) = before.get_mut(e.on).filter(|b| !**b) {
                    *b = true;
                    todo.push(e.on);
                }
            }
        }
        before
    }

    /// The order kinds are evaluated in, as raw kind indices: the kinds the primary kind reads,
    /// the primary kind, then the others. Each kind comes after the kinds it reads; otherwise
    /// in file order, a kind receiving a cascade after the others.
    pub(crate) fn evaluation_order(&self) -> Vec<usize> {
        let before = self.before_primary();
        let target = |k: usize| {
            self.after
                .iter()
                .any(|e| e.kind == k && e.why == Why::Cascade)
        };
        let key = |k: usize| {
            let phase = if before.get(k).copied().unwrap_or(false) {
                0
            } else if Some(k) == self.primary {
                1
            } else {
                2
            };
            (phase, target(k), k)
        };
        self.topological(|_| true, key)
    }

    /// Every circle among the kinds, reported once where its first step is written: kinds that
    /// read each other's results, and members that lead back to where they started.
    pub(crate) fn check(&self, files: &RuleFiles, raw: &RawRuleSet, diags: &mut Vec<Diagnostic>) {
        let loc = |file: usize, path: &str| -> Location {
            let remap = raw.remaps.get(file);
            let path = remap.map_or_else(|| path.to_string(), |r| r.original(path));
            files
                .kinds
                .get(file)
                .map(|f| f.value_loc(&path))
                .unwrap_or_default()
        };
        // Kinds reading each other.
        let steps = |k: usize| -> Vec<(usize, String, usize, String)> {
            self.after
                .iter()
                .filter(|e| e.kind == k)
                .map(|e| (e.on, self.words(e), e.file, e.path.clone()))
                .collect()
        };
        for cycle in circles(self.names.len(), steps) {
            let Some((_, _, file, path)) = cycle.first() else {
                continue;
            };
            let said: Vec<&str> = cycle.iter().map(|(_, w, _, _)| w.as_str()).collect();
            let kinds: Vec<String> = cycle
                .iter()
                .map(|(k, _, _, _)| format!("`{}`", self.name(*k)))
                .collect();
            diags.push(
                Diagnostic::error(
                    format!(
                        "the kinds {} read each other's results in a circle: {}",
                        and_list(&kinds),
                        and_list(&said)
                    ),
                    loc(*file, path),
                )
                .with_help(
                    "a kind is evaluated after every kind it reads; one of these has to read less",
                ),
            );
        }
        // Members leading back.
        let steps = |k: usize| -> Vec<(usize, String, usize, String)> {
            self.members
                .get(k)
                .into_iter()
                .flatten()
                .map(|m| {
                    (
                        m.kind,
                        format!("`{}` has `{}` members", self.name(k), self.name(m.kind)),
                        m.file,
                        m.path.clone(),
                    )
                })
                .collect()
        };
        for cycle in circles(self.names.len(), steps) {
            let Some((_, _, file, path)) = cycle.first() else {
                continue;
            };
            let said: Vec<&str> = cycle.iter().map(|(_, w, _, _)| w.as_str()).collect();
            diags.push(
                Diagnostic::error(
                    format!("members go round in a circle: {}", and_list(&said)),
                    loc(*file, path),
                )
                .with_help("each entity belongs to coarser ones: a household to a village, a village to a town"),
            );
        }
    }

    /// An edge in words: "`town` aggregates over `village`".
    fn words(&self, e: &After) -> String {
        let (a, b) = (self.name(e.kind), self.name(e.on));
        match e.why {
            Why::Aggregates => format!("`{a}` aggregates over `{b}`"),
            Why::Linked => format!("`{a}` is linked to `{b}`"),
            Why::Cascade => format!("`{b}` cascades to `{a}`"),
        }
    }

    /// The one way from kind `from` (raw index) through members to the kind named `to`: the
    /// kinds passed, ending with `to`. No way, or more than one, is an error in words.
    pub(crate) fn path(&self, from: usize, to: &str) -> Result<Vec<String>, String> {
        let Some(target) = self.names.iter().position(|n| n == to) else {
            let help = did_you_mean(to, self.names.iter().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!("unknown kind `{to}`{help}"));
        };
        if target == from {
            return Err(format!(
                "`{to}` cannot aggregate over itself: name a kind whose entities belong to it"
            ));
        }
        let mut found: Vec<Vec<usize>> = Vec::new();
        let mut stack = vec![from];
        self.walk(&mut stack, target, &mut found);
        let way = |p: &[usize]| {
            std::iter::once(from)
                .chain(p.iter().copied())
                .map(|k| self.name(k))
                .collect::<Vec<_>>()
                .join(" → ")
        };
        match found.as_slice() {
            [one] => Ok(one.iter().map(|&k| self.name(k).to_string()).collect()),
            [] => Err(format!(
                "no way from `{}` to `{to}`: no `link` or `members` of `{}` lead to it",
                self.name(from),
                self.name(from)
            )),
            [a, b, ..] => Err(format!(
                "two ways from `{}` to `{to}`: {} and {}; keep one, so that each `{to}` is counted once",
                self.name(from),
                way(a),
                way(b)
            )),
        }
    }

    /// Depth first through members from the last kind of `stack`, collecting at most two ways
    /// to `target` (a way is the kinds after the start).
    fn walk(&self, stack: &mut Vec<usize>, target: usize, found: &mut Vec<Vec<usize>>) {
        let Some(&at) = stack.last() else { return };
        for m in self.members.get(at).into_iter().flatten() {
            if found.len() >= 2 || stack.contains(&m.kind) {
                continue;
            }
            stack.push(m.kind);
            if m.kind == target {
                found.push(stack.get(1..).unwrap_or(&[]).to_vec());
            } else {
                self.walk(stack, target, found);
            }
            stack.pop();
        }
    }
}

/// "a", "a and b", "a, b and c".
fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// The circles of a graph, each once, starting at its smallest node: the steps taken, each as
/// (the node reached, the step in words, its file, its path).
fn circles(
    n: usize,
    steps: impl Fn(usize) -> Vec<(usize, String, usize, String)>,
) -> Vec<Vec<(usize, String, usize, String)>> {
    let mut out: Vec<Vec<(usize, String, usize, String)>> = Vec::new();
    let mut seen_sets: Vec<Vec<usize>> = Vec::new();
    for start in 0..n {
        // Breadth first from `start` over nodes after it, for the shortest way back.
        let mut prev: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut queue = std::collections::VecDeque::from([start]);
        let mut back: Option<(usize, usize)> = None;
        while let Some(at) = queue.pop_front() {
            for (j, (to, ..)) in steps(at).into_iter().enumerate() {
                if to == start {
                    back = Some((at, j));
                    break;
                }
                if to > start && prev.get(to).is_some_and(Option::is_none) {
                    if let Some(p) = prev.get_mut(to) {
                        *p = Some((at, j));
                    }
                    queue.push_back(to);
                }
            }
            if back.is_some() {
                break;
            }
        }
        let Some((mut at, mut j)) = back else {
            continue;
        };
        let mut rev = Vec::new();
        loop {
            if let Some(step) = steps(at).into_iter().nth(j) {
                rev.push(step);
            }
            if at == start {
                break;
            }
            let Some((p, pj)) = prev.get(at).copied().flatten() else {
                break;
            };
            at = p;
            j = pj;
        }
        rev.reverse();
        let mut set: Vec<usize> = rev.iter().map(|s| s.0).collect();
        set.sort_unstable();
        if !seen_sets.contains(&set) {
            seen_sets.push(set);
            out.push(rev);
        }
    }
    out
}

/// Each `members` column is read as text from the member kind's table.
pub(crate) fn add_member_columns(kinds: &mut [Option<Kind>]) {
    let wanted: Vec<(String, String)> = kinds
        .iter()
        .flatten()
        .flat_map(|k| &k.members)
        .filter_map(|m| match &m.via {
            MemberVia::Column(c) => Some((m.kind.clone(), c.clone())),
            MemberVia::Table { .. } => None,
        })
        .collect();
    for (kind, column) in wanted {
        if let Some(k) = kinds.iter_mut().flatten().find(|k| k.name == kind) {
            if !k.text_columns.contains(&column) {
                k.text_columns.push(column);
            }
        }
    }
}
