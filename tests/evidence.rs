//! The code the database demonstrations run (`tests/evidence/cases/<rule>/`): `invalid.js` must be
//! what the rule reports, and `fixed.js` (txlint's suggestions applied) must be silent under every
//! rule, so that the harness (`node tests/evidence/run.mjs`, run by `.ci/run` against a real
//! PostgreSQL) measures the pattern txlint flags and the fix txlint proposes, nothing else.

mod common;

use std::path::PathBuf;

use common::*;
use txlint::rules::{self, RuleSet};

fn cases() -> Vec<(String, PathBuf)> {
    let dir = root().join("tests/evidence/cases");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("tests/evidence/cases exists")
        .flatten()
        .filter(|e| e.path().join("demo.mjs").is_file())
        .map(|e| {
            let id = e.file_name().to_string_lossy().into_owned();
            (id.clone(), PathBuf::from("tests/evidence/cases").join(id))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_case_is_named_after_a_rule() {
    let ids: Vec<&str> = rules::ids().collect();
    let cases = cases();
    assert!(!cases.is_empty(), "no evidence cases found");
    for (id, _) in &cases {
        assert!(
            ids.contains(&id.as_str()),
            "tests/evidence/cases/{id}: no rule has this id"
        );
    }
}

#[test]
fn every_rule_has_a_demonstration() {
    let cases: Vec<String> = cases().into_iter().map(|(id, _)| id).collect();
    for id in rules::ids() {
        assert!(
            cases.iter().any(|c| c == id),
            "{id}: no tests/evidence/cases/{id}/demo.mjs (every rule's damage is demonstrated)"
        );
    }
}

#[test]
fn the_invalid_pattern_is_what_the_rule_reports() {
    for (id, dir) in cases() {
        let file = load(&dir.join("invalid.js"));
        let diags = lint(&file, &RuleSet::all());
        assert!(
            diags.iter().any(|d| d.rule == id),
            "{}/invalid.js should be reported by {id}, got {:?}",
            dir.display(),
            diags.iter().map(|d| (d.rule, &d.message)).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_fixed_version_is_silent_under_every_rule() {
    for (_, dir) in cases() {
        let file = load(&dir.join("fixed.js"));
        let diags = lint(&file, &RuleSet::all());
        assert!(
            diags.is_empty(),
            "{}/fixed.js should be silent, got {:?}",
            dir.display(),
            diags.iter().map(|d| (d.rule, &d.message)).collect::<Vec<_>>()
        );
    }
}
