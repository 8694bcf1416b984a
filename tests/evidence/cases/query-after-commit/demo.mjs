// 20 concurrent payments of 20 orders; a CHECK constraint refuses to mark an order without a
// shipping address as paid (every 4th order), so its status update fails. A payment must never
// exist for an order that is not 'paid'.
import pg from 'pg';
import { createRequire } from 'node:module';
import { together, byCode } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
const invalid = require('./invalid.js');
const fixed = require('./fixed.js');

export const damage = "payments committed for orders left unpaid (20 payments, 5 status updates fail)";
const ORDERS = 20;

async function round(config, impl) {
  const pool = new pg.Pool({ ...config, max: 10 });
  try {
    await pool.query('DROP TABLE IF EXISTS payments');
    await pool.query('DROP TABLE IF EXISTS orders');
    await pool.query(`CREATE TABLE orders (
      id int PRIMARY KEY,
      status text NOT NULL DEFAULT 'new',
      shipping_address text,
      CHECK (status <> 'paid' OR shipping_address IS NOT NULL))`);
    await pool.query('CREATE TABLE payments (order_id int NOT NULL REFERENCES orders, amount int NOT NULL)');
    await pool.query(
      "INSERT INTO orders (id, shipping_address) SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'street ' || i END FROM generate_series(1, $1) i",
      [ORDERS],
    );
    const { errors } = await together(ORDERS, (i) => impl.payOrder(pool, i + 1, 100));
    const { rows } = await pool.query(
      "SELECT count(*)::int AS n FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.status <> 'paid'",
    );
    return { orphans: rows[0].n, errors: byCode(errors) };
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
  const show = (rs) =>
    rs
      .map((x) => `${x.orphans} (${Object.entries(x.errors).map(([c, n]) => `${n}× ${c}`).join(', ') || 'no errors'})`)
      .join('; ');
  return {
    invalid: { damaged: bad.some((x) => x.orphans > 0), detail: `orders with a payment but not paid: ${show(bad)}` },
    fixed: { damaged: good.some((x) => x.orphans > 0), detail: `orders with a payment but not paid: ${show(good)}` },
  };
}
