/* JSON Lines framing: a record is a line holding one JSON value. Each
 * string and number value is a span in the field named by its dotted key
 * path ("buyer.mobile"); array elements share their parent's path
 * ("items.sku"). Keys are spans too (flagged SPAN_KEY), so a value used as a
 * key is not lost. Strings with backslash escapes are flagged SPAN_ESCAPED
 * for the attribute stage to decode. */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "error.h"
#include "field.h"
#include "frame.h"
#include "source.h"

#define JSON_DEPTH_MAX 64

struct jparse {
	const struct frame_ctx *ctx;
	const char *rec;
	size_t len, i;
	struct span_vec *out;
	uint32_t base, recno;
	char path[FIELD_NAME_MAX + 1];
	size_t plen;
	uint32_t field;   /* the field of path: interned once per key */
	struct { char kind; size_t plen; uint32_t field; } st[JSON_DEPTH_MAX];
	int depth;
};

static inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static inline void skip_ws(struct jparse *jp)
{
	while (jp->i < jp->len && is_ws(jp->rec[jp->i]))
		jp->i++;
}

/* The first '"' or '\\' in p[j..len), or len. Most strings are short: a
 * 16-byte compare finds the end of one in a step or two, where two memchr
 * calls per string cost more than the string. */
static size_t find_quote_or_backslash(const char *p, size_t j, size_t len)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	for (; j + 16 <= len; j += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
		if (m)
			return j + (size_t)__builtin_ctz(m);
	}
#endif
	for (; j < len; j++)
		if (p[j] == '"' || p[j] == '\\')
			return j;
	return len;
}

/* At an opening quote: find the closing one. Returns 0 and the content
 * [*a, *b), or -1 if the string does not end. */
static int parse_string(struct jparse *jp, size_t *a, size_t *b, bool *escaped)
{
	size_t j = jp->i + 1;
	*escaped = false;
	for (;;) {
		j = find_quote_or_backslash(jp->rec, j, jp->len);
		if (j == jp->len)
			return -1;
		if (jp->rec[j] == '\\') {
			*escaped = true;
			j += 2;
			if (j > jp->len)
				return -1;
			continue;
		}
		*a = jp->i + 1;
		*b = j;
		jp->i = j + 1;
		return 0;
	}
}

/* The field of the current path. A scalar line, or the elements of a
 * top-level array, have no key (plen 0). */
static uint32_t path_field(struct jparse *jp)
{
	if (jp->plen == 0)
		return jp->ctx->src->unnamed_field;
	return fieldcache_intern(jp->ctx->fc, jp->ctx->src->id, jp->path, jp->plen);
}

static void emit(struct jparse *jp, size_t a, size_t b, uint32_t flags)
{
	if (b > a)
		span_vec_push(jp->out, jp->base + (uint32_t)a, jp->base + (uint32_t)b, jp->field, jp->recno,
			      flags);
}

static int json_split(const struct frame_ctx *ctx, const char *rec, size_t len, uint32_t base,
		      uint32_t recno, struct span_vec *out, size_t *err_at)
{
	struct jparse jp = { .ctx = ctx, .rec = rec, .len = len, .out = out, .base = base, .recno = recno,
			     .field = ctx->src->unnamed_field };
	size_t a, b, first = out->n;
	bool esc;

	skip_ws(&jp);
	if (jp.i == len)
		return 0; /* a blank line: a record with no values */
value:
	skip_ws(&jp);
	if (jp.i >= len)
		goto bad;
	switch (rec[jp.i]) {
	case '{':
	case '[':
		if (jp.depth == JSON_DEPTH_MAX)
			goto bad;
		jp.st[jp.depth].kind = rec[jp.i];
		jp.st[jp.depth].plen = jp.plen;
		jp.st[jp.depth].field = jp.field;
		jp.depth++;
		jp.i++;
		skip_ws(&jp);
		if (jp.i < len && rec[jp.i] == (jp.st[jp.depth - 1].kind == '{' ? '}' : ']')) {
			jp.i++;
			goto close;
		}
		if (jp.st[jp.depth - 1].kind == '{')
			goto key;
		goto value;
	case '"':
		if (parse_string(&jp, &a, &b, &esc))
			goto bad;
		emit(&jp, a, b, esc ? SPAN_ESCAPED : 0);
		goto after;
	default: {
		size_t s = jp.i;
		while (jp.i < len) {
			char c = rec[jp.i];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      c == '-' || c == '+' || c == '.'))
				break;
			jp.i++;
		}
		if (jp.i == s)
			goto bad;
		if ((rec[s] >= '0' && rec[s] <= '9') || rec[s] == '-')
			emit(&jp, s, jp.i, 0);
		goto after;
	}
	}
key:
	skip_ws(&jp);
	if (jp.i >= len || rec[jp.i] != '"')
		goto bad;
	if (parse_string(&jp, &a, &b, &esc))
		goto bad;
	jp.plen = jp.st[jp.depth - 1].plen;
	if (jp.plen && jp.plen < FIELD_NAME_MAX)
		jp.path[jp.plen++] = '.';
	for (size_t k = a; k < b && jp.plen < FIELD_NAME_MAX; k++)
		jp.path[jp.plen++] = rec[k];
	jp.field = path_field(&jp);
	emit(&jp, a, b, SPAN_KEY | (esc ? SPAN_ESCAPED : 0));
	skip_ws(&jp);
	if (jp.i >= len || rec[jp.i] != ':')
		goto bad;
	jp.i++;
	goto value;
after:
	skip_ws(&jp);
	if (jp.depth == 0) {
		if (jp.i < len)
			goto bad;
		return 0;
	}
	if (jp.i >= len)
		goto bad;
	if (rec[jp.i] == ',') {
		jp.i++;
		if (jp.st[jp.depth - 1].kind == '{')
			goto key;
		jp.plen = jp.st[jp.depth - 1].plen;
		jp.field = jp.st[jp.depth - 1].field;
		goto value;
	}
	if (rec[jp.i] != (jp.st[jp.depth - 1].kind == '{' ? '}' : ']'))
		goto bad;
	jp.i++;
close:
	jp.depth--;
	jp.plen = jp.st[jp.depth].plen;
	jp.field = jp.st[jp.depth].field;
	goto after;
bad:
	out->n = first;
	*err_at = jp.i;
	return PIISCAN_ERR_JSON;
}

const struct framer frame_jsonl = { FORMAT_JSONL, frame_line_end, json_split, NULL };
