//! Suppression comments:
//!
//! - `// txlint-disable-next-line rule-id[, rule-id] -- reason` silences those rules on the next line,
//! - `// txlint-disable-line rule-id` on the same line,
//! - `/* txlint-disable rule-id */` in the whole file.
//!
//! A directive must name its rules: one without is refused (it suppresses nothing and is reported),
//! and one that suppresses nothing, or names an unknown rule, is reported as `unused-suppression`
//! so stale comments get cleaned up. Findings are matched by the line their primary span starts on.

use crate::UNUSED_SUPPRESSION;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::closest;
use crate::rules::{Level, RuleSet};
use crate::source::{SourceFile, TextRange};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    NextLine,
    Line,
    File,
}

impl Scope {
    fn keyword(self) -> &'static str {
        match self {
            Scope::NextLine => "txlint-disable-next-line",
            Scope::Line => "txlint-disable-line",
            Scope::File => "txlint-disable",
        }
    }
}

#[derive(Debug)]
struct Directive {
    scope: Scope,
    rules: Vec<String>,
    /// The comment.
    range: TextRange,
    /// 1-based line the directive applies to (ignored for `File`).
    target_line: u32,
}

/// Finds the directives written in comments.
fn parse(file: &SourceFile) -> Vec<Directive> {
    let text = &file.text;
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(text.as_bytes(), b"txlint-disable") {
        let line0 = file.index.line_of(at as u32);
        let line_start = file.index.line_start(line0) as usize;
        let before = text[line_start..at].trim_end();
        let (comment_start, block) = if let Some(p) = before.strip_suffix("//") {
            (line_start + p.len(), false)
        } else if let Some(p) = before.strip_suffix("/*") {
            (line_start + p.len(), true)
        } else {
            continue;
        };
        let rest = &text[at..];
        let (scope, after_kw) = if let Some(r) = rest.strip_prefix("txlint-disable-next-line") {
            (Scope::NextLine, r)
        } else if let Some(r) = rest.strip_prefix("txlint-disable-line") {
            (Scope::Line, r)
        } else if let Some(r) = rest.strip_prefix("txlint-disable") {
            (Scope::File, r)
        } else {
            continue;
        };
        // `txlint-disable-foo` is not a directive.
        if after_kw
            .chars()
            .next()
            .is_some_and(|c| !(c.is_whitespace() || (block && c == '*')))
        {
            continue;
        }
        let end_of_comment = if block {
            after_kw.find("*/").map(|i| i + 2).unwrap_or(after_kw.len())
        } else {
            after_kw.find(['\n', '\r']).unwrap_or(after_kw.len())
        };
        let body = &after_kw[..end_of_comment].trim_end_matches("*/");
        let list = body.split(" -- ").next().unwrap_or("").split("--").next().unwrap_or("");
        let rules: Vec<String> = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let comment_end = at + (rest.len() - after_kw.len()) + end_of_comment;
        let line1 = line0 as u32 + 1;
        out.push(Directive {
            scope,
            rules,
            range: TextRange::new(comment_start as u32, comment_end as u32),
            target_line: if scope == Scope::NextLine { line1 + 1 } else { line1 },
        });
    }
    out
}

/// Drops suppressed findings and reports directives that suppress nothing.
pub fn apply(file: &SourceFile, diagnostics: Vec<Diagnostic>, rules: &RuleSet) -> Vec<Diagnostic> {
    if memchr::memmem::find(file.text.as_bytes(), b"txlint-disable").is_none() {
        return diagnostics;
    }
    let directives = parse(file);
    let mut used: Vec<Vec<bool>> = directives.iter().map(|d| vec![false; d.rules.len()]).collect();
    let mut kept = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        let line = file.line_col(d.range.start).line;
        let mut suppressed = false;
        for (i, dir) in directives.iter().enumerate() {
            if dir.scope != Scope::File && dir.target_line != line {
                continue;
            }
            if let Some(j) = dir.rules.iter().position(|r| r == d.rule) {
                used[i][j] = true;
                suppressed = true;
            }
        }
        if !suppressed {
            kept.push(d);
        }
    }
    let severity = match rules.unused_suppression {
        Level::Off => return kept,
        Level::Warn => Severity::Warning,
        Level::Error => Severity::Error,
    };
    let known: Vec<&str> = crate::config::known_ids();
    for (dir, used) in directives.iter().zip(used) {
        let kw = dir.scope.keyword();
        let mut report = |message: String| {
            let mut d = Diagnostic::new(UNUSED_SUPPRESSION, severity, dir.range, message);
            d.path = file.path.clone();
            d = d.help(
                "Remove the comment, or name the rules it is for: `// txlint-disable-next-line <rule-id> -- reason`",
            );
            kept.push(d);
        };
        if dir.rules.is_empty() {
            report(format!("`{kw}` without rule ids is refused: it suppresses nothing"));
            continue;
        }
        for (rule, used) in dir.rules.iter().zip(used) {
            if used {
                continue;
            }
            if !known.contains(&rule.as_str()) {
                let hint = closest(rule, &known)
                    .map(|b| format!(" (did you mean `{b}`?)"))
                    .unwrap_or_default();
                report(format!("`{kw}` names unknown rule `{rule}`{hint}"));
            } else if rules.is_enabled(rule) {
                report(format!("`{kw} {rule}` suppresses nothing"));
            }
        }
    }
    kept.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(text: &str) -> Vec<(Scope, Vec<String>, u32)> {
        parse(&SourceFile::new("a.js", text.to_string()))
            .into_iter()
            .map(|d| (d.scope, d.rules, d.target_line))
            .collect()
    }

    #[test]
    fn parses_the_three_forms() {
        let d = directives(
            "// txlint-disable-next-line missing-retry, client-leak -- migration script\nx();\ny(); // txlint-disable-line pool-transaction\n/* txlint-disable read-modify-write */\n",
        );
        assert_eq!(
            d[0],
            (
                Scope::NextLine,
                vec!["missing-retry".to_string(), "client-leak".to_string()],
                2
            )
        );
        assert_eq!(d[1], (Scope::Line, vec!["pool-transaction".to_string()], 3));
        assert_eq!(d[2], (Scope::File, vec!["read-modify-write".to_string()], 4));
    }

    #[test]
    fn ignores_non_comments_and_other_words() {
        assert!(directives("const s = 'txlint-disable-line x';\n").is_empty());
        assert!(directives("// txlint-disabled x\n").is_empty());
        assert_eq!(
            directives("// txlint-disable-next-line -- no ids\n")[0].1,
            Vec::<String>::new()
        );
    }
}
