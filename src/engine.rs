//! Running the linter over many files: read, decode, parse, analyse and check each file once, in
//! parallel on worker threads with large stacks (swc and the AST's drop recurse on the stack), and
//! return the findings in a deterministic order whatever the thread count.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::FileSettings;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;
use crate::report::RunResult;
use crate::source::{SourceFile, TextRange};
use crate::{IO_ERROR, PARSE_ERROR, lint_file_timed};

/// Stack size of worker threads. swc's parser recurses on nested expressions (about 3 KiB a
/// level) and a stack overflow aborts the process, so workers reserve 1 GiB: address space only,
/// memory is committed as the recursion really goes deep. Bracket nesting beyond
/// `parse::MAX_NESTING` is refused before parsing; unbracketed chains (`!!!…x`, `a = b = …`,
/// `x => y => …`) fit in this stack up to several hundred thousand levels.
pub const WORKER_STACK: usize = 1 << 30;

/// The outcome of one file.
pub struct FileOutcome {
    pub diagnostics: Vec<Diagnostic>,
    /// Kept only when there are diagnostics (reporters need the text).
    pub source: Option<SourceFile>,
    pub stats: Stats,
}

/// Where the time went (summed over threads) and what was skipped; see `--stats`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
    /// Files the prefilter showed cannot hold a finding (not parsed).
    pub skipped: usize,
    pub read: Duration,
    pub prefilter: Duration,
    pub parse: Duration,
    pub analyse: Duration,
    /// Resolving imports (CPU, all threads).
    pub resolve: Duration,
    /// Linking the modules (wall, one thread).
    pub link: Duration,
    /// Files parsed only because a linted file imports them (not linted themselves).
    pub reached: usize,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.files += o.files;
        self.bytes += o.bytes;
        self.skipped += o.skipped;
        self.read += o.read;
        self.prefilter += o.prefilter;
        self.parse += o.parse;
        self.analyse += o.analyse;
        self.resolve += o.resolve;
        self.link += o.link;
        self.reached += o.reached;
    }
}

/// Files larger than this are reported and not analysed (`--max-file-size`): hand-written code is
/// far smaller, and memory and time per file stay bounded.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 << 20;

/// How files are processed.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// 0: one thread per core.
    pub threads: usize,
    /// Skip files that cannot hold a finding (see `prefilter`).
    pub prefilter: bool,
    /// Files over this many bytes get a warning and are not analysed.
    pub max_file_size: u64,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            prefilter: true,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// `4.0 MB`: a size as the messages show it.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

fn too_large(path: &Path, size: Option<u64>, limit: u64) -> Box<Diagnostic> {
    let size = size.map(|s| format!("{} ", human_size(s))).unwrap_or_default();
    Box::new(io_problem(
        path,
        format!(
            "file is {size}over the size limit of {} (--max-file-size); not analysed",
            human_size(limit)
        ),
    ))
}

pub(crate) fn io_problem(path: &Path, message: String) -> Diagnostic {
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
            let encoding = match e.as_bytes() {
                [0xFF, 0xFE, 0, 0, ..] => Some("UTF-32LE"),
                [0, 0, 0xFE, 0xFF, ..] => Some("UTF-32BE"),
                [0xFF, 0xFE, ..] => Some("UTF-16LE"),
                [0xFE, 0xFF, ..] => Some("UTF-16BE"),
                _ => None,
            };
            if let Some(enc) = encoding {
                let mut d = Diagnostic::new(
                    PARSE_ERROR,
                    Severity::Error,
                    TextRange::new(0, 0),
                    format!(
                        "file is {enc} (it starts with a byte order mark); txlint reads UTF-8 only: convert it (e.g. `iconv -f {enc} -t UTF-8`); not analysed"
                    ),
                );
                d.path = path.to_path_buf();
                return Err(Box::new(d));
            }
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

/// Reads a file's bytes, or the `io-error` that says why it is not read. Only regular files are
/// opened (a FIFO would block forever, `/dev/zero` never ends), and at most `limit` bytes are
/// read, even from a file that grows or whose size the system does not know (`/proc`).
pub(crate) fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, Box<Diagnostic>> {
    use std::io::Read;
    let cannot = |e: std::io::Error| Box::new(io_problem(path, format!("cannot read file: {e}")));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(Box::new(io_problem(path, "is a directory, not a file".to_string())));
    }
    if !meta.is_file() {
        return Err(Box::new(crate::discover::not_regular(path, meta.file_type())));
    }
    if meta.len() > limit {
        return Err(too_large(path, Some(meta.len()), limit));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, None, limit));
    }
    Ok(bytes)
}

/// Reads standard input, at most `limit` bytes.
pub fn read_stdin(limit: u64) -> Result<Result<Vec<u8>, Box<Diagnostic>>, Error> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Error::Stdin)?;
    if bytes.len() as u64 > limit {
        return Ok(Err(too_large(Path::new("<stdin>"), None, limit)));
    }
    Ok(Ok(bytes))
}

/// Lints one file from disk.
pub fn lint_path(path: &Path, opts: &FileSettings, engine: EngineOptions) -> FileOutcome {
    let started = Instant::now();
    let bytes = match read_bytes(path, engine.max_file_size) {
        Ok(b) => b,
        Err(d) => {
            return FileOutcome {
                diagnostics: vec![*d],
                source: None,
                stats: Stats::default(),
            };
        }
    };
    let read = started.elapsed();
    let mut outcome = lint_bytes(path, bytes, opts, engine);
    outcome.stats.read = read;
    outcome
}

/// Lints file content (from disk or standard input).
pub fn lint_bytes(path: &Path, bytes: Vec<u8>, opts: &FileSettings, engine: EngineOptions) -> FileOutcome {
    let mut stats = Stats {
        files: 1,
        bytes: bytes.len() as u64,
        ..Stats::default()
    };
    // Encoding problems are reported for every file, candidate or not.
    if std::str::from_utf8(&bytes).is_err() {
        let d = decode(path, bytes).err().map(|d| *d);
        return FileOutcome {
            diagnostics: d.into_iter().collect(),
            source: None,
            stats,
        };
    }
    if engine.prefilter {
        let started = Instant::now();
        let candidate = crate::prefilter::may_have_findings(&bytes);
        stats.prefilter = started.elapsed();
        if !candidate {
            stats.skipped = 1;
            return FileOutcome {
                diagnostics: Vec::new(),
                source: None,
                stats,
            };
        }
    }
    match decode(path, bytes) {
        Err(d) => FileOutcome {
            diagnostics: vec![*d],
            source: None,
            stats,
        },
        Ok(file) => {
            let (diagnostics, times) = lint_file_timed(&file, &opts.rules, &opts.lint);
            stats.parse = times.parse;
            stats.analyse = times.analyse;
            let source = if diagnostics.is_empty() { None } else { Some(file) };
            FileOutcome {
                diagnostics,
                source,
                stats,
            }
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

/// Lints files as one project (see `project::pipeline`), in parallel; output order is the input
/// order, whatever the thread count.
pub fn lint_files(files: &[(PathBuf, FileSettings)], engine: EngineOptions) -> Result<Vec<FileOutcome>, Error> {
    lint_files_with_schema(files, &[], engine)
}

/// [`lint_files`], reading the project's schema from `schema_files` (`*.sql`, `*.prisma`; knex
/// migrations and Sequelize models among `files` are read too).
pub fn lint_files_with_schema(
    files: &[(PathBuf, FileSettings)],
    schema_files: &[PathBuf],
    engine: EngineOptions,
) -> Result<Vec<FileOutcome>, Error> {
    let pool = pool(engine.threads)?;
    Ok(pool.install(|| crate::project::pipeline::lint_project(files, schema_files, engine)))
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
    let mut stats = Stats::default();
    for o in outcomes {
        stats.add(&o.stats);
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
        stats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_utf32_are_named() {
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("pool.query('x')".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let d = decode(Path::new("a.js"), utf16le).expect_err("refused");
        assert!(d.message.contains("file is UTF-16LE"), "{}", d.message);
        assert!(d.message.contains("UTF-8 only"), "{}", d.message);
        let utf32be = vec![0, 0, 0xFE, 0xFF, 0, 0, 0, b'x'];
        let d = decode(Path::new("a.js"), utf32be).expect_err("refused");
        assert!(d.message.contains("UTF-32BE"), "{}", d.message);
        // Other invalid UTF-8 keeps its own message.
        let d = decode(Path::new("a.js"), vec![b'a', 0xC3, b'(']).expect_err("refused");
        assert!(d.message.contains("not valid UTF-8"), "{}", d.message);
    }
}
