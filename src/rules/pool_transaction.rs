//! `pool-transaction`: `BEGIN`, `COMMIT` or `ROLLBACK` sent through a pool.
//!
//! Each `pool.query` may run on a different connection, so the statements that follow a pooled
//! `BEGIN` are not in its transaction, and the `BEGIN` itself leaves a connection in the pool with
//! an open transaction. A single call that holds `BEGIN; ...; COMMIT` runs on one connection, but
//! when one of its statements fails the rest (the `COMMIT` included) is skipped and the connection
//! goes back to the pool inside an aborted transaction: reported with its own message. Known false
//! negatives: a pool we cannot recognise (see `handles`).

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::rules::util::{indent, is_balanced, line, renamed_text, source_block_text, tx_skeleton};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::sql::StmtKind;
use crate::semantic::{FileModel, HandleKind, QueryEvent};
use crate::source::TextRange;

pub struct PoolTransaction;

static META: RuleMeta = RuleMeta {
    id: "pool-transaction",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("pool-transaction"),
};

/// `'BEGIN; ...; COMMIT'` in one string.
fn whole_transaction_in_one_string(q: &QueryEvent) -> bool {
    q.sql.info.as_ref().is_some_and(|info| {
        let has = |f: fn(&StmtKind) -> bool| info.statements.iter().any(f);
        has(|k| matches!(k, StmtKind::Begin { .. })) && has(|k| matches!(k, StmtKind::Commit | StmtKind::Rollback))
    })
}

fn control(q: &QueryEvent) -> Option<&'static str> {
    let info = q.sql.info.as_ref()?;
    let has = |f: fn(&StmtKind) -> bool| info.statements.iter().any(f);
    let begins = has(|k| matches!(k, StmtKind::Begin { .. }));
    let ends = has(|k| matches!(k, StmtKind::Commit | StmtKind::Rollback));
    if begins && ends {
        return None; // one call, one connection
    }
    info.statements.iter().find_map(|k| match k {
        StmtKind::Begin { .. } => Some("BEGIN"),
        StmtKind::Commit => Some("COMMIT"),
        StmtKind::Rollback => Some("ROLLBACK"),
        _ => None,
    })
}

impl Rule for PoolTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for q in m
            .db_queries()
            .filter(|q| m.handle_kind(&q.handle) == Some(HandleKind::Pool) && q.via.is_none())
            .filter(|q| whole_transaction_in_one_string(q))
        {
            let pool = &q.receiver;
            let body = vec!["// ... the statements of the string, one `client.query` each".to_string()];
            let d = cx
                .diagnostic(
                    q.head,
                    format!(
                        "`BEGIN; ...; COMMIT` sent as one string through `{pool}.query`: if a statement fails, the rest (`COMMIT` included) is skipped and the connection goes back to the pool inside an aborted transaction, where the next request's queries fail"
                    ),
                )
                .help(format!(
                    "Check out one client and send the statements one by one: `const client = await {pool}.connect()`, `BEGIN`, each statement (with `$n` values: a string of several statements cannot take parameters), `COMMIT`, `ROLLBACK` in `catch`, `client.release()` in `finally`"
                ))
                .example(tx_skeleton(Some(pool), "client", &body, m.database));
            cx.report(d.context(m.function_name(q.func)));
        }
        let pooled: Vec<(&QueryEvent, &'static str)> = m
            .db_queries()
            .filter(|q| m.handle_kind(&q.handle) == Some(HandleKind::Pool))
            // Sent by a helper of another module: reported in that helper.
            .filter(|q| q.via.is_none())
            .filter_map(|q| control(q).map(|c| (q, c)))
            .collect();
        // One finding per function: at its first BEGIN (or first COMMIT/ROLLBACK without one).
        let mut done_fns = Vec::new();
        for (q, _) in &pooled {
            let f = m.standalone_of(q.func);
            if done_fns.contains(&(f, q.handle.clone())) {
                continue;
            }
            let same: Vec<&(&QueryEvent, &str)> = pooled
                .iter()
                .filter(|(o, _)| m.standalone_of(o.func) == f && o.handle == q.handle)
                .collect();
            let first = same.iter().find(|(_, v)| *v == "BEGIN").copied().unwrap_or(same[0]);
            let q = first.0;
            done_fns.push((f, q.handle.clone()));
            let pool = &q.receiver;
            let message = if first.1 == "BEGIN" {
                format!(
                    "`BEGIN` sent through `{pool}.query`: the next queries may run on other connections, outside this transaction"
                )
            } else {
                format!(
                    "`{}` sent through `{pool}.query` ends a transaction on whichever connection the pool picks",
                    first.1
                )
            };
            let mut d = cx.diagnostic(q.head, message);
            for (o, v) in same.iter().filter(|(o, _)| o.id != q.id) {
                d = d.label(
                    o.head,
                    format!("`{v}` also goes through the pool (line {})", line(m, o.head)),
                );
            }
            let help = format!(
                "Check out one client and run the whole transaction on it: `const client = await {pool}.connect()`, `BEGIN` / `COMMIT` on `client`, `ROLLBACK` in `catch`, `client.release()` in `finally`"
            );
            let (example, fix) = suggestion(m, &same.iter().map(|(o, _)| *o).collect::<Vec<_>>(), pool);
            d = d.help(help).example(example);
            if let Some(fix) = fix {
                d = d.fix(fix);
            }
            cx.report(d.context(m.function_name(q.func)));
        }
    }
}

/// The statements between BEGIN and COMMIT, moved onto a checked-out client.
fn suggestion(m: &FileModel<'_>, controls: &[&QueryEvent], pool: &str) -> (String, Option<Fix>) {
    let begin = controls.iter().find(|q| control(q) == Some("BEGIN"));
    let commit = controls.iter().find(|q| control(q) == Some("COMMIT"));
    let has_rollback = controls.iter().any(|q| control(q) == Some("ROLLBACK"));
    let (Some(begin), Some(commit)) = (begin, commit) else {
        let body = vec!["// ... the transaction's statements, on `client`".to_string()];
        return (tx_skeleton(Some(pool), "client", &body, m.database), None);
    };
    // The statements strictly between BEGIN and COMMIT, renamed.
    let inner = TextRange::new(begin.stmt_range.end, commit.stmt_range.start);
    let base = m.source.indent_at(commit.stmt_range.start).len();
    let text = renamed_text(m, inner, &begin.handle, "client");
    // Statements that cross a block (BEGIN before a `try`, COMMIT inside it) cannot be moved as
    // they are: the example says where they go instead.
    if !is_balanced(&text) {
        let body = vec!["// ... the transaction's statements, on `client`".to_string()];
        return (tx_skeleton(Some(pool), "client", &body, m.database), None);
    }
    let body = vec![source_block_text(text.trim(), base)];
    let example = tx_skeleton(Some(pool), "client", &body, m.database);
    // An edit only for the plain shape: BEGIN ... COMMIT as one statement sequence, no ROLLBACK.
    let region = TextRange::new(begin.stmt_range.start, commit.stmt_range.end);
    let region_text = m.source.slice(region);
    let fix = (!has_rollback
        && begin.func == commit.func
        && m.query(begin.id).in_async_fn
        && is_balanced(region_text)
        && !crate::source::lines(region_text).any(|l| {
            let t = l.trim_start();
            t.starts_with("const ") || t.starts_with("let ") || t.starts_with("return")
        }))
    .then(|| {
        let ind = m.source.indent_at(region.start).to_string();
        let replaced = indent(&example, &ind);
        Fix {
            title: format!("Run the transaction on a client from `{pool}.connect()`"),
            applicability: Applicability::Suggestion,
            edits: vec![Edit::replace(region, replaced.trim_start().to_string())],
        }
    });
    (example, fix)
}
