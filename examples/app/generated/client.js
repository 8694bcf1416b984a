// Generated code, ignored by `ignorePatterns`.
const { Pool } = require('pg');

const pool = new Pool();

exports.run = async () => {
  await pool.query('BEGIN');
  await pool.query('COMMIT');
};
