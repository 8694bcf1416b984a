//! Running the linter over many files: read, decode, parse, analyse and check each file once, in
//! parallel on worker threads with large stacks (swc and the AST's drop recurse on the stack), and
//! return the findings in a deterministic order whatever the thread count.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::config::FileSettings;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;
use crate::report::RunResult;
use crate::source::{SourceFile, TextRange};
use crate::{IO_ERROR, PARSE_ERROR, lint_file};

/// Stack size of worker threads: parsing, lowering and dropping the AST of deeply nested code.
pub const WORKER_STACK: usize = 64 << 20;

/// The outcome of one file.
pub struct FileOutcome {
    pub diagnostics: Vec<Diagnostic>,
    /// Kept only when there are diagnostics (reporters need the text).
    pub source: Option<SourceFile>,
}

fn io_problem(path: &Path, message: String) -> Diagnostic {
    let mut d = Diagnostic::new(IO_ERROR, Severity::Warning, TextRange::default(), message);
    d.path = path.to_path_buf();
    d
}

/// Decodes bytes into a source file, or explains why it is not one.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<SourceFile, Box<Diagnostic>> {
    match String::from_utf8(bytes) {
        // Valid UTF-8 is source text, even with NUL characters in its strings.
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(e) => {
            if e.as_bytes()[..e.as_bytes().len().min(8192)].contains(&0) {
                return Err(Box::new(io_problem(path, "binary file; not analysed".to_string())));
            }
            let at = e.utf8_error().valid_up_to() as u32;
            let mut d = Diagnostic::new(
                PARSE_ERROR,
                Severity::Error,
                TextRange::new(0, 0),
                format!("file is not valid UTF-8 (invalid byte at offset {at}); not analysed"),
            );
            d.path = path.to_path_buf();
            Err(Box::new(d))
        }
    }
}

/// Lints one file from disk.
pub fn lint_path(path: &Path, opts: &FileSettings) -> FileOutcome {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return FileOutcome {
                diagnostics: vec![io_problem(path, format!("cannot read file: {e}"))],
                source: None,
            };
        }
    };
    lint_bytes(path, bytes, opts)
}

/// Lints file content (from disk or standard input).
pub fn lint_bytes(path: &Path, bytes: Vec<u8>, opts: &FileSettings) -> FileOutcome {
    match decode(path, bytes) {
        Err(d) => FileOutcome {
            diagnostics: vec![*d],
            source: None,
        },
        Ok(file) => {
            let diagnostics = lint_file(&file, &opts.rules, &opts.lint);
            let source = if diagnostics.is_empty() { None } else { Some(file) };
            FileOutcome { diagnostics, source }
        }
    }
}

/// Builds the worker pool.
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(WORKER_STACK)
        .thread_name(|i| format!("txlint-{i}"))
        .build()
        .map_err(|e| Error::Threads(e.to_string()))
}

/// Lints files in parallel (`threads` 0: one per core); output order is the input order.
pub fn lint_files(files: &[(PathBuf, FileSettings)], threads: usize) -> Result<Vec<FileOutcome>, Error> {
    let pool = pool(threads)?;
    Ok(pool.install(|| files.par_iter().map(|(p, s)| lint_path(p, s)).collect()))
}

/// Assembles a run's result from per-file outcomes.
pub fn collect(
    outcomes: Vec<FileOutcome>,
    mut extra: Vec<Diagnostic>,
    files_scanned: usize,
    started: Instant,
) -> RunResult {
    let mut diagnostics = Vec::new();
    let mut sources = HashMap::new();
    for o in outcomes {
        if let Some(src) = o.source {
            sources.insert(src.path.clone(), src);
        }
        diagnostics.extend(o.diagnostics);
    }
    diagnostics.append(&mut extra);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    RunResult {
        diagnostics,
        sources,
        files_scanned,
        duration: started.elapsed(),
        rules: crate::rules::ids().collect(),
    }
}
