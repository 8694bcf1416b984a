//! `query-after-commit`: a write sent on a client after the COMMIT of its transaction, on the same
//! path, with no new BEGIN: it runs in autocommit, on its own. The transaction's writes are already
//! committed when it fails, and a reader can see them without it.
//!
//! Facts used: the flow's writes on a client whose path committed a transaction and has not begun
//! another (a ROLLBACK, or an error path, forgets the COMMIT: writes there are compensations or
//! logs). Reads after a COMMIT are fine. A new BEGIN starts a new transaction.

use std::collections::BTreeSet;

use crate::rules::util::{describe, line};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::FileModel;

pub struct QueryAfterCommit;

static META: RuleMeta = RuleMeta {
    id: "query-after-commit",
    severity: crate::diagnostic::Severity::Warning,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("query-after-commit"),
};

impl Rule for QueryAfterCommit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        let mut seen = BTreeSet::new();
        for f in &m.flow.after_commit {
            if !seen.insert((f.site.outer, f.commit)) {
                continue;
            }
            let q = m.query(f.query);
            let commit = m.query(f.commit);
            let what = describe(m, f.query);
            // The transaction this COMMIT ended: did it write anything?
            let wrote = m
                .flow
                .txs
                .values()
                .any(|t| t.commits.contains(&f.commit) && !t.writes.is_empty());
            let consequence = if wrote {
                "if it fails, the transaction's writes stay"
            } else {
                "the transaction before it is empty and protects nothing"
            };
            let d = cx
                .diagnostic(
                    f.site.outer,
                    format!(
                        "`{what}` runs on `{}` after `COMMIT` (line {}): it is not part of the transaction and commits on its own; {consequence}",
                        q.receiver,
                        line(m, commit.range)
                    ),
                )
                .label(commit.range, "the transaction ends here".to_string())
                .help(format!(
                    "Send it before `COMMIT`, inside the transaction; if it must run apart, begin a new transaction for it (`await {}.query('BEGIN')`)",
                    q.receiver
                ));
            cx.report(d.context(m.function_name(q.func)));
        }
    }
}
