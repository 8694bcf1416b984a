//! Statements read from sqlparser's syntax tree: the statement kind, its tables, columns, key
//! parameters and locks; CockroachDB-only clauses rewritten first; `$n` placeholders counted.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AssignmentTarget, Expr, FromTable, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, LockType,
    ObjectName, ObjectNamePart, OnInsert, Query, SelectItem, SetExpr, Statement, TableObject,
    TransactionIsolationLevel, TransactionMode, Value, visit_expressions, visit_relations,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::*;

pub(super) fn cockroach_rewrite(text: &str) -> String {
    let upper = text.to_ascii_uppercase();
    if !(upper.contains("AS OF SYSTEM TIME")
        || upper.contains("PRIORITY")
        || upper.contains("NO KEY UPDATE")
        || upper.contains("KEY SHARE"))
    {
        return text.to_string();
    }
    let mut out = text.to_string();
    // `AS OF SYSTEM TIME <expr>`: cut up to the next clause keyword or end.
    while let Some(pos) = out.to_ascii_uppercase().find("AS OF SYSTEM TIME") {
        let rest_upper = out[pos..].to_ascii_uppercase();
        let stop = ["WHERE", "ORDER", "LIMIT", "GROUP", "JOIN", ";", ")"]
            .iter()
            .filter_map(|k| rest_upper[17..].find(k).map(|i| i + 17))
            .min()
            .unwrap_or(rest_upper.len());
        out.replace_range(pos..pos + stop, " ");
    }
    for (from, to) in [("FOR NO KEY UPDATE", "FOR UPDATE"), ("FOR KEY SHARE", "FOR SHARE")] {
        while let Some(pos) = out.to_ascii_uppercase().find(from) {
            out.replace_range(pos..pos + from.len(), to);
        }
    }
    for level in ["PRIORITY HIGH", "PRIORITY NORMAL", "PRIORITY LOW"] {
        while let Some(pos) = out.to_ascii_uppercase().find(level) {
            out.replace_range(pos..pos + level.len(), " ");
        }
    }
    out
}

pub(super) fn parse_statements(text: &str) -> Option<Vec<StmtKind>> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(text).ok()?;
    let mut out = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        if parser.peek_token().token == Token::EOF {
            break;
        }
        let is_upsert = matches!(&parser.peek_token().token, Token::Word(w) if w.value.eq_ignore_ascii_case("UPSERT"));
        let stmt = if is_upsert {
            let tok = parser.next_token();
            let stmt = parser.parse_insert(tok).ok()?;
            match stmt_kind(&stmt) {
                StmtKind::Insert(mut i) => {
                    i.upsert = true;
                    i.on_conflict = true;
                    out.push(StmtKind::Insert(i));
                    continue;
                }
                other => {
                    out.push(other);
                    continue;
                }
            }
        } else {
            parser.parse_statement().ok()?
        };
        out.push(stmt_kind(&stmt));
        // Statements must be separated by `;`.
        if !parser.consume_token(&Token::SemiColon) && parser.peek_token().token != Token::EOF {
            return None;
        }
    }
    Some(out)
}

fn isolation_of(modes: &[TransactionMode]) -> Option<Isolation> {
    modes.iter().find_map(|m| match m {
        TransactionMode::IsolationLevel(level) => Some(match level {
            TransactionIsolationLevel::Serializable | TransactionIsolationLevel::Snapshot => Isolation::Serializable,
            TransactionIsolationLevel::RepeatableRead => Isolation::RepeatableRead,
            TransactionIsolationLevel::ReadCommitted | TransactionIsolationLevel::ReadUncommitted => {
                Isolation::ReadCommitted
            }
        }),
        TransactionMode::AccessMode(_) => None,
    })
}

/// `SET`, `RESET` and `DISCARD` by their words: which settings of the connection they change.
/// `None` for any other statement.
pub(super) fn session_kind(text: &str) -> Option<StmtKind> {
    if let Some(kind) = set_config_kind(text) {
        return Some(kind);
    }
    let upper = text.trim().trim_end_matches(';').to_ascii_uppercase();
    let ws: Vec<&str> = upper.split_whitespace().collect();
    let name_of = |w: &str| w.split('=').next().unwrap_or(w).trim_matches('"').to_ascii_lowercase();
    Some(match ws.as_slice() {
        // `SET CONSTRAINTS` lasts until the end of the transaction, like `SET LOCAL`.
        ["SET", "LOCAL", ..] | ["SET", "TRANSACTION", ..] | ["SET", "CONSTRAINTS", ..] => StmtKind::Other,
        ["SET", "SESSION", "CHARACTERISTICS", ..] => StmtKind::SetSession {
            name: "default_transaction_isolation".to_string(),
        },
        ["SET", "TIME", "ZONE", ..] | ["SET", "SESSION", "TIME", "ZONE", ..] => StmtKind::SetSession {
            name: "timezone".to_string(),
        },
        ["SET", "SESSION", "AUTHORIZATION", ..] => StmtKind::SetSession {
            name: "session_authorization".to_string(),
        },
        ["SET", "SESSION", name, ..] | ["SET", name, ..] => StmtKind::SetSession { name: name_of(name) },
        ["RESET", "ALL"] | ["DISCARD", "ALL"] => StmtKind::ResetSession { name: None },
        ["RESET", "TIME", "ZONE"] => StmtKind::ResetSession {
            name: Some("timezone".to_string()),
        },
        ["RESET", name, ..] => StmtKind::ResetSession {
            name: Some(name_of(name)),
        },
        ["DISCARD", ..] => StmtKind::Other,
        _ => return None,
    })
}

/// `SELECT set_config('name', value, false)`, the function form of `SET`: session-level when its
/// third argument is `false` (an empty value clears the setting, as `RESET` does), local to the
/// transaction when `true`. `None` when the statement is anything else, or the name or the flag is
/// not a literal.
fn set_config_kind(text: &str) -> Option<StmtKind> {
    let lower = text.trim().trim_end_matches(';').trim_end().to_ascii_lowercase();
    let call = lower.strip_prefix("select")?.trim_start();
    let args = call.strip_prefix("set_config")?.trim_start().strip_prefix('(')?;
    // The arguments, split at top-level commas, up to the call's closing parenthesis.
    let (mut parts, mut depth, mut quoted, mut start, mut end) = (Vec::new(), 0usize, false, 0usize, None);
    for (i, c) in args.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            _ if quoted => {}
            '(' => depth += 1,
            ')' if depth == 0 => {
                parts.push(args[start..i].trim());
                end = Some(i);
                break;
            }
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    // Nothing after the call but an alias.
    let rest: Vec<&str> = args[end? + 1..].split_whitespace().collect();
    let alias = |w: &str| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '"');
    let alone = match rest.as_slice() {
        [] => true,
        ["as", a] | [a] => alias(a),
        _ => false,
    };
    let [name, value, local] = parts.as_slice() else {
        return None;
    };
    let name = name.strip_prefix('\'')?.strip_suffix('\'')?;
    if !alone || name.is_empty() || name.contains('\'') {
        return None;
    }
    match *local {
        "true" => Some(StmtKind::Other),
        "false" if *value == "''" => Some(StmtKind::ResetSession {
            name: Some(name.to_string()),
        }),
        "false" => Some(StmtKind::SetSession { name: name.to_string() }),
        _ => None,
    }
}

fn stmt_kind(stmt: &Statement) -> StmtKind {
    if let Statement::Set(sqlparser::ast::Set::SetTransaction {
        modes, session: false, ..
    }) = stmt
    {
        return StmtKind::SetTransaction {
            isolation: isolation_of(modes),
        };
    }
    let text = stmt.to_string();
    if let Some(kind) = session_kind(&text) {
        return kind;
    }
    match stmt {
        Statement::StartTransaction { modes, .. } => StmtKind::Begin {
            isolation: isolation_of(modes),
        },
        Statement::Commit { .. } => StmtKind::Commit,
        Statement::Rollback {
            savepoint: Some(name), ..
        } => StmtKind::RollbackToSavepoint(ident_name(name)),
        Statement::Rollback { savepoint: None, .. } => StmtKind::Rollback,
        Statement::Savepoint { name } => StmtKind::Savepoint(ident_name(name)),
        Statement::ReleaseSavepoint { name } => StmtKind::ReleaseSavepoint(ident_name(name)),
        Statement::Query(q) => query_kind(q),
        Statement::Insert(insert) => {
            let table = match &insert.table {
                TableObject::TableName(name) => object_name(name),
                _ => None,
            };
            let on_conflict = matches!(insert.on, Some(OnInsert::OnConflict(_)));
            let conditional = insert.source.as_ref().is_some_and(|src| {
                matches!(src.body.as_ref(), SetExpr::Select(sel) if sel.selection.as_ref().is_some_and(contains_not_exists))
            });
            StmtKind::Insert(InsertInfo {
                table,
                on_conflict,
                upsert: false,
                conditional,
            })
        }
        Statement::Update(update) => {
            let table = match &update.table.relation {
                sqlparser::ast::TableFactor::Table { name, .. } => object_name(name),
                _ => None,
            };
            let mut assignments = Vec::new();
            for a in &update.assignments {
                let targets: Vec<&ObjectName> = match &a.target {
                    AssignmentTarget::ColumnName(n) => vec![n],
                    AssignmentTarget::Tuple(ns) => ns.iter().collect(),
                };
                let params = param_refs(&a.value);
                for t in targets {
                    if let Some(column) = object_name(t) {
                        let relative = expr_columns(&a.value).contains(&column);
                        let clears = matches!(&a.value, Expr::Value(v) if v.value == Value::Null);
                        assignments.push(Assignment {
                            column,
                            params: params.clone(),
                            relative,
                            clears,
                        });
                    }
                }
            }
            let where_columns = match &update.selection {
                Some(e) => Columns::Some(expr_columns(e)),
                None => Columns::Some(BTreeSet::new()),
            };
            let key_params = update.selection.as_ref().map(key_params).unwrap_or_default();
            StmtKind::Update(UpdateInfo {
                table,
                assignments,
                assignments_known: true,
                where_columns,
                key_params,
            })
        }
        Statement::Delete(delete) => {
            let tables = match &delete.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let table = tables.first().and_then(|t| match &t.relation {
                sqlparser::ast::TableFactor::Table { name, .. } => object_name(name),
                _ => None,
            });
            StmtKind::Delete(DeleteInfo { table })
        }
        _ => StmtKind::Other,
    }
}

fn contains_not_exists(e: &Expr) -> bool {
    let mut found = false;
    let _ = visit_expressions(e, |e| {
        if matches!(e, Expr::Exists { negated: true, .. }) {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

fn query_kind(q: &Query) -> StmtKind {
    match q.body.as_ref() {
        SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) => return stmt_kind(s),
        SetExpr::Merge(_) => return StmtKind::Other,
        _ => {}
    }
    // A data-modifying CTE (`WITH x AS (UPDATE ...) SELECT ...`) makes the query a write.
    if let Some(with) = &q.with {
        for cte in &with.cte_tables {
            let inner = query_kind(&cte.query);
            if inner.is_write() {
                return inner;
            }
        }
    }
    let cte_names: BTreeSet<String> = q
        .with
        .as_ref()
        .map(|w| {
            w.cte_tables
                .iter()
                .map(|c| c.alias.name.value.to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let mut tables = Vec::new();
    let _ = visit_relations(q, |name| {
        if let Some(n) = object_name(name)
            && !cte_names.contains(&n)
            && !n.starts_with(HOLE_PREFIX)
            && !tables.contains(&n)
        {
            tables.push(n);
        }
        ControlFlow::<()>::Continue(())
    });
    let key = match q.body.as_ref() {
        SetExpr::Select(sel) => sel.selection.as_ref().map(key_params).unwrap_or_default(),
        _ => Vec::new(),
    };
    let (columns, where_columns) = match q.body.as_ref() {
        SetExpr::Select(sel) => {
            let mut cols = BTreeSet::new();
            let mut all = false;
            for item in &sel.projection {
                match item {
                    SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => all = true,
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                        cols.extend(expr_columns(e));
                        if let SelectItem::ExprWithAlias { alias, .. } = item {
                            cols.insert(ident_name(alias));
                        }
                    }
                    SelectItem::ExprWithAliases { expr, aliases } => {
                        cols.extend(expr_columns(expr));
                        cols.extend(aliases.iter().map(ident_name));
                    }
                }
            }
            let columns = if all { Columns::All } else { Columns::Some(cols) };
            let where_columns = match &sel.selection {
                Some(e) => Columns::Some(expr_columns(e)),
                None => Columns::Some(BTreeSet::new()),
            };
            (columns, where_columns)
        }
        _ => (Columns::Unknown, Columns::Unknown),
    };
    let lock = if q.locks.iter().any(|l| l.lock_type == LockType::Update) {
        Some(Lock::ForUpdate)
    } else if q.locks.iter().any(|l| l.lock_type == LockType::Share) {
        Some(Lock::ForShare)
    } else {
        None
    };
    let value_aggregate = match q.body.as_ref() {
        SetExpr::Select(sel) => {
            let grouped = !matches!(&sel.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
            !grouped
                && !sel.projection.is_empty()
                && sel.projection.iter().all(|item| match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => aggregates_values(e),
                    _ => false,
                })
        }
        _ => false,
    };
    StmtKind::Select(SelectInfo {
        tables,
        columns,
        where_columns,
        key_params: key,
        lock,
        value_aggregate,
    })
}

/// `SUM(x)`, `AVG(x)`, `MIN(x)`, `MAX(x)`, also under `COALESCE(..., default)`, a cast or
/// parentheses.
fn aggregates_values(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => aggregates_values(inner),
        Expr::Function(f) => {
            let name = f
                .name
                .0
                .last()
                .map(|p| p.to_string().to_ascii_lowercase())
                .unwrap_or_default();
            match name.as_str() {
                "sum" | "avg" | "min" | "max" => true,
                "coalesce" => match &f.args {
                    FunctionArguments::List(list) => list.args.first().is_some_and(|a| match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => aggregates_values(e),
                        _ => false,
                    }),
                    _ => false,
                },
                _ => false,
            }
        }
        _ => false,
    }
}

/// `col = $n` (either way round) in the top-level AND chain of a WHERE clause.
fn key_params(e: &Expr) -> Vec<(String, ParamRef)> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    let col = |e: &Expr| match e {
        Expr::Identifier(i) if !i.value.starts_with(HOLE_PREFIX) => Some(ident_name(i)),
        Expr::CompoundIdentifier(p) => p.last().map(ident_name),
        _ => None,
    };
    let param = |e: &Expr| match param_refs(e).as_slice() {
        [one] if matches!(e, Expr::Value(_) | Expr::Identifier(_) | Expr::Cast { .. }) => Some(*one),
        _ => None,
    };
    while let Some(e) = stack.pop() {
        match e {
            Expr::Nested(inner) => stack.push(inner),
            Expr::BinaryOp {
                left,
                op: sqlparser::ast::BinaryOperator::And,
                right,
            } => {
                stack.push(left);
                stack.push(right);
            }
            Expr::BinaryOp {
                left,
                op: sqlparser::ast::BinaryOperator::Eq,
                right,
            } => {
                if let (Some(c), Some(p)) = (col(left), param(right)) {
                    out.push((c, p));
                } else if let (Some(c), Some(p)) = (col(right), param(left)) {
                    out.push((c, p));
                }
            }
            _ => {}
        }
    }
    out
}

fn ident_name(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

/// The last part of a possibly qualified name (`public.accounts` -> `accounts`).
fn object_name(name: &ObjectName) -> Option<String> {
    match name.0.last()? {
        ObjectNamePart::Identifier(i) => Some(ident_name(i)),
        ObjectNamePart::Function(_) => None,
    }
}

/// Column names an expression mentions (holes excluded).
fn expr_columns(e: &Expr) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let _ = visit_expressions(e, |e| {
        match e {
            Expr::Identifier(i) => {
                let n = ident_name(i);
                if !n.starts_with(HOLE_PREFIX) {
                    out.insert(n);
                }
            }
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    out.insert(ident_name(last));
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

/// `$n` placeholders and template holes an expression uses.
fn param_refs(e: &Expr) -> Vec<ParamRef> {
    let mut out = Vec::new();
    let _ = visit_expressions(e, |e| {
        match e {
            Expr::Value(v) => match &v.value {
                Value::Placeholder(p) => out.extend(parse_param_ref(p)),
                // `'${name}'`: a hole inside a string literal still carries its value.
                Value::SingleQuotedString(text) => out.extend(holes_in(text)),
                _ => {}
            },
            Expr::Identifier(i) => {
                if let Some(n) = i.value.strip_prefix(HOLE_PREFIX).and_then(|n| n.parse().ok()) {
                    out.push(ParamRef::Hole(n));
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    out.sort();
    out.dedup();
    out
}

/// Hole stand-ins written inside a string literal.
fn holes_in(text: &str) -> Vec<ParamRef> {
    text.match_indices(HOLE_PREFIX)
        .filter_map(|(i, _)| {
            let digits: String = text[i + HOLE_PREFIX.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok().map(ParamRef::Hole)
        })
        .collect()
}

fn parse_param_ref(p: &str) -> Option<ParamRef> {
    let rest = p.strip_prefix('$')?;
    if let Some(n) = rest.strip_prefix(HOLE_PREFIX) {
        return n.parse().ok().map(ParamRef::Hole);
    }
    rest.parse().ok().map(ParamRef::Placeholder)
}

pub(super) fn count_placeholders(text: &str) -> Option<Placeholders> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, text).tokenize().ok()?;
    let mut numbers = BTreeSet::new();
    for t in tokens {
        if let Token::Placeholder(p) = t
            && let Some(ParamRef::Placeholder(n)) = parse_param_ref(&p)
        {
            numbers.insert(n);
        }
    }
    Some(Placeholders { numbers })
}
