// The invalid pattern: an order with no items returns early, between BEGIN and COMMIT.
async function createOrder(pool, orderId, items) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO orders (id) VALUES ($1)', [orderId]);
    if (items.length === 0) {
      return { error: 'empty order' };
    }
    for (const sku of items) {
      await client.query('INSERT INTO order_items (order_id, sku) VALUES ($1, $2)', [orderId, sku]);
    }
    await client.query('COMMIT');
    return { ok: true };
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

module.exports = { createOrder };
