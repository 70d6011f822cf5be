/* libFuzzer target for the scan engines: the fast path (token starts found
 * with vector compares, the DFA from them with its first-two-bytes table,
 * rules split at a literal byte, Hyperscan for the rest) must report
 * exactly the matches of the reference engine (every pattern over every
 * byte in one Hyperscan database with start-of-match tracking): rule,
 * start, end and verdict of each, in the same order. The input is the
 * block, as is. The rules are read from $PIISCAN_RULES or ./rules and
 * compiled once, without the cache. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_rules.h"
#include "hsdb.h"
#include "rules.h"
#include "scan.h"

static struct ruleset *rs;
static struct hsdb *db;
static struct scanner *fast, *ref;
static struct match *copy;
static size_t copy_cap;

static void init(void)
{
	fuzz_load_rules("fuzz_engines", &rs, &db);
	fast = scanner_new_engine(db, SCAN_ENGINE_FAST);
	ref = scanner_new_engine(db, SCAN_ENGINE_REFERENCE);
	FUZZ_ASSERT(fast && ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rs)
		init();
	const struct match *a, *b;
	size_t na, nb;
	FUZZ_ASSERT(scanner_scan(fast, (const char *)data, size, &a, &na) == 0);
	if (na > copy_cap) {
		copy_cap = na;
		copy = realloc(copy, copy_cap * sizeof *copy);
		FUZZ_ASSERT(copy != NULL);
	}
	if (na)
		memcpy(copy, a, na * sizeof *copy);
	FUZZ_ASSERT(scanner_scan(ref, (const char *)data, size, &b, &nb) == 0);
	if (na != nb) {
		fprintf(stderr, "fuzz_engines: fast %zu matches, reference %zu\n", na, nb);
		FUZZ_ASSERT(na == nb);
	}
	for (size_t i = 0; i < na; i++) {
		if (copy[i].rule != b[i].rule || copy[i].start != b[i].start || copy[i].end != b[i].end ||
		    copy[i].verdict != b[i].verdict)
			fprintf(stderr, "fuzz_engines: match %zu: fast %s [%u,%u) %d, reference %s [%u,%u) %d\n", i,
				rs->rules[copy[i].rule].id, copy[i].start, copy[i].end, (int)copy[i].verdict,
				rs->rules[b[i].rule].id, b[i].start, b[i].end, (int)b[i].verdict);
		FUZZ_ASSERT(copy[i].rule == b[i].rule && copy[i].start == b[i].start && copy[i].end == b[i].end &&
			    copy[i].verdict == b[i].verdict);
	}
	return 0;
}
