# make bench — piiscan's throughput benchmark (bench/README.md). Included
# from the top-level Makefile. Builds the corpus generator with -O2 and the
# scanner, then runs bench/run.sh, which prints the table and writes
# build/bench/results-<timestamp>.json and build/bench/latest.json.
#
#   make bench                                  defaults (~6 min on 2 cores today)
#   make bench BENCH_SIZE=64M BENCH_BIG_SIZE=0  a quick look
#   make bench BENCH_BIG_SIZE=10G               the 10 GB peak-RSS case
#
# The benchmark always measures the optimised build in build/, never a
# sanitizer build.

BENCH_GEN  := build/bench/gen_export
BENCH_DECODE := $(BUILD)/bench/decode
BENCH_FLOOR := $(BUILD)/bench/floor
BENCH_VARS := BENCH_SIZE BENCH_SIZE_CSV BENCH_SIZE_JSONL BENCH_SIZE_LOG BENCH_SIZE_CN BENCH_SIZE_SQL BENCH_SIZE_CNSQL BENCH_BIG_SIZE \
              BENCH_RUNS BENCH_STARTUP_RUNS BENCH_SEED BENCH_THREADS BENCH_TMPDIR BENCH_LABEL \
              BENCH_DIR

.PHONY: bench bench-gen bench-decode bench-floor

$(BENCH_GEN): bench/gen_export.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $< -o $@

bench-gen: $(BENCH_GEN)

ifneq ($(SANITIZE),)
bench:
	$(error make bench measures the optimised build; run it without SANITIZE)
else
bench: $(BENCH_GEN) $(BUILD)/piiscan $(BENCH_FLOOR) $(BENCH_DECODE)
	$(foreach v,$(BENCH_VARS),$(if $($(v)),$(v)='$($(v))')) \
		PIISCAN=$(BUILD)/piiscan GEN=$(BENCH_GEN) FLOOR=$(BENCH_FLOOR) DECODE=$(BENCH_DECODE) \
		PYTHON=$(PYTHON) bash bench/run.sh
endif

# build/bench/decode: the reader's decoding alone (bench/decode.c), e.g.
#   build/bench/decode build/bench/corpus/dense-csv-*.csv.lz4 caller thread 2

$(BENCH_DECODE): bench/decode.c $(BUILD)/libpiiscan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iscanner $< $(BUILD)/libpiiscan.a $(LDFLAGS) $(LDLIBS) -o $@

bench-decode: $(BENCH_DECODE)

# build/bench/floor: each part of the job alone against the goal's budget
# per record (bench/floor.c), e.g.
#   taskset -c 1 build/bench/floor build/bench/corpus/dense-csv-*.csv

$(BENCH_FLOOR): bench/floor.c $(BUILD)/libpiiscan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iscanner $< $(BUILD)/libpiiscan.a $(LDFLAGS) $(LDLIBS) -o $@

bench-floor: $(BENCH_FLOOR)
