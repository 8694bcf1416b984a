// txlint's suggestions applied: there is no transaction to scope a `SET LOCAL` to, so
// `RESET statement_timeout` is sent in the `finally` before `release()` (session-state-leak). As
// that RESET can itself fail, client-leak reports a plain `await client.query('RESET ...');
// client.release();` in the `finally`, and a nested `try { RESET } finally { release() }` brings
// session-state-leak back (released with the setting when RESET fails); what satisfies both is
// releasing normally after the RESET and destroying the connection with `release(err)` when it fails.
async function findUser(pool, id) {
  const client = await pool.connect();
  try {
    await client.query("SET statement_timeout = '100ms'");
    const { rows } = await client.query('SELECT id, name FROM users WHERE id = $1', [id]);
    return rows[0];
  } finally {
    try {
      await client.query('RESET statement_timeout');
      client.release();
    } catch (err) {
      client.release(err);
    }
  }
}

// An unrelated report that legitimately takes about 300 ms (pg_sleep stands in for the work).
async function usersReport(pool) {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM users, pg_sleep(0.3)');
  return rows[0].n;
}

module.exports = { findUser, usersReport };
