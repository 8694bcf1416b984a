//! Test code: assertions and the wrappers tests put around callbacks.
//!
//! A path on which an assertion fails ends there (the test fails), leaving nothing behind:
//! `assert(err)`, `assert.ok(err)`, `assert.ifError(err)`, `expect(err).to.be.an(Error)`,
//! `expect(client).to.be(undefined)` stop the paths where they would throw, so a connect whose
//! error is the expected outcome of a test is followed on its error path only. Callback wrappers
//! (`assert.calls(fn)`, `common.mustCall(fn)`, `assert.success(fn)`, which drops the error
//! parameter) are the callback they wrap.

use swc_ecma_ast::*;

use super::conds::is_nullish_literal;
use super::{Lowerer, is_function_literal, prop_name, unparen};
use crate::semantic::model::*;

/// A callback argument, seen through a test wrapper: the function literal, and whether its error
/// parameter was dropped (`assert.success(function (client, done) { ... })`).
pub(super) fn unwrap_callback(e: &Expr) -> Option<(&Expr, bool)> {
    if is_function_literal(e) {
        return Some((e, false));
    }
    let Expr::Call(c) = unparen(e) else { return None };
    let Callee::Expr(callee) = &c.callee else { return None };
    let name = match unparen(callee) {
        Expr::Member(m) => prop_name(&m.prop)?,
        Expr::Ident(i) => i.sym.to_string(),
        _ => return None,
    };
    let first = c.args.first().filter(|a| is_function_literal(&a.expr))?;
    match name.as_str() {
        "calls" | "mustCall" => Some((&first.expr, false)),
        "success" | "mustSucceed" => Some((&first.expr, true)),
        _ => None,
    }
}

impl Lowerer<'_> {
    /// `assert`/`expect` as the assertion library (not a function or parameter of this file).
    fn is_assertion_lib(&mut self, name: &str) -> bool {
        match self.scopes.lookup(name) {
            None => true,
            Some(b) => {
                let binding = &self.out.bindings[b as usize];
                binding.kind != BindingKind::Param && !matches!(binding.origin, Origin::Function(_))
            }
        }
    }

    /// The path goes on only where `e` is truthy (`truthy`) or falsy: elsewhere the assertion
    /// fails and the path stops.
    fn assert_value(&mut self, e: &Expr, truthy: bool) {
        let cond = self.build_cond(e);
        if cond == Cond::Unknown {
            return;
        }
        let fails = if truthy { Cond::Not(Box::new(cond)) } else { cond };
        self.emit(Op::If {
            cond: fails,
            guard: None,
            then_: Block(vec![Op::Halt]),
            else_: Block::default(),
        });
    }

    /// After a call of `assert(...)`.
    pub(super) fn assert_call(&mut self, cargs: &[ExprOrSpread]) {
        if self.is_assertion_lib("assert")
            && let Some(first) = cargs.first()
        {
            self.assert_value(&first.expr, true);
        }
    }

    /// After a method call: `assert.ok(E)`, `assert.ifError(E)`, `expect(E).to.be.an(Error)`,
    /// `expect(E).not.toBeUndefined()`, `expect(E).to.equal(undefined)`...
    pub(super) fn assert_method_call(&mut self, m: &MemberExpr, method: &str, cargs: &[ExprOrSpread]) {
        if let Expr::Ident(i) = unparen(&m.obj)
            && &*i.sym == "assert"
        {
            let truthy = match method {
                "ok" | "isOk" | "exists" | "isDefined" => true,
                "ifError" | "isNotOk" | "notOk" | "isUndefined" | "isNull" | "notExists" => false,
                _ => return,
            };
            if self.is_assertion_lib("assert")
                && let Some(first) = cargs.first()
            {
                self.assert_value(&first.expr, truthy);
            }
            return;
        }
        // `expect(E)` followed by a chain of properties (`.to.not.be`) and the method.
        let mut negated = false;
        let mut cur = unparen(&m.obj);
        let subject = loop {
            match cur {
                Expr::Member(mm) => {
                    negated ^= prop_name(&mm.prop).as_deref() == Some("not");
                    cur = unparen(&mm.obj);
                }
                Expr::Call(c) => match &c.callee {
                    Callee::Expr(callee)
                        if matches!(unparen(callee), Expr::Ident(i) if &*i.sym == "expect") && c.args.len() == 1 =>
                    {
                        break &c.args[0].expr;
                    }
                    _ => return,
                },
                _ => return,
            }
        };
        let nullish_arg = cargs.first().is_some_and(|a| is_nullish_literal(&a.expr));
        let truthy = match method {
            "an" | "a" | "instanceOf" | "instanceof" | "toBeTruthy" | "toBeDefined" | "toBeInstanceOf" => true,
            "toBeUndefined" | "toBeNull" | "toBeFalsy" => false,
            "be" | "equal" | "equals" | "eql" | "eq" | "toBe" | "toEqual" | "toStrictEqual" if nullish_arg => false,
            _ => return,
        };
        if self.is_assertion_lib("expect") {
            self.assert_value(subject, truthy != negated);
        }
    }
}

/// Packages test runners are imported from.
const TEST_PACKAGES: &[&str] = &[
    "mocha",
    "vitest",
    "@jest/globals",
    "jest",
    "node:test",
    "test",
    "tap",
    "ava",
    "uvu",
    "bun:test",
    "@playwright/test",
];

/// Functions of test runners whose function arguments are tests or their setup.
const TEST_RUNNER_FNS: &[&str] = &[
    "describe",
    "context",
    "suite",
    "it",
    "test",
    "specify",
    "xit",
    "fit",
    "xdescribe",
    "fdescribe",
    "before",
    "after",
    "beforeEach",
    "afterEach",
    "beforeAll",
    "afterAll",
    "setup",
    "teardown",
    "suiteSetup",
    "suiteTeardown",
];

impl Lowerer<'_> {
    /// `it('...', fn)`, `describe(...)`, `beforeEach(fn)` (global or imported from a package).
    pub(super) fn is_test_runner_call(&mut self, name: &str) -> bool {
        TEST_RUNNER_FNS.contains(&name)
            && match self.scopes.lookup(name) {
                None => true,
                // `import { it } from 'vitest'`, `const it = require('mocha').it`.
                Some(b) => {
                    let binding = &self.out.bindings[b as usize];
                    let from = match &binding.origin {
                        Origin::PackageImport(spec) => Some(spec.as_str()),
                        _ => binding.import.as_ref().map(|r| r.specifier.as_str()),
                    };
                    from.is_some_and(|spec| TEST_PACKAGES.contains(&spec))
                }
            }
    }

    /// `it.only('...', fn)`, `describe.skip(...)`, `suite.test('...', fn)`, `t.test('...', fn)`.
    pub(super) fn is_test_runner_method(&mut self, obj: &Expr, method: &str, cargs: &[ExprOrSpread]) -> bool {
        if let Expr::Ident(i) = unparen(obj)
            && self.is_test_runner_call(&i.sym)
        {
            return true;
        }
        matches!(method, "test" | "testAsync")
            && cargs
                .first()
                .is_some_and(|a| matches!(unparen(&a.expr), Expr::Lit(Lit::Str(_)) | Expr::Tpl(_)))
            && cargs.len() >= 2
    }
}
