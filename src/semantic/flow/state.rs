//! The abstract state of one path: each client's acquisition and transaction, callback `err` flags,
//! guard values, the first write outside a transaction per handle, and the error-path marks. Also
//! `Outcome` (the states leaving a block, by way out) and `dedupe`, which keeps the set of paths
//! small by forgetting guards and flags, then writes, when it grows past `MAX_STATES`.

use super::{ExitKind, Site};
use crate::semantic::model::*;

const MAX_STATES: usize = 32;

/// Guard values and callback `err` flags one state remembers, at most: the most recent ones (the
/// conditions nearest the statements they guard). 40,000 nested `if (rows)` would otherwise make
/// every state, and every copy of it, 40,000 entries long.
const MAX_REMEMBERED: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Acq {
    NotAcquired,
    Acquired,
    Released,
    /// Acquired, and handed to callbacks that run later (a stream's or cursor's events, a timer):
    /// they release it, or leak it, when they run; the path that set them up is done with it.
    Deferred,
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
pub(super) struct ClientState {
    pub(super) acq: Acq,
    pub(super) tx: Tx,
    /// The last BEGIN on this client on this path (kept after COMMIT).
    pub(super) began: Option<QueryId>,
    /// The COMMIT that ended this path's transaction on this client, until the next BEGIN (or a
    /// ROLLBACK): a write now runs on its own, after the transaction it belongs with.
    pub(super) committed: Option<QueryId>,
    /// A session-level `SET` on this client not reset since (the first one).
    pub(super) session_set: Option<QueryId>,
    /// That `SET` was sent inside a transaction not committed yet (a ROLLBACK undoes it).
    pub(super) session_set_in_tx: bool,
    /// The ROLLBACK sent on this path since the last BEGIN.
    pub(super) rolled_back: Option<QueryId>,
}

pub(super) const UNKNOWN_CLIENT: ClientState = ClientState {
    acq: Acq::Unknown,
    tx: Tx::Unknown,
    began: None,
    committed: None,
    session_set: None,
    session_set_in_tx: false,
    rolled_back: None,
};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(super) struct State {
    pub(super) clients: Vec<(BindingId, ClientState)>,
    pub(super) flags: Vec<(BindingId, bool)>,
    pub(super) guards: Vec<(GuardId, bool)>,
    /// First write outside a transaction, per handle.
    pub(super) writes: Vec<(HandleKey, QueryId, Site)>,
    /// Pools on which a BEGIN was sent, with that BEGIN (pool-transaction reports those; the
    /// error-path and unawaited checks still apply to them).
    pub(super) pool_tx: Vec<(HandleKey, QueryId)>,
    pub(super) error_path: bool,
    /// Where the error of an error path was raised (the earliest site of a caught exception).
    pub(super) error_at: Option<Site>,
    /// The last `return` executed while a transaction was open (in a helper or `.then` step, the
    /// path goes on from there).
    pub(super) returned_at: Option<Site>,
    /// This iteration of a loop started after an error was caught in the previous one.
    pub(super) retry: bool,
    pub(super) responded: bool,
    /// On an error path, the error was handed on (a callback parameter called with arguments).
    pub(super) propagated: bool,
}

impl State {
    pub(super) fn client(&self, b: BindingId) -> ClientState {
        self.clients
            .iter()
            .find(|(id, _)| *id == b)
            .map(|(_, c)| *c)
            .unwrap_or(UNKNOWN_CLIENT)
    }
    pub(super) fn set_client(&mut self, b: BindingId, c: ClientState) {
        match self.clients.iter_mut().find(|(id, _)| *id == b) {
            Some(slot) => slot.1 = c,
            None => {
                self.clients.push((b, c));
                self.clients.sort();
            }
        }
    }
    pub(super) fn forget_client(&mut self, b: BindingId) {
        self.clients.retain(|(id, _)| *id != b);
    }
    pub(super) fn set_flag(&mut self, b: BindingId, v: bool) {
        self.flags.retain(|(id, _)| *id != b);
        self.flags.push((b, v));
        self.flags.sort();
        if self.flags.len() > MAX_REMEMBERED {
            self.flags.remove(0);
        }
    }
    /// Records a guard's value on this path; `false` when an older guard had to be forgotten
    /// (the analysis is then coarse, as when states are merged).
    pub(super) fn set_guard(&mut self, g: GuardId, v: bool) -> bool {
        self.guards.retain(|(id, _)| *id != g);
        self.guards.push((g, v));
        self.guards.sort();
        if self.guards.len() > MAX_REMEMBERED {
            self.guards.remove(0);
            return false;
        }
        true
    }
}

/// One way out of a block: the state, where it left, and how.
pub(super) type Exit = (State, Site, ExitKind);

/// The paths that left a block by `return` or by an exception, in the order they left. Blocks
/// nest (10,000 `else if`, 1,000 nested loops), and each level passes its inner block's exits on:
/// appending the smaller list to the larger, at whichever end keeps the order, makes that linear
/// overall instead of quadratic.
#[derive(Default)]
pub(super) struct Exits(std::collections::VecDeque<Exit>);

impl Exits {
    pub(super) fn push(&mut self, e: Exit) {
        self.0.push_back(e);
    }

    /// Appends `later` (exits that happened after these), moving the shorter of the two lists.
    pub(super) fn extend(&mut self, mut later: Exits) {
        if self.0.len() >= later.0.len() {
            self.0.append(&mut later.0);
        } else {
            while let Some(e) = self.0.pop_back() {
                later.0.push_front(e);
            }
            *self = later;
        }
    }
}

impl IntoIterator for Exits {
    type Item = Exit;
    type IntoIter = std::collections::vec_deque::IntoIter<Exit>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<Exit> for Exits {
    fn from_iter<I: IntoIterator<Item = Exit>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[derive(Default)]
pub(super) struct Outcome {
    pub(super) normal: Vec<State>,
    pub(super) returns: Exits,
    pub(super) throws: Exits,
    pub(super) breaks: Vec<(State, Option<String>)>,
    pub(super) continues: Vec<(State, Option<String>)>,
}

impl Outcome {
    pub(super) fn absorb_abrupt(&mut self, other: Outcome) -> Vec<State> {
        self.returns.extend(other.returns);
        self.throws.extend(other.throws);
        self.breaks.extend(other.breaks);
        self.continues.extend(other.continues);
        other.normal
    }
}

pub(super) fn dedupe(states: &mut Vec<State>, coarse: &mut bool) {
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
