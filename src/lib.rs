//! txlint finds data-integrity bugs in Node.js code that talks to CockroachDB or PostgreSQL
//! through node-postgres: writes without a transaction, check-then-insert races, transactions
//! that never retry SQLSTATE 40001, and error paths that leave transactions open or clients
//! checked out.
//!
//! [`lint_source`] is the entry point every test uses; the CLI (`cli`) adds discovery, parallel
//! linting, configuration and reporters around it.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod engine;
pub mod error;
pub mod fix;
pub mod lsp;
pub mod parse;
pub mod paths;
pub mod prefilter;
pub mod project;
pub mod report;
pub mod rules;
pub mod semantic;
pub mod source;
pub mod suppress;
pub mod threads;

use std::path::Path;

use diagnostic::{Diagnostic, Severity};
use rules::{Level, RuleContext, RuleSet};
use semantic::{Database, FileModel};
use source::SourceFile;

/// Id of the diagnostic for files that do not parse (or are not UTF-8, or nest too deeply).
pub const PARSE_ERROR: &str = "parse-error";
/// Id of the warning for files that cannot be read (permissions, binary content).
pub const IO_ERROR: &str = "io-error";
/// Id of the warning for a suppression comment that suppresses nothing.
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";

/// Options that change what the analysis assumes.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintOptions {
    pub database: Database,
}

/// Lints one file's text as if it were at `path` (the extension picks the syntax).
pub fn lint_source(path: &Path, text: &str, rules: &RuleSet, opts: &LintOptions) -> Vec<Diagnostic> {
    let file = SourceFile::new(path, text.to_string());
    lint_file(&file, rules, opts)
}

/// Time spent in the phases of linting one file.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseTimes {
    /// Parsing, and dropping the syntax tree.
    pub parse: std::time::Duration,
    /// Building the model and running the rules.
    pub analyse: std::time::Duration,
}

/// Lints a loaded file.
pub fn lint_file(file: &SourceFile, rules: &RuleSet, opts: &LintOptions) -> Vec<Diagnostic> {
    lint_file_timed(file, rules, opts).0
}

/// Lints a loaded file and reports where the time went.
pub fn lint_file_timed(file: &SourceFile, rules: &RuleSet, opts: &LintOptions) -> (Vec<Diagnostic>, PhaseTimes) {
    let mut times = PhaseTimes::default();
    let started = std::time::Instant::now();
    let parsed = match parse::parse(file) {
        Ok(p) => p,
        Err(e) => {
            times.parse = started.elapsed();
            let mut d = Diagnostic::new(PARSE_ERROR, Severity::Error, e.range, e.message);
            d.path = file.path.clone();
            return (vec![d], times);
        }
    };
    times.parse = started.elapsed();
    let analysing = std::time::Instant::now();
    let lowered = semantic::lower::lower(&parsed, &file.text);
    let dropping = std::time::Instant::now();
    // The syntax tree is not needed once the file is lowered: free it now.
    drop(parsed);
    let dropped = dropping.elapsed();
    times.parse += dropped;
    let out = check_lowered(file, lowered, rules, opts, None);
    times.analyse = analysing.elapsed().saturating_sub(dropped);
    (out, times)
}

/// Builds a file's model from its lowered form (expanded with linked facts, in a project), runs
/// the enabled rules, and applies suppression comments.
pub fn check_lowered(
    file: &SourceFile,
    lowered: semantic::lower::Lowered,
    rules: &RuleSet,
    opts: &LintOptions,
    schema: Option<&std::sync::Arc<project::schema::Schema>>,
) -> Vec<Diagnostic> {
    let mut model = FileModel::from_lowered(file, lowered, opts.database);
    model.schema = schema.cloned();
    let mut out = Vec::new();
    for (rule, level) in rules.enabled() {
        let mut cx = RuleContext::new(rule.meta());
        rule.check(&model, &mut cx);
        for mut d in cx.into_diagnostics() {
            match level {
                Some(Level::Warn) => d.severity = Severity::Warning,
                Some(Level::Error) => d.severity = Severity::Error,
                _ => {}
            }
            d.path = file.path.clone();
            attach_related(&model, &mut d);
            out.push(d);
        }
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    suppress::apply(file, out, rules)
}

/// Names the other module's location of each statement a finding points at that a helper sends
/// on behalf of a call (`INSERT INTO users` sent by `insertUser` in src/dal/users.js:14).
fn attach_related(model: &FileModel<'_>, d: &mut Diagnostic) {
    let ranges: Vec<source::TextRange> = std::iter::once(d.range)
        .chain(d.labels.iter().map(|l| l.range))
        .collect();
    for q in model.db_queries() {
        let Some(via) = &q.via else { continue };
        if !ranges.contains(&q.head) {
            continue;
        }
        let message = format!(
            "`{}` sent by `{}` in {}:{}",
            rules::util::describe(model, q.id),
            via.function,
            report::display_path(&via.path),
            via.line
        );
        if d.related.iter().any(|r| r.message == message) {
            continue;
        }
        d.related.push(diagnostic::Related {
            path: via.path.clone(),
            line: via.line,
            column: via.column,
            end_line: via.end_line,
            end_column: via.end_column,
            message,
        });
    }
}
