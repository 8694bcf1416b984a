// txlint's suggestions applied: the writes run in one transaction on one client from
// `pool.connect()`, ROLLBACK in `catch`, `client.release()` in `finally` (missing-transaction),
// retried on SQLSTATE 40001 in a bounded loop with backoff (missing-retry). `return rows[0].id`
// moved into the transaction: the suggestion declares `rows` inside its `try`.
async function placeOrder(pool, userId, items) {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        const { rows } = await client.query('INSERT INTO orders (user_id) VALUES ($1) RETURNING id', [userId]);
        for (const item of items) {
          await client.query('INSERT INTO order_items (order_id, sku, qty) VALUES ($1, $2, $3)', [rows[0].id, item.sku, item.qty]);
        }
        await client.query('COMMIT');
        return rows[0].id;
      } catch (err) {
        await client.query('ROLLBACK');
        if (err.code !== '40001' || attempt === 10) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt * 10));
      }
    }
  } finally {
    client.release();
  }
}

module.exports = { placeOrder };
