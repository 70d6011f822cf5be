/* A small regex compiler for the scan stage's fast path: the rule patterns
 * (a subset of Hyperscan's syntax: literals, escapes, classes, groups,
 * alternation and bounded or unbounded repeats) compiled into one anchored
 * DFA over bytes. Run from a candidate start, it reports every (rule, end)
 * of a match that starts there, so the scan stage can find exactly what a
 * Hyperscan database would, without walking every byte through every
 * pattern. Immutable once built; runs are thread-safe. */
#ifndef PIISCAN_DFA_H
#define PIISCAN_DFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dfa;

/* Whether pattern is in the subset dfa_build accepts (no anchors, flags,
 * lookaround or backreferences). */
bool dfa_supports(const char *pattern);

/* Build one DFA matching any of the n patterns, reporting ids[i] for
 * pattern i. Returns NULL, with errbuf set, if a pattern is outside the
 * subset or the DFA would need more than max_states states. */
struct dfa *dfa_build(const char *const *patterns, const uint32_t *ids, size_t n, size_t max_states,
		      char *errbuf, size_t errbuf_len);
void dfa_free(struct dfa *d);

/* A DFA for pattern read backwards: walked back from an end
 * (dfa_table_walk_back), it finds every start of a match that ends there. */
struct dfa *dfa_build_reverse(const char *pattern, uint32_t id, size_t max_states, char *errbuf,
			      size_t errbuf_len);

/* Whether pattern is P c S, with a literal byte c at the top level that
 * no match of P or of S holds (an e-mail address: local part, '@',
 * domain). Then every match holds exactly one c, and the matches around
 * each c in a text are found from it: *suffix (forward, from after the c)
 * gives their ends, *prefix_rev (reverse, from before it) their starts.
 * Both report id. False, with both NULL, when the pattern is not so. */
bool dfa_split(const char *pattern, uint32_t id, size_t max_states, unsigned char *c, struct dfa **prefix_rev,
	       struct dfa **suffix);

/* Whether some state of d reports id. */
bool dfa_has_id(const struct dfa *d, uint32_t id);

/* Append d's serialised form to out (a versioned, self-checking blob). */
struct buf;
void dfa_serialize(const struct dfa *d, struct buf *out);
/* A DFA from p[0..n) as written by dfa_serialize, or NULL if the bytes are
 * not one (wrong version, truncated, inconsistent). */
struct dfa *dfa_deserialize(const char *p, size_t n);

/* States, for diagnostics and limits. */
size_t dfa_states(const struct dfa *d);

/* The run tables, for a caller that inlines the walk (the scan stage: no
 * call per start, none per step or match). A state is the offset of its
 * row (index << shift), so a step is one load and an add on the chain of
 * dependent loads. Run from start: a state below acc_min goes on, dead
 * stops, any other state accepts the ids dfa_table_ids gives. */
struct dfa_table {
	const uint32_t *next;     /* [state + cls[byte]] */
	const uint8_t *cls;
	unsigned shift;
	uint32_t start, acc_min, dead;
	const uint32_t *acc_off;  /* by state >> shift */
	const uint16_t *acc_n;
	const uint32_t *acc;
	const uint16_t *pair;     /* NULL, or where a run from c0 c1 is after them
				   * (dfa_table_pair) */
	const struct dfa_drun *drun;   /* digit runs: see dfa_table_drun */
	const uint32_t *drun2;         /* ... by their first two digits: dfa_table_drun2 */
};
const struct dfa_table *dfa_table(const struct dfa *d);

static inline uint32_t dfa_table_step(const struct dfa_table *t, uint32_t st, unsigned char c)
{
	return t->next[st + t->cls[c]];
}

/* What a state says to a run, in the order make_run_table numbers them:
 * below acc_min go on; the last, dead, stops; the others accept
 * (dfa_table_ids). The two tests every run loop makes, in one place. */
static inline bool dfa_table_goes_on(const struct dfa_table *t, uint32_t st)
{
	return st < t->acc_min;
}

static inline bool dfa_table_dead(const struct dfa_table *t, uint32_t st)
{
	return st == t->dead;
}

/* The loop of every forward run: from state st (going on) over s[i..len),
 * on(arg, st, end) for each accepting state st a prefix ending at end
 * reaches, until no match can go on. Inline together with on (a constant
 * at each caller), so that a step costs no call. */
static inline __attribute__((always_inline)) void dfa_table_walk_from(const struct dfa_table *t, uint32_t st,
								       const unsigned char *s, size_t i, size_t len,
								       void (*on)(void *arg, uint32_t st,
										  size_t end),
								       void *arg)
{
	for (; i < len; i++) {
		st = dfa_table_step(t, st, s[i]);
		if (dfa_table_goes_on(t, st))
			continue;
		if (dfa_table_dead(t, st))
			return;
		on(arg, st, i + 1);
	}
}

/* The same from t's start state. */
static inline __attribute__((always_inline)) void dfa_table_walk(const struct dfa_table *t, const unsigned char *s,
								  size_t i, size_t len,
								  void (*on)(void *arg, uint32_t st, size_t end),
								  void *arg)
{
	dfa_table_walk_from(t, t->start, s, i, len, on, arg);
}

/* The same backwards, for a reverse DFA: from s[end - 1] down to s[0],
 * on(arg, st, i) for each accepting state st reached at s[i]. */
static inline __attribute__((always_inline)) void dfa_table_walk_back(const struct dfa_table *t,
								       const unsigned char *s, size_t end,
								       void (*on)(void *arg, uint32_t st, size_t i),
								       void *arg)
{
	uint32_t st = t->start;
	for (size_t i = end; i-- > 0;) {
		st = dfa_table_step(t, st, s[i]);
		if (dfa_table_goes_on(t, st))
			continue;
		if (dfa_table_dead(t, st))
			return;
		on(arg, st, i);
	}
}

/* The ids an accepting state reports: *n of them. */
static inline const uint32_t *dfa_table_ids(const struct dfa_table *t, uint32_t st, uint16_t *n)
{
	uint32_t k = st >> t->shift;
	*n = t->acc_n[k];
	return t->acc + t->acc_off[k];
}

/* Where a run from the bytes c0 c1 stands after them, for a table given
 * these (dfa_add_pair_states; else t->pair is NULL): 0 when it cannot
 * report anything (most token starts: words of prose, keys, hex die at
 * their second byte), DFA_PAIR_WALK when it may report after one of them
 * (walk from the start), else its state's index + 1
 * (dfa_table_pair_state): the run goes on from there, two dependent loads
 * fewer on its chain. */
#define DFA_PAIR_WALK UINT16_MAX
static inline uint16_t dfa_table_pair(const struct dfa_table *t, unsigned char c0, unsigned char c1)
{
	return t->pair[(unsigned)c0 << 8 | c1];
}

static inline uint32_t dfa_table_pair_state(const struct dfa_table *t, uint16_t e)
{
	return (uint32_t)(e - 1) << t->shift;
}

/* Give d's run table dfa_table_pair (128 KiB): for the DFA that is run
 * from every token start. False, with none given, for a DFA of
 * DFA_PAIR_WALK - 1 states or more. */
bool dfa_add_pair_states(struct dfa *d);

/* Digit runs. Inside a run of digits no match ends (a value is a whole
 * token), so what a run from a digit can report depends only on the
 * states its digits lead to and the byte after them: for a run that starts
 * with the digit d and whose digits end after exactly n of them (0 < n <
 * DFA_DRUN_MAX), the states every n-digit string from d leads to (a subset
 * construction over the digits) say whether
 * - it goes on past the digits: some state goes on with the next byte
 *   (bit c of cont);
 * - it reports at their end: some state accepts (any_accept);
 * - and what: when every n-digit string from d survives to a state that
 *   accepts the same ids, accept is one of them (else dead).
 * So a 13-digit timestamp is passed over, and a 19-digit order number or
 * a 15-digit IMEI is reported without a walk, wherever no rule reads on. */
#define DFA_DRUN_MAX 32
struct dfa_drun {
	uint8_t cont[32];
	uint32_t accept;
	bool any_accept;
};

static inline const struct dfa_drun *dfa_table_drun(const struct dfa_table *t, unsigned d, unsigned n)
{
	return &t->drun[d * DFA_DRUN_MAX + n];
}

static inline bool dfa_drun_goes_on(const struct dfa_drun *r, unsigned char c)
{
	return r->cont[c >> 3] >> (c & 7) & 1;
}

/* Where the first digit leaves the accept open (an 11-digit run from 1 is
 * a mobile number only from 13 on), the first two may settle it: for runs
 * of exactly n >= 2 digits from d d2, the accepting state every one of
 * them reaches alike, DFA_DRUN_NONE when none accepts, or dead (they
 * differ: walk). Whether the run goes on past its digits is the one-digit
 * row's to say. */
#define DFA_DRUN_NONE UINT32_MAX
static inline uint32_t dfa_table_drun2(const struct dfa_table *t, unsigned d, unsigned d2, unsigned n)
{
	return t->drun2[(d * 10 + d2) * DFA_DRUN_MAX + n];
}

/* A DFA whose matches are the runs of one byte class: C{min,max}, every
 * length from min on accepting (max UINT32_MAX: no bound). A walk of it
 * is then a count of the bytes in C, which needs no chain of dependent
 * loads (the e-mail rule's local part, walked back from its '@'). */
struct dfa_class_run {
	uint8_t in[256];   /* C */
	uint32_t min, max;
};

/* Whether t is such a DFA; *run says which. */
bool dfa_table_class_run(const struct dfa_table *t, struct dfa_class_run *run);

/* The bytes some pattern can start with: first[c] != 0 (the token-start
 * pass's first-byte set, tokstart.c). */
const uint8_t *dfa_first(const struct dfa *d);

#endif
