//! The file model's data: functions, bindings, database events and the small control-flow IR each
//! function is lowered to. Built by `lower`, classified by `handles`, interpreted by `flow`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::semantic::sql::SqlInfo;
use crate::source::TextRange;

pub type FuncId = u32;
pub type BindingId = u32;
pub type QueryId = u32;
pub type ConnectId = u32;
pub type GuardId = u32;
pub type ExtCallId = u32;
pub type ClassId = u32;

/// The function that holds a module's top-level code.
pub const MODULE_FN: FuncId = 0;

/// What part of a query result a value was derived from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The pg `Result` object.
    Result,
    /// `result.rows`.
    Rows,
    /// One row (`rows[0]`, a destructured row, a `for...of` item).
    Row,
    /// One column of a row (`rows[0].balance`).
    Column(String),
    /// `rowCount` / `rows.length`.
    Count,
    /// What a helper in another module returns from a query (a row, the rows or the result: which
    /// one is known only to the helper).
    Returned,
}

/// Values derived from query results: which query, which part.
pub type Taint = Vec<(QueryId, Field)>;

pub fn taint_union(into: &mut Taint, from: &[(QueryId, Field)]) {
    for t in from {
        if !into.contains(t) {
            into.push(t.clone());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    Var,
    Let,
    Const,
    Param,
    Import,
    Function,
    Class,
    Catch,
}

/// How a binding got its value, as far as handle classification cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Unknown,
    /// `require('pg')`, `import pg from 'pg'`, `import * as pg from 'pg'`.
    PgModule,
    /// The `Pool` class (`const { Pool } = require('pg')`, `import { Pool } from 'pg'`).
    PoolClass,
    /// The `Client` class of pg.
    ClientClass,
    /// `new Pool(...)`.
    NewPool,
    /// Declared with the TypeScript type `Pool` (`pool: Pool`, `db: pg.Pool`).
    TypedPool,
    /// `new Client(...)` (pg's).
    NewClient,
    /// Imported from a relative path (`require('./db')`, `import db from '../db'`).
    LocalImport(String),
    /// Imported from a package other than pg.
    PackageImport(String),
    /// A function value defined in this file.
    Function(FuncId),
    /// The client given by `X.connect()` (await, `.then` parameter or callback parameter).
    Connected(ConnectId),
    /// The release callback (`done`) of `pool.connect((err, client, done) => ...)`.
    ReleaseFn(ConnectId),
}

/// A SQL text a binding holds (`const SQL = '...'`), holes included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlTemplate {
    pub text: String,
    pub holes: Vec<Taint>,
    pub tagged: bool,
    /// The text is the one of a `let` assigned in a branch, a loop or a callback: another path
    /// may send another text (or this one without an append). Good enough to say what kind of
    /// statement is sent, not to count its placeholders.
    pub varies: bool,
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub name: String,
    pub kind: BindingKind,
    /// The function whose scope declares it.
    pub func: FuncId,
    pub span: TextRange,
    pub origin: Origin,
    /// Static string held by a `const`.
    pub sql: Option<SqlTemplate>,
    /// String-valued properties of a `const` object literal (`queries.insertUser`).
    pub sql_props: BTreeMap<String, SqlTemplate>,
    /// Members of a `const` object literal (`const userDal = { insert, find }`), for exports.
    pub object: Vec<(String, ExportValue)>,
    /// The value read from another module (`const { pool } = require('./db')`).
    pub import: Option<ImportRef>,
    /// Element taints of a `const` array literal (a values array held in a variable).
    pub array: Option<Vec<Taint>>,
    /// A string constant equal to the SQLSTATE `40001`.
    pub is_retry_code: bool,
    /// The client the whole process shares, handed out by a helper of another module
    /// (`const client = await getDb()` where `getDb` returns its module-level `new Client()`).
    pub shared_client: bool,
}

impl Binding {
    /// Its value lives as long as the process: bound at module level, or read from another
    /// module (`const { pool } = require('./db')` anywhere). A `new Pool()` / `new Client()` made
    /// inside a function is that call's own, and what a call returns (`makePool()`) is unknown.
    pub fn is_process_wide(&self) -> bool {
        let read_from_module = self
            .import
            .as_ref()
            .is_some_and(|r| !r.path.iter().any(|p| p == ImportRef::CALL));
        self.func == MODULE_FN
            || self.shared_client
            || (read_from_module && !matches!(self.origin, Origin::NewPool | Origin::NewClient))
    }
}

/// How a function is invoked, decided by where it appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnRole {
    /// Runs on its own (declared, exported, a route handler, an event handler...).
    Standalone,
    /// Callback of `query(..., cb)` or `pool.connect(cb)`: the rest of the story of that client.
    Continuation,
    /// Callback of `.then/.catch/.finally`.
    ChainStep,
    /// Callback of `forEach/map/...` or a `new Promise` executor: runs inline.
    Inline,
    /// Callback of a library transaction wrapper (knex, pg-promise, sequelize, prisma): code inside
    /// runs in a transaction the library owns.
    ManagedTx,
    /// Callback of a transaction wrapper of this project (`withTransaction(async (client) => ...)`,
    /// found by linking): its parameters are the wrapper's client, inside its transaction; a pool
    /// it uses instead is not (the classic bug of a query sent through the outer handle).
    WrapperTx,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub id: FuncId,
    /// Best name: declared name, variable/property it is assigned to, or `POST /path handler`.
    pub name: Option<String>,
    pub span: TextRange,
    /// Where the body ends (for "falls off the end" exits).
    pub end: TextRange,
    pub parent: Option<FuncId>,
    pub params: Vec<Vec<BindingId>>,
    pub is_async: bool,
    pub role: FnRole,
    pub body: Block,
    /// Bindings from enclosing functions that this function (or a nested one) uses.
    pub captures: Vec<BindingId>,
    /// The body tests SQLSTATE 40001 (or calls something that looks like a retry check).
    pub mentions_retry: bool,
    /// Passed to a function named like a retry helper (`retry(async () => ...)`).
    pub retry_wrapped: bool,
    /// Contains database operations (directly).
    pub has_db_ops: bool,
    /// What its return values derive from (`return rows.length > 0`): a caller's value carries it.
    pub return_taint: Taint,
    /// It returns a client checked out here (`return pool.connect()`, `return client`).
    pub returns_connect: Option<ConnectId>,
    /// An `async` callback of `forEach`: it runs in place up to its first `await`, and nothing
    /// waits for the rest (`forEach` drops the promises).
    pub unawaited_callback: bool,
    /// Test code: a callback of a test runner (`it`, `test`, `describe`, hooks, `suite.test`), or
    /// nested in one.
    pub test_code: bool,
    /// A query builder: a plain function whose every `return` gives this SQL text.
    pub returns_sql: Option<SqlTemplate>,
    /// Every `return` gives the truthiness of this parameter (`return !!err`, `return err`,
    /// `Boolean(err)`): a call tests its argument (`if (shouldAbort(err)) return`).
    pub returns_param_truthiness: Option<usize>,
}

/// The receiver of a database call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandleKey {
    Binding(BindingId),
    /// An unresolved global name (`pool` defined elsewhere).
    Global(String),
    /// A member path such as `this.pool` or `req.app.locals.pool`.
    Path(String),
}

/// What a handle is, after classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleKind {
    /// A pool: each query may run on a different connection, in its own implicit transaction.
    Pool,
    /// A client from `pool.connect()`.
    PooledClient,
    /// `new Client()`.
    StandaloneClient,
    /// A client received as a parameter: its transaction state is the caller's.
    ParamClient,
}

impl HandleKind {
    pub fn is_client(self) -> bool {
        !matches!(self, HandleKind::Pool)
    }
}

/// How the promise of a query call is consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwaitKind {
    Awaited,
    Returned,
    /// `.then/.catch/.finally` chained on it.
    Chained,
    /// An element of `Promise.all([...])` (or allSettled/race/any).
    PromiseAll,
    /// Assigned to a variable or passed on: consumed later, or elsewhere.
    Bound,
    /// An expression statement: nobody waits for it.
    Floating,
}

/// The values array of a query call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    /// No values argument at all.
    Missing,
    /// A literal array (no spread): one taint per element, and each element's source text
    /// (whitespace collapsed) when it was written here.
    Array {
        elems: Vec<Taint>,
        range: TextRange,
        texts: Vec<String>,
    },
    /// Anything else.
    Unknown,
}

/// The SQL a query call sends.
#[derive(Debug, Clone)]
pub struct SqlArg {
    /// Text with `${...}` holes replaced by stand-ins; `None` when not resolvable.
    pub text: Option<String>,
    /// Number of holes and their taints.
    pub holes: Vec<Taint>,
    pub tagged: bool,
    /// Another path may send another text (see [`SqlTemplate::varies`]).
    pub varies: bool,
    /// Span of the SQL argument in the JS source.
    pub range: TextRange,
    /// Classification; `None` when the text is unknown or not SQL.
    pub info: Option<Arc<SqlInfo>>,
    /// Written inline at the call (literal or template), rather than held in a variable.
    pub inline: bool,
    /// The text is a value of another module (`client.query(SQL.BEGIN)`), resolved by linking.
    pub import: Option<ImportRef>,
    /// The text is a parameter of the function that sends it (`(text, params) =>
    /// pool.query(text, params)`): the caller's argument, known at each call.
    pub param: Option<BindingId>,
}

/// A `.query(...)` call on something that may be a database handle.
#[derive(Debug, Clone)]
pub struct QueryEvent {
    pub id: QueryId,
    pub func: FuncId,
    pub handle: HandleKey,
    /// The receiver as written (`client`, `this.pool`).
    pub receiver: String,
    pub receiver_range: TextRange,
    /// The whole call expression.
    pub range: TextRange,
    /// The enclosing statement.
    pub stmt_range: TextRange,
    pub sql: SqlArg,
    pub values: Values,
    /// Whether values came from a `{ text, values }` config object.
    pub config_object: bool,
    pub callback: Option<FuncId>,
    /// A callback passed by name (`client.query('COMMIT', done)`).
    pub callback_binding: Option<BindingId>,
    /// A callback the flow does not follow (`client.query(text, values, this.handle)`): with it,
    /// as with the two above, `query` returns no promise.
    pub callback_other: bool,
    /// A submittable (`new QueryStream(...)`, `new Cursor(...)`): `query` returns it, a stream or
    /// cursor, not a promise.
    pub submittable: bool,
    pub await_kind: AwaitKind,
    pub in_async_fn: bool,
    /// The call up to the end of its SQL argument (`client.query('...'`): the span to show.
    pub head: TextRange,
    /// The SQL and values arguments (everything but a callback), as written.
    pub args_range: TextRange,
    /// Sent by a helper of another module that this call runs (`insertUser(client, u)`).
    pub via: Option<std::sync::Arc<Via>>,
}

/// Where a statement sent on behalf of a call really is: the helper and its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The helper's name (`insertUser`, `UserRepository.save`).
    pub function: String,
    /// Its file, as given to txlint (relative when the input was).
    pub path: std::path::PathBuf,
    /// The statement's call in that file: 1-based line and column.
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// A value read from another module: the specifier as written and the member path read from what
/// it exports (`[]`: the namespace or `module.exports`; `["default"]`; `["pool"]`;
/// `["users", "insert"]`). [`ImportRef::CALL`] stands for the result of a call or `new`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportRef {
    pub specifier: String,
    pub path: Vec<String>,
}

impl ImportRef {
    pub const CALL: &'static str = "()";

    pub fn member(&self, prop: &str) -> ImportRef {
        let mut path = self.path.clone();
        path.push(prop.to_string());
        ImportRef {
            specifier: self.specifier.clone(),
            path,
        }
    }
}

/// What a module exports under one name, as lowered (references are resolved by linking).
#[derive(Debug, Clone, PartialEq)]
pub enum ExportValue {
    Binding(BindingId),
    Func(FuncId),
    Class(ClassId),
    Import(ImportRef),
    Sql(SqlTemplate),
    Object(Vec<(String, ExportValue)>),
    /// `new X(...)` of a class of this module.
    Instance(ClassId),
    /// A pool or client made in place (`module.exports = new Pool()`).
    Handle(HandleKind),
    Unknown,
}

/// A module's exports: ESM named exports and CommonJS `exports.x`, `export * from`, and the
/// whole `module.exports` value.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    pub named: Vec<(String, ExportValue)>,
    pub stars: Vec<String>,
    pub module_exports: Option<ExportValue>,
}

/// A class declared in the file: its methods, for `repo.save(...)` on an instance.
#[derive(Debug, Clone)]
pub struct ClassInfo {
    pub id: ClassId,
    pub name: String,
    pub binding: Option<BindingId>,
    /// Instance methods (`repo.save()` on `new Repo()`).
    pub methods: Vec<(String, FuncId)>,
    /// Static methods (`UserDal.insert()`).
    pub statics: Vec<(String, FuncId)>,
}

/// A call of a function of this file whose promise nobody consumes (an expression statement):
/// `unawaited-transaction` checks whether the function runs a transaction.
#[derive(Debug, Clone)]
pub struct FloatingCall {
    /// The function the call is in.
    pub func: FuncId,
    /// The callee's binding (its origin says which function).
    pub binding: BindingId,
    pub range: TextRange,
    /// The callee as written.
    pub callee_text: String,
}

/// A `.end()` call on something other than an HTTP response (`pool.end()`, `this.pool.end()`):
/// whether the receiver is a pool is decided with the handle kinds.
#[derive(Debug, Clone)]
pub struct EndCall {
    pub func: FuncId,
    pub handle: HandleKey,
    /// The receiver as written (`pool`, `db.pool`).
    pub receiver: String,
    pub range: TextRange,
}

/// A call of something imported from another module (`insertUser(client, u)`,
/// `userDal.insert(...)`, `repo.save(x)` on an imported class's instance). Until linking says what
/// the callee does, it is an unknown call; linking may expand it into the statements it sends.
#[derive(Debug, Clone)]
pub struct ExtCall {
    pub id: ExtCallId,
    pub func: FuncId,
    pub callee: ImportRef,
    /// The callee as written (`userDal.insert`).
    pub callee_text: String,
    pub args: Vec<Arg>,
    pub arg_taints: Vec<Taint>,
    /// Each argument's SQL text, when it is one written in place (`db.run('INSERT ...', [..])`).
    pub arg_sql: Vec<Option<String>>,
    pub range: TextRange,
    pub await_kind: AwaitKind,
    pub in_async_fn: bool,
    /// A query slot reserved for the statement whose result the helper returns: the caller's
    /// value is tainted by it from the start.
    pub result: QueryId,
    /// The binding that receives the call's result (`const client = await getClient()`).
    pub target: Option<BindingId>,
    /// Linking found that the callee runs a transaction (its own BEGIN...COMMIT, or a transaction
    /// wrapper): where it is, for messages.
    pub runs_tx: Option<std::sync::Arc<Via>>,
    /// Linking found that the callee (or what it calls) closes a pool: where the `.end()` is.
    pub ends_pool: Option<std::sync::Arc<Via>>,
    /// Linking found that the callee (or what it calls) begins a transaction on a client shared
    /// by the whole process (a module-level `new Client()`): where the BEGIN is.
    pub shared_client_tx: Option<std::sync::Arc<Via>>,
}

/// A `.connect(...)` call.
#[derive(Debug, Clone)]
pub struct ConnectEvent {
    pub id: ConnectId,
    pub func: FuncId,
    pub handle: HandleKey,
    pub receiver: String,
    pub range: TextRange,
    /// The binding that receives the client.
    pub target: Option<BindingId>,
    /// Callback style: `(err, client, done) => ...`.
    pub callback: Option<FuncId>,
    pub err_param: Option<BindingId>,
    pub done_param: Option<BindingId>,
    /// The method called (`connect`, `getClient`; the callee for a linked helper).
    pub method: String,
    /// Linking found the receiver's method to be a function of the project that does not check
    /// out a client (an app's own `db.connect()` returning query helpers): not a database connect.
    pub foreign: bool,
}

/// A path condition, as far as we can evaluate it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Unknown,
    /// The binding's value is truthy.
    Truthy(BindingId),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

/// A condition that depends on query results.
#[derive(Debug, Clone)]
pub struct Guard {
    pub id: GuardId,
    pub range: TextRange,
    pub taint: Taint,
    /// What the condition says of simple tests when it holds, and when it does not: the tested
    /// expression's text and whether it is truthy (nonzero). `rows.length === 0 && !b` holding
    /// says `("rows.length", false)` and `("b", false)`; not holding says nothing.
    pub when_true: Vec<(String, bool)>,
    pub when_false: Vec<(String, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopKind {
    /// May run zero times.
    MaySkip,
    /// Runs at least once (do-while, `for (i = 0; i < 3; ...)`).
    AtLeastOnce,
    /// `while (true)` / `for (;;)`: leaves only by break, return or throw.
    Infinite,
}

/// An argument passed to an in-file function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Binding(BindingId),
    Func(FuncId),
    Other,
}

#[derive(Debug, Clone, Default)]
pub struct Block(pub Vec<Op>);

/// One step of a function's lowered control flow.
#[derive(Debug, Clone)]
pub enum Op {
    Query(QueryId),
    Connect(ConnectId),
    /// `client.release(...)`, `client.end()` or `done(...)`: `error` when an error is passed
    /// (the connection is destroyed, which rolls back an open transaction).
    Release {
        binding: BindingId,
        error: bool,
        range: TextRange,
    },
    /// Call of a binding that is not a known function here (a callback parameter, in wrappers).
    CallBinding {
        binding: BindingId,
        args: Vec<Arg>,
        range: TextRange,
        awaited: bool,
    },
    /// A callback run in place: `.then` step, loop callback, promise executor.
    Inline {
        func: FuncId,
        role: FnRole,
    },
    If {
        cond: Cond,
        guard: Option<GuardId>,
        then_: Block,
        else_: Block,
    },
    Loop {
        kind: LoopKind,
        body: Block,
        label: Option<String>,
    },
    Switch {
        cases: Vec<Block>,
        has_default: bool,
    },
    Try {
        body: Block,
        catch: Option<Block>,
        finally: Option<Block>,
    },
    /// Runs later, detached from this flow (a floating promise chain): its exits are final.
    Detached {
        body: Block,
    },
    Labeled {
        label: String,
        body: Block,
    },
    Return {
        range: TextRange,
        escapes: Vec<BindingId>,
        /// A `return` statement, not an arrow's expression body.
        explicit: bool,
    },
    Throw {
        range: TextRange,
    },
    Break {
        label: Option<String>,
    },
    Continue {
        label: Option<String>,
    },
    /// `await` of something unknown: may throw.
    MayThrow {
        range: TextRange,
    },
    /// A client is stored, returned, handed to code we cannot see: its state becomes unknown.
    Escape {
        bindings: Vec<BindingId>,
    },
    /// A closure is created that may run at any time.
    Closure {
        func: FuncId,
    },
    /// An HTTP response is sent (`res.json(...)`, `res.status(400).send()`, `next(err)`), or the
    /// response object is handed to a helper that may send one (`handed`: `sendError(res, err)`).
    Respond {
        range: TextRange,
        handed: bool,
    },
    /// The path ends here and leaves nothing behind: `process.exit()` (the connections close with
    /// the process), or a test assertion that fails on this path (the test fails).
    Halt,
    /// A call into another module; an unknown call until linking expands it.
    ExtCall(ExtCallId),
    /// Ops that run in sequence: what linking expanded a call into.
    Group {
        body: Block,
    },
}
