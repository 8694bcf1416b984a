// 20 orders placed at once, each with 2 items; in 5 of them the second item has quantity 0, which
// the schema rejects (CHECK qty > 0). A rejected order must leave nothing behind.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = 'half-written orders: 20 concurrent orders, 5 failing on their 2nd item, rows left behind';
const ORDERS = 20;
const BAD = new Set([3, 7, 11, 15, 19]);

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 10 });
  try {
    await pool.query('DROP TABLE IF EXISTS order_items, orders');
    await pool.query('CREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL)');
    await pool.query(
      'CREATE TABLE order_items (order_id int NOT NULL REFERENCES orders, sku text NOT NULL, qty int NOT NULL CHECK (qty > 0))',
    );
    const { ok, errors } = await together(ORDERS, (i) =>
      impl.placeOrder(pool, i, [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: BAD.has(i) ? 0 : 2 },
      ]),
    );
    // The rejected orders' users: nothing of theirs may be in the database.
    const { rows } = await pool.query(
      `SELECT count(DISTINCT o.id)::int AS orders, count(i.order_id)::int AS items
         FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
        WHERE o.user_id = ANY($1)`,
      [[...BAD]],
    );
    const complete = await pool.query(
      `SELECT count(*)::int AS n FROM orders o WHERE (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) = 2`,
    );
    return { ok, errors: byCode(errors), failed: errors.length, left: rows[0], complete: complete.rows[0].n };
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
  const want = ORDERS - BAD.size;
  // Damage: a rejected order left rows behind, or an accepted one is missing or incomplete, or a
  // request failed for another reason than the CHECK (23514).
  const hurt = (x) =>
    x.left.orders > 0 || x.left.items > 0 || x.ok !== want || x.complete !== want || x.failed !== (x.errors['23514'] || 0);
  const show = (rs) => rs.map((x) => `${x.left.orders}+${x.left.items}`).join(', ');
  return {
    invalid: {
      damaged: bad.some(hurt),
      detail: `orders+items left by the 5 rejected orders ${show(bad)} (want 0+0)`,
    },
    fixed: {
      damaged: good.some(hurt),
      detail: `orders+items left by the 5 rejected orders ${show(good)} (want 0+0)`,
    },
  };
}
