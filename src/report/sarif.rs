//! SARIF 2.1.0, written with our own serde structs (as oxc and ruff do), shaped for GitHub code
//! scanning: every rule described from `rules/<id>.md`, relative URIs under `%SRCROOT%`, columns
//! in Unicode code points, stable `partialFingerprints`, and `fixes` where an edit exists.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde::Serialize;

use super::{INFORMATION_URI, RunResult, display_path, docs_url, fingerprints, tool_diagnostic_doc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    original_uri_base_ids: serde_json::Value,
    column_kind: &'static str,
    results: Vec<ResultOut<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<RuleDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: DefaultConfiguration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct DefaultConfiguration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: serde_json::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<FixOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FixOut {
    description: Text,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn descriptor(id: &str) -> Option<RuleDescriptor> {
    let (severity, summary, doc, tags, security) = match rules::find(id) {
        Some(rule) => {
            let meta = rule.meta();
            (
                meta.severity,
                meta.summary(),
                meta.doc,
                vec!["correctness", "database", "transactions"],
                match meta.severity {
                    Severity::Error => "7.0",
                    Severity::Warning => "4.0",
                },
            )
        }
        None => {
            let (summary, doc) = tool_diagnostic_doc(id)?;
            let severity = if id == crate::PARSE_ERROR {
                Severity::Error
            } else {
                Severity::Warning
            };
            (severity, summary, doc, vec!["txlint"], "1.0")
        }
    };
    let full = doc_first_section(doc);
    Some(RuleDescriptor {
        id: id.to_string(),
        name: pascal(id),
        short_description: Text {
            text: summary.to_string(),
        },
        full_description: Text { text: full },
        help: Help {
            text: doc.to_string(),
            markdown: doc.to_string(),
        },
        help_uri: docs_url(id),
        default_configuration: DefaultConfiguration { level: level(severity) },
        properties: RuleProperties {
            tags,
            precision: "high",
            security_severity: security,
            problem_severity: level(severity),
        },
    })
}

/// Summary plus the "Why is this bad?" section, as plain text.
fn doc_first_section(doc: &str) -> String {
    let summary = rules::doc_summary(doc);
    let why: Vec<&str> = crate::source::lines(doc)
        .skip_while(|l| !l.starts_with("## Why"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .collect();
    let why = why.join("\n");
    let why = why.trim();
    if why.is_empty() {
        summary.to_string()
    } else {
        format!("{summary} {}", why.replace('\n', " "))
    }
}

fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

pub fn write(run: &RunResult, out: &mut dyn Write) -> io::Result<()> {
    // Every rule that ran, plus tool diagnostics that occur.
    let mut ids: BTreeSet<&str> = run.rules.iter().copied().collect();
    for d in &run.diagnostics {
        ids.insert(d.rule);
    }
    let descriptors: Vec<RuleDescriptor> = ids.iter().filter_map(|id| descriptor(id)).collect();
    let index_of = |id: &str| descriptors.iter().position(|r| r.id == id).unwrap_or(0);
    let prints = fingerprints(run);
    let results = run
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(d, fp)| result(run, d, fp, index_of(d.rule)))
        .collect();
    let root = std::env::current_dir()
        .map(|p| {
            let s = p.to_string_lossy().replace('\\', "/");
            let s = if s.ends_with('/') { s } else { format!("{s}/") };
            if s.starts_with('/') {
                format!("file://{s}")
            } else {
                format!("file:///{s}")
            }
        })
        .unwrap_or_else(|_| "file:///".to_string());
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "txlint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: descriptors,
                },
            },
            original_uri_base_ids: serde_json::json!({ "%SRCROOT%": { "uri": root } }),
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

fn artifact(d: &Diagnostic) -> ArtifactLocation {
    ArtifactLocation {
        uri: uri_escape(&display_path(&d.path)),
        uri_base_id: "%SRCROOT%",
    }
}

/// Percent-encodes what a relative URI reference cannot hold as is.
fn uri_escape(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'@'
            | b'+'
            | b'='
            | b','
            | b';'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A region; `exact` keeps an empty range empty (an insertion point in a fix).
fn region(run: &RunResult, d: &Diagnostic, range: crate::source::TextRange, exact: bool) -> Region {
    let (s, e) = match run.source(&d.path) {
        Some(src) => (src.line_col(range.start), src.line_col(range.end)),
        None => run.positions(d),
    };
    // An empty region still needs end >= start.
    let end_column = if !exact && e.line == s.line && e.column <= s.column {
        s.column + 1
    } else {
        e.column
    };
    Region {
        start_line: s.line,
        start_column: s.column,
        end_line: e.line,
        end_column,
    }
}

fn result<'a>(run: &RunResult, d: &'a Diagnostic, fp: String, rule_index: usize) -> ResultOut<'a> {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(". ");
        message.push_str(help);
    }
    let mut related: Vec<Location> = d
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| Location {
            id: Some(i + 1),
            physical_location: PhysicalLocation {
                artifact_location: artifact(d),
                region: region(run, d, l.range, false),
            },
            message: Some(Text {
                text: l.message.clone(),
            }),
        })
        .collect();
    // Where a helper of another module really sends the statement.
    for r in &d.related {
        related.push(Location {
            id: Some(related.len() + 1),
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri_escape(&display_path(&r.path)),
                    uri_base_id: "%SRCROOT%",
                },
                region: Region {
                    start_line: r.line,
                    start_column: r.column,
                    end_line: r.end_line,
                    end_column: if r.end_line == r.line && r.end_column <= r.column {
                        r.column + 1
                    } else {
                        r.end_column
                    },
                },
            },
            message: Some(Text {
                text: r.message.clone(),
            }),
        });
    }
    let fixes = d
        .fix
        .iter()
        .filter(|f| !f.edits.is_empty())
        .map(|f| FixOut {
            description: Text { text: f.title.clone() },
            artifact_changes: vec![ArtifactChange {
                artifact_location: artifact(d),
                replacements: f
                    .edits
                    .iter()
                    .map(|e| Replacement {
                        deleted_region: region(run, d, e.range, true),
                        inserted_content: Text { text: e.text.clone() },
                    })
                    .collect(),
            }],
        })
        .collect();
    ResultOut {
        rule_id: d.rule,
        rule_index,
        level: level(d.severity),
        message: Text { text: message },
        locations: vec![Location {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: artifact(d),
                region: region(run, d, d.range, false),
            },
            message: None,
        }],
        related_locations: related,
        partial_fingerprints: serde_json::json!({ "txlintFingerprint/v1": fp }),
        fixes,
    }
}
