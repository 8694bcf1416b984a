//! SQL text building: template literals (`String.raw` ones too), `+` concatenations, `pg-format` and
//! `util.format` calls and the returns of builder functions become a `SqlTemplate` whose unknown
//! parts are numbered holes. Classifying the text is `sql`'s job.

use swc_ecma_ast::*;

use super::{Lowerer, Use, Val, prop_name, unparen};
use crate::semantic::model::*;
use crate::semantic::sql::{self, hole_placeholder};

impl Lowerer<'_> {
    /// A `return` of the current function: a plain function whose every `return` gives the same
    /// SQL text is a query builder (`function byId() { return 'SELECT ... $1' }`), and its call is
    /// that text. Returns of different texts keep the first, marked as varying by path.
    pub(super) fn note_returned_sql(&mut self, v: &Val) {
        let Some(ctx) = self.fns.last() else { return };
        if ctx.is_async {
            return;
        }
        let id = ctx.id;
        let returned = match (self.returned_sql.remove(&id), &v.sql) {
            (None, sql) => sql.clone(),
            (Some(Some(prev)), Some(t)) if prev.text == t.text && prev.holes.len() == t.holes.len() => Some(prev),
            (Some(Some(prev)), Some(_)) => Some(SqlTemplate { varies: true, ..prev }),
            (Some(_), _) => None,
        };
        self.returned_sql.insert(id, returned);
    }

    pub(super) fn lower_template(&mut self, t: &Tpl) -> Val {
        let mut parts = Vec::new();
        let mut v = Val::default();
        for ex in &t.exprs {
            let hv = self.lower_expr(ex, Use::Other);
            taint_union(&mut v.taint, &hv.taint);
            parts.push((hv.taint, hv.sql.filter(|s| !s.tagged)));
        }
        v.sql = Some(template_with_parts(t, parts));
        v
    }

    pub(super) fn lower_tagged_template(&mut self, t: &TaggedTpl) -> Val {
        self.lower_expr(&t.tag, Use::Other);
        // `String.raw` builds the plain string of the template, escapes left as written.
        let string_raw = matches!(unparen(&t.tag), Expr::Member(m)
            if prop_name(&m.prop).as_deref() == Some("raw")
                && matches!(unparen(&m.obj), Expr::Ident(i) if &*i.sym == "String" && !self.scopes.contains(&i.sym)));
        let mut holes = Vec::new();
        let mut v = Val::default();
        for ex in &t.tpl.exprs {
            let hv = self.lower_expr(ex, Use::Other);
            if string_raw {
                taint_union(&mut v.taint, &hv.taint);
            }
            holes.push(hv.taint);
        }
        v.sql = Some(if string_raw {
            raw_template_text(&t.tpl, holes)
        } else {
            template_text(&t.tpl, holes, true)
        });
        v
    }

    /// `format('INSERT INTO t (a) VALUES %L', rows)` (pg-format), `util.format(...)`: SQL text
    /// whose conversions are unknown holes, as `${...}` in a template.
    pub(super) fn lower_format_call(&mut self, kind: Formatter, cargs: &[ExprOrSpread]) -> Val {
        let mut taint = Taint::new();
        let mut fmt = None;
        let mut args = Vec::new();
        let mut spread = false;
        for (i, a) in cargs.iter().enumerate() {
            spread |= a.spread.is_some();
            if i == 0 {
                let v = self.lower_expr(&a.expr, Use::Arg);
                taint_union(&mut taint, &v.taint);
                fmt = v.sql;
            } else {
                let (_, t) = self.lower_arg(&a.expr);
                taint_union(&mut taint, &t);
                args.push(t);
            }
        }
        let sql = match (fmt, kind) {
            (Some(_), _) if cargs.first().is_some_and(|a| a.spread.is_some()) => None,
            (Some(f), Formatter::PgFormat) if !spread => Some(format_template(kind, &f, Some(&args))),
            // The arguments cannot be told apart: every conversion is a hole all the same.
            (Some(f), Formatter::PgFormat | Formatter::PgFormatWithArray) => Some(format_template(kind, &f, None)),
            (Some(f), Formatter::UtilFormat) if !spread => Some(format_template(kind, &f, Some(&args))),
            // `util.format(fmt, ...xs)` appends what its conversions leave: unknown text.
            (Some(f), Formatter::UtilFormat) => {
                let known = format_template(kind, &f, None);
                Some(concat_templates(&known, &hole_template(taint.clone())))
            }
            (None, _) => None,
        };
        Val {
            taint,
            sql,
            ..Default::default()
        }
    }

    /// The SQL text a call of function `f` of this file returns, when it is a query builder.
    pub(super) fn call_sql(&self, f: FuncId) -> Option<SqlTemplate> {
        self.returned_sql.get(&f).cloned().flatten()
    }
}

pub(super) fn template_text(t: &Tpl, holes: Vec<Taint>, tagged: bool) -> SqlTemplate {
    template_parts(t, holes, tagged, false)
}

/// A `String.raw` template: its text with the escapes as written, untagged.
pub(super) fn raw_template_text(t: &Tpl, holes: Vec<Taint>) -> SqlTemplate {
    template_parts(t, holes, false, true)
}

fn template_parts(t: &Tpl, holes: Vec<Taint>, tagged: bool, raw: bool) -> SqlTemplate {
    let mut text = String::new();
    for (i, q) in t.quasis.iter().enumerate() {
        match &q.cooked {
            Some(c) if !raw => text.push_str(&c.to_string_lossy()),
            _ => text.push_str(&q.raw),
        }
        if i < t.exprs.len() {
            text.push(' ');
            text.push_str(&hole_placeholder(i));
            text.push(' ');
        }
    }
    SqlTemplate {
        text,
        holes,
        tagged,
        varies: false,
    }
}

/// A template whose `${...}` parts are spliced in when their text is known (`${SELECT_USERS}`,
/// a constant) and holes otherwise.
pub(super) fn template_with_parts(t: &Tpl, parts: Vec<(Taint, Option<SqlTemplate>)>) -> SqlTemplate {
    if parts.iter().all(|(_, sql)| sql.is_none()) {
        return template_text(t, parts.into_iter().map(|(taint, _)| taint).collect(), false);
    }
    let cooked = |q: &TplElement| match &q.cooked {
        Some(c) => c.to_string_lossy().into_owned(),
        None => q.raw.to_string(),
    };
    let mut out = Builder::default();
    if let Some(q) = t.quasis.first() {
        out.literal(&cooked(q));
    }
    for (i, (taint, sql)) in parts.into_iter().enumerate() {
        match sql {
            Some(part) => out.part(&part),
            None => {
                out.literal(" ");
                out.hole(taint);
                out.literal(" ");
            }
        }
        if let Some(q) = t.quasis.get(i + 1) {
            out.literal(&cooked(q));
        }
    }
    out.0
}

/// Builds a template left to right in time linear in its length (each `concat_templates` copies
/// the text so far).
#[derive(Default)]
struct Builder(SqlTemplate);

impl Builder {
    fn literal(&mut self, text: &str) {
        self.0.text.push_str(text);
    }

    fn hole(&mut self, taint: Taint) {
        self.0.text.push_str(&hole_placeholder(self.0.holes.len()));
        self.0.holes.push(taint);
    }

    fn part(&mut self, t: &SqlTemplate) {
        self.0.text.push_str(&shift_holes(&t.text, self.0.holes.len()));
        self.0.holes.extend(t.holes.iter().cloned());
        self.0.varies |= t.varies;
    }
}

/// A SQL part whose text is unknown: one hole.
pub(super) fn hole_template(taint: Taint) -> SqlTemplate {
    SqlTemplate {
        text: hole_placeholder(0),
        holes: vec![taint],
        tagged: false,
        varies: false,
    }
}

/// `l + r`, renumbering the holes of `r`.
pub(super) fn concat_templates(l: &SqlTemplate, r: &SqlTemplate) -> SqlTemplate {
    SqlTemplate {
        text: format!("{}{}", l.text, shift_holes(&r.text, l.holes.len())),
        holes: l.holes.iter().chain(&r.holes).cloned().collect(),
        tagged: false,
        varies: l.varies || r.varies,
    }
}

/// Renumbers hole stand-ins when two templates are concatenated.
fn shift_holes(text: &str, by: usize) -> String {
    if by == 0 || !text.contains(sql::HOLE_PREFIX) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(sql::HOLE_PREFIX) {
        let (before, after) = rest.split_at(pos + sql::HOLE_PREFIX.len());
        out.push_str(before);
        let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
        let n: usize = digits.parse().unwrap_or(0);
        out.push_str(&(n + by).to_string());
        rest = &after[digits.len()..];
    }
    out.push_str(rest);
    out
}

/// The string value of a literal, a hole-free template, or a `+` of those.
pub(super) fn static_string(e: &Expr) -> Option<String> {
    match unparen(e) {
        Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy().into_owned()),
        Expr::Tpl(t) if t.exprs.is_empty() => Some(
            t.quasis
                .iter()
                .map(|q| {
                    q.cooked
                        .as_ref()
                        .map(|c| c.to_string_lossy().into_owned())
                        .unwrap_or_else(|| q.raw.to_string())
                })
                .collect(),
        ),
        Expr::Bin(b) if b.op == BinaryOp::Add => Some(static_string(&b.left)? + &static_string(&b.right)?),
        _ => None,
    }
}

/// A string formatting function whose result may be SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Formatter {
    /// `pg-format`'s `format(fmt, ...args)`: `%I`, `%L`, `%s` (optionally `%2$L`), `%%`.
    PgFormat,
    /// `format.withArray(fmt, args)`: the same, arguments in one array.
    PgFormatWithArray,
    /// Node's `util.format(fmt, ...args)`: `%s %d %i %f %j %o %O %c`, `%%`; extra arguments are
    /// appended, separated by spaces.
    UtilFormat,
}

impl Formatter {
    /// The formatter an imported value is (`require('pg-format')`, `util.format`).
    pub(super) fn of(r: &ImportRef) -> Option<Formatter> {
        let path: Vec<&str> = r.path.iter().map(String::as_str).filter(|p| *p != "default").collect();
        match (r.specifier.as_str(), path.as_slice()) {
            ("pg-format", []) => Some(Formatter::PgFormat),
            ("pg-format", ["withArray"]) => Some(Formatter::PgFormatWithArray),
            ("util" | "node:util", ["format"]) => Some(Formatter::UtilFormat),
            _ => None,
        }
    }
}

/// The SQL text `format(fmt, ...args)` yields: the literal parts of `fmt`, each conversion an
/// unknown hole carrying its argument's taint (`args`: the arguments after `fmt`, `None` when they
/// cannot be told apart, as for `withArray`).
pub(super) fn format_template(kind: Formatter, fmt: &SqlTemplate, args: Option<&[Taint]>) -> SqlTemplate {
    let arg = |i: usize| args.and_then(|a| a.get(i)).cloned().unwrap_or_default();
    let mut out = Builder::default();
    out.0.varies = fmt.varies;
    let conversions: &[char] = match kind {
        Formatter::UtilFormat => &['s', 'd', 'i', 'f', 'j', 'o', 'O', 'c'],
        _ => &['I', 'L', 's'],
    };
    let stand_in = format!("${}", sql::HOLE_PREFIX);
    let mut next_arg = 0;
    let mut rest = fmt.text.as_str();
    while let Some(pos) = rest.find(['%', '$']) {
        out.literal(&rest[..pos]);
        rest = &rest[pos..];
        // A hole of the format string itself (`format(`... ${x} ...`, y)`).
        if let Some(after) = rest.strip_prefix(&stand_in) {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let n: usize = after[..digits].parse().unwrap_or(0);
            out.hole(fmt.holes.get(n).cloned().unwrap_or_default());
            rest = &after[digits..];
            continue;
        }
        if let Some(after) = rest.strip_prefix('$') {
            out.literal("$");
            rest = after;
            continue;
        }
        let spec = &rest[1..];
        if let Some(after) = spec.strip_prefix('%') {
            out.literal("%");
            rest = after;
            continue;
        }
        // pg-format's positional form: `%2$L`.
        let digits = spec.bytes().take_while(u8::is_ascii_digit).count();
        let positional = kind != Formatter::UtilFormat && digits > 0 && spec[digits..].starts_with('$');
        let (index, conv_at) = if positional {
            (
                spec[..digits].parse::<usize>().unwrap_or(1).saturating_sub(1),
                digits + 1,
            )
        } else {
            (next_arg, 0)
        };
        match spec[conv_at..].chars().next() {
            Some(conv) if conversions.contains(&conv) => {
                out.hole(arg(index));
                if !positional {
                    next_arg += 1;
                }
                rest = &spec[conv_at + conv.len_utf8()..];
            }
            _ => {
                out.literal("%");
                rest = spec;
            }
        }
    }
    out.literal(rest);
    // `util.format` appends the arguments left over, separated by spaces.
    if kind == Formatter::UtilFormat
        && let Some(args) = args
    {
        for t in args.iter().skip(next_arg) {
            out.literal(" ");
            out.hole(t.clone());
        }
    }
    out.0
}

impl Lowerer<'_> {
    /// The SQL text an argument is, when written in place or held by a constant: a string, a
    /// template without holes, a `const` holding one. Read without lowering (the argument is
    /// lowered on its own), for what a helper of another module sends when it forwards its
    /// parameter as SQL (`db.run('INSERT ...', [..])`).
    pub(super) fn written_sql(&self, e: &Expr) -> Option<String> {
        match unparen(e) {
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy().into_owned()),
            Expr::Tpl(t) if t.exprs.is_empty() => t
                .quasis
                .first()
                .and_then(|q| q.cooked.as_ref())
                .map(|c| c.to_string_lossy().into_owned()),
            Expr::Ident(i) => {
                let b = self.scopes.lookup(&i.sym)?;
                let binding = &self.out.bindings[b as usize];
                (binding.kind == BindingKind::Const)
                    .then_some(binding.sql.as_ref())
                    .flatten()
                    .filter(|t| t.holes.is_empty() && !t.varies)
                    .map(|t| t.text.clone())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Formatter, SqlTemplate, format_template};
    use crate::semantic::model::Field;

    fn text(t: &str) -> SqlTemplate {
        SqlTemplate {
            text: t.to_string(),
            holes: Vec::new(),
            tagged: false,
            varies: false,
        }
    }

    #[test]
    fn pg_format_conversions_become_holes_with_their_arguments() {
        let args = vec![vec![(1, Field::Row)], vec![(2, Field::Count)]];
        let t = format_template(
            Formatter::PgFormat,
            &text("INSERT INTO %I (a) VALUES %L ON CONFLICT DO NOTHING -- 100%%"),
            Some(&args),
        );
        assert_eq!(
            t.text,
            "INSERT INTO $__txl_hole_0 (a) VALUES $__txl_hole_1 ON CONFLICT DO NOTHING -- 100%"
        );
        assert_eq!(t.holes, args);
        // Positional: `%2$L` is the second argument; `$1` is left alone.
        let t = format_template(Formatter::PgFormat, &text("SELECT %2$L, $1 FROM %1$I"), Some(&args));
        assert_eq!(t.text, "SELECT $__txl_hole_0, $1 FROM $__txl_hole_1");
        assert_eq!(t.holes, vec![args[1].clone(), args[0].clone()]);
    }

    #[test]
    fn util_format_appends_extra_arguments_and_keeps_the_format_s_own_holes() {
        let fmt = SqlTemplate {
            text: "UPDATE  $__txl_hole_0  SET n = %d WHERE id = $1 %x".to_string(),
            holes: vec![vec![(7, Field::Row)]],
            tagged: false,
            varies: false,
        };
        let args = vec![vec![(1, Field::Row)], vec![(2, Field::Row)]];
        let t = format_template(Formatter::UtilFormat, &fmt, Some(&args));
        assert_eq!(
            t.text,
            "UPDATE  $__txl_hole_0  SET n = $__txl_hole_1 WHERE id = $1 %x $__txl_hole_2"
        );
        assert_eq!(t.holes, vec![fmt.holes[0].clone(), args[0].clone(), args[1].clone()]);
    }
}
