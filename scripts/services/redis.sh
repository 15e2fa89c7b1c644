# shellcheck shell=bash
# Redis and Redis Cluster for scripts/services.sh (sourced). Both persist with AOF
# (appendfsync everysec) in the instance's run dir; `--fresh` wipes it before a launch.
# Expects REDIS_PORT, CLUSTER_PORTS (array), IRUN, FRESH, NAMED_INSTANCE.

redis_pid() { live_pid "$IRUN/redis.pid" "127.0.0.1:$REDIS_PORT"; }
cluster_node_pid() { live_pid "$IRUN/redis-cluster/$1.pid" "127.0.0.1:$1"; }
redis_ping() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }

# One redis-server, daemonized, AOF in $dir. Extra flags (cluster mode) follow the dir.
launch_redis_server() {
  local port="$1" dir="$2" pidfile="$3" logfile="$4"
  shift 4
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --save '' \
    --appendonly yes --appendfsync everysec --dir "$dir" \
    --daemonize yes --pidfile "$pidfile" --logfile "$logfile" "$@" 9>&- 8>&-
}

wait_redis_ping() {
  local port="$1" logfile="$2" deadline=$((SECONDS + 20))
  until redis_ping "$port"; do
    if [ "$SECONDS" -ge "$deadline" ]; then tail_logs "$logfile"; die "redis on $port: not ready after 20 s"; fi
    sleep 0.2
  done
}

# A port already served: the default instance uses a Redis someone else started (shared box);
# a named instance is for fault tests, so it must own its server.
refuse_foreign_port() {
  local name="$1" port="$2"
  port_busy "$port" || return 0
  if [ "$NAMED_INSTANCE" -eq 0 ] && [ "$name" = redis ] && redis_ping "$port"; then
    log "redis: WARNING: port $port is served by a process this script did not start" \
      "(pid $(port_owner "$port")); using it, and 'stop' will not touch it"
    return 1
  fi
  die "$name: port $port is taken by pid $(port_owner "$port"), which this script did not start"
}

start_redis() {
  local pid
  if pid="$(redis_pid)"; then
    log "redis: already running (pid $pid)$([ "$FRESH" -eq 1 ] && echo '; --fresh not applied to a running server')"
    return 0
  fi
  refuse_foreign_port redis "$REDIS_PORT" || return 0
  if [ "$FRESH" -eq 1 ]; then rm -rf "$IRUN/redis-data"; fi
  rm -f "$IRUN/redis.log"
  launch_redis_server "$REDIS_PORT" "$IRUN/redis-data" "$IRUN/redis.pid" "$IRUN/redis.log"
  wait_redis_ping "$REDIS_PORT" "$IRUN/redis.log"
  log "redis: ready on 127.0.0.1:$REDIS_PORT (pid $(redis_pid), AOF in $IRUN/redis-data)"
}

# ---------- Redis Cluster: three masters, no replicas ------------------------------------

cluster_info_field() {
  redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

cluster_healthy() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    [ "$(cluster_info_field "$p" cluster_state)" = ok ] || return 1
    [ "$(cluster_info_field "$p" cluster_slots_ok)" = 16384 ] || return 1
    [ "$(cluster_info_field "$p" cluster_known_nodes)" = "${#CLUSTER_PORTS[@]}" ] || return 1
  done
}

start_redis_cluster() {
  local p pid dir="$IRUN/redis-cluster" launched=0 assigned=0
  for p in "${CLUSTER_PORTS[@]}"; do
    if pid="$(cluster_node_pid "$p")"; then continue; fi
    port_busy "$p" && die "redis-cluster: port $p is taken by pid $(port_owner "$p"), which this script did not start"
    port_busy $((p + 10000)) && die "redis-cluster: bus port $((p + 10000)) is taken by pid $(port_owner $((p + 10000)))"
  done
  if [ "$FRESH" -eq 1 ]; then
    local any=0
    for p in "${CLUSTER_PORTS[@]}"; do cluster_node_pid "$p" >/dev/null && any=1; done
    if [ "$any" -eq 1 ]; then
      log "redis-cluster: already running; --fresh not applied to a running cluster"
    else
      rm -rf "$dir"
    fi
  fi
  mkdir -p "$dir"
  for p in "${CLUSTER_PORTS[@]}"; do
    if pid="$(cluster_node_pid "$p")"; then continue; fi
    rm -f "$dir/$p.log"
    launch_redis_server "$p" "$dir/$p" "$dir/$p.pid" "$dir/$p.log" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
    launched=$((launched + 1))
  done
  for p in "${CLUSTER_PORTS[@]}"; do wait_redis_ping "$p" "$dir/$p.log"; done
  if ! cluster_healthy; then
    for p in "${CLUSTER_PORTS[@]}"; do
      [ "$(cluster_info_field "$p" cluster_slots_assigned)" = 0 ] || assigned=1
    done
    if [ "$assigned" -eq 0 ]; then
      log "redis-cluster: creating a ${#CLUSTER_PORTS[@]}-master cluster"
      local -a nodes=()
      for p in "${CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done
      redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
        { tail_logs "$dir/create.log"; die "redis-cluster: redis-cli --cluster create failed"; }
    fi
    # Nodes restarted on their nodes.conf rejoin by themselves; a fresh cluster needs gossip.
    local deadline=$((SECONDS + 30))
    until cluster_healthy; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        for p in "${CLUSTER_PORTS[@]}"; do redis-cli -p "$p" cluster info 2>&1 | head -n 7 >&2; done
        die "redis-cluster: not healthy after 30 s (a half-made cluster? retry with --fresh)"
      fi
      sleep 0.3
    done
  fi
  if [ "$launched" -eq 0 ]; then
    log "redis-cluster: already running on $(cluster_seeds)"
  else
    log "redis-cluster: ready on $(cluster_seeds) (AOF in $dir)"
  fi
}

cluster_seeds() {
  local p out=""
  for p in "${CLUSTER_PORTS[@]}"; do out+="${out:+,}127.0.0.1:$p"; done
  echo "$out"
}

cluster_url() {
  local p out=""
  for p in "${CLUSTER_PORTS[@]}"; do out+="${out:+,}redis://127.0.0.1:$p"; done
  echo "$out"
}

# ---------- stop / kill / status ----------------------------------------------------------

stop_redis() {
  local pid
  if pid="$(redis_pid)"; then terminate_pid redis "$pid"; wait_ports_free "$REDIS_PORT"; log "redis: stopped"; else log "redis: not running"; fi
  rm -f "$IRUN/redis.pid"
}

stop_redis_cluster() {
  local p pid any=0
  for p in "${CLUSTER_PORTS[@]}"; do
    if pid="$(cluster_node_pid "$p")"; then terminate_pid "redis-cluster:$p" "$pid" & any=1; fi
  done
  wait
  wait_ports_free "${CLUSTER_PORTS[@]}"
  rm -f "$IRUN"/redis-cluster/*.pid
  if [ "$any" -eq 1 ]; then log "redis-cluster: stopped"; else log "redis-cluster: not running"; fi
}

kill_redis() {
  local pid
  pid="$(redis_pid)" || die "redis: not running, nothing to kill"
  kill_pid "$pid"
  wait_ports_free "$REDIS_PORT"
  log "redis: killed pid $pid (SIGKILL)"
}

kill_redis_cluster() {
  local p pid any=0
  for p in "${CLUSTER_PORTS[@]}"; do
    if pid="$(cluster_node_pid "$p")"; then kill_pid "$pid"; log "redis-cluster: killed node $p (pid $pid, SIGKILL)"; any=1; fi
  done
  [ "$any" -eq 1 ] || die "redis-cluster: not running, nothing to kill"
  wait_ports_free "${CLUSTER_PORTS[@]}"
}

status_redis() {
  local pid
  if pid="$(redis_pid)"; then
    echo "redis: running (pid $pid) on 127.0.0.1:$REDIS_PORT"
  elif port_busy "$REDIS_PORT"; then
    echo "redis: running externally on port $REDIS_PORT (pid $(port_owner "$REDIS_PORT"), not managed by this script)"
  else
    echo "redis: stopped"
  fi
}

status_redis_cluster() {
  local p pid up=0 pids=""
  for p in "${CLUSTER_PORTS[@]}"; do
    if pid="$(cluster_node_pid "$p")"; then up=$((up + 1)); pids+="${pids:+ }$pid"; fi
  done
  if [ "$up" -eq 0 ]; then
    echo "redis-cluster: stopped"
  elif [ "$up" -lt "${#CLUSTER_PORTS[@]}" ]; then
    echo "redis-cluster: degraded ($up of ${#CLUSTER_PORTS[@]} nodes up, pids $pids) on $(cluster_seeds)"
  elif cluster_healthy; then
    echo "redis-cluster: running (pids $pids) on $(cluster_seeds)"
  else
    echo "redis-cluster: degraded (all nodes up, pids $pids, cluster_state not ok) on $(cluster_seeds)"
  fi
}
