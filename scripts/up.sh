#!/usr/bin/env bash
# `npm run up`: installs what is missing, provisions Kafka / PostgreSQL / Redis, applies the
# migrations, builds and starts the API, the processor and the webhook dispatcher, then prints
# the API's URL and a copy-paste curl. Runs in the foreground (Ctrl-C stops the services; the
# infrastructure keeps running until `npm run down`). `npm run up -- --detach` returns instead.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
provision
export API_PORT="${API_PORT:-3000}" API_HOST="${API_HOST:-127.0.0.1}"
export LOG_PRETTY="${LOG_PRETTY:-true}"
mkdir -p .data/run .data/logs
if [ ! -f .data/run/admin-token ]; then
  node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("base64url"))' >.data/run/admin-token
fi
export ADMIN_TOKEN="${ADMIN_TOKEN:-$(cat .data/run/admin-token)}"
node dist/scripts/migrate.js
node dist/scripts/ensure-topics.js

bash scripts/down.sh --services-only
pids=()
for svc in api processor webhook-dispatcher; do
  : >"$ROOT/.data/logs/$svc.log"
  # Each service under a supervisor that starts it again if it dies (scripts/supervise.sh).
  bash scripts/supervise.sh "$svc" &
  echo $! >".data/run/$svc.pid"
  pids+=($!)
done

url="http://$API_HOST:$API_PORT"
ops_host="${OPS_HOST:-127.0.0.1}"
processor_ops="http://$ops_host:${PROCESSOR_OPS_PORT:-9101}"
dispatcher_ops="http://$ops_host:${WEBHOOK_OPS_PORT:-9102}"
deadline=$((SECONDS + 60))
# Ready, not only alive: PostgreSQL answers and migrations are applied, the consumers are in
# their groups with partitions assigned (a service that dies meanwhile is restarted by its supervisor).
wait_ready() { # name base-url
  until curl -sf "$2/readyz" >/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || die "the $1 was not ready within 60s: $(curl -s "$2/readyz"); see .data/logs/$1.log"
    sleep 0.3
  done
}
wait_ready api "$url"
wait_ready processor "$processor_ops"
wait_ready webhook-dispatcher "$dispatcher_ops"
log "ready. /metrics, /healthz, /readyz: API $url, processor $processor_ops, webhook dispatcher $dispatcher_ops"
node dist/scripts/seed-demo.js "$url" "$ROOT/.data/run/demo.json"
node dist/scripts/print-quickstart.js "$url" "$ROOT/.data/run/demo.json" "$ADMIN_TOKEN"

if [ "${1:-}" = "--detach" ]; then
  log "services run in the background; logs in .data/logs/, stop with: npm run down"
  exit 0
fi
log "following the logs; Ctrl-C stops the services (npm run down also stops the infrastructure)"
trap 'bash "$ROOT/scripts/down.sh" --services-only; exit 0' INT TERM
tail -n +1 -F .data/logs/api.log .data/logs/processor.log .data/logs/webhook-dispatcher.log &
wait "${pids[@]}"
