//! `path:line:col: severity [rule-id] message`, for grep and editors.

use std::io::{self, Write};

use super::{RunResult, display_path};

pub fn write(run: &RunResult, out: &mut dyn Write) -> io::Result<()> {
    for d in &run.diagnostics {
        let (start, _) = run.positions(d);
        writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            display_path(&d.path),
            start.line,
            start.column,
            d.severity,
            d.rule,
            d.message
        )?;
    }
    Ok(())
}
