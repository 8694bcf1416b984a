// The invalid pattern: one module-level `Client` (configured from PGHOST, PGPORT, ... as
// node-postgres does by default) shared by every request, and a handler that runs a transaction
// on it. Concurrent requests interleave their statements on the one connection.
const { Client } = require('pg');

const client = new Client();
const ready = client.connect();

async function transfer(req, res) {
  const { from, to, amount } = req.body;
  await ready;
  try {
    await client.query('BEGIN');
    await client.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
    await client.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
    await client.query('INSERT INTO transfers (id, from_id, to_id, amount) VALUES ($1, $2, $3, $4)', [req.body.id, from, to, amount]);
    await client.query('COMMIT');
    res.sendStatus(204);
  } catch (err) {
    await client.query('ROLLBACK');
    res.status(500).json({ error: err.message });
  }
}

module.exports = { transfer, close: () => client.end() };
