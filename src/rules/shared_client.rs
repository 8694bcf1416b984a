//! `shared-client`: a transaction on a client shared by the whole process (a module-level
//! `new Client()`, one connection) while a request is served. Concurrent requests send their
//! statements on the same connection: one request's statements land inside another's
//! transaction, and its COMMIT or ROLLBACK ends the other's.
//!
//! Facts used: BEGIN sent through a standalone client bound at module level (declared here, or
//! imported from the module that creates it), in a function on a request path; and calls into
//! other modules whose callee (or what it calls) sends such a BEGIN. A script's module-level
//! client (no request handler reaches it) and a shared client that only sends single statements
//! or LISTENs are silent.

use crate::rules::util::{handler_name, line, related_at, tx_skeleton, via_text};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::{Database, FileModel, HandleKey, HandleKind, Origin, QueryEvent};

pub struct SharedClient;

static META: RuleMeta = RuleMeta {
    id: "shared-client",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("shared-client"),
};

impl Rule for SharedClient {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        for q in m.db_queries().filter(|q| q.via.is_none() && begins(q)) {
            // A client checked out once by the module's top-level code (`const client = await
            // pool.connect()`) is as shared as a `new Client()`.
            let checked_out_at_load =
                matches!(&q.handle, HandleKey::Binding(b) if crate::rules::util::checked_out_at_load(m, *b));
            match m.handle_kind(&q.handle) {
                Some(HandleKind::StandaloneClient) => {}
                Some(HandleKind::PooledClient) if checked_out_at_load => {}
                _ => continue,
            }
            // Only linking makes a member path (`db.client`) a standalone client: another
            // module's export, shared by the process.
            let (name, origin, span) = match &q.handle {
                HandleKey::Binding(b) => {
                    let binding = &m.bindings[*b as usize];
                    if !binding.is_process_wide() {
                        continue;
                    }
                    let origin = match (&binding.origin, &binding.import) {
                        (Origin::NewClient, _) => format!("`new Client()` on line {}", line(m, binding.span)),
                        (Origin::Connected(_), _) => {
                            format!("checked out once when the module loads, line {}", line(m, binding.span))
                        }
                        (_, Some(r)) => format!("imported from '{}'", r.specifier),
                        (_, None) if binding.shared_client => "handed out by another module".to_string(),
                        (_, None) => format!("`new Client()` on line {}", line(m, binding.span)),
                    };
                    (binding.name.clone(), origin, Some(binding.span))
                }
                HandleKey::Path(path) => (path.clone(), "exported by another module".to_string(), None),
                HandleKey::Global(_) => continue,
            };
            let Some(reach) = m.requests.reach(q.func) else {
                continue;
            };
            let handler = handler_name(m, reach.root);
            let mut d = cx
                .diagnostic(
                    q.range,
                    format!(
                        "`{name}` is one connection for the whole process ({origin}): concurrent requests to {handler} interleave their statements inside this transaction, and one request's COMMIT or ROLLBACK ends another's"
                    ),
                )
                .help(format!(
                    "Use a `Pool` and check out a client per request (`const client = await pool.connect()`), release it in `finally`; keep `{name}` for statements that need no transaction"
                ))
                .example(per_request_example(m.database));
            if let Some(span) = span {
                d = d.label(span, "one client, shared by every request");
            }
            cx.report(d.context(m.function_name(q.func)));
        }
        for c in &m.ext_calls {
            let Some(via) = &c.shared_client_tx else {
                continue;
            };
            let Some(reach) = m.requests.reach(c.func) else {
                continue;
            };
            let handler = handler_name(m, reach.root);
            let callee = &c.callee_text;
            let mut d = cx
                .diagnostic(
                    c.range,
                    format!(
                        "`{callee}(...)` runs a transaction on a client shared by the whole process (BEGIN {}): concurrent requests to {handler} interleave their statements inside it, and one request's COMMIT or ROLLBACK ends another's",
                        via_text(via)
                    ),
                )
                .help(format!(
                    "Make `{callee}` check out a client per call from a `Pool` (`const client = await pool.connect()`) and release it in `finally`"
                ))
                .example(per_request_example(m.database));
            d.related.push(related_at(
                via,
                format!("BEGIN on the shared client, in `{}`", via.function),
            ));
            cx.report(d.context(m.function_name(c.func)));
        }
    }
}

fn begins(q: &QueryEvent) -> bool {
    q.sql.info.as_ref().is_some_and(|i| i.begins())
}

fn per_request_example(database: Database) -> String {
    let body = ["// ... the transaction's statements, on `client`".to_string()];
    format!(
        "const {{ Pool }} = require('pg');\nconst pool = new Pool();\n\n{}",
        tx_skeleton(Some("pool"), "client", &body, database)
    )
}
