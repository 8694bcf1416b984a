#!/usr/bin/env bash
# benches/make-dense.sh [DIR] — a dense corpus where most files are Express + node-postgres code:
# the project fixtures (fixtures/_projects: pools, SQL constants, DALs, wrappers, routes, in
# CommonJS, ESM and TypeScript with tsconfig paths) and the single-file rule fixtures, copied
# COPIES times (default 16) into DIR/dense/copy-NNN/. Each copy is a separate tree, so imports
# resolve inside it and cross-module analysis runs at full scale. Idempotent.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DIR="${1:-${TXLINT_CORPUS:-/tmp/txlint-corpus}}"
COPIES="${COPIES:-16}"
OUT="$DIR/dense"
STAMP="$OUT/.stamp-$COPIES-$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo x)"
if [ -f "$STAMP" ]; then
  exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT"
for i in $(seq -w 1 "$COPIES"); do
  dest="$OUT/copy-$i"
  mkdir -p "$dest"
  cp -r "$ROOT/fixtures/." "$dest/"
done
touch "$STAMP"
echo "$(find "$OUT" -type f \( -name '*.js' -o -name '*.ts' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.tsx' \) | wc -l) files in $OUT"
