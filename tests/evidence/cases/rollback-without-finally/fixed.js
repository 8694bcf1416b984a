// txlint's suggestions applied: ROLLBACK in `catch` then rethrow, `client.release()` in `finally`
// (rollback-without-finally), and the transaction retried on SQLSTATE 40001 in a bounded loop whose
// `catch` is that ROLLBACK (missing-retry).
async function transfer(pool, from, to, amount) {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        await client.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
        await client.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
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

module.exports = { transfer };
