//! `check-then-insert`: an INSERT into table T that runs only because a SELECT on T found nothing
//! (or found something), with no `ON CONFLICT`.
//!
//! Facts used: guards (conditions whose value derives from a query result) and, per query, the
//! guard values on every path that reaches it. The INSERT is decided by the SELECT when every path
//! to it passed the guard with the same outcome. Fires inside transactions too: two transactions
//! can both see "missing". Silent for `ON CONFLICT`, `UPSERT`, `INSERT ... WHERE NOT EXISTS`, and
//! when the paths were too many to track guards precisely.
//! Known false negatives: the SELECT in another function than the guard's.

use std::collections::BTreeSet;

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::rules::util::{describe, js_sql_literal, line, values_text};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::sql::{Columns, StmtKind};
use crate::semantic::{FileModel, QueryId};

pub struct CheckThenInsert;

static META: RuleMeta = RuleMeta {
    id: "check-then-insert",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("check-then-insert"),
};

impl Rule for CheckThenInsert {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for ins in m.db_queries() {
            let Some(StmtKind::Insert(info)) = m.stmt(ins.id) else {
                continue;
            };
            if info.on_conflict || info.upsert || info.conditional {
                continue;
            }
            let Some(table) = info.table.as_deref() else { continue };
            if m.is_one_shot_script(ins.func) {
                continue;
            }
            // The insert's unique violation is caught and told apart: the constraint decides, the
            // lookup is only a fast path.
            if m.unique_violation_handled.iter().any(|t| t.contains(ins.range)) {
                continue;
            }
            let Some(ctx) = m.flow.queries.get(&ins.id) else {
                continue;
            };
            let mut found: Option<(QueryId, crate::semantic::GuardId)> = None;
            'roots: for (root, guards) in &ctx.guards {
                if ctx.coarse_roots.contains(root) {
                    continue;
                }
                // Lookups this path passed the way that says their row is there (`if
                // (!existing.rowCount) throw`, then the old version is closed and a new one
                // inserted): an insert after them is not "if missing", whatever else is tested.
                let found_row: BTreeSet<QueryId> = guards
                    .iter()
                    .filter(|(_, (t, f, absent))| !absent && !(t & f))
                    .flat_map(|(g, &(t, _, _))| {
                        let guard = &m.guards[*g as usize];
                        let said = if t { &guard.when_true } else { &guard.when_false };
                        let existence = guard
                            .taint
                            .iter()
                            .all(|(_, f)| !matches!(f, crate::semantic::Field::Column(_)));
                        let found = existence && said.iter().any(|(_, truthy)| *truthy);
                        guard.taint.iter().filter(move |_| found).map(|(q, _)| *q)
                    })
                    .collect();
                for (g, &(t, f, absent)) in guards {
                    // Control-dependent: every path here passed the guard, all the same way.
                    if absent || (t && f) {
                        continue;
                    }
                    let guard = &m.guards[*g as usize];
                    let select = guard.taint.iter().map(|(q, _)| *q).collect::<BTreeSet<_>>().into_iter().find(|q| {
                        *q != ins.id
                            && m.kinds.contains_key(&m.query(*q).handle)
                            && matches!(m.stmt(*q), Some(StmtKind::Select(s)) if !s.value_aggregate && s.tables.iter().any(|t| t == table))
                    });
                    if let Some(sq) = select.filter(|q| !found_row.contains(q)) {
                        found = Some((sq, *g));
                        break 'roots;
                    }
                }
            }
            let Some((sq, g)) = found else { continue };
            let select = m.query(sq);
            let guard = &m.guards[g as usize];
            let mut key = conflict_key(m, sq);
            let checked = line(m, select.head);
            // What the race does depends on the schema: a unique key covering the lookup turns the
            // second insert into a 23505 error; without one, both rows are inserted.
            let lookup = lookup_columns(m, sq);
            let schema_key = m
                .schema
                .as_ref()
                .and_then(|s| s.key_covered_by(table, &lookup).map(|k| (s, k)));
            let (message, help, severity) = match &schema_key {
                Some((_, k)) => {
                    let cols = k.columns.join(", ");
                    key = Some(cols.clone());
                    (
                        format!(
                            "two concurrent requests can both see no row in `{table}` (checked at line {checked}): the unique key `{table}({cols})` ({}:{}) makes the second insert fail with SQLSTATE 23505, a 500 unless it is handled",
                            crate::report::display_path(&k.path),
                            k.line
                        ),
                        format!(
                            "Let the constraint decide: `INSERT ... ON CONFLICT ({cols}) DO NOTHING` and check `rowCount` (or `DO UPDATE` to take the existing row), or catch SQLSTATE 23505 and answer 409"
                        ),
                        Some(crate::diagnostic::Severity::Warning),
                    )
                }
                None => {
                    let key_text = key.clone().unwrap_or_else(|| "<unique column>".to_string());
                    let known_absent = m.schema.as_ref().is_some_and(|s| s.knows_table(table)) && key.is_some();
                    let message = if known_absent {
                        format!(
                            "two concurrent requests can both see no row in `{table}` (checked at line {checked}) and both insert: the schema has no unique key on `{table}({key_text})`, so the duplicate rows stay"
                        )
                    } else {
                        format!(
                            "two concurrent requests can both see no row in `{table}` (checked at line {checked}) and both insert"
                        )
                    };
                    (
                        message,
                        format!(
                            "Make the database enforce it: a unique constraint on `{table}({key_text})` and `INSERT ... ON CONFLICT ({key_text}) DO NOTHING` (check `rowCount`), or catch SQLSTATE 23505"
                        ),
                        None,
                    )
                }
            };
            let key_text = key.clone().unwrap_or_else(|| "<unique column>".to_string());
            let mut d = cx
                .diagnostic(ins.head, message)
                .label(select.head, format!("`{}` checks for the row here", describe(m, sq)))
                .label(guard.range, "the insert depends on this check")
                .help(help);
            if let Some(s) = severity {
                d.severity = s;
            }
            if let Some(text) = &ins.sql.text
                && let Some(literal) = js_sql_literal(m, ins.id, &add_on_conflict(text.trim(), &key_text))
            {
                // Suggest creating the index only when the schema does not already have it.
                let create = if schema_key.is_some() {
                    String::new()
                } else {
                    format!("// once, in a migration: CREATE UNIQUE INDEX ON {table} ({key_text});\n")
                };
                let args = match values_text(m, ins.id) {
                    Some(v) => format!("{literal}, {v}"),
                    None => literal,
                };
                d = d.example(format!("{create}await {}.query({args});", ins.receiver));
            }
            if let Some(fix) = key.as_deref().and_then(|k| on_conflict_edit(m, ins.id, k)) {
                d = d.fix(fix);
            }
            cx.report(d.context(m.function_name(ins.func)));
        }
    }
}

/// The columns the SELECT looks the row up by (its WHERE columns), for matching unique keys.
fn lookup_columns(m: &FileModel<'_>, select: QueryId) -> Vec<String> {
    match m.stmt(select) {
        Some(StmtKind::Select(s)) => match &s.where_columns {
            Columns::Some(cols) => cols.iter().cloned().collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The column(s) the SELECT looked the row up by: the natural conflict target.
fn conflict_key(m: &FileModel<'_>, select: QueryId) -> Option<String> {
    let Some(StmtKind::Select(s)) = m.stmt(select) else {
        return None;
    };
    match &s.where_columns {
        Columns::Some(cols) if !cols.is_empty() && cols.len() <= 3 => {
            Some(cols.iter().cloned().collect::<Vec<_>>().join(", "))
        }
        _ => None,
    }
}

/// Inserts `ON CONFLICT (key) DO NOTHING` before `RETURNING` or at the end.
fn add_on_conflict(sql: &str, key: &str) -> String {
    let clause = format!("ON CONFLICT ({key}) DO NOTHING");
    let upper = sql.to_ascii_uppercase();
    match upper.find(" RETURNING ") {
        Some(pos) => format!("{} {clause}{}", &sql[..pos], &sql[pos..]),
        None => format!("{} {clause}", sql.trim_end_matches(';')),
    }
}

/// An edit of the SQL literal at the call, when the text is written inline.
fn on_conflict_edit(m: &FileModel<'_>, q: QueryId, key: &str) -> Option<Fix> {
    let ev = m.query(q);
    if !ev.sql.inline || !ev.sql.holes.is_empty() {
        return None;
    }
    let src = m.source.slice(ev.sql.range);
    let quote = src.chars().next()?;
    // A `${CONSTANT}` spliced in may hold the RETURNING the clause must precede.
    if !matches!(quote, '\'' | '"' | '`') || !src.ends_with(quote) || src.len() < 2 || src.contains("${") {
        return None;
    }
    let inner = &src[1..src.len() - 1];
    let clause = format!(" ON CONFLICT ({key}) DO NOTHING");
    let upper = inner.to_ascii_uppercase();
    let at = match upper.find(" RETURNING ") {
        Some(pos) => ev.sql.range.start + 1 + pos as u32,
        None => {
            let trimmed = inner.trim_end().trim_end_matches(';').trim_end();
            ev.sql.range.start + 1 + trimmed.len() as u32
        }
    };
    if quote != '`' && clause.contains(quote) {
        return None;
    }
    Some(Fix {
        title: format!("Add `ON CONFLICT ({key}) DO NOTHING` (needs a unique constraint on it)"),
        applicability: Applicability::Suggestion,
        edits: vec![Edit::insert(at, clause)],
    })
}
