//! Edits that move statements into `try` / `catch` / `finally`, shared by `client-leak` (the
//! release moved into `finally`) and `rollback-without-finally` (a `ROLLBACK` on the error path).
//!
//! The shape is read from the syntax tree (the file is parsed again, only when a finding may get
//! an edit): an edit is built only for statements of one `{ ... }` block in which every use of the
//! client is understood. Whatever is not (the client in a callback, returned or stored, a
//! `release(err)`, a release that is not a statement of its own) gets no edit, only the text help.

use std::collections::BTreeSet;

use swc_ecma_ast::{
    ArrowExpr, BlockStmt, Callee, Class, Constructor, Decl, Expr, Function, FunctionBody, GetterProp, Ident,
    MemberExpr, MemberProp, Pat, SetterProp, Stmt, Str, Tpl, TryStmt, VarDeclKind,
};
use swc_ecma_visit::{Visit, VisitWith};

use crate::diagnostic::Edit;
use crate::parse::Parsed;
use crate::source::{SourceFile, TextRange};

/// The file parsed again, with every identifier it mentions (to pick names that clash with none).
pub struct Syntax {
    pub parsed: Parsed,
    idents: Vec<(TextRange, String)>,
    text: String,
    style: Style,
    /// The ranges of the program's top-level statements, in order.
    items: Vec<TextRange>,
}

impl Syntax {
    pub fn parse(src: &SourceFile) -> Option<Syntax> {
        let parsed = crate::parse::parse(src).ok()?;
        struct Names<'p>(&'p Parsed, Vec<(TextRange, String)>);
        impl Visit for Names<'_> {
            fn visit_ident(&mut self, i: &Ident) {
                self.1.push((self.0.range(i.span), i.sym.to_string()));
            }
        }
        let mut names = Names(&parsed, Vec::new());
        parsed.program.visit_with(&mut names);
        let items = match &parsed.program {
            swc_ecma_ast::Program::Module(m) => m
                .body
                .iter()
                .map(|i| parsed.range(swc_common::Spanned::span(i)))
                .collect(),
            swc_ecma_ast::Program::Script(s) => s
                .body
                .iter()
                .map(|i| parsed.range(swc_common::Spanned::span(i)))
                .collect(),
        };
        let mut idents = names.1;
        idents.sort_by_key(|(r, _)| (r.start, r.end));
        Some(Syntax {
            parsed,
            idents,
            text: src.text.clone(),
            style: Style::of(src),
            items,
        })
    }

    pub fn range(&self, span: swc_common::Span) -> TextRange {
        self.parsed.range(span)
    }

    /// Visits the top-level statements (or module items) that overlap `range`, found by binary
    /// search: a lookup per finding then costs the size of its function, not of the file.
    fn visit_items_over(&self, range: TextRange, v: &mut impl Visit) {
        let overlaps = |r: TextRange| r.start < range.end && range.start < r.end || r.contains(range);
        let from = self.items.partition_point(|r| r.end < range.start);
        let to = self.items.partition_point(|r| r.start <= range.end);
        for i in from..to.max(from) {
            if !overlaps(self.items[i]) {
                continue;
            }
            match &self.parsed.program {
                swc_ecma_ast::Program::Module(m) => m.body[i].visit_with(v),
                swc_ecma_ast::Program::Script(s) => s.body[i].visit_with(v),
            }
        }
    }

    /// The first of `candidates` that no identifier inside `within` is called (`err`, `error`...).
    pub fn free_name(&self, within: TextRange, candidates: &[&str]) -> String {
        // `idents` is in source order: the function's are one run of it.
        let from = self.idents.partition_point(|(r, _)| r.start < within.start);
        let to = self.idents.partition_point(|(r, _)| r.start < within.end);
        let used: BTreeSet<&str> = self.idents[from..to.max(from)]
            .iter()
            .filter(|(r, _)| within.contains(*r))
            .map(|(_, n)| n.as_str())
            .collect();
        if let Some(free) = candidates.iter().find(|c| !used.contains(**c)) {
            return free.to_string();
        }
        (2..)
            .map(|n| format!("{}{n}", candidates[0]))
            .find(|c| !used.contains(c.as_str()))
            .unwrap_or_default()
    }

    /// The innermost `{ ... }` block with a statement that contains `target`.
    pub fn locate(&self, target: TextRange) -> Option<Located> {
        let mut l = Locate {
            syntax: self,
            target,
            found: None,
            fns: Vec::new(),
        };
        self.visit_items_over(target, &mut l);
        l.found
    }
}

/// A block's statements and the one that holds the target.
pub struct Located {
    pub stmts: Vec<Stmt>,
    pub index: usize,
    /// The block is the body of this `try` (not its `catch` or `finally`).
    pub parent_try: Option<TryStmt>,
    /// A `try` of the same function encloses the block (besides `parent_try`).
    pub inside_try: bool,
    /// The enclosing function is `async`.
    pub in_async: bool,
    /// The enclosing function (for names that would clash).
    pub function: TextRange,
    block: TextRange,
    /// What the block's statements are indented by, beyond the line of its `{`.
    unit: Option<String>,
}

impl Located {
    /// The indent unit and line ending to write with: the block's own step when it has one, else
    /// the file's (worked out once per file: per finding it made a file of many findings slow).
    pub fn style(&self, syntax: &Syntax) -> Style {
        Style {
            unit: self.unit.clone().unwrap_or_else(|| syntax.style.unit.clone()),
            newline: syntax.style.newline,
        }
    }
}

struct Locate<'s> {
    syntax: &'s Syntax,
    target: TextRange,
    found: Option<Located>,
    /// Enclosing functions: span, async, `try` depth.
    fns: Vec<(TextRange, bool, u32)>,
}

impl Locate<'_> {
    fn record(&mut self, span: swc_common::Span, stmts: &[Stmt], parent_try: Option<&TryStmt>) {
        let range = self.syntax.range(span);
        if self.found.as_ref().is_some_and(|f| f.block == range) {
            return;
        }
        let Some(index) = stmts
            .iter()
            .position(|s| self.syntax.range(swc_common::Spanned::span(s)).contains(self.target))
        else {
            return;
        };
        let Some(&(function, in_async, depth)) = self.fns.last() else {
            return;
        };
        let text = &self.syntax.text;
        let unit = stmts.first().and_then(|first| {
            let inner = indent_before(text, self.syntax.range(swc_common::Spanned::span(first)).start)?;
            let line_start = text
                .get(..range.start as usize)?
                .rfind(['\n', '\r'])
                .map_or(0, |i| i + 1);
            let line = &text[line_start..];
            let outer = &line[..line.len() - line.trim_start().len()];
            let step = inner.strip_prefix(outer)?;
            let uniform = step.chars().all(|c| c == '\t') || step.chars().all(|c| c == ' ');
            (!step.is_empty() && uniform).then(|| step.to_string())
        });
        self.found = Some(Located {
            stmts: stmts.to_vec(),
            index,
            parent_try: parent_try.cloned(),
            inside_try: depth > u32::from(parent_try.is_some()),
            in_async,
            function,
            block: range,
            unit,
        });
    }

    fn in_function(&mut self, span: swc_common::Span, is_async: bool, visit: impl FnOnce(&mut Self)) {
        self.fns.push((self.syntax.range(span), is_async, 0));
        visit(self);
        self.fns.pop();
    }
}

/// Visits only the statements, module items and class members whose range passes `keep`: a
/// lookup goes down one path of the tree instead of over the whole file for each finding.
macro_rules! prune_to {
    ($keep:ident) => {
        fn visit_stmt(&mut self, n: &Stmt) {
            if self.$keep(swc_common::Spanned::span(n)) {
                n.visit_children_with(self);
            }
        }
        fn visit_module_item(&mut self, n: &swc_ecma_ast::ModuleItem) {
            if self.$keep(swc_common::Spanned::span(n)) {
                n.visit_children_with(self);
            }
        }
        fn visit_class_member(&mut self, n: &swc_ecma_ast::ClassMember) {
            if self.$keep(swc_common::Spanned::span(n)) {
                n.visit_children_with(self);
            }
        }
    };
}

impl Locate<'_> {
    fn holds_target(&self, span: swc_common::Span) -> bool {
        self.syntax.range(span).contains(self.target)
    }
}

impl Visit for Locate<'_> {
    prune_to!(holds_target);
    fn visit_function(&mut self, n: &Function) {
        self.in_function(n.span, n.is_async, |s| n.visit_children_with(s));
    }
    fn visit_arrow_expr(&mut self, n: &ArrowExpr) {
        self.in_function(n.span, n.is_async, |s| n.visit_children_with(s));
    }
    fn visit_constructor(&mut self, n: &Constructor) {
        self.in_function(n.span, false, |s| n.visit_children_with(s));
    }
    fn visit_getter_prop(&mut self, n: &GetterProp) {
        self.in_function(n.span, false, |s| n.visit_children_with(s));
    }
    fn visit_setter_prop(&mut self, n: &SetterProp) {
        self.in_function(n.span, false, |s| n.visit_children_with(s));
    }
    fn visit_try_stmt(&mut self, n: &TryStmt) {
        if self.fns.is_empty() {
            return n.visit_children_with(self);
        }
        if let Some(f) = self.fns.last_mut() {
            f.2 += 1;
        }
        self.record(n.block.span, &n.block.stmts, Some(n));
        n.visit_children_with(self);
        if let Some(f) = self.fns.last_mut() {
            f.2 -= 1;
        }
    }
    fn visit_block_stmt(&mut self, n: &BlockStmt) {
        if !self.fns.is_empty() {
            self.record(n.span, &n.stmts, None);
        }
        n.visit_children_with(self);
    }
    fn visit_function_body(&mut self, n: &FunctionBody) {
        if !self.fns.is_empty() {
            self.record(n.span, &n.stmts, None);
        }
        n.visit_children_with(self);
    }
}

/// How statements use one client variable.
#[derive(Debug, Default)]
pub struct Uses {
    /// `client.release();` statements of a statement list, outside nested functions: removable.
    pub releases: Vec<TextRange>,
    /// Any other release: with an argument, inside an expression, or the body of an `if` without
    /// braces.
    pub other_releases: usize,
    /// `client.query(...)`, `client.on(...)`...
    pub members: usize,
    /// `client` as an argument of a call (a helper that sends statements on it).
    pub args: usize,
    /// Anything else: returned, assigned, stored, declared again, used in a nested function.
    pub escapes: usize,
    /// Index (in the statements analysed) of the last statement that mentions the client.
    pub last: Option<usize>,
}

impl Uses {
    fn count(&self) -> usize {
        self.releases.len() + self.other_releases + self.members + self.args + self.escapes
    }

    /// Uses that leave nothing to guess: no escape, no release other than a plain statement.
    pub fn plain(&self) -> bool {
        self.escapes == 0 && self.other_releases == 0
    }
}

/// How `stmts` (consecutive statements of one list) use the variable `name`.
pub fn uses(syntax: &Syntax, stmts: &[Stmt], name: &str) -> Uses {
    let mut f = UseFinder {
        syntax,
        name,
        uses: Uses::default(),
        nested: 0,
    };
    for (i, s) in stmts.iter().enumerate() {
        let before = f.uses.count();
        f.list(std::slice::from_ref(s));
        if f.uses.count() > before {
            f.uses.last = Some(i);
        }
    }
    f.uses
}

struct UseFinder<'s> {
    syntax: &'s Syntax,
    name: &'s str,
    uses: Uses,
    /// Depth of nested functions: any use there escapes.
    nested: u32,
}

impl UseFinder<'_> {
    fn is_name(&self, e: &Expr) -> bool {
        matches!(unparen(e), Expr::Ident(i) if &*i.sym == self.name)
    }

    /// `name.release()`, no argument.
    fn is_release(&self, e: &Expr) -> bool {
        let Expr::Call(c) = unparen(e) else {
            return false;
        };
        let Callee::Expr(callee) = &c.callee else {
            return false;
        };
        matches!(unparen(callee), Expr::Member(m)
            if self.is_name(&m.obj) && matches!(&m.prop, MemberProp::Ident(p) if &*p.sym == "release"))
            && c.args.is_empty()
    }

    fn list(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match s {
                Stmt::Expr(e) if self.nested == 0 && self.is_release(&e.expr) => {
                    self.uses.releases.push(self.syntax.range(e.span));
                }
                _ => s.visit_with(self),
            }
        }
    }

    /// A call: the client as an argument of an awaited call is used during the call (a helper
    /// that sends statements on it); given to a call nobody waits for (`list.push(client)`) it
    /// may be kept.
    ///
    /// A query nobody awaits (`return client.query(...)`, a `.then` chain) may still run when
    /// `finally` releases the client: counted as an escape.
    fn call(&mut self, n: &swc_ecma_ast::CallExpr, awaited: bool) {
        let unawaited_query = !awaited
            && self.nested == 0
            && matches!(&n.callee, Callee::Expr(c) if matches!(unparen(c), Expr::Member(m)
                if self.is_name(&m.obj) && matches!(&m.prop, MemberProp::Ident(p) if &*p.sym == "query")));
        if unawaited_query {
            self.uses.escapes += 1;
        }
        n.callee.visit_with(self);
        for a in &n.args {
            if awaited && self.nested == 0 && a.spread.is_none() && self.is_name(&a.expr) {
                self.uses.args += 1;
            } else {
                a.visit_with(self);
            }
        }
        n.type_args.visit_with(self);
    }

    fn nested(&mut self, visit: impl FnOnce(&mut Self)) {
        self.nested += 1;
        visit(self);
        self.nested -= 1;
    }
}

impl Visit for UseFinder<'_> {
    fn visit_stmts(&mut self, n: &[Stmt]) {
        self.list(n);
    }
    fn visit_member_expr(&mut self, n: &MemberExpr) {
        if self.nested == 0 && self.is_name(&n.obj) {
            match &n.prop {
                MemberProp::Ident(p) if &*p.sym == "release" => self.uses.other_releases += 1,
                _ => self.uses.members += 1,
            }
            return n.prop.visit_with(self);
        }
        n.visit_children_with(self);
    }
    fn visit_await_expr(&mut self, n: &swc_ecma_ast::AwaitExpr) {
        match unparen(&n.arg) {
            Expr::Call(c) => self.call(c, true),
            _ => n.visit_children_with(self),
        }
    }
    fn visit_call_expr(&mut self, n: &swc_ecma_ast::CallExpr) {
        self.call(n, false);
    }
    fn visit_ident(&mut self, i: &Ident) {
        if &*i.sym == self.name {
            self.uses.escapes += 1;
        }
    }
    fn visit_function(&mut self, n: &Function) {
        self.nested(|s| n.visit_children_with(s));
    }
    fn visit_arrow_expr(&mut self, n: &ArrowExpr) {
        self.nested(|s| n.visit_children_with(s));
    }
    fn visit_class(&mut self, n: &Class) {
        self.nested(|s| n.visit_children_with(s));
    }
    fn visit_getter_prop(&mut self, n: &GetterProp) {
        self.nested(|s| n.visit_children_with(s));
    }
    fn visit_setter_prop(&mut self, n: &SetterProp) {
        self.nested(|s| n.visit_children_with(s));
    }
}

fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        _ => e,
    }
}

/// The block-scoped names `stmts` declare at their top level (a `try` around them would hide
/// these from the statements after it); `None` when one declares a function (hoisted: it may be
/// called before its declaration) or something else whose scope would change.
pub fn declared(stmts: &[Stmt]) -> Option<BTreeSet<String>> {
    struct Bound(BTreeSet<String>);
    impl Visit for Bound {
        fn visit_ident(&mut self, i: &Ident) {
            self.0.insert(i.sym.to_string());
        }
    }
    let mut out = Bound(BTreeSet::new());
    for s in stmts {
        match s {
            Stmt::Decl(Decl::Var(v)) if v.kind != VarDeclKind::Var => {
                for d in &v.decls {
                    d.name.visit_with(&mut out);
                }
            }
            Stmt::Decl(Decl::Var(_) | Decl::TsInterface(_) | Decl::TsTypeAlias(_)) => {}
            Stmt::Decl(Decl::Class(c)) => {
                out.0.insert(c.ident.sym.to_string());
            }
            Stmt::Decl(Decl::TsEnum(e)) => {
                out.0.insert(e.id.sym.to_string());
            }
            Stmt::Decl(_) => return None,
            _ => {}
        }
    }
    Some(out.0)
}

/// The blocks of the `try` statements with a `catch` among `stmts` (at any depth, outside nested
/// functions): an error raised in one is handled there.
pub fn caught_within(syntax: &Syntax, stmts: &[Stmt]) -> Vec<TextRange> {
    struct Caught<'s>(&'s Syntax, Vec<TextRange>);
    impl Visit for Caught<'_> {
        fn visit_try_stmt(&mut self, t: &TryStmt) {
            if t.handler.is_some() {
                self.1.push(self.0.range(t.block.span));
            }
            t.visit_children_with(self);
        }
        fn visit_function(&mut self, _: &Function) {}
        fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
    }
    let mut c = Caught(syntax, Vec::new());
    for s in stmts {
        s.visit_with(&mut c);
    }
    c.1
}

/// Where a `try` around `rest[..=last]` must end so that the names those statements declare stay
/// visible where they are read: at `last`, or at the block's end when a later statement of the
/// block mentions one (`rest` runs to the block's end, `before` is the block's statements before
/// it). `None` when a statement before mentions one (a closure there reads it), or when one is a
/// function declaration (hoisted).
pub fn region_end(before: &[Stmt], rest: &[Stmt], last: usize) -> Option<usize> {
    let declared = declared(rest.get(..=last)?)?;
    if !mentioned(before).is_disjoint(&declared) {
        return None;
    }
    if mentioned(&rest[last + 1..]).is_disjoint(&declared) {
        Some(last)
    } else {
        Some(rest.len() - 1)
    }
}

/// How many `name.release` calls (or mentions) there are inside `within`: a `finally` that
/// releases is added only when the edit removes all of them (another one would release the client
/// twice, which throws).
pub fn releases_within(syntax: &Syntax, within: TextRange, name: &str) -> usize {
    struct Count<'s>(&'s Syntax, TextRange, &'s str, usize);
    impl Count<'_> {
        fn overlaps(&self, span: swc_common::Span) -> bool {
            let r = self.0.range(span);
            r.start < self.1.end && self.1.start < r.end
        }
    }
    impl Visit for Count<'_> {
        prune_to!(overlaps);
        fn visit_member_expr(&mut self, n: &MemberExpr) {
            let release = matches!(unparen(&n.obj), Expr::Ident(i) if &*i.sym == self.2)
                && matches!(&n.prop, MemberProp::Ident(p) if &*p.sym == "release");
            if release && self.1.contains(self.0.range(n.span)) {
                self.3 += 1;
            }
            n.visit_children_with(self);
        }
    }
    let mut c = Count(syntax, within, name, 0);
    syntax.visit_items_over(within, &mut c);
    c.3
}

/// Every identifier `stmts` mention (a superset of what they read).
pub fn mentioned(stmts: &[Stmt]) -> BTreeSet<String> {
    struct All(BTreeSet<String>);
    impl Visit for All {
        fn visit_ident(&mut self, i: &Ident) {
            self.0.insert(i.sym.to_string());
        }
    }
    let mut all = All(BTreeSet::new());
    for s in stmts {
        s.visit_with(&mut all);
    }
    all.0
}

/// String and template literals of `stmts`: lines that start inside one are part of its value
/// and are not re-indented.
pub fn literals(syntax: &Syntax, stmts: &[Stmt]) -> Vec<TextRange> {
    struct Lits<'s>(&'s Syntax, Vec<TextRange>);
    impl Visit for Lits<'_> {
        fn visit_str(&mut self, s: &Str) {
            self.1.push(self.0.range(s.span));
        }
        fn visit_tpl(&mut self, t: &Tpl) {
            self.1.push(self.0.range(t.span));
            t.visit_children_with(self);
        }
    }
    let mut lits = Lits(syntax, Vec::new());
    for s in stmts {
        s.visit_with(&mut lits);
    }
    lits.1
}

/// The declared client of `const client = await X.connect();` (or `let`), when `s` is exactly that.
pub fn awaited_connect_binding(s: &Stmt) -> Option<&str> {
    let Stmt::Decl(Decl::Var(v)) = s else {
        return None;
    };
    let [d] = v.decls.as_slice() else {
        return None;
    };
    if v.kind == VarDeclKind::Var {
        return None;
    }
    let Pat::Ident(id) = &d.name else {
        return None;
    };
    let Expr::Await(a) = unparen(d.init.as_deref()?) else {
        return None;
    };
    let Expr::Call(c) = unparen(&a.arg) else {
        return None;
    };
    let Callee::Expr(callee) = &c.callee else {
        return None;
    };
    let connect =
        matches!(unparen(callee), Expr::Member(m) if matches!(&m.prop, MemberProp::Ident(p) if &*p.sym == "connect"));
    (connect && c.args.is_empty()).then_some(&*id.id.sym)
}

/// How the file writes code: its indent unit and line ending.
pub struct Style {
    pub unit: String,
    pub newline: &'static str,
}

impl Style {
    pub fn of(src: &SourceFile) -> Style {
        Style {
            unit: indent_unit(&src.text),
            newline: if src.text.contains("\r\n") { "\r\n" } else { "\n" },
        }
    }

    /// `{`, then `lines` one per line indented one unit deeper than `ind`, then `}`.
    pub fn block(&self, ind: &str, lines: &[String]) -> String {
        let nl = self.newline;
        let mut out = "{".to_string();
        for l in lines {
            out.push_str(&format!("{nl}{ind}{}{l}", self.unit));
        }
        out.push_str(&format!("{nl}{ind}}}"));
        out
    }
}

/// The file's indent unit: a tab when most indented lines start with one, otherwise the most
/// frequent step by which indentation grows from one line to the next (two spaces when unknown).
pub fn indent_unit(text: &str) -> String {
    let mut tabs = 0usize;
    let mut spaced = 0usize;
    let mut steps = [0usize; 9];
    let mut prev = 0usize;
    for l in crate::source::lines(text) {
        if l.trim().is_empty() {
            continue;
        }
        let ws = &l[..l.len() - l.trim_start().len()];
        if ws.starts_with('\t') {
            tabs += 1;
            continue;
        }
        let n = ws.len();
        if n > 0 {
            spaced += 1;
        }
        if n > prev && n - prev < steps.len() {
            steps[n - prev] += 1;
        }
        prev = n;
    }
    if tabs > spaced {
        return "\t".to_string();
    }
    let best = (1..steps.len())
        .filter(|&s| steps[s] > 0)
        .max_by_key(|&s| (steps[s], std::cmp::Reverse(s)));
    match best {
        Some(step) if step >= 2 => " ".repeat(step),
        _ => "  ".to_string(),
    }
}

/// The indentation before `at`, when only white space precedes it on its line.
pub fn indent_before(text: &str, at: u32) -> Option<&str> {
    let at = at as usize;
    let start = text.get(..at)?.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let ws = &text[start..at];
    ws.chars().all(|c| c == ' ' || c == '\t').then_some(ws)
}

/// What removing the statement at `r` takes away: its whole line when nothing else is on it,
/// otherwise the statement alone.
pub fn removal(text: &str, r: TextRange) -> TextRange {
    let (s, e) = (r.start as usize, r.end as usize);
    let line_start = text[..s].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = text[e..].find(['\n', '\r']).map_or(text.len(), |i| e + i);
    if text[line_start..s].trim().is_empty() && text[e..line_end].trim().is_empty() {
        let term = if text[line_end..].starts_with("\r\n") {
            2
        } else {
            usize::from(line_end < text.len())
        };
        TextRange::new(line_start as u32, (line_end + term) as u32)
    } else {
        r
    }
}

/// Statements to wrap, and what goes around them.
pub struct Wrap<'a> {
    /// Whole statements, from the start of the first to the end of the last.
    pub region: TextRange,
    /// Statements of the region to drop (releases the `finally` now does).
    pub removals: &'a [TextRange],
    /// String and template literals: lines starting inside one are not re-indented.
    pub literals: &'a [TextRange],
    /// The `catch` parameter and statements.
    pub catch: Option<(String, Vec<String>)>,
    /// The `finally` statements (none: no `finally`).
    pub finally: Vec<String>,
    /// `finally` clauses of the region that the removals leave empty.
    pub emptied: Emptied,
}

/// `finally` clauses left empty by the removals, and what goes with them.
#[derive(Debug, Default)]
pub struct Emptied {
    /// Text to cut (and whether it is whole lines): a `finally { ... }` clause after a `catch`, or
    /// the `try {` line and the `} finally { ... }` lines of a `try` that had nothing else.
    pub cuts: Vec<(TextRange, bool)>,
    /// The body of such a `try`: already one unit deeper, its lines are not re-indented.
    pub flat: Vec<TextRange>,
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// The end of the line holding `at`, with its terminator.
fn line_after(text: &str, at: usize) -> usize {
    let end = text[at..].find(['\n', '\r']).map_or(text.len(), |i| at + i);
    end + if text[end..].starts_with("\r\n") {
        2
    } else {
        usize::from(end < text.len())
    }
}

/// The `try` statements among `stmts` whose `finally` holds nothing but `releases`: once those are
/// removed, the clause goes; a `try` with no `catch` is unwrapped (its body stays, at the depth the
/// new `try` gives it) when the names its body declares appear nowhere else in `stmts`. A `try`
/// that cannot be unwrapped cleanly keeps an empty `finally`.
pub fn emptied(syntax: &Syntax, stmts: &[Stmt], releases: &[TextRange]) -> Emptied {
    let text = syntax.text.as_str();
    let mut out = Emptied::default();
    for (i, s) in stmts.iter().enumerate() {
        let Stmt::Try(t) = s else {
            continue;
        };
        let Some(f) = &t.finalizer else {
            continue;
        };
        let fin = syntax.range(f.span);
        let only_releases = !f.stmts.is_empty()
            && f.stmts
                .iter()
                .all(|s| releases.contains(&syntax.range(swc_common::Spanned::span(s))));
        if !only_releases {
            continue;
        }
        if let Some(h) = &t.handler {
            out.cuts
                .push((TextRange::new(syntax.range(h.span).end, fin.end), false));
            continue;
        }
        let (Some(first), Some(last)) = (t.block.stmts.first(), t.block.stmts.last()) else {
            continue;
        };
        let block = syntax.range(t.block.span);
        let (t_start, b_start, b_end) = (
            syntax.range(t.span).start as usize,
            block.start as usize,
            block.end as usize,
        );
        let first = syntax.range(swc_common::Spanned::span(first)).start as usize;
        let last = syntax.range(swc_common::Spanned::span(last)).end as usize;
        // `try {` alone on its line, the body on the next ones, `} finally {` ... `}` after it.
        let clean = text[t_start..b_start].trim() == "try"
            && text[b_start + 1..line_after(text, b_start)].trim().is_empty()
            && line_start(text, first) > b_start
            && text[line_start(text, b_end - 1)..b_end - 1].trim().is_empty()
            && line_start(text, b_end - 1) > last
            && text[fin.end as usize..line_after(text, fin.end as usize)]
                .trim()
                .is_empty();
        // Its body's declarations join the region's scope: they must meet no other name there.
        let others: Vec<Stmt> = stmts[..i].iter().chain(&stmts[i + 1..]).cloned().collect();
        let apart = declared(&t.block.stmts).is_some_and(|d| d.is_disjoint(&mentioned(&others)));
        if !clean || !apart {
            continue;
        }
        let open = TextRange::new(line_start(text, t_start) as u32, line_start(text, first) as u32);
        let close = TextRange::new(
            line_start(text, b_end - 1) as u32,
            line_after(text, fin.end as usize) as u32,
        );
        out.cuts.push((open, true));
        out.cuts.push((close, true));
        out.flat.push(TextRange::new(open.end, close.start));
    }
    out
}

/// Replaces the region by `try { <region, one unit deeper> } catch (...) { ... } finally { ... }`.
/// `None` when the region does not start its line, or is empty once the removals are made.
pub fn wrap_edit(src: &SourceFile, w: &Wrap<'_>, style: &Style) -> Option<Edit> {
    let text = &src.text;
    let start = w.region.start;
    let ind = indent_before(text, start)?;
    // A `// comment` after the last statement stays with it.
    let mut end = w.region.end as usize;
    let line_end = text.get(end..)?.find(['\n', '\r']).map_or(text.len(), |i| end + i);
    if text[end..line_end].trim_start().starts_with("//") {
        end = line_end;
    }
    let end = end as u32;
    let emptied = |r: TextRange| w.emptied.cuts.iter().any(|(c, _)| c.start <= r.start && r.end <= c.end);
    let mut cuts: Vec<(TextRange, bool)> = w
        .removals
        .iter()
        .filter(|r| !emptied(**r))
        .map(|r| {
            let cut = removal(text, *r);
            (cut, cut != *r)
        })
        .chain(w.emptied.cuts.iter().copied())
        .map(|(cut, whole)| (TextRange::new(cut.start.max(start), cut.end.min(end)), whole))
        .collect();
    cuts.sort_by_key(|(c, _)| c.start);
    if cuts.windows(2).any(|p| p[0].0.end > p[1].0.start) {
        return None;
    }
    // Line starts inside the region that get one more unit of indentation.
    let region = text.get(start as usize..end as usize)?;
    let mut ins: Vec<u32> = Vec::new();
    let bytes = region.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let next = i + 1;
        let at_line_start = match b {
            b'\n' => true,
            b'\r' => bytes.get(next) != Some(&b'\n'),
            _ => false,
        };
        if !at_line_start || next >= bytes.len() {
            continue;
        }
        let p = start + next as u32;
        let rest = &region[next..];
        let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
        let in_literal = w.literals.iter().any(|l| l.start < p && p < l.end);
        let flat = w.emptied.flat.iter().any(|l| l.start <= p && p < l.end);
        if !line.trim().is_empty() && !in_literal && !flat {
            ins.push(p);
        }
    }
    let mut body = String::new();
    let mut pos = start;
    let (mut ci, mut ii) = (0, 0);
    while pos < end {
        while ii < ins.len() && ins[ii] < pos {
            ii += 1;
        }
        if ii < ins.len() && ins[ii] == pos {
            if !cuts.iter().any(|(c, whole)| *whole && c.start == pos) {
                body.push_str(&style.unit);
            }
            ii += 1;
        }
        if ci < cuts.len() && cuts[ci].0.start == pos {
            pos = cuts[ci].0.end.max(pos + 1).min(end);
            ci += 1;
            continue;
        }
        let next = [ins.get(ii).copied(), cuts.get(ci).map(|(c, _)| c.start), Some(end)]
            .into_iter()
            .flatten()
            .filter(|&p| p > pos)
            .min()
            .unwrap_or(end);
        body.push_str(text.get(pos as usize..next as usize)?);
        pos = next;
    }
    let body = body.trim_end();
    if body.trim().is_empty() {
        return None;
    }
    let nl = style.newline;
    let mut out = format!("try {{{nl}{ind}{}{body}{nl}{ind}}}", style.unit);
    if let Some((param, lines)) = &w.catch {
        out.push_str(&format!(" catch ({param}) {}", style.block(ind, lines)));
    }
    if !w.finally.is_empty() {
        out.push_str(&format!(" finally {}", style.block(ind, &w.finally)));
    }
    Some(Edit::replace(TextRange::new(start, end), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_indent_unit_is_the_usual_step() {
        assert_eq!(indent_unit("a {\n  b {\n    c\n  }\n}\n/**\n * doc\n */\n"), "  ");
        assert_eq!(indent_unit("a {\n    b {\n        c\n    }\n}\n"), "    ");
        assert_eq!(indent_unit("a {\n\tb {\n\t\tc\n\t}\n}\n"), "\t");
        assert_eq!(indent_unit("a;\n"), "  ");
    }

    /// The statements of `f`'s body after its first one, as `uses` and `region_end` see them.
    fn body(code: &str) -> (Syntax, Located) {
        let src = SourceFile::new("a.js", format!("async function f(x) {{\n{code}\n}}\n"));
        let syntax = Syntax::parse(&src).expect("parses");
        let first = src.text.find("{\n").expect("body") as u32 + 2;
        let at = syntax.locate(TextRange::new(first, first + 1)).expect("located");
        (syntax, at)
    }

    #[test]
    fn uses_tell_queries_and_releases_from_hand_offs() {
        let plain = "const c = await pool.connect();\nawait c.query('A');\nawait helper(c);\nc.release();";
        let (syntax, at) = body(plain);
        let u = uses(&syntax, &at.stmts[1..], "c");
        assert!(u.plain(), "{u:?}");
        assert_eq!((u.members, u.args, u.releases.len(), u.last), (1, 1, 1, Some(2)));
        for escaping in [
            "return c.query('A');",
            "list.push(c);",
            "setTimeout(() => c.release(), 10);",
            "if (x) c.release();",
            "c.release(new Error('x'));",
            "return c;",
            "c = null;",
        ] {
            let (syntax, at) = body(&format!("const c = await pool.connect();\n{escaping}"));
            assert!(!uses(&syntax, &at.stmts[1..], "c").plain(), "{escaping}");
        }
    }

    #[test]
    fn a_region_grows_to_keep_its_declarations_visible() {
        let (_, at) = body("const c = await pool.connect();\nconst r = await c.query('A');\nc.release();\nreturn r;");
        assert_eq!(region_end(&at.stmts[..1], &at.stmts[1..], 1), Some(2));
        let (_, at) = body("const c = await pool.connect();\nconst r = await c.query('A');\nc.release();\nreturn 1;");
        assert_eq!(region_end(&at.stmts[..1], &at.stmts[1..], 1), Some(1));
        // A closure before the region reads the name: no region keeps it visible to it.
        let (_, at) =
            body("const log = () => r;\nconst c = await pool.connect();\nconst r = await c.query('A');\nc.release();");
        assert_eq!(region_end(&at.stmts[..2], &at.stmts[2..], 1), None);
        // A hoisted function declaration cannot move into a block.
        let (_, at) = body("const c = await pool.connect();\nfunction g() {}\nawait c.query('A');");
        assert_eq!(region_end(&at.stmts[..1], &at.stmts[1..], 1), None);
    }

    #[test]
    fn a_wrap_reindents_drops_removals_and_keeps_template_lines() {
        let text = "async function f() {\n  const c = await pool.connect();\n  const r = await c.query(`SELECT\n  1`);\n  c.release();\n  return r;\n}\n";
        let src = SourceFile::new("a.js", text.to_string());
        let at = |s: &str| text.find(s).expect("in text") as u32;
        let region = TextRange::new(at("const r"), at("return r;") + 9);
        let release = TextRange::new(at("c.release();"), at("c.release();") + 12);
        let literal = TextRange::new(at("`SELECT"), at("1`);") + 2);
        let w = Wrap {
            region,
            removals: &[release],
            literals: &[literal],
            catch: None,
            finally: vec!["c.release();".to_string()],
            emptied: Emptied::default(),
        };
        let e = wrap_edit(&src, &w, &Style::of(&src)).expect("an edit");
        assert_eq!(
            e.text,
            "try {\n    const r = await c.query(`SELECT\n  1`);\n    return r;\n  } finally {\n    c.release();\n  }"
        );
    }
}
