/* For the targets that scan with the shipped rules (fuzz_engines,
 * fuzz_lines, fuzz_scan): the rule set and its databases, read from
 * $PIISCAN_RULES or ./rules and compiled once, without the cache. */
#ifndef PIISCAN_FUZZ_RULES_H
#define PIISCAN_FUZZ_RULES_H

#include <stdio.h>
#include <stdlib.h>

#include "hsdb.h"
#include "rules.h"

/* Load them or abort, naming the target. */
static void fuzz_load_rules(const char *target, struct ruleset **rs, struct hsdb **db)
{
	const char *dir = getenv("PIISCAN_RULES");
	char eb[512];
	if (ruleset_load(dir ? dir : "rules", rs, eb, sizeof eb) || hsdb_load(*rs, "", db, eb, sizeof eb)) {
		fprintf(stderr, "%s: %s (run from the repository root or set PIISCAN_RULES)\n", target, eb);
		abort();
	}
}

#endif
