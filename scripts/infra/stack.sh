#!/usr/bin/env bash
# Provisions and runs the local infrastructure without Docker: Apache Kafka (KRaft, one node or
# a three-node cluster, jars from Maven Central), PostgreSQL and Redis (Debian packages) as plain
# processes on 127.0.0.1 and non-default ports, with data under .data/ (git-ignored). Idempotent.
#   stack.sh up      provision what is missing, start what is stopped, wait until healthy
#   stack.sh down [kafka|redis|postgres ...]
#                    stop everything this script started (or only those named)
#   stack.sh status  show what runs
#   stack.sh env     print the connection variables and the topics' replication factor (for eval)
#   stack.sh crash postgres|redis|kafka[:N]
#                    fault injection: PostgreSQL immediate shutdown, kill -9 of Redis or of Kafka
#                    node N (every node without :N); `up` starts them again
# Where KAFKA_BROKERS / DATABASE_URL / REDIS_URL are already set, that component is external
# and this script neither starts nor stops it.
#
# A second, separate instance (the fault-injection suite's, which it kills and restarts) takes
# its own data folder and ports: LEDGER_DATA_DIR, LEDGER_KAFKA_PORT, LEDGER_KAFKA_CONTROLLER_PORT,
# LEDGER_PG_PORT, LEDGER_REDIS_PORT. LEDGER_KAFKA_NODES=3 runs the production topology: three
# KRaft nodes in combined mode, node N on ports LEDGER_KAFKA_PORT + 2(N-1) and
# LEDGER_KAFKA_CONTROLLER_PORT + 2(N-1), internal topics replicated three times, min ISR 2, and
# `env` gives the services KAFKA_REPLICATION_FACTOR=3 for theirs (min ISR 2 too).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

DATA="${LEDGER_DATA_DIR:-$ROOT/.data}"
CACHE="${LEDGER_CACHE_DIR:-$ROOT/.cache}"
KAFKA_PORT="${LEDGER_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${LEDGER_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_NODES="${LEDGER_KAFKA_NODES:-1}"
[[ "$KAFKA_NODES" =~ ^[13]$ ]] || die "LEDGER_KAFKA_NODES must be 1 or 3 (a KRaft quorum of two survives no loss)"
PG_PORT="${LEDGER_PG_PORT:-15432}"
REDIS_PORT="${LEDGER_REDIS_PORT:-16379}"
PG_DB="${LEDGER_PG_DB:-ledger}"
KAFKA_HEAP="${LEDGER_KAFKA_HEAP:-512m}"
READY_TIMEOUT_S=90

external() { [ -n "${!1:-}" ]; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # description, command...
  local what="$1"; shift
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what not ready after ${READY_TIMEOUT_S}s"
    sleep 0.2
  done
}

# ---------- PostgreSQL ----------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_up() {
  external DATABASE_URL && return
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || apt_install postgresql
  local bin; bin="$(pg_bin)"
  local dir="$DATA/postgres" sock="$DATA/pg-socket"
  mkdir -p "$DATA"
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initialising PostgreSQL in $dir"
    mkdir -p "$dir" "$sock"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir" "$sock"
    chmod 700 "$dir"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 512MB
wal_buffers = 16MB
max_wal_size = 2GB
checkpoint_timeout = 15min
shared_preload_libraries = 'pg_stat_statements'
CONF
  fi
  mkdir -p "$sock"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$sock"
  if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t "$READY_TIMEOUT_S" start >/dev/null
  fi
  wait_for PostgreSQL as_pg "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  for db in "$PG_DB" "${PG_DB}_test"; do
    if ! as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
      as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database $db" >/dev/null
    fi
  done
  # The test database trades durability of the last commits for speed; the main one never does.
  as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "alter database ${PG_DB}_test set synchronous_commit = off" >/dev/null
}

pg_down() {
  external DATABASE_URL && return
  local bin; bin="$(pg_bin)"
  [ -n "$bin" ] && [ -f "$DATA/postgres/PG_VERSION" ] || return 0
  as_pg "$bin/pg_ctl" -D "$DATA/postgres" status >/dev/null 2>&1 || return 0
  log "stopping PostgreSQL"
  as_pg "$bin/pg_ctl" -D "$DATA/postgres" -m fast -w stop >/dev/null
}

# ---------- Redis ----------
redis_up() {
  external REDIS_URL && return
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$DATA/redis"
  if ! pid_alive "$DATA/redis/redis.pid"; then
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --dir "$DATA/redis" --pidfile "$DATA/redis/redis.pid" --logfile "$DATA/redis/redis.log"
  fi
  wait_for Redis port_open "$REDIS_PORT"
}

redis_down() {
  external REDIS_URL && return
  pid_alive "$DATA/redis/redis.pid" || return 0
  log "stopping Redis"
  kill "$(cat "$DATA/redis/redis.pid")"
  wait_for "Redis shutdown" bash -c "! kill -0 $(cat "$DATA/redis/redis.pid") 2>/dev/null"
}

# ---------- Kafka ----------
kafka_libs() {
  local libs="$CACHE/kafka/libs" pom="$ROOT/scripts/infra/kafka-pom.xml"
  if [ ! -f "$libs/.complete" ] || [ "$pom" -nt "$libs/.complete" ]; then
    command -v mvn >/dev/null || apt_install maven
    command -v java >/dev/null || apt_install openjdk-17-jre-headless
    log "fetching Apache Kafka jars from Maven Central"
    rm -rf "$libs"; mkdir -p "$libs"
    mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
    touch "$libs/.complete"
  fi
  echo "$libs"
}

# Node N's folder: .data/kafka for the single node (as before clusters existed), .data/kafka-N in a cluster.
kafka_dir() { if [ "$KAFKA_NODES" = 1 ]; then echo "$DATA/kafka"; else echo "$DATA/kafka-$1"; fi; }
kafka_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
kafka_controller_port() { echo $((KAFKA_CONTROLLER_PORT + 2 * ($1 - 1))); }

# Replication factor and min ISR, of the internal topics here and (through KAFKA_REPLICATION_FACTOR,
# printed by `env`) of the services' topics: one node cannot replicate; in a cluster every write
# survives the loss of any one node (acks=all with min ISR 2), and losing two fails producers
# (NOT_ENOUGH_REPLICAS) rather than data.
kafka_replication() { if [ "$KAFKA_NODES" = 1 ]; then echo "1 1"; else echo "3 2"; fi; }

kafka_write_properties() { # node, file
  local node="$1" dir; dir="$(kafka_dir "$1")"
  local voters="" n
  for n in $(seq 1 "$KAFKA_NODES"); do voters+="${voters:+,}$n@127.0.0.1:$(kafka_controller_port "$n")"; done
  local rf isr
  read -r rf isr < <(kafka_replication)
  cat >"$2" <<PROPS
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(kafka_port "$node"),CONTROLLER://127.0.0.1:$(kafka_controller_port "$node")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka_port "$node")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
message.max.bytes=1048588
PROPS
  # A killed node's partitions move to their other replicas only once the controller fences it:
  # by default after 9 s without a heartbeat (every 2 s), during which their producers and
  # consumers wait. On one machine's loopback 3 s of silence already means the node is gone.
  if [ "$KAFKA_NODES" != 1 ]; then
    printf 'broker.heartbeat.interval.ms=500\nbroker.session.timeout.ms=3000\n' >>"$2"
  fi
}

kafka_java() { # node: the JVM command line, as an array in KAFKA_JAVA
  KAFKA_JAVA=(java "-Xms256m" "-Xmx$KAFKA_HEAP" -XX:+UseSerialGC -Djava.awt.headless=true
    "-Dkafka.logs.dir=$(kafka_dir "$1")/logs" "-Dlog4j2.configurationFile=$ROOT/scripts/infra/log4j2.properties"
    -cp "$KAFKA_LIBS/*")
}

kafka_up() {
  external KAFKA_BROKERS && return
  KAFKA_LIBS="$(kafka_libs)"
  # Every node of a cluster is formatted with the same cluster id, kept beside the first node's folder.
  local id_file="$(kafka_dir 1)/cluster-id" cluster_id node dir
  mkdir -p "$(kafka_dir 1)"
  cluster_id="$(cat "$id_file" 2>/dev/null || true)"
  if [ -z "$cluster_id" ]; then
    kafka_java 1
    cluster_id="$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    echo "$cluster_id" >"$id_file"
  fi
  for node in $(seq 1 "$KAFKA_NODES"); do
    dir="$(kafka_dir "$node")"
    mkdir -p "$dir/logs"
    kafka_write_properties "$node" "$dir/server.properties"
    kafka_java "$node"
    if [ ! -f "$dir/data/meta.properties" ]; then
      log "formatting Kafka storage (KRaft) in $dir"
      "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format "--cluster-id=$cluster_id" -c "$dir/server.properties" --ignore-formatted >/dev/null
    fi
    # A cluster's nodes start together: each waits for a quorum of controllers before serving.
    if ! pid_alive "$dir/kafka.pid"; then
      log "starting Kafka node $node on 127.0.0.1:$(kafka_port "$node")"
      : >"$dir/logs/server.log"
      nohup "${KAFKA_JAVA[@]}" kafka.Kafka "$dir/server.properties" >"$dir/logs/stdout.log" 2>&1 &
      echo $! >"$dir/kafka.pid"
    fi
  done
  for node in $(seq 1 "$KAFKA_NODES"); do wait_for "Kafka node $node" kafka_ready "$node"; done
}

kafka_ready() { # node
  local dir; dir="$(kafka_dir "$1")"
  pid_alive "$dir/kafka.pid" || die "Kafka exited; see $dir/logs/stdout.log and server.log"
  grep -q "Kafka Server started" "$dir/logs/server.log" 2>/dev/null || { port_open "$(kafka_port "$1")" && ! [ -s "$dir/logs/server.log" ]; }
}

stop_pid() { # pid file, signal: waits (bounded) until the process is gone
  pid_alive "$1" || { rm -f "$1"; return 0; }
  local pid; pid="$(cat "$1")"
  kill "-$2" "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { kill -9 "$pid"; break; }
    sleep 0.1
  done
  rm -f "$1"
}

# Stops every node found under the data folder, whatever LEDGER_KAFKA_NODES says now.
kafka_down() {
  external KAFKA_BROKERS && return
  local pidf
  for pidf in "$DATA"/kafka/kafka.pid "$DATA"/kafka-*/kafka.pid; do
    pid_alive "$pidf" || continue
    log "stopping Kafka ($(dirname "$pidf"))"
    stop_pid "$pidf" TERM
  done
}

crash() { # component
  case "$1" in
    postgres) ! external DATABASE_URL || die "PostgreSQL is external (DATABASE_URL): not crashing it" ;;
    redis) ! external REDIS_URL || die "Redis is external (REDIS_URL): not crashing it" ;;
    kafka*) ! external KAFKA_BROKERS || die "Kafka is external (KAFKA_BROKERS): not crashing it" ;;
  esac
  case "$1" in
    postgres)
      log "PostgreSQL: immediate shutdown"
      as_pg "$(pg_bin)/pg_ctl" -D "$DATA/postgres" -m immediate -w stop >/dev/null ;;
    redis)
      log "Redis: kill -9"
      stop_pid "$DATA/redis/redis.pid" KILL ;;
    kafka) for node in $(seq 1 "$KAFKA_NODES"); do crash "kafka:$node"; done ;;
    kafka:[1-3])
      log "Kafka node ${1#kafka:}: kill -9"
      stop_pid "$(kafka_dir "${1#kafka:}")/kafka.pid" KILL ;;
    *) die "usage: stack.sh crash postgres|redis|kafka[:N]" ;;
  esac
}

# The local PostgreSQL through its Unix socket when there is one: on these VMs a loopback TCP
# round trip costs several times the CPU of a socket one, and every statement makes one (the
# benchmark's API profile went from ≈ 600 to ≈ 900 transfers/s). The socket's directory goes in
# the host part, percent-encoded, which node-postgres and libpq both read as a socket directory.
local_database_url() {
  local sock="$DATA/pg-socket"
  if [ -S "$sock/.s.PGSQL.$PG_PORT" ] && [[ "$sock" =~ ^[A-Za-z0-9._/-]+$ ]]; then
    echo "postgres://postgres@${sock//\//%2F}:$PG_PORT/$PG_DB"
  else
    echo "postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
  fi
}

print_env() {
  local brokers="" node
  for node in $(seq 1 "$KAFKA_NODES"); do brokers+="${brokers:+,}127.0.0.1:$(kafka_port "$node")"; done
  echo "export KAFKA_BROKERS=${KAFKA_BROKERS:-$brokers}"
  # The services create their topics with this factor (min ISR one less: 3 and 2 in a cluster).
  local rf
  read -r rf _ < <(kafka_replication)
  echo "export KAFKA_REPLICATION_FACTOR=${KAFKA_REPLICATION_FACTOR:-$rf}"
  echo "export DATABASE_URL=${DATABASE_URL:-$(local_database_url)}"
  echo "export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"
}

case "${1:-up}" in
  up)
    started=$SECONDS
    # Kafka is the slowest to start: launch it first and bring up the others meanwhile.
    kafka_up & kafka_job=$!
    pg_up
    redis_up
    wait "$kafka_job" || die "Kafka failed to start"
    log "infrastructure ready in $((SECONDS - started))s"
    print_env | sed 's/^export /  /' >&2
    ;;
  down)
    [ $# -gt 1 ] || set -- down kafka redis postgres
    for component in "${@:2}"; do
      case "$component" in
        kafka) kafka_down ;;
        redis) redis_down ;;
        postgres) pg_down ;;
        *) die "stack.sh down: no component $component (kafka, redis, postgres)" ;;
      esac
    done
    ;;
  status)
    for node in $(seq 1 "$KAFKA_NODES"); do
      pid_alive "$(kafka_dir "$node")/kafka.pid" && echo "kafka node $node: running" || echo "kafka node $node: stopped"
    done
    bin="$(pg_bin)"; [ -n "$bin" ] && as_pg "$bin/pg_ctl" -D "$DATA/postgres" status >/dev/null 2>&1 && echo "postgres: running" || echo "postgres: stopped"
    pid_alive "$DATA/redis/redis.pid" && echo "redis: running" || echo "redis: stopped"
    ;;
  env) print_env ;;
  crash) crash "${2:-}" ;;
  *) die "usage: stack.sh up|down|status|env|crash" ;;
esac
