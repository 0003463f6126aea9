#!/usr/bin/env bash
# `npm run down`: stops the services `npm run up` started, then the local infrastructure.
# With --services-only, leaves the infrastructure running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for svc in api processor webhook-dispatcher; do
  pidf="$ROOT/.data/run/$svc.pid"
  [ -f "$pidf" ] || continue
  pid="$(cat "$pidf")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then pkill -9 -P "$pid" 2>/dev/null; kill -9 "$pid"; fi
  fi
  rm -f "$pidf"
done
[ "${1:-}" = "--services-only" ] || bash "$ROOT/scripts/infra/stack.sh" down
