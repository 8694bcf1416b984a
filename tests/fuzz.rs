//! A mutation fuzzer over `lint_source`: random bytes, fixtures with bytes flipped, ranges cut
//! or repeated, fixtures spliced together, and JavaScript fragments that stress the flow model
//! (unbalanced `try`, stray `return`, callbacks, chains) inserted anywhere. No input may panic or
//! hang. `cargo test` runs a bounded number of cases; `TXLINT_FUZZ_SECONDS=900 cargo test --release
//! --test fuzz -- --nocapture` runs for that long and prints the number of executions. Inputs
//! that ever failed are kept in `fixtures/_regressions/` and replayed first.

#![allow(clippy::print_stdout)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::root;
use txlint::rules::RuleSet;
use txlint::{LintOptions, lint_source};

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ";",
    "\n",
    "'",
    "\"",
    "`",
    "${",
    "/*",
    "*/",
    "//",
    "=>",
    "?.",
    "...",
    "await ",
    "async ",
    "function f(client) ",
    "return;",
    "return client;",
    "throw e;",
    "try {",
    "} catch (e) {",
    "} finally {",
    "if (err) ",
    "else ",
    "for (;;) ",
    "while (x) ",
    "do {",
    "} while (y);",
    "break;",
    "continue;",
    "switch (x) { case 1: ",
    "default: ",
    "label: ",
    "break label;",
    "client.query('BEGIN');",
    "await client.query('COMMIT');",
    "client.query('ROLLBACK', done);",
    "pool.query('INSERT INTO t VALUES ($1)', [a]);",
    "const client = await pool.connect();",
    "client.release();",
    "done(err);",
    "new Pool()",
    ".then((r) => ",
    ".catch((e) => ",
    ".finally(() => ",
    "pool.connect((err, client, done) => {",
    "withTransaction(async (c) => {",
    "db.tx(async (t) => {",
    "'40001'",
    "SAVEPOINT cockroach_restart",
    "rows[0].balance",
    "class A { m() {",
    "<div>{x}</div>",
    "x as any",
    "enum E { A }",
    "import x from './db';",
    "export default ",
    "yield ",
    "new ",
    "typeof ",
    "delete ",
    "void ",
    "!",
    "?",
    ":",
    "=",
    "==",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&&",
    "||",
    "??",
    "`${client.query('SELECT $1')}`",
    "SELECT * FROM t WHERE id = $2",
    "UPSERT INTO t",
    "ON CONFLICT DO NOTHING",
];

/// Whole statements, inserted at line starts: the result usually still parses, which exercises
/// the flow analysis rather than the parser's error paths.
const STATEMENTS: &[&str] = &[
    "await client.query('BEGIN');",
    "await client.query('COMMIT');",
    "await client.query('ROLLBACK');",
    "client.release();",
    "client.release(err);",
    "done();",
    "return;",
    "return res.status(400).end();",
    "throw new Error('x');",
    "if (x) return;",
    "if (err) { done(err); return; }",
    "try { await client.query('UPDATE t SET a = 1'); } catch (e) { await client.query('ROLLBACK'); throw e; } finally { client.release(); }",
    "for (const a of b) { await pool.query('INSERT INTO t VALUES ($1)', [a]); }",
    "while (true) { if (y) break; await client.query('SELECT 1'); }",
    "const { rows } = await client.query('SELECT balance FROM accounts WHERE id = $1', [id]);",
    "if (rows.length === 0) { await pool.query('INSERT INTO tags (name) VALUES ($1)', [n]); }",
    "await pool.query('UPDATE accounts SET balance = $1 WHERE id = $2', [rows[0].balance - 1, id]);",
    "client.query('INSERT INTO log VALUES ($1)', [1]);",
    "await helper(client);",
    "pool.connect((err, c, d) => { if (err) return; c.query('SELECT 1', () => d()); });",
    "await pool.connect().then((c) => c.query('BEGIN').then(() => c.release()));",
    "switch (k) { case 1: return; default: break; }",
    "label: for (;;) { continue label; }",
    "if (err.code === '40001') continue;",
    "await Promise.all([client.query('SELECT 1')]);",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![root().join("fixtures"), root().join("examples")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.push(b);
            }
        }
    }
    out.sort();
    out
}

/// A shape that once made time or memory grow faster than the input: deep nesting without
/// brackets, long operator chains, `else if` ladders, nested loops around a query, huge `$n`.
/// `n` is its size (up to tens of thousands of repetitions).
fn pathological(rng: &mut Rng, n: usize) -> String {
    let q = "await client.query('UPDATE t SET x = $1', [a]);";
    match rng.below(9) {
        0 => format!("{}{q}", "if (a) ".repeat(n)),
        1 => format!("{}{q}", "while (a) ".repeat(n)),
        2 => format!("x = {}a;", "!".repeat(n)),
        3 => format!("x = {}0;", "a = ".repeat(n)),
        4 => format!("f = {}0;", "(y) => ".repeat(n.min(20_000))),
        5 => {
            let op = ["&&", "||", "??", "+", ",", "&& g() &&"][rng.below(6)];
            let ops: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
            format!("if ({}) {{ {q} }}", ops.join(&format!(" {op} ")))
        }
        6 => {
            let mut t = format!("if (a === 0) {{ {q} }}");
            for i in 1..n {
                t.push_str(&format!(" else if (a === {i}) {{ {q} }}"));
            }
            t
        }
        7 => format!(
            "{}{q}{}",
            "for (const a of b) {\n".repeat(n.min(1400)),
            "}\n".repeat(n.min(1400))
        ),
        _ => {
            let big = ["2147483648", "4294967295", "99999999999999999999", "100000000", "65536"][rng.below(5)];
            format!("await pool.query('SELECT $1, ${big}', [a]);")
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    match rng.below(10) {
        8 | 9 => {
            // A pathological shape at a line start (sizes spread over four orders of magnitude).
            let n = 10usize.pow(1 + rng.below(4) as u32) * (1 + rng.below(5));
            let starts: Vec<usize> = std::iter::once(0)
                .chain(v.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1))
                .collect();
            let at = starts[rng.below(starts.len())].min(v.len());
            let shape = format!("{}\n", pathological(rng, n));
            v.splice(at..at, shape.bytes());
            v
        }
        6 | 7 => {
            // Insert or delete whole statements at line starts.
            for _ in 0..=rng.below(4) {
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(v.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1))
                    .collect();
                let at = starts[rng.below(starts.len())].min(v.len());
                if rng.below(3) == 0 {
                    let end = v[at..].iter().position(|b| *b == b'\n').map_or(v.len(), |p| at + p + 1);
                    v.drain(at..end);
                } else {
                    let stmt = format!("{}\n", STATEMENTS[rng.below(STATEMENTS.len())]);
                    v.splice(at..at, stmt.bytes());
                }
            }
            v
        }
        0 => (0..rng.below(2000)).map(|_| rng.next() as u8).collect(),
        1 => {
            for _ in 0..=rng.below(8) {
                if !v.is_empty() {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
            }
            v
        }
        2 => {
            let a = rng.below(v.len() + 1);
            let b = (a + rng.below(200)).min(v.len());
            if rng.below(2) == 0 {
                v.drain(a..b);
            } else {
                let chunk = v[a..b].to_vec();
                for _ in 0..=rng.below(3) {
                    v.splice(a..a, chunk.iter().copied());
                }
            }
            v
        }
        3 => {
            let other = &seeds[rng.below(seeds.len())];
            let a = rng.below(v.len() + 1);
            let b = rng.below(other.len() + 1);
            let mut out = v[..a].to_vec();
            out.extend_from_slice(&other[b..]);
            out
        }
        _ => {
            for _ in 0..=rng.below(6) {
                let at = rng.below(v.len() + 1);
                let frag = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
                v.splice(at..at, frag.iter().copied());
            }
            v
        }
    }
}

const EXTENSIONS: &[&str] = &["js", "ts", "tsx", "mjs", "cjs"];

fn lint_bytes(bytes: &[u8], ext: &str) {
    let text = String::from_utf8_lossy(bytes);
    let path = PathBuf::from(format!("fuzz.{ext}"));
    let _ = lint_source(&path, &text, &RuleSet::all(), &LintOptions::default());
}

/// Runs `f` on a thread with the stack the CLI's workers have (the parser recurses).
fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(txlint::engine::WORKER_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the linter panicked");
}

fn save_crash(bytes: &[u8], n: usize) -> PathBuf {
    let dir = root().join("target/fuzz-crashes");
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(format!("crash-{n}.js"));
    let _ = std::fs::write(&p, bytes);
    p
}

#[test]
fn fuzz_lint_source() {
    // Parser panics are caught and become parse errors; keep their messages out of the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !txlint::parse::in_parser() {
            default_hook(info);
        }
    }));
    let seconds: u64 = std::env::var("TXLINT_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let seed: u64 = std::env::var("TXLINT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234);
    on_big_stack(move || {
        let seeds = corpus();
        // Inputs that once failed are replayed first.
        let regressions = root().join("fixtures/_regressions");
        if let Ok(entries) = std::fs::read_dir(&regressions) {
            for e in entries.flatten() {
                let bytes = std::fs::read(e.path()).expect("read regression");
                for ext in EXTENSIONS {
                    lint_bytes(&bytes, ext);
                }
            }
        }
        let mut rng = Rng(seed);
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let bounded = if seconds == 0 { 300 } else { usize::MAX };
        let mut executions = 0usize;
        let slowest = std::cell::Cell::new(Duration::ZERO);
        let mut slowest_input: Vec<u8> = Vec::new();
        while executions < bounded && (seconds == 0 || Instant::now() < deadline) {
            let input = mutate(&mut rng, &seeds);
            let ext = EXTENSIONS[rng.below(EXTENSIONS.len())];
            let started = Instant::now();
            let result = std::panic::catch_unwind(|| lint_bytes(&input, ext));
            let took = started.elapsed();
            if result.is_err() {
                let p = save_crash(&input, executions);
                panic!("lint_source panicked on {} (saved to {})", ext, p.display());
            }
            if took > Duration::from_secs(10) {
                let p = save_crash(&input, executions);
                panic!("lint_source took {took:?} (saved to {})", p.display());
            }
            if took > slowest.get() {
                slowest.set(took);
                slowest_input = input;
            }
            executions += 1;
        }
        if seconds > 0 {
            let dir = root().join("target/fuzz-crashes");
            let _ = std::fs::create_dir_all(&dir);
            let kept = dir.join("slowest.js");
            let _ = std::fs::write(&kept, &slowest_input);
            println!(
                "fuzz: {executions} executions in {seconds} s (seed {seed}), slowest {:?} on a {}-byte input (kept in {})",
                slowest.get(),
                slowest_input.len(),
                kept.display()
            );
        }
    });
}
