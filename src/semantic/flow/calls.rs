//! Calls: a local function is inlined with its parameters bound to the caller's handles (bounded
//! depth, never recursively), and a query or connect callback runs as the rest of the path, once
//! after success and once after failure.

use std::collections::HashMap;

use super::state::{Outcome, State};
use super::{ExitKind, Frame, Interp, Site, Subst};
use crate::semantic::model::*;
use crate::source::TextRange;

const MAX_INLINE_DEPTH: usize = 4;

impl<'a> Interp<'a> {
    /// Runs a callback twice: after success (`err` falsy, from `ok_states`) and after failure
    /// (`err` truthy, an error path raised at `site`, from `bad_states`). `adjust` sets up each.
    pub(super) fn run_callback(
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

    pub(super) fn run_continuation(&mut self, func: FuncId, states: Vec<State>) {
        if self.frames.iter().any(|fr| fr.func == func) {
            return;
        }
        let f = &self.l().functions[func as usize];
        self.frames.push(Frame {
            func,
            subst: HashMap::new(),
            call_site: None,
            chain_step: false,
            inlined: false,
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

    pub(super) fn exec_call(
        &mut self,
        callee: Option<FuncId>,
        args: &[Arg],
        range: TextRange,
        awaited: bool,
        states: Vec<State>,
    ) -> Outcome {
        let mut out = Outcome::default();
        let l = self.l();
        let depth = self.frames.iter().filter(|f| f.inlined).count();
        let inlinable = callee.filter(|f| depth < MAX_INLINE_DEPTH && !self.frames.iter().any(|fr| fr.func == *f));
        let Some(fid) = inlinable else {
            // A callback parameter called with a client in an open transaction: a wrapper.
            let callee_is_param = callee.is_none();
            if callee_is_param {
                for a in args {
                    if let Arg::Binding(b) = a {
                        let b = self.resolve(*b);
                        for s in &states {
                            if let Some(begin) = s.client(b).tx.open_begin() {
                                self.facts.txs.entry(begin).or_default().delegated = true;
                            }
                        }
                    }
                }
            }
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
            inlined: true,
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
}
