/* libFuzzer target for JSON Lines framing (scanner/frame_json.c) and the
 * JSON string decoder (attribute_json_unescape in scanner/attribute.c):
 * every line, and the whole input as one record, either splits into
 * ordered spans inside the record (a string span is flagged escaped exactly
 * when it holds a backslash) or fails leaving no spans behind; every
 * escaped span, and the whole input as a string body, decodes into no more
 * bytes than it had, with an offset map that only goes forward. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "attribute.h"
#include "error.h"
#include "field.h"
#include "frame.h"
#include "fuzz.h"
#include "fuzz_fields.h"
#include "rules.h"
#include "source.h"

static void check_unescape(const char *s, size_t len)
{
	char *dst = malloc(len ? len : 1);
	uint32_t *map = malloc((len + 1) * sizeof *map);
	size_t dlen = (size_t)-1;
	attribute_json_unescape(s, len, dst, map, &dlen);
	FUZZ_ASSERT(dlen <= len);
	FUZZ_ASSERT(map[dlen] == len);
	for (size_t k = 0; k < dlen; k++) {
		FUZZ_ASSERT(map[k] < len);
		FUZZ_ASSERT(k == 0 || map[k] >= map[k - 1]);
		/* A byte that is not part of an escape is copied as it is. */
		if (s[map[k]] != '\\')
			FUZZ_ASSERT(dst[k] == s[map[k]]);
	}
	free(dst);
	free(map);
}

static void split_one(const struct framer *fr, const struct frame_ctx *ctx, const char *rec, size_t len,
		      uint32_t base, struct span_vec *sv)
{
	size_t err_at = 0;
	span_vec_push(sv, 0, 1, 0, 0, 0);   /* a span of an earlier record */
	int rc = fr->split(ctx, rec, len, base, 3, sv, &err_at);
	if (rc) {
		FUZZ_ASSERT(rc == PIISCAN_ERR_JSON);
		FUZZ_ASSERT(sv->n == 1);
		FUZZ_ASSERT(err_at <= len);
		sv->n = 0;
		return;
	}
	uint32_t prev_end = base;
	for (size_t s = 1; s < sv->n; s++) {
		const struct span *sp = &sv->v[s];
		FUZZ_ASSERT(sp->start < sp->end);
		FUZZ_ASSERT(sp->start >= prev_end);
		FUZZ_ASSERT(sp->end <= base + len);
		FUZZ_ASSERT(sp->record == 3);
		FUZZ_ASSERT((sp->flags & ~(SPAN_KEY | SPAN_ESCAPED)) == 0);
		const char *v = rec + (sp->start - base);
		size_t vl = sp->end - sp->start;
		bool quoted = sp->start > base && v[-1] == '"';
		if (quoted)
			FUZZ_ASSERT(!!(sp->flags & SPAN_ESCAPED) == (memchr(v, '\\', vl) != NULL));
		else
			FUZZ_ASSERT(sp->flags == 0);
		if (sp->flags & SPAN_ESCAPED)
			check_unescape(v, vl);
		prev_end = sp->end;
	}
	sv->n = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const struct framer *fr = framer_for(FORMAT_JSONL);
	uint32_t id = fields_for_input();
	struct source *src = source_new(id, "fuzz.jsonl");
	struct span_vec sv = { 0 };
	src->format = FORMAT_JSONL;
	src->unnamed_field = fieldtab_intern(ft, id, NULL, 0);
	struct frame_ctx ctx = { .src = src, .fc = fc };

	split_one(fr, &ctx, p, size, 100, &sv);
	struct frame_cursor cur = { 0 };
	size_t pos = 0;
	while (pos < size) {
		size_t n = fr->record_end(&cur, p + pos, size - pos, false);
		if (!n)
			n = fr->record_end(&cur, p + pos, size - pos, true);
		FUZZ_ASSERT(n > 0 && n <= size - pos);
		split_one(fr, &ctx, p + pos, n, (uint32_t)pos, &sv);
		pos += n;
	}
	check_unescape(p, size);

	free(sv.v);
	source_free(src);
	return 0;
}
