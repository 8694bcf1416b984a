// The invalid pattern: read the balance, compute, write it back, outside a transaction.
async function deposit(pool, accountId, amount) {
  const { rows } = await pool.query('SELECT balance FROM accounts WHERE id = $1', [accountId]);
  const balance = rows[0].balance + amount;
  await pool.query('UPDATE accounts SET balance = $1 WHERE id = $2', [balance, accountId]);
}

module.exports = { deposit };
