/* The Kafka pipeline: `piiscan kafka`, a consumer-group member that scans
 * the messages of its partitions as they arrive, writes findings, rolls
 * manifests over time or message-count windows, and commits each window's
 * offsets once its output is durable (at least once). It knows the threads,
 * the bounded hand-offs and the commit protocol; the stages are shared with
 * the file pipeline. */
#ifndef PIISCAN_PIPELINE_KAFKA_H
#define PIISCAN_PIPELINE_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "fingerprint.h"
#include "frame.h"
#include "hsdb.h"
#include "source_kafka.h"

#define KAFKA_MANIFEST_DIR_DEFAULT "./piiscan-manifests"
#define KAFKA_MANIFEST_INTERVAL_DEFAULT 60.0
#define KAFKA_MAX_BUFFER_DEFAULT (64u << 20)

struct kafka_options {
	struct kafka_client_config client;   /* -b, -F, -X */
	const char *group;                   /* -G */
	char **topics;                       /* -t */
	size_t ntopics;
	enum kafka_start start;              /* -o */
	bool exit_eof;                       /* -e */
	enum frame_format format;            /* FORMAT_AUTO (per partition, from its
	                                        first message), FORMAT_JSONL or FORMAT_TEXT */
	bool scan_key;                       /* the key is the field "(key)" */
	bool scan_headers;                   /* header NAME is the field "(header:NAME)" */
	const char *findings_path;           /* JSON Lines, appended; "-" stdout; or NULL */
	const char *findings_topic;          /* or NULL */
	const char *manifest_dir;
	double manifest_interval;            /* seconds per window, > 0 */
	uint64_t manifest_every;             /* messages per window; 0: by time only */
	size_t max_buffer;                   /* bytes waiting to be scanned before pausing */
	enum confidence min_confidence;
	unsigned threads;                    /* scanning workers, at least 1 */
	bool verbose;                        /* a line per window and pause on stderr */
	const char *version;
};

struct kafka_result {
	uint64_t messages;
	uint64_t bytes;                      /* message values */
	uint64_t findings;
	uint64_t manifests;
	uint64_t commits_failed;             /* retried with the next window */
	uint64_t pauses;                     /* times fetching paused for the scanners */
	uint64_t kicks;                      /* times a stalled fetcher was woken */
	bool failed;                         /* output could not be made durable, or the
	                                        client failed: later offsets were not committed */
	bool uncommitted;                    /* the last commit failed (the output is durable;
	                                        the messages will be scanned again) */
};

/* Run until -e's end, a signal (pipeline_install_signals: it then stops
 * fetching, drains, writes, commits and leaves the group), or a fatal
 * error. Returns 0 when it ran
 * (the outcome is in *res), or a negative code with errbuf set when it
 * could not start (bad client configuration, unwritable outputs). */
int pipeline_kafka_run(const struct kafka_options *opt, const struct hsdb *db,
		       const struct fingerprint_key *key, struct kafka_result *res,
		       char *errbuf, size_t errbuf_len);

#endif
