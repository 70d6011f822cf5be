#!/usr/bin/env bash
# make kafka-bench: `piiscan kafka` against a plain consume of the same topic
# (bench/kafka/bench_kafka.py; arguments go to it). Starts the test broker
# if it is not running and stops it afterwards if it started it.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
PIISCAN="${PIISCAN:-$ROOT/build/piiscan}"
started=0
if ! bash "$ROOT/tests/kafka/broker.sh" status >/dev/null 2>&1; then
    bash "$ROOT/tests/kafka/broker.sh" up || exit 1
    started=1
fi
/usr/bin/python3 "$HERE/bench_kafka.py" --piiscan "$PIISCAN" "$@"
rc=$?
(( started )) && bash "$ROOT/tests/kafka/broker.sh" down
exit $rc
