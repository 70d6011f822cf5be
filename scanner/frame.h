/* The frame stage: cutting a byte stream into records and a record into
 * field values. Each format (frame_csv.c, frame_json.c, frame_text.c)
 * implements struct framer and is registered in the table in frame.c.
 * record_end runs in the reader, in order; split runs in the workers, on
 * whole records, in any order. */
#ifndef PIISCAN_FRAME_H
#define PIISCAN_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum frame_format {
	FORMAT_AUTO,
	FORMAT_CSV,
	FORMAT_TSV,
	FORMAT_JSONL,
	FORMAT_TEXT,
	FORMAT_SQL,
	FORMAT_COUNT_
};

const char *frame_format_name(enum frame_format f);
/* Parse a --format name; returns -1 if unknown. */
int frame_format_parse(const char *s);
/* The format an extension implies (path without its compression suffix),
 * or FORMAT_AUTO when it says nothing. */
enum frame_format frame_format_from_path(const char *path);
/* Guess from the first bytes of the (decompressed) input. */
enum frame_format frame_format_sniff(const char *p, size_t len);

/* A field value (or, for JSON, a key) inside a record, in chunk offsets. */
struct span {
	uint32_t start;
	uint32_t end;
	uint32_t field;       /* field id */
	uint32_t record;      /* record index within the chunk */
	uint32_t flags;
};

#define SPAN_ESCAPED 1u   /* a JSON string with backslash escapes: scan its decoded form */
#define SPAN_KEY 2u       /* a JSON key: scanned, but not a value of its field */

struct span_vec {
	struct span *v;
	size_t n;
	size_t cap;
};

struct source;
struct fieldcache;

/* What split needs to know about where a record is. */
struct frame_ctx {
	const struct source *src;
	struct fieldcache *fc;
	char delim;           /* CSV/TSV field delimiter */
	uint32_t layout;      /* the record's layout (SQL: its table's columns) */
};

struct fieldtab;

/* The vector paths of a framer's 64-byte steps (SQL): the widest the CPU
 * has (AUTO), or at most the one a test asks for. */
enum frame_simd { FRAME_SIMD_AUTO, FRAME_SIMD_SSE2, FRAME_SIMD_AVX2, FRAME_SIMD_AVX512 };

/* Reader-side state of one source, carried from one record_end call to the
 * next (a record may arrive in pieces). */
struct frame_cursor {
	size_t scanned;       /* bytes of the pending record already looked at */
	bool in_quotes;
	char delim;
	/* Set by record_end for the span it returns: skip means the bytes are
	 * not a record (SQL statements that carry no rows); layout is the
	 * record's entry in src->layouts. */
	bool skip;
	uint32_t layout;
	/* ... and how many bytes at its front are not the record's (SQL: the
	 * comma before a tuple, passed in the same call). */
	size_t lead;
	/* An encoding the input declared (SQL: SET NAMES gbk), as enum
	 * encoding; 0 (UTF-8) when none. */
	int encoding_hint;
	/* SQL: the bytes are GBK/GB18030 as read, left for the workers to
	 * decode (pipeline.c): a backslash, backquote, bracket or letter that
	 * is a character's second byte is not one, and names are decoded. */
	bool gbk;
	enum frame_simd simd;
	/* For framers that keep more state (SQL): the source being read,
	 * where its fields are interned, and the framer's own state. */
	struct source *src;
	struct fieldtab *fields;
	void *state;
};

struct framer {
	enum frame_format format;
	/* Find the end of the record starting at p[0]. Returns the record's
	 * length (terminator included), or 0 when p[0..len) holds only part of
	 * a record and more input is needed. At eof, what remains is one
	 * record. Sets *in_quotes when the pending record is inside a quoted
	 * field (CSV), so the reader can tell an unbalanced quote. */
	size_t (*record_end)(struct frame_cursor *cur, const char *p, size_t len, bool eof);
	/* Append the value spans of the record rec[0..len) (located at chunk
	 * offset base, record index recno) to out. Returns 0, or a negative
	 * code when the record is malformed (it is then scanned as one span of
	 * the source's unnamed field, and *err_at says where it broke). */
	int (*split)(const struct frame_ctx *ctx, const char *rec, size_t len, uint32_t base,
		     uint32_t recno, struct span_vec *out, size_t *err_at);
	/* Free cur->state, if the framer keeps any (may be NULL). */
	void (*release)(struct frame_cursor *cur);
};

/* The framer for a format (never FORMAT_AUTO). */
const struct framer *framer_for(enum frame_format f);

/* Split a CSV header record into names (RFC 4180 unquoting); a repeated
 * name gets a suffix ("phone#2"), an empty one "colN". The caller frees
 * names[i] and names. */
void frame_csv_header(const char *rec, size_t len, char delim, char ***names, size_t *n);

/* The CSV/TSV record ends in p[0..len), from a record's start: how many
 * line breaks lie outside quotes; the offset just past each of the first
 * cap into after (when not NULL), just past the last into *end (0: none),
 * and whether p ends inside quotes into *in_quotes. The same ends as
 * record_end's, found in one pass (pipeline.c's read_lines and its
 * workers, for quoted exports). */
size_t frame_csv_breaks(const char *p, size_t len, uint32_t *after, size_t cap, size_t *end, bool *in_quotes);

/* The first of the bytes a and b in p[i..len), or len: sixteen bytes a
 * step. For the framers' searches, where fields and strings are short and
 * a memchr call per byte wanted costs more than the bytes. */
static inline size_t frame_find2(const char *p, size_t i, size_t len, char a, char b)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i < len; i++)
		if (p[i] == a || p[i] == b)
			return i;
	return len;
}

/* Bit k set where p[k] == c, for the 64 bytes at p. */
static inline uint64_t frame_mask64(const char *p, char c)
{
	uint64_t m = 0;
#ifdef __SSE2__
	const __m128i vc = _mm_set1_epi8(c);
	for (unsigned k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vc)) << (16 * k);
	}
#else
	for (unsigned k = 0; k < 64; k++)
		m |= (uint64_t)(p[k] == c) << k;
#endif
	return m;
}

/* Bit i of the result: an odd number of the bits 0..i of x are set (with
 * x a mask of quotes, the bytes inside quoted strings and their closing
 * quotes, as in simdjson). */
static inline uint64_t frame_prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/* record_end for formats whose records are lines (JSON Lines, text). */
size_t frame_line_end(struct frame_cursor *cur, const char *p, size_t len, bool eof);

void span_vec_grow(struct span_vec *sv);
static inline void span_vec_push(struct span_vec *sv, uint32_t start, uint32_t end, uint32_t field,
				 uint32_t record, uint32_t flags)
{
	if (sv->n == sv->cap)
		span_vec_grow(sv);
	sv->v[sv->n++] = (struct span){ start, end, field, record, flags };
}

#endif
