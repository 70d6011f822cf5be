#!/usr/bin/env bash
# bench/run.sh — piiscan's throughput benchmark (issue 3). Generates (or
# reuses) seeded corpora, times build/piiscan and ripgrep on the same bytes,
# prints a table and writes build/bench/results-<timestamp>.json and
# build/bench/latest.json. Run it through `make bench`; bench/README.md says
# what every number means. Timing lives here only, never in unit tests.
#
# Environment (all optional; `make bench VAR=value` passes them on):
#   BENCH_SIZE              size of all six corpora (default: per corpus below)
#   BENCH_SIZE_CSV          dense CSV corpus           (default 256M; 0 skips it)
#   BENCH_SIZE_JSONL        JSON Lines corpus          (default 256M; 0 skips it)
#   BENCH_SIZE_LOG          sparse log corpus          (default 512M; 0 skips it)
#   BENCH_SIZE_CN           Chinese customer CSV       (default 256M; 0 skips it)
#   BENCH_SIZE_SQL          MySQL dump of the orders   (default 256M; 0 skips it)
#   BENCH_SIZE_CNSQL        MySQL dump of the Chinese customers, timed in
#                           UTF-8 and as its GBK copy (default 256M; 0 skips it)
#   BENCH_BIG_SIZE          dense CSV for the peak-RSS run (default 2G; 0 skips it)
#   BENCH_RUNS              runs per measurement, min/median/max (default 3)
#   BENCH_STARTUP_RUNS      runs of the start-up measurement (default 10)
#   BENCH_SEED              generator seed (default 1)
#   BENCH_LABEL             a note stored with the results ("baseline", a commit)
#   BENCH_THREADS           "all threads" (default: nproc)
#   BENCH_TMPDIR            where manifests and --findings files go
#                           (default /dev/shm when it has room, else build/bench/tmp)
#   BENCH_DIR               corpora, cache and results (default build/bench)
#   PIISCAN, GEN, PYTHON    the binaries (default build/piiscan,
#                           build/bench/gen_export, /usr/bin/python3)
#   FLOOR, DECODE           build/bench/floor and build/bench/decode: the
#                           parts of the job alone, weighed against the
#                           goals (skipped when unset, as make bench sets them)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

piiscan=${PIISCAN:-build/piiscan}
gen=${GEN:-build/bench/gen_export}
python=${PYTHON:-/usr/bin/python3}
out=${BENCH_DIR:-build/bench}
runs=${BENCH_RUNS:-3}
startup_runs=${BENCH_STARTUP_RUNS:-10}
seed=${BENCH_SEED:-1}
threads=${BENCH_THREADS:-$(nproc)}
size_csv=${BENCH_SIZE_CSV:-${BENCH_SIZE:-256M}}
size_jsonl=${BENCH_SIZE_JSONL:-${BENCH_SIZE:-256M}}
size_log=${BENCH_SIZE_LOG:-${BENCH_SIZE:-512M}}
size_cn=${BENCH_SIZE_CN:-${BENCH_SIZE:-256M}}
size_sql=${BENCH_SIZE_SQL:-${BENCH_SIZE:-256M}}
size_cnsql=${BENCH_SIZE_CNSQL:-${BENCH_SIZE:-256M}}
size_big=${BENCH_BIG_SIZE:-2G}

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

for tool in "$piiscan" "$gen"; do
	[[ -x $tool ]] || die "cannot run '$tool': build it with 'make bench'"
done
for tool in rg lz4 gzip iconv /usr/bin/time "$python"; do
	command -v "$tool" >/dev/null || die "'$tool' is missing: sh deploy/install-deps.sh"
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, not '$runs'"
[[ $threads =~ ^[1-9][0-9]*$ ]] || die "BENCH_THREADS must be a positive integer, not '$threads'"

mkdir -p "$out/corpus" "$out/cache"
# The compiled rule database is cached here, apart from the user's cache,
# so that the start-up measurement is reproducible.
case $out in
/*) export PIISCAN_CACHE_DIR=$out/cache ;;
*) export PIISCAN_CACHE_DIR=$root/$out/cache ;;
esac

if [[ -n ${BENCH_TMPDIR:-} ]]; then
	tmpbase=$BENCH_TMPDIR
elif [[ -d /dev/shm && -w /dev/shm ]]; then
	tmpbase=/dev/shm
else
	tmpbase=$out
fi
mkdir -p "$tmpbase"
tmp=$(mktemp -d "$tmpbase/piiscan-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
raw=$tmp/raw.jsonl
: >"$raw"

# Time a snapshot of the binary and its rules (laid out as in a checkout,
# so the shipped rules resolve the usual way): a rebuild in the working
# tree during the run must not change what is measured halfway.
snap=$tmp/snap
mkdir -p "$snap/bin"
cp "$piiscan" "$snap/bin/piiscan"
cp -R "$(dirname "$piiscan")/../rules" "$snap/rules"
floor=${FLOOR:-}
decode=${DECODE:-}
for tool in ${floor:+"$floor"} ${decode:+"$decode"}; do
	[[ -x $tool ]] || die "cannot run '$tool': build it with 'make bench'"
	cp "$tool" "$snap/bin/"
done
floor=${floor:+$snap/bin/$(basename "$floor")}
decode=${decode:+$snap/bin/$(basename "$decode")}
"$snap/bin/piiscan" --version >/dev/null 2>&1 || die "'$piiscan' does not run (being rebuilt?)"
piiscan_src=$piiscan
piiscan=$snap/bin/piiscan

# ---------------------------------------------------------------- helpers

json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/ }
	printf '"%s"' "$s"
}

emit() { printf '%s\n' "$1" >>"$raw"; }

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# Runs "$@" under /usr/bin/time with stdout and stderr to files; sets
# T_US (wall microseconds, the whole process), T_RSS (peak RSS, KiB),
# T_CPU (user + system seconds, 10 ms resolution), T_RC.
time_cmd() {
	local t0 t1 line
	t0=$(now_us)
	T_RC=0
	/usr/bin/time -f '%M %U %S' -o "$tmp/time" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || T_RC=$?
	t1=$(now_us)
	T_US=$((t1 - t0))
	line=$(tail -n 1 "$tmp/time")
	read -r T_RSS T_USER T_SYS <<<"$line"
	[[ $T_RSS =~ ^[0-9]+$ ]] || T_RSS=0
	T_CPU=$(awk -v u="${T_USER:-0}" -v s="${T_SYS:-0}" 'BEGIN { printf "%.2f", u + s }')
}

secs() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }

manifest_findings() {
	"$python" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["totals"]["findings"]) if m["status"]=="complete" else sys.exit("status " + m["status"])' "$1"
}

avail_bytes() { df -P -B1 "$1" | awk 'NR == 2 { print $4 }'; }

gen_hash=$(sha256sum bench/gen_export.c | cut -c1-10)

# Removes corpora made by an older generator: the cache key names its hash.
for f in "$out"/corpus/*; do
	[[ -e $f ]] || continue
	case $f in *"-g$gen_hash".* | */empty.csv) ;; *) rm -f "$f" ;; esac
done

ext_of() {
	case $1 in dense-csv | cn-csv) echo csv ;; jsonl) echo jsonl ;; sparse-log) echo log ;; mysql-dump | cn-dump) echo sql ;; esac
}

# corpus KIND SIZE: prints the path of the cached corpus, generating it first
# when needed (and its .stats.json beside it).
corpus() {
	local kind=$1 size=$2 f t0 t1
	f=$out/corpus/$kind-$size-s$seed-g$gen_hash.$(ext_of "$kind")
	if [[ ! -s $f || ! -s $f.stats.json ]]; then
		say "generating $f"
		t0=$(now_us)
		"$gen" --kind "$kind" --size "$size" --seed "$seed" --stats -o "$f.tmp" 2>"$f.stats.json.tmp" ||
			die "gen_export failed: $(cat "$f.stats.json.tmp")"
		t1=$(now_us)
		mv "$f.tmp" "$f"
		mv "$f.stats.json.tmp" "$f.stats.json"
		emit "{\"type\":\"gen\",\"kind\":\"$kind\",\"bytes\":$(stat -c %s "$f"),\"wall_us\":$((t1 - t0))}"
	fi
	echo "$f"
}

warm() { cat "$@" >/dev/null; }

sq() { printf "'%s'" "$1"; }

# ---------------------------------------------------------------- what runs

rg_patterns=(
	'(?:^|[^0-9])1[3-9][0-9]{9}(?:[^0-9]|$)'
	'(?:^|[^0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?:[^0-9]|$)'
	'[A-Za-z0-9_.%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,12}'
	'(?:^|[^0-9])[2-6][0-9]{15,18}(?:[^0-9]|$)'
	'(?:^|[^0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:[^0-9.]|$)'
	'(?:^|[^0-9])0[1-9][0-9]{1,2}-[2-9][0-9]{6,7}(?:[^0-9]|$)'
)
rg_args=(--no-config -j1 --count-matches)
for p in "${rg_patterns[@]}"; do rg_args+=(-e "$p"); done

rg_shown="rg --no-config -j1 --count-matches"
for p in "${rg_patterns[@]}"; do rg_shown+=" -e $(sq "$p")"; done

cmd_scan="PIISCAN_CACHE_DIR=$out/cache $piiscan_src scan --threads T -o MANIFEST FILE"
cmd_find="PIISCAN_CACHE_DIR=$out/cache $piiscan_src scan --threads T -o MANIFEST --findings FINDINGS FILE"
cmd_rg="$rg_shown FILE"
cmd_lz4="lz4 -1 FILE.csv FILE.csv.lz4; $piiscan_src scan --threads $threads -o MANIFEST FILE.csv.lz4"
cmd_gz="gzip -1 -c FILE.csv > FILE.csv.gz; $piiscan_src scan --threads $threads -o MANIFEST FILE.csv.gz"
cmd_gbk="iconv -f UTF-8 -t GBK FILE.csv > FILE.gbk.csv; $piiscan_src scan --threads $threads --encoding gbk -o MANIFEST FILE.gbk.csv   (cn-csv; cn-dump's FILE.sql likewise)"
cmd_start="$piiscan_src scan -o MANIFEST EMPTY.csv   (rule database already cached)"
cmd_time="/usr/bin/time -f %M (peak RSS); wall clock of the whole process from bash \$EPOCHREALTIME; $piiscan_src and its rules/ are copied to a temporary directory first and the copy is timed"

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
emit "{\"type\":\"meta\",\"cpu\":$(json_str "$cpu"),\"nproc\":$(nproc),\
\"kernel\":$(json_str "$(uname -sr)"),\"host_mem_kib\":$(awk '/MemTotal/ { print $2 }' /proc/meminfo),\
\"piiscan\":$(json_str "$("$piiscan" --version | head -n 1)"),\
\"piiscan_sha256\":\"$(sha256sum "$piiscan" | cut -c1-16)\",\"loadavg_start\":$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)"),\
\"ripgrep\":$(json_str "$(rg --version | head -n 1)"),\
\"lz4\":$(json_str "$(lz4 --version 2>&1 | grep -o 'v[0-9][0-9.]*' | head -n 1)"),\
\"label\":$(json_str "${BENCH_LABEL:-}"),\"runs\":$runs,\"startup_runs\":$startup_runs,\"seed\":$seed,\"threads\":$threads,\
\"sizes\":{\"dense-csv\":\"$size_csv\",\"jsonl\":\"$size_jsonl\",\"sparse-log\":\"$size_log\",\"cn-csv\":\"$size_cn\",\"mysql-dump\":\"$size_sql\",\"cn-dump\":\"$size_cnsql\",\"big\":\"$size_big\"},\
\"tmpdir\":$(json_str "$tmpbase"),\"gen_hash\":\"$gen_hash\",\
\"commands\":{\"scan\":$(json_str "$cmd_scan"),\"findings\":$(json_str "$cmd_find"),\
\"rg\":$(json_str "$cmd_rg"),\"lz4\":$(json_str "$cmd_lz4"),\"gz\":$(json_str "$cmd_gz"),\"gbk\":$(json_str "$cmd_gbk"),\"startup\":$(json_str "$cmd_start"),\
\"timing\":$(json_str "$cmd_time")}}"

# scan_once CORPUS CONFIG FILE BYTES THREADS FINDINGS(0|1) RUN SINK [TOTAL]
scan_extra=()   # more options for scan_once (the GBK copy's --encoding)
scan_once() {
	local corpus=$1 config=$2 file=$3 bytes=$4 nthreads=$5 with_findings=$6 run=$7 sink=$8
	local total=${9:-$runs}
	local args=(scan --threads "$nthreads" -o "$tmp/manifest.json" "${scan_extra[@]}") findings fbytes=0

	if ((with_findings)); then
		args+=(--findings "$sink/findings.jsonl")
	fi
	time_cmd "$piiscan" "${args[@]}" "$file"
	if ((T_RC != 0)); then
		cat "$tmp/stderr" >&2
		die "piiscan exited $T_RC on '$file' ($config)"
	fi
	findings=$(manifest_findings "$tmp/manifest.json") || die "bad manifest for '$file'"
	if ((with_findings)); then
		fbytes=$(stat -c %s "$sink/findings.jsonl")
		rm -f "$sink/findings.jsonl"
	fi
	rm -f "$tmp/manifest.json"
	emit "{\"type\":\"run\",\"corpus\":\"$corpus\",\"config\":\"$config\",\"run\":$run,\
\"threads\":$nthreads,\"bytes\":$bytes,\"wall_us\":$T_US,\"cpu_s\":$T_CPU,\"user_s\":${T_USER:-0},\
\"maxrss_kib\":$T_RSS,\"findings\":$findings,\"findings_bytes\":$fbytes}"
	say "$corpus run $run/$total $config: $(secs "$T_US") s, cpu $T_CPU s, $((T_RSS / 1024)) MiB, $findings findings"
}

rg_once() {
	local corpus=$1 file=$2 bytes=$3 run=$4 count

	time_cmd rg "${rg_args[@]}" "$file"
	((T_RC == 0 || T_RC == 1)) || { cat "$tmp/stderr" >&2; die "rg exited $T_RC on '$file'"; }
	count=$(head -n 1 "$tmp/stdout")
	[[ $count =~ ^[0-9]+$ ]] || count=0
	emit "{\"type\":\"run\",\"corpus\":\"$corpus\",\"config\":\"rg\",\"run\":$run,\"threads\":1,\
\"bytes\":$bytes,\"wall_us\":$T_US,\"cpu_s\":$T_CPU,\"maxrss_kib\":$T_RSS,\"matches\":$count}"
	say "$corpus run $run/$runs rg: $(secs "$T_US") s, cpu $T_CPU s, $count matches"
}

# indep_once CORPUS FILE BYTES RUN: the machine's own ceiling for scaling.
# T single-thread scans of the same file at once, each pinned to a CPU of
# its own (reader, worker and writer together): the total work of the
# T-thread run, done with no sharing at all. Their summed throughput over
# the 1-thread run's is what T threads could reach on this machine; a
# shortfall beyond it is piiscan's, below it the machine's (shared caches,
# memory, the hypervisor).
indep_once() {
	local corpus=$1 file=$2 bytes=$3 run=$4 k walls="" w
	for ((k = 0; k < threads; k++)); do
		(
			t0=$(now_us)
			taskset -c "$k" "$piiscan" scan --threads 1 -o "$tmp/indep$k.json" "$file" \
				>/dev/null 2>"$tmp/indep$k.err" || { cat "$tmp/indep$k.err" >&2; exit 1; }
			t1=$(now_us)
			echo $((t1 - t0)) >"$tmp/indep$k.us"
		) &
	done
	wait
	for ((k = 0; k < threads; k++)); do
		[[ -s $tmp/indep$k.us ]] || die "an independent scan of '$file' failed"
		w=$(cat "$tmp/indep$k.us")
		walls+=${walls:+,}$w
		rm -f "$tmp/indep$k.us" "$tmp/indep$k.json" "$tmp/indep$k.err"
	done
	emit "{\"type\":\"indep\",\"corpus\":\"$corpus\",\"run\":$run,\"threads\":$threads,\
\"bytes\":$bytes,\"walls_us\":[$walls]}"
	say "$corpus run $run/$runs $threads independent 1-thread scans, pinned: walls ${walls//,/ } us"
}

# floor_corpus KIND FILE GOAL [LZ4]: the parts every design of the job
# needs, alone (bench/floor.c: read(2), the validators), against the time a
# record may take at GOAL GB/s a core; with LZ4, its decoding alone in one
# thread (bench/decode.c), for the LZ4 goal. Pinned to one CPU, CPU time.
floor_corpus() {
	local kind=$1 file=$2 goal=$3 lz=${4:-} pin=() line cpus=""
	[[ -n $floor ]] || return 0
	command -v taskset >/dev/null && pin=(taskset -c 0)
	line=$("${pin[@]}" "$floor" "$file" --rules "$snap/rules" --runs "$runs" --goal "$goal" --json) ||
		die "build/bench/floor failed on '$file'"
	emit "{\"type\":\"floor\",\"corpus\":\"$kind\",\"result\":$line}"
	say "$kind floor: done"
	[[ -n $lz && -n $decode ]] || return 0
	while IFS=$'\t' read -r _ _ _ cpu; do
		cpus+=${cpus:+,}$cpu
	done < <("${pin[@]}" "$decode" "$lz" caller --runs "$runs")
	emit "{\"type\":\"floor_decode\",\"corpus\":\"$kind\",\"bytes\":$(stat -c %s "$file"),\"cpu_s\":[$cpus]}"
	say "$kind LZ4 decoding alone: CPU ${cpus//,/ } s"
}

# bench_corpus KIND SIZE
bench_corpus() {
	local kind=$1 size=$2 f bytes lz gz gb gb_bytes sink need

	[[ $size == 0 ]] && { say "skipping $kind (size 0)"; return; }
	f=$(corpus "$kind" "$size")
	bytes=$(stat -c %s "$f")
	emit "{\"type\":\"corpus\",\"corpus\":\"$kind\",\"path\":$(json_str "$f"),\"size_arg\":\"$size\",\
\"bytes\":$bytes,\"gen\":$(cat "$f.stats.json")}"
	if [[ $kind == dense-csv ]]; then
		lz=$f.lz4
		if [[ ! -s $lz ]]; then
			say "compressing $lz"
			lz4 -1 -q -f "$f" "$lz.tmp" && mv "$lz.tmp" "$lz"
		fi
		emit "{\"type\":\"lz4\",\"corpus\":\"$kind\",\"bytes_stored\":$(stat -c %s "$lz")}"
		gz=$f.gz
		if [[ ! -s $gz ]]; then
			say "compressing $gz"
			gzip -1 -c "$f" >"$gz.tmp" && mv "$gz.tmp" "$gz"
		fi
	fi
	if [[ $kind == cn-csv || $kind == cn-dump ]]; then
		# Chinese exports from older systems come in GBK: the same table,
		# decoded by piiscan (--encoding gbk); GB/s of the GBK bytes.
		gb=${f%.*}.gbk.${f##*.}
		if [[ ! -s $gb ]]; then
			say "converting $gb"
			iconv -f UTF-8 -t GBK "$f" >"$gb.tmp" && mv "$gb.tmp" "$gb"
		fi
		gb_bytes=$(stat -c %s "$gb")
		emit "{\"type\":\"gbk\",\"corpus\":\"$kind\",\"bytes\":$gb_bytes}"
	fi

	# A --findings line is ~230 bytes; in tmpfs it costs memory, so fall
	# back to disk when it will not fit beside the page-cached corpora.
	need=$("$python" -c 'import json,sys; s=json.load(open(sys.argv[1])); print((s["planted_total"] + s.get("names_zh", 0) + s.get("addresses_zh", 0)) * 300 + (1 << 30))' "$f.stats.json" 2>/dev/null || echo 0)
	sink=$tmp
	if (($(avail_bytes "$tmp") < need)); then
		sink=$out/tmp
		mkdir -p "$sink"
		say "findings files go to $sink ($tmpbase is too small)"
	fi
	emit "{\"type\":\"sink\",\"corpus\":\"$kind\",\"path\":$(json_str "$sink")}"

	warm "$f" ${lz:+"$lz"} ${gz:+"$gz"} ${gb:+"$gb"}
	# Round robin, so that the machine's noise hits every configuration alike.
	for ((i = 1; i <= runs; i++)); do
		scan_once "$kind" scan_t1 "$f" "$bytes" 1 0 "$i" "$sink"
		scan_once "$kind" scan_tall "$f" "$bytes" "$threads" 0 "$i" "$sink"
		scan_once "$kind" findings_t1 "$f" "$bytes" 1 1 "$i" "$sink"
		scan_once "$kind" findings_tall "$f" "$bytes" "$threads" 1 "$i" "$sink"
		rg_once "$kind" "$f" "$bytes" "$i"
		if ((threads > 1 && threads <= $(nproc))) && command -v taskset >/dev/null; then
			indep_once "$kind" "$f" "$bytes" "$i"
		fi
		if [[ -n ${lz:-} ]]; then
			scan_once "$kind" lz4_tall "$lz" "$bytes" "$threads" 0 "$i" "$sink"
		fi
		if [[ -n ${gz:-} ]]; then
			scan_once "$kind" gz_tall "$gz" "$bytes" "$threads" 0 "$i" "$sink"
		fi
		if [[ -n ${gb:-} ]]; then
			scan_extra=(--encoding gbk)
			scan_once "$kind" gbk_tall "$gb" "$gb_bytes" "$threads" 0 "$i" "$sink"
			scan_extra=()
		fi
	done
	case $kind in
	dense-csv) floor_corpus "$kind" "$f" 2.5 "$lz" ;;
	sparse-log) floor_corpus "$kind" "$f" 5 ;;
	esac
}

# ---------------------------------------------------------------- runs

say "machine: $cpu, nproc $(nproc); $runs runs per measurement; tmp $tmp"

# Start-up: the empty file's scan is all set-up (rule loading, database
# load from the cache, threads) and teardown (manifest write).
empty=$out/corpus/empty.csv
: >"$empty"
cold=$tmp/cold-cache
t0=$(now_us)
PIISCAN_CACHE_DIR=$cold "$piiscan" scan -o "$tmp/m.json" "$empty" >/dev/null 2>&1 || die "piiscan cannot scan an empty file"
t1=$(now_us)
emit "{\"type\":\"startup_cold\",\"wall_us\":$((t1 - t0))}"
rm -rf "$cold"
"$piiscan" scan -o "$tmp/m.json" "$empty" >/dev/null 2>&1    # fills $PIISCAN_CACHE_DIR
for ((i = 1; i <= startup_runs; i++)); do
	t0=$(now_us)
	"$piiscan" scan -o "$tmp/m.json" "$empty" >/dev/null 2>&1
	t1=$(now_us)
	emit "{\"type\":\"startup\",\"run\":$i,\"wall_us\":$((t1 - t0))}"
done
say "start-up: done"

bench_corpus dense-csv "$size_csv"
bench_corpus jsonl "$size_jsonl"
bench_corpus sparse-log "$size_log"
bench_corpus cn-csv "$size_cn"
bench_corpus mysql-dump "$size_sql"
bench_corpus cn-dump "$size_cnsql"

if [[ $size_big != 0 ]]; then
	big=$(corpus dense-csv "$size_big")
	bytes=$(stat -c %s "$big")
	emit "{\"type\":\"corpus\",\"corpus\":\"big\",\"path\":$(json_str "$big"),\"size_arg\":\"$size_big\",\
\"bytes\":$bytes,\"gen\":$(cat "$big.stats.json")}"
	# Warm only what fits: a 10 GB corpus may not stay in the page cache,
	# and then the run also measures the disk (the table says so).
	if (($(awk '/MemAvailable/ { print $2 }' /proc/meminfo) * 1024 > bytes * 2)); then
		warm "$big"
		emit "{\"type\":\"big_cache\",\"warm\":true}"
	else
		emit "{\"type\":\"big_cache\",\"warm\":false}"
	fi
	scan_once big scan_tall "$big" "$bytes" "$threads" 0 1 "$tmp" 1
fi

emit "{\"type\":\"end\",\"loadavg_end\":$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
"$python" bench/report.py "$raw" "$out/results-$stamp.json" "$out/results-$stamp.txt"
cp "$out/results-$stamp.json" "$out/latest.json.tmp" && mv "$out/latest.json.tmp" "$out/latest.json"
say "wrote $out/results-$stamp.json, $out/results-$stamp.txt and $out/latest.json"
