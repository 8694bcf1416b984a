// The invalid pattern: the payment is committed, then the order's status is written after COMMIT,
// in a transaction of its own.
async function payOrder(pool, orderId, amount) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO payments (order_id, amount) VALUES ($1, $2)', [orderId, amount]);
    await client.query('COMMIT');
    await client.query("UPDATE orders SET status = 'paid' WHERE id = $1", [orderId]);
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

module.exports = { payOrder };
