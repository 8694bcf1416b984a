// A throwaway PostgreSQL cluster: initdb into a temporary directory, started on a free loopback
// port with its socket in that directory, stopped and deleted at the end. Nothing must be running
// before; nothing is left after.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

function findBinary(name) {
  const candidates = [
    process.env.PG_BINDIR && path.join(process.env.PG_BINDIR, name),
    ...(process.env.PATH || '').split(path.delimiter).map((d) => path.join(d, name)),
    `/usr/local/bin/${name}`,
    ...listVersions().map((v) => `/usr/lib/postgresql/${v}/bin/${name}`),
  ].filter(Boolean);
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new Error(
      `${name} not found: install PostgreSQL (Debian: apt-get install postgresql) or set PG_BINDIR`,
    );
  }
  return found;
}

function listVersions() {
  try {
    return fs.readdirSync('/usr/lib/postgresql').sort().reverse();
  } catch {
    return [];
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster. `serializable`: every transaction runs SERIALIZABLE, as on CockroachDB.
 * Returns { config(database), createDatabase(name), stop() }.
 */
export async function startPostgres() {
  const initdb = findBinary('initdb');
  const pgCtl = findBinary('pg_ctl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txlint-evidence-'));
  const data = path.join(dir, 'data');
  const port = await freePort();
  // initdb refuses to run as root: run the cluster as `nobody` then, in a directory it owns.
  const asRoot = process.getuid && process.getuid() === 0;
  const run = (cmd, args) => {
    if (asRoot) {
      execFileSync('chown', ['-R', 'nobody', dir]);
      const r = spawnSync('su', ['-s', '/bin/sh', 'nobody', '-c', [cmd, ...args].map(shellQuote).join(' ')], {
        stdio: 'pipe',
      });
      if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}${r.stdout}`);
    } else {
      execFileSync(cmd, args, { stdio: 'pipe' });
    }
  };
  fs.chmodSync(dir, 0o755);
  run(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    `-c listen_addresses=127.0.0.1`,
    `-c max_connections=200`,
    `-c fsync=off`,
    `-c synchronous_commit=off`,
    `-c full_page_writes=off`,
  ].join(' ');
  run(pgCtl, ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']);
  const config = (database = 'postgres', extra = {}) => ({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database,
    ...extra,
  });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  let created = 0;
  const createDatabase = async (name) => {
    const db = `${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${++created}`;
    const admin = new pg.Client(config());
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    // CockroachDB runs every transaction SERIALIZABLE: so does every session here.
    await admin.query(`ALTER DATABASE ${db} SET default_transaction_isolation = 'serializable'`);
    await admin.end();
    return config(db);
  };
  return { config, createDatabase, stop, port };
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}
