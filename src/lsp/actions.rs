//! Code actions (a finding's edits as a quick fix, a suppression comment) and hover (the rule's
//! documentation) on the findings of an open document.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Hover, HoverContents, MarkupContent, MarkupKind, Position, Range,
    TextEdit, WorkspaceEdit,
};

use super::convert;
use super::state::Document;
use crate::diagnostic::{Applicability, Diagnostic};
use crate::source::SourceFile;

const DISABLE: &str = "// txlint-disable-next-line ";

/// Whether two protocol ranges touch (an empty request range at a finding's edge counts).
fn touches(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The actions for the findings of `doc` that touch `range`.
pub fn code_actions(doc: &Document, range: Range) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    for d in &doc.findings {
        if !touches(convert::range(&doc.file, d.range), range) {
            continue;
        }
        let shown = doc
            .published
            .as_ref()
            .and_then(|p| {
                p.iter()
                    .find(|x| x.range == convert::range(&doc.file, d.range) && x.code == code(d))
            })
            .cloned();
        let diagnostics = shown.map(|s| vec![s]);
        if let Some(fix) = &d.fix
            && !fix.edits.is_empty()
        {
            let edits: Vec<TextEdit> = fix.edits.iter().map(|e| convert::text_edit(&doc.file, e)).collect();
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: diagnostics.clone(),
                edit: Some(workspace_edit(doc, edits)),
                is_preferred: Some(fix.applicability == Applicability::Safe),
                ..CodeAction::default()
            }));
        }
        // Only rules can be suppressed (not parse or read errors, nor unused suppressions).
        if crate::rules::find(d.rule).is_some() {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Disable {} for this line", d.rule),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics,
                edit: Some(workspace_edit(doc, vec![disable_edit(&doc.file, d)])),
                ..CodeAction::default()
            }));
        }
    }
    out
}

fn code(d: &Diagnostic) -> Option<lsp_types::NumberOrString> {
    Some(lsp_types::NumberOrString::String(d.rule.to_string()))
}

fn workspace_edit(doc: &Document, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(doc.uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// `// txlint-disable-next-line <rule>` above the line the finding starts on (see `suppress`),
/// indented as that line; added to a directive already there (`a, b`) when it gives no reason.
fn disable_edit(file: &SourceFile, d: &Diagnostic) -> TextEdit {
    let line = file.index.line_of(d.range.start);
    if line > 0 {
        let above = file.index.line_text(&file.text, line - 1);
        let trimmed = above.trim_end();
        if trimmed.trim_start().starts_with(DISABLE) && !trimmed.contains(" -- ") {
            let end = Position::new(line as u32 - 1, utf16(trimmed));
            return TextEdit::new(Range::new(end, end), format!(", {}", d.rule));
        }
    }
    let start = file.index.line_start(line);
    let text = file.index.line_text(&file.text, line);
    let indent = &text[..text.len() - text.trim_start().len()];
    let newline = line_ending(&file.text);
    let at = convert::position(file, start);
    TextEdit::new(Range::new(at, at), format!("{indent}{DISABLE}{}{newline}", d.rule))
}

/// The file's line ending (its first one; `\n` when it has none).
fn line_ending(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text[i..].starts_with('\r') => "\r",
        _ => "\n",
    }
}

fn utf16(s: &str) -> u32 {
    s.chars().map(|c| c.len_utf16() as u32).sum()
}

/// The documentation of the rules whose findings cover `at`, as markdown.
pub fn hover(doc: &Document, at: Position) -> Option<Hover> {
    let offset = convert::offset(&doc.file, at);
    let mut ids: Vec<&'static str> = Vec::new();
    let mut covered = None;
    for d in &doc.findings {
        if d.range.start <= offset && offset <= d.range.end && crate::rules::find(d.rule).is_some() {
            if !ids.contains(&d.rule) {
                ids.push(d.rule);
            }
            covered.get_or_insert(d.range);
        }
    }
    let value = ids
        .iter()
        .filter_map(|id| crate::rules::find(id))
        .map(|r| r.meta().doc.to_string())
        .collect::<Vec<_>>()
        .join("\n\n---\n\n");
    if value.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: covered.map(|r| convert::range(&doc.file, r)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::source::TextRange;

    fn finding(file: &SourceFile, at: &str) -> Diagnostic {
        let start = file.text.find(at).unwrap_or_default() as u32;
        Diagnostic::new(
            "missing-transaction",
            Severity::Error,
            TextRange::new(start, start + 3),
            "m",
        )
    }

    #[test]
    fn disable_comment_is_indented_above_the_line() {
        let f = SourceFile::new("a.js", "function f() {\r\n  await x();\r\n}\r\n".to_string());
        let e = disable_edit(&f, &finding(&f, "await"));
        assert_eq!(e.range, Range::new(Position::new(1, 0), Position::new(1, 0)));
        assert_eq!(e.new_text, "  // txlint-disable-next-line missing-transaction\r\n");
    }

    #[test]
    fn disable_joins_a_directive_already_there() {
        let f = SourceFile::new(
            "a.js",
            "  // txlint-disable-next-line missing-retry\n  await x();\n".to_string(),
        );
        let e = disable_edit(&f, &finding(&f, "await"));
        assert_eq!(e.range.start, Position::new(0, 43));
        assert_eq!(e.new_text, ", missing-transaction");
    }
}
