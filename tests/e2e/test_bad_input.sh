#!/usr/bin/env bash
# Bad inputs: each is scanned together with a good file; piiscan must not
# crash (no exit code >= 128, no sanitizer report), must name the bad file on
# stderr and record the error against it in the manifest, and must lose
# nothing else (the good file's findings are byte-identical to a scan of it
# alone; values decoded before the damage are still found).
#
#   tests/e2e/test_bad_input.sh [BIN]       (from the repository root;
#                                            BIN defaults to build/piiscan)
# Environment: PIISCAN_E2E_HUGE_BYTES (default 1073741824: the length of the
# single line streamed on stdin; 0 skips that case), PIISCAN_E2E_KEEP=1.
#
# Exit codes asserted (the spec): 0 the scan completed; 2 usage or fatal
# error; 3 completed but some input failed (manifest status "partial");
# 1 with --fail-on-findings and findings present. Invalid UTF-8 and an
# unbalanced quote are accepted with 0 or 3 (the file was read to its end),
# but must be reported all the same; the exit code must match the status.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-build/piiscan}
PY=/usr/bin/python3
HUGE=${PIISCAN_E2E_HUGE_BYTES:-1073741824}
RSS_LIMIT_KB=$((256 * 1024))

if [ ! -x "$BIN" ]; then
	echo "test_bad_input: $BIN is not an executable (run make first)" >&2
	exit 2
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/piiscan-bad.XXXXXX")
D=$T/in
failed=0
cleanup() {
	chmod -R u+rwX "$T" 2>/dev/null || true
	if [ "$failed" -eq 0 ] && [ "${PIISCAN_E2E_KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	else
		echo "test_bad_input: files kept in $T" >&2
	fi
}
trap cleanup EXIT

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/key"
"$PY" "$here/bad_inputs.py" make "$D"

# run NAME ARGS...: one scan into $T/NAME (manifest, findings, stdout, stderr, rc)
run() {
	local name=$1 rc=0
	shift
	mkdir -p "$T/$name"
	"$BIN" scan --fingerprint-key "$T/key" -o "$T/$name/manifest.json" \
		--findings "$T/$name/findings.jsonl" "$@" >"$T/$name/stdout" 2>"$T/$name/stderr" || rc=$?
	echo "$rc" >"$T/$name/rc"
}

# check NAME [bad_inputs.py check options]
check() {
	local name=$1
	shift
	"$PY" "$here/bad_inputs.py" check "$name" --dir "$D" --run "$T/$name" --baseline "$T/base" "$@" ||
		failed=1
}

baseline() {
	run base "$D/good.csv" "$D/src.csv" "$D/clean.csv"
	if [ "$(cat "$T/base/rc")" != 0 ] || [ ! -s "$T/base/findings.jsonl" ]; then
		echo "test_bad_input: FAIL: the baseline scan of the clean files exited $(cat "$T/base/rc")" >&2
		tail -n 5 "$T/base/stderr" >&2
		failed=1
		exit 1
	fi
}

case_missing() {
	run missing "$D/good.csv" "$D/no-such-file.csv"
	check missing --bad "$D/no-such-file.csv" --expect-rc 3 \
		--error 'no such file|not found|does not exist|cannot open|missing'
}

case_unreadable() {
	if [ "$(id -u)" = 0 ]; then
		echo "test_bad_input: unreadable skipped (running as root: chmod 000 does not stop root)"
		return
	fi
	cp "$D/good.csv" "$D/unreadable.csv"
	chmod 000 "$D/unreadable.csv"
	run unreadable "$D/good.csv" "$D/unreadable.csv"
	chmod 600 "$D/unreadable.csv"
	check unreadable --bad "$D/unreadable.csv" --expect-rc 3 --error 'permission|denied|cannot open|cannot read'
}

case_truncated_lz4() {
	run trunc "$D/good.csv" "$D/trunc.csv.lz4"
	check trunc --bad "$D/trunc.csv.lz4" --expect-rc 3 \
		--error 'trunc|unexpected end|unfinished|incomplete|premature|end of (file|input|frame)|lz4|frame'
}

case_corrupt_lz4() {
	run corrupt "$D/good.csv" "$D/corrupt.csv.lz4"
	check corrupt --bad "$D/corrupt.csv.lz4" --expect-rc 3 \
		--error 'corrupt|checksum|decompress|decod|invalid|malformed|lz4|frame'
}

case_invalid_utf8() {
	run badutf8 "$D/good.csv" "$D/badutf8.csv"
	check badutf8 --bad "$D/badutf8.csv" --expect-rc 0,3 --error 'utf-?8|encoding|invalid byte'
}

case_unbalanced_quote() {
	run unbalanced "$D/good.csv" "$D/unbalanced.csv"
	check unbalanced --bad "$D/unbalanced.csv" --expect-rc 0,3 --error 'quote'
}

case_garbage() {
	head -c 10M /dev/urandom >"$D/garbage.bin"
	run garbage "$D/good.csv" "$D/garbage.bin"
	check garbage --bad "$D/garbage.bin" --expect-rc 0,3 --max-findings 100
	cp "$D/garbage.bin" "$D/garbage.csv"
	run garbage_csv "$D/good.csv" "$D/garbage.csv"
	check garbage_csv --bad "$D/garbage.csv" --expect-rc 0,3 --max-findings 100
}

case_empty() {
	run empty "$D/good.csv" "$D/empty.csv"
	check empty --bad "$D/empty.csv" --expect-rc 0
}

# --threads defaults to the CPUs this process may use (its affinity mask),
# not the machine's count: under `taskset -c 0`, one scanning thread.
case_default_threads() {
	local rc=0 n
	command -v taskset >/dev/null || { echo "test_bad_input: threads     skipped (no taskset)"; return; }
	taskset -c 0 "$BIN" scan --fingerprint-key "$T/key" -o "$T/threads.json" "$D/good.csv" >/dev/null 2>&1 || rc=$?
	n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["threads"])' "$T/threads.json" 2>/dev/null || echo none)
	if [ "$rc" != 0 ] || [ "$n" != 1 ]; then
		echo "test_bad_input: threads     FAIL: under taskset -c 0 the scan exited $rc with $n threads, expected 0 and 1"
		failed=1
		return
	fi
	echo "test_bad_input: threads     ok (taskset -c 0: 1 scanning thread by default)"
}

case_exit_codes() {
	local rc=0 bad=0
	"$BIN" scan --fail-on-findings --fingerprint-key "$T/key" "$D/good.csv" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 1 ] || { echo "test_bad_input: exit_codes FAIL: --fail-on-findings with findings exited $rc, expected 1"; bad=1; }
	rc=0
	"$BIN" scan --fail-on-findings --fingerprint-key "$T/key" "$D/empty.csv" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 0 ] || { echo "test_bad_input: exit_codes FAIL: --fail-on-findings without findings exited $rc, expected 0"; bad=1; }
	rc=0
	"$BIN" scan --min-confidence bogus "$D/good.csv" >/dev/null 2>"$T/usage.err" || rc=$?
	if [ "$rc" != 2 ] || [ ! -s "$T/usage.err" ]; then
		echo "test_bad_input: exit_codes FAIL: a bad option exited $rc (expected 2, with a message on stderr)"
		bad=1
	fi
	rc=0
	"$BIN" --help >"$T/help.out" 2>/dev/null || rc=$?
	if [ "$rc" != 0 ] || [ ! -s "$T/help.out" ]; then
		echo "test_bad_input: exit_codes FAIL: --help exited $rc or printed nothing on stdout"
		bad=1
	fi
	[ "$bad" = 0 ] || { failed=1; return; }
	echo "test_bad_input: exit_codes  ok (--fail-on-findings 1/0, bad option 2, --help 0)"
}

# A single line of $HUGE bytes on stdin (--format text, PATH -) with a value
# right before its end: it must be found at its exact offset, and the peak
# resident set size must stay under 256 MiB. RSS comes from GNU time's
# "Maximum resident set size" (/usr/bin/time -v, Debian package 'time') when
# installed, else from VmHWM in /proc, polled while the scan runs.
case_huge_line() {
	if [ "$HUGE" = 0 ]; then
		echo "test_bad_input: huge_line   skipped (PIISCAN_E2E_HUGE_BYTES=0)"
		return
	fi
	local value len out=$T/huge rc=0 rss t0 t1 how
	value=$("$PY" "$here/gen_exports.py" --emit cn_mobile --seed 99)
	len=${#value}
	mkdir -p "$out"
	t0=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		{ yes 'lorem ipsum dolor sit amet consectetur' | tr -d '\n' | head -c "$HUGE" || true; printf ' %s\n' "$value"; } |
			/usr/bin/time -v -o "$out/time" "$BIN" scan --format text --fingerprint-key "$T/key" \
				-o "$out/manifest.json" --findings "$out/findings.jsonl" - >"$out/stdout" 2>"$out/stderr" || rc=$?
		rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time")
		how="/usr/bin/time -v"
	else
		local pid hwm
		rss=0
		{ yes 'lorem ipsum dolor sit amet consectetur' | tr -d '\n' | head -c "$HUGE" || true; printf ' %s\n' "$value"; } |
			"$BIN" scan --format text --fingerprint-key "$T/key" -o "$out/manifest.json" \
				--findings "$out/findings.jsonl" - >"$out/stdout" 2>"$out/stderr" &
		pid=$!
		while kill -0 "$pid" 2>/dev/null; do
			hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
			[ -n "$hwm" ] && [ "$hwm" -gt "$rss" ] && rss=$hwm
			sleep 0.05
		done
		wait "$pid" || rc=$?
		how="VmHWM polled from /proc"
	fi
	t1=$(date +%s.%N)
	echo "$rc" >"$out/rc"
	if ! "$PY" - "$out" "$HUGE" "$len" "$rc" "$rss" "$RSS_LIMIT_KB" <<'EOF'; then
import json, sys, re
out, huge, ln, rc, rss, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5] or 0), int(sys.argv[6])
p = []
if rc != 0:
    p.append('exit code %d, expected 0' % rc)
err = open(out + '/stderr', errors='replace').read()
if re.search(r'Sanitizer|runtime error:', err):
    p.append('sanitizer report on stderr')
fs = []
try:
    fs = [json.loads(l) for l in open(out + '/findings.jsonl')]
except (OSError, ValueError) as e:
    p.append('findings: %s' % e)
want = {'source': '-', 'record': 1, 'field': None, 'rule': 'cn_mobile', 'offset': huge + 1, 'length': ln}
hit = [f for f in fs if all(f.get(k) == v for k, v in want.items())]
if len(fs) != 1 or not hit:
    p.append('expected exactly one finding %s, got %s' % (want, [{k: f.get(k) for k in want} for f in fs][:3]))
try:
    m = json.load(open(out + '/manifest.json'))
    s = (m.get('sources') or [{}])[0]
    if m.get('status') != 'complete' or s.get('records') != 1 or s.get('bytes_read') != huge + ln + 2:
        p.append('manifest: status %r, records %r, bytes_read %r (expected complete, 1, %d)' % (
            m.get('status'), s.get('records'), s.get('bytes_read'), huge + ln + 2))
except (OSError, ValueError) as e:
    p.append('manifest: %s' % e)
if not rss:
    p.append('peak RSS not measured')
elif rss >= limit:
    p.append('peak RSS %d KiB >= %d KiB' % (rss, limit))
if p:
    print('test_bad_input: huge_line   FAIL:')
    for x in p:
        print('    - ' + x)
    sys.exit(1)
EOF
		failed=1
		return
	fi
	echo "test_bad_input: huge_line   ok ($HUGE-byte line on stdin: value at its offset, peak RSS $((rss / 1024)) MiB by $how, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s)"
}

scan_extra=()   # more options for same_as_one_thread
many=8          # ... and its thread count
# With 8 threads, line-framed input (text, JSON Lines, CSV/TSV) is read a
# chunk at a time without framing (pipeline.c, read_lines); some inputs go
# back to the framer. same_as_one_thread FILE NAME FINDINGS: scanned with
# --threads 8 and 1, the same findings (FINDINGS of them) and manifest.
same_as_one_thread() {
	local f=$1 name=$2 want=$3 out=$T/$2 n rc=0
	mkdir -p "$out"
	for n in 1 "$many"; do
		"$BIN" scan --threads "$n" --fingerprint-key "$T/key" -o "$out/m$n.json" --findings "$out/f$n.jsonl" \
			"${scan_extra[@]}" "$f" >/dev/null 2>"$out/err$n" || rc=$?
	done
	if [ "$rc" = 0 ] && cmp -s "$out/f1.jsonl" "$out/f$many.jsonl" && [ "$(wc -l <"$out/f1.jsonl")" = "$want" ] &&
		"$PY" "$here/same_manifest.py" "$out/m1.json" "$out/m$many.json"
	then
		return 0
	fi
	echo "test_bad_input: $name FAIL: exit $rc, $(wc -l <"$out/f1.jsonl") and $(wc -l <"$out/f$many.jsonl") findings" \
		"(want $want); first difference: $(cmp "$out/f1.jsonl" "$out/f$many.jsonl" | head -n 1)"
	failed=1
	return 1
}

# With 12 threads a plain file's 1 MiB blocks are read by block threads
# and, once 4 MiB are in, handed to the chunks whole, the line begun in the
# block before written in front (pipeline.c, take_block): 16 MB of lines,
# six of 0.4-0.8 MB (longer than that room, 64 KiB: copied as before) and
# one longer than a block, the same findings as with one thread.
case_blocks_handed_over() {
	local value n
	value=$("$PY" "$here/gen_exports.py" --emit cn_mobile --seed 11)
	# lines all but made of the value, so that a byte out of place at a
	# block's edge changes a finding
	local v8="$value $value $value $value $value $value $value $value"
	{
		for n in $(seq 120000); do
			echo "$v8"
			if [ $((n % 20000)) = 10000 ]; then
				yes 'padding ' | tr -d '\n' | head -c $((400000 + 3 * n)) || true
				echo " $value"
			fi
		done
		yes 'lorem ipsum ' | tr -d '\n' | head -c 1500000 || true
		echo " $value"
		for n in $(seq 1000); do echo "tail $n $value"; done
	} >"$T/blocks.log"
	many=12
	same_as_one_thread "$T/blocks.log" blocks_handed_over 961007 &&
		echo "test_bad_input: blocks      ok (16 MB of lines, some over 64 KiB and 1 MiB: --threads 12 as --threads 1)"
	many=8
}

# The same for bytes the reader frames (a dump): with 12 threads a block
# is handed over into its pending bytes, the row begun in the block before
# written in front (take_block into pend). 12 MB of INSERTs of rows made
# of values, five of 0.1-1.5 MB (one over a block: what is pending at a
# block's end is then more than fits in front, and is copied).
case_dump_blocks_handed_over() {
	"$PY" - "$T/blocks.sql" "$("$PY" "$here/gen_exports.py" --emit cn_mobile --seed 12)" <<'PYEOF'
import sys
path, v = sys.argv[1], sys.argv[2]
with open(path, "w") as f:
    f.write("CREATE TABLE `t` (\n  `a` varchar(20),\n  `b` varchar(20),\n  `c` text\n);\n")
    row = 0
    for stmt in range(200):
        rows = []
        for k in range(800):
            row += 1
            big = "p" * (1500000 if row == 120000 else 100000 * (row // 30000)) if row % 30000 == 0 else ""
            rows.append("('%s','%s','%s%s %s')" % (v, v, big, v, v))
        f.write("INSERT INTO `t` VALUES " + ",".join(rows) + ";\n")
PYEOF
	many=12
	same_as_one_thread "$T/blocks.sql" dump_blocks 640000 &&
		echo "test_bad_input: dump_blocks ok (12 MB dump, five rows of 0.1-1.5 MB: --threads 12 as --threads 1)"
	many=8
}

# Lines longer than a chunk (1 MiB) and than a record may be (8 MiB) among
# ordinary ones: such a line goes back to the framer.
case_long_lines() {
	local value n
	value=$("$PY" "$here/gen_exports.py" --emit cn_mobile --seed 7)
	{
		for n in $(seq 2000); do echo "line $n user $value ok"; done
		yes 'lorem ipsum dolor ' | tr -d '\n' | head -c 3000000 || true
		echo " $value"
		for n in $(seq 30000); do echo "line $n user $value ok"; done
		yes 'lorem ipsum dolor ' | tr -d '\n' | head -c 20000000 || true
		echo " $value"
		for n in $(seq 2000); do echo "line $n user $value ok"; done
	} >"$T/long.log"
	same_as_one_thread "$T/long.log" long_lines 34002 &&
		echo "test_bad_input: long_lines  ok (3 MB and 20 MB lines among 34,000: --threads 8 as --threads 1)"
}

# The same in GB18030 with Chinese text (--encoding gb18030): the 20 MB
# line is decoded by the reader and cut into pieces at characters' starts,
# the ordinary lines around it decoded by the workers with 8 threads; the
# findings must be the UTF-8 original's, their offsets holding the same
# text (same_gb.py).
case_long_lines_gb() {
	local value n
	value=$("$PY" "$here/gen_exports.py" --emit cn_mobile --seed 9)
	{
		for n in $(seq 2000); do echo "第 $n 行 用户 $value 好"; done
		yes '王伟 北京市朝阳区 数据 ' | tr -d '\n' | head -c 20000001 || true
		echo " $value"
		for n in $(seq 3000); do echo "第 $n 行 用户 $value 好"; done
	} >"$T/long-zh.log"
	"$PY" -c 'import sys; open(sys.argv[2], "wb").write(open(sys.argv[1], "rb").read().decode("utf-8", "replace").encode("gb18030"))' \
		"$T/long-zh.log" "$T/long-gb.log"
	"$BIN" scan --threads 1 --fingerprint-key "$T/key" -o "$T/long-zh.json" --findings "$T/long-zh.jsonl" \
		"$T/long-zh.log" >/dev/null 2>&1 || true
	scan_extra=(--encoding gb18030)
	if ! same_as_one_thread "$T/long-gb.log" long_lines_gb 5001; then
		:   # said why
	elif "$PY" "$here/same_gb.py" "$T/long-zh.jsonl" "$T/long_lines_gb/f8.jsonl" "$T/long-zh.log=$T/long-gb.log" \
		>"$T/long_lines_gb/same.txt" 2>&1; then
		echo "test_bad_input: long_lines_gb ok (GB18030, a 20 MB line among 5,000: --threads 8 as --threads 1, as its UTF-8 original)"
	else
		echo "test_bad_input: long_lines_gb FAIL: $(cat "$T/long_lines_gb/same.txt")"
		failed=1
	fi
	scan_extra=()
}

# A CSV export that starts quoting after a few chunks, with line breaks and
# commas inside quoted fields: from its first quote the framer reads it.
case_late_quotes() {
	local value
	value=$("$PY" "$here/gen_exports.py" --emit cn_mobile --seed 8)
	{
		echo "id,note,mobile"
		seq 1 60000 | sed "s/.*/&,plain,$value/"
		seq 60001 60400 | sed "s/.*/&,\"two\nlines, $value\",$value/"
		seq 60401 90000 | sed "s/.*/&,plain,$value/"
	} >"$T/late.csv"
	same_as_one_thread "$T/late.csv" late_quotes 90400 &&
		echo "test_bad_input: late_quotes ok (quoted line breaks after 1.4 MB of CSV: --threads 8 as --threads 1)"
}

# SIGTERM mid-scan: the pipeline drains and the manifest says "interrupted"
# (SIGTERM rather than SIGINT: a non-interactive shell starts background jobs
# with SIGINT ignored); SIGKILL: no half-written manifest at the -o path.
case_signals() {
	local out=$T/sigterm pid rc=0 i
	mkdir -p "$out"
	{ yes 'lorem ipsum dolor sit amet' | head -c 20000000000; } |
		"$BIN" scan --format text --fingerprint-key "$T/key" -o "$out/manifest.json" \
			--findings "$out/findings.jsonl" - >"$out/stdout" 2>"$out/stderr" &
	pid=$!
	sleep 1
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "test_bad_input: signals     FAIL: still running 10 s after SIGTERM"
		failed=1
		return
	fi
	wait "$pid" || rc=$?
	if [ "$rc" = 134 ] || [ "$rc" = 136 ] || [ "$rc" = 139 ] || grep -qE 'Sanitizer|runtime error:' "$out/stderr"; then
		echo "test_bad_input: signals     FAIL: exit code $rc after SIGTERM"
		failed=1
		return
	fi
	if ! "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(m.get("status") != "interrupted")' \
		"$out/manifest.json" 2>/dev/null; then
		echo "test_bad_input: signals     FAIL: after SIGTERM the manifest is missing or its status is not \"interrupted\""
		failed=1
		return
	fi
	out=$T/sigkill
	mkdir -p "$out"
	{ yes 'lorem ipsum dolor sit amet' | head -c 20000000000; } |
		"$BIN" scan --format text --fingerprint-key "$T/key" -o "$out/manifest.json" \
			--findings "$out/findings.jsonl" - >"$out/stdout" 2>"$out/stderr" &
	pid=$!
	sleep 1
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ -e "$out/manifest.json" ]; then
		echo "test_bad_input: signals     FAIL: a manifest exists at the -o path after SIGKILL"
		failed=1
		return
	fi
	echo "test_bad_input: signals     ok (SIGTERM: exit $rc, status interrupted; SIGKILL: no manifest left)"
}

t0=$(date +%s.%N)
baseline
case_missing
case_unreadable
case_truncated_lz4
case_corrupt_lz4
case_invalid_utf8
case_unbalanced_quote
case_garbage
case_empty
case_exit_codes
case_default_threads
case_long_lines
case_blocks_handed_over
case_dump_blocks_handed_over
case_long_lines_gb
case_late_quotes
case_signals
echo "test_bad_input: small cases took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
case_huge_line

if [ "$failed" != 0 ]; then
	echo "test_bad_input: FAIL" >&2
	exit 1
fi
echo "test_bad_input: all cases passed"
