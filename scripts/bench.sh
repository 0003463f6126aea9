#!/usr/bin/env bash
# `npm run bench`: provisions the stack like `npm run up`, then runs the benchmark profiles
# against a fresh `ledger_bench` database (durable settings: synchronous_commit on, fsync on),
# prints one table and writes it as JSON under bench-results/. Fails if an invariant breaks.
# BENCH_PROFILES=1,5 runs a subset; see scripts/bench/run.ts for every setting.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# One bench at a time on this machine, whichever checkout it runs from: they share the cores
# and, on a shared stack, the ledger_bench database.
exec 9>"${TMPDIR:-/tmp}/ledger-bench.lock"
flock 9
# Without 9>&-, the Kafka, PostgreSQL and Redis daemons that provisioning may start would inherit
# the lock and hold it for as long as they run, blocking every later bench.
provision 9>&-
if [ -z "${BENCH_DATABASE_URL:-}" ]; then
  psql "$DATABASE_URL" -qc 'DROP DATABASE IF EXISTS ledger_bench WITH (FORCE)' -c 'CREATE DATABASE ledger_bench' >/dev/null
  export DATABASE_URL="${DATABASE_URL%/*}/ledger_bench"
  # Statement statistics of the run, for profiling: SELECT ... FROM pg_stat_statements.
  psql "$DATABASE_URL" -qc 'CREATE EXTENSION pg_stat_statements' -c 'SELECT pg_stat_statements_reset()' >/dev/null
  export REDIS_URL="${REDIS_URL%/}/2"
else
  export DATABASE_URL="$BENCH_DATABASE_URL"
fi
exec node dist/scripts/bench/run.js
