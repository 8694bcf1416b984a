// The invalid pattern: the tag INSERTs inside the transaction are not awaited. A failing one (a
// duplicate tag) aborts the transaction, but its error never reaches the `catch`: COMMIT on the
// aborted transaction is answered by a rollback without an error, and the function reports success.
async function createPost(pool, title, tags) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query('INSERT INTO posts (title) VALUES ($1) RETURNING id', [title]);
    const postId = rows[0].id;
    for (const tag of tags) {
      client.query('INSERT INTO post_tags (post_id, tag) VALUES ($1, $2)', [postId, tag]);
    }
    await client.query('COMMIT');
    return postId;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

module.exports = { createPost };
