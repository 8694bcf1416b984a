//! Functions and statements: opening and closing function contexts (parameters, hoisting on entry),
//! the program and module items, statements and loops lowered to `Op`s in source order, declarations
//! and classes. Expressions inside them are lowered by `expr`, branch conditions by `conds`.

use std::collections::{BTreeSet, HashMap};

use swc_common::Span;
use swc_ecma_ast::*;

use super::{
    FnCtx, Lowerer, SpanExt, Use, Val, is_function_literal, is_pool_type, prop_key_name, taint_member, unparen,
};
use crate::semantic::model::Function;
use crate::semantic::model::*;
use crate::source::TextRange;

impl<'a> Lowerer<'a> {
    pub(super) fn alloc_function(&mut self, span: Span, name: Option<String>, role: FnRole) -> FuncId {
        let id = self.out.functions.len() as FuncId;
        let range = self.range(span);
        let parent = self.fns.last().map(|f| f.id);
        let test_code = self.test_depth > 0
            || parent.is_some_and(|p| self.out.functions.get(p as usize).is_some_and(|f| f.test_code));
        self.out.functions.push(Function {
            id,
            name,
            span: range,
            end: TextRange::new(range.end.saturating_sub(1), range.end),
            parent,
            params: Vec::new(),
            is_async: false,
            role,
            body: Block::default(),
            captures: Vec::new(),
            mentions_retry: false,
            retry_wrapped: false,
            has_db_ops: false,
            return_taint: Taint::new(),
            returns_connect: None,
            unawaited_callback: false,
            test_code,
            returns_sql: None,
            returns_param_truthiness: None,
        });
        id
    }

    /// Opens a function context; `setup` declares its parameters.
    fn enter_function(&mut self, id: FuncId, is_async: bool) {
        let scope_base = self.scopes.len();
        self.scopes.push();
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
        f.returns_sql = self.returned_sql.get(&ctx.id).cloned().flatten();
    }

    /// Lowers a function (declaration, expression, arrow or method) and returns its id.
    pub(super) fn lower_function(&mut self, spec: FnSpec<'_>, param_setup: ParamSetup<'_, 'a>) -> FuncId {
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
        self.out.functions[id as usize].returns_param_truthiness = match body {
            FnBody::Block(stmts, _) => super::truthiness::returns_param_truthiness(params, stmts),
            FnBody::Expr(e) => super::truthiness::expr_param_truthiness(params, e),
            FnBody::None => None,
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
                    self.note_returned_client(&v);
                    self.note_returned_sql(&v);
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

    pub(super) fn lower_fn_expr_like(&mut self, e: &Expr, name: Option<String>, role: FnRole) -> Option<FuncId> {
        self.lower_fn_expr_with(e, name, role, &|_, _, _, _| {})
    }

    pub(super) fn lower_fn_expr_with(
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

    pub(super) fn lower_function_node(
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

    // ----- program and statements -------------------------------------------------------------

    pub(super) fn lower_program(&mut self, program: &Program) {
        let span = match program {
            Program::Module(m) => m.span,
            Program::Script(s) => s.span,
        };
        let id = self.alloc_function(span, Some("<module>".to_string()), FnRole::Standalone);
        debug_assert_eq!(id, MODULE_FN);
        // `await` at the top level is valid only in an ES module: one by its extension, or one
        // that already awaits there (a CommonJS or script file would stop parsing).
        let top_level_await = self.parsed.module_by_extension || has_top_level_await(program);
        self.enter_function(id, top_level_await);
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
                ModuleDecl::ExportDecl(e) => {
                    self.lower_decl(&e.decl);
                    self.record_decl_exports(&e.decl);
                }
                ModuleDecl::ExportDefaultDecl(d) => match &d.decl {
                    DefaultDecl::Fn(f) => {
                        let name = f.ident.as_ref().map(|i| i.sym.to_string()).or(Some("default".into()));
                        let pre = self.predeclared.get(&f.function.span.lo.0).copied();
                        let fid =
                            self.lower_function_node(&f.function, name, FnRole::Standalone, pre, &|_, _, _, _| {});
                        self.set_named_export("default".into(), ExportValue::Func(fid));
                    }
                    DefaultDecl::Class(c) => {
                        let id = self.lower_class(&c.class, c.ident.as_ref().map(|i| i.sym.to_string()));
                        self.set_named_export("default".into(), ExportValue::Class(id));
                    }
                    DefaultDecl::TsInterfaceDecl(_) => {}
                },
                ModuleDecl::ExportDefaultExpr(e) => {
                    let v = if is_function_literal(&e.expr) {
                        let func = self.lower_fn_expr_like(&e.expr, Some("default".into()), FnRole::Standalone);
                        Val {
                            func,
                            ..Default::default()
                        }
                    } else {
                        self.lower_expr(&e.expr, Use::Other)
                    };
                    let value = self.export_value(&v);
                    self.set_named_export("default".into(), value);
                }
                ModuleDecl::TsExportAssignment(a) => {
                    let v = self.lower_expr(&a.expr, Use::Other);
                    self.out.exports.module_exports = Some(self.export_value(&v));
                }
                other => self.record_module_decl_exports(other),
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
            this.scopes.push();
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
                this.scopes.push();
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
                    self.note_returned_client(&v);
                    self.note_returned_sql(&v);
                    let ctx = self.cur();
                    taint_union(&mut ctx.return_taint, &v.taint);
                    self.escaping(arg, &mut escapes);
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
                if self.tests_error_code(&i.test) {
                    let body = self.range(i.cons.span());
                    self.out.error_code_branches.push(body);
                }
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
                self.scopes.push();
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
                let handler = t.handler.as_ref().map(|h| self.range(h.body.span));
                if let Some(h) = handler
                    && handles_unique_violation(self.text.get(h.start as usize..h.end as usize).unwrap_or_default())
                {
                    let body = self.range(t.block.span);
                    self.out.unique_violation_handled.push(body);
                }
                let body = self.lower_block_stmt(&t.block.stmts);
                let catch = t.handler.as_ref().map(|h| {
                    self.block(|this| {
                        this.scopes.push();
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
        self.scopes.push();
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
            Decl::Class(c) => {
                self.lower_class(&c.class, Some(c.ident.sym.to_string()));
            }
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
            if v.kind != VarDeclKind::Const
                && let Pat::Ident(bi) = &d.name
                && let Some(b) = self.scopes.lookup(&bi.id.sym)
            {
                let here = self.block_key();
                self.straight_line.insert(b, here);
            }
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
            if let Pat::Ident(bi) = &d.name
                && super::db_calls::is_new_submittable(init)
                && let Some(b) = self.resolve(&bi.id.sym)
            {
                self.submittables.insert(b);
            }
        }
    }

    /// An instance of a class imported from the project, by its TypeScript type (`UsersRepository`).
    fn imported_type(&self, ann: Option<&TsTypeAnn>) -> Option<ImportRef> {
        let Some(TsType::TsTypeRef(r)) = ann.map(|a| a.type_ann.as_ref()) else {
            return None;
        };
        let TsEntityName::Ident(i) = &r.type_name else {
            return None;
        };
        let b = self.scopes.lookup(&i.sym)?;
        let import = self.out.bindings[b as usize].import.as_ref()?;
        self.is_local(&import.specifier).then(|| import.member(ImportRef::CALL))
    }

    pub(super) fn lower_class(&mut self, class: &Class, name: Option<String>) -> ClassId {
        if let Some(sc) = &class.super_class {
            self.lower_expr(sc, Use::Other);
        }
        let class_id = self.out.classes.len() as ClassId;
        let binding = name.as_deref().and_then(|n| self.scopes.lookup(n));
        self.out.classes.push(ClassInfo {
            id: class_id,
            name: name.clone().unwrap_or_default(),
            binding,
            methods: Vec::new(),
            statics: Vec::new(),
        });
        let cname = name.unwrap_or_else(|| "<class>".to_string());
        // `constructor(private pool: Pool)` and `pool: Pool;` make `this.pool` a pool;
        // `constructor(private users: UsersRepository)` with `UsersRepository` imported makes
        // `this.users` an instance of that class (dependency injection by type).
        let mut this_types: HashMap<String, ImportRef> = HashMap::new();
        for m in &class.body {
            let (prop, ann) = match m {
                ClassMember::Constructor(c) => {
                    for p in &c.params {
                        if let ParamOrTsParamProp::TsParamProp(tp) = p
                            && let TsParamPropParam::Ident(i) = &tp.param
                        {
                            if is_pool_type(i.type_ann.as_deref()) {
                                self.out.typed_pool_paths.insert(format!("this.{}", i.id.sym));
                            } else if let Some(r) = self.imported_type(i.type_ann.as_deref()) {
                                this_types.insert(i.id.sym.to_string(), r);
                            }
                        }
                    }
                    continue;
                }
                ClassMember::ClassProp(p) => (prop_key_name(&p.key), p.type_ann.as_deref()),
                _ => continue,
            };
            let Some(k) = prop else { continue };
            if is_pool_type(ann) {
                self.out.typed_pool_paths.insert(format!("this.{k}"));
            } else if let Some(r) = self.imported_type(ann) {
                this_types.insert(k, r);
            }
        }
        self.this_types.push(this_types);
        for m in &class.body {
            match m {
                ClassMember::Method(cm) => {
                    let key = prop_key_name(&cm.key).unwrap_or_else(|| "<computed>".into());
                    let f = self.lower_function_node(
                        &cm.function,
                        Some(format!("{cname}.{key}")),
                        FnRole::Standalone,
                        None,
                        &|_, _, _, _| {},
                    );
                    let class = &mut self.out.classes[class_id as usize];
                    if cm.is_static {
                        class.statics.push((key, f));
                    } else {
                        class.methods.push((key, f));
                    }
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
        self.this_types.pop();
        class_id
    }
}

/// The shape of a function to lower.
pub(super) struct FnSpec<'s> {
    pub(super) span: Span,
    pub(super) name: Option<String>,
    pub(super) role: FnRole,
    pub(super) params: &'s [&'s Pat],
    pub(super) body: FnBody<'s>,
    pub(super) is_async: bool,
    /// An id allocated when the declaration was hoisted.
    pub(super) prebound: Option<FuncId>,
}

/// Called for each parameter once it is declared: (index, pattern, its bindings).
pub(super) type ParamSetup<'f, 'a> = &'f dyn Fn(&mut Lowerer<'a>, usize, &Pat, &[BindingId]);

/// A function body to lower.
#[derive(Clone, Copy)]
pub(super) enum FnBody<'a> {
    Block(&'a [Stmt], Span),
    Expr(&'a Expr),
    None,
}

/// A catch block that answers a unique (or exclusion) violation: it tests SQLSTATE `23505` or
/// `23P01`, pg's `unique_violation`, a helper or ORM error named for it (`isUniqueViolation(err)`,
/// `UniqueConstraintError`) or a duplicate key, and does not `continue` a loop (that retries an
/// insert whose generated value collided, a random code, not the row the code looked up).
fn handles_unique_violation(catch_text: &str) -> bool {
    let t = catch_text.to_ascii_lowercase();
    let retries = t.match_indices("continue").any(|(i, w)| {
        !t[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            && !t[i + w.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    });
    // `23P01`: an exclusion constraint (no two bookings overlap) decides the same way.
    let named = ["23505", "23p01", "unique", "duplicate", "exclusion"];
    named.iter().any(|n| t.contains(n)) && !retries
}

fn is_truthy_literal(e: &Expr) -> bool {
    match unparen(e) {
        Expr::Lit(Lit::Bool(b)) => b.value,
        Expr::Lit(Lit::Num(n)) => n.value != 0.0,
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

/// Whether a program awaits outside any function (top-level `await` or `for await`).
fn has_top_level_await(program: &Program) -> bool {
    use swc_ecma_visit::{Visit, VisitWith};
    struct Finder(bool);
    impl Visit for Finder {
        fn visit_await_expr(&mut self, _: &AwaitExpr) {
            self.0 = true;
        }
        fn visit_for_of_stmt(&mut self, s: &ForOfStmt) {
            self.0 |= s.is_await;
            s.visit_children_with(self);
        }
        // Functions and classes have their own `await` context.
        fn visit_function(&mut self, _: &swc_ecma_ast::Function) {}
        fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
        fn visit_class(&mut self, _: &Class) {}
    }
    let mut f = Finder(false);
    program.visit_with(&mut f);
    f.0
}
