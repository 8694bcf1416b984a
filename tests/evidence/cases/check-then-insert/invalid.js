// The invalid pattern: look the tag up, insert it only if it is missing.
async function addTag(pool, name) {
  const { rows } = await pool.query('SELECT id FROM tags WHERE name = $1', [name]);
  if (rows.length === 0) {
    await pool.query('INSERT INTO tags (name) VALUES ($1)', [name]);
  }
}

module.exports = { addTag };
