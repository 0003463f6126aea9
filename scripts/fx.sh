#!/usr/bin/env bash
# `npm run fx -- set USD EUR 0.92` / `npm run fx -- list`: the operator's exchange-rate CLI.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node
ensure_deps
cd "$ROOT"
ensure_build
[ -n "${DATABASE_URL:-}" ] || eval "$(bash scripts/infra/stack.sh env)"
exec node dist/scripts/fx-rate.js "$@"
