// The invalid pattern: BEGIN, the writes, COMMIT and ROLLBACK each sent through `pool.query`, so
// each may run on a different connection of the pool.
async function transfer(pool, from, to, amount) {
  await pool.query('BEGIN');
  try {
    await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
    await pool.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
    await pool.query('COMMIT');
  } catch (err) {
    await pool.query('ROLLBACK');
    throw err;
  }
}

module.exports = { transfer };
