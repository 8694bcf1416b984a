//! Baselines for adopting txlint on an existing codebase: `--write-baseline FILE` records the
//! current findings, `--baseline FILE` reports only findings not in it. Findings are matched by
//! path, rule and the same fingerprint as SARIF (rule, normalised flagged source, enclosing
//! function, occurrence), so moving code around does not resurface them, and a new instance of
//! the same problem is still reported.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::report::{RunResult, display_path, fingerprints};

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, Hash, Clone)]
pub struct Entry {
    pub path: String,
    pub rule: String,
    pub fingerprint: String,
    /// For humans reading the file; not used for matching.
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

fn entries(run: &RunResult) -> Vec<Entry> {
    run.diagnostics
        .iter()
        .zip(fingerprints(run))
        .map(|(d, fingerprint)| Entry {
            path: display_path(&d.path),
            rule: d.rule.to_string(),
            fingerprint,
            message: d.message.clone(),
        })
        .collect()
}

/// Writes the run's findings as a baseline.
pub fn write(path: &Path, run: &RunResult) -> Result<usize, Error> {
    let b = Baseline {
        version: 1,
        findings: entries(run),
    };
    let text = serde_json::to_string_pretty(&b).map_err(|e| Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    std::fs::write(path, text + "\n").map_err(|e| Error::Output {
        path: path.to_path_buf(),
        source: e,
    })?;
    Ok(b.findings.len())
}

/// Reads a baseline.
pub fn load(path: &Path) -> Result<Baseline, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage {
        message: format!("cannot read baseline {}: {e}", path.display()),
        help: "create one with --write-baseline FILE".to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Usage {
        message: format!("{} is not a txlint baseline: {e}", path.display()),
        help: "create one with --write-baseline FILE".to_string(),
    })
}

/// Removes the findings recorded in the baseline.
pub fn filter(run: &mut RunResult, baseline: &Baseline) {
    let known: HashSet<(&str, &str, &str)> = baseline
        .findings
        .iter()
        .map(|e| (e.path.as_str(), e.rule.as_str(), e.fingerprint.as_str()))
        .collect();
    let keep: Vec<bool> = entries(run)
        .iter()
        .map(|e| !known.contains(&(e.path.as_str(), e.rule.as_str(), e.fingerprint.as_str())))
        .collect();
    let mut i = 0;
    run.diagnostics.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
}
