# shellcheck shell=bash
# Kafka (KRaft, one node) and Cassandra for scripts/services.sh (sourced).
# Expects KAFKA_PORT, KAFKA_CONTROLLER_PORT, CASSANDRA_PORT, CASSANDRA_STORAGE_PORT,
# KAFKA_CONF, CASSANDRA_CONF (config folders), IRUN, FRESH, NAMED_INSTANCE.

KAFKA_CLUSTER_ID="MkU3OEVBNTcwNTJENDM2Qk"

# The config path is on the JVM's command line, so it tells this instance's JVM from another's.
jvm_marker() {
  case "$1" in
    kafka) echo "$KAFKA_CONF/server.properties" ;;
    cassandra) echo "file://$CASSANDRA_CONF/cassandra.yaml" ;;
  esac
}
jvm_pid() { live_pid "$IRUN/$1.pid" "$(jvm_marker "$1")"; }
jvm_ports() {
  case "$1" in
    kafka) echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
    cassandra) echo "$CASSANDRA_PORT $CASSANDRA_STORAGE_PORT" ;;
  esac
}
jvm_address() {
  case "$1" in
    kafka) echo "127.0.0.1:$KAFKA_PORT" ;;
    cassandra) echo "127.0.0.1:$CASSANDRA_PORT" ;;
  esac
}
jvm_data() {
  case "$1" in
    kafka) echo "$IRUN/kafka-data" ;;
    cassandra) echo "$IRUN/cassandra" ;;
  esac
}

write_kafka_config() {
  mkdir -p "$KAFKA_CONF"
  cat >"$KAFKA_CONF/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$IRUN/kafka-data
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
  cat >"$KAFKA_CONF/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
}

write_cassandra_config() {
  local d="$IRUN/cassandra"
  mkdir -p "$CASSANDRA_CONF"
  cat >"$CASSANDRA_CONF/cassandra.yaml" <<EOF
cluster_name: quarry-test
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$CASSANDRA_STORAGE_PORT"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $CASSANDRA_STORAGE_PORT
native_transport_port: $CASSANDRA_PORT
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
  cat >"$CASSANDRA_CONF/logback.xml" <<'EOF'
<configuration><appender name="C" class="ch.qos.logback.core.ConsoleAppender">
  <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder></appender>
  <root level="INFO"><appender-ref ref="C"/></root></configuration>
EOF
}

# Launches the JVM in the background and records its pid; readiness is awaited separately.
# The storage is formatted only when empty (`--ignore-formatted`), so a relaunch keeps its data.
launch_kafka() {
  local lib="$INFRA/kafka/lib"
  write_kafka_config
  [ "$FRESH" -eq 0 ] || rm -rf "$IRUN/kafka-data"
  "$JAVA" -cp "$lib/*" -Dlog4j.configuration="file:$KAFKA_CONF/log4j.properties" kafka.tools.StorageTool \
    format -t "$KAFKA_CLUSTER_ID" -c "$KAFKA_CONF/server.properties" --ignore-formatted \
    >"$IRUN/kafka-format.log" 2>&1 9>&- 8>&- || { tail_logs "$IRUN/kafka-format.log"; die "kafka: storage format failed"; }
  # setsid: a server outlives the shell (and process group) that started it, until stopped by pid.
  nohup setsid "$JAVA" -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$KAFKA_CONF/log4j.properties" \
    -Dkafka.logs.dir="$IRUN/logs" -cp "$lib/*" kafka.Kafka "$KAFKA_CONF/server.properties" \
    >"$IRUN/kafka.log" 2>&1 </dev/null 9>&- 8>&- &
  echo $! >"$IRUN/kafka.pid"
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

# unsafesystem skips the commit log for schema tables: fast DDL for the shared test server,
# but a SIGKILL then forgets recently created tables (and the rows written to them). Named
# instances are for fault tests, so theirs keep the commit log.
launch_cassandra() {
  local l="$INFRA/cassandra/lib" jamm unsafe_system=true
  [ "$NAMED_INSTANCE" -eq 0 ] || unsafe_system=false
  write_cassandra_config
  [ "$FRESH" -eq 0 ] || rm -rf "$IRUN/cassandra"
  mkdir -p "$IRUN/cassandra"
  jamm="$(find "$l" -maxdepth 1 -name 'jamm-*.jar' | head -n 1)"
  [ -n "$jamm" ] || die "cassandra: jamm jar missing from $l"
  local -a jpms
  mapfile -t jpms < <(cassandra_jpms_flags)
  nohup setsid "$JAVA" -Xms1G -Xmx1G -Xss256k -XX:+UseG1GC -XX:+ParallelRefProcEnabled \
    -XX:MaxGCPauseMillis=300 -XX:+ExitOnOutOfMemoryError -ea -da:net.openhft... \
    -Djava.net.preferIPv4Stack=true \
    "${jpms[@]}" -javaagent:"$jamm" \
    -Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.useCacheForAllThreads=true \
    -Dio.netty.allocator.maxOrder=11 -Dlogback.configurationFile="$CASSANDRA_CONF/logback.xml" \
    -Dcassandra.config="file://$CASSANDRA_CONF/cassandra.yaml" -Dcassandra-foreground=yes \
    -Dcassandra.storagedir="$IRUN/cassandra" -Dcassandra.logdir="$IRUN/logs" \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.unsafesystem="$unsafe_system" \
    -cp "$l/*" org.apache.cassandra.service.CassandraDaemon \
    >"$IRUN/cassandra.log" 2>&1 </dev/null 9>&- 8>&- &
  echo $! >"$IRUN/cassandra.pid"
}

wait_ready() { tsx_run scripts/wait-ready.ts "$1" "$2" "${3:-}" "$(jvm_address "$1")"; }

# Starts the given JVM services in parallel, then waits for all of them.
start_jvms() {
  local -a todo=() waits=() names=()
  local -A started=()
  local s pid p main
  for s in "$@"; do
    if pid="$(jvm_pid "$s")"; then
      log "$s: already running (pid $pid)$([ "$FRESH" -eq 1 ] && echo '; --fresh not applied to a running server')"
      names+=("$s") # not relaunched, but still awaited: it may have been launched moments ago
      continue
    fi
    main="$(jvm_ports "$s")"
    main="${main%% *}"
    # The default instance uses a server someone else started on its port when it answers
    # (shared box); a named instance is for fault tests, so it must own its servers.
    if [ "$NAMED_INSTANCE" -eq 0 ] && port_busy "$main" && wait_ready "$s" 5 >/dev/null 2>&1; then
      log "$s: WARNING: port $main is served by a process this script did not start" \
        "(pid $(port_owner "$main")); using it, and 'stop' will not touch it"
      continue
    fi
    for p in $(jvm_ports "$s"); do
      port_busy "$p" && die "$s: port $p is taken by a process this script did not start" \
        "(pid $(port_owner "$p")), and it does not answer as $s"
    done
    todo+=("$s")
  done
  for s in "${todo[@]}"; do
    install_one "$s"
    log "$s: starting ($([ "$FRESH" -eq 1 ] && echo 'fresh data' || echo "data kept in $(jvm_data "$s")"))"
    "launch_$s"
    started[$s]=$SECONDS
    names+=("$s")
  done
  [ "${#names[@]}" -gt 0 ] || return 0
  for s in "${names[@]}"; do
    local deadline=60
    [ "$s" = cassandra ] && deadline=120
    wait_ready "$s" "$deadline" "$(cat "$IRUN/$s.pid")" &
    waits+=($!)
  done
  local i failed=0
  for i in "${!waits[@]}"; do
    s="${names[$i]}"
    if wait "${waits[$i]}"; then
      log "$s: ready on $(jvm_address "$s") (pid $(cat "$IRUN/$s.pid")${started[$s]:+, $((SECONDS - started[$s])) s})"
    else
      failed=1
      tail_logs "$IRUN/$s.log" "$IRUN/$s-format.log"
      log "$s: FAILED to become ready"
    fi
  done
  [ "$failed" -eq 0 ] || die "some services failed to start; logs are in $IRUN/"
}

stop_jvm() {
  local pid
  if pid="$(jvm_pid "$1")"; then
    terminate_pid "$1" "$pid"
    # shellcheck disable=SC2046 # two port numbers
    wait_ports_free $(jvm_ports "$1")
    log "$1: stopped"
  else
    log "$1: not running"
  fi
  rm -f "$IRUN/$1.pid"
}

kill_jvm() {
  local pid
  pid="$(jvm_pid "$1")" || die "$1: not running, nothing to kill"
  kill_pid "$pid"
  # shellcheck disable=SC2046 # two port numbers
  wait_ports_free $(jvm_ports "$1")
  log "$1: killed pid $pid (SIGKILL)"
}

status_jvm() {
  local pid main
  main="$(jvm_ports "$1")"
  main="${main%% *}"
  if pid="$(jvm_pid "$1")"; then
    echo "$1: running (pid $pid) on $(jvm_address "$1")"
  elif port_busy "$main"; then
    echo "$1: running externally on port $main (pid $(port_owner "$main"), not managed by this script)"
  else
    echo "$1: stopped"
  fi
}
