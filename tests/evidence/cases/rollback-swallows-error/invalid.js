// The invalid pattern: the import is rolled back on error, the error is logged, and the function
// returns normally: to its caller the import succeeded.
async function importContacts(pool, listId, contacts) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM contacts WHERE list_id = $1', [listId]);
    for (const c of contacts) {
      await client.query('INSERT INTO contacts (list_id, email) VALUES ($1, $2)', [listId, c.email]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    console.error(`import of list ${listId} failed:`, err.message);
  } finally {
    client.release();
  }
}

module.exports = { importContacts };
