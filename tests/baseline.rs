//! Baselines across working directories and path spellings, stale entries and pruning, old
//! baseline files: run through the built binary.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{demo, write};

fn txlint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run txlint")
}

/// Exit code, compact report, standard error.
fn compact(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = txlint(dir, &[&["--format", "compact"], args].concat());
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const TWO_WRITES: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f };\n";
const ONE_WRITE: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f };\n";

fn entry_paths(file: &Path) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(file).expect("baseline")).expect("json");
    let mut paths: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|e| e["path"].as_str().expect("path").to_string())
        .collect();
    paths.dedup();
    paths
}

#[test]
fn entries_match_from_any_directory_and_any_spelling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir(d.join(".git")).expect("git root");
    write(d, "src/app.js", &demo());
    std::fs::create_dir(d.join("tools")).expect("mkdir");
    let o = txlint(d, &["--write-baseline", "tools/baseline.json", "./src"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // Keyed by path from the project root (the directory holding `.git`).
    assert_eq!(entry_paths(&d.join("tools/baseline.json")), vec!["src/app.js"]);

    let abs = d.join("src").display().to_string();
    for (cwd, args) in [
        (d.to_path_buf(), vec!["--baseline", "tools/baseline.json", "src"]),
        (d.to_path_buf(), vec!["--baseline", "tools/baseline.json", "src/app.js"]),
        (
            d.to_path_buf(),
            vec!["--baseline", "tools/baseline.json", "./src/../src/app.js"],
        ),
        (d.to_path_buf(), vec!["--baseline", "tools/baseline.json", &abs]),
        (d.join("src"), vec!["--baseline", "../tools/baseline.json", "."]),
        (d.join("src"), vec!["--baseline", "../tools/baseline.json", "app.js"]),
        (d.join("tools"), vec!["--baseline", "baseline.json", "../src"]),
    ] {
        let (code, out, err) = compact(&cwd, &args);
        assert_eq!((code, out.as_str()), (0, ""), "in {}: {args:?}\n{err}", cwd.display());
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[test]
fn a_configuration_file_marks_the_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "proj/.txlintrc.json", "{}");
    write(d, "proj/lib/app.js", &demo());
    let o = txlint(&d.join("proj/lib"), &["--write-baseline", "../b.json", "app.js"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(entry_paths(&d.join("proj/b.json")), vec!["lib/app.js"]);
    let (code, out, _) = compact(&d.join("proj"), &["--baseline", "b.json", "lib"]);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn stale_entries_are_counted_and_pruned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "a.js", TWO_WRITES);
    write(d, "b.js", &demo());
    let o = txlint(d, &["--write-baseline", "baseline.json", "."]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("Wrote 9 findings"));
    let (code, out, err) = compact(d, &["--baseline", "baseline.json", "."]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));

    // a.js is fixed: its entry is stale.
    write(d, "a.js", ONE_WRITE);
    let (code, out, err) = compact(d, &["--baseline", "baseline.json", "."]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(
        err.contains("1 entry of baseline.json no longer matches a finding") && err.contains("--prune-baseline"),
        "{err}"
    );
    // A run that does not lint a.js says nothing about it.
    let (_, _, err) = compact(d, &["--baseline", "baseline.json", "b.js"]);
    assert!(err.is_empty(), "{err}");
    // Nor does a run where its rule is not selected.
    let (_, _, err) = compact(d, &["--baseline", "baseline.json", "--select", "client-leak", "."]);
    assert!(err.is_empty(), "{err}");

    let before = std::fs::read_to_string(d.join("baseline.json")).expect("read");
    let (code, out, err) = compact(d, &["--baseline", "baseline.json", "--prune-baseline", "."]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(err.contains("Removed 1 stale entry from baseline.json"), "{err}");
    let after = std::fs::read_to_string(d.join("baseline.json")).expect("read");
    assert_ne!(before, after);
    assert_eq!(entry_paths(&d.join("baseline.json")), vec!["b.js"]);
    // Written through a temporary file in the same directory, renamed over the old one.
    let names: Vec<String> = std::fs::read_dir(d)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let (code, out, err) = compact(d, &["--baseline", "baseline.json", "."]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    // A deleted file's entries are stale whatever the run lints.
    std::fs::remove_file(d.join("b.js")).expect("rm");
    write(d, "c.js", ONE_WRITE);
    let (_, _, err) = compact(d, &["--baseline", "baseline.json", "c.js"]);
    assert!(
        err.contains("8 entries of baseline.json no longer match a finding"),
        "{err}"
    );
    // --prune-baseline needs --baseline.
    assert_eq!(txlint(d, &["--prune-baseline", "."]).status.code(), Some(2));
}

#[test]
fn old_baseline_files_are_still_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "src/a.js", TWO_WRITES);
    let o = txlint(d, &["--format", "json", "src"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let fp = doc["diagnostics"][0]["fingerprint"].as_str().expect("fingerprint");
    // Version 1: paths as they were shown, relative to the directory txlint ran in; with a BOM.
    let old = format!(
        "\u{feff}{{\n  \"version\": 1,\n  \"findings\": [\n    {{ \"path\": \"./src/a.js\", \"rule\": \"missing-transaction\", \"fingerprint\": \"{fp}\", \"message\": \"\" }}\n  ]\n}}\n"
    );
    write(d, "old.json", &old);
    let (code, out, err) = compact(d, &["--baseline", "old.json", "src"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}
