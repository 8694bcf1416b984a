//! The rule docs are part of the product: `txlint explain`, SARIF help and the README table all
//! come from `rules/<id>.md`. These tests keep docs, fixtures, README and the registry in step,
//! and run each doc's examples (the `## Example` block must trigger its rule, `## Use instead` not).

mod common;

use std::collections::BTreeSet;

use common::*;
use txlint::rules::{self, RuleSet};
use txlint::source::SourceFile;

fn doc_ids() -> BTreeSet<String> {
    std::fs::read_dir(root().join("rules"))
        .expect("rules/ exists")
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".md"))
                .map(str::to_string)
        })
        .collect()
}

fn fixture_ids() -> BTreeSet<String> {
    std::fs::read_dir(root().join("fixtures"))
        .expect("fixtures/ exists")
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| !n.starts_with('_'))
        .collect()
}

fn registered() -> BTreeSet<String> {
    rules::ids().map(str::to_string).collect()
}

#[test]
fn registry_is_sorted() {
    let ids: Vec<&str> = rules::ids().collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rules::ALL must be sorted by id");
}

#[test]
fn every_rule_has_a_doc_and_fixtures_and_nothing_else_does() {
    assert_eq!(doc_ids(), registered(), "rules/*.md must match the registered rules");
    assert_eq!(
        fixture_ids(),
        registered(),
        "fixtures/<id>/ must match the registered rules"
    );
}

#[test]
fn readme_rules_table_matches_the_registry() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    for r in rules::ALL {
        let m = r.meta();
        let row = format!("| `{}` | {} | {} |", m.id, m.severity, m.summary());
        assert!(readme.contains(&row), "README.md lacks the row:\n{row}");
    }
    let rows = txlint::source::lines(&readme).filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, rules::ALL.len(), "README.md has rule rows for unknown rules");
}

fn section<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let start = doc.find(&format!("\n{heading}\n"))? + heading.len() + 2;
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(&rest[..end])
}

fn code_block(section: &str) -> Option<&str> {
    let start = section.find("```js\n")? + "```js\n".len();
    let end = section[start..].find("```")?;
    Some(&section[start..start + end])
}

#[test]
fn docs_have_the_fixed_shape() {
    for r in rules::ALL {
        let m = r.meta();
        assert!(
            m.doc.starts_with(&format!("# {}\n", m.id)),
            "{}: doc must start with `# {}`",
            m.id,
            m.id
        );
        assert!(!m.summary().is_empty(), "{}: no summary line", m.id);
        assert!(!m.summary().ends_with(':'), "{}: summary must be a sentence", m.id);
        for h in ["## Why is this bad?", "## Example", "## Use instead", "## Fix"] {
            assert!(section(m.doc, h).is_some(), "{}: missing section {h}", m.id);
        }
    }
}

#[test]
fn doc_examples_behave_as_documented() {
    for r in rules::ALL {
        let m = r.meta();
        let bad = section(m.doc, "## Example")
            .and_then(code_block)
            .expect("example block");
        let good = section(m.doc, "## Use instead")
            .and_then(code_block)
            .expect("use-instead block");
        let only = RuleSet::only(m.id);
        let bad_diags = lint(&SourceFile::new(format!("{}-example.js", m.id), bad.to_string()), &only);
        assert!(
            bad_diags.iter().any(|d| d.rule == m.id),
            "{}: the `## Example` block does not trigger the rule",
            m.id
        );
        let good_diags = lint(&SourceFile::new(format!("{}-fixed.js", m.id), good.to_string()), &only);
        assert!(
            good_diags.is_empty(),
            "{}: the `## Use instead` block triggers: {:?}",
            m.id,
            good_diags.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
    }
}
