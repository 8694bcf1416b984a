// One transfer overdraws an account (the CHECK constraint rejects it: an ordinary, expected
// failure), then 20 valid transfers on other accounts run concurrently through the same pool of 2
// connections. Every one of the 20 must succeed.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'poisoned connection: after 1 rejected overdraft, valid transfers that fail';
const TRANSFERS = 20;

async function round(config, impl) {
  const admin = new pg.Client(config);
  await admin.connect();
  const pool = new pg.Pool({ ...config, max: 2 });
  try {
    await admin.query('DROP TABLE IF EXISTS accounts');
    await admin.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))');
    await admin.query('INSERT INTO accounts SELECT g, 100 FROM generate_series(0, $1) g', [2 * TRANSFERS]);
    // The overdraft: must fail with 23514 (check_violation), and leave nothing behind.
    const overdraft = await impl.transfer(pool, 0, 1, 1000).then(() => 'accepted', (e) => e.code || e.message);
    const { errors } = await together(TRANSFERS, (i) => impl.transfer(pool, i + 1, i + 1 + TRANSFERS, 10));
    const { rows } = await admin.query('SELECT count(*) FILTER (WHERE balance = 110)::int AS credited FROM accounts');
    return { overdraft, failed: errors.length, codes: byCode(errors), credited: rows[0].credited };
  } finally {
    await pool.end();
    await admin.end();
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
  const codes = (c) => Object.entries(c).map(([k, v]) => `${k}×${v}`).join(' ');
  const show = (rs) =>
    rs.map((x) => `${x.failed}/${TRANSFERS}${x.failed ? ` (${codes(x.codes)})` : ''}`).join(', ');
  const hurt = (x) => x.failed > 0 || x.credited !== TRANSFERS || x.overdraft !== '23514';
  return {
    invalid: { damaged: bad.some(hurt), detail: `failed ${show(bad)}` },
    fixed: { damaged: good.some(hurt), detail: `failed ${show(good)}` },
  };
}
