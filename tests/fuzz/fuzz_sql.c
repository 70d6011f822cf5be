/* libFuzzer target for SQL dump framing (scanner/frame_sql.c): the input,
 * fed in arbitrary pieces, must give the same records (where they start,
 * how long they are, their layout) as when it is read whole (the bytes
 * skipped between them may come in other parts); every record splits into
 * ordered spans inside it, in fields that exist, or fails saying where. The
 * first input byte seeds the piece sizes. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "frame.h"
#include "fuzz.h"
#include "fuzz_fields.h"
#include "rules.h"
#include "source.h"

#define MAX_RECORDS 4096

struct cut {
	size_t start, len;
	uint32_t layout;
};

/* Cut p[0..len) as the reader does, whole or in pieces of random size. */
static size_t cut_records(struct source *src, const char *p, size_t len, uint32_t seed,
			  bool pieces, struct cut *out)
{
	const struct framer *fr = framer_for(FORMAT_SQL);
	struct frame_cursor cur = { 0 };
	size_t pos = 0, fed = pieces ? 0 : len, n = 0;
	cur.src = src;
	cur.fields = ft;
	while (pos < len && n < MAX_RECORDS) {
		if (fed < len && pieces)
			fed += 1 + fuzz_next(&seed) % 23;
		if (fed > len)
			fed = len;
		size_t got;
		while (pos < fed && n < MAX_RECORDS && (got = fr->record_end(&cur, p + pos, fed - pos, false))) {
			FUZZ_ASSERT(got <= fed - pos);
			if (!cur.skip)
				out[n++] = (struct cut){ pos, got, cur.layout };
			pos += got;
		}
		if (fed == len && pos < len && n < MAX_RECORDS) {
			got = fr->record_end(&cur, p + pos, len - pos, true);
			FUZZ_ASSERT(got <= len - pos);
			if (!got)
				got = len - pos;   /* the reader takes the rest as one record */
			if (!cur.skip)
				out[n++] = (struct cut){ pos, got, cur.layout };
			pos += got;
		}
	}
	if (fr->release)
		fr->release(&cur);
	FUZZ_ASSERT(cur.state == NULL);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cut whole[MAX_RECORDS], piece[MAX_RECORDS];
	if (size < 1)
		return 0;
	uint32_t seed = data[0] * 2654435761u + (uint32_t)size;
	const char *p = (const char *)data + 1;
	size_t len = size - 1;
	uint32_t id = 2 * fields_for_input();
	struct source *s1 = source_new(id, "whole.sql"), *s2 = source_new(id + 1, "pieces.sql");
	s1->format = s2->format = FORMAT_SQL;
	s1->unnamed_field = fieldtab_intern(ft, id, NULL, 0);
	s2->unnamed_field = fieldtab_intern(ft, id + 1, NULL, 0);

	size_t n1 = cut_records(s1, p, len, seed, false, whole);
	size_t n2 = cut_records(s2, p, len, seed, true, piece);
	size_t same = 0;
	while (same < n1 && same < n2 && whole[same].start == piece[same].start && whole[same].len == piece[same].len &&
	       whole[same].layout == piece[same].layout)
		same++;
	FUZZ_ASSERT(same == n1 && same == n2);
	FUZZ_ASSERT(s1->nlayouts == s2->nlayouts);

	const struct framer *fr = framer_for(FORMAT_SQL);
	struct span_vec sv = { 0 };
	for (size_t r = 0; r < n1; r++) {
		struct frame_ctx ctx = { .src = s1, .fc = fc, .layout = whole[r].layout };
		size_t err_at = 0;
		uint32_t base = (uint32_t)whole[r].start;
		int rc = fr->split(&ctx, p + whole[r].start, whole[r].len, base, (uint32_t)r, &sv, &err_at);
		if (rc) {
			FUZZ_ASSERT(rc < 0);
			FUZZ_ASSERT(err_at <= whole[r].len);
			sv.n = 0;
		}
		uint32_t prev_end = base;
		for (size_t s = 0; s < sv.n; s++) {
			const struct span *sp = &sv.v[s];
			FUZZ_ASSERT(sp->start < sp->end);
			FUZZ_ASSERT(sp->start >= prev_end);
			FUZZ_ASSERT(sp->end <= base + whole[r].len);
			FUZZ_ASSERT(sp->record == r);
			FUZZ_ASSERT(sp->field < fieldtab_count(ft));
			prev_end = sp->end;
		}
		sv.n = 0;
	}
	free(sv.v);
	source_free(s1);
	source_free(s2);
	return 0;
}
