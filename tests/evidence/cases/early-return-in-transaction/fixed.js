// txlint's suggestions applied: `await client.query('ROLLBACK')` before the early return
// (early-return-in-transaction), and the transaction retried on SQLSTATE 40001 in a bounded loop
// with backoff, ROLLBACK first (missing-retry).
async function createOrder(pool, orderId, items) {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO orders (id) VALUES ($1)', [orderId]);
        if (items.length === 0) {
          await client.query('ROLLBACK');
          return { error: 'empty order' };
        }
        for (const sku of items) {
          await client.query('INSERT INTO order_items (order_id, sku) VALUES ($1, $2)', [orderId, sku]);
        }
        await client.query('COMMIT');
        break;
      } catch (err) {
        await client.query('ROLLBACK');
        if (err.code !== '40001' || attempt === 10) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt * 10));
      }
    }
    return { ok: true };
  } finally {
    client.release();
  }
}

module.exports = { createOrder };
