// txlint's suggestions applied: the read locks the row (`SELECT ... FOR UPDATE`) inside a
// transaction on one checked-out client (read-modify-write), rolled back on error and released
// (rollback-without-finally, client-leak), and retried on SQLSTATE 40001 (missing-retry).
async function deposit(pool, accountId, amount) {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        const { rows } = await client.query('SELECT balance FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
        const balance = rows[0].balance + amount;
        await client.query('UPDATE accounts SET balance = $1 WHERE id = $2', [balance, accountId]);
        await client.query('COMMIT');
        break;
      } catch (err) {
        await client.query('ROLLBACK');
        if (err.code !== '40001' || attempt === 20) throw err;
        await new Promise((resolve) => setTimeout(resolve, 2 ** Math.min(attempt, 6) * 5 * Math.random()));
      }
    }
  } finally {
    client.release();
  }
}

module.exports = { deposit };
