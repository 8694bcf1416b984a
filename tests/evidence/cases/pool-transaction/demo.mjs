// 40 concurrent transfers between 10 accounts of 100 each; every 4th one overdraws (a CHECK
// constraint rejects its debit, so its credit must be rolled back). No money may appear or vanish:
// the total must stay 1000.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'money created or destroyed: 40 concurrent transfers (10 overdrawing), total of 10 accounts';
const ACCOUNTS = 10;
const TRANSFERS = 40;
const TOTAL = ACCOUNTS * 100;

async function round(config, impl) {
  const admin = new pg.Client(config);
  await admin.connect();
  await admin.query('DROP TABLE IF EXISTS accounts');
  await admin.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))');
  await admin.query('INSERT INTO accounts SELECT i, 100 FROM generate_series(1, $1) i', [ACCOUNTS]);
  // A lock held by a transaction that nobody will ever commit would block the others forever:
  // give up on a lock after 1 s (same setting for both versions).
  const pool = new pg.Pool({ ...config, max: 10, options: '-c lock_timeout=1000' });
  let errors;
  try {
    ({ errors } = await together(TRANSFERS, (i) => {
      const from = (i % ACCOUNTS) + 1;
      const to = ((i + 1) % ACCOUNTS) + 1;
      const amount = i % 4 === 3 ? 1000 : 10;
      return impl.transfer(pool, from, to, amount);
    }));
  } finally {
    // Connections still inside a transaction are closed here: what they did is rolled back.
    await pool.end();
  }
  const { rows } = await admin.query('SELECT sum(balance)::int AS total FROM accounts');
  await admin.end();
  return { total: rows[0].total, errors: byCode(errors) };
}

export async function demo({ createDatabase, rounds }) {
  const config = await createDatabase();
  const bad = [];
  const good = [];
  for (let r = 0; r < rounds; r++) {
    bad.push(await round(config, invalid));
    good.push(await round(config, fixed));
  }
  const overdrafts = TRANSFERS / 4;
  // The fixed version must refuse every overdrawing transfer (23514); besides, it may only give up
  // on a transfer after its retries (40001), which the caller is told about.
  const unexpected = (x) =>
    x.errors['23514'] !== overdrafts || Object.keys(x.errors).some((code) => code !== '23514' && code !== '40001');
  const show = (rs) =>
    rs
      .map((x) => `${x.total}/${TOTAL} (${Object.entries(x.errors).map(([c, n]) => `${n}× ${c}`).join(', ') || 'no errors'})`)
      .join('; ');
  return {
    invalid: { damaged: bad.some((x) => x.total !== TOTAL), detail: `total ${show(bad)}` },
    fixed: { damaged: good.some((x) => x.total !== TOTAL || unexpected(x)), detail: `total ${show(good)}` },
  };
}
