#!/usr/bin/env bash
# benches/compare.sh — txlint against oxlint on the same real third-party code, side by side.
#
#   bash benches/compare.sh            # RUNS=10 runs per tool and subset (after one warm-up)
#   RUNS=20 THREADS=2 bash benches/compare.sh
#
# 1. Builds the pinned corpus (benches/corpus: npm packages from the registry, the same recipe and
#    lock as ../shared/bench, so numbers are comparable) in $TXLINT_CORPUS (default
#    /tmp/txlint-corpus): all/ (20,578 files, 136.5 MB) and express-like/ (2,460 files, 9.3 MB),
#    and dense/ (benches/make-dense.sh: the fixtures copied 16 times, ~3,900 files of Express + pg
#    code, where whole-project analysis runs at full scale).
# 2. Installs oxlint 1.94.0 from npm and GNU time (Debian) in $TXLINT_BENCH_TOOLS.
# 3. Builds txlint in release mode.
# 4. Runs both tools alternately, RUNS times each, under /usr/bin/time, and prints medians of wall
#    time, CPU time (user + system) and peak RSS, and the txlint/oxlint ratios, as a Markdown table.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CORPUS="${TXLINT_CORPUS:-/tmp/txlint-corpus}"
TOOLS="${TXLINT_BENCH_TOOLS:-/tmp/txlint-bench-tools}"
RUNS="${RUNS:-10}"
THREADS="${THREADS:-2}"
OXLINT_VERSION=1.94.0

bash "$HERE/corpus/make-corpus.sh" "$CORPUS" >/dev/null
# dense/: Express + pg code only (the fixtures, copied; see make-dense.sh).
bash "$HERE/make-dense.sh" "$CORPUS" >/dev/null

if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
OXLINT="$TOOLS/node_modules/.bin/oxlint"
if [ ! -x "$OXLINT" ]; then
  npm install --prefix "$TOOLS" --no-audit --no-fund --ignore-scripts --loglevel=error "oxlint@$OXLINT_VERSION" >/dev/null
fi
(cd "$ROOT" && cargo build --release --quiet)
TXLINT="$ROOT/target/release/txlint"

RESULTS="$(mktemp -d)"
trap 'rm -rf "$RESULTS"' EXIT

measure() { # $1 = tool name, $2 = subset, rest = command
  local name="$1" subset="$2"
  shift 2
  /usr/bin/time -f "%e %U %S %M" -o "$RESULTS/time.txt" "$@" >/dev/null 2>&1 || true
  echo "$name $subset $(cat "$RESULTS/time.txt" | tail -n 1)" >> "$RESULTS/runs.txt"
}

for subset in all express-like dense; do
  # warm-up: page cache, npm's node start-up files
  "$TXLINT" --threads "$THREADS" --format compact "$CORPUS/$subset" >/dev/null 2>&1 || true
  "$OXLINT" --threads "$THREADS" "$CORPUS/$subset" >/dev/null 2>&1 || true
  for _ in $(seq "$RUNS"); do
    measure txlint "$subset" "$TXLINT" --threads "$THREADS" --format compact "$CORPUS/$subset"
    measure oxlint "$subset" "$OXLINT" --threads "$THREADS" "$CORPUS/$subset"
  done
done

python3 - "$RESULTS/runs.txt" "$RUNS" "$THREADS" "$("$TXLINT" --version)" "$OXLINT_VERSION" <<'PY'
import statistics, sys, os, platform
path, runs, threads, txv, oxv = sys.argv[1:]
rows = {}
for line in open(path):
    name, subset, wall, user, sys_, rss = line.split()
    rows.setdefault((subset, name), []).append((float(wall), float(user) + float(sys_), int(rss) / 1024))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"Machine: {os.cpu_count()} cores, {cpu}; {txv}; oxlint {oxv}; {threads} threads; medians of {runs} runs")
print()
print("| subset | tool | wall | CPU | peak RSS | wall vs oxlint | RSS vs oxlint |")
print("|---|---|---|---|---|---|---|")
for subset in ("all", "express-like", "dense"):
    med = {}
    for name in ("txlint", "oxlint"):
        r = rows.get((subset, name), [])
        if not r:
            continue
        med[name] = tuple(statistics.median(x[i] for x in r) for i in range(3))
    for name in ("txlint", "oxlint"):
        if name not in med:
            continue
        w, c, m = med[name]
        ratio = lambda i: f"{med[name][i] / med['oxlint'][i]:.2f}x" if "oxlint" in med else "-"
        print(f"| {subset}/ | {name} | {w:.3f} s | {c:.3f} s | {m:.0f} MiB | {ratio(0)} | {ratio(2)} |")
PY
