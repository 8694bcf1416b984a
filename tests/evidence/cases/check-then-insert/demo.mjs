// 30 concurrent requests add the same tag: the table must hold it once.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';
import { implicitRetry } from '../../lib/implicit-retry.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'duplicate rows: 30 concurrent "add tag x", rows for x';
const WORKERS = 30;

async function round(config, impl, schema) {
  const pool = new pg.Pool({ ...config, max: WORKERS });
  try {
    await pool.query('DROP TABLE IF EXISTS tags');
    for (const sql of schema) await pool.query(sql);
    // Open the connections first, so that the requests really run side by side.
    await together(WORKERS, () => pool.query('SELECT pg_sleep(0.05)'));
    // Single statements retried on 40001 as CockroachDB's server does (see the helper).
    const db = implicitRetry(pool);
    const { errors } = await together(WORKERS, () => impl.addTag(db, 'x'));
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM tags WHERE name = 'x'");
    return { rows: rows[0].n, errors: errors.length, codes: byCode(errors), retried: db.retried };
  } finally {
    await pool.end();
  }
}

export async function demo({ createDatabase, rounds }) {
  const config = await createDatabase();
  const table = 'CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL)';
  const bad = [];
  const good = [];
  for (let r = 0; r < rounds; r++) {
    // The invalid code's schema: nothing unique on name (else the race is a 23505 error instead).
    bad.push(await round(config, invalid, [table]));
    // The fix needs the unique index its suggestion names.
    good.push(await round(config, fixed, [table, 'CREATE UNIQUE INDEX ON tags (name)']));
  }
  const show = (rs) =>
    rs.map((x) => `${x.rows}${x.errors ? ` (${x.errors} failed: ${Object.keys(x.codes).join(', ')})` : ''}`).join(', ');
  const resent = (rs) => rs.reduce((n, x) => n + x.retried, 0);
  return {
    invalid: { damaged: bad.some((x) => x.rows !== 1), detail: `rows ${show(bad)} (want 1)` },
    fixed: { damaged: good.some((x) => x.rows !== 1 || x.errors > 0), detail: `rows ${show(good)} (want 1; ${resent(good)} statements re-sent on 40001 as CockroachDB does)` },
  };
}
