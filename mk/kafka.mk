# Single-node Apache Kafka (KRaft) for tests and demos -- see tests/kafka/broker.sh.
# Included from the top-level Makefile; paths are resolved from this file so
# `make -C <repo> kafka-up` works from anywhere.
KAFKA_MK_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
KAFKA_BROKER  := bash $(KAFKA_MK_ROOT)/tests/kafka/broker.sh

.PHONY: kafka-fetch kafka-up kafka-down kafka-restart kafka-status kafka-reset kafka-smoke

kafka-fetch:     ## download the broker jars into build/kafka/lib (cached)
	$(KAFKA_BROKER) fetch
kafka-up:        ## start the test broker on 127.0.0.1:9092 and wait until it serves
	$(KAFKA_BROKER) up
kafka-down:      ## stop the test broker (no-op when not running)
	$(KAFKA_BROKER) down
kafka-restart:   ## stop + start, keeping topics and committed offsets
	$(KAFKA_BROKER) restart
kafka-status:    ## say whether the broker runs (never fails the make)
	@$(KAFKA_BROKER) status || true
kafka-reset:     ## stop the broker and delete its data (keeps the jars)
	$(KAFKA_BROKER) reset
kafka-smoke:     ## broker smoke test with kcat (~30 s)
	bash $(KAFKA_MK_ROOT)/tests/kafka/test_broker.sh
