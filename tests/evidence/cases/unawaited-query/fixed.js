// txlint's suggestions applied: `await` on the tag INSERTs (unawaited-query, as `txlint --fix`
// writes it), and the transaction retried on SQLSTATE 40001 in a bounded loop whose `catch` runs
// the ROLLBACK and rethrows (missing-retry).
async function createPost(pool, title, tags) {
  const client = await pool.connect();
  try {
    let postId;
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query('BEGIN');
        const { rows } = await client.query('INSERT INTO posts (title) VALUES ($1) RETURNING id', [title]);
        postId = rows[0].id;
        for (const tag of tags) {
          await client.query('INSERT INTO post_tags (post_id, tag) VALUES ($1, $2)', [postId, tag]);
        }
        await client.query('COMMIT');
        break;
      } catch (err) {
        await client.query('ROLLBACK');
        if (err.code !== '40001' || attempt === 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
      }
    }
    return postId;
  } finally {
    client.release();
  }
}

module.exports = { createPost };
