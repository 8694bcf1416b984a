//! `missing-transaction`: two or more writes on one path, through one pool or client, with no
//! transaction around them.
//!
//! Facts used: the flow's write pairs (a write done while its handle is known to be outside a
//! transaction, after another such write on the same path). A client whose transaction state is
//! unknown (a parameter whose callers are not in this file) never pairs. Writes on an error path
//! (inside `catch`, a callback's error branch) are compensations or logs and do not pair.
//! Writes sent by helpers of other modules count at the call (linking expands a call into the
//! statements the helper sends); two writes inside one such call are reported in the helper, not at
//! every caller. Known false negatives: writes through two different handles.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::rules::util::{
    balanced_region, call_text, client_name, describe, indent, is_balanced, line, renamed_text, source_block_text,
    statement_text, tx_skeleton,
};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::flow::WritePair;
use crate::semantic::{FileModel, FuncId, HandleKey, HandleKind, QueryId};
use crate::source::TextRange;

pub struct MissingTransaction;

static META: RuleMeta = RuleMeta {
    id: "missing-transaction",
    severity: crate::diagnostic::Severity::Error,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("missing-transaction"),
};

impl Rule for MissingTransaction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        let mut seen = BTreeSet::new();
        let groups = write_groups(m);
        for pair in &m.flow.write_pairs {
            let (first_q, first) = pair.first;
            let (second_q, second) = pair.second;
            // Both writes sent by one call of a helper of another module: the helper is where
            // they need a transaction, and it is reported there.
            if first.range == second.range && m.query(first_q).via.is_some() && m.query(second_q).via.is_some() {
                continue;
            }
            // Test setup and one-shot scripts (seeds, migration runners) are run again when they
            // fail part-way; nothing serves requests from their half-written rows.
            let func = m.query(second_q).func;
            if m.is_test_code(func) || m.is_one_shot_script(func) {
                continue;
            }
            let primary = if first.outer == second.outer {
                second.range
            } else {
                second.outer
            };
            if !seen.insert(primary) {
                continue;
            }
            let handle = &m.query(second_q).receiver;
            let message = if first_q == second_q {
                format!(
                    "`{}` runs in a loop through `{handle}` outside a transaction: a failure part-way leaves the earlier rows committed",
                    describe(m, second_q)
                )
            } else {
                format!(
                    "`{}` runs through `{handle}` outside a transaction after `{}` (line {}): if it fails, the first write stays committed",
                    describe(m, second_q),
                    describe(m, first_q),
                    line(m, first.range)
                )
            };
            let mut d = cx.diagnostic(primary, message);
            if first_q != second_q {
                d = d.label(first.range, format!("first write: `{}`", describe(m, first_q)));
            }
            if primary != second.range {
                d = d.label(second.range, format!("second write: `{}`", describe(m, second_q)));
            }
            let writes = groups.get(&(pair.root, &pair.handle)).map(Vec::as_slice).unwrap_or(&[]);
            let (help, example, fix) = suggestion(m, pair, writes);
            d = d.help(help).example(example);
            if let Some(fix) = fix {
                d = d.fix(fix);
            }
            let func = m.query(second_q).func;
            cx.report(d.context(m.function_name(func)));
        }
    }
}

/// Every write outside a transaction of each root on each handle, in source order: computed once
/// for all the pairs (per pair it was quadratic in the number of pairs).
fn write_groups<'m>(m: &'m FileModel<'_>) -> BTreeMap<(FuncId, &'m HandleKey), Vec<QueryId>> {
    let mut sets: BTreeMap<(FuncId, &HandleKey), BTreeSet<(u32, QueryId)>> = BTreeMap::new();
    for p in &m.flow.write_pairs {
        let set = sets.entry((p.root, &p.handle)).or_default();
        set.insert((m.query(p.first.0).range.start, p.first.0));
        set.insert((m.query(p.second.0).range.start, p.second.0));
    }
    sets.into_iter()
        .map(|(k, qs)| (k, qs.into_iter().map(|(_, q)| q).collect()))
        .collect()
}

/// An example quotes the writes' own code only up to this size; beyond it the writes are named
/// (a suggestion the size of the file helps nobody, and would make the report quadratic).
const MAX_QUOTED_REGION: u32 = 2_000;
/// Writes listed one by one in an example, at most.
const MAX_LISTED_WRITES: usize = 6;

fn suggestion(m: &FileModel<'_>, pair: &WritePair, writes: &[QueryId]) -> (String, String, Option<Fix>) {
    let first = m.query(pair.first.0);
    // A module-level `new Client()` that requests reach is one connection for all of them: a
    // transaction on it would take in other requests' statements (`shared-client`). The writes
    // move to a client of a pool instead.
    let shared = match &pair.handle {
        crate::semantic::HandleKey::Binding(b) => {
            m.handle_kind(&pair.handle) == Some(HandleKind::StandaloneClient)
                && m.bindings[*b as usize].is_process_wide()
                && m.requests.reach(first.func).is_some()
        }
        _ => false,
    };
    let receiver = if shared {
        "pool".to_string()
    } else {
        first.receiver.clone()
    };
    let is_pool = shared || m.handle_kind(&pair.handle) == Some(HandleKind::Pool);
    let client = if is_pool {
        "client".to_string()
    } else {
        client_name(m, &pair.handle)
    };
    let rename = if is_pool {
        Some((&pair.handle, client.as_str()))
    } else {
        None
    };
    // Callback style, or `.then` chains: the statements are written the async way, one per line
    // (a quoted chain would `return` before the COMMIT).
    let callbacks = writes.iter().any(|q| {
        let q = m.query(*q);
        q.callback.is_some()
            || m.functions[q.func as usize].role == crate::semantic::FnRole::ChainStep
            || q.await_kind == crate::semantic::AwaitKind::Chained
    });
    let region = if callbacks { None } else { write_region(m, writes) }
        .filter(|r| r.end.saturating_sub(r.start) <= MAX_QUOTED_REGION);
    let body: Vec<String> = match region {
        Some(r) => {
            let base = m.source.indent_at(r.start).len();
            let text = match rename {
                Some((h, to)) => renamed_text(m, r, h, to),
                None => m.source.slice(r).to_string(),
            };
            vec![source_block_text(&text, base)]
        }
        // Callback style: the statements, written the async way.
        None if callbacks => listed(writes, |q| call_text(m, q, &client)),
        None => listed(writes, |q| statement_text(m, q, rename)),
    };
    let example = tx_skeleton(if is_pool { Some(&receiver) } else { None }, &client, &body, m.database);
    // Writes sent by helpers of other modules: the helpers must take the client.
    let mut helpers: Vec<String> = writes
        .iter()
        .filter_map(|q| m.query(*q).via.as_ref().map(|v| format!("`{}`", v.function)))
        .collect();
    helpers.dedup();
    if !helpers.is_empty() {
        let help = if is_pool {
            format!(
                "Run these writes in one transaction on one connection: `const {client} = await {receiver}.connect()`, `BEGIN`, pass `{client}` to {} (instead of `{receiver}`), `COMMIT`, `ROLLBACK` in `catch`, `{client}.release()` in `finally`",
                helpers.join(", ")
            )
        } else {
            format!(
                "Wrap these writes in `BEGIN` ... `COMMIT` on `{client}`, with `ROLLBACK` in `catch`; {} send them on `{client}`",
                helpers.join(", ")
            )
        };
        return (help, example, None);
    }
    let help = if shared {
        format!(
            "`{}` is one connection shared by every request, so a transaction on it would take in their statements: make a `Pool` (`const {receiver} = new Pool()`) and run these writes on a client of it: `const {client} = await {receiver}.connect()`, `BEGIN`, the writes, `COMMIT`, `ROLLBACK` in `catch`, `{client}.release()` in `finally`",
            first.receiver
        )
    } else if is_pool {
        format!(
            "Run these writes in one transaction on one connection: `const {client} = await {receiver}.connect()`, `BEGIN`, the writes, `COMMIT`, `ROLLBACK` in `catch`, `{client}.release()` in `finally`"
        )
    } else {
        format!("Wrap these writes in `BEGIN` ... `COMMIT` on `{client}`, with `ROLLBACK` in `catch`")
    };
    // No edit for a shared client: the pool it needs is not in the code yet.
    let fix = region
        .filter(|_| !shared)
        .and_then(|r| edit(m, pair, writes, r, is_pool, &receiver, &client));
    (help, example, fix)
}

/// The first writes, one line each, and how many more there are.
fn listed(writes: &[QueryId], text: impl Fn(QueryId) -> String) -> Vec<String> {
    let mut out: Vec<String> = writes.iter().take(MAX_LISTED_WRITES).map(|q| text(*q)).collect();
    if writes.len() > MAX_LISTED_WRITES {
        out.push(format!("// ... and {} more writes", writes.len() - MAX_LISTED_WRITES));
    }
    out
}

/// The source region from the first write's statement to the last one's, extended to whole
/// statements, when all the writes are in one function.
fn write_region(m: &FileModel<'_>, writes: &[QueryId]) -> Option<TextRange> {
    let first = m.query(*writes.first()?);
    let last = m.query(*writes.last()?);
    if !writes
        .iter()
        .all(|q| m.standalone_of(m.query(*q).func) == m.standalone_of(first.func))
    {
        return None;
    }
    balanced_region(
        &m.source.text,
        TextRange::new(first.stmt_range.start, last.stmt_range.end),
    )
}

/// A replacement of the region by the same statements inside a transaction, when they are one
/// plain sequence in one async function and declare nothing the rest of the function could need.
fn edit(
    m: &FileModel<'_>,
    pair: &WritePair,
    writes: &[QueryId],
    range: TextRange,
    is_pool: bool,
    receiver: &str,
    client: &str,
) -> Option<Fix> {
    let first = m.query(*writes.first()?);
    let same_fn = writes.iter().all(|q| m.query(*q).func == first.func);
    let direct = pair.first.1.range == pair.first.1.outer && pair.second.1.range == pair.second.1.outer;
    if !same_fn || !direct || !first.in_async_fn {
        return None;
    }
    if writes.iter().any(|q| m.query(*q).callback.is_some()) {
        return None;
    }
    let text = m.source.slice(range);
    if text.is_empty() || !is_balanced(text) {
        return None;
    }
    // A declaration inside the region would become block-scoped by the new `try`.
    let declares = crate::source::lines(text).any(|l| {
        let t = l.trim_start();
        t.starts_with("const ") || t.starts_with("let ") || t.starts_with("var ") || t.starts_with("function ")
    });
    if declares || text.contains("return") {
        return None;
    }
    if is_pool && matches!(first.handle, HandleKey::Path(_)) {
        return None;
    }
    let ind = m.source.indent_at(range.start).to_string();
    let body_text = if is_pool {
        renamed_text(m, range, &pair.handle, client)
    } else {
        text.to_string()
    };
    let body = vec![source_block_text(&body_text, ind.len())];
    let skeleton = tx_skeleton(if is_pool { Some(receiver) } else { None }, client, &body, m.database);
    let replaced = indent(&skeleton, &ind);
    Some(Fix {
        title: "Wrap the writes in a transaction".to_string(),
        applicability: Applicability::Suggestion,
        edits: vec![Edit::replace(range, replaced.trim_start().to_string())],
    })
}
