#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted `bash -c` bodies below expand in the child shell on purpose
# Passage local stack: a REAL Apache Kafka broker (KRaft, single node) and a REAL
# schema registry with a Confluent-compatible API (Apicurio Registry), run straight
# on the machine's Java -- no Docker, no root. Everything is fetched from Maven
# Central (through `mvn`) into a cache folder.
#
#   deploy/local/stack.sh install   download everything into the cache (idempotent)
#   deploy/local/stack.sh up        install if needed, start Kafka then the registry, wait until ready
#   deploy/local/stack.sh down      stop both, delete Kafka's data (throwaway) and the run state
#   deploy/local/stack.sh status    print whether each is up (exit 0 only if both are up)
#   deploy/local/stack.sh env       print `export KAFKA_BROKERS=...` / `export SCHEMA_REGISTRY_URL=...`
#
# Environment:
#   PASSAGE_STACK_DIR               cache folder (default: <repo>/.cache/stack)
#   PASSAGE_KAFKA_PORT              Kafka PLAINTEXT listener (default 19092)
#   PASSAGE_KAFKA_CONTROLLER_PORT   KRaft controller listener (default 19093)
#   PASSAGE_REGISTRY_PORT           registry HTTP port (default 18081)
#   PASSAGE_KAFKA_TIMEOUT / PASSAGE_REGISTRY_TIMEOUT   readiness wait in seconds (default 90)
#   PASSAGE_KAFKA_JAVA_OPTS / PASSAGE_REGISTRY_JAVA_OPTS  extra JVM options (word-split)
#   JAVA_HOME                       if set, $JAVA_HOME/bin/java is used, else `java` from PATH
#
# See deploy/local/README.md.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_DIR="$(cd -- "$SCRIPT_DIR/../.." && pwd -P)"

KAFKA_VERSION="3.9.1"
APICURIO_VERSION="3.0.9"   # 3.1+ is compiled for Java 21; 3.0.x runs on Java 17.
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
# For the Apicurio archive: its parent POM (io.apicurio:apicurio-registry:3.0.9:pom) is
# missing from Maven Central, so plugin 3.x fails with "Failed to read artifact descriptor".
# 2.10's `copy` resolves the single file without reading the descriptor.
DEP_PLUGIN_NO_DESCRIPTOR="org.apache.maven.plugins:maven-dependency-plugin:2.10"
CCOMPAT_PATH="/apis/ccompat/v7"

KAFKA_PORT="${PASSAGE_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${PASSAGE_KAFKA_CONTROLLER_PORT:-19093}"
REGISTRY_PORT="${PASSAGE_REGISTRY_PORT:-18081}"
KAFKA_TIMEOUT="${PASSAGE_KAFKA_TIMEOUT:-90}"
REGISTRY_TIMEOUT="${PASSAGE_REGISTRY_TIMEOUT:-90}"

STACK_DIR="${PASSAGE_STACK_DIR:-$REPO_DIR/.cache/stack}"
case "$STACK_DIR" in /*) ;; *) STACK_DIR="$PWD/$STACK_DIR" ;; esac

M2_DIR="$STACK_DIR/m2"
DOWNLOAD_DIR="$STACK_DIR/downloads"
INSTALL_LOG="$STACK_DIR/install.log"
KAFKA_HOME="$STACK_DIR/kafka-$KAFKA_VERSION"
APICURIO_HOME="$STACK_DIR/apicurio-registry-$APICURIO_VERSION"
APICURIO_JAR="$APICURIO_HOME/apicurio-registry-app-$APICURIO_VERSION-runner.jar"
RUN_DIR="$STACK_DIR/run"
LOG_DIR="$RUN_DIR/logs"
KAFKA_RUN="$RUN_DIR/kafka"
REGISTRY_RUN="$RUN_DIR/registry"
KAFKA_PID_FILE="$RUN_DIR/kafka.pid"
REGISTRY_PID_FILE="$RUN_DIR/registry.pid"
KAFKA_LOG="$LOG_DIR/kafka.log"        # log4j output of the broker
KAFKA_OUT="$LOG_DIR/kafka.out"        # stdout/stderr of the broker JVM
KAFKA_FORMAT_LOG="$LOG_DIR/kafka-format.log"
REGISTRY_LOG="$LOG_DIR/registry.log"  # stdout/stderr of the registry (Quarkus logs to console)

# ---------------------------------------------------------------------------- helpers

log() { printf '[stack] %s\n' "$*" >&2; }
die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}
# Print the last lines of a log file to stderr (for error reports).
show_tail() {
  local file="$1" n="${2:-25}"
  if [[ -s "$file" ]]; then
    printf '[stack] ---- last %s lines of %s ----\n' "$n" "$file" >&2
    tail -n "$n" "$file" | sed 's/^/[stack] | /' >&2
    printf '[stack] ----\n' >&2
  fi
}

check_port_var() {
  local name="$1" value="$2"
  if ! [[ "$value" =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
    die "$name must be a TCP port number, got '$value'"
  fi
}
check_port_var PASSAGE_KAFKA_PORT "$KAFKA_PORT"
check_port_var PASSAGE_KAFKA_CONTROLLER_PORT "$CONTROLLER_PORT"
check_port_var PASSAGE_REGISTRY_PORT "$REGISTRY_PORT"
[[ "$KAFKA_PORT" != "$CONTROLLER_PORT" ]] || die "PASSAGE_KAFKA_PORT and PASSAGE_KAFKA_CONTROLLER_PORT must differ"

# Serialise concurrent invocations (two test jobs running `up` at once, etc.).
take_lock() {
  mkdir -p "$STACK_DIR" || die "cannot create the stack folder $STACK_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STACK_DIR/.lock"
    flock -w 900 9 || die "timed out waiting for the lock $STACK_DIR/.lock (another stack.sh still running?)"
  fi
}

find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"
  else
    die "java not found: install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
  fi
  local spec major
  spec="$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')"
  major="${spec#1.}"
  major="${major%%.*}"
  [[ "$major" =~ ^[0-9]+$ ]] || die "could not determine the Java version of $JAVA"
  ((major >= 17)) || die "$JAVA is Java $spec; Java 17 or newer is required (Apicurio Registry $APICURIO_VERSION needs it)"
}

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Who listens on a port (best effort, for error messages).
port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n1
  fi
}

# Read a PID file; true if that process is alive and is the one we started (its
# command line carries -Dpassage.stack.role=<role> and our stack dir).
pid_of() {
  local file="$1" role="$2" pid args
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  else
    args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  fi
  [[ "$args" == *"-Dpassage.stack.role=$role"* && "$args" == *"-Dpassage.stack.dir=$STACK_DIR "* ]] || return 1
  printf '%s\n' "$pid"
}

# Port a running component was started with (falls back to the configured one).
running_port() {
  local file="$1" default="$2" p
  if [[ -f "$file" ]]; then
    p="$(<"$file")"
    [[ "$p" =~ ^[0-9]+$ ]] && { printf '%s\n' "$p"; return; }
  fi
  printf '%s\n' "$default"
}

# Java-free Kafka readiness probe: send a real ApiVersions v0 request over
# bash's /dev/tcp and check the response carries our correlation id and error_code 0.
kafka_api_versions_ok() {
  local port="$1" out
  out="$(timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    # int32 size=10 | int16 api_key=18 (ApiVersions) | int16 api_version=0 | int32 correlation_id=7 | int16 client_id=null
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\xff\xff" >&3
    head -c 10 <&3 | od -An -tx1
  ' _ "$port" 2>/dev/null)" || return 1
  # response: int32 size | int32 correlation_id | int16 error_code
  out="$(printf '%s' "$out" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')"
  [[ "$out" =~ ^([0-9a-f]{2}\ ){4}00\ 00\ 00\ 07\ 00\ 00$ ]]
}

# HTTP status code of a GET on the registry (curl if present, else bash /dev/tcp).
http_status() {
  local port="$1" path="$2"
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$port$path" 2>/dev/null || true
  else
    timeout 5 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nAccept: application/json\r\n\r\n" "$2" "$1" >&3
      head -n1 <&3 | awk "{print \$2}"
    ' _ "$port" "$path" 2>/dev/null || true
  fi
}

kafka_ready() { kafka_api_versions_ok "$1" && grep -q "Kafka Server started" "$KAFKA_LOG" 2>/dev/null; }
registry_ready() { [[ "$(http_status "$1" "$CCOMPAT_PATH/subjects")" == "200" ]]; }

# Start a command fully detached (own session, no terminal, output to a file) and
# write its PID (the JVM's own PID, thanks to exec) into a file.
spawn() {
  local pid_file="$1" out_file="$2" workdir="$3" what="$4"
  shift 4
  rm -f "$pid_file"
  # The launcher closes every inherited fd above 2 (our lock, a caller's pipes...) so the
  # daemon cannot keep them open, writes its PID, then becomes the JVM via exec.
  local launcher=(bash -c '
    for fd in /proc/$$/fd/*; do
      fd=${fd##*/}
      if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null; fi
    done
    echo $$ >"$0"
    exec "$@"' "$pid_file" "$@")
  if command -v setsid >/dev/null 2>&1; then
    (cd "$workdir" && exec setsid "${launcher[@]}") >"$out_file" 2>&1 </dev/null &
  else
    (cd "$workdir" && exec nohup "${launcher[@]}") >"$out_file" 2>&1 </dev/null &
  fi
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "$pid_file" ]] && return 0
    sleep 0.1
  done
  die "could not start $what (no PID written to $pid_file); see $out_file"
}

# SIGTERM, wait up to $3 seconds, then SIGKILL.
stop_pid() {
  local name="$1" pid="$2" wait_s="$3" i
  log "Stopping $name (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "$name stopped."; return 0; }
    sleep 0.2
  done
  log "$name did not stop within ${wait_s}s; sending SIGKILL."
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "$name killed."; return 0; }
    sleep 0.2
  done
  log "WARNING: $name (pid $pid) is still alive after SIGKILL."
  return 1
}

render() { # template output key=value...
  local template="$1" output="$2"
  shift 2
  local content
  content="$(<"$template")"
  local kv
  for kv in "$@"; do
    content="${content//@@${kv%%=*}@@/${kv#*=}}"
  done
  printf '%s\n' "$content" >"$output"
}

# ---------------------------------------------------------------------------- install

TICKER_PID=""
start_ticker() { # prints how much the Maven cache grew while a download runs
  local dir="$1" base
  base="$(du -sm "$dir" 2>/dev/null | cut -f1 || echo 0)"
  (
    while sleep 5; do
      now="$(du -sm "$dir" 2>/dev/null | cut -f1 || echo 0)"
      printf '[stack]   ... %s MB downloaded so far\n' "$((now - ${base:-0}))" >&2
    done
  ) &
  TICKER_PID=$!
}
stop_ticker() {
  if [[ -n "$TICKER_PID" ]]; then
    kill "$TICKER_PID" 2>/dev/null || true
    wait "$TICKER_PID" 2>/dev/null || true
    TICKER_PID=""
  fi
}
trap stop_ticker EXIT

run_mvn() { # what... -- mvn args
  local what="$1"
  shift
  command -v mvn >/dev/null 2>&1 || die "mvn (Apache Maven) not found on PATH; it is needed to download $what from Maven Central (e.g. apt-get install maven)"
  mkdir -p "$M2_DIR"
  {
    printf '\n==== %s: mvn %s\n' "$(date '+%F %T')" "$*"
  } >>"$INSTALL_LOG"
  start_ticker "$M2_DIR"
  local rc=0
  mvn -q -B -C -Dstyle.color=never -Dmaven.repo.local="$M2_DIR" -f "$SCRIPT_DIR/pom.xml" "$@" </dev/null >>"$INSTALL_LOG" 2>&1 || rc=$?
  stop_ticker
  if ((rc != 0)); then
    show_tail "$INSTALL_LOG" 30
    die "Maven failed (exit $rc) while downloading $what; full log: $INSTALL_LOG"
  fi
}

install_kafka() {
  if [[ -f "$KAFKA_HOME/.complete" ]]; then
    log "Kafka $KAFKA_VERSION: already installed in $KAFKA_HOME"
    return 0
  fi
  log "Kafka $KAFKA_VERSION: downloading org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies from Maven Central (~50 MB) ..."
  local tmp="$KAFKA_HOME.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp/libs"
  run_mvn "Kafka $KAFKA_VERSION jars" \
    "$DEP_PLUGIN:copy-dependencies" -Dkafka.version="$KAFKA_VERSION" \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs"
  [[ -f "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" && -f "$tmp/libs/kafka-clients-$KAFKA_VERSION.jar" ]] ||
    die "Kafka jars missing after download (expected kafka_2.13-$KAFKA_VERSION.jar in $tmp/libs); see $INSTALL_LOG"
  rm -rf "$KAFKA_HOME"
  mv "$tmp" "$KAFKA_HOME"
  date '+%F %T' >"$KAFKA_HOME/.complete"
  log "Kafka $KAFKA_VERSION: installed ($(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars, $(du -sh "$KAFKA_HOME" | cut -f1)) in $KAFKA_HOME"
}

install_apicurio() {
  if [[ -f "$APICURIO_HOME/.complete" ]]; then
    log "Apicurio Registry $APICURIO_VERSION: already installed in $APICURIO_HOME"
    return 0
  fi
  local gav="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all"
  local tarball="$DOWNLOAD_DIR/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  log "Apicurio Registry $APICURIO_VERSION: downloading $gav from Maven Central (~110 MB) ..."
  mkdir -p "$DOWNLOAD_DIR"
  rm -f "$tarball"
  run_mvn "Apicurio Registry $APICURIO_VERSION ($gav)" \
    "$DEP_PLUGIN_NO_DESCRIPTOR:copy" -Dartifact="$gav" -DoutputDirectory="$DOWNLOAD_DIR" \
    -Dmdep.overWriteReleases=true -Dtransitive=false
  [[ -s "$tarball" ]] || die "expected $tarball after download, not found; see $INSTALL_LOG"
  log "Apicurio Registry $APICURIO_VERSION: extracting ..."
  local tmp="$APICURIO_HOME.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  tar -xzf "$tarball" -C "$tmp" || die "could not extract $tarball (corrupt download? delete it and retry)"
  [[ -f "$tmp/$(basename "$APICURIO_JAR")" && -d "$tmp/lib" ]] ||
    die "unexpected layout in $tarball (no $(basename "$APICURIO_JAR") + lib/)"
  rm -rf "$APICURIO_HOME"
  mv "$tmp" "$APICURIO_HOME"
  date '+%F %T' >"$APICURIO_HOME/.complete"
  # The extracted copy is all we need: drop the archive (and Maven's copy of it) to save ~220 MB.
  rm -f "$tarball" "$M2_DIR/io/apicurio/apicurio-registry-app/$APICURIO_VERSION/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  log "Apicurio Registry $APICURIO_VERSION: installed ($(du -sh "$APICURIO_HOME" | cut -f1)) in $APICURIO_HOME"
}

cmd_install() {
  take_lock
  install_kafka
  install_apicurio
  log "Install complete: $STACK_DIR"
}

# ---------------------------------------------------------------------------- up

start_kafka() {
  local pid
  if pid="$(pid_of "$KAFKA_PID_FILE" kafka)"; then
    local port
    port="$(running_port "$RUN_DIR/kafka.port" "$KAFKA_PORT")"
    if kafka_api_versions_ok "$port"; then
      log "Kafka is already running (pid $pid) on 127.0.0.1:$port"
      return 0
    fi
    die "Kafka process $pid is running but not answering on 127.0.0.1:$port; run '$0 down' and retry (log: $KAFKA_LOG)"
  fi
  local p owner
  for p in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
    if port_open "$p"; then
      owner="$(port_owner "$p")"
      die "cannot start Kafka: port 127.0.0.1:$p is already in use${owner:+ by $owner} (not a Kafka started by this script from $STACK_DIR). Stop it, or pick other ports with PASSAGE_KAFKA_PORT / PASSAGE_KAFKA_CONTROLLER_PORT."
    fi
  done

  # Fresh state every time: data is throwaway.
  rm -rf "$KAFKA_RUN" "$KAFKA_PID_FILE" "$RUN_DIR/kafka.port"
  mkdir -p "$KAFKA_RUN/data" "$LOG_DIR"
  rm -f "$KAFKA_LOG" "$KAFKA_OUT" "$KAFKA_FORMAT_LOG"
  render "$SCRIPT_DIR/kafka/server.properties.template" "$KAFKA_RUN/server.properties" \
    "KAFKA_PORT=$KAFKA_PORT" "CONTROLLER_PORT=$CONTROLLER_PORT" "DATA_DIR=$KAFKA_RUN/data"

  local cp="$KAFKA_HOME/libs/*"
  local tool_opts=(-Xmx256m -Djava.awt.headless=true -Dlog4j.configuration="file:$SCRIPT_DIR/kafka/tools-log4j.properties")

  log "Kafka $KAFKA_VERSION: formatting storage (KRaft) ..."
  local cluster_id
  cluster_id="$("$JAVA" "${tool_opts[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid 2>>"$KAFKA_FORMAT_LOG")" ||
    { show_tail "$KAFKA_FORMAT_LOG"; die "kafka.tools.StorageTool random-uuid failed; log: $KAFKA_FORMAT_LOG"; }
  cluster_id="$(printf '%s' "$cluster_id" | tail -n1 | tr -d '[:space:]')"
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "unexpected cluster id from StorageTool random-uuid: '$cluster_id' (log: $KAFKA_FORMAT_LOG)"
  "$JAVA" "${tool_opts[@]}" -cp "$cp" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$KAFKA_RUN/server.properties" >>"$KAFKA_FORMAT_LOG" 2>&1 ||
    { show_tail "$KAFKA_FORMAT_LOG"; die "formatting Kafka storage failed (kafka.tools.StorageTool format); log: $KAFKA_FORMAT_LOG"; }

  log "Kafka $KAFKA_VERSION: starting on 127.0.0.1:$KAFKA_PORT (controller 127.0.0.1:$CONTROLLER_PORT) ..."
  local extra=()
  # shellcheck disable=SC2206 # intentional word splitting of user-provided JVM options
  [[ -n "${PASSAGE_KAFKA_JAVA_OPTS:-}" ]] && extra=($PASSAGE_KAFKA_JAVA_OPTS)
  spawn "$KAFKA_PID_FILE" "$KAFKA_OUT" "$KAFKA_RUN" Kafka \
    "$JAVA" -Dpassage.stack.role=kafka -Dpassage.stack.dir="$STACK_DIR" \
    -Xmx512m -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$SCRIPT_DIR/kafka/log4j.properties" -Dkafka.logs.dir="$LOG_DIR" \
    ${extra[@]+"${extra[@]}"} \
    -cp "$cp" kafka.Kafka "$KAFKA_RUN/server.properties"
  echo "$KAFKA_PORT" >"$RUN_DIR/kafka.port"
  pid="$(<"$KAFKA_PID_FILE")"

  local start=$SECONDS
  until kafka_ready "$KAFKA_PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_tail "$KAFKA_OUT" 15
      show_tail "$KAFKA_LOG" 30
      rm -f "$KAFKA_PID_FILE"
      die "Kafka exited during startup; logs: $KAFKA_LOG and $KAFKA_OUT"
    fi
    if ((SECONDS - start >= KAFKA_TIMEOUT)); then
      show_tail "$KAFKA_LOG" 30
      stop_pid Kafka "$pid" 20 || true
      rm -f "$KAFKA_PID_FILE"
      die "Kafka was not ready after ${KAFKA_TIMEOUT}s (ApiVersions request + 'Kafka Server started' in the log); stopped it. Logs: $KAFKA_LOG and $KAFKA_OUT"
    fi
    sleep 0.5
  done
  log "Kafka is ready (pid $pid) after $((SECONDS - start))s: 127.0.0.1:$KAFKA_PORT"
}

registry_port_free_or_die() {
  if port_open "$REGISTRY_PORT"; then
    local owner
    owner="$(port_owner "$REGISTRY_PORT")"
    die "cannot start the schema registry: port 127.0.0.1:$REGISTRY_PORT is already in use${owner:+ by $owner} (not a registry started by this script from $STACK_DIR). Stop it, or pick another port with PASSAGE_REGISTRY_PORT."
  fi
}

start_registry() {
  local pid url
  if pid="$(pid_of "$REGISTRY_PID_FILE" registry)"; then
    local port
    port="$(running_port "$RUN_DIR/registry.port" "$REGISTRY_PORT")"
    if registry_ready "$port"; then
      log "Schema registry is already running (pid $pid): http://127.0.0.1:$port$CCOMPAT_PATH"
      return 0
    fi
    die "schema registry process $pid is running but GET $CCOMPAT_PATH/subjects on port $port does not return 200; run '$0 down' and retry (log: $REGISTRY_LOG)"
  fi
  registry_port_free_or_die

  rm -rf "$REGISTRY_RUN" "$REGISTRY_PID_FILE" "$RUN_DIR/registry.port"
  mkdir -p "$REGISTRY_RUN/config" "$REGISTRY_RUN/work" "$REGISTRY_RUN/tmp" "$LOG_DIR"
  rm -f "$REGISTRY_LOG"
  render "$SCRIPT_DIR/registry/application.properties.template" "$REGISTRY_RUN/config/application.properties" \
    "REGISTRY_PORT=$REGISTRY_PORT" "WORK_DIR=$REGISTRY_RUN/work"

  url="http://127.0.0.1:$REGISTRY_PORT$CCOMPAT_PATH"
  log "Apicurio Registry $APICURIO_VERSION: starting on 127.0.0.1:$REGISTRY_PORT ..."
  local extra=()
  # shellcheck disable=SC2206
  [[ -n "${PASSAGE_REGISTRY_JAVA_OPTS:-}" ]] && extra=($PASSAGE_REGISTRY_JAVA_OPTS)
  # Working dir = $REGISTRY_RUN so that Quarkus picks up ./config/application.properties.
  spawn "$REGISTRY_PID_FILE" "$REGISTRY_LOG" "$REGISTRY_RUN" "the schema registry" \
    "$JAVA" -Dpassage.stack.role=registry -Dpassage.stack.dir="$STACK_DIR" \
    -Xmx384m -Xms128m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Djava.io.tmpdir="$REGISTRY_RUN/tmp" ${extra[@]+"${extra[@]}"} \
    -jar "$APICURIO_JAR"
  echo "$REGISTRY_PORT" >"$RUN_DIR/registry.port"
  pid="$(<"$REGISTRY_PID_FILE")"

  local start=$SECONDS
  until registry_ready "$REGISTRY_PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_tail "$REGISTRY_LOG" 40
      rm -f "$REGISTRY_PID_FILE"
      die "the schema registry (Apicurio) exited during startup; log: $REGISTRY_LOG"
    fi
    if ((SECONDS - start >= REGISTRY_TIMEOUT)); then
      show_tail "$REGISTRY_LOG" 40
      stop_pid "schema registry" "$pid" 15 || true
      rm -f "$REGISTRY_PID_FILE"
      die "the schema registry was not ready after ${REGISTRY_TIMEOUT}s (GET $url/subjects != 200); stopped it. Log: $REGISTRY_LOG"
    fi
    sleep 0.5
  done
  log "Schema registry is ready (pid $pid) after $((SECONDS - start))s: $url"
}

print_env() {
  local kp rp
  kp="$(running_port "$RUN_DIR/kafka.port" "$KAFKA_PORT")"
  rp="$(running_port "$RUN_DIR/registry.port" "$REGISTRY_PORT")"
  pid_of "$KAFKA_PID_FILE" kafka >/dev/null || kp="$KAFKA_PORT"
  pid_of "$REGISTRY_PID_FILE" registry >/dev/null || rp="$REGISTRY_PORT"
  printf 'export KAFKA_BROKERS=127.0.0.1:%s\n' "$kp"
  printf 'export SCHEMA_REGISTRY_URL=http://127.0.0.1:%s%s\n' "$rp" "$CCOMPAT_PATH"
}

cmd_up() {
  take_lock
  local t0=$SECONDS
  install_kafka
  install_apicurio
  find_java
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  # Fail fast, before starting Kafka, if the registry's port is taken by something else.
  pid_of "$REGISTRY_PID_FILE" registry >/dev/null || registry_port_free_or_die
  start_kafka
  start_registry
  log "Stack is up ($((SECONDS - t0))s). Logs: $LOG_DIR"
  print_env
}

# ---------------------------------------------------------------------------- down / status

cmd_down() {
  take_lock
  local pid rc=0
  if pid="$(pid_of "$REGISTRY_PID_FILE" registry)"; then
    stop_pid "schema registry" "$pid" 20 || rc=1
  else
    log "Schema registry is not running."
  fi
  if pid="$(pid_of "$KAFKA_PID_FILE" kafka)"; then
    stop_pid Kafka "$pid" 45 || rc=1
  else
    log "Kafka is not running."
  fi
  # Clean run state (Kafka data is throwaway); keep logs/ for post-mortems (reset by the next `up`).
  rm -rf "$KAFKA_RUN" "$REGISTRY_RUN" "$KAFKA_PID_FILE" "$REGISTRY_PID_FILE" "$RUN_DIR/kafka.port" "$RUN_DIR/registry.port"
  ((rc == 0)) || die "some process could not be stopped (see above)"
  log "Stack is down."
}

cmd_status() {
  local pid port up=0
  if pid="$(pid_of "$KAFKA_PID_FILE" kafka)"; then
    port="$(running_port "$RUN_DIR/kafka.port" "$KAFKA_PORT")"
    if kafka_api_versions_ok "$port"; then
      echo "kafka:    up (pid $pid) at 127.0.0.1:$port"
      up=$((up + 1))
    else
      echo "kafka:    process running (pid $pid) but not answering on 127.0.0.1:$port (log: $KAFKA_LOG)"
    fi
  else
    echo "kafka:    down"
  fi
  if pid="$(pid_of "$REGISTRY_PID_FILE" registry)"; then
    port="$(running_port "$RUN_DIR/registry.port" "$REGISTRY_PORT")"
    if registry_ready "$port"; then
      echo "registry: up (pid $pid) at http://127.0.0.1:$port$CCOMPAT_PATH"
      up=$((up + 1))
    else
      echo "registry: process running (pid $pid) but not answering on port $port (log: $REGISTRY_LOG)"
    fi
  else
    echo "registry: down"
  fi
  ((up == 2))
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  install) cmd_install ;;
  up | start) cmd_up ;;
  down | stop) cmd_down ;;
  status) cmd_status ;;
  env) print_env ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
