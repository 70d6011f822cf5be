/* Hyperscan over a block, then token boundaries, validators and the merge
 * of one rule's overlapping matches. */
#include "scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dfa.h"
#include "error.h"
#include "tokstart.h"
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
	const struct dfa *dfa;    /* NULL: Hyperscan over every byte */
	const struct dfa_table *table;   /* its hot-loop layout */
	struct tokstart starts;   /* where the DFA runs from */
	uint64_t *bits;           /* the block's starts, 64 bytes a word */
	size_t bits_cap;
	size_t dfa_start;         /* the start being run, for the DFA callback */
	hs_scratch_t *rest_scratch;
	size_t best_start;        /* reverse DFA: the leftmost boundary start */
	bool have_start;
	/* (rule, end) pairs already kept, to keep only the leftmost start */
	uint64_t *seen;
	uint32_t *seen_gen;
	size_t seen_cap, seen_n;
	uint32_t gen;
	struct active *act;       /* per rule: ends of its DFA matches still open */
	size_t n_dfa;             /* sc->v[0..n_dfa) came from the DFA, in start order */
	struct match *grouped;    /* the groups, in start order: becomes v */
	size_t grouped_cap;
	uint32_t *reach;          /* per group: the furthest end of any member */
	size_t reach_cap;
	int32_t *open;            /* per rule: its group still open, or -1 */
	struct split *splits;     /* the rules found from a literal byte */
	size_t nsplits;
	uint32_t *ends;           /* a split rule's ends after one byte */
	size_t nends, ends_cap;
};

struct split {
	uint32_t rule;
	unsigned char byte;
	const struct dfa_table *fwd;      /* the suffix, for the ends */
	const struct dfa_table *rev_table; /* the prefix reversed, for the start */
	bool prefix_run;                  /* ... a run of one class: counted, not walked */
	struct dfa_class_run prefix;
};

/* The ends of one rule's matches that reach past the current start: a
 * later start can only repeat one of those. Overflow goes to the hash set. */
#define ACTIVE_MAX 16
struct active {
	uint32_t ends[ACTIVE_MAX];
	uint32_t n;
};

int scan_engine_parse(const char *s)
{
	if (!strcmp(s, "fast"))
		return SCAN_ENGINE_FAST;
	if (!strcmp(s, "reference"))
		return SCAN_ENGINE_REFERENCE;
	return -1;
}

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static inline int is_alnum(unsigned char c) { return is_digit(c) || is_alpha(c); }

/* A value is a whole token: a leading digit has no digit (and no "d." of a
 * decimal number) before it, a leading letter no letter or digit; the same
 * at the end. This is what keeps a 16-digit prefix of a 19-digit card, the
 * 11-digit tail of a 14-digit number and the middle of a word from
 * reporting, without lookaround that Hyperscan does not have. */
static inline int start_ok(const unsigned char *s, size_t start)
{
	unsigned char first = s[start];
	if (start == 0)
		return 1;
	unsigned char prev = s[start - 1];
	if (is_digit(first) && (is_digit(prev) || (prev == '.' && start >= 2 && is_digit(s[start - 2]))))
		return 0;
	return !(is_alpha(first) && is_alnum(prev));
}

static inline int end_ok(const unsigned char *s, size_t len, size_t end)
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

/* A run of digits with letters right before and right after it is part of
 * a longer code (hex trace ids: f13384889802cabb), not a value of its own;
 * one letter on one side is still a value (tel13812345678). */
static inline int embedded(const unsigned char *s, size_t len, size_t from, size_t to)
{
	return from > 0 && to < len && is_digit(s[from]) && is_digit(s[to - 1]) && is_alpha(s[from - 1]) &&
	       is_alpha(s[to]);
}

static inline void push(struct scanner *sc, unsigned id, size_t from, size_t to)
{
	if (embedded((const unsigned char *)sc->p, sc->len, from, to))
		return;
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
	return scanner_new_engine(db, SCAN_ENGINE_FAST);
}

struct scanner *scanner_new_engine(const struct hsdb *db, enum scan_engine engine)
{
	struct scanner *sc = xcalloc(1, sizeof *sc);
	sc->db = db;
	sc->dfa = engine == SCAN_ENGINE_FAST ? hsdb_dfa(db) : NULL;
	if (sc->dfa && hsdb_rest(db) && hs_alloc_scratch(hsdb_rest(db), &sc->rest_scratch) != HS_SUCCESS) {
		free(sc);
		return NULL;
	}
	sc->rs = hsdb_ruleset(db);
	if (sc->dfa) {
		sc->table = dfa_table(sc->dfa);
		tokstart_init(&sc->starts, dfa_first(sc->dfa));
		/* In Chinese text every character's lead byte is a start (a plate
		 * begins with a province's character); the pair table knows which
		 * second bytes can follow any of them, and the start pass can drop
		 * the rest 64 at a time. */
		uint8_t next[256] = { 0 };
		const uint8_t *first = dfa_first(sc->dfa);
		for (unsigned c0 = 0x80; c0 < 0x100; c0++)
			for (unsigned c1 = 0; first[c0] && c1 < 0x100; c1++)
				next[c1] |= dfa_table_pair(sc->table, (unsigned char)c0, (unsigned char)c1) != 0;
		tokstart_set_next(&sc->starts, next);
		for (uint32_t r = 0; r < sc->rs->n; r++) {
			struct split sp = { .rule = r };
			const struct dfa *rev;
			const struct dfa *fwd = hsdb_split(db, r, &sp.byte, &rev);
			if (!fwd)
				continue;
			sp.fwd = dfa_table(fwd);
			sp.rev_table = dfa_table(rev);
			sp.prefix_run = dfa_table_class_run(sp.rev_table, &sp.prefix);
			size_t cap = sc->nsplits;
			xgrow((void **)&sc->splits, &cap, sc->nsplits + 1, sizeof *sc->splits);
			sc->splits[sc->nsplits++] = sp;
		}
	}
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
	hs_free_scratch(sc->rest_scratch);
	free(sc->v);
	free(sc->retry);
	free(sc->seen);
	free(sc->seen_gen);
	free(sc->grouped);
	free(sc->reach);
	free(sc->act);
	free(sc->open);
	free(sc->splits);
	free(sc->ends);
	free(sc->bits);
	free(sc);
}

static bool seen_insert(struct scanner *sc, uint64_t key)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ULL;
	size_t mask = sc->seen_cap - 1, i = (size_t)(h >> 32) & mask;
	while (sc->seen_gen[i] == sc->gen) {
		if (sc->seen[i] == key)
			return false;
		i = (i + 1) & mask;
	}
	sc->seen_gen[i] = sc->gen;
	sc->seen[i] = key;
	sc->seen_n++;
	return true;
}

static void seen_reset(struct scanner *sc)
{
	if (!sc->seen_cap) {
		sc->seen_cap = 4096;
		sc->seen = xmalloc(sc->seen_cap * sizeof *sc->seen);
		sc->seen_gen = xcalloc(sc->seen_cap, sizeof *sc->seen_gen);
	}
	sc->seen_n = 0;
	if (++sc->gen == 0) {
		memset(sc->seen_gen, 0, sc->seen_cap * sizeof *sc->seen_gen);
		sc->gen = 1;
	}
}

/* Keep (rule, end) only the first time: starts come in increasing order,
 * so the first is the leftmost. The set stays small and in cache: it
 * doubles when half full. */
static bool first_time(struct scanner *sc, uint32_t rule, size_t end)
{
	if (sc->seen_n * 2 >= sc->seen_cap) {
		uint64_t *old = sc->seen;
		uint32_t *old_gen = sc->seen_gen;
		size_t old_cap = sc->seen_cap;
		uint32_t g = sc->gen;
		sc->seen_cap *= 2;
		sc->seen = xmalloc(sc->seen_cap * sizeof *sc->seen);
		sc->seen_gen = xcalloc(sc->seen_cap, sizeof *sc->seen_gen);
		sc->gen = 1;
		sc->seen_n = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old_gen[i] == g)
				seen_insert(sc, old[i]);
		free(old);
		free(old_gen);
	}
	return seen_insert(sc, (uint64_t)rule << 32 | (uint32_t)end);
}

/* Whether (rule, end) is new: starts come in increasing order, so the first
 * time is the leftmost start. Only matches that reach past the current
 * start can repeat, and there are few of those per rule: a short list,
 * with the hash set behind it for the rare overflow. */
static inline bool first_time_active(struct scanner *sc, uint32_t rule, size_t end)
{
	struct active *a = &sc->act[rule];
	uint32_t start = (uint32_t)sc->dfa_start, k = 0;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->ends[i] > start)
			a->ends[k++] = a->ends[i];
	a->n = k;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->ends[i] == end)
			return false;
	if (sc->seen_n && !first_time(sc, rule, end))
		return false;
	if (a->n == ACTIVE_MAX) {
		/* Spill the nearest end to the hash set; it stays findable. */
		uint32_t lo = 0;
		for (uint32_t i = 1; i < a->n; i++)
			if (a->ends[i] < a->ends[lo])
				lo = i;
		first_time(sc, rule, a->ends[lo]);
		a->ends[lo] = a->ends[--a->n];
	}
	a->ends[a->n++] = (uint32_t)end;
	return true;
}

static inline __attribute__((always_inline)) void on_prefix_start(void *arg, uint32_t st, size_t start)
{
	struct scanner *sc = arg;
	(void)st;
	/* Starts come nearest first: the last boundary start is the leftmost. */
	if (start_ok((const unsigned char *)sc->p, start)) {
		sc->best_start = start;
		sc->have_start = true;
	}
}

/* The leftmost token start of a match of the reverse DFA t that ends at
 * end, into sc->best_start (sc->have_start: there is one). The loop is
 * inlined: every position of an e-mail's local part can be a start, and a
 * call each would cost more than the step. */
static void leftmost_start(struct scanner *sc, const struct dfa_table *t, size_t end)
{
	sc->have_start = false;
	dfa_table_walk_back(t, (const unsigned char *)sc->p, end, on_prefix_start, sc);
}

/* The same for a reverse DFA that is a run of one class (r): the run's
 * bytes are counted back from end (each a table look-up, none waiting on
 * the one before, where a walk's steps each wait on a load), then its
 * starts tried from the leftmost, as the walk would have found them. */
static void leftmost_start_run(struct scanner *sc, const struct dfa_class_run *r, size_t end)
{
	const unsigned char *s = (const unsigned char *)sc->p;
	size_t lim = end < r->max ? end : r->max, k = 0;
	while (k < lim && r->in[s[end - 1 - k]])
		k++;
	sc->have_start = false;
	for (; k >= r->min; k--) {
		if (start_ok(s, end - k)) {
			sc->best_start = end - k;
			sc->have_start = true;
			return;
		}
	}
}

/* A match of a rule left to Hyperscan: its end is known; a reverse DFA
 * finds the leftmost start that is a token boundary (what the reference
 * engine reports). */
static int on_rest(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
		   void *ctx)
{
	struct scanner *sc = ctx;
	const struct dfa *rev = hsdb_reverse(sc->db, id);
	(void)flags;
	if (!end_ok((const unsigned char *)sc->p, sc->len, (size_t)to))
		return 0;
	if (!rev) {
		/* Compiled with SOM: same as the reference engine. */
		return on_match(id, from, to, flags, ctx);
	}
	leftmost_start(sc, dfa_table(rev), (size_t)to);
	/* Hyperscan reports each (rule, end) once: no duplicates to drop. */
	if (sc->have_start)
		push(sc, id, sc->best_start, (size_t)to);
	return 0;
}

/* The row of dfa_table_drun for the digits at s[start], or NULL (not a
 * digit, a run of DFA_DRUN_MAX or more, too near the end): *n is their
 * count. Measuring the run is two vector compares, off the chain of
 * dependent loads that a walk is. */
static inline const struct dfa_drun *digit_run(const struct dfa_table *t, const unsigned char *s, size_t len,
					       size_t start, unsigned *n)
{
#if defined(__SSE2__) && DFA_DRUN_MAX == 32
	unsigned d = (unsigned)s[start] - '0';
	if (d > 9 || len - start < 32)
		return NULL;
	const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	__m128i a = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + start)), zero);
	__m128i b = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + start + 16)), zero);
	uint32_t digits = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(a, nine), a)) |
			  (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(b, nine), b)) << 16;
	if (digits == UINT32_MAX)
		return NULL;
	*n = (unsigned)__builtin_ctz(~digits);
	return dfa_table_drun(t, d, *n);
#else
	(void)t, (void)s, (void)len, (void)start, (void)n;
	return NULL;
#endif
}

/* A match of the DFA's accepting state st from the current start ends at
 * end: keep each id the first time (rule, end) is seen. */
static inline __attribute__((always_inline)) void accept_at(struct scanner *sc, const struct dfa_table *t,
							    uint32_t st, size_t start, size_t end)
{
	if (!end_ok((const unsigned char *)sc->p, sc->len, end))
		return;
	uint16_t nids;
	const uint32_t *ids = dfa_table_ids(t, st, &nids);
	for (uint16_t k = 0; k < nids; k++)
		if (first_time_active(sc, ids[k], end))
			push(sc, ids[k], start, end);
}

static inline __attribute__((always_inline)) void on_accept(void *arg, uint32_t st, size_t end)
{
	struct scanner *sc = arg;
	accept_at(sc, sc->table, st, sc->dfa_start, end);
}

/* The DFA's loop, inlined: no call per byte, per start or per match. */
static inline void run_from(struct scanner *sc, const struct dfa_table *t, size_t start)
{
	const unsigned char *s = (const unsigned char *)sc->p;
	size_t len = sc->len, from = start;
	uint32_t st = t->start;
	if (start + 1 < len) {
		/* Most starts end here; the others' walks begin two bytes on
		 * where no match can end before that. */
		uint16_t e = dfa_table_pair(t, s[start], s[start + 1]);
		if (!e)
			return;
		if (e != DFA_PAIR_WALK) {
			st = dfa_table_pair_state(t, e);
			from = start + 2;
		}
	}
	sc->dfa_start = start;
	unsigned n;
	const struct dfa_drun *dr = digit_run(t, s, len, start, &n);
	if (dr && !dfa_drun_goes_on(dr, s[start + n])) {
		/* The walk would end right after the digits: its outcome is
		 * known when no state accepts, or all accept alike, by the
		 * first digit or the first two. */
		if (!dr->any_accept)
			return;
		uint32_t acc = dr->accept;
		if (dfa_table_dead(t, acc) && n >= 2)
			acc = dfa_table_drun2(t, s[start] - '0', s[start + 1] - '0', n);
		if (acc == DFA_DRUN_NONE)
			return;
		if (!dfa_table_dead(t, acc)) {
			accept_at(sc, t, acc, start, start + n);
			return;
		}
	}
	dfa_table_walk_from(t, st, s, from, len, on_accept, sc);
}

static inline __attribute__((always_inline)) void on_suffix_end(void *arg, uint32_t st, size_t end)
{
	struct scanner *sc = arg;
	(void)st;
	if (!end_ok((const unsigned char *)sc->p, sc->len, end))
		return;
	if (sc->nends == sc->ends_cap)
		xgrow((void **)&sc->ends, &sc->ends_cap, sc->nends + 1, sizeof *sc->ends);
	sc->ends[sc->nends++] = (uint32_t)end;
}

/* The ends of the suffix DFA t run from start that are token ends, into
 * sc->ends. */
static void suffix_ends(struct scanner *sc, const struct dfa_table *t, size_t start)
{
	sc->nends = 0;
	dfa_table_walk(t, (const unsigned char *)sc->p, start, sc->len, on_suffix_end, sc);
}

/* A rule split at a literal byte: at each such byte, the ends of the
 * suffix after it, and (if any end is a token boundary) the leftmost start
 * of the prefix before it that is one; every end pairs with that start, as
 * Hyperscan's matches would (each reported once per end). */
static void scan_split(struct scanner *sc, const struct split *sp)
{
	const char *p = sc->p, *end = sc->p + sc->len;
	for (const char *at = memchr(p, sp->byte, sc->len); at; at = memchr(at + 1, sp->byte, (size_t)(end - at - 1))) {
		size_t a = (size_t)(at - p);
		suffix_ends(sc, sp->fwd, a + 1);
		if (!sc->nends)
			continue;
		if (sp->prefix_run)
			leftmost_start_run(sc, &sp->prefix, a);
		else
			leftmost_start(sc, sp->rev_table, a);
		if (!sc->have_start)
			continue;
		for (size_t k = 0; k < sc->nends; k++)
			push(sc, sp->rule, sc->best_start, sc->ends[k]);
	}
}

/* The fast path: run the rules' DFA from every token start (a byte where a
 * match may begin that does not continue a token: tokstart.c). That is a
 * small share of the bytes (a digit run is entered once, at its first
 * digit), and each run stops as soon as no rule can continue, so most bytes
 * are looked at once or twice instead of once per pattern. */
static int scan_dfa(struct scanner *sc)
{
	const unsigned char *s = (const unsigned char *)sc->p;
	seen_reset(sc);
	if (!sc->act)
		sc->act = xcalloc(sc->rs->n ? sc->rs->n : 1, sizeof *sc->act);
	for (size_t r = 0; r < sc->rs->n; r++)
		sc->act[r].n = 0;
	/* The starts of the whole block first, in one call: the start pass
	 * then runs as one vector loop. */
	size_t nwords = (sc->len + 63) / 64;
	xgrow((void **)&sc->bits, &sc->bits_cap, nwords, sizeof *sc->bits);
	tokstart_buffer(&sc->starts, s, sc->len, sc->bits);
	for (size_t w = 0; w < nwords; w++)
		for (uint64_t m = sc->bits[w]; m; m &= m - 1)
			run_from(sc, sc->table, w * 64 + (size_t)__builtin_ctzll(m));
	sc->n_dfa = sc->n;
	for (size_t k = 0; k < sc->nsplits; k++)
		scan_split(sc, &sc->splits[k]);
	const hs_database_t *rest = hsdb_rest(sc->db);
	if (rest && hs_scan(rest, sc->p, (unsigned)sc->len, 0, sc->rest_scratch, on_rest, sc) != HS_SUCCESS)
		return PIISCAN_ERR_SCAN;
	return 0;
}

/* Its two calls repeat scan_dfa's on purpose: a helper shared by both
 * read logs 143.6 -> 153.6 ms (bench/ab.py, 9 rounds; dense CSV the same),
 * the walks' loop compiled otherwise. */
size_t scanner_count_starts(struct scanner *sc, const char *p, size_t len)
{
	size_t nwords = (len + 63) / 64, n = 0;
	if (!sc->dfa)
		return 0;
	xgrow((void **)&sc->bits, &sc->bits_cap, nwords ? nwords : 1, sizeof *sc->bits);
	tokstart_buffer(&sc->starts, (const unsigned char *)p, len, sc->bits);
	for (size_t w = 0; w < nwords; w++)
		n += (size_t)__builtin_popcountll(sc->bits[w]);
	return n;
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

static void validate_all(struct scanner *sc)
{
	struct match *v = sc->v;
	const struct rule *rules = sc->rs->rules;
	for (size_t i = 0, n = sc->n; i < n; i++) {
		const struct validator *val = rules[v[i].rule].validator;
		v[i].verdict = val ? val->check(sc->p + v[i].start, v[i].end - v[i].start) : VERDICT_PASS;
	}
}

/* For runs that are in start order but for a few places: the groups (one
 * start with several ends: the DFA reports the shorter first) and
 * Hyperscan's matches (reported by end; a start rarely moves far). An
 * insertion sort moves those; anything further out of order goes to qsort. */
static void sort_nearly_sorted(struct match *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct match x = v[i];
		size_t j = i;
		while (j > 0 && cmp_start(&v[j - 1], &x) > 0) {
			if (i - j >= 64) {
				/* v[j] was copied one up already: x goes back
				 * there (not yet in order; qsort sees to that). */
				v[j] = x;
				qsort(v, n, sizeof *v, cmp_start);
				return;
			}
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* The fast path's merge, equal to the reference's sort-and-group: the DFA
 * matches are in start order already, the few from Hyperscan are sorted and
 * merged in, and each rule's overlapping matches join that rule's open
 * group in one pass. A group is the union of its members that pass, or,
 * while none does, its first member (a failure): its verdict says which.
 * The groups are written to a second array, which then becomes sc->v. */
static void group_in_start_order(struct scanner *sc)
{
	size_t nd = sc->n_dfa, n = sc->n;
	if (n > nd)
		sort_nearly_sorted(sc->v + nd, n - nd);
	if (!sc->open)
		sc->open = xmalloc((sc->rs->n ? sc->rs->n : 1) * sizeof *sc->open);
	for (size_t r = 0; r < sc->rs->n; r++)
		sc->open[r] = -1;
	xgrow((void **)&sc->grouped, &sc->grouped_cap, n ? n : 1, sizeof *sc->grouped);
	xgrow((void **)&sc->reach, &sc->reach_cap, n ? n : 1, sizeof *sc->reach);
	/* In locals: the stores to out would have them loaded again. */
	const struct match *v = sc->v;
	struct match *out = sc->grouped;
	uint32_t *reach = sc->reach;
	int32_t *open = sc->open;
	size_t ng = 0, a = 0, b = nd;
	/* The two runs merged as they are read. The second is short: while
	 * the first's next starts before its next (bstart), one compare
	 * decides; cmp_start only where they start together. */
	uint32_t bstart = b < n ? v[b].start : UINT32_MAX;
	while (a < nd || b < n) {
		const struct match *m;
		if (a < nd && (v[a].start < bstart || (b < n && cmp_start(&v[a], &v[b]) <= 0))) {
			m = &v[a++];
		} else {
			m = &v[b++];
			bstart = b < n ? v[b].start : UINT32_MAX;
		}
		int32_t g = open[m->rule];
		if (g >= 0 && m->start < reach[g]) {
			struct match *gm = &out[g];
			if (m->end > reach[g])
				reach[g] = m->end;
			if (m->verdict == VERDICT_FAIL)
				continue;
			if (gm->verdict == VERDICT_FAIL) {
				*gm = *m;
				continue;
			}
			if (m->start < gm->start)
				gm->start = m->start;
			if (m->end > gm->end)
				gm->end = m->end;
			if (m->verdict == VERDICT_PASS)
				gm->verdict = VERDICT_PASS;
			continue;
		}
		out[ng] = *m;
		reach[ng] = m->end;
		open[m->rule] = (int32_t)ng++;
	}
	bool sorted = true;
	for (size_t g = 0; g < ng; g++) {
		if (out[g].verdict == VERDICT_FAIL)
			out[g].end = reach[g];   /* no member passed: the failure spans them all */
		if (g == 0 || cmp_start(&out[g - 1], &out[g]) <= 0)
			continue;
		/* Out of order is mostly one start with two ends (a card's 17
		 * digits before an id's X: shorter first) or a group whose first
		 * member failed: moved back here, a few places at most; past
		 * that the whole is sorted at the end. Only places up to g move:
		 * out[g] and reach[g] are group g's when it is fixed above. */
		struct match m = out[g];
		size_t k = g;
		while (k > 0 && g - k < 8 && cmp_start(&out[k - 1], &m) > 0) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = m;
		if (k > 0 && cmp_start(&out[k - 1], &m) > 0)
			sorted = false;
	}
	xswap_arrays((void **)&sc->v, &sc->cap, (void **)&sc->grouped, &sc->grouped_cap);
	sc->n = ng;
	if (!sorted)
		sort_nearly_sorted(sc->v, sc->n);
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
	if (sc->dfa) {
		int rc = scan_dfa(sc);
		if (rc)
			return rc;
		validate_all(sc);
		group_in_start_order(sc);
		*out = sc->v;
		*n = sc->n;
		return 0;
	} else if (hs_scan(hsdb_database(sc->db), p, (unsigned)len, 0, sc->scratch, on_match, sc) != HS_SUCCESS ||
		   retry_starts(sc)) {
		return PIISCAN_ERR_SCAN;
	}

	validate_all(sc);

	/* One rule's overlapping matches are one written value (a "+86 138…"
	 * and its "138…", the several ends of an email): keep the union of the
	 * members that pass, or one failure if none does. */
	if (sc->n > 1)
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
	if (sc->n > 1)
		qsort(sc->v, sc->n, sizeof *sc->v, cmp_start);
	*out = sc->v;
	*n = sc->n;
	return 0;
}
