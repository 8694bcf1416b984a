// txlint's suggestion applied (missing-retry): the whole transaction runs in a bounded loop that
// rolls back and retries on SQLSTATE 40001 with randomised backoff, on the same checked-out
// client, released in `finally`. The loop is the one the suggestion prints after the pending
// change in src/rules/missing_retry.rs (10 attempts, `Math.random() * 2 ** attempt * 10` ms); the
// loop txlint-s16k prints (5 attempts, fixed `2 ** attempt * 10` ms) still failed 0-9 of these 20
// payments per round, since the retries of all conflicting payments wake up together.
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
        if (err.code !== '40001' || attempt === 10) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt * 10));
      }
    }
  } finally {
    client.release();
  }
}

module.exports = { transfer };
