#!/usr/bin/env bash
# Real test servers on loopback: Redis 6390, Kafka 9092 (controller 9093), Cassandra 9042.
#   bash scripts/services.sh {install|start|stop|status} [redis|kafka|cassandra|all]
# install: Redis from Debian packages, Kafka 3.9.1 / Cassandra 5.0.6 jars from Maven Central
#          into .infra/<server>/lib (only when missing or incomplete).
# start:   installs if needed, starts with fresh data dirs, waits for readiness (idempotent).
# stop:    SIGTERM by saved pid, SIGKILL after 30 s.
# Logs and pid files live in .infra/run/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="$ROOT/.infra"
RUN="$INFRA/run"
JAVA_HOME_17="${QUARRY_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
JAVA="$JAVA_HOME_17/bin/java"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies"
REDIS_PORT=6390
KAFKA_CLUSTER_ID="MkU3OEVBNTcwNTJENDM2Qk"
STOP_GRACE_SECONDS=30

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# ---------- process helpers -------------------------------------------------------------

pid_file() { echo "$RUN/$1.pid"; }

# Marker that must appear in /proc/<pid>/cmdline, so a recycled pid is never mistaken.
cmd_marker() {
  case "$1" in
    redis) echo "redis-server" ;;
    kafka) echo "kafka.Kafka" ;;
    cassandra) echo "org.apache.cassandra.service.CassandraDaemon" ;;
  esac
}

# Prints the pid when the service's saved pid is alive and really is that server.
running_pid() {
  local f pid
  f="$(pid_file "$1")"
  [ -s "$f" ] || return 1
  pid="$(tr -d '[:space:]' <"$f")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(cmd_marker "$1")" || return 1
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_owner() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true
}

tail_logs() {
  local f
  for f in "$RUN/$1.log" "$RUN/$1-format.log"; do
    [ -f "$f" ] || continue
    log "---- last 40 lines of $f ----"
    tail -n 40 "$f" >&2
  done
}

tsx_run() {
  if [ -x "$ROOT/node_modules/.bin/tsx" ]; then
    (cd "$ROOT" && node --import tsx "$@")
  else
    (cd "$ROOT" && npx --yes tsx "$@")
  fi
}

# ---------- install -----------------------------------------------------------------------

ensure_java_and_maven() {
  [ -x "$JAVA" ] || apt_install openjdk-17-jdk-headless
  [ -x "$JAVA" ] || die "JDK 17 not found at $JAVA_HOME_17 (set QUARRY_JAVA_HOME)"
  command -v mvn >/dev/null 2>&1 || apt_install maven
}

# Jars are copied into lib/; lib/.complete holds the pom's checksum once the copy succeeded,
# so an interrupted copy (or a changed pom) is redone.
install_jars() {
  local name="$1" pom="$ROOT/infra/$1/pom.xml" lib="$INFRA/$1/lib" sum
  sum="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [ -f "$lib/.complete" ] && [ "$(cat "$lib/.complete")" = "$sum" ]; then return 0; fi
  ensure_java_and_maven
  log "$name: copying jars from Maven into ${lib#"$ROOT"/}"
  rm -rf "$lib.partial"
  if ! JAVA_HOME="$JAVA_HOME_17" mvn -B -q -Dstyle.color=never -f "$pom" "$DEP_PLUGIN" \
    -DincludeScope=runtime -DoutputDirectory="$lib.partial" >"$RUN/mvn-$name.log" 2>&1; then
    tail -n 40 "$RUN/mvn-$name.log" >&2
    die "$name: mvn copy-dependencies failed (log: ${RUN#"$ROOT"/}/mvn-$name.log)"
  fi
  if [ -d "$lib" ] && diff -rq -x .complete "$lib" "$lib.partial" >/dev/null 2>&1; then
    rm -rf "$lib.partial" # same jars: leave lib/ alone, a running JVM may be reading it
  else
    rm -rf "$lib"
    mv "$lib.partial" "$lib"
  fi
  echo "$sum" >"$lib/.complete"
  log "$name: $(find "$lib" -name '*.jar' | wc -l) jars"
}

install_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
}

install_one() {
  case "$1" in
    redis) install_redis ;;
    kafka | cassandra) ensure_java_and_maven; install_jars "$1" ;;
  esac
}

# ---------- configs -----------------------------------------------------------------------

write_kafka_config() {
  local k="$INFRA/kafka"
  cat >"$k/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://127.0.0.1:9092
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$RUN/kafka-data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.network.threads=2
num.io.threads=2
EOF
  cat >"$k/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
}

write_cassandra_config() {
  local c="$INFRA/cassandra" d="$RUN/cassandra"
  cat >"$c/cassandra.yaml" <<EOF
cluster_name: quarry-test
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:7000"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: 7000
native_transport_port: 9042
start_native_transport: true
commitlog_sync: periodic
commitlog_sync_period: 10000ms
data_file_directories: [$d/data]
commitlog_directory: $d/commitlog
hints_directory: $d/hints
saved_caches_directory: $d/saved_caches
cdc_raw_directory: $d/cdc_raw
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
EOF
  cat >"$c/logback.xml" <<'EOF'
<configuration><appender name="C" class="ch.qos.logback.core.ConsoleAppender">
  <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder></appender>
  <root level="INFO"><appender-ref ref="C"/></root></configuration>
EOF
}

# ---------- start -------------------------------------------------------------------------

launch_redis() {
  local pid
  if pid="$(running_pid redis)"; then log "redis: already running (pid $pid)"; return 0; fi
  if port_busy "$REDIS_PORT"; then
    if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
      log "redis: WARNING: port $REDIS_PORT is served by a process this script did not start" \
        "(pid $(port_owner "$REDIS_PORT")); using it, and 'stop' will not touch it"
      return 0
    fi
    die "redis: port $REDIS_PORT is taken by pid $(port_owner "$REDIS_PORT"), which does not answer PING"
  fi
  rm -f "$RUN/redis.log"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --dir "$RUN" --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log" 9>&-
  local deadline=$((SECONDS + 20))
  until redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; do
    if [ "$SECONDS" -ge "$deadline" ]; then tail_logs redis; die "redis: not ready after 20 s"; fi
    sleep 0.2
  done
  log "redis: ready on 127.0.0.1:$REDIS_PORT (pid $(running_pid redis))"
}

# Launches the JVM in the background and records its pid; readiness is awaited separately.
launch_kafka() {
  local k="$INFRA/kafka"
  write_kafka_config
  rm -rf "$RUN/kafka-data"
  "$JAVA" -cp "$k/lib/*" -Dlog4j.configuration="file:$k/log4j.properties" kafka.tools.StorageTool \
    format -t "$KAFKA_CLUSTER_ID" -c "$k/server.properties" --ignore-formatted \
    >"$RUN/kafka-format.log" 2>&1 9>&- || { tail_logs kafka; die "kafka: storage format failed"; }
  # setsid: a server outlives the shell (and process group) that started it, until stopped by pid.
  nohup setsid "$JAVA" -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$k/log4j.properties" \
    -Dkafka.logs.dir="$RUN/logs" -cp "$k/lib/*" kafka.Kafka "$k/server.properties" \
    >"$RUN/kafka.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/kafka.pid"
}

# JVM flags: conf/jvm17-server.options, conf/jvm-server.options and cassandra-env.sh (jamm
# agent) of Cassandra 5.0, plus ExitOnOutOfMemoryError (its startup check asks for one).
# The JPMS list is conf/jvm17-server.options of Cassandra 5.0, verbatim.
cassandra_jpms_flags() {
  local A=ALL-UNNAMED e
  printf '%s\n' -Djdk.attach.allowAttachSelf=true
  for e in java.base/jdk.internal.misc java.management.rmi/com.sun.jmx.remote.internal.rmi \
    java.rmi/sun.rmi.registry java.rmi/sun.rmi.server java.sql/java.sql java.base/java.lang.ref \
    jdk.unsupported/sun.misc jdk.compiler/com.sun.tools.javac.file jdk.attach/sun.tools.attach; do
    printf '%s\n' --add-exports "$e=$A"
  done
  for e in java.base/java.lang.module java.base/jdk.internal.loader java.base/jdk.internal.ref \
    java.base/jdk.internal.reflect java.base/jdk.internal.math java.base/jdk.internal.module \
    java.base/jdk.internal.util.jar jdk.management/com.sun.management.internal \
    java.base/sun.nio.ch java.base/java.io java.base/java.lang.reflect \
    jdk.compiler/com.sun.tools.javac java.base/java.lang java.base/java.util; do
    printf '%s\n' --add-opens "$e=$A"
  done
}

launch_cassandra() {
  local c="$INFRA/cassandra" l="$INFRA/cassandra/lib" jamm
  write_cassandra_config
  rm -rf "$RUN/cassandra"
  mkdir -p "$RUN/cassandra"
  jamm="$(find "$l" -maxdepth 1 -name 'jamm-*.jar' | head -n 1)"
  [ -n "$jamm" ] || die "cassandra: jamm jar missing from $l"
  local -a jpms
  mapfile -t jpms < <(cassandra_jpms_flags)
  nohup setsid "$JAVA" -Xms1G -Xmx1G -Xss256k -XX:+UseG1GC -XX:+ParallelRefProcEnabled \
    -XX:MaxGCPauseMillis=300 -XX:+ExitOnOutOfMemoryError -ea -da:net.openhft... \
    -Djava.net.preferIPv4Stack=true \
    "${jpms[@]}" -javaagent:"$jamm" \
    -Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.useCacheForAllThreads=true \
    -Dio.netty.allocator.maxOrder=11 -Dlogback.configurationFile="$c/logback.xml" \
    -Dcassandra.config="file://$c/cassandra.yaml" -Dcassandra-foreground=yes \
    -Dcassandra.storagedir="$RUN/cassandra" -Dcassandra.logdir="$RUN/logs" \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.unsafesystem=true \
    -cp "$l/*" org.apache.cassandra.service.CassandraDaemon \
    >"$RUN/cassandra.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/cassandra.pid"
}

# Starts the given JVM services in parallel, then waits for all of them.
start_jvms() {
  local -a todo=() waits=() names=()
  local s pid ports
  for s in "$@"; do
    if pid="$(running_pid "$s")"; then
      log "$s: already running (pid $pid)"
      names+=("$s") # not restarted, but still awaited: it may have been launched moments ago
      continue
    fi
    case "$s" in kafka) ports="9092 9093" ;; cassandra) ports="9042 7000" ;; esac
    # A server someone else started on our port is used as is when it answers (shared box).
    if port_busy "${ports%% *}" && tsx_run scripts/wait-ready.ts "$s" 5 >/dev/null 2>&1; then
      log "$s: WARNING: port ${ports%% *} is served by a process this script did not start" \
        "(pid $(port_owner "${ports%% *}")); using it, and 'stop' will not touch it"
      continue
    fi
    for p in $ports; do
      port_busy "$p" && die "$s: port $p is taken by a process this script did not start" \
        "(pid $(port_owner "$p")), and it does not answer as $s"
    done
    todo+=("$s")
  done
  for s in "${todo[@]}"; do
    install_one "$s"
    log "$s: starting"
    "launch_$s"
    eval "START_$s=$SECONDS"
    names+=("$s")
  done
  [ "${#names[@]}" -gt 0 ] || return 0
  for s in "${names[@]}"; do
    local deadline=60
    [ "$s" = cassandra ] && deadline=120
    eval "START_$s=\${START_$s:-$SECONDS}"
    tsx_run scripts/wait-ready.ts "$s" "$deadline" "$(cat "$RUN/$s.pid")" &
    waits+=($!)
  done
  local i failed=0 t0
  for i in "${!waits[@]}"; do
    s="${names[$i]}"
    if wait "${waits[$i]}"; then
      eval "t0=\$START_$s"
      log "$s: ready on 127.0.0.1:$(main_port "$s") (pid $(cat "$RUN/$s.pid"), $((SECONDS - t0)) s)"
    else
      failed=1
      tail_logs "$s"
      log "$s: FAILED to become ready"
    fi
  done
  [ "$failed" -eq 0 ] || die "some services failed to start; logs are in ${RUN#"$ROOT"/}/"
}

# ---------- stop / status -----------------------------------------------------------------

stop_one() {
  local s="$1" pid waited=0
  if ! pid="$(running_pid "$s")"; then
    log "$s: not running"
    rm -f "$(pid_file "$s")"
    return 0
  fi
  log "$s: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  while [ -d "/proc/$pid" ] && [ "$waited" -lt $((STOP_GRACE_SECONDS * 5)) ]; do
    sleep 0.2
    waited=$((waited + 1))
  done
  if [ -d "/proc/$pid" ]; then
    log "$s: still alive after ${STOP_GRACE_SECONDS} s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$s")"
  log "$s: stopped"
}

main_port() {
  case "$1" in redis) echo "$REDIS_PORT" ;; kafka) echo 9092 ;; cassandra) echo 9042 ;; esac
}

status_one() {
  local pid port
  port="$(main_port "$1")"
  if pid="$(running_pid "$1")"; then
    echo "$1: running (pid $pid)"
  elif port_busy "$port"; then
    echo "$1: running externally on port $port (pid $(port_owner "$port"), not managed by this script)"
  else
    echo "$1: stopped"
  fi
}

# ---------- main --------------------------------------------------------------------------

cmd="${1:-}"
target="${2:-all}"
case "$target" in
  all) services=(redis kafka cassandra) ;;
  redis | kafka | cassandra) services=("$target") ;;
  *) die "Expected target to be redis|kafka|cassandra|all, got \`$target\`" ;;
esac
mkdir -p "$RUN/logs" "$INFRA/kafka" "$INFRA/cassandra"

# Servers are launched with fd 9 closed (`9>&-`) so they never inherit, and hold, the lock.
if [ "$cmd" = start ] || [ "$cmd" = stop ] || [ "$cmd" = install ]; then
  exec 9>"$RUN/services.lock"
  flock -w 600 9 || die "another services.sh $cmd held the lock for 10 minutes"
fi

case "$cmd" in
  install)
    for s in "${services[@]}"; do install_one "$s"; done
    log "installed: ${services[*]}"
    ;;
  start)
    jvms=()
    for s in "${services[@]}"; do
      if [ "$s" = redis ]; then install_redis; launch_redis; else jvms+=("$s"); fi
    done
    [ "${#jvms[@]}" -eq 0 ] || start_jvms "${jvms[@]}"
    ;;
  stop)
    # Stop in parallel: each JVM may take a while to shut down.
    pids=()
    for s in "${services[@]}"; do stop_one "$s" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p"; done
    ;;
  status)
    for s in "${services[@]}"; do status_one "$s"; done
    ;;
  *)
    echo "usage: bash scripts/services.sh {install|start|stop|status} [redis|kafka|cassandra|all]" >&2
    exit 2
    ;;
esac
