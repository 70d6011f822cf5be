/* Hyperscan over a block, then token boundaries, validators and the merge
 * of one rule's overlapping matches. */
#include "scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

struct scanner {
	const struct hsdb *db;
	const struct ruleset *rs;
	hs_scratch_t *scratch;
	struct match *v;
	size_t n, cap;
	const char *p;   /* the block being scanned, for the callback */
	size_t len;
	struct match *retry;      /* matches whose leftmost start failed */
	size_t nretry, retry_cap;
	uint32_t want_rule, want_end, want_base, found_start;   /* while retrying */
	bool found;
};

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static inline int is_alnum(unsigned char c) { return is_digit(c) || is_alpha(c); }

/* A value is a whole token: a leading digit has no digit (and no "d." of a
 * decimal number) before it, a leading letter no letter or digit; the same
 * at the end. This is what keeps a 16-digit prefix of a 19-digit card, the
 * 11-digit tail of a 14-digit number and the middle of a word from
 * reporting, without lookaround that Hyperscan does not have. */
static int start_ok(const unsigned char *s, size_t start)
{
	unsigned char first = s[start];
	if (start == 0)
		return 1;
	unsigned char prev = s[start - 1];
	if (is_digit(first) && (is_digit(prev) || (prev == '.' && start >= 2 && is_digit(s[start - 2]))))
		return 0;
	return !(is_alpha(first) && is_alnum(prev));
}

static int end_ok(const unsigned char *s, size_t len, size_t end)
{
	unsigned char last = s[end - 1];
	if (end >= len)
		return 1;
	unsigned char next = s[end];
	if (is_digit(last) && (is_digit(next) || (next == '.' && end + 1 < len && is_digit(s[end + 1]))))
		return 0;
	return !(is_alpha(last) && is_alnum(next));
}

int scan_is_token(const char *p, size_t len, size_t start, size_t end)
{
	const unsigned char *s = (const unsigned char *)p;
	return start_ok(s, start) && end_ok(s, len, end);
}

static void push(struct scanner *sc, unsigned id, size_t from, size_t to)
{
	if (sc->n == sc->cap)
		xgrow((void **)&sc->v, &sc->cap, sc->n + 1, sizeof *sc->v);
	sc->v[sc->n++] = (struct match){ .rule = id, .start = (uint32_t)from, .end = (uint32_t)to };
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct scanner *sc = ctx;
	const unsigned char *s = (const unsigned char *)sc->p;
	(void)flags;
	if (to <= from || !end_ok(s, sc->len, (size_t)to))
		return 0;
	if (start_ok(s, (size_t)from)) {
		push(sc, id, (size_t)from, (size_t)to);
	} else if (to - from > 1) {
		/* Hyperscan reports only the leftmost start of a match; when it
		 * is not a token boundary, a later start may be ("10086
		 * 13812345678" holds the mobile behind the failed "0086 138…"). */
		if (sc->nretry == sc->retry_cap)
			xgrow((void **)&sc->retry, &sc->retry_cap, sc->nretry + 1, sizeof *sc->retry);
		sc->retry[sc->nretry++] = (struct match){ .rule = id, .start = (uint32_t)from, .end = (uint32_t)to };
	}
	return 0;
}

/* While retrying: the leftmost start, after the failed one, of a match of
 * the wanted rule that ends exactly at the wanted end. */
static int on_retry(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct scanner *sc = ctx;
	(void)flags;
	if (id == sc->want_rule && to == sc->want_end - sc->want_base && !sc->found) {
		sc->found = true;
		sc->found_start = sc->want_base + (uint32_t)from;
	}
	return 0;
}

/* Look for later starts of the matches whose leftmost start failed. */
static int retry_starts(struct scanner *sc)
{
	const unsigned char *s = (const unsigned char *)sc->p;
	for (size_t i = 0; i < sc->nretry; i++) {
		struct match m = sc->retry[i];
		uint32_t from = m.start;
		while (m.end - from > 1) {
			sc->want_rule = m.rule;
			sc->want_end = m.end;
			sc->want_base = from + 1;
			sc->found = false;
			if (hs_scan(hsdb_database(sc->db), sc->p + from + 1, m.end - from - 1, 0, sc->scratch,
				    on_retry, sc) != HS_SUCCESS)
				return PIISCAN_ERR_SCAN;
			if (!sc->found)
				break;
			from = sc->found_start;
			if (start_ok(s, from)) {
				push(sc, m.rule, from, m.end);
				break;
			}
		}
	}
	sc->nretry = 0;
	return 0;
}

struct scanner *scanner_new(const struct hsdb *db)
{
	struct scanner *sc = xcalloc(1, sizeof *sc);
	sc->db = db;
	sc->rs = hsdb_ruleset(db);
	if (hs_alloc_scratch(hsdb_database(db), &sc->scratch) != HS_SUCCESS) {
		free(sc);
		return NULL;
	}
	sc->cap = 1024;
	sc->v = xmalloc(sc->cap * sizeof *sc->v);
	return sc;
}

void scanner_free(struct scanner *sc)
{
	if (!sc)
		return;
	hs_free_scratch(sc->scratch);
	free(sc->v);
	free(sc->retry);
	free(sc);
}

static int cmp_rule_start(const void *a, const void *b)
{
	const struct match *x = a, *y = b;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

static int cmp_start(const void *a, const void *b)
{
	const struct match *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

int scanner_scan(struct scanner *sc, const char *p, size_t len,
		 const struct match **out, size_t *n)
{
	sc->n = 0;
	sc->p = p;
	sc->len = len;
	*out = sc->v;
	*n = 0;
	if (len == 0)
		return 0;
	/* The callback may grow sc->v: *out is set again below. */
	if (hs_scan(hsdb_database(sc->db), p, (unsigned)len, 0, sc->scratch, on_match, sc) != HS_SUCCESS ||
	    retry_starts(sc))
		return PIISCAN_ERR_SCAN;

	for (size_t i = 0; i < sc->n; i++) {
		struct match *m = &sc->v[i];
		const struct validator *val = sc->rs->rules[m->rule].validator;
		m->verdict = val ? val->check(p + m->start, m->end - m->start) : VERDICT_PASS;
	}

	/* One rule's overlapping matches are one written value (a "+86 138…"
	 * and its "138…", the several ends of an email): keep the union of the
	 * members that pass, or one failure if none does. */
	qsort(sc->v, sc->n, sizeof *sc->v, cmp_rule_start);
	size_t kept = 0, i = 0;
	while (i < sc->n) {
		struct match group = sc->v[i];
		uint32_t end = group.end;
		bool any = false;
		size_t j = i;
		for (; j < sc->n && sc->v[j].rule == group.rule && sc->v[j].start < end; j++) {
			struct match *m = &sc->v[j];
			if (m->end > end)
				end = m->end;
			if (m->verdict == VERDICT_FAIL)
				continue;
			if (!any) {
				group = *m;
				any = true;
				continue;
			}
			if (m->start < group.start)
				group.start = m->start;
			if (m->end > group.end)
				group.end = m->end;
			if (m->verdict == VERDICT_PASS)
				group.verdict = VERDICT_PASS;
		}
		if (!any) {
			group.end = end;
			group.verdict = VERDICT_FAIL;
		}
		sc->v[kept++] = group;
		i = j;
	}
	sc->n = kept;
	qsort(sc->v, sc->n, sizeof *sc->v, cmp_start);
	*out = sc->v;
	*n = sc->n;
	return 0;
}
