/* The manifest stage: the classification record of a run that the archive
 * and destroy stages act on (JSON, versioned; its schema is
 * scanner/manifest.schema.json), and the human summary of the same facts. */
#ifndef PIISCAN_MANIFEST_H
#define PIISCAN_MANIFEST_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "field.h"
#include "finding.h"
#include "fingerprint.h"
#include "policy.h"
#include "rules.h"
#include "source.h"
#include "tally.h"

#define MANIFEST_VERSION 1

enum run_status {
	RUN_COMPLETE,
	RUN_PARTIAL,        /* some input could not be read */
	RUN_INTERRUPTED,    /* a signal stopped the run; what was read is in */
};

const char *run_status_name(enum run_status s);

struct scan_report {
	const char *version;
	const struct ruleset *rs;
	const struct fingerprint_key *key;
	enum confidence min_confidence;
	struct timespec started, finished;   /* wall clock */
	enum run_status status;
	const struct source_list *sources;
	const struct fieldtab *fields;
	const struct tally *tally;
	uint64_t findings;
	double seconds;
	unsigned threads;
	const struct policy *policy;         /* NULL: no actions */
	int as_of[3];                        /* year, month, day retention counts from */
};

struct jsonw;
/* Write one object of the manifest's "fields" list (source, field,
 * records_total, records_matched, rules, classification, category,
 * sensitive, confidence) for field f of src, from r->tally. */
void manifest_format_field(const struct scan_report *r, struct jsonw *w, const struct field *f,
			   const struct source *src);

/* Put the field ids ids[0..n) in the order manifests list fields: those
 * the reader made (header and SQL columns, the unnamed field) in id order,
 * which is input order, then those workers made (JSON paths) by name, as
 * their ids depend on which thread met them first. */
void manifest_sort_fields(const struct fieldtab *ft, uint32_t *ids, size_t n);

/* The members every manifest begins with (manifest_version, kind when
 * given, tool, rule_set, fingerprint), inside an object w has opened. */
void manifest_format_head(const struct scan_report *r, struct jsonw *w, const char *kind);

/* A timestamp as manifests write it: UTC, milliseconds, "Z". */
void manifest_put_time(struct jsonw *w, const struct timespec *ts);

/* Append the manifest JSON of r to out. */
void manifest_format(const struct scan_report *r, struct buf *out);

/* The human summary: per source and field, classification, counts and
 * confidence, then totals. */
void manifest_summary(const struct scan_report *r, FILE *out);

#endif
