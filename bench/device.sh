#!/usr/bin/env bash
# bench/device.sh — one thread sweep of piiscan on a lent many-CPU machine
# that has none of the project's Debian packages (bench/README.md, "Past 2
# cores"). Two steps:
#
#   bench/device.sh pack DIR       here, after `make` and `make build/bench/gen_export`:
#                                  copies piiscan, gen_export, lz4 and rg with
#                                  their shared libraries and ld-linux to DIR
#   bench/device.sh run DIR OUT    there: generates the corpora in /dev/shm,
#                                  runs bench/scale.py over each and
#                                  bench/threads.py on the reader-bound ones,
#                                  writes logs and JSON to OUT
#   bench/device.sh ab DIR OUT NAME...   there: the same corpora, the
#                                  binaries DIR/NAME... alternated (below)
#
# Every carried program runs through the carried ld-linux, so the machine's
# own C library does not matter. Environment for run (all optional):
#   DEV_THREADS   thread counts (default 1,4,8,12,16)
#   DEV_RUNS      runs per measurement (default 2)
#   DEV_SIZE      size of the dense CSV and JSON Lines corpora (default 1G;
#                 the logs are twice that, the Chinese and SQL ones half)
#   DEV_ONLY      space-separated corpus names to run (default all)
# Timing lives in bench/, never in tests.
set -euo pipefail
export LC_ALL=C

die() { echo "device.sh: $*" >&2; exit 1; }

pack() {
	local dir=$1 root
	root=$(cd "$(dirname "$0")/.." && pwd)
	mkdir -p "$dir/lib"
	local progs=("$root/build/piiscan" "$root/build/bench/gen_export" "$(command -v lz4)" "$(command -v rg)")
	for p in "${progs[@]}"; do
		[[ -x $p ]] || die "missing $p: run make and make build/bench/gen_export, and sh deploy/install-deps.sh"
		cp "$p" "$dir/"
	done
	# every library the programs load, and the loader itself
	ldd "${progs[@]}" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' |
		sort -u | while read -r lib; do cp -L "$lib" "$dir/lib/"; done
	du -sh "$dir"
}

# Globals for run and ab: the loader command, the corpora and their files.
setup() {
	dir=$1 out=$2
	ld=("$dir/lib/ld-linux-x86-64.so.2" --library-path "$dir/lib")
	c=/dev/shm/piiscan-corpus json=/dev/shm/piiscan-json
	only=${DEV_ONLY:-cn-dump-gbk cn-dump mysql-dump cn-csv-gbk cn-csv dense-csv dense-csv-lz4 sparse-log jsonl}
	declare -gA file=([cn-dump-gbk]=cn-dump.gbk.sql [cn-dump]=cn-dump.sql [mysql-dump]=orders.sql
		[cn-csv-gbk]=cn.gbk.csv [cn-csv]=cn.csv [dense-csv]=dense.csv [dense-csv-lz4]=dense.csv.lz4
		[sparse-log]=app.log [jsonl]=export.jsonl)
	mkdir -p "$c" "$out" "$json"
	export PIISCAN_CACHE_DIR=/dev/shm/piiscan-cache

	{
		echo "machine: $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo)"
		grep -m1 -o -w -E 'avx512bw|avx512vbmi' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
		free -g | sed -n 2p
		uname -r
	} | tee "$out/machine.txt"

	local size=${DEV_SIZE:-1G} half
	half=$(numfmt --from=iec "$size")
	half=$((half / 2))
	gen() { "${ld[@]}" "$dir/gen_export" --kind "$1" --size "$2" --seed 1 -o "$c/$3"; }
	local t0=$SECONDS
	gen dense-csv "$size" dense.csv &
	gen jsonl "$size" export.jsonl &
	gen sparse-log "$((2 * $(numfmt --from=iec "$size")))" app.log &
	gen cn-csv "$half" cn.csv &
	gen mysql-dump "$half" orders.sql &
	gen cn-dump "$half" cn-dump.sql &
	wait
	"${ld[@]}" "$dir/lz4" -1 -q -f "$c/dense.csv" "$c/dense.csv.lz4" &
	# Python's GBK codec writes what glibc's iconv does for these corpora
	# (checked on 32 MB of each with cmp); the machine may have no iconv.
	for f in cn.csv cn-dump.sql; do
		python3 -c 'import sys; open(sys.argv[2], "wb").write(open(sys.argv[1], "rb").read().decode("utf-8").encode("gbk"))' \
			"$c/$f" "$c/${f%.*}.gbk.${f##*.}" &
	done
	wait
	echo "corpora made in $((SECONDS - t0)) s:" | tee -a "$out/machine.txt"
	ls -l "$c" | tee -a "$out/machine.txt"
}

# The options a corpus is scanned with.
scan_args() {
	echo "--rules rules"
	[[ $1 == *-gbk ]] && echo "--encoding gbk"
	return 0
}

run() {
	setup "$1" "$2"
	local threads=${DEV_THREADS:-1,4,8,12,16} runs=${DEV_RUNS:-2}

	local piiscan="${ld[*]} $dir/piiscan"
	for name in $only; do
		local f=${file[$name]:-} extra
		[[ -n $f ]] || die "unknown corpus $name"
		extra=$(scan_args "$name" | tr '\n' ' ')
		echo "== $name ($f)"
		python3 bench/scale.py --piiscan "$piiscan" --scan-args="$extra" --threads "$threads" \
			--runs "$runs" --json "$json/scale-$name.json" "$c/$f" 2>&1 | tee -a "$out/scale.txt" || true
	done

	# the reading thread's CPU against the wall with every CPU scanning
	local all
	all=$(nproc)
	for name in cn-dump-gbk cn-dump mysql-dump dense-csv-lz4 sparse-log; do
		[[ " $only " == *" $name "* ]] || continue
		local f=${file[$name]} extra
		mapfile -t extra < <(scan_args "$name" | tr ' ' '\n')
		echo "== threads.py $name, --threads $all" | tee -a "$out/threads.txt"
		python3 bench/threads.py --switches --runs "$runs" "${ld[@]}" "$dir/piiscan" scan "${extra[@]}" \
			--threads "$all" -o /dev/shm/piiscan-threads.json "$c/$f" 2>&1 | tee -a "$out/threads.txt" || true
	done

	# ripgrep, one thread, the make bench patterns, on the dense CSV
	if [[ " $only " == *" dense-csv "* ]]; then
		local rgargs=(--no-config -j1 --count-matches) p
		while read -r p; do rgargs+=(-e "$p"); done < <(sed -n "/^rg_patterns=(/,/^)/s/^\t'\(.*\)'\$/\1/p" bench/run.sh)
		echo "== rg ${rgargs[*]} dense.csv" | tee -a "$out/rg.txt"
		for _ in 1 2; do
			local t
			t=$( { TIMEFORMAT=%R; time "${ld[@]}" "$dir/rg" "${rgargs[@]}" "$c/dense.csv" >/dev/null; } 2>&1 )
			echo "rg wall $t s" | tee -a "$out/rg.txt"
		done
	fi
	# the lent machine sends back at most 8 files
	tar -C "$json" -czf "$out/scale-json.tar.gz" .
}

# A/B: the binaries DIR/NAME... in turn, DEV_ROUNDS rounds (default 3), at
# each of DEV_THREADS (default 12,16), one run each; prints a wall time a
# line and, per corpus, binary and thread count, the median.
ab() {
	setup "$1" "$2"
	shift 2
	local threads=${DEV_THREADS:-12,16} rounds=${DEV_ROUNDS:-3} r name bin t
	for ((r = 1; r <= rounds; r++)); do
		for name in $only; do
			local f=${file[$name]:-} extra
			[[ -n $f ]] || die "unknown corpus $name"
			mapfile -t extra < <(scan_args "$name" | tr ' ' '\n')
			for t in ${threads//,/ }; do
				for bin in "$@"; do
					local t0 t1 findings
					t0=${EPOCHREALTIME/./}
					"${ld[@]}" "$dir/$bin" scan "${extra[@]}" --threads "$t" -o /dev/shm/piiscan-ab.json "$c/$f" >/dev/null 2>&1 ||
						die "$bin failed on $f"
					t1=${EPOCHREALTIME/./}
					findings=$(grep -o '"findings": *[0-9]*' /dev/shm/piiscan-ab.json | head -n 1 | grep -o '[0-9]*$')
					printf '%s %s %s %d.%06d %s\n' "$name" "$bin" "$t" $(((t1 - t0) / 1000000)) $(((t1 - t0) % 1000000)) \
						"$findings" | tee -a "$out/ab.txt"
				done
			done
		done
	done
	echo "== medians (corpus binary threads: median wall s, all runs, findings)"
	python3 -c '
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, binary, t, wall, findings = line.split()
    runs.setdefault((name, binary, int(t)), []).append((float(wall), findings))
for k in sorted(runs):
    w = [x[0] for x in runs[k]]
    f = {x[1] for x in runs[k]}
    all_w = " ".join("%.3f" % x for x in w)
    print("%-12s %-16s %3d  %6.3f  (%s)  %s" % (k[0], k[1], k[2], statistics.median(w), all_w, "/".join(sorted(f))))
' "$out/ab.txt" | tee "$out/ab-medians.txt"
}

case ${1:-} in
pack) [[ $# == 2 ]] || die "usage: bench/device.sh pack DIR"; pack "$2" ;;
run) [[ $# == 3 ]] || die "usage: bench/device.sh run DIR OUT"; run "$2" "$3" ;;
ab) [[ $# -ge 4 ]] || die "usage: bench/device.sh ab DIR OUT NAME..."; shift; ab "$@" ;;
*) die "usage: bench/device.sh pack DIR | run DIR OUT | ab DIR OUT NAME..." ;;
esac
