//! Suppression comments:
//!
//! - `// txlint-disable-next-line rule-id[, rule-id] -- reason` silences those rules on the next line,
//! - `// txlint-disable-line rule-id` on the same line,
//! - `/* txlint-disable rule-id */` in the whole file.
//!
//! A directive must name its rules: one without is refused (it suppresses nothing and is reported),
//! and one that suppresses nothing, or names an unknown rule, is reported as `unused-suppression`
//! so stale comments get cleaned up. Findings are matched by the line their primary span starts on.
//!
//! Only real comments count, as the parser sees them (`crate::parse::comments`): text in a string,
//! a template or a regular expression that looks like a comment is not one. A directive starts its
//! comment, in lowercase; `-line` and `-next-line` fit on one line (`//`, or `/* */` on one line).
//! What looks meant as a directive but is none of these (`// TXLINT-disable-line x`, a JSDoc
//! `/** ... */` line, a block comment over several lines, `txlint-disable-nextline`) is not
//! applied and is reported as `unused-suppression`, saying why and what to write.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

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

const SCOPES: [Scope; 3] = [Scope::NextLine, Scope::Line, Scope::File];

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

/// A comment meant as a directive that is not applied: why, and what to write instead.
#[derive(Debug)]
struct Ignored {
    range: TextRange,
    message: String,
    help: String,
}

#[derive(Debug, Default)]
struct Found {
    directives: Vec<Directive>,
    ignored: Vec<Ignored>,
}

/// `txlint-` in any case: a file without it has no directive, nor anything meant as one.
static MARKER: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(["txlint-"])
        .ok()
});

fn may_have_directives(text: &str) -> bool {
    MARKER.as_ref().is_none_or(|m| m.is_match(text))
}

/// The rule ids of a directive's text after its keyword: comma or space separated, up to `--`.
fn rule_list(after_keyword: &str) -> Vec<String> {
    let list = after_keyword.split("--").next().unwrap_or("");
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The first word of `text`: up to whitespace or a comma.
fn first_word(text: &str) -> &str {
    &text[..text.find(|c: char| c.is_whitespace() || c == ',').unwrap_or(text.len())]
}

/// The comment to write instead: `keyword` and what followed the word on one line.
fn rewrite(scope: Scope, after_keyword: &str) -> String {
    let rules = rule_list(after_keyword);
    let rules = if rules.is_empty() {
        "<rule-id>".to_string()
    } else {
        rules.join(", ")
    };
    let reason = after_keyword
        .split_once("--")
        .map(|(_, r)| crate::source::lines(r).collect::<Vec<_>>().join(" "))
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|r| !r.is_empty())
        .map(|r| format!(" -- {r}"))
        .unwrap_or_default();
    match scope {
        Scope::File => format!("/* {} {rules}{reason} */", scope.keyword()),
        _ => format!("// {} {rules}{reason}", scope.keyword()),
    }
}

/// Finds the directives written in comments, and the comments meant as directives that are not.
fn parse(file: &SourceFile) -> Found {
    let mut found = Found::default();
    if !may_have_directives(&file.text) {
        return found;
    }
    for c in crate::parse::comments(file).unwrap_or_default() {
        read_comment(file, c, &mut found);
    }
    found
}

fn read_comment(file: &SourceFile, c: crate::parse::Comment, found: &mut Found) {
    let text = file.slice(c.range);
    let body = text.get(2..).unwrap_or("");
    let body = if c.block {
        body.strip_suffix("*/").unwrap_or(body)
    } else {
        body
    };
    let head = body.trim_start();
    let word = first_word(head);
    let after = &head[word.len()..];
    let mut ignore = |message: String, help: String| {
        found.ignored.push(Ignored {
            range: c.range,
            message,
            help,
        })
    };
    if let Some(scope) = SCOPES.into_iter().find(|s| s.keyword() == word) {
        let multi_line = body.contains(['\n', '\r']);
        if c.block && multi_line && scope != Scope::File {
            ignore(
                format!(
                    "`{word}` in a block comment that spans several lines is ignored: the line it applies to is unclear"
                ),
                format!("Write it on one line: `{}`", rewrite(scope, after)),
            );
            return;
        }
        let line1 = file.line_col(c.range.start).line;
        found.directives.push(Directive {
            scope,
            rules: rule_list(after),
            range: c.range,
            target_line: if scope == Scope::NextLine { line1 + 1 } else { line1 },
        });
        return;
    }
    if let Some(scope) = SCOPES.into_iter().find(|s| s.keyword().eq_ignore_ascii_case(word)) {
        ignore(
            format!("`{word}` is ignored: directives are lowercase"),
            format!("Write `{}`", rewrite(scope, after)),
        );
        return;
    }
    let keywords: Vec<&str> = SCOPES.iter().map(|s| s.keyword()).collect();
    if word.len() > 7 && word[..7].eq_ignore_ascii_case("txlint-") {
        let lower = word.to_ascii_lowercase();
        let hint = closest(&lower, &keywords)
            .map(|k| format!(" (did you mean `{k}`?)"))
            .unwrap_or_default();
        ignore(
            format!("`{word}` is not a txlint directive; it is ignored{hint}"),
            format!("The directives are `{}`", keywords.join("`, `")),
        );
        return;
    }
    // A directive that does not start its comment: a JSDoc line (` * txlint-disable x`), or after
    // extra slashes or stars (`/// txlint-...`, `/** txlint-... */`).
    for line in crate::source::lines(body) {
        let rest = line.trim_start_matches(|ch: char| ch.is_whitespace() || ch == '*' || ch == '/');
        let word = first_word(rest);
        if let Some(scope) = SCOPES.into_iter().find(|s| s.keyword().eq_ignore_ascii_case(word)) {
            ignore(
                format!("`{word}` is ignored: a directive must start its comment"),
                format!("Write `{}`", rewrite(scope, &rest[word.len()..])),
            );
            return;
        }
    }
}

/// Drops suppressed findings and reports directives that suppress nothing.
pub fn apply(file: &SourceFile, diagnostics: Vec<Diagnostic>, rules: &RuleSet) -> Vec<Diagnostic> {
    if !may_have_directives(&file.text) {
        return diagnostics;
    }
    let Found { directives, ignored } = parse(file);
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
    for i in ignored {
        let mut d = Diagnostic::new(UNUSED_SUPPRESSION, severity, i.range, i.message).help(i.help);
        d.path = file.path.clone();
        kept.push(d);
    }
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

    /// Two writes outside a transaction: `missing-transaction` on line 5 (`{line5}` is put before
    /// the second write's line, `{top}` at the top of the file).
    fn lint(top: &str, line5: &str) -> Vec<(String, u32, String)> {
        let text = format!(
            "{top}const {{ Pool }} = require('pg');\nconst pool = new Pool();\nasync function f(a) {{\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n{line5}  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n}}\n"
        );
        let file = SourceFile::new("a.js", text);
        crate::lint_source(&file.path, &file.text, &RuleSet::all(), &crate::LintOptions::default())
            .into_iter()
            .map(|d| (d.rule.to_string(), file.line_col(d.range.start).line, d.message))
            .collect()
    }

    fn rules_of(found: &[(String, u32, String)]) -> Vec<&str> {
        found.iter().map(|(r, _, _)| r.as_str()).collect()
    }

    #[test]
    fn real_comments_suppress() {
        for c in [
            "  // txlint-disable-next-line missing-transaction -- audit row\n",
            "  /* txlint-disable-next-line missing-transaction */\n",
        ] {
            assert!(lint("", c).is_empty(), "{c}");
        }
        assert!(lint("/* txlint-disable missing-transaction */\n", "").is_empty());
        assert!(lint("// txlint-disable missing-transaction\n", "").is_empty());
    }

    #[test]
    fn text_that_looks_like_a_comment_is_not_a_directive() {
        for line in [
            "  const s = '// txlint-disable-next-line missing-transaction';\n",
            "  const t = `// txlint-disable-next-line missing-transaction`;\n",
            "  const u = `${a} /* txlint-disable-next-line missing-transaction */`;\n",
            "  const r = /x\\/\\/ txlint-disable-next-line missing-transaction/;\n",
        ] {
            assert_eq!(rules_of(&lint("", line)), vec!["missing-transaction"], "{line}");
        }
        let top = "const s = \"/* txlint-disable missing-transaction */\";\n";
        assert_eq!(rules_of(&lint(top, "")), vec!["missing-transaction"]);
    }

    #[test]
    fn directives_written_in_the_wrong_case_are_reported() {
        for (c, kw) in [
            (
                "  // TXLINT-disable-next-line missing-transaction\n",
                "TXLINT-disable-next-line",
            ),
            (
                "  // Txlint-Disable-Next-Line missing-transaction\n",
                "Txlint-Disable-Next-Line",
            ),
        ] {
            let found = lint("", c);
            assert_eq!(
                rules_of(&found),
                vec!["unused-suppression", "missing-transaction"],
                "{c}"
            );
            assert_eq!(found[0].1, 5);
            assert!(
                found[0]
                    .2
                    .contains(&format!("`{kw}` is ignored: directives are lowercase")),
                "{found:?}"
            );
        }
        let found = lint("/* Txlint-Disable missing-transaction */\n", "");
        assert_eq!(rules_of(&found), vec!["unused-suppression", "missing-transaction"]);
    }

    #[test]
    fn directives_in_forms_that_are_not_honoured_are_reported() {
        // Not at the start of its comment (a JSDoc block): ignored, said so.
        let found = lint("/**\n * txlint-disable missing-transaction\n */\n", "");
        assert_eq!(rules_of(&found), vec!["unused-suppression", "missing-transaction"]);
        assert!(found[0].2.contains("must start its comment"), "{found:?}");
        let found = lint("", "  /** txlint-disable-next-line missing-transaction */\n");
        assert_eq!(rules_of(&found), vec!["unused-suppression", "missing-transaction"]);
        // A line directive in a block comment over several lines: which line it means is unclear.
        let found = lint(
            "",
            "  /* txlint-disable-next-line missing-transaction\n     -- audit row */\n",
        );
        assert_eq!(rules_of(&found), vec!["unused-suppression", "missing-transaction"]);
        assert!(found[0].2.contains("spans several lines"), "{found:?}");
        // A misspelt or unsupported directive.
        let found = lint("", "  // txlint-disable-nextline missing-transaction\n");
        assert_eq!(rules_of(&found), vec!["unused-suppression", "missing-transaction"]);
        assert!(
            found[0].2.contains("did you mean `txlint-disable-next-line`"),
            "{found:?}"
        );
        // Prose that mentions a directive is not one, and is not reported.
        let found = lint("", "  // do not add txlint-disable-next-line here\n");
        assert_eq!(rules_of(&found), vec!["missing-transaction"]);
    }

    fn directives(text: &str) -> Vec<(Scope, Vec<String>, u32)> {
        parse(&SourceFile::new("a.js", text.to_string()))
            .directives
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
