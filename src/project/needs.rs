//! Which modules a file's analysis needs: the specifiers whose values can change what its
//! database code means. The pipeline loads only those, so whole-project analysis costs what the
//! database code reaches, not the whole dependency tree.

use std::collections::BTreeSet;

use crate::semantic::lower::Lowered;
use crate::semantic::model::*;

/// What a file needs from other modules.
#[derive(Debug, Default)]
pub struct Needs {
    /// For its own database code: the SQL texts, handles and helpers it uses.
    pub code: BTreeSet<String>,
    /// For what it exports: what it re-exports (needed when another module imports it).
    pub exports: BTreeSet<String>,
}

/// The specifiers whose values can change what this file's database code or exports mean. Other
/// imports (utilities, frameworks) are never loaded for it.
pub fn needs(l: &Lowered) -> Needs {
    let mut out: BTreeSet<String> = BTreeSet::new();
    let import_of = |b: BindingId| l.bindings.get(b as usize).and_then(|x| x.import.as_ref());
    for q in &l.queries {
        if let Some(r) = &q.sql.import {
            out.insert(r.specifier.clone());
        }
        if let HandleKey::Binding(b) = q.handle
            && let Some(r) = import_of(b)
        {
            out.insert(r.specifier.clone());
        }
    }
    for c in &l.connects {
        if let HandleKey::Binding(b) = c.handle
            && let Some(r) = import_of(b)
        {
            out.insert(r.specifier.clone());
        }
    }
    // Helpers that can matter: awaited (data access is asynchronous), handed a handle this
    // file sends SQL through, or handed a callback (a transaction wrapper).
    let handles: BTreeSet<BindingId> = l
        .queries
        .iter()
        .filter_map(|q| match q.handle {
            HandleKey::Binding(b) => Some(b),
            _ => None,
        })
        .collect();
    // A file whose `.query`/`.connect` calls all go to something that is not a database
    // handle (another library's `query`) is not data-access code: its helpers are not
    // loaded. Any other file (with database handles, or with no such calls: a route or a
    // service calling data-access helpers) loads the helpers that can matter.
    let kinds = crate::semantic::handles::classify(l);
    let foreign_calls_only = kinds.is_empty()
        && (!l.connects.is_empty()
            || l.queries
                .iter()
                .any(|q| q.via.is_none() && !matches!(&q.handle, HandleKey::Global(g) if g.is_empty())));
    for c in &l.ext_calls {
        if foreign_calls_only {
            break;
        }
        let awaited = matches!(
            c.await_kind,
            AwaitKind::Awaited | AwaitKind::Chained | AwaitKind::PromiseAll | AwaitKind::Returned
        );
        let hands_handle = c.args.iter().any(|a| match a {
            Arg::Binding(b) => handles.contains(b),
            Arg::Func(_) => true,
            Arg::Other => false,
        });
        if awaited || hands_handle {
            out.insert(c.callee.specifier.clone());
        }
    }
    let code = std::mem::take(&mut out);
    out.extend(l.exports.stars.iter().cloned());
    fn walk(v: &ExportValue, l: &Lowered, out: &mut BTreeSet<String>) {
        match v {
            ExportValue::Import(r) => {
                out.insert(r.specifier.clone());
            }
            ExportValue::Binding(b) => {
                if let Some(r) = l.bindings.get(*b as usize).and_then(|x| x.import.as_ref()) {
                    out.insert(r.specifier.clone());
                }
                if let Some(x) = l.bindings.get(*b as usize) {
                    x.object.iter().for_each(|(_, m)| walk(m, l, out));
                }
            }
            ExportValue::Object(members) => members.iter().for_each(|(_, m)| walk(m, l, out)),
            _ => {}
        }
    }
    for (_, v) in &l.exports.named {
        walk(v, l, &mut out);
    }
    if let Some(v) = &l.exports.module_exports {
        walk(v, l, &mut out);
    }
    Needs { code, exports: out }
}
