//! `missing-retry`: a transaction that writes and commits, with nothing that retries it when the
//! database aborts it with SQLSTATE 40001.
//!
//! Facts used: the flow's transactions (BEGIN with writes and a COMMIT on some path) and the
//! model's retry evidence (`FileModel::is_retried`): a literal or constant `40001`, an error-code
//! comparison against a constant defined elsewhere, a call of something named like a retry helper,
//! or a function passed to one, in the transaction's function, its enclosing or nested functions,
//! or its callers in this file. The CockroachDB `SAVEPOINT cockroach_restart` protocol counts as
//! retrying. On PostgreSQL only SERIALIZABLE and REPEATABLE READ transactions are checked.
//! A transaction whose client is handed to a callback (a wrapper) counts as writing. A wrapper of
//! another module counts as retrying when its summary does (see `project::link`).
//! Known false positives: a retry done around a wrapper by a caller in another file is not seen.

use crate::rules::util::{is_balanced, line, source_block_text, tx_skeleton};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::flow::TxFacts;
use crate::semantic::sql::Isolation;
use crate::semantic::{Database, FileModel, QueryId};
use crate::source::TextRange;

pub struct MissingRetry;

static META: RuleMeta = RuleMeta {
    id: "missing-retry",
    severity: crate::diagnostic::Severity::Warning,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("missing-retry"),
};

impl Rule for MissingRetry {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for (&begin, tx) in &m.flow.txs {
            if !tx.may_write()
                || tx.commits.is_empty()
                || tx.restart_protocol
                || tx.retried_by_loop
                // Test code (a test, its setup): a conflict fails the test run, nobody retries it.
                || (!tx.roots.is_empty() && tx.roots.iter().all(|r| m.is_test_code(*r)))
            {
                continue;
            }
            let Some(client) = tx.client else { continue };
            let strict = matches!(tx.isolation, Some(Isolation::Serializable | Isolation::RepeatableRead));
            if m.database == Database::Postgres && !strict {
                continue;
            }
            if m.is_retried(begin) {
                continue;
            }
            let q = m.query(begin);
            let client_name = m.binding_name(client).to_string();
            let why = match m.database {
                Database::Cockroachdb => {
                    "CockroachDB runs every transaction SERIALIZABLE and aborts conflicting ones with SQLSTATE 40001, expecting the client to retry"
                }
                Database::Postgres => {
                    "PostgreSQL aborts conflicting SERIALIZABLE/REPEATABLE READ transactions with SQLSTATE 40001, expecting the client to retry"
                }
            };
            let commit = tx.commits.iter().next().map(|c| m.query(*c).head);
            let mut d = cx.diagnostic(
                q.head,
                format!("transaction on `{client_name}` is never retried on SQLSTATE 40001: {why}"),
            );
            if let Some(c) = commit {
                d = d.label(
                    c,
                    format!("commits here (line {}); a 40001 abort surfaces as an error", line(m, c)),
                );
            }
            d = d
                .help(
                    "Retry the whole transaction on `err.code === '40001'` in a bounded loop with backoff (run `ROLLBACK` first), or map 40001 to HTTP 409 so the caller retries",
                )
                .example(users_transaction_retried(m, begin, tx, &client_name).unwrap_or_else(|| retry_example(&client_name)));
            cx.report(d.context(m.function_name(q.func)));
        }
    }
}

/// The user's own statements between BEGIN and COMMIT, inside the retry loop: when BEGIN and its
/// first COMMIT are in one function and what lies between them is whole statements.
fn users_transaction_retried(m: &FileModel<'_>, begin: QueryId, tx: &TxFacts, client: &str) -> Option<String> {
    let b = m.query(begin);
    let c = tx
        .commits
        .iter()
        .map(|c| m.query(*c))
        .find(|c| c.func == b.func && c.stmt_range.start > b.stmt_range.end)?;
    if b.via.is_some() || c.via.is_some() {
        return None;
    }
    let inner = TextRange::new(b.stmt_range.end, c.stmt_range.start);
    let text = m.source.slice(inner);
    if !is_balanced(text) || text.trim().is_empty() {
        return None;
    }
    let base = m.source.indent_at(c.stmt_range.start).len();
    let body = [source_block_text(text.trim(), base)];
    Some(tx_skeleton(None, client, &body, Database::Cockroachdb))
}

fn retry_example(client: &str) -> String {
    format!(
        "for (let attempt = 1; ; attempt++) {{
  try {{
    await {client}.query('BEGIN');
    // ... the transaction's statements
    await {client}.query('COMMIT');
    break;
  }} catch (err) {{
    await {client}.query('ROLLBACK');
    if (err.code !== '40001' || attempt === 10) throw err;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt * 10));
  }}
}}"
    )
}
