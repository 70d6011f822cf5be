#!/usr/bin/env bash
# End-to-end accuracy: generate labelled exports (CSV, JSON Lines, text, LZ4)
# with planted values and look-alikes, scan them all in one run, and score the
# findings per rule x format (tests/e2e/evaluate.py); then scan again with
# another thread count and require byte-identical findings.
#
#   tests/e2e/test_accuracy.sh [BIN]        (from the repository root;
#                                            BIN defaults to build/piiscan)
# Environment: PIISCAN_E2E_RECORDS (default 20000 per format),
# PIISCAN_E2E_SEED (default 1), PIISCAN_E2E_SELF_CHECK=1 (verify the
# generator's labels with the oracles first: slower), PIISCAN_E2E_KEEP=1
# (keep the temporary directory; it is kept anyway when a check fails).
# The planted values only ever exist in that temporary directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-build/piiscan}
PY=/usr/bin/python3
RECORDS=${PIISCAN_E2E_RECORDS:-20000}
SEED=${PIISCAN_E2E_SEED:-1}

if [ ! -x "$BIN" ]; then
	echo "test_accuracy: $BIN is not an executable (run make first)" >&2
	exit 2
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/piiscan-e2e.XXXXXX")
status=1
cleanup() {
	if [ "$status" -eq 0 ] && [ "${PIISCAN_E2E_KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	else
		echo "test_accuracy: files kept in $T" >&2
	fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. labelled exports
t0=$(now)
gen_args=("$T/gen" --records "$RECORDS" --seed "$SEED")
[ "${PIISCAN_E2E_SELF_CHECK:-0}" = 1 ] && gen_args+=(--self-check)
"$PY" "$here/gen_exports.py" "${gen_args[@]}"
echo "test_accuracy: generated $RECORDS records per format in $(since "$t0")s"

# 2. one scan over every export, paths given absolute (findings' source is
#    the path as given; evaluate.py strips the prefix)
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/key"
chmod 600 "$T/key"
inputs=()
for f in export.csv export.jsonl export.log export.csv.lz4 export2.jsonl.lz4; do
	inputs+=("$T/gen/$f")
done

extra=()   # more options for scan
scan() { # scan OUTDIR THREADS [ENGINE]: run the scanner on inputs, record its exit code
	local out=$1 threads=$2 engine=${3:-fast} rc=0
	mkdir -p "$out"
	"$BIN" scan --threads "$threads" --engine "$engine" --fingerprint-key "$T/key" \
		-o "$out/manifest.json" --findings "$out/findings.jsonl" "${extra[@]}" \
		"${inputs[@]}" >"$out/stdout" 2>"$out/stderr" || rc=$?
	echo "$rc" >"$out/rc"
	if [ "$rc" -ge 128 ]; then
		echo "test_accuracy: FAIL: piiscan died with exit code $rc (signal $((rc - 128)))" >&2
		tail -n 20 "$out/stderr" >&2
		exit 1
	fi
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|runtime error:' "$out/stderr"; then
		echo "test_accuracy: FAIL: sanitizer report on stderr:" >&2
		grep -m 5 -E 'Sanitizer|runtime error:' "$out/stderr" >&2
		exit 1
	fi
}

t0=$(now)
scan "$T/run2" 2
echo "test_accuracy: scanned $(du -cb "${inputs[@]}" | tail -n 1 | cut -f 1) bytes (5 files) with --threads 2 in $(since "$t0")s, exit code $(cat "$T/run2/rc")"

# 3. score it
failed=0
t0=$(now)
if "$PY" "$here/evaluate.py" --dir "$T/gen" --prefix "$T/gen/" \
	--findings "$T/run2/findings.jsonl" --manifest "$T/run2/manifest.json" \
	--stdout "$T/run2/stdout" --stderr "$T/run2/stderr" --rc "$(cat "$T/run2/rc")" >"$T/evaluate.txt"; then
	if [ "${PIISCAN_E2E_VERBOSE:-0}" = 1 ]; then cat "$T/evaluate.txt"; fi
	echo "test_accuracy: $(tail -n 1 "$T/evaluate.txt") ($(since "$t0")s)"
else
	cat "$T/evaluate.txt"
	echo "test_accuracy: FAIL: accuracy (evaluate.py took $(since "$t0")s)" >&2
	failed=1
fi

# 4. determinism: one worker thread must write the very same findings
t0=$(now)
scan "$T/run1" 1
if cmp -s "$T/run1/findings.jsonl" "$T/run2/findings.jsonl"; then
	echo "test_accuracy: determinism: --threads 1 and --threads 2 findings byte-identical ($(since "$t0")s)"
else
	echo "test_accuracy: FAIL: findings differ between --threads 1 and --threads 2" \
		"($(wc -l <"$T/run1/findings.jsonl") vs $(wc -l <"$T/run2/findings.jsonl") lines;" \
		"first difference: $(cmp "$T/run1/findings.jsonl" "$T/run2/findings.jsonl" | head -n 1))" >&2
	failed=1
fi
# ... and the same manifest: field order must not depend on which worker
# met a JSON path first (the workers' fields are listed by name).
if "$PY" "$here/same_manifest.py" "$T/run1/manifest.json" "$T/run2/manifest.json"
then
	echo "test_accuracy: determinism: --threads 1 and --threads 2 manifests identical (but for times)"
else
	echo "test_accuracy: FAIL: manifests differ between --threads 1 and --threads 2" >&2
	failed=1
fi
# ... and with 16 threads, where the stream's decoding runs in a thread of its
# own ahead of the reader once a file is past 4 MiB, LZ4 frames of
# independent blocks (export.csv.lz4) have their blocks decoded by two
# threads side by side, and text, JSON Lines and CSV are read a chunk at a
# time, their lines indexed by the workers (pipeline.c, stream.c).
t0=$(now)
scan "$T/run16" 16
if cmp -s "$T/run1/findings.jsonl" "$T/run16/findings.jsonl" &&
	"$PY" "$here/same_manifest.py" "$T/run1/manifest.json" "$T/run16/manifest.json"; then
	echo "test_accuracy: determinism: --threads 16 (decoder threads) findings and manifest as with 1 ($(since "$t0")s)"
else
	echo "test_accuracy: FAIL: --threads 16 differs from --threads 1" \
		"(first difference: $(cmp "$T/run1/findings.jsonl" "$T/run16/findings.jsonl" | head -n 1))" >&2
	failed=1
fi

# 5. the fast path must find exactly what the plain reference scan finds
#    (Hyperscan over every byte; issue 3: "findings stay exactly the same")
t0=$(now)
scan "$T/run3" 2 reference
if cmp -s "$T/run3/findings.jsonl" "$T/run2/findings.jsonl"; then
	echo "test_accuracy: engines: --engine fast and --engine reference findings byte-identical ($(since "$t0")s)"
else
	echo "test_accuracy: FAIL: findings differ between --engine fast and --engine reference" \
		"($(wc -l <"$T/run2/findings.jsonl") vs $(wc -l <"$T/run3/findings.jsonl") lines;" \
		"first difference: $(cmp "$T/run2/findings.jsonl" "$T/run3/findings.jsonl" | head -n 1))" >&2
	failed=1
fi
# 6. GB18030 copies of the CSV, JSON Lines and log exports, read with
#    --encoding gb18030. With one thread the reader decodes them; with 16
#    (lines read a chunk at a time) the workers do; either counts offsets
#    from what it decoded. The findings must be byte-identical, and
#    those of the UTF-8 originals but for the offsets, which must hold the
#    same text (same_gb.py).
t0=$(now)
mkdir -p "$T/gb"
pairs=()
inputs=()
for f in export.csv export.jsonl export.log; do
	"$PY" -c 'import sys; open(sys.argv[2], "wb").write(open(sys.argv[1], "rb").read().decode("utf-8").encode("gb18030"))' \
		"$T/gen/$f" "$T/gb/$f"
	inputs+=("$T/gb/$f")
	pairs+=("$T/gen/$f=$T/gb/$f")
done
extra=(--encoding gb18030)
scan "$T/gb1" 1
scan "$T/gb16" 16
if ! cmp -s "$T/gb1/findings.jsonl" "$T/gb16/findings.jsonl"; then
	echo "test_accuracy: FAIL: GB18030 findings differ between --threads 1 (the reader decodes) and 16 (the workers do)" \
		"(first difference: $(cmp "$T/gb1/findings.jsonl" "$T/gb16/findings.jsonl" | head -n 1))" >&2
	failed=1
elif ! "$PY" "$here/same_gb.py" "$T/run1/findings.jsonl" "$T/gb16/findings.jsonl" "${pairs[@]}" >"$T/gb/same.txt"; then
	echo "test_accuracy: FAIL: GB18030 copies' findings are not the originals'" >&2
	failed=1
else
	echo "test_accuracy: GB18030: $(cat "$T/gb/same.txt"), with 1 and 16 threads alike ($(since "$t0")s)"
fi
[ "$failed" = 0 ] || exit 1
status=0
