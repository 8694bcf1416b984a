//! Whole-project fixtures: each folder under `fixtures/_projects/` is a small project (a pool in
//! `db.js`, SQL constants, a DAL, wrappers, routes; CommonJS, ESM and TypeScript with `paths`).
//! Expectations are written in the code: a line that must be reported ends with
//! `// expect: <rule-id> [<rule-id>...]`; every other line must be silent. The whole project's
//! pretty output is snapshotted too (it shows the labels and the related locations in other files).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use txlint::config::FileSettings;
use txlint::discover::{DiscoverOptions, discover};
use txlint::engine::{EngineOptions, collect, lint_files_with_schema};
use txlint::report::{self, Format, PrettyOptions};

fn projects() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/_projects"))
        .expect("fixtures/_projects exists")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| PathBuf::from("fixtures/_projects").join(e.file_name()))
        .collect();
    out.sort();
    out
}

/// (file, line, rule) for every `// expect:` comment under a project.
fn expectations(files: &[PathBuf]) -> BTreeSet<(PathBuf, u32, String)> {
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(root().join(f)).expect("readable");
        for (i, line) in text.split('\n').enumerate() {
            if let Some(pos) = line.find("// expect:") {
                for id in line[pos + "// expect:".len()..].split_whitespace() {
                    out.insert((f.clone(), i as u32 + 1, id.to_string()));
                }
            }
        }
    }
    out
}

fn lint_project(dir: &Path, prefilter: bool) -> txlint::report::RunResult {
    let found = discover(&[dir.to_path_buf()], DiscoverOptions { no_ignore: true }).expect("discover");
    let files: Vec<(PathBuf, FileSettings)> = found.files.into_iter().map(|f| (f, FileSettings::default())).collect();
    let n = files.len();
    let engine = EngineOptions {
        threads: 2,
        prefilter,
        ..EngineOptions::default()
    };
    let outcomes = lint_files_with_schema(&files, &found.schema_files, engine).expect("lint");
    let mut run = collect(outcomes, Vec::new(), n, std::time::Instant::now());
    run.duration = Duration::ZERO;
    run
}

#[test]
fn projects_report_exactly_their_expectations() {
    std::env::set_current_dir(root()).expect("cd to the crate root");
    let mut checked = 0;
    for dir in projects() {
        let found = discover(std::slice::from_ref(&dir), DiscoverOptions { no_ignore: true }).expect("discover");
        let expected = expectations(&found.files);
        let run = lint_project(&dir, true);
        let actual: BTreeSet<(PathBuf, u32, String)> = run
            .diagnostics
            .iter()
            .map(|d| {
                let line = run.source(&d.path).map(|s| s.line_col(d.range.start).line).unwrap_or(0);
                (d.path.clone(), line, d.rule.to_string())
            })
            .collect();
        assert_eq!(
            actual,
            expected,
            "{}: findings differ from the `// expect:` comments",
            dir.display()
        );
        // The prefilter only decides what is parsed, never what is found.
        let unfiltered = lint_project(&dir, false);
        assert_eq!(
            unfiltered.diagnostics,
            run.diagnostics,
            "{}: --no-prefilter changes the findings",
            dir.display()
        );
        let mut out = Vec::new();
        let opts = PrettyOptions {
            color: false,
            width: 100,
            summary: false,
        };
        report::write(Format::Pretty, &run, &opts, &mut out).expect("render");
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("x").to_string();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root().join("tests/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(format!("projects__{name}"), String::from_utf8_lossy(&out)));
        checked += 1;
    }
    assert!(checked >= 10, "expected the project fixtures, found {checked}");
}

#[test]
fn sarif_carries_related_locations_in_other_files() {
    std::env::set_current_dir(root()).expect("cd to the crate root");
    let run = lint_project(Path::new("fixtures/_projects/esm_check_then_insert"), true);
    let mut out = Vec::new();
    report::write(Format::Sarif, &run, &PrettyOptions::default(), &mut out).expect("render");
    let sarif: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let result = &sarif["runs"][0]["results"][0];
    let related = result["relatedLocations"].as_array().expect("relatedLocations");
    let uris: Vec<&str> = related
        .iter()
        .filter_map(|l| l["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(
        uris.iter().any(|u| u.ends_with("esm_check_then_insert/dal/users.js")),
        "related locations should name the DAL: {uris:?}"
    );
    assert!(
        uris.iter()
            .any(|u| u.ends_with("esm_check_then_insert/routes/users.js"))
    );
}
