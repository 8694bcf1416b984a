// txlint's suggestions applied: response-before-commit (the 201 is sent after COMMIT succeeds) and
// missing-retry (retry the transaction on SQLSTATE 40001).
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

async function createOrder(req, res) {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        const { rows } = await client.query(
          'INSERT INTO orders (user_id, coupon) VALUES ($1, $2) RETURNING id',
          [req.body.userId, req.body.coupon],
        );
        await client.query('COMMIT');
        res.status(201).json({ id: rows[0].id });
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

module.exports = { createOrder, pool };
