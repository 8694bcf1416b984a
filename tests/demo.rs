//! The demonstration of issue #3: a typical Express file (transfer / orders / ensure tag) written
//! the naive way gets exactly these findings; written the safe way (fixtures/_clean/safe_app.js,
//! checked by tests/fixtures.rs) it gets none. Also: what `--database` changes.

mod common;

use std::path::Path;

use common::*;
use txlint::LintOptions;
use txlint::diagnostic::Severity;
use txlint::rules::RuleSet;
use txlint::semantic::Database;
use txlint::source::SourceFile;

#[test]
fn naive_app_gets_exactly_the_expected_findings() {
    let file = load(Path::new("fixtures/_demo/naive_app.js"));
    let got: Vec<(u32, &str)> = lint(&file, &RuleSet::all())
        .iter()
        .map(|d| (file.line_col(d.range.start).line, d.rule))
        .collect();
    let expected = vec![
        // POST /transfer: no try, an early return inside the transaction, an unlocked read.
        (10, "client-leak"),
        (10, "missing-retry"),
        (10, "rollback-without-finally"),
        (13, "client-leak"),
        (13, "early-return-in-transaction"),
        (15, "read-modify-write"),
        // POST /orders: an order and its items through the pool.
        (25, "missing-transaction"),
        // POST /tags: look up, insert if missing.
        (35, "check-then-insert"),
    ];
    assert_eq!(got, expected);
}

fn lint_db(code: &str, rule: &str, database: Database) -> Vec<txlint::diagnostic::Diagnostic> {
    let file = SourceFile::new("db.js", code.to_string());
    lint_with(&file, &RuleSet::only(rule), &LintOptions { database })
}

const TX: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(id) {\n  const client = await pool.connect();\n  try {\n    await client.query('BEGIN__ISO__');\n    const { rows } = await client.query('SELECT n FROM counters WHERE id = $1', [id]);\n    await client.query('UPDATE counters SET n = $1 WHERE id = $2', [rows[0].n + 1, id]);\n    await client.query('COMMIT');\n  } catch (err) {\n    await client.query('ROLLBACK');\n    throw err;\n  } finally {\n    client.release();\n  }\n}\nmodule.exports = { f };\n";

#[test]
fn missing_retry_depends_on_the_database_and_isolation() {
    let plain = TX.replace("__ISO__", "");
    let serializable = TX.replace("__ISO__", " ISOLATION LEVEL SERIALIZABLE");
    assert_eq!(lint_db(&plain, "missing-retry", Database::Cockroachdb).len(), 1);
    assert!(
        lint_db(&plain, "missing-retry", Database::Postgres).is_empty(),
        "READ COMMITTED needs no 40001 retry"
    );
    let pg = lint_db(&serializable, "missing-retry", Database::Postgres);
    assert_eq!(pg.len(), 1);
    assert!(pg[0].message.contains("PostgreSQL"), "{}", pg[0].message);
    let set_tx = plain.replace(
        "await client.query('BEGIN');",
        "await client.query('BEGIN');\n    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');",
    );
    assert_eq!(lint_db(&set_tx, "missing-retry", Database::Postgres).len(), 1);
}

#[test]
fn read_modify_write_in_a_transaction_is_a_warning_on_cockroach_and_an_error_on_postgres() {
    let code = TX.replace("__ISO__", "");
    let crdb = lint_db(&code, "read-modify-write", Database::Cockroachdb);
    assert_eq!(crdb.len(), 1);
    assert_eq!(crdb[0].severity, Severity::Warning);
    assert!(crdb[0].message.contains("CockroachDB"));
    let pg = lint_db(&code, "read-modify-write", Database::Postgres);
    assert_eq!(pg.len(), 1);
    assert_eq!(pg[0].severity, Severity::Error);
    assert!(pg[0].message.contains("READ COMMITTED"));
    // With FOR UPDATE, neither database reports it.
    let locked = code.replace("WHERE id = $1'", "WHERE id = $1 FOR UPDATE'");
    assert!(lint_db(&locked, "read-modify-write", Database::Postgres).is_empty());
    assert!(lint_db(&locked, "read-modify-write", Database::Cockroachdb).is_empty());
}
