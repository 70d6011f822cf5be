#!/usr/bin/env bash
# Smoke test for the test Kafka broker (tests/kafka/broker.sh) with kcat
# (librdkafka, the client library piiscan uses):
#   up -> create 3-partition topic -> produce 1000 msgs (none/lz4/zstd/snappy/
#   gzip batches) -> consume (plain and consumer group) -> restart -> data and
#   committed group offsets survive -> idempotent producer streaming across a
#   restart loses/duplicates nothing -> down.
# Each step is timed. Last line: "kafka-smoke: N passed, M failed".
# The broker is stopped at the end unless it was already running before.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
BROKER="$HERE/broker.sh"
TOPIC_SH="$HERE/topic.sh"
B="127.0.0.1:${KAFKA_PORT:-9092}"
T="smoke-$(date +%s)-$$"
G="smoke-group-$$"
WORK="$(mktemp -d)"
PASS=0 FAIL=0

command -v kcat >/dev/null || { echo "kcat not installed (apt-get install kcat)" >&2; exit 1; }

now_ms() { date +%s%3N; }
ok()   { PASS=$((PASS + 1)); printf 'ok   %-58s %7s s\n' "$1" "$2"; }
bad()  { FAIL=$((FAIL + 1)); printf 'FAIL %-58s %7s s  %s\n' "$1" "$2" "${3:-}"; }
dt()   { local d=$(( $(now_ms) - $1 )); printf '%d.%03d' $((d / 1000)) $((d % 1000)); }

# check NAME CMD...: run CMD, pass if it exits 0 (its stderr goes to $WORK/err)
check() {
    local name=$1 t0 rc; shift
    t0=$(now_ms)
    "$@" 2>"$WORK/err"; rc=$?
    if (( rc == 0 )); then ok "$name" "$(dt "$t0")"
    else bad "$name" "$(dt "$t0")" "(rc=$rc) $(tail -n 5 "$WORK/err" | tr '\n' ' ')"; fi
    return $rc
}

was_running=0
"$BROKER" status >/dev/null 2>&1 && was_running=1

finish() {
    if (( FAIL > 0 )); then
        echo "--- broker log tail ---"; tail -n 30 "$ROOT/build/kafka/broker.log" 2>/dev/null
    fi
    if (( was_running == 0 )); then
        check "broker down" "$BROKER" down
    fi
    rm -rf "$WORK"
    echo "kafka-smoke: $PASS passed, $FAIL failed"
    (( FAIL == 0 ))
}

# ------------------------------------------------------------------ helpers
produce() {   # CODEC FROM TO  -> keys k<i>, values m<i>-<codec>
    local codec=$1 from=$2 to=$3
    seq "$from" "$to" | sed "s/.*/k&:m&-$codec/" \
        | timeout 60 kcat -P -b "$B" -t "$T" -K : -X compression.codec="$codec" \
            -X linger.ms=20
}

consume_plain() {   # OUT: all messages from the beginning as "p<TAB>key<TAB>value"
    timeout 60 kcat -C -b "$B" -t "$T" -o beginning -e -q -f '%p\t%k\t%s\n' >"$1"
}

consume_group() {   # OUT: what the group has not consumed yet (commits on exit)
    timeout 60 kcat -b "$B" -G "$G" -X auto.offset.reset=earliest -e -q \
        -f '%p\t%k\t%s\n' "$T" >"$1"
}

expect_msgs() {   # FILE N: N lines, N distinct values
    local lines distinct
    lines=$(wc -l <"$1"); distinct=$(cut -f3 "$1" | sort -u | wc -l)
    [[ "$lines" == "$2" && "$distinct" == "$2" ]] \
        || { echo "expected $2 messages, got $lines lines / $distinct distinct" >&2; return 1; }
}

expect_partitions() {   # FILE N
    local n; n=$(cut -f1 "$1" | sort -u | wc -l)
    [[ "$n" == "$2" ]] || { echo "messages on $n partitions, expected $2" >&2; return 1; }
}

expect_codecs() {   # FILE: each codec's slice is intact
    local c n
    for c in none:200 lz4:250 zstd:250 snappy:150 gzip:150; do
        n=$(grep -c -- "-${c%%:*}\$" "$1")
        [[ "$n" == "${c#*:}" ]] || { echo "${c%%:*}: $n messages, expected ${c#*:}" >&2; return 1; }
    done
}

# ------------------------------------------------------------------ steps
check "broker up (fetch jars if missing)" "$BROKER" up || { finish; exit 1; }
check "create topic $T (3 partitions)" "$TOPIC_SH" create "$T" 3

check "produce 200 uncompressed"  produce none     1   200
check "produce 250 lz4"           produce lz4    201   450
check "produce 250 zstd"          produce zstd   451   700
check "produce 150 snappy"        produce snappy 701   850
check "produce 150 gzip"          produce gzip   851  1000

check "consume from beginning (plain)" consume_plain "$WORK/c1"
check "  -> 1000 distinct messages"     expect_msgs "$WORK/c1" 1000
check "  -> spread over 3 partitions"   expect_partitions "$WORK/c1" 3
check "  -> every codec intact"         expect_codecs "$WORK/c1"

check "consume as group $G"             consume_group "$WORK/g1"
check "  -> 1000 distinct messages"     expect_msgs "$WORK/g1" 1000

check "broker restart" "$BROKER" restart

check "consume from beginning after restart" consume_plain "$WORK/c2"
check "  -> still 1000 distinct messages"    expect_msgs "$WORK/c2" 1000
check "group again: committed offsets kept"  consume_group "$WORK/g2"
check "  -> 0 new messages"                  expect_msgs "$WORK/g2" 0

# Idempotent producer streaming while the broker restarts underneath it.
# kcat -P gives up on "All broker connections are down", so this uses a tiny
# librdkafka producer (stream_producer.c) that behaves like a real client.
SP="$ROOT/build/kafka/stream_producer"
build_sp() {
    [[ "$SP" -nt "$HERE/stream_producer.c" ]] && return 0
    mkdir -p "$(dirname "$SP")"
    cc -O2 -Wall -Wextra -o "$SP" "$HERE/stream_producer.c" -lrdkafka
}
stream_producer() {
    for i in $(seq 2001 2400); do echo "k$i:m$i-stream"; sleep 0.02; done \
        | timeout 120 "$SP" "$B" "$T" compression.codec=zstd 2>"$WORK/stream.err"
}
if check "build stream_producer (cc -lrdkafka)" build_sp; then
    t0=$(now_ms)
    stream_producer & sp=$!
    sleep 2
    check "restart while a producer streams" "$BROKER" restart
    if wait "$sp"; then ok "streaming producer: all 400 delivered" "$(dt "$t0")"
    else bad "streaming producer: all 400 delivered" "$(dt "$t0")" "$(tail -n 3 "$WORK/stream.err" | tr '\n' ' ')"; fi
    check "group consumes the streamed messages"  consume_group "$WORK/g3"
    check "  -> exactly 400, none lost or doubled" expect_msgs "$WORK/g3" 400
fi

check "delete topic" "$TOPIC_SH" delete "$T"

finish
