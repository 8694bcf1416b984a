//! Expansion: a linted file's references to other modules, replaced by what linking knows of
//! them, so that the rules (which only read one file's model) see across modules.
//!
//! - A SQL text imported from anywhere is as good as a literal (`client.query(SQL.BEGIN)`).
//! - An imported pool is a pool, an imported standalone client a client.
//! - A call of a data-access helper becomes the statements it sends, each a query of this file at
//!   the call, through the caller's argument or the helper's pool, carrying where the statement
//!   really is ([`Via`]) for labels and SARIF related locations.
//! - `const client = await getClient()` checks a client out of the helper's pool.
//! - A callback given to a transaction wrapper runs inside the wrapper's transaction (retried when
//!   the wrapper retries 40001); given to a fake wrapper that hands it the pool, its handle is a
//!   pool.
//!
//! What linking does not know stays as it was: an unknown call.

use std::sync::Arc;

use super::link::{Channel, Fact, FnSummary, Handed, Linked, ModuleId, PoolId, Returns};
use crate::semantic::lower::Lowered;
use crate::semantic::model::*;
use crate::semantic::sql;

/// Applies linked facts to module `m`'s lowered form.
pub fn expand(linked: &Linked, m: ModuleId, l: &mut Lowered) {
    resolve_imported_sql(linked, m, l);
    classify_imported_handles(linked, m, l);
    let mut replacements: Vec<(ExtCallId, Op)> = Vec::new();
    for id in 0..l.ext_calls.len() {
        let call = l.ext_calls[id].clone();
        if let Fact::Function(s) = linked.import_fact(m, &call.callee) {
            l.ext_calls[id].runs_tx = runs_transaction(&s);
            l.ext_calls[id].ends_pool = s.ends_pool.clone();
            l.ext_calls[id].shared_client_tx = s.shared_client_tx.clone();
            if let Some(op) = expand_call(l, &call, &s) {
                replacements.push((id as ExtCallId, op));
            }
        }
    }
    if replacements.is_empty() {
        return;
    }
    let mut by_id: Vec<Option<Op>> = vec![None; l.ext_calls.len()];
    for (id, op) in replacements {
        by_id[id as usize] = Some(op);
    }
    for f in &mut l.functions {
        crate::semantic::flow::walk_ops_mut(&mut f.body, &mut |op| {
            if let Op::ExtCall(id) = op
                && let Some(new) = by_id.get_mut(*id as usize).and_then(Option::take)
            {
                *op = new;
            }
        });
    }
}

fn resolve_imported_sql(linked: &Linked, m: ModuleId, l: &mut Lowered) {
    for q in &mut l.queries {
        if q.sql.text.is_some() {
            continue;
        }
        let Some(r) = &q.sql.import else { continue };
        if let Fact::Sql(t) = linked.import_fact(m, r) {
            q.sql.info = sql::classify(&t.text);
            q.sql.text = Some(t.text);
            q.sql.holes = t.holes;
            q.sql.tagged = t.tagged;
            q.sql.varies = t.varies;
        }
    }
}

/// Receivers bound to another module's pool or client.
fn classify_imported_handles(linked: &Linked, m: ModuleId, l: &mut Lowered) {
    // `xDatabase.connect()` where linking knows `connect` as a function of the project that does
    // not return a checked-out client (an app's own helper returning query functions).
    for c in &mut l.connects {
        let HandleKey::Binding(b) = &c.handle else { continue };
        let Some(r) = &l.bindings[*b as usize].import else {
            continue;
        };
        if let Fact::Function(s) = linked.import_fact(m, &r.member(&c.method))
            && !matches!(s.returns, Returns::Client(_))
            && s.wrapper.is_none()
        {
            c.foreign = true;
        }
    }
    let keys: Vec<HandleKey> = l
        .queries
        .iter()
        .map(|q| q.handle.clone())
        .chain(l.connects.iter().map(|c| c.handle.clone()))
        .collect();
    for key in keys {
        let fact = match &key {
            HandleKey::Binding(b) => match &l.bindings[*b as usize].import {
                Some(r) => linked.import_fact(m, r),
                None => continue,
            },
            // `db.client.query(...)` where `db` is a module imported at the top of the file.
            HandleKey::Path(path) => {
                let mut parts = path.split('.');
                let root = parts.next().unwrap_or_default();
                let Some(r) = l
                    .bindings
                    .iter()
                    .find(|b| b.func == MODULE_FN && b.name == root)
                    .and_then(|b| b.import.as_ref())
                else {
                    continue;
                };
                let mut r = r.clone();
                for p in parts {
                    r = r.member(p);
                }
                linked.import_fact(m, &r)
            }
            HandleKey::Global(_) => continue,
        };
        let kind = match fact {
            Fact::Pool(_) => HandleKind::Pool,
            Fact::Client => HandleKind::StandaloneClient,
            _ => continue,
        };
        if !l.linked_kinds.iter().any(|(k, _)| *k == key) {
            l.linked_kinds.push((key, kind));
        }
    }
}

fn pool_key(l: &mut Lowered, p: &PoolId) -> HandleKey {
    let key = HandleKey::Global(p.key.to_string());
    if !l.linked_kinds.iter().any(|(k, _)| *k == key) {
        l.linked_kinds.push((key.clone(), HandleKind::Pool));
    }
    key
}

/// Where a helper runs a transaction, if it does: its own BEGIN...COMMIT on a client it checks out,
/// a BEGIN among the statements it sends on a client it is given, or a wrapper that hands its
/// callback a client in a transaction.
fn runs_transaction(s: &FnSummary) -> Option<Arc<Via>> {
    // Only an async function's call returns a promise to wait for.
    if !s.is_async {
        return None;
    }
    let begin = s.effects.iter().find(|e| e.info.as_ref().is_some_and(|i| i.begins()));
    if let Some(e) = begin {
        return Some(e.site.clone());
    }
    let wraps = s.wrapper.as_ref().is_some_and(|w| w.hands == Handed::TxClient);
    if s.own_tx || wraps {
        return s.effects.first().map(|e| e.site.clone()).or_else(|| {
            Some(Arc::new(Via {
                function: s.name.clone(),
                path: std::path::PathBuf::new(),
                line: 0,
                column: 0,
                end_line: 0,
                end_column: 0,
            }))
        });
    }
    None
}

/// What one call of a summarised helper becomes, if anything.
fn expand_call(l: &mut Lowered, call: &ExtCall, s: &Arc<FnSummary>) -> Option<Op> {
    // A callback handed to a transaction wrapper.
    if let Some(w) = &s.wrapper
        && let Some(Arg::Func(cb)) = call.args.get(w.callback_param)
    {
        let cb = *cb;
        match &w.hands {
            Handed::TxClient => {
                l.functions[cb as usize].role = FnRole::WrapperTx;
                l.functions[cb as usize].retry_wrapped |= s.retries;
            }
            Handed::Pool(p) => {
                l.functions[cb as usize].role = FnRole::Standalone;
                if let Some([param]) = l.functions[cb as usize].params.get(w.handle_arg).map(Vec::as_slice) {
                    let key = HandleKey::Binding(*param);
                    pool_key(l, p);
                    l.linked_kinds.push((key, HandleKind::Pool));
                }
            }
        }
    }
    // `const client = await getClient()`.
    // `const client = await getDb()`: the process-wide client of the helper's module.
    if let (Returns::SharedClient, Some(target)) = (&s.returns, call.target) {
        let key = HandleKey::Binding(target);
        if !l.linked_kinds.iter().any(|(k, _)| *k == key) {
            l.linked_kinds.push((key, HandleKind::StandaloneClient));
        }
        l.bindings[target as usize].shared_client = true;
        return None;
    }
    if let (Returns::Client(p), Some(target)) = (&s.returns, call.target) {
        let handle = pool_key(l, p);
        let id = l.connects.len() as ConnectId;
        l.connects.push(ConnectEvent {
            id,
            func: call.func,
            handle,
            receiver: call.callee_text.clone(),
            range: call.range,
            target: Some(target),
            callback: None,
            err_param: None,
            done_param: None,
            method: call.callee_text.clone(),
            foreign: false,
        });
        l.bindings[target as usize].origin = Origin::Connected(id);
        l.functions[call.func as usize].has_db_ops = true;
        return Some(Op::Connect(id));
    }
    if s.own_tx || s.effects.is_empty() {
        return None;
    }
    // What the caller passes may become any of the statement's bound values; only columns read
    // are carried (a whole row passed for its key would taint every value).
    let mut passed = Taint::new();
    for t in &call.arg_taints {
        let columns: Taint = t
            .iter()
            .filter(|(_, f)| matches!(f, Field::Column(_)))
            .cloned()
            .collect();
        taint_union(&mut passed, &columns);
    }
    let mut ops = Vec::new();
    let skipped = super::link::pool_fallbacks_not_taken(&s.effects, &call.args);
    for (i, e) in s.effects.iter().enumerate() {
        if skipped[i] {
            continue;
        }
        let (handle, receiver) = match &e.channel {
            Channel::Param(p) => match call.args.get(*p) {
                Some(Arg::Binding(b)) => (HandleKey::Binding(*b), l.bindings[*b as usize].name.clone()),
                _ => continue,
            },
            Channel::Pool(p) => (pool_key(l, p), p.name.to_string()),
            Channel::Injected(p) => {
                let key = HandleKey::Global(p.key.to_string());
                if !l.linked_kinds.iter().any(|(k, _)| *k == key) {
                    l.linked_kinds.push((key.clone(), HandleKind::ParamClient));
                }
                (key, p.name.to_string())
            }
        };
        let id = if s.returns == Returns::Result(i) {
            call.result
        } else {
            let id = l.queries.len() as QueryId;
            l.queries.push(l.queries[call.result as usize].clone());
            l.queries[id as usize].id = id;
            id
        };
        // A helper that forwards its parameter as SQL sends what this call passes there.
        let (text, info) = match e.sql_param.and_then(|p| call.arg_sql.get(p).cloned().flatten()) {
            Some(t) if e.text.is_none() => {
                let info = crate::semantic::sql::classify(&t);
                (Some(t), info)
            }
            _ => (e.text.clone(), e.info.clone()),
        };
        let q = &mut l.queries[id as usize];
        q.handle = handle;
        q.receiver = receiver;
        q.sql.text = text;
        q.sql.info = info;
        q.via = Some(e.site.clone());
        let bound = q
            .sql
            .info
            .as_ref()
            .and_then(|i| i.placeholders.as_ref())
            .map_or(0, |p| p.max());
        q.values = Values::Array {
            elems: vec![passed.clone(); bound.min(64) as usize],
            range: call.range,
            texts: Vec::new(),
        };
        let mut op = Op::Query(id);
        if e.repeated {
            op = Op::Loop {
                kind: LoopKind::MaySkip,
                body: Block(vec![op]),
                label: None,
            };
        }
        if e.conditional {
            op = Op::If {
                cond: Cond::Unknown,
                guard: None,
                then_: Block(vec![op]),
                else_: Block::default(),
            };
        }
        ops.push(op);
    }
    if ops.is_empty() {
        return None;
    }
    l.functions[call.func as usize].has_db_ops = true;
    // A failure of the helper surfaces at the call, as an unknown call's would.
    Some(Op::Group { body: Block(ops) })
}
