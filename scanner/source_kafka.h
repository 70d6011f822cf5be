/* The Kafka source: one member of a consumer group (librdkafka's high-level
 * consumer) that hands out the messages of its assigned topic-partitions,
 * tells the pipeline about assignments and revocations, pauses and resumes
 * fetching, and commits explicit offsets. With sink_kafka.c, the only code
 * that includes librdkafka. */
#ifndef PIISCAN_SOURCE_KAFKA_H
#define PIISCAN_SOURCE_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a newly assigned partition starts (kcat's -o): at the group's
 * committed offset (else auto.offset.reset, which piiscan defaults to
 * earliest), or forced to the beginning or the end on every assignment. */
enum kafka_start {
	KAFKA_START_STORED,
	KAFKA_START_BEGINNING,
	KAFKA_START_END,
};

/* Parse "stored", "beginning" or "end"; -1 otherwise. */
int kafka_start_parse(const char *s);

/* Client settings shared by the consumer and the findings producer, in
 * kcat's terms: -b, -F FILE (key=value lines, '#' comments) and -X
 * key=value, applied in that order (so -X wins). */
struct kafka_client_config {
	const char *brokers;       /* NULL: bootstrap.servers comes from -F/-X */
	const char *config_file;   /* NULL: none */
	char **props;              /* "key=value" */
	size_t nprops;
};

struct rd_kafka_conf_s;
/* A new librdkafka configuration from cc for a consumer (producer false)
 * or a producer; properties that only apply to the other kind of client
 * are left out. Returns 0, or a negative code with errbuf naming the
 * property (and the file and line). The caller owns *out. */
int kafka_conf_new(const struct kafka_client_config *cc, bool producer,
		   struct rd_kafka_conf_s **out, char *errbuf, size_t errbuf_len);

/* A topic-partition and an offset (the next offset to read, for commits). */
struct kafka_tp {
	const char *topic;
	int32_t partition;
	int64_t offset;
};

struct kafka_source_config {
	struct kafka_client_config client;
	const char *group;
	char **topics;
	size_t ntopics;
	enum kafka_start start;
	bool exit_eof;             /* report KAFKA_EVENT_EOF (enable.partition.eof) */
	/* Rebalance callbacks, called on the polling thread from inside
	 * kafka_source_poll or kafka_source_close. on_assign runs before the
	 * partitions are fetched; on_revoke runs before they are given up, so
	 * it may drain and commit them (lost: the group already gave them to
	 * another member, so committing them would fail). */
	void (*on_assign)(void *arg, const struct kafka_tp *tps, size_t n);
	void (*on_revoke)(void *arg, const struct kafka_tp *tps, size_t n, bool lost);
	void *cb_arg;
};

struct kafka_source;

/* Create the consumer and subscribe to cfg->topics. Auto-commit and
 * automatic offset storing are forced off (offsets are only committed by
 * kafka_source_commit). cfg is copied; its strings must outlive the
 * source. Returns 0, or a negative code with errbuf set. */
int kafka_source_new(const struct kafka_source_config *cfg, struct kafka_source **out,
		     char *errbuf, size_t errbuf_len);

/* Leave the group (revoking the assignment through on_revoke) if that was
 * not done, and free ks. NULL is a no-op. */
void kafka_source_free(struct kafka_source *ks);

enum kafka_event {
	KAFKA_EVENT_NONE,      /* nothing within the timeout */
	KAFKA_EVENT_MESSAGE,   /* a message */
	KAFKA_EVENT_EOF,       /* m's topic/partition reached its end (exit_eof only) */
	KAFKA_EVENT_ERROR,     /* a consumer error, already reported on stderr */
	KAFKA_EVENT_FATAL,     /* the client cannot go on; reported on stderr */
};

struct kafka_msg {
	const char *topic;
	int32_t partition;
	int64_t offset;
	const char *value;        /* NULL for a tombstone */
	size_t len;
	const char *key;          /* NULL: none */
	size_t key_len;
	void *rkm_;               /* private */
	void *hdrs_;              /* private */
};

/* Wait up to timeout_ms for the next event; a message or EOF fills *m,
 * to be given back with kafka_msg_release. Serves rebalances (the
 * callbacks above). Only the polling thread may call it. */
enum kafka_event kafka_source_poll(struct kafka_source *ks, int timeout_ms, struct kafka_msg *m);

/* Give the message back to librdkafka; m's pointers die with it. */
void kafka_msg_release(struct kafka_msg *m);

/* Header idx of m (name, value, length; value NULL for a null header).
 * Returns 0, or -1 when there is no such header. */
int kafka_msg_header(struct kafka_msg *m, size_t idx, const char **name, const char **value,
		     size_t *len);

/* Stop (pause true) or restart fetching the partitions tps[0..n). Messages
 * of a paused partition fetched but not yet polled are dropped by
 * librdkafka and fetched again on resume, from the offset after the last
 * one polled. Polling thread only. */
void kafka_source_pause(struct kafka_source *ks, const struct kafka_tp *tps, size_t n, bool pause);

/* Whether topic/partition has been read to its end, for -e when the EOF
 * event was dropped by a pause: next is the offset after the last message
 * polled from it (or where reading starts), or -1 when not known. May ask the broker (timeout_ms).
 * Returns 1 (at the end), 0 (not) or -1 (cannot tell yet). Polling thread
 * only. */
int kafka_source_at_end(struct kafka_source *ks, const char *topic, int32_t partition, int64_t next,
			int timeout_ms);

/* Whether topic/partition holds messages from next on, by the high
 * watermark of the last fetch (no request). Polling thread only. */
bool kafka_source_behind(struct kafka_source *ks, const char *topic, int32_t partition, int64_t next);

/* Wake the fetcher of topic/partition's broker. librdkafka 2.0 decides
 * again whether to fetch a partition only when that broker's thread wakes:
 * up to a second after a resume, or after its prefetch queue went over
 * queued.min.messages and drained. A request to the broker (a watermark
 * query, waiting at most timeout_ms) wakes it. Polling thread only. */
void kafka_source_kick(struct kafka_source *ks, const char *topic, int32_t partition, int timeout_ms);

/* Commit offs[0..n) (next offsets to read) for the group and wait up to
 * timeout_ms for the answer. Returns 0, or a negative code with errbuf
 * set. Thread-safe. */
int kafka_source_commit(struct kafka_source *ks, const struct kafka_tp *offs, size_t n, int timeout_ms,
			char *errbuf, size_t errbuf_len);

/* Leave the group: on_revoke runs for the assignment, then the consumer
 * closes. Later polls return nothing. Polling thread only. */
void kafka_source_close(struct kafka_source *ks);

/* The group member id (empty before joining); valid until the next poll. */
const char *kafka_source_member_id(struct kafka_source *ks, char *dst, size_t dst_len);

#endif
