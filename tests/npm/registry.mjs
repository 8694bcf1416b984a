// A minimal npm registry for tests/integrations.rs: serves the packuments of the packages named in
// a JSON file ([{ "package": "path/to/package.json", "tarball": "path/to/x.tgz" | null }]) and
// their tarballs, so `npm install txlint` resolves the platform package from the optional
// dependencies by os/cpu/libc as it does from registry.npmjs.org. Every request it cannot answer
// is appended to the file named by the second argument (npm skips an optional dependency that
// fails to download, silently). Prints its URL, then serves until standard input closes.
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename } from 'node:path';

const entries = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const packuments = new Map();
const tarballs = new Map();
let base = '';

const server = createServer((req, res) => {
  const path = decodeURIComponent(req.url.split('?')[0]).replace(/^\/+/, '');
  if (tarballs.has(path)) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(tarballs.get(path));
  } else if (packuments.has(path)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(packuments.get(path)(base)));
  } else {
    appendFileSync(process.argv[3], `${path}\n`);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  }
});

for (const { package: pkgPath, tarball } of entries) {
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  const file = `-/${basename(tarball || `${pkg.name.replace('/', '-')}-${pkg.version}.tgz`)}`;
  const dist = { tarball: null };
  if (tarball) {
    const bytes = readFileSync(tarball);
    tarballs.set(file, bytes);
    dist.integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    dist.shasum = createHash('sha1').update(bytes).digest('hex');
  }
  packuments.set(pkg.name, (url) => ({
    name: pkg.name,
    'dist-tags': { latest: pkg.version },
    versions: { [pkg.version]: { ...pkg, dist: { ...dist, tarball: `${url}${file}` } } },
  }));
}

server.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}/`;
  process.stdout.write(`${base}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
