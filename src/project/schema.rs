//! Schema awareness: which columns of which tables are unique, read from the project's own schema
//! sources, so that `check-then-insert` can say what the race does (duplicate rows, or a 23505
//! error when a unique constraint already covers the lookup) and suggest `ON CONFLICT` on the real
//! constraint's columns.
//!
//! Sources: `*.sql` files (`CREATE TABLE` column and table constraints, `CREATE UNIQUE INDEX`,
//! `ALTER TABLE ... ADD [CONSTRAINT n] UNIQUE|PRIMARY KEY`), Prisma schemas (`@id`, `@unique`,
//! `@@id`, `@@unique`, `@map`, `@@map`), knex migrations (`createTable` with `.unique()`,
//! `.primary()`, `table.unique([...])`, `increments`), and Sequelize models (`unique: true`,
//! `primaryKey: true`, `tableName`). Each is read by a small scanner that tolerates dialects
//! (CockroachDB's inline `UNIQUE INDEX`, `STRING` types) and skips what it does not understand:
//! a constraint we cannot read is absent from the schema, never invented.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A set of columns that is unique in a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueKey {
    pub columns: Vec<String>,
    pub primary: bool,
    /// Where it is declared (`migrations/001_init.sql:4`).
    pub path: PathBuf,
    pub line: u32,
}

/// The unique keys of the project's tables.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    tables: BTreeMap<String, Vec<UniqueKey>>,
    /// Tables the schema declares (with or without keys).
    declared: std::collections::BTreeSet<String>,
    /// Files the schema was read from (a schema with none says nothing about absent keys).
    pub sources: Vec<PathBuf>,
}

/// `public."Users"` → `users`.
pub fn normalize_name(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
        .to_ascii_lowercase()
}

impl Schema {
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    fn add(&mut self, table: &str, columns: Vec<String>, primary: bool, path: &Path, line: u32) {
        let columns: Vec<String> = columns
            .iter()
            .map(|c| normalize_name(c))
            .filter(|c| !c.is_empty())
            .collect();
        if columns.is_empty() {
            return;
        }
        let keys = self.tables.entry(normalize_name(table)).or_default();
        if !keys.iter().any(|k| k.columns == columns) {
            keys.push(UniqueKey {
                columns,
                primary,
                path: path.to_path_buf(),
                line,
            });
        }
    }

    /// A unique key of `table` whose columns are all among `lookup` (a lookup by them finds at
    /// most one row, so a second insert of the same values fails with 23505).
    pub fn key_covered_by(&self, table: &str, lookup: &[String]) -> Option<&UniqueKey> {
        let lookup: Vec<String> = lookup.iter().map(|c| normalize_name(c)).collect();
        self.tables
            .get(&normalize_name(table))?
            .iter()
            .filter(|k| k.columns.iter().all(|c| lookup.contains(c)))
            .min_by_key(|k| (k.primary, k.columns.len()))
    }

    /// Whether the schema declares `table` at all (so an absent key is known to be absent).
    pub fn knows_table(&self, table: &str) -> bool {
        self.tables.contains_key(&normalize_name(table)) || self.declared.contains(&normalize_name(table))
    }

    /// Adds what another schema (of the same package) declares.
    pub fn merge(&mut self, other: Schema) {
        for (table, keys) in other.tables {
            let mine = self.tables.entry(table).or_default();
            for k in keys {
                if !mine.iter().any(|m| m.columns == k.columns) {
                    mine.push(k);
                }
            }
        }
        self.declared.extend(other.declared);
        self.sources.extend(other.sources);
    }

    /// Reads one schema source by its kind (extension and content).
    pub fn read_source(&mut self, path: &Path, text: &str) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let before = self.tables.values().map(Vec::len).sum::<usize>() + self.declared.len();
        if name.ends_with(".sql") {
            self.read_sql(path, text);
        } else if name.ends_with(".prisma") {
            self.read_prisma(path, text);
        } else {
            if text.contains("createTable") {
                self.read_knex(path, text);
            }
            if text.contains("unique: true") || text.contains("primaryKey: true") {
                self.read_sequelize(path, text);
            }
            if text.contains(".raw(") {
                self.read_sql(path, &raw_sql_only(text));
            }
        }
        let after = self.tables.values().map(Vec::len).sum::<usize>() + self.declared.len();
        if after > before || name.ends_with(".sql") || name.ends_with(".prisma") {
            self.sources.push(path.to_path_buf());
        }
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, at: usize) -> u32 {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .enumerate()
        // `\r\n` is one line end; a lone `\r` is one too.
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && text.as_bytes().get(i + 1) != Some(&b'\n')))
        .count() as u32
        + 1
}

/// SQL with comments blanked out (offsets kept).
fn strip_sql_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        match quote {
            Some(q) => {
                if b[i] == q {
                    quote = None;
                }
                i += 1;
            }
            None if b[i] == b'\'' || b[i] == b'"' => {
                quote = Some(b[i]);
                i += 1;
            }
            None if b[i] == b'-' && b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && !crate::source::is_line_end(b[i]) {
                    out[i] = b' ';
                    i += 1;
                }
            }
            None if b[i] == b'/' && b.get(i + 1) == Some(&b'*') => {
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    if !crate::source::is_line_end(b[i]) {
                        out[i] = b' ';
                    }
                    i += 1;
                }
                for c in out.iter_mut().skip(i).take(2) {
                    *c = b' ';
                }
                i += 2;
            }
            None => i += 1,
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Splits at top-level separators (outside parentheses and quotes), with each part's offset.
fn split_top(text: &str, sep: u8) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'\'' | b'"' | b'`' => quote = Some(c),
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ if c == sep && depth == 0 => {
                    out.push((start, &text[start..i]));
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    out.push((start, &text[start..]));
    out
}

/// Upper-case words of a text (identifiers and keywords), for keyword tests.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase())
        .collect()
}

/// The text inside the first balanced parentheses, with its offset.
fn first_parens(text: &str) -> Option<(usize, &str)> {
    let open = text.find('(')?;
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((open + 1, &text[open + 1..open + i]));
                }
            }
            _ => {}
        }
    }
    None
}

/// `a, "B" DESC, lower(c)` → `["a", "b", "lower(c)"]`.
fn column_list(text: &str) -> Vec<String> {
    split_top(text, b',')
        .into_iter()
        .filter_map(|(_, c)| {
            let c = c.trim();
            let first = c.split_whitespace().next()?.to_string();
            Some(normalize_name(&first))
        })
        .collect()
}

impl Schema {
    fn read_sql(&mut self, path: &Path, raw: &str) {
        let text = strip_sql_comments(raw);
        for (offset, stmt) in split_top(&text, b';') {
            let w = words(stmt);
            let line = line_of(raw, offset + stmt.len() - stmt.trim_start().len());
            if w.first().map(String::as_str) != Some("CREATE") && w.first().map(String::as_str) != Some("ALTER") {
                continue;
            }
            if w.iter().take(4).any(|x| x == "TABLE") && w[0] == "CREATE" {
                self.read_create_table(path, raw, offset, stmt);
            } else if w[0] == "CREATE" && w.get(1).map(String::as_str) == Some("UNIQUE") {
                // CREATE UNIQUE INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table (cols)
                let upper = stmt.to_ascii_uppercase();
                let Some(on) = upper.find(" ON ") else { continue };
                let rest = &stmt[on + 4..];
                let mut toks = rest.split_whitespace();
                let mut table = toks.next().unwrap_or("");
                if table.eq_ignore_ascii_case("ONLY") {
                    table = toks.next().unwrap_or("");
                }
                let table = table.split('(').next().unwrap_or(table);
                if let Some((_, cols)) = first_parens(rest) {
                    self.add(table, column_list(cols), false, path, line);
                }
            } else if w[0] == "ALTER" && w.get(1).map(String::as_str) == Some("TABLE") {
                let upper = stmt.to_ascii_uppercase();
                let skip = ["ALTER", "TABLE", "IF", "EXISTS", "ONLY"];
                let Some(table) = stmt
                    .split_whitespace()
                    .find(|t| !skip.contains(&t.to_ascii_uppercase().as_str()))
                else {
                    continue;
                };
                for (kw, primary) in [(" UNIQUE", false), (" PRIMARY KEY", true)] {
                    if let Some(at) = upper.find(&format!(" ADD{kw}")).or_else(|| {
                        upper
                            .find(" ADD CONSTRAINT ")
                            .and_then(|a| upper[a..].find(kw).map(|k| a + k))
                    }) && let Some((_, cols)) = first_parens(&stmt[at..])
                    {
                        self.add(table, column_list(cols), primary, path, line);
                    }
                }
            }
        }
    }

    fn read_create_table(&mut self, path: &Path, raw: &str, offset: usize, stmt: &str) {
        let Some(paren) = stmt.find('(') else { return };
        let head = &stmt[..paren];
        let skip = [
            "CREATE",
            "TABLE",
            "IF",
            "NOT",
            "EXISTS",
            "TEMP",
            "TEMPORARY",
            "UNLOGGED",
            "OR",
            "REPLACE",
        ];
        let Some(table) = head
            .split_whitespace()
            .find(|t| !skip.contains(&t.to_ascii_uppercase().as_str()))
        else {
            return;
        };
        self.declared.insert(normalize_name(table));
        let Some((body_at, body)) = first_parens(stmt) else {
            return;
        };
        for (at, item) in split_top(body, b',') {
            let item_line = line_of(raw, offset + body_at + at + item.len() - item.trim_start().len());
            let mut t = item.trim();
            let mut w = words(t);
            if w.first().map(String::as_str) == Some("CONSTRAINT") {
                // CONSTRAINT name ...
                let mut it = t.splitn(3, char::is_whitespace);
                it.next();
                it.next();
                t = it.next().unwrap_or("").trim();
                w = words(t);
            }
            match w.first().map(String::as_str) {
                Some("PRIMARY") => {
                    if let Some((_, cols)) = first_parens(t) {
                        self.add(table, column_list(cols), true, path, item_line);
                    }
                }
                Some("UNIQUE") => {
                    if let Some((_, cols)) = first_parens(t) {
                        self.add(table, column_list(cols), false, path, item_line);
                    }
                }
                Some("INDEX" | "KEY" | "FOREIGN" | "CHECK" | "EXCLUDE" | "FAMILY" | "LIKE") | None => {}
                Some(_) => {
                    // A column: `email STRING NOT NULL UNIQUE`, `id UUID PRIMARY KEY DEFAULT ...`.
                    let name = t.split_whitespace().next().unwrap_or("");
                    let rest = &t[name.len()..];
                    let outside: String = {
                        let mut depth = 0;
                        rest.chars()
                            .filter(|c| {
                                match c {
                                    '(' => depth += 1,
                                    ')' => depth -= 1,
                                    _ => {}
                                }
                                depth == 0 && *c != ')'
                            })
                            .collect()
                    };
                    let rw = words(&outside);
                    let primary = rw.windows(2).any(|p| p[0] == "PRIMARY" && p[1] == "KEY");
                    let unique = rw.iter().any(|x| x == "UNIQUE");
                    if primary || unique {
                        self.add(table, vec![name.to_string()], primary, path, item_line);
                    }
                }
            }
        }
    }

    fn read_prisma(&mut self, path: &Path, text: &str) {
        let mut at = 0;
        while let Some(pos) = text[at..].find("model ") {
            let start = at + pos;
            let Some(open) = text[start..].find('{') else { break };
            let Some(close) = text[start + open..].find("\n}") else {
                break;
            };
            let model = text[start + 6..start + open].trim().to_string();
            let body = &text[start + open + 1..start + open + close];
            let body_at = start + open + 1;
            at = start + open + close;
            let mut table = model.clone();
            let mut fields: Vec<(String, String)> = Vec::new(); // field -> column
            let mut keys: Vec<(Vec<String>, bool, usize)> = Vec::new();
            let mut off = 0;
            for l in body.split('\n') {
                let line_at = body_at + off;
                off += l.len() + 1;
                let t = l.trim();
                if let Some(rest) = t.strip_prefix("@@map(") {
                    table = rest.trim_matches(|c| c == '"' || c == ')' || c == ' ').to_string();
                } else if let Some(rest) = t.strip_prefix("@@unique(").or_else(|| t.strip_prefix("@@id(")) {
                    let primary = t.starts_with("@@id");
                    if let (Some(a), Some(b)) = (rest.find('['), rest.find(']')) {
                        let cols = rest[a + 1..b].split(',').map(|c| c.trim().to_string()).collect();
                        keys.push((cols, primary, line_at));
                    }
                } else if !t.is_empty() && !t.starts_with("//") && !t.starts_with('@') {
                    let name = t.split_whitespace().next().unwrap_or("").to_string();
                    let column = t
                        .find("@map(\"")
                        .and_then(|m| t[m + 6..].split('"').next())
                        .unwrap_or(&name)
                        .to_string();
                    fields.push((name.clone(), column));
                    let attrs: Vec<&str> = t.split_whitespace().skip(2).collect();
                    let primary = attrs.iter().any(|a| *a == "@id" || a.starts_with("@id("));
                    let unique = attrs.iter().any(|a| *a == "@unique" || a.starts_with("@unique("));
                    if primary || unique {
                        keys.push((vec![name], primary, line_at));
                    }
                }
            }
            for (cols, primary, line_at) in keys {
                let columns = cols
                    .iter()
                    .map(|f| {
                        fields
                            .iter()
                            .find(|(n, _)| n == f)
                            .map(|(_, c)| c.clone())
                            .unwrap_or(f.clone())
                    })
                    .collect();
                self.add(&table, columns, primary, path, line_of(text, line_at));
            }
            self.declared.insert(normalize_name(&table));
        }
    }

    fn read_knex(&mut self, path: &Path, text: &str) {
        let mut starts: Vec<(usize, String)> = Vec::new();
        for pat in ["createTable(", "alterTable(", "table("] {
            let mut at = 0;
            while let Some(pos) = text[at..].find(pat) {
                let p = at + pos + pat.len();
                if let Some(name) = first_string(&text[p..]) {
                    starts.push((p, name));
                }
                at = p;
            }
        }
        starts.sort();
        for (i, (start, table)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(text.len(), |s| s.0);
            let body = &text[*start..end];
            if text[..*start].ends_with("createTable(") {
                self.declared.insert(normalize_name(table));
            }
            for stmt in body.split(';') {
                let stmt_at = *start + (stmt.as_ptr() as usize - body.as_ptr() as usize);
                let line = line_of(text, stmt_at + stmt.len() - stmt.trim_start().len());
                // `t.increments('id')`, `t.increments()`: the primary key.
                if let Some(p) = stmt.find(".increments(").or_else(|| stmt.find(".bigIncrements(")) {
                    let col = first_string(&stmt[p..]).unwrap_or_else(|| "id".to_string());
                    self.add(table, vec![col], true, path, line);
                }
                for (call, primary) in [(".unique(", false), (".primary(", true)] {
                    let Some(p) = stmt.find(call) else { continue };
                    let args = &stmt[p + call.len()..];
                    let args_end = args.find(')').unwrap_or(args.len());
                    let inner = &args[..args_end];
                    let cols: Vec<String> = if inner.trim().is_empty() || inner.trim_start().starts_with('{') {
                        // `t.string('email').unique()`: the column of the chain.
                        stmt.find('(')
                            .and_then(|o| first_string(&stmt[o..]))
                            .into_iter()
                            .collect()
                    } else {
                        strings(inner)
                    };
                    self.add(table, cols, primary, path, line);
                }
            }
        }
    }

    fn read_sequelize(&mut self, path: &Path, text: &str) {
        let table = text
            .find("tableName")
            .and_then(|p| first_string(&text[p..]))
            .or_else(|| {
                text.find(".define(")
                    .and_then(|p| first_string(&text[p..]))
                    .map(|m| format!("{}s", m.to_ascii_lowercase()))
            });
        let Some(table) = table else { return };
        for (flag, primary) in [("unique: true", false), ("primaryKey: true", true)] {
            let mut at = 0;
            while let Some(pos) = text[at..].find(flag) {
                let p = at + pos;
                at = p + flag.len();
                // The attribute whose options object holds the flag: `email: { ..., unique: true }`.
                let before = &text[..p];
                let mut depth = 0;
                let mut open = None;
                // The attribute's options object is short: look back a bounded distance.
                for (i, c) in before.char_indices().rev().take(2_000) {
                    match c {
                        '}' => depth += 1,
                        '{' if depth == 0 => {
                            open = Some(i);
                            break;
                        }
                        '{' => depth -= 1,
                        _ => {}
                    }
                }
                let Some(open) = open else { continue };
                let key = before[..open].trim_end().trim_end_matches(':').trim_end();
                let name: String = key
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if !name.is_empty() {
                    self.add(&table, vec![name], primary, path, line_of(text, p));
                }
            }
        }
    }
}

/// The first string literal in a text.
fn first_string(text: &str) -> Option<String> {
    let start = text.find(['\'', '"', '`'])?;
    let q = text.as_bytes()[start] as char;
    let rest = &text[start + 1..];
    let end = rest.find(q)?;
    Some(rest[..end].to_string())
}

/// The SQL of a migration's `knex.raw('...')` calls (`CREATE UNIQUE INDEX ... ON users (email)`),
/// in place: everything else is blanked (line breaks kept, so lines stay right) and each literal
/// ends a statement.
fn raw_sql_only(text: &str) -> String {
    let mut out: Vec<u8> = text.bytes().map(|b| if b == b'\n' { b'\n' } else { b' ' }).collect();
    let mut at = 0;
    while let Some(pos) = text[at..].find(".raw(") {
        let args = at + pos + ".raw(".len();
        at = args;
        let rest = &text[args..];
        let Some(open) = rest.find(|c: char| !c.is_whitespace()) else {
            break;
        };
        let q = rest.as_bytes()[open];
        if !matches!(q, b'\'' | b'"' | b'`') {
            continue;
        }
        let body = args + open + 1;
        let Some(len) = text[body..].find(q as char) else { break };
        out[body..body + len].copy_from_slice(&text.as_bytes()[body..body + len]);
        out[body + len] = b';';
        at = body + len + 1;
    }
    // Only ASCII bytes were replaced, and whole literals (between ASCII quotes) copied.
    String::from_utf8(out).unwrap_or_default()
}

/// Every string literal in a text.
fn strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(s) = first_string(rest) {
        let at = rest.find(s.as_str()).unwrap_or(0) + s.len() + 1;
        out.push(s);
        rest = rest.get(at..).unwrap_or("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(name: &str, text: &str) -> Schema {
        let mut s = Schema::default();
        s.read_source(Path::new(name), text);
        s
    }

    fn key(s: &Schema, table: &str, cols: &[&str]) -> Option<Vec<String>> {
        let cols: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
        s.key_covered_by(table, &cols).map(|k| k.columns.clone())
    }

    #[test]
    fn sql_constraints_in_every_form() {
        let s = schema(
            "m.sql",
            "-- users\nCREATE TABLE IF NOT EXISTS public.users (\n  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),\n  email STRING NOT NULL UNIQUE,\n  tenant INT,\n  handle TEXT,\n  CONSTRAINT users_tenant_handle UNIQUE (tenant, handle),\n  INDEX (tenant),\n  CHECK (length(handle) > 0)\n);\nCREATE TABLE tags (name TEXT, note TEXT);\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS tags_name ON tags (lower(name));\nALTER TABLE ONLY tags ADD CONSTRAINT tags_note UNIQUE (note);\n/* CREATE TABLE ghosts (id INT PRIMARY KEY); */\n",
        );
        assert_eq!(key(&s, "users", &["email"]), Some(vec!["email".to_string()]));
        assert_eq!(key(&s, "users", &["id", "email"]).map(|k| k.len()), Some(1));
        assert_eq!(key(&s, "users", &["handle"]), None);
        assert_eq!(
            key(&s, "users", &["handle", "tenant"]),
            Some(vec!["tenant".to_string(), "handle".to_string()])
        );
        assert_eq!(key(&s, "tags", &["note"]), Some(vec!["note".to_string()]));
        assert_eq!(
            key(&s, "tags", &["name"]),
            None,
            "an expression index is not on the column"
        );
        assert!(s.knows_table("tags"));
        assert!(!s.knows_table("ghosts"));
        let k = s.key_covered_by("users", &["email".to_string()]).expect("key");
        assert_eq!(k.line, 4);
    }

    #[test]
    fn prisma_knex_and_sequelize() {
        let p = schema(
            "schema.prisma",
            "model User {\n  id    Int    @id @default(autoincrement())\n  email String @unique @map(\"email_address\")\n  org   Int\n  slug  String\n  @@unique([org, slug])\n  @@map(\"users\")\n}\n",
        );
        assert!(key(&p, "users", &["email_address"]).is_some());
        assert!(key(&p, "users", &["slug", "org"]).is_some());
        assert!(key(&p, "users", &["slug"]).is_none());
        let k = schema(
            "migrations/001.js",
            "exports.up = (knex) => knex.schema.createTable('accounts', (t) => {\n  t.increments('id');\n  t.string('email').notNullable().unique();\n  t.string('a');\n  t.string('b');\n  t.unique(['a', 'b']);\n});\n",
        );
        assert!(key(&k, "accounts", &["email"]).is_some());
        assert!(key(&k, "accounts", &["id"]).is_some());
        assert!(key(&k, "accounts", &["a", "b"]).is_some());
        assert!(key(&k, "accounts", &["a"]).is_none());
        let q = schema(
            "models/user.js",
            "const User = sequelize.define('User', {\n  email: { type: DataTypes.STRING, unique: true },\n  name: { type: DataTypes.STRING },\n}, { tableName: 'people' });\n",
        );
        assert!(key(&q, "people", &["email"]).is_some());
        assert!(key(&q, "people", &["name"]).is_none());
    }

    #[test]
    fn knex_raw_sql() {
        let text = "exports.up = async (knex) => {\n  await knex.raw(`ALTER TABLE users ADD COLUMN email text`);\n  await knex.raw(\n    'CREATE UNIQUE INDEX IF NOT EXISTS users_email_uq ON users (email) WHERE email IS NOT NULL'\n  );\n  await knex.raw(sql);\n};\n";
        let k = schema("db/migrations/041_auth.js", text);
        let found = k
            .key_covered_by("users", &["email".to_string()])
            .expect("the unique index in knex.raw");
        assert_eq!(found.line, 4);
        assert!(key(&k, "users", &["id"]).is_none());
    }
}
