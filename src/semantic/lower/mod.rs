//! Lowering: one walk over the swc AST that resolves names with our own scope stack, records every
//! candidate database event (`.query`, `.connect`, `.release`), and turns each function body into
//! the small structured IR of [`crate::semantic::model::Op`].
//!
//! What it decides: evaluation order, which callbacks run inline (`.then` steps, query and connect
//! callbacks, `forEach`/`map` bodies, promise executors), which values come from query results
//! (taint), and what SQL each call sends. What it does not decide: whether a receiver really is a
//! database handle (that needs every use of it; see `handles`) or what happens on each path (see
//! `flow`). Names are resolved with hoisting (`var` and function declarations to the function,
//! `let`/`const`/`class` to the block), so a shadowed `client` is a different binding.
//!
//! The walk is one `Lowerer` whose methods are split by job: `scope` (names, hoisting, binding values
//! to patterns), `stmt` (functions, statements, classes, conditions), `expr` (expressions and
//! `.then` chains), `db_calls` (method calls: queries, connects, releases) and `sql_text` (SQL text
//! from templates and concatenation). This file holds the shared state and small AST helpers.

mod asserts;
mod calls;
mod conds;
mod db_calls;
mod expr;
mod modules;
mod scope;
mod scopes;
mod sql_text;
mod stmt;
mod truthiness;

use std::collections::{BTreeSet, HashMap, HashSet};

use swc_common::Span;
use swc_ecma_ast::*;

use crate::parse::Parsed;
use crate::semantic::model::Function;
use crate::semantic::model::*;
use crate::source::TextRange;

/// Everything the walk produced.
#[derive(Debug, Default, Clone)]
pub struct Lowered {
    /// `this.x` properties declared with the TypeScript type `Pool`.
    pub typed_pool_paths: BTreeSet<String>,
    pub functions: Vec<Function>,
    pub bindings: Vec<Binding>,
    pub queries: Vec<QueryEvent>,
    pub connects: Vec<ConnectEvent>,
    pub guards: Vec<Guard>,
    /// What the module exports.
    pub exports: Exports,
    /// Classes declared in the file.
    pub classes: Vec<ClassInfo>,
    /// Calls into other modules.
    pub ext_calls: Vec<ExtCall>,
    /// Calls of functions of this file whose promise is dropped.
    pub floating_calls: Vec<FloatingCall>,
    /// `.end()` calls that are not HTTP responses (`pool.end()`).
    pub end_calls: Vec<EndCall>,
    /// Functions registered as route handlers or middleware (`app.post('/x', fn)`,
    /// `router.use(fn)`), given inline.
    pub route_handlers: Vec<FuncId>,
    /// Bindings given by name to a route registration (`router.post('/x', auth, createOrder)`).
    pub route_handler_bindings: Vec<BindingId>,
    /// The branches taken for one error a `catch` tests by its code (`if (err.code === '23505')`):
    /// handled on purpose.
    pub error_code_branches: Vec<TextRange>,
    /// The bodies of `try` statements whose `catch` handles a unique violation (SQLSTATE 23505):
    /// an insert there lets the constraint decide.
    pub unique_violation_handled: Vec<TextRange>,
    /// Handle kinds established by linking (a pool exported by another module, the pool a fake
    /// transaction wrapper hands to its callback); they override classification by use.
    pub linked_kinds: Vec<(HandleKey, HandleKind)>,
}

pub fn lower(parsed: &Parsed, text: &str) -> Lowered {
    lower_in_project(parsed, text, None)
}

/// Lowers a file of a project: `local` holds the specifiers that name files of the project, whose
/// functions linking can see (`None`: those that look like paths, `./x`, `../x`, `@/x`).
pub fn lower_in_project(parsed: &Parsed, text: &str, local: Option<&BTreeSet<String>>) -> Lowered {
    let mut l = Lowerer {
        parsed,
        text,
        out: Lowered::default(),
        scopes: scopes::Scopes::default(),
        fns: Vec::new(),
        predeclared: HashMap::new(),
        local,
        this_types: Vec::new(),
        aliases: HashMap::new(),
        pending_connects: BTreeSet::new(),
        contents: HashMap::new(),
        submittables: BTreeSet::new(),
        test_depth: 0,
        blocks_open: Vec::new(),
        blocks_made: 0,
        straight_line: HashMap::new(),
        returned_sql: HashMap::new(),
        query_configs: HashMap::new(),
        reassigned: HashSet::new(),
        mutated: HashSet::new(),
        read_in_callbacks: Vec::new(),
    };
    l.lower_program(&parsed.program);
    l.settle_reads_in_callbacks();
    l.out
}

/// How the parent uses an expression's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Await,
    Return,
    Then,
    PromiseAll,
    Bound,
    Arg,
    Discard,
    Test,
    Other,
}

/// What the walk knows about an expression's value.
#[derive(Debug, Default, Clone)]
struct Val {
    taint: Taint,
    func: Option<FuncId>,
    binding: Option<BindingId>,
    origin: Option<Origin>,
    connect: Option<ConnectId>,
    query: Option<QueryId>,
    sql: Option<SqlTemplate>,
    /// Element taints of an array literal.
    array: Option<Vec<Taint>>,
    /// A value of another module (`require('./db')`, an imported binding, a member of one).
    import: Option<ImportRef>,
    /// Members of an object literal, as exports would see them.
    object: Option<Vec<(String, ExportValue)>>,
    /// `new C(...)` of a class declared in this file.
    instance_of: Option<ClassId>,
    /// The result of a call into another module.
    ext_call: Option<ExtCallId>,
    /// A class expression.
    class: Option<ClassId>,
    /// An object literal with `text` or `values`: a query config (`{ text, values }`).
    query_config: Option<Box<QueryConfig>>,
}

/// The SQL text and values of a query config object held in a `const`.
#[derive(Debug, Clone)]
struct QueryConfig {
    text: Option<SqlTemplate>,
    values: Values,
    /// The binding `values` is read from (`{ text, values }`): what it holds when the query is
    /// sent counts, it may be pushed to after the object is made.
    values_from: Option<BindingId>,
}

/// How a call's promise is consumed, from how its parent uses it.
fn await_kind(use_: Use) -> AwaitKind {
    match use_ {
        Use::Await => AwaitKind::Awaited,
        Use::Return => AwaitKind::Returned,
        Use::Then => AwaitKind::Chained,
        Use::PromiseAll => AwaitKind::PromiseAll,
        Use::Discard => AwaitKind::Floating,
        Use::Bound | Use::Arg | Use::Test | Use::Other => AwaitKind::Bound,
    }
}

struct FnCtx {
    id: FuncId,
    blocks: Vec<Vec<Op>>,
    taint: HashMap<BindingId, Taint>,
    is_async: bool,
    stmt_range: TextRange,
    captures: BTreeSet<BindingId>,
    mentions_retry: bool,
    has_db_ops: bool,
    return_taint: Taint,
    /// Number of scopes that belong to enclosing functions.
    scope_base: usize,
}

struct Lowerer<'a> {
    parsed: &'a Parsed,
    text: &'a str,
    out: Lowered,
    scopes: scopes::Scopes,
    fns: Vec<FnCtx>,
    /// Function declarations hoisted before their bodies are lowered: span start -> id.
    predeclared: HashMap<u32, FuncId>,
    /// Specifiers that name files of the project (see [`lower_in_project`]).
    local: Option<&'a BTreeSet<String>>,
    /// Per class being lowered: `this.<prop>` typed as a class imported from the project.
    this_types: Vec<HashMap<String, ImportRef>>,
    /// `const c = client`: another name of a client (resolved to the client's binding).
    aliases: HashMap<BindingId, BindingId>,
    /// `const p = pool.connect()`: connects whose promise is kept, to be awaited later.
    pending_connects: BTreeSet<ConnectId>,
    /// Clients pushed into a local container (`out.push(client)`): they leave with it.
    contents: HashMap<BindingId, Vec<BindingId>>,
    /// `const query = new QueryStream(...)`, `new Cursor(...)`: submittables held by a name.
    submittables: BTreeSet<BindingId>,
    /// Inside the arguments of a test runner's call (`it('...', fn)`): functions are test code.
    test_depth: u32,
    /// The blocks being lowered, innermost last, each with a number of its own.
    blocks_open: Vec<u32>,
    blocks_made: u32,
    /// Where each `let`/`var` is declared (function, block): only assignments made there run on
    /// every path to the code that follows, so only they keep its SQL text and values array known.
    straight_line: HashMap<BindingId, BlockKey>,
    /// The SQL text each plain function returns (`None`: some `return` gives an unknown value).
    returned_sql: HashMap<FuncId, Option<SqlTemplate>>,
    /// `const cfg = { text: '...', values: [...] }`, until it is changed or handed elsewhere.
    query_configs: HashMap<BindingId, QueryConfig>,
    /// Bindings assigned after their declaration (`=`, `+=`, `++`).
    reassigned: HashSet<BindingId>,
    /// Bindings whose array may have been changed in place (`push`, index assignment, handed to a
    /// function); a string held is not changed by any of these.
    mutated: HashSet<BindingId>,
    /// Queries inside a callback that send the SQL text or values of a binding of an enclosing
    /// function: the callback may run after a change lowered later in the file.
    read_in_callbacks: Vec<ReadInCallback>,
}

struct ReadInCallback {
    query: QueryId,
    text: Option<BindingId>,
    values: Option<BindingId>,
}

/// A block of code as it is lowered: its function and the number of its innermost block (`None`:
/// the function's own body).
type BlockKey = (FuncId, Option<u32>);

impl Lowerer<'_> {
    /// Whether values imported from `specifier` come from a file of the project.
    fn is_local(&self, specifier: &str) -> bool {
        match self.local {
            Some(set) => set.contains(specifier),
            None => crate::project::resolve::is_local_specifier(specifier),
        }
    }
}

/// Strips parentheses and TypeScript wrappers that do not change a value.
pub fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        Expr::TsAs(t) => unparen(&t.expr),
        Expr::TsNonNull(t) => unparen(&t.expr),
        Expr::TsSatisfies(t) => unparen(&t.expr),
        Expr::TsTypeAssertion(t) => unparen(&t.expr),
        Expr::TsConstAssertion(t) => unparen(&t.expr),
        Expr::TsInstantiation(t) => unparen(&t.expr),
        _ => e,
    }
}

fn prop_name(p: &MemberProp) -> Option<String> {
    match p {
        MemberProp::Ident(i) => Some(i.sym.to_string()),
        MemberProp::Computed(c) => match unparen(&c.expr) {
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy().into_owned()),
            _ => None,
        },
        MemberProp::PrivateName(p) => Some(format!("#{}", p.name)),
    }
}

fn prop_key_name(k: &PropName) -> Option<String> {
    match k {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(s.value.to_string_lossy().into_owned()),
        PropName::Num(n) => Some(n.value.to_string()),
        // `{ ['text']: sql }` names the same property as `{ text: sql }`.
        PropName::Computed(c) => match unparen(&c.expr) {
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy().into_owned()),
            _ => None,
        },
        _ => None,
    }
}

fn is_function_literal(e: &Expr) -> bool {
    matches!(unparen(e), Expr::Fn(_) | Expr::Arrow(_))
}

/// Whether a name looks like a retry helper or a retryable-error check.
fn is_retry_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("retry") || n.contains("retriable") || n.contains("serializ") || n.contains("40001")
}

/// Member path of an expression made of identifiers, `this` and static properties.
fn member_path(e: &Expr) -> Option<String> {
    match unparen(e) {
        Expr::Ident(i) => Some(i.sym.to_string()),
        Expr::This(_) => Some("this".to_string()),
        Expr::Member(m) => {
            let obj = member_path(&m.obj)?;
            let prop = match &m.prop {
                MemberProp::Ident(i) => i.sym.to_string(),
                _ => return None,
            };
            Some(format!("{obj}.{prop}"))
        }
        _ => None,
    }
}

/// Root identifier of a member chain (`res` in `res.status(400).json()`).
fn chain_root(e: &Expr) -> Option<&Ident> {
    match unparen(e) {
        Expr::Ident(i) => Some(i),
        Expr::Member(m) => chain_root(&m.obj),
        Expr::Call(c) => match &c.callee {
            Callee::Expr(e) => chain_root(e),
            _ => None,
        },
        _ => None,
    }
}

/// Maps the taint of an object through a property access (`None`: computed index).
fn taint_member(t: &Taint, prop: Option<&str>) -> Taint {
    let mut out = Taint::new();
    for (q, f) in t {
        let nf = match (f, prop) {
            (Field::Result, Some("rows")) => Some(Field::Rows),
            (Field::Result, Some("rowCount")) => Some(Field::Count),
            (Field::Result, _) => None,
            (Field::Rows, Some("length")) => Some(Field::Count),
            (Field::Rows, None) => Some(Field::Row),
            (Field::Rows, Some("find" | "at" | "shift" | "pop" | "0")) => Some(Field::Row),
            (Field::Rows, Some("some" | "every" | "includes")) => Some(Field::Count),
            (Field::Rows, Some(_)) => Some(Field::Rows),
            (Field::Row, Some(col)) => Some(Field::Column(col.to_ascii_lowercase())),
            (Field::Row, None) => Some(Field::Row),
            (Field::Column(c), _) => Some(Field::Column(c.clone())),
            (Field::Count, _) => Some(Field::Count),
            // A helper's returned value: `rows`, `rowCount` and `length` read the result, any
            // other property reads a column of the returned row.
            (Field::Returned, Some("rows")) => Some(Field::Rows),
            (Field::Returned, Some("rowCount" | "length")) => Some(Field::Count),
            (Field::Returned, Some(col)) => Some(Field::Column(col.to_ascii_lowercase())),
            (Field::Returned, None) => Some(Field::Row),
        };
        if let Some(nf) = nf {
            let item = (*q, nf);
            if !out.contains(&item) {
                out.push(item);
            }
        }
    }
    out
}

impl<'a> Lowerer<'a> {
    fn range(&self, span: Span) -> TextRange {
        self.parsed.range(span)
    }

    // ----- functions, blocks, emission -----------------------------------------------------

    fn cur(&mut self) -> &mut FnCtx {
        self.fns
            .last_mut()
            .expect("invariant: a function context is always open")
    }

    fn cur_id(&self) -> FuncId {
        self.fns.last().map(|f| f.id).unwrap_or(MODULE_FN)
    }

    fn emit(&mut self, op: Op) {
        let ctx = self.cur();
        ctx.blocks
            .last_mut()
            .expect("invariant: a block is always open")
            .push(op);
    }

    fn block<F: FnOnce(&mut Self)>(&mut self, f: F) -> Block {
        self.blocks_made += 1;
        self.blocks_open.push(self.blocks_made);
        self.cur().blocks.push(Vec::new());
        f(self);
        self.blocks_open.pop();
        Block(self.cur().blocks.pop().unwrap_or_default())
    }

    /// The block being lowered. A function's body counts as its own block even though the block
    /// around the function literal is still open.
    fn block_key(&self) -> BlockKey {
        let func = self.cur_id();
        let depth = self.fns.last().map_or(0, |f| f.blocks.len());
        (func, (depth > 1).then(|| self.blocks_open.last().copied()).flatten())
    }
}

fn module_origin(src: &str) -> Origin {
    match src {
        "pg" | "pg-pool" | "pg-native" | "@neondatabase/serverless" | "@vercel/postgres" => Origin::PgModule,
        s if s.starts_with('.') || s.starts_with('/') || s.starts_with("@/") || s.starts_with("~/") => {
            Origin::LocalImport(s.to_string())
        }
        s => Origin::PackageImport(s.to_string()),
    }
}

fn member_origin(o: &Origin, prop: &str) -> Origin {
    match (o, prop) {
        (Origin::PgModule, "Pool") => Origin::PoolClass,
        (Origin::PgModule, "Client") => Origin::ClientClass,
        (Origin::PgModule, "default" | "native") => Origin::PgModule,
        (Origin::LocalImport(s), _) => Origin::LocalImport(s.clone()),
        _ => Origin::Unknown,
    }
}

/// A TypeScript annotation naming pg's `Pool` (`Pool`, `pg.Pool`).
fn is_pool_type(ann: Option<&TsTypeAnn>) -> bool {
    let Some(TsType::TsTypeRef(r)) = ann.map(|a| a.type_ann.as_ref()) else {
        return false;
    };
    match &r.type_name {
        TsEntityName::Ident(i) => &*i.sym == "Pool",
        TsEntityName::TsQualifiedName(q) => &*q.right.sym == "Pool",
    }
}

fn is_falsy_literal(e: &Expr) -> bool {
    match unparen(e) {
        Expr::Lit(Lit::Bool(b)) => !b.value,
        Expr::Lit(Lit::Null(_)) => true,
        Expr::Ident(i) => &*i.sym == "undefined",
        _ => false,
    }
}

trait SpanExt {
    fn span(&self) -> Span;
}

impl<T: swc_common::Spanned> SpanExt for T {
    fn span(&self) -> Span {
        swc_common::Spanned::span(self)
    }
}
