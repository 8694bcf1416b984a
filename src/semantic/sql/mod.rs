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
use std::sync::Arc;

mod keywords;
mod statements;

use keywords::keyword_fallback;
use statements::{cockroach_rewrite, count_placeholders, parse_statements};

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
    /// Every item of the select list is an aggregate of values (`SUM`, `AVG`, `MIN`, `MAX`, under
    /// `COALESCE` or a cast) and there is no `GROUP BY`: one row always comes back, and what the
    /// code tests is a value, not whether a row exists (`COUNT` is an existence test, so not one).
    pub value_aggregate: bool,
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
    /// The new value is `NULL`: the column is cleared (a one-time code consumed, a hold released).
    pub clears: bool,
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
    /// One of its statements is a BEGIN (or START TRANSACTION).
    pub fn begins(&self) -> bool {
        self.statements.iter().any(|s| matches!(s, StmtKind::Begin { .. }))
    }

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
    fn value_aggregates() {
        let select = |sql: &str| match classify(sql).expect("sql").statements[0].clone() {
            StmtKind::Select(s) => s,
            other => panic!("{sql}: {other:?}"),
        };
        for sql in [
            "SELECT SUM(amount) FROM payments WHERE order_id = $1",
            "SELECT COALESCE(SUM(amount), 0)::numeric AS total FROM payments WHERE order_id = $1",
            "SELECT max(version) AS v, min(version) FROM docs WHERE id = $1",
            "SELECT (AVG(score)) FROM reviews WHERE product_id = $1",
        ] {
            assert!(select(sql).value_aggregate, "{sql}");
        }
        for sql in [
            "SELECT COUNT(*) FROM users WHERE email = $1",
            "SELECT id, SUM(amount) FROM payments WHERE order_id = $1 GROUP BY id",
            "SELECT SUM(amount) FROM payments GROUP BY order_id",
            "SELECT id FROM users WHERE email = $1",
            "SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)",
        ] {
            assert!(!select(sql).value_aggregate, "{sql}");
        }
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
        assert_eq!(set("SET CONSTRAINTS ALL DEFERRED"), StmtKind::Other);
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
        // The function form.
        for sql in [
            "SELECT set_config('app.tenant_id', $1, false)",
            "select set_config('app.tenant_id', $1::text, false) as t;",
            "SELECT set_config('app.tenant_id', concat('t', $1), false)",
        ] {
            assert_eq!(
                set(sql),
                StmtKind::SetSession {
                    name: "app.tenant_id".to_string()
                },
                "{sql}"
            );
        }
        assert_eq!(set("SELECT set_config('app.tenant_id', $1, true)"), StmtKind::Other);
        assert_eq!(
            set("SELECT set_config('app.tenant_id', '', false)"),
            StmtKind::ResetSession {
                name: Some("app.tenant_id".to_string())
            }
        );
        for sql in [
            "SELECT set_config('app.tenant_id', $1, $2)",
            "SELECT set_config($1, $2, false)",
            "SELECT set_config('a', $1, false), id FROM users",
            "SELECT current_setting('app.tenant_id')",
        ] {
            assert!(!matches!(set(sql), StmtKind::SetSession { .. }), "{sql}");
        }
    }

    #[test]
    fn keyword_fallback_for_unparsable_dml() {
        let info = classify("INSERT INTO t (a) VALUES ($1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING").expect("sql");
        assert!(matches!(&info.statements[0], StmtKind::Insert(i) if i.on_conflict));
        let info = classify("UPDATE t SET a = WHERE ((").expect("sql");
        assert!(info.is_write());
    }
}
