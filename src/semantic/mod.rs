//! The semantic model of one file, built once and read by every rule.
//!
//! `lower` walks the AST once into functions, bindings, candidate database events and a small
//! control-flow IR; `handles` decides which receivers are pools and clients; `flow` interprets each
//! function's IR path by path and records facts (transactions, exits, writes, guards). Rules only
//! query this model: a precision bug is fixed here, once, for every rule.

pub mod flow;
pub mod handles;
pub mod lower;
pub mod model;
pub mod requests;
pub mod sql;

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use flow::FlowFacts;
pub use model::*;

use crate::parse::Parsed;
use crate::semantic::sql::StmtKind;
use crate::source::SourceFile;

/// Which database the reasoning assumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Database {
    /// SERIALIZABLE by default: conflicting transactions abort with SQLSTATE 40001.
    #[default]
    Cockroachdb,
    /// READ COMMITTED by default: concurrent read-modify-write loses updates.
    Postgres,
}

impl Database {
    pub fn name(self) -> &'static str {
        match self {
            Database::Cockroachdb => "CockroachDB",
            Database::Postgres => "PostgreSQL",
        }
    }
}

/// Everything the rules know about one file.
pub struct FileModel<'s> {
    pub source: &'s SourceFile,
    pub functions: Vec<Function>,
    pub bindings: Vec<Binding>,
    pub queries: Vec<QueryEvent>,
    pub connects: Vec<ConnectEvent>,
    pub guards: Vec<Guard>,
    pub kinds: BTreeMap<HandleKey, HandleKind>,
    pub flow: FlowFacts,
    pub database: Database,
    /// The project's unique keys, when its schema sources were read.
    pub schema: Option<std::sync::Arc<crate::project::schema::Schema>>,
    /// Calls into other modules (with what linking learnt of them).
    pub ext_calls: Vec<ExtCall>,
    /// Calls of this file's functions whose promise is dropped.
    pub floating_calls: Vec<FloatingCall>,
    /// `.end()` calls that are not HTTP responses.
    pub end_calls: Vec<EndCall>,
    /// Which functions run while a request is served.
    pub requests: requests::RequestPaths,
    /// `try` bodies whose `catch` handles a unique violation (SQLSTATE 23505).
    pub unique_violation_handled: Vec<crate::source::TextRange>,
    /// Branches for one error a `catch` tests by its code (`if (err.code === '23505')`).
    pub error_code_branches: Vec<crate::source::TextRange>,
}

impl<'s> FileModel<'s> {
    pub fn build(source: &'s SourceFile, parsed: &Parsed, database: Database) -> Self {
        Self::from_lowered(source, lower::lower(parsed, &source.text), database)
    }

    /// The model of a file already lowered (and, in a project, expanded with linked facts).
    pub fn from_lowered(source: &'s SourceFile, lowered: lower::Lowered, database: Database) -> Self {
        let kinds = handles::classify(&lowered);
        let flow = flow::analyse(&flow::Program {
            l: &lowered,
            kinds: &kinds,
        });
        let requests = requests::RequestPaths::compute(
            &lowered.functions,
            &lowered.bindings,
            &lowered.route_handlers,
            &lowered.route_handler_bindings,
        );
        let lower::Lowered {
            typed_pool_paths: _,
            functions,
            bindings,
            queries,
            connects,
            guards,
            ext_calls,
            floating_calls,
            end_calls,
            unique_violation_handled,
            error_code_branches,
            ..
        } = lowered;
        FileModel {
            source,
            functions,
            bindings,
            queries,
            connects,
            guards,
            kinds,
            flow,
            database,
            schema: None,
            ext_calls,
            floating_calls,
            end_calls,
            requests,
            unique_violation_handled,
            error_code_branches,
        }
    }

    /// The kind of the handle a query is sent through (`None`: not a database handle).
    pub fn handle_kind(&self, key: &HandleKey) -> Option<HandleKind> {
        self.kinds.get(key).copied()
    }

    /// Queries sent through a database handle.
    pub fn db_queries(&self) -> impl Iterator<Item = &QueryEvent> {
        self.queries.iter().filter(|q| self.kinds.contains_key(&q.handle))
    }

    pub fn query(&self, q: QueryId) -> &QueryEvent {
        &self.queries[q as usize]
    }

    /// The single statement a query sends, when there is exactly one.
    pub fn stmt(&self, q: QueryId) -> Option<&StmtKind> {
        self.queries[q as usize].sql.info.as_ref().and_then(|i| i.single())
    }

    /// Whether `f` is test code: inside a test runner's callback (`it('...', fn)`, hooks,
    /// `suite.test`), or in a file named as a test (`*.test.js`, `*.spec.ts`, `test-authz.ts`,
    /// `db_test.js`, under `__tests__`, or directly in a `test/`, `tests/`, `spec/` or `e2e/` directory). A test's failures end the test, and tests hold clients
    /// and send statements on purpose in ways production code must not.
    pub fn is_test_code(&self, f: FuncId) -> bool {
        if self.functions.get(f as usize).is_some_and(|func| func.test_code) {
            return true;
        }
        let path = &self.source.path;
        // `__tests__` anywhere; `test/`, `tests/`, `spec/`, `e2e/` only as the file's own
        // directory (mocha's `test/setup.js`, `src/tests/helpers.js`): higher up, such a name may
        // be any project's parent.
        let parent_is_tests = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .is_some_and(|n| matches!(n.to_ascii_lowercase().as_str(), "test" | "tests" | "spec" | "e2e"));
        let in_tests_dir = parent_is_tests || path.components().any(|c| c.as_os_str() == "__tests__");
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        in_tests_dir
            || [".test", ".spec", "-test", "_test", "-tests", "_tests"]
                .iter()
                .any(|s| stem.ends_with(s))
            || stem.starts_with("test-")
            || stem.starts_with("test_")
    }

    /// Code that runs once, alone, with nothing concurrent to race with: a migration or a seed (a
    /// file under `migrations/`, `seeds/`, `seeders/`, `scripts/`, or named `seed*`, `*seed(s)` or
    /// `*migrat*`: `runMigrations.js`, `rollbackMigrations.ts`),
    /// unless a request handler reaches `f`. Races between concurrent requests
    /// (check-then-insert, read-modify-write) need concurrency.
    pub fn is_one_shot_script(&self, f: FuncId) -> bool {
        let path = &self.source.path;
        let dirs = ["migrations", "migration", "seeds", "seed", "seeders", "scripts"];
        let in_dir = path.parent().is_some_and(|p| {
            p.components().any(|c| {
                c.as_os_str()
                    .to_str()
                    .is_some_and(|c| dirs.contains(&c.to_ascii_lowercase().as_str()))
            })
        });
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let named =
            stem.starts_with("seed") || stem.contains("migrat") || stem.ends_with("seed") || stem.ends_with("seeds");
        (in_dir || named) && self.requests.reach(f).is_none()
    }

    /// The function that runs on its own and contains `f` (callbacks belong to their parent).
    pub fn standalone_of(&self, mut f: FuncId) -> FuncId {
        loop {
            let func = &self.functions[f as usize];
            match (func.role, func.parent) {
                (FnRole::Continuation | FnRole::ChainStep | FnRole::Inline, Some(p)) => f = p,
                _ => return f,
            }
        }
    }

    /// Whether function `g` is `f` or nested in it (a callback, a closure).
    pub fn is_within(&self, mut g: FuncId, f: FuncId) -> bool {
        loop {
            if g == f {
                return true;
            }
            match self.functions[g as usize].parent {
                Some(p) => g = p,
                None => return false,
            }
        }
    }

    /// Queries sent in function `f` or in a function nested in it (helpers of other modules'
    /// statements included, at their call).
    pub fn queries_within(&self, f: FuncId) -> impl Iterator<Item = &QueryEvent> {
        self.queries.iter().filter(move |q| self.is_within(q.func, f))
    }

    /// A name for messages and fingerprints: the nearest named function.
    pub fn function_name(&self, f: FuncId) -> Option<String> {
        let mut cur = Some(f);
        while let Some(id) = cur {
            let func = &self.functions[id as usize];
            if let Some(n) = &func.name
                && id != MODULE_FN
            {
                return Some(n.clone());
            }
            cur = func.parent;
        }
        None
    }

    pub fn binding_name(&self, b: BindingId) -> &str {
        &self.bindings[b as usize].name
    }

    /// Whether a transaction (by its BEGIN) is retried on SQLSTATE 40001: its function, an
    /// enclosing or nested function, a caller in this file (up to three levels), or a wrapper it is
    /// passed to tests 40001 or is a retry helper.
    pub fn is_retried(&self, begin: QueryId) -> bool {
        let f = self.queries[begin as usize].func;
        let mut roots = vec![f];
        if let Some(t) = self.flow.txs.get(&begin) {
            roots.extend(t.roots.iter().copied());
        }
        roots.into_iter().any(|r| self.retry_in_family(r, 0))
    }

    fn retry_in_family(&self, f: FuncId, depth: usize) -> bool {
        // The function, its ancestors below module level, and everything nested in them.
        let mut chain = Vec::new();
        let mut cur = Some(f);
        while let Some(id) = cur {
            if id == MODULE_FN {
                break;
            }
            chain.push(id);
            cur = self.functions[id as usize].parent;
        }
        for &id in &chain {
            let func = &self.functions[id as usize];
            if func.mentions_retry || func.retry_wrapped {
                return true;
            }
        }
        let top = chain.last().copied();
        if let Some(top) = top
            && self
                .functions
                .iter()
                .any(|g| g.mentions_retry && self.is_nested_in(g.id, top))
        {
            return true;
        }
        if depth >= 3 {
            return false;
        }
        // Callers in this file.
        chain.iter().any(|id| {
            self.flow
                .callers
                .get(id)
                .is_some_and(|cs| cs.iter().any(|&c| c != *id && self.retry_in_family(c, depth + 1)))
        })
    }

    fn is_nested_in(&self, mut f: FuncId, ancestor: FuncId) -> bool {
        loop {
            if f == ancestor {
                return true;
            }
            match self.functions[f as usize].parent {
                Some(p) => f = p,
                None => return false,
            }
        }
    }

    /// A readable dump of the model, for `txlint debug model` and tests.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let src = self.source;
        let pos = |r: crate::source::TextRange| {
            let lc = src.line_col(r.start);
            format!("{}:{}", lc.line, lc.column)
        };
        let _ = writeln!(out, "handles:");
        for (k, v) in &self.kinds {
            let name = match k {
                HandleKey::Binding(b) => self.binding_name(*b).to_string(),
                HandleKey::Global(n) | HandleKey::Path(n) => n.clone(),
            };
            let _ = writeln!(out, "  {name}: {v:?}");
        }
        let _ = writeln!(out, "functions:");
        for f in &self.functions {
            if !f.has_db_ops && f.id != MODULE_FN {
                continue;
            }
            let _ = writeln!(
                out,
                "  #{} {} at {} role={:?}{}{}",
                f.id,
                f.name.as_deref().unwrap_or("<anonymous>"),
                pos(f.span),
                f.role,
                if f.mentions_retry { " mentions-40001" } else { "" },
                if f.retry_wrapped { " retry-wrapped" } else { "" },
            );
        }
        let _ = writeln!(out, "queries:");
        for q in self.db_queries() {
            let kinds: Vec<&str> = q
                .sql
                .info
                .as_ref()
                .map(|i| i.statements.iter().map(|s| s.name()).collect())
                .unwrap_or_else(|| vec!["UNKNOWN"]);
            let tx: Vec<String> = self
                .flow
                .queries
                .get(&q.id)
                .map(|c| {
                    let all: std::collections::BTreeSet<_> = c.tx.values().flatten().collect();
                    all.into_iter().map(|t| format!("{t:?}")).collect()
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  q{} {} {}.query {} await={:?} tx=[{}]",
                q.id,
                pos(q.range),
                q.receiver,
                kinds.join(";"),
                q.await_kind,
                tx.join(",")
            );
        }
        let _ = writeln!(out, "transactions:");
        for (b, t) in &self.flow.txs {
            let _ = writeln!(
                out,
                "  BEGIN q{b} at {}: writes={:?} commits={:?} rollbacks={:?} open_exits={} leaked={} retried={}",
                pos(self.queries[*b as usize].range),
                t.writes,
                t.commits,
                t.rollbacks,
                t.open_exits.len(),
                t.leaked_after_begin.len(),
                self.is_retried(*b)
            );
        }
        let _ = writeln!(out, "leaks:");
        for leak in &self.flow.leaks {
            let _ = writeln!(
                out,
                "  {} at {} ({:?}{})",
                self.binding_name(leak.client),
                pos(leak.exit.site.range),
                leak.exit.kind,
                if leak.exit.error_path { ", error path" } else { "" }
            );
        }
        let _ = writeln!(out, "write pairs:");
        for w in &self.flow.write_pairs {
            let _ = writeln!(out, "  q{} then q{}", w.first.0, w.second.0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn model(name: &str, code: &str) -> String {
        let src = SourceFile::new(name, code.to_string());
        let parsed = crate::parse::parse(&src).expect("parses");
        FileModel::build(&src, &parsed, Database::Cockroachdb).dump()
    }

    #[test]
    fn handles_by_origin_and_use() {
        let dump = model(
            "a.js",
            "const { Pool } = require('pg');\nconst db = require('./db');\nconst pool = new Pool();\nconst { Client } = require('@elastic/elasticsearch');\nconst client = new Client();\nasync function f(conn) {\n  await conn.query('SELECT 1');\n  await db.query('SELECT 2');\n  await client.query({ match: 'BEGIN' });\n  const c = await pool.connect();\n  c.release();\n}\n",
        );
        assert!(dump.contains("  pool: Pool\n"), "{dump}");
        assert!(dump.contains("  db: Pool\n"), "{dump}");
        assert!(dump.contains("  conn: ParamClient\n"), "{dump}");
        assert!(dump.contains("  c: PooledClient\n"), "{dump}");
        assert!(!dump.contains("  client:"), "an HTTP client is not a handle:\n{dump}");
    }

    #[test]
    fn shadowed_names_are_different_bindings() {
        let dump = model(
            "a.js",
            "const { Pool } = require('pg');\nconst pool = new Pool();\nfunction f() {\n  const pool = makeCache();\n  return pool.query('k');\n}\nasync function g() {\n  await pool.query('SELECT 1');\n}\n",
        );
        // Only the module-level `pool` sends SQL and is a pool; the cache in `f` is not.
        assert_eq!(dump.matches(": Pool\n").count(), 1, "{dump}");
    }

    #[test]
    fn callback_connect_and_then_chain_clients() {
        let dump = model(
            "a.js",
            "const pg = require('pg');\nconst pool = new pg.Pool();\npool.connect((err, client, done) => {\n  client.query('SELECT 1', () => done());\n});\npool.connect().then((c2) => c2.query('SELECT 2').finally(() => c2.release()));\n",
        );
        assert!(dump.contains("  client: PooledClient\n"), "{dump}");
        assert!(dump.contains("  c2: PooledClient\n"), "{dump}");
        assert!(!dump.contains("leaks:\n  "), "both clients are released:\n{dump}");
    }

    #[test]
    fn transaction_state_follows_paths() {
        let dump = model(
            "a.js",
            "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(x) {\n  const client = await pool.connect();\n  try {\n    await client.query('BEGIN');\n    if (x) {\n      await client.query('UPDATE a SET b = 1');\n    }\n    await client.query('COMMIT');\n  } catch (e) {\n    await client.query('ROLLBACK');\n    throw e;\n  } finally {\n    client.release();\n  }\n}\n",
        );
        assert!(
            dump.contains("client.query UPDATE await=Awaited tx=[Open(0)]"),
            "{dump}"
        );
        assert!(dump.contains("writes={1} commits={2} rollbacks={3}"), "{dump}");
        assert!(dump.contains("leaks:\nwrite pairs:"), "no leak:\n{dump}");
    }
}
