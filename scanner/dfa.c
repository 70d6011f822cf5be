/* Pattern subset → AST → Thompson NFA over bytes → subset-construction DFA
 * with byte equivalence classes. Written for rule patterns, which are
 * short; build time matters only on a cache miss. */
#include "dfa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#define INF -1

/* ---- AST ---- */

enum node_kind { N_SET, N_CAT, N_ALT, N_REP, N_EMPTY };

struct node {
	enum node_kind kind;
	int a, b;           /* children (CAT, ALT: both; REP: a) */
	int min, max;       /* REP; max INF = unbounded */
	uint8_t set[32];    /* SET */
};

struct parser {
	const char *s;
	size_t i, len;
	struct node *nodes;
	size_t n, cap;
	const char *err;
};

static int new_node(struct parser *ps, enum node_kind k)
{
	xgrow((void **)&ps->nodes, &ps->cap, ps->n + 1, sizeof *ps->nodes);
	memset(&ps->nodes[ps->n], 0, sizeof ps->nodes[ps->n]);
	ps->nodes[ps->n].kind = k;
	ps->nodes[ps->n].a = ps->nodes[ps->n].b = -1;
	return (int)ps->n++;
}

static void set_add(uint8_t *set, unsigned c) { set[c >> 3] |= (uint8_t)(1u << (c & 7)); }
static int set_has(const uint8_t *set, unsigned c) { return set[c >> 3] >> (c & 7) & 1; }

static void set_range(uint8_t *set, unsigned lo, unsigned hi)
{
	for (unsigned c = lo; c <= hi; c++)
		set_add(set, c);
}

/* \d \w \s and their negations into set; returns 0 if esc is not one. */
static int class_escape(char esc, uint8_t *set)
{
	uint8_t tmp[32] = { 0 };
	switch (esc | 0x20) {
	case 'd': set_range(tmp, '0', '9'); break;
	case 'w': set_range(tmp, '0', '9'); set_range(tmp, 'a', 'z'); set_range(tmp, 'A', 'Z'); set_add(tmp, '_'); break;
	case 's': set_add(tmp, ' '); set_range(tmp, '\t', '\r'); break;
	default: return 0;
	}
	bool neg = esc >= 'A' && esc <= 'Z';
	for (int k = 0; k < 32; k++)
		set[k] |= neg ? (uint8_t)~tmp[k] : tmp[k];
	return 1;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A literal escape (\+, \., \n, \x41): its byte, or -1 if unsupported. */
static int literal_escape(struct parser *ps)
{
	char c = ps->s[ps->i++];
	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'f': return '\f';
	case 'v': return '\v';
	case 'x': {
		if (ps->i + 2 > ps->len || hexv(ps->s[ps->i]) < 0 || hexv(ps->s[ps->i + 1]) < 0)
			return -1;
		int v = hexv(ps->s[ps->i]) * 16 + hexv(ps->s[ps->i + 1]);
		ps->i += 2;
		return v;
	}
	default:
		/* Escaped punctuation is itself; escaped letters and digits are
		 * constructs (\b, \1, \A, \z) outside the subset. */
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			return -1;
		return (unsigned char)c;
	}
}

static int parse_alt(struct parser *ps);

static int parse_class(struct parser *ps)
{
	int id = new_node(ps, N_SET);
	uint8_t set[32] = { 0 };
	bool neg = false, first = true;
	if (ps->i < ps->len && ps->s[ps->i] == '^') {
		neg = true;
		ps->i++;
	}
	while (ps->i < ps->len && (ps->s[ps->i] != ']' || first)) {
		first = false;
		int lo;
		if (ps->s[ps->i] == '\\') {
			ps->i++;
			if (ps->i >= ps->len)
				return ps->err = "dangling escape", -1;
			if (class_escape(ps->s[ps->i], set)) {
				ps->i++;
				continue;
			}
			if ((lo = literal_escape(ps)) < 0)
				return ps->err = "unsupported escape in class", -1;
		} else if (ps->s[ps->i] == '[' && ps->i + 1 < ps->len && ps->s[ps->i + 1] == ':') {
			return ps->err = "POSIX classes are not supported", -1;
		} else {
			lo = (unsigned char)ps->s[ps->i++];
			if (lo >= 0x80)
				return ps->err = "non-ASCII byte inside a class", -1;
		}
		int hi = lo;
		if (ps->i + 1 < ps->len && ps->s[ps->i] == '-' && ps->s[ps->i + 1] != ']') {
			ps->i++;
			if (ps->s[ps->i] == '\\') {
				ps->i++;
				if (ps->i >= ps->len || (hi = literal_escape(ps)) < 0)
					return ps->err = "unsupported escape in range", -1;
			} else {
				hi = (unsigned char)ps->s[ps->i++];
			}
			if (hi < lo)
				return ps->err = "reversed range", -1;
		}
		set_range(set, (unsigned)lo, (unsigned)hi);
	}
	if (ps->i >= ps->len)
		return ps->err = "unterminated class", -1;
	ps->i++;
	for (int k = 0; k < 32; k++)
		ps->nodes[id].set[k] = neg ? (uint8_t)~set[k] : set[k];
	return id;
}

static int parse_atom(struct parser *ps)
{
	char c = ps->s[ps->i];
	if (c == '(') {
		ps->i++;
		if (ps->i < ps->len && ps->s[ps->i] == '?') {
			if (ps->i + 1 < ps->len && ps->s[ps->i + 1] == ':')
				ps->i += 2;
			else
				return ps->err = "group flags and lookaround are not supported", -1;
		}
		int a = parse_alt(ps);
		if (a < 0)
			return -1;
		if (ps->i >= ps->len || ps->s[ps->i] != ')')
			return ps->err = "unbalanced parenthesis", -1;
		ps->i++;
		return a;
	}
	if (c == '[') {
		ps->i++;
		return parse_class(ps);
	}
	if (c == '^' || c == '$')
		return ps->err = "anchors are not supported", -1;
	int id = new_node(ps, N_SET);
	if (c == '.') {
		ps->i++;
		memset(ps->nodes[id].set, 0xFF, 32);
		ps->nodes[id].set['\n' >> 3] &= (uint8_t)~(1u << ('\n' & 7));
		return id;
	}
	if (c == '\\') {
		ps->i++;
		if (ps->i >= ps->len)
			return ps->err = "dangling escape", -1;
		if (class_escape(ps->s[ps->i], ps->nodes[id].set)) {
			ps->i++;
			return id;
		}
		int v = literal_escape(ps);
		if (v < 0)
			return ps->err = "unsupported escape", -1;
		set_add(ps->nodes[id].set, (unsigned)v);
		return id;
	}
	ps->i++;
	set_add(ps->nodes[id].set, (unsigned char)c);
	return id;
}

static int parse_number(struct parser *ps, int *out)
{
	int v = 0, digits = 0;
	while (ps->i < ps->len && ps->s[ps->i] >= '0' && ps->s[ps->i] <= '9' && digits < 5) {
		v = v * 10 + (ps->s[ps->i++] - '0');
		digits++;
	}
	*out = v;
	return digits ? 0 : -1;
}

static int parse_repeat(struct parser *ps)
{
	int a = parse_atom(ps);
	if (a < 0)
		return -1;
	while (ps->i < ps->len) {
		char c = ps->s[ps->i];
		int min, max;
		if (c == '?') {
			min = 0, max = 1;
			ps->i++;
		} else if (c == '*') {
			min = 0, max = INF;
			ps->i++;
		} else if (c == '+') {
			min = 1, max = INF;
			ps->i++;
		} else if (c == '{') {
			size_t save = ps->i++;
			if (parse_number(ps, &min)) {
				ps->i = save;
				return a; /* a literal '{', as PCRE reads it */
			}
			max = min;
			if (ps->i < ps->len && ps->s[ps->i] == ',') {
				ps->i++;
				if (ps->i < ps->len && ps->s[ps->i] == '}')
					max = INF;
				else if (parse_number(ps, &max))
					return ps->err = "bad repeat", -1;
			}
			if (ps->i >= ps->len || ps->s[ps->i] != '}' || (max != INF && max < min) || min > 4096 ||
			    max > 4096)
				return ps->err = "bad repeat", -1;
			ps->i++;
		} else {
			return a;
		}
		if (ps->i < ps->len && (ps->s[ps->i] == '?' || ps->s[ps->i] == '+'))
			return ps->err = "lazy and possessive repeats are not supported", -1;
		int r = new_node(ps, N_REP);
		ps->nodes[r].a = a;
		ps->nodes[r].min = min;
		ps->nodes[r].max = max;
		a = r;
	}
	return a;
}

static int parse_concat(struct parser *ps)
{
	int left = -1;
	while (ps->i < ps->len && ps->s[ps->i] != '|' && ps->s[ps->i] != ')') {
		int r = parse_repeat(ps);
		if (r < 0)
			return -1;
		if (left < 0) {
			left = r;
		} else {
			int c = new_node(ps, N_CAT);
			ps->nodes[c].a = left;
			ps->nodes[c].b = r;
			left = c;
		}
	}
	return left >= 0 ? left : new_node(ps, N_EMPTY);
}

static int parse_alt(struct parser *ps)
{
	int left = parse_concat(ps);
	while (left >= 0 && ps->i < ps->len && ps->s[ps->i] == '|') {
		ps->i++;
		int r = parse_concat(ps);
		if (r < 0)
			return -1;
		int a = new_node(ps, N_ALT);
		ps->nodes[a].a = left;
		ps->nodes[a].b = r;
		left = a;
	}
	return left;
}

static int parse(struct parser *ps, const char *pattern)
{
	ps->s = pattern;
	ps->i = 0;
	ps->len = strlen(pattern);
	int root = parse_alt(ps);
	if (root >= 0 && ps->i != ps->len) {
		ps->err = "unbalanced parenthesis";
		return -1;
	}
	return root;
}

bool dfa_supports(const char *pattern)
{
	struct parser ps = { 0 };
	int root = parse(&ps, pattern);
	free(ps.nodes);
	return root >= 0;
}

/* ---- NFA ---- */

struct nstate {
	int set;          /* index into sets, -1: no byte transition */
	int next;         /* target of the byte transition */
	int eps[2];       /* epsilon transitions, -1: none */
	int64_t accept;   /* pattern id, -1: none */
};

struct nfa {
	struct nstate *v;
	size_t n, cap;
	uint8_t (*sets)[32];
	size_t nsets, sets_cap;
	size_t limit;
	bool over;
	bool reverse;
};

static int nfa_new(struct nfa *a)
{
	if (a->n >= a->limit) {
		a->over = true;
		return 0;
	}
	xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
	a->v[a->n] = (struct nstate){ .set = -1, .next = -1, .eps = { -1, -1 }, .accept = -1 };
	return (int)a->n++;
}

static int nfa_set(struct nfa *a, const uint8_t *set)
{
	for (size_t i = 0; i < a->nsets; i++)
		if (!memcmp(a->sets[i], set, 32))
			return (int)i;
	xgrow((void **)&a->sets, &a->sets_cap, a->nsets + 1, sizeof *a->sets);
	memcpy(a->sets[a->nsets], set, 32);
	return (int)a->nsets++;
}

static void eps(struct nfa *a, int from, int to)
{
	if (a->over)
		return;
	if (a->v[from].eps[0] < 0)
		a->v[from].eps[0] = to;
	else
		a->v[from].eps[1] = to;
}

/* Build the fragment of node k; *end gets its exit state. With
 * a->reverse, concatenations are built back to front: the NFA then matches
 * the pattern's strings reversed. */
static int build(struct nfa *a, const struct parser *ps, int k, int *end)
{
	const struct node *nd = &ps->nodes[k];
	int s, e, xs, xe;
	if (a->over) {
		*end = 0;
		return 0;
	}
	switch (nd->kind) {
	case N_EMPTY:
		s = nfa_new(a);
		*end = s;
		return s;
	case N_SET:
		s = nfa_new(a);
		e = nfa_new(a);
		if (a->over)
			return *end = 0, 0;
		a->v[s].set = nfa_set(a, nd->set);
		a->v[s].next = e;
		*end = e;
		return s;
	case N_CAT:
		s = build(a, ps, a->reverse ? nd->b : nd->a, &xe);
		xs = build(a, ps, a->reverse ? nd->a : nd->b, end);
		eps(a, xe, xs);
		return s;
	case N_ALT:
		s = nfa_new(a);
		e = nfa_new(a);
		xs = build(a, ps, nd->a, &xe);
		eps(a, s, xs);
		eps(a, xe, e);
		xs = build(a, ps, nd->b, &xe);
		eps(a, s, xs);
		eps(a, xe, e);
		*end = e;
		return s;
	case N_REP: {
		s = nfa_new(a);
		int cur = s;
		for (int i = 0; i < nd->min && !a->over; i++) {
			xs = build(a, ps, nd->a, &xe);
			eps(a, cur, xs);
			cur = xe;
		}
		e = nfa_new(a);
		if (nd->max == INF) {
			int loop = nfa_new(a);
			eps(a, cur, loop);
			xs = build(a, ps, nd->a, &xe);
			eps(a, loop, xs);
			eps(a, loop, e);
			eps(a, xe, loop);
		} else {
			for (int i = nd->min; i < nd->max && !a->over; i++) {
				xs = build(a, ps, nd->a, &xe);
				eps(a, cur, xs);
				eps(a, cur, e);
				cur = xe;
			}
			eps(a, cur, e);
		}
		*end = e;
		return s;
	}
	}
	*end = 0;
	return 0;
}

/* ---- DFA ---- */

struct dfa {
	uint8_t cls[256];
	uint8_t first[256];
	uint32_t ncls;
	uint32_t nstates;
	uint32_t *trans;      /* nstates x ncls; state 0 is dead, 1 the start */
	uint32_t *acc_off;    /* per state: into acc */
	uint16_t *acc_n;
	uint32_t *acc;
	struct dfa_table run; /* the same, laid out for the hot loop */
};

static bool make_run_table(struct dfa *d);

/* A set of NFA states, sorted, for the subset construction. */
struct sset {
	int *v;
	size_t n;
	uint64_t hash;
};

/* Add the epsilon closure of s to out (only states with a byte transition
 * or an accept); every state marked in seen is also pushed on touched, so
 * the caller can clear them cheaply. */
static void closure(const struct nfa *a, int s, uint8_t *seen, int *stack, int **out, size_t *n,
		    size_t *cap, int *touched, size_t *ntouched)
{
	size_t sp = 0;
	if (seen[s])
		return;
	seen[s] = 1;
	touched[(*ntouched)++] = s;
	stack[sp++] = s;
	while (sp) {
		int x = stack[--sp];
		const struct nstate *ns = &a->v[x];
		if (ns->set >= 0 || ns->accept >= 0) {
			xgrow((void **)out, cap, *n + 1, sizeof **out);
			(*out)[(*n)++] = x;
		}
		for (int k = 0; k < 2; k++) {
			int t = ns->eps[k];
			if (t >= 0 && !seen[t]) {
				seen[t] = 1;
				touched[(*ntouched)++] = t;
				stack[sp++] = t;
			}
		}
	}
}

static int cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

static uint64_t hash_ints(const int *v, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint64_t)(uint32_t)v[i]) * 1099511628211ULL;
	return h ^ n;
}

void dfa_free(struct dfa *d)
{
	if (!d)
		return;
	free(d->trans);
	free((void *)d->run.next);
	free((void *)d->run.acc_off);
	free((void *)d->run.acc_n);
	free((void *)d->run.pair);
	free((void *)d->run.drun);
	free((void *)d->run.drun2);
	free(d->acc_off);
	free(d->acc_n);
	free(d->acc);
	free(d);
}

size_t dfa_states(const struct dfa *d) { return d->nstates; }
const uint8_t *dfa_first(const struct dfa *d) { return d->first; }

static struct dfa *build_dfa(const char *const *patterns, const uint32_t *ids, size_t n,
			     size_t max_states, bool reverse, char *errbuf, size_t errbuf_len);

struct dfa *dfa_build(const char *const *patterns, const uint32_t *ids, size_t n, size_t max_states,
		      char *errbuf, size_t errbuf_len)
{
	return build_dfa(patterns, ids, n, max_states, false, errbuf, errbuf_len);
}

struct dfa *dfa_build_reverse(const char *pattern, uint32_t id, size_t max_states, char *errbuf,
			      size_t errbuf_len)
{
	return build_dfa(&pattern, &id, 1, max_states, true, errbuf, errbuf_len);
}

bool dfa_has_id(const struct dfa *d, uint32_t id)
{
	uint32_t nacc = 0;
	for (uint32_t s = 0; s < d->nstates; s++)
		nacc += d->acc_n[s];
	for (uint32_t k = 0; k < nacc; k++)
		if (d->acc[k] == id)
			return true;
	return false;
}

static struct dfa *build_dfa(const char *const *patterns, const uint32_t *ids, size_t n,
			     size_t max_states, bool reverse, char *errbuf, size_t errbuf_len)
{
	struct nfa a = { .limit = 200000, .reverse = reverse };
	int start = nfa_new(&a);
	for (size_t i = 0; i < n; i++) {
		struct parser ps = { 0 };
		int root = parse(&ps, patterns[i]);
		if (root < 0) {
			snprintf(errbuf, errbuf_len, "pattern %zu: %s", i, ps.err ? ps.err : "syntax");
			free(ps.nodes);
			free(a.v);
			free(a.sets);
			return NULL;
		}
		int end;
		int s = build(&a, &ps, root, &end);
		free(ps.nodes);
		if (a.over)
			break;
		eps(&a, start, s);
		/* A chain of accepting states, one per pattern, hangs off end. */
		int acc = nfa_new(&a);
		if (a.over)
			break;
		a.v[acc].accept = ids[i];
		eps(&a, end, acc);
		/* eps() fills two slots; the start needs one per pattern, so
		 * chain through fresh split states. */
		if (a.v[start].eps[1] >= 0 && i + 1 < n) {
			int next = nfa_new(&a);
			int moved = a.v[start].eps[1];
			a.v[start].eps[1] = next;
			a.v[next].eps[0] = moved;
			start = next;
		}
	}
	if (a.over) {
		snprintf(errbuf, errbuf_len, "patterns too large for the DFA compiler");
		free(a.v);
		free(a.sets);
		return NULL;
	}
	start = 0;

	/* Byte classes: bytes that belong to the same sets behave alike. */
	struct dfa *d = xcalloc(1, sizeof *d);
	{
		size_t words = (a.nsets + 63) / 64;
		uint64_t *sig = xcalloc(256 * (words ? words : 1), sizeof *sig);
		for (unsigned c = 0; c < 256; c++)
			for (size_t k = 0; k < a.nsets; k++)
				if (set_has(a.sets[k], c))
					sig[c * words + k / 64] |= 1ULL << (k % 64);
		uint32_t ncls = 0;
		int rep[256];
		for (unsigned c = 0; c < 256; c++) {
			uint32_t found = ncls;
			for (uint32_t k = 0; k < ncls; k++)
				if (!words || !memcmp(sig + c * words, sig + (size_t)rep[k] * words, words * 8)) {
					found = k;
					break;
				}
			if (found == ncls)
				rep[ncls++] = (int)c;
			d->cls[c] = (uint8_t)found;
		}
		d->ncls = ncls;
		free(sig);
	}

	unsigned rep_of[256];
	for (unsigned c = 256; c-- > 0;)
		rep_of[d->cls[c]] = c;

	/* Subset construction. */
	uint8_t *seen = xcalloc(a.n, 1);
	int *stack = xmalloc(a.n * sizeof *stack);
	int *touched = xmalloc(a.n * sizeof *touched);
	size_t ntouched = 0;
	struct sset *states = NULL;
	size_t nstates = 0, states_cap = 0, trans_cap = 0;
	uint32_t *table = NULL;       /* hash table of state ids + 1 */
	size_t table_cap = 1024;
	table = xcalloc(table_cap, sizeof *table);
	int *buf = NULL;
	size_t nbuf = 0, buf_cap = 0;
	bool too_big = false;

	/* state 0: dead (empty set) */
	xgrow((void **)&states, &states_cap, 1, sizeof *states);
	states[nstates++] = (struct sset){ NULL, 0, 0 };
	/* state 1: start */
	nbuf = 0;
	closure(&a, start, seen, stack, &buf, &nbuf, &buf_cap, touched, &ntouched);
	for (size_t k = 0; k < ntouched; k++)
		seen[touched[k]] = 0;
	ntouched = 0;
	if (nbuf > 1)
		qsort(buf, nbuf, sizeof *buf, cmp_int);
	xgrow((void **)&states, &states_cap, 2, sizeof *states);
	states[nstates] = (struct sset){ xmalloc((nbuf ? nbuf : 1) * sizeof(int)), nbuf, hash_ints(buf, nbuf) };
	memcpy(states[nstates].v, buf, nbuf * sizeof(int));
	table[states[nstates].hash & (table_cap - 1)] = (uint32_t)nstates + 1;
	nstates++;

	for (size_t cur = 1; cur < nstates && !too_big; cur++) {
		xgrow((void **)&d->trans, &trans_cap, (cur + 1) * d->ncls, sizeof *d->trans);
		for (uint32_t c = 0; c < d->ncls; c++) {
			unsigned rb = rep_of[c];
			nbuf = 0;
			const struct sset *S = &states[cur];
			for (size_t k = 0; k < S->n; k++) {
				const struct nstate *ns = &a.v[S->v[k]];
				if (ns->set >= 0 && set_has(a.sets[ns->set], rb))
					closure(&a, ns->next, seen, stack, &buf, &nbuf, &buf_cap, touched, &ntouched);
			}
			for (size_t k = 0; k < ntouched; k++)
				seen[touched[k]] = 0;
			ntouched = 0;
			uint32_t target = 0;
			if (nbuf) {
				qsort(buf, nbuf, sizeof *buf, cmp_int);
				uint64_t h = hash_ints(buf, nbuf);
				size_t slot = h & (table_cap - 1);
				while (table[slot]) {
					const struct sset *T = &states[table[slot] - 1];
					if (T->hash == h && T->n == nbuf && !memcmp(T->v, buf, nbuf * sizeof(int)))
						break;
					slot = (slot + 1) & (table_cap - 1);
				}
				if (table[slot]) {
					target = table[slot] - 1;
				} else {
					if (nstates >= max_states) {
						too_big = true;
						break;
					}
					xgrow((void **)&states, &states_cap, nstates + 1, sizeof *states);
					states[nstates] = (struct sset){ xmalloc(nbuf * sizeof(int)), nbuf, h };
					memcpy(states[nstates].v, buf, nbuf * sizeof(int));
					table[slot] = (uint32_t)nstates + 1;
					target = (uint32_t)nstates++;
					if (nstates * 2 > table_cap) {
						uint32_t *old = table;
						size_t oc = table_cap;
						table_cap *= 2;
						table = xcalloc(table_cap, sizeof *table);
						for (size_t q = 0; q < oc; q++) {
							if (!old[q])
								continue;
							size_t sl = states[old[q] - 1].hash & (table_cap - 1);
							while (table[sl])
								sl = (sl + 1) & (table_cap - 1);
							table[sl] = old[q];
						}
						free(old);
					}
				}
			}
			d->trans[cur * d->ncls + c] = target;
		}
	}
	if (too_big) {
		snprintf(errbuf, errbuf_len, "the DFA would need more than %zu states", max_states);
		dfa_free(d);
		d = NULL;
		goto out;
	}
	d->nstates = (uint32_t)nstates;
	xgrow((void **)&d->trans, &trans_cap, nstates * d->ncls, sizeof *d->trans);
	memset(d->trans, 0, d->ncls * sizeof *d->trans); /* the dead state */
	d->acc_off = xcalloc(nstates, sizeof *d->acc_off);
	d->acc_n = xcalloc(nstates, sizeof *d->acc_n);
	size_t nacc = 0, acc_cap = 0;
	for (size_t sidx = 1; sidx < nstates; sidx++) {
		d->acc_off[sidx] = (uint32_t)nacc;
		const struct sset *S = &states[sidx];
		for (size_t k = 0; k < S->n; k++) {
			int64_t id = a.v[S->v[k]].accept;
			if (id < 0)
				continue;
			bool dup = false;
			for (size_t q = d->acc_off[sidx]; q < nacc && !dup; q++)
				dup = d->acc[q] == (uint32_t)id;
			if (dup)
				continue;
			xgrow((void **)&d->acc, &acc_cap, nacc + 1, sizeof *d->acc);
			d->acc[nacc++] = (uint32_t)id;
			d->acc_n[sidx]++;
		}
	}
	for (unsigned c = 0; c < 256; c++)
		d->first[c] = d->trans[1 * d->ncls + d->cls[c]] != 0;
	if (!make_run_table(d)) {
		snprintf(errbuf, errbuf_len, "DFA too large (%zu states)", nstates);
		dfa_free(d);
		d = NULL;
	}
out:
	for (size_t i = 0; i < nstates; i++)
		free(states[i].v);
	free(states);
	free(table);
	free(buf);
	free(seen);
	free(stack);
	free(touched);
	free(a.v);
	free(a.sets);
	return d;
}

/* Whether every state of d goes dead on byte c: no match holds a c. */
static bool byte_kills(const struct dfa *d, unsigned char c)
{
	for (uint32_t st = 1; st < d->nstates; st++)
		if (d->trans[(size_t)st * d->ncls + d->cls[c]])
			return false;
	return true;
}

/* The atom at pattern[i]: its length, and whether it is one literal byte
 * (*lit). Classes, groups and escapes other than punctuation are not. */
static size_t atom_len(const char *p, size_t i, int *lit)
{
	*lit = -1;
	if (p[i] == '\\') {
		if (!p[i + 1])
			return 1;
		if (p[i + 1] == 'x')
			return p[i + 2] && p[i + 3] ? 4 : 2;
		if ((p[i + 1] >= '!' && p[i + 1] <= '/') || (p[i + 1] >= ':' && p[i + 1] <= '@') ||
		    (p[i + 1] >= '[' && p[i + 1] <= '`') || (p[i + 1] >= '{' && p[i + 1] <= '~'))
			*lit = (unsigned char)p[i + 1];
		return 2;
	}
	if (p[i] == '[') {
		size_t j = i + 1;
		if (p[j] == '^')
			j++;
		if (p[j] == ']')
			j++;
		for (; p[j] && p[j] != ']'; j++)
			if (p[j] == '\\' && p[j + 1])
				j++;
		return p[j] ? j + 1 - i : j - i;
	}
	if (!strchr("().|?*+{}^$", p[i]))
		*lit = (unsigned char)p[i];
	return 1;
}

bool dfa_split(const char *pattern, uint32_t id, size_t max_states, unsigned char *c, struct dfa **prefix_rev,
	       struct dfa **suffix)
{
	char errbuf[128];
	size_t len = strlen(pattern);
	int depth = 0;
	*prefix_rev = *suffix = NULL;
	if (!dfa_supports(pattern))
		return false;
	/* A top-level alternative need not hold the byte. */
	for (size_t i = 0; i < len;) {
		int lit;
		size_t n = atom_len(pattern, i, &lit);
		depth += pattern[i] == '(' ? 1 : pattern[i] == ')' ? -1 : 0;
		if (pattern[i] == '|' && depth == 0)
			return false;
		i += n;
	}
	for (size_t i = 0; i < len;) {
		int lit;
		size_t n = atom_len(pattern, i, &lit);
		char ch = pattern[i];
		if (ch == '(')
			depth++;
		else if (ch == ')')
			depth--;
		char after = i + n < len ? pattern[i + n] : '\0';
		if (depth == 0 && lit >= 0 && i > 0 && i + n < len && !strchr("?*+{", after)) {
			char *pre = xstrndup(pattern, i), *suf = xstrndup(pattern + i + n, len - i - n);
			struct dfa *r = dfa_supports(pre) && dfa_supports(suf)
				? dfa_build_reverse(pre, id, max_states, errbuf, sizeof errbuf) : NULL;
			struct dfa *f = r ? dfa_build(( const char *const *)&suf, &id, 1, max_states, errbuf,
						      sizeof errbuf) : NULL;
			free(pre);
			free(suf);
			if (r && f && byte_kills(r, (unsigned char)lit) && byte_kills(f, (unsigned char)lit)) {
				*c = (unsigned char)lit;
				*prefix_rev = r;
				*suffix = f;
				return true;
			}
			dfa_free(r);
			dfa_free(f);
		}
		i += n;
	}
	return false;
}

/* Whether states a and b report the same ids. */
static bool same_ids(const struct dfa_table *t, uint32_t a, uint32_t b)
{
	uint16_t na, nb;
	const uint32_t *ia = dfa_table_ids(t, a, &na), *ib = dfa_table_ids(t, b, &nb);
	return na == nb && !memcmp(ia, ib, na * sizeof *ia);
}

/* What subset_rows needs besides the table. */
struct subset_scratch {
	uint32_t *cur, *nxt, *mark, gen;
	bool *live;
	uint32_t ncls;
	uint32_t steps[10], nsteps;   /* digits in one class lead everywhere alike */
};

/* rows[n] for n0 <= n < DFA_DRUN_MAX: the set of states every digit string
 * leads to from st (reached after n0 digits; dead: none), a subset
 * construction over the digits, and what it allows; the bytes it goes on
 * with (cont) only with_cont. rows start zeroed, accept dead. */
static void subset_rows(const struct dfa_table *t, struct subset_scratch *ss, uint32_t st, unsigned n0,
			struct dfa_drun *rows, bool with_cont)
{
	uint32_t ncur = 0, *cur = ss->cur, *nxt = ss->nxt;
	if (!dfa_table_dead(t, st))
		cur[ncur++] = st;
	bool survive = true; /* every digit string so far leads to a live state */
	for (unsigned n = n0; n < DFA_DRUN_MAX && ncur; n++) {
		struct dfa_drun *r = &rows[n];
		bool uniform = survive;
		if (with_cont)
			memset(ss->live, 0, ss->ncls * sizeof *ss->live);
		for (uint32_t i = 0; i < ncur; i++) {
			bool acc = !dfa_table_goes_on(t, cur[i]); /* cur holds no dead state */
			r->any_accept |= acc;
			uniform &= acc && same_ids(t, cur[i], cur[0]);
			for (uint32_t k = 0; with_cont && k < ss->ncls; k++)
				ss->live[k] |= !dfa_table_dead(t, t->next[cur[i] + k]);
		}
		for (unsigned c = 0; with_cont && c < 256; c++)
			if (ss->live[t->cls[c]])
				r->cont[c >> 3] |= (uint8_t)(1u << (c & 7));
		if (uniform)
			r->accept = cur[0];
		uint32_t nn = 0;
		ss->gen++;
		for (uint32_t i = 0; i < ncur; i++)
			for (uint32_t k = 0; k < ss->nsteps; k++) {
				uint32_t q = t->next[cur[i] + ss->steps[k]];
				if (dfa_table_dead(t, q)) {
					survive = false;
				} else if (ss->mark[q >> t->shift] != ss->gen) {
					ss->mark[q >> t->shift] = ss->gen;
					nxt[nn++] = q;
				}
			}
		uint32_t *sw = cur;
		cur = nxt;
		nxt = sw;
		ncur = nn;
	}
}

/* dfa_table_drun's table (by the first digit) and dfa_table_drun2's (by
 * the first two). */
static void make_drun(struct dfa_table *t, uint32_t nstates, uint32_t ncls)
{
	struct dfa_drun *drun = xcalloc(10 * DFA_DRUN_MAX, sizeof *drun);
	uint32_t *drun2 = xmalloc(100 * DFA_DRUN_MAX * sizeof *drun2);
	struct dfa_drun rows[DFA_DRUN_MAX];
	struct subset_scratch ss = {
		.cur = xmalloc(nstates * sizeof *ss.cur), .nxt = xmalloc(nstates * sizeof *ss.nxt),
		.mark = xcalloc(nstates, sizeof *ss.mark), .live = xmalloc(ncls * sizeof *ss.live), .ncls = ncls,
	};
	for (unsigned g = '0'; g <= '9'; g++) {
		uint32_t k = 0;
		while (k < ss.nsteps && ss.steps[k] != t->cls[g])
			k++;
		if (k == ss.nsteps)
			ss.steps[ss.nsteps++] = t->cls[g];
	}
	for (size_t i = 0; i < 10 * DFA_DRUN_MAX; i++)
		drun[i].accept = t->dead;
	for (unsigned d = 0; d < 10; d++) {
		uint32_t st = dfa_table_step(t, t->start, (unsigned char)('0' + d));
		subset_rows(t, &ss, st, 1, &drun[d * DFA_DRUN_MAX], true);
		for (unsigned d2 = 0; d2 < 10; d2++) {
			memset(rows, 0, sizeof rows);
			for (unsigned n = 0; n < DFA_DRUN_MAX; n++)
				rows[n].accept = t->dead;
			if (!dfa_table_dead(t, st))
				subset_rows(t, &ss, dfa_table_step(t, st, (unsigned char)('0' + d2)), 2, rows, false);
			for (unsigned n = 0; n < DFA_DRUN_MAX; n++)
				drun2[(d * 10 + d2) * DFA_DRUN_MAX + n] = rows[n].any_accept ? rows[n].accept : DFA_DRUN_NONE;
		}
	}
	free(ss.cur);
	free(ss.nxt);
	free(ss.mark);
	free(ss.live);
	t->drun = drun;
	t->drun2 = drun2;
}

/* The hot loop's layout: states renumbered so that one compare tells the
 * common case (st < acc_min: go on) from an accepting state or the dead
 * one (the last), and rows padded to a power of two so that the next index
 * is a shift and an or, not a multiply, on the chain of dependent loads.
 * Non-accepting states keep their build order, which is breadth first from
 * the start: the states a token's first bytes visit share cache lines. */
static bool make_run_table(struct dfa *d)
{
	uint32_t n = d->nstates;
	unsigned shift = 0;
	while ((1u << shift) < d->ncls)
		shift++;
	if (((size_t)n << shift) > (1u << 26))
		return false; /* 256 MiB of table: no DFA the rules need */
	uint32_t *perm = xmalloc(n * sizeof *perm);
	uint32_t k = 0;
	for (uint32_t st = 1; st < n; st++)
		if (!d->acc_n[st])
			perm[st] = k++;
	uint32_t acc_min = k;
	for (uint32_t st = 1; st < n; st++)
		if (d->acc_n[st])
			perm[st] = k++;
	perm[0] = k; /* dead: the last */
	uint32_t *next = xcalloc((size_t)n << shift, sizeof *next);
	uint32_t *acc_off = xmalloc(n * sizeof *acc_off);
	uint16_t *acc_n = xmalloc(n * sizeof *acc_n);
	for (uint32_t st = 0; st < n; st++) {
		for (uint32_t c = 0; c < d->ncls; c++)
			next[(size_t)perm[st] << shift | c] = perm[d->trans[(size_t)st * d->ncls + c]] << shift;
		acc_off[perm[st]] = d->acc_off[st];
		acc_n[perm[st]] = d->acc_n[st];
	}
	d->run = (struct dfa_table){ .next = next, .cls = d->cls, .shift = shift, .start = perm[1] << shift,
				     .acc_min = acc_min << shift, .dead = perm[0] << shift, .acc_off = acc_off,
				     .acc_n = acc_n, .acc = d->acc };
	make_drun(&d->run, n, d->ncls);
	free(perm);
	return true;
}

bool dfa_add_pair_states(struct dfa *d)
{
	const struct dfa_table *t = &d->run;
	if (t->pair)
		return true;
	if (d->nstates >= DFA_PAIR_WALK - 1)
		return false;
	/* Zero (cannot report) for the rows of bytes no run starts with:
	 * calloc's pages, untouched for most of them. */
	uint16_t *p2 = xcalloc(65536, sizeof *p2);
	for (unsigned c0 = 0; c0 < 256; c0++) {
		uint32_t st1 = dfa_table_step(t, t->start, (unsigned char)c0);
		if (dfa_table_dead(t, st1))
			continue;
		uint16_t *row = &p2[c0 << 8];
		if (!dfa_table_goes_on(t, st1)) {
			for (unsigned c1 = 0; c1 < 256; c1++)
				row[c1] = DFA_PAIR_WALK;   /* a match of one byte */
			continue;
		}
		for (unsigned c1 = 0; c1 < 256; c1++) {
			uint32_t st2 = dfa_table_step(t, st1, (unsigned char)c1);
			row[c1] = dfa_table_dead(t, st2) ? 0
				: !dfa_table_goes_on(t, st2) ? DFA_PAIR_WALK : (uint16_t)((st2 >> t->shift) + 1);
		}
	}
	d->run.pair = p2;
	return true;
}

bool dfa_table_class_run(const struct dfa_table *t, struct dfa_class_run *run)
{
	memset(run, 0, sizeof *run);
	bool any = false;
	for (unsigned c = 0; c < 256; c++) {
		run->in[c] = !dfa_table_dead(t, dfa_table_step(t, t->start, (unsigned char)c));
		any |= run->in[c];
	}
	if (!any)
		return false;
	/* State k (after k bytes of C): every byte of C leads to one state,
	 * state k + 1, every other byte to dead; from depth min on each
	 * accepts. Ends in dead (max = k) or a state that loops to itself. */
	uint32_t st = t->start;
	for (uint32_t k = 0; k < 4096; k++) {
		uint32_t next = t->dead;
		bool first = true;
		for (unsigned c = 0; c < 256; c++) {
			uint32_t n = dfa_table_step(t, st, (unsigned char)c);
			if (!run->in[c]) {
				if (!dfa_table_dead(t, n))
					return false;
			} else if (first) {
				next = n;
				first = false;
			} else if (n != next) {
				return false;
			}
		}
		if (dfa_table_dead(t, next)) {
			run->max = k;
			return run->min > 0;
		}
		bool accepts = !dfa_table_goes_on(t, next);
		if (run->min && !accepts)
			return false;
		if (accepts && !run->min)
			run->min = k + 1;
		if (next == st) {
			run->max = UINT32_MAX;
			return run->min > 0;
		}
		st = next;
	}
	return false;
}

const struct dfa_table *dfa_table(const struct dfa *d)
{
	return &d->run;
}

/* ---- serialisation ---- */

#define DFA_MAGIC "piiscan-dfa-1\n"

static void put32(struct buf *b, uint32_t v)
{
	buf_append(b, &v, sizeof v);
}

void dfa_serialize(const struct dfa *d, struct buf *out)
{
	uint32_t nacc = 0;
	for (uint32_t s = 0; s < d->nstates; s++)
		nacc += d->acc_n[s];
	buf_append(out, DFA_MAGIC, sizeof DFA_MAGIC - 1);
	put32(out, d->ncls);
	put32(out, d->nstates);
	put32(out, nacc);
	buf_append(out, d->cls, sizeof d->cls);
	buf_append(out, d->trans, (size_t)d->nstates * d->ncls * sizeof *d->trans);
	buf_append(out, d->acc_off, d->nstates * sizeof *d->acc_off);
	buf_append(out, d->acc_n, d->nstates * sizeof *d->acc_n);
	buf_append(out, d->acc, nacc * sizeof *d->acc);
}

static int take(const char **p, size_t *n, void *dst, size_t len)
{
	if (*n < len)
		return -1;
	memcpy(dst, *p, len);
	*p += len;
	*n -= len;
	return 0;
}

struct dfa *dfa_deserialize(const char *p, size_t n)
{
	uint32_t ncls, nstates, nacc;
	if (n < sizeof DFA_MAGIC - 1 || memcmp(p, DFA_MAGIC, sizeof DFA_MAGIC - 1))
		return NULL;
	p += sizeof DFA_MAGIC - 1;
	n -= sizeof DFA_MAGIC - 1;
	if (take(&p, &n, &ncls, 4) || take(&p, &n, &nstates, 4) || take(&p, &n, &nacc, 4) || !ncls ||
	    ncls > 256 || nstates < 2 || nstates > (1u << 24) || nacc > (1u << 24))
		return NULL;
	struct dfa *d = xcalloc(1, sizeof *d);
	d->ncls = ncls;
	d->nstates = nstates;
	d->trans = xmalloc((size_t)nstates * ncls * sizeof *d->trans);
	d->acc_off = xmalloc(nstates * sizeof *d->acc_off);
	d->acc_n = xmalloc(nstates * sizeof *d->acc_n);
	d->acc = xmalloc((nacc ? nacc : 1) * sizeof *d->acc);
	if (take(&p, &n, d->cls, sizeof d->cls) ||
	    take(&p, &n, d->trans, (size_t)nstates * ncls * sizeof *d->trans) ||
	    take(&p, &n, d->acc_off, nstates * sizeof *d->acc_off) ||
	    take(&p, &n, d->acc_n, nstates * sizeof *d->acc_n) ||
	    take(&p, &n, d->acc, nacc * sizeof *d->acc) || n != 0) {
		dfa_free(d);
		return NULL;
	}
	/* Everything indexes inside the tables, or the blob is not trusted. */
	for (unsigned c = 0; c < 256; c++)
		if (d->cls[c] >= ncls)
			goto bad;
	for (size_t i = 0; i < (size_t)nstates * ncls; i++)
		if (d->trans[i] >= nstates)
			goto bad;
	for (uint32_t s = 0; s < nstates; s++)
		if ((uint64_t)d->acc_off[s] + d->acc_n[s] > nacc)
			goto bad;
	for (unsigned c = 0; c < 256; c++)
		d->first[c] = d->trans[1 * ncls + d->cls[c]] != 0;
	if (!make_run_table(d))
		goto bad;
	return d;
bad:
	dfa_free(d);
	return NULL;
}
