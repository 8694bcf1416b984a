//! `session-state-leak`: a session-level `SET` (not `SET LOCAL`, not `SET TRANSACTION`) on a client
//! from `pool.connect()` that goes back to the pool with `release()` and no `RESET` / `RESET ALL` /
//! `DISCARD ALL` first: the next request that borrows the connection runs under the setting.
//!
//! Facts used: the flow's releases of pooled clients with a `SET` still in force on the path
//! (`release(true)` or `release(err)` destroys the connection; a `SET` inside a transaction that is
//! rolled back is undone; a plain `Client` is never pooled).

use std::collections::BTreeSet;

use crate::rules::util::line;
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::FileModel;

pub struct SessionStateLeak;

static META: RuleMeta = RuleMeta {
    id: "session-state-leak",
    severity: crate::diagnostic::Severity::Warning,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("session-state-leak"),
};

impl Rule for SessionStateLeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        let mut seen = BTreeSet::new();
        for leak in &m.flow.session_leaks {
            if !seen.insert(leak.set) {
                continue;
            }
            let q = m.query(leak.set);
            let names: Vec<&str> = q.sql.info.iter().flat_map(|i| i.session_settings()).collect();
            let name = names.first().copied().unwrap_or("the setting");
            // `client.release()`, `done()`: the call as written (short), else `release()`.
            let call = m.source.slice(leak.release.range).trim();
            let call = if call.is_empty() || call.len() > 40 || call.contains('\n') {
                "release()"
            } else {
                call
            };
            // `SELECT set_config('name', v, false)`: the function form, named as written.
            let by_function = q
                .sql
                .text
                .as_deref()
                .is_some_and(|t| t.to_ascii_lowercase().contains("set_config"));
            let (statement, local) = if by_function {
                (
                    format!("set_config('{name}', ..., false)"),
                    "Pass `true` as `set_config`'s third argument inside the transaction (the setting then ends with it)"
                        .to_string(),
                )
            } else {
                (
                    format!("SET {name}"),
                    format!("Use `SET LOCAL {name} ...` inside the transaction (it ends with it)"),
                )
            };
            let d = cx
                .diagnostic(
                    q.head,
                    format!(
                        "`{statement}` on `{}` lasts for the whole connection: `{call}` (line {}) returns it to the pool still set, and the next request that borrows it runs under it",
                        q.receiver,
                        line(m, leak.release.outer)
                    ),
                )
                .label(leak.release.outer, "back to the pool with the setting".to_string())
                .help(format!(
                    "{local}, or send `RESET {name}` (or `DISCARD ALL`) before `release()`; `release(true)` destroys the connection instead"
                ))
                .example(reset_example(&q.receiver, name));
            cx.report(d.context(m.function_name(q.func)));
        }
    }
}

/// What goes where the client is released: the setting reset first; if the RESET itself fails,
/// the connection is destroyed (`release(err)`) rather than returned to the pool still set.
fn reset_example(client: &str, name: &str) -> String {
    let reset = if name == "the setting" {
        "DISCARD ALL".to_string()
    } else {
        format!("RESET {name}")
    };
    format!(
        "try {{\n  await {client}.query('{reset}');\n  {client}.release();\n}} catch (err) {{\n  {client}.release(err);\n}}"
    )
}
