/* The Kafka findings sink: a producer that writes findings lines to a
 * topic, one message per line, and says when every line written so far is
 * acknowledged by the brokers, so the pipeline can commit the offsets they
 * came from. Idempotent (acks=all, no duplicates from retries). Not
 * thread-safe: one writer thread uses it. */
#ifndef PIISCAN_SINK_KAFKA_H
#define PIISCAN_SINK_KAFKA_H

#include <stddef.h>

#include "source_kafka.h"

struct kafka_sink;

/* A producer for topic with the client settings cc (consumer-only
 * properties are skipped). Returns 0, or a negative code with errbuf set. */
int kafka_sink_new(const struct kafka_client_config *cc, const char *topic, struct kafka_sink **out,
		   char *errbuf, size_t errbuf_len);

/* Produce each '\n'-terminated line of lines[0..len) as one message (the
 * newline left out) with the given key. Blocks while the producer's queue
 * is full. Returns 0, or a negative code with errbuf set. */
int kafka_sink_write(struct kafka_sink *sk, const char *lines, size_t len, const char *key,
		     size_t key_len, char *errbuf, size_t errbuf_len);

/* Wait until every message written so far is delivered or has failed.
 * Returns 0 when all were delivered, else a negative code with errbuf
 * saying how many failed and why (the first failure). */
int kafka_sink_flush(struct kafka_sink *sk, char *errbuf, size_t errbuf_len);

/* Flush what is left (bounded by message.timeout.ms) and free sk. NULL is
 * a no-op. */
void kafka_sink_free(struct kafka_sink *sk);

#endif
