// 50 concurrent deposits of 1 into one account: the final balance must be 50.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'lost updates: 50 concurrent deposits of 1, final balance';
const WORKERS = 50;

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 20 });
  try {
    await pool.query('DROP TABLE IF EXISTS accounts');
    await pool.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
    await pool.query('INSERT INTO accounts VALUES (1, 0)');
    const { errors } = await together(WORKERS, () => impl.deposit(pool, 1, 1));
    const { rows } = await pool.query('SELECT balance FROM accounts WHERE id = 1');
    return { balance: rows[0].balance, errors: errors.length };
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
  const show = (rs) => rs.map((x) => `${x.balance}/${WORKERS}${x.errors ? ` (${x.errors} failed)` : ''}`).join(', ');
  return {
    invalid: { damaged: bad.some((x) => x.balance !== WORKERS), detail: `balance ${show(bad)}` },
    fixed: { damaged: good.some((x) => x.balance !== WORKERS || x.errors > 0), detail: `balance ${show(good)}` },
  };
}
