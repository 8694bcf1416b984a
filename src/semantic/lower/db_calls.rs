//! Method calls, and the database calls among them: `.query(...)` and `.connect(...)` become
//! `QueryEvent`s and `ConnectEvent`s (receiver, SQL, values, callbacks), `.release()` a release.
//! Callbacks that run in place (`forEach`, managed-transaction callbacks), route handlers and HTTP
//! responses are recognised here too. Whether a receiver really is a pg handle is left to `handles`.

use swc_common::Span;
use swc_ecma_ast::*;

use super::asserts::unwrap_callback;
use super::sql_text::Formatter;
use super::{
    Lowerer, ReadInCallback, SpanExt, Use, Val, chain_root, is_falsy_literal, is_function_literal, is_retry_name,
    member_path, prop_key_name, prop_name, taint_member, unparen,
};
use crate::semantic::model::*;
use crate::semantic::sql;
use crate::source::TextRange;

/// String methods that cut or tidy a SQL text without changing which statement it is.
const STRING_TRIMS: &[&str] = &[
    "slice",
    "substring",
    "substr",
    "trim",
    "trimEnd",
    "trimStart",
    "trimRight",
    "trimLeft",
    "replace",
    "replaceAll",
];
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

impl<'a> Lowerer<'a> {
    /// Handing a client to a function named like a release helper, or handing over its release
    /// callback (`stream.on('end', done)`), ends our knowledge of it.
    pub(super) fn escape_to_unknown_callee(&mut self, name: &str, args: &[Arg]) {
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

    /// `pool.end()`, `this.pool.end()`: recorded whatever the receiver, except an HTTP response.
    fn record_end_call(&mut self, span: Span, m: &MemberExpr) {
        if chain_root(&m.obj).is_some_and(|r| matches!(&*r.sym, "res" | "response" | "reply" | "ctx")) {
            return;
        }
        let Some((handle, receiver)) = self.handle_key(&m.obj) else {
            return;
        };
        let range = self.range(span);
        let func = self.cur_id();
        self.out.end_calls.push(EndCall {
            func,
            handle,
            receiver,
            range,
        });
    }

    /// A callback that releases a client of the code around it (`stream.on('end', () =>
    /// client.release())`, `cursor.close(() => done())`, `setTimeout(() => client.release())`)
    /// runs later, once: it is the rest of that client's story, and its paths that do not release
    /// it leak it. Any other callback stays a closure that may run at any time.
    pub(super) fn detach_if_releasing(&mut self, f: FuncId) -> bool {
        if !self.releases_captured(f, f) {
            return false;
        }
        self.out.functions[f as usize].role = FnRole::Continuation;
        self.emit(Op::Detached {
            body: Block(vec![Op::Inline {
                func: f,
                role: FnRole::Continuation,
            }]),
        });
        true
    }

    /// Whether `f` (or a callback it runs: in place, or a query's or connect's) releases a client
    /// declared outside `top`.
    fn releases_captured(&self, f: FuncId, top: FuncId) -> bool {
        let mut found = false;
        let mut inner = Vec::new();
        crate::semantic::flow::walk_ops(&self.out.functions[f as usize].body, &mut |op| match op {
            // A client from a connect, or its `done` (not `pool.end()`).
            Op::Release { binding, .. } => {
                let b = &self.out.bindings[*binding as usize];
                found |=
                    matches!(b.origin, Origin::Connected(_) | Origin::ReleaseFn(_)) && !self.is_nested_in(b.func, top);
            }
            Op::Inline { func, .. } => inner.push(*func),
            Op::Query(q) => inner.extend(self.out.queries[*q as usize].callback),
            Op::Connect(c) => inner.extend(self.out.connects[*c as usize].callback),
            _ => {}
        });
        found || inner.into_iter().any(|g| self.releases_captured(g, top))
    }

    /// Whether function `g` is `top` or nested in it.
    fn is_nested_in(&self, mut g: FuncId, top: FuncId) -> bool {
        loop {
            if g == top {
                return true;
            }
            match self.out.functions.get(g as usize).and_then(|f| f.parent) {
                Some(p) => g = p,
                None => return false,
            }
        }
    }

    /// `const p = pool.connect(); ...; const client = await p`: the client is what the awaited
    /// promise gives, acquired by that connect.
    pub(super) fn settle_pending_connect(&mut self, v: &mut Val) {
        if v.connect.is_none()
            && let Some(p) = v.binding
            && let Origin::Connected(cid) = self.out.bindings[p as usize].origin
            && self.out.connects[cid as usize].target == Some(p)
            && self.pending_connects.remove(&cid)
        {
            v.connect = Some(cid);
            v.binding = None;
            v.origin = None;
            // The client is acquired (or the connect fails) here, not where the promise was made.
            let mut moved = false;
            for block in self.cur().blocks.iter_mut() {
                if let Some(i) = block.iter().position(|op| matches!(op, Op::Connect(c) if *c == cid)) {
                    block.remove(i);
                    moved = true;
                    break;
                }
            }
            if moved {
                self.emit(Op::Connect(cid));
            }
        }
    }

    /// `this.clients.push(client)`, `pending.set(id, client)`: a client stored in a structure
    /// that outlives the call is not ours to release; one stored in a local container leaves
    /// with it (see `escaping`).
    fn store_in_container(&mut self, obj: &Expr, method: &str, cargs: &[ExprOrSpread]) {
        if !matches!(method, "push" | "unshift" | "add" | "set") {
            return;
        }
        let mut stored = Vec::new();
        for a in cargs {
            self.escaping(&a.expr, &mut stored);
        }
        if stored.is_empty() {
            return;
        }
        match unparen(obj) {
            Expr::Ident(i) => {
                if let Some(container) = self.resolve(&i.sym) {
                    self.contents.entry(container).or_default().extend(stored);
                }
            }
            Expr::Member(_) => self.emit(Op::Escape { bindings: stored }),
            _ => {}
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

    pub(super) fn lower_method_call(
        &mut self,
        span: Span,
        cargs: &[ExprOrSpread],
        m: &MemberExpr,
        method: &str,
        use_: Use,
    ) -> Val {
        match method {
            "query" => return self.lower_query(span, cargs, m, use_),
            name if CONNECT_METHODS.contains(&name) => return self.lower_connect(span, cargs, m, name, use_),
            "release" | "end" => {
                if method == "end" {
                    self.record_end_call(span, m);
                }
                // `res.end()` ends an HTTP response, not a connection.
                if let Expr::Ident(i) = unparen(&m.obj)
                    && !(method == "end" && matches!(&*i.sym, "res" | "response" | "reply"))
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
            // `process.exit()`: the process ends, and its connections with it.
            "exit" if matches!(unparen(&m.obj), Expr::Ident(i) if &*i.sym == "process" && self.scopes.lookup("process").is_none()) =>
            {
                for a in cargs {
                    self.lower_arg(&a.expr);
                }
                self.emit(Op::Halt);
                return Val::default();
            }
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
                    if method == "forEach" && this.out.functions[f as usize].is_async {
                        this.out.functions[f as usize].unawaited_callback = true;
                    }
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
            let ov = self.lower_expr(&m.obj, Use::Other);
            let mut args = Vec::new();
            for a in cargs {
                if is_function_literal(&a.expr) {
                    let f = self.lower_fn_expr_like(&a.expr, Some(format!("{method} callback")), FnRole::ManagedTx);
                    args.push(f.map_or(Arg::Other, Arg::Func));
                } else {
                    self.lower_expr(&a.expr, Use::Other);
                    args.push(Arg::Other);
                }
            }
            // `db.transaction(cb)` on a module of the project: linking may find its wrapper.
            if let Some(r) = ov.import.filter(|r| self.is_local(&r.specifier)) {
                let text = format!("{}.{method}", member_path(&m.obj).unwrap_or_default());
                let taints = vec![Taint::new(); args.len()];
                self.emit_ext_call(span, r.member(method), text, args, taints, cargs, use_);
            }
            return Val::default();
        }
        let ov = self.lower_expr(&m.obj, Use::Other);
        if let Some(kind) = ov.import.as_ref().and_then(|r| Formatter::of(&r.member(method))) {
            return self.lower_format_call(kind, cargs);
        }
        // `sql = sql.slice(0, -1)` (the trailing comma of a built VALUES list), `sql.trim()`: the
        // same statement, its text cut.
        if let Some(t) = ov.sql.as_ref().filter(|_| STRING_TRIMS.contains(&method)) {
            let sql = SqlTemplate {
                varies: true,
                ..t.clone()
            };
            for a in cargs {
                self.lower_arg(&a.expr);
            }
            return Val {
                sql: Some(sql),
                taint: ov.taint,
                ..Default::default()
            };
        }
        // `values.push(x)`: the length of a values array held in a binding is no longer known.
        if let Some(b) = ov.binding {
            self.forget_literal(b);
        }
        let range = self.range(span);
        let registers_route = is_route_registration(m, method, cargs);
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
        let mut arg_taints = Vec::new();
        let local_receiver = ov.import.as_ref().is_some_and(|r| self.is_local(&r.specifier));
        let test_runner = self.is_test_runner_method(&m.obj, method, cargs);
        self.test_depth += u32::from(test_runner);
        for a in cargs {
            let arg = if is_function_literal(&a.expr) {
                let f = self.lower_fn_expr_like(&a.expr, route.clone(), FnRole::Standalone);
                if let Some(f) = f {
                    if route.is_some() || local_receiver || !self.detach_if_releasing(f) {
                        self.emit(Op::Closure { func: f });
                    }
                    if registers_route {
                        self.out.route_handlers.push(f);
                    }
                    if is_retry_name(method) {
                        self.out.functions[f as usize].retry_wrapped = true;
                    }
                    Arg::Func(f)
                } else {
                    Arg::Other
                }
            } else {
                let (arg, t) = self.lower_arg(&a.expr);
                if registers_route && let Arg::Binding(b) = arg {
                    self.out.route_handler_bindings.push(b);
                }
                taint_union(&mut taint, &t);
                arg_taints.push(t);
                args.push(arg);
                continue;
            };
            arg_taints.push(Taint::new());
            args.push(arg);
        }
        self.test_depth -= u32::from(test_runner);
        // `includes(err.code)` against a list held elsewhere may be the 40001 test.
        if method == "includes"
            && cargs.first().is_some_and(
                |a| matches!(unparen(&a.expr), Expr::Member(mm) if prop_name(&mm.prop).as_deref() == Some("code")),
            )
        {
            self.cur().mentions_retry = true;
        }
        self.escape_to_unknown_callee(method, &args);
        self.store_in_container(&m.obj, method, cargs);
        self.note_response_handed(cargs, range);
        if RESPONSE_METHODS.contains(&method)
            && chain_root(&m.obj).is_some_and(|r| matches!(&*r.sym, "res" | "response" | "reply" | "ctx"))
        {
            self.emit(Op::Respond { range, handed: false });
        }
        // `userDal.insert(client, u)`, `repo.save(x)`: a function of another module.
        if let Some(r) = ov.import.as_ref().filter(|r| self.is_local(&r.specifier)) {
            let text = format!("{}.{method}", member_path(&m.obj).unwrap_or_else(|| "<object>".into()));
            let mut v = self.emit_ext_call(span, r.member(method), text, args, arg_taints, cargs, use_);
            taint_union(&mut v.taint, &taint);
            return v;
        }
        Val {
            taint,
            ..Default::default()
        }
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
        let mut callback_other = false;
        let mut submittable = false;
        let mut inline_text = false;
        let mut sql_import: Option<ImportRef> = None;
        if let Some(first) = first {
            sql_range = self.range(first.expr.span());
            match unparen(&first.expr) {
                Expr::Object(o) if first.spread.is_none() => {
                    config_object = true;
                    let mut has_spread = false;
                    for p in &o.props {
                        match p {
                            PropOrSpread::Spread(s) => {
                                let sv = self.lower_expr(&s.expr, Use::Other);
                                // `{ ...FIND_USER, values: [id] }` with a const config (a named
                                // prepared statement): its text and values, unless given after.
                                match sv.binding.and_then(|b| self.query_configs.get(&b)) {
                                    Some(config) => {
                                        sql_template = config.text.clone();
                                        sql_range = self.range(s.expr.span());
                                        inline_text = false;
                                        if !matches!(config.values, Values::Missing) {
                                            values = Values::Unknown;
                                        }
                                    }
                                    None => has_spread = true,
                                }
                            }
                            PropOrSpread::Prop(p) => match p.as_ref() {
                                Prop::KeyValue(kv) => {
                                    let key = prop_key_name(&kv.key);
                                    match key.as_deref() {
                                        Some("text") => {
                                            inline_text = matches!(unparen(&kv.value), Expr::Lit(_) | Expr::Tpl(_));
                                            let v = self.lower_expr(&kv.value, Use::Arg);
                                            sql_template = v.sql;
                                            sql_import = v.import;
                                            sql_range = self.range(kv.value.span());
                                        }
                                        Some("values") => values = self.lower_values(&kv.value),
                                        _ => {
                                            // `[key]: v` with a key known only at run time may
                                            // be `text` or `values`.
                                            if let PropName::Computed(c) = &kv.key {
                                                has_spread |= key.is_none();
                                                self.lower_expr(&c.expr, Use::Other);
                                            }
                                            self.lower_expr(&kv.value, Use::Other);
                                        }
                                    }
                                }
                                Prop::Shorthand(i) => {
                                    let v = self.lower_ident(i);
                                    match &*i.sym {
                                        "text" => sql_template = v.sql,
                                        "values" => values = self.held_values(&v, i.span),
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
                            TrailingArg::CallbackOther => callback_other = true,
                            TrailingArg::Values(v) => values = v,
                            TrailingArg::Other => {}
                        }
                    }
                }
                _ => {
                    inline_text = matches!(unparen(&first.expr), Expr::Lit(_) | Expr::Tpl(_));
                    let v = self.lower_expr(&first.expr, Use::Arg);
                    submittable =
                        is_submittable(&first.expr, &v) || v.binding.is_some_and(|b| self.submittables.contains(&b));
                    sql_template = v.sql;
                    sql_import = v.import;
                    // `client.query(cfg)` with `const cfg = { text, values }`.
                    if let Some(config) = v.binding.and_then(|b| self.query_configs.get(&b)) {
                        config_object = true;
                        sql_template = config.text.clone();
                        values = match (&config.values, config.values_from) {
                            (Values::Array { range, .. }, Some(b)) => {
                                match self.out.bindings[b as usize].array.clone() {
                                    Some(elems) => Values::Array {
                                        elems,
                                        range: *range,
                                        texts: Vec::new(),
                                    },
                                    None => Values::Unknown,
                                }
                            }
                            (v, _) => v.clone(),
                        };
                    }
                    if first.spread.is_some() {
                        sql_template = None;
                        sql_import = None;
                        values = Values::Unknown;
                    }
                    if let Some(next) = args.next() {
                        match self.trailing_arg(&next.expr, true) {
                            TrailingArg::Callback(e) => callback_expr = Some(e),
                            TrailingArg::CallbackBinding(b) => callback_binding = Some(b),
                            TrailingArg::CallbackOther => callback_other = true,
                            TrailingArg::Values(v) => values = v,
                            TrailingArg::Other => {}
                        }
                    }
                }
            }
            if callback_expr.is_none()
                && callback_binding.is_none()
                && !callback_other
                && let Some(next) = args.next()
            {
                match self.trailing_arg(&next.expr, false) {
                    TrailingArg::Callback(e) => callback_expr = Some(e),
                    TrailingArg::CallbackBinding(b) => callback_binding = Some(b),
                    TrailingArg::CallbackOther => callback_other = true,
                    TrailingArg::Values(_) | TrailingArg::Other => {}
                }
            }
            for rest in args {
                self.lower_arg(&rest.expr);
            }
        }
        let info = sql_template.as_ref().and_then(|t| sql::classify(&t.text));
        if sql_template.is_some() {
            sql_import = None;
        }
        let non_callback: Vec<&ExprOrSpread> = cargs.iter().filter(|a| unwrap_callback(&a.expr).is_none()).collect();
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
        if !config_object {
            let text = self.outer_binding(cargs.first());
            let values = self.outer_binding(cargs.get(1));
            if text.is_some() || values.is_some() {
                self.read_in_callbacks.push(ReadInCallback {
                    query: id,
                    text,
                    values,
                });
            }
        }
        let func = self.cur_id();
        let await_kind = super::await_kind(use_);
        let range = self.range(span);
        let stmt_range = self.fns.last().map(|f| f.stmt_range).unwrap_or(range);
        let in_async_fn = self.fns.last().is_some_and(|f| f.is_async);
        let param = match first.map(|a| unparen(&a.expr)) {
            Some(Expr::Ident(i)) if sql_template.is_none() && !config_object => self.resolve(&i.sym).filter(|b| {
                let b = &self.out.bindings[*b as usize];
                b.kind == BindingKind::Param && b.func == self.cur_id()
            }),
            _ => None,
        };
        let sql = SqlArg {
            param,
            text: sql_template.as_ref().map(|t| t.text.clone()),
            holes: sql_template.as_ref().map(|t| t.holes.clone()).unwrap_or_default(),
            tagged: sql_template.as_ref().is_some_and(|t| t.tagged),
            varies: sql_template.as_ref().is_some_and(|t| t.varies),
            range: sql_range,
            info,
            inline: inline_text,
            import: sql_import,
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
            callback_other,
            submittable,
            await_kind,
            in_async_fn,
            head,
            args_range,
            via: None,
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
        if let Some((f, _)) = unwrap_callback(e) {
            // A test's wrapper (`assert.calls(fn)`) is the callback it wraps.
            TrailingArg::Callback(f)
        } else if let Some(b) = self.callback_ident(e) {
            TrailingArg::CallbackBinding(b)
        } else if (!values_allowed && !is_falsy_literal(e)) || looks_like_callback(e) {
            // After the values only a callback goes (`query(text, values, callback)`).
            self.lower_expr(e, Use::Other);
            TrailingArg::CallbackOther
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
        let b = self.scopes.lookup(&i.sym)?;
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

    pub(super) fn lower_values(&mut self, e: &Expr) -> Values {
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
                self.held_values(&v, other.span())
            }
        }
    }

    /// Values held in a binding (`const params = [a, b]`), written at `span`. Read in a callback,
    /// an array changed before may have been changed before the callback runs (a change later in
    /// the file is settled at the end).
    pub(super) fn held_values(&self, v: &Val, span: Span) -> Values {
        let held = v
            .binding
            .filter(|b| !(self.out.bindings[*b as usize].func != self.cur_id() && self.array_changed(*b)));
        match held.and_then(|b| self.out.bindings[b as usize].array.clone()) {
            Some(elems) => Values::Array {
                elems,
                range: self.range(span),
                texts: Vec::new(),
            },
            None => Values::Unknown,
        }
    }

    /// `values.push(x)`, `cfg.values = [...]`, `fill(values)`: an array or query config held in
    /// `b` is changed, or may be, so its literal no longer tells its length.
    pub(super) fn forget_literal(&mut self, b: BindingId) {
        self.out.bindings[b as usize].array = None;
        self.query_configs.remove(&b);
        self.mutated.insert(b);
    }

    fn array_changed(&self, b: BindingId) -> bool {
        self.reassigned.contains(&b) || self.mutated.contains(&b)
    }

    /// The binding of an enclosing function an argument names (`sql` in a callback's
    /// `pool.query(sql, values)`).
    fn outer_binding(&self, e: Option<&ExprOrSpread>) -> Option<BindingId> {
        let Expr::Ident(i) = unparen(&e?.expr) else { return None };
        let b = self.scopes.lookup(&i.sym)?;
        (self.out.bindings[b as usize].func != self.cur_id()).then_some(b)
    }

    /// A query in a callback sent a binding of an enclosing function that is changed later in the
    /// file: the callback may run after the change, so the text varies and the values are unknown.
    pub(super) fn settle_reads_in_callbacks(&mut self) {
        for r in std::mem::take(&mut self.read_in_callbacks) {
            let text_changed = r.text.is_some_and(|b| self.reassigned.contains(&b));
            let values_changed = r.values.is_some_and(|b| self.array_changed(b));
            let q = &mut self.out.queries[r.query as usize];
            if text_changed {
                q.sql.varies = true;
            }
            if values_changed && matches!(q.values, Values::Array { .. }) {
                q.values = Values::Unknown;
            }
        }
    }

    fn lower_connect(&mut self, span: Span, cargs: &[ExprOrSpread], m: &MemberExpr, method: &str, use_: Use) -> Val {
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
            method: method.to_string(),
            foreign: false,
        });
        self.cur().has_db_ops = true;
        self.emit(Op::Connect(id));
        // `(err, client, done) => ...`, or wrapped by a test (`assert.success((client, done) => ...)`).
        let cb = cargs.iter().find_map(|a| unwrap_callback(&a.expr));
        for a in cargs {
            if unwrap_callback(&a.expr).is_none() {
                self.lower_expr(&a.expr, Use::Other);
            }
        }
        if let Some((cb, no_err)) = cb {
            let setup = move |this: &mut Self, i: usize, _: &Pat, ids: &[BindingId]| {
                let Some(&b) = ids.first() else { return };
                match if no_err { i + 1 } else { i } {
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
            let f = self.lower_fn_expr_with(cb, None, FnRole::Continuation, &setup);
            self.out.connects[id as usize].callback = f;
            return Val::default();
        }
        if use_ == Use::Bound {
            self.pending_connects.insert(id);
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
    /// A callback the flow does not follow (`this.handle`, `handler.bind(this)`).
    CallbackOther,
    Values(Values),
    Other,
}

/// `app.post('/orders', ...)`, `router.get(/re/, ...)`, `app.use(fn)`, `router.use('/api', ...)`:
/// the functions given run while a request is served. A first argument that is a path (or a
/// receiver named like an app or router for `use`) tells a route from `map.get(key)`.
fn is_route_registration(m: &MemberExpr, method: &str, cargs: &[ExprOrSpread]) -> bool {
    if !HTTP_METHODS.contains(&method) || cargs.len() < 2 && method != "use" {
        return false;
    }
    let path_first = cargs.first().is_some_and(|a| match unparen(&a.expr) {
        Expr::Lit(Lit::Str(s)) => s.value.to_string_lossy().starts_with('/'),
        Expr::Lit(Lit::Regex(_)) => true,
        Expr::Tpl(t) => t.quasis.first().is_some_and(|q| q.raw.starts_with('/')),
        _ => false,
    });
    let app_like = chain_root(&m.obj).is_some_and(|r| {
        let n = r.sym.to_ascii_lowercase();
        n == "app" || n == "server" || n == "api" || n == "fastify" || n.ends_with("router") || n.ends_with("app")
    });
    path_first || (method == "use" && app_like)
}

/// `new QueryStream(...)`, `new Cursor(...)`, or a name holding one (from pg-query-stream,
/// pg-cursor): `query` returns the stream or cursor.
pub(super) fn is_submittable(e: &Expr, v: &Val) -> bool {
    let from_package = v
        .import
        .as_ref()
        .is_some_and(|r| matches!(r.specifier.as_str(), "pg-query-stream" | "pg-cursor"));
    let named = match unparen(e) {
        Expr::New(n) => match unparen(&n.callee) {
            Expr::Ident(i) => Some(i.sym.to_string()),
            Expr::Member(m) => prop_name(&m.prop),
            _ => None,
        },
        _ => None,
    };
    from_package || named.is_some_and(|n| n == "QueryStream" || n == "Cursor")
}

/// `new QueryStream(...)`, `new Cursor(...)` by the class's name.
pub(super) fn is_new_submittable(e: &Expr) -> bool {
    is_submittable(e, &Val::default())
}

/// A value passed where a callback or the values may go that is a callback by its looks:
/// `handler.bind(this)`, `this.onResult`, `this.handleRows`, `callbacks.done`.
fn looks_like_callback(e: &Expr) -> bool {
    match unparen(e) {
        Expr::Call(c) => matches!(&c.callee, Callee::Expr(callee)
            if matches!(unparen(callee), Expr::Member(m) if prop_name(&m.prop).as_deref() == Some("bind"))),
        Expr::Member(m) => prop_name(&m.prop).is_some_and(|p| {
            let lower = p.to_ascii_lowercase();
            (p.starts_with("on") && p[2..].starts_with(|c: char| c.is_ascii_uppercase()))
                || lower.starts_with("handle")
                || lower.ends_with("callback")
                || lower.ends_with("cb")
                || lower.ends_with("handler")
                || matches!(lower.as_str(), "done" | "next")
        }),
        _ => false,
    }
}
