// benches/lsp-latency.mjs [TXLINT] — how long `txlint lsp` takes to answer an edit.
//
// Builds a project of 1,000 files in a temporary directory (a db.js with a pool and SQL helpers,
// 999 route modules that use them, a third of them with a missing-transaction bug), opens one
// 500-line route file, then sends 20 didChange notifications that alternately introduce and fix a
// bug in it, and prints the time from each didChange to the publishDiagnostics that answers it
// (median, p90, max). Issue #12's target: 50 ms. Run it on a release build:
//
//   cargo build --release && node benches/lsp-latency.mjs target/release/txlint

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const bin = path.resolve(process.argv[2] || 'target/release/txlint');
const FILES = Number(process.env.FILES || 1000);
const EDITS = Number(process.env.EDITS || 20);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'txlint-lsp-latency-'));

fs.writeFileSync(
  path.join(root, 'db.js'),
  `const { Pool } = require('pg');
const pool = new Pool();
async function debit(id, amount) {
  await pool.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, id]);
}
async function credit(id, amount) {
  await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, id]);
}
module.exports = { pool, debit, credit };
`,
);
fs.mkdirSync(path.join(root, 'routes'));
const route = (i, buggy) => `const express = require('express');
const { pool, debit, credit } = require('../db');
const router = express.Router();
router.post('/r${i}', async (req, res) => {
${buggy ? '  await debit(req.body.from, req.body.amount);\n  await credit(req.body.to, req.body.amount);' : "  const { rows } = await pool.query('SELECT id FROM accounts WHERE id = $1', [req.params.id]);\n  res.json(rows);"}
  res.sendStatus(204);
});
module.exports = router;
`;
for (let i = 1; i < FILES; i++) {
  fs.writeFileSync(path.join(root, 'routes', `r${i}.js`), route(i, i % 3 === 0));
}

// The edited file: 500 lines, the last handler toggled between buggy and fixed.
const filler = Array.from({ length: 480 }, (_, i) => `// line ${i + 1}: ${'x'.repeat(40)}`).join('\n');
const edited = (buggy) => `${filler}\n${route('edited', buggy)}`;
const editedPath = path.join(root, 'routes', 'edited.js');
fs.writeFileSync(editedPath, edited(false));
const uri = pathToFileURL(editedPath).href;

const server = spawn(bin, ['lsp'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
let buffer = Buffer.alloc(0);
const waiters = [];
server.stdout.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const head = buffer.indexOf('\r\n\r\n');
    if (head < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, head).toString())[1]);
    if (buffer.length < head + 4 + length) return;
    const msg = JSON.parse(buffer.subarray(head + 4, head + 4 + length).toString());
    buffer = buffer.subarray(head + 4 + length);
    for (const w of waiters.splice(0)) w(msg);
  }
});
const send = (msg) => {
  const body = JSON.stringify({ jsonrpc: '2.0', ...msg });
  server.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
};
const next = (pred) =>
  new Promise((resolve) => {
    const wait = (msg) => (pred(msg) ? resolve(msg) : waiters.push(wait));
    waiters.push(wait);
  });
const diagnosticsFor = (u) => next((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === u);

send({ id: 1, method: 'initialize', params: { processId: null, rootUri: pathToFileURL(root).href, capabilities: {} } });
await next((m) => m.id === 1);
send({ method: 'initialized', params: {} });
let t0 = process.hrtime.bigint();
send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'javascript', version: 1, text: edited(false) } } });
await diagnosticsFor(uri);
const open = Number(process.hrtime.bigint() - t0) / 1e6;

const times = [];
for (let v = 0; v < EDITS; v++) {
  const buggy = v % 2 === 0;
  t0 = process.hrtime.bigint();
  send({
    method: 'textDocument/didChange',
    params: { textDocument: { uri, version: v + 2 }, contentChanges: [{ text: edited(buggy) }] },
  });
  const msg = await diagnosticsFor(uri);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const found = msg.params.diagnostics.some((d) => d.code === 'missing-transaction');
  if (found !== buggy) throw new Error(`edit ${v}: expected ${buggy ? 'a' : 'no'} finding`);
}
send({ id: 2, method: 'shutdown' });
await next((m) => m.id === 2);
send({ method: 'exit' });
fs.rmSync(root, { recursive: true, force: true });

times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
console.log(
  `${FILES} files, a 500-line file edited ${EDITS} times: didOpen ${open.toFixed(1)} ms; didChange -> diagnostics median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${times[times.length - 1].toFixed(1)} ms (target 50 ms)`,
);
