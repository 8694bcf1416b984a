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

/// How many non-empty lines `s` holds.
fn lines(s: &str) -> usize {
    s.split('\n').filter(|l| !l.is_empty()).count()
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

/// Runs the binary in `cwd` with `input` on standard input (colours off).
fn txlint_stdin(args: &[&str], cwd: &std::path::Path, input: &str) -> Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run txlint");
    let mut pipe = child.stdin.take().expect("stdin");
    // The process may exit before reading everything: a broken pipe is no failure here.
    let _ = pipe.write_all(input.as_bytes());
    drop(pipe);
    child.wait_with_output().expect("wait")
}

#[test]
fn exclude_patterns_skip_files_like_ignore_patterns() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), "src/a.js", BAD);
    common::write(dir.path(), "gen/b.js", BAD);
    common::write(dir.path(), "src/gen/c.js", BAD);
    let all = txlint(&["--format", "compact", "."], dir.path());
    assert_eq!(lines(&stdout(&all)), 3, "{}", stdout(&all));

    // Gitignore syntax, as `ignorePatterns`: `gen/` is a directory named gen at any depth.
    let o = txlint(&["--format", "compact", "--exclude", "gen/", "."], dir.path());
    assert_eq!(code(&o), 1);
    assert_eq!(lines(&stdout(&o)), 1, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("src/a.js:"), "{}", stdout(&o));

    // Anchored, repeatable, and the alias.
    let o = txlint(
        &[
            "--format",
            "compact",
            "--exclude",
            "/gen",
            "--ignore-pattern",
            "a.js",
            ".",
        ],
        dir.path(),
    );
    assert!(stdout(&o).starts_with("src/gen/c.js:"), "{}", stdout(&o));
    assert_eq!(lines(&stdout(&o)), 1, "{}", stdout(&o));

    // Files named on the command line are excluded too (as by `ignorePatterns`).
    let o = txlint(&["--exclude", "*.js", "src/a.js"], dir.path());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(!stdout(&o).contains("missing-transaction"), "{}", stdout(&o));

    // Relative to the current directory: files outside it are not matched, even reached through
    // `..` (whose path `gen/../src/gen/c.js` is not under `gen/`).
    let o = txlint(
        &["--format", "compact", "--exclude", "gen", "../src"],
        &dir.path().join("gen"),
    );
    assert_eq!(lines(&stdout(&o)), 2, "{}", stdout(&o));
    let o = txlint(
        &["--format", "compact", "--exclude", "c.js", "../src"],
        &dir.path().join("gen"),
    );
    assert_eq!(lines(&stdout(&o)), 2, "{}", stdout(&o));
    let o = txlint(&["--format", "compact", "--exclude", "c.js", "src"], dir.path());
    assert_eq!(lines(&stdout(&o)), 1, "{}", stdout(&o));
    // A bad pattern is a usage error, named.
    let o = txlint(&["--exclude", "{a", "."], dir.path());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("bad --exclude pattern `{a`"), "{}", stderr(&o));
    // The same holds for a configuration's `ignorePatterns` and its nearest-file lookup.
    common::write(dir.path(), "gen/.txlintrc.json", r#"{ "ignorePatterns": ["*.js"] }"#);
    let o = txlint(&["--format", "compact", "../src"], &dir.path().join("gen"));
    assert_eq!(lines(&stdout(&o)), 2, "{}", stdout(&o));
}

#[test]
fn dash_reads_standard_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = txlint_stdin(&["--format", "compact", "-"], dir.path(), BAD);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).starts_with("stdin.js:5:"), "{}", stdout(&o));

    let o = txlint_stdin(
        &["--format", "compact", "--stdin-filename", "src/orders.ts", "-"],
        dir.path(),
        BAD,
    );
    assert!(stdout(&o).starts_with("src/orders.ts:5:"), "{}", stdout(&o));

    let o = txlint_stdin(&["-", "other.js"], dir.path(), BAD);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("`-`"), "{}", stderr(&o));
}

#[test]
fn excluded_stdin_filename_prints_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), ".txlintrc.json", r#"{ "ignorePatterns": ["generated/"] }"#);
    for args in [
        &["--stdin", "--stdin-filename", "generated/x.js"][..],
        &["--stdin-filename", "generated/x.js", "-"][..],
        &["--exclude", "*.ts", "--stdin", "--stdin-filename", "src/x.ts"][..],
        &[
            "--format",
            "json",
            "--exclude",
            "src/",
            "--stdin-filename",
            "src/x.js",
            "-",
        ][..],
    ] {
        let o = txlint_stdin(args, dir.path(), BAD);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}");
        assert_eq!(stderr(&o), "", "{args:?}");
    }
    // Not excluded: linted.
    let o = txlint_stdin(&["--stdin", "--stdin-filename", "src/x.js"], dir.path(), BAD);
    assert_eq!(code(&o), 1);
}

#[test]
fn config_dev_null_or_empty_means_no_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(
        dir.path(),
        ".txlintrc.json",
        r#"{ "rules": { "missing-transaction": "off" } }"#,
    );
    common::write(dir.path(), "a.js", BAD);
    common::write(dir.path(), "empty.json", "");
    assert_eq!(code(&txlint(&["a.js"], dir.path())), 0);
    for config in ["/dev/null", "empty.json"] {
        let o = txlint(&["--format", "compact", "--config", config, "a.js"], dir.path());
        assert_eq!(code(&o), 1, "{config}: {}", stderr(&o));
        assert!(stdout(&o).contains("[missing-transaction]"), "{config}: {}", stdout(&o));
    }
    // A missing file is still an error.
    assert_eq!(code(&txlint(&["--config", "nope.json", "a.js"], dir.path())), 2);
}

/// Only a warning: `missing-retry` on a transaction without a retry loop.
const WARN_ONLY: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  const c = await pool.connect();\n  try {\n    await c.query('BEGIN');\n    await c.query('UPDATE a SET x = $1', [a]);\n    await c.query('COMMIT');\n  } catch (e) {\n    await c.query('ROLLBACK');\n    throw e;\n  } finally {\n    c.release();\n  }\n}\nmodule.exports = { f };\n";

#[test]
fn max_warnings_says_why_the_run_failed() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), "w.js", WARN_ONLY);
    common::write(dir.path(), "v.js", WARN_ONLY);
    let o = txlint(&["--format", "json", "--max-warnings", "1", "."], dir.path());
    assert_eq!(code(&o), 1);
    assert_eq!(stderr(&o), "txlint: 2 warnings, more than --max-warnings 1\n");
    let o = txlint(&["--max-warnings", "0", "w.js"], dir.path());
    assert_eq!(code(&o), 1);
    assert_eq!(stderr(&o), "txlint: 1 warning, more than --max-warnings 0\n");
    // Within the limit: exit 0, nothing on stderr.
    let o = txlint(&["--max-warnings", "2", "."], dir.path());
    assert_eq!(code(&o), 0);
    assert_eq!(stderr(&o), "");
}

/// Runs the binary with the given colour environment (nothing else set).
fn txlint_env(args: &[&str], cwd: &std::path::Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_txlint"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run txlint")
}

#[test]
fn color_flag_and_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), "bad.js", BAD);
    let colored = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = args.to_vec();
        all.push("bad.js");
        let o = txlint_env(&all, dir.path(), env);
        assert_eq!(code(&o), 1, "{args:?} {env:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("missing-transaction"), "{}", stdout(&o));
        stdout(&o).contains("\x1b[")
    };
    // Not a terminal: no colour unless asked.
    assert!(!colored(&[], &[]));
    assert!(colored(&["--color", "always"], &[]));
    assert!(colored(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(!colored(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(colored(&["--color", "auto"], &[("FORCE_COLOR", "1")]));
    assert!(colored(&[], &[("FORCE_COLOR", "3"), ("NO_COLOR", "1")]));
    assert!(!colored(&[], &[("FORCE_COLOR", "0")]));
    assert!(!colored(&[], &[("NO_COLOR", "1")]));
    let o = txlint_env(&["--color", "sometimes", "bad.js"], dir.path(), &[]);
    assert_eq!(code(&o), 2);
}

#[test]
fn shell_completions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = |shell: &str| {
        let o = txlint(&["completions", shell], dir.path());
        assert_eq!(code(&o), 0, "{shell}: {}", stderr(&o));
        stdout(&o)
    };
    let bash = script("bash");
    assert!(bash.contains("complete -F _txlint"), "{bash}");
    let zsh = script("zsh");
    assert!(zsh.starts_with("#compdef txlint"), "{zsh}");
    let fish = script("fish");
    assert!(fish.contains("complete -c txlint"), "{fish}");
    // Generated from the real definition: flags (fish writes `-l exclude`) and subcommands.
    for s in [&bash, &zsh, &fish] {
        for word in [
            "exclude",
            "ignore-pattern",
            "max-warnings",
            "color",
            "explain",
            "completions",
        ] {
            assert!(s.contains(word), "{word} missing");
        }
    }
    // The bash script parses (where bash is installed).
    if let Ok(o) = std::process::Command::new("bash").args(["-n", "-c", &bash]).output() {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(code(&txlint(&["completions", "tcsh"], dir.path())), 2);
}

/// A file whose `unawaited-query` finding has a safe fix (adding `await`).
fn fixable() -> String {
    std::fs::read_to_string(common::root().join("fixtures/unawaited-query/invalid/loop_without_await.js"))
        .expect("fixture")
}

#[test]
fn diff_prints_what_fix_would_write_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = fixable();
    common::write(dir.path(), "src/f.js", &src);
    common::write(dir.path(), "src/bad.js", BAD);
    let o = txlint(&["--diff", "src"], dir.path());
    // The error-level finding in bad.js (no safe fix) sets the exit code, as without --diff.
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let diff = stdout(&o);
    let line = "      client.query('INSERT INTO post_tags (post_id, tag) VALUES ($1, $2)', [postId, tag]);";
    assert!(diff.starts_with("--- a/src/f.js\n+++ b/src/f.js\n@@ "), "{diff}");
    assert!(diff.contains(&format!("\n-{line}\n")), "{diff}");
    assert!(
        diff.contains(&format!("\n+{}\n", line.replacen("client", "await client", 1))),
        "{diff}"
    );
    assert!(!diff.contains("bad.js"), "{diff}");
    assert!(!diff.contains("missing-transaction"), "a diff, not a report: {diff}");
    let on_disk = std::fs::read_to_string(dir.path().join("src/f.js")).expect("read");
    assert_eq!(on_disk, src, "--diff wrote the file");

    // Standard input too.
    let o = txlint_stdin(&["--diff", "--stdin-filename", "g.js", "-"], dir.path(), &src);
    assert!(stdout(&o).starts_with("--- a/g.js\n+++ b/g.js\n"), "{}", stdout(&o));

    // Once fixed, there is nothing left to show.
    txlint(&["--fix", "src/f.js"], dir.path());
    let o = txlint(&["--diff", "src/f.js"], dir.path());
    assert_eq!(stdout(&o), "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    assert_eq!(code(&txlint(&["--diff", "--fix", "src"], dir.path())), 2);
}

#[test]
fn fix_says_what_it_fixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), "a.js", &fixable());
    common::write(dir.path(), "b.js", &fixable());
    common::write(dir.path(), "bad.js", BAD);
    let o = txlint(&["--fix", "--format", "compact", "."], dir.path());
    assert_eq!(stderr(&o), "Fixed 2 findings in 2 files.\n");
    // The report still shows what is left.
    assert!(stdout(&o).contains("[missing-transaction]"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("[unawaited-query]"), "{}", stdout(&o));

    common::write(dir.path(), "c.js", &fixable());
    let o = txlint(&["--fix", "c.js"], dir.path());
    assert_eq!(stderr(&o), "Fixed 1 finding in 1 file.\n");
    // Nothing to fix: nothing said.
    let o = txlint(&["--fix", "c.js"], dir.path());
    assert_eq!(stderr(&o), "");
}

/// A check-then-insert whose key is known: its `ON CONFLICT` edit changes behaviour on purpose.
const CHECK_THEN_INSERT: &str = "const { Pool } = require('pg');
const pool = new Pool();

async function subscribe(email) {
  const { rows } = await pool.query('SELECT id FROM subscribers WHERE email = $1', [email]);
  if (rows.length > 0) return rows[0].id;
  const created = await pool.query('INSERT INTO subscribers (email) VALUES ($1) RETURNING id', [email]);
  return created.rows[0].id;
}

module.exports = { subscribe };
";

#[test]
fn unsafe_fixes_are_applied_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), "sub.js", CHECK_THEN_INSERT);
    // --fix alone leaves behaviour-changing edits alone.
    let o = txlint(&["--fix", "sub.js"], dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let on_disk = std::fs::read_to_string(dir.path().join("sub.js")).expect("read");
    assert_eq!(on_disk, CHECK_THEN_INSERT);
    // --diff --unsafe-fixes shows the ON CONFLICT clause, and writes nothing.
    let o = txlint(&["--diff", "--unsafe-fixes", "sub.js"], dir.path());
    assert!(stdout(&o).contains("+  const created = await pool.query('INSERT INTO subscribers (email) VALUES ($1) ON CONFLICT (email) DO NOTHING RETURNING id', [email]);"), "{}", stdout(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sub.js")).expect("read"),
        CHECK_THEN_INSERT
    );
    // --fix --unsafe-fixes writes it, and check-then-insert is silent afterwards.
    let o = txlint(&["--fix", "--unsafe-fixes", "sub.js"], dir.path());
    assert!(stderr(&o).contains("Fixed 1 finding in 1 file"), "{}", stderr(&o));
    let fixed = std::fs::read_to_string(dir.path().join("sub.js")).expect("read");
    assert!(fixed.contains("ON CONFLICT (email) DO NOTHING RETURNING id"), "{fixed}");
    let o = txlint(&["--format", "compact", "sub.js"], dir.path());
    assert!(!stdout(&o).contains("check-then-insert"), "{}", stdout(&o));
}

/// A client released only when the query succeeds: its edit moves the release into `finally`.
const LEAK: &str = "const { Pool } = require('pg');
const pool = new Pool();

async function countUsers() {
  const client = await pool.connect();
  const { rows } = await client.query('SELECT count(*) AS n FROM users');
  client.release();
  return rows[0].n;
}

module.exports = { countUsers };
";

/// A transaction whose catch rethrows without ROLLBACK: its edit adds the ROLLBACK.
const NO_ROLLBACK: &str = "const { Pool } = require('pg');
const pool = new Pool();

async function rename(id, name) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('UPDATE teams SET name = $1 WHERE id = $2', [name, id]);
    await client.query('INSERT INTO team_log (team_id, name) VALUES ($1, $2)', [id, name]);
    await client.query('COMMIT');
  } catch (err) {
    console.error(err);
    throw err;
  } finally {
    client.release();
  }
}

module.exports = { rename };
";

#[test]
fn unsafe_fixes_release_in_finally_and_roll_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), "leak.js", LEAK);
    common::write(dir.path(), "tx.js", NO_ROLLBACK);
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).expect("read");
    // --fix alone applies neither: both change behaviour on purpose.
    txlint(&["--fix", "leak.js", "tx.js"], dir.path());
    assert_eq!(read("leak.js"), LEAK);
    assert_eq!(read("tx.js"), NO_ROLLBACK);

    let o = txlint(&["--fix", "--unsafe-fixes", "leak.js", "tx.js"], dir.path());
    assert!(stderr(&o).contains("in 2 files"), "{}", stderr(&o));
    let leak = read("leak.js");
    assert!(
        leak.contains(
            "  const client = await pool.connect();\n  try {\n    const { rows } = await client.query('SELECT count(*) AS n FROM users');\n    return rows[0].n;\n  } finally {\n    client.release();\n  }\n"
        ),
        "{leak}"
    );
    assert_eq!(leak.matches("client.release()").count(), 1, "{leak}");
    let tx = read("tx.js");
    assert!(
        tx.contains("  } catch (err) {\n    await client.query('ROLLBACK');\n    console.error(err);\n    throw err;\n  } finally {"),
        "{tx}"
    );
    // Re-linted, the fixed files are silent for both rules.
    let o = txlint(&["--format", "compact", "leak.js", "tx.js"], dir.path());
    assert!(!stdout(&o).contains("[client-leak]"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("[rollback-without-finally]"), "{}", stdout(&o));
}

/// A statement between the connect and BEGIN: client-leak's wrap goes in first, and the ROLLBACK
/// can only be added inside the `try` it wrote, so it needs a second pass.
const TWO_PASSES: &str = "const { Pool } = require('pg');
const pool = new Pool();

async function archive(id) {
  const client = await pool.connect();
  const { rows } = await client.query('SELECT id FROM projects WHERE id = $1', [id]);
  await client.query('BEGIN');
  await client.query('UPDATE projects SET archived = true WHERE id = $1', [rows[0].id]);
  await client.query('INSERT INTO project_log (project_id, action) VALUES ($1, $2)', [id, 'archive']);
  await client.query('COMMIT');
  client.release();
}

module.exports = { archive };
";

#[test]
fn fixes_are_applied_in_passes_until_none_is_left_and_diff_shows_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), "archive.js", TWO_PASSES);
    let read = || std::fs::read_to_string(dir.path().join("archive.js")).expect("read");
    let args = ["--unsafe-fixes", "--database", "postgres", "archive.js"];
    let o = txlint(&[&["--diff"][..], &args].concat(), dir.path());
    let diff = stdout(&o);
    assert!(diff.contains("+    await client.query('ROLLBACK');"), "{diff}");
    assert!(diff.contains("+  } finally {\n+    client.release();"), "{diff}");
    assert_eq!(read(), TWO_PASSES, "--diff writes nothing");

    let o = txlint(&[&["--fix"][..], &args].concat(), dir.path());
    assert!(stderr(&o).contains("Fixed 2 findings in 1 file."), "{}", stderr(&o));
    let fixed = read();
    // What --diff showed is what --fix wrote: every added line of the diff is in the file.
    for added in diff.split('\n').filter(|l| l.starts_with('+') && !l.starts_with("+++")) {
        assert!(fixed.contains(&added[1..]), "{added:?} missing from:\n{fixed}");
    }
    let o = txlint(
        &["--format", "compact", "--database", "postgres", "archive.js"],
        dir.path(),
    );
    assert_eq!(stdout(&o), "", "one run fixes both findings");
    assert_eq!(code(&o), 0);
}

/// A client checked out and not released when the query fails: reported in application code,
/// not in test code, whichever way a file says it is a test.
const LEAKY: &str = "const { Pool } = require('pg');
const pool = new Pool();
async function count() {
  const client = await pool.connect();
  const { rows } = await client.query('SELECT count(*) AS n FROM users');
  client.release();
  return rows[0].n;
}
module.exports = { count };
";

#[test]
fn test_code_is_known_by_its_name_or_its_own_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        "src/db.js",
        "test/app/db.js",
        "test/setup.js",
        "src/tests/helpers.js",
        "src/__tests__/db.js",
        "src/orders.test.js",
        "spec/support.js",
    ];
    for f in files {
        common::write(dir.path(), f, LEAKY);
    }
    let o = txlint(&["--format", "compact", "--select", "client-leak", "."], dir.path());
    let out = stdout(&o);
    // Application code, also under a directory named `test` higher up (a project's parent).
    for reported in ["src/db.js", "test/app/db.js"] {
        assert!(
            out.contains(&format!("{reported}:5:")),
            "{reported} not reported:\n{out}"
        );
    }
    for silent in [
        "test/setup.js",
        "src/tests/helpers.js",
        "src/__tests__/db.js",
        "src/orders.test.js",
        "spec/support.js",
    ] {
        assert!(!out.contains(silent), "{silent} is test code:\n{out}");
    }
}
