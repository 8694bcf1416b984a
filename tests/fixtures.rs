//! Every fixture under `fixtures/<rule>/{invalid,valid}/`: invalid ones must trigger their rule
//! (pretty and JSON output snapshotted, each fix applied and re-parsed), valid ones must not.
//! `fixtures/_clean/` must be silent under every rule.

mod common;

use common::*;
use txlint::report::Format;
use txlint::rules::{self, RuleSet};

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(root().join("tests/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

#[test]
fn invalid_fixtures_trigger_their_rule() {
    let mut checked = 0;
    for rule in rules::ids() {
        let files = fixture_files(&format!("{rule}/invalid"));
        for rel in files {
            let file = load(&rel);
            let diags = lint(&file, &RuleSet::only(rule));
            assert!(
                diags.iter().any(|d| d.rule == rule),
                "{} should trigger {rule}, got {:?}",
                rel.display(),
                diags.iter().map(|d| (d.rule, &d.message)).collect::<Vec<_>>()
            );
            let stem = rel
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("x")
                .replace('.', "_");
            let mut snapshot = render(Format::Pretty, &file, diags.clone());
            for d in &diags {
                if let Some(fix) = &d.fix
                    && !fix.edits.is_empty()
                {
                    let patched = apply_edits(&file.text, &fix.edits);
                    let reparsed = txlint::source::SourceFile::new(&rel, patched.clone());
                    assert!(
                        txlint::parse::parse(&reparsed).is_ok(),
                        "fix `{}` for {} does not parse:\n{patched}",
                        fix.title,
                        rel.display()
                    );
                    snapshot.push_str(&format!(
                        "\n--- fix: {} ({:?})\n{}",
                        fix.title, fix.applicability, patched
                    ));
                }
            }
            settings().bind(|| {
                insta::assert_snapshot!(format!("{rule}__invalid__{stem}"), snapshot);
                insta::assert_snapshot!(
                    format!("{rule}__invalid__{stem}.json"),
                    render(Format::Json, &file, diags)
                );
            });
            checked += 1;
        }
    }
    assert!(checked > 0, "no invalid fixtures found");
}

#[test]
fn valid_fixtures_stay_silent() {
    let mut checked = 0;
    for rule in rules::ids() {
        for rel in fixture_files(&format!("{rule}/valid")) {
            let file = load(&rel);
            let diags = lint(&file, &RuleSet::only(rule));
            assert!(
                diags.is_empty(),
                "{} should not trigger {rule}:\n{}",
                rel.display(),
                render(Format::Compact, &file, diags)
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no valid fixtures found");
}

#[test]
fn every_rule_has_enough_fixtures() {
    for rule in rules::ids() {
        let invalid = fixture_files(&format!("{rule}/invalid")).len();
        let valid = fixture_files(&format!("{rule}/valid")).len();
        assert!(invalid >= 8, "{rule}: {invalid} invalid fixtures, want at least 8");
        assert!(valid >= 8, "{rule}: {valid} valid fixtures, want at least 8");
    }
}

#[test]
fn clean_code_is_silent_under_all_rules() {
    let files = fixture_files("_clean");
    assert!(!files.is_empty(), "fixtures/_clean is empty");
    for rel in files {
        let file = load(&rel);
        let diags = lint(&file, &RuleSet::all());
        assert!(
            diags.is_empty(),
            "{} should be clean:\n{}",
            rel.display(),
            render(Format::Compact, &file, diags)
        );
    }
}
