// 20 valid transfers (each between its own two accounts) and 2 overdrafts (rejected by the CHECK
// constraint) arrive at the `transfer` handler in pairs, 1 ms apart, many in flight together.
// Afterwards every valid transfer must have answered 204 and be applied exactly (debit, credit,
// ledger row), each overdraft must have answered 500 and left nothing, and no money may appear or
// vanish. Counted per request: lost (204 but not applied), rejected (a valid one answered 500),
// partial (only some of its writes committed), phantom (an overdraft answered 204 or applied).
import pg from 'pg';
import { createRequire } from 'node:module';
import { sleep } from '../../lib/load.mjs';

const require = createRequire(import.meta.url);
export const damage = 'interleaved transactions: 22 transfers (2 overdrafts), wrong outcomes';
const VALID = 20;
const OVERDRAFTS = [5, 15]; // positions in the arrival order
const TOTAL = VALID + OVERDRAFTS.length;
const GROUP = 2; // requests arrive in pairs, 1 ms apart

function fakeRes() {
  const res = {
    statusCode: 200,
    status(code) { res.statusCode = code; return res; },
    json() { return res; },
    sendStatus(code) { res.statusCode = code; return res; },
  };
  return res;
}

// Runs `fn` with PGHOST, PGPORT, PGUSER, PGDATABASE pointing at `config` (node-postgres reads them
// when a Client is constructed, and a Pool constructs its clients on demand), then restores them.
const PGENV = ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE'];
async function withPgEnv(config, fn) {
  const saved = PGENV.map((k) => process.env[k]);
  Object.assign(process.env, { PGHOST: config.host, PGPORT: String(config.port), PGUSER: config.user, PGDATABASE: config.database });
  try {
    return await fn();
  } finally {
    PGENV.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    });
  }
}

// A fresh copy of the module, so each round gets its own module-level Client or Pool.
function load(file) {
  const resolved = require.resolve(file);
  delete require.cache[resolved];
  return require(resolved);
}

async function round(config, file) {
  const admin = new pg.Client(config);
  await admin.connect();
  await admin.query('DROP TABLE IF EXISTS accounts, transfers');
  await admin.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))');
  await admin.query('CREATE TABLE transfers (id int PRIMARY KEY, from_id int, to_id int, amount int)');
  await admin.query('INSERT INTO accounts SELECT g, 100 FROM generate_series(1, $1) g', [2 * TOTAL]);
  const app = load(file);
  try {
    const requests = [];
    for (let i = 0; i < TOTAL; i++) {
      const overdraft = OVERDRAFTS.includes(i);
      const body = { id: i + 1, from: 2 * i + 1, to: 2 * i + 2, amount: overdraft ? 1000 : 10 };
      const res = fakeRes();
      requests.push(app.transfer({ body }, res).then(() => ({ body, overdraft, status: res.statusCode })));
      if (i % GROUP === GROUP - 1) await sleep(1);
    }
    const done = await Promise.all(requests);
    const { rows: accounts } = await admin.query('SELECT id, balance FROM accounts');
    const balance = new Map(accounts.map((a) => [a.id, a.balance]));
    const { rows: ledger } = await admin.query('SELECT id FROM transfers');
    const logged = new Set(ledger.map((t) => t.id));
    const count = { lost: 0, rejected: 0, partial: 0, phantom: 0 };
    for (const { body, overdraft, status } of done) {
      const from = balance.get(body.from);
      const to = balance.get(body.to);
      const applied = from === 90 && to === 110 && logged.has(body.id);
      const untouched = from === 100 && to === 100 && !logged.has(body.id);
      if (!applied && !untouched) count.partial++;
      else if (overdraft && (status !== 500 || applied)) count.phantom++;
      else if (!overdraft && status === 204 && !applied) count.lost++;
      else if (!overdraft && status !== 204) count.rejected++;
    }
    const sum = accounts.reduce((s, a) => s + a.balance, 0);
    return { ...count, drift: sum - 100 * 2 * TOTAL };
  } finally {
    await app.close();
    await admin.end();
  }
}

export async function demo({ createDatabase, rounds }) {
  const config = await createDatabase();
  const bad = [];
  const good = [];
  for (let r = 0; r < rounds; r++) {
    bad.push(await withPgEnv(config, () => round(config, './invalid.js')));
    good.push(await withPgEnv(config, () => round(config, './fixed.js')));
  }
  const wrong = (x) => x.lost + x.rejected + x.partial + x.phantom + (x.drift !== 0 ? 1 : 0);
  const show = (rs) =>
    rs
      .map((x) => {
        const parts = ['lost', 'rejected', 'partial', 'phantom'].filter((k) => x[k]).map((k) => `${x[k]} ${k}`);
        if (x.drift) parts.push(`money ${x.drift > 0 ? '+' : ''}${x.drift}`);
        return `${x.lost + x.rejected + x.partial + x.phantom}/${TOTAL}${parts.length ? ` (${parts.join(', ')})` : ''}`;
      })
      .join('; ');
  return {
    invalid: { damaged: bad.some((x) => wrong(x) > 0), detail: `wrong ${show(bad)}` },
    fixed: { damaged: good.some((x) => wrong(x) > 0), detail: `wrong ${show(good)}` },
  };
}
