//! End-to-end tests of the built binary: exit codes, reporters, SARIF shape.

mod common;

use std::process::{Command, Output};

use common::{root, txlint};

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

const BAD: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f };\n";
const GOOD: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f };\n";

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("good.js"), GOOD).expect("write");
    let clean = txlint(&["good.js"], dir.path());
    assert_eq!(code(&clean), 0, "{}", String::from_utf8_lossy(&clean.stdout));

    std::fs::write(dir.path().join("bad.js"), BAD).expect("write");
    let bad = txlint(&["."], dir.path());
    assert_eq!(code(&bad), 1);
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(out.contains("missing-transaction"), "{out}");

    let missing = txlint(&["does-not-exist"], dir.path());
    assert_eq!(code(&missing), 2);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does-not-exist"));

    let usage = txlint(&["--format", "nope", "."], dir.path());
    assert_eq!(code(&usage), 2);
}

#[test]
fn warnings_only_exit_zero_unless_over_max() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warn_only = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  const c = await pool.connect();\n  try {\n    await c.query('BEGIN');\n    await c.query('UPDATE a SET x = $1', [a]);\n    await c.query('COMMIT');\n  } catch (e) {\n    await c.query('ROLLBACK');\n    throw e;\n  } finally {\n    c.release();\n  }\n}\nmodule.exports = { f };\n";
    std::fs::write(dir.path().join("w.js"), warn_only).expect("write");
    let o = txlint(&["--format", "compact", "w.js"], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("warning [missing-retry]"), "{out}");
    assert_eq!(code(&o), 0);
    assert_eq!(code(&txlint(&["--max-warnings", "0", "w.js"], dir.path())), 1);
    assert_eq!(code(&txlint(&["--max-warnings", "1", "w.js"], dir.path())), 0);
}

#[test]
fn fixtures_directory_has_findings() {
    let o = txlint(&["--format", "compact", "fixtures/"], &root());
    assert_eq!(code(&o), 1);
}

#[test]
fn parse_errors_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("broken.js"), "pool.query(function (").expect("write");
    std::fs::write(dir.path().join("bad.js"), BAD).expect("write");
    std::fs::write(dir.path().join("latin1.js"), b"const s = '\xe9';\n").expect("write");
    std::fs::write(dir.path().join("binary.js"), b"\x00\x01\x02\xff\xfe").expect("write");
    let o = txlint(&["--format", "compact", "."], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("broken.js:1:"), "{out}");
    assert!(out.contains("error [parse-error]"), "{out}");
    assert!(
        out.contains("latin1.js:1:1: error [parse-error] file is not valid UTF-8"),
        "{out}"
    );
    assert!(out.contains("binary.js:1:1: warning [io-error] binary file"), "{out}");
    assert!(out.contains("[missing-transaction]"), "{out}");
    assert_eq!(code(&o), 1);
}

#[test]
fn sarif_of_the_fixtures_tree() {
    let o = txlint(&["--format", "sarif", "fixtures/"], &root());
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for id in txlint::rules::ids() {
        let n = rules.iter().filter(|r| r["id"] == id).count();
        assert_eq!(n, 1, "one rule entry for {id}");
        let r = rules.iter().find(|r| r["id"] == id).expect("rule");
        assert!(
            r["help"]["markdown"]
                .as_str()
                .is_some_and(|h| h.starts_with(&format!("# {id}")))
        );
        assert!(r["shortDescription"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(r["defaultConfiguration"]["level"].is_string());
    }
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.starts_with('/') && !uri.contains("://"), "relative uri: {uri}");
        assert!(uri.starts_with("fixtures/"), "{uri}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(loc["region"]["startLine"].as_u64().is_some_and(|l| l >= 1));
        assert!(r["partialFingerprints"].as_object().is_some_and(|f| !f.is_empty()));
    }
}

#[test]
fn rules_and_explain() {
    let o = txlint(&["rules"], &root());
    assert_eq!(code(&o), 0);
    let out = String::from_utf8_lossy(&o.stdout);
    for id in txlint::rules::ids() {
        assert!(out.contains(id), "{out}");
    }
    let o = txlint(&["explain", "missing-retry"], &root());
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("# missing-retry"));
    let o = txlint(&["explain", "missing-retri"], &root());
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `missing-retry`"));
}

#[test]
fn output_file_and_unwritable_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bad.js"), BAD).expect("write");
    let o = txlint(&["--format", "json", "--output", "out.json", "bad.js"], dir.path());
    assert_eq!(code(&o), 1);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.json")).expect("report written")).expect("json");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["diagnostics"][0]["rule"], "missing-transaction");
    let o = txlint(&["--output", "no/such/dir/out.txt", "bad.js"], dir.path());
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/dir/out.txt"));
}

#[test]
fn reporters_snapshot() {
    let file = "fixtures/missing-transaction/invalid/pool_two_inserts.js";
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(root().join("tests/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    for (format, name) in [("compact", "reporter__compact"), ("github", "reporter__github")] {
        let o = txlint(&["--format", format, file], &root());
        s.bind(|| insta::assert_snapshot!(name, String::from_utf8_lossy(&o.stdout)));
    }
}

#[test]
fn discovery_honours_ignores_and_skips_bundles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    for sub in ["src", "node_modules/pkg", "dist", "gen"] {
        std::fs::create_dir_all(p.join(sub)).expect("mkdir");
    }
    std::fs::write(p.join(".gitignore"), "dist/\n").expect("write");
    std::fs::write(p.join(".ignore"), "gen/\n").expect("write");
    for f in [
        "src/a.js",
        "node_modules/pkg/b.js",
        "dist/c.js",
        "gen/d.ts",
        "src/e.min.js",
        "src/f.d.ts",
    ] {
        std::fs::write(p.join(f), BAD).expect("write");
    }
    std::fs::write(p.join("src/notes.md"), BAD).expect("write");
    let files = |args: &[&str]| {
        let o = txlint(&[&["--format", "compact"], args].concat(), p);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut names: Vec<String> = txlint::source::lines(&out)
            .filter_map(|l| l.split(':').next().map(str::to_string))
            .collect();
        names.sort();
        names.dedup();
        names
    };
    assert_eq!(files(&["."]), vec!["src/a.js"]);
    assert_eq!(files(&["--no-ignore", "."]), vec!["dist/c.js", "gen/d.ts", "src/a.js"]);
    // Named files are always linted.
    assert_eq!(files(&["dist/c.js", "src/e.min.js"]), vec!["dist/c.js", "src/e.min.js"]);
}

#[test]
fn fix_adds_await_and_the_result_is_clean_and_parses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::fs::read_to_string(root().join("fixtures/unawaited-query/invalid/loop_without_await.js"))
        .expect("fixture");
    std::fs::write(dir.path().join("f.js"), &src).expect("write");
    let before = txlint(&["--format", "compact", "f.js"], dir.path());
    assert!(String::from_utf8_lossy(&before.stdout).contains("[unawaited-query]"));
    let o = txlint(&["--fix", "--format", "compact", "f.js"], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("[unawaited-query]"), "{out}");
    let fixed = std::fs::read_to_string(dir.path().join("f.js")).expect("read");
    assert!(fixed.contains("await client.query('INSERT INTO post_tags"), "{fixed}");
    assert_eq!(fixed.matches("await ").count(), src.matches("await ").count() + 1);
    let reparsed = txlint::source::SourceFile::new("f.js", fixed);
    assert!(txlint::parse::parse(&reparsed).is_ok());
    // Suggestions are never applied.
    std::fs::write(dir.path().join("g.js"), BAD).expect("write");
    txlint(&["--fix", "g.js"], dir.path());
    assert_eq!(std::fs::read_to_string(dir.path().join("g.js")).expect("read"), BAD);
}

#[test]
fn prefilter_hides_no_finding() {
    let with = txlint(&["--format", "json", "fixtures", "examples"], &root());
    let without = txlint(&["--format", "json", "--no-prefilter", "fixtures", "examples"], &root());
    let strip = |o: &Output| {
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        v["summary"] = serde_json::Value::Null;
        v
    };
    let (a, b) = (strip(&with), strip(&without));
    assert!(a["diagnostics"].as_array().is_some_and(|d| d.len() > 50));
    assert_eq!(a, b, "the prefilter must not change the findings");
}

#[test]
fn thread_count_does_not_change_output() {
    let one = txlint(
        &["--format", "compact", "--threads", "1", "fixtures", "examples"],
        &root(),
    );
    let four = txlint(
        &["--format", "compact", "--threads", "4", "fixtures", "examples"],
        &root(),
    );
    assert!(!one.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&four.stdout)
    );
    let one = txlint(&["--format", "sarif", "--threads", "1", "fixtures"], &root());
    let four = txlint(&["--format", "sarif", "--threads", "4", "fixtures"], &root());
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn stats_report_where_the_time_went() {
    let o = txlint(&["--stats", "--format", "compact", "fixtures"], &root());
    let err = String::from_utf8_lossy(&o.stderr);
    for phase in [
        "discovery",
        "reading",
        "prefilter",
        "parsing",
        "analysis",
        "reporting",
        "prefiltered",
    ] {
        assert!(err.contains(phase), "--stats lacks {phase}:\n{err}");
    }
}

#[test]
fn every_format_gives_the_same_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Non-ASCII text before the finding on its line, and the same file with old Mac line endings.
    let text = BAD.replace(
        "  await pool.query('INSERT INTO b",
        "  /* é€ */ await pool.query('INSERT INTO b",
    );
    std::fs::write(dir.path().join("utf8.js"), &text).expect("write");
    std::fs::write(dir.path().join("mac.js"), text.replace('\n', "\r")).expect("write");
    for name in ["utf8.js", "mac.js"] {
        let compact = txlint(&["--format", "compact", name], dir.path());
        let compact = String::from_utf8_lossy(&compact.stdout);
        let pos = compact.split(": ").next().expect("position").to_string();
        assert_eq!(pos, format!("{name}:5:18"), "{compact}");
        let pretty = txlint(&[name], dir.path());
        let pretty = String::from_utf8_lossy(&pretty.stdout);
        assert!(pretty.contains(&format!("[{pos}]")), "{pretty}");
        assert!(
            pretty.contains(" 5 │   /* é€ */ await pool.query('INSERT INTO b"),
            "line 5 alone in the snippet:\n{pretty}"
        );
        let json = txlint(&["--format", "json", name], dir.path());
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
        assert_eq!(
            (
                doc["diagnostics"][0]["line"].as_u64(),
                doc["diagnostics"][0]["column"].as_u64()
            ),
            (Some(5), Some(18))
        );
        let sarif = txlint(&["--format", "sarif", name], dir.path());
        let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("sarif");
        let region = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(5), Some(18))
        );
    }
}

#[test]
fn thread_counts_beyond_the_maximum_are_capped_with_a_warning() {
    let started = std::time::Instant::now();
    let many = txlint(&["--format", "compact", "--threads", "20000", "fixtures"], &root());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let err = String::from_utf8_lossy(&many.stderr);
    assert!(
        err.contains("warning: --threads 20000 is more than the maximum (256); using 256 threads"),
        "{err}"
    );
    let one = txlint(&["--format", "compact", "--threads", "1", "fixtures"], &root());
    assert_eq!(code(&many), code(&one));
    assert_eq!(many.stdout, one.stdout);
    // The same for rayon's environment variable, which sets the default.
    let o = Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(["--format", "compact", "fixtures"])
        .current_dir(root())
        .env("RAYON_NUM_THREADS", "20000")
        .output()
        .expect("run txlint");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("RAYON_NUM_THREADS=20000 is more than the maximum (256)"),
        "{err}"
    );
    assert_eq!(o.stdout, one.stdout);
    let help = txlint(&["--help"], &root());
    assert!(String::from_utf8_lossy(&help.stdout).contains("At most 256"));
}

#[test]
fn syntax_errors_are_reported_in_the_files_txlint_parses() {
    // As documented (README "Robustness", `--help` of `--no-prefilter`): a file the prefilter sets
    // aside is not parsed, so its syntax errors are not reported, unless a linted file imports it
    // or `--no-prefilter` parses everything; encoding problems are reported in every file.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("broken_db.js"), "pool.query('SELECT 1';\n").expect("write");
    std::fs::write(d.join("broken_ui.js"), "const x = ;\n").expect("write");
    std::fs::write(d.join("latin1_ui.js"), b"const s = '\xe9';\n").expect("write");
    std::fs::write(
        d.join("main.js"),
        "const { Pool } = require('pg');\nconst pool = new Pool();\nconst h = require('./helper');\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  await h.g(a);\n}\nmodule.exports = { f };\n",
    )
    .expect("write");
    std::fs::write(
        d.join("helper.js"),
        "function g(a) { return a +; }\nmodule.exports = { g };\n",
    )
    .expect("write");
    let files = |args: &[&str]| {
        let o = txlint(&[&["--format", "compact"], args].concat(), d);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        txlint::source::lines(&out)
            .map(|l| {
                let (path, rest) = l.split_once(':').expect("path");
                (path.to_string(), rest.contains("[parse-error]"))
            })
            .collect::<Vec<_>>()
    };
    let parse_errors = |v: Vec<(String, bool)>| v.into_iter().filter(|(_, p)| *p).map(|(f, _)| f).collect::<Vec<_>>();
    assert_eq!(
        parse_errors(files(&["."])),
        vec!["broken_db.js", "helper.js", "latin1_ui.js"]
    );
    assert_eq!(
        parse_errors(files(&["--no-prefilter", "."])),
        vec!["broken_db.js", "broken_ui.js", "helper.js", "latin1_ui.js"]
    );
    let help = txlint(&["--help"], &root());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--no-prefilter"), "{help}");
    assert!(help.contains("syntax errors"), "{help}");
}
