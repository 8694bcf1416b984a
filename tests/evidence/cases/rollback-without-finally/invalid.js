// The invalid pattern: a transfer whose error path releases the client but never runs ROLLBACK.
// When an UPDATE fails (here: an overdraft violates the balance CHECK constraint), the connection
// goes back to the pool inside an aborted transaction.
async function transfer(pool, from, to, amount) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
    await client.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

module.exports = { transfer };
