// A burst of 20 user lookups, 4 of them for a user that does not exist, on a pool of 3
// connections; a request that gets no answer within 1 s counts as hung.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, within, terminateOthers } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'pool exhaustion: 20 lookups (4 of a missing user) on a pool of 3, requests hung';
const REQUESTS = 20;
const MISSING = new Set([2, 5, 9, 13]);

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 3 });
  // A leaked client is still checked out when the round ends its connection below.
  pool.on('connect', (client) => client.on('error', () => {}));
  pool.on('error', () => {}); // an idle client terminated below, while pool.end() closes it
  try {
    await pool.query('DROP TABLE IF EXISTS users');
    await pool.query('CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL)');
    await pool.query("INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 100) g");
    let wrong = 0;
    const { ok, errors } = await together(REQUESTS, async (i) => {
      const id = MISSING.has(i) ? 1000 + i : i + 1;
      const user = await within(1000, impl.getUser(pool, id), `request ${i}`);
      if ((user === null) !== MISSING.has(i)) wrong++;
    });
    const hung = errors.filter((e) => /timed out/.test(e.message)).length;
    return { ok, hung, failed: errors.length - hung, wrong };
  } finally {
    pool.end().catch(() => {}); // does not wait for the leaked clients
    await terminateOthers(pg, config);
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
    rs.map((x) => `${x.hung}${x.failed ? ` (+${x.failed} failed)` : ''}${x.wrong ? ` (${x.wrong} wrong)` : ''}`).join(', ');
  return {
    invalid: { damaged: bad.some((x) => x.hung > 0), detail: `hung ${show(bad)} of ${REQUESTS} (want 0)` },
    fixed: {
      damaged: good.some((x) => x.hung > 0 || x.failed > 0 || x.wrong > 0),
      detail: `hung ${show(good)} of ${REQUESTS} (want 0)`,
    },
  };
}
