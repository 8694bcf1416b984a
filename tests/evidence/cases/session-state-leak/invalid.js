// The invalid pattern: a lookup caps its own run time with a session `SET statement_timeout` on a
// pooled client and releases the client without resetting it. The setting stays on the
// connection, and whichever request borrows it next runs under a 100 ms timeout.
async function findUser(pool, id) {
  const client = await pool.connect();
  try {
    await client.query("SET statement_timeout = '100ms'");
    const { rows } = await client.query('SELECT id, name FROM users WHERE id = $1', [id]);
    return rows[0];
  } finally {
    client.release();
  }
}

// An unrelated report that legitimately takes about 300 ms (pg_sleep stands in for the work).
async function usersReport(pool) {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM users, pg_sleep(0.3)');
  return rows[0].n;
}

module.exports = { findUser, usersReport };
