//! The evaluator: compiled rules + typed frames → scores and decisions. No I/O happens here.

pub mod entity;
pub mod fixed;
pub mod graph;
pub mod peer;
pub mod reads;
pub mod round;
pub mod run;
pub mod score;

pub mod units;
pub use run::{evaluate_kind, evaluate_kind_with, EvalError, KindResult};
