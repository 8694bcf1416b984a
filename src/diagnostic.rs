//! The diagnostic type every rule produces and every reporter reads. It knows nothing of output
//! formats: spans are byte ranges into the file's text, converted to lines and columns only by
//! [`crate::source::LineIndex`].

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::source::TextRange;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a fix may be applied without a human reading it (ruff's split).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Mechanical and behaviour-preserving apart from the bug it fixes: `--fix` applies it.
    Safe,
    /// Changes transaction semantics or needs judgement: shown, never applied automatically.
    Suggestion,
}

/// One text replacement, in the original text's byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub text: String,
}

impl Edit {
    pub fn insert(at: u32, text: impl Into<String>) -> Self {
        Self {
            range: TextRange::new(at, at),
            text: text.into(),
        }
    }
    pub fn replace(range: TextRange, text: impl Into<String>) -> Self {
        Self {
            range,
            text: text.into(),
        }
    }
}

/// A suggested change: a title, and edits (possibly none when only the code sample is given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    /// Non-overlapping edits, sorted by position.
    pub edits: Vec<Edit>,
}

/// A secondary location with a short explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub range: TextRange,
    pub message: String,
}

/// A location in another file that explains a finding (the helper that sends the statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Rule id, e.g. `missing-transaction`, or `parse-error`.
    pub rule: &'static str,
    pub severity: Severity,
    pub path: PathBuf,
    /// Primary span.
    pub range: TextRange,
    /// What is wrong at this site, one sentence, no trailing period.
    pub message: String,
    pub labels: Vec<Label>,
    /// What to do, imperative.
    pub help: Option<String>,
    /// The safe pattern written with the user's own names (shown under the help).
    pub example: Option<String>,
    pub fix: Option<Fix>,
    /// Name of the enclosing function (for fingerprints and messages).
    pub context: Option<String>,
    /// Locations in other files (SARIF `relatedLocations`).
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn new(rule: &'static str, severity: Severity, range: TextRange, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity,
            path: PathBuf::new(),
            range,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            example: None,
            fix: None,
            context: None,
            related: Vec::new(),
        }
    }
    pub fn label(mut self, range: TextRange, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            range,
            message: message.into(),
        });
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn example(mut self, code: impl Into<String>) -> Self {
        self.example = Some(code.into());
        self
    }
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
    pub fn context(mut self, name: Option<String>) -> Self {
        self.context = name;
        self
    }
    /// Sort key used everywhere output order matters.
    pub fn sort_key(&self) -> (&PathBuf, u32, u32, &'static str, &str) {
        (&self.path, self.range.start, self.range.end, self.rule, &self.message)
    }
}
