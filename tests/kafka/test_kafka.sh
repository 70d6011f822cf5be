#!/usr/bin/env bash
# make kafka-test: the broker tests of `piiscan kafka` (tests/kafka/test_kafka.py).
#
#   tests/kafka/test_kafka.sh [PIISCAN] [--only cli,group,chaos,handover] [--keep]
#
# Starts the test broker (tests/kafka/broker.sh up) unless it is already
# running, and stops it afterwards only if this script started it. Builds
# the helpers (stream_producer, xxh128sum) into build/kafka/. The last line
# says how many checks passed and how long everything took.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
PIISCAN="${1:-$ROOT/build/piiscan}"
[[ $# -gt 0 ]] && shift
HELPERS="$ROOT/build/kafka"
PYTHON="${PYTHON:-/usr/bin/python3}"
t0=$(date +%s)

command -v kcat >/dev/null || { echo "kafka-test: kcat not installed (apt-get install kcat)" >&2; exit 1; }
[[ -x "$PIISCAN" ]] || { echo "kafka-test: no piiscan binary at $PIISCAN" >&2; exit 1; }

mkdir -p "$HELPERS"
build() {   # OUT SRC LIBS...
    local out=$1 src=$2; shift 2
    [[ "$out" -nt "$src" ]] && return 0
    cc -O2 -Wall -Wextra -o "$out" "$src" "$@"
}
build "$HELPERS/stream_producer" "$HERE/stream_producer.c" -lrdkafka || exit 1
build "$HELPERS/xxh128sum" "$HERE/xxh128sum.c" $(pkg-config --cflags --libs libxxhash) || exit 1
build "$HELPERS/mock_cluster" "$HERE/mock_cluster.c" -lrdkafka || exit 1

if [[ "${KAFKA_TEST_NO_BROKER:-}" ]]; then   # make kafka-mock-test
    exec "$PYTHON" "$HERE/test_kafka.py" --piiscan "$PIISCAN" --helpers "$HELPERS" --only cli,mock,mock_leader "$@"
fi

started=0
if ! bash "$HERE/broker.sh" status >/dev/null 2>&1; then
    bash "$HERE/broker.sh" up || exit 1
    started=1
fi

"$PYTHON" "$HERE/test_kafka.py" --piiscan "$PIISCAN" --helpers "$HELPERS" "$@"
rc=$?

if (( started )); then
    bash "$HERE/broker.sh" down
fi
echo "kafka-test: $(( $(date +%s) - t0 )) s in all (broker start and stop included)"
exit $rc
