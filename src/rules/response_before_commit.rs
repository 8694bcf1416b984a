//! `response-before-commit`: an HTTP response (`res.send/json/end/sendStatus/redirect`,
//! `res.status(..).send(..)`, `reply.send`, ...) sent on a path where a writing transaction is
//! still open, before its COMMIT, or inside a callback given to a transaction wrapper that commits
//! after the callback returns. If the COMMIT then fails (a 40001 abort on CockroachDB, a deferred
//! constraint), the client has been told "success" for writes that were rolled back.
//!
//! Facts used: the flow's responses on normal paths with a transaction of the path still to
//! commit. Error responses (`status(4xx/5xx)`, `sendStatus(4xx/5xx)`, `next(...)`) and read-only
//! transactions are left alone.

use std::collections::BTreeSet;

use crate::rules::util::line;
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::{FileModel, FuncId};

pub struct ResponseBeforeCommit;

static META: RuleMeta = RuleMeta {
    id: "response-before-commit",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("response-before-commit"),
};

impl Rule for ResponseBeforeCommit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        let mut seen = BTreeSet::new();
        for r in &m.flow.responses_in_tx {
            let text = m.source.slice(r.site.range);
            if is_error_response(text) || !seen.insert(r.site.range.start) {
                continue;
            }
            let (what, commits) = match r.begin {
                Some(b) => {
                    let writes = m.flow.txs.get(&b).is_some_and(|t| t.may_write());
                    if !writes {
                        continue;
                    }
                    (
                        format!(
                            "the transaction begun on line {} is still open",
                            line(m, m.query(b).range)
                        ),
                        "its `COMMIT`",
                    )
                }
                None => {
                    if !writes_within(m, r.root) {
                        continue;
                    }
                    (
                        "this callback runs inside a transaction that the wrapper commits only after it returns"
                            .to_string(),
                        "that `COMMIT`",
                    )
                }
            };
            let d = cx
                .diagnostic(
                    r.site.range,
                    format!(
                        "the response is sent while {what}: if {commits} fails (a 40001 abort on CockroachDB), the client has been told \"success\" for writes that were rolled back"
                    ),
                )
                .help("Send the response after `COMMIT` succeeds (or after the wrapper's promise resolves), and an error response if it fails");
            cx.report(d.context(m.function_name(r.root)));
        }
    }
}

/// `res.status(500).json(..)`, `res.sendStatus(404)`, `next(err)`: telling the client it failed is
/// never premature.
fn is_error_response(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with("next") {
        return true;
    }
    // `res.send({ error: 'Seat already booked' })`, `res.json({ success: false, ... })`: an
    // answer that says it failed, whatever its status.
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if [
        "{error:",
        ",error:",
        "{errors:",
        ",errors:",
        "success:false",
        "ok:false",
    ]
    .iter()
    .any(|k| compact.contains(k))
    {
        return true;
    }
    for key in ["status(", "sendStatus(", "code("] {
        if let Some(i) = t.find(key) {
            let code = t[i + key.len()..].trim_start();
            if code.starts_with('4') || code.starts_with('5') {
                return true;
            }
        }
    }
    false
}

/// Whether function `f`, or a callback inside it, sends a write.
fn writes_within(m: &FileModel<'_>, f: FuncId) -> bool {
    m.queries_within(f)
        .any(|q| q.sql.info.as_ref().is_some_and(|i| i.is_write()))
}

#[cfg(test)]
mod tests {
    use super::is_error_response;

    #[test]
    fn error_responses() {
        assert!(is_error_response("res.status(500).json({ error: 'x' })"));
        assert!(is_error_response("res.sendStatus(404)"));
        assert!(is_error_response("next(err)"));
        assert!(is_error_response("reply.code(409).send()"));
        assert!(!is_error_response("res.status(201).json(order)"));
        assert!(!is_error_response("res.json(order)"));
        assert!(!is_error_response("res.sendStatus(204)"));
        assert!(is_error_response("res.send({ error: 'Seat already booked' })"));
        assert!(is_error_response("res.json({ success: false, message: 'taken' })"));
        assert!(!is_error_response("res.json({ success: true, errorCount: 0 })"));
    }
}
