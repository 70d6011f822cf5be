/* The attribute stage, with the validate and scan stages it drives: for a
 * chunk of records it frames the field values, scans the bytes, decodes
 * escaped JSON strings and scans those too, places every validated match in
 * its record and field, weighs its context, resolves a value that fits
 * several rules to one, and hands the findings on (formatted lines for the
 * writer, counts for the tally). One attributor per worker thread. */
#ifndef PIISCAN_ATTRIBUTE_H
#define PIISCAN_ATTRIBUTE_H

#include <stdbool.h>

#include "chunk.h"
#include "field.h"
#include "finding.h"
#include "fingerprint.h"
#include "hsdb.h"
#include "tally.h"

/* How far before a value a hotword counts as its context, in bytes. */
#define ATTRIBUTE_HOTWORD_WINDOW 32

struct attribute_config {
	const struct hsdb *db;
	struct fieldtab *fields;
	const struct fingerprint_key *key;
	enum confidence min_confidence;   /* findings below are neither written nor counted */
	bool format_findings;             /* fill chunk.out with findings lines */
	int engine;                       /* enum scan_engine; 0 is the fast path */
	/* Optional: called for every finding kept (tests, rules check). */
	void (*on_finding)(void *arg, const struct finding *f, uint32_t rule);
	void *on_finding_arg;
};

struct attributor;

/* cfg is copied; what it points to must outlive the attributor. Returns
 * NULL if the scanner cannot be created. */
struct attributor *attributor_new(const struct attribute_config *cfg);
void attributor_free(struct attributor *at);

/* Process ck: findings lines go to ck->out, counts to t, problems with the
 * data to ck->src's error list. Returns 0 or PIISCAN_ERR_SCAN. */
int attribute_chunk(struct attributor *at, struct chunk *ck, struct tally *t);

/* Decode the JSON string body s[0..len) (no quotes) into dst and map:
 * map[k] is the offset in s of the escape or byte that produced dst[k],
 * and map[*dlen] = len. dst and map need room for len (+1) entries.
 * Exposed for tests. */
void attribute_json_unescape(const char *s, size_t len, char *dst, uint32_t *map, size_t *dlen);

#endif
