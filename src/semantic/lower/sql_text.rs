//! SQL text building: template literals and `+` concatenations become a `SqlTemplate` whose unknown
//! parts are numbered holes. Classifying the text is `sql`'s job.

use swc_ecma_ast::*;

use super::unparen;
use crate::semantic::model::*;
use crate::semantic::sql::{self, hole_placeholder};

pub(super) fn template_text(t: &Tpl, holes: Vec<Taint>, tagged: bool) -> SqlTemplate {
    let mut text = String::new();
    for (i, q) in t.quasis.iter().enumerate() {
        match &q.cooked {
            Some(c) => text.push_str(&c.to_string_lossy()),
            None => text.push_str(&q.raw),
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
