//! `rollback-without-finally`: a transaction with an error path that does not roll it back, or
//! whose client is not released on an error path (release not in `finally`).
//!
//! Facts used: the flow's exits of each transaction that writes. An exit is an error path when it
//! is an exception (a failing query, an awaited call, `throw`) or runs inside a `catch` or a
//! callback's `err` branch. `client.release(err)` / `done(err)` destroy the connection, which
//! rolls the transaction back, so such a path is fine. Read-only transactions are ignored.
//! Known false negatives: errors thrown by synchronous code we cannot see are not modelled.
//!
//! Edit (unsafe, `--unsafe-fixes`): `ROLLBACK` added to the `catch` (or a `catch` added, or the
//! transaction wrapped in `try` when it has none), the release moved into `finally` (see
//! `rollback_fix` and `rules::wrap`).

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::rules::util::{line, owned_writing_transactions, pool_of_client, tx_skeleton};
use crate::rules::wrap::{self, Located, Style, Syntax, Wrap};
use crate::rules::{FixAvailability, Rule, RuleContext, RuleMeta, rule_doc};
use crate::semantic::flow::{ExitKind, TxFacts};
use crate::semantic::{AwaitKind, BindingId, FileModel, Origin, QueryId};
use crate::source::TextRange;

pub struct RollbackWithoutFinally;

static META: RuleMeta = RuleMeta {
    id: "rollback-without-finally",
    severity: crate::diagnostic::Severity::Warning,
    fix: FixAvailability::Suggestion,
    doc: rule_doc!("rollback-without-finally"),
};

impl Rule for RollbackWithoutFinally {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, m: &FileModel<'_>, cx: &mut RuleContext) {
        // Parsed again only when a finding may get an edit.
        let syntax = std::cell::OnceCell::new();
        for (begin, tx, client) in owned_writing_transactions(m) {
            let mut open: Vec<_> = tx.open_exits.iter().filter(|e| e.error_path).collect();
            let mut leaked: Vec<_> = tx.leaked_after_begin.iter().collect();
            if open.is_empty() && leaked.is_empty() {
                continue;
            }
            let at = |e: &crate::semantic::flow::ExitFact| e.origin.unwrap_or(e.site).outer;
            open.sort_by_key(|e| at(e));
            leaked.sort_by_key(|e| at(e));
            let q = m.query(begin);
            let name = m.binding_name(client).to_string();
            let message = match (open.first(), leaked.first()) {
                (Some(e), Some(_)) => format!(
                    "an error after `BEGIN` (line {}) leaves the transaction on `{name}` open and skips `{name}.release()`: the connection goes back to the pool poisoned, or never",
                    line(m, at(e))
                ),
                (Some(e), None) => format!(
                    "an error after `BEGIN` (line {}) leaves the transaction on `{name}` open: no `ROLLBACK` runs on that path",
                    line(m, at(e))
                ),
                (None, Some(e)) => format!(
                    "an error after `BEGIN` (line {}) skips `{name}.release()`: the connection never returns to the pool",
                    line(m, at(e))
                ),
                (None, None) => continue,
            };
            let mut d = cx.diagnostic(q.head, message);
            if let Some(e) = open.first() {
                d = d.label(at(e), "an error here is not rolled back");
                if e.origin.is_some() && !matches!(e.kind, ExitKind::Exception | ExitKind::Throw) {
                    d = d.label(e.site.outer, "the error path leaves here without `ROLLBACK`");
                }
            }
            if let Some(e) = leaked.first()
                && open.first().is_none_or(|o| at(o) != at(e))
            {
                d = d.label(at(e), format!("an error here skips `{name}.release()`"));
            }
            let pool = pool_of_client(m, client);
            let help = if q.callback.is_some() || leaked.is_empty() && pool.is_none() {
                format!(
                    "On every error path run `ROLLBACK` (or release the client with the error: `{name}.release(err)` / `done(err)`)"
                )
            } else {
                format!("Put the statements in `try`, `ROLLBACK` in `catch`, and `{name}.release()` in `finally`")
            };
            let body = vec!["// ... the transaction's statements".to_string()];
            d = d
                .help(help)
                .example(tx_skeleton(pool.as_deref(), &name, &body, m.database));
            if let Some(edited) = Shape::of(begin, tx, client).and_then(|s| rollback_fix(m, &s, &syntax)) {
                d = d.fix(edited.fix);
            }
            cx.report(d.context(m.function_name(q.func)));
        }
        pooled_transactions(m, cx);
    }
}

/// A transaction sent through a pool (reported as such by `pool-transaction`) with no ROLLBACK on
/// an error path: when the code moves to a checked-out client, that path still needs one.
fn pooled_transactions(m: &FileModel<'_>, cx: &mut RuleContext) {
    for (&begin, tx) in &m.flow.txs {
        if !tx.through_pool || !tx.may_write() {
            continue;
        }
        let at = |e: &crate::semantic::flow::ExitFact| e.origin.unwrap_or(e.site).outer;
        let Some(e) = tx.open_exits.iter().filter(|e| e.error_path).min_by_key(|e| at(e)) else {
            continue;
        };
        let q = m.query(begin);
        // A helper of another module sent it: judged in the helper's file, where its `catch` is.
        if q.via.is_some() {
            continue;
        }
        let pool = q.receiver.clone();
        let message = format!(
            "an error after `BEGIN` (line {}) leaves the transaction open: no `ROLLBACK` runs on that path, and the pooled connection that received `BEGIN` goes back to `{pool}` inside it",
            line(m, at(e))
        );
        let body = vec!["// ... the transaction's statements".to_string()];
        let d = cx
            .diagnostic(q.head, message)
            .label(at(e), "an error here is not rolled back")
            .help(format!(
                "Check out one client from `{pool}` for the transaction: statements in `try`, `ROLLBACK` in `catch`, `client.release()` in `finally`"
            ))
            .example(tx_skeleton(Some(&pool), "client", &body, m.database));
        cx.report(d.context(m.function_name(q.func)));
    }
}

/// A finding's transaction, and what its error paths miss.
struct Shape<'m> {
    begin: QueryId,
    tx: &'m TxFacts,
    client: BindingId,
    /// Where the errors of the paths without `ROLLBACK` come from.
    open: Vec<TextRange>,
    /// An error path that skips the release.
    leaked: bool,
}

impl<'m> Shape<'m> {
    fn of(begin: QueryId, tx: &'m TxFacts, client: BindingId) -> Option<Shape<'m>> {
        let at = |e: &crate::semantic::flow::ExitFact| e.origin.unwrap_or(e.site).outer;
        let open: Vec<TextRange> = tx.open_exits.iter().filter(|e| e.error_path).map(at).collect();
        let leaked = !tx.leaked_after_begin.is_empty();
        (!open.is_empty() || leaked).then_some(Shape {
            begin,
            tx,
            client,
            open,
            leaked,
        })
    }
}

/// This rule's edit for a transaction on `client` that starts at `next` (the statement right after
/// the client's `connect`) and releases the client in `finally`: the whole fix of a `client-leak`
/// finding too, which then carries this edit rather than its own (the two would start at the same
/// statement, and one run of `--fix --unsafe-fixes` applies only one of them).
/// `txs` are the client's writing transactions (`util::owned_writing_transactions`).
pub(super) fn release_edit(
    m: &FileModel<'_>,
    client: BindingId,
    txs: &[(QueryId, &TxFacts)],
    next: TextRange,
    syntax: &std::cell::OnceCell<Option<Syntax>>,
) -> Option<Fix> {
    txs.iter()
        .filter_map(|&(begin, tx)| rollback_fix(m, &Shape::of(begin, tx, client)?, syntax))
        .find(|e| e.releases && e.anchor.start == next.start)
        .map(|e| e.fix)
}

/// The edit that rolls back on the error path (and releases in `finally` when an error path skips
/// the release), for a promise-style transaction whose statements are in one block: `BEGIN` ...
/// `COMMIT` in a `try` gets `ROLLBACK` at the start of its `catch` (or a `catch` that rolls back
/// and rethrows, when it has only `finally`); with no `try` at all, the statements from `BEGIN`
/// through the last use of the client are wrapped in `try` / `catch` (ROLLBACK, rethrow) /
/// `finally`. `None` for any other shape.
fn rollback_fix(m: &FileModel<'_>, shape: &Shape<'_>, syntax: &std::cell::OnceCell<Option<Syntax>>) -> Option<Edited> {
    let name = m.binding_name(shape.client);
    let promise_style = |q: QueryId| {
        let q = m.query(q);
        q.callback.is_none()
            && q.callback_binding.is_none()
            && !q.callback_other
            && q.via.is_none()
            && q.in_async_fn
            && q.await_kind == AwaitKind::Awaited
            && q.receiver == name
    };
    if !promise_style(shape.begin) || shape.tx.commits.is_empty() || !shape.tx.commits.iter().all(|c| promise_style(*c))
    {
        return None;
    }
    let syntax = syntax.get_or_init(|| Syntax::parse(m.source)).as_ref()?;
    let q = m.query(shape.begin);
    let at = syntax.locate(q.range)?;
    // `BEGIN` is a statement of the block itself, not inside an `if`, a loop or a `switch` there.
    if !at.in_async || !matches!(&at.stmts[at.index], swc_ecma_ast::Stmt::Expr(_)) {
        return None;
    }
    // The user's quotes and semicolons.
    let quote = std::iter::once(shape.begin)
        .chain(shape.tx.commits.iter().copied())
        .map(|c| m.query(c))
        .filter(|c| c.sql.inline)
        .find_map(|c| {
            m.source
                .slice(c.sql.range)
                .chars()
                .next()
                .filter(|ch| matches!(ch, '\'' | '"' | '`'))
        })
        .unwrap_or('\'');
    let semi = if m.source.slice(q.stmt_range).trim_end().ends_with(';') {
        ";"
    } else {
        ""
    };
    let ends = Ends {
        rollback: format!("await {name}.query({quote}ROLLBACK{quote}){semi}"),
        release: format!("{name}.release(){semi}"),
        semi,
        pooled: matches!(m.bindings[shape.client as usize].origin, Origin::Connected(_)),
    };
    let cx = EditCx {
        m,
        syntax,
        at: &at,
        name,
        shape,
        commits: shape.tx.commits.iter().map(|c| m.query(*c).range).collect(),
        ends,
        style: at.style(syntax),
    };
    match &at.parent_try {
        Some(t) => in_try(&cx, t),
        None if !at.inside_try && !shape.open.is_empty() => no_try(&cx),
        None => None,
    }
}

/// An edit, and what `client-leak` needs to know of it.
struct Edited {
    fix: Fix,
    /// The statement it starts at: the `try` it completes, or the first statement it wraps.
    anchor: TextRange,
    /// It releases the client in a `finally`.
    releases: bool,
}

impl Edited {
    fn new(title: String, edits: Vec<Edit>, anchor: TextRange, releases: bool) -> Edited {
        Edited {
            fix: Fix {
                title,
                applicability: Applicability::Suggestion,
                edits,
            },
            anchor,
            releases,
        }
    }
}

/// The statements the edits add, written the user's way.
struct Ends {
    rollback: String,
    release: String,
    semi: &'static str,
    /// The client came from `pool.connect()` here: it may be released here.
    pooled: bool,
}

/// What the edits are built from.
struct EditCx<'a, 'm> {
    m: &'a FileModel<'m>,
    syntax: &'a Syntax,
    /// The block holding `BEGIN`.
    at: &'a Located,
    name: &'a str,
    shape: &'a Shape<'a>,
    commits: Vec<TextRange>,
    ends: Ends,
    style: Style,
}

/// `BEGIN` ... `COMMIT` are statements of a `try` block.
fn in_try(cx: &EditCx<'_, '_>, t: &swc_ecma_ast::TryStmt) -> Option<Edited> {
    let EditCx {
        m,
        syntax,
        at,
        name,
        shape,
        commits,
        ends,
        style,
    } = cx;
    let text = &m.source.text;
    let block = syntax.range(t.block.span);
    if !commits.iter().all(|c| block.contains(*c)) {
        return None;
    }
    let ind = wrap::indent_before(text, syntax.range(t.span).start)?;
    let nl = style.newline;
    // Releases the new `finally` does: in the `try`, its `catch`, and after it. They move when an
    // error path skips them, and when a `ROLLBACK` added before them could fail and skip them.
    let mut removals = Vec::new();
    if t.finalizer.is_none() && ends.pooled {
        let inside = wrap::uses(syntax, &t.block.stmts, name);
        let caught = t
            .handler
            .as_ref()
            .map(|h| wrap::uses(syntax, &h.body.stmts, name))
            .unwrap_or_default();
        // The statements after the `try`, in the block that holds it.
        let outer = syntax.locate(syntax.range(t.span))?;
        let after = wrap::uses(syntax, &outer.stmts[outer.index + 1..], name);
        if !(inside.plain() && caught.plain() && after.plain()) || after.members + after.args > 0 {
            return None;
        }
        removals = [inside.releases, caught.releases, after.releases].concat();
    }
    if shape.leaked && removals.is_empty() {
        return None;
    }
    let move_release = !removals.is_empty();
    if move_release && wrap::releases_within(syntax, at.function, name) != removals.len() {
        return None;
    }
    let mut edits: Vec<Edit> = removals
        .iter()
        .map(|r| Edit::replace(wrap::removal(text, *r), ""))
        .collect();
    let finally = format!(" finally {}", style.block(ind, std::slice::from_ref(&ends.release)));
    let mut title = Vec::new();
    match &t.handler {
        Some(h) => {
            if !shape.open.is_empty() {
                let body = syntax.range(h.body.span);
                // Every error without ROLLBACK must reach this catch, first thing.
                if !reach_catch(syntax, &shape.open, &t.block.stmts, &[block, body]) {
                    return None;
                }
                // A catch that rolls back somehow (conditionally, through a helper): not ours to guess.
                if m.source.slice(body).to_ascii_lowercase().contains("rollback") {
                    return None;
                }
                let first = h
                    .body
                    .stmts
                    .iter()
                    .map(|s| syntax.range(swc_common::Spanned::span(s)))
                    .find(|r| !removals.contains(r))?;
                let ind_c = wrap::indent_before(text, first.start)?;
                edits.push(Edit::insert(first.start, format!("{}{nl}{ind_c}", ends.rollback)));
                title.push("Add `ROLLBACK` to the `catch`".to_string());
            }
            if move_release {
                edits.push(Edit::insert(syntax.range(h.span).end, finally));
            }
        }
        None => {
            let mut after_block = String::new();
            if !shape.open.is_empty() {
                if !reach_catch(syntax, &shape.open, &t.block.stmts, &[block]) {
                    return None;
                }
                let param = syntax.free_name(at.function, &["err", "error", "e"]);
                let lines = [ends.rollback.clone(), format!("throw {param}{}", ends.semi)];
                after_block.push_str(&format!(" catch ({param}) {}", style.block(ind, &lines)));
                title.push("Add a `catch` that runs `ROLLBACK` and rethrows".to_string());
            }
            if move_release {
                after_block.push_str(&finally);
            }
            edits.push(Edit::insert(block.end, after_block));
        }
    }
    if move_release {
        title.push(format!("release `{name}` in `finally`"));
    }
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    if edits.is_empty()
        || edits
            .windows(2)
            .any(|p| p[0].range.end > p[1].range.start || p[0].range.start == p[1].range.start)
    {
        return None;
    }
    Some(Edited::new(
        capitalised(&title.join(", and ")),
        edits,
        syntax.range(t.span),
        move_release,
    ))
}

/// `BEGIN` ... `COMMIT` are plain statements of a block, in no `try`.
fn no_try(cx: &EditCx<'_, '_>) -> Option<Edited> {
    let EditCx {
        m,
        syntax,
        at,
        name,
        shape,
        commits,
        ends,
        style,
    } = cx;
    let rest = &at.stmts[at.index..];
    let range = |s: &swc_ecma_ast::Stmt| syntax.range(swc_common::Spanned::span(s));
    let commit = commits
        .iter()
        .map(|c| rest.iter().position(|s| range(s).contains(*c)))
        .collect::<Option<Vec<usize>>>()?
        .into_iter()
        .max()?;
    let uses = wrap::uses(syntax, rest, name);
    if !uses.plain() {
        return None;
    }
    let last = wrap::region_end(&at.stmts[..at.index], rest, commit.max(uses.last?))?;
    let region = &rest[..=last];
    let wrapped = range(&region[0]).cover(range(&region[last]));
    if !reach_catch(syntax, &shape.open, region, &[wrapped]) {
        return None;
    }
    // The releases move to `finally` when an error path skips them (and only if they are all the
    // function has). When none does, the wrapped statements must release nothing: an error after
    // such a release would send ROLLBACK on a client back in the pool.
    let finally = if shape.leaked
        && ends.pooled
        && !uses.releases.is_empty()
        && wrap::releases_within(syntax, at.function, name) == uses.releases.len()
    {
        vec![ends.release.clone()]
    } else if !shape.leaked && uses.releases.is_empty() {
        Vec::new()
    } else {
        return None;
    };
    let param = syntax.free_name(at.function, &["err", "error", "e"]);
    let literals = wrap::literals(syntax, region);
    let w = Wrap {
        region: wrapped,
        removals: &uses.releases,
        literals: &literals,
        catch: Some((
            param.clone(),
            vec![ends.rollback.clone(), format!("throw {param}{}", ends.semi)],
        )),
        finally,
        emptied: wrap::emptied(syntax, region, &uses.releases),
    };
    let edit = wrap::wrap_edit(m.source, &w, style)?;
    let title = if w.finally.is_empty() {
        "Wrap the transaction in `try` with `ROLLBACK` in `catch`".to_string()
    } else {
        format!("Wrap the transaction in `try` with `ROLLBACK` in `catch` and `{name}.release()` in `finally`")
    };
    Some(Edited::new(title, vec![edit], wrapped, !w.finally.is_empty()))
}

/// Whether every error in `errors` arises inside `within` and reaches the `catch` that gets the
/// `ROLLBACK`: none is caught on the way by a `try` nested in `stmts` (whose `catch` may end the
/// path without it).
fn reach_catch(syntax: &Syntax, errors: &[TextRange], stmts: &[swc_ecma_ast::Stmt], within: &[TextRange]) -> bool {
    let nested = wrap::caught_within(syntax, stmts);
    errors
        .iter()
        .all(|e| within.iter().any(|w| w.contains(*e)) && !nested.iter().any(|n| n.contains(*e)))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
