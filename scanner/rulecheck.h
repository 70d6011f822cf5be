/* `piiscan rules check` and `piiscan rules list`: every rule's examples and
 * negative examples run through the whole engine (scan, validate,
 * attribute), the way a line of a text export would be. */
#ifndef PIISCAN_RULECHECK_H
#define PIISCAN_RULECHECK_H

#include <stdio.h>

#include "hsdb.h"

/* Run every example (each must yield a finding of its rule, at any
 * confidence, after a value that fits several rules has been resolved)
 * and negative example (none of its rule). Failures are printed to err.
 * Returns the number of failures. */
int rulecheck_run(const struct hsdb *db, FILE *out, FILE *err);

/* Print the rules as a table. */
void rulecheck_list(const struct ruleset *rs, FILE *out);

#endif
