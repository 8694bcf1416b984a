//! Hostile input never hangs, never exhausts memory and never crashes: numbers in the input do not
//! size anything, special files are not read, oversized files are skipped with a warning, and the
//! flow analysis stays linear on shapes that multiply paths (nested loops, long `&&` chains,
//! `else if` ladders). Each run has a watchdog: a hang fails the test instead of blocking it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const WATCHDOG: Duration = Duration::from_secs(60);

fn txlint_with_stdin(args: &[&str], cwd: &Path, stdin: Option<Vec<u8>>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        // txlint stops reading at its size limit: a closed pipe here is expected.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    // The output is read as it comes (a report bigger than a pipe's buffer would otherwise block
    // the child), and the watchdog kills the child if it runs too long.
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let out = child.wait_with_output();
        let _ = done.send(());
        out
    });
    if finished.recv_timeout(WATCHDOG).is_err() {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("txlint {args:?} did not finish within {WATCHDOG:?}");
    }
    reader.join().expect("reader thread").expect("output")
}

fn compact(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = txlint_with_stdin(&[&["--format", "compact"], args].concat(), dir, None);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "txlint panicked:\n{stderr}");
}

const HEAD: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  const c = await pool.connect();\n  await c.query('BEGIN');\n";
const TAIL: &str = "  await c.query('COMMIT');\n  c.release();\n}\nmodule.exports = { f };\n";

#[test]
fn huge_placeholder_numbers_size_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "const { Pool } = require('pg');\nconst pool = new Pool();\npool.query('SELECT $2147483648', [1]);\npool.query('SELECT $100000000', []);\npool.query('SELECT $4294967295');\n";
    std::fs::write(dir.path().join("ph.js"), text).expect("write");
    let (code, out, err) = compact(dir.path(), &["ph.js"]);
    no_panic(&err);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("`$2147483648`"), "{out}");
    // The help names the range, never lists it.
    assert!(out.len() < 4_000, "{} bytes of output", out.len());
}

#[test]
fn oversized_files_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from(HEAD);
    text.push_str(&format!("  const blob = '{}';\n", "x".repeat(2 << 20)));
    text.push_str(TAIL);
    std::fs::write(dir.path().join("big.js"), &text).expect("write");
    let (code, out, err) = compact(dir.path(), &["--max-file-size", "1MB", "big.js"]);
    no_panic(&err);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("big.js:1:1: warning [io-error] file is 2.0 MB over the size limit of 1.0 MB (--max-file-size); not analysed"),
        "{out}"
    );
    // Under the limit it is analysed (the client leaks if BEGIN fails).
    let (_, out, _) = compact(dir.path(), &["--max-file-size", "3M", "big.js"]);
    assert!(out.contains("big.js:5:9: error [client-leak]"), "{out}");
    // The same through standard input.
    let o = txlint_with_stdin(
        &[
            "--format",
            "compact",
            "--max-file-size",
            "1MB",
            "--stdin",
            "--stdin-filename",
            "s.js",
        ],
        dir.path(),
        Some(text.into_bytes()),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("s.js:1:1: warning [io-error] file is over the size limit"),
        "{out}"
    );
    // A bad size is a usage error.
    let (code, _, err) = compact(dir.path(), &["--max-file-size", "4XB", "big.js"]);
    assert_eq!(code, 2, "{err}");
}

#[cfg(unix)]
#[test]
fn special_files_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.js")).expect("symlink");
    let fifo = d.join("pipe.js");
    let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    let (code, out, err) = compact(d, &["zero.js"]);
    no_panic(&err);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("zero.js:1:1: warning [io-error] not a regular file (a character device): skipped"),
        "{out}"
    );
    if made {
        let (code, out, err) = compact(d, &["pipe.js"]);
        no_panic(&err);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("pipe.js:1:1: warning [io-error] not a regular file (a FIFO): skipped"),
            "{out}"
        );
        // A module imported from a linted file that turns out to be a FIFO is never opened either:
        // its facts are unknown.
        std::fs::write(
            d.join("app.js"),
            format!("const db = require('./pipe');\n{HEAD}  await db.save(c);\n{TAIL}"),
        )
        .expect("write");
        let (code, out, err) = compact(d, &["app.js"]);
        no_panic(&err);
        assert!(matches!(code, 0 | 1), "{out}{err}");
    }
}

/// Files of the shapes that multiplied paths, at two sizes ten times apart: both finish, and the
/// deep ones report that some function was too costly to follow rather than a finding.
#[test]
fn shapes_that_multiply_paths_stay_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let query = "  await c.query('UPDATE t SET x = 1');\n";
    let nested = |n: usize| format!("{HEAD}{}{query}{}{TAIL}", "while (a) {\n".repeat(n), "}\n".repeat(n));
    let and_chain = |n: usize| {
        let ops: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
        format!("{HEAD}  if ({}) {{\n{query}  }}\n{TAIL}", ops.join(" && "))
    };
    let calls = |n: usize| {
        let ops: Vec<String> = (0..n).map(|i| format!("g({i})")).collect();
        format!("{HEAD}  const ok = a && {};\n{query}{TAIL}", ops.join(" && "))
    };
    let ladder = |n: usize| {
        let mut t = format!("{HEAD}  if (a === 0) {{ await c.query('UPDATE t SET x = 0'); }}\n");
        for i in 1..n {
            t.push_str(&format!(
                "  else if (a === {i}) {{ await c.query('UPDATE t SET x = {i}'); }}\n"
            ));
        }
        t + TAIL
    };
    // The same ladder after the COMMIT: each branch's write is a query-after-commit fact.
    let after_commit = |n: usize| {
        let mut t = format!(
            "{HEAD}  await c.query('UPDATE t SET x = 0');
  await c.query('COMMIT');
  if (a === 0) {{ await c.query('UPDATE t SET x = $1', [a]); }}
"
        );
        for i in 1..n {
            t.push_str(&format!(
                "  else if (a === {i}) {{ await c.query('UPDATE t SET x = $1', [a]); }}
"
            ));
        }
        t + "  c.release();
}
module.exports = { f };
"
    };
    let cases: Vec<(&str, String)> = vec![
        ("nested_100.js", nested(100)),
        ("nested_1000.js", nested(1000)),
        ("and_1000.js", and_chain(1000)),
        ("and_10000.js", and_chain(10_000)),
        ("calls_10000.js", calls(10_000)),
        ("ladder_500.js", ladder(500)),
        ("ladder_5000.js", ladder(5000)),
        ("after_commit_5000.js", after_commit(5000)),
    ];
    for (name, text) in &cases {
        std::fs::write(d.join(name), text).expect("write");
    }
    let o = txlint_with_stdin(&["--format", "compact", "--stats", "."], d, None);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    no_panic(&err);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{out}{err}");
    let over: usize = err
        .split('\n')
        .find_map(|l| l.trim().strip_prefix("over budget"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("--stats prints the over-budget count");
    assert!(over >= 2, "the deeply nested loops are over budget:\n{err}");
    // The shapes that do not multiply paths are analysed to the end: the transaction's missing
    // retry is found in each.
    for name in ["and_10000.js", "calls_10000.js", "ladder_5000.js"] {
        assert!(
            out.contains(&format!("{name}:5:9: warning [missing-retry]")),
            "{name}:\n{out}"
        );
    }
    let after_commit = out.matches("after_commit_5000.js:").count();
    assert!(
        out.contains("[query-after-commit]") && after_commit >= 5000,
        "every write after the COMMIT is reported:\n{}",
        &out[..out.len().min(2000)]
    );
}

#[test]
fn an_else_if_ladder_longer_than_swc_parses_quickly_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = format!("{HEAD}  if (a === 0) {{ f(0); }}\n");
    for i in 1..20_000 {
        t.push_str(&format!("  else if (a === {i}) f({i});\n"));
    }
    t.push_str(TAIL);
    std::fs::write(dir.path().join("ladder.js"), t).expect("write");
    let (code, out, err) = compact(dir.path(), &["ladder.js"]);
    no_panic(&err);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("chain of 19999 `else if` branches (limit 5000); not analysed"),
        "{out}"
    );
}
