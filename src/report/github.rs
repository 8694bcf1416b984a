//! GitHub Actions workflow commands: `::error file=...,line=...::message`, shown inline on pull
//! requests without code scanning.

use std::io::{self, Write};

use super::{RunResult, display_path};
use crate::diagnostic::Severity;

/// Escapes message data (`%`, `\r`, `\n`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes property values (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(run: &RunResult, out: &mut dyn Write) -> io::Result<()> {
    for d in &run.diagnostics {
        let (start, end) = run.positions(d);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push('\n');
            message.push_str(help);
        }
        writeln!(
            out,
            "::{command} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            escape_property(&display_path(&d.path)),
            start.line,
            end.line,
            start.column,
            end.column,
            escape_property(&format!("txlint({})", d.rule)),
            escape_data(&message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50%\nx"), "50%25%0Ax");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
