//! Calls: arguments (function literals become functions of their own), calls of names (local
//! functions, imported helpers, `require`, retry helpers, test runners), and `.then`/`.catch`/
//! `.finally` chains. Method calls on database handles are dispatched to `db_calls`.

use swc_common::Span;
use swc_ecma_ast::*;

use super::sql_text::Formatter;
use super::{
    Lowerer, SpanExt, Use, Val, is_falsy_literal, is_function_literal, is_retry_name, module_origin, prop_name, unparen,
};
use crate::semantic::model::*;

impl<'a> Lowerer<'a> {
    /// Lowers a call argument: function literals become standalone functions that may run later.
    pub(super) fn lower_arg(&mut self, e: &Expr) -> (Arg, Taint) {
        if is_function_literal(e) {
            if let Some(f) = self.lower_fn_expr_like(e, None, FnRole::Standalone) {
                self.emit(Op::Closure { func: f });
                return (Arg::Func(f), Taint::new());
            }
            return (Arg::Other, Taint::new());
        }
        let v = self.lower_expr(e, Use::Arg);
        let arg = match v.binding {
            Some(b) => {
                // A values array handed to a function may be filled there.
                self.forget_literal(b);
                Arg::Binding(b)
            }
            None => Arg::Other,
        };
        (arg, v.taint)
    }

    pub(super) fn lower_call(&mut self, c: &CallExpr, use_: Use) -> Val {
        let Callee::Expr(callee) = &c.callee else {
            for a in &c.args {
                self.lower_arg(&a.expr);
            }
            return Val::default();
        };
        match unparen(callee) {
            Expr::Member(m) => {
                if let Some(method) = prop_name(&m.prop) {
                    let v = self.lower_method_call(c.span, &c.args, m, &method, use_);
                    self.assert_method_call(m, &method, &c.args);
                    return v;
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
            let specifier = s.value.to_string_lossy().into_owned();
            return Val {
                origin: Some(module_origin(&specifier)),
                import: Some(ImportRef {
                    specifier,
                    path: Vec::new(),
                }),
                ..Default::default()
            };
        }
        if is_retry_name(&name) {
            self.cur().mentions_retry = true;
        }
        let binding = self.resolve(&i.sym);
        if let Some(kind) = binding
            .and_then(|b| self.out.bindings[b as usize].import.as_ref())
            .and_then(Formatter::of)
        {
            return self.lower_format_call(kind, cargs);
        }
        let mut args = Vec::new();
        let mut arg_taints = Vec::new();
        // A value computed from query results stays derived from them (`Number(rows[0].n)`).
        let mut taint = Taint::new();
        // `setTimeout(() => client.release(), ms)`: a callback that runs later, once.
        let timer = binding.is_none() && matches!(&*name, "setTimeout" | "setImmediate" | "queueMicrotask");
        if name == "assert" {
            self.assert_call(cargs);
        }
        let test_runner = self.is_test_runner_call(&name);
        self.test_depth += u32::from(test_runner);
        for a in cargs {
            if timer
                && is_function_literal(&a.expr)
                && let Some(f) = self.lower_fn_expr_like(&a.expr, None, FnRole::Standalone)
            {
                if !self.detach_if_releasing(f) {
                    self.emit(Op::Closure { func: f });
                }
                args.push(Arg::Func(f));
                arg_taints.push(Taint::new());
                continue;
            }
            let (arg, t) = self.lower_arg(&a.expr);
            taint_union(&mut taint, &t);
            arg_taints.push(t);
            if is_retry_name(&name)
                && let Arg::Func(f) = arg
            {
                self.out.functions[f as usize].retry_wrapped = true;
            }
            args.push(arg);
        }
        self.test_depth -= u32::from(test_runner);
        let range = self.range(span);
        // A rejected promise surfaces here only when waited for: `return f()` counts in an async
        // function (the caller's await sees it), not in a plain callback.
        let in_async = self.fns.last().is_some_and(|f| f.is_async);
        let awaited = matches!(use_, Use::Await | Use::Then | Use::PromiseAll) || (use_ == Use::Return && in_async);
        self.note_response_handed(cargs, range);
        let Some(b) = binding else {
            if name == "next" {
                self.emit(Op::Respond { range, handed: false });
            }
            self.escape_to_unknown_callee(&name, &args);
            return Val {
                taint,
                ..Default::default()
            };
        };
        // A function of another module: linking decides what it does.
        if let Some(callee) = self.out.bindings[b as usize].import.clone()
            && self.is_local(&callee.specifier)
            && !matches!(
                self.out.bindings[b as usize].origin,
                Origin::Function(_) | Origin::ReleaseFn(_)
            )
        {
            self.escape_to_unknown_callee(&name, &args);
            let mut v = self.emit_ext_call(span, callee, name, args, arg_taints, cargs, use_);
            taint_union(&mut v.taint, &taint);
            return v;
        }
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
                    self.emit(Op::Respond { range, handed: false });
                }
                // `resolve(client)`, `cb(null, client, done)`: handed to whoever waits for it.
                if self.out.bindings[b as usize].kind == BindingKind::Param
                    && (name == "resolve" || cargs.first().is_some_and(|a| is_falsy_literal(&a.expr)))
                {
                    let mut bindings = Vec::new();
                    for a in cargs {
                        self.escaping(&a.expr, &mut bindings);
                    }
                    if !bindings.is_empty() {
                        self.emit(Op::Escape { bindings });
                    }
                }
                self.escape_to_unknown_callee(&name, &args);
                // A helper of this file that returns a value derived from a query result, or SQL.
                let mut sql = None;
                if let Origin::Function(fid) = self.out.bindings[b as usize].origin {
                    let returned = self.out.functions[fid as usize].return_taint.clone();
                    taint_union(&mut taint, &returned);
                    sql = self.call_sql(fid);
                }
                if use_ == Use::Discard {
                    let func = self.cur_id();
                    self.out.floating_calls.push(FloatingCall {
                        func,
                        binding: b,
                        range,
                        callee_text: name.clone(),
                    });
                }
                self.emit(Op::CallBinding {
                    binding: b,
                    args,
                    range,
                    awaited,
                });
                Val {
                    taint,
                    sql,
                    ..Default::default()
                }
            }
        }
    }

    pub(super) fn lower_chain(&mut self, cargs: &[ExprOrSpread], m: &MemberExpr, method: &str, use_: Use) -> Val {
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

    /// `sendError(res, err)`, `utils.fail(res, 500)`: the response object handed to a helper, which
    /// may answer the request.
    pub(super) fn note_response_handed(&mut self, cargs: &[ExprOrSpread], range: crate::source::TextRange) {
        if cargs
            .iter()
            .any(|a| matches!(unparen(&a.expr), Expr::Ident(i) if matches!(&*i.sym, "res" | "response" | "reply")))
        {
            self.emit(Op::Respond { range, handed: true });
        }
    }
}
