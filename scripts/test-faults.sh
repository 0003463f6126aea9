#!/usr/bin/env bash
# `npm run test:faults`: the fault-injection suite (tests/faults). It provisions an instance of
# Kafka, PostgreSQL and Redis of its own (data under .data/faults/, ports 29092-29093, 25432,
# 26379, and a three-broker cluster on 29192-29197 for one scenario) which it stops, kills and
# restarts freely, never the development one; builds the services and runs them as child
# processes; and stops everything it started when it ends, passed or failed.
# Ends with one plain line: "N passed, N failed"; each scenario's measured recovery is in
# .data/faults/results.txt (printed too).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_deps
cd "$ROOT"
ensure_build

# The instance is the suite's alone: whatever the calling shell points at is not used.
unset KAFKA_BROKERS DATABASE_URL REDIS_URL
export LEDGER_DATA_DIR="$ROOT/.data/faults/stack"
export LEDGER_KAFKA_PORT="${FAULTS_KAFKA_PORT:-29092}" LEDGER_KAFKA_CONTROLLER_PORT="${FAULTS_KAFKA_CONTROLLER_PORT:-29093}"
export LEDGER_PG_PORT="${FAULTS_PG_PORT:-25432}" LEDGER_REDIS_PORT="${FAULTS_REDIS_PORT:-26379}"
export LEDGER_KAFKA_HEAP=256m LEDGER_KAFKA_NODES=1 LEDGER_CACHE_DIR="${LEDGER_CACHE_DIR:-$ROOT/.cache}"
export FAULTS_CLUSTER_KAFKA_PORT="${FAULTS_CLUSTER_KAFKA_PORT:-29192}"
export FAULTS_CLUSTER_KAFKA_CONTROLLER_PORT="${FAULTS_CLUSTER_KAFKA_CONTROLLER_PORT:-29193}"
export LOG_LEVEL=silent

cleanup() {
  # Services a killed test worker left behind, by the pids it recorded.
  for pidf in "$ROOT"/.data/faults/run/*.pid; do
    [ -f "$pidf" ] || continue
    kill -9 "$(cat "$pidf")" 2>/dev/null || true
    rm -f "$pidf"
  done
  LEDGER_DATA_DIR="$ROOT/.data/faults/cluster" bash scripts/infra/stack.sh down >/dev/null 2>&1 || true
  bash scripts/infra/stack.sh down || true
}
trap cleanup EXIT

mkdir -p .data/faults
rm -f .data/faults/results.txt
bash scripts/infra/stack.sh up

results=.data/faults/jest-results.json
rm -f "$results"
set +e
npx jest -c jest.faults.config.js --ci --json --outputFile="$results" "$@"
status=$?
set -e
[ -f .data/faults/results.txt ] && { echo; cat .data/faults/results.txt; echo; }
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  ' "$ROOT/$results"
else
  echo "0 passed, 1 failed"
fi
exit "$status"
