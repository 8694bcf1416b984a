//! `pool-end-in-request`: `pool.end()` reachable while a request is served. The first request
//! that gets there closes the pool for every other request, and every query after it fails
//! ("Cannot use a pool after calling end on the pool").
//!
//! Facts used: the `.end()` calls whose receiver is a pool (by kind, by what linking knows, or
//! named like one), the request reach of each function (route handlers, `(req, res)` functions and
//! what they call in this file), and what linking learnt of callees in other modules (a helper
//! that ends a pool). Shutdown hooks, tests and a script's top level are not request paths. The
//! finding is on the request path: at the `.end()` when the handler calls it itself, else at the
//! handler's call of the helper that leads to it (a helper shared with shutdown code is fine where
//! shutdown calls it).

use crate::rules::util::{handler_name, line, related_at, via_text};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::handles::is_pool_name;
use crate::semantic::requests::Reach;
use crate::semantic::{EndCall, FileModel, HandleKey, HandleKind, Origin};
use crate::source::TextRange;

pub struct PoolEndInRequest;

static META: RuleMeta = RuleMeta {
    id: "pool-end-in-request",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("pool-end-in-request"),
};

impl Rule for PoolEndInRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for e in &m.end_calls {
            let Some(closes) = closes(m, e) else { continue };
            let Some(reach) = m.requests.reach(e.func) else {
                continue;
            };
            match reach.via {
                None => report_end(m, cx, reach, e, closes),
                Some((call, callee)) => {
                    let what = match closes {
                        Closes::Pool => format!("`{}.end()` (line {})", e.receiver, line(m, e.range)),
                        Closes::SharedClient => format!(
                            "`{}.end()` (line {}), which closes the connection the whole process shares,",
                            e.receiver,
                            line(m, e.range)
                        ),
                    };
                    report_call(m, cx, reach, call, m.binding_name(callee), &what, End::Here(e.range));
                }
            }
        }
        for c in &m.ext_calls {
            let Some(via) = &c.ends_pool else { continue };
            let Some(reach) = m.requests.reach(c.func) else {
                continue;
            };
            let what = format!(
                "the `.end()` of a pool or client the whole process shares ({})",
                via_text(via)
            );
            let related = related_at(via, format!("the pool is closed here, in `{}`", via.function));
            let (call, callee) = match reach.via {
                None => (c.range, c.callee_text.as_str()),
                Some((call, callee)) => (call, m.binding_name(callee)),
            };
            report_call(m, cx, reach, call, callee, &what, End::Elsewhere(related));
        }
    }
}

/// What an `.end()` closes, when it is shared by the whole process.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Closes {
    /// A pool.
    Pool,
    /// A module-level `new Client()`: the process's one connection.
    SharedClient,
}

/// `.end()` on a pool (a handle classified as one, a `new Pool()` / typed binding, or a receiver
/// named like a pool that is not known as a client) or on a module-level standalone client, that
/// the whole process shares: bound at module level or imported, or a member path (`this.pool`,
/// `db.pool`). A pool created inside the function (one per call, ended by it) is its own.
fn closes(m: &FileModel<'_>, e: &EndCall) -> Option<Closes> {
    if let HandleKey::Binding(b) = e.handle
        && !m.bindings[b as usize].is_process_wide()
    {
        return None;
    }
    match m.handle_kind(&e.handle) {
        Some(HandleKind::Pool) => Some(Closes::Pool),
        Some(HandleKind::StandaloneClient) if matches!(e.handle, HandleKey::Binding(_)) => Some(Closes::SharedClient),
        Some(_) => None,
        None => {
            let by_origin = matches!(&e.handle, HandleKey::Binding(b)
                if matches!(m.bindings[*b as usize].origin, Origin::NewPool | Origin::TypedPool));
            let client = matches!(&e.handle, HandleKey::Binding(b)
                if m.bindings[*b as usize].origin == Origin::NewClient);
            if by_origin || is_pool_name(&e.receiver) {
                Some(Closes::Pool)
            } else if client {
                Some(Closes::SharedClient)
            } else {
                None
            }
        }
    }
}

/// The handler (or a function nested in it) ends the pool itself.
fn report_end(m: &FileModel<'_>, cx: &mut RuleContext, reach: Reach, e: &EndCall, closes: Closes) {
    let handler = handler_name(m, reach.root);
    let receiver = &e.receiver;
    let (message, help) = match closes {
        Closes::Pool => (
            format!(
                "`{receiver}.end()` closes the pool while {handler} serves a request: every query after it, from every request, fails with \"Cannot use a pool after calling end on the pool\""
            ),
            format!(
                "Do not end the pool in a request: release the request's client instead (`client.release()`), and close `{receiver}` once, when the process shuts down"
            ),
        ),
        Closes::SharedClient => (
            format!(
                "`{receiver}.end()` closes the one connection the whole process shares while {handler} serves a request: every query after it, from every request, fails (\"Client was closed and is not queryable\")"
            ),
            format!(
                "Do not end `{receiver}` in a request: use a `Pool` and release the request's client (`client.release()`), and close connections once, when the process shuts down"
            ),
        ),
    };
    let d = cx
        .diagnostic(e.range, message)
        .help(help)
        .example(shutdown_example(receiver));
    cx.report(d.context(m.function_name(reach.root)));
}

/// Where the pool's `.end()` is: in this file (a label) or another module (a related location).
enum End {
    Here(TextRange),
    Elsewhere(crate::diagnostic::Related),
}

/// The finding at the handler's call that leads to the pool's `.end()`.
fn report_call(
    m: &FileModel<'_>,
    cx: &mut RuleContext,
    reach: Reach,
    call: TextRange,
    callee: &str,
    what: &str,
    end: End,
) {
    let handler = handler_name(m, reach.root);
    let mut d = cx
        .diagnostic(
            call,
            format!(
                "`{callee}(...)` reaches {what} while {handler} serves a request: the first request that gets there closes the pool for everyone, and every later query fails"
            ),
        )
        .help(format!(
            "Keep `.end()` out of request paths: close the pool only from a shutdown hook (`process.on('SIGTERM', ...)`), and do not call `{callee}` while serving a request"
        ))
        .example(shutdown_example("pool"));
    match end {
        End::Here(range) => d = d.label(range, "the pool is closed here"),
        End::Elsewhere(related) => d.related.push(related),
    }
    cx.report(d.context(m.function_name(reach.root)));
}

fn shutdown_example(pool: &str) -> String {
    format!("process.on('SIGTERM', async () => {{\n  server.close();\n  await {pool}.end();\n}});")
}
