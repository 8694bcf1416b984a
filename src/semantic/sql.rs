//! SQL classification: the text a `.query(...)` call sends, turned into the few facts the rules need.
//!
//! The text comes from JavaScript (string literals, templates, constants), so it may contain "holes":
//! `${expr}` parts whose value is unknown. Holes are replaced by a placeholder-like stand-in
//! (`$__txl_hole_N`) before parsing, so they read as values, and by an identifier stand-in when the hole
//! sits where a value cannot (a table name). `sqlparser` (PostgreSQL dialect) does the real work; texts
//! it rejects fall back to a small keyword classifier, which only claims what the leading keywords
//! prove. CockroachDB syntax that sqlparser does not know (`UPSERT`, `AS OF SYSTEM TIME`,
//! `PRIORITY`, `FOR NO KEY UPDATE`) is rewritten or handled before parsing.
//!
//! Boundary: this module knows SQL and nothing of JavaScript; results are cached per distinct text.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::sync::Arc;

use sqlparser::ast::{
    AssignmentTarget, Expr, FromTable, Ident, LockType, ObjectName, ObjectNamePart, OnInsert, Query, SelectItem,
    SetExpr, Statement, TableObject, TransactionIsolationLevel, TransactionMode, Value, visit_expressions,
    visit_relations,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// Prefix of the stand-in used for a template hole (`${...}`) in SQL text.
pub const HOLE_PREFIX: &str = "__txl_hole_";

/// Isolation level requested by `BEGIN ISOLATION LEVEL ...` or `SET TRANSACTION ...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

/// A reference to a bound value inside a statement: `$n` or a template hole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParamRef {
    /// `$n`, 1-based.
    Placeholder(u32),
    /// The n-th `${...}` of the template, 0-based.
    Hole(u32),
}

/// A set of column names, or "every column" (`SELECT *`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Columns {
    /// The columns are not known (fallback classification).
    #[default]
    Unknown,
    /// `*` or `t.*`.
    All,
    Some(BTreeSet<String>),
}

impl Columns {
    /// Whether `col` is certainly among the columns.
    pub fn contains(&self, col: &str) -> bool {
        match self {
            Columns::Unknown => false,
            Columns::All => true,
            Columns::Some(s) => s.contains(col),
        }
    }
    /// Whether `col` may be among them (unknown counts as yes).
    pub fn may_contain(&self, col: &str) -> bool {
        !matches!(self, Columns::Some(s) if !s.contains(col))
    }
}

/// Row lock requested by a SELECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    ForUpdate,
    ForShare,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectInfo {
    /// Tables read (lower-cased, unqualified), CTE names excluded. Empty when unknown.
    pub tables: Vec<String>,
    /// Columns in the select list.
    pub columns: Columns,
    /// Columns the WHERE clause tests.
    pub where_columns: Columns,
    /// `column = <bound value>` equalities ANDed at the top of WHERE: the row's key.
    pub key_params: Vec<(String, ParamRef)>,
    pub lock: Option<Lock>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertInfo {
    pub table: Option<String>,
    /// `ON CONFLICT ...` present (or the statement is an UPSERT).
    pub on_conflict: bool,
    /// CockroachDB `UPSERT INTO`.
    pub upsert: bool,
    /// `INSERT ... SELECT ... WHERE NOT EXISTS (...)`: the insert tests for the row itself.
    pub conditional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub column: String,
    /// Bound values the new value is computed from.
    pub params: Vec<ParamRef>,
    /// The new value refers to the column itself (`balance = balance - $1`).
    pub relative: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateInfo {
    pub table: Option<String>,
    /// `SET` assignments; empty when unknown.
    pub assignments: Vec<Assignment>,
    /// Whether the assignments are known (parsed).
    pub assignments_known: bool,
    pub where_columns: Columns,
    /// `column = <bound value>` equalities ANDed at the top of WHERE.
    pub key_params: Vec<(String, ParamRef)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteInfo {
    pub table: Option<String>,
}

/// What one SQL statement does, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StmtKind {
    Begin {
        isolation: Option<Isolation>,
    },
    Commit,
    Rollback,
    RollbackToSavepoint(String),
    Savepoint(String),
    ReleaseSavepoint(String),
    SetTransaction {
        isolation: Option<Isolation>,
    },
    Select(SelectInfo),
    Insert(InsertInfo),
    Update(UpdateInfo),
    Delete(DeleteInfo),
    /// `SET x ...` or `SET SESSION x ...` (not `SET LOCAL`, not `SET TRANSACTION`): a setting of
    /// the connection that outlives the transaction (`name` in lower case).
    SetSession {
        name: String,
    },
    /// `RESET x`, or `RESET ALL` / `DISCARD ALL` (`name` is `None`): settings back to defaults.
    ResetSession {
        name: Option<String>,
    },
    /// Any other statement (DDL, SET LOCAL, SHOW, ...). Not a write.
    Other,
}

impl StmtKind {
    /// INSERT, UPSERT, UPDATE or DELETE.
    pub fn is_write(&self) -> bool {
        matches!(self, StmtKind::Insert(_) | StmtKind::Update(_) | StmtKind::Delete(_))
    }
    /// Short upper-case name for messages and dumps.
    pub fn name(&self) -> &'static str {
        match self {
            StmtKind::Begin { .. } => "BEGIN",
            StmtKind::Commit => "COMMIT",
            StmtKind::Rollback => "ROLLBACK",
            StmtKind::RollbackToSavepoint(_) => "ROLLBACK TO SAVEPOINT",
            StmtKind::Savepoint(_) => "SAVEPOINT",
            StmtKind::ReleaseSavepoint(_) => "RELEASE SAVEPOINT",
            StmtKind::SetTransaction { .. } => "SET TRANSACTION",
            StmtKind::SetSession { .. } => "SET",
            StmtKind::ResetSession { .. } => "RESET",
            StmtKind::Select(_) => "SELECT",
            StmtKind::Insert(i) if i.upsert => "UPSERT",
            StmtKind::Insert(_) => "INSERT",
            StmtKind::Update(_) => "UPDATE",
            StmtKind::Delete(_) => "DELETE",
            StmtKind::Other => "OTHER",
        }
    }
    /// Table written by a write statement.
    pub fn write_table(&self) -> Option<&str> {
        match self {
            StmtKind::Insert(i) => i.table.as_deref(),
            StmtKind::Update(u) => u.table.as_deref(),
            StmtKind::Delete(d) => d.table.as_deref(),
            _ => None,
        }
    }
}

/// `$n` placeholders found in the text (outside strings and comments).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placeholders {
    pub numbers: BTreeSet<u32>,
}

impl Placeholders {
    pub fn max(&self) -> u32 {
        self.numbers.iter().next_back().copied().unwrap_or(0)
    }
    /// The first number below the maximum that is never used (linear in the numbers used, not in
    /// their values: `$2147483647` alone costs one step).
    pub fn first_gap(&self) -> Option<u32> {
        let mut expected = 1u32;
        for &n in &self.numbers {
            if n > expected {
                return Some(expected);
            }
            expected = n.saturating_add(1);
        }
        None
    }
}

/// How the text was understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// Parsed by sqlparser.
    Parsed,
    /// Leading keywords only.
    Keywords,
}

/// The classification of one SQL text (possibly several statements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlInfo {
    pub statements: Vec<StmtKind>,
    pub confidence: Confidence,
    /// `$n` placeholders, when the text could be tokenized.
    pub placeholders: Option<Placeholders>,
}

impl SqlInfo {
    pub fn is_write(&self) -> bool {
        self.statements.iter().any(StmtKind::is_write)
    }
    /// The connection settings its session-level `SET`s change (lower-case names).
    pub fn session_settings(&self) -> impl Iterator<Item = &str> {
        self.statements.iter().filter_map(|s| match s {
            StmtKind::SetSession { name } => Some(name.as_str()),
            _ => None,
        })
    }
    pub fn first(&self) -> Option<&StmtKind> {
        self.statements.first()
    }
    /// A single statement of this kind (the usual case: one statement per query call).
    pub fn single(&self) -> Option<&StmtKind> {
        match self.statements.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Option<Arc<SqlInfo>>>> = RefCell::new(HashMap::new());
}

/// Classifies SQL text. `None` means "not recognisably SQL": the caller must treat it as unknown.
///
/// Template holes must already be replaced by [`hole_placeholder`] stand-ins.
pub fn classify(text: &str) -> Option<Arc<SqlInfo>> {
    if let Some(hit) = CACHE.with(|c| c.borrow().get(text).cloned()) {
        return hit;
    }
    let result = classify_uncached(text).map(Arc::new);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 50_000 {
            c.clear();
        }
        c.insert(text.to_string(), result.clone());
    });
    result
}

/// The stand-in written into SQL text for the `n`-th template hole.
pub fn hole_placeholder(n: usize) -> String {
    format!("${HOLE_PREFIX}{n}")
}

fn classify_uncached(text: &str) -> Option<SqlInfo> {
    if text.len() > 200_000 {
        return None;
    }
    let cleaned = cockroach_rewrite(text);
    let placeholders = count_placeholders(&cleaned);
    if let Some(statements) = parse_statements(&cleaned) {
        if statements.is_empty() {
            return None;
        }
        return Some(SqlInfo {
            statements,
            confidence: Confidence::Parsed,
            placeholders,
        });
    }
    // A hole in an identifier position: retry with an identifier stand-in.
    if cleaned.contains(HOLE_PREFIX) {
        let ident_form = cleaned.replace(&format!("${HOLE_PREFIX}"), HOLE_PREFIX);
        if let Some(statements) = parse_statements(&ident_form)
            && !statements.is_empty()
        {
            return Some(SqlInfo {
                statements,
                confidence: Confidence::Parsed,
                placeholders,
            });
        }
    }
    keyword_fallback(&cleaned).map(|statements| SqlInfo {
        statements,
        confidence: Confidence::Keywords,
        placeholders,
    })
}

/// Removes or rewrites CockroachDB-only clauses that no sqlparser dialect accepts, keeping
/// their meaning for our purposes.
fn cockroach_rewrite(text: &str) -> String {
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

fn parse_statements(text: &str) -> Option<Vec<StmtKind>> {
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
fn session_kind(text: &str) -> Option<StmtKind> {
    let upper = text.trim().trim_end_matches(';').to_ascii_uppercase();
    let ws: Vec<&str> = upper.split_whitespace().collect();
    let name_of = |w: &str| w.split('=').next().unwrap_or(w).trim_matches('"').to_ascii_lowercase();
    Some(match ws.as_slice() {
        ["SET", "LOCAL", ..] | ["SET", "TRANSACTION", ..] => StmtKind::Other,
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
                        assignments.push(Assignment {
                            column,
                            params: params.clone(),
                            relative,
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
    StmtKind::Select(SelectInfo {
        tables,
        columns,
        where_columns,
        key_params: key,
        lock,
    })
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

fn count_placeholders(text: &str) -> Option<Placeholders> {
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

/// Removes `--` and `/* */` comments and string literals' contents, keeping the keywords.
fn strip_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && !crate::source::is_line_end(bytes[i]) {
                i += 1;
            }
            out.push(' ');
        } else if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            out.push(' ');
        } else if bytes[i] == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += 1;
            }
            i += 1;
            out.push_str("''");
        } else {
            // Keep the original (possibly multi-byte) character.
            let ch_len = text[i..].chars().next().map(char::len_utf8).unwrap_or(1);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
    }
    out
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '"' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_string())
        .collect()
}

fn clean_table(word: &str) -> Option<String> {
    let last = word.rsplit('.').next()?;
    let quoted = last.starts_with('"');
    let t = last.trim_matches('"');
    if t.is_empty() || t.starts_with(HOLE_PREFIX) || t.starts_with('$') {
        return None;
    }
    Some(if quoted { t.to_string() } else { t.to_ascii_lowercase() })
}

/// Classification by leading keywords, for DML that sqlparser rejects. Transaction control
/// statements are never guessed here: sqlparser parses all their valid forms, so a text like
/// `BEGIN transfer` that it rejects is not SQL.
fn keyword_fallback(text: &str) -> Option<Vec<StmtKind>> {
    let stripped = strip_comments(text);
    let mut out = Vec::new();
    for part in stripped.split(';') {
        let ws = words(part);
        let Some(first) = ws.first() else { continue };
        let upper: Vec<String> = ws.iter().map(|w| w.to_ascii_uppercase()).collect();
        let after = |kw: &str| -> Option<String> {
            let i = upper.iter().position(|w| w == kw)?;
            clean_table(ws.get(i + 1)?)
        };
        if let Some(kind) = session_kind(part) {
            out.push(kind);
            continue;
        }
        let kind = match first.to_ascii_uppercase().as_str() {
            "SELECT" if upper.iter().any(|w| w == "FROM") => {
                let mut tables = Vec::new();
                for (i, w) in upper.iter().enumerate() {
                    if (w == "FROM" || w == "JOIN")
                        && let Some(t) = ws.get(i + 1).and_then(|w| clean_table(w))
                        && !tables.contains(&t)
                    {
                        tables.push(t);
                    }
                }
                let joined = upper.join(" ");
                let lock = if joined.contains("FOR UPDATE") {
                    Some(Lock::ForUpdate)
                } else if joined.contains("FOR SHARE") {
                    Some(Lock::ForShare)
                } else {
                    None
                };
                StmtKind::Select(SelectInfo {
                    tables,
                    columns: Columns::Unknown,
                    where_columns: Columns::Unknown,
                    key_params: Vec::new(),
                    lock,
                })
            }
            "INSERT" | "UPSERT" if upper.get(1).is_some_and(|w| w == "INTO") => {
                let upsert = first.eq_ignore_ascii_case("UPSERT");
                let on_conflict = upsert || upper.join(" ").contains("ON CONFLICT");
                StmtKind::Insert(InsertInfo {
                    table: after("INTO"),
                    on_conflict,
                    upsert,
                    conditional: upper.join(" ").contains("NOT EXISTS"),
                })
            }
            "UPDATE" if upper.iter().any(|w| w == "SET") => StmtKind::Update(UpdateInfo {
                table: ws.get(1).and_then(|w| clean_table(w)),
                assignments: Vec::new(),
                assignments_known: false,
                where_columns: Columns::Unknown,
                key_params: Vec::new(),
            }),
            "DELETE" if upper.get(1).is_some_and(|w| w == "FROM") => {
                StmtKind::Delete(DeleteInfo { table: after("FROM") })
            }
            _ => return None,
        };
        out.push(kind);
    }
    if out.is_empty() { None } else { Some(out) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_carriage_return_ends_an_sql_comment() {
        assert!(matches!(
            kind("-- add one\rINSERT INTO t (a) VALUES (1)"),
            StmtKind::Insert(_)
        ));
    }

    fn kind(sql: &str) -> StmtKind {
        classify(sql).expect("classified").statements[0].clone()
    }

    #[test]
    fn transaction_control() {
        assert_eq!(kind("BEGIN"), StmtKind::Begin { isolation: None });
        assert_eq!(kind("begin"), StmtKind::Begin { isolation: None });
        assert_eq!(kind("START TRANSACTION"), StmtKind::Begin { isolation: None });
        assert_eq!(
            kind("BEGIN ISOLATION LEVEL SERIALIZABLE"),
            StmtKind::Begin {
                isolation: Some(Isolation::Serializable)
            }
        );
        assert_eq!(
            kind("BEGIN TRANSACTION PRIORITY HIGH"),
            StmtKind::Begin { isolation: None }
        );
        assert_eq!(kind("COMMIT"), StmtKind::Commit);
        assert_eq!(kind("ROLLBACK"), StmtKind::Rollback);
        assert_eq!(
            kind("ROLLBACK TO SAVEPOINT cockroach_restart"),
            StmtKind::RollbackToSavepoint("cockroach_restart".into())
        );
        assert_eq!(
            kind("SAVEPOINT cockroach_restart"),
            StmtKind::Savepoint("cockroach_restart".into())
        );
        assert_eq!(
            kind("RELEASE SAVEPOINT cockroach_restart"),
            StmtKind::ReleaseSavepoint("cockroach_restart".into())
        );
        assert_eq!(
            kind("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
            StmtKind::SetTransaction {
                isolation: Some(Isolation::RepeatableRead)
            }
        );
    }

    #[test]
    fn comments_and_case() {
        let k = kind("-- move money\n/* block */ update Accounts set balance = $1 where id = $2");
        let StmtKind::Update(u) = k else {
            panic!("not an update: {k:?}")
        };
        assert_eq!(u.table.as_deref(), Some("accounts"));
        assert_eq!(u.assignments[0].column, "balance");
        assert_eq!(u.assignments[0].params, vec![ParamRef::Placeholder(1)]);
        assert!(u.where_columns.contains("id"));
    }

    #[test]
    fn select_facts() {
        let k = kind("SELECT balance FROM public.accounts WHERE id = $1 FOR UPDATE");
        let StmtKind::Select(s) = k else { panic!() };
        assert_eq!(s.tables, vec!["accounts"]);
        assert!(s.columns.contains("balance"));
        assert!(!s.columns.contains("owner_id"));
        assert!(s.where_columns.contains("id"));
        assert_eq!(s.lock, Some(Lock::ForUpdate));
        let StmtKind::Select(s) = kind("SELECT * FROM jobs WHERE status = 'queued' LIMIT 1") else {
            panic!()
        };
        assert_eq!(s.columns, Columns::All);
        assert!(s.where_columns.contains("status"));
        assert_eq!(s.lock, None);
        let StmtKind::Select(s) = kind("SELECT id FROM t FOR NO KEY UPDATE") else {
            panic!()
        };
        assert_eq!(s.lock, Some(Lock::ForUpdate));
        let StmtKind::Select(s) = kind("SELECT EXISTS (SELECT 1 FROM tags WHERE name = $1)") else {
            panic!()
        };
        assert_eq!(s.tables, vec!["tags"]);
    }

    #[test]
    fn insert_and_upsert() {
        let StmtKind::Insert(i) = kind("INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING") else {
            panic!()
        };
        assert_eq!(i.table.as_deref(), Some("tags"));
        assert!(i.on_conflict);
        let StmtKind::Insert(i) = kind("insert into tags(name) values ($1) returning id") else {
            panic!()
        };
        assert!(!i.on_conflict);
        let StmtKind::Insert(i) = kind("UPSERT INTO accounts (id, balance) VALUES ($1, $2)") else {
            panic!()
        };
        assert!(i.upsert && i.on_conflict);
        assert_eq!(i.table.as_deref(), Some("accounts"));
    }

    #[test]
    fn cockroach_as_of_system_time() {
        let StmtKind::Select(s) = kind("SELECT * FROM accounts AS OF SYSTEM TIME '-10s' WHERE id = $1") else {
            panic!()
        };
        assert_eq!(s.tables, vec!["accounts"]);
    }

    #[test]
    fn delete_and_multi_statement() {
        assert!(matches!(
            kind("DELETE FROM sessions WHERE user_id = $1"),
            StmtKind::Delete(_)
        ));
        let info = classify("BEGIN; UPDATE a SET x = 1; COMMIT;").expect("sql");
        assert_eq!(info.statements.len(), 3);
        assert!(info.is_write());
    }

    #[test]
    fn placeholders() {
        let info = classify("UPDATE accounts SET balance = balance + $1 WHERE id = $3").expect("sql");
        let p = info.placeholders.as_ref().expect("tokenized");
        assert_eq!(p.max(), 3);
        assert_eq!(p.first_gap(), Some(2));
        let info = classify("SELECT '$9' -- $7\n FROM t WHERE a = $1::int").expect("sql");
        assert_eq!(info.placeholders.as_ref().map(|p| p.max()), Some(1));
    }

    #[test]
    fn template_holes() {
        let sql = format!("UPDATE accounts SET balance = {} WHERE id = $1", hole_placeholder(0));
        let StmtKind::Update(u) = kind(&sql) else { panic!() };
        assert_eq!(u.assignments[0].params, vec![ParamRef::Hole(0)]);
        let sql = format!("SELECT * FROM {} WHERE id = $1", hole_placeholder(0));
        assert!(matches!(kind(&sql), StmtKind::Select(_)));
    }

    #[test]
    fn not_sql() {
        assert!(classify("BEGIN transfer of funds").is_none());
        assert!(classify("hello world").is_none());
        assert!(classify("").is_none());
        assert!(classify("/users?page=2").is_none());
    }

    #[test]
    fn session_settings() {
        let set = |sql: &str| classify(sql).expect("sql").statements[0].clone();
        for (sql, name) in [
            ("SET search_path TO tenant_1", "search_path"),
            ("SET SESSION statement_timeout = 5000", "statement_timeout"),
            ("set application_name='api'", "application_name"),
            ("SET TIME ZONE 'UTC'", "timezone"),
            (
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                "default_transaction_isolation",
            ),
        ] {
            assert_eq!(set(sql), StmtKind::SetSession { name: name.to_string() }, "{sql}");
        }
        assert_eq!(set("SET LOCAL search_path TO t"), StmtKind::Other);
        assert!(matches!(
            set("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
            StmtKind::SetTransaction { .. }
        ));
        assert_eq!(set("RESET ALL"), StmtKind::ResetSession { name: None });
        assert_eq!(set("DISCARD ALL"), StmtKind::ResetSession { name: None });
        assert_eq!(
            set("RESET search_path"),
            StmtKind::ResetSession {
                name: Some("search_path".to_string())
            }
        );
        assert_eq!(set("DISCARD PLANS"), StmtKind::Other);
    }

    #[test]
    fn keyword_fallback_for_unparsable_dml() {
        let info = classify("INSERT INTO t (a) VALUES ($1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING").expect("sql");
        assert!(matches!(&info.statements[0], StmtKind::Insert(i) if i.on_conflict));
        let info = classify("UPDATE t SET a = WHERE ((").expect("sql");
        assert!(info.is_write());
    }
}
