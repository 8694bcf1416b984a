//! Control flow: a root's run, blocks and ops (branches on evaluated conditions, loops run twice,
//! `switch`, labels, `try`/`catch`/`finally`, detached code), and the facts a path leaves behind
//! when it exits (open transactions, clients still acquired). What a database op does to a path
//! is `db_ops`; calls of local functions and callbacks are `calls`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::state::{Acq, ClientState, Exits, Outcome, State, Tx, UNKNOWN_CLIENT, dedupe};
use super::{ExitFact, ExitKind, Frame, Interp, Later, LeakFact, ResponseInTx, Site, Swallowed, walk_ops};
use crate::semantic::model::*;

impl<'a> Interp<'a> {
    pub(super) fn run_root(&mut self) {
        let l = self.l();
        let f = &l.functions[self.root as usize];
        let mut init = State::default();
        for &b in self.autocommit {
            init.set_client(
                b,
                ClientState {
                    tx: Tx::None,
                    ..UNKNOWN_CLIENT
                },
            );
        }
        if matches!(f.role, FnRole::ManagedTx | FnRole::WrapperTx) {
            for params in &f.params {
                for &b in params {
                    init.set_client(
                        b,
                        ClientState {
                            acq: Acq::Unknown,
                            tx: Tx::Managed,
                            began: None,
                            committed: None,
                            session_set: None,
                            session_set_in_tx: false,
                            rolled_back: None,
                        },
                    );
                }
            }
        }
        self.frames.push(Frame {
            func: self.root,
            subst: HashMap::new(),
            call_site: None,
            chain_step: false,
            inlined: false,
        });
        let out = self.exec_block(&f.body, vec![init]);
        self.frames.pop();
        let end = self.site(f.end);
        for s in out.normal {
            self.exit(&s, end, ExitKind::FallOff);
        }
        for (s, site, kind) in out.returns.into_iter().chain(out.throws) {
            self.exit(&s, site, kind);
        }
    }

    /// Records what a path leaving the flow leaves behind.
    pub(super) fn exit(&mut self, s: &State, site: Site, kind: ExitKind) {
        let error_path = s.error_path || matches!(kind, ExitKind::Throw | ExitKind::Exception);
        let origin = match kind {
            ExitKind::Exception | ExitKind::Throw => s.error_at.or(Some(site)),
            _ => s.error_at,
        };
        let fact = ExitFact {
            root: self.root,
            site,
            kind,
            error_path,
            origin,
            returned_at: s.returned_at.filter(|r| *r != site),
            responded: s.responded,
        };
        // An error path that rolled back and now leaves normally, with no response and without
        // handing the error on: the caller carries on as if the writes happened.
        // Only the root function's own ways out (a callback run as the rest of a path, such as a
        // ROLLBACK's, ends there without ending the function).
        let normal_way_out = matches!(kind, ExitKind::Return | ExitKind::FallOff) && self.frames.is_empty();
        if s.error_path && normal_way_out && !s.responded && !s.propagated {
            for (_, c) in &s.clients {
                if let (Some(rollback), Some(begin)) = (c.rolled_back, c.began) {
                    self.facts.swallowed.push(Swallowed {
                        root: self.root,
                        begin,
                        rollback,
                        site,
                        kind,
                    });
                }
            }
        }
        for (_, begin) in &s.pool_tx {
            self.facts.txs.entry(*begin).or_default().open_exits.push(fact.clone());
        }
        for &(b, c) in &s.clients {
            if let Some(begin) = c.tx.open_begin() {
                self.facts.txs.entry(begin).or_default().open_exits.push(fact.clone());
            }
            if c.acq == Acq::Acquired && self.client_kind(b) == Some(HandleKind::PooledClient) {
                if let (true, Some(begin)) = (error_path, c.began) {
                    self.facts
                        .txs
                        .entry(begin)
                        .or_default()
                        .leaked_after_begin
                        .push(fact.clone());
                }
                self.facts.leaks.push(LeakFact {
                    client: b,
                    exit: fact.clone(),
                    began: c.began,
                });
            }
        }
    }

    fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps > self.budget {
            self.aborted = true;
        }
        !self.aborted
    }

    pub(super) fn exec_block(&mut self, b: &Block, states: Vec<State>) -> Outcome {
        let mut out = Outcome::default();
        let mut cur = states;
        for (i, op) in b.0.iter().enumerate() {
            if cur.is_empty() || !self.step() {
                break;
            }
            self.queued_later = match op {
                Op::Query(q) => self.sent_on_later(*q, &b.0[i + 1..]),
                _ => Later::Nothing,
            };
            let o = stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.exec_op(op, cur));
            if self.aborted {
                // Over budget: this root's facts are dropped; unwind without carrying its paths.
                return Outcome::default();
            }
            cur = out.absorb_abrupt(o);
            dedupe(&mut cur, &mut self.coarse);
        }
        out.normal = cur;
        out
    }

    fn exec_op(&mut self, op: &Op, states: Vec<State>) -> Outcome {
        let mut out = Outcome::default();
        match op {
            Op::Query(q) => return self.exec_query(*q, states),
            Op::Connect(c) => return self.exec_connect(*c, states),
            Op::Release { binding, error, range } => return self.exec_release(*binding, *error, *range, states),
            Op::CallBinding {
                binding,
                args,
                range,
                awaited,
            } => {
                // A release callback handed to a helper (`rollback(client, done)`) releases there.
                let rb = self.resolve(*binding);
                if matches!(self.l().bindings[rb as usize].origin, Origin::ReleaseFn(_)) {
                    return self.exec_release(rb, !args.is_empty(), *range, states);
                }
                let callee = self.resolve_func(*binding);
                // `done(err)`, `callback(err)`: on an error path, the error is handed on.
                let hands_on = !args.is_empty() && self.l().bindings[rb as usize].kind == BindingKind::Param;
                let states = if hands_on {
                    states
                        .into_iter()
                        .map(|mut s| {
                            s.propagated |= s.error_path;
                            s
                        })
                        .collect()
                } else {
                    states
                };
                return self.exec_call(callee, args, *range, *awaited, states);
            }
            // A callback that runs later, once (see `detach_if_releasing`): its exits are final.
            Op::Inline {
                func,
                role: FnRole::Continuation,
            } => {
                self.run_continuation(*func, states);
            }
            Op::Inline { func, role, .. } => {
                let f = &self.l().functions[*func as usize];
                if self.frames.iter().any(|fr| fr.func == *func) {
                    out.normal = states;
                    return out;
                }
                let chain_step = *role == FnRole::ChainStep;
                self.frames.push(Frame {
                    func: *func,
                    subst: HashMap::new(),
                    call_site: None,
                    chain_step,
                    inlined: false,
                });
                let o = self.exec_block(&f.body, states);
                self.frames.pop();
                out.normal = o.normal;
                out.normal.extend(o.returns.into_iter().map(|(s, _, _)| s));
                out.throws = o.throws;
            }
            Op::If {
                cond,
                guard,
                then_,
                else_,
            } => {
                let mut then_in = Vec::new();
                let mut else_in = Vec::new();
                for s in states {
                    // A test this path already settled (`if (rows.length === 0)` earlier,
                    // `if (rows.length > 0)` now) goes the same way.
                    let known = self.eval(cond, &s).or_else(|| guard.and_then(|g| self.settled(g, &s)));
                    match known {
                        Some(true) => then_in.push(s),
                        Some(false) => else_in.push(s),
                        None => {
                            then_in.push(s.clone());
                            else_in.push(s);
                        }
                    }
                }
                if let Some(g) = guard {
                    let mut kept = true;
                    then_in.iter_mut().for_each(|s| kept &= s.set_guard(*g, true));
                    else_in.iter_mut().for_each(|s| kept &= s.set_guard(*g, false));
                    self.coarse |= !kept;
                }
                let a = if then_in.is_empty() {
                    Outcome::default()
                } else {
                    self.exec_block(then_, then_in)
                };
                let b = if else_in.is_empty() {
                    Outcome::default()
                } else {
                    self.exec_block(else_, else_in)
                };
                let mut n = out.absorb_abrupt(a);
                n.extend(out.absorb_abrupt(b));
                out.normal = n;
            }
            Op::Loop { kind, body, label } => {
                let mut entry = states;
                let mut exits = if *kind == LoopKind::MaySkip {
                    entry.clone()
                } else {
                    Vec::new()
                };
                for _ in 0..2 {
                    if entry.is_empty() {
                        break;
                    }
                    let o = self.exec_block(body, entry);
                    out.returns.extend(o.returns);
                    out.throws.extend(o.throws);
                    let mut next = o.normal;
                    for (s, l) in o.continues {
                        if l.is_none() || l == *label {
                            next.push(s);
                        } else {
                            out.continues.push((s, l));
                        }
                    }
                    for (s, l) in o.breaks {
                        if l.is_none() || l == *label {
                            exits.push(s);
                        } else {
                            out.breaks.push((s, l));
                        }
                    }
                    for s in next.iter_mut() {
                        // Coming back around after a caught error: the loop retries.
                        s.retry = s.error_path;
                        s.error_path = false;
                        s.error_at = None;
                    }
                    dedupe(&mut next, &mut self.coarse);
                    if *kind != LoopKind::Infinite {
                        exits.extend(next.iter().cloned());
                    }
                    entry = next;
                }
                out.normal = exits;
            }
            Op::Switch { cases, has_default } => {
                let mut fall: Vec<State> = Vec::new();
                let mut exits = if *has_default { Vec::new() } else { states.clone() };
                for case in cases {
                    let mut input = states.clone();
                    input.extend(fall);
                    dedupe(&mut input, &mut self.coarse);
                    let o = self.exec_block(case, input);
                    out.returns.extend(o.returns);
                    out.throws.extend(o.throws);
                    out.continues.extend(o.continues);
                    for (s, l) in o.breaks {
                        if l.is_none() {
                            exits.push(s);
                        } else {
                            out.breaks.push((s, l));
                        }
                    }
                    fall = o.normal;
                }
                exits.extend(fall);
                out.normal = exits;
            }
            Op::Try { body, catch, finally } => return self.exec_try(body, catch.as_ref(), finally.as_ref(), states),
            // A callback that releases a client of this path (see `detach_if_releasing`): each
            // such callback runs with the client as this path left it; this path is done with it.
            Op::Detached { body }
                if matches!(
                    body.0.as_slice(),
                    [Op::Inline {
                        role: FnRole::Continuation,
                        ..
                    }]
                ) =>
            {
                let touched = self.mentioned_clients(body);
                let deferred = ClientState {
                    acq: Acq::Deferred,
                    ..UNKNOWN_CLIENT
                };
                let input: Vec<State> = states
                    .iter()
                    .cloned()
                    .map(|mut s| {
                        for &b in &touched {
                            let mut c = s.client(b);
                            if c.acq == Acq::Deferred {
                                c.acq = Acq::Acquired;
                                s.set_client(b, c);
                            }
                        }
                        s
                    })
                    .collect();
                let o = self.exec_block(body, input);
                self.terminal(o);
                out.normal = states
                    .into_iter()
                    .map(|mut s| {
                        for &b in &touched {
                            if matches!(s.client(b).acq, Acq::Acquired | Acq::Deferred) {
                                s.set_client(b, deferred);
                            } else {
                                s.forget_client(b);
                            }
                        }
                        s
                    })
                    .collect();
            }
            Op::Detached { body } => {
                let o = self.exec_block(body, states.clone());
                self.terminal(o);
                let touched = self.mentioned_clients(body);
                out.normal = states
                    .into_iter()
                    .map(|mut s| {
                        for b in &touched {
                            s.forget_client(*b);
                        }
                        s
                    })
                    .collect();
            }
            Op::Labeled { label, body } => {
                let o = self.exec_block(body, states);
                out.returns = o.returns;
                out.throws = o.throws;
                out.continues = o.continues;
                out.normal = o.normal;
                for (s, l) in o.breaks {
                    if l.as_deref() == Some(label.as_str()) {
                        out.normal.push(s);
                    } else {
                        out.breaks.push((s, l));
                    }
                }
            }
            Op::Return {
                range,
                escapes,
                explicit,
            } => {
                let site = self.site(*range);
                let in_step = self.frames.last().is_some_and(|f| f.chain_step);
                for mut s in states {
                    if in_step && *explicit && s.clients.iter().any(|(_, c)| c.tx.open_begin().is_some()) {
                        s.returned_at = Some(site);
                    }
                    for b in escapes {
                        let rb = self.resolve(*b);
                        s.forget_client(rb);
                    }
                    out.returns.push((s, site, ExitKind::Return));
                }
            }
            Op::Throw { range } => {
                let site = self.site(*range);
                out.throws = states
                    .into_iter()
                    .map(|mut s| {
                        // The error is handed on after the ROLLBACK: whoever catches it now owns it.
                        for (_, c) in s.clients.iter_mut() {
                            c.rolled_back = None;
                        }
                        (s, site, ExitKind::Throw)
                    })
                    .collect();
            }
            Op::Break { label } => out.breaks = states.into_iter().map(|s| (s, label.clone())).collect(),
            Op::Continue { label } => out.continues = states.into_iter().map(|s| (s, label.clone())).collect(),
            Op::MayThrow { range } => {
                let site = self.site(*range);
                out.throws = states.iter().map(|s| (s.clone(), site, ExitKind::Exception)).collect();
                out.normal = states;
            }
            Op::Escape { bindings } => {
                let l = self.l();
                let resolved: Vec<BindingId> = bindings
                    .iter()
                    .map(|b| match l.bindings[*b as usize].origin {
                        Origin::ReleaseFn(cid) => l.connects[cid as usize].target.unwrap_or(*b),
                        _ => *b,
                    })
                    .map(|b| self.resolve(b))
                    .collect();
                out.normal = states
                    .into_iter()
                    .map(|mut s| {
                        resolved.iter().for_each(|b| s.forget_client(*b));
                        s
                    })
                    .collect();
            }
            Op::Closure { func } => {
                let captures: Vec<BindingId> = self.l().functions[*func as usize]
                    .captures
                    .iter()
                    .map(|b| self.resolve(*b))
                    .collect();
                out.normal = states
                    .into_iter()
                    .map(|mut s| {
                        for b in &captures {
                            if s.clients.iter().any(|(id, _)| id == b) {
                                s.forget_client(*b);
                            }
                        }
                        s
                    })
                    .collect();
            }
            Op::Group { body } => return self.exec_block(body, states),
            // No way out, no facts: the path stops.
            Op::Halt => {}
            // A call into another module that linking could not expand: an unknown call.
            Op::ExtCall(id) => {
                let call = &self.l().ext_calls[*id as usize];
                let awaited = matches!(
                    call.await_kind,
                    AwaitKind::Awaited | AwaitKind::Chained | AwaitKind::PromiseAll
                ) || (call.await_kind == AwaitKind::Returned && call.in_async_fn);
                return self.exec_call(None, &call.args, call.range, awaited, states);
            }
            Op::Respond { range, handed } => {
                let site = self.site(*range);
                // A helper handed the response object may answer at once or later: only a response
                // sent here is known to go out before a COMMIT.
                for s in states.iter().filter(|s| !s.error_path && !handed) {
                    // A transaction of this path still to commit: ours (open), or the one a
                    // wrapper commits after this callback returns.
                    let pending = s.clients.iter().find_map(|(_, c)| match c.tx {
                        Tx::Open(begin) => Some(Some(begin)),
                        Tx::Managed => Some(None),
                        _ => None,
                    });
                    if let Some(begin) = pending {
                        self.facts.responses_in_tx.push(ResponseInTx {
                            root: self.root,
                            begin,
                            site,
                        });
                    }
                }
                out.normal = states
                    .into_iter()
                    .map(|mut s| {
                        s.responded = true;
                        s
                    })
                    .collect();
            }
        }
        out
    }

    fn exec_try(
        &mut self,
        body: &Block,
        catch: Option<&Block>,
        finally: Option<&Block>,
        states: Vec<State>,
    ) -> Outcome {
        let b = self.exec_block(body, states);
        let mut combined = Outcome {
            normal: b.normal,
            returns: b.returns,
            throws: Exits::default(),
            breaks: b.breaks,
            continues: b.continues,
        };
        match catch {
            Some(c) => {
                // Each distinct state enters the catch once, with the earliest site that threw it.
                let mut by_state: BTreeMap<State, Site> = BTreeMap::new();
                for (mut s, site, _) in b.throws {
                    s.error_path = true;
                    let origin = s.error_at.unwrap_or(site);
                    s.error_at = None;
                    by_state
                        .entry(s)
                        .and_modify(|o| *o = (*o).min(origin))
                        .or_insert(origin);
                }
                let mut input: Vec<State> = by_state
                    .into_iter()
                    .map(|(mut s, origin)| {
                        s.error_at = Some(origin);
                        s
                    })
                    .collect();
                dedupe(&mut input, &mut self.coarse);
                if !input.is_empty() {
                    let co = self.exec_block(c, input);
                    combined.normal.extend(co.normal);
                    combined.returns.extend(co.returns);
                    combined.throws.extend(co.throws);
                    combined.breaks.extend(co.breaks);
                    combined.continues.extend(co.continues);
                }
            }
            None => combined.throws = b.throws,
        }
        let Some(fin) = finally else { return combined };
        // Every way out passes through `finally`, which may change its course.
        let mut out = Outcome::default();
        let normal = std::mem::take(&mut combined.normal);
        if !normal.is_empty() {
            let o = self.exec_block(fin, normal);
            out.normal = out.absorb_abrupt(o);
        }
        for (group, is_return) in [
            (std::mem::take(&mut combined.returns), true),
            (std::mem::take(&mut combined.throws), false),
        ] {
            let mut by_site: BTreeMap<(Site, ExitKind), Vec<State>> = BTreeMap::new();
            for (s, site, kind) in group {
                by_site.entry((site, kind)).or_default().push(s);
            }
            for ((site, kind), ss) in by_site {
                let o = self.exec_block(fin, ss);
                let cont = out.absorb_abrupt(o);
                for s in cont {
                    if is_return {
                        out.returns.push((s, site, kind));
                    } else {
                        out.throws.push((s, site, kind));
                    }
                }
            }
        }
        for (s, l) in std::mem::take(&mut combined.breaks) {
            let o = self.exec_block(fin, vec![s]);
            let cont = out.absorb_abrupt(o);
            out.breaks.extend(cont.into_iter().map(|s| (s, l.clone())));
        }
        for (s, l) in std::mem::take(&mut combined.continues) {
            let o = self.exec_block(fin, vec![s]);
            let cont = out.absorb_abrupt(o);
            out.continues.extend(cont.into_iter().map(|s| (s, l.clone())));
        }
        out
    }

    /// Exits of code that runs detached from the current flow are final.
    fn terminal(&mut self, o: Outcome) {
        for s in o.normal {
            self.exit_detached(&s);
        }
        for (s, site, kind) in o.returns.into_iter().chain(o.throws) {
            self.exit(&s, site, kind);
        }
    }

    fn exit_detached(&mut self, s: &State) {
        // The end of a floating chain or callback: the flow stops here. Without a better place,
        // the site is the innermost function's end.
        let func = self.frames.last().map(|f| f.func).unwrap_or(self.root);
        let end = self.l().functions[func as usize].end;
        let site = self.site(end);
        self.exit(s, site, ExitKind::FallOff);
    }

    /// What the guards this path passed say of guard `g`'s test: `g` tests one thing (a name, or a
    /// count against zero) that an earlier guard on the same query results settled.
    fn settled(&self, g: GuardId, s: &State) -> Option<bool> {
        let guards = &self.l().guards;
        let target = &guards[g as usize];
        let [(subject, truthy)] = target.when_true.as_slice() else {
            return None;
        };
        s.guards.iter().filter(|(h, _)| *h != g).find_map(|(h, v)| {
            let h = &guards[*h as usize];
            if !target.taint.iter().all(|t| h.taint.contains(t)) {
                return None;
            }
            let said = if *v { &h.when_true } else { &h.when_false };
            said.iter().find(|(s2, _)| s2 == subject).map(|(_, t)| t == truthy)
        })
    }

    fn eval(&self, c: &Cond, s: &State) -> Option<bool> {
        match c {
            Cond::Unknown => None,
            Cond::Truthy(b) => {
                let b = self.resolve(*b);
                if let Some((_, v)) = s.flags.iter().find(|(id, _)| *id == b) {
                    return Some(*v);
                }
                match s.clients.iter().find(|(id, _)| *id == b).map(|(_, c)| c.acq) {
                    Some(Acq::NotAcquired) => Some(false),
                    Some(Acq::Acquired | Acq::Released | Acq::Deferred) => Some(true),
                    _ => None,
                }
            }
            Cond::Not(inner) => self.eval(inner, s).map(|v| !v),
            Cond::And(a, b) => match (self.eval(a, s), self.eval(b, s)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Cond::Or(a, b) => match (self.eval(a, s), self.eval(b, s)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
        }
    }

    /// Whether statements after query `q` in its block (`rest`, the next `QUEUE_LOOKAHEAD` ops) are
    /// sent on, or release, the same client: queries queued one after the other on a client,
    /// callback style. Bounded, so that a block of many queries stays linear.
    fn sent_on_later(&self, q: QueryId, rest: &[Op]) -> Later {
        const QUEUE_LOOKAHEAD: usize = 16;
        let l = self.l();
        let HandleKey::Binding(b) = l.queries[q as usize].handle else {
            return Later::Nothing;
        };
        if l.queries[q as usize].callback.is_none() {
            return Later::Nothing;
        }
        let b = self.resolve(b);
        // The client a release names: itself, or the one whose `done` / `release` callback it is.
        let released = |binding: BindingId| {
            let rb = self.resolve(binding);
            match l.bindings[rb as usize].origin {
                Origin::ReleaseFn(cid) => l.connects[cid as usize].target.map(|t| self.resolve(t)) == Some(b),
                _ => rb == b,
            }
        };
        rest.iter()
            .take(QUEUE_LOOKAHEAD)
            .find_map(|op| match op {
                Op::Query(q2) => {
                    matches!(l.queries[*q2 as usize].handle, HandleKey::Binding(b2) if self.resolve(b2) == b)
                        .then_some(Later::Sends)
                }
                Op::Release { binding, .. } => released(*binding).then_some(Later::Releases),
                Op::CallBinding { binding, .. } => {
                    (matches!(l.bindings[self.resolve(*binding) as usize].origin, Origin::ReleaseFn(_))
                        && released(*binding))
                    .then_some(Later::Releases)
                }
                _ => None,
            })
            .unwrap_or(Later::Nothing)
    }

    /// Client bindings a block (and the callbacks it runs) refers to.
    pub(super) fn mentioned_clients(&self, b: &Block) -> BTreeSet<BindingId> {
        let mut out = BTreeSet::new();
        let mut seen = BTreeSet::new();
        self.collect_mentions(b, &mut out, &mut seen);
        out
    }

    fn collect_mentions(&self, b: &Block, out: &mut BTreeSet<BindingId>, seen: &mut BTreeSet<FuncId>) {
        let l = self.l();
        let mut funcs = Vec::new();
        walk_ops(b, &mut |op| match op {
            Op::Query(q) => {
                if let HandleKey::Binding(b) = &l.queries[*q as usize].handle {
                    out.insert(self.resolve(*b));
                }
                if let Some(cb) = l.queries[*q as usize].callback {
                    funcs.push(cb);
                }
            }
            Op::Release { binding, .. } => {
                let b = self.resolve(*binding);
                // `done()`: the client of its connect.
                let b = match l.bindings[b as usize].origin {
                    Origin::ReleaseFn(cid) => l.connects[cid as usize].target.map_or(b, |t| self.resolve(t)),
                    _ => b,
                };
                out.insert(b);
            }
            Op::Inline { func, .. } => funcs.push(*func),
            Op::Connect(c) => {
                if let Some(cb) = l.connects[*c as usize].callback {
                    funcs.push(cb);
                }
            }
            _ => {}
        });
        for f in funcs {
            if seen.insert(f) {
                self.collect_mentions(&l.functions[f as usize].body, out, seen);
            }
        }
    }
}
