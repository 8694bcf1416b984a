//! File discovery: the `ignore` crate's walker (honours `.gitignore`, `.ignore` and git excludes,
//! skips hidden files), filtered to JavaScript/TypeScript sources. `node_modules`, `.git`,
//! minified bundles (`*.min.js`) and declaration files (`*.d.ts`) are always skipped in
//! directories; files named on the command line are always linted. Symbolic links are followed
//! (a loop or a dangling link is reported as an `io-error` warning). Results are sorted.
//!
//! A file is linted once however it is reached (`dir` and `./dir/a.js`, `..`, an absolute path,
//! a link): by its canonical path, under the first spelling given (a walk's own name for a file
//! before a link's). A name that is not UTF-8 is linted (shown lossily, read by its real name).
//! A source or schema name that is not a regular file (a FIFO, a socket, a device, a link to
//! one), in a walk or on the command line, is reported as an `io-error` warning and never opened.
//! A `.gitignore` or `.ignore` that is not a regular file would block the walker, which opens it:
//! its directory is reported and not walked (unless `--no-ignore`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;
use crate::source::TextRange;

pub const EXTENSIONS: &[&str] = &["js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx"];

/// What discovery found: files to lint, and problems met on the way (unreadable directories).
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub problems: Vec<Diagnostic>,
    /// Schema sources found while walking (`*.sql`, `*.prisma`): read, not linted.
    pub schema_files: Vec<PathBuf>,
}

/// A file name in lowercase (lossily for names that are not UTF-8: only the ASCII extension
/// matters).
fn lower_name(path: &Path) -> Option<String> {
    path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase())
}

/// Whether a file found while walking holds schema (`*.sql` migrations, a Prisma schema).
pub fn is_schema_source(path: &Path) -> bool {
    let name = lower_name(path).unwrap_or_default();
    name.ends_with(".sql") || name.ends_with(".prisma")
}

#[derive(Debug, Clone, Copy, Default)]
pub struct DiscoverOptions {
    /// Do not read `.gitignore`, `.ignore` and git excludes.
    pub no_ignore: bool,
}

/// Whether a file found while walking a directory is linted.
pub fn is_lintable(path: &Path) -> bool {
    let Some(lower) = lower_name(path) else {
        return false;
    };
    let Some(ext) = lower.rsplit('.').next() else {
        return false;
    };
    if !EXTENSIONS.contains(&ext) || !lower.contains('.') {
        return false;
    }
    let stem = &lower[..lower.len() - ext.len() - 1];
    // Minified bundles and declaration files hold no hand-written code.
    !(stem.ends_with(".min") || stem.ends_with(".d"))
}

fn io_warning(path: &Path, message: String) -> Diagnostic {
    let mut d = Diagnostic::new(crate::IO_ERROR, Severity::Warning, TextRange::default(), message);
    d.path = path.to_path_buf();
    d
}

/// "not a regular file (a FIFO): skipped": the one message for a special file, wherever it is met
/// (discovery, or the reader of a file reached by an import).
pub fn not_regular(path: &Path, t: std::fs::FileType) -> Diagnostic {
    #[cfg(unix)]
    let kind = {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            " (a FIFO)"
        } else if t.is_socket() {
            " (a socket)"
        } else if t.is_char_device() {
            " (a character device)"
        } else if t.is_block_device() {
            " (a block device)"
        } else {
            ""
        }
    };
    #[cfg(not(unix))]
    let kind = {
        let _ = t;
        ""
    };
    io_warning(path, format!("not a regular file{kind}: skipped"))
}

/// What one directory walk found, before de-duplication.
#[derive(Default)]
struct Walked {
    files: Vec<PathBuf>,
    schema: Vec<PathBuf>,
    problems: Vec<Diagnostic>,
    /// Entries that are links, files or directories: what is under them may be reached twice.
    links: Vec<PathBuf>,
}

/// Ignore files the walker opens in each directory it enters.
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// The ignore file of `dir` that is not a regular file (a FIFO would block the walker when it
/// opens it), if any.
fn odd_ignore_file(dir: &Path) -> Option<(PathBuf, std::fs::FileType)> {
    IGNORE_FILES.iter().find_map(|name| {
        let p = dir.join(name);
        let t = std::fs::metadata(&p).ok()?.file_type();
        (!t.is_file()).then_some((p, t))
    })
}

/// An `io-error` for a directory not walked because of its ignore file.
fn odd_ignore_problem(path: &Path, t: std::fs::FileType) -> Diagnostic {
    let mut d = not_regular(path, t);
    d.message = d.message.replace(": skipped", ": its directory is not linted");
    d
}

fn walk(root: &Path, opts: DiscoverOptions) -> Walked {
    if !opts.no_ignore {
        let canon = crate::paths::canonical(root);
        if let Some((p, t)) = canon.ancestors().find_map(odd_ignore_file) {
            let mut w = Walked::default();
            let shown = p.strip_prefix(&canon).map_or(p.clone(), |rel| root.join(rel));
            w.problems.push(odd_ignore_problem(&shown, t));
            return w;
        }
    }
    let odd = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let odd_in_filter = odd.clone();
    let check_ignore_files = !opts.no_ignore;
    let mut builder = WalkBuilder::new(root);
    builder
        .git_ignore(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .require_git(false)
        .follow_links(true)
        .filter_entry(move |e| {
            let name = e.file_name();
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if is_dir && (name == "node_modules" || name == ".git") {
                return false;
            }
            if is_dir
                && check_ignore_files
                && let Some((p, t)) = odd_ignore_file(e.path())
            {
                odd_in_filter
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(odd_ignore_problem(&p, t));
                return false;
            }
            true
        });
    // The parallel walker (as oxlint and ruff use): results are sorted afterwards.
    let found = std::sync::Mutex::new(Walked::default());
    builder.build_parallel().run(|| {
        let found = &found;
        Box::new(move |entry| {
            let mut slot = found.lock().unwrap_or_else(|e| e.into_inner());
            match entry {
                Ok(e) => {
                    if e.path_is_symlink() && e.depth() > 0 {
                        slot.links.push(e.path().to_path_buf());
                    }
                    match e.file_type() {
                        Some(t) if t.is_file() => {
                            if is_lintable(e.path()) {
                                slot.files.push(e.into_path());
                            } else if is_schema_source(e.path()) {
                                slot.schema.push(e.into_path());
                            }
                        }
                        Some(t) if !t.is_dir() && (is_lintable(e.path()) || is_schema_source(e.path())) => {
                            let d = not_regular(e.path(), t);
                            slot.problems.push(d);
                        }
                        _ => {}
                    }
                }
                Err(err) => {
                    let at = match &err {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => root.to_path_buf(),
                    };
                    slot.problems.push(io_warning(&at, format!("cannot read: {err}")));
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut walked = found.into_inner().unwrap_or_else(|e| e.into_inner());
    walked
        .problems
        .append(&mut odd.lock().unwrap_or_else(|e| e.into_inner()));
    walked.files.sort();
    walked.schema.sort();
    walked
}

/// Canonical names of the files kept so far: a file is kept once, under its first spelling.
struct Seen {
    keys: HashSet<PathBuf>,
}

impl Seen {
    /// Adds the walk's files to `out`, skipping those already kept. A file's canonical path is
    /// the walk root's plus its relative path, unless a link leads to it (then it is resolved):
    /// one `canonicalize` per walk, not per file.
    fn add_walked(&mut self, root: &Path, files: Vec<PathBuf>, links: &[PathBuf], out: &mut Vec<PathBuf>) {
        let base = crate::paths::canonical(root);
        let via_link = |p: &Path| links.iter().any(|l| p.starts_with(l));
        // A file's own name in the walk before the name a link gives it.
        let (direct, linked): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|p| !via_link(p));
        for p in direct {
            let key = base.join(p.strip_prefix(root).unwrap_or(&p));
            if self.keys.insert(key) {
                out.push(p);
            }
        }
        for p in linked {
            if self.keys.insert(crate::paths::canonical(&p)) {
                out.push(p);
            }
        }
    }

    fn add_named(&mut self, path: &Path, out: &mut Vec<PathBuf>) {
        if self.keys.insert(crate::paths::canonical(path)) {
            out.push(path.to_path_buf());
        }
    }
}

pub fn discover(paths: &[PathBuf], opts: DiscoverOptions) -> Result<Discovered, Error> {
    let mut out = Discovered::default();
    let mut files = Seen { keys: HashSet::new() };
    let mut schema = Seen { keys: HashSet::new() };
    for path in paths {
        // `metadata` follows links and opens nothing: a FIFO is not read here.
        let meta = std::fs::metadata(path).map_err(|e| crate::error::path_error(path, e))?;
        if meta.is_dir() {
            let walked = walk(path, opts);
            files.add_walked(path, walked.files, &walked.links, &mut out.files);
            schema.add_walked(path, walked.schema, &walked.links, &mut out.schema_files);
            out.problems.extend(walked.problems);
        } else if meta.is_file() {
            files.add_named(path, &mut out.files);
        } else {
            out.problems.push(not_regular(path, meta.file_type()));
        }
    }
    out.schema_files.sort();
    out.problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.problems.dedup_by(|a, b| a.sort_key() == b.sort_key());
    out.files.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lintable_names() {
        assert!(is_lintable(Path::new("a/b.js")));
        assert!(is_lintable(Path::new("a/b.test.tsx")));
        assert!(is_lintable(Path::new("x.cts")));
        assert!(!is_lintable(Path::new("a/b.min.js")));
        assert!(!is_lintable(Path::new("types.d.ts")));
        assert!(!is_lintable(Path::new("README.md")));
        assert!(!is_lintable(Path::new("js")));
    }
}
