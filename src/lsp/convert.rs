//! Between txlint's model (byte offsets, 1-based lines and code-point columns, paths) and the
//! protocol's (0-based lines, UTF-16 columns, `file://` URIs).

use std::path::{Path, PathBuf};

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
    TextEdit, Uri,
};

use crate::diagnostic::{Diagnostic, Edit, Severity};
use crate::source::{SourceFile, TextRange};

/// The path of a `file://` URI (None for other schemes).
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let url = url::Url::parse(uri.as_str()).ok()?;
    url.to_file_path().ok().map(|p| crate::paths::lexical_absolute(&p))
}

/// The `file://` URI of a path (made absolute against the current directory).
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let abs = crate::paths::lexical_absolute(path);
    let url = url::Url::from_file_path(abs).ok()?;
    url.as_str().parse().ok()
}

/// UTF-16 code units in `s`.
fn utf16_len(s: &str) -> u32 {
    s.chars().map(|c| c.len_utf16() as u32).sum()
}

/// The protocol position of a byte offset (clamped to the text and to a character start).
pub fn position(file: &SourceFile, offset: u32) -> Position {
    let text = &file.text;
    let mut offset = (offset as usize).min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = file.index.line_of(offset as u32);
    let start = (file.index.line_start(line) as usize).min(offset);
    Position::new(line as u32, utf16_len(&text[start..offset]))
}

pub fn range(file: &SourceFile, r: TextRange) -> Range {
    Range::new(position(file, r.start), position(file, r.end))
}

/// The byte offset of a protocol position: a line past the end is the end of the text, a
/// character past the end of its line is the end of the line, one inside a surrogate pair the
/// character's start.
pub fn offset(file: &SourceFile, p: Position) -> u32 {
    let line = p.line as usize;
    if line >= file.index.line_count() {
        return file.text.len() as u32;
    }
    let start = file.index.line_start(line) as usize;
    let line_text = file.index.line_text(&file.text, line);
    let mut units = 0u32;
    for (i, c) in line_text.char_indices() {
        let next = units + c.len_utf16() as u32;
        if next > p.character {
            return (start + i) as u32;
        }
        units = next;
    }
    (start + line_text.len()) as u32
}

/// A 1-based line and code-point column in `text` as a protocol position (UTF-16 columns).
fn position_of_line_col(text: Option<&str>, line: u32, column: u32) -> Position {
    let line0 = line.saturating_sub(1);
    let col0 = column.saturating_sub(1) as usize;
    let character = text
        .and_then(|t| crate::source::lines(t).nth(line0 as usize))
        .map(|l| l.chars().take(col0).map(|c| c.len_utf16() as u32).sum())
        .unwrap_or(col0 as u32);
    Position::new(line0, character)
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
    }
}

/// A finding as the editor shows it: the message with its help, the rule as code with a link to
/// its documentation, the labels and the other files' locations as related information.
/// `read_other` gives the text of another file (to count its columns in UTF-16).
pub fn diagnostic(
    file: &SourceFile,
    uri: &Uri,
    d: &Diagnostic,
    read_other: &dyn Fn(&Path) -> Option<String>,
) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let code_description = crate::rules::find(d.rule)
        .and_then(|_| crate::report::docs_url(d.rule).parse().ok())
        .map(|href| CodeDescription { href });
    let mut related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range(file, l.range)),
            message: l.message.clone(),
        })
        .collect();
    for r in &d.related {
        let path = crate::paths::lexical_absolute(&r.path);
        let Some(other) = path_to_uri(&path) else { continue };
        let text = read_other(&path);
        let start = position_of_line_col(text.as_deref(), r.line, r.column);
        let end = position_of_line_col(text.as_deref(), r.end_line, r.end_column);
        related.push(DiagnosticRelatedInformation {
            location: Location::new(other, Range::new(start, end)),
            message: r.message.clone(),
        });
    }
    lsp_types::Diagnostic {
        range: range(file, d.range),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.rule.to_string())),
        code_description,
        source: Some("txlint".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

pub fn text_edit(file: &SourceFile, e: &Edit) -> TextEdit {
    TextEdit::new(range(file, e.range), e.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // `é` is 2 bytes and 1 unit, `😀` 4 bytes and 2 units.
        let f = SourceFile::new("a.js", "x\né😀y\r\nz".to_string());
        let y = f.text.find('y').unwrap_or_default() as u32;
        assert_eq!(position(&f, y), Position::new(1, 3));
        assert_eq!(offset(&f, Position::new(1, 3)), y);
        let z = f.text.find('z').unwrap_or_default() as u32;
        assert_eq!(position(&f, z), Position::new(2, 0));
        assert_eq!(offset(&f, Position::new(2, 0)), z);
        // Inside the surrogate pair: the emoji's start; past the line: its end; past the text: the end.
        assert_eq!(offset(&f, Position::new(1, 2)), 4);
        assert_eq!(offset(&f, Position::new(1, 99)), y + 1);
        assert_eq!(offset(&f, Position::new(9, 0)), f.text.len() as u32);
        // Inside a character: its start.
        assert_eq!(position(&f, 3), Position::new(1, 0));
    }

    #[test]
    fn other_files_columns_are_converted() {
        let text = "😀ab\n";
        assert_eq!(position_of_line_col(Some(text), 1, 3), Position::new(0, 3));
        assert_eq!(position_of_line_col(None, 2, 5), Position::new(1, 4));
    }

    #[test]
    fn uris_round_trip() {
        let p = crate::paths::lexical_absolute(Path::new("some dir/db.js"));
        let uri = path_to_uri(&p).expect("a file URI");
        assert!(uri.as_str().starts_with("file://"), "{}", uri.as_str());
        assert!(uri.as_str().contains("some%20dir"), "{}", uri.as_str());
        assert_eq!(uri_to_path(&uri), Some(p));
    }
}
