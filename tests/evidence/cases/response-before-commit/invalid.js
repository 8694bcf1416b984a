// The invalid pattern: the handler answers 201 Created while the transaction is still open, then
// commits; when COMMIT fails the client has been told about an order that does not exist.
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

async function createOrder(req, res) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      'INSERT INTO orders (user_id, coupon) VALUES ($1, $2) RETURNING id',
      [req.body.userId, req.body.coupon],
    );
    res.status(201).json({ id: rows[0].id });
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

module.exports = { createOrder, pool };
