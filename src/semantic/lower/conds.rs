//! The conditions of branches, as far as the flow analysis uses them (which bindings they test
//! for truthiness, under `!`, `&&`, `||`), and the guards on query results.

use swc_ecma_ast::*;

use super::{Lowerer, SpanExt, unparen};
use crate::semantic::model::*;

/// Simple tests and their outcomes (see [`Guard::when_true`]).
type Atoms = Vec<(String, bool)>;

/// How deep a condition is followed (`!a && (b || c)` is 3 levels).
const MAX_COND_DEPTH: u32 = 16;

impl<'a> Lowerer<'a> {
    /// The condition an expression tests, as far as the flow analysis uses it: which bindings it
    /// tests for truthiness, under `!`, `&&`, `||`. Beyond a few levels it is `Unknown`, so that a
    /// chain of 10,000 `&&` operands costs a bounded amount for each of its levels.
    pub(super) fn build_cond(&mut self, e: &Expr) -> Cond {
        self.build_cond_within(e, MAX_COND_DEPTH)
    }

    fn build_cond_within(&mut self, e: &Expr, depth: u32) -> Cond {
        if depth == 0 {
            return Cond::Unknown;
        }
        let depth = depth - 1;
        match unparen(e) {
            Expr::Ident(i) => match self.resolve(&i.sym) {
                Some(b) => Cond::Truthy(b),
                None => Cond::Unknown,
            },
            Expr::Unary(u) if u.op == UnaryOp::Bang => Cond::Not(Box::new(self.build_cond_within(&u.arg, depth))),
            // `shouldAbort(err)` where `shouldAbort` returns `!!err`: the test is on the argument.
            Expr::Call(c) => {
                let tested = match &c.callee {
                    Callee::Expr(callee) => match unparen(callee) {
                        Expr::Ident(i) => {
                            self.resolve(&i.sym)
                                .and_then(|b| match self.out.bindings[b as usize].origin {
                                    Origin::Function(f) => self.out.functions[f as usize].returns_param_truthiness,
                                    _ => None,
                                })
                        }
                        _ => None,
                    },
                    _ => None,
                };
                let arg = tested
                    .filter(|_| c.args.iter().all(|a| a.spread.is_none()))
                    .and_then(|i| c.args.get(i));
                match arg {
                    Some(a) => self.build_cond_within(&a.expr, depth),
                    None => Cond::Unknown,
                }
            }
            // `client.release` (as in `if (client && client.release)`): a client always has its
            // methods, so the test is whether the client is there.
            Expr::Member(m)
                if matches!(unparen(&m.obj), Expr::Ident(_))
                    && matches!(&m.prop, MemberProp::Ident(p) if matches!(&*p.sym, "release" | "query" | "end")) =>
            {
                self.build_cond_within(&m.obj, depth)
            }
            Expr::Bin(b) => match b.op {
                BinaryOp::LogicalAnd => Cond::And(
                    Box::new(self.build_cond_within(&b.left, depth)),
                    Box::new(self.build_cond_within(&b.right, depth)),
                ),
                BinaryOp::LogicalOr => Cond::Or(
                    Box::new(self.build_cond_within(&b.left, depth)),
                    Box::new(self.build_cond_within(&b.right, depth)),
                ),
                BinaryOp::NotEq | BinaryOp::NotEqEq | BinaryOp::EqEq | BinaryOp::EqEqEq => {
                    let (l, r) = (unparen(&b.left), unparen(&b.right));
                    // `typeof client.release === 'function'`: the client is there (for a client,
                    // its methods always are).
                    if let Some(obj) = typeof_method_of(l, r).or_else(|| typeof_method_of(r, l)) {
                        let c = self.build_cond_within(obj, depth);
                        return if matches!(b.op, BinaryOp::NotEq | BinaryOp::NotEqEq) {
                            Cond::Not(Box::new(c))
                        } else {
                            c
                        };
                    }
                    let other = if is_nullish_literal(r) {
                        Some(l)
                    } else if is_nullish_literal(l) {
                        Some(r)
                    } else {
                        None
                    };
                    match other {
                        Some(x @ Expr::Ident(_)) => {
                            let c = self.build_cond_within(x, depth);
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

    /// The simple tests a condition settles when it holds, and when it does not (see
    /// [`Guard::when_true`]).
    fn atoms(&self, e: &Expr, depth: u32) -> (Atoms, Atoms) {
        if depth == 0 {
            return (Vec::new(), Vec::new());
        }
        match unparen(e) {
            Expr::Unary(u) if u.op == UnaryOp::Bang => {
                let (t, f) = self.atoms(&u.arg, depth - 1);
                (f, t)
            }
            Expr::Bin(b) if b.op == BinaryOp::LogicalAnd => {
                let (mut t, _) = self.atoms(&b.left, depth - 1);
                t.extend(self.atoms(&b.right, depth - 1).0);
                (t, Vec::new())
            }
            Expr::Bin(b) if b.op == BinaryOp::LogicalOr => {
                let (_, mut f) = self.atoms(&b.left, depth - 1);
                f.extend(self.atoms(&b.right, depth - 1).1);
                (Vec::new(), f)
            }
            other => match self.atom(other) {
                Some((subject, truthy)) => (vec![(subject.clone(), truthy)], vec![(subject, !truthy)]),
                None => (Vec::new(), Vec::new()),
            },
        }
    }

    /// A simple test: a name or member path for truthiness, or a count (`.length`, `.rowCount`,
    /// `.count`, `.size`, never negative) compared with zero (`n === 0`, `n > 0`, `n >= 1`,
    /// `n != 0`, either way round).
    fn atom(&self, e: &Expr) -> Option<(String, bool)> {
        let subject = |e: &Expr| match unparen(e) {
            x @ (Expr::Ident(_) | Expr::Member(_)) => {
                let r = self.range(x.span());
                let text: String = self
                    .text
                    .get(r.start as usize..r.end as usize)?
                    .split_whitespace()
                    .collect();
                Some(text)
            }
            _ => None,
        };
        let number = |e: &Expr| match unparen(e) {
            Expr::Lit(Lit::Num(n)) => Some(n.value),
            _ => None,
        };
        match unparen(e) {
            x @ (Expr::Ident(_) | Expr::Member(_)) => subject(x).map(|s| (s, true)),
            Expr::Bin(b) => {
                // Normalised to `subject OP number`.
                let (s, op, n) = match (subject(&b.left), number(&b.right), number(&b.left), subject(&b.right)) {
                    (Some(s), Some(n), _, _) => (s, b.op, n),
                    (_, _, Some(n), Some(s)) => (
                        s,
                        match b.op {
                            BinaryOp::Lt => BinaryOp::Gt,
                            BinaryOp::Gt => BinaryOp::Lt,
                            BinaryOp::LtEq => BinaryOp::GtEq,
                            BinaryOp::GtEq => BinaryOp::LtEq,
                            op => op,
                        },
                        n,
                    ),
                    _ => return None,
                };
                let count = [".length", ".rowCount", ".count", ".size"]
                    .iter()
                    .any(|c| s.ends_with(c));
                if !count {
                    return None;
                }
                let truthy = match (op, n) {
                    (BinaryOp::EqEq | BinaryOp::EqEqEq | BinaryOp::LtEq, 0.0) | (BinaryOp::Lt, 1.0) => false,
                    (BinaryOp::NotEq | BinaryOp::NotEqEq | BinaryOp::Gt, 0.0) | (BinaryOp::GtEq, 1.0) => true,
                    _ => return None,
                };
                Some((s, truthy))
            }
            _ => None,
        }
    }

    /// `err.code === '23505'` (or `==`, `err.constraint === '...'`, either way round) on a caught
    /// error: a branch for one error the code expects and handles on purpose.
    pub(super) fn tests_error_code(&self, test: &Expr) -> bool {
        let Expr::Bin(b) = unparen(test) else { return false };
        if !matches!(b.op, BinaryOp::EqEq | BinaryOp::EqEqEq) {
            return false;
        }
        let caught_field = |e: &Expr| match unparen(e) {
            Expr::Member(m) => {
                matches!(&m.prop, MemberProp::Ident(p) if matches!(&*p.sym, "code" | "constraint"))
                    && matches!(unparen(&m.obj), Expr::Ident(i) if self
                        .scopes
                        .lookup(&i.sym)
                        .is_some_and(|b| self.out.bindings[b as usize].kind == BindingKind::Catch))
            }
            _ => false,
        };
        let literal = |e: &Expr| matches!(unparen(e), Expr::Lit(Lit::Str(_)));
        (caught_field(&b.left) && literal(&b.right)) || (literal(&b.left) && caught_field(&b.right))
    }

    pub(super) fn guard_for(&mut self, test: &Expr, taint: &Taint) -> Option<GuardId> {
        if taint.is_empty() {
            return None;
        }
        let id = self.out.guards.len() as GuardId;
        let range = self.range(test.span());
        let (when_true, when_false) = self.atoms(test, MAX_COND_DEPTH);
        self.out.guards.push(Guard {
            id,
            range,
            taint: taint.clone(),
            when_true,
            when_false,
        });
        Some(id)
    }
}

pub(super) fn is_nullish_literal(e: &Expr) -> bool {
    match unparen(e) {
        Expr::Lit(Lit::Null(_)) => true,
        Expr::Ident(i) => &*i.sym == "undefined",
        Expr::Unary(u) => u.op == UnaryOp::Void,
        _ => false,
    }
}

/// `typeof x.method` compared with `'function'`: the `x` (an identifier) whose method is tested.
fn typeof_method_of<'e>(side: &'e Expr, other: &Expr) -> Option<&'e Expr> {
    let Expr::Lit(Lit::Str(s)) = other else {
        return None;
    };
    if s.value.to_string_lossy() != "function" {
        return None;
    }
    match side {
        Expr::Unary(u) if u.op == UnaryOp::TypeOf => match unparen(&u.arg) {
            Expr::Member(m) if matches!(unparen(&m.obj), Expr::Ident(_)) => Some(unparen(&m.obj)),
            _ => None,
        },
        _ => None,
    }
}
