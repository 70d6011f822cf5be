#!/usr/bin/env bash
# Topic admin for the test broker started by tests/kafka/broker.sh.
#
#   tests/kafka/topic.sh create NAME PARTITIONS [KEY=VALUE ...]
#        idempotent (--if-not-exists); returns once every partition has a
#        leader, so producing right after it does not race the controller.
#        KEY=VALUE pairs become topic configs (e.g. retention.ms=60000).
#   tests/kafka/topic.sh delete NAME
#   tests/kafka/topic.sh describe NAME
#   tests/kafka/topic.sh list
#
# Uses the jars fetched by broker.sh (build/kafka/lib) and KAFKA_PORT (9092).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
KDIR="${PIISCAN_KAFKA_DIR:-$ROOT/build/kafka}"
LIB="$KDIR/lib"
BOOT="127.0.0.1:${KAFKA_PORT:-9092}"

die() { printf 'topic.sh: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -f "$LIB/.stamp" ]] || die "no Kafka jars in $LIB; run tests/kafka/broker.sh up first"

# Quiet log4j2 config for the CLI (warnings only, to stderr).
TOOLS_LOG4J="$KDIR/tools-log4j2.properties"
if [[ ! -f "$TOOLS_LOG4J" ]]; then
    cat >"$TOOLS_LOG4J.$$" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = ERR
EOF
    mv "$TOOLS_LOG4J.$$" "$TOOLS_LOG4J"
fi

topic_cmd() {
    # Short-lived JVM: small heap, C1 only, for a faster start.
    java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
        -Dlog4j2.configurationFile="$TOOLS_LOG4J" -cp "$LIB/*" \
        org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" "$@"
}

wait_leaders() {   # NAME PARTITIONS
    local name=$1 want=$2 md deadline=$(( $(date +%s) + 30 ))
    command -v kcat >/dev/null || return 0
    # NB: the topic exists by now; 'kcat -L -t X' on a missing X would
    # auto-create it (auto.create.topics.enable=true).
    while :; do
        md="$(timeout 10 kcat -b "$BOOT" -L -t "$name" -m 3 2>/dev/null || true)"
        # Want: 'topic "X" with N partitions:' (no error after the colon)
        # and N lines 'partition P, leader L, ...' with L >= 0 and no error.
        if grep -qxF "  topic \"$name\" with $want partitions:" <<<"$md" \
                && [[ "$(grep -cE '^    partition [0-9]+, leader [0-9]+, [^:]*: [0-9, ]*, isrs: [0-9, ]*$' <<<"$md")" == "$want" ]]; then
            return 0
        fi
        (( $(date +%s) < deadline )) || die "topic $name: not $want partitions with leaders after 30 s (exists with another count?):
$md"
        sleep 0.2
    done
}

case "${1:-}" in
    create)
        [[ $# -ge 3 ]] || die "usage: $0 create NAME PARTITIONS [KEY=VALUE ...]"
        name=$2 parts=$3; shift 3
        [[ "$parts" =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive integer, got '$parts'"
        cfg=()
        for kv in "$@"; do cfg+=(--config "$kv"); done
        topic_cmd --create --if-not-exists --topic "$name" --partitions "$parts" \
            --replication-factor 1 "${cfg[@]}" >/dev/null
        wait_leaders "$name" "$parts"
        ;;
    delete)
        [[ $# -eq 2 ]] || die "usage: $0 delete NAME"
        topic_cmd --delete --if-exists --topic "$2"
        ;;
    describe)
        [[ $# -eq 2 ]] || die "usage: $0 describe NAME"
        topic_cmd --describe --topic "$2"
        ;;
    list)
        topic_cmd --list
        ;;
    *)
        echo "usage: $0 create NAME PARTITIONS [KEY=VALUE ...] | delete NAME | describe NAME | list" >&2
        exit 2
        ;;
esac
