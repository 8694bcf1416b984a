#!/usr/bin/env bash
# benches/soak.sh — robustness soak: lint the whole corpus (all/, 20,578 files, minified bundles and
# syntax-error fixtures included) with the prefilter off, so every file is parsed and analysed,
# at several thread counts. Fails on a panic, a crash or an exit code other than 0 or 1.
#
#   bash benches/soak.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CORPUS="${TXLINT_CORPUS:-/tmp/txlint-corpus}"

bash "$HERE/corpus/make-corpus.sh" "$CORPUS" >/dev/null
(cd "$ROOT" && cargo build --release --quiet)
TXLINT="$ROOT/target/release/txlint"

status=0
for threads in 1 2 8; do
  for subset in all express-like; do
    set +e
    "$TXLINT" --no-prefilter --no-ignore --threads "$threads" --format json --stats "$CORPUS/$subset" \
      >"/tmp/txlint-soak.json" 2>"/tmp/txlint-soak.err"
    code=$?
    set -e
    findings=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["diagnostics"]))' /tmp/txlint-soak.json)
    parsed=$(grep -E '^  parsed' /tmp/txlint-soak.err | awk '{print $2}')
    echo "threads=$threads $subset: exit $code, $parsed files parsed, $findings diagnostics"
    if [ "$code" -gt 1 ] || grep -q panicked /tmp/txlint-soak.err; then
      echo "FAILED: exit $code"; cat /tmp/txlint-soak.err; status=1
    fi
  done
done
exit $status
