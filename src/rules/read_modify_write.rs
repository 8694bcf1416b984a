//! `read-modify-write`: a SELECT of column `c` of table `T` decides, or computes, a later UPDATE
//! of `T` that sets `c`, with nothing making the read and the write atomic.
//!
//! Facts used: taint (which query result a value comes from, down to the column), guards and
//! control dependence from the flow, and the transaction state of both queries in each analysed
//! root. The read counts for column `c` when it selects `c` (or `*`) and the value flows into the
//! UPDATE's assignment of `c`, or when a guard on `c` (or, for the job-claim race, on the existence
//! of rows filtered by `c`) decides the UPDATE. Silent when the UPDATE's WHERE re-tests `c` or a
//! version column (optimistic concurrency), when the SELECT locks the row (`FOR UPDATE`) in the same
//! transaction, and when either query's transaction state is unknown.
//! Severity: error without a transaction; inside a transaction without `FOR UPDATE`, a warning on
//! CockroachDB (SERIALIZABLE turns the race into 40001 retries) and an error on PostgreSQL (READ
//! COMMITTED loses the update).

use std::collections::BTreeSet;

use crate::diagnostic::{Applicability, Edit, Fix, Severity};
use crate::rules::util::{js_sql_literal, line, tx_skeleton, values_text};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::flow::Tx;
use crate::semantic::sql::{Columns, Lock, ParamRef, StmtKind};
use crate::semantic::{Database, Field, FileModel, FuncId, QueryId, Values};

pub struct ReadModifyWrite;

static META: RuleMeta = RuleMeta {
    id: "read-modify-write",
    severity: Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("read-modify-write"),
};

/// How a read reaches the write.
enum Link {
    /// A guard on the value decides the UPDATE.
    Guard(crate::semantic::GuardId),
    /// The value read flows into the new value.
    Value,
}

fn is_version_column(c: &str) -> bool {
    let c = c.to_ascii_lowercase();
    [
        "version",
        "revision",
        "updated_at",
        "modified_at",
        "etag",
        "xmin",
        "lock_version",
    ]
    .iter()
    .any(|v| c == *v || c.ends_with(&format!("_{v}")))
}

impl Rule for ReadModifyWrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for u in m.db_queries() {
            let Some(StmtKind::Update(upd)) = m.stmt(u.id) else {
                continue;
            };
            if m.is_one_shot_script(u.func) {
                continue;
            }
            let (Some(table), true) = (upd.table.as_deref(), upd.assignments_known) else {
                continue;
            };
            let Some(uctx) = m.flow.queries.get(&u.id) else {
                continue;
            };
            let Columns::Some(u_where) = &upd.where_columns else {
                continue;
            };
            if u_where.iter().any(|c| is_version_column(c)) {
                continue;
            }
            let mut found = None;
            'search: for (root, guards) in &uctx.guards {
                // Value flow: the new value of `c` comes from the read of `c`.
                for a in &upd.assignments {
                    if u_where.contains(&a.column) {
                        continue;
                    }
                    for p in &a.params {
                        for (sq, field) in param_taint(m, u.id, *p) {
                            if reads_column(m, sq, &field, &a.column, table) {
                                found = Some((*root, sq, a.column.clone(), Link::Value));
                                break 'search;
                            }
                        }
                    }
                }
                // Guards: a decision on the value read decides the write.
                if uctx.coarse_roots.contains(root) {
                    continue;
                }
                for (g, &(t, f, absent)) in guards {
                    if absent || (t && f) {
                        continue;
                    }
                    for (sq, field) in &m.guards[*g as usize].taint {
                        for a in &upd.assignments {
                            if !u_where.contains(&a.column)
                                && decided_value(m, u.id, a)
                                && guard_column(m, *sq, field, &a.column, table)
                            {
                                found = Some((*root, *sq, a.column.clone(), Link::Guard(*g)));
                                break 'search;
                            }
                        }
                    }
                }
            }
            let Some((root, sq, column, link)) = found else {
                continue;
            };
            let s = m.query(sq);
            let Some(StmtKind::Select(sel)) = m.stmt(sq) else {
                continue;
            };
            if different_rows(m, sq, &sel.key_params, u.id, &upd.key_params) {
                continue;
            }
            let Some(context) = context(m, root, sq, u.id) else {
                continue;
            };
            let (severity, why) = match (context, m.database) {
                (Context::NoTransaction, _) => (
                    Severity::Error,
                    "outside a transaction: two concurrent requests read the same value and the second write silently overwrites the first (lost update)".to_string(),
                ),
                (Context::SameTransaction, _) if sel.lock == Some(Lock::ForUpdate) => continue,
                // An earlier `SELECT ... FOR UPDATE` in the transaction (the account that owns
                // these holdings): concurrent writers queue behind that lock already.
                (Context::SameTransaction, _) if locked_before(m, root, sq) => continue,
                // `SELECT ... ${forUpdate ? 'FOR UPDATE' : ''}`: a lock we cannot see may be there.
                (Context::SameTransaction, _)
                    if sel.lock.is_none() && s.sql.text.as_deref().is_some_and(|t| t.contains(crate::semantic::sql::HOLE_PREFIX)) =>
                {
                    continue;
                }
                (Context::SameTransaction, Database::Cockroachdb) => (
                    Severity::Warning,
                    "inside a transaction without `SELECT ... FOR UPDATE`: CockroachDB (SERIALIZABLE) aborts one of two concurrent transactions with 40001, so under contention this retries instead of waiting".to_string(),
                ),
                (Context::SameTransaction, Database::Postgres) => (
                    Severity::Error,
                    "inside a transaction without `SELECT ... FOR UPDATE`: PostgreSQL's default READ COMMITTED lets two transactions read the same value, and the second write overwrites the first (lost update)".to_string(),
                ),
            };
            let how = match link {
                Link::Value => format!("sets `{column}` from the value read at line {}", line(m, s.head)),
                Link::Guard(_) => format!(
                    "sets `{column}` after a check on the value read at line {}",
                    line(m, s.head)
                ),
            };
            let mut d = cx.diagnostic(u.head, format!("`UPDATE {table}` {how} {why}"));
            d.severity = severity;
            d = d.label(s.head, format!("reads `{column}` here"));
            if let Link::Guard(g) = link {
                d = d.label(m.guards[g as usize].range, "the update depends on this check");
            }
            let help = format!(
                "Lock the row while you decide: `SELECT ... FOR UPDATE` inside the transaction; or make it one conditional statement, e.g. `UPDATE {table} SET {column} = {column} - $1 WHERE id = $2 AND {column} >= $1`, and check `rowCount`"
            );
            d = d.help(help);
            if let Some(text) = &s.sql.text
                && let Some(literal) =
                    js_sql_literal(m, s.id, &format!("{} FOR UPDATE", text.trim().trim_end_matches(';')))
            {
                let args = match values_text(m, s.id) {
                    Some(v) => format!("{literal}, {v}"),
                    None => literal,
                };
                let body = [format!(
                    "const {{ rows }} = await client.query({args});\n// ... decide from rows[0], then UPDATE {table} on `client`"
                )];
                d = d.example(tx_skeleton(None, "client", &body, m.database));
            }
            if context == Context::SameTransaction
                && let Some(fix) = for_update_edit(m, sq)
            {
                d = d.fix(fix);
            }
            cx.report(d.context(m.function_name(u.func)));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    NoTransaction,
    SameTransaction,
}

/// A `SELECT ... FOR UPDATE` ran earlier in the transaction the read runs in (on every path).
fn locked_before(m: &FileModel<'_>, root: FuncId, read: QueryId) -> bool {
    let Some(views) = m.flow.queries.get(&read).and_then(|c| c.tx.get(&root)) else {
        return false;
    };
    let r = m.query(read);
    let locks = |q: QueryId| {
        q != read
            && m.query(q).head.start < r.head.start
            && matches!(m.stmt(q), Some(StmtKind::Select(s)) if s.lock == Some(Lock::ForUpdate))
    };
    views.iter().all(|t| match t {
        Tx::Open(begin) => m
            .flow
            .txs
            .get(begin)
            .is_some_and(|tx| tx.inside.iter().any(|q| locks(*q))),
        // A wrapper's transaction: the callback's own earlier statements on the same client.
        Tx::Managed => m
            .queries
            .iter()
            .any(|q| q.func == r.func && q.handle == r.handle && locks(q.id)),
        _ => false,
    })
}

/// Where the read and the write ran, in one root; `None` when unknown or mixed.
fn context(m: &FileModel<'_>, root: FuncId, read: QueryId, write: QueryId) -> Option<Context> {
    let views = |q: QueryId| -> Option<BTreeSet<Tx>> { m.flow.queries.get(&q)?.tx.get(&root).cloned() };
    let (r, w) = (views(read)?, views(write)?);
    if r.iter().chain(&w).any(|t| matches!(t, Tx::Unknown)) {
        return None;
    }
    let begins = |v: &BTreeSet<Tx>| -> BTreeSet<Option<QueryId>> {
        v.iter()
            .map(|t| match t {
                Tx::Open(b) | Tx::Aborted(b) => Some(*b),
                _ => None,
            })
            .collect()
    };
    if r.iter().all(|t| *t == Tx::None) || w.iter().all(|t| *t == Tx::None) {
        // The read or the write commits on its own: nothing holds them together.
        return Some(Context::NoTransaction);
    }
    let managed = |v: &BTreeSet<Tx>| v.iter().all(|t| *t == Tx::Managed);
    if (managed(&r) && managed(&w)) || (begins(&r) == begins(&w) && begins(&r).iter().all(Option::is_some)) {
        return Some(Context::SameTransaction);
    }
    None
}

/// The read and the write look their row up by the same column with values written differently
/// (`WHERE id = $1` with `from`, then `WHERE id = $2` with `to`), and the write's key does not come
/// from the read: they address different rows.
fn different_rows(
    m: &FileModel<'_>,
    sq: QueryId,
    read_keys: &[(String, ParamRef)],
    u: QueryId,
    write_keys: &[(String, ParamRef)],
) -> bool {
    let text = |q: QueryId, p: ParamRef| match (p, &m.query(q).values) {
        (ParamRef::Placeholder(n), Values::Array { texts, .. }) => texts.get(n as usize - 1).cloned(),
        _ => None,
    };
    read_keys.iter().any(|(c, rp)| {
        write_keys.iter().any(|(wc, wp)| {
            wc == c
                && !param_taint(m, u, *wp).iter().any(|(q, _)| *q == sq)
                && matches!((text(sq, *rp), text(u, *wp)), (Some(a), Some(b)) if a != b)
        })
    })
}

/// Query results a bound value of the UPDATE derives from.
/// Whether a check on the column's old value can decide this new value: it is computed from the
/// column in SQL (`balance = balance - $1`) or is a constant (`status = 'running'`, or a literal
/// bound value): the job-claim and balance races. A new value the caller supplies
/// (`is_active = $2` with the request's `isActive`) after a check of the old one is an
/// idempotency check or a transition rule: the last writer wins, nothing is lost.
fn decided_value(m: &FileModel<'_>, u: QueryId, a: &crate::semantic::sql::Assignment) -> bool {
    // Clearing the value checked (`SET otp = NULL` once the code matched): two requests that both
    // pass the check clear it twice, and neither's write is lost.
    if a.clears {
        return false;
    }
    if a.relative || a.params.is_empty() {
        return true;
    }
    let Values::Array { texts, .. } = &m.query(u).values else {
        return false;
    };
    a.params.iter().all(|p| match p {
        ParamRef::Placeholder(n) => texts.get(*n as usize - 1).is_some_and(|t| is_literal(t)),
        ParamRef::Hole(_) => false,
    })
}

/// `'running'`, `"done"`, `42`, `true`, `null`.
fn is_literal(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('\'') || t.starts_with('"') || t.parse::<f64>().is_ok() || matches!(t, "true" | "false" | "null")
}

fn param_taint(m: &FileModel<'_>, u: QueryId, p: ParamRef) -> Vec<(QueryId, Field)> {
    let ev = m.query(u);
    match p {
        ParamRef::Placeholder(n) => match &ev.values {
            Values::Array { elems, .. } => elems.get(n as usize - 1).cloned().unwrap_or_default(),
            _ => Vec::new(),
        },
        ParamRef::Hole(i) => ev.sql.holes.get(i as usize).cloned().unwrap_or_default(),
    }
}

/// The SELECT a query sends, when it reads `table` through a database handle.
fn select_of<'m>(m: &'m FileModel<'_>, sq: QueryId, table: &str) -> Option<&'m crate::semantic::sql::SelectInfo> {
    match m.stmt(sq) {
        Some(StmtKind::Select(s))
            if s.tables.iter().any(|t| t == table) && m.kinds.contains_key(&m.query(sq).handle) =>
        {
            Some(s)
        }
        _ => None,
    }
}

/// The read selects `column` of `table` and the value carries it.
fn reads_column(m: &FileModel<'_>, sq: QueryId, field: &Field, column: &str, table: &str) -> bool {
    let Some(s) = select_of(m, sq, table) else {
        return false;
    };
    match field {
        Field::Column(c) => c == column && s.columns.may_contain(column),
        Field::Row | Field::Rows | Field::Result | Field::Returned => s.columns.contains(column),
        Field::Count => false,
    }
}

/// A guard on this part of the read is a decision about `column`: the column itself, or (for
/// existence checks) a column the read filtered on.
fn guard_column(m: &FileModel<'_>, sq: QueryId, field: &Field, column: &str, table: &str) -> bool {
    let Some(s) = select_of(m, sq, table) else {
        return false;
    };
    match field {
        Field::Column(c) => c == column && s.columns.may_contain(column),
        Field::Row | Field::Rows | Field::Result | Field::Returned | Field::Count => s.where_columns.contains(column),
    }
}

/// ` FOR UPDATE` appended to the SELECT literal written at the call.
fn for_update_edit(m: &FileModel<'_>, sq: QueryId) -> Option<Fix> {
    let ev = m.query(sq);
    if !ev.sql.inline || !ev.sql.holes.is_empty() {
        return None;
    }
    let src = m.source.slice(ev.sql.range);
    let quote = src.chars().next()?;
    if !matches!(quote, '\'' | '"' | '`') || src.len() < 2 || !src.ends_with(quote) {
        return None;
    }
    let inner = &src[1..src.len() - 1];
    let trimmed = inner.trim_end().trim_end_matches(';').trim_end();
    let at = ev.sql.range.start + 1 + trimmed.len() as u32;
    Some(Fix {
        title: "Lock the row: `SELECT ... FOR UPDATE`".to_string(),
        applicability: Applicability::Suggestion,
        edits: vec![Edit::insert(at, " FOR UPDATE")],
    })
}
