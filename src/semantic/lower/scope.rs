//! Names: the scope stack, declarations and hoisting (`var` and function declarations to the
//! function, `let`/`const`/`class` to the block, imports and static `const` facts before any body
//! runs), and binding a value to a pattern (origin, SQL text, values array, taint). This is where
//! "what a name refers to" is decided; what an expression evaluates to is `expr`'s job.

use std::collections::BTreeMap;

use swc_common::Span;
use swc_ecma_ast::*;

use super::sql_text::static_string;
use super::{Lowerer, Use, Val, is_pool_type, member_origin, module_origin, prop_key_name, taint_member, unparen};
use crate::semantic::model::*;

impl<'a> Lowerer<'a> {
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
            object: Vec::new(),
            import: None,
            shared_client: false,
        });
        id
    }

    /// Declares `name` in the innermost scope (re-declaration returns the existing binding).
    fn declare(&mut self, name: &str, kind: BindingKind, span: Span) -> BindingId {
        let innermost = self.scopes.innermost();
        if let Some(id) = innermost.and_then(|i| self.scopes.get_at(i, name)) {
            return id;
        }
        let id = self.new_binding(name, kind, span);
        if let Some(i) = innermost {
            self.scopes.insert_at(i, name, id);
        }
        id
    }

    /// Declares in the scope of the current function (for `var` and hoisted functions).
    fn declare_in_function_scope(&mut self, name: &str, kind: BindingKind, span: Span) -> BindingId {
        let base = self.fns.last().map(|f| f.scope_base).unwrap_or(0);
        if let Some(id) = self.scopes.get_at(base, name) {
            return id;
        }
        let id = self.new_binding(name, kind, span);
        self.scopes.insert_at(base, name, id);
        id
    }

    pub(super) fn resolve(&mut self, name: &str) -> Option<BindingId> {
        let found = self.scopes.lookup(name)?;
        // `const c = client`: `c` is the client.
        let id = self.aliases.get(&found).copied().unwrap_or(found);
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

    pub(super) fn declare_pat(&mut self, pat: &Pat, kind: BindingKind) -> Vec<BindingId> {
        let mut out = Vec::new();
        self.collect_pat(pat, kind, &mut out, false);
        out
    }

    pub(super) fn collect_pat(&mut self, pat: &Pat, kind: BindingKind, out: &mut Vec<BindingId>, fn_scope: bool) {
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

    pub(super) fn lower_pat_defaults(&mut self, pat: &Pat) {
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
    pub(super) fn hoist_function_scope(&mut self, stmts: &[Stmt]) {
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

    pub(super) fn hoist_lexical<'s>(&mut self, stmts: impl Iterator<Item = &'s Stmt>) {
        for s in stmts {
            if let Stmt::Decl(d) = s {
                self.hoist_decl(d);
            }
        }
    }

    /// Declares a `let`/`const` in the current scope.
    pub(super) fn hoist_lexical_var(&mut self, v: &VarDecl) {
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

    pub(super) fn hoist_decl(&mut self, d: &Decl) {
        match d {
            Decl::Var(v) if v.kind != VarDeclKind::Var => self.hoist_lexical_var(v),
            Decl::Fn(f) => {
                let id = self.declare(&f.ident.sym, BindingKind::Function, f.ident.span);
                let fid = self.alloc_function(f.function.span, Some(f.ident.sym.to_string()), FnRole::Standalone);
                // Known before the body is lowered, for calls written above the declaration.
                if let Some(body) = &f.function.body {
                    let params: Vec<&Pat> = f.function.params.iter().map(|p| &p.pat).collect();
                    self.out.functions[fid as usize].returns_param_truthiness =
                        super::truthiness::returns_param_truthiness(&params, &body.stmts);
                }
                self.predeclared.insert(f.function.span.lo.0, fid);
                self.out.bindings[id as usize].origin = Origin::Function(fid);
            }
            Decl::Class(c) => {
                self.declare(&c.ident.sym, BindingKind::Class, c.ident.span);
            }
            _ => {}
        }
    }

    pub(super) fn hoist_module_items(&mut self, items: &[ModuleItem]) {
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
                        self.out.bindings[id as usize].import = Some(ImportRef {
                            specifier: src,
                            path: Vec::new(),
                        });
                    }
                }
                _ => {}
            }
        }
    }

    fn declare_import(&mut self, imp: &ImportDecl) {
        let src = imp.src.value.to_string_lossy().into_owned();
        for spec in &imp.specifiers {
            let (local, origin, path) = match spec {
                ImportSpecifier::Default(d) => (&d.local, module_origin(&src), vec!["default".to_string()]),
                ImportSpecifier::Namespace(n) => (&n.local, module_origin(&src), Vec::new()),
                ImportSpecifier::Named(n) => {
                    let imported = n
                        .imported
                        .as_ref()
                        .map(|i| i.atom().to_string())
                        .unwrap_or_else(|| n.local.sym.to_string());
                    let origin = member_origin(&module_origin(&src), &imported);
                    (&n.local, origin, vec![imported])
                }
            };
            let id = self.declare(&local.sym, BindingKind::Import, local.span);
            self.out.bindings[id as usize].origin = origin;
            self.out.bindings[id as usize].import = Some(ImportRef {
                specifier: src.clone(),
                path,
            });
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
                varies: false,
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
                            varies: false,
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

    /// Binds the value of an initializer or assignment to a pattern: origins, SQL, taint.
    pub(super) fn assign_pat(&mut self, pat: &Pat, val: &Val) {
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
            import: val.import.as_ref().zip(prop).map(|(r, p)| r.member(p)),
            ..Default::default()
        }
    }

    /// The bindings a value hands over when it leaves (returned, resolved, stored): a name, the
    /// members of an object or array literal (`{ client, done }`, `{ db: client }`, `[client]`),
    /// and what was pushed into a local container (`out.push(client); return out`).
    pub(super) fn escaping(&mut self, e: &Expr, out: &mut Vec<BindingId>) {
        match unparen(e) {
            Expr::Ident(i) => {
                if let Some(b) = self.resolve(&i.sym) {
                    out.push(b);
                    if let Some(inner) = self.contents.get(&b) {
                        out.extend(inner.iter().copied());
                    }
                }
            }
            Expr::Object(o) => {
                for p in &o.props {
                    let PropOrSpread::Prop(p) = p else { continue };
                    match p.as_ref() {
                        Prop::Shorthand(i) => self.escaping(&Expr::Ident(i.clone()), out),
                        Prop::KeyValue(kv) => self.escaping(&kv.value, out),
                        _ => {}
                    }
                }
            }
            Expr::Array(a) => {
                for el in a.elems.iter().flatten() {
                    self.escaping(&el.expr, out);
                }
            }
            _ => {}
        }
    }

    pub(super) fn bind_value(&mut self, b: BindingId, val: &Val) {
        // `const c = client`: the same client under another name, released as either.
        if let Some(src) = val.binding
            && src != b
            && self.out.bindings[b as usize].kind == BindingKind::Const
            && let Origin::Connected(cid) = self.out.bindings[src as usize].origin
            && self.out.connects[cid as usize].target == Some(src)
            && !self.pending_connects.contains(&cid)
        {
            self.aliases.insert(b, src);
            return;
        }
        if !val.taint.is_empty() {
            let ctx = self.cur();
            let entry = ctx.taint.entry(b).or_default();
            taint_union(entry, &val.taint);
        }
        if let Some(call) = val.ext_call {
            self.out.ext_calls[call as usize].target = Some(b);
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
        if let Some(r) = &val.import
            && binding.import.is_none()
            && binding.kind != BindingKind::Param
        {
            binding.import = Some(r.clone());
        }
        if binding.kind == BindingKind::Const {
            if let Some(members) = &val.object
                && binding.object.is_empty()
            {
                binding.object = members.clone();
            }
            if let Some(sql) = &val.sql
                && binding.sql.is_none()
            {
                binding.sql = Some(sql.clone());
            }
            if let Some(array) = &val.array {
                binding.array = Some(array.clone());
            }
            if let Some(config) = &val.query_config {
                self.query_configs.insert(b, (**config).clone());
            }
        } else if matches!(binding.kind, BindingKind::Let | BindingKind::Var) {
            // Assigned in a branch, a loop or a callback: what it holds afterwards depends on the
            // path taken (the text is kept, marked, for the kind of statement it is).
            let straight = self.straight_line.get(&b) == Some(&self.block_key());
            let binding = &mut self.out.bindings[b as usize];
            binding.sql = val.sql.clone().map(|t| SqlTemplate {
                varies: t.varies || !straight,
                ..t
            });
            binding.array = val.array.clone().filter(|_| straight);
        }
    }
}
