//! Bad input gets a clear message and the run goes on, never a panic: odd files, deep nesting,
//! huge files, links, permissions, bad paths, a reader that goes away.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{root, txlint};

fn compact(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = txlint(&[&["--format", "compact"], args].concat(), dir);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "txlint panicked:\n{stderr}");
}

#[test]
fn empty_and_whitespace_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("empty.js"), "").expect("write");
    std::fs::write(dir.path().join("blank.ts"), "\n\n   \r\n").expect("write");
    std::fs::write(dir.path().join("bom.js"), "\u{feff}pool.query('SELECT 1');\n").expect("write");
    let (code, out, err) = compact(dir.path(), &["--no-prefilter", "."]);
    no_panic(&err);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn deeply_nested_input_is_refused_not_crashed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 100_000;
    let files = [
        (
            "parens.js",
            format!("pool.query({}1{});\n", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "arrays.js",
            format!("pool.query({}1{});\n", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "callbacks.js",
            format!("pool.query({}g();{});\n", "f(function () {".repeat(n), "})".repeat(n)),
        ),
        // A comment ended by a lone `\r` (old Mac line ending) does not hide what follows.
        (
            "mac_comment.js",
            format!("// c\rpool.query({}1{});\r", "[".repeat(n), "]".repeat(n)),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    // A moderately deep chain without brackets (bounded for the debug build the tests use).
    std::fs::write(
        dir.path().join("unary.js"),
        format!("pool.query({}x);\n", "!".repeat(2_000)),
    )
    .expect("write");
    let (code, out, err) = compact(dir.path(), &["."]);
    no_panic(&err);
    assert_eq!(code, 1);
    for (name, _) in &files {
        assert!(
            out.contains(&format!("{name}:1:1: error [parse-error] file is nested")),
            "{name} should be refused as too deep:\n{out}"
        );
    }
    assert!(!out.contains("unary.js"), "{out}");
}

#[test]
fn a_50_mb_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("const { Pool } = require('pg');\nconst pool = new Pool();\n");
    text.push_str("const blob = '");
    text.push_str(&"x".repeat(50 << 20));
    text.push_str("';\nasync function f() {\n  await pool.query('INSERT INTO a VALUES (1)');\n  await pool.query('INSERT INTO b VALUES (1)');\n}\n");
    std::fs::write(dir.path().join("big.js"), &text).expect("write");
    // Over the default size limit: a warning, not analysed.
    let (code, out, err) = compact(dir.path(), &["big.js"]);
    no_panic(&err);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("big.js:1:1: warning [io-error] file is 50.0 MB over the size limit"),
        "{out}"
    );
    // With the limit raised, analysed.
    let (code, out, err) = compact(dir.path(), &["--max-file-size", "64MB", "big.js"]);
    no_panic(&err);
    assert_eq!(code, 1);
    assert!(out.contains("big.js:6:9: error [missing-transaction]"), "{out}");
}

#[cfg(unix)]
#[test]
fn links_loops_permissions_and_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("src/sub")).expect("mkdir");
    std::fs::write(d.join("src/ok.js"), "pool.query('SELECT 1');\n").expect("write");
    // A loop (sub/back -> src) and a dangling link.
    std::os::unix::fs::symlink(d.join("src"), d.join("src/sub/back")).expect("symlink");
    std::os::unix::fs::symlink(d.join("nowhere.js"), d.join("src/dangling.js")).expect("symlink");
    // A link to a file is followed.
    std::fs::write(d.join("target.js"), "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f() {\n  await pool.query('BEGIN');\n}\n").expect("write");
    std::os::unix::fs::symlink(d.join("target.js"), d.join("src/linked.js")).expect("symlink");
    // A file we may not read (root reads it anyway).
    let secret = d.join("src/secret.js");
    std::fs::write(&secret, "pool.query('SELECT 1');\n").expect("write");
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o000)).expect("chmod");
    let readable = std::fs::read(&secret).is_ok();

    let (code, out, err) = compact(d, &["src"]);
    no_panic(&err);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(
        out.contains("warning [io-error]") && out.contains("loop"),
        "a symlink loop is reported:\n{out}"
    );
    assert!(
        out.contains("dangling.js") && out.contains("io-error"),
        "a dangling link is reported:\n{out}"
    );
    assert!(
        out.contains("src/linked.js:4:9: error [pool-transaction]"),
        "links to files are followed:\n{out}"
    );
    if !readable {
        assert!(
            out.contains("secret.js:1:1: warning [io-error] cannot read file"),
            "{out}"
        );
    }

    // A directory where a file is expected, and a missing path: usage errors naming the path.
    let o = txlint(&["--config", "src", "src"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("src"));
    let o = txlint(&["--output", "src", "src/ok.js"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write output to src"));
    let o = txlint(&["src/missing.js"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("path not found: src/missing.js"));
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(["--format", "json", "--threads", "1", "fixtures", "examples"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).expect("read a line");
    assert!(!first.is_empty());
    // The reader (like `head -1`) is gone now.
    let o = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&o.stderr);
    no_panic(&err);
    assert!(err.trim().is_empty(), "quiet on a broken pipe:\n{err}");
    // The findings (errors) still decide the exit code, as in ruff and oxlint.
    assert_eq!(o.status.code(), Some(1), "{:?}", o.status);
}

#[cfg(unix)]
#[test]
fn path_arguments_name_the_os_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("locked")).expect("mkdir");
    std::fs::write(d.join("locked/a.js"), "pool.query('SELECT 1');\n").expect("write");
    std::fs::write(d.join("file.js"), "pool.query('SELECT 1');\n").expect("write");
    std::os::unix::fs::symlink(d.join("loop.js"), d.join("loop.js")).expect("symlink");
    let stderr = |args: &[&str]| {
        let o = txlint(args, d);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    // A path under a file, and a link to itself: not "not found", the OS error.
    let err = stderr(&["file.js/a.js"]);
    assert!(err.contains("cannot access file.js/a.js: Not a directory"), "{err}");
    let err = stderr(&["loop.js"]);
    assert!(
        err.contains("cannot access loop.js: Too many levels of symbolic links"),
        "{err}"
    );
    let err = stderr(&["missing.js"]);
    assert!(err.contains("path not found: missing.js"), "{err}");
    // `--config`: missing, a directory.
    let err = stderr(&["--config", "missing.json", "file.js"]);
    assert!(err.contains("configuration file not found: missing.json"), "{err}");
    let err = stderr(&["--config", "locked", "file.js"]);
    assert!(err.contains("locked is a directory"), "{err}");
    // A directory we may not search (root searches it anyway).
    std::fs::set_permissions(d.join("locked"), std::os::unix::fs::PermissionsExt::from_mode(0o000)).expect("chmod");
    if std::fs::metadata(d.join("locked/a.js")).is_err() {
        let err = stderr(&["locked/a.js"]);
        assert!(
            err.contains("permission denied: locked/a.js (Permission denied"),
            "{err}"
        );
    }
    std::fs::set_permissions(d.join("locked"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
}

#[test]
fn utf8_byte_order_mark_in_the_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(
        d.join(".txlintrc.json"),
        "\u{feff}{ \"rules\": { \"missing-transaction\": \"off\" } }\n",
    )
    .expect("write");
    std::fs::write(d.join("bad.js"), "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n}\n").expect("write");
    let (code, out, err) = compact(d, &["bad.js"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}
