// txlint's suggestions applied: the handler awaits the transfer before answering
// (unawaited-transaction: `await transfer(...)`), and the transaction is retried on SQLSTATE 40001
// in a bounded loop whose `catch` runs the ROLLBACK and rethrows (missing-retry). A failed transfer
// now rejects the handler, so the caller (Express's error handler) sees it.
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

async function handleTransfer(pool, req, res) {
  await transfer(pool, req.body.from, req.body.to, req.body.amount);
  res.status(201).json({ ok: true });
}

module.exports = { handleTransfer };
