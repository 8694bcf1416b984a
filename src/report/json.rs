//! The JSON output: a versioned document of its own (not our internal structs serialized).
//! Fields are added, never renamed or removed; `version` changes only if that promise breaks.

use std::io::{self, Write};

use serde::Serialize;

use super::{RunResult, display_path, docs_url, fingerprints};
use crate::diagnostic::{Applicability, Severity};

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    diagnostics: Vec<Finding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'a str,
    severity: Severity,
    path: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    /// Byte offsets of the primary span.
    start: u32,
    end: u32,
    message: &'a str,
    help: Option<&'a str>,
    labels: Vec<LabelOut<'a>>,
    /// Locations in other files: the helper that really sends a statement.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<RelatedOut<'a>>,
    suggestion: Option<Suggestion<'a>>,
    function: Option<&'a str>,
    fingerprint: String,
    /// The rule's documentation (as SARIF's `helpUri`).
    docs_url: String,
}

#[derive(Serialize)]
struct RelatedOut<'a> {
    path: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct LabelOut<'a> {
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct Suggestion<'a> {
    title: &'a str,
    applicability: Applicability,
    /// The safe pattern written with the code's own names.
    code: Option<&'a str>,
    edits: Vec<EditOut<'a>>,
}

#[derive(Serialize)]
struct EditOut<'a> {
    start: u32,
    end: u32,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    text: &'a str,
}

pub fn write(run: &RunResult, out: &mut dyn Write) -> io::Result<()> {
    let prints = fingerprints(run);
    let diagnostics = run
        .diagnostics
        .iter()
        .zip(prints)
        .map(|(d, fingerprint)| {
            let (start, end) = run.positions(d);
            let src = run.source(&d.path);
            let pos = |o: u32| src.map(|s| s.line_col(o)).unwrap_or(start);
            let labels = d
                .labels
                .iter()
                .map(|l| {
                    let (s, e) = (pos(l.range.start), pos(l.range.end));
                    LabelOut {
                        line: s.line,
                        column: s.column,
                        end_line: e.line,
                        end_column: e.column,
                        message: &l.message,
                    }
                })
                .collect();
            let suggestion = match (&d.fix, &d.example) {
                (None, None) => None,
                (fix, code) => Some(Suggestion {
                    title: fix
                        .as_ref()
                        .map(|f| f.title.as_str())
                        .or(d.help.as_deref())
                        .unwrap_or(""),
                    applicability: fix
                        .as_ref()
                        .map(|f| f.applicability)
                        .unwrap_or(Applicability::Suggestion),
                    code: code.as_deref(),
                    edits: fix
                        .iter()
                        .flat_map(|f| &f.edits)
                        .map(|e| {
                            let (s, t) = (pos(e.range.start), pos(e.range.end));
                            EditOut {
                                start: e.range.start,
                                end: e.range.end,
                                line: s.line,
                                column: s.column,
                                end_line: t.line,
                                end_column: t.column,
                                text: &e.text,
                            }
                        })
                        .collect(),
                }),
            };
            Finding {
                rule: d.rule,
                severity: d.severity,
                path: display_path(&d.path),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                start: d.range.start,
                end: d.range.end,
                message: &d.message,
                help: d.help.as_deref(),
                labels,
                related: d
                    .related
                    .iter()
                    .map(|r| RelatedOut {
                        path: display_path(&r.path),
                        line: r.line,
                        column: r.column,
                        end_line: r.end_line,
                        end_column: r.end_column,
                        message: &r.message,
                    })
                    .collect(),
                suggestion,
                function: d.context.as_deref(),
                fingerprint,
                docs_url: docs_url(d.rule),
            }
        })
        .collect();
    let doc = Document {
        version: 1,
        tool: Tool {
            name: "txlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        diagnostics,
        summary: Summary {
            files: run.files_scanned,
            errors: run.count(Severity::Error),
            warnings: run.count(Severity::Warning),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
