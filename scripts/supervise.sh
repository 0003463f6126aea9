#!/usr/bin/env bash
# Runs one service (`supervise.sh api|processor|webhook-dispatcher`) and starts it again whenever it
# exits, with backoff (1 s, doubling up to 30 s; back to 1 s after a minute of running), saying so in
# its log. `npm run down` stops it with SIGTERM, which is passed on to the service (graceful stop).
# LEDGER_SUPERVISED_ENTRY names another entry file (for the supervisor's own test).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
svc="$1"
entry="${LEDGER_SUPERVISED_ENTRY:-$ROOT/dist/$svc/src/main.js}"
mkdir -p "$ROOT/.data/logs"
logf="$ROOT/.data/logs/$svc.log"
child=""
stopping=0
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
delay=1
while [ "$stopping" = 0 ]; do
  started=$SECONDS
  # A bounded heap keeps each service's resident memory under 300 MB under load.
  NODE_OPTIONS="${NODE_OPTIONS:-} --max-old-space-size=192 --max-semi-space-size=16" \
    node "$entry" >>"$logf" 2>&1 &
  child=$!
  # `wait` returns early when a signal is trapped: wait again until the service has really exited.
  # Its status is the service's exit code: a failure here is what this script is for, never a
  # reason to end it (lib.sh sets -e).
  code=0
  while kill -0 "$child" 2>/dev/null; do
    if wait "$child"; then code=0; else code=$?; fi
  done
  [ "$stopping" = 0 ] || break
  [ $((SECONDS - started)) -lt 60 ] || delay=1
  printf '{"level":40,"time":%s,"service":"%s","msg":"supervisor: %s exited with code %s; starting it again in %ss"}\n' \
    "$(date +%s%3N)" "$svc" "$svc" "$code" "$delay" >>"$logf"
  sleep "$delay" &
  wait $! || true
  delay=$((delay * 2 > 30 ? 30 : delay * 2))
done
