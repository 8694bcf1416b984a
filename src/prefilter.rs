//! A byte-level prefilter: a file that contains none of the tokens every finding needs cannot
//! produce one, so it need not be parsed. Every rule starts from a `.query(...)` or a
//! `.connect()` / `.getClient()` call (also written as `['query']`), and suppression comments
//! from `txlint-disable`. Skipped files are counted (`--stats`); syntax errors in them are not
//! reported, since txlint is not a syntax checker. `tests/cli.rs` proves the prefilter hides no
//! finding on the fixtures.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Member names must end there (`.query(`, not `.querySelector`); the others are whole tokens.
const MEMBERS: &[&str] = &[".query", ".connect", ".getClient"];
const WHOLE: &[&str] = &["'query'", "\"query\"", "txlint-disable"];

static TOKENS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| AhoCorasick::new(MEMBERS.iter().chain(WHOLE)).ok());

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether the file may hold something a rule reports.
pub fn may_have_findings(bytes: &[u8]) -> bool {
    let Some(ac) = TOKENS.as_ref() else {
        // Unreachable in practice (the patterns are valid); never skip on doubt.
        return true;
    };
    ac.find_iter(bytes)
        .any(|m| m.pattern().as_usize() >= MEMBERS.len() || !bytes.get(m.end()).copied().is_some_and(is_ident_byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(may_have_findings(b"await pool.query('x')"));
        assert!(may_have_findings(b"client\n  .query<Row>(sql)"));
        assert!(may_have_findings(b"db['query'](sql)"));
        assert!(may_have_findings(b"const c = await pool.connect();"));
        assert!(may_have_findings(b"const c = await db.getClient()"));
        assert!(may_have_findings(b"// txlint-disable-next-line x"));
        assert!(may_have_findings(b"x.query"));
        assert!(!may_have_findings(b"const querystring = require('querystring');"));
        assert!(!may_have_findings(b"document.querySelector('a'); socket.connected"));
    }
}
