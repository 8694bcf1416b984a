// txlint's suggestions applied: pool-transaction (one client from `pool.connect()` for the whole
// transaction, `ROLLBACK` in `catch`, `client.release()` in `finally`) and missing-retry (retry the
// transaction on SQLSTATE 40001). txlint's pool-transaction snippet for this function does not parse
// (it opens a second `try` and leaves the outer one unclosed); this is the structure its help text
// describes.
async function transfer(pool, from, to, amount) {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        await client.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
        await client.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
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
