/* The aggregate stage: per field, how many records have a value, how many
 * hold a finding, and how many findings each rule made at each confidence.
 * Each worker owns a shard; shards merge once at the end. A shard is not
 * thread-safe. */
#ifndef PIISCAN_TALLY_H
#define PIISCAN_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "finding.h"

struct tally_field {
	uint64_t records_total;
	uint64_t records_matched;
	uint64_t last_total;      /* record last counted + 1 (0: none; a Kafka offset
	                             can be 0), so a record counts once */
	uint64_t last_matched;
	uint64_t *by_rule;        /* nrules x 4 confidences, NULL until a finding */
	/* Per rule, allocated with by_rule: records holding a finding of it,
	 * the last such record + 1 (so each counts once), and candidates of it
	 * that matched the pattern but failed its validator. */
	uint64_t *rule_records;
	uint64_t *rule_last;
	uint64_t *rule_rejected;
};

struct tally {
	size_t nrules;
	struct tally_field *f;    /* indexed by field id */
	size_t cap;
};

void tally_init(struct tally *t, size_t nrules);
void tally_release(struct tally *t);

/* The field has a non-empty value in record. */
static inline void tally_value(struct tally *t, uint32_t field, uint64_t record);
/* A finding of rule at confidence c in field, record. */
static inline void tally_finding(struct tally *t, uint32_t field, uint64_t record, uint32_t rule,
				 enum confidence c);
/* A candidate of rule in field matched the pattern but failed the
 * validator (evidence for the column's classification). */
static inline void tally_reject(struct tally *t, uint32_t field, uint32_t rule);
/* Add src into dst. */
void tally_merge(struct tally *dst, const struct tally *src);

/* The two calls made per value and per finding, inline: the slot of a
 * field seen before and its rule counters are there already. */
struct tally_field *tally_grow(struct tally *t, uint32_t field);
void tally_rules_alloc(struct tally_field *f, size_t nrules);

static inline struct tally_field *tally_slot(struct tally *t, uint32_t field)
{
	return field < t->cap ? &t->f[field] : tally_grow(t, field);
}

static inline void tally_value(struct tally *t, uint32_t field, uint64_t record)
{
	struct tally_field *f = tally_slot(t, field);
	if (f->last_total != record + 1) {
		f->last_total = record + 1;
		f->records_total++;
	}
}

static inline void tally_finding(struct tally *t, uint32_t field, uint64_t record, uint32_t rule,
				 enum confidence c)
{
	struct tally_field *f = tally_slot(t, field);
	if (!f->by_rule)
		tally_rules_alloc(f, t->nrules);
	f->by_rule[rule * 4 + c]++;
	if (f->rule_last[rule] != record + 1) {
		f->rule_last[rule] = record + 1;
		f->rule_records[rule]++;
	}
	if (f->last_matched != record + 1) {
		f->last_matched = record + 1;
		f->records_matched++;
	}
}

static inline void tally_reject(struct tally *t, uint32_t field, uint32_t rule)
{
	struct tally_field *f = tally_slot(t, field);
	if (!f->by_rule)
		tally_rules_alloc(f, t->nrules);
	f->rule_rejected[rule]++;
}

/* The counts of field (zeroes if it never got any). */
const struct tally_field *tally_get(const struct tally *t, uint32_t field);

#endif
