#!/usr/bin/env bash
# make-corpus.sh [DIR]  (default DIR=/tmp/txlint-corpus)
#
# Builds a benchmark corpus of third-party JavaScript/TypeScript source from the npm registry:
# the packages pinned in corpus/package.json, whole dependency tree pinned by corpus/package-lock.json,
# installed with lifecycle scripts disabled. None of it is our code.
#
# Layout produced:
#   DIR/_npm/                 the npm install itself (node_modules, lock)
#   DIR/all/                  every .js .mjs .cjs .jsx .ts .mts .cts .tsx file of the tree, copied with
#                             each "node_modules/" path segment renamed ("node_modules/a/node_modules/b/x.js"
#                             -> "all/a/_nm/b/x.js"), so that no linter's built-in node_modules ignore applies
#   DIR/express-like/         the same files, limited to server / database-access packages (express and koa
#                             with their dependency closures, pg, pg-pool, pg-promise, knex, mysql2 with theirs,
#                             and sequelize's and mongoose's own code)
#   DIR/sample10/             every 10th file of all/ (sorted byte-wise), for slow tools
#   DIR/files-{all,express-like,sample10}.txt   file lists (relative to DIR)
#   DIR/*/.semgrepignore      empty, so that semgrep's built-in ignores do not apply
#   DIR/STATS.txt             counts and bytes by extension, biggest files
#
# Idempotent: if DIR/.complete exists, it only prints DIR/STATS.txt. Delete DIR to rebuild.
set -euo pipefail

OUT="${1:-/tmp/txlint-corpus}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPEC="$HERE"

if [ -f "$OUT/.complete" ]; then
  echo "corpus already present at $OUT (delete it to rebuild)"
  cat "$OUT/STATS.txt"
  exit 0
fi

command -v npm >/dev/null || { echo "npm not found" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/_npm"
cp "$SPEC/package.json" "$OUT/_npm/"

cd "$OUT/_npm"
if [ -f "$SPEC/package-lock.json" ]; then
  cp "$SPEC/package-lock.json" .
  # exact tree from the lock; fails if package.json and the lock disagree
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
else
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "NOTE: no lock was committed; copy $OUT/_npm/package-lock.json to $SPEC/ to pin the tree" >&2
fi

# ---- list source files (paths relative to _npm, e.g. node_modules/express/lib/express.js) ----
export LC_ALL=C
find node_modules -type f \
  \( -name '*.js' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.jsx' \
     -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.tsx' \) \
  -not -path 'node_modules/.bin/*' | sort > "$OUT/.npm-files.txt"

# copy a list of node_modules-relative files into DIR/<dest>, renaming node_modules segments
copy_list() { # $1 = list file, $2 = dest dir name
  mkdir -p "$OUT/$2"
  tar -C "$OUT/_npm" -cf - --no-recursion -T "$1" \
    | tar -C "$OUT/$2" -xf - \
        --transform 's,^node_modules/,,' --transform 's,/node_modules/,/_nm/,g'
  sed -e 's,^node_modules/,,' -e 's,/node_modules/,/_nm/,g' -e "s,^,$2/," "$1" > "$OUT/files-$2.txt"
}

copy_list "$OUT/.npm-files.txt" all

# ---- express-like subset: dependency closures computed from the lock ----
node - "$OUT/_npm/package-lock.json" "$OUT/.npm-files.txt" > "$OUT/.npm-files-express-like.txt" <<'EOF'
const fs = require('fs');
const [lockPath, listPath] = process.argv.slice(2);
const pk = JSON.parse(fs.readFileSync(lockPath, 'utf8')).packages;
const closureRoots = ['express', 'koa', 'pg', 'pg-pool', 'pg-promise', 'knex', 'mysql2'];
const ownOnly = ['sequelize', 'mongoose'];
// node's resolution: from package path P, dependency D is P/node_modules/D, else the same from P's parents
function resolve(from, dep) {
  let p = from;
  for (;;) {
    const cand = (p ? p + '/' : '') + 'node_modules/' + dep;
    if (pk[cand]) return cand;
    if (!p) return null;
    const i = p.lastIndexOf('/node_modules/');
    p = i < 0 ? '' : p.slice(0, i);
  }
}
const keep = new Set(ownOnly.map(n => 'node_modules/' + n));
const todo = closureRoots.map(n => 'node_modules/' + n);
while (todo.length) {
  const p = todo.pop();
  if (keep.has(p)) continue; // seen, or an own-code-only package
  if (!pk[p]) continue;
  keep.add(p);
  const e = pk[p];
  for (const d of Object.keys({ ...(e.dependencies || {}), ...(e.optionalDependencies || {}) })) {
    const r = resolve(p, d);
    if (r && !keep.has(r)) todo.push(r);
  }
}
const owner = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//;
for (const f of fs.readFileSync(listPath, 'utf8').split('\n')) {
  const m = owner.exec(f);
  if (m && keep.has(m[1])) process.stdout.write(f + '\n');
}
EOF
copy_list "$OUT/.npm-files-express-like.txt" express-like

# ---- 10% sample: every 10th file of the sorted list ----
awk 'NR % 10 == 1' "$OUT/.npm-files.txt" > "$OUT/.npm-files-sample10.txt"
copy_list "$OUT/.npm-files-sample10.txt" sample10

# semgrep replaces its built-in ignore list (dist/, build/, test/, *.min.js, ...) only with a
# .semgrepignore found at the scanning root; an empty one there makes it scan every file.
for s in all express-like sample10; do
  printf '# intentionally empty: scan everything (replaces semgrep built-in ignores)\n' > "$OUT/$s/.semgrepignore"
done

# ---- stats ----
stats() { # $1 = list (relative to DIR)
  (cd "$OUT" && tr '\n' '\0' < "$1" | xargs -0 stat -c '%s %n') | awk '
    { n++; b += $1
      f = $2; e = f; sub(/.*\//, "", e)
      if (e ~ /\.d\.(ts|mts|cts)$/) k = "d.ts"; else { k = e; sub(/.*\./, "", k) }
      cn[k]++; cb[k] += $1 }
    END { printf "  total: %d files, %d bytes (%.1f MB)\n", n, b, b/1e6
          for (k in cn) printf "    %-5s %7d files %12d bytes (%.1f MB)\n", k, cn[k], cb[k], cb[k]/1e6 }'
}
{
  echo "txlint corpus at $OUT, built $(date -u +%Y-%m-%dT%H:%MZ) by make-corpus.sh"
  echo "npm packages in tree: $(node -e 'console.log(Object.keys(require(process.argv[1]).packages).length-1)' "$OUT/_npm/package-lock.json")"
  for s in all express-like sample10; do
    echo "$s/:"
    stats "files-$s.txt"
  done
  echo "files over 1 MB in all/:"
  (cd "$OUT" && tr '\n' '\0' < files-all.txt | xargs -0 stat -c '%s %n') | awk '$1 > 1000000' | sort -rn \
    | awk '{printf "    %6.2f MB  %s\n", $1/1e6, $2}'
  echo "bytes by top-level package in all/ (top 25):"
  (cd "$OUT" && tr '\n' '\0' < files-all.txt | xargs -0 stat -c '%s %n') | awk '
    { split($2, a, "/"); k = a[2]; if (k ~ /^@/) k = k "/" a[3]; s[k] += $1; c[k]++ }
    END { for (k in s) printf "    %7.2f MB %6d files  %s\n", s[k]/1e6, c[k], k }' | sort -rn | head -25
} > "$OUT/STATS.txt"

touch "$OUT/.complete"
cat "$OUT/STATS.txt"
