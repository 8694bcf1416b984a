//! `--fix` never loses a byte: the byte order mark and every offset as on disk, no `await` where
//! it would not parse, a refused fix leaves the file as it was, a file that cannot be written is a
//! warning and the run goes on, and a report never replaces a source file.

mod common;

use std::process::Output;

use common::txlint;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A transaction whose INSERT in a loop is not awaited (`unawaited-query`, safe fix: `await`).
const FLOATING: &str = "async function addTags(client, id, tags) {\n  await client.query('BEGIN');\n  try {\n    for (const t of tags) {\n      client.query('INSERT INTO tags (id, t) VALUES ($1, $2)', [id, t]);\n    }\n    await client.query('COMMIT');\n  } catch (e) {\n    await client.query('ROLLBACK');\n    throw e;\n  }\n}\nmodule.exports = { addTags };\n";

/// The same at the top level of a file (a migration script).
const TOP_LEVEL: &str = "const { Client } = require('pg');\nconst client = new Client();\nclient.query('BEGIN');\nfor (const t of ['a', 'b']) {\n  client.query('INSERT INTO tags (t) VALUES ($1)', [t]);\n}\nclient.query('COMMIT');\n";

#[test]
fn byte_order_mark_kept_and_offsets_are_on_disk_offsets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!("\u{feff}{FLOATING}");
    std::fs::write(dir.path().join("bom.js"), &text).expect("write");
    let o = txlint(&["--format", "json", "bom.js"], dir.path());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let d = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == "unawaited-query")
        .expect("finding")
        .clone();
    let start = d["start"].as_u64().expect("start") as usize;
    assert!(
        text[start..].starts_with("client.query('INSERT"),
        "offset {start} is not on disk"
    );
    let edit = &d["suggestion"]["edits"][0];
    assert_eq!(edit["start"].as_u64(), Some(start as u64), "{d}");
    // Columns are counted after the mark, as editors do: line 5, column 7.
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(5), Some(7)), "{d}");

    txlint(&["--fix", "bom.js"], dir.path());
    let fixed = std::fs::read(dir.path().join("bom.js")).expect("read");
    assert!(fixed.starts_with("\u{feff}".as_bytes()), "byte order mark dropped");
    let fixed = String::from_utf8(fixed).expect("utf-8");
    assert_eq!(
        fixed,
        text.replacen("      client.query('INSERT", "      await client.query('INSERT", 1)
    );
}

#[test]
fn no_await_added_at_the_top_level_of_a_script_or_commonjs_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["migrate.js", "migrate.cjs", "migrate.ts"] {
        std::fs::write(dir.path().join(name), TOP_LEVEL).expect("write");
        let o = txlint(&["--fix", "--format", "compact", name], dir.path());
        assert_eq!(
            std::fs::read_to_string(dir.path().join(name)).expect("read"),
            TOP_LEVEL,
            "{name} was modified"
        );
        let out = stdout(&o);
        assert!(
            out.contains("[unawaited-query]"),
            "{name}: the finding stays, unfixed:\n{out}"
        );
    }
    // An ES module by its extension may await at the top level.
    std::fs::write(dir.path().join("migrate.mjs"), TOP_LEVEL).expect("write");
    txlint(&["--fix", "migrate.mjs"], dir.path());
    let fixed = std::fs::read_to_string(dir.path().join("migrate.mjs")).expect("read");
    assert!(fixed.contains("  await client.query('INSERT"), "{fixed}");
    // So may a file that already awaits at its top level.
    let tla = format!("await Promise.resolve();\n{TOP_LEVEL}");
    std::fs::write(dir.path().join("tla.js"), &tla).expect("write");
    txlint(&["--fix", "tla.js"], dir.path());
    let fixed = std::fs::read_to_string(dir.path().join("tla.js")).expect("read");
    assert!(fixed.contains("  await client.query('INSERT"), "{fixed}");
}

#[cfg(unix)]
#[test]
fn a_read_only_file_is_a_warning_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a_ro.js"), FLOATING).expect("write");
    std::fs::set_permissions(dir.path().join("a_ro.js"), std::fs::Permissions::from_mode(0o444)).expect("chmod");
    std::fs::write(dir.path().join("b_rw.js"), FLOATING).expect("write");
    let o = txlint(&["--fix", "--format", "compact", "."], dir.path());
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "warnings only: {out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("a_ro.js") && out.contains("read-only"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a_ro.js")).expect("read"),
        FLOATING
    );
    let fixed = std::fs::read_to_string(dir.path().join("b_rw.js")).expect("read");
    assert!(
        fixed.contains("await client.query('INSERT"),
        "the other file is fixed: {fixed}"
    );
    // The read-only file keeps its finding; the fixed one has none left.
    assert!(out.contains("a_ro.js:5:7: warning [unawaited-query]"), "{out}");
    assert!(!out.contains("b_rw.js:5"), "{out}");
}

#[test]
fn the_report_never_replaces_an_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("src")).expect("mkdir");
    std::fs::write(dir.path().join("src/a.js"), FLOATING).expect("write");
    for (args, what) in [
        (vec!["--output", "src/a.js", "src"], "--output"),
        (
            vec!["--output", "./src/../src/a.js", "src/a.js"],
            "--output, another spelling",
        ),
        (vec!["--write-baseline", "src/a.js", "src"], "--write-baseline"),
    ] {
        let o = txlint(&args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{what}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("is one of the files being linted"), "{what}: {err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/a.js")).expect("read"),
            FLOATING,
            "{what}"
        );
    }
    // Another file is fine.
    let o = txlint(&["--output", "report.txt", "src"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(dir.path().join("report.txt"))
            .expect("report")
            .contains("unawaited-query")
    );
    // An existing report is replaced whole (temporary file + rename), keeping its permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let report = dir.path().join("report.txt");
        std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        txlint(&["--output", "report.txt", "--format", "json", "src"], dir.path());
        let mode = std::fs::metadata(&report).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert!(std::fs::read_to_string(&report).expect("report").starts_with('{'));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
    }
}
