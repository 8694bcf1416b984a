//! Suggestions are correct code. For every finding on the rule fixtures:
//! - an edit (`--fix`, or a suggested edit) applied to the file parses, the finding is gone (with
//!   every finding of that rule in that function that carries the same edit), and no finding of
//!   another rule appears there;
//! - an example (the safe pattern written with the user's names, shown under the help) pasted
//!   into an async function parses and is silent under every rule, on the database the finding was
//!   made for: a transaction suggested for CockroachDB carries its 40001 retry.

mod common;

use common::*;
use txlint::LintOptions;
use txlint::diagnostic::Diagnostic;
use txlint::rules::{self, RuleSet};
use txlint::semantic::Database;
use txlint::source::SourceFile;

fn fixture_diagnostics(database: Database) -> Vec<(std::path::PathBuf, SourceFile, Vec<Diagnostic>)> {
    let opts = LintOptions { database };
    let mut out = Vec::new();
    for rule in rules::ids() {
        for rel in fixture_files(&format!("{rule}/invalid")) {
            let file = load(&rel);
            let diags = lint_with(&file, &RuleSet::only(rule), &opts);
            out.push((rel, file, diags));
        }
    }
    out
}

/// The example as a module of its own: inside an async function whose parameters are the names
/// examples use for the handles and the request.
fn example_module(example: &str) -> String {
    format!(
        "async function suggested(pool, client, req, res, next) {{\n{example}\n}}\nmodule.exports = {{ suggested }};\n"
    )
}

#[test]
fn examples_parse_and_are_silent_when_pasted_in() {
    for database in [Database::Cockroachdb, Database::Postgres] {
        let opts = LintOptions { database };
        let mut checked = 0;
        for (rel, _, diags) in fixture_diagnostics(database) {
            for d in diags.iter().filter(|d| d.example.is_some()) {
                let example = d.example.as_deref().unwrap_or_default();
                let text = example_module(example);
                let file = SourceFile::new(&rel, text.clone());
                assert!(
                    txlint::parse::parse(&file).is_ok(),
                    "{}: the {} example does not parse:\n{text}",
                    rel.display(),
                    d.rule
                );
                let found = lint_with(&file, &RuleSet::all(), &opts);
                assert!(
                    found.is_empty(),
                    "{} ({database:?}): the {} example, pasted in, is reported: {:?}\n{text}",
                    rel.display(),
                    d.rule,
                    found.iter().map(|f| (f.rule, &f.message)).collect::<Vec<_>>()
                );
                checked += 1;
            }
        }
        assert!(checked > 0, "no examples checked");
    }
}

#[test]
fn edits_parse_and_silence_the_rule_in_that_function() {
    let mut checked = 0;
    for (rel, file, diags) in fixture_diagnostics(Database::Cockroachdb) {
        let all_before = lint(&file, &RuleSet::all());
        for d in &diags {
            let Some(fix) = d.fix.as_ref().filter(|f| !f.edits.is_empty()) else {
                continue;
            };
            let patched = apply_edits(&file.text, &fix.edits);
            let after = SourceFile::new(&rel, patched.clone());
            assert!(
                txlint::parse::parse(&after).is_ok(),
                "{}: fix `{}` does not parse:\n{patched}",
                rel.display(),
                fix.title
            );
            let found = lint(&after, &RuleSet::all());
            // The finding is gone, and so is every finding of that rule in that function that
            // carries the same edit (a client-leak edit answers each exit of its client)...
            for same in diags
                .iter()
                .filter(|o| o.rule == d.rule && o.context == d.context && o.fix.as_ref() == Some(fix))
            {
                assert!(
                    !found
                        .iter()
                        .any(|f| f.rule == d.rule && f.context == d.context && f.message == same.message),
                    "{}: after `{}` {} still reports {:?}",
                    rel.display(),
                    fix.title,
                    d.rule,
                    same.message
                );
            }
            // ...and nothing new appears in that function.
            for f in found.iter().filter(|f| f.context == d.context) {
                assert!(
                    all_before.iter().any(|b| b.rule == f.rule && b.message == f.message),
                    "{}: `{}` introduces {} ({}):\n{patched}",
                    rel.display(),
                    fix.title,
                    f.rule,
                    f.message
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no edits checked");
}
