//! `client-leak`: a client from `pool.connect()` that some path never releases.
//!
//! Facts used: the flow's leak facts (a path leaves with the client still acquired). A client that
//! is returned (also inside an object or array literal), resolved, handed to a callback as a result
//! (`cb(null, client)`), stored (also by `push` into a structure that escapes), handed to a function
//! named like a release helper, or captured by a callback that runs later is not tracked; a path
//! ending in `process.exit()` or a failing test assertion leaves nothing behind. Test code is not
//! checked. Error paths after a `BEGIN` of a writing transaction are left to
//! `rollback-without-finally`, which reports them with the missing `ROLLBACK`.
//!
//! Edit (unsafe, `--unsafe-fixes`): the client's uses after `const client = await pool.connect();`
//! wrapped in `try` with the release in `finally` (see `release_in_finally` and `rules::wrap`).

use std::collections::BTreeMap;

use crate::diagnostic::{Applicability, Fix};
use crate::rules::util::{
    connect_site, describe, indent, is_balanced, line, owned_writing_transactions, pool_of_client, source_block_text,
    tx_skeleton,
};
use crate::rules::wrap::{self, Syntax, Wrap};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::flow::{ExitKind, LeakFact, TxFacts};
use crate::semantic::{BindingId, FileModel, Origin, QueryId};

pub struct ClientLeak;

static META: RuleMeta = RuleMeta {
    id: "client-leak",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("client-leak"),
};

impl Rule for ClientLeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        // A client that LISTENs is kept on purpose: releasing it would stop its notifications.
        let listeners: Vec<BindingId> = m
            .db_queries()
            .filter(|q| {
                q.sql.text.as_deref().is_some_and(|t| {
                    t.trim_start()
                        .get(..6)
                        .is_some_and(|w| w.eq_ignore_ascii_case("listen"))
                })
            })
            .filter_map(|q| match q.handle {
                crate::semantic::HandleKey::Binding(b) => Some(b),
                _ => None,
            })
            .collect();
        let mut by_client: BTreeMap<BindingId, Vec<&LeakFact>> = BTreeMap::new();
        for leak in m.flow.leaks.iter().filter(|l| !listeners.contains(&l.client)) {
            // A test's pool ends with the run; tests hold, leak and kill clients on purpose.
            if m.is_test_code(leak.exit.root) {
                continue;
            }
            // Checked out by the module's own top-level code (`const client = await
            // pool.connect()` at module level): held for the life of the process on purpose, one
            // connection however many requests come (their sharing it is `shared-client`'s).
            if crate::rules::util::checked_out_at_load(m, leak.client) {
                continue;
            }
            let covered = leak.exit.error_path
                && leak
                    .began
                    .is_some_and(|b| m.flow.txs.get(&b).is_some_and(|t| t.may_write()));
            if !covered {
                by_client.entry(leak.client).or_default().push(leak);
            }
        }
        // Parsed again only when a finding may get an edit.
        let syntax = std::cell::OnceCell::new();
        // Each client's writing transactions, looked up once (not a scan of them all per client).
        let mut writing: BTreeMap<BindingId, Vec<(QueryId, &TxFacts)>> = BTreeMap::new();
        for (begin, tx, c) in owned_writing_transactions(m) {
            writing.entry(c).or_default().push((begin, tx));
        }
        for (client, mut leaks) in by_client {
            let name = m.binding_name(client).to_string();
            let txs = writing.get(&client).map(Vec::as_slice).unwrap_or_default();
            let fix = release_in_finally(m, client, &name, txs, &syntax);
            let pool = pool_of_client(m, client);
            let acquired = connect_site(m, client);
            leaks.sort_by_key(|l| (l.exit.site.outer, l.exit.kind));
            // A transaction on the client that an error leaves open: quoting the code with only a
            // `finally` would show it still without `ROLLBACK`; the whole pattern is shown instead.
            let open_tx = txs.iter().any(|(_, tx)| tx.open_exits.iter().any(|e| e.error_path));
            let example = if open_tx {
                let body = ["// ... the transaction's statements".to_string()];
                tx_skeleton(pool.as_deref(), &name, &body, m.database)
            } else {
                users_code_released(m, client, &name).unwrap_or_else(|| tx_free_skeleton(pool.as_deref(), &name))
            };
            // Explicit exits: one finding each.
            let mut exceptions = Vec::new();
            for leak in &leaks {
                let e = &leak.exit;
                let message = match e.kind {
                    ExitKind::Return if e.responded => {
                        format!(
                            "sends the response and returns without releasing `{name}`: the connection never goes back to the pool"
                        )
                    }
                    ExitKind::Return => {
                        format!("returns without releasing `{name}`: the connection never goes back to the pool")
                    }
                    ExitKind::FallOff => format!(
                        "reaches the end without releasing `{name}`: the connection never goes back to the pool"
                    ),
                    ExitKind::Throw => {
                        format!("throws without releasing `{name}`: the connection never goes back to the pool")
                    }
                    ExitKind::Exception => {
                        exceptions.push(*leak);
                        continue;
                    }
                };
                let mut d = cx.diagnostic(e.site.outer, message);
                if let Some(a) = acquired {
                    d = d.label(a, format!("`{name}` acquired here"));
                }
                d = d
                    .help(format!(
                        "Release `{name}` in a `finally` block so every path returns it"
                    ))
                    .example(example.clone());
                if let Some(fix) = &fix {
                    d = d.fix(fix.clone());
                }
                cx.report(d.context(m.function_name(e.root)));
            }
            // Failures: one finding per client, at the first statement that can fail.
            if let Some(first) = exceptions.first() {
                let site = first.exit.origin.unwrap_or(first.exit.site).outer;
                let what = m
                    .queries
                    .iter()
                    .find(|q| q.head == site)
                    .map(|q| format!("`{}`", describe(m, q.id)))
                    .unwrap_or_else(|| "this call".to_string());
                let more = exceptions.len() - 1;
                let message = format!(
                    "if {what} fails, `{name}` is never released{}: after a few errors the pool is exhausted",
                    if more > 0 {
                        format!(
                            " (nor after {more} more statement{} that can fail)",
                            if more == 1 { "" } else { "s" }
                        )
                    } else {
                        String::new()
                    }
                );
                let mut d = cx.diagnostic(site, message);
                if let Some(a) = acquired {
                    d = d.label(a, format!("`{name}` acquired here (line {})", line(m, a)));
                }
                d = d
                    .help(format!(
                        "Put the code that uses `{name}` in `try` and call `{name}.release()` in `finally`"
                    ))
                    .example(example);
                if let Some(fix) = fix {
                    d = d.fix(fix);
                }
                cx.report(d.context(m.function_name(first.exit.root)));
            }
        }
    }
}

/// The user's own function from the `connect` on, with the client released in `finally` (and the
/// releases it had removed): when the connect is a statement of its own line in a function body
/// and what follows it up to the body's end is whole statements.
fn users_code_released(m: &FileModel<'_>, client: BindingId, name: &str) -> Option<String> {
    let Origin::Connected(c) = m.bindings[client as usize].origin else {
        return None;
    };
    let connect = &m.connects[c as usize];
    if connect.callback.is_some() {
        return None;
    }
    let text = &m.source.text;
    let line_end = |at: usize| text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line_begin = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
    let start = line_begin(connect.range.start as usize);
    let connect_end = line_end(connect.range.end as usize);
    let connect_line = text[start..connect_end].trim();
    // The awaited form only: with callbacks, a `finally` would release before they run.
    let declared = [format!("const {name} = await "), format!("let {name} = await ")];
    if !declared.iter().any(|d| connect_line.starts_with(d.as_str())) || !connect_line.ends_with(';') {
        return None;
    }
    let body_end = m.functions[connect.func as usize].end.start as usize;
    if body_end <= connect_end || body_end - connect_end > 4_000 {
        return None;
    }
    let rest = &text[connect_end..body_end];
    if !is_balanced(rest) || rest.contains("=>") || rest.contains("function") || rest.contains(".connect(") {
        return None;
    }
    let release = [format!("{name}.release();"), format!("{name}.release()")];
    let kept: Vec<&str> = crate::source::lines(rest)
        .filter(|l| !release.iter().any(|r| l.trim() == r))
        .collect();
    let base = m.source.indent_at(connect.range.start).len();
    let body = source_block_text(kept.join("\n").trim(), base);
    if body.trim().is_empty() {
        return None;
    }
    Some(format!(
        "{connect_line}\ntry {{\n{}\n}} finally {{\n  {name}.release();\n}}",
        indent(&body, "  ")
    ))
}

/// The edit that moves the release into `finally`: the statements after
/// `const client = await pool.connect();` in its block, through the last one that uses the client
/// (or to the block's end when a name they declare is used later), wrapped in
/// `try { ... } finally { client.release(); }`, their own `client.release();` statements removed.
/// `None` unless every use of the client there is a query, an awaited call that takes it, or such
/// a release.
fn release_in_finally(
    m: &FileModel<'_>,
    client: BindingId,
    name: &str,
    txs: &[(QueryId, &TxFacts)],
    syntax: &std::cell::OnceCell<Option<Syntax>>,
) -> Option<Fix> {
    let Origin::Connected(c) = m.bindings[client as usize].origin else {
        return None;
    };
    let connect = &m.connects[c as usize];
    if connect.callback.is_some() {
        return None;
    }
    let cell = syntax;
    let syntax = syntax.get_or_init(|| Syntax::parse(m.source)).as_ref()?;
    let at = syntax.locate(connect.range)?;
    let stmt = &at.stmts[at.index];
    if wrap::awaited_connect_binding(stmt) != Some(name) || !at.in_async {
        return None;
    }
    let rest = &at.stmts[at.index + 1..];
    // A transaction that starts right away and whose rollback-without-finally edit releases in
    // `finally`: that edit is this finding's fix too.
    let next = syntax.range(swc_common::Spanned::span(rest.first()?));
    if let Some(fix) = crate::rules::rollback_without_finally::release_edit(m, client, txs, next, cell) {
        return Some(fix);
    }
    let uses = wrap::uses(syntax, rest, name);
    if !uses.plain() {
        return None;
    }
    let last = wrap::region_end(&at.stmts[..=at.index], rest, uses.last?)?;
    let region = &rest[..=last];
    if wrap::releases_within(syntax, at.function, name) != uses.releases.len() {
        return None;
    }
    // Another client acquired inside: its own edit comes first (one `try` each, not nested).
    if region.iter().any(|s| wrap::awaited_connect_binding(s).is_some()) {
        return None;
    }
    let range = |s: &swc_ecma_ast::Stmt| syntax.range(swc_common::Spanned::span(s));
    let semi = if m.source.slice(range(stmt)).ends_with(';') {
        ";"
    } else {
        ""
    };
    let literals = wrap::literals(syntax, region);
    let w = Wrap {
        region: range(&region[0]).cover(range(&region[last])),
        removals: &uses.releases,
        literals: &literals,
        catch: None,
        finally: vec![format!("{name}.release(){semi}")],
        emptied: wrap::emptied(syntax, region, &uses.releases),
    };
    let edit = wrap::wrap_edit(m.source, &w, &at.style(syntax))?;
    Some(Fix {
        title: format!("Release `{name}` in `finally`"),
        applicability: Applicability::Suggestion,
        edits: vec![edit],
    })
}

fn tx_free_skeleton(pool: Option<&str>, client: &str) -> String {
    let pool = pool.unwrap_or("pool");
    format!(
        "const {client} = await {pool}.connect();\ntry {{\n  // ... queries on {client}\n}} finally {{\n  {client}.release();\n}}"
    )
}
