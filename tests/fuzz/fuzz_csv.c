/* libFuzzer target for CSV/TSV framing (scanner/frame_csv.c): the input,
 * fed in arbitrary pieces, must cut into the same records as when it is
 * read whole; the first record, as a header, gives non-empty names, one per
 * column and all distinct; every other record splits into spans that lie
 * inside it, in order, in fields that exist. The first input byte chooses
 * the delimiter and seeds the piece sizes. */
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

/* The record lengths of p[0..len) read whole, or in pieces of random size. */
static size_t cut_records(const struct framer *fr, const char *p, size_t len, uint32_t seed, bool pieces,
			  size_t *lens, bool *last_in_quotes)
{
	struct frame_cursor cur = { 0 };
	size_t pos = 0, fed = pieces ? 0 : len, n = 0;
	*last_in_quotes = false;
	while (pos < len && n < MAX_RECORDS) {
		if (fed < len && pieces)
			fed += 1 + fuzz_next(&seed) % 17;
		if (fed > len)
			fed = len;
		size_t got;
		while (pos < fed && n < MAX_RECORDS && (got = fr->record_end(&cur, p + pos, fed - pos, false))) {
			FUZZ_ASSERT(got <= fed - pos);
			lens[n++] = got;
			pos += got;
			FUZZ_ASSERT(cur.scanned == 0 && !cur.in_quotes);
		}
		if (fed == len && pos < len && n < MAX_RECORDS) {
			*last_in_quotes = cur.in_quotes;
			got = fr->record_end(&cur, p + pos, len - pos, true);
			FUZZ_ASSERT(got == len - pos);
			lens[n++] = got;
			pos += got;
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t whole[MAX_RECORDS], piece[MAX_RECORDS];
	if (size < 1)
		return 0;
	char delim = data[0] & 1 ? '\t' : ',';
	uint32_t seed = data[0] * 2654435761u + (uint32_t)size;
	const char *p = (const char *)data + 1;
	size_t len = size - 1;
	const struct framer *fr = framer_for(delim == '\t' ? FORMAT_TSV : FORMAT_CSV);

	bool q1, q2;
	size_t n1 = cut_records(fr, p, len, seed, false, whole, &q1);
	size_t n2 = cut_records(fr, p, len, seed, true, piece, &q2);
	FUZZ_ASSERT(n1 == n2);
	FUZZ_ASSERT(!memcmp(whole, piece, n1 * sizeof *whole));
	FUZZ_ASSERT(q1 == q2);
	if (!n1)
		return 0;

	/* The header. */
	uint32_t id = fields_for_input();
	struct source *src = source_new(id, "fuzz.csv");
	char **names;
	size_t ncols;
	src->format = fr->format;
	src->unnamed_field = fieldtab_intern(ft, id, NULL, 0);
	frame_csv_header(p, whole[0], delim, &names, &ncols);
	FUZZ_ASSERT(ncols >= 1);
	src->colfield = calloc(ncols, sizeof *src->colfield);
	src->ncols = (uint32_t)ncols;
	for (size_t i = 0; i < ncols; i++) {
		FUZZ_ASSERT(names[i][0] != '\0');
		if (ncols <= 256)
			for (size_t k = 0; k < i; k++)
				FUZZ_ASSERT(strcmp(names[i], names[k]) != 0);
		src->colfield[i] = fieldtab_intern(ft, id, names[i], strlen(names[i]));
	}
	for (size_t i = 0; i < ncols; i++)
		free(names[i]);
	free(names);

	/* The records. */
	struct frame_ctx ctx = { .src = src, .fc = fc, .delim = delim };
	struct span_vec sv = { 0 };
	size_t off = whole[0];
	for (size_t r = 1; r < n1; r++) {
		size_t first = sv.n, err_at = 0;
		uint32_t base = (uint32_t)off;
		int rc = fr->split(&ctx, p + off, whole[r], base, (uint32_t)r, &sv, &err_at);
		if (rc) {
			FUZZ_ASSERT(rc < 0);
			FUZZ_ASSERT(err_at <= whole[r]);
			sv.n = first;
		}
		uint32_t prev_end = base;
		for (size_t s = first; s < sv.n; s++) {
			const struct span *sp = &sv.v[s];
			FUZZ_ASSERT(sp->start < sp->end);
			FUZZ_ASSERT(sp->start >= prev_end);
			FUZZ_ASSERT(sp->end <= base + whole[r]);
			FUZZ_ASSERT(sp->record == r);
			FUZZ_ASSERT(sp->flags == 0);
			FUZZ_ASSERT(sp->field < fieldtab_count(ft));
			prev_end = sp->end;
		}
		off += whole[r];
		sv.n = 0;
	}
	free(sv.v);
	source_free(src);
	return 0;
}
