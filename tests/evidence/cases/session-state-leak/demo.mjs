// 8 concurrent user lookups (each sets a 100 ms statement_timeout for itself) go through a pool of
// 4 connections, then 8 concurrent runs of an unrelated 300 ms report, which sets no timeout at all.
// Every report must complete.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'leaked statement_timeout: unrelated 300 ms reports cancelled after lookups';
const LOOKUPS = 8;
const REPORTS = 8;

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 4 });
  try {
    await pool.query('DROP TABLE IF EXISTS users');
    await pool.query('CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL)');
    await pool.query("INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 100) g");
    const lookups = await together(LOOKUPS, (i) => impl.findUser(pool, i + 1));
    const reports = await together(REPORTS, () => impl.usersReport(pool));
    return { lookupErrors: lookups.errors.length, failed: reports.errors.length, codes: byCode(reports.errors) };
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
  const codes = (c) => Object.entries(c).map(([k, v]) => `${k}×${v}`).join(' ');
  const show = (rs) => rs.map((x) => `${x.failed}/${REPORTS}${x.failed ? ` (${codes(x.codes)})` : ''}`).join(', ');
  const hurt = (x) => x.failed > 0 || x.lookupErrors > 0;
  return {
    invalid: { damaged: bad.some(hurt), detail: `reports cancelled ${show(bad)}` },
    fixed: { damaged: good.some(hurt), detail: `reports cancelled ${show(good)}` },
  };
}
