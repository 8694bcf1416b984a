// The invalid pattern: placeholders that do not match the values passed with them. `credit`
// skips $2 (a mistyped $3); `rename` passes a value no placeholder takes.
async function credit(pool, toId, amount) {
  await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $3', [amount, toId]);
}

async function rename(pool, id, name, updatedBy) {
  await pool.query('UPDATE accounts SET name = $1 WHERE id = $2', [name, id, updatedBy]);
}

module.exports = { credit, rename };
