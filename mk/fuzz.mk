# Fuzzing: one libFuzzer target per parser in tests/fuzz/fuzz_<name>.c, each
# with a seed corpus in tests/fuzz/corpus/<name>/ and maybe a dictionary
# tests/fuzz/<name>.dict: csv (CSV/TSV framing and header), json (JSON Lines
# framing, string decoding), rules (rule YAML), lz4 (the decompressing reader:
# LZ4, gzip, zstd), scan (the whole engine on a chunk), sql (SQL dump framing).
#
#   make fuzz-replay        build each target with $(CC) and tests/fuzz/replay.c
#                           (no libFuzzer) against $(BUILD)/libpiiscan.a and run it
#                           over its corpus; part of `make test` (and of
#                           `make SANITIZE=address,undefined test`)
#   make fuzz               build the targets and the scanner sources with clang
#                           -fsanitize=fuzzer,address,undefined into build-fuzz/
#                           and run each for FUZZ_SECONDS (default 60) seconds;
#                           new inputs go to build-fuzz/corpus/<name>/, crashes to
#                           build-fuzz/artifacts/<name>/
#   make fuzz FUZZ_TARGETS=csv FUZZ_SECONDS=600 FUZZ_ARGS=-jobs=2
#
# A crash found is minimised (build-fuzz/fuzz_<name> -minimize_crash=1 -runs=10000
# <crash>) and added to tests/fuzz/corpus/<name>/ as regression-<what>, so
# fuzz-replay keeps checking it.

FUZZ_TARGETS ?= csv engines json lines rules lz4 scan sql
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_HDRS    := tests/fuzz/fuzz.h tests/fuzz/fuzz_fields.h tests/fuzz/fuzz_rules.h tests/fuzz/jsoncheck.h
# Checks for bugs already reported stay on in replay (so their regression
# inputs fail until fixed) and off while fuzzing (so the fuzzer gets past them).
FUZZ_DEFS    ?= -DFUZZ_IGNORE_KNOWN_BUGS
FUZZ_CFLAGS   = $(filter-out -fsanitize=% -fno-sanitize-recover=% -Werror,$(CFLAGS)) \
                -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJ     := $(LIB_SRC:scanner/%.c=$(FUZZ_BUILD)/obj/%.o)
REPLAY_BIN   := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-clean

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_HDRS) $(BUILD)/libpiiscan.a
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -Iscanner -Itests/fuzz $< tests/fuzz/replay.c \
		$(BUILD)/libpiiscan.a $(LDFLAGS) $(LDLIBS) -o $@

fuzz-replay: $(REPLAY_BIN)
	@set -e; for t in $(FUZZ_TARGETS); do $(BUILD)/fuzz/replay_$$t tests/fuzz/corpus/$$t; done

test: fuzz-replay

# The unit tests' own rule knows only harness.h; test_support.c also checks
# its JSON with the fuzz targets' checker.
$(BUILD)/tests/test_support: tests/fuzz/jsoncheck.h

$(FUZZ_BUILD)/obj/%.o: scanner/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/libpiiscan.a: $(FUZZ_OBJ)
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HDRS) $(FUZZ_BUILD)/libpiiscan.a
	$(FUZZ_CC) $(filter-out -MMD -MP,$(FUZZ_CFLAGS)) $(FUZZ_DEFS) -fsanitize=fuzzer -Iscanner -Itests/fuzz \
		$< $(FUZZ_BUILD)/libpiiscan.a $(LDLIBS) -o $@

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
		echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
			$$(test -f tests/fuzz/$$t.dict && echo -dict=tests/fuzz/$$t.dict) $(FUZZ_ARGS) \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t; \
	done

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

clean: fuzz-clean

-include $(FUZZ_OBJ:.o=.d)
