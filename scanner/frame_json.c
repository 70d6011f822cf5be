/* JSON Lines framing: a record is a line holding one JSON value. Each
 * string and number value is a span in the field named by its dotted key
 * path ("buyer.mobile"); array elements share their parent's path
 * ("items.sku"). Keys are spans too (flagged SPAN_KEY), so a value used as a
 * key is not lost. Strings with backslash escapes are flagged SPAN_ESCAPED
 * for the attribute stage to decode. */
#include <string.h>

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
	struct { char kind; size_t plen; } st[JSON_DEPTH_MAX];
	int depth;
};

static void skip_ws(struct jparse *jp)
{
	while (jp->i < jp->len) {
		char c = jp->rec[jp->i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
		jp->i++;
	}
}

/* At an opening quote: find the closing one. Returns 0 and the content
 * [*a, *b), or -1 if the string does not end. */
static int parse_string(struct jparse *jp, size_t *a, size_t *b, bool *escaped)
{
	size_t j = jp->i + 1;
	*escaped = false;
	for (;;) {
		const char *q = memchr(jp->rec + j, '"', jp->len - j);
		const char *bs = memchr(jp->rec + j, '\\', q ? (size_t)(q - jp->rec) - j : jp->len - j);
		if (bs) {
			*escaped = true;
			j = (size_t)(bs - jp->rec) + 2;
			if (j > jp->len)
				return -1;
			continue;
		}
		if (!q)
			return -1;
		*a = jp->i + 1;
		*b = (size_t)(q - jp->rec);
		jp->i = *b + 1;
		return 0;
	}
}

static uint32_t path_field(struct jparse *jp)
{
	/* A scalar line, or the elements of a top-level array, have no key. */
	if (jp->depth == 0 || jp->plen == 0)
		return jp->ctx->src->unnamed_field;
	return fieldcache_intern(jp->ctx->fc, jp->ctx->src->id, jp->path, jp->plen);
}

static void emit(struct jparse *jp, size_t a, size_t b, uint32_t flags)
{
	if (b > a)
		span_vec_push(jp->out, jp->base + (uint32_t)a, jp->base + (uint32_t)b, path_field(jp),
			      jp->recno, flags);
}

static int json_split(const struct frame_ctx *ctx, const char *rec, size_t len, uint32_t base,
		      uint32_t recno, struct span_vec *out, size_t *err_at)
{
	struct jparse jp = { .ctx = ctx, .rec = rec, .len = len, .out = out, .base = base, .recno = recno };
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
		goto value;
	}
	if (rec[jp.i] != (jp.st[jp.depth - 1].kind == '{' ? '}' : ']'))
		goto bad;
	jp.i++;
close:
	jp.depth--;
	jp.plen = jp.st[jp.depth].plen;
	goto after;
bad:
	out->n = first;
	*err_at = jp.i;
	return PIISCAN_ERR_JSON;
}

const struct framer frame_jsonl = { FORMAT_JSONL, frame_line_end, json_split, NULL };
