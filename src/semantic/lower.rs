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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use swc_common::Span;
use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

use crate::parse::Parsed;
use crate::semantic::model::Function;
use crate::semantic::model::*;
use crate::semantic::sql::{self, hole_placeholder};
use crate::source::TextRange;

/// Everything the walk produced.
#[derive(Debug, Default)]
pub struct Lowered {
    /// `this.x` properties declared with the TypeScript type `Pool`.
    pub typed_pool_paths: BTreeSet<String>,
    pub functions: Vec<Function>,
    pub bindings: Vec<Binding>,
    pub queries: Vec<QueryEvent>,
    pub connects: Vec<ConnectEvent>,
    pub guards: Vec<Guard>,
}

pub fn lower(parsed: &Parsed, text: &str) -> Lowered {
    let mut l = Lowerer {
        parsed,
        text,
        out: Lowered::default(),
        scopes: Vec::new(),
        fns: Vec::new(),
        predeclared: HashMap::new(),
    };
    l.lower_program(&parsed.program);
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
}

struct Scope {
    names: HashMap<String, BindingId>,
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
    scopes: Vec<Scope>,
    fns: Vec<FnCtx>,
    /// Function declarations hoisted before their bodies are lowered: span start -> id.
    predeclared: HashMap<u32, FuncId>,
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

const LOOP_CALLBACK_METHODS: &[&str] = &[
    "forEach",
    "map",
    "flatMap",
    "filter",
    "some",
    "every",
    "find",
    "findIndex",
    "reduce",
];
const MANAGED_TX_METHODS: &[&str] = &[
    "transaction",
    "tx",
    "task",
    "txIf",
    "taskIf",
    "$transaction",
    "transactionAsync",
    "transact",
];
/// Methods that check a client out of a pool (`db.getClient()` is the node-postgres docs' helper).
const CONNECT_METHODS: &[&str] = &["connect", "getClient"];
const RESPONSE_METHODS: &[&str] = &[
    "send",
    "json",
    "end",
    "sendStatus",
    "redirect",
    "render",
    "jsonp",
    "sendFile",
    "download",
];
const HTTP_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "del", "all", "use"];

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

fn is_nullish_literal(e: &Expr) -> bool {
    match unparen(e) {
        Expr::Lit(Lit::Null(_)) => true,
        Expr::Ident(i) => &*i.sym == "undefined",
        Expr::Unary(u) => u.op == UnaryOp::Void,
        _ => false,
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
        self.cur().blocks.push(Vec::new());
        f(self);
        Block(self.cur().blocks.pop().unwrap_or_default())
    }

    fn alloc_function(&mut self, span: Span, name: Option<String>, role: FnRole) -> FuncId {
        let id = self.out.functions.len() as FuncId;
        let range = self.range(span);
        self.out.functions.push(Function {
            id,
            name,
            span: range,
            end: TextRange::new(range.end.saturating_sub(1), range.end),
            parent: self.fns.last().map(|f| f.id),
            params: Vec::new(),
            is_async: false,
            role,
            body: Block::default(),
            captures: Vec::new(),
            mentions_retry: false,
            retry_wrapped: false,
            has_db_ops: false,
            return_taint: Taint::new(),
        });
        id
    }

    /// Opens a function context; `setup` declares its parameters.
    fn enter_function(&mut self, id: FuncId, is_async: bool) {
        let scope_base = self.scopes.len();
        self.scopes.push(Scope { names: HashMap::new() });
        self.fns.push(FnCtx {
            id,
            blocks: vec![Vec::new()],
            taint: HashMap::new(),
            is_async,
            stmt_range: TextRange::default(),
            captures: BTreeSet::new(),
            mentions_retry: false,
            has_db_ops: false,
            return_taint: Taint::new(),
            scope_base,
        });
    }

    fn exit_function(&mut self, params: Vec<Vec<BindingId>>) {
        let Some(mut ctx) = self.fns.pop() else { return };
        self.scopes.truncate(ctx.scope_base);
        let body = Block(ctx.blocks.pop().unwrap_or_default());
        let f = &mut self.out.functions[ctx.id as usize];
        f.body = body;
        f.params = params;
        f.is_async = ctx.is_async;
        f.captures = std::mem::take(&mut ctx.captures).into_iter().collect();
        f.mentions_retry |= ctx.mentions_retry;
        f.has_db_ops |= ctx.has_db_ops;
        f.return_taint = std::mem::take(&mut ctx.return_taint);
    }

    /// Lowers a function (declaration, expression, arrow or method) and returns its id.
    fn lower_function(&mut self, spec: FnSpec<'_>, param_setup: ParamSetup<'_, 'a>) -> FuncId {
        let FnSpec {
            span,
            name,
            role,
            params,
            body,
            is_async,
            prebound,
        } = spec;
        let id = match prebound {
            Some(id) => {
                self.out.functions[id as usize].role = role;
                id
            }
            None => self.alloc_function(span, name, role),
        };
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
            self.enter_function(id, is_async);
            let mut param_ids = Vec::new();
            for (i, p) in params.iter().enumerate() {
                let ids = self.declare_pat(p, BindingKind::Param);
                param_setup(self, i, p, &ids);
                // Default values run at call time.
                self.lower_pat_defaults(p);
                param_ids.push(ids);
            }
            match body {
                FnBody::Block(stmts, end) => {
                    let end = self.range(end);
                    self.out.functions[id as usize].end = TextRange::new(end.end.saturating_sub(1), end.end);
                    self.hoist_function_scope(stmts);
                    self.lower_stmts(stmts);
                }
                FnBody::Expr(e) => {
                    let r = self.range(e.span());
                    self.cur().stmt_range = r;
                    let v = self.lower_expr(e, Use::Return);
                    let ctx = self.cur();
                    taint_union(&mut ctx.return_taint, &v.taint);
                    let escapes = v.binding.into_iter().collect();
                    self.emit(Op::Return {
                        range: r,
                        escapes,
                        explicit: false,
                    });
                }
                FnBody::None => {}
            }
            self.exit_function(param_ids);
        });
        id
    }

    fn lower_fn_expr_like(&mut self, e: &Expr, name: Option<String>, role: FnRole) -> Option<FuncId> {
        self.lower_fn_expr_with(e, name, role, &|_, _, _, _| {})
    }

    fn lower_fn_expr_with(
        &mut self,
        e: &Expr,
        name: Option<String>,
        role: FnRole,
        setup: ParamSetup<'_, 'a>,
    ) -> Option<FuncId> {
        match unparen(e) {
            Expr::Arrow(a) => {
                let params: Vec<&Pat> = a.params.iter().collect();
                let body = match a.body.as_ref() {
                    ArrowFunctionBody::FunctionBody(b) => FnBody::Block(&b.stmts, b.span),
                    ArrowFunctionBody::Expr(e) => FnBody::Expr(e),
                };
                Some(self.lower_function(
                    FnSpec {
                        span: a.span,
                        name,
                        role,
                        params: &params,
                        body,
                        is_async: a.is_async,
                        prebound: None,
                    },
                    setup,
                ))
            }
            Expr::Fn(f) => {
                let name = name.or_else(|| f.ident.as_ref().map(|i| i.sym.to_string()));
                Some(self.lower_function_node(&f.function, name, role, None, setup))
            }
            _ => None,
        }
    }

    fn lower_function_node(
        &mut self,
        f: &swc_ecma_ast::Function,
        name: Option<String>,
        role: FnRole,
        prebound: Option<FuncId>,
        setup: ParamSetup<'_, 'a>,
    ) -> FuncId {
        let params: Vec<&Pat> = f.params.iter().map(|p| &p.pat).collect();
        let body = match &f.body {
            Some(b) => FnBody::Block(&b.stmts, b.span),
            None => FnBody::None,
        };
        self.lower_function(
            FnSpec {
                span: f.span,
                name,
                role,
                params: &params,
                body,
                is_async: f.is_async,
                prebound,
            },
            setup,
        )
    }

    // ----- scopes and bindings -------------------------------------------------------------

    fn new_binding(&mut self, name: &str, kind: BindingKind, span: Span) -> BindingId {
        let id = self.out.bindings.len() as BindingId;
        let range = self.range(span);
        self.out.bindings.push(Binding {
            name: name.to_string(),
            kind,
            func: self.cur_id(),
            span: range,
            origin: Origin::Unknown,
            sql: None,
            sql_props: BTreeMap::new(),
            array: None,
            is_retry_code: false,
        });
        id
    }

    /// Declares `name` in the innermost scope (re-declaration returns the existing binding).
    fn declare(&mut self, name: &str, kind: BindingKind, span: Span) -> BindingId {
        if let Some(&id) = self.scopes.last().and_then(|s| s.names.get(name)) {
            return id;
        }
        let id = self.new_binding(name, kind, span);
        if let Some(s) = self.scopes.last_mut() {
            s.names.insert(name.to_string(), id);
        }
        id
    }

    /// Declares in the scope of the current function (for `var` and hoisted functions).
    fn declare_in_function_scope(&mut self, name: &str, kind: BindingKind, span: Span) -> BindingId {
        let base = self.fns.last().map(|f| f.scope_base).unwrap_or(0);
        if let Some(&id) = self.scopes.get(base).and_then(|s| s.names.get(name)) {
            return id;
        }
        let id = self.new_binding(name, kind, span);
        if let Some(s) = self.scopes.get_mut(base) {
            s.names.insert(name.to_string(), id);
        }
        id
    }

    fn resolve(&mut self, name: &str) -> Option<BindingId> {
        let id = self.scopes.iter().rev().find_map(|s| s.names.get(name).copied())?;
        let decl_fn = self.out.bindings[id as usize].func;
        // Record the capture in every function between the use and the declaration.
        for ctx in self.fns.iter_mut().rev() {
            if ctx.id == decl_fn {
                break;
            }
            ctx.captures.insert(id);
        }
        Some(id)
    }

    fn declare_pat(&mut self, pat: &Pat, kind: BindingKind) -> Vec<BindingId> {
        let mut out = Vec::new();
        self.collect_pat(pat, kind, &mut out, false);
        out
    }

    fn collect_pat(&mut self, pat: &Pat, kind: BindingKind, out: &mut Vec<BindingId>, fn_scope: bool) {
        match pat {
            Pat::Ident(b) => {
                let id = if fn_scope {
                    self.declare_in_function_scope(&b.id.sym, kind, b.id.span)
                } else {
                    self.declare(&b.id.sym, kind, b.id.span)
                };
                if is_pool_type(b.type_ann.as_deref()) && self.out.bindings[id as usize].origin == Origin::Unknown {
                    self.out.bindings[id as usize].origin = Origin::TypedPool;
                }
                out.push(id);
            }
            Pat::Array(a) => {
                for p in a.elems.iter().flatten() {
                    self.collect_pat(p, kind, out, fn_scope);
                }
            }
            Pat::Rest(r) => self.collect_pat(&r.arg, kind, out, fn_scope),
            Pat::Object(o) => {
                for p in &o.props {
                    match p {
                        ObjectPatProp::KeyValue(kv) => self.collect_pat(&kv.value, kind, out, fn_scope),
                        ObjectPatProp::Assign(a) => {
                            let id = if fn_scope {
                                self.declare_in_function_scope(&a.key.id.sym, kind, a.key.id.span)
                            } else {
                                self.declare(&a.key.id.sym, kind, a.key.id.span)
                            };
                            out.push(id);
                        }
                        ObjectPatProp::Rest(r) => self.collect_pat(&r.arg, kind, out, fn_scope),
                    }
                }
            }
            Pat::Assign(a) => self.collect_pat(&a.left, kind, out, fn_scope),
            Pat::Expr(_) | Pat::Invalid(_) => {}
        }
    }

    fn lower_pat_defaults(&mut self, pat: &Pat) {
        match pat {
            Pat::Assign(a) => {
                self.lower_expr(&a.right, Use::Other);
                self.lower_pat_defaults(&a.left);
            }
            Pat::Array(a) => {
                for p in a.elems.iter().flatten() {
                    self.lower_pat_defaults(p);
                }
            }
            Pat::Object(o) => {
                for p in &o.props {
                    match p {
                        ObjectPatProp::KeyValue(kv) => self.lower_pat_defaults(&kv.value),
                        ObjectPatProp::Assign(a) => {
                            if let Some(v) = &a.value {
                                self.lower_expr(v, Use::Other);
                            }
                        }
                        ObjectPatProp::Rest(_) => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Hoists `var` declarations (through nested blocks) and function declarations of a function
    /// body or module, then lexical declarations of its top level.
    fn hoist_function_scope(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.hoist_vars(s);
        }
        self.hoist_lexical(stmts.iter());
    }

    fn hoist_vars(&mut self, s: &Stmt) {
        match s {
            Stmt::Decl(Decl::Var(v)) if v.kind == VarDeclKind::Var => {
                for d in &v.decls {
                    let mut out = Vec::new();
                    self.collect_pat(&d.name, BindingKind::Var, &mut out, true);
                }
            }
            Stmt::Block(b) => b.stmts.iter().for_each(|s| self.hoist_vars(s)),
            Stmt::If(i) => {
                self.hoist_vars(&i.cons);
                if let Some(a) = &i.alt {
                    self.hoist_vars(a);
                }
            }
            Stmt::Labeled(l) => self.hoist_vars(&l.body),
            Stmt::While(w) => self.hoist_vars(&w.body),
            Stmt::DoWhile(w) => self.hoist_vars(&w.body),
            Stmt::For(f) => {
                if let Some(VarDeclOrExpr::VarDecl(v)) = &f.init
                    && v.kind == VarDeclKind::Var
                {
                    for d in &v.decls {
                        let mut out = Vec::new();
                        self.collect_pat(&d.name, BindingKind::Var, &mut out, true);
                    }
                }
                self.hoist_vars(&f.body);
            }
            Stmt::ForIn(f) => {
                self.hoist_for_head(&f.left);
                self.hoist_vars(&f.body);
            }
            Stmt::ForOf(f) => {
                self.hoist_for_head(&f.left);
                self.hoist_vars(&f.body);
            }
            Stmt::Try(t) => {
                t.block.stmts.iter().for_each(|s| self.hoist_vars(s));
                if let Some(h) = &t.handler {
                    h.body.stmts.iter().for_each(|s| self.hoist_vars(s));
                }
                if let Some(f) = &t.finalizer {
                    f.stmts.iter().for_each(|s| self.hoist_vars(s));
                }
            }
            Stmt::Switch(sw) => {
                for c in &sw.cases {
                    c.cons.iter().for_each(|s| self.hoist_vars(s));
                }
            }
            _ => {}
        }
    }

    fn hoist_for_head(&mut self, h: &ForHead) {
        if let ForHead::VarDecl(v) = h
            && v.kind == VarDeclKind::Var
        {
            for d in &v.decls {
                let mut out = Vec::new();
                self.collect_pat(&d.name, BindingKind::Var, &mut out, true);
            }
        }
    }

    fn hoist_lexical<'s>(&mut self, stmts: impl Iterator<Item = &'s Stmt>) {
        for s in stmts {
            if let Stmt::Decl(d) = s {
                self.hoist_decl(d);
            }
        }
    }

    /// Declares a `let`/`const` in the current scope.
    fn hoist_lexical_var(&mut self, v: &VarDecl) {
        let kind = if v.kind == VarDeclKind::Const {
            BindingKind::Const
        } else {
            BindingKind::Let
        };
        for decl in &v.decls {
            let ids = self.declare_pat(&decl.name, kind);
            // Static SQL constants are known before any function body runs.
            if kind == BindingKind::Const
                && let [id] = ids.as_slice()
                && let Some(init) = &decl.init
            {
                self.record_const_facts(*id, init);
            }
        }
    }

    fn hoist_decl(&mut self, d: &Decl) {
        match d {
            Decl::Var(v) if v.kind != VarDeclKind::Var => self.hoist_lexical_var(v),
            Decl::Fn(f) => {
                let id = self.declare(&f.ident.sym, BindingKind::Function, f.ident.span);
                let fid = self.alloc_function(f.function.span, Some(f.ident.sym.to_string()), FnRole::Standalone);
                self.predeclared.insert(f.function.span.lo.0, fid);
                self.out.bindings[id as usize].origin = Origin::Function(fid);
            }
            Decl::Class(c) => {
                self.declare(&c.ident.sym, BindingKind::Class, c.ident.span);
            }
            _ => {}
        }
    }

    fn hoist_module_items(&mut self, items: &[ModuleItem]) {
        for item in items {
            match item {
                ModuleItem::Stmt(s) => self.hoist_vars(s),
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => {
                    if let Decl::Var(v) = &e.decl
                        && v.kind == VarDeclKind::Var
                    {
                        for d in &v.decls {
                            let mut out = Vec::new();
                            self.collect_pat(&d.name, BindingKind::Var, &mut out, true);
                        }
                    }
                }
                _ => {}
            }
        }
        for item in items {
            match item {
                ModuleItem::Stmt(Stmt::Decl(d)) => self.hoist_decl(d),
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => self.hoist_decl(&e.decl),
                ModuleItem::ModuleDecl(ModuleDecl::Import(imp)) => self.declare_import(imp),
                ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(d)) => {
                    if let DefaultDecl::Fn(f) = &d.decl
                        && let Some(ident) = &f.ident
                    {
                        let id = self.declare(&ident.sym, BindingKind::Function, ident.span);
                        let fid = self.alloc_function(f.function.span, Some(ident.sym.to_string()), FnRole::Standalone);
                        self.predeclared.insert(f.function.span.lo.0, fid);
                        self.out.bindings[id as usize].origin = Origin::Function(fid);
                    }
                }
                ModuleItem::ModuleDecl(ModuleDecl::TsImportEquals(ie)) => {
                    let id = self.declare(&ie.id.sym, BindingKind::Import, ie.id.span);
                    if let TsModuleRef::TsExternalModuleRef(r) = &ie.module_ref {
                        let src = r.expr.value.to_string_lossy().into_owned();
                        self.out.bindings[id as usize].origin = module_origin(&src);
                    }
                }
                _ => {}
            }
        }
    }

    fn declare_import(&mut self, imp: &ImportDecl) {
        let src = imp.src.value.to_string_lossy().into_owned();
        for spec in &imp.specifiers {
            let (local, origin) = match spec {
                ImportSpecifier::Default(d) => (&d.local, module_origin(&src)),
                ImportSpecifier::Namespace(n) => (&n.local, module_origin(&src)),
                ImportSpecifier::Named(n) => {
                    let imported = n
                        .imported
                        .as_ref()
                        .map(|i| i.atom().to_string())
                        .unwrap_or_else(|| n.local.sym.to_string());
                    (&n.local, member_origin(&module_origin(&src), &imported))
                }
            };
            let id = self.declare(&local.sym, BindingKind::Import, local.span);
            self.out.bindings[id as usize].origin = origin;
        }
    }

    /// Static facts of a `const` initializer: SQL text, object of SQL texts, the 40001 code.
    fn record_const_facts(&mut self, id: BindingId, init: &Expr) {
        if let Some(text) = static_string(init) {
            if text.trim() == "40001" || text.eq_ignore_ascii_case("serialization_failure") {
                self.out.bindings[id as usize].is_retry_code = true;
            }
            self.out.bindings[id as usize].sql = Some(SqlTemplate {
                text,
                holes: Vec::new(),
                tagged: false,
            });
        } else if let Expr::Object(o) = unparen(init) {
            for p in &o.props {
                if let PropOrSpread::Prop(p) = p
                    && let Prop::KeyValue(kv) = p.as_ref()
                    && let (Some(k), Some(v)) = (prop_key_name(&kv.key), static_string(&kv.value))
                {
                    self.out.bindings[id as usize].sql_props.insert(
                        k,
                        SqlTemplate {
                            text: v,
                            holes: Vec::new(),
                            tagged: false,
                        },
                    );
                }
            }
        } else if let Expr::Lit(Lit::Num(n)) = unparen(init)
            && n.value == 40001.0
        {
            self.out.bindings[id as usize].is_retry_code = true;
        }
    }

    // ----- program and statements -------------------------------------------------------------

    fn lower_program(&mut self, program: &Program) {
        let span = match program {
            Program::Module(m) => m.span,
            Program::Script(s) => s.span,
        };
        let id = self.alloc_function(span, Some("<module>".to_string()), FnRole::Standalone);
        debug_assert_eq!(id, MODULE_FN);
        self.enter_function(id, true);
        match program {
            Program::Module(m) => {
                self.hoist_module_items(&m.body);
                for item in &m.body {
                    self.lower_module_item(item);
                }
            }
            Program::Script(s) => {
                self.hoist_function_scope(&s.body);
                self.lower_stmts(&s.body);
            }
        }
        self.exit_function(Vec::new());
    }

    fn lower_module_item(&mut self, item: &ModuleItem) {
        match item {
            ModuleItem::Stmt(s) => self.lower_stmt(s),
            ModuleItem::ModuleDecl(d) => match d {
                ModuleDecl::ExportDecl(e) => self.lower_decl(&e.decl),
                ModuleDecl::ExportDefaultDecl(d) => match &d.decl {
                    DefaultDecl::Fn(f) => {
                        let name = f.ident.as_ref().map(|i| i.sym.to_string()).or(Some("default".into()));
                        let pre = self.predeclared.get(&f.function.span.lo.0).copied();
                        self.lower_function_node(&f.function, name, FnRole::Standalone, pre, &|_, _, _, _| {});
                    }
                    DefaultDecl::Class(c) => self.lower_class(&c.class, c.ident.as_ref().map(|i| i.sym.to_string())),
                    DefaultDecl::TsInterfaceDecl(_) => {}
                },
                ModuleDecl::ExportDefaultExpr(e) => {
                    if is_function_literal(&e.expr) {
                        self.lower_fn_expr_like(&e.expr, Some("default".into()), FnRole::Standalone);
                    } else {
                        self.lower_expr(&e.expr, Use::Other);
                    }
                }
                _ => {}
            },
        }
    }

    fn lower_stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.lower_stmt(s);
        }
    }

    fn lower_block_stmt(&mut self, stmts: &[Stmt]) -> Block {
        self.block(|this| {
            this.scopes.push(Scope { names: HashMap::new() });
            this.hoist_lexical(stmts.iter());
            this.lower_stmts(stmts);
            this.scopes.pop();
        })
    }

    /// Lowers a statement that is the body of an `if`/loop into its own block.
    fn lower_body(&mut self, s: &Stmt) -> Block {
        match s {
            Stmt::Block(b) => self.lower_block_stmt(&b.stmts),
            other => self.block(|this| {
                this.scopes.push(Scope { names: HashMap::new() });
                if let Stmt::Decl(d) = other {
                    this.hoist_decl(d);
                }
                this.lower_stmt(other);
                this.scopes.pop();
            }),
        }
    }

    fn lower_stmt(&mut self, s: &Stmt) {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.lower_stmt_inner(s));
    }

    fn lower_stmt_inner(&mut self, s: &Stmt) {
        let r = self.range(s.span());
        match s {
            Stmt::Block(b) => {
                let blk = self.lower_block_stmt(&b.stmts);
                self.cur()
                    .blocks
                    .last_mut()
                    .expect("invariant: open block")
                    .extend(blk.0);
            }
            Stmt::Empty(_) | Stmt::Debugger(_) => {}
            Stmt::With(w) => {
                self.cur().stmt_range = r;
                self.lower_expr(&w.obj, Use::Other);
                let blk = self.lower_body(&w.body);
                self.cur()
                    .blocks
                    .last_mut()
                    .expect("invariant: open block")
                    .extend(blk.0);
            }
            Stmt::Return(ret) => {
                self.cur().stmt_range = r;
                let mut escapes = Vec::new();
                if let Some(arg) = &ret.arg {
                    let v = self.lower_expr(arg, Use::Return);
                    escapes.extend(v.binding);
                    let ctx = self.cur();
                    taint_union(&mut ctx.return_taint, &v.taint);
                    if let Expr::Object(o) = unparen(arg) {
                        for p in &o.props {
                            if let PropOrSpread::Prop(p) = p
                                && let Prop::Shorthand(i) = p.as_ref()
                                && let Some(b) = self.resolve(&i.sym)
                            {
                                escapes.push(b);
                            }
                        }
                    }
                }
                self.emit(Op::Return {
                    range: r,
                    escapes,
                    explicit: true,
                });
            }
            Stmt::Labeled(l) => {
                let label = l.label.sym.to_string();
                match l.body.as_ref() {
                    Stmt::While(_) | Stmt::DoWhile(_) | Stmt::For(_) | Stmt::ForIn(_) | Stmt::ForOf(_) => {
                        self.lower_loop(&l.body, Some(label));
                    }
                    other => {
                        let body = self.lower_body(other);
                        self.emit(Op::Labeled { label, body });
                    }
                }
            }
            Stmt::Break(b) => self.emit(Op::Break {
                label: b.label.as_ref().map(|l| l.sym.to_string()),
            }),
            Stmt::Continue(c) => self.emit(Op::Continue {
                label: c.label.as_ref().map(|l| l.sym.to_string()),
            }),
            Stmt::If(i) => {
                self.cur().stmt_range = self.range(i.test.span());
                let v = self.lower_expr(&i.test, Use::Test);
                let cond = self.build_cond(&i.test);
                let guard = self.guard_for(&i.test, &v.taint);
                let then_ = self.lower_body(&i.cons);
                let else_ = match &i.alt {
                    Some(a) => self.lower_body(a),
                    None => Block::default(),
                };
                self.emit(Op::If {
                    cond,
                    guard,
                    then_,
                    else_,
                });
            }
            Stmt::Switch(sw) => {
                self.cur().stmt_range = self.range(sw.discriminant.span());
                self.lower_expr(&sw.discriminant, Use::Other);
                for c in &sw.cases {
                    if let Some(t) = &c.test {
                        self.lower_expr(t, Use::Other);
                    }
                }
                self.scopes.push(Scope { names: HashMap::new() });
                self.hoist_lexical(sw.cases.iter().flat_map(|c| c.cons.iter()));
                let mut cases = Vec::new();
                for c in &sw.cases {
                    cases.push(self.block(|this| this.lower_stmts(&c.cons)));
                }
                self.scopes.pop();
                let has_default = sw.cases.iter().any(|c| c.test.is_none());
                self.emit(Op::Switch { cases, has_default });
            }
            Stmt::Throw(t) => {
                self.cur().stmt_range = r;
                self.lower_expr(&t.arg, Use::Other);
                self.emit(Op::Throw { range: r });
            }
            Stmt::Try(t) => {
                let body = self.lower_block_stmt(&t.block.stmts);
                let catch = t.handler.as_ref().map(|h| {
                    self.block(|this| {
                        this.scopes.push(Scope { names: HashMap::new() });
                        if let Some(p) = &h.param {
                            this.declare_pat(p, BindingKind::Catch);
                        }
                        let blk = this.lower_block_stmt(&h.body.stmts);
                        this.cur()
                            .blocks
                            .last_mut()
                            .expect("invariant: open block")
                            .extend(blk.0);
                        this.scopes.pop();
                    })
                });
                let finally = t.finalizer.as_ref().map(|f| self.lower_block_stmt(&f.stmts));
                self.emit(Op::Try { body, catch, finally });
            }
            Stmt::While(_) | Stmt::DoWhile(_) | Stmt::For(_) | Stmt::ForIn(_) | Stmt::ForOf(_) => {
                self.lower_loop(s, None);
            }
            Stmt::Decl(d) => {
                self.cur().stmt_range = r;
                self.lower_decl(d);
            }
            Stmt::Expr(e) => {
                self.cur().stmt_range = r;
                self.lower_expr(&e.expr, Use::Discard);
            }
        }
    }

    fn lower_loop(&mut self, s: &Stmt, label: Option<String>) {
        self.scopes.push(Scope { names: HashMap::new() });
        match s {
            Stmt::While(w) => {
                self.cur().stmt_range = self.range(w.test.span());
                let infinite = is_truthy_literal(&w.test);
                let kind = if infinite {
                    LoopKind::Infinite
                } else {
                    LoopKind::MaySkip
                };
                let body = self.block(|this| {
                    this.lower_expr(&w.test, Use::Test);
                    let b = this.lower_body(&w.body);
                    this.cur().blocks.last_mut().expect("invariant: open block").extend(b.0);
                });
                self.emit(Op::Loop { kind, body, label });
            }
            Stmt::DoWhile(w) => {
                let body = self.block(|this| {
                    let b = this.lower_body(&w.body);
                    this.cur().blocks.last_mut().expect("invariant: open block").extend(b.0);
                    this.lower_expr(&w.test, Use::Test);
                });
                let kind = if is_truthy_literal(&w.test) {
                    LoopKind::Infinite
                } else {
                    LoopKind::AtLeastOnce
                };
                self.emit(Op::Loop { kind, body, label });
            }
            Stmt::For(f) => {
                let mut must_enter = false;
                if let Some(init) = &f.init {
                    match init {
                        VarDeclOrExpr::VarDecl(v) => {
                            if v.kind != VarDeclKind::Var {
                                self.hoist_lexical_var(v);
                            }
                            self.lower_var_decl(v);
                        }
                        VarDeclOrExpr::Expr(e) => {
                            self.lower_expr(e, Use::Discard);
                        }
                    }
                    must_enter = counted_loop_runs(init, f.test.as_deref());
                }
                let kind = match &f.test {
                    None => LoopKind::Infinite,
                    Some(t) if is_truthy_literal(t) => LoopKind::Infinite,
                    Some(_) if must_enter => LoopKind::AtLeastOnce,
                    Some(_) => LoopKind::MaySkip,
                };
                let body = self.block(|this| {
                    if let Some(t) = &f.test {
                        this.lower_expr(t, Use::Test);
                    }
                    let b = this.lower_body(&f.body);
                    this.cur().blocks.last_mut().expect("invariant: open block").extend(b.0);
                    if let Some(u) = &f.update {
                        this.lower_expr(u, Use::Discard);
                    }
                });
                self.emit(Op::Loop { kind, body, label });
            }
            Stmt::ForIn(f) => {
                self.lower_expr(&f.right, Use::Other);
                let body = self.block(|this| {
                    this.declare_for_head(&f.left, &Taint::new());
                    let b = this.lower_body(&f.body);
                    this.cur().blocks.last_mut().expect("invariant: open block").extend(b.0);
                });
                self.emit(Op::Loop {
                    kind: LoopKind::MaySkip,
                    body,
                    label,
                });
            }
            Stmt::ForOf(f) => {
                self.cur().stmt_range = self.range(f.right.span());
                let v = self.lower_expr(&f.right, Use::Other);
                let item_taint = taint_member(&v.taint, None);
                let non_empty_literal = matches!(unparen(&f.right), Expr::Array(a) if !a.elems.is_empty());
                let body = self.block(|this| {
                    this.declare_for_head(&f.left, &item_taint);
                    if f.is_await {
                        let r = this.range(f.right.span());
                        this.emit(Op::MayThrow { range: r });
                    }
                    let b = this.lower_body(&f.body);
                    this.cur().blocks.last_mut().expect("invariant: open block").extend(b.0);
                });
                let kind = if non_empty_literal {
                    LoopKind::AtLeastOnce
                } else {
                    LoopKind::MaySkip
                };
                self.emit(Op::Loop { kind, body, label });
            }
            _ => {}
        }
        self.scopes.pop();
    }

    fn declare_for_head(&mut self, head: &ForHead, taint: &Taint) {
        match head {
            ForHead::VarDecl(v) => {
                let kind = match v.kind {
                    VarDeclKind::Var => BindingKind::Var,
                    VarDeclKind::Let => BindingKind::Let,
                    VarDeclKind::Const => BindingKind::Const,
                };
                for d in &v.decls {
                    if kind == BindingKind::Var {
                        self.collect_pat(&d.name, kind, &mut Vec::new(), true);
                    } else {
                        self.declare_pat(&d.name, kind);
                    }
                    self.assign_pat(
                        &d.name,
                        &Val {
                            taint: taint.clone(),
                            ..Default::default()
                        },
                    );
                }
            }
            ForHead::UsingDecl(u) => {
                for d in &u.decls {
                    self.declare_pat(&d.name, BindingKind::Const);
                }
            }
            ForHead::Pat(p) => self.assign_pat(
                p,
                &Val {
                    taint: taint.clone(),
                    ..Default::default()
                },
            ),
        }
    }

    fn lower_decl(&mut self, d: &Decl) {
        match d {
            Decl::Var(v) => self.lower_var_decl(v),
            Decl::Using(u) => {
                for decl in &u.decls {
                    self.declare_pat(&decl.name, BindingKind::Const);
                    if let Some(init) = &decl.init {
                        let v = self.lower_expr(init, Use::Bound);
                        self.assign_pat(&decl.name, &v);
                    }
                }
            }
            Decl::Fn(f) => {
                let pre = self.predeclared.get(&f.function.span.lo.0).copied();
                let fid = self.lower_function_node(
                    &f.function,
                    Some(f.ident.sym.to_string()),
                    FnRole::Standalone,
                    pre,
                    &|_, _, _, _| {},
                );
                if pre.is_none()
                    && let Some(b) = self.resolve(&f.ident.sym)
                {
                    self.out.bindings[b as usize].origin = Origin::Function(fid);
                }
            }
            Decl::Class(c) => self.lower_class(&c.class, Some(c.ident.sym.to_string())),
            Decl::TsModule(m) => {
                if let Some(TsNamespaceBody::TsModuleBlock(b)) = &m.body {
                    self.hoist_module_items(&b.body);
                    for item in &b.body {
                        self.lower_module_item(item);
                    }
                }
            }
            Decl::TsInterface(_) | Decl::TsTypeAlias(_) | Decl::TsEnum(_) => {}
        }
    }

    fn lower_var_decl(&mut self, v: &VarDecl) {
        for d in &v.decls {
            let Some(init) = &d.init else { continue };
            // `const handler = async (req, res) => {...}`: a named function value.
            if let Pat::Ident(bi) = &d.name
                && is_function_literal(init)
            {
                let fid = self.lower_fn_expr_like(init, Some(bi.id.sym.to_string()), FnRole::Standalone);
                if let (Some(fid), Some(b)) = (fid, self.resolve(&bi.id.sym)) {
                    self.out.bindings[b as usize].origin = Origin::Function(fid);
                }
                continue;
            }
            let val = self.lower_expr(init, Use::Bound);
            self.assign_pat(&d.name, &val);
        }
    }

    /// Binds the value of an initializer or assignment to a pattern: origins, SQL, taint.
    fn assign_pat(&mut self, pat: &Pat, val: &Val) {
        match pat {
            Pat::Ident(bi) => {
                if let Some(b) = self.resolve(&bi.id.sym) {
                    self.bind_value(b, val);
                }
            }
            Pat::Object(o) => {
                for p in &o.props {
                    match p {
                        ObjectPatProp::KeyValue(kv) => {
                            let key = prop_key_name(&kv.key);
                            let sub = self.member_val(val, key.as_deref());
                            self.assign_pat(&kv.value, &sub);
                        }
                        ObjectPatProp::Assign(a) => {
                            let sub = self.member_val(val, Some(&a.key.id.sym));
                            if let Some(b) = self.resolve(&a.key.id.sym) {
                                self.bind_value(b, &sub);
                            }
                        }
                        ObjectPatProp::Rest(r) => self.assign_pat(&r.arg, val),
                    }
                }
            }
            Pat::Array(a) => {
                let sub = self.member_val(val, None);
                for p in a.elems.iter().flatten() {
                    self.assign_pat(p, &sub);
                }
            }
            Pat::Assign(a) => self.assign_pat(&a.left, val),
            Pat::Rest(r) => self.assign_pat(&r.arg, val),
            Pat::Expr(_) | Pat::Invalid(_) => {}
        }
    }

    fn member_val(&self, val: &Val, prop: Option<&str>) -> Val {
        Val {
            taint: taint_member(&val.taint, prop),
            origin: val.origin.as_ref().map(|o| member_origin(o, prop.unwrap_or(""))),
            ..Default::default()
        }
    }

    fn bind_value(&mut self, b: BindingId, val: &Val) {
        if !val.taint.is_empty() {
            let ctx = self.cur();
            let entry = ctx.taint.entry(b).or_default();
            taint_union(entry, &val.taint);
        }
        if let Some(cid) = val.connect {
            self.out.connects[cid as usize].target = Some(b);
            self.out.bindings[b as usize].origin = Origin::Connected(cid);
        } else if let Some(origin) = &val.origin
            && *origin != Origin::Unknown
        {
            let binding = &mut self.out.bindings[b as usize];
            if binding.origin == Origin::Unknown {
                binding.origin = origin.clone();
            }
        }
        if let Some(f) = val.func {
            let binding = &mut self.out.bindings[b as usize];
            if binding.origin == Origin::Unknown {
                binding.origin = Origin::Function(f);
            }
        }
        // SQL texts and values arrays: a `let`/`var` holds what was assigned last (in source
        // order, which is execution order for the straight-line code that builds queries).
        let binding = &mut self.out.bindings[b as usize];
        if binding.kind == BindingKind::Const {
            if let Some(sql) = &val.sql
                && binding.sql.is_none()
            {
                binding.sql = Some(sql.clone());
            }
            if let Some(array) = &val.array {
                binding.array = Some(array.clone());
            }
        } else if matches!(binding.kind, BindingKind::Let | BindingKind::Var) {
            binding.sql = val.sql.clone();
            binding.array = val.array.clone();
        }
    }

    fn lower_class(&mut self, class: &Class, name: Option<String>) {
        if let Some(sc) = &class.super_class {
            self.lower_expr(sc, Use::Other);
        }
        let cname = name.unwrap_or_else(|| "<class>".to_string());
        // `constructor(private pool: Pool)` and `pool: Pool;` make `this.pool` a pool.
        for m in &class.body {
            match m {
                ClassMember::Constructor(c) => {
                    for p in &c.params {
                        if let ParamOrTsParamProp::TsParamProp(tp) = p
                            && let TsParamPropParam::Ident(i) = &tp.param
                            && is_pool_type(i.type_ann.as_deref())
                        {
                            self.out.typed_pool_paths.insert(format!("this.{}", i.id.sym));
                        }
                    }
                }
                ClassMember::ClassProp(p) if is_pool_type(p.type_ann.as_deref()) => {
                    if let Some(k) = prop_key_name(&p.key) {
                        self.out.typed_pool_paths.insert(format!("this.{k}"));
                    }
                }
                _ => {}
            }
        }
        for m in &class.body {
            match m {
                ClassMember::Method(cm) => {
                    let key = prop_key_name(&cm.key).unwrap_or_else(|| "<computed>".into());
                    self.lower_function_node(
                        &cm.function,
                        Some(format!("{cname}.{key}")),
                        FnRole::Standalone,
                        None,
                        &|_, _, _, _| {},
                    );
                }
                ClassMember::PrivateMethod(pm) => {
                    self.lower_function_node(
                        &pm.function,
                        Some(format!("{cname}.#{}", pm.key.name)),
                        FnRole::Standalone,
                        None,
                        &|_, _, _, _| {},
                    );
                }
                ClassMember::Constructor(c) => {
                    let pats: Vec<Pat> = c
                        .params
                        .iter()
                        .map(|p| match p {
                            ParamOrTsParamProp::Param(p) => p.pat.clone(),
                            ParamOrTsParamProp::TsParamProp(tp) => match &tp.param {
                                TsParamPropParam::Ident(i) => Pat::Ident(i.clone()),
                                TsParamPropParam::Assign(a) => Pat::Assign(a.clone()),
                            },
                        })
                        .collect();
                    let refs: Vec<&Pat> = pats.iter().collect();
                    let body = match &c.body {
                        Some(b) => FnBody::Block(&b.stmts, b.span),
                        None => FnBody::None,
                    };
                    self.lower_function(
                        FnSpec {
                            span: c.span,
                            name: Some(format!("{cname}.constructor")),
                            role: FnRole::Standalone,
                            params: &refs,
                            body,
                            is_async: false,
                            prebound: None,
                        },
                        &|_, _, _, _| {},
                    );
                }
                ClassMember::ClassProp(p) => {
                    if let Some(v) = &p.value {
                        let key = prop_key_name(&p.key).unwrap_or_else(|| "<computed>".into());
                        if is_function_literal(v) {
                            self.lower_fn_expr_like(v, Some(format!("{cname}.{key}")), FnRole::Standalone);
                        } else {
                            self.lower_expr(v, Use::Other);
                        }
                    }
                }
                ClassMember::PrivateProp(p) => {
                    if let Some(v) = &p.value {
                        if is_function_literal(v) {
                            self.lower_fn_expr_like(v, Some(format!("{cname}.#{}", p.key.name)), FnRole::Standalone);
                        } else {
                            self.lower_expr(v, Use::Other);
                        }
                    }
                }
                ClassMember::StaticBlock(b) => {
                    self.lower_function(
                        FnSpec {
                            span: b.span,
                            name: Some(format!("{cname}.static")),
                            role: FnRole::Standalone,
                            params: &[],
                            body: FnBody::Block(&b.body.stmts, b.body.span),
                            is_async: false,
                            prebound: None,
                        },
                        &|_, _, _, _| {},
                    );
                }
                _ => {}
            }
        }
    }

    // ----- conditions and guards --------------------------------------------------------------

    fn build_cond(&mut self, e: &Expr) -> Cond {
        match unparen(e) {
            Expr::Ident(i) => match self.resolve(&i.sym) {
                Some(b) => Cond::Truthy(b),
                None => Cond::Unknown,
            },
            Expr::Unary(u) if u.op == UnaryOp::Bang => Cond::Not(Box::new(self.build_cond(&u.arg))),
            Expr::Bin(b) => match b.op {
                BinaryOp::LogicalAnd => {
                    Cond::And(Box::new(self.build_cond(&b.left)), Box::new(self.build_cond(&b.right)))
                }
                BinaryOp::LogicalOr => {
                    Cond::Or(Box::new(self.build_cond(&b.left)), Box::new(self.build_cond(&b.right)))
                }
                BinaryOp::NotEq | BinaryOp::NotEqEq | BinaryOp::EqEq | BinaryOp::EqEqEq => {
                    let (l, r) = (unparen(&b.left), unparen(&b.right));
                    let other = if is_nullish_literal(r) {
                        Some(l)
                    } else if is_nullish_literal(l) {
                        Some(r)
                    } else {
                        None
                    };
                    match other {
                        Some(x @ Expr::Ident(_)) => {
                            let c = self.build_cond(x);
                            if matches!(b.op, BinaryOp::NotEq | BinaryOp::NotEqEq) {
                                c
                            } else {
                                Cond::Not(Box::new(c))
                            }
                        }
                        _ => Cond::Unknown,
                    }
                }
                _ => Cond::Unknown,
            },
            _ => Cond::Unknown,
        }
    }

    fn guard_for(&mut self, test: &Expr, taint: &Taint) -> Option<GuardId> {
        if taint.is_empty() {
            return None;
        }
        let id = self.out.guards.len() as GuardId;
        let range = self.range(test.span());
        self.out.guards.push(Guard {
            id,
            range,
            taint: taint.clone(),
        });
        Some(id)
    }

    // ----- expressions ----------------------------------------------------------------------------

    fn lower_expr(&mut self, e: &Expr, use_: Use) -> Val {
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.lower_expr_inner(e, use_))
    }

    fn lower_expr_inner(&mut self, e: &Expr, use_: Use) -> Val {
        match e {
            Expr::This(_) | Expr::SuperProp(_) | Expr::MetaProp(_) | Expr::PrivateName(_) | Expr::Invalid(_) => {
                Val::default()
            }
            Expr::Array(a) => {
                let mut v = Val::default();
                let elem_use = if use_ == Use::PromiseAll {
                    Use::PromiseAll
                } else {
                    Use::Other
                };
                let mut elems = Some(Vec::new());
                for el in &a.elems {
                    match el {
                        Some(el) => {
                            let ev = self.lower_expr(&el.expr, elem_use);
                            taint_union(&mut v.taint, &ev.taint);
                            match (&mut elems, el.spread) {
                                (Some(list), None) => list.push(ev.taint),
                                _ => elems = None,
                            }
                        }
                        None => elems = None,
                    }
                }
                v.array = elems;
                v
            }
            Expr::Object(o) => {
                let mut v = Val::default();
                for p in &o.props {
                    match p {
                        PropOrSpread::Spread(s) => {
                            let sv = self.lower_expr(&s.expr, Use::Other);
                            taint_union(&mut v.taint, &sv.taint);
                        }
                        PropOrSpread::Prop(p) => match p.as_ref() {
                            Prop::Shorthand(i) => {
                                let iv = self.lower_ident(i);
                                taint_union(&mut v.taint, &iv.taint);
                            }
                            Prop::KeyValue(kv) => {
                                if let PropName::Computed(c) = &kv.key {
                                    self.lower_expr(&c.expr, Use::Other);
                                }
                                if is_function_literal(&kv.value) {
                                    let name = prop_key_name(&kv.key);
                                    if let Some(f) = self.lower_fn_expr_like(&kv.value, name, FnRole::Standalone) {
                                        self.emit(Op::Closure { func: f });
                                    }
                                } else {
                                    let pv = self.lower_expr(&kv.value, Use::Other);
                                    taint_union(&mut v.taint, &pv.taint);
                                }
                            }
                            Prop::Assign(a) => {
                                self.lower_expr(&a.value, Use::Other);
                            }
                            Prop::Getter(g) => {
                                let f = self.lower_function(
                                    FnSpec {
                                        span: g.span,
                                        name: prop_key_name(&g.key),
                                        role: FnRole::Standalone,
                                        params: &[],
                                        body: match &g.function.body {
                                            Some(b) => FnBody::Block(&b.stmts, b.span),
                                            None => FnBody::None,
                                        },
                                        is_async: false,
                                        prebound: None,
                                    },
                                    &|_, _, _, _| {},
                                );
                                self.emit(Op::Closure { func: f });
                            }
                            Prop::Setter(SetterProp { key, function, .. })
                            | Prop::Method(MethodProp { key, function }) => {
                                let f = self.lower_function_node(
                                    function,
                                    prop_key_name(key),
                                    FnRole::Standalone,
                                    None,
                                    &|_, _, _, _| {},
                                );
                                self.emit(Op::Closure { func: f });
                            }
                        },
                    }
                }
                v
            }
            Expr::Fn(_) | Expr::Arrow(_) => {
                let f = self.lower_fn_expr_like(e, None, FnRole::Standalone);
                if let Some(f) = f {
                    if !matches!(use_, Use::Bound | Use::Arg) {
                        self.emit(Op::Closure { func: f });
                    }
                    return Val {
                        func: Some(f),
                        ..Default::default()
                    };
                }
                Val::default()
            }
            Expr::Unary(u) => {
                // `void promise` discards it, like an expression statement.
                let inner = if u.op == UnaryOp::Void {
                    Use::Discard
                } else {
                    Use::Other
                };
                let v = self.lower_expr(&u.arg, inner);
                Val {
                    taint: v.taint,
                    ..Default::default()
                }
            }
            Expr::Update(u) => {
                self.lower_expr(&u.arg, Use::Other);
                Val::default()
            }
            Expr::Bin(b) => self.lower_bin(b, use_),
            Expr::Assign(a) => self.lower_assign(a),
            Expr::Member(m) => self.lower_member(m),
            Expr::Cond(c) => {
                let tv = self.lower_expr(&c.test, Use::Test);
                let cond = self.build_cond(&c.test);
                let guard = self.guard_for(&c.test, &tv.taint);
                let mut cv = Val::default();
                let mut av = Val::default();
                let then_ = self.block(|this| cv = this.lower_expr(&c.cons, use_));
                let else_ = self.block(|this| av = this.lower_expr(&c.alt, use_));
                if !then_.0.is_empty() || !else_.0.is_empty() {
                    self.emit(Op::If {
                        cond,
                        guard,
                        then_,
                        else_,
                    });
                }
                let mut v = Val::default();
                taint_union(&mut v.taint, &cv.taint);
                taint_union(&mut v.taint, &av.taint);
                v
            }
            Expr::Call(c) => self.lower_call(c, use_),
            Expr::New(n) => self.lower_new(n),
            Expr::Seq(s) => {
                let mut last = Val::default();
                let n = s.exprs.len();
                for (i, e) in s.exprs.iter().enumerate() {
                    last = self.lower_expr(e, if i + 1 == n { use_ } else { Use::Discard });
                }
                last
            }
            Expr::Ident(i) => {
                if &*i.sym == "SERIALIZATION_FAILURE" {
                    self.cur().mentions_retry = true;
                }
                self.lower_ident(i)
            }
            Expr::Lit(l) => {
                match l {
                    Lit::Str(s) => {
                        let text = s.value.to_string_lossy();
                        if text.trim() == "40001" || text.eq_ignore_ascii_case("serialization_failure") {
                            self.cur().mentions_retry = true;
                        }
                        return Val {
                            sql: Some(SqlTemplate {
                                text: text.into_owned(),
                                holes: Vec::new(),
                                tagged: false,
                            }),
                            ..Default::default()
                        };
                    }
                    Lit::Num(n) if n.value == 40001.0 => self.cur().mentions_retry = true,
                    _ => {}
                }
                Val::default()
            }
            Expr::Tpl(t) => {
                let mut holes = Vec::new();
                let mut v = Val::default();
                for ex in &t.exprs {
                    let hv = self.lower_expr(ex, Use::Other);
                    taint_union(&mut v.taint, &hv.taint);
                    holes.push(hv.taint);
                }
                v.sql = Some(template_text(t, holes, false));
                v
            }
            Expr::TaggedTpl(t) => {
                self.lower_expr(&t.tag, Use::Other);
                let mut holes = Vec::new();
                for ex in &t.tpl.exprs {
                    let hv = self.lower_expr(ex, Use::Other);
                    holes.push(hv.taint);
                }
                Val {
                    sql: Some(template_text(&t.tpl, holes, true)),
                    ..Default::default()
                }
            }
            Expr::Class(c) => {
                self.lower_class(&c.class, c.ident.as_ref().map(|i| i.sym.to_string()));
                Val::default()
            }
            Expr::Yield(y) => {
                if let Some(a) = &y.arg {
                    self.lower_expr(a, Use::Await);
                }
                Val::default()
            }
            Expr::Await(a) => {
                let v = self.lower_expr(&a.arg, Use::Await);
                // Queries, connects and in-file calls model their own failure; anything else
                // awaited may throw here.
                let inner = unparen(&a.arg);
                if v.query.is_none() && v.connect.is_none() && !self.is_modelled_call(inner) {
                    let r = self.range(a.span);
                    self.emit(Op::MayThrow { range: r });
                }
                v
            }
            Expr::Paren(p) => self.lower_expr(&p.expr, use_),
            Expr::TsTypeAssertion(t) => self.lower_expr(&t.expr, use_),
            Expr::TsConstAssertion(t) => self.lower_expr(&t.expr, use_),
            Expr::TsNonNull(t) => self.lower_expr(&t.expr, use_),
            Expr::TsAs(t) => self.lower_expr(&t.expr, use_),
            Expr::TsInstantiation(t) => self.lower_expr(&t.expr, use_),
            Expr::TsSatisfies(t) => self.lower_expr(&t.expr, use_),
            Expr::OptChain(o) => self.lower_opt_chain(o, use_),
            Expr::JSXMember(_) | Expr::JSXNamespacedName(_) | Expr::JSXEmpty(_) => Val::default(),
            Expr::JSXElement(el) => {
                let mut finder = ExprFinder { l: self };
                el.visit_children_with(&mut finder);
                Val::default()
            }
            Expr::JSXFragment(fr) => {
                let mut finder = ExprFinder { l: self };
                fr.visit_children_with(&mut finder);
                Val::default()
            }
        }
    }

    /// Whether an awaited expression is a call whose failure the flow models itself.
    fn is_modelled_call(&mut self, e: &Expr) -> bool {
        let Expr::Call(c) = e else { return false };
        let Callee::Expr(callee) = &c.callee else { return false };
        match unparen(callee) {
            // Calls of local bindings become `CallBinding` ops, which model their own failure.
            Expr::Ident(i) => self.scopes.iter().rev().any(|s| s.names.contains_key(&*i.sym)),
            Expr::Fn(_) | Expr::Arrow(_) => true,
            Expr::Member(m) => matches!(prop_name(&m.prop).as_deref(), Some("then" | "catch" | "finally")),
            _ => false,
        }
    }

    fn lower_ident(&mut self, i: &Ident) -> Val {
        let Some(b) = self.resolve(&i.sym) else {
            return Val::default();
        };
        if self.out.bindings[b as usize].is_retry_code {
            self.cur().mentions_retry = true;
        }
        let binding = &self.out.bindings[b as usize];
        let sql = binding.sql.clone();
        let origin = match &binding.origin {
            Origin::Unknown => None,
            o => Some(o.clone()),
        };
        let taint = self
            .fns
            .iter()
            .rev()
            .find_map(|f| f.taint.get(&b).cloned())
            .unwrap_or_default();
        let func = match binding.origin {
            Origin::Function(f) => Some(f),
            _ => None,
        };
        Val {
            taint,
            binding: Some(b),
            sql,
            origin,
            func,
            ..Default::default()
        }
    }

    fn lower_bin(&mut self, b: &BinExpr, use_: Use) -> Val {
        let lv = self.lower_expr(
            &b.left,
            if b.op.may_short_circuit() {
                Use::Test
            } else {
                Use::Other
            },
        );
        if b.op.may_short_circuit() {
            let cond = if b.op == BinaryOp::NullishCoalescing {
                Cond::Unknown
            } else {
                self.build_cond(&b.left)
            };
            let guard = self.guard_for(&b.left, &lv.taint);
            let mut rv = Val::default();
            let right_use = if matches!(use_, Use::Discard | Use::Await | Use::Return) {
                use_
            } else {
                Use::Other
            };
            let ops = self.block(|this| rv = this.lower_expr(&b.right, right_use));
            if !ops.0.is_empty() {
                let (then_, else_) = if b.op == BinaryOp::LogicalAnd {
                    (ops, Block::default())
                } else {
                    (Block::default(), ops)
                };
                self.emit(Op::If {
                    cond,
                    guard,
                    then_,
                    else_,
                });
            }
            let mut v = Val {
                taint: lv.taint,
                ..Default::default()
            };
            taint_union(&mut v.taint, &rv.taint);
            if rv.query.is_some() {
                v.query = rv.query;
            }
            return v;
        }
        let rv = self.lower_expr(&b.right, Use::Other);
        // `err.code === RETRY_CODE` where the constant lives elsewhere may be the 40001 test.
        if matches!(
            b.op,
            BinaryOp::EqEq | BinaryOp::EqEqEq | BinaryOp::NotEq | BinaryOp::NotEqEq
        ) {
            self.note_code_comparison(&b.left, &b.right);
            self.note_code_comparison(&b.right, &b.left);
        }
        let mut v = Val {
            taint: lv.taint.clone(),
            ..Default::default()
        };
        taint_union(&mut v.taint, &rv.taint);
        // `'SELECT ... WHERE id = ' + x`: known parts concatenate, an unknown part is a hole.
        if b.op == BinaryOp::Add && (lv.sql.is_some() || rv.sql.is_some()) {
            let l = lv.sql.clone().unwrap_or_else(|| hole_template(lv.taint.clone()));
            let r = rv.sql.clone().unwrap_or_else(|| hole_template(rv.taint.clone()));
            v.sql = Some(concat_templates(&l, &r));
        }
        v
    }

    fn note_code_comparison(&mut self, side: &Expr, other: &Expr) {
        let is_code = matches!(unparen(side), Expr::Member(m) if prop_name(&m.prop).as_deref() == Some("code"));
        if !is_code {
            return;
        }
        match unparen(other) {
            Expr::Ident(i) => match self.scopes.iter().rev().find_map(|s| s.names.get(&*i.sym).copied()) {
                None => self.cur().mentions_retry = true,
                Some(b) => {
                    let binding = &self.out.bindings[b as usize];
                    if binding.is_retry_code
                        || matches!(binding.origin, Origin::LocalImport(_) | Origin::PackageImport(_))
                        || is_retry_name(&binding.name)
                    {
                        self.cur().mentions_retry = true;
                    }
                }
            },
            // `err.code === PgErrors.SERIALIZATION_FAILURE` and similar.
            Expr::Member(m) if prop_name(&m.prop).is_some_and(|p| is_retry_name(&p) || p.contains("SERIALIZATION")) => {
                self.cur().mentions_retry = true;
            }
            _ => {}
        }
    }

    fn lower_assign(&mut self, a: &AssignExpr) -> Val {
        // `module.exports.handler = async (req, res) => ...`: name the function after the target.
        if is_function_literal(&a.right) {
            let name = match &a.left {
                AssignTarget::Simple(SimpleAssignTarget::Member(m)) => member_path(&Expr::Member(m.clone())),
                AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => Some(i.id.sym.to_string()),
                _ => None,
            };
            let f = self.lower_fn_expr_like(&a.right, name, FnRole::Standalone);
            if let (AssignTarget::Simple(SimpleAssignTarget::Ident(i)), Some(f)) = (&a.left, f)
                && let Some(b) = self.resolve(&i.id.sym)
            {
                self.out.bindings[b as usize].origin = Origin::Function(f);
            }
            return Val {
                func: f,
                ..Default::default()
            };
        }
        let v = self.lower_expr(&a.right, Use::Bound);
        match &a.left {
            AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => {
                if let Some(b) = self.resolve(&i.id.sym) {
                    if a.op == AssignOp::Assign {
                        self.bind_value(b, &v);
                    } else {
                        let ctx = self.cur();
                        let entry = ctx.taint.entry(b).or_default();
                        taint_union(entry, &v.taint);
                        // `sql += ' WHERE ...'`: append when both parts are known, else unknown.
                        let binding = &mut self.out.bindings[b as usize];
                        binding.sql = match (a.op, binding.sql.take(), &v.sql) {
                            (AssignOp::AddAssign, Some(l), Some(r)) => Some(concat_templates(&l, r)),
                            _ => None,
                        };
                    }
                }
            }
            AssignTarget::Simple(SimpleAssignTarget::Member(m)) => {
                self.lower_expr(&m.obj, Use::Other);
                if let MemberProp::Computed(c) = &m.prop {
                    self.lower_expr(&c.expr, Use::Other);
                }
                // A client stored on an object (`req.client = client`) lives on elsewhere.
                if let Some(b) = v.binding {
                    self.emit(Op::Escape { bindings: vec![b] });
                }
            }
            AssignTarget::Simple(_) => {}
            AssignTarget::Pat(p) => {
                let pat: Pat = match p {
                    AssignTargetPat::Array(a) => Pat::Array(a.clone()),
                    AssignTargetPat::Object(o) => Pat::Object(o.clone()),
                    AssignTargetPat::Invalid(_) => return v,
                };
                self.assign_pat(&pat, &v);
            }
        }
        v
    }

    fn lower_member(&mut self, m: &MemberExpr) -> Val {
        let ov = self.lower_expr(&m.obj, Use::Other);
        let prop = match &m.prop {
            MemberProp::Computed(c) => {
                self.lower_expr(&c.expr, Use::Other);
                match unparen(&c.expr) {
                    Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy().into_owned()),
                    _ => None,
                }
            }
            MemberProp::Ident(i) => Some(i.sym.to_string()),
            MemberProp::PrivateName(_) => None,
        };
        let mut v = Val {
            taint: taint_member(&ov.taint, prop.as_deref()),
            ..Default::default()
        };
        if let Some(o) = &ov.origin {
            let mo = member_origin(o, prop.as_deref().unwrap_or(""));
            if mo != Origin::Unknown {
                v.origin = Some(mo);
            }
        }
        // `queries.insertUser` where `queries` is a const object of SQL texts.
        if let (Some(b), Some(p)) = (ov.binding, &prop)
            && let Some(t) = self.out.bindings[b as usize].sql_props.get(p)
        {
            v.sql = Some(t.clone());
        }
        if let Some(p) = &prop
            && (p == "SERIALIZATION_FAILURE" || p == "serialization_failure")
        {
            self.cur().mentions_retry = true;
        }
        v
    }

    fn lower_opt_chain(&mut self, o: &OptChainExpr, use_: Use) -> Val {
        match o.base.as_ref() {
            OptChainBase::Member(m) => self.lower_member(m),
            OptChainBase::Call(c) => {
                // `client?.release()`: runs only when the object is truthy.
                let member = match unparen(&c.callee) {
                    Expr::Member(m) => Some(m),
                    Expr::OptChain(inner) => match inner.base.as_ref() {
                        OptChainBase::Member(m) => Some(m),
                        OptChainBase::Call(_) => None,
                    },
                    _ => None,
                };
                let Some((m, method)) = member.and_then(|m| prop_name(&m.prop).map(|p| (m, p))) else {
                    self.lower_expr(&c.callee, Use::Other);
                    for a in &c.args {
                        self.lower_arg(&a.expr);
                    }
                    return Val::default();
                };
                let cond = self.build_cond(&m.obj);
                let mut v = Val::default();
                let then_ = self.block(|this| v = this.lower_method_call(c.span, &c.args, m, &method, use_));
                if !then_.0.is_empty() {
                    self.emit(Op::If {
                        cond,
                        guard: None,
                        then_,
                        else_: Block::default(),
                    });
                }
                v
            }
        }
    }

    fn lower_new(&mut self, n: &NewExpr) -> Val {
        let callee = unparen(&n.callee);
        let cv = self.lower_expr(callee, Use::Other);
        let class_name = match callee {
            Expr::Ident(i) => Some(i.sym.to_string()),
            Expr::Member(m) => prop_name(&m.prop),
            _ => None,
        };
        let args = n.args.as_deref().unwrap_or(&[]);
        // `new Promise((resolve, reject) => ...)`: the executor runs right away.
        if class_name.as_deref() == Some("Promise")
            && let Some(first) = args.first()
            && is_function_literal(&first.expr)
        {
            if let Some(f) = self.lower_fn_expr_like(&first.expr, None, FnRole::Inline) {
                self.emit(Op::Inline {
                    func: f,
                    role: FnRole::Inline,
                });
            }
            return Val::default();
        }
        for a in args {
            self.lower_arg(&a.expr);
        }
        let origin = match (&cv.origin, class_name.as_deref()) {
            (Some(Origin::PoolClass), _) => Origin::NewPool,
            (Some(Origin::ClientClass), _) => Origin::NewClient,
            (None, Some("Pool")) => Origin::NewPool,
            (None, Some("Client")) if matches!(callee, Expr::Ident(_)) => {
                // An unresolved or local `Client` class: pg's only if nothing says otherwise.
                match callee {
                    Expr::Ident(i) if self.scopes.iter().rev().any(|s| s.names.contains_key(&*i.sym)) => {
                        Origin::Unknown
                    }
                    _ => Origin::NewClient,
                }
            }
            _ => Origin::Unknown,
        };
        Val {
            origin: Some(origin),
            ..Default::default()
        }
    }

    /// Lowers a call argument: function literals become standalone functions that may run later.
    fn lower_arg(&mut self, e: &Expr) -> (Arg, Taint) {
        if is_function_literal(e) {
            if let Some(f) = self.lower_fn_expr_like(e, None, FnRole::Standalone) {
                self.emit(Op::Closure { func: f });
                return (Arg::Func(f), Taint::new());
            }
            return (Arg::Other, Taint::new());
        }
        let v = self.lower_expr(e, Use::Arg);
        let arg = match v.binding {
            Some(b) => Arg::Binding(b),
            None => Arg::Other,
        };
        (arg, v.taint)
    }

    fn lower_call(&mut self, c: &CallExpr, use_: Use) -> Val {
        let Callee::Expr(callee) = &c.callee else {
            for a in &c.args {
                self.lower_arg(&a.expr);
            }
            return Val::default();
        };
        match unparen(callee) {
            Expr::Member(m) => {
                if let Some(method) = prop_name(&m.prop) {
                    return self.lower_method_call(c.span, &c.args, m, &method, use_);
                }
                self.lower_expr(callee, Use::Other);
                for a in &c.args {
                    self.lower_arg(&a.expr);
                }
                Val::default()
            }
            Expr::Ident(i) => self.lower_ident_call(c.span, &c.args, i, use_),
            Expr::Fn(_) | Expr::Arrow(_) => {
                // An IIFE runs in place.
                for a in &c.args {
                    self.lower_arg(&a.expr);
                }
                if let Some(f) = self.lower_fn_expr_like(callee, None, FnRole::Inline) {
                    self.emit(Op::Inline {
                        func: f,
                        role: FnRole::Inline,
                    });
                }
                Val::default()
            }
            other => {
                self.lower_expr(other, Use::Other);
                for a in &c.args {
                    self.lower_arg(&a.expr);
                }
                Val::default()
            }
        }
    }

    fn lower_ident_call(&mut self, span: Span, cargs: &[ExprOrSpread], i: &Ident, use_: Use) -> Val {
        let name = i.sym.to_string();
        if &*i.sym == "require"
            && let Some(first) = cargs.first()
            && let Expr::Lit(Lit::Str(s)) = unparen(&first.expr)
        {
            return Val {
                origin: Some(module_origin(&s.value.to_string_lossy())),
                ..Default::default()
            };
        }
        if is_retry_name(&name) {
            self.cur().mentions_retry = true;
        }
        let binding = self.resolve(&i.sym);
        let mut args = Vec::new();
        // A value computed from query results stays derived from them (`Number(rows[0].n)`).
        let mut taint = Taint::new();
        for a in cargs {
            let (arg, t) = self.lower_arg(&a.expr);
            taint_union(&mut taint, &t);
            if is_retry_name(&name)
                && let Arg::Func(f) = arg
            {
                self.out.functions[f as usize].retry_wrapped = true;
            }
            args.push(arg);
        }
        let range = self.range(span);
        // A rejected promise surfaces here only when waited for: `return f()` counts in an async
        // function (the caller's await sees it), not in a plain callback.
        let in_async = self.fns.last().is_some_and(|f| f.is_async);
        let awaited = matches!(use_, Use::Await | Use::Then | Use::PromiseAll) || (use_ == Use::Return && in_async);
        let Some(b) = binding else {
            if name == "next" {
                self.emit(Op::Respond { range });
            }
            self.escape_to_unknown_callee(&name, &args);
            return Val {
                taint,
                ..Default::default()
            };
        };
        match self.out.bindings[b as usize].origin {
            Origin::ReleaseFn(_) => {
                let error = cargs.first().is_some_and(|a| !is_falsy_literal(&a.expr));
                self.emit(Op::Release {
                    binding: b,
                    error,
                    range,
                });
                Val::default()
            }
            _ => {
                if name == "next" && self.out.bindings[b as usize].kind == BindingKind::Param {
                    self.emit(Op::Respond { range });
                }
                self.escape_to_unknown_callee(&name, &args);
                // A helper of this file that returns a value derived from a query result.
                if let Origin::Function(fid) = self.out.bindings[b as usize].origin {
                    let returned = self.out.functions[fid as usize].return_taint.clone();
                    taint_union(&mut taint, &returned);
                }
                self.emit(Op::CallBinding {
                    binding: b,
                    args,
                    range,
                    awaited,
                });
                Val {
                    taint,
                    ..Default::default()
                }
            }
        }
    }

    /// Handing a client to a function named like a release helper, or handing over its release
    /// callback (`stream.on('end', done)`), ends our knowledge of it.
    fn escape_to_unknown_callee(&mut self, name: &str, args: &[Arg]) {
        let release_fns: Vec<BindingId> = args
            .iter()
            .filter_map(|a| match a {
                Arg::Binding(b) if matches!(self.out.bindings[*b as usize].origin, Origin::ReleaseFn(_)) => Some(*b),
                _ => None,
            })
            .collect();
        if !release_fns.is_empty() {
            self.emit(Op::Escape { bindings: release_fns });
        }
        let n = name.to_ascii_lowercase();
        if [
            "release", "close", "end", "done", "finish", "cleanup", "dispose", "destroy",
        ]
        .iter()
        .any(|k| n.contains(k))
        {
            let bindings: Vec<BindingId> = args
                .iter()
                .filter_map(|a| if let Arg::Binding(b) = a { Some(*b) } else { None })
                .collect();
            if !bindings.is_empty() {
                self.emit(Op::Escape { bindings });
            }
        }
    }

    fn handle_key(&mut self, obj: &Expr) -> Option<(HandleKey, String)> {
        match unparen(obj) {
            Expr::Ident(i) => {
                let key = match self.resolve(&i.sym) {
                    Some(b) => HandleKey::Binding(b),
                    None => HandleKey::Global(i.sym.to_string()),
                };
                Some((key, i.sym.to_string()))
            }
            e @ Expr::Member(_) => {
                let path = member_path(e)?;
                // Touch the root so captures are recorded.
                if let Some(root) = chain_root(e) {
                    self.resolve(&root.sym);
                }
                Some((HandleKey::Path(path.clone()), path))
            }
            _ => None,
        }
    }

    fn lower_method_call(
        &mut self,
        span: Span,
        cargs: &[ExprOrSpread],
        m: &MemberExpr,
        method: &str,
        use_: Use,
    ) -> Val {
        match method {
            "query" => return self.lower_query(span, cargs, m, use_),
            name if CONNECT_METHODS.contains(&name) => return self.lower_connect(span, cargs, m, use_),
            "release" | "end" => {
                if let Expr::Ident(i) = unparen(&m.obj)
                    && let Some(b) = self.resolve(&i.sym)
                {
                    for a in cargs {
                        self.lower_arg(&a.expr);
                    }
                    let error = method == "release" && cargs.first().is_some_and(|a| !is_falsy_literal(&a.expr));
                    let range = self.range(span);
                    self.emit(Op::Release {
                        binding: b,
                        error,
                        range,
                    });
                    return Val::default();
                }
            }
            "then" | "catch" | "finally" => return self.lower_chain(cargs, m, method, use_),
            "all" | "allSettled" | "race" | "any" if matches!(unparen(&m.obj), Expr::Ident(i) if &*i.sym == "Promise") =>
            {
                for a in cargs {
                    self.lower_expr(&a.expr, Use::PromiseAll);
                }
                return Val::default();
            }
            _ => {}
        }
        if LOOP_CALLBACK_METHODS.contains(&method)
            && let Some(first) = cargs.first()
            && is_function_literal(&first.expr)
        {
            let ov = self.lower_expr(&m.obj, Use::Other);
            let item = taint_member(&ov.taint, None);
            let body = self.block(|this| {
                let item = item.clone();
                let setup = move |this: &mut Self, i: usize, pat: &Pat, _: &[BindingId]| {
                    if i == 0 {
                        this.assign_pat(
                            pat,
                            &Val {
                                taint: item.clone(),
                                ..Default::default()
                            },
                        );
                    }
                };
                if let Some(f) = this.lower_fn_expr_with(&first.expr, None, FnRole::Inline, &setup) {
                    this.emit(Op::Inline {
                        func: f,
                        role: FnRole::Inline,
                    });
                }
            });
            for a in cargs.iter().skip(1) {
                self.lower_arg(&a.expr);
            }
            self.emit(Op::Loop {
                kind: LoopKind::MaySkip,
                body,
                label: None,
            });
            return Val {
                taint: ov.taint,
                ..Default::default()
            };
        }
        if MANAGED_TX_METHODS.contains(&method) && cargs.iter().any(|a| is_function_literal(&a.expr)) {
            self.lower_expr(&m.obj, Use::Other);
            for a in cargs {
                if is_function_literal(&a.expr) {
                    self.lower_fn_expr_like(&a.expr, Some(format!("{method} callback")), FnRole::ManagedTx);
                } else {
                    self.lower_expr(&a.expr, Use::Other);
                }
            }
            return Val::default();
        }
        let ov = self.lower_expr(&m.obj, Use::Other);
        let range = self.range(span);
        // Route registration: name the handlers after the route.
        let route = if HTTP_METHODS.contains(&method) {
            cargs.first().and_then(|a| match unparen(&a.expr) {
                Expr::Lit(Lit::Str(s)) => {
                    Some(format!("{} {}", method.to_ascii_uppercase(), s.value.to_string_lossy()))
                }
                _ => None,
            })
        } else {
            None
        };
        if is_retry_name(method) {
            self.cur().mentions_retry = true;
        }
        let mut taint = taint_member(&ov.taint, Some(method));
        let mut args = Vec::new();
        for a in cargs {
            let arg = if is_function_literal(&a.expr) {
                let f = self.lower_fn_expr_like(&a.expr, route.clone(), FnRole::Standalone);
                if let Some(f) = f {
                    self.emit(Op::Closure { func: f });
                    if is_retry_name(method) {
                        self.out.functions[f as usize].retry_wrapped = true;
                    }
                    Arg::Func(f)
                } else {
                    Arg::Other
                }
            } else {
                let (arg, t) = self.lower_arg(&a.expr);
                taint_union(&mut taint, &t);
                arg
            };
            args.push(arg);
        }
        // `includes(err.code)` against a list held elsewhere may be the 40001 test.
        if method == "includes"
            && cargs.first().is_some_and(
                |a| matches!(unparen(&a.expr), Expr::Member(mm) if prop_name(&mm.prop).as_deref() == Some("code")),
            )
        {
            self.cur().mentions_retry = true;
        }
        self.escape_to_unknown_callee(method, &args);
        if RESPONSE_METHODS.contains(&method)
            && chain_root(&m.obj).is_some_and(|r| matches!(&*r.sym, "res" | "response" | "reply" | "ctx"))
        {
            self.emit(Op::Respond { range });
        }
        Val {
            taint,
            ..Default::default()
        }
    }

    fn lower_chain(&mut self, cargs: &[ExprOrSpread], m: &MemberExpr, method: &str, use_: Use) -> Val {
        let mut ov = Val::default();
        let producer = self.block(|this| ov = this.lower_expr(&m.obj, Use::Then));
        let step_fn = |this: &mut Self, e: &Expr, taint: Taint, connect: Option<ConnectId>| -> Option<FuncId> {
            if !is_function_literal(e) {
                // `.then(handleRows)` with a named function: a call we may inline.
                let (arg, _) = this.lower_arg(e);
                if let Arg::Binding(b) = arg {
                    let range = this.range(e.span());
                    this.emit(Op::CallBinding {
                        binding: b,
                        args: vec![Arg::Other],
                        range,
                        awaited: true,
                    });
                }
                return None;
            }
            let setup = move |this: &mut Self, i: usize, pat: &Pat, ids: &[BindingId]| {
                if i != 0 {
                    return;
                }
                if let (Some(cid), [b]) = (connect, ids) {
                    this.out.connects[cid as usize].target = Some(*b);
                    this.out.bindings[*b as usize].origin = Origin::Connected(cid);
                }
                if !taint.is_empty() {
                    this.assign_pat(
                        pat,
                        &Val {
                            taint: taint.clone(),
                            ..Default::default()
                        },
                    );
                }
            };
            let f = this.lower_fn_expr_with(e, None, FnRole::ChainStep, &setup)?;
            this.emit(Op::Inline {
                func: f,
                role: FnRole::ChainStep,
            });
            Some(f)
        };
        let ops = self.block(|this| match method {
            "then" => {
                let on_rejected = cargs.get(1);
                if let Some(rej) = on_rejected {
                    let catch = this.block(|this| {
                        step_fn(this, &rej.expr, Taint::new(), None);
                    });
                    this.emit(Op::Try {
                        body: producer.clone(),
                        catch: Some(catch),
                        finally: None,
                    });
                } else {
                    this.cur()
                        .blocks
                        .last_mut()
                        .expect("invariant: open block")
                        .extend(producer.0.clone());
                }
                if let Some(on_ok) = cargs.first() {
                    step_fn(this, &on_ok.expr, ov.taint.clone(), ov.connect);
                }
            }
            "catch" => {
                let catch = this.block(|this| {
                    if let Some(h) = cargs.first() {
                        step_fn(this, &h.expr, Taint::new(), None);
                    }
                });
                this.emit(Op::Try {
                    body: producer.clone(),
                    catch: Some(catch),
                    finally: None,
                });
            }
            _ => {
                let fin = this.block(|this| {
                    if let Some(h) = cargs.first() {
                        step_fn(this, &h.expr, Taint::new(), None);
                    }
                });
                this.emit(Op::Try {
                    body: producer.clone(),
                    catch: None,
                    finally: Some(fin),
                });
            }
        });
        if use_ == Use::Discard {
            self.emit(Op::Detached { body: ops });
        } else {
            self.cur()
                .blocks
                .last_mut()
                .expect("invariant: open block")
                .extend(ops.0);
        }
        Val::default()
    }

    fn lower_query(&mut self, span: Span, cargs: &[ExprOrSpread], m: &MemberExpr, use_: Use) -> Val {
        let Some((handle, receiver)) = self.handle_key(&m.obj) else {
            self.lower_expr(&m.obj, Use::Other);
            for a in cargs {
                self.lower_arg(&a.expr);
            }
            return Val::default();
        };
        if let Expr::Member(mm) = unparen(&m.obj) {
            self.lower_expr(&mm.obj, Use::Other);
        }
        let receiver_range = self.range(m.obj.span());
        let mut args = cargs.iter();
        let first = args.next();
        let mut sql_template: Option<SqlTemplate> = None;
        let mut sql_range = self.range(span);
        let mut values = Values::Missing;
        let mut config_object = false;
        let mut callback_expr: Option<&Expr> = None;
        let mut callback_binding: Option<BindingId> = None;
        let mut inline_text = false;
        if let Some(first) = first {
            sql_range = self.range(first.expr.span());
            match unparen(&first.expr) {
                Expr::Object(o) if first.spread.is_none() => {
                    config_object = true;
                    let mut has_spread = false;
                    for p in &o.props {
                        match p {
                            PropOrSpread::Spread(s) => {
                                has_spread = true;
                                self.lower_expr(&s.expr, Use::Other);
                            }
                            PropOrSpread::Prop(p) => match p.as_ref() {
                                Prop::KeyValue(kv) => {
                                    let key = prop_key_name(&kv.key);
                                    match key.as_deref() {
                                        Some("text") => {
                                            inline_text = matches!(unparen(&kv.value), Expr::Lit(_) | Expr::Tpl(_));
                                            let v = self.lower_expr(&kv.value, Use::Arg);
                                            sql_template = v.sql;
                                            sql_range = self.range(kv.value.span());
                                        }
                                        Some("values") => values = self.lower_values(&kv.value),
                                        _ => {
                                            self.lower_expr(&kv.value, Use::Other);
                                        }
                                    }
                                }
                                Prop::Shorthand(i) => {
                                    let v = self.lower_ident(i);
                                    match &*i.sym {
                                        "text" => sql_template = v.sql,
                                        "values" => {
                                            values = match v
                                                .binding
                                                .and_then(|b| self.out.bindings[b as usize].array.clone())
                                            {
                                                Some(elems) => Values::Array {
                                                    elems,
                                                    range: self.range(i.span),
                                                    texts: Vec::new(),
                                                },
                                                None => Values::Unknown,
                                            }
                                        }
                                        _ => {}
                                    }
                                }
                                _ => has_spread = true,
                            },
                        }
                    }
                    if has_spread {
                        sql_template = None;
                        values = Values::Unknown;
                    }
                    if let Some(next) = args.next() {
                        let values_allowed = matches!(values, Values::Missing);
                        match self.trailing_arg(&next.expr, values_allowed) {
                            TrailingArg::Callback(e) => callback_expr = Some(e),
                            TrailingArg::CallbackBinding(b) => callback_binding = Some(b),
                            TrailingArg::Values(v) => values = v,
                            TrailingArg::Other => {}
                        }
                    }
                }
                _ => {
                    inline_text = matches!(unparen(&first.expr), Expr::Lit(_) | Expr::Tpl(_));
                    let v = self.lower_expr(&first.expr, Use::Arg);
                    sql_template = v.sql;
                    if first.spread.is_some() {
                        sql_template = None;
                        values = Values::Unknown;
                    }
                    if let Some(next) = args.next() {
                        match self.trailing_arg(&next.expr, true) {
                            TrailingArg::Callback(e) => callback_expr = Some(e),
                            TrailingArg::CallbackBinding(b) => callback_binding = Some(b),
                            TrailingArg::Values(v) => values = v,
                            TrailingArg::Other => {}
                        }
                    }
                }
            }
            if callback_expr.is_none()
                && callback_binding.is_none()
                && let Some(next) = args.next()
            {
                match self.trailing_arg(&next.expr, false) {
                    TrailingArg::Callback(e) => callback_expr = Some(e),
                    TrailingArg::CallbackBinding(b) => callback_binding = Some(b),
                    TrailingArg::Values(_) | TrailingArg::Other => {}
                }
            }
            for rest in args {
                self.lower_arg(&rest.expr);
            }
        }
        let info = sql_template.as_ref().and_then(|t| sql::classify(&t.text));
        let non_callback: Vec<&ExprOrSpread> = cargs.iter().filter(|a| !is_function_literal(&a.expr)).collect();
        let args_range = match (non_callback.first(), non_callback.last()) {
            (Some(a), Some(b)) => TextRange::new(self.range(a.expr.span()).start, self.range(b.expr.span()).end),
            _ => TextRange::new(self.range(span).end, self.range(span).end),
        };
        // Shown span: `client.query('...'`; in a multi-line chain, from `query` on.
        let prop_start = match &m.prop {
            MemberProp::Ident(i) => self.range(i.span).start,
            _ => self.range(span).start,
        };
        let call = self.range(span);
        let between = self
            .text
            .get(receiver_range.end as usize..prop_start as usize)
            .unwrap_or("");
        let head_start = if between.contains('\n') { prop_start } else { call.start };
        let head_end = if sql_range.end > head_start {
            sql_range.end
        } else {
            call.end
        };
        let head = TextRange::new(head_start, head_end);
        let id = self.out.queries.len() as QueryId;
        let func = self.cur_id();
        let await_kind = match use_ {
            Use::Await => AwaitKind::Awaited,
            Use::Return => AwaitKind::Returned,
            Use::Then => AwaitKind::Chained,
            Use::PromiseAll => AwaitKind::PromiseAll,
            Use::Discard => AwaitKind::Floating,
            Use::Bound | Use::Arg | Use::Test | Use::Other => AwaitKind::Bound,
        };
        let range = self.range(span);
        let stmt_range = self.fns.last().map(|f| f.stmt_range).unwrap_or(range);
        let in_async_fn = self.fns.last().is_some_and(|f| f.is_async);
        let sql = SqlArg {
            text: sql_template.as_ref().map(|t| t.text.clone()),
            holes: sql_template.as_ref().map(|t| t.holes.clone()).unwrap_or_default(),
            tagged: sql_template.as_ref().is_some_and(|t| t.tagged),
            range: sql_range,
            info,
            inline: inline_text,
        };
        self.out.queries.push(QueryEvent {
            id,
            func,
            handle,
            receiver,
            receiver_range,
            range,
            stmt_range: if stmt_range.contains(range) { stmt_range } else { range },
            sql,
            values,
            config_object,
            callback: None,
            callback_binding: None,
            await_kind,
            in_async_fn,
            head,
            args_range,
        });
        self.cur().has_db_ops = true;
        self.emit(Op::Query(id));
        // `client.query('COMMIT', done)`, `client.query(sql, params, handleResult)`: a named callback.
        if let Some(b) = callback_binding {
            self.out.queries[id as usize].callback_binding = Some(b);
            match self.out.bindings[b as usize].origin {
                Origin::ReleaseFn(_) => self.emit(Op::Release {
                    binding: b,
                    error: false,
                    range,
                }),
                Origin::Function(_) => self.emit(Op::CallBinding {
                    binding: b,
                    args: vec![Arg::Other, Arg::Other],
                    range,
                    awaited: false,
                }),
                _ => {}
            }
        }
        if let Some(cb) = callback_expr {
            let setup = move |this: &mut Self, i: usize, pat: &Pat, _: &[BindingId]| {
                if i == 1 {
                    this.assign_pat(
                        pat,
                        &Val {
                            taint: vec![(id, Field::Result)],
                            ..Default::default()
                        },
                    );
                }
            };
            let f = self.lower_fn_expr_with(cb, None, FnRole::Continuation, &setup);
            self.out.queries[id as usize].callback = f;
        }
        Val {
            taint: vec![(id, Field::Result)],
            query: Some(id),
            ..Default::default()
        }
    }

    /// What an argument after the SQL is: a callback, a named callback, the values, or (when
    /// values are not expected there) something else, lowered for its side effects.
    fn trailing_arg<'e>(&mut self, e: &'e Expr, values_allowed: bool) -> TrailingArg<'e> {
        if is_function_literal(e) {
            TrailingArg::Callback(e)
        } else if let Some(b) = self.callback_ident(e) {
            TrailingArg::CallbackBinding(b)
        } else if values_allowed {
            TrailingArg::Values(self.lower_values(e))
        } else {
            self.lower_expr(e, Use::Other);
            TrailingArg::Other
        }
    }

    /// An identifier passed where a query callback goes: a release callback, a function defined
    /// here, or a parameter named like a callback.
    fn callback_ident(&mut self, e: &Expr) -> Option<BindingId> {
        let Expr::Ident(i) = unparen(e) else { return None };
        let b = self.scopes.iter().rev().find_map(|s| s.names.get(&*i.sym).copied())?;
        let binding = &self.out.bindings[b as usize];
        let named_like_callback = matches!(
            &*i.sym,
            "cb" | "callback" | "done" | "next" | "release" | "resolve" | "reject"
        ) || i.sym.ends_with("Callback")
            || i.sym.ends_with("Cb");
        let is_fn = matches!(binding.origin, Origin::ReleaseFn(_) | Origin::Function(_));
        (is_fn || (named_like_callback && binding.kind == BindingKind::Param)).then(|| {
            self.resolve(&i.sym);
            b
        })
    }

    fn lower_values(&mut self, e: &Expr) -> Values {
        match unparen(e) {
            Expr::Array(a) => {
                let mut elems = Vec::new();
                let mut texts = Vec::new();
                let mut spread = false;
                for el in &a.elems {
                    match el {
                        Some(el) => {
                            if el.spread.is_some() {
                                spread = true;
                            }
                            elems.push(self.lower_expr(&el.expr, Use::Other).taint);
                            let r = self.range(el.expr.span());
                            let text = self.text.get(r.start as usize..r.end as usize).unwrap_or("");
                            texts.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
                        }
                        None => spread = true,
                    }
                }
                if spread {
                    Values::Unknown
                } else {
                    Values::Array {
                        elems,
                        range: self.range(a.span),
                        texts,
                    }
                }
            }
            Expr::Ident(i) if &*i.sym == "undefined" => Values::Missing,
            other => {
                let v = self.lower_expr(other, Use::Arg);
                match v.binding.and_then(|b| self.out.bindings[b as usize].array.clone()) {
                    Some(elems) => Values::Array {
                        elems,
                        range: self.range(other.span()),
                        texts: Vec::new(),
                    },
                    None => Values::Unknown,
                }
            }
        }
    }

    fn lower_connect(&mut self, span: Span, cargs: &[ExprOrSpread], m: &MemberExpr, _use: Use) -> Val {
        let Some((handle, receiver)) = self.handle_key(&m.obj) else {
            self.lower_expr(&m.obj, Use::Other);
            for a in cargs {
                self.lower_arg(&a.expr);
            }
            return Val::default();
        };
        let id = self.out.connects.len() as ConnectId;
        let range = self.range(span);
        self.out.connects.push(ConnectEvent {
            id,
            func: self.cur_id(),
            handle,
            receiver,
            range,
            target: None,
            callback: None,
            err_param: None,
            done_param: None,
        });
        self.cur().has_db_ops = true;
        self.emit(Op::Connect(id));
        let cb = cargs.iter().find(|a| is_function_literal(&a.expr));
        for a in cargs {
            if !is_function_literal(&a.expr) {
                self.lower_expr(&a.expr, Use::Other);
            }
        }
        if let Some(cb) = cb {
            let setup = move |this: &mut Self, i: usize, _: &Pat, ids: &[BindingId]| {
                let Some(&b) = ids.first() else { return };
                match i {
                    0 => this.out.connects[id as usize].err_param = Some(b),
                    1 => {
                        this.out.connects[id as usize].target = Some(b);
                        this.out.bindings[b as usize].origin = Origin::Connected(id);
                    }
                    2 => {
                        this.out.connects[id as usize].done_param = Some(b);
                        this.out.bindings[b as usize].origin = Origin::ReleaseFn(id);
                    }
                    _ => {}
                }
            };
            let f = self.lower_fn_expr_with(&cb.expr, None, FnRole::Continuation, &setup);
            self.out.connects[id as usize].callback = f;
            return Val::default();
        }
        Val {
            connect: Some(id),
            ..Default::default()
        }
    }
}

/// An argument of `query(...)` after the SQL.
enum TrailingArg<'e> {
    Callback(&'e Expr),
    CallbackBinding(BindingId),
    Values(Values),
    Other,
}

/// The shape of a function to lower.
struct FnSpec<'s> {
    span: Span,
    name: Option<String>,
    role: FnRole,
    params: &'s [&'s Pat],
    body: FnBody<'s>,
    is_async: bool,
    /// An id allocated when the declaration was hoisted.
    prebound: Option<FuncId>,
}

/// Called for each parameter once it is declared: (index, pattern, its bindings).
type ParamSetup<'f, 'a> = &'f dyn Fn(&mut Lowerer<'a>, usize, &Pat, &[BindingId]);

/// A function body to lower.
#[derive(Clone, Copy)]
enum FnBody<'a> {
    Block(&'a [Stmt], Span),
    Expr(&'a Expr),
    None,
}

/// Finds expressions inside JSX and lowers them (so functions nested there are not missed).
struct ExprFinder<'l, 'a> {
    l: &'l mut Lowerer<'a>,
}

impl Visit for ExprFinder<'_, '_> {
    fn visit_expr(&mut self, e: &Expr) {
        self.l.lower_expr(e, Use::Other);
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

fn template_text(t: &Tpl, holes: Vec<Taint>, tagged: bool) -> SqlTemplate {
    let mut text = String::new();
    for (i, q) in t.quasis.iter().enumerate() {
        match &q.cooked {
            Some(c) => text.push_str(&c.to_string_lossy()),
            None => text.push_str(&q.raw),
        }
        if i < t.exprs.len() {
            text.push(' ');
            text.push_str(&hole_placeholder(i));
            text.push(' ');
        }
    }
    SqlTemplate { text, holes, tagged }
}

/// A SQL part whose text is unknown: one hole.
fn hole_template(taint: Taint) -> SqlTemplate {
    SqlTemplate {
        text: hole_placeholder(0),
        holes: vec![taint],
        tagged: false,
    }
}

/// `l + r`, renumbering the holes of `r`.
fn concat_templates(l: &SqlTemplate, r: &SqlTemplate) -> SqlTemplate {
    SqlTemplate {
        text: format!("{}{}", l.text, shift_holes(&r.text, l.holes.len())),
        holes: l.holes.iter().chain(&r.holes).cloned().collect(),
        tagged: false,
    }
}

/// Renumbers hole stand-ins when two templates are concatenated.
fn shift_holes(text: &str, by: usize) -> String {
    if by == 0 || !text.contains(sql::HOLE_PREFIX) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(sql::HOLE_PREFIX) {
        let (before, after) = rest.split_at(pos + sql::HOLE_PREFIX.len());
        out.push_str(before);
        let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
        let n: usize = digits.parse().unwrap_or(0);
        out.push_str(&(n + by).to_string());
        rest = &after[digits.len()..];
    }
    out.push_str(rest);
    out
}

/// The string value of a literal, a hole-free template, or a `+` of those.
fn static_string(e: &Expr) -> Option<String> {
    match unparen(e) {
        Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy().into_owned()),
        Expr::Tpl(t) if t.exprs.is_empty() => Some(
            t.quasis
                .iter()
                .map(|q| {
                    q.cooked
                        .as_ref()
                        .map(|c| c.to_string_lossy().into_owned())
                        .unwrap_or_else(|| q.raw.to_string())
                })
                .collect(),
        ),
        Expr::Bin(b) if b.op == BinaryOp::Add => Some(static_string(&b.left)? + &static_string(&b.right)?),
        _ => None,
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

fn is_truthy_literal(e: &Expr) -> bool {
    match unparen(e) {
        Expr::Lit(Lit::Bool(b)) => b.value,
        Expr::Lit(Lit::Num(n)) => n.value != 0.0,
        _ => false,
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

/// `for (let i = 0; i < 3; ...)`: a counted loop that certainly runs its body once.
fn counted_loop_runs(init: &VarDeclOrExpr, test: Option<&Expr>) -> bool {
    let start = match init {
        VarDeclOrExpr::VarDecl(v) => v.decls.first().and_then(|d| d.init.as_deref()).and_then(num_lit),
        VarDeclOrExpr::Expr(e) => match unparen(e) {
            Expr::Assign(a) => num_lit(&a.right),
            _ => None,
        },
    };
    let Some(start) = start else { return false };
    let Some(Expr::Bin(b)) = test.map(unparen) else {
        return false;
    };
    let Some(limit) = num_lit(&b.right) else { return false };
    match b.op {
        BinaryOp::Lt => start < limit,
        BinaryOp::LtEq => start <= limit,
        _ => false,
    }
}

fn num_lit(e: &Expr) -> Option<f64> {
    match unparen(e) {
        Expr::Lit(Lit::Num(n)) => Some(n.value),
        _ => None,
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
