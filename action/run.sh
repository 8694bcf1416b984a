#!/usr/bin/env bash
# The shell part of the txlint GitHub Action (action.yml): installs txlint, writes SARIF, and exits
# per `fail-on`. The action passes its inputs as environment variables; tests/integrations.rs runs
# this script the same way.
#
#   INPUT_PATHS      files and directories, separated by whitespace (default: .)
#   INPUT_DATABASE   cockroachdb | postgres (default: txlint's, cockroachdb)
#   INPUT_CONFIG     a .txlintrc.json for every file (default: the nearest one per file)
#   INPUT_FAIL_ON    error | warning | none (default: error)
#   INPUT_VERSION    the npm version of txlint to install (default: latest)
#   INPUT_SARIF      where to write the SARIF report (default: txlint.sarif)
#   TXLINT_BIN       an installed txlint to use instead of installing one
#
# Exit status: 0 when nothing reaches `fail-on`, 1 when something does, 2 when txlint itself
# could not run (a usage error, a bad configuration, a missing path), whatever `fail-on` says.
set -euo pipefail

paths="${INPUT_PATHS:-.}"
database="${INPUT_DATABASE:-}"
config="${INPUT_CONFIG:-}"
fail_on="${INPUT_FAIL_ON:-error}"
version="${INPUT_VERSION:-latest}"
sarif="${INPUT_SARIF:-txlint.sarif}"

case "$fail_on" in
  error | warning | none) ;;
  *) echo "::error title=txlint::fail-on must be error, warning or none, not '$fail_on'"; exit 2 ;;
esac
case "$database" in
  '' | cockroachdb | postgres) ;;
  *) echo "::error title=txlint::database must be cockroachdb or postgres, not '$database'"; exit 2 ;;
esac

if [ -n "${TXLINT_BIN:-}" ]; then
  bin="$TXLINT_BIN"
else
  # The prebuilt binary from npm (seconds; `cargo install` would compile for minutes), installed
  # outside the workspace so the project's package.json, lock file and node_modules are untouched.
  prefix="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/txlint-action"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "txlint@$version"
  bin="$prefix/node_modules/.bin/txlint"
fi
"$bin" --version

args=(--format sarif --output "$sarif")
[ -n "$database" ] && args+=(--database "$database")
[ -n "$config" ] && args+=(--config "$config")
# txlint exits 1 on error-level findings; with --max-warnings 0 also on any warning.
[ "$fail_on" = warning ] && args+=(--max-warnings 0)

# Paths are split on whitespace, never glob-expanded.
set -f
# shellcheck disable=SC2206
path_list=($paths)
set +f

status=0
"$bin" "${args[@]}" "${path_list[@]}" || status=$?
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "sarif-file=$sarif" >>"$GITHUB_OUTPUT"
  echo "exit-code=$status" >>"$GITHUB_OUTPUT"
fi
# A summary of what was found, readable in the log without opening code scanning.
"$bin" --format compact "${args[@]:4}" "${path_list[@]}" || true

if [ "$status" -ge 2 ]; then
  echo "::error title=txlint::txlint could not run (exit $status)"
  exit 2
fi
if [ "$status" -eq 1 ] && [ "$fail_on" != none ]; then
  echo "::error title=txlint::txlint found problems at or above fail-on: $fail_on (report: $sarif)"
  exit 1
fi
exit 0
