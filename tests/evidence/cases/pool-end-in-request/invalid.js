// The invalid pattern: a request handler ends the process-wide pool (copied from a one-shot
// script, where `pool.end()` lets the process exit).
const http = require('node:http');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

const server = http.createServer(async (req, res) => {
  try {
    const id = Number(new URL(req.url, 'http://localhost').searchParams.get('id'));
    const { rows } = await pool.query('SELECT id, name FROM users WHERE id = $1', [id]);
    await pool.end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(rows[0]));
  } catch (err) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: err.message }));
  }
});

module.exports = { server, pool };
