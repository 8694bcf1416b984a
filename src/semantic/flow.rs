//! Path-sensitive abstract interpretation of each function's IR.
//!
//! Per path we track, for every client acquired in the flow, whether it is acquired or released and
//! whether a transaction is open on it; the truth of callback `err` parameters; the value of
//! conditions on query results (guards); and the first write done outside a transaction per handle.
//! Paths are kept as a small set of distinct states (deduplicated, capped) and merged at joins;
//! loops run twice; `try`/`catch`/`finally`, `break`/`continue`/`return`/`throw` are followed
//! exactly. Calls of functions defined in the file are inlined (bounded depth), with their
//! parameters bound to the caller's handles, so a transaction spread over helpers is one
//! transaction, and a hand-written `withTransaction(pool, async (client) => ...)` is judged by its
//! body. Callbacks that run later (query and connect callbacks, floating promise chains) end the
//! path: their exits are final.
//!
//! The result is a set of facts (`FlowFacts`) that rules read; no rule walks the IR itself.
//! Absent knowledge is `Unknown` and produces no fact a rule could report.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::semantic::lower::Lowered;
use crate::semantic::model::*;
use crate::semantic::sql::{Isolation, StmtKind};
use crate::source::TextRange;

const MAX_STATES: usize = 32;
const MAX_INLINE_DEPTH: usize = 4;
const MAX_STEPS: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Acq {
    NotAcquired,
    Acquired,
    Released,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tx {
    None,
    /// Open, begun by this BEGIN query.
    Open(QueryId),
    /// A statement failed: only ROLLBACK helps now.
    Aborted(QueryId),
    /// Owned by a library or wrapper.
    Managed,
    Unknown,
}

impl Tx {
    /// Inside a transaction (ours or a library's).
    pub fn is_in_tx(self) -> bool {
        matches!(self, Tx::Open(_) | Tx::Aborted(_) | Tx::Managed)
    }

    pub fn open_begin(self) -> Option<QueryId> {
        match self {
            Tx::Open(b) | Tx::Aborted(b) => Some(b),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct ClientState {
    acq: Acq,
    tx: Tx,
    /// The last BEGIN on this client on this path (kept after COMMIT).
    began: Option<QueryId>,
}

const UNKNOWN_CLIENT: ClientState = ClientState {
    acq: Acq::Unknown,
    tx: Tx::Unknown,
    began: None,
};

/// A location in the analysed flow: the innermost range, and the range in the root function
/// (the call that leads into a helper, or the same range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    pub range: TextRange,
    pub outer: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
struct State {
    clients: Vec<(BindingId, ClientState)>,
    flags: Vec<(BindingId, bool)>,
    guards: Vec<(GuardId, bool)>,
    /// First write outside a transaction, per handle.
    writes: Vec<(HandleKey, QueryId, Site)>,
    /// Pools on which a BEGIN was sent (pool-transaction owns those).
    pool_tx: Vec<HandleKey>,
    error_path: bool,
    /// Where the error of an error path was raised (the earliest site of a caught exception).
    error_at: Option<Site>,
    /// The last `return` executed while a transaction was open (in a helper or `.then` step, the
    /// path goes on from there).
    returned_at: Option<Site>,
    /// This iteration of a loop started after an error was caught in the previous one.
    retry: bool,
    responded: bool,
}

impl State {
    fn client(&self, b: BindingId) -> ClientState {
        self.clients
            .iter()
            .find(|(id, _)| *id == b)
            .map(|(_, c)| *c)
            .unwrap_or(UNKNOWN_CLIENT)
    }
    fn set_client(&mut self, b: BindingId, c: ClientState) {
        match self.clients.iter_mut().find(|(id, _)| *id == b) {
            Some(slot) => slot.1 = c,
            None => {
                self.clients.push((b, c));
                self.clients.sort();
            }
        }
    }
    fn forget_client(&mut self, b: BindingId) {
        self.clients.retain(|(id, _)| *id != b);
    }
    fn set_flag(&mut self, b: BindingId, v: bool) {
        self.flags.retain(|(id, _)| *id != b);
        self.flags.push((b, v));
        self.flags.sort();
    }
    fn set_guard(&mut self, g: GuardId, v: bool) {
        self.guards.retain(|(id, _)| *id != g);
        self.guards.push((g, v));
        self.guards.sort();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitKind {
    /// The end of the function body.
    FallOff,
    Return,
    /// An explicit `throw`.
    Throw,
    /// A statement that may fail (a query, an awaited call).
    Exception,
}

type Exits = Vec<(State, Site, ExitKind)>;

#[derive(Default)]
struct Outcome {
    normal: Vec<State>,
    returns: Exits,
    throws: Exits,
    breaks: Vec<(State, Option<String>)>,
    continues: Vec<(State, Option<String>)>,
}

impl Outcome {
    fn absorb_abrupt(&mut self, other: Outcome) -> Vec<State> {
        self.returns.extend(other.returns);
        self.throws.extend(other.throws);
        self.breaks.extend(other.breaks);
        self.continues.extend(other.continues);
        other.normal
    }
}

/// One way a path leaves the analysed flow.
#[derive(Debug, Clone)]
pub struct ExitFact {
    pub root: FuncId,
    pub site: Site,
    /// For an error path: where the error came from (the failing statement), when known.
    pub origin: Option<Site>,
    /// The `return` that left a transaction open, when it was not the exit itself.
    pub returned_at: Option<Site>,
    pub kind: ExitKind,
    /// On an error path: an exception, or inside a `catch` / callback error branch.
    pub error_path: bool,
    pub responded: bool,
}

/// What happened to one transaction (keyed by its BEGIN query).
#[derive(Debug, Clone, Default)]
pub struct TxFacts {
    pub client: Option<BindingId>,
    pub roots: BTreeSet<FuncId>,
    pub isolation: Option<Isolation>,
    pub writes: BTreeSet<QueryId>,
    pub commits: BTreeSet<QueryId>,
    pub rollbacks: BTreeSet<QueryId>,
    /// `SAVEPOINT cockroach_restart` seen inside it.
    pub restart_protocol: bool,
    /// Begun again by a loop after an error was caught: the loop retries it.
    pub retried_by_loop: bool,
    /// Paths leaving with the transaction still open.
    pub open_exits: Vec<ExitFact>,
    /// Error paths leaving with the client still acquired (not released) after BEGIN.
    pub leaked_after_begin: Vec<ExitFact>,
    /// `release()` without error while the transaction is open.
    pub released_open: Vec<Site>,
    /// Statements run on the client while the transaction was open (for unawaited checks).
    pub inside: BTreeSet<QueryId>,
}

/// A client still acquired when a path leaves.
#[derive(Debug, Clone)]
pub struct LeakFact {
    pub client: BindingId,
    pub exit: ExitFact,
    /// A transaction begun on this client earlier on the path.
    pub began: Option<QueryId>,
}

/// Two writes outside any transaction on one path, through one handle.
#[derive(Debug, Clone)]
pub struct WritePair {
    pub root: FuncId,
    pub handle: HandleKey,
    pub first: (QueryId, Site),
    pub second: (QueryId, Site),
}

/// How a query was reached, over every path and root.
#[derive(Debug, Clone, Default)]
pub struct QueryCtx {
    /// Per root: transaction states of its handle when it ran.
    pub tx: BTreeMap<FuncId, BTreeSet<Tx>>,
    /// Per root: guard -> (reached with true, reached with false, reached without passing it).
    pub guards: BTreeMap<FuncId, BTreeMap<GuardId, (bool, bool, bool)>>,
    /// Roots where guard tracking lost precision.
    pub coarse_roots: BTreeSet<FuncId>,
    /// Sites (with the root-level location) where it ran.
    pub sites: BTreeSet<(FuncId, Site)>,
}

#[derive(Debug, Default)]
pub struct FlowFacts {
    pub txs: BTreeMap<QueryId, TxFacts>,
    pub leaks: Vec<LeakFact>,
    pub write_pairs: Vec<WritePair>,
    pub queries: BTreeMap<QueryId, QueryCtx>,
    /// Roots that were analysed completely.
    pub analysed: BTreeSet<FuncId>,
    /// Callers of each function (by in-file calls).
    pub callers: BTreeMap<FuncId, BTreeSet<FuncId>>,
}

/// Read-only inputs of the interpreter.
pub struct Program<'a> {
    pub l: &'a Lowered,
    pub kinds: &'a BTreeMap<HandleKey, HandleKind>,
}

#[derive(Clone)]
enum Subst {
    Binding(BindingId),
    Func(FuncId),
}

struct Frame {
    func: FuncId,
    subst: HashMap<BindingId, Subst>,
    call_site: Option<TextRange>,
    /// A `.then`/`.catch` step: its `return` continues the chain.
    chain_step: bool,
}

struct Interp<'a> {
    p: &'a Program<'a>,
    /// Bindings declared by each function.
    locals: &'a [Vec<BindingId>],
    root: FuncId,
    frames: Vec<Frame>,
    steps: usize,
    aborted: bool,
    coarse: bool,
    facts: FlowFacts,
}

pub fn analyse(p: &Program<'_>) -> FlowFacts {
    let mut facts = FlowFacts::default();
    let roots: Vec<FuncId> = relevant_roots(p);
    if roots.is_empty() {
        return facts;
    }
    let mut locals: Vec<Vec<BindingId>> = vec![Vec::new(); p.l.functions.len()];
    for (i, b) in p.l.bindings.iter().enumerate() {
        if let Some(list) = locals.get_mut(b.func as usize) {
            list.push(i as BindingId);
        }
    }
    for root in roots {
        let mut it = Interp {
            p,
            locals: &locals,
            root,
            frames: Vec::new(),
            steps: 0,
            aborted: false,
            coarse: false,
            facts: FlowFacts::default(),
        };
        it.run_root();
        if !it.aborted {
            merge_facts(&mut facts, it.facts);
            facts.analysed.insert(root);
        }
    }
    facts.callers = callers(p);
    facts
}

fn merge_facts(into: &mut FlowFacts, from: FlowFacts) {
    for (b, t) in from.txs {
        let e = into.txs.entry(b).or_default();
        e.client = e.client.or(t.client);
        e.roots.extend(t.roots);
        e.isolation = e.isolation.or(t.isolation);
        e.writes.extend(t.writes);
        e.commits.extend(t.commits);
        e.rollbacks.extend(t.rollbacks);
        e.restart_protocol |= t.restart_protocol;
        e.retried_by_loop |= t.retried_by_loop;
        e.open_exits.extend(t.open_exits);
        e.leaked_after_begin.extend(t.leaked_after_begin);
        e.released_open.extend(t.released_open);
        e.inside.extend(t.inside);
    }
    into.leaks.extend(from.leaks);
    into.write_pairs.extend(from.write_pairs);
    for (q, c) in from.queries {
        let e = into.queries.entry(q).or_default();
        for (root, views) in c.tx {
            e.tx.entry(root).or_default().extend(views);
        }
        for (root, g) in c.guards {
            let eg = e.guards.entry(root).or_default();
            for (id, (t, f, a)) in g {
                let slot = eg.entry(id).or_default();
                slot.0 |= t;
                slot.1 |= f;
                slot.2 |= a;
            }
        }
        e.coarse_roots.extend(c.coarse_roots);
        e.sites.extend(c.sites);
    }
}

/// Functions that run on their own and reach a database operation on a recognised handle,
/// directly, through callbacks they run inline, or through functions of this file they call.
/// Computed with one walk over the IR and a worklist; a file without handles has no roots.
fn relevant_roots(p: &Program<'_>) -> Vec<FuncId> {
    let l = p.l;
    let n = l.functions.len();
    let mut relevant = vec![false; n];
    let mut queue: Vec<FuncId> = Vec::new();
    let seed = |f: FuncId, relevant: &mut Vec<bool>, queue: &mut Vec<FuncId>| {
        if !relevant[f as usize] {
            relevant[f as usize] = true;
            queue.push(f);
        }
    };
    for q in &l.queries {
        if p.kinds.contains_key(&q.handle) {
            seed(q.func, &mut relevant, &mut queue);
        }
    }
    for c in &l.connects {
        if c.target.is_some_and(|t| p.kinds.contains_key(&HandleKey::Binding(t))) {
            seed(c.func, &mut relevant, &mut queue);
        }
    }
    if queue.is_empty() {
        return Vec::new();
    }
    // dependents[g] = functions that become relevant when g is.
    let mut dependents: Vec<Vec<FuncId>> = vec![Vec::new(); n];
    for f in &l.functions {
        if let (FnRole::Continuation | FnRole::ChainStep | FnRole::Inline, Some(parent)) = (f.role, f.parent) {
            dependents[f.id as usize].push(parent);
        }
        walk_ops(&f.body, &mut |op| match op {
            Op::Inline { func, .. } => dependents[*func as usize].push(f.id),
            Op::CallBinding { binding, args, .. } => {
                if let Origin::Function(fid) = l.bindings[*binding as usize].origin {
                    dependents[fid as usize].push(f.id);
                }
                for a in args {
                    if let Arg::Func(af) = a {
                        dependents[*af as usize].push(f.id);
                    }
                }
            }
            _ => {}
        });
    }
    while let Some(g) = queue.pop() {
        for &d in &dependents[g as usize] {
            seed(d, &mut relevant, &mut queue);
        }
    }
    l.functions
        .iter()
        .filter(|f| relevant[f.id as usize] && matches!(f.role, FnRole::Standalone | FnRole::ManagedTx))
        .map(|f| f.id)
        .collect()
}

/// Visits every op of a block, recursively through nested blocks (not into other functions).
pub fn walk_ops(b: &Block, f: &mut dyn FnMut(&Op)) {
    for op in &b.0 {
        f(op);
        match op {
            Op::If { then_, else_, .. } => {
                walk_ops(then_, f);
                walk_ops(else_, f);
            }
            Op::Loop { body, .. } | Op::Detached { body } | Op::Labeled { body, .. } => walk_ops(body, f),
            Op::Switch { cases, .. } => cases.iter().for_each(|c| walk_ops(c, f)),
            Op::Try { body, catch, finally } => {
                walk_ops(body, f);
                if let Some(c) = catch {
                    walk_ops(c, f);
                }
                if let Some(fin) = finally {
                    walk_ops(fin, f);
                }
            }
            _ => {}
        }
    }
}

fn callers(p: &Program<'_>) -> BTreeMap<FuncId, BTreeSet<FuncId>> {
    let mut out: BTreeMap<FuncId, BTreeSet<FuncId>> = BTreeMap::new();
    for f in &p.l.functions {
        walk_ops(&f.body, &mut |op| {
            if let Op::CallBinding { binding, args, .. } = op
                && let Origin::Function(fid) = p.l.bindings[*binding as usize].origin
            {
                out.entry(fid).or_default().insert(f.id);
                // A function passed to a local function runs inside it.
                for a in args {
                    if let Arg::Func(af) = a {
                        out.entry(*af).or_default().insert(fid);
                    }
                }
            }
        });
    }
    out
}

fn dedupe(states: &mut Vec<State>, coarse: &mut bool) {
    states.sort();
    states.dedup();
    if states.len() > MAX_STATES {
        *coarse = true;
        for s in states.iter_mut() {
            s.guards.clear();
            s.flags.clear();
        }
        states.sort();
        states.dedup();
        if states.len() > MAX_STATES {
            for s in states.iter_mut() {
                s.writes.clear();
                s.responded = false;
            }
            states.sort();
            states.dedup();
            states.truncate(MAX_STATES);
        }
    }
}

impl<'a> Interp<'a> {
    fn l(&self) -> &'a Lowered {
        self.p.l
    }

    fn site(&self, range: TextRange) -> Site {
        let outer = self.frames.iter().find_map(|f| f.call_site).unwrap_or(range);
        Site { range, outer }
    }

    /// The binding a name refers to in the root's terms (through inlined parameters).
    fn resolve(&self, b: BindingId) -> BindingId {
        let mut cur = b;
        for frame in self.frames.iter().rev() {
            match frame.subst.get(&cur) {
                Some(Subst::Binding(nb)) => cur = *nb,
                Some(Subst::Func(_)) => return cur,
                None => {}
            }
        }
        cur
    }

    fn resolve_func(&self, b: BindingId) -> Option<FuncId> {
        for frame in self.frames.iter().rev() {
            match frame.subst.get(&b) {
                Some(Subst::Func(f)) => return Some(*f),
                Some(Subst::Binding(nb)) => return self.resolve_func_from(*nb),
                None => {}
            }
        }
        self.resolve_func_from(b)
    }

    fn resolve_func_from(&self, b: BindingId) -> Option<FuncId> {
        match self.l().bindings[b as usize].origin {
            Origin::Function(f) => Some(f),
            _ => None,
        }
    }

    fn key(&self, k: &HandleKey) -> HandleKey {
        match k {
            HandleKey::Binding(b) => HandleKey::Binding(self.resolve(*b)),
            other => other.clone(),
        }
    }

    fn kind_of(&self, original: &HandleKey, resolved: &HandleKey) -> Option<HandleKind> {
        self.p
            .kinds
            .get(resolved)
            .or_else(|| self.p.kinds.get(original))
            .copied()
    }

    fn client_kind(&self, b: BindingId) -> Option<HandleKind> {
        self.p
            .kinds
            .get(&HandleKey::Binding(b))
            .copied()
            .filter(|k| k.is_client())
    }

    fn run_root(&mut self) {
        let l = self.l();
        let f = &l.functions[self.root as usize];
        let mut init = State::default();
        if f.role == FnRole::ManagedTx {
            for params in &f.params {
                for &b in params {
                    init.set_client(
                        b,
                        ClientState {
                            acq: Acq::Unknown,
                            tx: Tx::Managed,
                            began: None,
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
    fn exit(&mut self, s: &State, site: Site, kind: ExitKind) {
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
        if self.steps > MAX_STEPS {
            self.aborted = true;
        }
        !self.aborted
    }

    fn exec_block(&mut self, b: &Block, states: Vec<State>) -> Outcome {
        let mut out = Outcome::default();
        let mut cur = states;
        for op in &b.0 {
            if cur.is_empty() || !self.step() {
                break;
            }
            let o = stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || self.exec_op(op, cur));
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
                return self.exec_call(callee, args, *range, *awaited, states);
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
                    match self.eval(cond, &s) {
                        Some(true) => then_in.push(s),
                        Some(false) => else_in.push(s),
                        None => {
                            then_in.push(s.clone());
                            else_in.push(s);
                        }
                    }
                }
                if let Some(g) = guard {
                    then_in.iter_mut().for_each(|s| s.set_guard(*g, true));
                    else_in.iter_mut().for_each(|s| s.set_guard(*g, false));
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
                out.throws = states.into_iter().map(|s| (s, site, ExitKind::Throw)).collect();
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
            Op::Respond { .. } => {
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

    /// `client.release(err?)`, `client.end()` or `done(err?)`: with an error the connection is
    /// destroyed, which rolls back whatever was open on it.
    fn exec_release(&mut self, binding: BindingId, error: bool, range: TextRange, states: Vec<State>) -> Outcome {
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
            } else if let Some(begin) = c.tx.open_begin() {
                self.facts.txs.entry(begin).or_default().released_open.push(site);
            }
            c.acq = Acq::Released;
            s.set_client(b, c);
            out.normal.push(s);
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
            throws: Vec::new(),
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

    /// Runs a callback twice: after success (`err` falsy, from `ok_states`) and after failure
    /// (`err` truthy, an error path raised at `site`, from `bad_states`). `adjust` sets up each.
    fn run_callback(
        &mut self,
        cb: FuncId,
        err: Option<BindingId>,
        site: Site,
        ok_states: &[State],
        bad_states: &[State],
        adjust: impl Fn(&mut State, bool),
    ) {
        for (input, ok) in [(ok_states, true), (bad_states, false)] {
            let runs: Vec<State> = input
                .iter()
                .cloned()
                .map(|mut s| {
                    if let Some(e) = err {
                        s.set_flag(e, !ok);
                    }
                    if !ok {
                        s.error_path = true;
                        s.error_at.get_or_insert(site);
                    }
                    adjust(&mut s, ok);
                    s
                })
                .collect();
            self.run_continuation(cb, runs);
        }
    }

    fn run_continuation(&mut self, func: FuncId, states: Vec<State>) {
        if self.frames.iter().any(|fr| fr.func == func) {
            return;
        }
        let f = &self.l().functions[func as usize];
        self.frames.push(Frame {
            func,
            subst: HashMap::new(),
            call_site: None,
            chain_step: false,
        });
        let o = self.exec_block(&f.body, states);
        let end = self.site(f.end);
        for s in o.normal {
            self.exit(&s, end, ExitKind::FallOff);
        }
        for (s, site, kind) in o.returns.into_iter().chain(o.throws) {
            self.exit(&s, site, kind);
        }
        self.frames.pop();
    }

    fn exec_call(
        &mut self,
        callee: Option<FuncId>,
        args: &[Arg],
        range: TextRange,
        awaited: bool,
        states: Vec<State>,
    ) -> Outcome {
        let mut out = Outcome::default();
        let l = self.l();
        let inlinable =
            callee.filter(|f| self.frames.len() < MAX_INLINE_DEPTH + 1 && !self.frames.iter().any(|fr| fr.func == *f));
        let Some(fid) = inlinable else {
            if awaited {
                let site = self.site(range);
                out.throws = states.iter().map(|s| (s.clone(), site, ExitKind::Exception)).collect();
            }
            out.normal = states;
            return out;
        };
        let f = &l.functions[fid as usize];
        let mut subst = HashMap::new();
        for (i, arg) in args.iter().enumerate() {
            let Some(params) = f.params.get(i) else { break };
            let [p] = params.as_slice() else { continue };
            match arg {
                Arg::Binding(b) => {
                    if let Some(func) = self.resolve_func(*b) {
                        subst.insert(*p, Subst::Func(func));
                    } else {
                        subst.insert(*p, Subst::Binding(self.resolve(*b)));
                    }
                }
                Arg::Func(af) => {
                    subst.insert(*p, Subst::Func(*af));
                }
                Arg::Other => {}
            }
        }
        let call_site = if self.frames.iter().any(|f| f.call_site.is_some()) {
            None
        } else {
            Some(range)
        };
        self.frames.push(Frame {
            func: fid,
            subst,
            call_site,
            chain_step: false,
        });
        let o = self.exec_block(&f.body, states);
        self.frames.pop();
        let locals: &[BindingId] = self.locals.get(fid as usize).map(Vec::as_slice).unwrap_or(&[]);
        let drop_locals = |mut s: State| {
            s.clients.retain(|(b, _)| !locals.contains(b));
            s.flags.retain(|(b, _)| !locals.contains(b));
            s
        };
        out.normal = o
            .normal
            .into_iter()
            .chain(o.returns.into_iter().map(|(s, _, _)| s))
            .map(drop_locals)
            .collect();
        out.throws = o
            .throws
            .into_iter()
            .map(|(s, site, k)| (drop_locals(s), site, k))
            .collect();
        out
    }

    fn exec_connect(&mut self, cid: ConnectId, states: Vec<State>) -> Outcome {
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
        };
        let failed = ClientState {
            acq: Acq::NotAcquired,
            tx: Tx::None,
            began: None,
        };
        if let Some(cb) = c.callback {
            let site = self.site(c.range);
            self.run_callback(cb, c.err_param, site, &states, &states, |s, ok| {
                s.set_client(target, if ok { acquired } else { failed });
            });
            out.normal = states;
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

    fn exec_query(&mut self, q: QueryId, states: Vec<State>) -> Outcome {
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
            None => Tx::None,
        };
        self.record_query_ctx(q, &states, &tx_of);
        let stmts: &[StmtKind] = ev.sql.info.as_ref().map(|i| i.statements.as_slice()).unwrap_or(&[]);
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
                    if c != UNKNOWN_CLIENT {
                        bad.set_client(b, c);
                    }
                }
                out.throws.push((bad, site, ExitKind::Exception));
            }
            let mut ok = s.clone();
            self.apply_statements(q, stmts, client, &key, kind, managed_root, site, &mut ok);
            next.push(ok);
        }
        // `await client.query(sql, cb)` (async code that also passes a callback): the callback
        // runs on the side; the client's story goes on here. `unawaited-query` reports it.
        let side_callback = matches!(ev.await_kind, AwaitKind::Awaited | AwaitKind::PromiseAll)
            || (ev.await_kind == AwaitKind::Returned && ev.in_async_fn);
        if let Some(cb) = ev.callback.filter(|_| !side_callback) {
            // Callback style: the callback is the rest of this client's story.
            let f = &l.functions[cb as usize];
            let err = f.params.first().and_then(|p| p.first().copied());
            let begins = stmts.iter().any(|k| matches!(k, StmtKind::Begin { .. }));
            self.run_callback(cb, err, site, &next, &states, |s, ok| {
                // The failed statement aborts an open transaction.
                if let (false, Some(b)) = (ok, client) {
                    let mut c = s.client(b);
                    if let (Tx::Open(begin), false) = (c.tx, begins) {
                        c.tx = Tx::Aborted(begin);
                        s.set_client(b, c);
                    }
                }
            });
            let mut touched = self.mentioned_clients(&f.body);
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
                                }
                            }
                            if c.tx != Tx::Managed {
                                c.tx = Tx::None;
                            }
                        }
                        StmtKind::Rollback => {
                            if let Some(begin) = c.tx.open_begin() {
                                self.facts.txs.entry(begin).or_default().rollbacks.insert(q);
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
                    // A pool: every query is its own transaction.
                    let in_pool_tx = s.pool_tx.contains(key);
                    match stmt {
                        StmtKind::Begin { .. } if !in_pool_tx => {
                            s.pool_tx.push(key.clone());
                            s.pool_tx.sort();
                        }
                        k if k.is_write()
                            && kind == HandleKind::Pool
                            && !managed_root
                            && !in_pool_tx
                            && !counted_write =>
                        {
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
                    Some(Acq::Acquired | Acq::Released) => Some(true),
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

    /// Client bindings a block (and the callbacks it runs) refers to.
    fn mentioned_clients(&self, b: &Block) -> BTreeSet<BindingId> {
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
                out.insert(self.resolve(*binding));
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
