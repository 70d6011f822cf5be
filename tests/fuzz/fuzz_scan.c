/* libFuzzer target for the whole engine (scanner/attribute.c over scan,
 * validate, frame, field, finding and fingerprint) with the shipped rules:
 * the input is a chunk of records of a text, CSV, TSV or JSONL source (the
 * first byte chooses, and may make a text chunk a piece of a giant record).
 * Every finding must lie inside the chunk and its records, be counted in
 * the tally, come out as one valid JSON line with a masked preview, and
 * come out the same when the chunk is attributed again or one record at a
 * time. The rules are read from $PIISCAN_RULES or ./rules (run from the
 * repository root) and compiled once, without the cache. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "attribute.h"
#include "chunk.h"
#include "field.h"
#include "fingerprint.h"
#include "frame.h"
#include "fuzz.h"
#include "fuzz_rules.h"
#include "hsdb.h"
#include "jsoncheck.h"
#include "rules.h"
#include "source.h"
#include "tally.h"

#define MAX_RECORDS 512

/* Fields and the source live across inputs (as in a run) and are renewed
 * every RENEW inputs, which bounds the memory they hold. One source, so its
 * error list (printed to stderr up to SOURCE_ERRORS_MAX) stays quiet. */
#define RENEW 4096

struct engine {
	struct ruleset *rs;
	struct hsdb *db;
	struct fingerprint_key key;
	uint32_t email_rule;
	struct fieldtab *ft;
	struct attributor *at;
	struct source *src;
	unsigned inputs;
};

static struct engine eng;

struct seen {
	const struct chunk *ck;
	size_t n;
};

static void on_finding(void *arg, const struct finding *f, uint32_t rule)
{
	struct seen *s = arg;
	const struct chunk *ck = s->ck;
	s->n++;
	FUZZ_ASSERT(rule < eng.rs->n);
	FUZZ_ASSERT(!strcmp(f->rule_id, eng.rs->rules[rule].id));
	FUZZ_ASSERT(f->length > 0);
	FUZZ_ASSERT(f->offset >= ck->base_offset);
	FUZZ_ASSERT(f->offset - ck->base_offset + f->length <= ck->data.len);
	FUZZ_ASSERT(f->record >= ck->first_record && f->record < ck->first_record + (ck->piece ? 1 : ck->nrec));
	if (!ck->piece) {
		/* Inside its record. */
		size_t r = (size_t)(f->record - ck->first_record);
		uint64_t a = ck->base_offset + ck->recs[r], b = ck->base_offset + ck->recs[r + 1];
		FUZZ_ASSERT(f->offset >= a && f->offset + f->length <= b);
	} else {
		FUZZ_ASSERT(f->offset - ck->base_offset >= ck->keep_lo && f->offset - ck->base_offset < ck->keep_hi);
	}
	FUZZ_ASSERT(f->confidence >= CONFIDENCE_POSSIBLE && f->confidence <= CONFIDENCE_VERY_LIKELY);
	FUZZ_ASSERT(strlen(f->fingerprint) == FINGERPRINT_HEX_LEN);
	/* The preview hides something of every value but an e-mail's (a
	 * value may hold NUL bytes: the preview is masked_len long). */
	if (rule != eng.email_rule)
		FUZZ_ASSERT(memchr(f->masked, '*', f->masked_len) != NULL);
}

static void engine_init(void)
{
	char eb[512];
	fuzz_load_rules("fuzz_scan", &eng.rs, &eng.db);
	if (fingerprint_key_load(&eng.key, NULL, eb, sizeof eb))
		abort();
	eng.email_rule = (uint32_t)(ruleset_find(eng.rs, "email") - eng.rs->rules);
}

static struct attributor *new_attributor(struct seen *s)
{
	struct attribute_config cfg = {
		.db = eng.db, .fields = eng.ft, .key = &eng.key, .min_confidence = CONFIDENCE_POSSIBLE,
		.format_findings = true, .on_finding = on_finding, .on_finding_arg = s,
	};
	struct attributor *at = attributor_new(&cfg);
	FUZZ_ASSERT(at != NULL);
	return at;
}

/* Attribute ck with at (output in ck->out, reset first) and check what
 * comes out against the tally and the JSON syntax. */
static void attribute(struct attributor *at, struct seen *s, struct chunk *ck)
{
	struct tally t;
	tally_init(&t, eng.rs->n);
	ck->out.len = 0;
	ck->nfindings = 0;
	s->ck = ck;
	s->n = 0;
	FUZZ_ASSERT(attribute_chunk(at, ck, &t) == 0);
	FUZZ_ASSERT(s->n == ck->nfindings);
	/* Every finding is counted once in the tally. */
	uint64_t counted = 0;
	for (size_t i = 0; i < t.cap; i++)
		if (t.f[i].by_rule)
			for (size_t k = 0; k < eng.rs->n * 4; k++)
				counted += t.f[i].by_rule[k];
	FUZZ_ASSERT(counted == ck->nfindings);
	/* One valid JSON line per finding. */
	size_t lines = 0, a = 0;
	for (size_t i = 0; i < ck->out.len; i++) {
		if (ck->out.data[i] != '\n')
			continue;
		FUZZ_ASSERT(json_valid(ck->out.data + a, i - a));
		lines++;
		a = i + 1;
	}
	FUZZ_ASSERT(a == ck->out.len);
	FUZZ_ASSERT(lines == ck->nfindings);
	tally_release(&t);
}

/* A new field table, attributor and source. */
static void engine_renew(struct seen *s)
{
	attributor_free(eng.at);
	source_free(eng.src);
	fieldtab_free(eng.ft);
	eng.ft = fieldtab_new(eng.rs);
	eng.at = new_attributor(s);
	eng.src = source_new(1, "fuzz");
	eng.src->unnamed_field = fieldtab_intern(eng.ft, 1, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum frame_format formats[] = { FORMAT_TEXT, FORMAT_CSV, FORMAT_TSV, FORMAT_JSONL };
	static struct seen seen;
	if (!eng.rs)
		engine_init();
	if (eng.inputs++ % RENEW == 0)
		engine_renew(&seen);
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	enum frame_format fmt = formats[ctl & 3];
	const char *p = (const char *)data + 1;
	size_t len = size - 1;
	struct source *src = eng.src;
	src->format = fmt;
	free(src->colfield);
	src->colfield = NULL;
	src->ncols = 0;

	/* Cut records as the reader does; a CSV/TSV source's first is its header. */
	const struct framer *fr = framer_for(fmt);
	struct frame_cursor cur = { 0 };
	uint32_t recs[MAX_RECORDS + 1];
	size_t nrec = 0, pos = 0, data_start = 0;
	bool header = fmt == FORMAT_CSV || fmt == FORMAT_TSV;
	while (pos < len && nrec < MAX_RECORDS) {
		size_t n = fr->record_end(&cur, p + pos, len - pos, false);
		if (!n)
			n = fr->record_end(&cur, p + pos, len - pos, true);
		if (header) {
			char **names;
			size_t ncols;
			frame_csv_header(p, n, fmt == FORMAT_TSV ? '\t' : ',', &names, &ncols);
			src->colfield = calloc(ncols ? ncols : 1, sizeof *src->colfield);
			src->ncols = (uint32_t)ncols;
			for (size_t i = 0; i < ncols; i++) {
				src->colfield[i] = fieldtab_intern(eng.ft, src->id, names[i], strlen(names[i]));
				free(names[i]);
			}
			free(names);
			header = false;
			data_start = pos + n;
		} else {
			recs[nrec++] = (uint32_t)(pos - data_start);
		}
		pos += n;
	}
	recs[nrec] = (uint32_t)(pos - data_start);
	size_t dlen = pos - data_start;

	struct chunk ck;
	memset(&ck, 0, sizeof ck);
	buf_append(&ck.data, p + data_start, dlen);
	ck.src = src;
	ck.base_offset = 1000 + data_start;
	ck.first_record = 7;
	ck.recs = recs;
	ck.nrec = nrec;
	if (fmt == FORMAT_TEXT && (ctl & 0x10) && dlen) {
		ck.piece = true;
		ck.piece_first = ctl & 0x20;
		ck.keep_lo = (uint32_t)((ctl >> 6) * dlen / 8);
		ck.keep_hi = (uint32_t)(dlen - (ctl >> 6) * dlen / 16);
	}
	if (!nrec && !ck.piece)
		goto out;

	attribute(eng.at, &seen, &ck);
	struct buf first;
	buf_init(&first);
	buf_append(&first, ck.out.data, ck.out.len);
	/* Again, with the same attributor: the same lines. */
	attribute(eng.at, &seen, &ck);
	FUZZ_ASSERT(ck.out.len == first.len && (!first.len || !memcmp(ck.out.data, first.data, first.len)));

	/* One record per chunk: the same lines, in the same order. */
	if (!ck.piece) {
		struct buf all;
		buf_init(&all);
		for (size_t r = 0; r < nrec; r++) {
			struct chunk one;
			uint32_t orecs[2] = { 0, recs[r + 1] - recs[r] };
			memset(&one, 0, sizeof one);
			buf_append(&one.data, ck.data.data + recs[r], orecs[1]);
			one.src = src;
			one.base_offset = ck.base_offset + recs[r];
			one.first_record = ck.first_record + r;
			one.recs = orecs;
			one.nrec = 1;
			attribute(eng.at, &seen, &one);
			buf_append(&all, one.out.data, one.out.len);
			buf_release(&one.data);
			buf_release(&one.out);
		}
		FUZZ_ASSERT(all.len == first.len && (!first.len || !memcmp(all.data, first.data, first.len)));
		buf_release(&all);
	}
	buf_release(&first);
out:
	buf_release(&ck.data);
	buf_release(&ck.out);
	return 0;
}
