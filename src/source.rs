//! Source text and positions: byte ranges, and their conversion to 1-based lines and columns.
//!
//! Every conversion from a byte offset to a line/column happens here (`LineIndex`), so reporters
//! never add or subtract one on their own. Columns count Unicode code points (SARIF's
//! `unicodeCodePoints`), lines end at `\n`, `\r\n` or a lone `\r`.

use std::path::{Path, PathBuf};

/// A half-open byte range `[start, end)` into a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: u32, end: u32) -> Self {
        Self {
            start,
            end: end.max(start),
        }
    }
    pub fn len(self) -> u32 {
        self.end - self.start
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
    pub fn contains(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }
    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A 1-based line and column (column in code points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Line starts of a text, for offset to line/column conversion.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
    /// Code points before each `CHUNK`-byte boundary of the text (only when it is not all ASCII),
    /// so that a column on a 1 MB line costs at most one chunk of counting, not the whole line.
    chars_before_chunk: Vec<u32>,
}

/// See `LineIndex::chars_before_chunk`.
const CHUNK: usize = 256;

/// Code points that start in `bytes` (every byte but UTF-8 continuation bytes).
fn count_chars(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|b| (**b as i8) >= -0x40).count() as u32
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        // A UTF-8 byte order mark is not part of the first line: editors count columns after it.
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut starts = vec![bom as u32];
        let mut i = bom;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i as u32 + 1);
                }
                _ => {}
            }
            i += 1;
        }
        let chars_before_chunk = if text.is_ascii() {
            Vec::new()
        } else {
            let mut total = 0u32;
            let mut out = Vec::with_capacity(bytes.len() / CHUNK + 1);
            for chunk in bytes.chunks(CHUNK) {
                out.push(total);
                total += count_chars(chunk);
            }
            out
        };
        Self {
            starts,
            chars_before_chunk,
        }
    }

    /// Code points in `text[..offset]` (`offset` on a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> u32 {
        if self.chars_before_chunk.is_empty() {
            return offset as u32;
        }
        let chunk = offset / CHUNK;
        let base = self.chars_before_chunk.get(chunk).copied().unwrap_or(0);
        base + count_chars(&text.as_bytes()[chunk * CHUNK..offset])
    }

    /// 0-based index of the line holding `offset`.
    pub fn line_of(&self, offset: u32) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            // Inside the byte order mark: the first line.
            Err(0) => 0,
            Err(i) => i - 1,
        }
    }

    /// Byte offset where the 0-based line starts.
    pub fn line_start(&self, line: usize) -> u32 {
        self.starts.get(line).copied().unwrap_or(0)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 1-based line and column of a byte offset; offsets past the end or inside a character
    /// are clamped.
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let offset = (offset as usize).min(text.len()) as u32;
        let line = self.line_of(offset);
        let start = self.starts[line] as usize;
        let mut end = (offset as usize).max(start);
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.chars_before(text, end) - self.chars_before(text, start) + 1;
        LineCol {
            line: line as u32 + 1,
            column,
        }
    }

    /// The text of the 0-based line, without its terminator.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.line_start(line) as usize;
        let end = self.starts.get(line + 1).map(|&e| e as usize).unwrap_or(text.len());
        text[start.min(text.len())..end.min(text.len())].trim_end_matches(['\n', '\r'])
    }
}

/// Whether `rest` starts with a JavaScript line terminator: `\n`, `\r` (alone or before `\n`),
/// U+2028 or U+2029. Every byte scanner that ends a `//` comment or a line uses this.
pub fn is_line_terminator(rest: &[u8]) -> bool {
    matches!(rest, [b'\n' | b'\r', ..] | [0xE2, 0x80, 0xA8 | 0xA9, ..])
}

/// Whether byte `b` ends a line (`\n` or `\r`; enough for SQL and for line counting).
pub fn is_line_end(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Splits text into lines at `\n`, `\r\n` and a lone `\r` (unlike `str::lines`), without the
/// terminators.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        match t.find(['\n', '\r']) {
            Some(i) => {
                let skip = if t[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&t[i + skip..]).filter(|r| !r.is_empty());
                Some(&t[..i])
            }
            None => {
                rest = None;
                if t.is_empty() { None } else { Some(t) }
            }
        }
    })
}

/// One file being linted: its path (as given or discovered) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub index: LineIndex,
}

impl SourceFile {
    /// Takes ownership of the text, byte for byte as on disk: a UTF-8 byte order mark stays (the
    /// parser reads it as white space), so every offset reported is an offset into the file and
    /// `--fix` writes the mark back.
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let index = LineIndex::new(&text);
        Self {
            path: path.into(),
            text,
            index,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn line_col(&self, offset: u32) -> LineCol {
        self.index.line_col(&self.text, offset)
    }

    /// The text of a range (empty if the range is out of bounds or splits a character).
    pub fn slice(&self, range: TextRange) -> &str {
        self.text.get(range.start as usize..range.end as usize).unwrap_or("")
    }

    /// Leading whitespace of the line that holds `offset`.
    pub fn indent_at(&self, offset: u32) -> &str {
        let line = self.index.line_of(offset);
        let text = self.index.line_text(&self.text, line);
        let trimmed = text.trim_start();
        &text[..text.len() - trimmed.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings() {
        let text = "a\nbc\r\nd\re€x";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(text, 3), LineCol { line: 2, column: 2 });
        assert_eq!(idx.line_col(text, 6), LineCol { line: 3, column: 1 });
        assert_eq!(idx.line_col(text, 8), LineCol { line: 4, column: 1 });
        // `x` after the 3-byte euro sign is the third code point of line 4.
        assert_eq!(idx.line_col(text, 12), LineCol { line: 4, column: 3 });
        assert_eq!(idx.line_text(text, 1), "bc");
    }

    #[test]
    fn columns_on_long_lines_count_code_points() {
        let mut text = "x".repeat(1000);
        text.push('€');
        text.push_str(&"é".repeat(300));
        text.push('y');
        let idx = LineIndex::new(&text);
        let y = text.len() as u32 - 1;
        assert_eq!(idx.line_col(&text, y), LineCol { line: 1, column: 1302 });
        assert_eq!(idx.line_col(&text, 1003), LineCol { line: 1, column: 1002 });
        // Inside a character: clamped to its start.
        assert_eq!(idx.line_col(&text, 1001), LineCol { line: 1, column: 1001 });
        let second = format!("{text}\n{text}");
        let idx = LineIndex::new(&second);
        assert_eq!(
            idx.line_col(&second, text.len() as u32 + 1 + y),
            LineCol { line: 2, column: 1302 }
        );
    }

    #[test]
    fn splits_all_line_endings() {
        assert_eq!(lines("a\nb\r\nc\rd").collect::<Vec<_>>(), vec!["a", "b", "c", "d"]);
        assert_eq!(lines("a\n").collect::<Vec<_>>(), vec!["a"]);
        assert_eq!(lines("").count(), 0);
    }

    #[test]
    fn bom_is_kept_and_not_counted_as_a_column() {
        let f = SourceFile::new("a.js", "\u{feff}xy\nz".to_string());
        assert_eq!(f.text, "\u{feff}xy\nz");
        // `y` is at byte 4 on disk, the second column of the first line.
        assert_eq!(f.line_col(4), LineCol { line: 1, column: 2 });
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.index.line_text(&f.text, 0), "xy");
        assert_eq!(f.line_col(6), LineCol { line: 2, column: 1 });
    }
}
