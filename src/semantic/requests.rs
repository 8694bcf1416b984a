//! Which functions of a file run while a request is served.
//!
//! Roots are the request handlers: functions given to a route registration (`app.post('/x', fn)`,
//! `router.use(fn)`, inline or by name) and functions whose first two parameters are a request and
//! a response (`(req, res)`, `(request, reply)`: controllers and middleware defined apart from their
//! routes). From the roots, reach follows nested functions and calls of this file's functions;
//! calls into other modules carry what linking learnt of the callee ([`ExtCall`]). A shutdown hook
//! (`process.on('SIGTERM', ...)`), a test or a script's top level is never a root, so what only
//! they reach is not on a request path.
//!
//! Each reached function remembers the call in the root (or in the functions it calls) through
//! which it was first reached, so a finding about a helper shared with shutdown code can point at
//! the request-path call instead of the helper.

use std::collections::VecDeque;

use crate::semantic::flow::walk_ops;
use crate::semantic::model::*;
use crate::source::TextRange;

/// How a function is reached from a request handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// The handler.
    pub root: FuncId,
    /// The first call on the way, made from the handler's own code (its range and the callee's
    /// binding); `None`: the function is the handler or nested in it.
    pub via: Option<(TextRange, BindingId)>,
}

/// The request reach of every function of a file.
#[derive(Debug, Clone, Default)]
pub struct RequestPaths {
    reach: Vec<Option<Reach>>,
}

impl RequestPaths {
    pub fn compute(
        functions: &[Function],
        bindings: &[Binding],
        route_handlers: &[FuncId],
        route_handler_bindings: &[BindingId],
    ) -> Self {
        let n = functions.len();
        let mut reach: Vec<Option<Reach>> = vec![None; n];
        let mut children: Vec<Vec<FuncId>> = vec![Vec::new(); n];
        for f in functions {
            if let Some(p) = f.parent {
                children[p as usize].push(f.id);
            }
        }
        let mut roots: Vec<FuncId> = route_handlers.to_vec();
        roots.extend(
            route_handler_bindings
                .iter()
                .filter_map(|b| match bindings[*b as usize].origin {
                    Origin::Function(f) => Some(f),
                    _ => None,
                }),
        );
        roots.extend(
            functions
                .iter()
                .filter(|f| has_request_params(f, bindings))
                .map(|f| f.id),
        );
        let mut queue = VecDeque::new();
        for r in roots {
            if r != MODULE_FN && (r as usize) < n && reach[r as usize].is_none() {
                reach[r as usize] = Some(Reach { root: r, via: None });
                queue.push_back(r);
            }
        }
        while let Some(f) = queue.pop_front() {
            let Some(r) = reach[f as usize] else { continue };
            for &c in &children[f as usize] {
                if reach[c as usize].is_none() {
                    reach[c as usize] = Some(r);
                    queue.push_back(c);
                }
            }
            walk_ops(&functions[f as usize].body, &mut |op| {
                if let Op::CallBinding { binding, range, .. } = op
                    && let Origin::Function(g) = bindings[*binding as usize].origin
                    && (g as usize) < n
                    && reach[g as usize].is_none()
                {
                    reach[g as usize] = Some(Reach {
                        root: r.root,
                        via: r.via.or(Some((*range, *binding))),
                    });
                    queue.push_back(g);
                }
            });
        }
        Self { reach }
    }

    /// How `f` is reached from a request handler (`None`: it is not).
    pub fn reach(&self, f: FuncId) -> Option<Reach> {
        self.reach.get(f as usize).copied().flatten()
    }
}

/// `(req, res)`, `(req, res, next)`, `(request, reply)`: the signature of a handler or middleware.
fn has_request_params(f: &Function, bindings: &[Binding]) -> bool {
    let name = |i: usize| match f.params.get(i).map(Vec::as_slice) {
        Some([b]) => Some(bindings[*b as usize].name.as_str()),
        _ => None,
    };
    matches!(name(0), Some("req" | "request")) && matches!(name(1), Some("res" | "response" | "reply" | "resp"))
}
