//! Applying fixes (`--fix`): edits marked `Applicability::Safe`, and with `--unsafe-fixes` also the
//! suggested edits that change behaviour on purpose (`ON CONFLICT`, `FOR UPDATE`, a transaction
//! around writes, a release moved into `finally`, a `ROLLBACK` added to a `catch`).
//! Overlapping edits are skipped (the next run picks them up); the result must still parse, or the
//! file is left as it is and the run says why. Writing the result is `write`'s job.

mod diff;
mod passes;
mod write;

pub use diff::unified;
pub use passes::{FixedFile, Passes, fix_to_fixed_point};
pub use write::write_fixed;

use crate::diagnostic::{Applicability, Diagnostic, Edit};
use crate::source::SourceFile;

/// What applying a file's safe fixes gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Fixed {
    /// No safe fix applies.
    Nothing,
    /// The new text (byte order mark and line endings as they were) and how many fixes it holds.
    Text(String, usize),
    /// The fixes were applied but the result does not parse as cleanly as the original: the file is
    /// kept as it is.
    Refused(String),
}

/// Applies the safe fixes of `diagnostics` to `file` and checks the result parses.
pub fn fix_file(file: &SourceFile, diagnostics: &[Diagnostic], unsafe_fixes: bool) -> Fixed {
    let mut edits: Vec<(&Edit, usize)> = Vec::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if let Some(fix) = d
            .fix
            .as_ref()
            .filter(|f| f.applicability == Applicability::Safe || unsafe_fixes)
        {
            edits.extend(fix.edits.iter().map(|e| (e, i)));
        }
    }
    if edits.is_empty() {
        return Fixed::Nothing;
    }
    edits.sort_by_key(|(e, _)| (e.range.start, e.range.end));
    // Keep non-overlapping edits; a fix is applied only if all its edits are kept.
    let mut kept: Vec<(&Edit, usize)> = Vec::new();
    let mut rejected = std::collections::BTreeSet::new();
    let mut end = 0u32;
    for (e, i) in edits {
        let conflict = kept
            .last()
            .is_some_and(|(k, _)| e.range.start < end || e.range.start == k.range.start);
        if conflict {
            rejected.insert(i);
            continue;
        }
        end = e.range.end;
        kept.push((e, i));
    }
    kept.retain(|(_, i)| !rejected.contains(i));
    if kept.is_empty() {
        return Fixed::Nothing;
    }
    let fixes: std::collections::BTreeSet<usize> = kept.iter().map(|(_, i)| *i).collect();
    let mut out = file.text.clone();
    for (e, _) in kept.iter().rev() {
        let range = e.range.start as usize..e.range.end as usize;
        if out.get(range.clone()).is_none() {
            return Fixed::Refused(format!(
                "a fix edit ({}..{}) is outside the file or splits a character",
                range.start, range.end
            ));
        }
        out.replace_range(range, &e.text);
    }
    // The result must parse, and without more recovered errors than the original had.
    let check = SourceFile::new(&file.path, out);
    let after = match crate::parse::parse(&check) {
        Ok(p) => p.recovered_errors,
        Err(e) => {
            let at = check.line_col(e.range.start);
            return Fixed::Refused(format!(
                "the fixed text would not parse ({} at {}:{}); the file is left unchanged",
                e.message, at.line, at.column
            ));
        }
    };
    if after > 0 {
        let before = crate::parse::parse(file).map(|p| p.recovered_errors).unwrap_or(0);
        if after > before {
            return Fixed::Refused("the fixed text would have syntax errors; the file is left unchanged".to_string());
        }
    }
    Fixed::Text(check.text, fixes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Fix, Severity};
    use crate::source::TextRange;

    fn with_edit(start: u32, end: u32, text: &str) -> Diagnostic {
        let mut d = Diagnostic::new("unawaited-query", Severity::Warning, TextRange::new(start, end), "x");
        d.fix = Some(Fix {
            title: "t".into(),
            applicability: Applicability::Safe,
            edits: vec![Edit {
                range: TextRange::new(start, end),
                text: text.into(),
            }],
        });
        d
    }

    #[test]
    fn a_fix_whose_result_does_not_parse_is_refused() {
        let f = SourceFile::new("a.js", "f(1);\n".to_string());
        let Fixed::Refused(why) = fix_file(&f, &[with_edit(1, 2, "((")], false) else {
            panic!("applied a fix that breaks the file");
        };
        assert!(why.contains("would not parse"), "{why}");
    }

    #[test]
    fn an_edit_outside_the_text_or_inside_a_character_is_refused() {
        let f = SourceFile::new("a.js", "'€';\n".to_string());
        assert!(matches!(
            fix_file(&f, &[with_edit(90, 91, "x")], false),
            Fixed::Refused(_)
        ));
        assert!(matches!(
            fix_file(&f, &[with_edit(2, 3, "x")], false),
            Fixed::Refused(_)
        ));
    }

    #[test]
    fn a_good_fix_applies_and_keeps_the_byte_order_mark() {
        let f = SourceFile::new("a.mjs", "\u{feff}f(1);\n".to_string());
        assert_eq!(
            fix_file(&f, &[with_edit(3, 3, "await ")], false),
            Fixed::Text("\u{feff}await f(1);\n".to_string(), 1)
        );
    }
}
