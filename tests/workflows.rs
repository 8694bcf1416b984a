//! Configuration, suppressions, baselines, standard input: the ways users fit txlint into their
//! workflows, run through the built binary.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{demo, root, write};

fn txlint_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_txlint"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    if let Some(input) = stdin {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), input.as_bytes()).expect("write stdin");
        return child.wait_with_output().expect("wait");
    }
    cmd.output().expect("run txlint")
}

fn compact(dir: &Path, args: &[&str]) -> (i32, String) {
    let o = txlint_in(dir, &[&["--format", "compact"], args].concat(), None);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

fn rules_in(out: &str) -> Vec<String> {
    let mut v: Vec<String> = txlint::source::lines(out)
        .filter_map(|l| {
            l.split('[')
                .nth(1)
                .and_then(|r| r.split(']').next())
                .map(str::to_string)
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn nearest_config_wins_and_cli_overrides_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "app/a.js", &demo());
    write(d, "app/legacy/b.js", &demo());
    write(d, ".txlintrc.json", r#"{ "rules": { "missing-retry": "off" } }"#);
    write(
        d,
        "app/legacy/.txlintrc.json",
        r#"{ "rules": { "missing-transaction": "off", "check-then-insert": "warn" } }"#,
    );
    let (_, out) = compact(d, &["app/a.js"]);
    assert!(
        !out.contains("[missing-retry]") && out.contains("[missing-transaction]"),
        "{out}"
    );
    // The nearest file replaces the outer one entirely.
    let (_, out) = compact(d, &["app/legacy/b.js"]);
    assert!(out.contains("[missing-retry]"), "{out}");
    assert!(!out.contains("[missing-transaction]"), "{out}");
    assert!(out.contains("warning [check-then-insert]"), "{out}");
    // --config applies one file everywhere; --rule comes last.
    write(d, "strict.json", r#"{ "rules": { "client-leak": "off" } }"#);
    let (_, out) = compact(d, &["--config", "strict.json", "--rule", "missing-retry=error", "app"]);
    assert!(!out.contains("[client-leak]"), "{out}");
    assert!(out.contains("error [missing-retry]"), "{out}");
    assert!(
        out.contains("app/legacy/b.js") && out.contains("[missing-transaction]"),
        "{out}"
    );
}

#[test]
fn database_ignore_patterns_and_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "src/app.js", &demo());
    write(d, "scripts/seed.js", &demo());
    write(d, "gen/out.js", &demo());
    write(
        d,
        ".txlintrc.json",
        r#"{
  "database": "postgres",
  "ignorePatterns": ["gen/"],
  "overrides": [{ "files": ["scripts/**"], "rules": { "missing-transaction": "off", "check-then-insert": "off" } }]
}"#,
    );
    let (_, out) = compact(d, &["."]);
    assert!(!out.contains("gen/out.js"), "{out}");
    assert!(out.contains("src/app.js:25:11: error [missing-transaction]"), "{out}");
    assert!(!out.contains("scripts/seed.js:25:11"), "{out}");
    // PostgreSQL: the in-transaction read-modify-write is an error, and plain BEGIN needs no retry.
    assert!(out.contains("src/app.js:15:9: error [read-modify-write]"), "{out}");
    assert!(!out.contains("[missing-retry]"), "{out}");
}

fn bad_config(text: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.js", "x();\n");
    write(dir.path(), ".txlintrc.json", text);
    let o = txlint_in(dir.path(), &["a.js"], None);
    assert_eq!(o.status.code(), Some(2), "bad config must be a usage error");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_configuration_is_a_usage_error_at_its_line_and_column() {
    let e = bad_config("{\n  \"rules\": {\n    \"missing-retri\": \"off\"\n  }\n}\n");
    assert!(e.contains("unknown rule `missing-retri`"), "{e}");
    assert!(e.contains(".txlintrc.json:3:5"), "{e}");
    assert!(e.contains("did you mean `missing-retry`"), "{e}");

    let e = bad_config("{\n  \"rules\": { \"missing-retry\": \"loud\" }\n}\n");
    assert!(e.contains("unknown level \"loud\""), "{e}");
    assert!(e.contains(".txlintrc.json:2:31"), "{e}");

    let e = bad_config("{\n  \"rules\": { \"missing-retry\": \"off\", }\n}\n");
    assert!(e.contains("invalid JSON"), "{e}");
    assert!(e.contains(".txlintrc.json:2:"), "{e}");

    let e = bad_config("{\n  \"overrides\": [{ \"files\": [\"src/[a\"], \"rules\": {} }]\n}\n");
    assert!(e.contains("bad glob `src/[a`"), "{e}");
    assert!(e.contains(".txlintrc.json:2:"), "{e}");

    let e = bad_config("{ \"databse\": \"postgres\" }");
    assert!(e.contains("did you mean `database`"), "{e}");
}

#[test]
fn command_line_rule_selection() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.js", &demo());
    let (_, out) = compact(
        dir.path(),
        &["--select", "missing-transaction,check-then-insert", "a.js"],
    );
    assert_eq!(rules_in(&out), vec!["check-then-insert", "missing-transaction"]);
    let (_, out) = compact(dir.path(), &["--quiet", "a.js"]);
    assert!(!out.contains("warning"), "{out}");
    assert!(out.contains("error [missing-transaction]"));
    let (code, out) = compact(
        dir.path(),
        &[
            "--rule",
            "missing-transaction=off",
            "--rule",
            "check-then-insert=off",
            "--select",
            "missing-transaction,check-then-insert",
            "a.js",
        ],
    );
    assert_eq!((code, out.as_str()), (0, ""));
    let o = txlint_in(dir.path(), &["--rule", "nope=off", "a.js"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = txlint_in(dir.path(), &["--rule", "missing-retry=loud", "a.js"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn config_schema_is_printed_and_shipped() {
    let o = txlint_in(&root(), &["config-schema"], None);
    let printed = String::from_utf8_lossy(&o.stdout).into_owned();
    let schema: serde_json::Value = serde_json::from_str(&printed).expect("schema is JSON");
    let props = &schema["properties"]["rules"]["properties"];
    for id in txlint::rules::ids() {
        assert!(props[id].is_object(), "schema lacks {id}");
    }
    let shipped = std::fs::read_to_string(root().join("txlint.schema.json")).expect("txlint.schema.json");
    assert_eq!(
        shipped, printed,
        "txlint.schema.json is stale: run `txlint config-schema > txlint.schema.json`"
    );
}

#[test]
fn suppressions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let code = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  // txlint-disable-next-line missing-transaction -- the audit row may be lost\n  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n  await pool.query('INSERT INTO c (x) VALUES ($1)', [a]); // txlint-disable-line missing-transaction\n}\nasync function g(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f, g };\n";
    write(dir.path(), "a.js", code);
    let (code_out, out) = compact(dir.path(), &["a.js"]);
    assert_eq!(
        out.trim(),
        "a.js:11:9: error [missing-transaction] `INSERT INTO b` runs through `pool` outside a transaction after `INSERT INTO a` (line 10): if it fails, the first write stays committed"
    );
    assert_eq!(code_out, 1);

    // Whole file.
    write(
        dir.path(),
        "b.js",
        &format!("/* txlint-disable missing-transaction */\n{code}"),
    );
    assert_eq!(compact(dir.path(), &["b.js"]), (0, String::new()));

    // Refused, unused, unknown.
    write(
        dir.path(),
        "c.js",
        "// txlint-disable-next-line\nx();\n// txlint-disable-next-line client-leak -- stale\ny();\n// txlint-disable-line missing-retri\n",
    );
    let (c, out) = compact(dir.path(), &["c.js"]);
    assert_eq!(c, 0);
    let lines: Vec<&str> = txlint::source::lines(&out).collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with(
            "c.js:1:1: warning [unused-suppression] `txlint-disable-next-line` without rule ids is refused"
        )
    );
    assert!(lines[1].starts_with(
        "c.js:3:1: warning [unused-suppression] `txlint-disable-next-line client-leak` suppresses nothing"
    ));
    assert!(lines[2].contains("unknown rule `missing-retri` (did you mean `missing-retry`?)"));
    // It is a rule of its own: configurable.
    assert_eq!(
        compact(dir.path(), &["--rule", "unused-suppression=off", "c.js"]),
        (0, String::new())
    );
}

#[test]
fn baseline_hides_known_findings_across_moves_but_not_new_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "app.js", &demo());
    let o = txlint_in(d, &["--write-baseline", "txlint-baseline.json", "."], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("Wrote 8 findings"));
    assert_eq!(
        compact(d, &["--baseline", "txlint-baseline.json", "."]),
        (0, String::new())
    );
    // Unrelated edits above the findings move every line; nothing resurfaces.
    write(d, "app.js", &format!("// a new header\n'use strict';\n\n{}", demo()));
    assert_eq!(
        compact(d, &["--baseline", "txlint-baseline.json", "."]),
        (0, String::new())
    );
    // A new instance of a known problem is reported.
    let extra = "\napp.post('/labels', async (req, res) => {\n  const existing = await pool.query('SELECT id FROM labels WHERE name = $1', [req.body.name]);\n  if (existing.rows.length === 0) {\n    await pool.query('INSERT INTO labels (name) VALUES ($1)', [req.body.name]);\n  }\n  res.end();\n});\n";
    write(d, "app.js", &format!("{}{extra}", demo()));
    let (code, out) = compact(d, &["--baseline", "txlint-baseline.json", "."]);
    assert_eq!(code, 1);
    assert_eq!(rules_in(&out), vec!["check-then-insert"], "{out}");
    assert!(out.contains("labels"), "{out}");
}

#[test]
fn stdin_is_linted_as_the_given_path_with_its_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "src/.txlintrc.json",
        r#"{ "rules": { "missing-retry": "off" } }"#,
    );
    let o = txlint_in(
        dir.path(),
        &["--format", "compact", "--stdin", "--stdin-filename", "src/app.ts"],
        Some(&demo()),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("src/app.ts:25:11: error [missing-transaction]"), "{out}");
    assert!(!out.contains("[missing-retry]"), "{out}");
    assert_eq!(o.status.code(), Some(1));
}
