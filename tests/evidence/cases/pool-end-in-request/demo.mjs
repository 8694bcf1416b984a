// A server whose handler runs one query: 2 waves of 10 concurrent requests. Every request must be
// answered 200 with its user.
import { createRequire } from 'node:module';
import pg from 'pg';
import { together } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);

export const damage = 'requests failed after one request ended the pool (2 waves of 10)';
const WAVES = 2;
const PER_WAVE = 10;

// Each round loads the module afresh: a new module-level pool, as a restarted process would have.
function load(file, config) {
  const url = `postgres://${config.user}@${config.host}:${config.port}/${config.database}`;
  process.env.DATABASE_URL = url;
  const resolved = require.resolve(file);
  delete require.cache[resolved];
  return require(resolved);
}

async function round(config, file) {
  const admin = new pg.Client(config);
  await admin.connect();
  await admin.query('DROP TABLE IF EXISTS users');
  await admin.query('CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL)');
  await admin.query("INSERT INTO users SELECT i, 'user ' || i FROM generate_series(1, $1) i", [WAVES * PER_WAVE]);
  await admin.end();

  const sigterm = process.listeners('SIGTERM');
  const { server, pool } = load(file, config);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  let failed = 0;
  try {
    for (let w = 0; w < WAVES; w++) {
      const { errors } = await together(PER_WAVE, async (i) => {
        const id = w * PER_WAVE + i + 1;
        const res = await fetch(`http://127.0.0.1:${port}/users?id=${id}`);
        const body = await res.json();
        if (res.status !== 200 || !body || body.id !== id) throw new Error(`${res.status} ${JSON.stringify(body)}`);
      });
      failed += errors.length;
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    if (!pool.ended) await pool.end();
    for (const l of process.listeners('SIGTERM')) if (!sigterm.includes(l)) process.removeListener('SIGTERM', l);
  }
  return failed;
}

export async function demo({ createDatabase, rounds }) {
  const config = await createDatabase();
  const bad = [];
  const good = [];
  for (let r = 0; r < rounds; r++) {
    bad.push(await round(config, './invalid.js'));
    good.push(await round(config, './fixed.js'));
  }
  const total = WAVES * PER_WAVE;
  const show = (rs) => rs.map((n) => `${n}/${total}`).join(', ');
  return {
    invalid: { damaged: bad.some((n) => n > 0), detail: `failed ${show(bad)}` },
    fixed: { damaged: good.some((n) => n > 0), detail: `failed ${show(good)}` },
  };
}
