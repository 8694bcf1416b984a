//! A byte-level scan for the modules a file imports, without parsing it: `require('x')`,
//! `import('x')`, `import ... from 'x'`, `export ... from 'x'`, `import 'x'` and
//! `import x = require('x')`. Used to find the files that may call into the project's database
//! modules, so that only those are parsed. It may over-report (a `require('x')` inside a string or a
//! block comment): the cost is one parse more, never a wrong fact, since facts come from the parse.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

static STARTS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| AhoCorasick::new(["require", "import", "from"]).ok());

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// The string literal starting at `i` (a quote), if it is a plain one-line string.
fn string_at(bytes: &[u8], i: usize) -> Option<&str> {
    let quote = *bytes.get(i)?;
    if !matches!(quote, b'\'' | b'"' | b'`') {
        return None;
    }
    let rest = bytes.get(i + 1..)?;
    let end = rest
        .iter()
        .take(512)
        .position(|&b| b == quote || crate::source::is_line_end(b) || b == b'$')?;
    if rest[end] != quote {
        return None;
    }
    std::str::from_utf8(&rest[..end]).ok()
}

/// Whether `pos` is on a line that starts as a comment.
fn on_comment_line(bytes: &[u8], pos: usize) -> bool {
    let start = bytes[..pos]
        .iter()
        .rposition(|&b| crate::source::is_line_end(b))
        .map_or(0, |p| p + 1);
    let line = bytes[start..pos].trim_ascii_start();
    line.starts_with(b"//") || line.starts_with(b"*") || line.starts_with(b"/*")
}

/// Every module specifier the file seems to import, in order, without duplicates.
pub fn imported_specifiers(bytes: &[u8]) -> Vec<String> {
    let Some(starts) = STARTS.as_ref() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for m in starts.find_iter(bytes) {
        let before_ok = m.start() == 0 || !is_ident_byte(bytes[m.start() - 1]) || bytes[m.start() - 1] == b'$';
        let after = bytes.get(m.end()).copied();
        if !before_ok || after.is_some_and(is_ident_byte) {
            continue;
        }
        let mut i = skip_ws(bytes, m.end());
        let spec = match m.pattern().as_usize() {
            // require('x'), import('x')
            0 | 1 if bytes.get(i) == Some(&b'(') => string_at(bytes, skip_ws(bytes, i + 1)),
            // import 'x'
            1 => string_at(bytes, i),
            // from 'x'
            _ => {
                i = skip_ws(bytes, i);
                string_at(bytes, i)
            }
        };
        if let Some(s) = spec
            && !s.is_empty()
            && !on_comment_line(bytes, m.start())
            && !out.iter().any(|o| o == s)
        {
            out.push(s.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_lone_carriage_return_ends_a_comment_line() {
        // An old-Mac file: a comment line, then an import on the next line.
        let specs = imported_specifiers(b"// the pool\rconst db = require('./db');\r");
        assert_eq!(specs, vec!["./db".to_string()]);
    }

    use super::*;

    #[test]
    fn finds_every_import_form() {
        let src = br#"
const db = require('./db');
const { Pool } = require("pg");
import users from '../dal/users.js';
import * as q from "@db/queries";
import './side-effect';
export * from './pool';
export { withTx } from "./tx";
import pg = require('pg-promise');
const lazy = await import('./lazy.mjs');
// const old = require('./old');
const s = fromage('./not-an-import');
"#;
        assert_eq!(
            imported_specifiers(src),
            vec![
                "./db",
                "pg",
                "../dal/users.js",
                "@db/queries",
                "./side-effect",
                "./pool",
                "./tx",
                "pg-promise",
                "./lazy.mjs"
            ]
        );
    }

    #[test]
    fn ignores_templates_with_holes_and_identifiers() {
        assert!(imported_specifiers(b"require(`./${name}`); myrequire('./x'); requireX('./y')").is_empty());
    }
}
