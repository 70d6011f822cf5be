/* A streaming JSON writer onto a struct buf: objects, arrays, escaped
 * strings and integers, with commas placed for the caller. It knows
 * nothing of what it writes; it is used for findings lines and manifests.
 * Not thread-safe per writer; writers are cheap, one per output. */
#ifndef PIISCAN_JSONW_H
#define PIISCAN_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSONW_MAX_DEPTH 32

struct jsonw {
	struct buf *out;
	int depth;
	bool need_comma[JSONW_MAX_DEPTH];
	bool pretty;
	bool after_key;
};

void jsonw_init(struct jsonw *w, struct buf *out, bool pretty);
void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* Object member name; the next value call writes its value. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s);
/* A string of n bytes; invalid UTF-8 bytes are written as U+FFFD. */
void jsonw_string_n(struct jsonw *w, const char *s, size_t n);
void jsonw_u64(struct jsonw *w, uint64_t v);
void jsonw_i64(struct jsonw *w, int64_t v);
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/* Append the JSON string literal of s[0..n) (quotes included) to b. */
void jsonw_quote(struct buf *b, const char *s, size_t n);

#endif
