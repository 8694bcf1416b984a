//! Reporters: the same run written as a terminal report, JSON, SARIF, GitHub workflow commands or
//! compact lines. Every reporter writes to `impl Write`, so tests snapshot them.

mod compact;
mod github;
mod json;
mod pretty;
mod sarif;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{LineCol, SourceFile};

pub use pretty::PrettyOptions;

/// The project's home: SARIF's `informationUri`, and the root of every docs URL.
pub const INFORMATION_URI: &str = "https://github.com/txlint/txlint";

/// Where a rule's (or a tool diagnostic's) documentation lives: the one URL SARIF's `helpUri`, the
/// JSON output's `docs_url` and `txlint rules --format json` give.
pub fn docs_url(id: &str) -> String {
    format!("{INFORMATION_URI}/blob/main/rules/{id}.md")
}

/// Diagnostics that are not rules: reported by the tool itself.
pub fn tool_diagnostic_doc(id: &str) -> Option<(&'static str, &'static str)> {
    match id {
        crate::PARSE_ERROR => Some((
            "The file could not be parsed as JavaScript or TypeScript.",
            "# parse-error\n\nThe file could not be parsed as JavaScript or TypeScript (or is not valid UTF-8, or is nested too deeply to analyse). txlint reports it and goes on with the other files; nothing in the file was checked.\n",
        )),
        crate::IO_ERROR => Some((
            "The file could not be read.",
            "# io-error\n\nThe file could not be read (permissions, a broken link, a binary file with a JavaScript extension, a FIFO, socket or device with a source file's name). txlint reports it and goes on with the other files.\n",
        )),
        crate::UNUSED_SUPPRESSION => Some((
            "A txlint-disable comment suppresses nothing.",
            "# unused-suppression\n\nA `txlint-disable` comment suppresses nothing: the problem it was written for is gone, or the rule id is wrong. Remove it so it does not hide a future finding. A comment meant as a directive that txlint does not apply (written in another case, not at the start of its comment, a line directive in a block comment over several lines, a misspelt keyword) is reported too, with what to write instead.\n",
        )),
        _ => None,
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// miette report with source snippets, labels and help.
    Pretty,
    /// Versioned JSON document (`"version": 1`).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (inline annotations on pull requests).
    Github,
    /// `path:line:col: severity [rule-id] message`, one per line.
    Compact,
}

/// Everything a reporter needs: the findings, the text of files with findings, and counts.
pub struct RunResult {
    /// Sorted by (path, start, rule).
    pub diagnostics: Vec<Diagnostic>,
    /// Text of every file that has a diagnostic.
    pub sources: HashMap<PathBuf, SourceFile>,
    pub files_scanned: usize,
    pub duration: Duration,
    /// The rules that ran (for SARIF `tool.driver.rules`).
    pub rules: Vec<&'static str>,
    /// Timings and counts (`--stats`).
    pub stats: crate::engine::Stats,
}

impl RunResult {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }

    pub fn source(&self, path: &Path) -> Option<&SourceFile> {
        self.sources.get(path)
    }

    /// 1-based start and end of a diagnostic (1:1 when the file text is not available).
    pub fn positions(&self, d: &Diagnostic) -> (LineCol, LineCol) {
        match self.source(&d.path) {
            Some(src) => (src.line_col(d.range.start), src.line_col(d.range.end)),
            None => (LineCol { line: 1, column: 1 }, LineCol { line: 1, column: 1 }),
        }
    }
}

/// Writes the run in the chosen format.
pub fn write(format: Format, run: &RunResult, opts: &PrettyOptions, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Pretty => pretty::write(run, opts, out),
        Format::Json => json::write(run, out),
        Format::Sarif => sarif::write(run, out),
        Format::Github => github::write(run, out),
        Format::Compact => compact::write(run, out),
    }
}

/// Path as shown to users: relative to the working directory when inside it, `/` separators.
pub fn display_path(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Stable fingerprints that survive edits elsewhere in the file: a hash of the rule id, the
/// flagged source text with whitespace collapsed, and the enclosing function's name, plus the
/// occurrence number among identical ones in the same file.
pub fn fingerprints(run: &RunResult) -> Vec<String> {
    let mut seen: HashMap<(PathBuf, u64), u32> = HashMap::new();
    run.diagnostics
        .iter()
        .map(|d| {
            let text = run.source(&d.path).map(|s| s.slice(d.range)).unwrap_or("");
            let normalised: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut h = Fnv::new();
            h.write(d.rule.as_bytes());
            h.write(&[0]);
            h.write(normalised.as_bytes());
            h.write(&[0]);
            h.write(d.context.as_deref().unwrap_or("").as_bytes());
            let base = h.finish();
            let n = seen.entry((d.path.clone(), base)).or_insert(0);
            *n += 1;
            format!("{base:016x}:{n}")
        })
        .collect()
}

/// FNV-1a, 64-bit: small, stable across versions and platforms.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
