// 10 concurrent credits of 5 and 10 concurrent renames, one per account. node-postgres sends the
// SQL and the values separately; PostgreSQL rejects a mismatch at run time, so every call of the
// invalid code fails (nothing is written to the wrong column: the statement never runs).
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'requests failing at run time (PostgreSQL rejects the statement): 10 credits, 10 renames';
const ACCOUNTS = 10;

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 10 });
  try {
    await pool.query('DROP TABLE IF EXISTS accounts');
    await pool.query('CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, balance int NOT NULL)');
    await pool.query("INSERT INTO accounts SELECT g, 'old', 0 FROM generate_series(1, $1::int) g", [ACCOUNTS]);
    const credits = await together(ACCOUNTS, (i) => impl.credit(pool, i + 1, 5));
    const renames = await together(ACCOUNTS, (i) => impl.rename(pool, i + 1, `new ${i + 1}`, 'admin'));
    const { rows } = await pool.query(
      "SELECT count(*) FILTER (WHERE balance = 5)::int AS credited, count(*) FILTER (WHERE name = 'new ' || id)::int AS renamed FROM accounts",
    );
    return {
      credited: rows[0].credited,
      renamed: rows[0].renamed,
      creditErrors: byCode(credits.errors),
      renameErrors: byCode(renames.errors),
    };
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
  const codes = (rs, key) => {
    const all = [...new Set(rs.flatMap((x) => Object.keys(x[key])))];
    return all.length ? ` (${all.join(', ')})` : '';
  };
  const show = (rs) =>
    `credited ${rs.map((x) => x.credited).join(', ')}${codes(rs, 'creditErrors')}; ` +
    `renamed ${rs.map((x) => x.renamed).join(', ')}${codes(rs, 'renameErrors')}`;
  const hurt = (x) => x.credited !== ACCOUNTS || x.renamed !== ACCOUNTS;
  return {
    invalid: { damaged: bad.some(hurt), detail: `${show(bad)} (want 10)` },
    fixed: { damaged: good.some(hurt), detail: `${show(good)} (want 10)` },
  };
}
