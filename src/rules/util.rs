//! Shared wording and code-building helpers for rules: how a statement is named in a message, and
//! the safe transaction skeleton written with the user's own names.

use crate::semantic::sql::StmtKind;
use crate::semantic::{BindingId, Database, FileModel, HandleKey, Origin, QueryId};
use crate::source::TextRange;

/// `INSERT INTO orders`, `UPDATE accounts`, `SELECT FROM tags`, `BEGIN`...
pub fn describe(m: &FileModel<'_>, q: QueryId) -> String {
    let Some(info) = &m.query(q).sql.info else {
        return "a query".to_string();
    };
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
            StmtKind::Select(s) => match s.tables.first() {
                Some(t) => format!("SELECT FROM {t}"),
                None => "SELECT".to_string(),
            },
            other => other.name().to_string(),
        })
        .collect();
    if parts.is_empty() {
        // DDL, SET, SHOW...: name it by its first keyword.
        let text = m.query(q).sql.text.as_deref().unwrap_or("");
        if let Some(word) = text.split_whitespace().next() {
            return word.to_ascii_uppercase();
        }
    }
    if parts.is_empty() {
        "a statement".to_string()
    } else {
        parts.join("; ")
    }
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

/// The source of a query's statement, with its indentation normalised and the receivers of
/// `rename.0` renamed to `rename.1`.
pub fn statement_text(m: &FileModel<'_>, q: QueryId, rename: Option<(&HandleKey, &str)>) -> String {
    let ev = m.query(q);
    let base = m.source.indent_at(ev.stmt_range.start).len();
    let text = match rename {
        Some((handle, to)) => renamed_text(m, ev.stmt_range, handle, to),
        None => m.source.slice(ev.stmt_range).to_string(),
    };
    source_block_text(&text, base)
}

/// The source of a range, with the indentation of its first line removed from every line.
pub fn source_block(m: &FileModel<'_>, range: TextRange) -> String {
    source_block_text(m.source.slice(range).trim(), m.source.indent_at(range.start).len())
}

/// Removes up to `base` columns of leading whitespace from every line but the first.
pub fn source_block_text(text: &str, base: usize) -> String {
    let mut out = String::new();
    for (i, l) in crate::source::lines(text.trim()).enumerate() {
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

/// The text of `range` with every query receiver of `handle` inside it renamed to `to`
/// (`pool.query<Row>(...)` -> `client.query<Row>(...)`), by position rather than by text search.
pub fn renamed_text(m: &FileModel<'_>, range: TextRange, handle: &HandleKey, to: &str) -> String {
    let mut receivers: Vec<TextRange> = m
        .db_queries()
        // A statement a helper of another module sends has no receiver written here.
        .filter(|q| &q.handle == handle && q.via.is_none() && range.contains(q.receiver_range))
        .map(|q| q.receiver_range)
        .collect();
    receivers.sort();
    receivers.dedup();
    let mut out = String::new();
    let mut at = range.start;
    for r in receivers {
        if r.start < at {
            continue;
        }
        out.push_str(m.source.slice(TextRange::new(at, r.start)));
        out.push_str(to);
        at = r.end;
    }
    out.push_str(m.source.slice(TextRange::new(at, range.end)));
    out
}

/// `await receiver.query(sql, values);` as written, without a callback.
pub fn call_text(m: &FileModel<'_>, q: QueryId, receiver: &str) -> String {
    let ev = m.query(q);
    format!("await {receiver}.query({});", source_block(m, ev.args_range))
}

/// Indents every line of `code` by `indent`.
pub fn indent(code: &str, indent: &str) -> String {
    crate::source::lines(code)
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{indent}{l}")
            }
        })
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
/// With `pool`, the client is acquired and released too. On CockroachDB (or for a transaction the
/// database may abort with 40001 anyway) the transaction is retried on SQLSTATE 40001 in a bounded
/// loop: pasted in, the pattern is what `missing-retry` asks for too.
pub fn tx_skeleton(pool: Option<&str>, client: &str, body: &[String], database: Database) -> String {
    let retry = database == Database::Cockroachdb;
    let mut tx = String::new();
    tx.push_str("try {\n");
    tx.push_str(&format!("  await {client}.query('BEGIN');\n"));
    for stmt in body {
        tx.push_str(&indent(stmt, "  "));
        tx.push('\n');
    }
    tx.push_str(&format!("  await {client}.query('COMMIT');\n"));
    if retry {
        tx.push_str("  break;\n");
    }
    tx.push_str("} catch (err) {\n");
    tx.push_str(&format!("  await {client}.query('ROLLBACK');\n"));
    if retry {
        tx.push_str("  if (err.code !== '40001' || attempt === 10) throw err;\n");
        tx.push_str("  await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt * 10));\n");
    } else {
        tx.push_str("  throw err;\n");
    }
    tx.push('}');
    let tx = if retry {
        format!("for (let attempt = 1; ; attempt++) {{\n{}\n}}", indent(&tx, "  "))
    } else {
        tx
    };
    match pool {
        // One `try` with `catch` and `finally`.
        Some(pool) if !retry => {
            format!("const {client} = await {pool}.connect();\n{tx} finally {{\n  {client}.release();\n}}")
        }
        Some(pool) => format!(
            "const {client} = await {pool}.connect();\ntry {{\n{}\n}} finally {{\n  {client}.release();\n}}",
            indent(&tx, "  ")
        ),
        None => tx,
    }
}

/// Extends `[start, end)` forward until the brackets opened inside it are closed, so that it
/// covers whole statements (a write inside a loop brings its loop). `None` when the region closes
/// a bracket it did not open (it starts deeper than it ends).
pub fn balanced_region(text: &str, range: TextRange) -> Option<TextRange> {
    let bytes = text.as_bytes();
    let mut depth: i64 = 0;
    let mut i = range.start as usize;
    while i < bytes.len() {
        if i >= range.end as usize && depth == 0 {
            break;
        }
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return None;
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
                while i < bytes.len() && !crate::source::is_line_terminator(&bytes[i..]) {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return None;
    }
    Some(TextRange::new(range.start, (i as u32).max(range.end)))
}

/// Whether `text` is a sequence of complete statements: brackets balance and never go negative.
/// Strings and comments are skipped roughly; this gates edits, it does not parse.
pub fn is_balanced(text: &str) -> bool {
    let whole = TextRange::new(0, text.len() as u32);
    balanced_region(text, whole) == Some(whole)
}

/// Whether this flow owns the transaction: it acquired the client, or it commits or rolls back
/// somewhere. A helper that only runs `BEGIN` on a client it was given leaves the rest to its
/// caller, on purpose.
pub fn tx_owned(m: &FileModel<'_>, tx: &crate::semantic::flow::TxFacts) -> bool {
    let acquired = tx.client.is_some_and(|c| {
        matches!(
            m.handle_kind(&HandleKey::Binding(c)),
            Some(crate::semantic::HandleKind::PooledClient | crate::semantic::HandleKind::StandaloneClient)
        )
    });
    acquired || !tx.commits.is_empty() || !tx.rollbacks.is_empty()
}

/// Transactions that write and that this flow owns, with their client: what the error-path and
/// early-exit rules judge (read-only ones are not a problem; see `tx_owned`).
pub fn owned_writing_transactions<'m>(
    m: &'m FileModel<'_>,
) -> impl Iterator<Item = (QueryId, &'m crate::semantic::flow::TxFacts, BindingId)> + 'm {
    m.flow.txs.iter().filter_map(move |(&begin, tx)| {
        let client = tx.client?;
        (tx.may_write() && tx_owned(m, tx)).then_some((begin, tx, client))
    })
}

/// Where the client bound to `b` was acquired (`pool.connect()`), when known.
pub fn connect_site(m: &FileModel<'_>, b: BindingId) -> Option<TextRange> {
    match &m.bindings[b as usize].origin {
        Origin::Connected(c) => Some(m.connects[*c as usize].range),
        _ => None,
    }
}

/// A SARIF related location (and its text) for a site in another module.
pub fn related_at(via: &crate::semantic::Via, message: String) -> crate::diagnostic::Related {
    crate::diagnostic::Related {
        path: via.path.clone(),
        line: via.line,
        column: via.column,
        end_line: via.end_line,
        end_column: via.end_column,
        message,
    }
}

/// `` `withdraw` in src/dal.js:12 ``: where a helper of another module does something.
pub fn via_text(via: &crate::semantic::Via) -> String {
    if via.line > 0 {
        format!(
            "`{}` in {}:{}",
            via.function,
            crate::report::display_path(&via.path),
            via.line
        )
    } else {
        format!("`{}`", via.function)
    }
}

/// How a request handler is named in a message: `` `POST /orders` ``, `` `createOrder` ``, or by its
/// line when it has no name (`app.use(async (req, res, next) => ...)`).
pub fn handler_name(m: &FileModel<'_>, root: crate::semantic::FuncId) -> String {
    match m.function_name(root) {
        Some(n) => format!("`{n}`"),
        None => format!(
            "the request handler on line {}",
            line(m, m.functions[root as usize].span)
        ),
    }
}

/// `sql` (a query's text, possibly changed by the suggestion) as a JavaScript template literal for
/// an example: each `${...}` hole gets the expression the user wrote there when the text was written
/// inline as a template; `None` when a hole's expression is not known (an example must be code
/// that parses, not `${...}`).
pub fn js_sql_literal(m: &FileModel<'_>, q: QueryId, sql: &str) -> Option<String> {
    let stand_in = format!("${}", crate::semantic::sql::HOLE_PREFIX);
    let escaped = sql.replace('\\', "\\\\").replace('`', "\\`");
    if !escaped.contains(&stand_in) {
        return Some(format!("`{}`", escaped.replace("${", "\\${")));
    }
    let ev = m.query(q);
    let source = m.source.slice(ev.sql.range);
    if !ev.sql.inline || !source.starts_with('`') {
        return None;
    }
    let holes = template_holes(source);
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(pos) = rest.find(&stand_in) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + stand_in.len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        let n: usize = after[..digits].parse().ok()?;
        out.push_str(&format!("${{{}}}", holes.get(n)?));
        rest = &after[digits..];
    }
    out.push_str(rest);
    Some(format!("`{out}`"))
}

/// The expressions of a template literal's `${...}` parts, in order (braces balanced, strings
/// inside them skipped over).
fn template_holes(template: &str) -> Vec<&str> {
    let bytes = template.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'$' if bytes[i + 1] == b'{' => {
                let start = i + 2;
                let mut depth = 1;
                let mut j = start;
                while j < bytes.len() && depth > 0 {
                    match bytes[j] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        b'\'' | b'"' | b'`' => {
                            let quote = bytes[j];
                            j += 1;
                            while j < bytes.len() && bytes[j] != quote {
                                j += if bytes[j] == b'\\' { 2 } else { 1 };
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if depth != 0 {
                    return out;
                }
                out.push(template[start..j - 1].trim());
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

/// The values argument of a query as written (`[email, name]`), for an example; `values` when it
/// is not a literal array, `None` when there is none.
pub fn values_text(m: &FileModel<'_>, q: QueryId) -> Option<String> {
    match &m.query(q).values {
        crate::semantic::Values::Array { range, .. } => Some(m.source.slice(*range).to_string()),
        crate::semantic::Values::Unknown => Some("values".to_string()),
        crate::semantic::Values::Missing => None,
    }
}

/// A module-level binding given its client by a `connect` of the module's top-level code.
pub fn checked_out_at_load(m: &crate::semantic::FileModel<'_>, client: crate::semantic::BindingId) -> bool {
    let b = &m.bindings[client as usize];
    b.func == crate::semantic::MODULE_FN
        && matches!(b.origin, crate::semantic::Origin::Connected(c) if m.connects[c as usize].func == crate::semantic::MODULE_FN)
}

#[cfg(test)]
mod tests {
    use super::template_holes;

    #[test]
    fn a_templates_holes_are_its_expressions_in_order() {
        assert_eq!(
            template_holes("`INSERT INTO ${table} (a) VALUES (${fmt({ a: 1 })}, '${x.y}')`"),
            vec!["table", "fmt({ a: 1 })", "x.y"]
        );
        assert_eq!(template_holes("`SELECT 1 -- \\${not a hole}`"), Vec::<&str>::new());
        assert_eq!(template_holes("`${ '}' + b }`"), vec!["'}' + b"]);
    }
}
