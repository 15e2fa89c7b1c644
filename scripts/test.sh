#!/usr/bin/env bash
# The one test command (`npm test`): typecheck, start the real servers, run every *.test.ts.
#   bash scripts/test.sh                      # everything
#   bash scripts/test.sh framework/bus x.test.ts redis   # only matching files
# A filter argument selects a file by exact path, every test file under a folder, or
# every test file whose path contains it. Services this run started are stopped on exit
# unless QUARRY_KEEP_SERVICES=1; services that were already running are left alone.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SERVICES=(redis kafka cassandra redis-cluster)

say() { printf '[test] %s\n' "$*" >&2; }

# Debian packages first (one apt run): the SDK build and several tests need them.
bash scripts/debian-packages.sh

# The SDK build (pip from PyPI, the Go build) runs beside the servers' start and the static checks.
sdk_log="$(mktemp)"
bash scripts/sdk-setup.sh >"$sdk_log" 2>&1 & # the Python and Go operators
sdk_pid=$!

# Remember what was already up, so the exit trap only stops what this run started.
was_running=()
while IFS= read -r line; do
  [[ "$line" == *": running"* ]] && was_running+=("${line%%:*}")
done < <(bash scripts/services.sh status "${SERVICES[@]}")
stop_started() {
  kill "$sdk_pid" 2>/dev/null
  rm -f "$sdk_log"
  [ "${QUARRY_KEEP_SERVICES:-0}" = 1 ] && return 0
  local s started=()
  for s in "${SERVICES[@]}"; do
    [[ " ${was_running[*]-} " == *" $s "* ]] || started+=("$s")
  done
  [ "${#started[@]}" -eq 0 ] || bash scripts/services.sh stop "${started[@]}"
}
trap stop_started EXIT

# Fresh data for what this run launches; servers already running (shared) are left as they are.
bash scripts/services.sh start --fresh "${SERVICES[@]}" || { say "services failed to start"; exit 1; }

# A type error fails the run, but the tests still run so one report shows everything.
say "tsc --noEmit"
tsc_status=0
"$ROOT/node_modules/.bin/tsc" --noEmit || tsc_status=$?
[ "$tsc_status" -eq 0 ] || say "typecheck FAILED (the tests run anyway; the run will fail)"
say "eslint (floating promises, unused code, deep imports)"
"$ROOT/node_modules/.bin/eslint" . || { say "lint FAILED (the tests run anyway; the run will fail)"; [ "$tsc_status" -ne 0 ] || tsc_status=3; }

sdk_status=0
wait "$sdk_pid" || sdk_status=$?
cat "$sdk_log" >&2
[ "$sdk_status" -eq 0 ] || { say "SDK setup (Python venv, Go build) failed"; exit 1; }

bash scripts/browser-setup.sh # Chromium for the dashboard's browser test (installed above; checks)
bash scripts/promtool-setup.sh # promtool for the deploy/ rule checks (installed above; checks)

export QUARRY_TEST_REDIS_URL="${QUARRY_TEST_REDIS_URL:-redis://127.0.0.1:6390}"
export QUARRY_TEST_KAFKA_BROKERS="${QUARRY_TEST_KAFKA_BROKERS:-127.0.0.1:9092}"
export QUARRY_TEST_CASSANDRA="${QUARRY_TEST_CASSANDRA:-127.0.0.1:9042}"
export QUARRY_TEST_REDIS_CLUSTER="${QUARRY_TEST_REDIS_CLUSTER:-redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003}"

# Tracked plus untracked-not-ignored files (so node_modules/ and .infra/ never appear).
mapfile -t all < <(git ls-files --cached --others --exclude-standard -- '*.test.ts' | sort -u)
files=()
for f in "${all[@]}"; do
  [ -f "$f" ] || continue # tracked but deleted in the working tree
  if [ "$#" -eq 0 ]; then files+=("$f"); continue; fi
  for arg in "$@"; do
    arg="${arg#./}"
    arg="${arg%/}"
    if [ "$f" = "$arg" ] || [[ "$f" == "$arg"/* ]] || [[ "$f" == *"$arg"* ]]; then
      files+=("$f")
      break
    fi
  done
done
if [ "${#files[@]}" -eq 0 ]; then
  say "no test files match: ${*:-<all>}"
  exit 1
fi

say "running ${#files[@]} test file(s)"
node --import tsx --test --test-concurrency=1 --test-timeout=900000 --test-reporter=spec "${files[@]}"
status=$?
say "tests exited with status $status"
if [ "$status" -eq 0 ] && [ "$tsc_status" -ne 0 ]; then
  say "failing because the typecheck failed"
  status="$tsc_status"
fi
exit "$status"
