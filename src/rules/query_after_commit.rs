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
use crate::semantic::flow::TxFacts;
use crate::semantic::sql::StmtKind;
use crate::semantic::{FileModel, QueryEvent, QueryId, Taint, Values};

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
        // A COMMIT after which some write belongs with the transaction: every write after it on
        // the path is the rest of that unit of work.
        // Each COMMIT's transaction, looked up once (not a scan of every transaction per write).
        let by_commit: std::collections::BTreeMap<QueryId, &TxFacts> = m
            .flow
            .txs
            .values()
            .flat_map(|t| t.commits.iter().map(move |c| (*c, t)))
            .collect();
        let tx_of = |commit: QueryId| by_commit.get(&commit).copied();
        // Each (COMMIT, write) judged once, and a COMMIT no more once one write belongs with it:
        // a path's facts repeat the same pairs.
        let mut related: BTreeSet<QueryId> = BTreeSet::new();
        let mut judged: BTreeSet<(QueryId, QueryId)> = BTreeSet::new();
        for f in &m.flow.after_commit {
            if related.contains(&f.commit) || !judged.insert((f.commit, f.query)) {
                continue;
            }
            if tx_of(f.commit).is_some_and(|tx| belongs_with(m, m.query(f.query), tx)) {
                related.insert(f.commit);
            }
        }
        for f in &m.flow.after_commit {
            let q = m.query(f.query);
            let commit = m.query(f.commit);
            // Judged in the function that commits (not again at each call of it), and not in
            // tests, which commit on purpose to let other connections see their rows.
            if m.standalone_of(commit.func) != f.root || m.is_test_code(f.root) {
                continue;
            }
            let Some(tx) = tx_of(f.commit) else {
                continue;
            };
            if !related.contains(&f.commit) || !seen.insert((f.site.outer, f.commit)) {
                continue;
            }
            let what = describe(m, f.query);
            let wrote = tx.may_write();
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

/// Whether a write after COMMIT belongs with the transaction: it sends a value the transaction's
/// statements produced (`RETURNING id`, a row it read) or one its writes were sent too (the same
/// `orderId`), or writes a table the transaction wrote, or the transaction was empty (`BEGIN; COMMIT` with nothing between: the write was meant inside). A
/// write of its own (a seed after a loop of migrations, an unrelated log line) is not reported.
fn belongs_with(m: &FileModel<'_>, q: &QueryEvent, tx: &TxFacts) -> bool {
    let from_tx = |t: &Taint| t.iter().any(|(id, _)| tx.inside.contains(id));
    let uses_tx_value = q.sql.holes.iter().any(from_tx)
        || matches!(&q.values, Values::Array { elems, .. } if elems.iter().any(from_tx));
    let tables = |id: QueryId| -> Vec<String> {
        m.query(id)
            .sql
            .info
            .iter()
            .flat_map(|i| i.statements.iter())
            .filter_map(|k| k.write_table().map(str::to_ascii_lowercase))
            .collect()
    };
    let written: Vec<String> = tx.writes.iter().flat_map(|w| tables(*w)).collect();
    let same_table = tables(q.id).iter().any(|t| written.contains(t));
    // The same value passed (`orderId`, `req.user.id`): the write is about what the transaction
    // wrote. Literals say nothing.
    let names = |id: QueryId| -> Vec<&str> {
        match &m.query(id).values {
            Values::Array { texts, .. } => texts
                .iter()
                .map(String::as_str)
                .filter(|t| {
                    t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
                        && !matches!(*t, "true" | "false" | "null" | "undefined")
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let tx_names: Vec<&str> = tx.writes.iter().flat_map(|w| names(*w)).collect();
    let same_value = names(q.id).iter().any(|n| tx_names.contains(n));
    let control_only = |id: &QueryId| {
        m.query(*id).sql.info.as_ref().is_some_and(|i| {
            i.statements
                .iter()
                .all(|k| matches!(k, StmtKind::Begin { .. } | StmtKind::SetTransaction { .. }))
        })
    };
    let empty = tx.writes.is_empty() && !tx.delegated && tx.inside.iter().all(control_only);
    uses_tx_value || same_table || same_value || empty
}
