#!/usr/bin/env bash
# benches/pathological.sh [DIR] — how txlint's time grows with the size of inputs whose shape once
# made it grow much faster (issue #9): nested loops around a query, long && chains, else-if ladders,
# unbracketed nesting, a ladder of writes inside a retry loop, a 1 MB line. Each shape is generated
# at a base size and at 10x that size; the table gives bytes, wall time (median of RUNS), and
# seconds per MB. Target: time roughly linear in size, and no row above 1 s/MB (inputs over the
# limits, such as nesting deeper than 1,500 brackets, are refused before parsing and cost nothing).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DIR="${1:-/tmp/txlint-pathological}"
RUNS="${RUNS:-3}"
mkdir -p "$DIR"
(cd "$ROOT" && cargo build --release --quiet)
TXLINT="$ROOT/target/release/txlint"

python3 - "$DIR" <<'PY'
import os, sys
d = sys.argv[1]
head = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a, b) {\n  const c = await pool.connect();\n  await c.query('BEGIN');\n"
tail = "  await c.query('COMMIT');\n  c.release();\n}\nmodule.exports = { f };\n"
q = "await c.query('UPDATE t SET x = 1');"
shapes = {
    "nested-while": (lambda n: "while (a) {\n" * n + q + "\n" + "}\n" * n, 1000),
    "unbracketed-while": (lambda n: "while (a) " * n + q + "\n", 5000),
    "and-chain": (lambda n: "if (" + " && ".join(f"a{i}" for i in range(n)) + ") { " + q + " }\n", 10000),
    "and-calls": (lambda n: "const ok = " + " && ".join(f"g({i})" for i in range(n)) + ";\n" + q + "\n", 10000),
    "else-if": (lambda n: "if (a === 0) { " + q + " }\n" + "".join(f"else if (a === {i}) {{ await c.query('UPDATE t SET x = {i}'); }}\n" for i in range(1, n)), 500),
    "ladder-in-retry-loop": (lambda n: "for (let i = 0; i < 3; i++) { try {\n" + "if (a === 0) { " + q + " }" + "".join(f" else if (a === {i}) {{ await c.query('UPDATE t SET x = {i}'); }}" for i in range(1, n)) + "\n} catch (e) { if (e.code !== '40001') throw e; } }\n", 400),
    "long-line": (lambda n: "const s = '" + "é" * n + "'; " + q + "\n", 100000),
}
for name, (gen, base) in shapes.items():
    for k in (1, 10):
        with open(os.path.join(d, f"{name}-{k}x.js"), "w") as f:
            f.write(head + gen(base * k) + tail)
PY

printf '| shape | size | bytes | wall (median of %s) | parse + analysis | s/MB (parse + analysis) | result |\n|---|---|---|---|---|---|---|\n' "$RUNS"
for f in "$DIR"/*.js; do
  name=$(basename "$f" .js)
  bytes=$(wc -c < "$f")
  walls=()
  works=()
  for _ in $(seq "$RUNS"); do
    s=$(date +%s.%N)
    "$TXLINT" --format compact --threads 1 --max-file-size 64MB --stats "$f" > "$DIR/$name.out" 2> "$DIR/$name.stats" || true
    e=$(date +%s.%N)
    walls+=("$(echo "$e - $s" | bc -l)")
    # --stats: CPU time of parsing (with lowering) and of the analysis, in ms.
    works+=("$(awk '/^  parsing|^  analysis/ {t += $2} END {print t / 1000}' "$DIR/$name.stats")")
  done
  median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  wall=$(median "${walls[@]}")
  work=$(median "${works[@]}")
  result=$(grep -q "not analysed" "$DIR/$name.out" && echo "refused (limit)" || echo "analysed")
  printf '| %s | %s | %s | %.3f s | %.3f s | %.2f | %s |\n' "${name%-*}" "${name##*-}" "$bytes" "$wall" "$work" \
    "$(echo "$work / ($bytes / 1048576)" | bc -l)" "$result"
done
