#!/usr/bin/env bash
# `npm run bench`: provisions the stack like `npm run up`, then runs the benchmark profiles
# against a fresh `ledger_bench` database (durable settings: synchronous_commit on, fsync on),
# prints one table and writes it as JSON under bench-results/. Fails if an invariant breaks.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
provision
if [ -z "${BENCH_DATABASE_URL:-}" ]; then
  psql "$DATABASE_URL" -qc 'DROP DATABASE IF EXISTS ledger_bench WITH (FORCE)' -c 'CREATE DATABASE ledger_bench' >/dev/null
  export DATABASE_URL="${DATABASE_URL%/*}/ledger_bench"
  export REDIS_URL="${REDIS_URL%/}/2"
else
  export DATABASE_URL="$BENCH_DATABASE_URL"
fi
exec node dist/scripts/bench/run.js
