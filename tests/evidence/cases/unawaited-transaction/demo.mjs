// 20 transfer requests arrive together, each between its own two accounts; 4 of them overdraw
// (the CHECK constraint rejects them). As soon as a request is answered 201, its caller reads the
// source account's balance on another connection: it must show the debit. A rejected transfer must
// reach the caller as an error, never as 201, and no error may escape as an unhandled rejection.
import pg from 'pg';
import { createRequire } from 'node:module';
import { sleep } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'answered before commit: stale reads after 201, overdrafts answered 201';
const REQUESTS = 20;
const isOverdraft = (i) => i % 5 === 4;

function fakeRes() {
  const res = { statusCode: 200, status(code) { res.statusCode = code; return res; }, json() { return res; } };
  return res;
}

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 10 });
  const reader = new pg.Pool({ ...config, max: 10 });
  const escaped = [];
  const onUnhandled = (reason) => escaped.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await reader.query('DROP TABLE IF EXISTS accounts');
    await reader.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))');
    await reader.query('INSERT INTO accounts SELECT g, 100 FROM generate_series(1, $1) g', [2 * REQUESTS]);
    const outcomes = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const body = { from: 2 * i + 1, to: 2 * i + 2, amount: isOverdraft(i) ? 1000 : 10 };
        const res = fakeRes();
        const answered = await impl.handleTransfer(pool, { body }, res).then(() => res.statusCode, () => 'error');
        if (answered !== 201) return { i, answered };
        const { rows } = await reader.query('SELECT balance FROM accounts WHERE id = $1', [body.from]);
        return { i, answered, seen: rows[0].balance };
      }),
    );
    await sleep(300); // let detached transactions finish and their rejections surface
    let stale = 0; // answered 201, then the caller's read did not show the debit
    let lied = 0; // an overdraft answered 201
    let refused = 0; // a valid transfer not answered 201
    for (const o of outcomes) {
      if (isOverdraft(o.i)) lied += o.answered === 201 ? 1 : 0;
      else if (o.answered !== 201) refused++;
      else if (o.seen !== 90) stale++;
    }
    return { stale, lied, refused, escaped: escaped.length };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await pool.end();
    await reader.end();
  }
}

export async function demo({ createDatabase, rounds }) {
  const config = await createDatabase();
  const bad = [];
  const good = [];
  for (let r = 0; r < rounds; r++) {
    bad.push(await round(config, invalid));
    good.push(await round(config, fixed));
  }
  const valid = Array.from({ length: REQUESTS }, (_, i) => i).filter((i) => !isOverdraft(i)).length;
  const show = (rs) =>
    rs
      .map((x) => `stale ${x.stale}/${valid}, overdraft 201 ${x.lied}/${REQUESTS - valid}, ${x.escaped} unhandled${x.refused ? `, ${x.refused} refused` : ''}`)
      .join('; ');
  const hurt = (x) => x.stale > 0 || x.lied > 0 || x.refused > 0 || x.escaped > 0;
  return {
    invalid: { damaged: bad.some(hurt), detail: show(bad) },
    fixed: { damaged: good.some(hurt), detail: show(good) },
  };
}
