//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use txlint::diagnostic::Diagnostic;
use txlint::report::{self, Format, PrettyOptions, RunResult};
use txlint::rules::RuleSet;
use txlint::source::SourceFile;
use txlint::{LintOptions, lint_file};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the built binary in `cwd` (colours off) and waits for it.
pub fn txlint(args: &[&str], cwd: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run txlint")
}

/// Writes `text` to `dir/rel`, creating the directories on the way.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// The demo application's text (fixtures/_demo/naive_app.js).
pub fn demo() -> String {
    std::fs::read_to_string(root().join("fixtures/_demo/naive_app.js")).expect("demo")
}

/// Fixture files under `fixtures/<dir>/`, sorted, with paths relative to the crate root.
pub fn fixture_files(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let base = root().join("fixtures").join(dir);
    let Ok(entries) = std::fs::read_dir(&base) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_file() {
            out.push(PathBuf::from("fixtures").join(dir).join(e.file_name()));
        }
    }
    out.sort();
    out
}

pub fn load(rel: &Path) -> SourceFile {
    let text = std::fs::read_to_string(root().join(rel)).expect("fixture is readable");
    SourceFile::new(rel, text)
}

pub fn lint(file: &SourceFile, rules: &RuleSet) -> Vec<Diagnostic> {
    lint_file(file, rules, &LintOptions::default())
}

pub fn lint_with(file: &SourceFile, rules: &RuleSet, opts: &LintOptions) -> Vec<Diagnostic> {
    lint_file(file, rules, opts)
}

/// Renders diagnostics of one file with a reporter, deterministically (no color, width 80).
pub fn render(format: Format, file: &SourceFile, diagnostics: Vec<Diagnostic>) -> String {
    let mut sources = std::collections::HashMap::new();
    sources.insert(file.path.clone(), file.clone());
    let run = RunResult {
        diagnostics,
        sources,
        files_scanned: 1,
        duration: Duration::ZERO,
        rules: txlint::rules::ids().collect(),
        stats: Default::default(),
    };
    let mut out = Vec::new();
    let opts = PrettyOptions {
        color: false,
        width: 80,
        summary: false,
    };
    report::write(format, &run, &opts, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

/// Applies non-overlapping edits to a text.
pub fn apply_edits(text: &str, edits: &[txlint::diagnostic::Edit]) -> String {
    let mut edits: Vec<_> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    let mut out = text.to_string();
    for e in edits {
        out.replace_range(e.range.start as usize..e.range.end as usize, &e.text);
    }
    out
}
