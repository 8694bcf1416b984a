//! A byte-level prefilter: a file that contains none of the tokens every finding needs cannot
//! produce one, so it need not be parsed.
//!
//! Every rule starts from a database call: a `.query(...)` (also written `['query']`), or, for
//! `client-leak` and `pool-end-in-request`, a `.connect()` / `.getClient()` / `.end()` on a pool.
//! Suppression comments start from `txlint-` (or `TXLINT-`, `Txlint-`: a directive in the wrong
//! case is reported). A file with `.connect` but no query can only leak a client taken from a
//! pool, and a pool needs one of: the word `pool` (`new Pool()`, `pgPool`, `this.pool`), fastify's
//! `.pg.`, or a module imported from a relative path (`require('./db')`, `from '../db'`, also
//! `@/` and `~/` aliases) outside a comment line. A file with `.end` but no query can only end a
//! pool, and must say so: `.end` right after a name ending in `pool` (`pool.end()`, `pgPool.end()`). Skipped files are counted (`--stats`); syntax
//! errors in them are not reported, since txlint is not a syntax checker. `tests/cli.rs` proves
//! the prefilter hides no finding on the fixtures.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

/// Member names must end there (`.query(`, not `.querySelector`).
const QUERY_MEMBER: &str = ".query";
const CONNECT_MEMBERS: &[&str] = &[".connect", ".getClient"];
/// `pool.end()`: a candidate only on a receiver named like a pool (`pool`, `pgPool`, `this.pool`).
const END_MEMBER: &str = ".end";
/// `txlint-` also as commonly mistyped (`TXLINT-`, `Txlint-`): directives, and comments meant as
/// ones, are reported.
const WHOLE: &[&str] = &["'query'", "\"query\"", "txlint-", "TXLINT-", "Txlint-"];

static TOKENS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    let patterns = std::iter::once(&QUERY_MEMBER)
        .chain(CONNECT_MEMBERS)
        .chain(std::iter::once(&END_MEMBER))
        .chain(WHOLE);
    AhoCorasick::new(patterns).ok()
});

static POOLISH: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(["pool", ".pg."])
        .ok()
});

static IMPORTS: LazyLock<Option<AhoCorasick>> =
    LazyLock::new(|| AhoCorasick::new(["require(", "import(", "from"]).ok());

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether the file may hold something a rule reports.
pub fn may_have_findings(bytes: &[u8]) -> bool {
    let (Some(tokens), Some(poolish), Some(imports)) = (TOKENS.as_ref(), POOLISH.as_ref(), IMPORTS.as_ref()) else {
        // Unreachable in practice (the patterns are valid); never skip on doubt.
        return true;
    };
    let mut connect = false;
    let mut end = false;
    for m in tokens.find_iter(bytes) {
        let whole_word = !bytes.get(m.end()).copied().is_some_and(is_ident_byte);
        match m.pattern().as_usize() {
            0 if whole_word => return true,
            i if i <= CONNECT_MEMBERS.len() => connect |= whole_word,
            i if i == CONNECT_MEMBERS.len() + 1 => end |= whole_word && after_pool_name(bytes, m.start()),
            _ => return true,
        }
    }
    end || (connect && (poolish.is_match(bytes) || has_relative_import(bytes, imports)))
}

/// The identifier right before `.end` at `dot` ends in `pool`, any case (`pool`, `pgPool`, `this.pool`).
fn after_pool_name(bytes: &[u8], dot: usize) -> bool {
    let mut start = dot;
    while start > 0 && is_ident_byte(bytes[start - 1]) {
        start -= 1;
    }
    let name = &bytes[start..dot];
    name.len() >= 4 && name[name.len() - 4..].eq_ignore_ascii_case(b"pool")
}

/// `require('./x')`, `import('../x')`, `from '@/x'` on a line that is not a comment line.
fn has_relative_import(bytes: &[u8], imports: &AhoCorasick) -> bool {
    imports.find_iter(bytes).any(|m| {
        if m.pattern().as_usize() == 2
            && (m.start() > 0 && is_ident_byte(bytes[m.start() - 1])
                || bytes.get(m.end()).copied().is_some_and(is_ident_byte))
        {
            return false;
        }
        let mut i = m.end();
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let rest = &bytes[i.min(bytes.len())..];
        let relative = matches!(rest.first(), Some(b'\'' | b'"' | b'`'))
            && [&b"./"[..], b"../", b"@/", b"~/"]
                .iter()
                .any(|p| rest[1..].starts_with(p));
        if !relative {
            return false;
        }
        let line_start = bytes[..m.start()]
            .iter()
            .rposition(|&b| b == b'\n' || b == b'\r')
            .map_or(0, |p| p + 1);
        let line = bytes[line_start..m.start()].trim_ascii_start();
        !(line.starts_with(b"*") || line.starts_with(b"//"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tokens() {
        assert!(may_have_findings(b"await pool.query('x')"));
        assert!(may_have_findings(b"client\n  .query<Row>(sql)"));
        assert!(may_have_findings(b"db['query'](sql)"));
        assert!(may_have_findings(b"// txlint-disable-next-line x"));
        assert!(may_have_findings(b"// TXLINT-disable-next-line x"));
        assert!(may_have_findings(b"x.query"));
        assert!(!may_have_findings(b"const querystring = require('querystring');"));
        assert!(!may_have_findings(b"document.querySelector('a'); socket.connected"));
    }

    #[test]
    fn connect_needs_a_possible_pool() {
        assert!(may_have_findings(b"const c = await pool.connect();"));
        assert!(may_have_findings(b"const p = new Pool(); const c = await p.connect();"));
        assert!(may_have_findings(
            b"const db = require('./db');\nconst c = await db.getClient();"
        ));
        assert!(may_have_findings(
            b"import db from \"../db\";\nconst c = await db.connect();"
        ));
        assert!(may_have_findings(b"const c = await fastify.pg.connect();"));
        assert!(!may_have_findings(b"session.connect();"));
        assert!(!may_have_findings(
            b"/**\n * import { a } from \"./a\";\n */\nsession.connect();"
        ));
        assert!(!may_have_findings(
            b"const fromX = './x'; gain.connect(ctx.destination);"
        ));
    }

    #[test]
    fn comment_lines_end_at_any_line_ending() {
        // Old Mac line endings: the import is on its own line, after a comment line.
        assert!(may_have_findings(
            b"// db access\rconst db = require('./db');\rconst c = await db.getClient();\r"
        ));
        assert!(may_have_findings(
            b"// db access\r\nconst db = require('./db');\r\nconst c = await db.getClient();\r\n"
        ));
    }
}
