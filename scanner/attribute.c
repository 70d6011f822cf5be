/* Per-chunk work of a scanning worker: frame → scan → validate → attribute,
 * then the hand-off to aggregate and to the findings writer. */
#include "attribute.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "frame.h"
#include "scan.h"
#include "source.h"
#include "transcode.h"
#include "utf8.h"
#include "util.h"

struct cand {
	uint32_t rule;
	uint32_t span;
	uint32_t start, end;      /* raw chunk offsets */
	uint32_t voff, vlen;      /* the value: in the chunk, or in at->decoded */
	uint32_t vbase;           /* where the value's span starts, in the same buffer */
	bool decoded;
	enum verdict verdict;
	bool context;
	enum confidence conf;
};

#define FP_BATCH 8
/* fingerprint_batch reads a value in whole 8-byte words: the rows of
 * fp.norm below hold any value a normaliser writes, rounded up. */
_Static_assert(VALIDATE_NORM_MAX % 8 == 0, "fp.norm rows must hold whole words");

struct attributor {
	struct attribute_config cfg;
	const struct ruleset *rs;
	struct scanner *sc;
	struct fieldcache *fc;
	struct span_vec spans;
	uint32_t span_flags;      /* of all spans, or'ed (frame_slice) */
	struct cand *cands;
	size_t ncands, cands_cap;
	struct buf decoded;       /* decoded JSON strings, back to back */
	uint32_t *map;
	size_t map_cap;
	uint32_t *field_rules;    /* rules with scope: field */
	size_t nfield_rules;
	/* collect() appends three runs, each already in cmp_cand order: the
	 * block's matches, field-scope verdicts, matches in decoded strings. */
	size_t runs[4];
	struct cand *merged;
	size_t merged_cap;
	bool *masks_email;        /* per rule: previews masked as e-mail addresses */
	/* Lengths for findings lines: per rule id, per field's JSON name (0:
	 * not yet known). */
	uint32_t *rule_len;
	uint32_t *field_len;
	size_t field_len_cap;
	/* Findings lines of this chunk whose fingerprints are still to be
	 * written, hashed FP_BATCH at a time (fingerprint_batch): the value as
	 * hashed, and where its hex goes in ck->out. */
	struct {
		char norm[FP_BATCH][VALIDATE_NORM_MAX];
		size_t len[FP_BATCH];
		size_t at[FP_BATCH];
		size_t n;
	} fp;
};

struct attributor *attributor_new(const struct attribute_config *cfg)
{
	struct attributor *at = xcalloc(1, sizeof *at);
	at->cfg = *cfg;
	at->rs = hsdb_ruleset(cfg->db);
	at->sc = scanner_new_engine(cfg->db, (enum scan_engine)cfg->engine);
	if (!at->sc) {
		free(at);
		return NULL;
	}
	at->fc = fieldcache_new(cfg->fields);
	buf_init(&at->decoded);
	at->field_rules = xcalloc(at->rs->n ? at->rs->n : 1, sizeof *at->field_rules);
	at->masks_email = xcalloc(at->rs->n ? at->rs->n : 1, sizeof *at->masks_email);
	at->rule_len = xcalloc(at->rs->n ? at->rs->n : 1, sizeof *at->rule_len);
	for (size_t i = 0; i < at->rs->n; i++) {
		const struct rule *r = &at->rs->rules[i];
		if (r->field_scope)
			at->field_rules[at->nfield_rules++] = (uint32_t)i;
		at->masks_email[i] = r->validator && !strcmp(r->validator->name, "email");
		at->rule_len[i] = (uint32_t)strlen(r->id);
	}
	return at;
}

void attributor_free(struct attributor *at)
{
	if (!at)
		return;
	scanner_free(at->sc);
	fieldcache_free(at->fc);
	free(at->spans.v);
	free(at->cands);
	free(at->merged);
	free(at->map);
	free(at->field_rules);
	free(at->masks_email);
	free(at->rule_len);
	free(at->field_len);
	buf_release(&at->decoded);
	free(at);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int read_u4(const char *s, size_t len, size_t i, unsigned *out)
{
	unsigned v = 0;
	if (i + 4 > len)
		return -1;
	for (size_t k = 0; k < 4; k++) {
		int h = hexval(s[i + k]);
		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return 0;
}

void attribute_json_unescape(const char *s, size_t len, char *dst, uint32_t *map, size_t *dlen)
{
	size_t i = 0, o = 0;
	while (i < len) {
		size_t at = i;
		if (s[i] != '\\' || i + 1 >= len) {
			map[o] = (uint32_t)at;
			dst[o++] = s[i++];
			continue;
		}
		char e = s[i + 1];
		char simple = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b'
			: e == 'f' ? '\f' : (e == '"' || e == '\\' || e == '/') ? e : 0;
		if (simple) {
			map[o] = (uint32_t)at;
			dst[o++] = simple;
			i += 2;
			continue;
		}
		unsigned cp;
		if (e != 'u' || read_u4(s, len, i + 2, &cp)) {
			map[o] = (uint32_t)at; /* not an escape JSON knows: keep it as written */
			dst[o++] = s[i++];
			continue;
		}
		i += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			unsigned lo;
			if (i + 1 < len && s[i] == '\\' && s[i + 1] == 'u' && !read_u4(s, len, i + 2, &lo) &&
			    lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			} else {
				cp = 0xFFFD;
			}
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			cp = 0xFFFD;
		}
		char u[4];
		size_t n;
		if (cp < 0x80) {
			u[0] = (char)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xC0 | cp >> 6);
			u[1] = (char)(0x80 | (cp & 0x3F));
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xE0 | cp >> 12);
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[2] = (char)(0x80 | (cp & 0x3F));
			n = 3;
		} else {
			u[0] = (char)(0xF0 | cp >> 18);
			u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
			u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[3] = (char)(0x80 | (cp & 0x3F));
			n = 4;
		}
		/* Every byte of the character maps to its escape, so a match
		 * that starts or ends inside it covers the whole escape. */
		for (size_t k = 0; k < n; k++) {
			map[o] = (uint32_t)at;
			dst[o++] = u[k];
		}
	}
	map[o] = (uint32_t)len;
	*dlen = o;
}

static inline void push_cand(struct attributor *at, const struct match *m, uint32_t span, uint32_t start,
		      uint32_t end, uint32_t voff, uint32_t vbase, bool decoded)
{
	if (at->ncands == at->cands_cap)
		xgrow((void **)&at->cands, &at->cands_cap, at->ncands + 1, sizeof *at->cands);
	at->cands[at->ncands++] = (struct cand){
		.rule = m->rule, .span = span, .start = start, .end = end, .voff = voff,
		.vlen = m->end - m->start, .vbase = vbase, .decoded = decoded, .verdict = m->verdict,
	};
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->span != y->span)
		return x->span < y->span ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool has_hotword(const struct rule *r, const char *p, size_t len)
{
	char low[ATTRIBUTE_HOTWORD_WINDOW];
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	for (size_t h = 0; h < r->hotwords.n; h++) {
		const char *w = r->hotwords.v[h];
		size_t wl = strlen(w);
		if (!wl)
			continue; /* an empty hotword is no evidence */
		for (size_t i = 0; i + wl <= len; i++)
			if (low[i] == w[0] && !memcmp(low + i, w, wl))
				return true;
	}
	return false;
}

static enum confidence confidence_of(const struct rule *r, const struct cand *c)
{
	bool validated = r->validator && c->verdict == VERDICT_PASS;
	if (c->verdict == VERDICT_WEAK)
		return CONFIDENCE_POSSIBLE;
	if (r->weak)
		return !c->context ? CONFIDENCE_POSSIBLE : validated ? CONFIDENCE_VERY_LIKELY : CONFIDENCE_LIKELY;
	if (validated)
		return c->context ? CONFIDENCE_VERY_LIKELY : CONFIDENCE_LIKELY;
	return CONFIDENCE_LIKELY;
}

/* Is a better than b as the reading of one written value? Validator
 * evidence first; then the reading that covers the other (the digits of
 * 13812345678@qq.com are part of an e-mail address, whatever a hotword
 * says about them); then context, priority, the longer span. */
static bool better(const struct ruleset *rs, const struct cand *a, const struct cand *b)
{
	const struct rule *ra = &rs->rules[a->rule], *rb = &rs->rules[b->rule];
	int va = a->verdict == VERDICT_WEAK ? 0 : ra->validator ? 2 : 1;
	int vb = b->verdict == VERDICT_WEAK ? 0 : rb->validator ? 2 : 1;
	if (va != vb)
		return va > vb;
	bool a_covers = a->start <= b->start && a->end >= b->end && a->end - a->start > b->end - b->start;
	bool b_covers = b->start <= a->start && b->end >= a->end && b->end - b->start > a->end - a->start;
	if (a_covers != b_covers)
		return a_covers;
	if (a->context != b->context)
		return a->context;
	if (ra->priority != rb->priority)
		return ra->priority > rb->priority;
	if (a->end - a->start != b->end - b->start)
		return a->end - a->start > b->end - b->start;
	return a->rule < b->rule;
}

/* The input offset of chunk byte at (the start of its character is
 * what counts), in record i, when the input was decoded from GBK/GB18030:
 * counted from the decoded text and the skews the decoder noted
 * (transcode_raw_pos), going on from where the last count stopped
 * (findings come in order), or from the record's start (the chunk's
 * when its worker decoded lines: one run of text). */
static uint64_t decoded_offset(struct chunk *ck, size_t i, uint32_t at)
{
	size_t d0 = 0;
	uint64_t base = ck->base_offset;
	if (!ck->lines) {   /* decoded record by record (by the reader, or a worker) */
		d0 = ck->recs[i];
		base = ck->rec_off[i];
	}
	while (at > d0 && at < ck->data.len && ((unsigned char)ck->data.data[at] & 0xC0) == 0x80)
		at--;
	if (at < ck->seek_d || ck->seek_d < d0) {
		/* From the record's start: its first skew by bisection (a
		 * text read as U+FFFD byte by byte has one a byte). */
		size_t lo = 0, hi = ck->skews.n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (ck->skews.v[mid].at < d0)
				lo = mid + 1;
			else
				hi = mid;
		}
		ck->seek_d = d0;
		ck->seek_r = 0;
		ck->seek_k = lo;
	}
	return base + transcode_raw_pos(ck->data.data, &ck->skews, &ck->seek_d, &ck->seek_r, &ck->seek_k, at);
}

/* The input offset of chunk byte at, which lies in record i. */
static uint64_t input_offset(struct chunk *ck, size_t i, uint32_t at)
{
	if (ck->record_relative)
		return at - ck->recs[i]; /* a Kafka message: bytes inside its value */
	if (ck->transcoded)
		return decoded_offset(ck, i, at);
	if (ck->rec_off)
		return ck->rec_off[i] + (at - ck->recs[i]);
	return ck->base_offset + at;
}

static uint64_t record_number(const struct chunk *ck, size_t i)
{
	return ck->rec_ids ? ck->rec_ids[i] : ck->first_record + i;
}

/* The fingerprints of the batch, over their placeholders in ck->out. */
static void write_fingerprints(struct attributor *at, struct chunk *ck)
{
	const char *v[FP_BATCH];
	unsigned char h[FP_BATCH][FINGERPRINT_BYTES];
	for (size_t i = 0; i < at->fp.n; i++)
		v[i] = at->fp.norm[i];
	fingerprint_batch(at->cfg.key, at->fp.n, v, at->fp.len, h, true);
	for (size_t i = 0; i < at->fp.n; i++) {
		char hex[FINGERPRINT_HEX_LEN + 1];
		util_hex(hex, h[i], FINGERPRINT_BYTES);
		memcpy(ck->out.data + at->fp.at[i], hex, FINGERPRINT_HEX_LEN);
	}
	at->fp.n = 0;
}

/* A finding written out (--findings, a findings topic): its offsets, a
 * masked preview and a keyed fingerprint. */
static void emit_finding(struct attributor *at, struct chunk *ck, const struct cand *c, uint64_t record)
{
	const struct span *sp = &at->spans.v[c->span];
	const struct rule *r = &at->rs->rules[c->rule];
	const char *v = c->decoded ? at->decoded.data + c->voff : ck->data.data + c->voff;
	uint64_t offset = input_offset(ck, sp->record, c->start);
	uint32_t length = ck->transcoded && !ck->record_relative
		? (uint32_t)(decoded_offset(ck, sp->record, c->end) - offset) : c->end - c->start;
	char masked[160], fp[FINGERPRINT_HEX_LEN + 1];
	const struct field *fd = fieldtab_get(at->cfg.fields, sp->field);
	/* A findings line gets its fingerprint later, with the batch's (the
	 * hex is written over a placeholder); a finding passed to on_finding
	 * needs it now. */
	bool later = at->cfg.format_findings && !at->cfg.on_finding;
	char *norm = at->fp.norm[at->fp.n];

	size_t nl = r->validator ? r->validator->normalize(v, c->vlen, norm, VALIDATE_NORM_MAX)
		: validate_normalize_identity(v, c->vlen, norm, VALIDATE_NORM_MAX);
	if (!later)
		fingerprint_hex(at->cfg.key, norm, nl, fp);
	if (sp->field >= at->field_len_cap) {
		size_t old = at->field_len_cap;
		xgrow((void **)&at->field_len, &at->field_len_cap, (size_t)sp->field + 1, sizeof *at->field_len);
		memset(at->field_len + old, 0, (at->field_len_cap - old) * sizeof *at->field_len);
	}
	uint32_t *fl = &at->field_len[sp->field];
	if (!*fl)
		*fl = (uint32_t)strlen(fd->json);
	struct finding f = {
		.source_json = ck->src->path_json,
		.record = record,
		.field_json = fd->json,
		.rule_id = r->id,
		.offset = offset,
		.length = length,
		.confidence = c->conf,
		.fingerprint = later ? NULL : fp,
		.extra = ck->src->findings_extra,
		.source_len = ck->src->path_json_len,
		.field_len = *fl,
		.rule_len = at->rule_len[c->rule],
	};
	if (later) {
		/* The preview is masked into the line. */
		at->fp.len[at->fp.n] = nl;
		at->fp.at[at->fp.n] = finding_format_value(&ck->out, &f, v, c->vlen, at->masks_email[c->rule]);
		if (++at->fp.n == FP_BATCH)
			write_fingerprints(at, ck);
		return;
	}
	f.masked = masked;
	f.masked_len = (uint32_t)finding_mask(v, c->vlen, at->masks_email[c->rule], masked, sizeof masked);
	if (at->cfg.format_findings)
		finding_format(&ck->out, &f);
	if (at->cfg.on_finding)
		at->cfg.on_finding(at->cfg.on_finding_arg, &f, c->rule);
}

/* A finding counted; written out too when asked. The manifest job (the
 * common case) needs only the count: offsets, preview and fingerprint are
 * made only for a finding that is written. */
static inline void emit(struct attributor *at, struct chunk *ck, struct tally *t, const struct cand *c)
{
	const struct span *sp = &at->spans.v[c->span];
	uint64_t record = record_number(ck, sp->record);
	tally_finding(t, sp->field, record, c->rule, c->conf);
	ck->nfindings++;
	if (at->cfg.format_findings || at->cfg.on_finding)
		emit_finding(at, ck, c, record);
}

/* Frame records [i0, i1) of the chunk into at->spans, counting the
 * values; the flags of any span, or'ed, into at->span_flags. */
static void frame_slice(struct attributor *at, struct chunk *ck, struct tally *t, size_t i0, size_t i1)
{
	struct source *src = ck->src;
	const struct framer *fr = framer_for(src->format);
	struct frame_ctx ctx = { .src = src, .fc = at->fc, .delim = src->format == FORMAT_TSV ? '\t' : ',' };
	uint32_t flags = 0;

	at->spans.n = 0;
	at->span_flags = 0;
	if (ck->piece) {
		span_vec_push(&at->spans, 0, (uint32_t)ck->data.len, src->unnamed_field, 0, 0);
		if (ck->piece_first)
			tally_value(t, src->unnamed_field, ck->first_record);
		return;
	}
	for (size_t i = i0; i < i1; i++) {
		uint32_t a = ck->recs[i], b = ck->recs[i + 1];
		size_t first = at->spans.n, err_at = 0;
		ctx.layout = ck->layouts ? ck->layouts[i] : 0;
		if (fr->split(&ctx, ck->data.data + a, b - a, a, (uint32_t)i, &at->spans, &err_at)) {
			at->spans.n = first;
			uint32_t e = b;
			while (e > a && (ck->data.data[e - 1] == '\n' || ck->data.data[e - 1] == '\r'))
				e--;
			span_vec_push(&at->spans, a, e, src->unnamed_field, (uint32_t)i, 0);
			source_error(src, input_offset(ck, i, (uint32_t)(a + err_at)), record_number(ck, i), true,
				     src->format == FORMAT_JSONL ? "malformed JSON; the record is scanned as text"
				     : src->format == FORMAT_SQL ? "malformed SQL row; the record is scanned as text"
				     : "unbalanced quote; the record is scanned as text");
		}
		uint64_t record = record_number(ck, i);
		const struct span *sp = at->spans.v;
		for (size_t s = first, n = at->spans.n; s < n; s++) {
			flags |= sp[s].flags;
			if (!(sp[s].flags & SPAN_KEY))
				tally_value(t, sp[s].field, record);
		}
	}
	at->span_flags = flags;
}

/* Rules judged on whole values, for span k whose value is v[0..n) (the
 * chunk's bytes, or a decoded JSON string at decoded offset doff). */
static void field_rules_on(struct attributor *at, uint32_t k, const char *v, uint32_t n, int64_t doff)
{
	const struct span *sp = &at->spans.v[k];
	const struct field *f = fieldtab_get(at->cfg.fields, sp->field);
	uint32_t a = 0, b = n;
	if (!f->field_rules)
		return;
	while (a < b && (v[a] == ' ' || v[a] == '\t'))
		a++;
	while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
		b--;
	for (size_t r = 0; r < at->nfield_rules && b > a; r++) {
		uint32_t rule = at->field_rules[r];
		if (!f->context[rule])
			continue;
		struct match fm = { .rule = rule, .start = a, .end = b };
		fm.verdict = at->rs->rules[rule].validator->check(v + a, b - a);
		if (doff < 0)
			push_cand(at, &fm, k, sp->start + a, sp->start + b, sp->start + a, sp->start, false);
		else
			push_cand(at, &fm, k, sp->start + at->map[a], sp->start + at->map[b], (uint32_t)doff + a,
				  (uint32_t)doff, true);
	}
}

/* The matches of the chunk's bytes [base, base + size) (the records
 * framed into at->spans), placed in their spans. Matches inside escaped
 * JSON strings are dropped here: those strings are scanned in their
 * decoded form instead. A validator failure is counted against its field
 * here (it is evidence for the column, never a finding, and takes no part
 * in choosing a value's reading): 30% of the matches in dense CSV. */
static int collect(struct attributor *at, struct chunk *ck, struct tally *t, uint32_t base, uint32_t size)
{
	const struct match *m;
	size_t n, s = 0;
	/* From the 64-byte line at or before base: the token-start pass's
	 * 64-byte loads then never straddle two cache lines, and the first
	 * record's first byte has the byte before it that the whole chunk's
	 * scan would see. What is found in those few bytes of the record
	 * before fits none of these spans. */
	uint32_t lead = (uint32_t)((uintptr_t)(ck->data.data + base) & 63);
	if (lead > base)
		lead = base;
	base -= lead;
	size += lead;
	if (scanner_scan(at->sc, ck->data.data + base, size, &m, &n))
		return PIISCAN_ERR_SCAN;
	/* The spans in locals: push_cand writes memory, which would have
	 * them loaded again for every span passed. */
	const struct span *spans = at->spans.v;
	size_t nspans = at->spans.n;
	for (size_t i = 0; i < n; i++) {
		uint32_t start = base + m[i].start, end = base + m[i].end;
		if (ck->piece && (start < ck->keep_lo || start >= ck->keep_hi))
			continue;
		while (s < nspans && spans[s].end <= start)
			s++;
		if (s == nspans)
			break;
		const struct span *sp = &spans[s];
		if (start < sp->start || end > sp->end || (sp->flags & SPAN_ESCAPED))
			continue;
		if (m[i].verdict == VERDICT_FAIL) {
			tally_reject(t, sp->field, m[i].rule);
			continue;
		}
		push_cand(at, &m[i], (uint32_t)s, start, end, start, sp->start, false);
	}
	at->runs[0] = 0;
	at->runs[1] = at->ncands;
	/* Rules judged on whole values, in the fields whose names call for
	 * them (when some field's does: the test is once a chunk, the loop
	 * would be once a value). */
	bool field_rules = at->nfield_rules && fieldtab_any_field_rules(at->cfg.fields);
	for (size_t k = 0; field_rules && k < at->spans.n; k++) {
		const struct span *sp = &at->spans.v[k];
		if (!(sp->flags & (SPAN_KEY | SPAN_ESCAPED)) && fieldtab_get(at->cfg.fields, sp->field)->field_rules)
			field_rules_on(at, (uint32_t)k, ck->data.data + sp->start, sp->end - sp->start, -1);
	}
	at->runs[2] = at->ncands;
	at->decoded.len = 0;
	for (size_t k = 0; (at->span_flags & SPAN_ESCAPED) && k < at->spans.n; k++) {
		const struct span *sp = &at->spans.v[k];
		if (!(sp->flags & SPAN_ESCAPED))
			continue;
		size_t len = sp->end - sp->start, dlen;
		xgrow((void **)&at->map, &at->map_cap, len + 1, sizeof *at->map);
		char *dst = buf_reserve(&at->decoded, len);
		attribute_json_unescape(ck->data.data + sp->start, len, dst, at->map, &dlen);
		uint32_t doff = (uint32_t)at->decoded.len;
		at->decoded.len += dlen;
		field_rules_on(at, (uint32_t)k, dst, (uint32_t)dlen, doff);
		if (scanner_scan(at->sc, dst, dlen, &m, &n))
			return PIISCAN_ERR_SCAN;
		for (size_t i = 0; i < n; i++)
			push_cand(at, &m[i], (uint32_t)k, sp->start + at->map[m[i].start],
				  sp->start + at->map[m[i].end], doff + m[i].start, doff, true);
	}
	at->runs[3] = at->ncands;
	return 0;
}

/* Records [i0, i1) of the chunk, the bytes [base, base + size) (a
 * piece: the whole chunk), framed, scanned and judged; each finding
 * counted and written as asked. */
static int attribute_slice(struct attributor *at, struct chunk *ck, struct tally *t, size_t i0, size_t i1,
			   uint32_t base, uint32_t size)
{
	const struct ruleset *rs = at->rs;
	frame_slice(at, ck, t, i0, i1);
	at->ncands = 0;
	int rc = collect(at, ck, t, base, size);
	if (rc)
		return rc;
	/* Merge the three sorted runs (no sort needed), dropping validator
	 * failures, which are evidence for the column, not findings. Mostly
	 * only the block's matches are there (no field-scope rule, no escaped
	 * string): then they are filtered in place. */
	int nonempty = 0;
	for (int r = 0; r < 3; r++)
		nonempty += at->runs[r + 1] > at->runs[r];
	if (nonempty > 1) {
		/* Run 0 (the block's matches) holds most; runs 1 and 2 (field-
		 * scope verdicts, matches in decoded strings) few. Those two are
		 * merged into the tail of at->merged, then run 0 with them into
		 * its head: one compare a candidate while both last. The head
		 * never overtakes the tail, as it holds no more than was taken
		 * from both. Ties go to the lower run, as a three-way merge would. */
		const struct cand *v = at->cands;
		size_t n0 = at->runs[1], e1 = at->runs[2], n = at->ncands;
		xgrow((void **)&at->merged, &at->merged_cap, n, sizeof *at->merged);
		struct cand *m = at->merged;
		size_t a = n0, b = e1, o = n0;
		while (a < e1 || b < n)
			m[o++] = b == n || (a < e1 && cmp_cand(&v[a], &v[b]) <= 0) ? v[a++] : v[b++];
		size_t i = 0, j = n0, kept = 0;
		while (i < n0 || j < n)
			m[kept++] = j == n || (i < n0 && cmp_cand(&v[i], &m[j]) <= 0) ? v[i++] : m[j++];
		xswap_arrays((void **)&at->cands, &at->cands_cap, (void **)&at->merged, &at->merged_cap);
	}

	/* One pass over the candidates, in order: validator failures are
	 * evidence for the column, not findings (tallied, then passed over);
	 * the others are judged (context, confidence), and of each cluster of
	 * overlapping ones in one span only the best reading stands: a written
	 * value is reported once. */
	const struct cand *best = NULL;
	uint32_t best_span = 0, end = 0;
	for (size_t i = 0; i < at->ncands; i++) {
		struct cand *c = &at->cands[i];
		if (c->verdict == VERDICT_FAIL) {
			tally_reject(t, at->spans.v[c->span].field, c->rule);
			continue;
		}
		const struct span *sp = &at->spans.v[c->span];
		const struct rule *r = &rs->rules[c->rule];
		c->context = fieldtab_get(at->cfg.fields, sp->field)->context[c->rule];
		if (!c->context && r->hotwords.n) {
			/* In the value's own buffer: a hotword written with \u
			 * escapes counts once decoded. */
			const char *buf = c->decoded ? at->decoded.data : ck->data.data;
			uint32_t lo = c->voff > c->vbase + ATTRIBUTE_HOTWORD_WINDOW
				? c->voff - ATTRIBUTE_HOTWORD_WINDOW : c->vbase;
			c->context = has_hotword(r, buf + lo, c->voff - lo);
		}
		c->conf = confidence_of(r, c);
		if (best && c->span == best_span && c->start < end) {
			if (better(rs, c, best))
				best = c;
			if (c->end > end)
				end = c->end;
			continue;
		}
		if (best && best->conf >= at->cfg.min_confidence)
			emit(at, ck, t, best);
		best = c;
		best_span = c->span;
		end = c->end;
	}
	if (best && best->conf >= at->cfg.min_confidence)
		emit(at, ck, t, best);
	return 0;
}

/* Records framed, scanned and judged this many bytes at a time: a 1 MiB
 * chunk of dense CSV makes ~1.4 MB of spans, ~1.9 MB of candidates and
 * ~0.8 MB of matches, each written by one pass and read by the next,
 * which outgrows the L2 cache; a slice's stay in it. */
#define SLICE_BYTES (128u << 10)

int attribute_chunk(struct attributor *at, struct chunk *ck, struct tally *t)
{
	uint64_t findings_before = ck->nfindings;
	/* Decoded from GBK/GB18030, the bytes are UTF-8 by construction. */
	size_t bad = ck->transcoded ? ck->data.len
		: utf8_invalid_at((const unsigned char *)ck->data.data, ck->data.len);
	if (bad < ck->data.len && (!ck->piece || (bad >= ck->keep_lo && bad < ck->keep_hi)))
		source_error(ck->src, ck->base_offset + bad, 0, true,
			     "invalid UTF-8; the bytes are scanned as they are");

	int rc = 0;
	if (ck->piece)
		rc = attribute_slice(at, ck, t, 0, 0, 0, (uint32_t)ck->data.len);
	/* Slices end between records, as chunks do: a match that ran on into
	 * the next record would fit no span and be dropped either way. */
	for (size_t i0 = 0, i1; !ck->piece && !rc && i0 < ck->nrec; i0 = i1) {
		uint32_t base = ck->recs[i0];
		for (i1 = i0 + 1; i1 < ck->nrec && ck->recs[i1] - base < SLICE_BYTES; i1++)
			;
		rc = attribute_slice(at, ck, t, i0, i1, base, ck->recs[i1] - base);
	}
	if (rc)
		return rc;
	if (at->fp.n)
		write_fingerprints(at, ck);
	/* Once per chunk: an atomic add per finding made the workers share
	 * (and bounce) the source's cache line millions of times. */
	atomic_fetch_add(&ck->src->findings, ck->nfindings - findings_before);
	return 0;
}
