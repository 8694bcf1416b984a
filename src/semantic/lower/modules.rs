//! What a file exchanges with other modules: the values it exports (ESM `export`, CommonJS
//! `module.exports` / `exports.x`) and its calls of imported functions, recorded as
//! [`ExtCall`]s that linking may expand into the statements they send.

use swc_common::Span;
use swc_ecma_ast::*;

use super::{Lowerer, Use, Val, member_path};
use crate::semantic::model::*;

/// Where an assignment stores a module export.
pub(super) enum ExportTarget {
    /// `module.exports = ...`
    Whole,
    /// `module.exports.x = ...` / `exports.x = ...`
    Named(String),
}

/// `module.exports`, `module.exports.x`, `exports.x` as an assignment target.
pub(super) fn export_target(left: &AssignTarget) -> Option<ExportTarget> {
    let AssignTarget::Simple(SimpleAssignTarget::Member(m)) = left else {
        return None;
    };
    let path = member_path(&Expr::Member(m.clone()))?;
    match path.split('.').collect::<Vec<_>>().as_slice() {
        ["module", "exports"] => Some(ExportTarget::Whole),
        ["module", "exports", name] | ["exports", name] => Some(ExportTarget::Named(name.to_string())),
        _ => None,
    }
}

impl<'a> Lowerer<'a> {
    /// What an exported value is, from what the walk knows of it.
    pub(super) fn export_value(&self, v: &Val) -> ExportValue {
        if let Some(f) = v.func {
            return ExportValue::Func(f);
        }
        if let Some(c) = v.instance_of {
            return ExportValue::Instance(c);
        }
        if let Some(c) = v.class {
            return ExportValue::Class(c);
        }
        match v.origin {
            Some(Origin::NewPool) => return ExportValue::Handle(HandleKind::Pool),
            Some(Origin::NewClient) => return ExportValue::Handle(HandleKind::StandaloneClient),
            _ => {}
        }
        if let Some(members) = &v.object {
            return ExportValue::Object(members.clone());
        }
        if let Some(b) = v.binding {
            if let Some(c) = self.out.classes.iter().find(|c| c.binding == Some(b)) {
                return ExportValue::Class(c.id);
            }
            return ExportValue::Binding(b);
        }
        if let Some(r) = &v.import {
            return ExportValue::Import(r.clone());
        }
        if let Some(sql) = &v.sql
            && sql.holes.is_empty()
        {
            return ExportValue::Sql(sql.clone());
        }
        ExportValue::Unknown
    }

    /// Records `module.exports = v` or `exports.name = v` (only at module level: an assignment
    /// inside a function may never run).
    pub(super) fn record_cjs_export(&mut self, target: ExportTarget, v: &Val) {
        if self.cur_id() != MODULE_FN {
            return;
        }
        let value = self.export_value(v);
        match target {
            ExportTarget::Whole => self.out.exports.module_exports = Some(value),
            ExportTarget::Named(name) => self.set_named_export(name, value),
        }
    }

    pub(super) fn set_named_export(&mut self, name: String, value: ExportValue) {
        let named = &mut self.out.exports.named;
        match named.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => named.push((name, value)),
        }
    }

    /// ESM export declarations that are not lowered as statements: `export { a as b }`,
    /// `export { x } from './y'`, `export * from './y'`, `export default <expr>`.
    pub(super) fn record_module_decl_exports(&mut self, d: &ModuleDecl) {
        match d {
            ModuleDecl::ExportNamed(n) => {
                let src = n.src.as_ref().map(|s| s.value.to_string_lossy().into_owned());
                for spec in &n.specifiers {
                    let (orig, exported) = match spec {
                        ExportSpecifier::Named(s) => {
                            let orig = s.orig.atom().to_string();
                            let exported = s
                                .exported
                                .as_ref()
                                .map(|e| e.atom().to_string())
                                .unwrap_or(orig.clone());
                            (Some(orig), exported)
                        }
                        ExportSpecifier::Namespace(s) => (None, s.name.atom().to_string()),
                        ExportSpecifier::Default(s) => (Some("default".to_string()), s.exported.sym.to_string()),
                    };
                    let value = match (&src, orig) {
                        (Some(src), Some(orig)) => ExportValue::Import(ImportRef {
                            specifier: src.clone(),
                            path: vec![orig],
                        }),
                        (Some(src), None) => ExportValue::Import(ImportRef {
                            specifier: src.clone(),
                            path: Vec::new(),
                        }),
                        (None, Some(orig)) => match self.scopes.get_at(0, &orig) {
                            Some(b) => self.binding_export(b),
                            None => ExportValue::Unknown,
                        },
                        (None, None) => ExportValue::Unknown,
                    };
                    self.set_named_export(exported, value);
                }
            }
            ModuleDecl::ExportAll(a) => {
                let src = a.src.value.to_string_lossy().into_owned();
                if !self.out.exports.stars.contains(&src) {
                    self.out.exports.stars.push(src);
                }
            }
            ModuleDecl::TsExportAssignment(_) => {}
            _ => {}
        }
    }

    /// `return pool.connect()` / `return client`: the function hands out a checked-out client.
    pub(super) fn note_returned_client(&mut self, v: &Val) {
        let connect = v
            .connect
            .or_else(|| match v.binding.map(|b| &self.out.bindings[b as usize].origin) {
                Some(Origin::Connected(c)) => Some(*c),
                _ => None,
            });
        if let Some(c) = connect {
            let f = self.cur_id();
            self.out.functions[f as usize].returns_connect = Some(c);
        }
    }

    /// The export of a module-level binding.
    pub(super) fn binding_export(&self, b: BindingId) -> ExportValue {
        if let Some(c) = self.out.classes.iter().find(|c| c.binding == Some(b)) {
            return ExportValue::Class(c.id);
        }
        match &self.out.bindings[b as usize].origin {
            Origin::Function(f) => ExportValue::Func(*f),
            _ => ExportValue::Binding(b),
        }
    }

    /// Names declared by `export const/function/class ...`.
    pub(super) fn record_decl_exports(&mut self, d: &Decl) {
        let names: Vec<String> = match d {
            Decl::Fn(f) => vec![f.ident.sym.to_string()],
            Decl::Class(c) => vec![c.ident.sym.to_string()],
            Decl::Var(v) => v
                .decls
                .iter()
                .filter_map(|d| match &d.name {
                    Pat::Ident(i) => Some(i.id.sym.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for name in names {
            if let Some(b) = self.scopes.get_at(0, &name) {
                let value = self.binding_export(b);
                self.set_named_export(name, value);
            }
        }
    }

    /// A call of a value read from another module. Until linking says otherwise it is an unknown
    /// call (`Op::ExtCall`); its result is tainted by a reserved query slot so that a caller's
    /// check on what a data-access helper returned is a guard on that helper's SELECT.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn emit_ext_call(
        &mut self,
        span: Span,
        callee: ImportRef,
        callee_text: String,
        args: Vec<Arg>,
        arg_taints: Vec<Taint>,
        cargs: &[ExprOrSpread],
        use_: Use,
    ) -> Val {
        let range = self.range(span);
        let arg_sql = cargs.iter().map(|a| self.written_sql(&a.expr)).collect();
        let func = self.cur_id();
        let stmt_range = self.fns.last().map(|f| f.stmt_range).unwrap_or(range);
        let in_async_fn = self.fns.last().is_some_and(|f| f.is_async);
        let await_kind = super::await_kind(use_);
        let result = self.out.queries.len() as QueryId;
        // The reserved slot: a query on no handle until linking fills it in.
        self.out.queries.push(QueryEvent {
            id: result,
            func,
            handle: HandleKey::Global(String::new()),
            receiver: callee_text.clone(),
            receiver_range: range,
            range,
            stmt_range: if stmt_range.contains(range) { stmt_range } else { range },
            sql: SqlArg {
                text: None,
                holes: Vec::new(),
                tagged: false,
                varies: false,
                range,
                info: None,
                inline: false,
                import: None,
                param: None,
            },
            values: Values::Unknown,
            config_object: false,
            callback: None,
            callback_binding: None,
            callback_other: false,
            submittable: false,
            await_kind,
            in_async_fn,
            head: range,
            args_range: range,
            via: None,
        });
        let id = self.out.ext_calls.len() as ExtCallId;
        self.out.ext_calls.push(ExtCall {
            id,
            func,
            callee: callee.clone(),
            callee_text,
            args,
            arg_taints,
            arg_sql,
            range,
            await_kind,
            in_async_fn,
            result,
            target: None,
            runs_tx: None,
            ends_pool: None,
            shared_client_tx: None,
        });
        self.emit(Op::ExtCall(id));
        Val {
            taint: vec![(result, Field::Returned)],
            import: Some(callee.member(ImportRef::CALL)),
            ext_call: Some(id),
            ..Default::default()
        }
    }
}
