//! Errors the user can act on: bad arguments, paths that do not exist, output that cannot be
//! written. Each renders through miette with a help line; `main` maps them to exit code 2.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("path not found: {}", .0.display())]
    #[diagnostic(code(txlint::path_not_found), help("pass files or directories that exist"))]
    PathNotFound(PathBuf),

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
    fn suggests_close_rule_ids() {
        assert_eq!(
            closest("missing-retri", &["missing-retry", "client-leak"]),
            Some("missing-retry")
        );
        assert_eq!(closest("zzz", &["missing-retry", "client-leak"]), None);
    }
}
