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
#include "util.h"

#define JSON_DEPTH_MAX 64

struct jparse {
	const struct frame_ctx *ctx;
	const char *rec;
	size_t len, i;
	struct span_vec *out;
	uint32_t base, recno;
	size_t plen;      /* the length of the current path (it is written out
			   * only when its field is not cached: build_path) */
	uint32_t field;   /* the field of the path: found once per key */
	struct {
		char kind;
		size_t plen;
		uint32_t field;
		uint32_t key, klen;   /* an object's current key: rec[key..+klen) */
		uint32_t nkeys;       /* keys so far in the object */
	} st[JSON_DEPTH_MAX];
	int depth;
};

/* Byte kinds for the loops that look at every byte outside strings. */
enum { J_WS = 1, J_BARE = 2 };
static const uint8_t jkind[256] = {
	[' '] = J_WS, ['\t'] = J_WS, ['\r'] = J_WS, ['\n'] = J_WS,
	['0'] = J_BARE, ['1'] = J_BARE, ['2'] = J_BARE, ['3'] = J_BARE, ['4'] = J_BARE, ['5'] = J_BARE,
	['6'] = J_BARE, ['7'] = J_BARE, ['8'] = J_BARE, ['9'] = J_BARE, ['-'] = J_BARE, ['+'] = J_BARE,
	['.'] = J_BARE,
	['a'] = J_BARE, ['b'] = J_BARE, ['c'] = J_BARE, ['d'] = J_BARE, ['e'] = J_BARE, ['f'] = J_BARE,
	['g'] = J_BARE, ['h'] = J_BARE, ['i'] = J_BARE, ['j'] = J_BARE, ['k'] = J_BARE, ['l'] = J_BARE,
	['m'] = J_BARE, ['n'] = J_BARE, ['o'] = J_BARE, ['p'] = J_BARE, ['q'] = J_BARE, ['r'] = J_BARE,
	['s'] = J_BARE, ['t'] = J_BARE, ['u'] = J_BARE, ['v'] = J_BARE, ['w'] = J_BARE, ['x'] = J_BARE,
	['y'] = J_BARE, ['z'] = J_BARE,
	['A'] = J_BARE, ['B'] = J_BARE, ['C'] = J_BARE, ['D'] = J_BARE, ['E'] = J_BARE, ['F'] = J_BARE,
	['G'] = J_BARE, ['H'] = J_BARE, ['I'] = J_BARE, ['J'] = J_BARE, ['K'] = J_BARE, ['L'] = J_BARE,
	['M'] = J_BARE, ['N'] = J_BARE, ['O'] = J_BARE, ['P'] = J_BARE, ['Q'] = J_BARE, ['R'] = J_BARE,
	['S'] = J_BARE, ['T'] = J_BARE, ['U'] = J_BARE, ['V'] = J_BARE, ['W'] = J_BARE, ['X'] = J_BARE,
	['Y'] = J_BARE, ['Z'] = J_BARE,
};

static inline bool is_ws(char c) { return jkind[(unsigned char)c] & J_WS; }

static inline void skip_ws(struct jparse *jp)
{
	while (jp->i < jp->len && is_ws(jp->rec[jp->i]))
		jp->i++;
}

/* At an opening quote: find the closing one. Returns 0 and the content
 * [*a, *b), or -1 if the string does not end. */
static inline __attribute__((always_inline)) int parse_string(struct jparse *jp, size_t *a, size_t *b, bool *escaped)
{
	size_t j = jp->i + 1;
	*escaped = false;
	for (;;) {
		j = frame_find2(jp->rec, j, jp->len, '"', '\\');
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

/* The current path: the keys of the objects on the stack, joined with
 * dots (array elements take their parent's path), cut at FIELD_NAME_MAX. */
static size_t build_path(const struct jparse *jp, char *out)
{
	size_t n = 0;
	for (int d = 0; d < jp->depth; d++) {
		if (jp->st[d].kind != '{')
			continue;
		if (n && n < FIELD_NAME_MAX)
			out[n++] = '.';
		for (uint32_t k = 0; k < jp->st[d].klen && n < FIELD_NAME_MAX; k++)
			out[n++] = jp->rec[jp->st[d].key + k];
	}
	return n;
}

/* The field of the path just extended by a key, under the field parent.
 * An empty path (an empty key at the top) is the unnamed field, as are a
 * scalar line and the elements of a top-level array. */
static uint32_t key_field(struct jparse *jp, uint32_t parent, const char *key, size_t klen)
{
	if (jp->plen == 0)
		return jp->ctx->src->unnamed_field;
	/* Where to look first: the key at the same place in an object of the
	 * same field (records of one export repeat their objects' keys in
	 * order, even where the records differ elsewhere). */
	size_t ord = (size_t)parent * 16 + jp->st[jp->depth - 1].nkeys++;
	uint32_t id = fieldcache_child_get(jp->ctx->fc, jp->ctx->src->id, parent, key, klen, ord);
	if (id == FIELD_NONE) {
		char path[FIELD_NAME_MAX];
		size_t n = build_path(jp, path);
		id = fieldcache_intern(jp->ctx->fc, jp->ctx->src->id, path, n);
		fieldcache_child_put(jp->ctx->fc, jp->ctx->src->id, parent, key, klen, ord, id);
	}
	return id;
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
	/* Not an initialiser: it would zero the whole stack of st (2 KiB, 3.7%
	 * of this function) for every record. Each level is set as it is
	 * entered, its key as it is read. */
	struct jparse jp;
	jp.ctx = ctx;
	jp.rec = rec;
	jp.len = len;
	jp.i = 0;
	jp.out = out;
	jp.base = base;
	jp.recno = recno;
	jp.plen = 0;
	jp.field = ctx->src->unnamed_field;
	jp.depth = 0;
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
		jp.st[jp.depth].nkeys = 0;
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
		/* A number, true, false or null: the bytes those are made of. */
		while (jp.i < len && (jkind[(unsigned char)rec[jp.i]] & J_BARE))
			jp.i++;
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
	{
		size_t up = jp.st[jp.depth - 1].plen;
		jp.plen = MIN(FIELD_NAME_MAX, up + (up ? 1 : 0) + (b - a));
		jp.st[jp.depth - 1].key = (uint32_t)a;
		jp.st[jp.depth - 1].klen = (uint32_t)(b - a);
	}
	jp.field = key_field(&jp, jp.st[jp.depth - 1].field, rec + a, b - a);
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
