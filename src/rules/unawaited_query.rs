//! `unawaited-query`: a query inside a transaction whose promise nobody waits for, or an `await`
//! on the callback form of `query` (which returns `undefined`).
//!
//! Awaited, returned, `.then`-chained, `Promise.all`-ed and callback-style calls are fine; a promise
//! stored in a variable is assumed to be awaited later, and a stream or cursor (`new QueryStream`,
//! `new Cursor`) is no promise. Unawaited queries are checked while a transaction is open on their
//! client; an `await` on the callback form (a function literal, a name or a method such as
//! `this.handle`) on any client, whatever its transaction. The fix (`await`) is safe in an async
//! function.

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::rules::util::describe;
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::sql::StmtKind;
use crate::semantic::{AwaitKind, FileModel, FnRole, FuncId};

pub struct UnawaitedQuery;

static META: RuleMeta = RuleMeta {
    id: "unawaited-query",
    severity: crate::diagnostic::Severity::Warning,
    fix: FixAvailability::Safe,
    doc: rule_doc!("unawaited-query"),
};

impl Rule for UnawaitedQuery {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        // Statements of transactions sent through a pool: their BEGINs and what runs inside them.
        let in_pool_tx: std::collections::BTreeSet<crate::semantic::QueryId> = m
            .flow
            .txs
            .iter()
            .filter(|(_, t)| t.through_pool)
            .flat_map(|(b, t)| std::iter::once(*b).chain(t.inside.iter().copied()))
            .collect();
        for q in m.db_queries() {
            // A helper of another module awaits (or not) its own statements: judged there. A
            // stream or cursor (`new QueryStream(...)`) is no promise to wait for.
            let Some(kind) = m.handle_kind(&q.handle) else { continue };
            if q.via.is_some() || q.submittable {
                continue;
            }
            let has_callback = q.callback.is_some() || q.callback_binding.is_some() || q.callback_other;
            let in_tx = if kind.is_client() {
                // In a transaction, or the BEGIN that opens one.
                m.flow.txs.contains_key(&q.id)
                    || m.flow
                        .queries
                        .get(&q.id)
                        .is_some_and(|c| c.tx.values().flatten().any(|t| t.is_in_tx()))
            } else {
                // Through a pool: a BEGIN that opens a transaction, or a statement sent while one
                // is open (`pool-transaction` reports the pool; the missing `await` stays a bug
                // once the code uses a client).
                in_pool_tx.contains(&q.id)
            };
            // An await on the callback form waits for nothing wherever it is: in a transaction
            // opened here, by the caller (a client parameter), or in none.
            let awaits_callback_form = kind.is_client()
                && has_callback
                && (matches!(q.await_kind, AwaitKind::Awaited | AwaitKind::PromiseAll)
                    || (q.await_kind == AwaitKind::Returned && q.in_async_fn));
            if !in_tx && !awaits_callback_form {
                continue;
            }
            let what = describe(m, q.id);
            if let Some(cb) = unawaited_callback_of(m, q.func).filter(|_| !has_callback) {
                let d = cx
                    .diagnostic(
                        q.head,
                        format!(
                            "`{what}` runs in an `async` callback of `forEach`, which does not wait for it: its error escapes the `catch` (no `ROLLBACK` runs, and `COMMIT` on the aborted transaction silently rolls everything back), and what the callback sends after its first `await` can come after `COMMIT` or the release"
                        ),
                    )
                    .label(m.functions[cb as usize].span, "`forEach` drops this callback's promise")
                    .help("Loop with `for (const item of items) { await ... }`, or `await Promise.all(items.map(async (item) => ...))` before `COMMIT`");
                cx.report(d.context(m.function_name(q.func)));
                continue;
            }
            let d = match (q.await_kind, has_callback) {
                // Tests queue statements on a client without waiting (node-postgres' own style:
                // the client runs them in order); a failure fails the test.
                (AwaitKind::Floating, false) if m.is_test_code(q.func) => continue,
                (AwaitKind::Floating, false) => {
                    let message = match q.sql.info.as_ref().and_then(|i| i.statements.first()) {
                        Some(StmtKind::Begin { .. }) => format!(
                            "`{what}` is not awaited: if it fails, its error escapes the `catch` and the statements after it run outside any transaction"
                        ),
                        Some(StmtKind::Commit) => format!(
                            "`{what}` is not awaited: the code after it runs before the transaction commits, and a failed COMMIT (40001 on CockroachDB) goes unseen"
                        ),
                        _ => format!(
                            "`{what}` inside a transaction is not awaited: it can run after `COMMIT` or out of order, and its error escapes the `catch`"
                        ),
                    };
                    let mut d = cx.diagnostic(q.head, message).help("Await the query");
                    if q.in_async_fn {
                        d = d.fix(Fix {
                            title: "Add `await`".to_string(),
                            applicability: Applicability::Safe,
                            edits: vec![Edit::insert(q.range.start, "await ")],
                        });
                    } else {
                        d = d.help("Return the promise, or make the function `async` and await the query");
                    }
                    d
                }
                // `return client.query(sql, cb)` in a plain callback just exits early; in an async
                // function the caller awaits the `undefined` it returns.
                _ if awaits_callback_form => {
                    cx
                    .diagnostic(
                        q.head,
                        format!(
                            "`await` on the callback form of `{}.query` waits for nothing: with a callback `query` returns `undefined`, so `{what}` may still be running and its error escapes the surrounding `try`/`catch`",
                            q.receiver
                        ),
                    )
                    .help("Drop the callback and await the returned promise: `const result = await client.query(text, values)`")
                }
                _ => continue,
            };
            cx.report(d.context(m.function_name(q.func)));
        }
    }
}

/// The `async` `forEach` callback a query runs in (directly, or in callbacks run in place inside
/// it), if any.
fn unawaited_callback_of(m: &FileModel<'_>, mut f: FuncId) -> Option<FuncId> {
    loop {
        let func = &m.functions[f as usize];
        if func.unawaited_callback {
            return Some(f);
        }
        match (func.role, func.parent) {
            (FnRole::Inline | FnRole::ChainStep, Some(p)) => f = p,
            _ => return None,
        }
    }
}
