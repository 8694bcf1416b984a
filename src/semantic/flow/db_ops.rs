//! Database operations on a path: `connect` acquires a client, `release`/`done` releases it (with
//! an error the connection is destroyed), and each statement of a query begins, commits, rolls back
//! or writes. Also records how each query was reached and pairs of writes outside a transaction.

use std::collections::BTreeSet;

use super::state::{Acq, ClientState, Outcome, State, Tx, UNKNOWN_CLIENT};
use super::{AfterCommit, ExitKind, Interp, Later, SessionLeak, Site, WritePair};
use crate::semantic::model::*;
use crate::semantic::sql::StmtKind;
use crate::source::TextRange;

impl<'a> Interp<'a> {
    /// `client.release(err?)`, `client.end()` or `done(err?)`: with an error the connection is
    /// destroyed, which rolls back whatever was open on it.
    pub(super) fn exec_release(
        &mut self,
        binding: BindingId,
        error: bool,
        range: TextRange,
        states: Vec<State>,
    ) -> Outcome {
        let mut out = Outcome::default();
        let site = self.site(range);
        let rb = self.resolve(binding);
        let target = match self.l().bindings[rb as usize].origin {
            Origin::ReleaseFn(cid) => self.l().connects[cid as usize].target.map(|t| self.resolve(t)),
            _ => Some(rb),
        };
        let Some(b) = target.filter(|b| self.client_kind(*b).is_some()) else {
            out.normal = states;
            return out;
        };
        for mut s in states {
            let mut c = s.client(b);
            if c.acq == Acq::NotAcquired {
                out.normal.push(s);
                continue;
            }
            if error {
                c.tx = if c.tx == Tx::Managed { Tx::Managed } else { Tx::None };
            } else {
                if let Some(begin) = c.tx.open_begin() {
                    self.facts.txs.entry(begin).or_default().released_open.push(site);
                }
                // Back to the pool with a session setting still in force (on a normal path: after a
                // failure the connection's state is `rollback-without-finally`'s business).
                if let Some(set) = c
                    .session_set
                    .filter(|_| !s.error_path && self.client_kind(b) == Some(HandleKind::PooledClient))
                {
                    self.facts.session_leaks.push(SessionLeak {
                        root: self.root,
                        set,
                        release: site,
                    });
                }
            }
            c.session_set = None;
            c.session_set_in_tx = false;
            c.acq = Acq::Released;
            s.set_client(b, c);
            out.normal.push(s);
        }
        out
    }

    pub(super) fn exec_connect(&mut self, cid: ConnectId, states: Vec<State>) -> Outcome {
        let mut out = Outcome::default();
        let c = &self.l().connects[cid as usize];
        let Some(target) = c.target else {
            out.normal = states;
            return out;
        };
        let target = self.resolve(target);
        if self.client_kind(target) != Some(HandleKind::PooledClient) {
            out.normal = states;
            return out;
        }
        let acquired = ClientState {
            acq: Acq::Acquired,
            tx: Tx::None,
            began: None,
            committed: None,
            session_set: None,
            session_set_in_tx: false,
            rolled_back: None,
        };
        let failed = ClientState {
            acq: Acq::NotAcquired,
            tx: Tx::None,
            began: None,
            committed: None,
            session_set: None,
            session_set_in_tx: false,
            rolled_back: None,
        };
        if let Some(cb) = c.callback {
            let site = self.site(c.range);
            self.run_callback(cb, c.err_param, site, &states, &states, |s, ok| {
                s.set_client(target, if ok { acquired } else { failed });
            });
            // Clients of this path that the callback uses (releases, queries on) go on there: the
            // callback is the rest of their story, as for a query's callback.
            let touched = self.mentioned_clients(&self.l().functions[cb as usize].body);
            out.normal = states
                .into_iter()
                .map(|mut s| {
                    for b in &touched {
                        s.forget_client(*b);
                    }
                    s
                })
                .collect();
            return out;
        }
        let site = self.site(c.range);
        for s in states {
            let mut bad = s.clone();
            bad.set_client(target, failed);
            out.throws.push((bad, site, ExitKind::Exception));
            let mut ok = s;
            ok.set_client(target, acquired);
            out.normal.push(ok);
        }
        out
    }

    fn record_query_ctx(&mut self, q: QueryId, states: &[State], tx_of: &dyn Fn(&State) -> Tx) {
        let root = self.root;
        let coarse = self.coarse;
        let guards_known: Vec<Vec<(GuardId, bool)>> = states.iter().map(|s| s.guards.clone()).collect();
        let site = self.site(self.l().queries[q as usize].head);
        let ctx = self.facts.queries.entry(q).or_default();
        ctx.sites.insert((root, site));
        let views = ctx.tx.entry(root).or_default();
        for s in states {
            views.insert(tx_of(s));
        }
        if coarse {
            ctx.coarse_roots.insert(root);
        }
        let all: BTreeSet<GuardId> = guards_known.iter().flatten().map(|(g, _)| *g).collect();
        let per_root = ctx.guards.entry(root).or_default();
        for g in all {
            let slot = per_root.entry(g).or_default();
            for gs in &guards_known {
                match gs.iter().find(|(id, _)| *id == g) {
                    Some((_, true)) => slot.0 = true,
                    Some((_, false)) => slot.1 = true,
                    None => slot.2 = true,
                }
            }
        }
    }

    pub(super) fn exec_query(&mut self, q: QueryId, states: Vec<State>) -> Outcome {
        let queued_later = std::mem::take(&mut self.queued_later);
        let mut out = Outcome::default();
        let l = self.l();
        let ev = &l.queries[q as usize];
        let key = self.key(&ev.handle);
        let kind = self.kind_of(&ev.handle, &key);
        let throws_here = ev.callback.is_none()
            && matches!(
                ev.await_kind,
                AwaitKind::Awaited | AwaitKind::Returned | AwaitKind::Chained | AwaitKind::PromiseAll
            );
        let site = self.site(ev.head);
        let Some(kind) = kind else {
            if throws_here {
                out.throws = states.iter().map(|s| (s.clone(), site, ExitKind::Exception)).collect();
            }
            out.normal = states;
            return out;
        };
        let client = match (&key, kind.is_client()) {
            (HandleKey::Binding(b), true) => Some(*b),
            _ => None,
        };
        let managed_root = l.functions[self.root as usize].role == FnRole::ManagedTx;
        let tx_of = |s: &State| match client {
            Some(b) => s.client(b).tx,
            None if managed_root => Tx::Managed,
            // A client we know only by a path (`this.db`, injected): its transaction is its owner's.
            None if kind.is_client() => Tx::Unknown,
            None => Tx::None,
        };
        self.record_query_ctx(q, &states, &tx_of);
        // The query's new result: what the path's guards said of the last one no longer holds.
        let states: Vec<State> = states
            .into_iter()
            .map(|mut s| {
                s.guards
                    .retain(|(g, _)| !l.guards[*g as usize].taint.iter().any(|(tq, _)| *tq == q));
                s
            })
            .collect();
        let stmts: &[StmtKind] = ev.sql.info.as_ref().map(|i| i.statements.as_slice()).unwrap_or(&[]);
        // SQL we cannot see (a parameter, a value computed elsewhere) sent inside a transaction:
        // it may write, as a callback handed the client may.
        if ev.sql.info.is_none()
            && ev.sql.text.is_none()
            && let Some(b) = client
        {
            for s in &states {
                if let Some(begin) = s.client(b).tx.open_begin() {
                    self.facts.txs.entry(begin).or_default().delegated = true;
                }
            }
        }
        let mut next = Vec::with_capacity(states.len());
        for s in &states {
            // Failure: the statement did not happen.
            if throws_here {
                let mut bad = s.clone();
                if let Some(b) = client {
                    let mut c = bad.client(b);
                    let ends_tx = stmts.iter().any(|k| matches!(k, StmtKind::Commit | StmtKind::Rollback));
                    let begins = stmts.iter().any(|k| matches!(k, StmtKind::Begin { .. }));
                    if ends_tx {
                        c.tx = Tx::None;
                    } else if !begins && let Tx::Open(begin) = c.tx {
                        c.tx = Tx::Aborted(begin);
                    }
                    // The transaction is lost (aborted, or its COMMIT failed): a `SET` sent inside
                    // it is undone with it.
                    if c.session_set_in_tx {
                        c.session_set = None;
                        c.session_set_in_tx = false;
                    }
                    if c != UNKNOWN_CLIENT {
                        bad.set_client(b, c);
                    }
                } else if stmts.iter().any(|k| matches!(k, StmtKind::Commit | StmtKind::Rollback)) {
                    // A failed COMMIT or ROLLBACK through a pool ends its transaction too.
                    bad.pool_tx.retain(|(k, _)| *k != key);
                }
                out.throws.push((bad, site, ExitKind::Exception));
            }
            let mut ok = s.clone();
            self.apply_statements(q, stmts, client, &key, kind, managed_root, site, &mut ok);
            // SQL we cannot read, sent on a client outside a transaction, may be its BEGIN: what
            // follows on that client is in an unknown transaction state.
            if ev.sql.info.is_none()
                && let Some(b) = client
            {
                let mut c = ok.client(b);
                if c.tx == Tx::None {
                    c.tx = Tx::Unknown;
                    ok.set_client(b, c);
                }
            }
            next.push(ok);
        }
        // `await client.query(sql, cb)` (async code that also passes a callback): the callback
        // runs on the side; the client's story goes on here. `unawaited-query` reports it.
        let side_callback = matches!(ev.await_kind, AwaitKind::Awaited | AwaitKind::PromiseAll)
            || (ev.await_kind == AwaitKind::Returned && ev.in_async_fn);
        if let Some(cb) = ev.callback.filter(|_| !side_callback) {
            let f = &l.functions[cb as usize];
            let mut touched = self.mentioned_clients(&f.body);
            // A callback that does nothing with the client (`(err) => assert.ifError(err)`) while
            // the code goes on sending on it (queries queued one after the other): the client's
            // story goes on here, not in the callback.
            // Released right after (`client.query(sql, cb); release();`): the callback runs on a
            // client already back in the pool, whatever it does with it.
            let goes_on_here = match queued_later {
                Later::Nothing => false,
                Later::Sends => client.is_some_and(|b| !touched.contains(&b)),
                Later::Releases => true,
            };
            if let Some(b) = client.filter(|_| goes_on_here) {
                let deferred = ClientState {
                    acq: Acq::Deferred,
                    ..UNKNOWN_CLIENT
                };
                let aside: Vec<State> = next
                    .iter()
                    .cloned()
                    .map(|mut s| {
                        if s.clients.iter().any(|(id, _)| *id == b) {
                            s.set_client(b, deferred);
                        }
                        s
                    })
                    .collect();
                let err = f.params.first().and_then(|p| p.first().copied());
                self.run_callback(cb, err, site, &aside, &aside, |_, _| {});
                out.normal = next
                    .into_iter()
                    .map(|mut s| {
                        for t in &touched {
                            s.forget_client(*t);
                        }
                        s
                    })
                    .collect();
                return out;
            }
            // Callback style: the callback is the rest of this client's story.
            let err = f.params.first().and_then(|p| p.first().copied());
            let begins = stmts.iter().any(|k| matches!(k, StmtKind::Begin { .. }));
            let ends_tx = stmts.iter().any(|k| matches!(k, StmtKind::Commit | StmtKind::Rollback));
            self.run_callback(cb, err, site, &next, &states, |s, ok| {
                // The failed statement aborts an open transaction; a failed COMMIT or ROLLBACK
                // ends it (the server rolls it back), as when awaited.
                if let (false, Some(b)) = (ok, client) {
                    let mut c = s.client(b);
                    if ends_tx && c.tx.open_begin().is_some() {
                        c.tx = Tx::None;
                        s.set_client(b, c);
                    } else if let (Tx::Open(begin), false) = (c.tx, begins) {
                        c.tx = Tx::Aborted(begin);
                        s.set_client(b, c);
                    }
                }
            });
            touched.extend(client);
            out.normal = next
                .into_iter()
                .map(|mut s| {
                    for b in &touched {
                        s.forget_client(*b);
                    }
                    s
                })
                .collect();
            return out;
        }
        out.normal = next;
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_statements(
        &mut self,
        q: QueryId,
        stmts: &[StmtKind],
        client: Option<BindingId>,
        key: &HandleKey,
        kind: HandleKind,
        managed_root: bool,
        site: Site,
        s: &mut State,
    ) {
        let mut counted_write = false;
        for stmt in stmts {
            match client {
                Some(b) => {
                    let mut c = s.client(b);
                    match stmt {
                        StmtKind::Begin { isolation } => {
                            if matches!(c.tx, Tx::None | Tx::Unknown) {
                                c.tx = Tx::Open(q);
                                c.began = Some(q);
                                c.committed = None;
                                c.rolled_back = None;
                                let t = self.facts.txs.entry(q).or_default();
                                t.client = Some(b);
                                t.roots.insert(self.root);
                                t.isolation = *isolation;
                                t.retried_by_loop |= s.retry;
                            }
                        }
                        StmtKind::Commit => {
                            if let Some(begin) = c.tx.open_begin() {
                                let aborted = matches!(c.tx, Tx::Aborted(_));
                                let t = self.facts.txs.entry(begin).or_default();
                                if aborted {
                                    t.rollbacks.insert(q);
                                } else {
                                    t.commits.insert(q);
                                    c.committed = Some(q);
                                    c.session_set_in_tx = false;
                                }
                            }
                            if c.tx != Tx::Managed {
                                c.tx = Tx::None;
                            }
                        }
                        StmtKind::Rollback => {
                            if let Some(begin) = c.tx.open_begin() {
                                self.facts.txs.entry(begin).or_default().rollbacks.insert(q);
                                c.rolled_back = Some(q);
                            }
                            c.committed = None;
                            // A `SET` sent inside the rolled-back transaction is undone with it.
                            if c.session_set_in_tx {
                                c.session_set = None;
                                c.session_set_in_tx = false;
                            }
                            if c.tx != Tx::Managed {
                                c.tx = Tx::None;
                            }
                        }
                        StmtKind::RollbackToSavepoint(_) => {
                            if let Tx::Aborted(begin) = c.tx {
                                c.tx = Tx::Open(begin);
                            }
                        }
                        StmtKind::Savepoint(name) => {
                            if name.eq_ignore_ascii_case("cockroach_restart")
                                && let Some(begin) = c.tx.open_begin()
                            {
                                self.facts.txs.entry(begin).or_default().restart_protocol = true;
                            }
                        }
                        StmtKind::SetSession { .. } if c.session_set.is_none() => {
                            c.session_set = Some(q);
                            c.session_set_in_tx = c.tx.open_begin().is_some();
                        }
                        StmtKind::ResetSession { name } => {
                            let resets = match (name, c.session_set) {
                                (None, _) => true,
                                (Some(n), Some(set)) => self.l().queries[set as usize]
                                    .sql
                                    .info
                                    .as_ref()
                                    .is_some_and(|i| i.session_settings().any(|s| s == n)),
                                (Some(_), None) => false,
                            };
                            if resets {
                                c.session_set = None;
                                c.session_set_in_tx = false;
                            }
                        }
                        StmtKind::SetTransaction { isolation } => {
                            if let (Some(begin), Some(iso)) = (c.tx.open_begin(), isolation) {
                                self.facts.txs.entry(begin).or_default().isolation = Some(*iso);
                            }
                        }
                        k if k.is_write() => {
                            if let Some(begin) = c.tx.open_begin() {
                                self.facts.txs.entry(begin).or_default().writes.insert(q);
                            } else if c.tx == Tx::None && !counted_write {
                                counted_write = true;
                                if let (Some(commit), false) = (c.committed, s.error_path) {
                                    self.facts.after_commit.push(AfterCommit {
                                        root: self.root,
                                        query: q,
                                        commit,
                                        site,
                                    });
                                }
                                self.note_write(s, key, q, site);
                            }
                        }
                        _ => {}
                    }
                    if let Some(begin) = c.tx.open_begin() {
                        self.facts.txs.entry(begin).or_default().inside.insert(q);
                    }
                    if c != UNKNOWN_CLIENT {
                        s.set_client(b, c);
                    }
                }
                None => {
                    // A pool: every query is its own transaction, even after a BEGIN sent through
                    // it (which only opens one on whichever connection received it).
                    let pool_begin = s.pool_tx.iter().find(|(k, _)| k == key).map(|(_, b)| *b);
                    if let Some(begin) = pool_begin {
                        self.facts.txs.entry(begin).or_default().inside.insert(q);
                    }
                    match stmt {
                        StmtKind::Begin { .. } if pool_begin.is_none() && kind == HandleKind::Pool => {
                            s.pool_tx.push((key.clone(), q));
                            s.pool_tx.sort();
                            let t = self.facts.txs.entry(q).or_default();
                            t.through_pool = true;
                            t.roots.insert(self.root);
                        }
                        StmtKind::Commit | StmtKind::Rollback if pool_begin.is_some() => {
                            s.pool_tx.retain(|(k, _)| k != key);
                            if let Some(begin) = pool_begin {
                                let t = self.facts.txs.entry(begin).or_default();
                                if matches!(stmt, StmtKind::Commit) {
                                    t.commits.insert(q);
                                } else {
                                    t.rollbacks.insert(q);
                                }
                            }
                        }
                        k if k.is_write() && pool_begin.is_some() => {
                            if let Some(begin) = pool_begin {
                                self.facts.txs.entry(begin).or_default().writes.insert(q);
                            }
                        }
                        k if k.is_write() && kind == HandleKind::Pool && !managed_root && !counted_write => {
                            counted_write = true;
                            self.note_write(s, key, q, site);
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn note_write(&mut self, s: &mut State, key: &HandleKey, q: QueryId, site: Site) {
        // Writes on an error path are compensations or logs, not part of the unit of work.
        if s.error_path {
            return;
        }
        if let Some((_, first_q, first_site)) = s.writes.iter().find(|(k, _, _)| k == key) {
            // The same pair on another path (or in a loop's second run) says nothing new.
            if !self.pairs_seen.insert((*first_q, *first_site, q, site)) {
                return;
            }
            self.facts.write_pairs.push(WritePair {
                root: self.root,
                handle: key.clone(),
                first: (*first_q, *first_site),
                second: (q, site),
            });
        } else {
            s.writes.push((key.clone(), q, site));
            s.writes.sort();
        }
    }
}
