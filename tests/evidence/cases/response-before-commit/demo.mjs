// 20 concurrent POST /orders from 10 users, each using the coupon WELCOME twice; a deferred UNIQUE
// (user_id, coupon) constraint lets each user's second order fail only at COMMIT. Every order the
// client was told "201 Created" about must exist.
import { createRequire } from 'node:module';
import pg from 'pg';
import { together } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);

export const damage = '"201 Created" answered for orders that do not exist (20 requests, 10 fail at COMMIT)';
const USERS = 10;
const REQUESTS = 20;

// Each round loads the module afresh: a new module-level pool, as a restarted process would have.
function load(file, config) {
  process.env.DATABASE_URL = `postgres://${config.user}@${config.host}:${config.port}/${config.database}`;
  const resolved = require.resolve(file);
  delete require.cache[resolved];
  return require(resolved);
}

// An Express-like response that records what was sent. A rejected handler is answered 500, as an
// error middleware would.
async function call(handler, body) {
  const sent = { status: 200, body: undefined, count: 0 };
  const res = {
    status(code) {
      sent.status = code;
      return res;
    },
    json(value) {
      sent.body = value;
      sent.count++;
      return res;
    },
  };
  try {
    await handler({ body }, res);
  } catch (err) {
    if (sent.count === 0) res.status(500).json({ error: err.code || err.message });
  }
  return sent;
}

async function round(config, file) {
  const told = [];
  const admin = new pg.Client(config);
  await admin.connect();
  await admin.query('DROP TABLE IF EXISTS orders');
  await admin.query(`CREATE TABLE orders (
    id serial PRIMARY KEY,
    user_id int NOT NULL,
    coupon text,
    CONSTRAINT one_coupon_per_user UNIQUE (user_id, coupon) DEFERRABLE INITIALLY DEFERRED)`);
  const { createOrder, pool } = load(file, config);
  let refused = 0;
  try {
    await together(REQUESTS, async (i) => {
      const sent = await call(createOrder, { userId: (i % USERS) + 1, coupon: 'WELCOME' });
      if (sent.status === 201) told.push(sent.body.id);
      else refused++;
    });
  } finally {
    await pool.end();
  }
  const { rows } = await admin.query('SELECT id FROM orders WHERE id = ANY($1::int[])', [told]);
  await admin.end();
  return { created: told.length, missing: told.length - rows.length, refused };
}

export async function demo({ createDatabase, rounds }) {
  const config = await createDatabase();
  const bad = [];
  const good = [];
  for (let r = 0; r < rounds; r++) {
    bad.push(await round(config, './invalid.js'));
    good.push(await round(config, './fixed.js'));
  }
  const show = (rs) => rs.map((x) => `${x.missing} of ${x.created} (${x.refused} answered 500)`).join('; ');
  return {
    invalid: { damaged: bad.some((x) => x.missing > 0), detail: `201s for missing orders ${show(bad)}` },
    fixed: { damaged: good.some((x) => x.missing > 0), detail: `201s for missing orders ${show(good)}` },
  };
}
