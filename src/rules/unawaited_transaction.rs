//! `unawaited-transaction`: a call of a function of the project that runs a transaction (its body
//! sends BEGIN ... COMMIT, or it is a transaction wrapper) whose promise is neither awaited,
//! returned, chained (`.then` / `.catch`), nor passed on (`Promise.all`, a variable, an argument):
//! its failure vanishes, and the response or the caller's next step races its COMMIT.
//!
//! Facts used: the calls whose result is dropped (an expression statement) of this file's functions
//! whose body, or a callback inside it, sends a BEGIN; and of other modules' functions that linking
//! found to run a transaction. An unknown callee is never reported, nor a call at the top level of
//! a module (a script's `main();`, whose failure ends the process), nor a callback-style function.

use std::collections::BTreeSet;

use crate::rules::util::line;
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::{AwaitKind, FileModel, FuncId, MODULE_FN, Origin, QueryId};

pub struct UnawaitedTransaction;

static META: RuleMeta = RuleMeta {
    id: "unawaited-transaction",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("unawaited-transaction"),
};

impl Rule for UnawaitedTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        let mut seen = BTreeSet::new();
        // A call at the top level of a module is a script's entry point (`main();`): a failure
        // there ends the process with the error (Node's unhandled-rejection default), it does not
        // vanish.
        for c in m.floating_calls.iter().filter(|c| c.func != MODULE_FN) {
            let Origin::Function(fid) = m.bindings[c.binding as usize].origin else {
                continue;
            };
            // Only an async function's call returns a promise (a callback-style function's
            // result is its callback's business).
            if !m.functions[fid as usize].is_async {
                continue;
            }
            let Some(begin) = begin_of(m, fid) else { continue };
            if !seen.insert(c.range.start) {
                continue;
            }
            let where_ = format!("`BEGIN` on line {}", line(m, m.query(begin).range));
            report(m, cx, c.range, &c.callee_text, c.func, &where_);
        }
        for e in &m.ext_calls {
            let Some(via) = &e.runs_tx else { continue };
            if e.await_kind != AwaitKind::Floating || e.func == MODULE_FN || !seen.insert(e.range.start) {
                continue;
            }
            let where_ = if via.line > 0 {
                format!("sent by `{}` in {}:{}", via.function, via.path.display(), via.line)
            } else {
                format!("in `{}`", via.function)
            };
            report(m, cx, e.range, &e.callee_text, e.func, &where_);
        }
    }
}

fn report(
    m: &FileModel<'_>,
    cx: &mut RuleContext,
    range: crate::source::TextRange,
    callee: &str,
    func: FuncId,
    where_: &str,
) {
    let d = cx
        .diagnostic(
            range,
            format!(
                "`{callee}(...)` runs a transaction ({where_}) but nobody waits for it: if it fails, or its COMMIT is aborted (40001), nothing sees the error, and what follows runs before it commits"
            ),
        )
        .help(format!(
            "Await it (`await {callee}(...)`), return it, or chain `.catch(next)` so that its failure reaches the caller"
        ));
    cx.report(d.context(m.function_name(func)));
}

/// The first BEGIN sent by `f` or by a function nested in it (a callback it runs).
fn begin_of(m: &FileModel<'_>, f: FuncId) -> Option<QueryId> {
    m.queries_within(f)
        .filter(|q| q.via.is_none())
        .filter(|q| q.sql.info.as_ref().is_some_and(|i| i.begins()))
        .map(|q| q.id)
        .min()
}
