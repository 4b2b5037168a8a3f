//! What the live page's server holds: the rule files as read, the data parsed once and the
//! baseline evaluated once. Every request's settings are the command line's what-if flags;
//! each is evaluated over the baseline as `compare` evaluates a scenario, and answered with a
//! problem in words, never a printed error.

use crate::compare::{evaluate_baseline, evaluate_over, Evaluated};
use crate::data::{DataSet, Frame};
use crate::diag::{Diagnostic, Severity};
use crate::engine::units::Links;
use crate::engine::EvalError;
use crate::rules::load::RuleFiles;
use crate::rules::RuleSet;
use crate::scenario::{Flags, Scenario};
use serde::Serialize;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A problem with a request, in words the page shows as they are.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

/// Why a request was not answered: its status and the problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub problems: Vec<Problem>,
}

impl Refusal {
    pub fn bad(p: Problem) -> Refusal {
        Refusal {
            status: 400,
            problems: vec![p],
        }
    }

    pub fn with_status(status: u16, p: Problem) -> Refusal {
        Refusal {
            status,
            problems: vec![p],
        }
    }
}

/// A diagnostic as a problem: the place (`rules/kinds/village.yaml:12`) before the message
/// when it has one.
pub fn problem_of(d: &Diagnostic) -> Problem {
    let place = d
        .location
        .file
        .as_ref()
        .filter(|f| f.name != crate::scenario::COMMAND_LINE)
        .map(|f| {
            if d.location.line > 0 {
                format!("{}:{}: ", f.name, d.location.line)
            } else {
                format!("{}: ", f.name)
            }
        });
    Problem {
        message: format!("{}{}", place.unwrap_or_default(), d.message),
        help: d.help.clone(),
    }
}

/// Whether every problem is with the settings as given: a flag, or the line it became.
fn all_in_flags(diags: &[Diagnostic]) -> bool {
    diags.iter().all(|d| {
        crate::scenario::is_flag_problem(d)
            || d.location
                .file
                .as_ref()
                .is_some_and(|f| f.name == crate::scenario::COMMAND_LINE)
    })
}

fn problems_of(diags: &[Diagnostic]) -> Vec<Problem> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(problem_of)
        .collect()
}

/// An evaluation's failure as problems (the data, a script, or an internal error).
fn eval_problems(e: EvalError) -> Refusal {
    let problems = match e {
        EvalError::Data(errs, _) => errs.iter().map(|e| Problem::new(e.to_string())).collect(),
        EvalError::Script(errs, _) => errs
            .iter()
            .take(5)
            .map(|e| Problem::new(e.to_string()))
            .collect(),
        EvalError::Internal(what) => vec![Problem::new(format!(
            "internal error: {what} (a bug in bangfu, not a problem with the settings)"
        ))],
    };
    Refusal {
        status: 422,
        problems,
    }
}

/// The settings of a page: a scenario file to start from, and the flags on top.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub scenario: Option<String>,
    pub flags: Flags,
}

impl Settings {
    /// Whether these are the rules as they are.
    pub fn is_baseline(&self) -> bool {
        self.scenario.is_none() && self.flags.is_empty()
    }

    /// One text for the settings, the key of the cache.
    fn key(&self) -> String {
        format!(
            "{}\u{1}{}\u{1}{}",
            self.scenario.as_deref().unwrap_or(""),
            self.flags.set.join("\u{2}"),
            self.flags.gates.join("\u{2}")
        )
    }
}

/// The folders the server reads, and the one it may write new scenarios into.
#[derive(Debug, Clone)]
pub struct Folders {
    pub rules: PathBuf,
    pub data: PathBuf,
    pub scenarios: PathBuf,
}

/// Everything read once when the server starts.
pub struct Session {
    pub folders: Folders,
    pub files: RuleFiles,
    pub ds: DataSet,
    pub base: Arc<Evaluated>,
    pub linked: Links,
    /// The controls of the page, with the range each value may take.
    pub model: super::model::Model,
    /// The last evaluations asked for, newest last: a trace or a download after a change
    /// is not evaluated again.
    cache: Mutex<VecDeque<(String, Arc<Evaluated>)>>,
}

/// How many evaluations the cache holds.
const CACHED: usize = 6;

impl Session {
    /// Read the rules, the data and the baseline. Problems are returned as the commands
    /// would print them (the caller prints them and exits with the documented code).
    pub fn open(
        folders: Folders,
        files: RuleFiles,
        rules: RuleSet,
        ds: DataSet,
        frame: Frame,
    ) -> Result<Session, EvalError> {
        let model = super::model::Model::of(&files, &rules, &folders.scenarios);
        let (base, linked) = evaluate_baseline(rules, Arc::new(frame), &ds)?;
        Ok(Session {
            folders,
            files,
            ds,
            base: Arc::new(base),
            linked,
            model,
            cache: Mutex::new(VecDeque::new()),
        })
    }

    /// The scenario the settings describe, checked as `--scenario` and `--set` are: `None`
    /// for the rules as they are.
    pub fn scenario(&self, s: &Settings) -> Result<Option<Scenario>, Refusal> {
        let base = match &s.scenario {
            None => None,
            Some(name) => {
                // Only a scenario of the folder: never a path to another file.
                let names = crate::scenario::list(&self.folders.scenarios);
                if !names.iter().any(|n| n == name) {
                    let mut p =
                        Problem::new(format!("no scenario `{name}` in the scenarios folder"));
                    if let Some(near) =
                        crate::diag::did_you_mean(name, names.iter().map(String::as_str))
                    {
                        p = p.with_help(format!("did you mean `{near}`?"));
                    }
                    return Err(Refusal::bad(p));
                }
                let sc =
                    crate::scenario::load(&self.folders.scenarios, name).map_err(|d| Refusal {
                        status: 422,
                        problems: problems_of(&d),
                    })?;
                Some(sc)
            }
        };
        self.model.check_limits(&s.flags)?;
        crate::scenario::with_flags(base, &s.flags).map_err(|d| Refusal {
            status: 400,
            problems: problems_of(&d),
        })
    }

    /// The rule set under the settings' scenario: a path or gate that does not exist is a
    /// bad request (400); settings that make the rule set invalid are 422.
    pub fn rules_for(&self, sc: &Scenario) -> Result<RuleSet, Refusal> {
        let files = crate::scenario::apply(&self.files, sc).map_err(|d| Refusal {
            status: if all_in_flags(&d) { 400 } else { 422 },
            problems: problems_of(&d),
        })?;
        let (rules, _) = crate::rules::load_files(&files).map_err(|d| Refusal {
            status: if all_in_flags(&d) { 400 } else { 422 },
            problems: problems_of(&d),
        })?;
        Ok(rules)
    }

    /// The evaluation the settings ask for: the baseline itself for none, else the
    /// scenario over the baseline's data (its data changes applied, if any).
    pub fn evaluate(&self, s: &Settings) -> Result<Arc<Evaluated>, Refusal> {
        if s.is_baseline() {
            return Ok(Arc::clone(&self.base));
        }
        let key = s.key();
        if let Some(e) = self.cached(&key) {
            return Ok(e);
        }
        let Some(sc) = self.scenario(s)? else {
            return Ok(Arc::clone(&self.base));
        };
        let rules = self.rules_for(&sc)?;
        let e = self.evaluate_scenario(&sc, rules)?;
        let e = Arc::new(e);
        if let Ok(mut c) = self.cache.lock() {
            c.push_back((key, Arc::clone(&e)));
            while c.len() > CACHED {
                c.pop_front();
            }
        }
        Ok(e)
    }

    fn cached(&self, key: &str) -> Option<Arc<Evaluated>> {
        let c = self.cache.lock().ok()?;
        c.iter().find(|(k, _)| k == key).map(|(_, e)| Arc::clone(e))
    }

    fn evaluate_scenario(&self, sc: &Scenario, rules: RuleSet) -> Result<Evaluated, Refusal> {
        let base = &self.base;
        let same_columns = rules.primary.same_columns(&base.rules.primary);
        if same_columns && sc.data_changes().is_empty() {
            return evaluate_over(base, &self.linked, &self.ds, rules, &sc.name, &sc.label)
                .map_err(eval_problems);
        }
        let frame = self.scenario_frame(&rules, sc)?;
        self.evaluate_frame(rules, frame, &sc.name, &sc.label, false)
    }

    /// The primary table a scenario's rules read, its data changes applied: the baseline's
    /// columns when the rules read the same ones, else the table read again.
    fn scenario_frame(&self, rules: &RuleSet, sc: &Scenario) -> Result<Frame, Refusal> {
        let mut frame = if rules.primary.same_columns(&self.base.rules.primary) {
            (*self.base.frame).clone()
        } else {
            self.ds
                .load_primary(&rules.primary)
                .map_err(|errs| Refusal {
                    status: 422,
                    problems: errs.iter().map(|e| Problem::new(e.to_string())).collect(),
                })?
        };
        crate::scenario::apply_scenario_data(&rules.primary, &mut frame, sc).map_err(|d| {
            Refusal {
                status: 422,
                problems: problems_of(&d),
            }
        })?;
        Ok(frame)
    }

    /// Every kind evaluated afresh over `frame`; `keep` keeps every input value (a trace
    /// shows them).
    fn evaluate_frame(
        &self,
        rules: RuleSet,
        frame: Frame,
        name: &str,
        label: &str,
        keep: bool,
    ) -> Result<Evaluated, Refusal> {
        let keep = keep || crate::engine::reads::keeps_values(&rules);
        let p = crate::engine::graph::evaluate_primary(&rules, &self.ds, &frame, None, |f, _| {
            crate::engine::evaluate_kind_with(&rules, &rules.primary, f, keep)
        })
        .map_err(eval_problems)?;
        let frame = p.frame.unwrap_or(frame);
        let units = crate::engine::graph::evaluate_units_after(
            &rules, &self.ds, &frame, &p.result, p.finer,
        )
        .map_err(eval_problems)?;
        Ok(Evaluated {
            name: name.to_string(),
            label: label.to_string(),
            rules,
            frame: Arc::new(frame),
            result: p.result,
            standing: p.standing,
            units,
        })
    }

    /// The evaluation a trace reads: every input value kept, as `explain` keeps them.
    pub fn evaluate_for_trace(&self, s: &Settings) -> Result<Evaluated, Refusal> {
        let sc = self.scenario(s)?;
        let (rules, frame) = match &sc {
            None => {
                let (rules, _) = crate::rules::load_files(&self.files).map_err(|d| Refusal {
                    status: 422,
                    problems: problems_of(&d),
                })?;
                (rules, (*self.base.frame).clone())
            }
            Some(sc) => {
                let rules = self.rules_for(sc)?;
                let frame = self.scenario_frame(&rules, sc)?;
                (rules, frame)
            }
        };
        let (name, label) = sc
            .as_ref()
            .map(|s| (s.name.clone(), s.label.clone()))
            .unwrap_or_else(|| ("baseline".into(), "现行细则 (baseline)".into()));
        self.evaluate_frame(rules, frame, &name, &label, true)
    }
}
