/* The finding: a validated match placed in its source, record and field,
 * with a confidence. This file owns the findings-line format (a contract
 * for downstream tools, see README) and the masked preview. */
#ifndef PIISCAN_FINDING_H
#define PIISCAN_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum confidence {
	CONFIDENCE_NONE = 0,
	CONFIDENCE_POSSIBLE = 1,
	CONFIDENCE_LIKELY = 2,
	CONFIDENCE_VERY_LIKELY = 3,
};

const char *confidence_name(enum confidence c);
/* Parse "possible", "likely" or "very_likely"; CONFIDENCE_NONE otherwise. */
enum confidence confidence_parse(const char *s);

struct finding {
	const char *source_json;   /* the source path, already a JSON string literal */
	uint64_t record;
	const char *field_json;    /* the field name as a JSON literal, or "null" */
	const char *rule_id;
	uint64_t offset;
	uint32_t length;
	enum confidence confidence;
	const char *masked;        /* NUL-terminated preview, never the raw value */
	const char *fingerprint;   /* 32 hex; NULL: 32 '0's, to be written over */
	const char *extra;         /* more members, formatted (",\"topic\":..."), or NULL */
	/* The lengths of source_json, field_json, rule_id and masked when the
	 * caller knows them (it makes a line per finding); 0: not known. */
	uint32_t source_len, field_len, rule_len, masked_len;
};

/* Append f as one JSON line (with its newline) to out, without printf.
 * Returns the offset in out of the fingerprint's 32 characters. */
size_t finding_format(struct buf *out, const struct finding *f);

/* finding_format with the preview masked from the value v[0..len) (as
 * finding_mask masks it, is_email alike) instead of f->masked: the value
 * itself is never written. */
size_t finding_format_value(struct buf *out, const struct finding *f, const char *v, size_t len, bool is_email);

/* Write the masked preview of the value v[0..len) to dst (capacity cap,
 * NUL included) and return its length. Emails keep their first character
 * and their domain (j***@example.com); everything else keeps at most its
 * first 3 and last 4 characters (138****5678), fewer for short values so
 * that at least half of it is hidden. Characters are UTF-8 code points. */
size_t finding_mask(const char *v, size_t len, bool is_email, char *dst, size_t cap);

#endif
