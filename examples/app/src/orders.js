// An example service for the README: two findings, one of them suppressed.
const { Pool } = require('pg');

const pool = new Pool();

async function createOrder(userId, sku) {
  const { rows } = await pool.query('INSERT INTO orders (user_id) VALUES ($1) RETURNING id', [userId]);
  await pool.query('INSERT INTO order_items (order_id, sku) VALUES ($1, $2)', [rows[0].id, sku]);
  return rows[0].id;
}

async function touch(orderId) {
  await pool.query('UPDATE orders SET seen_at = now() WHERE id = $1', [orderId]);
  // txlint-disable-next-line missing-transaction -- best-effort audit row, losing it is fine
  await pool.query('INSERT INTO order_audit (order_id) VALUES ($1)', [orderId]);
}

async function rename(orderId, name) {
  await pool.query('UPDATE orders SET name = $1 WHERE id = $3', [name, orderId]);
}

module.exports = { createOrder, touch, rename };
