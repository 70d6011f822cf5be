/* The pipeline: the one place that knows every stage, the threads that run
 * them, the bounded queues between them, ordering and shutdown. */
#ifndef PIISCAN_PIPELINE_H
#define PIISCAN_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "fingerprint.h"
#include "frame.h"
#include "hsdb.h"
#include "manifest.h"
#include "transcode.h"

struct scan_options {
	char **paths;
	size_t npaths;
	enum frame_format format;        /* FORMAT_AUTO: by extension, then sniffing */
	bool no_header;
	enum confidence min_confidence;
	unsigned threads;                /* scanning workers, at least 1 */
	const char *manifest_path;       /* -o, or NULL */
	bool manifest_stdout;            /* --json */
	const char *findings_path;       /* --findings, or NULL */
	bool progress;                   /* progress lines on stderr */
	const char *version;
	const struct policy *policy;     /* NULL: the manifest carries no actions */
	enum encoding encoding;          /* of the inputs (--encoding) */
	bool encoding_forced;            /* --encoding given: a dump's SET NAMES does not override it */
	int engine;                      /* enum scan_engine (--engine, for tests and benchmarks) */
	int as_of[3];                    /* year, month, day */
	/* For tests: bytes of records a chunk takes, and of a read (0: 1 MiB);
	 * and whether line-framed input is read unframed (pipeline.c,
	 * read_lines): LINES_AUTO by the thread count, or always, or never. */
	size_t chunk_cap;
	enum { LINES_AUTO, LINES_ALWAYS, LINES_NEVER } lines;
};

struct scan_result {
	enum run_status status;
	uint64_t findings;
	bool output_failed;              /* a manifest or findings file could not be written */
};

/* Install the SIGINT/SIGTERM handlers that ask a running scan to stop:
 * the pipeline drains, and the manifest says the run was interrupted. */
void pipeline_install_signals(void);

/* Whether SIGINT or SIGTERM has arrived (every pipeline polls this: the
 * file scan and the Kafka consumer). Async-signal-safe. */
bool pipeline_stop_requested(void);

/* The default number of scanning threads on cpus CPUs (util_cpus): one a
 * CPU, but from 12 CPUs on one fewer, so that the reader, which every
 * worker waits on, keeps a CPU to itself beside the writer and the block
 * threads. */
unsigned pipeline_default_threads(unsigned cpus);

/* Run a scan of opt->paths with the compiled rules db and the fingerprint
 * key, writing the outputs opt asks for. Returns 0 when the scan ran (its
 * outcome is in *res), or a negative code with errbuf set when it could
 * not start (an output file cannot be created). */
int pipeline_run(const struct scan_options *opt, const struct hsdb *db,
		 const struct fingerprint_key *key, struct scan_result *res,
		 char *errbuf, size_t errbuf_len);

#endif
