//! Which receivers of `.query` / `.connect` are database handles, and of which kind.
//!
//! A handle is established by origin (`new Pool()`, `new Client()` from pg, `await pool.connect()`,
//! the client parameter of a connect callback) or by use: a binding imported from a local module and
//! used with `.query(SQL)`/`.connect()` is a pool (the usual `db.js` module), a parameter on which
//! `.query(SQL)` is called is a client of unknown transaction state, and anything named like a pool
//! (`pool`, `pgPool`, `this.pool`) or typed as one in TypeScript (`db: Pool`, `constructor(private
//! db: pg.Pool)` for `this.db`) that sends SQL is a pool. Everything else is not a handle: a
//! variable named `client` that never sends SQL is left alone. Kinds established by linking (a
//! pool exported by another module, the pool a fake wrapper hands its callback) come first.

use std::collections::{BTreeMap, BTreeSet};

use crate::semantic::lower::Lowered;
use crate::semantic::model::*;
use crate::semantic::sql::StmtKind;

/// `pool`, `pgPool`, `dbPool`, `readPool`... and, as a property, `fastify.pg` (fastify-postgres).
pub fn is_pool_name(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    last.ends_with("pool") || (name.contains('.') && last == "pg")
}

/// `db.DBConnection` where `db` is a module of the project imported at the top of the file: as
/// for the module itself (`db.query(SQL)`), a member of the usual `db.js` that sends SQL is its
/// pool, unless it is named like a client.
fn is_local_module_member(l: &Lowered, path: &str) -> bool {
    let Some((root, rest)) = path.split_once('.') else {
        return false;
    };
    if rest.contains('.') || rest.to_ascii_lowercase().contains("client") {
        return false;
    }
    l.bindings
        .iter()
        .any(|b| b.func == MODULE_FN && b.name == root && matches!(b.origin, Origin::LocalImport(_)))
}

pub fn classify(l: &Lowered) -> BTreeMap<HandleKey, HandleKind> {
    let mut used_with_sql: BTreeSet<&HandleKey> = BTreeSet::new();
    for q in &l.queries {
        if q.sql.info.is_some() {
            used_with_sql.insert(&q.handle);
        }
    }
    let connected: BTreeSet<&HandleKey> = l.connects.iter().filter(|c| !c.foreign).map(|c| &c.handle).collect();
    let mut kinds = BTreeMap::new();
    // What linking established from other modules wins over use.
    for (key, kind) in &l.linked_kinds {
        kinds.insert(key.clone(), *kind);
    }

    // Pools first: clients depend on them.
    let keys: BTreeSet<&HandleKey> = l
        .queries
        .iter()
        .map(|q| &q.handle)
        .chain(connected.iter().copied())
        .collect();
    for key in &keys {
        if kinds.contains_key(*key) {
            continue;
        }
        let used = used_with_sql.contains(key) || connected.contains(key);
        let kind = match key {
            HandleKey::Binding(b) => {
                let binding = &l.bindings[*b as usize];
                match &binding.origin {
                    Origin::NewPool => Some(HandleKind::Pool),
                    Origin::TypedPool if used => Some(HandleKind::Pool),
                    Origin::NewClient => Some(HandleKind::StandaloneClient),
                    Origin::LocalImport(_) if used && !binding.name.to_ascii_lowercase().contains("client") => {
                        Some(HandleKind::Pool)
                    }
                    _ if used && is_pool_name(&binding.name) => Some(HandleKind::Pool),
                    _ => None,
                }
            }
            HandleKey::Global(name) | HandleKey::Path(name) => {
                if used && (is_pool_name(name) || l.typed_pool_paths.contains(name) || is_local_module_member(l, name))
                {
                    Some(HandleKind::Pool)
                } else {
                    None
                }
            }
        };
        if let Some(kind) = kind {
            kinds.insert((*key).clone(), kind);
        }
    }

    // Clients from connect calls on pools, or whose client then sends SQL.
    for c in l.connects.iter().filter(|c| !c.foreign) {
        let receiver_is_pool = kinds.get(&c.handle) == Some(&HandleKind::Pool);
        let Some(target) = c.target else { continue };
        let key = HandleKey::Binding(target);
        let target_sends_sql = used_with_sql.contains(&key);
        if receiver_is_pool || target_sends_sql {
            kinds.entry(key).or_insert(HandleKind::PooledClient);
        }
    }

    // Parameters (and other bindings of unknown origin) that send SQL.
    for key in used_with_sql {
        if kinds.contains_key(key) {
            continue;
        }
        if let HandleKey::Binding(b) = key {
            let binding = &l.bindings[*b as usize];
            if binding.kind == BindingKind::Param && matches!(binding.origin, Origin::Unknown) {
                kinds.insert(key.clone(), HandleKind::ParamClient);
            }
        }
    }
    // Known by what it does: a name of unknown origin (`const client = req.client`, set by a
    // middleware; a value from a DI container) that is sent BEGIN/COMMIT/ROLLBACK, or `$n` SQL with
    // a values array, is a client whose transaction state at entry is unknown.
    for q in &l.queries {
        let HandleKey::Binding(b) = q.handle else { continue };
        if kinds.contains_key(&q.handle) {
            continue;
        }
        let binding = &l.bindings[b as usize];
        if binding.origin != Origin::Unknown || binding.import.is_some() {
            continue;
        }
        let info = q.sql.info.as_ref();
        let tx_control = info.is_some_and(|i| {
            i.statements
                .iter()
                .any(|k| matches!(k, StmtKind::Begin { .. } | StmtKind::Commit | StmtKind::Rollback))
        });
        let placeholders = info.and_then(|i| i.placeholders.as_ref()).is_some_and(|p| p.max() > 0)
            && matches!(q.values, Values::Array { .. });
        if tx_control || placeholders {
            kinds.insert(q.handle.clone(), HandleKind::ParamClient);
        }
    }
    // Known by what it does: a receiver we know only by a path (`this.DB`, `req.db`, a DI
    // container's member) that is sent SQL with `$n` placeholders and a values array is a database
    // handle; whether a pool or a client inside its owner's transaction we cannot tell, so its
    // transaction state is unknown.
    for q in &l.queries {
        if !matches!(q.handle, HandleKey::Path(_)) || kinds.contains_key(&q.handle) {
            continue;
        }
        let placeholders = q
            .sql
            .info
            .as_ref()
            .and_then(|i| i.placeholders.as_ref())
            .is_some_and(|p| p.max() > 0);
        if placeholders && matches!(q.values, Values::Array { .. }) {
            kinds.insert(q.handle.clone(), HandleKind::ParamClient);
        }
    }
    kinds
}
