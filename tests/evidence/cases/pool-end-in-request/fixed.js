// txlint's suggestions applied: pool-end-in-request (no `pool.end()` in the request handler; the
// pool is closed once, in the SIGTERM shutdown hook txlint suggests).
const http = require('node:http');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

const server = http.createServer(async (req, res) => {
  try {
    const id = Number(new URL(req.url, 'http://localhost').searchParams.get('id'));
    const { rows } = await pool.query('SELECT id, name FROM users WHERE id = $1', [id]);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(rows[0]));
  } catch (err) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: err.message }));
  }
});

process.on('SIGTERM', async () => {
  server.close();
  await pool.end();
});

module.exports = { server, pool };
