//! Shared wording and code-building helpers for rules: how a statement is named in a message, and
//! the safe transaction skeleton written with the user's own names.

use crate::semantic::sql::StmtKind;
use crate::semantic::{BindingId, FileModel, HandleKey, Origin, QueryId};
use crate::source::TextRange;

/// `INSERT INTO orders`, `UPDATE accounts`, `SELECT FROM tags`, `BEGIN`...
pub fn describe(m: &FileModel<'_>, q: QueryId) -> String {
    let Some(info) = &m.query(q).sql.info else { return "a query".to_string() };
    let parts: Vec<String> = info
        .statements
        .iter()
        .filter(|s| !matches!(s, StmtKind::Other))
        .map(|s| match s {
            StmtKind::Insert(i) => {
                let verb = if i.upsert { "UPSERT INTO" } else { "INSERT INTO" };
                table_phrase(verb, i.table.as_deref())
            }
            StmtKind::Update(u) => table_phrase("UPDATE", u.table.as_deref()),
            StmtKind::Delete(d) => table_phrase("DELETE FROM", d.table.as_deref()),
            StmtKind::Select(s) => table_phrase("SELECT FROM", s.tables.first().map(String::as_str)),
            other => other.name().to_string(),
        })
        .collect();
    if parts.is_empty() { "a statement".to_string() } else { parts.join("; ") }
}

fn table_phrase(verb: &str, table: Option<&str>) -> String {
    match table {
        Some(t) => format!("{verb} {t}"),
        None => verb.to_string(),
    }
}

/// 1-based line of an offset.
pub fn line(m: &FileModel<'_>, range: TextRange) -> u32 {
    m.source.line_col(range.start).line
}

/// The source of a query's statement, trimmed, with the receiver optionally renamed.
pub fn statement_text(m: &FileModel<'_>, q: QueryId, rename: Option<(&str, &str)>) -> String {
    let ev = m.query(q);
    let text = source_block(m, ev.stmt_range);
    match rename {
        Some((from, to)) if from != to => text.replace(&format!("{from}.query("), &format!("{to}.query(")),
        _ => text,
    }
}

/// The source of a range, with the indentation of its first line removed from every line.
pub fn source_block(m: &FileModel<'_>, range: TextRange) -> String {
    source_block_text(m.source.slice(range).trim(), m.source.indent_at(range.start).len())
}

/// Removes up to `base` columns of leading whitespace from every line but the first.
pub fn source_block_text(text: &str, base: usize) -> String {
    let mut out = String::new();
    for (i, l) in text.trim().lines().enumerate() {
        if i > 0 {
            out.push('\n');
            let ws = l.len() - l.trim_start().len();
            out.push_str(&l[ws.min(base)..]);
        } else {
            out.push_str(l);
        }
    }
    out
}

/// Indents every line of `code` by `indent`.
pub fn indent(code: &str, indent: &str) -> String {
    code.lines()
        .map(|l| if l.is_empty() { String::new() } else { format!("{indent}{l}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The receiver name of the pool a client came from (`pool` in `await pool.connect()`).
pub fn pool_of_client(m: &FileModel<'_>, client: BindingId) -> Option<String> {
    match &m.bindings[client as usize].origin {
        Origin::Connected(c) => Some(m.connects[*c as usize].receiver.clone()),
        _ => None,
    }
}

/// A client name to use in examples for a handle.
pub fn client_name(m: &FileModel<'_>, key: &HandleKey) -> String {
    match key {
        HandleKey::Binding(b) if m.handle_kind(key).is_some_and(|k| k.is_client()) => m.binding_name(*b).to_string(),
        _ => "client".to_string(),
    }
}

/// The safe transaction pattern around `body` (already indented by nothing), with the user's names.
/// With `pool`, the client is acquired and released too.
pub fn tx_skeleton(pool: Option<&str>, client: &str, body: &[String]) -> String {
    let mut out = String::new();
    if let Some(pool) = pool {
        out.push_str(&format!("const {client} = await {pool}.connect();\n"));
    }
    out.push_str("try {\n");
    out.push_str(&format!("  await {client}.query('BEGIN');\n"));
    for stmt in body {
        out.push_str(&indent(stmt, "  "));
        out.push('\n');
    }
    out.push_str(&format!("  await {client}.query('COMMIT');\n"));
    out.push_str("} catch (err) {\n");
    out.push_str(&format!("  await {client}.query('ROLLBACK');\n"));
    out.push_str("  throw err;\n");
    out.push('}');
    if pool.is_some() {
        out.push_str(&format!(" finally {{\n  {client}.release();\n}}"));
    }
    out
}

/// Whether `text` is a sequence of complete statements: brackets balance and never go negative.
/// Strings and comments are skipped roughly; this gates edits, it does not parse.
pub fn is_balanced(text: &str) -> bool {
    let mut depth: i64 = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    depth == 0
}
