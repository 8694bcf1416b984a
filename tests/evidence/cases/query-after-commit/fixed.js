// txlint's suggestions applied: query-after-commit (the order's status is written before COMMIT,
// inside the transaction) and missing-retry (retry the transaction on SQLSTATE 40001).
async function payOrder(pool, orderId, amount) {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO payments (order_id, amount) VALUES ($1, $2)', [orderId, amount]);
        await client.query("UPDATE orders SET status = 'paid' WHERE id = $1", [orderId]);
        await client.query('COMMIT');
        break;
      } catch (err) {
        await client.query('ROLLBACK');
        if (err.code !== '40001' || attempt === 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
      }
    }
  } finally {
    client.release();
  }
}

module.exports = { payOrder };
