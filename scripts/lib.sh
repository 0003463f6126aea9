#!/usr/bin/env bash
# Shared helpers for the project's scripts: the project root, the Node 24 runtime, npm deps.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$ROOT/.tools"
NODE_MAJOR_WANTED=24
NODE_MAJOR_MIN=22

log() { printf '\033[1;34m[ledger]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[ledger] %s\033[0m\n' "$*" >&2; exit 1; }

apt_install() { # packages...
  [ "$(id -u)" = 0 ] || die "missing $*: install them (apt-get install $*) or set the *_URL variables"
  log "installing $* from Debian packages"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Puts a Node >= 22 first on PATH: the system one when new enough, otherwise Node 24 from the
# npm registry's `node` package, installed once into the git-ignored .tools folder.
ensure_node() {
  local local_bin="$TOOLS_DIR/node/node_modules/node/bin"
  if [ -x "$local_bin/node" ] && [ "$(node_major "$local_bin/node")" -ge "$NODE_MAJOR_MIN" ]; then
    export PATH="$local_bin:$PATH"
  elif command -v node >/dev/null && [ "$(node_major node)" -ge "$NODE_MAJOR_MIN" ]; then
    :
  else
    command -v npm >/dev/null || die "npm is needed to fetch Node $NODE_MAJOR_WANTED (install nodejs/npm first)"
    log "system Node is $(node --version 2>/dev/null || echo missing); installing Node $NODE_MAJOR_WANTED into .tools/"
    mkdir -p "$TOOLS_DIR/node"
    npm install --silent --no-save --no-audit --no-fund --prefix "$TOOLS_DIR/node" "node@$NODE_MAJOR_WANTED" >/dev/null
    [ -x "$local_bin/node" ] || die "installing node@$NODE_MAJOR_WANTED from the npm registry failed"
    export PATH="$local_bin:$PATH"
  fi
  export KAFKAJS_NO_PARTITIONER_WARNING=1
}

# Installs npm dependencies when node_modules is missing or older than the lock file or a patch
# of patches/ (applied to node_modules by the install's postinstall step, patch-package).
ensure_deps() {
  local stamp="$ROOT/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ] || [ -n "$(find "$ROOT/patches" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    log "installing npm dependencies"
    # `npm ci` installs exactly the lock file and never rewrites it (the lock lists every
    # platform's optional packages, so no install has any to add). It empties node_modules first,
    # following a symbolic link into the folder it points at: a link to another checkout's
    # node_modules is removed, not emptied.
    [ ! -L "$ROOT/node_modules" ] || rm "$ROOT/node_modules"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp" # an install with nothing to change leaves it as it was
  fi
}

# Compiles the TypeScript services into dist/ when a source is newer than the last build.
ensure_build() {
  local stamp="$ROOT/dist/.build-stamp"
  if [ ! -f "$stamp" ] || [ -n "$(cd "$ROOT" && find api processor webhook-dispatcher contracts domain platform scripts -name '*.ts' -newer "$stamp" -print -quit)" ]; then
    log "compiling TypeScript"
    (cd "$ROOT" && npx tsc -p tsconfig.build.json)
    touch "$stamp"
  fi
}

# What `up` and `bench` both need first: Node, dependencies, a fresh build, the infrastructure
# running, and its connection variables exported. Leaves the shell in the project root.
provision() {
  ensure_node
  ensure_deps
  cd "$ROOT"
  ensure_build
  bash scripts/infra/stack.sh up
  eval "$(bash scripts/infra/stack.sh env)"
}
