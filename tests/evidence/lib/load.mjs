// Load helpers for the demonstrations.

/** Runs `fn(i)` for i in 0..n all at once; resolves to { ok, errors } (errors are collected, not thrown). */
export async function together(n, fn) {
  const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => fn(i)));
  const errors = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  return { ok: n - errors.length, errors };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection after `ms` milliseconds (a hung request). */
export function within(ms, promise, what = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Counts errors by SQLSTATE (or message when there is none). */
export function byCode(errors) {
  const out = {};
  for (const e of errors) {
    const k = (e && (e.code || e.message)) || String(e);
    out[k] = (out[k] || 0) + 1;
  }
  return out;
}

/**
 * Ends every other connection to the database of `config` (clients a demo leaked or left inside
 * a transaction), so the next round starts clean.
 */
export async function terminateOthers(pg, config) {
  const admin = new pg.Client(config);
  await admin.connect();
  await admin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  await admin.end();
}
