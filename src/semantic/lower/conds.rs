//! The conditions of branches, as far as the flow analysis uses them (which bindings they test
//! for truthiness, under `!`, `&&`, `||`), and the guards on query results.

use swc_ecma_ast::*;

use super::{Lowerer, SpanExt, unparen};
use crate::semantic::model::*;

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

    pub(super) fn guard_for(&mut self, test: &Expr, taint: &Taint) -> Option<GuardId> {
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
