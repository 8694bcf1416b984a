// txlint's suggestions applied: a module-level `Pool` and a client checked out per request,
// ROLLBACK in `catch`, `release()` in `finally` (shared-client), and the transaction retried on
// SQLSTATE 40001 in a bounded loop whose `catch` runs that ROLLBACK and rethrows (missing-retry);
// the handler's own `catch` still answers 500.
const { Pool } = require('pg');

const pool = new Pool();

async function transfer(req, res) {
  const { from, to, amount } = req.body;
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        await client.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
        await client.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
        await client.query('INSERT INTO transfers (id, from_id, to_id, amount) VALUES ($1, $2, $3, $4)', [req.body.id, from, to, amount]);
        await client.query('COMMIT');
        break;
      } catch (err) {
        await client.query('ROLLBACK');
        if (err.code !== '40001' || attempt === 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
      }
    }
    res.sendStatus(204);
  } catch (err) {
    res.status(500).json({ error: err.message });
  } finally {
    client.release();
  }
}

module.exports = { transfer, close: () => pool.end() };
