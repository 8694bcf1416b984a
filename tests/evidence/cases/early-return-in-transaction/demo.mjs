// 10 orders one after another on a pool of 2; orders 3, 7 and 10 are empty and rejected.
// A rejected order must leave nothing behind: no order row, no connection left mid-transaction.
import pg from 'pg';
import { terminateOthers } from '../../lib/load.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'rejected orders committed by the next borrower of the connection; connections idle in transaction';
const ORDERS = 10;
const EMPTY = new Set([3, 7, 10]);

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 2 });
  pool.on('connect', (client) => client.on('error', () => {}));
  pool.on('error', () => {}); // an idle client terminated below, while pool.end() closes it
  try {
    await pool.query('DROP TABLE IF EXISTS order_items, orders');
    await pool.query('CREATE TABLE orders (id int PRIMARY KEY)');
    await pool.query('CREATE TABLE order_items (order_id int NOT NULL REFERENCES orders, sku text NOT NULL)');
    let rejected = 0;
    for (let id = 1; id <= ORDERS; id++) {
      const result = await impl.createOrder(pool, id, EMPTY.has(id) ? [] : [`sku-${id}`]);
      if (result.error) rejected++;
    }
    // Looked at from a connection of its own, after all requests have returned.
    const check = new pg.Client(config);
    await check.connect();
    const empty = await check.query(
      'SELECT count(*)::int AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)',
    );
    const idle = await check.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'",
    );
    await check.end();
    return { rejected, empty: empty.rows[0].n, idle: idle.rows[0].n };
  } finally {
    pool.end().catch(() => {});
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
  const show = (rs) => rs.map((x) => `${x.empty}/${x.idle}`).join(', ');
  const hurt = (x) => x.empty > 0 || x.idle > 0 || x.rejected !== EMPTY.size;
  return {
    invalid: { damaged: bad.some(hurt), detail: `empty orders committed / idle in tx ${show(bad)} (want 0/0)` },
    fixed: { damaged: good.some(hurt), detail: `empty orders committed / idle in tx ${show(good)} (want 0/0)` },
  };
}
