//! `rollback-swallows-error`: a transaction's `catch` sends ROLLBACK and then neither rethrows, nor
//! hands the error on (`next(err)`, a callback's error argument), nor sends a response, nor returns
//! a value (that may carry the error to a caller that checks it): the function ends normally, and
//! its caller carries on as if the writes had happened.
//!
//! Facts used: the flow's error paths that rolled back a writing transaction and then leave the
//! function by `return;` or its end. A `return <value>` is assumed to report the failure.

use std::collections::BTreeSet;

use crate::rules::util::line;
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::FileModel;
use crate::semantic::flow::ExitKind;

pub struct RollbackSwallowsError;

static META: RuleMeta = RuleMeta {
    id: "rollback-swallows-error",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("rollback-swallows-error"),
};

impl Rule for RollbackSwallowsError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        let mut seen = BTreeSet::new();
        for f in &m.flow.swallowed {
            let writes = m.flow.txs.get(&f.begin).is_some_and(|t| t.may_write());
            if !writes || (f.kind == ExitKind::Return && returns_a_value(m.source.slice(f.site.range))) {
                continue;
            }
            // A test that rolls back on purpose checks what follows; its errors fail the test.
            if !seen.insert(f.rollback) || m.is_test_code(f.root) {
                continue;
            }
            // One error the catch expects and handles by its code (a duplicate delivery's 23505):
            // ending normally there is the point.
            if m.error_code_branches.iter().any(|b| b.contains(f.site.range)) {
                continue;
            }
            let rollback = m.query(f.rollback);
            let name = m.function_name(f.root).unwrap_or_else(|| "the function".to_string());
            let how = match f.kind {
                ExitKind::Return => format!("returns normally (line {})", line(m, f.site.range)),
                _ => "ends normally".to_string(),
            };
            let d = cx
                .diagnostic(
                    rollback.head,
                    format!(
                        "after `ROLLBACK` the error is dropped: `{name}` {how}, so its caller carries on as if the transaction's writes had happened"
                    ),
                )
                .label(f.site.range, "leaves here without the error".to_string())
                .help("Rethrow after the ROLLBACK (`throw err`), hand the error on (`next(err)`, the callback's error argument), or send an error response");
            cx.report(d.context(m.function_name(rollback.func)));
        }
    }
}

/// `return x;` rather than `return;` (or the end of the function).
fn returns_a_value(text: &str) -> bool {
    let rest = text.trim_start().strip_prefix("return").unwrap_or("").trim();
    !(rest.is_empty() || rest == ";")
}

#[cfg(test)]
mod tests {
    use super::returns_a_value;

    #[test]
    fn return_values() {
        assert!(!returns_a_value("return;"));
        assert!(!returns_a_value("return"));
        assert!(returns_a_value("return { ok: false, error: err };"));
        assert!(returns_a_value("return false;"));
    }
}
