// 20 customers pay 1 to the same shop at the same moment. Every payment must go through: the
// shop ends with 20, and the money in the system stays the same.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'failed requests: 20 concurrent payments of 1 into one account, aborted with 40001';
const CUSTOMERS = 20;
const SHOP = 0;

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: CUSTOMERS });
  try {
    await pool.query('DROP TABLE IF EXISTS accounts');
    await pool.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
    await pool.query('INSERT INTO accounts SELECT g, 100 FROM generate_series(0, $1::int) g', [CUSTOMERS]);
    // Open the connections first, so that the payments really run side by side.
    await together(CUSTOMERS, () => pool.query('SELECT pg_sleep(0.05)'));
    const { errors } = await together(CUSTOMERS, (i) => impl.transfer(pool, i + 1, SHOP, 1));
    const { rows } = await pool.query('SELECT id, balance FROM accounts ORDER BY id');
    const total = rows.reduce((n, r) => n + r.balance, 0);
    return { shop: rows[0].balance - 100, total, failed: errors.length, codes: byCode(errors) };
  } finally {
    await pool.end();
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
  const money = 100 * (CUSTOMERS + 1);
  const show = (rs) =>
    rs.map((x) => `${x.failed}${x.failed ? ` (${Object.keys(x.codes).join(', ')})` : ''}`).join(', ');
  const hurt = (x) => x.failed > 0 || x.shop !== CUSTOMERS || x.total !== money;
  const shop = (rs) => rs.map((x) => x.shop).join(', ');
  return {
    invalid: { damaged: bad.some(hurt), detail: `failed ${show(bad)} of ${CUSTOMERS}; shop got ${shop(bad)} (want 0; 20)` },
    fixed: { damaged: good.some(hurt), detail: `failed ${show(good)} of ${CUSTOMERS}; shop got ${shop(good)} (want 0; 20)` },
  };
}
