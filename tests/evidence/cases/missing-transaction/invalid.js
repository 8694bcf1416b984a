// The invalid pattern: an order and its items written through the pool, each statement committing
// on its own.
async function placeOrder(pool, userId, items) {
  const { rows } = await pool.query('INSERT INTO orders (user_id) VALUES ($1) RETURNING id', [userId]);
  for (const item of items) {
    await pool.query('INSERT INTO order_items (order_id, sku, qty) VALUES ($1, $2, $3)', [rows[0].id, item.sku, item.qty]);
  }
  return rows[0].id;
}

module.exports = { placeOrder };
