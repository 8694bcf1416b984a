// The invalid pattern: the handler starts the transfer's transaction without awaiting it and
// answers 201 at once. The caller's next read may not see the transfer yet, and a transfer that
// fails (an overdraft rejected by the CHECK constraint) has already been answered as a success.
async function transfer(pool, from, to, amount) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
    await client.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

async function handleTransfer(pool, req, res) {
  transfer(pool, req.body.from, req.body.to, req.body.amount);
  res.status(201).json({ ok: true });
}

module.exports = { handleTransfer };
