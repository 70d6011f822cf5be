#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker+controller in one JVM) for piiscan
# tests and demos.
#
#   tests/kafka/broker.sh up       fetch jars if missing, format storage if new,
#                                  start, return once clients are served
#   tests/kafka/broker.sh down     SIGTERM, wait up to 30 s, then SIGKILL
#   tests/kafka/broker.sh restart  down + up, keeping the data
#   tests/kafka/broker.sh status   exit 0 if running and serving, 1 otherwise
#   tests/kafka/broker.sh fetch    only fetch the jars (for CI caching)
#   tests/kafka/broker.sh reset    down + delete the data (keeps the jars)
#
# Everything lives under <repo>/build/kafka:
#   lib/               jars from tests/kafka/pom.xml (kept between runs)
#   server.properties  written on every `up`
#   data/              KRaft metadata + topic logs (kept by restart/down)
#   broker.pid, broker.log
#
# Environment (all optional):
#   KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093)
#   KAFKA_READY_TIMEOUT (90)        seconds `up` waits for the broker
#   KAFKA_HEAP_OPTS ("-Xms256m -Xmx512m")
#   KAFKA_JVM_OPTS                  extra JVM flags for the broker
#   KAFKA_EXTRA_PROPS               extra server.properties lines (newline separated)
#   KAFKA_MVN_ARGS                  extra args for mvn, e.g. -Dmaven.repo.local=/x
#   PIISCAN_KAFKA_DIR               state dir instead of <repo>/build/kafka
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
KDIR="${PIISCAN_KAFKA_DIR:-$ROOT/build/kafka}"
LIB="$KDIR/lib"
DATA="$KDIR/data"
PROPS="$KDIR/server.properties"
LOG4J="$KDIR/log4j2.properties"
PIDF="$KDIR/broker.pid"
LOGF="$KDIR/broker.log"
POM="$HERE/pom.xml"

PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
BOOT="127.0.0.1:$PORT"
READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-90}"
STOP_TIMEOUT=30
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

say() { printf 'kafka: %s\n' "$*" >&2; }
die() { printf 'kafka: ERROR: %s\n' "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }
secs_since() { local t0=$1 t1; t1=$(now_ms); printf '%d.%03d' $(((t1 - t0) / 1000)) $(((t1 - t0) % 1000)); }

# ---------------------------------------------------------------- jars
pom_stamp() { sha256sum "$POM" | cut -c1-64; }

jars_ok() {
    [[ -f "$LIB/.stamp" ]] && [[ "$(cat "$LIB/.stamp")" == "$(pom_stamp)" ]]
}

fetch_jars() {
    jars_ok && return 0
    command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars into $LIB)"
    say "fetching Kafka jars with Maven into $LIB ..."
    local t0 tmp
    t0=$(now_ms)
    mkdir -p "$KDIR"
    tmp="$(mktemp -d "$KDIR/lib.tmp.XXXXXX")"
    # shellcheck disable=SC2086
    if ! mvn -q -B -f "$POM" ${KAFKA_MVN_ARGS:-} \
            dependency:copy-dependencies -DincludeScope=runtime \
            -DoutputDirectory="$tmp" >"$KDIR/mvn.log" 2>&1; then
        tail -n 40 "$KDIR/mvn.log" >&2
        rm -rf "$tmp"
        die "Maven could not fetch the Kafka jars (full output: $KDIR/mvn.log)"
    fi
    ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || { rm -rf "$tmp"; die "no kafka_2.13 jar after fetch"; }
    pom_stamp >"$tmp/.stamp"
    rm -rf "$LIB"
    mv "$tmp" "$LIB"
    say "jars fetched in $(secs_since "$t0") s ($(find "$LIB" -name '*.jar' | wc -l) jars, $(du -sh "$LIB" | cut -f1))"
}

check_java() {
    command -v java >/dev/null || die "java not found (Kafka 4.x needs Java 17+)"
    local v
    v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    [[ "${v%%.*}" =~ ^[0-9]+$ ]] && (( ${v%%.*} >= 17 )) || die "Java 17+ required, found '${v:-?}'"
}

# ---------------------------------------------------------------- config
write_config() {
    mkdir -p "$DATA"
    cat >"$PROPS.tmp" <<EOF
# Written by tests/kafka/broker.sh on every 'up' -- edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
    if [[ -n "${KAFKA_EXTRA_PROPS:-}" ]]; then
        printf '# KAFKA_EXTRA_PROPS\n%s\n' "$KAFKA_EXTRA_PROPS" >>"$PROPS.tmp"
    fi
    mv "$PROPS.tmp" "$PROPS"

    cat >"$LOG4J" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.raft.name = org.apache.kafka.raft
logger.raft.level = WARN
logger.cfg.name = org.apache.kafka.common.config.AbstractConfig
logger.cfg.level = WARN
EOF
}

java_cmd() {   # common JVM args; class and args follow
    # shellcheck disable=SC2086
    printf '%s\0' java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 ${KAFKA_JVM_OPTS:-} \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J" \
        -cp "$LIB/*"
}

format_storage() {
    [[ -f "$DATA/meta.properties" ]] && return 0
    local cid t0
    # Kafka cluster ids are 16 random bytes, base64url without padding.
    cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    t0=$(now_ms)
    local -a cmd
    mapfile -d '' cmd < <(java_cmd)
    if ! "${cmd[@]}" -Xmx256m kafka.tools.StorageTool format -t "$cid" -c "$PROPS" \
            --ignore-formatted >"$KDIR/format.log" 2>&1; then
        cat "$KDIR/format.log" >&2
        die "kafka-storage format failed"
    fi
    say "storage formatted (cluster id $cid) in $(secs_since "$t0") s"
}

# ---------------------------------------------------------------- process
broker_pid() {   # prints the pid if our broker is alive
    [[ -f "$PIDF" ]] || return 1
    local pid
    pid="$(cat "$PIDF" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
    printf '%s\n' "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

probe() {   # metadata request answered and a broker listed
    # The KRaft broker opens its client port only once it is unfenced, so a
    # cheap connect() check first; kcat on a closed port would sit out -m.
    port_open "$PORT" || return 1
    command -v kcat >/dev/null || return 0
    timeout 10 kcat -b "$BOOT" -L -m 3 2>/dev/null | grep -q ' 1 brokers:'
}

wait_ready() {
    local pid=$1 t0=$2 deadline
    deadline=$(( $(date +%s) + READY_TIMEOUT ))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            say "broker process $pid exited during startup; last log lines:"
            tail -n 40 "$LOGF" >&2 || true
            rm -f "$PIDF"
            die "broker failed to start (log: $LOGF)"
        fi
        if probe; then
            say "ready on $BOOT (pid $pid) after $(secs_since "$t0") s"
            return 0
        fi
        if (( $(date +%s) >= deadline )); then
            say "not ready after ${READY_TIMEOUT} s; last log lines:"
            tail -n 40 "$LOGF" >&2 || true
            die "broker did not become ready within ${READY_TIMEOUT} s (pid $pid still running; log: $LOGF)"
        fi
        sleep 0.2
    done
}

do_up() {
    local pid t0
    t0=$(now_ms)
    if pid="$(broker_pid)"; then
        probe || wait_ready "$pid" "$t0"
        say "already running (pid $pid) on $BOOT"
        return 0
    fi
    rm -f "$PIDF"
    if port_open "$PORT" || port_open "$CPORT"; then
        die "port $PORT or $CPORT on 127.0.0.1 is already in use, but not by the broker recorded in $PIDF; stop that process or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
    fi
    check_java
    fetch_jars
    write_config
    format_storage
    local -a cmd
    mapfile -d '' cmd < <(java_cmd)
    # Keep the log across restarts (handy when a test restarts mid-stream),
    # but rotate once it passes ~20 MB.
    if [[ -f "$LOGF" ]] && (( $(stat -c %s "$LOGF") > 20000000 )); then
        mv -f "$LOGF" "$LOGF.1"
    fi
    printf '\n===== %s broker start =====\n' "$(date -Is)" >>"$LOGF"
    t0=$(now_ms)
    # New session so that ^C in the calling terminal / make does not hit it;
    # the inner shell records its own pid and then becomes the JVM. fd 9 (the
    # lock) must not leak into the JVM or every later up/down would block.
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDF" \
        "${cmd[@]}" kafka.Kafka "$PROPS" </dev/null >>"$LOGF" 2>&1 9>&- &
    local spawned=$!
    for _ in $(seq 50); do [[ -s "$PIDF" ]] && break; sleep 0.1; done
    pid="$(cat "$PIDF" 2>/dev/null || echo "$spawned")"
    echo "$pid" >"$PIDF"
    wait_ready "$pid" "$t0"
}

do_down() {
    local pid t0
    if ! pid="$(broker_pid)"; then
        rm -f "$PIDF"
        say "not running"
        return 0
    fi
    t0=$(now_ms)
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$(( $(date +%s) + STOP_TIMEOUT ))
    while kill -0 "$pid" 2>/dev/null; do
        if (( $(date +%s) >= deadline )); then
            say "still running after ${STOP_TIMEOUT} s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
            break
        fi
        sleep 0.2
    done
    rm -f "$PIDF"
    say "stopped (pid $pid) in $(secs_since "$t0") s"
}

do_status() {
    local pid
    if pid="$(broker_pid)"; then
        if probe; then say "running (pid $pid), serving on $BOOT"; return 0; fi
        say "running (pid $pid) but not answering on $BOOT"; return 1
    fi
    say "not running"; return 1
}

do_restart() { do_down; do_up; }
do_reset() { do_down; rm -rf "$DATA" "$PROPS"; say "data removed ($DATA)"; }

# ---------------------------------------------------------------- main
with_lock() {   # serialise concurrent up/down (e.g. make -j)
    mkdir -p "$KDIR"
    exec 9>"$KDIR/.lock"
    flock -w 180 9 || die "could not lock $KDIR/.lock"
    "$@"
}

case "${1:-}" in
    up)      with_lock do_up ;;
    down)    with_lock do_down ;;
    restart) with_lock do_restart ;;
    status)  do_status ;;
    fetch)   with_lock fetch_jars ;;
    reset)   with_lock do_reset ;;
    *) echo "usage: $0 up|down|restart|status|fetch|reset" >&2; exit 2 ;;
esac
