/* Tally shards. */
#include "tally.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static const struct tally_field empty;

void tally_init(struct tally *t, size_t nrules)
{
	memset(t, 0, sizeof *t);
	t->nrules = nrules;
}

void tally_release(struct tally *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		free(t->f[i].by_rule);
		free(t->f[i].rule_records);
		free(t->f[i].rule_last);
		free(t->f[i].rule_rejected);
	}
	free(t->f);
	memset(t, 0, sizeof *t);
}

struct tally_field *tally_grow(struct tally *t, uint32_t field)
{
	size_t old = t->cap, ncap = old ? old : 64;
	while (ncap <= field)
		ncap *= 2;
	t->f = xrealloc(t->f, ncap * sizeof *t->f);
	memset(t->f + old, 0, (ncap - old) * sizeof *t->f);
	t->cap = ncap;
	return &t->f[field];
}

void tally_rules_alloc(struct tally_field *f, size_t nrules)
{
	if (f->by_rule)
		return;
	f->by_rule = xcalloc(nrules * 4, sizeof *f->by_rule);
	f->rule_records = xcalloc(nrules, sizeof *f->rule_records);
	f->rule_last = xcalloc(nrules, sizeof *f->rule_last);
	f->rule_rejected = xcalloc(nrules, sizeof *f->rule_rejected);
}


void tally_merge(struct tally *dst, const struct tally *src)
{
	for (size_t i = 0; i < src->cap; i++) {
		const struct tally_field *s = &src->f[i];
		if (!s->records_total && !s->records_matched && !s->by_rule)
			continue;
		struct tally_field *d = tally_slot(dst, (uint32_t)i);
		d->records_total += s->records_total;
		d->records_matched += s->records_matched;
		if (s->by_rule) {
			tally_rules_alloc(d, dst->nrules);
			for (size_t k = 0; k < dst->nrules * 4; k++)
				d->by_rule[k] += s->by_rule[k];
			/* A record lives in one chunk, so shards never share one. */
			for (size_t k = 0; k < dst->nrules; k++) {
				d->rule_records[k] += s->rule_records[k];
				d->rule_rejected[k] += s->rule_rejected[k];
			}
		}
	}
}

const struct tally_field *tally_get(const struct tally *t, uint32_t field)
{
	return field < t->cap ? &t->f[field] : &empty;
}
