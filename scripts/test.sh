#!/usr/bin/env bash
# `npm test`: installs what is missing, provisions the real Kafka / PostgreSQL / Redis (or uses
# the ones named by KAFKA_BROKERS, DATABASE_URL, REDIS_URL), type-checks, lints, and runs every
# jest test, unit and integration. Ends with one plain line: "N passed, N failed".
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_deps
cd "$ROOT"

test_db_given="${DATABASE_URL:-}"
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
