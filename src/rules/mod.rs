//! The rule contract and the registry.
//!
//! A rule is a unit struct implementing [`Rule`]: it reads the [`FileModel`] and reports through
//! [`RuleContext`]. It never walks the AST. Its user-facing text lives in `rules/<id>.md`, embedded
//! at compile time and used by `txlint explain`, `txlint rules`, the README table and SARIF.

mod check_then_insert;
mod client_leak;
mod early_return_in_transaction;
mod missing_retry;
mod missing_transaction;
mod placeholder_mismatch;
mod pool_end_in_request;
mod pool_transaction;
mod query_after_commit;
mod read_modify_write;
mod response_before_commit;
mod rollback_swallows_error;
mod rollback_without_finally;
mod session_state_leak;
mod shared_client;
mod unawaited_query;
mod unawaited_transaction;
pub mod util;
mod wrap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::semantic::FileModel;

/// Whether a rule offers fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    /// Never.
    None,
    /// Suggested code the user applies by hand.
    Suggestion,
    /// Some findings carry a safe edit that `--fix` applies.
    Safe,
}

/// Static description of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// The id users write in configuration and suppressions.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    pub fix: FixAvailability,
    /// `rules/<id>.md`.
    pub doc: &'static str,
}

impl RuleMeta {
    /// The one-sentence summary: the first paragraph after the title.
    pub fn summary(&self) -> &'static str {
        doc_summary(self.doc)
    }
}

/// The first non-empty line after the `# id` title.
pub fn doc_summary(doc: &str) -> &str {
    crate::source::lines(doc)
        .skip_while(|l| !l.starts_with("# "))
        .skip(1)
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// A rule: reads the model, reports findings.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, model: &FileModel<'_>, cx: &mut RuleContext);
}

/// Collects the findings of one rule on one file.
pub struct RuleContext {
    rule: &'static RuleMeta,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl RuleContext {
    pub fn new(rule: &'static RuleMeta) -> Self {
        Self {
            rule,
            diagnostics: Vec::new(),
        }
    }
    pub fn id(&self) -> &'static str {
        self.rule.id
    }
    /// A diagnostic of this rule with its default severity.
    pub fn diagnostic(&self, range: crate::source::TextRange, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.rule.id, self.rule.severity, range, message)
    }
    pub fn report(&mut self, d: Diagnostic) {
        // One finding per primary site.
        if !self.diagnostics.iter().any(|e| e.range == d.range && e.rule == d.rule) {
            self.diagnostics.push(d);
        }
    }
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

macro_rules! rule_doc {
    ($id:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".md"))
    };
}
pub(crate) use rule_doc;

/// Every rule, sorted by id.
pub static ALL: &[&dyn Rule] = &[
    &check_then_insert::CheckThenInsert,
    &client_leak::ClientLeak,
    &early_return_in_transaction::EarlyReturnInTransaction,
    &missing_retry::MissingRetry,
    &missing_transaction::MissingTransaction,
    &placeholder_mismatch::PlaceholderMismatch,
    &pool_end_in_request::PoolEndInRequest,
    &pool_transaction::PoolTransaction,
    &query_after_commit::QueryAfterCommit,
    &read_modify_write::ReadModifyWrite,
    &response_before_commit::ResponseBeforeCommit,
    &rollback_swallows_error::RollbackSwallowsError,
    &rollback_without_finally::RollbackWithoutFinally,
    &session_state_leak::SessionStateLeak,
    &shared_client::SharedClient,
    &unawaited_query::UnawaitedQuery,
    &unawaited_transaction::UnawaitedTransaction,
];

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    ALL.iter().copied().find(|r| r.meta().id == id)
}

/// Every valid rule id.
pub fn ids() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|r| r.meta().id)
}

/// A configured level for a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Warn,
    Error,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "off" => Some(Level::Off),
            "warn" | "warning" => Some(Level::Warn),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// Which rules run, and with which severity.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Per rule (in `ALL` order): `None` = default severity, `Some(Off)` = disabled.
    levels: Vec<Option<Level>>,
    /// Level of `unused-suppression` reports.
    pub unused_suppression: Level,
}

impl Default for RuleSet {
    fn default() -> Self {
        Self::all()
    }
}

impl RuleSet {
    /// Every rule at its default severity.
    pub fn all() -> Self {
        Self {
            levels: vec![None; ALL.len()],
            unused_suppression: Level::Warn,
        }
    }

    /// Only this rule (as tests and `--select` use).
    pub fn only(id: &str) -> Self {
        Self {
            levels: ALL
                .iter()
                .map(|r| if r.meta().id == id { None } else { Some(Level::Off) })
                .collect(),
            unused_suppression: if id == crate::UNUSED_SUPPRESSION {
                Level::Warn
            } else {
                Level::Off
            },
        }
    }

    /// Sets a rule's level; returns false for an unknown id.
    pub fn set(&mut self, id: &str, level: Level) -> bool {
        if id == crate::UNUSED_SUPPRESSION {
            self.unused_suppression = level;
            return true;
        }
        match ALL.iter().position(|r| r.meta().id == id) {
            Some(i) => {
                self.levels[i] = Some(level);
                true
            }
            None => false,
        }
    }

    /// Keeps only the given rules enabled.
    pub fn select(&mut self, ids: &[String]) {
        for (i, r) in ALL.iter().enumerate() {
            if !ids.iter().any(|id| id == r.meta().id) {
                self.levels[i] = Some(Level::Off);
            }
        }
        if !ids.iter().any(|id| id == crate::UNUSED_SUPPRESSION) {
            self.unused_suppression = Level::Off;
        }
    }

    /// Enabled rules with their configured level (`None` = the rule's own severities).
    pub fn enabled(&self) -> impl Iterator<Item = (&'static dyn Rule, Option<Level>)> + '_ {
        ALL.iter().zip(&self.levels).filter_map(|(r, l)| match l {
            Some(Level::Off) => None,
            other => Some((*r, *other)),
        })
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.enabled().any(|(r, _)| r.meta().id == id)
    }
}
