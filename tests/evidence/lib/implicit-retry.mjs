// CockroachDB retries a single statement sent outside BEGIN (an implicit transaction) on the
// server when it hits a serialization conflict, so the client never sees 40001 for it.
// PostgreSQL's SERIALIZABLE does not: `INSERT ... ON CONFLICT DO NOTHING` racing with another
// insert of the same key fails with 40001 there ("could not serialize access due to concurrent
// update"). `implicitRetry(pool)` gives the demos CockroachDB's behaviour for `pool.query` alone
// (statements on a checked-out client, and explicit transactions, are untouched) and counts how
// often it had to re-send.

export function implicitRetry(pool) {
  const wrapped = {
    retried: 0,
    async query(...args) {
      for (;;) {
        try {
          return await pool.query(...args);
        } catch (err) {
          if (err.code !== '40001') throw err;
          wrapped.retried++;
        }
      }
    },
    connect: (...args) => pool.connect(...args),
  };
  return wrapped;
}
