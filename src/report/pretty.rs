//! The terminal report: each finding rendered by miette (source snippet, labels, help), then the
//! suggested code, then a summary line. The core `Diagnostic` does not depend on miette; this
//! adapter does.

use std::fmt;
use std::io::{self, Write};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::{RunResult, display_path};
use crate::diagnostic::{Diagnostic, Severity};

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
    source: Option<&'a NamedSource<String>>,
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
    let mut sources: std::collections::HashMap<&std::path::Path, NamedSource<String>> =
        std::collections::HashMap::new();
    for d in &run.diagnostics {
        if !sources.contains_key(d.path.as_path())
            && let Some(src) = run.source(&d.path)
        {
            sources.insert(
                d.path.as_path(),
                NamedSource::new(display_path(&d.path), src.text.clone()).with_language("javascript"),
            );
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
