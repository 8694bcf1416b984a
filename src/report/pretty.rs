//! The terminal report: each finding rendered by miette (source snippet, labels, help), then the
//! suggested code, then a summary line. The core `Diagnostic` does not depend on miette; this
//! adapter does.

use std::fmt;
use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};

use super::{RunResult, display_path};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::LineIndex;

/// A file's text as miette reads it. miette counts the header's column in bytes and its
/// snippets end lines at `\n` and `\r\n` only; the other reporters count code points and end
/// lines at a lone `\r` too (`crate::source::LineIndex`). So lone `\r` are shown as `\n` (same
/// length: offsets stay valid) and the column is the one `LineIndex` gives.
struct Snippet {
    name: String,
    text: String,
    index: LineIndex,
}

impl Snippet {
    fn new(name: String, src: &crate::source::SourceFile) -> Self {
        let mut text = String::with_capacity(src.text.len());
        let mut chars = src.text.chars().peekable();
        while let Some(c) = chars.next() {
            text.push(if c == '\r' && chars.peek() != Some(&'\n') {
                '\n'
            } else {
                c
            });
        }
        // Same line starts as the original text.
        let index = src.index.clone();
        Self { name, text, index }
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        // Without context lines, the column is the span's own: count it in code points.
        let column = if before == 0 {
            self.index.line_col(&self.text, span.offset() as u32).column as usize - 1
        } else {
            inner.column()
        };
        let contents = MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )
        .with_language("javascript");
        Ok(Box::new(contents))
    }
}

/// Rendering choices that depend on the terminal.
#[derive(Debug, Clone, Copy)]
pub struct PrettyOptions {
    pub color: bool,
    pub width: usize,
    /// Print the summary line.
    pub summary: bool,
}

impl Default for PrettyOptions {
    fn default() -> Self {
        Self {
            color: false,
            width: 100,
            summary: true,
        }
    }
}

struct Adapter<'a> {
    d: &'a Diagnostic,
    source: Option<&'a Snippet>,
    help: Option<String>,
}

impl fmt::Debug for Adapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for Adapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Adapter<'_> {}

impl miette::Diagnostic for Adapter<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.rule))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source?;
        let span = |r: crate::source::TextRange| SourceSpan::new((r.start as usize).into(), r.len() as usize);
        let primary = LabeledSpan::new_primary_with_span(Some("here".to_string()), span(self.d.range));
        let rest = self
            .d
            .labels
            .iter()
            .map(move |l| LabeledSpan::new_with_span(Some(l.message.clone()), span(l.range)));
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }
}

pub fn write(run: &RunResult, opts: &PrettyOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    let mut sources: std::collections::HashMap<&std::path::Path, Snippet> = std::collections::HashMap::new();
    for d in &run.diagnostics {
        if !sources.contains_key(d.path.as_path())
            && let Some(src) = run.source(&d.path)
        {
            sources.insert(d.path.as_path(), Snippet::new(display_path(&d.path), src));
        }
    }
    for d in &run.diagnostics {
        let adapter = Adapter {
            d,
            source: sources.get(d.path.as_path()),
            help: d.help.clone(),
        };
        let mut rendered = String::new();
        handler
            .render_report(&mut rendered, &adapter)
            .map_err(io::Error::other)?;
        if adapter.source.is_none() {
            writeln!(out, "{}:", display_path(&d.path))?;
        }
        write!(out, "{rendered}")?;
        for r in &d.related {
            writeln!(out, "  related: {}", r.message)?;
        }
        // The suggested code is printed as is: wrapping would break it.
        if let Some(code) = &d.example {
            writeln!(out, "  suggestion:")?;
            for line in crate::source::lines(code) {
                writeln!(out, "  │ {line}")?;
            }
        }
        writeln!(out)?;
    }
    if opts.summary {
        let errors = run.count(Severity::Error);
        let warnings = run.count(Severity::Warning);
        let files: std::collections::BTreeSet<_> = run.diagnostics.iter().map(|d| &d.path).collect();
        let ms = run.duration.as_millis();
        if errors + warnings == 0 {
            writeln!(out, "No problems found in {} files ({ms} ms).", run.files_scanned)?;
        } else {
            writeln!(
                out,
                "Found {errors} {} and {warnings} {} in {} of {} files ({ms} ms).",
                if errors == 1 { "error" } else { "errors" },
                if warnings == 1 { "warning" } else { "warnings" },
                files.len(),
                run.files_scanned
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, TextRange};

    /// Renders one warning over `range` of `text` (as `a.js`), without a summary.
    fn render(text: &str, range: TextRange) -> String {
        let src = SourceFile::new("a.js", text.to_string());
        let mut d = Diagnostic::new("io-error", Severity::Warning, range, "m");
        d.path = src.path.clone();
        let run = RunResult {
            diagnostics: vec![d],
            sources: [(src.path.clone(), src)].into_iter().collect(),
            files_scanned: 1,
            duration: std::time::Duration::ZERO,
            rules: Vec::new(),
            stats: crate::engine::Stats::default(),
        };
        let opts = PrettyOptions {
            summary: false,
            ..PrettyOptions::default()
        };
        let mut out = Vec::new();
        write(&run, &opts, &mut out).expect("render");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn columns_count_code_points_as_the_other_formats() {
        // `x` is the 10th code point of line 2 but its 12th byte.
        let text = "a();\n/* éé */ x();\n";
        let at = text.find('x').expect("x") as u32;
        let src = SourceFile::new("a.js", text.to_string());
        assert_eq!(src.line_col(at).column, 10);
        let out = render(text, TextRange::new(at, at + 1));
        assert!(out.contains("[a.js:2:10]"), "{out}");
    }

    #[test]
    fn lone_carriage_returns_end_lines_in_snippets() {
        let text = "a();\rb();\rc();\rd();\r";
        let at = text.find('c').expect("c") as u32;
        let out = render(text, TextRange::new(at, at + 3));
        assert!(out.contains("[a.js:3:1]"), "{out}");
        for (n, line) in [(2, "b();"), (3, "c();"), (4, "d();")] {
            assert!(out.contains(&format!(" {n} │ {line}\n")), "line {n}:\n{out}");
        }
        assert!(!out.contains("a();"), "one line of context:\n{out}");
    }

    #[test]
    fn mixed_line_endings() {
        let text = "a();\r\nb();\nc(); é\rd();\r\ne();";
        let at = text.find('d').expect("d") as u32;
        let out = render(text, TextRange::new(at, at + 3));
        assert!(out.contains("[a.js:4:1]"), "{out}");
        assert!(out.contains(" 3 │ c(); é\n") && out.contains(" 5 │ e();\n"), "{out}");
    }
}
