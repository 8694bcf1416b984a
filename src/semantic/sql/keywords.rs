//! The fallback for texts sqlparser rejects: comments and string contents stripped, then only what
//! the leading keywords prove is claimed.

use super::statements::session_kind;
use super::*;

/// Removes `--` and `/* */` comments and string literals' contents, keeping the keywords.
fn strip_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && !crate::source::is_line_end(bytes[i]) {
                i += 1;
            }
            out.push(' ');
        } else if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            out.push(' ');
        } else if bytes[i] == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += 1;
            }
            i += 1;
            out.push_str("''");
        } else {
            // Keep the original (possibly multi-byte) character.
            let ch_len = text[i..].chars().next().map(char::len_utf8).unwrap_or(1);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
    }
    out
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '"' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_string())
        .collect()
}

fn clean_table(word: &str) -> Option<String> {
    let last = word.rsplit('.').next()?;
    let quoted = last.starts_with('"');
    let t = last.trim_matches('"');
    if t.is_empty() || t.starts_with(HOLE_PREFIX) || t.starts_with('$') {
        return None;
    }
    Some(if quoted { t.to_string() } else { t.to_ascii_lowercase() })
}

/// Classification by leading keywords, for DML that sqlparser rejects. Transaction control
/// statements are never guessed here: sqlparser parses all their valid forms, so a text like
/// `BEGIN transfer` that it rejects is not SQL.
pub(super) fn keyword_fallback(text: &str) -> Option<Vec<StmtKind>> {
    let stripped = strip_comments(text);
    let mut out = Vec::new();
    for part in stripped.split(';') {
        let ws = words(part);
        let Some(first) = ws.first() else { continue };
        let upper: Vec<String> = ws.iter().map(|w| w.to_ascii_uppercase()).collect();
        let after = |kw: &str| -> Option<String> {
            let i = upper.iter().position(|w| w == kw)?;
            clean_table(ws.get(i + 1)?)
        };
        if let Some(kind) = session_kind(part) {
            out.push(kind);
            continue;
        }
        let kind = match first.to_ascii_uppercase().as_str() {
            "SELECT" if upper.iter().any(|w| w == "FROM") => {
                let mut tables = Vec::new();
                for (i, w) in upper.iter().enumerate() {
                    if (w == "FROM" || w == "JOIN")
                        && let Some(t) = ws.get(i + 1).and_then(|w| clean_table(w))
                        && !tables.contains(&t)
                    {
                        tables.push(t);
                    }
                }
                let joined = upper.join(" ");
                let lock = if joined.contains("FOR UPDATE") {
                    Some(Lock::ForUpdate)
                } else if joined.contains("FOR SHARE") {
                    Some(Lock::ForShare)
                } else {
                    None
                };
                StmtKind::Select(SelectInfo {
                    tables,
                    columns: Columns::Unknown,
                    where_columns: Columns::Unknown,
                    key_params: Vec::new(),
                    lock,
                    value_aggregate: false,
                })
            }
            "INSERT" | "UPSERT" if upper.get(1).is_some_and(|w| w == "INTO") => {
                let upsert = first.eq_ignore_ascii_case("UPSERT");
                let on_conflict = upsert || upper.join(" ").contains("ON CONFLICT");
                StmtKind::Insert(InsertInfo {
                    table: after("INTO"),
                    on_conflict,
                    upsert,
                    conditional: upper.join(" ").contains("NOT EXISTS"),
                })
            }
            "UPDATE" if upper.iter().any(|w| w == "SET") => StmtKind::Update(UpdateInfo {
                table: ws.get(1).and_then(|w| clean_table(w)),
                assignments: Vec::new(),
                assignments_known: false,
                where_columns: Columns::Unknown,
                key_params: Vec::new(),
            }),
            "DELETE" if upper.get(1).is_some_and(|w| w == "FROM") => {
                StmtKind::Delete(DeleteInfo { table: after("FROM") })
            }
            _ => return None,
        };
        out.push(kind);
    }
    if out.is_empty() { None } else { Some(out) }
}
