//! `early-return-in-transaction`: a path leaves the function (return, response then return, end of
//! the function or of a callback) while a transaction is open, with no COMMIT or ROLLBACK.
//!
//! Facts used: the flow's exits of each writing transaction that are not error paths (those belong
//! to `rollback-without-finally`). A helper that only begins a transaction on a client it was given,
//! and never commits, hands it back to its caller on purpose and is left alone.

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::rules::util::{line, owned_writing_transactions};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::FileModel;
use crate::semantic::flow::ExitKind;

pub struct EarlyReturnInTransaction;

static META: RuleMeta = RuleMeta {
    id: "early-return-in-transaction",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("early-return-in-transaction"),
};

impl Rule for EarlyReturnInTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for (begin, tx, client) in owned_writing_transactions(m) {
            let name = m.binding_name(client).to_string();
            let b = m.query(begin);
            // Report at the `return` that left the transaction open (inside a `.then` step or a
            // helper, that is not where the function itself exits).
            let at = |e: &crate::semantic::flow::ExitFact| e.returned_at.unwrap_or(e.site);
            let mut exits: Vec<_> = tx.open_exits.iter().filter(|e| !e.error_path).collect();
            exits.sort_by_key(|e| at(e).outer);
            exits.dedup_by_key(|e| at(e).outer);
            for e in exits {
                let site = at(e);
                let kind = if e.returned_at.is_some() {
                    ExitKind::Return
                } else {
                    e.kind
                };
                let message = match kind {
                    ExitKind::Return if e.responded => format!(
                        "sends the response and returns while the transaction on `{name}` (BEGIN at line {}) is still open: nothing it wrote is committed, and the connection stays mid-transaction, holding its locks",
                        line(m, b.head)
                    ),
                    ExitKind::Return => format!(
                        "returns while the transaction on `{name}` (BEGIN at line {}) is still open: nothing it wrote is committed, and the connection stays mid-transaction, holding its locks",
                        line(m, b.head)
                    ),
                    _ => format!(
                        "reaches the end while the transaction on `{name}` (BEGIN at line {}) is still open: no COMMIT or ROLLBACK runs on this path",
                        line(m, b.head)
                    ),
                };
                let mut d = cx
                    .diagnostic(site.outer, message)
                    .label(b.head, "the transaction begins here")
                    .help(format!(
                        "End the transaction on every path: `await {name}.query('ROLLBACK')` before returning early (or `COMMIT` if its work should stay)"
                    ));
                if kind == ExitKind::Return
                    && site.outer == site.range
                    && b.in_async_fn
                    && starts_statement(&m.source.text, site.range.start)
                {
                    let at = site.range.start;
                    let indent = m.source.indent_at(at).to_string();
                    d = d.fix(Fix {
                        title: "Roll back before returning".to_string(),
                        applicability: Applicability::Suggestion,
                        edits: vec![Edit::insert(at, format!("await {name}.query('ROLLBACK');\n{indent}"))],
                    });
                }
                cx.report(d.context(m.function_name(e.root)));
            }
        }
    }
}

/// Whether a statement at `at` begins after `{`, `;` or `}` (so a statement can be inserted before
/// it), not as the braceless body of an `if` or `else`.
fn starts_statement(text: &str, at: u32) -> bool {
    let before = text.get(..at as usize).unwrap_or("").trim_end();
    matches!(before.chars().last(), Some('{' | ';' | '}'))
}
