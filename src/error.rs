//! Errors the user can act on: bad arguments, paths that do not exist or cannot be accessed,
//! output that cannot be written. Each renders through miette with a help line; `main` maps them to exit code 2.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("path not found: {}", .0.display())]
    #[diagnostic(code(txlint::path_not_found), help("pass files or directories that exist"))]
    PathNotFound(PathBuf),

    #[error("permission denied: {} ({source})", path.display())]
    #[diagnostic(
        code(txlint::permission_denied),
        help("check that you may read the path and search every directory above it")
    )]
    PermissionDenied {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot access {}: {source}", path.display())]
    #[diagnostic(code(txlint::path), help("pass files or directories that can be read"))]
    PathAccess {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("unknown rule `{id}`")]
    #[diagnostic(code(txlint::unknown_rule), help("{help}"))]
    UnknownRule { id: String, help: String },

    #[error("cannot write output to {}: {source}", path.display())]
    #[diagnostic(code(txlint::output), help("check that the directory exists and is writable"))]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot read standard input: {0}")]
    #[diagnostic(code(txlint::stdin))]
    Stdin(#[source] std::io::Error),

    #[error("cannot start the worker threads: {0}")]
    #[diagnostic(code(txlint::threads))]
    Threads(String),

    #[error("{message}")]
    #[diagnostic(code(txlint::usage), help("{help}"))]
    Usage { message: String, help: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] Box<crate::config::ConfigError>),
}

/// The error for a path argument the OS refused (from `metadata` or `read`): not found,
/// permission denied, or another OS error, named.
pub fn path_error(path: &Path, source: std::io::Error) -> Error {
    let path = path.to_path_buf();
    match source.kind() {
        std::io::ErrorKind::NotFound => Error::PathNotFound(path),
        std::io::ErrorKind::PermissionDenied => Error::PermissionDenied { path, source },
        _ => Error::PathAccess { path, source },
    }
}

/// "Did you mean ...?" for an unknown rule id.
pub fn unknown_rule(id: &str) -> Error {
    let ids: Vec<&str> = crate::rules::ids().collect();
    let help = match closest(id, &ids) {
        Some(best) => format!("did you mean `{best}`? Valid rules: {}", ids.join(", ")),
        None => format!("valid rules: {}", ids.join(", ")),
    };
    Error::UnknownRule {
        id: id.to_string(),
        help,
    }
}

/// The candidate with the smallest edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min()
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_errors_name_the_os_error() {
        use std::io::{Error as IoError, ErrorKind};
        let p = std::path::Path::new("src/a.js");
        let e = path_error(p, IoError::from(ErrorKind::NotFound));
        assert!(matches!(e, Error::PathNotFound(_)));
        assert_eq!(e.to_string(), "path not found: src/a.js");
        let e = path_error(p, IoError::from_raw_os_error(13));
        assert!(e.to_string().starts_with("permission denied: src/a.js ("), "{e}");
        assert!(e.to_string().contains("os error 13"), "{e}");
        let e = path_error(p, IoError::from_raw_os_error(20));
        assert!(e.to_string().starts_with("cannot access src/a.js: "), "{e}");
        assert!(e.to_string().contains("os error 20"), "{e}");
    }

    #[test]
    fn suggests_close_rule_ids() {
        assert_eq!(
            closest("missing-retri", &["missing-retry", "client-leak"]),
            Some("missing-retry")
        );
        assert_eq!(closest("zzz", &["missing-retry", "client-leak"]), None);
    }
}
