// Runs every rule's demonstration against a throwaway PostgreSQL and prints a table: the invalid
// pattern's measured damage and the fixed version's result (the code txlint's suggestion produces).
// Exits 1 when an invalid pattern showed no damage in any round, or a fixed version showed some.
//
//   node run.mjs [rule-id ...]      (from tests/evidence/, after `npm ci`)

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startPostgres } from './lib/postgres.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const cases = fs
  .readdirSync(path.join(here, 'cases'))
  .filter((d) => fs.existsSync(path.join(here, 'cases', d, 'demo.mjs')))
  .filter((d) => only.length === 0 || only.includes(d))
  .sort();

const rounds = Number(process.env.EVIDENCE_ROUNDS || 3);
const started = Date.now();
const db = await startPostgres();
const rows = [];
let failed = false;
try {
  for (const id of cases) {
    const mod = await import(pathToFileURL(path.join(here, 'cases', id, 'demo.mjs')).href);
    const t0 = Date.now();
    let result;
    try {
      result = await mod.demo({ createDatabase: () => db.createDatabase(id), rounds });
    } catch (err) {
      result = { invalid: { damaged: false, detail: `demo failed: ${err.message}` }, fixed: { damaged: true, detail: '-' } };
    }
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    const ok = result.invalid.damaged && !result.fixed.damaged;
    failed ||= !ok;
    rows.push([id, mod.damage || '', result.invalid.detail, result.fixed.detail, `${seconds} s`, ok ? 'ok' : 'FAILED']);
    process.stderr.write(`${ok ? 'ok    ' : 'FAILED'} ${id} (${seconds} s)\n`);
  }
} finally {
  db.stop();
}

const header = ['rule', 'damage measured', 'invalid pattern', 'txlint\'s fix', 'time', 'result'];
const escape = (s) => String(s).replace(/\|/g, '\\|');
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.map(escape).join(' | ')} |`);
console.log(`\n${rows.length} rules, ${rounds} rounds each, PostgreSQL with default_transaction_isolation = serializable, ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
