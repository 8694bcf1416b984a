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
use crate::semantic::{AwaitKind, FileModel};

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
        for q in m.db_queries() {
            // A helper of another module awaits (or not) its own statements: judged there. A
            // stream or cursor (`new QueryStream(...)`) is no promise to wait for.
            if !m.handle_kind(&q.handle).is_some_and(|k| k.is_client()) || q.via.is_some() || q.submittable {
                continue;
            }
            let has_callback = q.callback.is_some() || q.callback_binding.is_some() || q.callback_other;
            let in_tx = m
                .flow
                .queries
                .get(&q.id)
                .is_some_and(|c| c.tx.values().flatten().any(|t| t.is_in_tx()));
            // An await on the callback form waits for nothing wherever it is: in a transaction
            // opened here, by the caller (a client parameter), or in none.
            let awaits_callback_form = has_callback
                && (matches!(q.await_kind, AwaitKind::Awaited | AwaitKind::PromiseAll)
                    || (q.await_kind == AwaitKind::Returned && q.in_async_fn));
            if !in_tx && !awaits_callback_form {
                continue;
            }
            let what = describe(m, q.id);
            let d = match (q.await_kind, has_callback) {
                // Tests queue statements on a client without waiting (node-postgres' own style:
                // the client runs them in order); a failure fails the test.
                (AwaitKind::Floating, false) if m.is_test_code(q.func) => continue,
                (AwaitKind::Floating, false) => {
                    let mut d = cx
                        .diagnostic(
                            q.head,
                            format!(
                                "`{what}` inside a transaction is not awaited: it can run after `COMMIT` or out of order, and its error escapes the `catch`"
                            ),
                        )
                        .help("Await the query");
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
