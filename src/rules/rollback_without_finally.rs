//! `rollback-without-finally`: a transaction with an error path that does not roll it back, or
//! whose client is not released on an error path (release not in `finally`).
//!
//! Facts used: the flow's exits of each transaction that writes. An exit is an error path when it
//! is an exception (a failing query, an awaited call, `throw`) or runs inside a `catch` or a
//! callback's `err` branch. `client.release(err)` / `done(err)` destroy the connection, which
//! rolls the transaction back, so such a path is fine. Read-only transactions are ignored.
//! Known false negatives: errors thrown by synchronous code we cannot see are not modelled.

use crate::rules::util::{line, owned_writing_transactions, pool_of_client, tx_skeleton};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::FileModel;
use crate::semantic::flow::ExitKind;

pub struct RollbackWithoutFinally;

static META: RuleMeta = RuleMeta {
    id: "rollback-without-finally",
    severity: crate::diagnostic::Severity::Warning,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("rollback-without-finally"),
};

impl Rule for RollbackWithoutFinally {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for (begin, tx, client) in owned_writing_transactions(m) {
            let mut open: Vec<_> = tx.open_exits.iter().filter(|e| e.error_path).collect();
            let mut leaked: Vec<_> = tx.leaked_after_begin.iter().collect();
            if open.is_empty() && leaked.is_empty() {
                continue;
            }
            let at = |e: &crate::semantic::flow::ExitFact| e.origin.unwrap_or(e.site).outer;
            open.sort_by_key(|e| at(e));
            leaked.sort_by_key(|e| at(e));
            let q = m.query(begin);
            let name = m.binding_name(client).to_string();
            let message = match (open.first(), leaked.first()) {
                (Some(e), Some(_)) => format!(
                    "an error after `BEGIN` (line {}) leaves the transaction on `{name}` open and skips `{name}.release()`: the connection goes back to the pool poisoned, or never",
                    line(m, at(e))
                ),
                (Some(e), None) => format!(
                    "an error after `BEGIN` (line {}) leaves the transaction on `{name}` open: no `ROLLBACK` runs on that path",
                    line(m, at(e))
                ),
                (None, Some(e)) => format!(
                    "an error after `BEGIN` (line {}) skips `{name}.release()`: the connection never returns to the pool",
                    line(m, at(e))
                ),
                (None, None) => continue,
            };
            let mut d = cx.diagnostic(q.head, message);
            if let Some(e) = open.first() {
                d = d.label(at(e), "an error here is not rolled back");
                if e.origin.is_some() && !matches!(e.kind, ExitKind::Exception | ExitKind::Throw) {
                    d = d.label(e.site.outer, "the error path leaves here without `ROLLBACK`");
                }
            }
            if let Some(e) = leaked.first()
                && open.first().is_none_or(|o| at(o) != at(e))
            {
                d = d.label(at(e), format!("an error here skips `{name}.release()`"));
            }
            let pool = pool_of_client(m, client);
            let help = if q.callback.is_some() || leaked.is_empty() && pool.is_none() {
                format!(
                    "On every error path run `ROLLBACK` (or release the client with the error: `{name}.release(err)` / `done(err)`)"
                )
            } else {
                format!("Put the statements in `try`, `ROLLBACK` in `catch`, and `{name}.release()` in `finally`")
            };
            let body = vec!["// ... the transaction's statements".to_string()];
            d = d
                .help(help)
                .example(tx_skeleton(pool.as_deref(), &name, &body, m.database));
            cx.report(d.context(m.function_name(q.func)));
        }
        pooled_transactions(m, cx);
    }
}

/// A transaction sent through a pool (reported as such by `pool-transaction`) with no ROLLBACK on
/// an error path: when the code moves to a checked-out client, that path still needs one.
fn pooled_transactions(m: &FileModel<'_>, cx: &mut RuleContext) {
    for (&begin, tx) in &m.flow.txs {
        if !tx.through_pool || !tx.may_write() {
            continue;
        }
        let at = |e: &crate::semantic::flow::ExitFact| e.origin.unwrap_or(e.site).outer;
        let Some(e) = tx.open_exits.iter().filter(|e| e.error_path).min_by_key(|e| at(e)) else {
            continue;
        };
        let q = m.query(begin);
        // A helper of another module sent it: judged in the helper's file, where its `catch` is.
        if q.via.is_some() {
            continue;
        }
        let pool = q.receiver.clone();
        let message = format!(
            "an error after `BEGIN` (line {}) leaves the transaction open: no `ROLLBACK` runs on that path, and the pooled connection that received `BEGIN` goes back to `{pool}` inside it",
            line(m, at(e))
        );
        let body = vec!["// ... the transaction's statements".to_string()];
        let d = cx
            .diagnostic(q.head, message)
            .label(at(e), "an error here is not rolled back")
            .help(format!(
                "Check out one client from `{pool}` for the transaction: statements in `try`, `ROLLBACK` in `catch`, `client.release()` in `finally`"
            ))
            .example(tx_skeleton(Some(&pool), "client", &body, m.database));
        cx.report(d.context(m.function_name(q.func)));
    }
}
