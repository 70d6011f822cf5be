#!/bin/bash
# bench/reader.sh — the CPU a GB costs piiscan's reader (the calling
# thread, which frames records into chunks) and all its threads together,
# from perf samples: on a machine with many CPUs that thread sets the
# pace once the workers keep up, at 1 / (its s/GB).
#
#   bench/reader.sh [--runs N] [--threads T] FILE PIISCAN [PIISCAN...]
#
# Runs each binary on FILE with --threads T (default 8), round robin, N
# times (default 3); prints reader s/GB, all threads s/GB and the reader's
# share of the samples. Needs perf. Timing lives here, never in tests.
#
# The reader thread also loads the rules, starts the workers and first
# touches the chunk pool's memory: on a file of tens of MB those fixed
# costs are most of its s/GB (a 16 MB MySQL dump: 2.4 s/GB where 256 MB of
# the same rows cost 0.7), so give it 200 MiB or more for a figure that
# holds for big files; it says so when FILE is smaller.
set -euo pipefail
runs=3 threads=8
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || { echo "usage: bench/reader.sh [--runs N] [--threads T] FILE PIISCAN..." >&2; exit 2; }
file=$1; shift
command -v perf >/dev/null || { echo "bench/reader.sh: needs perf" >&2; exit 2; }
if [ "$(stat -L -c %s "$file")" -lt $((200 << 20)) ]; then
	echo "bench/reader.sh: $file is under 200 MiB: the reader's fixed costs (rules, start-up, first touch" \
		"of the chunk pool) weigh on s/GB; a big file's is lower" >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$runs"); do
	for bin in "$@"; do
		perf record -q -F 4000 -o "$tmp/perf.data" "$bin" scan --threads "$threads" -o "$tmp/m.json" "$file" \
			>/dev/null 2>&1
		bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["bytes_read"])' "$tmp/m.json")
		perf script -i "$tmp/perf.data" -F pid,tid 2>/dev/null | tr / ' ' |
			awk -v bin="$bin" -v gb="$(awk -v b="$bytes" 'BEGIN { print b / 1e9 }')" '
				{ n++; if ($1 == $2) r++ }
				END { printf "%s\treader %.3f s/GB\tall threads %.3f s/GB\treader %.1f%% of samples\n",
					bin, r / 4000 / gb, n / 4000 / gb, 100 * r / n }'
	done
done
