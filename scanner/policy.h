/* The archive/destroy policy (rules/policy.yaml): for each tagged field of
 * a manifest, the action the later stages take and, for an archive, the
 * date until which the data must be kept. Immutable once loaded. */
#ifndef PIISCAN_POLICY_H
#define PIISCAN_POLICY_H

#include <stddef.h>

#include "rules.h"

enum policy_action {
	POLICY_DESTROY,
	POLICY_ARCHIVE,
};

struct policy_decision {
	enum policy_action action;
	int years, months, days;     /* retention, for an archive */
	const char *reference;       /* the legal reference of the entry */
	const char *matched;         /* "field:GLOB", "rule:ID", "category:NAME" or "default" */
};

struct policy;

/* Load a policy file; rule ids it names must exist in rs. Returns 0 or a
 * negative code with errbuf naming the file, line and problem. */
int policy_load(const char *path, const struct ruleset *rs, struct policy **out,
		char *errbuf, size_t errbuf_len);
void policy_free(struct policy *p);

/* The decision for a field named field_name (may be NULL) classified as rule. */
void policy_decide(const struct policy *p, const struct rule *rule, size_t rule_index,
		   const char *field_name, struct policy_decision *out);

/* The policy file's path and the XXH3-128 of its text (hex). */
const char *policy_path(const struct policy *p);
const char *policy_hash(const struct policy *p);

/* Add the decision's retention to the date y-m-d (months and days roll
 * over; the 29th of February plus a year is the 28th) and write
 * YYYY-MM-DD to dst (11 bytes). */
void policy_retain_until(const struct policy_decision *d, int y, int m, int day, char dst[11]);

#endif
