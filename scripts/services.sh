#!/usr/bin/env bash
# Real servers on loopback for tests and local deployments, without Docker.
#
#   bash scripts/services.sh [--instance NAME] [--fresh] COMMAND [SERVICE…]
#
# SERVICE: redis | kafka | cassandra | redis-cluster | all (the four). Default: all.
# COMMAND:
#   install   Redis from Debian packages; Kafka 3.9.1 / Cassandra 5.0.6 jars from Maven Central
#             into .infra/<server>/lib (only when missing or incomplete).
#   start     installs if needed, launches what is not running, waits for readiness (idempotent).
#             Data is kept across stops and starts; `--fresh` wipes a server's data before it
#             is launched (never the data of a server that is already running).
#   stop      SIGTERM by saved pid, SIGKILL after 30 s. Data is kept.
#   restart   stop, then start on the same data (`--fresh` wipes it in between).
#   kill      SIGKILL by saved pid, for fault tests; named instances only.
#   status    one line per service: running (pid, address) | degraded | stopped.
#   wait      waits until the services answer (`--timeout SECONDS`, default 60).
#   env       prints the instance's addresses as QUARRY_TEST_* variables.
#   destroy   stops a named instance and deletes its folder (data, logs, port slot).
#
# Instances. Without --instance, the default instance: Redis 6390, Kafka 9092 (controller
# 9093), Cassandra 9042 (storage 7000), Redis Cluster 7001-7003 (bus ports +10000), with its
# pid files, logs and data in .infra/run/. These are shared by everyone on the machine.
# `--instance NAME` is a separate set of servers for fault tests (kill, restart, fresh) that
# never disturbs the shared ones: its own data, pid files and logs in .infra/run/NAME/, and
# ports from a slot N (1-20) taken on first use and kept in .infra/run/NAME/slot:
#   Redis 6390+N, Kafka 9092+100N (controller 9093+100N), Cassandra 9042+100N (storage
#   7000+100N), Redis Cluster 7001+10N..7003+10N. The first named instance gets N=1:
#   Redis 6391, Kafka 9192 (controller 9193), Cassandra 9142, Redis Cluster 7011-7013.
#
# Redis (and each cluster node) runs with AOF (appendonly yes, appendfsync everysec) and no
# RDB snapshots. The cluster is three masters, no replicas, made by `redis-cli --cluster create`
# on first start and rejoined from its nodes.conf files afterwards. The default instance's
# Cassandra skips the commit log for schema tables (-Dcassandra.unsafesystem, fast DDL for tests);
# a named instance's does not, so a SIGKILL there keeps recently created tables.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$ROOT/.infra"
# Resolved, because .infra may be a symlink shared by worktrees: the paths on a server's command
# line identify it, whichever worktree runs this script.
INFRA="$(readlink -f "$ROOT/.infra")"
RUN="$INFRA/run"
mkdir -p "$RUN" "$INFRA/kafka" "$INFRA/cassandra"

# shellcheck source=scripts/services/common.sh
source "$ROOT/scripts/services/common.sh"
# shellcheck source=scripts/services/redis.sh
source "$ROOT/scripts/services/redis.sh"
# shellcheck source=scripts/services/jvm.sh
source "$ROOT/scripts/services/jvm.sh"

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# ---------- arguments ---------------------------------------------------------------------

FRESH=0
INSTANCE=""
TIMEOUT=60
cmd=""
requested=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --fresh) FRESH=1 ;;
    --instance) [ "$#" -ge 2 ] || die "--instance needs a name"; INSTANCE="$2"; shift ;;
    --instance=*) INSTANCE="${1#--instance=}" ;;
    --timeout) [ "$#" -ge 2 ] || die "--timeout needs a number of seconds"; TIMEOUT="$2"; shift ;;
    -h | --help) usage ;;
    -*) die "unknown option \`$1\` (expected --instance NAME, --fresh or --timeout SECONDS)" ;;
    *) if [ -z "$cmd" ]; then cmd="$1"; else requested+=("$1"); fi ;;
  esac
  shift
done
case "$cmd" in
  install | start | stop | restart | kill | status | wait | env | destroy) ;;
  "") usage ;;
  *) die "unknown command \`$cmd\` (expected install|start|stop|restart|kill|status|wait|env|destroy)" ;;
esac
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout expects whole seconds, got \`$TIMEOUT\`"

ALL_SERVICES=(redis kafka cassandra redis-cluster)
services=()
[ "${#requested[@]}" -gt 0 ] || requested=(all)
for s in "${requested[@]}"; do
  case "$s" in
    all) for a in "${ALL_SERVICES[@]}"; do [[ " ${services[*]-} " == *" $a "* ]] || services+=("$a"); done ;;
    redis | kafka | cassandra | redis-cluster) [[ " ${services[*]-} " == *" $s "* ]] || services+=("$s") ;;
    *) die "unknown service \`$s\` (expected redis|kafka|cassandra|redis-cluster|all)" ;;
  esac
done

# ---------- the instance: its folder and ports --------------------------------------------

NAMED_INSTANCE=0
SLOT=0
IRUN="$RUN"
if [ -n "$INSTANCE" ] && [ "$INSTANCE" != default ]; then
  [[ "$INSTANCE" =~ ^[a-z0-9][a-z0-9-]{0,39}$ ]] ||
    die "instance name \`$INSTANCE\` must be lowercase letters, digits and dashes (at most 40)"
  NAMED_INSTANCE=1
  INSTANCE_TAG=":$INSTANCE"
  IRUN="$RUN/$INSTANCE"
  if [ -d "$IRUN" ] && [ ! -f "$IRUN/slot" ]; then
    die "instance name \`$INSTANCE\` is taken by a folder of the default instance ($IRUN); choose another"
  fi
fi

# Takes the lowest free slot for a new named instance (under a lock: instances start in parallel).
allocate_slot() {
  (
    flock -w 60 7 || die "could not lock $RUN/instances.lock"
    [ -f "$IRUN/slot" ] && exit 0
    local n f used=" "
    for f in "$RUN"/*/slot; do [ -f "$f" ] && used+="$(cat "$f") "; done
    for n in $(seq 1 20); do
      if [[ "$used" != *" $n "* ]]; then
        mkdir -p "$IRUN"
        echo "$n" >"$IRUN/slot"
        exit 0
      fi
    done
    die "all 20 instance slots are taken (bash scripts/services.sh --instance NAME destroy frees one)"
  ) 7>"$RUN/instances.lock"
}

instance_exists=1
if [ "$NAMED_INSTANCE" -eq 1 ]; then
  if [ ! -f "$IRUN/slot" ]; then
    case "$cmd" in
      install | start | restart | env) allocate_slot ;;
      *) instance_exists=0 ;;
    esac
  fi
  [ "$instance_exists" -eq 0 ] || SLOT="$(cat "$IRUN/slot")"
fi

REDIS_PORT=$((6390 + SLOT))
KAFKA_PORT=$((9092 + 100 * SLOT))
KAFKA_CONTROLLER_PORT=$((9093 + 100 * SLOT))
CASSANDRA_PORT=$((9042 + 100 * SLOT))
CASSANDRA_STORAGE_PORT=$((7000 + 100 * SLOT))
CLUSTER_PORTS=($((7001 + 10 * SLOT)) $((7002 + 10 * SLOT)) $((7003 + 10 * SLOT)))
if [ "$NAMED_INSTANCE" -eq 1 ]; then
  KAFKA_CONF="$IRUN/kafka-conf"
  CASSANDRA_CONF="$IRUN/cassandra-conf"
else
  KAFKA_CONF="$INFRA/kafka" # where the default instance has always kept them
  CASSANDRA_CONF="$INFRA/cassandra"
fi

if [ "$instance_exists" -eq 0 ]; then
  case "$cmd" in
    status) for s in "${services[@]}"; do echo "$s: stopped (instance $INSTANCE does not exist)"; done; exit 0 ;;
    stop | destroy) log "instance $INSTANCE does not exist: nothing to $cmd"; exit 0 ;;
    *) die "instance $INSTANCE does not exist (start it first)" ;;
  esac
fi
mkdir -p "$IRUN/logs"

# ---------- commands ----------------------------------------------------------------------

svc_fn() { echo "${2}_${1//-/_}"; } # svc_fn redis-cluster status -> status_redis_cluster
stop_kafka() { stop_jvm kafka; }
stop_cassandra() { stop_jvm cassandra; }
kill_kafka() { kill_jvm kafka; }
kill_cassandra() { kill_jvm cassandra; }
status_kafka() { status_jvm kafka; }
status_cassandra() { status_jvm cassandra; }

start_all() {
  local -a jvms=()
  local s
  for s in "${services[@]}"; do
    case "$s" in
      redis | redis-cluster) install_one "$s"; "$(svc_fn "$s" start)" ;;
      *) jvms+=("$s") ;;
    esac
  done
  [ "${#jvms[@]}" -eq 0 ] || start_jvms "${jvms[@]}"
}

# In parallel: a JVM may take a while to shut down.
stop_all() {
  local s
  local -a pids=()
  for s in "${services[@]}"; do "$(svc_fn "$s" stop)" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
}

wait_all() {
  local s deadline=$((SECONDS + TIMEOUT))
  for s in "${services[@]}"; do
    case "$s" in
      redis) until redis_ping "$REDIS_PORT"; do [ "$SECONDS" -lt "$deadline" ] || die "redis: not answering after $TIMEOUT s"; sleep 0.2; done ;;
      redis-cluster) until cluster_healthy; do [ "$SECONDS" -lt "$deadline" ] || die "redis-cluster: not healthy after $TIMEOUT s"; sleep 0.3; done ;;
      *) wait_ready "$s" $((deadline > SECONDS ? deadline - SECONDS : 1)) "$(jvm_pid "$s" || true)" || die "$s: not ready after $TIMEOUT s" ;;
    esac
    log "$s: ready"
  done
}

print_env() {
  echo "QUARRY_SERVICES_INSTANCE=${INSTANCE:-default}"
  echo "QUARRY_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  echo "QUARRY_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  echo "QUARRY_TEST_CASSANDRA=127.0.0.1:$CASSANDRA_PORT"
  echo "QUARRY_TEST_REDIS_CLUSTER=$(cluster_url)"
  echo "QUARRY_SERVICES_RUN_DIR=$IRUN"
}

# Servers are launched with fds 7-9 closed so they never inherit, and hold, a lock.
case "$cmd" in
  install | start | stop | restart | kill | destroy)
    exec 9>"$IRUN/services.lock"
    flock -w 600 9 || die "another services.sh $cmd held $IRUN/services.lock for 10 minutes"
    ;;
esac

case "$cmd" in
  install)
    for s in "${services[@]}"; do install_one "$s"; done
    log "installed: ${services[*]}"
    ;;
  start) start_all ;;
  stop) stop_all ;;
  restart)
    stop_all
    start_all
    ;;
  kill)
    [ "$NAMED_INSTANCE" -eq 1 ] || die "kill is for named instances (--instance NAME): the default instance's servers are shared; use stop"
    for s in "${services[@]}"; do "$(svc_fn "$s" kill)"; done
    ;;
  status) for s in "${services[@]}"; do "$(svc_fn "$s" status)"; done ;;
  wait) wait_all ;;
  env) print_env ;;
  destroy)
    [ "$NAMED_INSTANCE" -eq 1 ] || die "destroy is for named instances (--instance NAME)"
    services=("${ALL_SERVICES[@]}")
    stop_all
    rm -rf "$IRUN"
    log "destroyed instance $INSTANCE"
    ;;
esac
