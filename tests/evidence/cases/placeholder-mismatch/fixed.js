// txlint's help applied (placeholder-mismatch, both findings; the rule has no suggestion block):
// `credit` numbers its placeholders without gaps ($1, $2) and passes the values in that order;
// `rename` passes exactly 2 values for $1, $2.
async function credit(pool, toId, amount) {
  await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, toId]);
}

async function rename(pool, id, name) {
  await pool.query('UPDATE accounts SET name = $1 WHERE id = $2', [name, id]);
}

module.exports = { credit, rename };
