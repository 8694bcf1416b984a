//! Functions whose result is whether a parameter is truthy: the node-postgres callback idiom
//! `const shouldAbort = (err) => { if (err) { ...ROLLBACK, done()... } return !!err }`, so that
//! `if (shouldAbort(err)) return` tests `err` (see `build_cond`). Read from the syntax alone, so a
//! declaration hoisted above its first call is known there too.

use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

use super::unparen;

/// The name whose truthiness an expression is: `!!p`, `Boolean(p)`, `p`.
fn tested_name(e: &Expr) -> Option<&str> {
    match unparen(e) {
        Expr::Unary(u) if u.op == UnaryOp::Bang => match unparen(&u.arg) {
            Expr::Unary(v) if v.op == UnaryOp::Bang => match unparen(&v.arg) {
                Expr::Ident(i) => Some(&i.sym),
                _ => None,
            },
            _ => None,
        },
        Expr::Call(c)
            if c.args.len() == 1
                && c.args[0].spread.is_none()
                && matches!(&c.callee, Callee::Expr(f) if matches!(unparen(f), Expr::Ident(i) if &*i.sym == "Boolean")) =>
        {
            match unparen(&c.args[0].expr) {
                Expr::Ident(i) => Some(&i.sym),
                _ => None,
            }
        }
        Expr::Ident(i) => Some(&i.sym),
        _ => None,
    }
}

/// The position of the simple parameter called `name`.
fn param_index(params: &[&Pat], name: &str) -> Option<usize> {
    params
        .iter()
        .position(|p| matches!(p, Pat::Ident(i) if &*i.id.sym == name))
}

/// An arrow's expression body (`(err) => !!err`).
pub(super) fn expr_param_truthiness(params: &[&Pat], body: &Expr) -> Option<usize> {
    param_index(params, tested_name(body)?)
}

/// A block body: it ends with a `return`, and every `return` of its own (not of a nested
/// function) gives the truthiness of the same parameter, which nothing declares again or assigns.
pub(super) fn returns_param_truthiness(params: &[&Pat], body: &[Stmt]) -> Option<usize> {
    if !matches!(body.last(), Some(Stmt::Return(_))) {
        return None;
    }
    let mut v = Returns::default();
    for s in body {
        s.visit_with(&mut v);
    }
    let name = v.names.first()?.as_deref()?;
    if v.names.iter().any(|n| n.as_deref() != Some(name)) || v.rebound.iter().any(|r| r == name) {
        return None;
    }
    param_index(params, name)
}

#[derive(Default)]
struct Returns {
    /// What each `return` tests (`None`: something else, or nothing).
    names: Vec<Option<String>>,
    /// Names declared or assigned in the body.
    rebound: Vec<String>,
}

impl Visit for Returns {
    fn visit_return_stmt(&mut self, r: &ReturnStmt) {
        self.names
            .push(r.arg.as_deref().and_then(tested_name).map(str::to_string));
        r.visit_children_with(self);
    }
    fn visit_binding_ident(&mut self, i: &BindingIdent) {
        self.rebound.push(i.id.sym.to_string());
    }
    fn visit_assign_target(&mut self, t: &AssignTarget) {
        if let AssignTarget::Simple(SimpleAssignTarget::Ident(i)) = t {
            self.rebound.push(i.id.sym.to_string());
        }
        t.visit_children_with(self);
    }
    // Nested functions return for themselves.
    fn visit_function(&mut self, _: &Function) {}
    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
    fn visit_class(&mut self, _: &Class) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truthiness(src: &str) -> Option<usize> {
        let file = crate::source::SourceFile::new("t.js", src.to_string());
        let parsed = crate::parse::parse(&file).expect("parses");
        let Program::Script(s) = &parsed.program else {
            panic!("script")
        };
        let Some(Stmt::Decl(Decl::Fn(f))) = s.body.first() else {
            panic!("a function")
        };
        let params: Vec<&Pat> = f.function.params.iter().map(|p| &p.pat).collect();
        returns_param_truthiness(&params, &f.function.body.as_ref().expect("body").stmts)
    }

    #[test]
    fn a_function_that_returns_whether_its_parameter_is_set() {
        assert_eq!(
            truthiness("function a(err) { if (err) { log(err); } return !!err; }"),
            Some(0)
        );
        assert_eq!(
            truthiness("function a(x, err) { if (!err) return false; return Boolean(err); }"),
            None
        );
        assert_eq!(
            truthiness("function a(x, err) { if (err) return err; return err; }"),
            Some(1)
        );
        assert_eq!(
            truthiness("function a(err) { const f = () => { return 1; }; return !!err; }"),
            Some(0)
        );
        // Falls off the end, returns something else, or the name is rebound.
        assert_eq!(truthiness("function a(err) { if (err) return !!err; }"), None);
        assert_eq!(
            truthiness("function a(err) { if (err) return true; return !!err; }"),
            None
        );
        assert_eq!(truthiness("function a(err) { err = null; return !!err; }"), None);
        assert_eq!(
            truthiness("function a(err) { let err2; { let err = 1; } return !!err; }"),
            None
        );
        assert_eq!(truthiness("function a({ err }) { return !!err; }"), None);
    }
}
