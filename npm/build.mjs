#!/usr/bin/env node
// Writes the npm packages, ready for `npm pack` / `npm publish`, into an output directory:
//   <out>/txlint/             the launcher package (npm/txlint)
//   <out>/cli-<platform>/     one package per binary this machine has (npm/platforms/<name>)
// all at Cargo.toml's version (the launcher's optionalDependencies too).
//
//   node npm/build.mjs [--out DIR] [--binary PATH] [--platform NAME]
//
// --out defaults to target/npm; --binary to target/release/txlint (build it first with
// `cargo build --release`); --platform to the package of this machine (linux-x64-gnu here).
// Cross-built binaries are added by running it again with --binary/--platform for each.
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  if (i + 1 >= process.argv.length) die(`${name} needs a value`);
  return process.argv[i + 1];
}

function die(message) {
  process.stderr.write(`npm/build.mjs: ${message}\n`);
  process.exit(2);
}

function hostPlatform() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    let glibc = true;
    try {
      glibc = Boolean(process.report.getReport().header.glibcVersionRuntime);
    } catch {}
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

// The [package] version of Cargo.toml: the first `version = "..."` line.
const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const match = /^version\s*=\s*"([^"]+)"/m.exec(cargo);
if (!match) die('no version in Cargo.toml');
const version = match[1];

const out = resolve(arg('--out', join(root, 'target', 'npm')));
const binary = resolve(arg('--binary', join(root, 'target', 'release', process.platform === 'win32' ? 'txlint.exe' : 'txlint')));
const platform = arg('--platform', hostPlatform());

const template = join(here, 'platforms', `cli-${platform}`);
if (!existsSync(join(template, 'package.json'))) die(`no platform package template ${template}`);
if (!existsSync(binary)) die(`no binary at ${binary}: run \`cargo build --release\` first`);

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const writeJson = (p, v) => writeFileSync(p, `${JSON.stringify(v, null, 2)}\n`);

// The launcher package.
const main = join(out, 'txlint');
rmSync(main, { recursive: true, force: true });
mkdirSync(main, { recursive: true });
cpSync(join(here, 'txlint'), main, { recursive: true });
const pkg = readJson(join(main, 'package.json'));
pkg.version = version;
for (const dep of Object.keys(pkg.optionalDependencies)) pkg.optionalDependencies[dep] = version;
writeJson(join(main, 'package.json'), pkg);
chmodSync(join(main, 'bin', 'txlint.js'), 0o755);

// This machine's platform package.
const dir = join(out, `cli-${platform}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const platformPkg = readJson(join(template, 'package.json'));
if (!(platformPkg.name in pkg.optionalDependencies)) die(`${platformPkg.name} is not an optional dependency of txlint`);
platformPkg.version = version;
writeJson(join(dir, 'package.json'), platformPkg);
const exe = platformPkg.files[0];
copyFileSync(binary, join(dir, exe));
chmodSync(join(dir, exe), 0o755);
writeFileSync(join(dir, 'README.md'), `# ${platformPkg.name}\n\nThe \`txlint\` binary for ${platform}. Install \`txlint\` instead: it depends on this package.\n`);

process.stdout.write(`txlint ${version}: ${main}\n${platformPkg.name} ${version}: ${dir}\n`);
