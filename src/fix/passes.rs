//! Fixes applied until none is left, in memory: one pass applies each file's non-overlapping fixes,
//! then the project is linted again with the new text in place of the files (the pipeline's
//! overlay), so that a fix that had to wait (it overlapped another, or only appears once the first
//! is in: a `ROLLBACK` added inside the `try` the previous pass wrote) is applied by the next
//! pass. `--fix` writes the result, `--diff` prints it; both see the same text.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::FileSettings;
use crate::diagnostic::Diagnostic;
use crate::engine::{EngineOptions, FileOutcome};
use crate::error::Error;
use crate::paths::lexical_absolute;
use crate::project::pipeline::{Overlay, Session, lint_project_in};
use crate::source::SourceFile;

/// Passes at most (ruff stops at 100; each of ours lints the whole project again).
const MAX_PASSES: usize = 10;

/// A file the fixes change.
#[derive(Debug)]
pub struct FixedFile {
    /// Its text before any fix.
    pub original: SourceFile,
    /// Its text after the last pass.
    pub text: String,
    /// Fixes applied, over all passes.
    pub fixes: usize,
}

/// What the passes gave: the changed files in the order linted, and a warning for each file
/// whose fixes were refused (the result would not parse); a refused file keeps the text it had.
#[derive(Debug, Default)]
pub struct Passes {
    pub files: Vec<FixedFile>,
    pub refused: Vec<Diagnostic>,
}

/// Applies fixes to `first` (the findings of a lint of `files`) and to the findings of each pass's
/// result, until a pass changes nothing.
pub fn fix_to_fixed_point(
    files: &[(PathBuf, FileSettings)],
    schema_files: &[PathBuf],
    engine: EngineOptions,
    first: &[FileOutcome],
    unsafe_fixes: bool,
) -> Result<Passes, Error> {
    let mut changed: BTreeMap<usize, FixedFile> = BTreeMap::new();
    let mut refused: BTreeMap<usize, Diagnostic> = BTreeMap::new();
    let mut overlay = Overlay::new();
    let mut next: Option<Vec<FileOutcome>> = None;
    let pool = crate::engine::pool(engine.threads)?;
    for _ in 0..MAX_PASSES {
        let outcomes: &[FileOutcome] = next.as_deref().unwrap_or(first);
        let mut progress = false;
        for (i, outcome) in outcomes.iter().enumerate() {
            let Some(src) = &outcome.source else { continue };
            if refused.contains_key(&i) {
                continue;
            }
            match super::fix_file(src, &outcome.diagnostics, unsafe_fixes) {
                super::Fixed::Nothing => {}
                super::Fixed::Refused(why) => {
                    refused.insert(i, crate::engine::io_problem(&src.path, format!("--fix: {why}")));
                }
                super::Fixed::Text(text, n) => {
                    overlay.insert(lexical_absolute(&src.path), text.clone());
                    let entry = changed.entry(i).or_insert_with(|| FixedFile {
                        original: src.clone(),
                        text: String::new(),
                        fixes: 0,
                    });
                    entry.text = text;
                    entry.fixes += n;
                    progress = true;
                }
            }
        }
        if !progress {
            break;
        }
        let session = Session {
            overlay: Some(&overlay),
            ..Session::default()
        };
        next = Some(pool.install(|| lint_project_in(files, schema_files, engine, session)));
    }
    Ok(Passes {
        files: changed.into_values().filter(|f| f.text != f.original.text).collect(),
        refused: refused.into_values().collect(),
    })
}
