//! Applying safe fixes (`--fix`): only edits marked `Applicability::Safe`, never suggestions.
//! Overlapping edits are skipped (the next run picks them up); the result must still parse.

use crate::diagnostic::{Applicability, Diagnostic, Edit};
use crate::source::SourceFile;

/// The text with every safe fix of `diagnostics` applied, and how many fixes were applied.
/// `None` when nothing applies, or when the result would not parse.
pub fn apply_safe_fixes(file: &SourceFile, diagnostics: &[Diagnostic]) -> Option<(String, usize)> {
    let mut edits: Vec<(&Edit, usize)> = Vec::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if let Some(fix) = d.fix.as_ref().filter(|f| f.applicability == Applicability::Safe) {
            edits.extend(fix.edits.iter().map(|e| (e, i)));
        }
    }
    if edits.is_empty() {
        return None;
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
        return None;
    }
    let fixes: std::collections::BTreeSet<usize> = kept.iter().map(|(_, i)| *i).collect();
    let mut out = file.text.clone();
    for (e, _) in kept.iter().rev() {
        out.replace_range(e.range.start as usize..e.range.end as usize, &e.text);
    }
    let check = SourceFile::new(&file.path, out.clone());
    crate::parse::parse(&check).ok()?;
    Some((out, fixes.len()))
}
