/* Column classification, the decision of the aggregate stage: from the
 * evidence gathered across a field's records (the share of its non-empty
 * records that each rule matched, the share of the rule's candidates that
 * passed its validator, and whether the field's name hints at the rule),
 * which kind of personal data the field holds, if any, and how sure that
 * is. Pure functions; thread-safe. */
#ifndef PIISCAN_CLASSIFY_H
#define PIISCAN_CLASSIFY_H

#include <stdbool.h>

#include "field.h"
#include "finding.h"
#include "rules.h"
#include "tally.h"

struct classification {
	int rule;                    /* the winning rule's index, or -1: not tagged */
	int candidate;               /* the best rule even when not tagged, or -1 */
	enum confidence confidence;  /* CONFIDENCE_NONE when not tagged */
	double share;                /* records with the rule's findings / records with a value */
	double pass_rate;            /* the rule's candidates that passed its validator */
	bool name_hint;              /* the field's name holds one of the rule's field words */
};

void classify_field(const struct ruleset *rs, const struct field *f, const struct tally_field *tf,
		    struct classification *out);

#endif
