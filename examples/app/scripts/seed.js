// A seed script: many writes without a transaction, on purpose (the override turns the rule off here).
const { Pool } = require('pg');

const pool = new Pool();

async function seed() {
  for (const name of ['a', 'b', 'c']) {
    await pool.query('INSERT INTO tags (name) VALUES ($1)', [name]);
  }
}

seed();
