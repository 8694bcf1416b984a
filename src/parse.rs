//! Parsing with swc: syntax chosen by file extension, errors turned into our own type, and the only
//! place that converts swc spans (`BytePos`) into byte ranges of the file's text.
//!
//! Deeply nested input can overflow the parser's stack (swc recurses on expressions and that aborts
//! the whole process), so files whose bracket nesting exceeds [`MAX_NESTING`] are refused before
//! parsing, with a clear message.
#![allow(clippy::disallowed_types)]

use swc_common::{BytePos, FileName, SourceMap, Span, sync::Lrc};
use swc_ecma_ast::{EsVersion, Program};
use swc_ecma_parser::{EsSyntax, Syntax, TsSyntax};

use crate::source::{SourceFile, TextRange};

/// Deepest bracket nesting we parse. Real code, minified bundles included, stays far below it; the
/// worker threads' stacks are sized for it (see `crate::engine`).
pub const MAX_NESTING: usize = 1_500;

/// Longest `else if` chain parsed: swc's time grows with the square of a chain's length (10,000
/// branches 0.1 s, 100,000 branches 15 s), and no hand-written code comes near this.
pub const MAX_ELSE_IF_CHAIN: usize = 5_000;

/// A file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    pub message: String,
    pub range: TextRange,
}

/// A parsed file: the AST and the position of the file's first byte in swc's coordinates.
pub struct Parsed {
    pub program: Program,
    base: u32,
    /// swc drops a byte order mark before parsing: its 3 bytes are added back to every offset, so
    /// that ranges are offsets into the file as on disk.
    bom: u32,
    /// An ES module by its extension (`.mjs`, `.mts`): `await` is allowed at its top level.
    pub module_by_extension: bool,
    /// Errors the parser recovered from (the program is still usable for analysis).
    pub recovered_errors: usize,
}

impl Parsed {
    /// Converts an swc span to a byte range of the file's text.
    pub fn range(&self, span: Span) -> TextRange {
        if span.lo.0 == 0 && span.hi.0 == 0 {
            return TextRange::default();
        }
        let at = |p: u32| p.saturating_sub(self.base) + self.bom;
        TextRange::new(at(span.lo.0), at(span.hi.0))
    }
}

/// Which parser entry point and syntax an extension calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    Program,
    Module,
}

fn syntax_for(path: &std::path::Path) -> (Syntax, Goal) {
    // Lossily for a name that is not UTF-8: only its ASCII extension matters.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let ext = name.rsplit('.').next().unwrap_or("");
    let dts = name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts");
    match ext {
        "ts" | "mts" | "cts" | "tsx" => (
            Syntax::Typescript(TsSyntax {
                tsx: ext == "tsx",
                decorators: true,
                dts,
                ..Default::default()
            }),
            if ext == "mts" { Goal::Module } else { Goal::Program },
        ),
        _ => (
            Syntax::Es(EsSyntax {
                jsx: ext != "mjs" && ext != "cjs",
                decorators: true,
                allow_return_outside_function: ext != "mjs",
                ..Default::default()
            }),
            if ext == "mjs" { Goal::Module } else { Goal::Program },
        ),
    }
}

/// Parses a file. Errors the parser recovered from are ignored: the AST is still complete enough
/// for our analysis, and several of them are legal in Node (top-level `return` in CommonJS).
pub fn parse(file: &SourceFile) -> Result<Parsed, ParseFailure> {
    parse_with(file, None)
}

/// A comment as the parser saw it: only real comments, never text inside a string, a template
/// or a regular expression that looks like one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comment {
    /// The whole comment, `//` or `/*` and `*/` included.
    pub range: TextRange,
    /// `/* ... */` rather than `// ...`.
    pub block: bool,
}

/// The comments of a file, in order (parses it again: the parse that builds the model does not
/// keep them). `None` when the file does not parse.
pub fn comments(file: &SourceFile) -> Option<Vec<Comment>> {
    let store = swc_common::comments::SingleThreadedComments::default();
    let parsed = parse_with(file, Some(&store)).ok()?;
    let (leading, trailing) = store.take_all();
    let mut out: Vec<Comment> = [leading, trailing]
        .iter()
        .flat_map(|m| m.borrow().values().flatten().cloned().collect::<Vec<_>>())
        .map(|c| Comment {
            range: parsed.range(c.span),
            block: c.kind == swc_common::comments::CommentKind::Block,
        })
        .collect();
    drop(parsed);
    out.sort_by_key(|c| (c.range.start, c.range.end));
    out.dedup();
    Some(out)
}

fn parse_with(
    file: &SourceFile,
    comments: Option<&dyn swc_common::comments::Comments>,
) -> Result<Parsed, ParseFailure> {
    let shape = shape(file.text.as_bytes());
    if shape.nesting > MAX_NESTING {
        return Err(ParseFailure {
            message: format!(
                "file is nested {} levels deep (limit {MAX_NESTING}); not analysed",
                shape.nesting
            ),
            range: TextRange::new(0, 0),
        });
    }
    if shape.else_if_chain > MAX_ELSE_IF_CHAIN {
        return Err(ParseFailure {
            message: format!(
                "file has a chain of {} `else if` branches (limit {MAX_ELSE_IF_CHAIN}); not analysed",
                shape.else_if_chain
            ),
            range: TextRange::new(0, 0),
        });
    }
    let (syntax, goal) = syntax_for(&file.path);
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(
        Lrc::new(FileName::Custom(file.path.display().to_string())),
        file.text.clone(),
    );
    let base = fm.start_pos.0;
    let bom = if file.text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut recovered = Vec::new();
    // swc has internal assertions that malformed input can trip: a panic in the parser is a parse
    // failure of this file, not the end of the run.
    let _guard = ParsingGuard::enter();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match goal {
        Goal::Program => {
            swc_ecma_parser::parse_file_as_program(&fm, syntax, EsVersion::latest(), comments, &mut recovered)
        }
        Goal::Module => {
            swc_ecma_parser::parse_file_as_module(&fm, syntax, EsVersion::latest(), comments, &mut recovered)
                .map(Program::Module)
        }
    }));
    let Ok(result) = result else {
        return Err(ParseFailure {
            message: "the parser failed on this file (an internal error in swc); not analysed".to_string(),
            range: TextRange::new(0, 0),
        });
    };
    match result {
        Ok(program) => Ok(Parsed {
            program,
            base,
            bom,
            module_by_extension: matches!(goal, Goal::Module),
            recovered_errors: recovered.len(),
        }),
        Err(e) => {
            let span = swc_common::Spanned::span(&e);
            let to = |p: BytePos| (p.0.saturating_sub(base) + bom).min(file.text.len() as u32);
            Err(ParseFailure {
                message: e.kind().msg().to_string(),
                range: TextRange::new(to(span.lo), to(span.hi)),
            })
        }
    }
}

thread_local! {
    static PARSING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside the parser (a panic there is caught and reported as a parse
/// failure; the binary's panic hook stays quiet about it).
pub fn in_parser() -> bool {
    PARSING.with(|p| p.get())
}

struct ParsingGuard;

impl ParsingGuard {
    fn enter() -> Self {
        PARSING.with(|p| p.set(true));
        ParsingGuard
    }
}

impl Drop for ParsingGuard {
    fn drop(&mut self) {
        PARSING.with(|p| p.set(false));
    }
}

/// Deepest nesting of `(`, `[`, `{` and `${`, skipping strings, comments and template text.
/// Regular expression literals are not recognised; brackets inside them only add noise, never
/// enough to matter against the limit.
pub fn max_nesting(src: &[u8]) -> usize {
    shape(src).nesting
}

/// What makes a file too costly to parse, found by one scan of its bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Deepest nesting of `(`, `[`, `{` and `${`.
    pub nesting: usize,
    /// Longest `if … else if … else if …` chain (swc parses a chain in time quadratic in its length:
    /// 100,000 branches take 15 s).
    pub else_if_chain: usize,
}

/// Scans `src` once for its [`Shape`], skipping strings, comments and template text.
pub fn shape(src: &[u8]) -> Shape {
    let mut out = Shape::default();
    if src.len() <= MAX_NESTING {
        return out;
    }
    let mut depth: usize = 0;
    let max = &mut out.nesting;
    // Stack of template nesting: depth at which a `${` opened.
    let mut templates: Vec<usize> = Vec::new();
    // The `else if` chain open at each depth, and whether the last word was `else`.
    let mut chains: Vec<usize> = Vec::new();
    let mut after_else = false;
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                *max = (*max).max(depth);
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                if templates.last() == Some(&depth) {
                    templates.pop();
                    depth = depth.saturating_sub(1);
                    i = skip_template(src, i + 1, &mut templates, &mut depth, max);
                    after_else = false;
                    continue;
                }
                depth = depth.saturating_sub(1);
            }
            b'"' | b'\'' => {
                i += 1;
                while i < src.len() && src[i] != c && !matches!(src[i], b'\n' | b'\r') {
                    if src[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i = skip_template(src, i + 1, &mut templates, &mut depth, max);
                after_else = false;
                continue;
            }
            b'/' if src.get(i + 1) == Some(&b'/') => {
                while i < src.len() && !crate::source::is_line_terminator(&src[i..]) {
                    i += 1;
                }
                continue;
            }
            b'/' if src.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < src.len() && !(src[i] == b'*' && src[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            c if is_word_byte(c) => {
                let start = i;
                while i < src.len() && is_word_byte(src[i]) {
                    i += 1;
                }
                let word = &src[start..i];
                if word == b"if" {
                    if chains.len() <= depth {
                        chains.resize(depth + 1, 0);
                    }
                    // A plain `if` starts a chain at its depth; `else if` makes it longer.
                    chains[depth] = if after_else { chains[depth] + 1 } else { 0 };
                    out.else_if_chain = out.else_if_chain.max(chains[depth]);
                }
                after_else = word == b"else";
                continue;
            }
            _ => {}
        }
        after_else = false;
        i += 1;
    }
    out
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Skips template text from `i` (just after a backtick or a closing `}` of `${`); returns the
/// index after the closing backtick, or after a `${` (with the nesting recorded).
fn skip_template(src: &[u8], mut i: usize, templates: &mut Vec<usize>, depth: &mut usize, max: &mut usize) -> usize {
    while i < src.len() {
        match src[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            b'$' if src.get(i + 1) == Some(&b'{') => {
                *depth += 1;
                *max = (*max).max(*depth);
                templates.push(*depth);
                return i + 2;
            }
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(name: &str, text: &str) -> Result<Parsed, ParseFailure> {
        parse(&SourceFile::new(name, text.to_string()))
    }

    #[test]
    fn else_if_chains_are_measured_outside_strings_and_comments() {
        let chain = |n: usize| {
            let mut t = String::from("if (a === 0) { f(); }\n");
            for i in 1..=n {
                t.push_str(&format!("else /* c */ if (a === {i}) {{ if (b) g(); else h(); }}\n"));
            }
            t.push_str(&" ".repeat(MAX_NESTING));
            t
        };
        assert_eq!(shape(chain(3).as_bytes()).else_if_chain, 3);
        // Two chains of 3 at the same depth are not one of 6; the inner `if … else` adds nothing.
        let two = format!("{}{}", chain(3), chain(3));
        assert_eq!(shape(two.as_bytes()).else_if_chain, 3);
        let quoted = format!(
            "x = 'else if else if'; // else if\n`else if ${{'else if'}}`;{}",
            " ".repeat(MAX_NESTING)
        );
        assert_eq!(shape(quoted.as_bytes()).else_if_chain, 0);
        // `elseif` and `else_ if` are words of their own.
        let words = format!(
            "if (a) {{}} elseif (b) {{}} else_ if (c) {{}}{}",
            " ".repeat(MAX_NESTING)
        );
        assert_eq!(shape(words.as_bytes()).else_if_chain, 0);
        let long = chain(MAX_ELSE_IF_CHAIN + 1);
        let err = parse_text("a.js", &long).err().expect("refused");
        assert!(err.message.contains("`else if` branches"), "{}", err.message);
        assert!(parse_text("a.js", &chain(100)).is_ok());
    }

    #[test]
    fn syntax_by_extension() {
        assert!(parse_text("a.ts", "const r = pool.query<Row>('SELECT 1');").is_ok());
        assert!(parse_text("a.js", "function f( {").is_err());
        // TypeScript-only syntax is fatal in a .js file only where swc cannot recover.
        assert!(parse_text("a.ts", "enum E { A }").is_ok());
        assert!(parse_text("a.tsx", "const f = <T,>(v: T) => <div>{v}</div>;").is_ok());
        assert!(parse_text("a.jsx", "const f = () => <div />;").is_ok());
        assert!(parse_text("a.cjs", "if (x) return; module.exports = 1;").is_ok());
        assert!(parse_text("a.mjs", "import x from 'y'; await x();").is_ok());
    }

    #[test]
    fn error_has_location() {
        let err = parse_text("a.js", "const = 1;").err().expect("must fail");
        assert!(!err.message.is_empty());
        assert_eq!(err.range.start, 6);
    }

    #[test]
    fn nesting_prescan() {
        let deep = format!("x = {}1{};", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(max_nesting(deep.as_bytes()), 5000);
        let err = parse_text("deep.js", &deep).err().expect("refused");
        assert!(err.message.contains("nested"));
        let strings = format!("x = '{}'; {}", "(".repeat(5000), "y".repeat(2000));
        assert_eq!(max_nesting(strings.as_bytes()), 0);
        let tpl = format!("x = `a${{ b({}) }}c`; {}", "1", " ".repeat(2000));
        assert_eq!(max_nesting(tpl.as_bytes()), 2);
    }

    #[test]
    fn comments_are_the_parser_s() {
        let text = "a('// no'); /* yes */ b(`/* no ${c /* yes */} */`, /\\/\\/ no/); // yes\n";
        let file = SourceFile::new("a.js", text.to_string());
        let found: Vec<(&str, bool)> = comments(&file)
            .expect("parses")
            .into_iter()
            .map(|c| (file.slice(c.range), c.block))
            .collect();
        assert_eq!(found, vec![("/* yes */", true), ("/* yes */", true), ("// yes", false)]);
        assert!(comments(&SourceFile::new("a.js", "f(".to_string())).is_none());
    }

    #[test]
    fn nesting_prescan_ends_comments_where_javascript_does() {
        // A `//` comment ends at `\n`, a lone `\r`, U+2028 or U+2029: the code after it counts.
        for end in ["\n", "\r", "\r\n", "\u{2028}", "\u{2029}"] {
            let deep = format!("// c{end}x = {}1{};", "[".repeat(3000), "]".repeat(3000));
            assert_eq!(max_nesting(deep.as_bytes()), 3000, "comment ended by {end:?}");
        }
        // A string cannot hold a raw `\n` or `\r`: an unterminated one ends there.
        let deep = format!("x = 'a\ry = {}1{};", "(".repeat(3000), ")".repeat(3000));
        assert_eq!(max_nesting(deep.as_bytes()), 3000);
    }
}
