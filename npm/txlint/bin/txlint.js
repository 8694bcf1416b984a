#!/usr/bin/env node
// Launcher of the txlint npm package: finds the native binary in the platform package npm
// installed (one of the optionalDependencies, picked by their `os`/`cpu`/`libc` fields, as biome
// and oxlint ship theirs) and runs it with this process's arguments, standard streams and exit code.
'use strict';

const { spawnSync } = require('node:child_process');

// process.platform + process.arch (+ libc on Linux) -> platform package.
const PACKAGES = {
  'linux x64 glibc': '@txlint/cli-linux-x64-gnu',
  'linux arm64 glibc': '@txlint/cli-linux-arm64-gnu',
  'darwin x64': '@txlint/cli-darwin-x64',
  'darwin arm64': '@txlint/cli-darwin-arm64',
  'win32 x64': '@txlint/cli-win32-x64-msvc',
};

// glibc or musl: Node's own report names the glibc it runs on (absent under musl). Cheap, no
// child process; `process.report` exists since Node 12.
function libc() {
  try {
    const header = process.report.getReport().header;
    return header.glibcVersionRuntime ? 'glibc' : 'musl';
  } catch {
    return 'glibc';
  }
}

function platformKey() {
  const { platform, arch } = process;
  return platform === 'linux' ? `${platform} ${arch} ${libc()}` : `${platform} ${arch}`;
}

function fail(message) {
  process.stderr.write(`txlint: ${message}\n`);
  process.exit(2);
}

const key = platformKey();
const pkg = PACKAGES[key];
if (!pkg) {
  const [os, cpu, c] = key.split(' ');
  const abi = { musl: '-musl', glibc: '-gnu' }[c] || (os === 'win32' ? '-msvc' : '');
  const wanted = `@txlint/cli-${os}-${cpu}${abi}`;
  fail(
    `no prebuilt binary for ${key} (there is no package ${wanted}); ` +
      `supported: ${Object.entries(PACKAGES).map(([k, v]) => `${k} (${v})`).join(', ')}. ` +
      'Install from source instead: cargo install --git https://github.com/txlint/txlint',
  );
}

const exe = process.platform === 'win32' ? 'txlint.exe' : 'txlint';
let binary;
try {
  binary = require.resolve(`${pkg}/${exe}`);
} catch {
  fail(
    `the platform package ${pkg} is not installed. It is an optional dependency of txlint: ` +
      `reinstall without --no-optional / --omit=optional (npm install --save-dev txlint ${pkg}).`,
  );
}

const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
if (result.error) {
  fail(`cannot run ${binary}: ${result.error.message}`);
}
if (result.signal) {
  // Die of the same signal, so the caller sees what the binary saw.
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 2 : result.status);
