//! `placeholder-mismatch`: the `$n` placeholders of a literal SQL text do not match the literal
//! values array sent with it.
//!
//! Checked only when the whole text is known (no template holes, not a tagged template, the same
//! on every path) and the values are a literal array without spread, or missing. A skipped number
//! is reported even when the values are not literal. Texts with `?` (other drivers' placeholders)
//! are left alone.
//!
//! The receiver need not be a known database handle: `.query(text, [values])` whose text has `$n`
//! placeholders is node-postgres' call whatever sends it (`const conn = await getConnection()`,
//! a client made by a package of the project's own). Without values, or without placeholders, an
//! unknown receiver is left alone: the text alone does not say which library it is.

use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::{FileModel, Values};

pub struct PlaceholderMismatch;

static META: RuleMeta = RuleMeta {
    id: "placeholder-mismatch",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::None,
    doc: rule_doc!("placeholder-mismatch"),
};

impl Rule for PlaceholderMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for q in &m.queries {
            let (Some(text), Some(info)) = (&q.sql.text, &q.sql.info) else {
                continue;
            };
            let pg_style =
                info.placeholders.as_ref().is_some_and(|p| p.max() > 0) && matches!(q.values, Values::Array { .. });
            if !m.kinds.contains_key(&q.handle) && !pg_style {
                continue;
            }
            // A helper of another module binds its own values: judged in the helper.
            if !q.sql.holes.is_empty() || q.sql.tagged || q.sql.varies || text.contains('?') || q.via.is_some() {
                continue;
            }
            let Some(ph) = &info.placeholders else { continue };
            let max = ph.max();
            let list = |n: u32| numbered_list("$", n);
            if let Some(gap) = ph.first_gap() {
                let d = cx
                    .diagnostic(q.sql.range, format!("`${gap}` is never used while `${max}` is: PostgreSQL cannot infer the type of `${gap}` and rejects the query"))
                    .help(format!(
                        "Number the placeholders without gaps ({}) and pass the values in that order",
                        list(ph.numbers.len() as u32)
                    ));
                cx.report(d.context(m.function_name(q.func)));
                continue;
            }
            let message = match &q.values {
                Values::Array { elems, range, .. } => {
                    let n = elems.len() as u32;
                    if n == max {
                        continue;
                    }
                    let d = if max == 0 {
                        cx.diagnostic(*range, format!("{n} value{} passed but the SQL has no placeholders: the query fails with \"bind message supplies {n} parameters\"", if n == 1 { " is" } else { "s are" }))
                    } else {
                        cx.diagnostic(
                            q.sql.range,
                            format!(
                                "the SQL uses placeholders up to `${max}` but {n} value{} passed: the query fails, or binds the wrong values",
                                if n == 1 { " is" } else { "s are" }
                            ),
                        )
                        .label(*range, format!("{n} value{}", if n == 1 { "" } else { "s" }))
                    };
                    d.help(format!(
                        "Pass exactly {max} value{} for {}",
                        if max == 1 { "" } else { "s" },
                        if max == 0 {
                            "no placeholders".to_string()
                        } else {
                            list(max)
                        }
                    ))
                }
                Values::Missing if max > 0 => cx
                    .diagnostic(
                        q.sql.range,
                        format!("the SQL uses `${max}` but no values are passed: the query fails"),
                    )
                    .help(format!(
                        "Pass the values as the second argument: `{}.query(sql, [{}])`",
                        q.receiver,
                        numbered_list("v", max)
                    )),
                _ => continue,
            };
            cx.report(message.context(m.function_name(q.func)));
        }
    }
}

/// `$1, $2, $3` — or `$1, $2, …, $70000` when long: its length never depends on the number in the
/// user's text.
fn numbered_list(prefix: &str, n: u32) -> String {
    const SPELLED_OUT: u32 = 6;
    if n <= SPELLED_OUT {
        return (1..=n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>().join(", ");
    }
    format!("{prefix}1, {prefix}2, …, {prefix}{n}")
}

#[cfg(test)]
mod tests {
    use super::numbered_list;

    #[test]
    fn lists_are_bounded() {
        assert_eq!(numbered_list("$", 3), "$1, $2, $3");
        assert_eq!(numbered_list("$", 0), "");
        assert_eq!(numbered_list("v", u32::MAX), format!("v1, v2, …, v{}", u32::MAX));
    }
}
