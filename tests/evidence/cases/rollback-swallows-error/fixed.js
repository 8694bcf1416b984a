// txlint's suggestions applied: rollback-swallows-error (rethrow after the ROLLBACK) and
// missing-retry (retry the transaction on SQLSTATE 40001).
async function importContacts(pool, listId, contacts) {
  const client = await pool.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        await client.query('DELETE FROM contacts WHERE list_id = $1', [listId]);
        for (const c of contacts) {
          await client.query('INSERT INTO contacts (list_id, email) VALUES ($1, $2)', [listId, c.email]);
        }
        await client.query('COMMIT');
        break;
      } catch (err) {
        await client.query('ROLLBACK');
        console.error(`import of list ${listId} failed:`, err.message);
        if (err.code !== '40001' || attempt === 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
      }
    }
  } finally {
    client.release();
  }
}

module.exports = { importContacts };
