/* A source: one input of a scan (a file, stdin, later a Kafka partition)
 * with what the manifest says about it: format, compression, bytes,
 * records, the hash of the stored bytes, and the errors met while reading
 * it. The reader fills the counters; workers may add errors and findings
 * concurrently. */
#ifndef PIISCAN_SOURCE_H
#define PIISCAN_SOURCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

enum compression {
	COMPRESSION_NONE,
	COMPRESSION_LZ4,
	COMPRESSION_GZIP,
	COMPRESSION_ZSTD,
};

const char *compression_name(enum compression c);

enum source_status {
	SOURCE_COMPLETE,   /* every byte was read and scanned */
	SOURCE_PARTIAL,    /* some of it could not be read */
	SOURCE_FAILED,     /* none of it could be read */
};

/* Errors stop being kept after this many per source (they are counted). */
#define SOURCE_ERRORS_MAX 100

#define SOURCE_LAYOUTS_MAX 65536

struct layout {
	char *table;            /* bare table name */
	bool pg;                /* PostgreSQL strings: backslashes are literal */
	bool copy;              /* rows are COPY lines, not INSERT tuples */
	uint32_t *fields;       /* field id of each column ("table.column") */
	uint32_t n;
};

struct source_error {
	uint64_t offset;      /* byte offset in the decompressed input */
	uint64_t record;      /* 0 when not known */
	bool warning;         /* true: noted, nothing was lost */
	char *message;
};

struct source {
	uint32_t id;
	char *path;             /* as given, or as found under a given directory */
	char *path_json;        /* path as a JSON literal */
	uint32_t path_json_len;
	/* Extra members for this source's findings lines, already formatted
	 * (`,"topic":"t","partition":3`), or NULL. */
	char *findings_extra;
	enum frame_format format;
	enum compression compression;
	int encoding;           /* enum encoding of the input */
	uint64_t bytes_read;    /* decompressed bytes scanned */
	uint64_t bytes_stored;  /* bytes as stored (on disk, or read from stdin) */
	uint64_t records;
	uint8_t hash[16];       /* XXH3-128 of the stored bytes */
	bool hashed;
	atomic_uint_least64_t findings;
	enum source_status status;

	/* Column fields of a CSV/TSV source, set by the reader from the header
	 * before any chunk of the source is queued; read-only afterwards. */
	uint32_t *colfield;
	uint32_t ncols;
	uint32_t unnamed_field; /* the field of records without fields */

	/* Record layouts (SQL: a table and its columns), added by the reader
	 * before the first record that uses one is queued; the array never
	 * moves, so workers read it without a lock. */
	struct layout **layouts;
	uint32_t nlayouts;

	pthread_mutex_t lock;   /* guards the error list */
	struct source_error *errors;
	size_t nerrors;
	uint64_t errors_dropped;
	uint64_t warnings;
	uint64_t failures;
};

struct source *source_new(uint32_t id, const char *path);
void source_free(struct source *src);

/* Record a problem met in src at offset/record (record 0: unknown); prints
 * "piiscan: 'path': offset N: message" to stderr. A failure (warning
 * false) makes the source partial. Thread-safe. */
void source_error(struct source *src, uint64_t offset, uint64_t record, bool warning,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

struct source_list {
	struct source **v;
	size_t n;
};

/* Expand the command-line paths into sources: files as given, directories
 * recursively (entries sorted by name, hidden ones included, symbolic links
 * to files followed but not into directories), "-" for stdin. A path that
 * does not exist becomes a failed source with its error. */
void source_list_build(struct source_list *list, char **paths, size_t npaths);
void source_list_release(struct source_list *list);

#endif
