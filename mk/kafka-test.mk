# `make kafka-test`: the broker tests of `piiscan kafka` (tests/kafka/test_kafka.sh).
# Starts the test broker if it is not running and stops it afterwards if it
# started it; about a minute, broker start included.
KAFKA_TEST_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)

.PHONY: kafka-test kafka-mock-test
kafka-test: $(BUILD)/piiscan
	PIISCAN_CACHE_DIR=$(abspath $(BUILD))/cache bash $(KAFKA_TEST_ROOT)/tests/kafka/test_kafka.sh $(abspath $(BUILD))/piiscan

# The part that needs no broker (librdkafka's mock cluster): a few seconds.
kafka-mock-test: $(BUILD)/piiscan
	KAFKA_TEST_NO_BROKER=1 PIISCAN_CACHE_DIR=$(abspath $(BUILD))/cache \
		bash $(KAFKA_TEST_ROOT)/tests/kafka/test_kafka.sh $(abspath $(BUILD))/piiscan

# `make kafka-bench`: piiscan kafka against kcat on the same topic
# (bench/kafka/run.sh; KAFKA_BENCH_ARGS go to bench/kafka/bench_kafka.py).
.PHONY: kafka-bench
kafka-bench: $(BUILD)/piiscan
	PIISCAN=$(abspath $(BUILD))/piiscan PIISCAN_CACHE_DIR=$(abspath $(BUILD))/cache \
		bash $(KAFKA_TEST_ROOT)/bench/kafka/run.sh $(KAFKA_BENCH_ARGS)

# The broker tests are part of `make test` (the CI runs them against the real
# broker, started and stopped by tests/kafka/test_kafka.sh).
test: kafka-test
