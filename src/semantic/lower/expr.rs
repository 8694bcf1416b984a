//! Expressions: the value each expression yields (`Val`: taint, origin, SQL text, array elements) in
//! evaluation order, assignments, member accesses, `new`, and the error-code comparisons that mark
//! retry logic. Calls are lowered in `calls`, method calls on handles in `db_calls`.

use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

use super::modules::export_target;
use super::sql_text::{concat_templates, hole_template};
use super::stmt::{FnBody, FnSpec};
use super::{
    Lowerer, QueryConfig, SpanExt, Use, Val, is_function_literal, is_retry_name, member_origin, member_path,
    prop_key_name, prop_name, taint_member, unparen,
};
use crate::semantic::model::*;

impl<'a> Lowerer<'a> {
    pub(super) fn lower_expr(&mut self, e: &Expr, use_: Use) -> Val {
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
                let mut members: Vec<(String, ExportValue)> = Vec::new();
                let mut config = QueryConfig {
                    text: None,
                    values: Values::Missing,
                    values_from: None,
                };
                let mut is_config = true;
                for p in &o.props {
                    match p {
                        PropOrSpread::Spread(s) => {
                            is_config = false;
                            let sv = self.lower_expr(&s.expr, Use::Other);
                            taint_union(&mut v.taint, &sv.taint);
                        }
                        PropOrSpread::Prop(p) => match p.as_ref() {
                            Prop::Shorthand(i) => {
                                let iv = self.lower_ident(i);
                                taint_union(&mut v.taint, &iv.taint);
                                match &*i.sym {
                                    "text" => config.text = iv.sql.clone(),
                                    "values" => {
                                        config.values = self.held_values(&iv, i.span);
                                        config.values_from = iv.binding;
                                    }
                                    _ => {}
                                }
                                let member = match iv.binding {
                                    Some(b) if iv.import.is_none() => self.binding_export(b),
                                    _ => self.export_value(&iv),
                                };
                                members.push((i.sym.to_string(), member));
                            }
                            Prop::KeyValue(kv) => {
                                if let PropName::Computed(c) = &kv.key {
                                    self.lower_expr(&c.expr, Use::Other);
                                }
                                let key = prop_key_name(&kv.key);
                                // A key known only at run time may be `text` or `values`.
                                is_config &= key.is_some();
                                if is_function_literal(&kv.value) {
                                    if let Some(f) = self.lower_fn_expr_like(&kv.value, key.clone(), FnRole::Standalone)
                                    {
                                        self.emit(Op::Closure { func: f });
                                        if let Some(k) = key {
                                            members.push((k, ExportValue::Func(f)));
                                        }
                                    }
                                } else if key.as_deref() == Some("values")
                                    && matches!(unparen(&kv.value), Expr::Array(_))
                                {
                                    config.values = self.lower_values(&kv.value);
                                    if let Values::Array { elems, .. } = &config.values {
                                        for t in elems {
                                            taint_union(&mut v.taint, &t[..]);
                                        }
                                    }
                                    members.push(("values".into(), ExportValue::Unknown));
                                } else {
                                    let pv = self.lower_expr(&kv.value, Use::Other);
                                    taint_union(&mut v.taint, &pv.taint);
                                    match key.as_deref() {
                                        Some("text") => config.text = pv.sql.clone(),
                                        Some("values") => {
                                            config.values = self.held_values(&pv, kv.value.span());
                                            config.values_from = pv.binding;
                                        }
                                        _ => {}
                                    }
                                    if let Some(k) = key {
                                        let member = match pv.binding {
                                            Some(b) if pv.import.is_none() => self.binding_export(b),
                                            _ => self.export_value(&pv),
                                        };
                                        members.push((k, member));
                                    }
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
                                if matches!(p.as_ref(), Prop::Method(_))
                                    && let Some(k) = prop_key_name(key)
                                {
                                    members.push((k, ExportValue::Func(f)));
                                }
                            }
                        },
                    }
                }
                let keys = |k: &str| members.iter().any(|(m, _)| m == k);
                if is_config && (keys("text") || keys("values")) {
                    v.query_config = Some(Box::new(config));
                }
                v.object = Some(members);
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
                if let Some(b) = self.lower_expr(&u.arg, Use::Other).binding {
                    self.reassigned.insert(b);
                }
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
                                varies: false,
                            }),
                            ..Default::default()
                        };
                    }
                    Lit::Num(n) if n.value == 40001.0 => self.cur().mentions_retry = true,
                    _ => {}
                }
                Val::default()
            }
            Expr::Tpl(t) => self.lower_template(t),
            Expr::TaggedTpl(t) => self.lower_tagged_template(t),
            Expr::Class(c) => {
                let id = self.lower_class(&c.class, c.ident.as_ref().map(|i| i.sym.to_string()));
                Val {
                    class: Some(id),
                    ..Default::default()
                }
            }
            Expr::Yield(y) => {
                if let Some(a) = &y.arg {
                    // `const client = yield pool.connect()` (co): as `await`.
                    let mut v = self.lower_expr(a, Use::Await);
                    self.settle_pending_connect(&mut v);
                    if v.connect.is_some() {
                        return Val {
                            connect: v.connect,
                            ..Default::default()
                        };
                    }
                }
                Val::default()
            }
            Expr::Await(a) => {
                let mut v = self.lower_expr(&a.arg, Use::Await);
                self.settle_pending_connect(&mut v);
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
            Expr::Ident(i) => self.scopes.contains(&i.sym),
            Expr::Fn(_) | Expr::Arrow(_) => true,
            Expr::Member(m) => matches!(prop_name(&m.prop).as_deref(), Some("then" | "catch" | "finally")),
            _ => false,
        }
    }

    pub(super) fn lower_ident(&mut self, i: &Ident) -> Val {
        let Some(b) = self.resolve(&i.sym) else {
            return Val::default();
        };
        if self.out.bindings[b as usize].is_retry_code {
            self.cur().mentions_retry = true;
        }
        let binding = &self.out.bindings[b as usize];
        // Read in a callback, a binding changed anywhere before may hold either value (the callback
        // may run before or after the change); a change later in the file is settled at the end.
        let captured_var = binding.func != self.cur_id() && self.reassigned.contains(&b);
        let sql = binding.sql.clone().map(|t| SqlTemplate {
            varies: t.varies || captured_var,
            ..t
        });
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
        let import = binding.import.clone();
        Val {
            taint,
            binding: Some(b),
            sql,
            origin,
            func,
            import,
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
            let guard = self.guard_for(&b.left, &lv.taint);
            let mut rv = Val::default();
            let right_use = if matches!(use_, Use::Discard | Use::Await | Use::Return) {
                use_
            } else {
                Use::Other
            };
            let ops = self.block(|this| rv = this.lower_expr(&b.right, right_use));
            if !ops.0.is_empty() {
                // Built only when the right side does something (a chain of plain operands costs
                // nothing more for each level).
                let cond = if b.op == BinaryOp::NullishCoalescing {
                    Cond::Unknown
                } else {
                    self.build_cond(&b.left)
                };
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
            Expr::Ident(i) => match self.scopes.lookup(&i.sym) {
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
            let v = Val {
                func: f,
                ..Default::default()
            };
            if let Some(target) = export_target(&a.left) {
                self.record_cjs_export(target, &v);
            }
            return v;
        }
        let v = self.lower_expr(&a.right, Use::Bound);
        if a.op == AssignOp::Assign
            && let Some(target) = export_target(&a.left)
        {
            self.record_cjs_export(target, &v);
        }
        match &a.left {
            AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => {
                if let Some(b) = self.resolve(&i.id.sym) {
                    self.reassigned.insert(b);
                    if a.op == AssignOp::Assign {
                        self.bind_value(b, &v);
                    } else {
                        let ctx = self.cur();
                        let entry = ctx.taint.entry(b).or_default();
                        taint_union(entry, &v.taint);
                        // `sql += ' WHERE ...'`: append when both parts are known, else unknown; an
                        // append in a branch, a loop or a callback makes the text vary by path.
                        let straight = self.straight_line.get(&b) == Some(&self.block_key());
                        let binding = &mut self.out.bindings[b as usize];
                        binding.sql = match (a.op, binding.sql.take(), &v.sql) {
                            (AssignOp::AddAssign, Some(l), Some(r)) => {
                                let mut t = concat_templates(&l, r);
                                t.varies |= !straight;
                                Some(t)
                            }
                            _ => None,
                        };
                        binding.array = None;
                    }
                }
            }
            AssignTarget::Simple(SimpleAssignTarget::Member(m)) => {
                // `values[2] = x`: the array's length is no longer the literal's.
                if let Some(b) = self.lower_expr(&m.obj, Use::Other).binding {
                    self.forget_literal(b);
                }
                if let MemberProp::Computed(c) = &m.prop {
                    self.lower_expr(&c.expr, Use::Other);
                }
                // A client stored on an object (`req.client = client`, `this.db = { client }`)
                // lives on elsewhere.
                let mut bindings: Vec<BindingId> = v.binding.into_iter().collect();
                self.escaping(&a.right, &mut bindings);
                if !bindings.is_empty() {
                    self.emit(Op::Escape { bindings });
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
        // `values.length = 0`, `values.splice`: the length of a values array held in a binding is
        // no longer the literal's.
        if let Some(b) = ov.binding {
            self.forget_literal(b);
        }
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
            import: ov.import.as_ref().zip(prop.as_deref()).map(|(r, p)| r.member(p)),
            ..Default::default()
        };
        // `this.usersRepository` typed as an imported class in the constructor.
        if matches!(unparen(&m.obj), Expr::This(_))
            && let Some(p) = &prop
            && let Some(r) = self.this_types.last().and_then(|t| t.get(p))
        {
            v.import = Some(r.clone());
        }
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
                    Expr::Ident(i) if self.scopes.contains(&i.sym) => Origin::Unknown,
                    _ => Origin::NewClient,
                }
            }
            _ => Origin::Unknown,
        };
        // `new UserRepository(pool)`: an instance of a class of this file or of another module.
        let instance_of = match callee {
            Expr::Ident(i) => self
                .scopes
                .lookup(&i.sym)
                .and_then(|b| self.out.classes.iter().find(|c| c.binding == Some(b)))
                .map(|c| c.id),
            _ => None,
        };
        Val {
            origin: Some(origin),
            import: cv.import.map(|r| r.member(ImportRef::CALL)),
            instance_of,
            ..Default::default()
        }
    }
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
