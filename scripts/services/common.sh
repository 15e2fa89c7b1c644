# shellcheck shell=bash
# Shared helpers of scripts/services.sh (sourced, not run): logging, pid files, ports, installs.
# Expects ROOT, INFRA, RUN (the root run dir) and IRUN (this instance's run dir) to be set.

log() { printf '[services%s] %s\n' "${INSTANCE_TAG:-}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

JAVA_HOME_17="${QUARRY_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
JAVA="$JAVA_HOME_17/bin/java"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies"
STOP_GRACE_SECONDS=30

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

# ---------- processes and ports -----------------------------------------------------------

# Prints the pid saved in $1 when that process is alive and its command line contains $2
# (so a recycled pid, or another instance's server, is never mistaken for ours).
live_pid() {
  local f="$1" marker="$2" pid
  [ -s "$f" ] || return 1
  pid="$(tr -d '[:space:]' <"$f")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_owner() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true
}

# SIGTERM, then SIGKILL after the grace period; returns once the process is gone.
terminate_pid() {
  local name="$1" pid="$2" waited=0
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  while ! pid_gone "$pid" && [ "$waited" -lt $((STOP_GRACE_SECONDS * 5)) ]; do
    sleep 0.2
    waited=$((waited + 1))
  done
  if ! pid_gone "$pid"; then
    log "$name: still alive after ${STOP_GRACE_SECONDS} s, sending SIGKILL"
    kill_pid "$pid"
  fi
}

# True once every thread of the process has exited (a zombie leader alone may remain until its
# parent reaps it; a JVM's leader turns zombie while its other threads are still closing files).
pid_gone() {
  [ -d "/proc/$1" ] || return 0
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && [ "$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -le 1 ]
}

# SIGKILL, and wait until every thread is gone.
kill_pid() {
  local pid="$1" waited=0
  kill -KILL "$pid" 2>/dev/null || true
  until pid_gone "$pid" || [ "$waited" -ge 200 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
}

# After a kill or stop: the ports are free again before anyone relaunches on them.
wait_ports_free() {
  local p waited=0
  for p in "$@"; do
    while port_busy "$p" && [ "$waited" -lt 150 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    port_busy "$p" && log "WARNING: port $p still answers after the server exited (pid $(port_owner "$p"))"
  done
  return 0
}

tail_logs() {
  local f
  for f in "$@"; do
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

# Installs write shared folders (.infra/<server>/lib, Debian packages): one at a time across
# every instance and every worktree.
with_install_lock() {
  (
    flock -w 900 8 || die "another install held $RUN/install.lock for 15 minutes"
    "$@"
  ) 8>"$RUN/install.lock"
}

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
    die "$name: mvn copy-dependencies failed (log: $RUN/mvn-$name.log)"
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
    redis | redis-cluster) with_install_lock install_redis ;;
    kafka | cassandra) with_install_lock install_jars "$1" ;;
  esac
}
