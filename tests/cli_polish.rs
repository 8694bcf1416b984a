//! The command line as ruff and oxlint users expect it (issue #12): excludes, colour, rule listing
//! as JSON, docs URLs, `-` for stdin, completions, `--config /dev/null`, `--diff`.

mod common;

use std::process::Output;

use common::txlint;

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const BAD: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f };\n";

const DOCS: &str = "https://github.com/txlint/txlint/blob/main/rules/";

#[test]
fn rules_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = txlint(&["rules", "--format", "json"], dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), txlint::rules::ALL.len());
    let mt = list
        .iter()
        .find(|r| r["id"] == "missing-transaction")
        .expect("missing-transaction listed");
    assert_eq!(mt["severity"], "error");
    assert_eq!(mt["docs_url"], format!("{DOCS}missing-transaction.md"));
    assert!(!mt["summary"].as_str().expect("summary").is_empty());
    let fixes: Vec<&str> = list.iter().filter_map(|r| r["fix"].as_str()).collect();
    assert_eq!(fixes.len(), list.len());
    assert!(
        fixes.iter().all(|f| ["none", "suggestion", "fix"].contains(f)),
        "{fixes:?}"
    );
    assert!(fixes.contains(&"fix"), "{fixes:?}");
}

#[test]
fn explain_knows_the_tool_diagnostics() {
    let dir = tempfile::tempdir().expect("tempdir");
    for id in ["parse-error", "io-error", "unused-suppression"] {
        let o = txlint(&["explain", id], dir.path());
        assert_eq!(code(&o), 0, "{id}: {}", stderr(&o));
        assert!(stdout(&o).starts_with(&format!("# {id}\n")), "{id}: {}", stdout(&o));
    }
    let o = txlint(&["explain", "no-such-rule"], dir.path());
    assert_eq!(code(&o), 2);
}

#[test]
fn json_findings_carry_the_docs_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bad.js"), BAD).expect("write");
    std::fs::write(dir.path().join("broken.js"), "pool.query(function (").expect("write");
    let o = txlint(&["--format", "json", "--no-prefilter", "."], dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let findings = doc["diagnostics"].as_array().expect("diagnostics");
    assert!(findings.len() >= 2, "{findings:?}");
    for f in findings {
        let rule = f["rule"].as_str().expect("rule");
        assert_eq!(f["docs_url"], format!("{DOCS}{rule}.md"), "{f}");
    }
    assert!(findings.iter().any(|f| f["rule"] == "parse-error"));
}
