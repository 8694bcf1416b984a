//! `txlint lsp` end to end: the built binary spoken to over its standard input and output with
//! Content-Length framed JSON-RPC, as an editor does. Every wait has a deadline, so a server that
//! hangs fails the test instead of blocking it.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);

const DB: &str = "const { Pool } = require('pg');
const pool = new Pool();
async function debit(id, amount) {
  await pool.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, id]);
}
async function credit(id, amount) {
  await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, id]);
}
module.exports = { pool, debit, credit };
";

/// Two writes through `db.js`'s helpers, outside a transaction: `missing-transaction` on line 5
/// (0-based 4), after a comment whose emoji takes two UTF-16 units and four bytes.
const TRANSFER: &str = "const { debit, credit } = require('./db');

async function transfer(req, res) {
  await debit(req.body.from, req.body.amount);
  /* 😀 */ await credit(req.body.to, req.body.amount);
  res.json({ ok: true });
}
module.exports = { transfer };
";

/// Two writes through the pool itself (not yet on disk): the fix has edits.
const PAY: &str = "const { pool } = require('./db');

async function pay(req, res) {
  await pool.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [req.body.amount, req.body.from]);
  await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [req.body.amount, req.body.to]);
  res.json({ ok: true });
}
module.exports = { pay };
";

/// A credit that only reads: nothing to keep atomic.
const DB_READ_ONLY_CREDIT: &str = "const { Pool } = require('pg');
const pool = new Pool();
async function debit(id, amount) {
  await pool.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, id]);
}
async function credit(id, amount) {
  await pool.query('SELECT balance FROM accounts WHERE $1::int IS NOT NULL AND id = $2', [amount, id]);
}
module.exports = { pool, debit, credit };
";

struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn uri(path: &Path) -> String {
    url::Url::from_file_path(path).expect("absolute path").to_string()
}

impl Server {
    fn start(root: &Path) -> Server {
        Server::start_with(root, json!({}))
    }

    fn start_with(root: &Path, capabilities: Value) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_txlint"))
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start txlint lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut r) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut s = Server {
            child,
            stdin,
            incoming,
            next_id: 0,
        };
        let init = s.request(
            "initialize",
            json!({ "processId": null, "rootUri": uri(root), "capabilities": capabilities }),
        );
        let caps = &init["result"]["capabilities"];
        assert_eq!(caps["textDocumentSync"]["change"], 1, "full sync: {init}");
        assert_eq!(caps["codeActionProvider"], true, "{init}");
        assert_eq!(caps["hoverProvider"], true, "{init}");
        assert_eq!(init["result"]["serverInfo"]["name"], "txlint", "{init}");
        s.notify("initialized", json!({}));
        s
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(&format!("the answer to {method}"), |m| {
            m["id"] == id && m.get("method").is_none()
        })
    }

    /// The next message that satisfies `pred` (others are skipped), within the deadline.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(m) if pred(&m) => return m,
                Ok(_) => {}
                Err(e) => panic!("no {what} within {TIMEOUT:?}: {e}"),
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait_for(&format!("diagnostics for {uri}"), |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "javascript", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// shutdown, exit, and the exit status.
    fn shut_down(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("db.js"), DB).expect("write db.js");
    std::fs::write(dir.path().join("transfer.js"), TRANSFER).expect("write transfer.js");
    dir
}

fn utf16_len(s: &str) -> u64 {
    s.encode_utf16().count() as u64
}

/// Applies protocol text edits (`\n` line ends, UTF-16 columns) to a text.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().expect("line") as usize;
        let character = p["character"].as_u64().expect("character");
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= character {
                return start + i;
            }
            units += c.len_utf16() as u64;
        }
        text.len()
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let (s, t) = (offset(&e["range"]["start"]), offset(&e["range"]["end"]));
            (s, t, e["newText"].as_str().expect("newText"))
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (s, t, new) in spans {
        out.replace_range(s..t, new);
    }
    out
}

#[test]
fn diagnostics_actions_hover_and_a_fix_that_clears_them() {
    let dir = project();
    let mut server = Server::start(dir.path());
    let transfer = uri(&dir.path().join("transfer.js"));
    let db = uri(&dir.path().join("db.js"));
    server.open(&transfer, TRANSFER);
    let diags = server.diagnostics(&transfer);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["code"], "missing-transaction", "{d}");
    assert_eq!(d["severity"], 1, "{d}");
    assert_eq!(d["source"], "txlint");
    assert_eq!(
        d["codeDescription"]["href"],
        "https://github.com/txlint/txlint/blob/main/rules/missing-transaction.md"
    );
    assert!(d["message"].as_str().is_some_and(|m| m.contains("help: ")), "{d}");
    // The range is in UTF-16 units: the emoji before `credit(` counts two.
    let line = TRANSFER.split('\n').nth(4).expect("line 5");
    let start = line.find("credit(").expect("credit call");
    let end = line.rfind(')').expect("call end") + 1;
    assert_eq!(
        d["range"]["start"],
        json!({ "line": 4, "character": utf16_len(&line[..start]) })
    );
    assert_eq!(
        d["range"]["end"],
        json!({ "line": 4, "character": utf16_len(&line[..end]) })
    );
    assert_eq!(utf16_len(&line[..start]), line[..start].chars().count() as u64 + 1);
    // Related: the first write's label in this file, and the statements in db.js.
    let related = d["relatedInformation"].as_array().cloned().unwrap_or_default();
    assert!(
        related.iter().any(|r| r["location"]["uri"] == transfer.as_str()),
        "{related:?}"
    );
    assert!(
        related.iter().any(|r| r["location"]["uri"] == db.as_str()
            && r["location"]["range"]["start"] == json!({ "line": 6, "character": 8 })),
        "{related:?}"
    );

    // Code actions: the suppression comment (the helpers need the client passed: no edit).
    let actions = code_actions(&mut server, &transfer, d);
    let disable = actions
        .iter()
        .find(|a| a["title"] == "Disable missing-transaction for this line")
        .unwrap_or_else(|| panic!("no disable action among {actions:?}"));
    let insert = &disable["edit"]["changes"][transfer.as_str()][0];
    assert_eq!(insert["range"]["start"], json!({ "line": 4, "character": 0 }));
    assert_eq!(insert["newText"], "  // txlint-disable-next-line missing-transaction\n");

    // Hover on the finding: the rule's documentation.
    let h = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": transfer }, "position": d["range"]["start"] }),
    );
    assert_eq!(h["result"]["contents"]["kind"], "markdown", "{h}");
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("missing-transaction")),
        "{h}"
    );

    // The suppression comment silences the finding.
    server.change(&transfer, 2, &apply(TRANSFER, std::slice::from_ref(insert)));
    assert_eq!(server.diagnostics(&transfer), Vec::<Value>::new());

    // Writes through the pool itself: the quick fix wraps them in a transaction, which clears
    // the finding.
    let pay = uri(&dir.path().join("pay.js"));
    server.open(&pay, PAY);
    let diags = server.diagnostics(&pay);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let actions = code_actions(&mut server, &pay, &diags[0]);
    let fix = actions
        .iter()
        .find(|a| a["title"] == "Wrap the writes in a transaction")
        .unwrap_or_else(|| panic!("no fix among {actions:?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["diagnostics"][0]["code"], "missing-transaction", "{fix}");
    let edits = fix["edit"]["changes"][pay.as_str()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fixed = apply(PAY, &edits);
    assert!(fixed.contains("await client.query('BEGIN')"), "{fixed}");
    server.change(&pay, 2, &fixed);
    assert_eq!(server.diagnostics(&pay), Vec::<Value>::new(), "{fixed}");
    assert_eq!(server.shut_down(), 0);
}

fn code_actions(server: &mut Server, uri: &str, d: &Value) -> Vec<Value> {
    let r = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    r["result"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_change_in_an_imported_module_updates_its_importers() {
    let dir = project();
    let mut server = Server::start(dir.path());
    let transfer = uri(&dir.path().join("transfer.js"));
    let db = uri(&dir.path().join("db.js"));
    server.open(&transfer, TRANSFER);
    assert_eq!(server.diagnostics(&transfer).len(), 1);
    server.open(&db, DB);
    // Unsaved: only the editor has the read-only credit.
    server.change(&db, 2, DB_READ_ONLY_CREDIT);
    assert_eq!(server.diagnostics(&transfer), Vec::<Value>::new());
    server.change(&db, 3, DB);
    assert_eq!(server.diagnostics(&transfer).len(), 1);
    // A client that sends ranged changes (though full sync is asked for) is followed too: the
    // credit's UPDATE, line 7, becomes the SELECT.
    let old = DB.split('\n').nth(6).expect("line 7");
    let new = DB_READ_ONLY_CREDIT.split('\n').nth(6).expect("line 7");
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": db, "version": 4 },
            "contentChanges": [{
                "range": { "start": { "line": 6, "character": 0 }, "end": { "line": 6, "character": utf16_len(old) } },
                "text": new,
            }],
        }),
    );
    assert_eq!(server.diagnostics(&transfer), Vec::<Value>::new());
    // Closing db.js: the file on disk counts again (it has both writes).
    server.notify("textDocument/didClose", json!({ "textDocument": { "uri": db } }));
    assert_eq!(server.diagnostics(&db), Vec::<Value>::new());
    assert_eq!(server.diagnostics(&transfer).len(), 1);
    assert_eq!(server.shut_down(), 0);
}

#[test]
fn configuration_is_reloaded_when_it_changes() {
    let dir = project();
    let watching = json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let mut server = Server::start_with(dir.path(), watching);
    // The server asks to be told when the configuration changes on disk.
    let register = server.wait_for("client/registerCapability", |m| {
        m["method"] == "client/registerCapability"
    });
    let registration = &register["params"]["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles", "{register}");
    assert!(
        registration["registerOptions"]["watchers"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["globPattern"] == "**/.txlintrc.json")),
        "{register}"
    );
    server.send(json!({ "jsonrpc": "2.0", "id": register["id"], "result": null }));
    let transfer = uri(&dir.path().join("transfer.js"));
    server.open(&transfer, TRANSFER);
    assert_eq!(server.diagnostics(&transfer).len(), 1);
    let config = dir.path().join(".txlintrc.json");
    std::fs::write(&config, r#"{ "rules": { "missing-transaction": "off" } }"#).expect("write config");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&config), "type": 1 }] }),
    );
    assert_eq!(server.diagnostics(&transfer), Vec::<Value>::new());
    std::fs::write(&config, r#"{ "rules": { "missing-transaction": "warn" } }"#).expect("write config");
    server.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": uri(&config) } }),
    );
    let diags = server.diagnostics(&transfer);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["severity"], 2, "a warning now: {diags:?}");
    assert_eq!(server.shut_down(), 0);
}

#[test]
fn exit_without_shutdown_is_an_error() {
    let dir = project();
    let mut server = Server::start(dir.path());
    server.notify("exit", Value::Null);
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(s) = server.child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
}

/// A project of 100 files (a `db.js`, 99 route files that use it, a third of them buggy): each
/// edit is answered with the whole project linted again. Prints how long a `didChange` takes to
/// be answered (run with `--nocapture`; not a timed assertion: the machine may be busy).
#[test]
fn a_change_in_a_hundred_file_project() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("db.js"), DB).expect("write db.js");
    for i in 0..99 {
        let text = if i % 3 == 0 {
            TRANSFER.replace("transfer", &format!("transfer{i}"))
        } else {
            format!(
                "const {{ pool }} = require('./db');\n\nasync function get{i}(req, res) {{\n  const r = await pool.query('SELECT * FROM t{i} WHERE id = $1', [req.params.id]);\n  res.json(r.rows);\n}}\nmodule.exports = {{ get{i} }};\n"
            )
        };
        std::fs::write(dir.path().join(format!("route{i}.js")), text).expect("write route");
    }
    let mut server = Server::start(dir.path());
    let route = uri(&dir.path().join("route0.js"));
    let text = std::fs::read_to_string(dir.path().join("route0.js")).expect("read route0.js");
    let opened = Instant::now();
    server.open(&route, &text);
    assert_eq!(server.diagnostics(&route).len(), 1);
    let first = opened.elapsed();
    let mut times = Vec::new();
    for version in 2..12 {
        // Alternately fixed (the second write removed) and buggy again.
        let (next, expected) = if version % 2 == 0 {
            (
                text.replace("/* 😀 */ await credit(req.body.to, req.body.amount);", ""),
                0,
            )
        } else {
            (text.clone(), 1)
        };
        let started = Instant::now();
        server.change(&route, version, &next);
        assert_eq!(server.diagnostics(&route).len(), expected, "version {version}");
        times.push(started.elapsed());
    }
    times.sort();
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "100 files: didOpen answered in {first:?}; didChange in {:?} (median of {}), {:?} (max)",
            times[times.len() / 2],
            times.len(),
            times[times.len() - 1]
        );
    }
    assert_eq!(server.shut_down(), 0);
}
