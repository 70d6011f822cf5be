/* CSV and TSV framing per RFC 4180: quoted fields may hold delimiters,
 * doubled quotes and line breaks, so a record ends only at a line break
 * outside quotes. A field's span is its content without the enclosing
 * quotes (doubled quotes stay as written: offsets are input bytes). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "field.h"
#include "frame.h"
#include "source.h"
#include "util.h"

static size_t csv_record_end(struct frame_cursor *cur, const char *p, size_t len, bool eof)
{
	size_t i = cur->scanned;
	bool q = cur->in_quotes;
	while (i < len) {
		/* Outside quotes only '"' and '\n' matter, inside only '"' (a
		 * doubled quote re-enters at the next one). One search for either
		 * byte: a search for the line break from every closing quote read
		 * the rest of the line again for each quoted field. */
		i = frame_find2(p, i, len, '"', q ? '"' : '\n');
		if (i == len)
			break;
		if (p[i] == '\n') {
			cur->scanned = 0;
			cur->in_quotes = false;
			return i + 1;
		}
		i++;
		q = !q;
	}
	if (eof) {
		cur->scanned = 0;
		cur->in_quotes = false;
		return len;
	}
	cur->scanned = i;
	cur->in_quotes = q;
	return 0;
}

/* 64 bytes a step, without a branch per quote: a line break is outside
 * quotes where the quotes before it are even in number (the prefix XOR of
 * the quote mask, carried from block to block), as in simdjson. */
size_t frame_csv_breaks(const char *p, size_t len, uint32_t *after, size_t cap, size_t *end, bool *in_quotes)
{
	size_t n = 0, last = 0;
	uint64_t inside_before = 0;   /* all ones when a block starts inside quotes */
	for (size_t base = 0; base < len; base += 64) {
		const char *b = p + base;
		char tail[64];
		if (len - base < 64) {
			memset(tail, 0, sizeof tail);
			b = memcpy(tail, b, len - base);
		}
		uint64_t quote = frame_mask64(b, '"'), nl = frame_mask64(b, '\n');
		uint64_t inside = frame_prefix_xor(quote) ^ inside_before;
		inside_before = (uint64_t)0 - (inside >> 63);
		for (uint64_t brk = nl & ~inside; brk; brk &= brk - 1) {
			last = base + (size_t)__builtin_ctzll(brk) + 1;
			if (after && n < cap)
				after[n] = (uint32_t)last;
			n++;
		}
	}
	*end = last;
	*in_quotes = inside_before != 0;
	return n;
}

/* The field of a column past the header's: "col<N>". */
static uint32_t extra_column_field(const struct frame_ctx *ctx, uint32_t col)
{
	char name[32];
	int n = snprintf(name, sizeof name, "col%u", col + 1);
	return fieldcache_intern(ctx->fc, ctx->src->id, name, (size_t)n);
}

/* Walk the fields of one record, calling back with each field's content. */
static inline __attribute__((always_inline)) int csv_walk(const char *rec, size_t len, char delim,
		    void (*fn)(void *arg, uint32_t col, size_t a, size_t b, bool quoted), void *arg,
		    size_t *err_at)
{
	size_t i = 0;
	uint32_t col = 0;
	if (len && rec[len - 1] == '\n')
		len--;
	if (len && rec[len - 1] == '\r')
		len--;
#ifdef __SSE2__
	/* Most records quote nothing: find the delimiters 64 bytes at a time
	 * (a memchr per field costs more than the field; 16 at a time took
	 * four times the blocks, each with a loop over its hits to end), and
	 * leave the record to the loop below at the first field that opens
	 * with a quote. */
	{
		const __m128i vd = _mm_set1_epi8(delim), vq = _mm_set1_epi8('"');
		size_t j = 0;
		while (j < len) {
			/* 64 bytes at a time, or 16 in a record under 64; the
			 * last (partial) block is the record's last 64 (16) bytes,
			 * less the ones already seen. */
			size_t step = len >= 64 ? 64 : 16, at = j;
			uint64_t keep = ~0ULL;
			if (j + step <= len) {
				j += step;
			} else if (len >= step) {
				at = len - step;
				keep = ~0ULL << (j - at);
				j = len;
			} else {
				break;   /* a record under 16 bytes: the loop below */
			}
			uint64_t m = 0;
			for (size_t k = 0; k < step; k += 16) {
				__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(rec + at + k));
				m |= (uint64_t)(uint16_t)_mm_movemask_epi8(
					     _mm_or_si128(_mm_cmpeq_epi8(v, vd), _mm_cmpeq_epi8(v, vq)))
				     << k;
			}
			for (m &= keep; m; m &= m - 1) {
				size_t k = at + (size_t)__builtin_ctzll(m);
				if (rec[k] == '"') {
					if (k == i)
						goto fields;
					continue; /* a quote inside an unquoted field is data */
				}
				fn(arg, col++, i, k, false);
				i = k + 1;
			}
		}
		for (; j < len; j++) {
			if (rec[j] == '"' && j == i)
				goto fields;
			if (rec[j] == delim) {
				fn(arg, col++, i, j, false);
				i = j + 1;
			}
		}
		fn(arg, col, i, len, false);
		return 0;
	}
fields:
#endif
	for (;;) {
		if (i < len && rec[i] == '"') {
			size_t a = i + 1, j = a;
			for (;;) {
				const char *qt = memchr(rec + j, '"', len - j);
				if (!qt) {
					*err_at = i;
					fn(arg, col, a, len, true);
					return -1;
				}
				j = (size_t)(qt - rec);
				if (j + 1 < len && rec[j + 1] == '"') {
					j += 2;
					continue;
				}
				break;
			}
			fn(arg, col, a, j, true);
			i = j + 1;
			/* Tolerate stray bytes between the closing quote and the delimiter. */
			const char *d = memchr(rec + i, delim, len - i);
			if (!d)
				return 0;
			i = (size_t)(d - rec) + 1;
		} else {
			const char *d = memchr(rec + i, delim, len - i);
			size_t b = d ? (size_t)(d - rec) : len;
			fn(arg, col, i, b, false);
			if (!d)
				return 0;
			i = b + 1;
		}
		col++;
	}
}

struct split_arg {
	const struct frame_ctx *ctx;
	struct span_vec *out;
	uint32_t base, recno;
	/* The header's columns, copied here: a span's store could alias the
	 * source's fields, which would be loaded again for every field. */
	uint32_t ncols;
	const uint32_t *colfield;
};

static inline void split_one(void *argp, uint32_t col, size_t a, size_t b, bool quoted)
{
	struct split_arg *arg = argp;
	(void)quoted;
	if (b > a)
		span_vec_push(arg->out, arg->base + (uint32_t)a, arg->base + (uint32_t)b,
			      col < arg->ncols ? arg->colfield[col] : extra_column_field(arg->ctx, col), arg->recno, 0);
}

static int csv_split(const struct frame_ctx *ctx, const char *rec, size_t len, uint32_t base,
		     uint32_t recno, struct span_vec *out, size_t *err_at)
{
	struct split_arg arg = { ctx, out, base, recno, ctx->src->ncols, ctx->src->colfield };
	return csv_walk(rec, len, ctx->delim, split_one, &arg, err_at) ? -1 : 0;
}

struct header_arg {
	const char *rec;
	char **names;
	size_t n, cap;
};

static void header_one(void *argp, uint32_t col, size_t a, size_t b, bool quoted)
{
	struct header_arg *h = argp;
	char *name = xmalloc(b - a + 1);
	size_t o = 0;
	for (size_t i = a; i < b; i++) {
		name[o++] = h->rec[i];
		if (quoted && h->rec[i] == '"' && i + 1 < b && h->rec[i + 1] == '"')
			i++;
	}
	name[o] = '\0';
	/* Trim blanks and a UTF-8 byte order mark on the first name. */
	char *s = name;
	if (col == 0 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		l--;
	char *clean = xstrndup(s, l);
	free(name);
	if (!*clean) {
		free(clean);
		char tmp[32];
		snprintf(tmp, sizeof tmp, "col%u", col + 1);
		clean = xstrdup(tmp);
	}
	xgrow((void **)&h->names, &h->cap, h->n + 1, sizeof *h->names);
	h->names[h->n++] = clean;
}

void frame_csv_header(const char *rec, size_t len, char delim, char ***names, size_t *n)
{
	struct header_arg h = { .rec = rec };
	size_t err_at;
	if (len >= 3 && !memcmp(rec, "\xEF\xBB\xBF", 3)) {
		/* A byte order mark before the first (maybe quoted) name. */
		rec += 3;
		len -= 3;
		h.rec = rec;
	}
	csv_walk(rec, len, delim, header_one, &h, &err_at);
	/* A repeated name gets "#2", "#3", ... (counting the earlier columns
	 * with the same name as written) so every column is its own field; a
	 * suffix that would collide with another column's name is skipped. */
	char **orig = xcalloc(h.n ? h.n : 1, sizeof *orig);
	for (size_t i = 0; i < h.n; i++)
		orig[i] = xstrdup(h.names[i]);
	for (size_t i = 1; i < h.n; i++) {
		unsigned dup = 1;
		for (size_t j = 0; j < i; j++)
			dup += !strcmp(orig[j], orig[i]);
		if (dup == 1)
			continue;
		size_t l = strlen(orig[i]) + 16;
		char *s = xmalloc(l);
		for (;;) {
			bool taken = false;
			snprintf(s, l, "%s#%u", orig[i], dup);
			for (size_t j = 0; j < h.n && !taken; j++)
				taken = j != i && !strcmp(j < i ? h.names[j] : orig[j], s);
			if (!taken)
				break;
			dup++;
		}
		free(h.names[i]);
		h.names[i] = s;
	}
	for (size_t i = 0; i < h.n; i++)
		free(orig[i]);
	free(orig);
	*names = h.names;
	*n = h.n;
}

const struct framer frame_csv = { FORMAT_CSV, csv_record_end, csv_split, NULL };
const struct framer frame_tsv = { FORMAT_TSV, csv_record_end, csv_split, NULL };
