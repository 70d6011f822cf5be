#!/usr/bin/env bash
# SQL dumps end to end: generate labelled mysqldump / pg_dump / GBK dumps and
# one dump that is a single long INSERT (tests/e2e/gen_dumps.py), compress
# each as .gz, .zst and .lz4, scan all of them in one run under
# /usr/bin/time, and score the run (tests/e2e/eval_dumps.py): recall and
# precision per dump x compression x rule, compressed findings identical to
# the plain ones, every column's classification, the archive/destroy policy
# per field, the manifest schema, sources, no raw value in any output, file
# modes, peak RSS.
#
#   tests/e2e/test_dumps.sh [BIN]     (from the repository root; BIN defaults
#                                      to build/piiscan)
# Environment: PIISCAN_DUMPS_ROWS (rows per dump, default 20000),
# PIISCAN_DUMPS_SEED (default 1), PIISCAN_DUMPS_LONG_MB (size of the
# single-INSERT dump, default 50; 0 leaves it out), PIISCAN_DUMPS_SELF_CHECK=0
# (skip checking every label against the bytes and the oracles, and every
# look-alike against the oracles, before the scan),
# PIISCAN_DUMPS_KEEP=1 (keep the temporary directory; it is kept anyway when
# a check fails), PIISCAN_DUMPS_RSS_MAX_KB (default 262144: 256 MiB).
# The planted values only ever exist in that temporary directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BIN=${1:-build/piiscan}
PY=/usr/bin/python3
ROWS=${PIISCAN_DUMPS_ROWS:-20000}
SEED=${PIISCAN_DUMPS_SEED:-1}
LONG_MB=${PIISCAN_DUMPS_LONG_MB:-50}
AS_OF=2026-01-01

if [ ! -x "$BIN" ]; then
	echo "test_dumps: $BIN is not an executable (run make first)" >&2
	exit 2
fi
for tool in gzip zstd lz4 /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "test_dumps: $tool is missing" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/piiscan-dumps.XXXXXX")
status=1
cleanup() {
	if [ "$status" -eq 0 ] && [ "${PIISCAN_DUMPS_KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	else
		echo "test_dumps: files kept in $T" >&2
	fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
start=$(now)

# 1. labelled dumps
t0=$(now)
gen_args=("$T/gen" --rows "$ROWS" --seed "$SEED" --long-mb "$LONG_MB")
[ "${PIISCAN_DUMPS_SELF_CHECK:-1}" = 1 ] && gen_args+=(--self-check)
"$PY" "$here/gen_dumps.py" "${gen_args[@]}"
echo "test_dumps: generated in $(since "$t0")s"

# 2. compressed twins (in parallel: gzip is the slow one)
t0=$(now)
dumps=()
for f in "$T"/gen/*.sql; do dumps+=("$f"); done
pids=()
for f in "${dumps[@]}"; do
	gzip -1 -k -f "$f" & pids+=($!)
	zstd -q -f "$f" -o "$f.zst" & pids+=($!)
	lz4 -q -f "$f" "$f.lz4" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
echo "test_dumps: compressed ${#dumps[@]} dumps as .gz, .zst, .lz4 in $(since "$t0")s"

# 3. one scan over everything, every plain dump first (eval_dumps.py streams
#    the compressed twins' findings against the plain ones)
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/key"
chmod 600 "$T/key"
inputs=()
for suf in "" .gz .zst .lz4; do
	for f in "${dumps[@]}"; do inputs+=("$f$suf"); done
done
mkdir -p "$T/run"
t0=$(now)
rc=0
/usr/bin/time -f %M -o "$T/run/rss" "$BIN" scan --fingerprint-key "$T/key" --as-of "$AS_OF" \
	-o "$T/run/manifest.json" --findings "$T/run/findings.jsonl" "${inputs[@]}" \
	>"$T/run/stdout" 2>"$T/run/stderr" || rc=$?
if [ "$rc" -ge 128 ]; then
	echo "test_dumps: FAIL: piiscan died with exit code $rc (signal $((rc - 128)))" >&2
	tail -n 20 "$T/run/stderr" >&2
	exit 1
fi
if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$T/run/stderr"; then
	echo "test_dumps: FAIL: sanitizer report on stderr:" >&2
	grep -m 5 -E 'Sanitizer|runtime error:' "$T/run/stderr" >&2
	exit 1
fi
rss=$(tail -n 1 "$T/run/rss")
echo "test_dumps: scanned $(du -cb "${inputs[@]}" | tail -n 1 | cut -f 1) bytes stored" \
	"(${#inputs[@]} files) in $(since "$t0")s, exit code $rc, peak RSS $((rss / 1024)) MiB"

# 4. score it
t0=$(now)
erc=0
"$PY" "$here/eval_dumps.py" --dir "$T/gen" --prefix "$T/gen/" \
	--findings "$T/run/findings.jsonl" --manifest "$T/run/manifest.json" \
	--stdout "$T/run/stdout" --stderr "$T/run/stderr" --rc "$rc" \
	--rss-kb "$rss" --rss-max-kb "${PIISCAN_DUMPS_RSS_MAX_KB:-262144}" \
	--rules "$root/rules" --schema "$root/scanner/manifest.schema.json" --as-of "$AS_OF" \
	>"$T/eval.txt" || erc=$?
cat "$T/eval.txt"
if [ "$erc" -ne 0 ]; then
	echo "test_dumps: FAIL (eval_dumps.py took $(since "$t0")s; total $(since "$start")s)" >&2
	exit 1
fi

# 5. offsets in a decoded dump: the MySQL dump with characters whose
#    GB18030 bytes are not two for three UTF-8 ones (U+3400, three UTF-8
#    bytes from four; U+00B7 and U+0080, two from two and from four;
#    U+20000, four from four) in place of some common ones, and its GB18030
#    copy read with --encoding gb18030, offsets counted from what the
#    decoder noted: with --threads 1 the reader decodes the dump, with 8 it
#    frames the bytes as read and the workers decode the rows. Either way
#    the copy's findings must be the UTF-8 version's, at offsets that hold
#    the same text (same_gb.py).
t0=$(now)
mkdir -p "$T/gb"
"$PY" - "$T/gen/mysql.sql" "$T/gb/mysql.sql" "$T/gb/mysql.gb.sql" <<'PYEOF'
import sys
t = open(sys.argv[1], encoding='utf-8').read()
for a, b in (('张', '\u3400'), ('王', '\U00020000'), ('李', '\u00b7'), ('刘', '\u0080')):
    t = t.replace(a, b)
open(sys.argv[2], 'w', encoding='utf-8').write(t)
open(sys.argv[3], 'wb').write(t.encode('gb18030'))
PYEOF
rc=0
"$BIN" scan --fingerprint-key "$T/key" --as-of "$AS_OF" -o "$T/gb/m8.json" --findings "$T/gb/f8.jsonl" \
	"$T/gb/mysql.sql" >/dev/null 2>"$T/gb/stderr8" || rc=$?
for t in 1 8; do
	"$BIN" scan --threads "$t" --fingerprint-key "$T/key" --as-of "$AS_OF" -o "$T/gb/m18030.$t.json" \
		--findings "$T/gb/f18030.$t.jsonl" --encoding gb18030 "$T/gb/mysql.gb.sql" >/dev/null \
		2>"$T/gb/stderr18030.$t" || rc=$?
done
if [ "$rc" -ne 0 ] || grep -qE 'Sanitizer|runtime error:' "$T/gb/stderr8" "$T/gb/stderr18030".*; then
	echo "test_dumps: FAIL: scanning the GB18030 pair: exit code $rc" >&2
	cat "$T/gb/stderr8" "$T/gb/stderr18030".* | head -n 5 >&2
	exit 1
fi
for t in 1 8; do
	if ! "$PY" "$here/same_gb.py" "$T/gb/f8.jsonl" "$T/gb/f18030.$t.jsonl" \
		"$T/gb/mysql.sql=$T/gb/mysql.gb.sql" >"$T/gb/same.$t.txt"; then
		echo "test_dumps: FAIL: the GB18030 dump's findings with --threads $t are not its UTF-8 twin's" >&2
		exit 1
	fi
done
echo "test_dumps: GB18030 dump with four-byte characters: $(cat "$T/gb/same.8.txt")," \
	"with 1 thread (the reader decodes) and 8 (the workers do) alike ($(since "$t0")s)"
echo "test_dumps: ok ($(since "$start")s)"
status=0
