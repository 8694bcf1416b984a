// The invalid pattern: the handler releases its client only on the success path; a missing user
// returns early and the client stays checked out.
async function getUser(pool, id) {
  const client = await pool.connect();
  const { rows } = await client.query('SELECT id, name FROM users WHERE id = $1', [id]);
  if (rows.length === 0) {
    return null;
  }
  client.release();
  return rows[0];
}

module.exports = { getUser };
