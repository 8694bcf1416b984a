// 10 concurrent imports of 5 contacts into 10 lists; 3 of the imports carry an address a CHECK
// constraint rejects, so they roll back. No import the caller saw succeed may be missing from the
// database.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'imports reported done but not written (10 concurrent imports, 3 rejected)';
const LISTS = 10;
const PER_LIST = 5;

const contactsFor = (listId) =>
  Array.from({ length: PER_LIST }, (_, k) => ({
    email: listId % 3 === 0 && k === PER_LIST - 1 ? `broken-address-${listId}` : `c${k}@list${listId}.example`,
  }));

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 10 });
  const logError = console.error;
  const logged = {};
  // The functions log each failure: count them by kind, keep the output clean.
  console.error = (...args) => {
    const text = args.join(' ');
    const kind = /serializ/.test(text) ? '40001' : /check constraint/.test(text) ? '23514' : 'other';
    logged[kind] = (logged[kind] || 0) + 1;
  };
  try {
    await pool.query('DROP TABLE IF EXISTS contacts');
    await pool.query(`CREATE TABLE contacts (
      list_id int NOT NULL,
      email text NOT NULL CHECK (email LIKE '%_@_%'))`);
    await pool.query('CREATE INDEX ON contacts (list_id)');
    await pool.query(
      "INSERT INTO contacts SELECT l, 'old' || k || '@list' || l || '.example' FROM generate_series(1, $1) l, generate_series(1, 2) k",
      [LISTS],
    );
    const done = [];
    const { errors } = await together(LISTS, async (i) => {
      const listId = i + 1;
      await impl.importContacts(pool, listId, contactsFor(listId));
      done.push(listId); // the caller carries on: the list counts as imported
    });
    let missing = 0;
    for (const listId of done) {
      const { rows } = await pool.query('SELECT email FROM contacts WHERE list_id = $1 ORDER BY email', [listId]);
      const want = contactsFor(listId).map((c) => c.email).sort();
      if (JSON.stringify(rows.map((r) => r.email)) !== JSON.stringify(want)) missing++;
    }
    return { done: done.length, missing, errors: byCode(errors), logged };
  } finally {
    console.error = logError;
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
  const show = (rs) =>
    rs
      .map((x) => {
        const list = (o) => Object.entries(o).map(([c, n]) => `${n}× ${c}`).join(', ') || 'none';
        return `${x.missing} of ${x.done} (logged ${list(x.logged)}; caller saw ${list(x.errors)})`;
      })
      .join('; ');
  return {
    invalid: { damaged: bad.some((x) => x.missing > 0), detail: `done but not written ${show(bad)}` },
    fixed: { damaged: good.some((x) => x.missing > 0), detail: `done but not written ${show(good)}` },
  };
}
