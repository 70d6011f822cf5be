# piiscan — one non-recursive Makefile. `make help` lists the targets.
#
#   make                      build build/piiscan
#   make test                 every test (unit, rules, oracle, end-to-end)
#   make SANITIZE=address,undefined test   the same under ASan+UBSan
#                                          (objects go to build-sanitize/,
#                                          beside build/ so ../rules resolves)

CC       ?= cc
PYTHON   ?= /usr/bin/python3
PREFIX   ?= /usr/local
PKGS     := libhs rdkafka liblz4 libxxhash libsodium yaml-0.1 zlib libzstd libisal
VERSION  := 0.1.0

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
            -Wformat=2 -Wpointer-arith -Wundef -Wnull-dereference
CFLAGS   ?= -O3 -g
USER_CFLAGS := $(CFLAGS)
# User CFLAGS add to the flags below; they cannot drop the warning set.
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
                   -DPIISCAN_VERSION='"$(VERSION)"' -pthread -MMD -MP $(WARN) \
                   $(shell pkg-config --cflags $(PKGS))
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -pthread -lm

ifneq ($(SANITIZE),)
BUILD    ?= build-sanitize
override CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
override LDFLAGS += -fsanitize=$(SANITIZE)
else
BUILD    ?= build
endif
ifneq ($(WERROR),)
override CFLAGS += -Werror
endif

# Quiet by default; V=1 shows the commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(filter-out scanner/main.c,$(wildcard scanner/*.c))
LIB_OBJ  := $(LIB_SRC:scanner/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all help test unit-test portable-test rules-check oracle-test e2e-test demo install clean deps
all: $(BUILD)/piiscan

help:
	@echo "make               build build/piiscan"
	@echo "make deps          install the Debian 12 packages the build and tests need (root)"
	@echo "make demo          build, generate a sample export and scan it"
	@echo "make test          every test: unit, rules check, oracle, end-to-end"
	@echo "make SANITIZE=address,undefined test   the tests under ASan+UBSan"
	@echo "make fuzz          libFuzzer on every parser (FUZZ_SECONDS=60, FUZZ_TARGETS=...)"
	@echo "make fuzz-replay   replay the fuzz corpora (part of make test)"
	@echo "make bench         throughput benchmarks (bench/)"
	@echo "make bench-decode  build/bench/decode: the reader's decompression alone"
	@echo "make bench-floor   build/bench/floor: each part of the job alone, against a goal's budget"
	@echo "make kafka-up / kafka-down   the test Kafka broker on 127.0.0.1:9092"
	@echo "make kafka-test    the piiscan kafka tests against that broker (part of make test)"
	@echo "make kafka-mock-test   the broker-free part (librdkafka's mock cluster)"
	@echo "make kafka-bench   piiscan kafka against kcat on the same topic"
	@echo "make install       install to PREFIX (default /usr/local)"
	@echo "make clean         remove build/"

$(BUILD)/obj/%.o: scanner/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libpiiscan.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/piiscan: $(BUILD)/obj/main.o $(BUILD)/libpiiscan.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libpiiscan.a tests/unit/harness.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -Iscanner $< $(BUILD)/libpiiscan.a $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/validate_cli: tests/oracle/validate_cli.c $(BUILD)/libpiiscan.a
	$(CC) $(CFLAGS) -Iscanner $< $(BUILD)/libpiiscan.a $(LDFLAGS) $(LDLIBS) -o $@

unit-test: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do $$t; done

# The byte-at-a-time fallbacks of the SSE2 paths (what a CPU without SSE2
# runs) built apart, with __SSE2__ undefined, and unit-tested, so that they
# do not rot behind the vector code (part of make test, not of its
# sanitizer run).
portable-test:
	@$(MAKE) --no-print-directory unit-test BUILD=build-portable CFLAGS="$(USER_CFLAGS) -U__SSE2__"

rules-check: $(BUILD)/piiscan
	$(BUILD)/piiscan rules check --rules rules

oracle-test: $(BUILD)/validate_cli
	$(PYTHON) tests/oracle/test_oracle.py $(BUILD)/validate_cli

# Under a sanitizer, shadow memory and the allocator's quarantine multiply
# the footprint: the memory bound is the plain build's to prove.
e2e-test: $(BUILD)/piiscan
	PIISCAN_CACHE_DIR=$(abspath $(BUILD))/cache $(if $(SANITIZE),PIISCAN_DUMPS_RSS_MAX_KB=1048576) \
		bash tests/e2e/run.sh $(BUILD)/piiscan

test: unit-test $(if $(SANITIZE),,portable-test) rules-check oracle-test e2e-test
	@echo "all tests passed ($(BUILD))"

demo: $(BUILD)/piiscan
	@mkdir -p build/demo
	$(PYTHON) tests/e2e/gen_exports.py build/demo --records 2000 --seed 7 >/dev/null
	$(BUILD)/piiscan scan -o build/demo/manifest.json --findings build/demo/findings.jsonl \
		build/demo/export.csv build/demo/export.jsonl build/demo/export.log build/demo/export.csv.lz4

deps:
	bash deploy/install-deps.sh

install: $(BUILD)/piiscan
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/piiscan/rules
	install -m 0755 $(BUILD)/piiscan $(DESTDIR)$(PREFIX)/bin/piiscan
	install -m 0644 rules/*.yaml $(DESTDIR)$(PREFIX)/share/piiscan/rules/

clean:
	rm -rf build build-sanitize build-portable

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/main.d
-include mk/*.mk
