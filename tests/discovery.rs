//! Directory walks through the built binary: file names that are not UTF-8, one file reached
//! through several spellings or links, entries that are not regular files.
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BAD: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f };\n";

/// Runs `txlint --format compact ARGS` in `dir`; fails the test if it runs more than 60 s (a
/// blocked read of a FIFO would hang forever). Exit code, stdout, stderr.
fn compact(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args([&["--format", "compact"], args].concat())
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().expect("kill");
            panic!("txlint {args:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().expect("output");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn findings(out: &str) -> Vec<&str> {
    txlint::source::lines(out).collect()
}

#[test]
fn file_names_that_are_not_utf8_are_linted() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.ts");
    std::fs::create_dir(dir.path().join("src")).expect("mkdir");
    std::fs::write(dir.path().join("src").join(name), BAD.replace("f(a)", "f(a: number)")).expect("write");
    let (code, out, err) = compact(dir.path(), &["."]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        findings(&out),
        vec![
            "src/caf\u{fffd}.ts:5:9: error [missing-transaction] `INSERT INTO b` runs through `pool` outside a transaction after `INSERT INTO a` (line 4): if it fails, the first write stays committed"
        ],
        "linted as TypeScript, shown with a lossy name"
    );
}

#[test]
fn one_file_reached_through_several_spellings_is_linted_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("dir/sub")).expect("mkdir");
    std::fs::write(d.join("dir/sub/a.js"), BAD).expect("write");
    std::os::unix::fs::symlink(d.join("dir/sub/a.js"), d.join("dir/link.js")).expect("symlink");
    std::os::unix::fs::symlink(d.join("dir/sub"), d.join("dir/sublink")).expect("symlink");
    let abs = d.join("dir/sub/a.js").display().to_string();
    let expected = |path: &str| {
        vec![format!(
            "{path}:5:9: error [missing-transaction] `INSERT INTO b` runs through `pool` outside a transaction after `INSERT INTO a` (line 4): if it fails, the first write stays committed"
        )]
    };
    for args in [
        vec!["dir"],
        vec!["dir", "./dir/sub/a.js"],
        vec!["dir", "dir/sub/../sub/a.js", &abs, "./dir"],
        vec!["dir/sub", "dir/link.js", "dir/sublink"],
    ] {
        let (code, out, err) = compact(d, &args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert_eq!(findings(&out), expected("dir/sub/a.js"), "{args:?}");
    }
    // The first spelling given is the one shown.
    let (_, out, _) = compact(d, &["dir/sub/../sub/a.js", "dir"]);
    assert_eq!(findings(&out), expected("dir/sub/../sub/a.js"));
    let (_, out, _) = compact(d, &["dir/link.js", "dir"]);
    assert_eq!(findings(&out), expected("dir/link.js"));
}

#[test]
fn entries_that_are_not_regular_files_are_reported_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir(d.join("src")).expect("mkdir");
    std::fs::write(d.join("src/ok.js"), BAD).expect("write");
    let fifo = d.join("src/pipe.js");
    let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    std::os::unix::fs::symlink("/dev/zero", d.join("src/zero.js")).expect("symlink");
    let _socket = std::os::unix::net::UnixListener::bind(d.join("src/sock.ts")).expect("socket");
    // Other names are not txlint's business.
    std::os::unix::fs::symlink("/dev/null", d.join("src/null.txt")).expect("symlink");

    let (code, out, err) = compact(d, &["src"]);
    assert_eq!(code, 1, "{out}{err}");
    let mut expected = vec![
        "src/ok.js:5:9: error [missing-transaction]".to_string(),
        "src/sock.ts:1:1: warning [io-error] not a regular file (a socket): skipped".to_string(),
        "src/zero.js:1:1: warning [io-error] not a regular file (a character device): skipped".to_string(),
    ];
    if made {
        expected.insert(
            1,
            "src/pipe.js:1:1: warning [io-error] not a regular file (a FIFO): skipped".to_string(),
        );
    }
    let lines = findings(&out);
    assert_eq!(lines.len(), expected.len(), "{out}");
    for (line, want) in lines.iter().zip(&expected) {
        assert!(line.starts_with(want.as_str()), "{line}\nwant {want}");
    }

    // Named on the command line: reported the same, never opened.
    if made {
        let (code, out, err) = compact(d, &["src/pipe.js", "src/zero.js"]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(
            findings(&out),
            vec![
                "src/pipe.js:1:1: warning [io-error] not a regular file (a FIFO): skipped",
                "src/zero.js:1:1: warning [io-error] not a regular file (a character device): skipped",
            ]
        );
    }
}

#[test]
fn configuration_and_baseline_files_that_are_not_regular_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("ok.js"), BAD).expect("write");
    if !Command::new("mkfifo")
        .arg(d.join("fifo.json"))
        .status()
        .is_ok_and(|s| s.success())
    {
        return;
    }
    for (flag, what) in [("--config", "configuration file"), ("--baseline", "baseline")] {
        let (code, _, err) = compact(d, &[flag, "fifo.json", "ok.js"]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&format!("{what} fifo.json is not a regular file")),
            "{err}"
        );
    }
}

#[test]
fn an_ignore_file_that_is_a_fifo_does_not_block_the_walk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("src/odd")).expect("mkdir");
    std::fs::write(d.join("src/ok.js"), BAD).expect("write");
    std::fs::write(d.join("src/odd/a.js"), BAD).expect("write");
    if !Command::new("mkfifo")
        .arg(d.join("src/odd/.gitignore"))
        .status()
        .is_ok_and(|s| s.success())
    {
        return;
    }
    let (code, out, err) = compact(d, &["src"]);
    assert_eq!(code, 1, "{err}");
    let lines = findings(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        lines[0],
        "src/odd/.gitignore:1:1: warning [io-error] not a regular file (a FIFO): its directory is not linted"
    );
    assert!(
        lines[1].starts_with("src/ok.js:5:9: error [missing-transaction]"),
        "{out}"
    );
    // The walk's root, or a directory above it.
    for root in ["src/odd", "src/odd/.."] {
        let (_, out, _) = compact(d, &[root]);
        assert!(
            out.contains("not a regular file (a FIFO): its directory is not linted"),
            "{root}: {out}"
        );
    }
    // Not read at all with --no-ignore.
    let (code, out, _) = compact(d, &["--no-ignore", "src"]);
    assert_eq!((code, findings(&out).len()), (1, 2), "{out}");
}
