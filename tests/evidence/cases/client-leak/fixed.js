// txlint's suggestions applied (client-leak, both findings): the code that uses `client` is in
// `try`, and `client.release()` is in `finally`, so the early return and a failing query both
// give the connection back.
async function getUser(pool, id) {
  const client = await pool.connect();
  try {
    const { rows } = await client.query('SELECT id, name FROM users WHERE id = $1', [id]);
    if (rows.length === 0) {
      return null;
    }
    return rows[0];
  } finally {
    client.release();
  }
}

module.exports = { getUser };
