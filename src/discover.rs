//! File discovery: the `ignore` crate's walker (honours `.gitignore`, `.ignore` and git excludes,
//! skips hidden files), filtered to JavaScript/TypeScript sources. `node_modules`, `.git`,
//! minified bundles (`*.min.js`) and declaration files (`*.d.ts`) are always skipped in
//! directories; files named on the command line are always linted. Symbolic links are followed
//! (a loop or a dangling link is reported as an `io-error` warning). Results are sorted.

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

/// Whether a file found while walking holds schema (`*.sql` migrations, a Prisma schema).
pub fn is_schema_source(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    name.ends_with(".sql") || name.ends_with(".prisma")
}

#[derive(Debug, Clone, Copy, Default)]
pub struct DiscoverOptions {
    /// Do not read `.gitignore`, `.ignore` and git excludes.
    pub no_ignore: bool,
}

/// Whether a file found while walking a directory is linted.
pub fn is_lintable(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
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

pub fn discover(paths: &[PathBuf], opts: DiscoverOptions) -> Result<Discovered, Error> {
    let mut out = Discovered::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| crate::error::path_error(path, e))?;
        if !meta.is_dir() {
            out.files.push(path.clone());
            continue;
        }
        let mut builder = WalkBuilder::new(path);
        builder
            .git_ignore(!opts.no_ignore)
            .git_exclude(!opts.no_ignore)
            .git_global(!opts.no_ignore)
            .ignore(!opts.no_ignore)
            .parents(!opts.no_ignore)
            .require_git(false)
            .follow_links(true)
            .filter_entry(|e| {
                let name = e.file_name();
                !(e.file_type().is_some_and(|t| t.is_dir()) && (name == "node_modules" || name == ".git"))
            });
        // The parallel walker (as oxlint and ruff use): results are sorted afterwards.
        let found = std::sync::Mutex::new((Vec::new(), Vec::new(), Vec::new()));
        builder.build_parallel().run(|| {
            let found = &found;
            Box::new(move |entry| {
                let mut slot = found.lock().unwrap_or_else(|e| e.into_inner());
                match entry {
                    Ok(e) => {
                        if e.file_type().is_some_and(|t| t.is_file()) {
                            if is_lintable(e.path()) {
                                slot.0.push(e.into_path());
                            } else if is_schema_source(e.path()) {
                                slot.2.push(e.into_path());
                            }
                        }
                    }
                    Err(err) => {
                        let at = match &err {
                            ignore::Error::WithPath { path, .. } => path.clone(),
                            _ => path.clone(),
                        };
                        let mut d = Diagnostic::new(
                            crate::IO_ERROR,
                            Severity::Warning,
                            TextRange::default(),
                            format!("cannot read: {err}"),
                        );
                        d.path = at;
                        slot.1.push(d);
                    }
                }
                ignore::WalkState::Continue
            })
        });
        let (files, problems, schema) = found.into_inner().unwrap_or_else(|e| e.into_inner());
        out.files.extend(files);
        out.problems.extend(problems);
        out.schema_files.extend(schema);
    }
    out.schema_files.sort();
    out.schema_files.dedup();
    out.problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.files.sort();
    out.files.dedup();
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
