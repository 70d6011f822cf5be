/* For the framing targets (fuzz_csv, fuzz_json, fuzz_sql): the field table
 * and cache that records are split into. They live across inputs, each
 * input in sources of its own, and are renewed every FUZZ_FIELDS_RENEW
 * inputs: a new cache per input would cost more than the parsing under
 * test, and the renewal bounds the memory the names hold. */
#ifndef PIISCAN_FUZZ_FIELDS_H
#define PIISCAN_FUZZ_FIELDS_H

#include <stdint.h>

#include "field.h"
#include "rules.h"

#define FUZZ_FIELDS_RENEW 1024

static struct ruleset no_rules;   /* the field table needs no rules */
static struct fieldtab *ft;
static struct fieldcache *fc;

/* The fields for this input (ft, fc), and a number for its sources
 * (0..FUZZ_FIELDS_RENEW-1). */
static uint32_t fields_for_input(void)
{
	static unsigned inputs;
	if (inputs % FUZZ_FIELDS_RENEW == 0) {
		fieldcache_free(fc);
		fieldtab_free(ft);
		ft = fieldtab_new(&no_rules);
		fc = fieldcache_new(ft);
	}
	return inputs++ % FUZZ_FIELDS_RENEW;
}

#endif
