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
//!
//! Files by job: this one holds the facts rules read, `analyse` and the choice of roots; `state` is
//! the abstract state of one path; `interp` runs blocks and ops (control flow, exits); `calls`
//! inlines calls of local functions and runs callbacks; `db_ops` applies connects, releases and
//! queries to a path.

mod calls;
mod db_ops;
mod interp;
mod state;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::semantic::lower::Lowered;
use crate::semantic::model::*;
use crate::semantic::sql::Isolation;
use crate::source::TextRange;
pub use state::{Acq, Tx};

/// A location in the analysed flow: the innermost range, and the range in the root function
/// (the call that leads into a helper, or the same range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    pub range: TextRange,
    pub outer: TextRange,
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
    /// Work we cannot see runs inside it and may write: the open transaction's client is handed
    /// to a callback or to a function we know nothing of (a transaction wrapper's callback), or
    /// is sent SQL whose text is unknown (`client.query(sql, params)` with `sql` a parameter).
    pub delegated: bool,
    /// BEGIN was sent through a pool (`pool.query('BEGIN')`): `client` is `None`, and each
    /// statement may run on another connection. `pool-transaction` reports it; the error-path
    /// and unawaited checks still apply.
    pub through_pool: bool,
}

impl TxFacts {
    /// It writes, or runs work we cannot see that may write (see `delegated`).
    pub fn may_write(&self) -> bool {
        !self.writes.is_empty() || self.delegated
    }
}

/// A client still acquired when a path leaves.
#[derive(Debug, Clone)]
pub struct LeakFact {
    pub client: BindingId,
    pub exit: ExitFact,
    /// A transaction begun on this client earlier on the path.
    pub began: Option<QueryId>,
}

/// A write sent on a client after the COMMIT of its transaction, on the same path: it runs in
/// autocommit, apart from the writes it follows.
#[derive(Debug, Clone)]
pub struct AfterCommit {
    pub root: FuncId,
    pub query: QueryId,
    pub commit: QueryId,
    pub site: Site,
}

/// A pooled client released (not destroyed) while a session-level `SET` is still in force: the
/// next borrower of the connection inherits the setting.
#[derive(Debug, Clone)]
pub struct SessionLeak {
    pub root: FuncId,
    pub set: QueryId,
    pub release: Site,
}

/// An HTTP response sent on a (non-error) path where a transaction is still to commit: `begin` is
/// its BEGIN, or `None` for a wrapper's transaction that commits after the callback returns.
#[derive(Debug, Clone)]
pub struct ResponseInTx {
    pub root: FuncId,
    pub begin: Option<QueryId>,
    pub site: Site,
}

/// An error path that sent ROLLBACK and then leaves the function normally (return or end), with no
/// response and without handing the error on.
#[derive(Debug, Clone)]
pub struct Swallowed {
    pub root: FuncId,
    pub begin: QueryId,
    pub rollback: QueryId,
    pub site: Site,
    pub kind: ExitKind,
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
    /// Writes after a COMMIT on the same client (see `query-after-commit`).
    pub after_commit: Vec<AfterCommit>,
    /// Pooled clients released with a session setting in force (see `session-state-leak`).
    pub session_leaks: Vec<SessionLeak>,
    /// Responses sent before the transaction they report on commits (`response-before-commit`).
    pub responses_in_tx: Vec<ResponseInTx>,
    /// Errors dropped after ROLLBACK (`rollback-swallows-error`).
    pub swallowed: Vec<Swallowed>,
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
    /// A call of a local function, inlined (counted against the inlining depth; the callbacks a
    /// path runs as its continuation are not).
    inlined: bool,
}

struct Interp<'a> {
    p: &'a Program<'a>,
    /// Bindings declared by each function.
    locals: &'a [Vec<BindingId>],
    root: FuncId,
    frames: Vec<Frame>,
    steps: usize,
    /// Steps this root may take (see `FILE_BASE_STEPS`); past it the root's facts are unknown.
    budget: usize,
    aborted: bool,
    coarse: bool,
    facts: FlowFacts,
    /// Write pairs already recorded (first write, second write), so that each is recorded once.
    pairs_seen: std::collections::HashSet<(QueryId, Site, QueryId, Site)>,
    /// What follows the query about to run in its block, on its client (see `exec_query`).
    queued_later: Later,
    /// Module-level `new Client()`s that never run a transaction (see [`autocommit_clients`]).
    autocommit: &'a [BindingId],
}

/// What a block does with a client after sending it a query with a callback, before the callback
/// can run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Later {
    #[default]
    Nothing,
    /// Sends it more statements (queued one after the other).
    Sends,
    /// Releases it: the callback runs on a client already back in the pool.
    Releases,
}

/// The analysis of a file takes at most this many steps (ops executed on a set of paths), plus
/// `STEPS_PER_OP` for each op of the file, so that its time is linear in the file's size whatever
/// the shape (1,000 nested loops, each run twice, would take 2^1000 steps). Real code stays far
/// below: the most any function of the fixtures, twelve real projects and 20,000 files of npm
/// packages takes is 329 steps.
const FILE_BASE_STEPS: usize = 4_000;
const STEPS_PER_OP: usize = 8;
/// No single function takes more than this, whatever the size of its file.
const MAX_ROOT_STEPS: usize = 200_000;

/// Functions whose analysis ran out of budget since the process started (`--stats`). Their facts
/// are unknown: they produce no finding.
pub static OVER_BUDGET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn analyse(p: &Program<'_>) -> FlowFacts {
    let mut facts = FlowFacts::default();
    let roots: Vec<FuncId> = relevant_roots(p);
    if roots.is_empty() {
        return facts;
    }
    let mut ops = 0usize;
    for f in &p.l.functions {
        walk_ops(&f.body, &mut |_| ops += 1);
    }
    let mut remaining = FILE_BASE_STEPS.saturating_add(ops.saturating_mul(STEPS_PER_OP));
    let mut locals: Vec<Vec<BindingId>> = vec![Vec::new(); p.l.functions.len()];
    for (i, b) in p.l.bindings.iter().enumerate() {
        if let Some(list) = locals.get_mut(b.func as usize) {
            list.push(i as BindingId);
        }
    }
    let autocommit = autocommit_clients(p);
    for root in roots {
        let mut it = Interp {
            p,
            locals: &locals,
            root,
            frames: Vec::new(),
            steps: 0,
            budget: remaining.min(MAX_ROOT_STEPS),
            aborted: false,
            coarse: false,
            facts: FlowFacts::default(),
            pairs_seen: Default::default(),
            queued_later: Later::Nothing,
            autocommit: &autocommit,
        };
        it.run_root();
        remaining = remaining.saturating_sub(it.steps);
        if it.aborted {
            OVER_BUDGET.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        } else {
            merge_facts(&mut facts, it.facts);
            facts.analysed.insert(root);
        }
    }
    facts.callers = callers(p);
    facts
}

/// Module-level `new Client()`s that no statement of this file can put in a transaction (no
/// `BEGIN` is sent on them, nor SQL txlint cannot read) and that no other module can reach (not
/// exported): every function finds them outside a transaction, each statement committing on its
/// own, as on a pool.
fn autocommit_clients(p: &Program<'_>) -> Vec<BindingId> {
    fn exported(v: &ExportValue, out: &mut Vec<BindingId>) {
        match v {
            ExportValue::Binding(b) => out.push(*b),
            ExportValue::Object(members) => members.iter().for_each(|(_, m)| exported(m, out)),
            _ => {}
        }
    }
    let l = p.l;
    let mut shared = Vec::new();
    for (_, v) in &l.exports.named {
        exported(v, &mut shared);
    }
    if let Some(v) = &l.exports.module_exports {
        exported(v, &mut shared);
    }
    l.bindings
        .iter()
        .enumerate()
        .map(|(i, b)| (i as BindingId, b))
        .filter(|(i, b)| {
            b.func == MODULE_FN
                && b.origin == Origin::NewClient
                && p.kinds.get(&HandleKey::Binding(*i)) == Some(&HandleKind::StandaloneClient)
                && !shared.contains(i)
        })
        .filter(|(i, _)| {
            !l.queries
                .iter()
                .any(|q| q.handle == HandleKey::Binding(*i) && q.sql.info.as_ref().is_none_or(|info| info.begins()))
        })
        .map(|(i, _)| i)
        .collect()
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
        e.delegated |= t.delegated;
        e.through_pool |= t.through_pool;
    }
    into.leaks.extend(from.leaks);
    into.after_commit.extend(from.after_commit);
    into.session_leaks.extend(from.session_leaks);
    into.responses_in_tx.extend(from.responses_in_tx);
    into.swallowed.extend(from.swallowed);
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
        .filter(|f| {
            relevant[f.id as usize] && matches!(f.role, FnRole::Standalone | FnRole::ManagedTx | FnRole::WrapperTx)
        })
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
            Op::Loop { body, .. } | Op::Detached { body } | Op::Labeled { body, .. } | Op::Group { body } => {
                walk_ops(body, f)
            }
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

/// Visits every op of a block mutably, then the blocks nested in it (not other functions).
pub fn walk_ops_mut(b: &mut Block, f: &mut dyn FnMut(&mut Op)) {
    for op in &mut b.0 {
        f(op);
        match op {
            Op::If { then_, else_, .. } => {
                walk_ops_mut(then_, f);
                walk_ops_mut(else_, f);
            }
            Op::Loop { body, .. } | Op::Detached { body } | Op::Labeled { body, .. } | Op::Group { body } => {
                walk_ops_mut(body, f)
            }
            Op::Switch { cases, .. } => cases.iter_mut().for_each(|c| walk_ops_mut(c, f)),
            Op::Try { body, catch, finally } => {
                walk_ops_mut(body, f);
                if let Some(c) = catch {
                    walk_ops_mut(c, f);
                }
                if let Some(fin) = finally {
                    walk_ops_mut(fin, f);
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
}
