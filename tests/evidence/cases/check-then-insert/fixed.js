// txlint's suggestions applied (check-then-insert): the lookup and the conditional INSERT become
// one `INSERT ... ON CONFLICT (name) DO NOTHING`, with the unique index the suggestion names
// (`CREATE UNIQUE INDEX ON tags (name)`, created by the schema in demo.mjs); `rowCount` says
// whether this call inserted.
async function addTag(pool, name) {
  const { rowCount } = await pool.query('INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
  return rowCount === 1;
}

module.exports = { addTag };
