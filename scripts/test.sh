#!/usr/bin/env bash
# `npm test`: installs what is missing, provisions the real Kafka / PostgreSQL / Redis (or uses
# the ones named by KAFKA_BROKERS, DATABASE_URL, REDIS_URL), type-checks, lints, and runs every
# jest test, unit and integration. Ends with one plain line: "N passed, N failed".
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_deps
cd "$ROOT"

test_db_given="${DATABASE_URL:-}"
# What this run starts it stops when it ends, passed or failed; what already ran (`npm run up`, an
# earlier `stack.sh up`) or is external (its variable set) it leaves as it was.
started=()
stack_status="$(bash scripts/infra/stack.sh status)"
[ -n "${KAFKA_BROKERS:-}" ] || ! grep -q '^kafka node 1: stopped' <<<"$stack_status" || started+=(kafka)
[ -n "${DATABASE_URL:-}" ] || ! grep -q '^postgres: stopped' <<<"$stack_status" || started+=(postgres)
[ -n "${REDIS_URL:-}" ] || ! grep -q '^redis: stopped' <<<"$stack_status" || started+=(redis)
stop_started() {
  [ ${#started[@]} -gt 0 ] || return 0
  env -u KAFKA_BROKERS -u DATABASE_URL -u REDIS_URL bash scripts/infra/stack.sh down "${started[@]}" || true
}
trap stop_started EXIT
bash scripts/infra/stack.sh up
# The compose-file test validates docker-compose.yml with Debian's docker-compose (no engine needed).
command -v docker-compose >/dev/null || apt_install docker-compose
eval "$(bash scripts/infra/stack.sh env)"
[ -n "$test_db_given" ] || export DATABASE_URL="${DATABASE_URL%/*}/ledger_test"
# Tests keep their rate-limit counters apart from `npm run up` (Redis database 1).
[ -n "$test_db_given" ] || export REDIS_URL="${REDIS_URL%/}/1"
export LOG_LEVEL="${LOG_LEVEL:-silent}"

log "type-checking"
npx tsc --noEmit -p tsconfig.json
log "linting (eslint, prettier --check, import circles)"
npm run --silent lint

mkdir -p .data
results=.data/jest-results.json
rm -f "$results"
set +e
npx jest --ci --json --outputFile="$results" "$@"
status=$?
set -e
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$ROOT/$results"
else
  echo "0 passed, 1 failed"
fi
exit "$status"
