//! Baselines for adopting txlint on an existing codebase: `--write-baseline FILE` records the
//! current findings, `--baseline FILE` reports only findings not in it. Findings are matched by
//! path, rule and the same fingerprint as SARIF (rule, normalised flagged source, enclosing
//! function, occurrence), so moving code around does not resurface them, and a new instance of
//! the same problem is still reported.
//!
//! Paths are keyed from the project root, so a baseline matches whatever directory txlint runs in
//! and however the files are spelled (`dir`, `./dir`, `a/../dir`, absolute, through a link): `/`
//! separators, no `.` or `..`. The root is the directory of the `--config` file; else the nearest
//! directory holding `.txlintrc.json`, else the nearest holding `.git`, searched upwards from the
//! baseline file, then from the current directory; else the baseline file's directory. Version 1
//! files (paths as shown, relative to the directory txlint ran in) are still read.
//!
//! Entries that no longer match a finding are stale: counted for files this run linted with their
//! rule enabled (and for files that no longer exist), and removed by `--prune-baseline`, which
//! rewrites the file atomically.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::paths::{canonical, key, lexical_absolute, write_atomic};
use crate::report::{RunResult, fingerprints};
use crate::rules::{Level, RuleSet};
use crate::{IO_ERROR, PARSE_ERROR, UNUSED_SUPPRESSION};

/// Version of the files written: 2 keys paths from the project root, 1 from the working directory.
const VERSION: u32 = 2;

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

/// A baseline read from disk, its paths keyed from the project root whatever its version.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub root: PathBuf,
    pub findings: Vec<Entry>,
}

/// The nearest directory at or above `start` holding `marker`.
fn nearest_with(start: &Path, marker: &str) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(marker).exists())
        .map(Path::to_path_buf)
}

/// The directory baseline paths are relative to (see the module documentation), canonical.
pub fn project_root(baseline: &Path, config: Option<&Path>) -> PathBuf {
    if let Some(c) = config {
        let c = canonical(c);
        return c.parent().map(Path::to_path_buf).unwrap_or(c);
    }
    let file = lexical_absolute(baseline);
    let here = canonical(file.parent().unwrap_or(Path::new("/")));
    let cwd = canonical(Path::new("."));
    let found = [here.as_path(), cwd.as_path()]
        .into_iter()
        .find_map(|start| nearest_with(start, crate::config::FILE_NAME).or_else(|| nearest_with(start, ".git")));
    found.unwrap_or(here)
}

fn entries(run: &RunResult, root: &Path) -> Vec<Entry> {
    let mut keys: HashMap<&Path, String> = HashMap::new();
    run.diagnostics
        .iter()
        .zip(fingerprints(run))
        .map(|(d, fingerprint)| Entry {
            path: keys
                .entry(d.path.as_path())
                .or_insert_with(|| key(&canonical(&d.path), root))
                .clone(),
            rule: d.rule.to_string(),
            fingerprint,
            message: d.message.clone(),
        })
        .collect()
}

fn save(path: &Path, findings: Vec<Entry>) -> Result<usize, Error> {
    let output = |source: std::io::Error| Error::Output {
        path: path.to_path_buf(),
        source,
    };
    let b = Baseline {
        version: VERSION,
        findings,
    };
    let text = serde_json::to_string_pretty(&b).map_err(|e| output(std::io::Error::other(e)))?;
    write_atomic(path, (text + "\n").as_bytes()).map_err(output)?;
    Ok(b.findings.len())
}

/// Writes the run's findings as a baseline.
pub fn write(path: &Path, run: &RunResult, config: Option<&Path>) -> Result<usize, Error> {
    let root = project_root(path, config);
    save(path, entries(run, &root))
}

/// Reads a baseline.
pub fn load(path: &Path, config: Option<&Path>) -> Result<Loaded, Error> {
    let help = "create one with --write-baseline FILE".to_string();
    // A FIFO or a device would block or never end: never opened.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(Error::Usage {
            message: format!("baseline {} is not a regular file", path.display()),
            help,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage {
        message: format!("cannot read baseline {}: {e}", path.display()),
        help: help.clone(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut b: Baseline = serde_json::from_str(text).map_err(|e| Error::Usage {
        message: format!("{} is not a txlint baseline: {e}", path.display()),
        help: help.clone(),
    })?;
    if b.version > VERSION {
        return Err(Error::Usage {
            message: format!(
                "{} is a version {} baseline, written by a newer txlint",
                path.display(),
                b.version
            ),
            help,
        });
    }
    let root = project_root(path, config);
    if b.version < 2 {
        // Paths as they were shown: relative to the working directory (assumed to be this one).
        let mut keys: HashMap<String, String> = HashMap::new();
        for e in &mut b.findings {
            let k = keys
                .entry(e.path.clone())
                .or_insert_with(|| key(&canonical(Path::new(&e.path)), &root));
            e.path = k.clone();
        }
    }
    Ok(Loaded {
        path: path.to_path_buf(),
        root,
        findings: b.findings,
    })
}

/// Whether `rule` ran on a file linted with `rules` (so its absence means the finding is gone).
fn rule_ran(rules: &RuleSet, rule: &str) -> bool {
    match rule {
        PARSE_ERROR | IO_ERROR => true,
        UNUSED_SUPPRESSION => rules.unused_suppression != Level::Off,
        _ => rules.is_enabled(rule),
    }
}

/// Removes the findings recorded in the baseline; returns the indices of its stale entries: those
/// that match no finding, for a file this run linted with their rule enabled (and read and parsed
/// without error), or for a file that no longer exists.
pub fn filter(run: &mut RunResult, baseline: &Loaded, linted: &[(PathBuf, RuleSet)]) -> Vec<usize> {
    let current = entries(run, &baseline.root);
    let known: HashSet<(&str, &str, &str)> = baseline
        .findings
        .iter()
        .map(|e| (e.path.as_str(), e.rule.as_str(), e.fingerprint.as_str()))
        .collect();
    let keep: Vec<bool> = current
        .iter()
        .map(|e| !known.contains(&(e.path.as_str(), e.rule.as_str(), e.fingerprint.as_str())))
        .collect();
    let found: HashSet<(&str, &str, &str)> = current
        .iter()
        .map(|e| (e.path.as_str(), e.rule.as_str(), e.fingerprint.as_str()))
        .collect();
    // Files whose findings are unknown this run: not read or not parsed.
    let unknown: HashSet<&str> = current
        .iter()
        .filter(|e| e.rule == PARSE_ERROR || e.rule == IO_ERROR)
        .map(|e| e.path.as_str())
        .collect();
    let linted: HashMap<String, &RuleSet> = linted
        .iter()
        .map(|(p, rules)| (key(&canonical(p), &baseline.root), rules))
        .collect();
    let stale = baseline
        .findings
        .iter()
        .enumerate()
        .filter(|(_, e)| !found.contains(&(e.path.as_str(), e.rule.as_str(), e.fingerprint.as_str())))
        .filter(|(_, e)| match linted.get(&e.path) {
            Some(rules) => rule_ran(rules, &e.rule) && !unknown.contains(e.path.as_str()),
            None => !baseline.root.join(&e.path).exists(),
        })
        .map(|(i, _)| i)
        .collect();
    let mut i = 0;
    run.diagnostics.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
    stale
}

/// `--baseline FILE [--prune-baseline]`: filters the run, and says how many entries are stale (or
/// removes them from the file). Returns the note for standard error, if any.
pub fn apply(
    run: &mut RunResult,
    baseline: &Loaded,
    linted: &[(PathBuf, RuleSet)],
    prune: bool,
) -> Result<Option<String>, Error> {
    let stale = filter(run, baseline, linted);
    let n = stale.len();
    if n == 0 {
        return Ok(None);
    }
    let name = crate::report::display_path(&baseline.path);
    let entries = if n == 1 { "entry" } else { "entries" };
    if prune {
        let stale: HashSet<usize> = stale.into_iter().collect();
        let kept: Vec<Entry> = baseline
            .findings
            .iter()
            .enumerate()
            .filter(|(i, _)| !stale.contains(i))
            .map(|(_, e)| e.clone())
            .collect();
        save(&baseline.path, kept)?;
        return Ok(Some(format!("Removed {n} stale {entries} from {name}.")));
    }
    let verb = if n == 1 { "matches" } else { "match" };
    Ok(Some(format!(
        "{n} {entries} of {name} no longer {verb} a finding (fixed, or the code changed); \
         --prune-baseline removes them."
    )))
}
