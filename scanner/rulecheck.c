/* Running rule examples through the engine. */
#include "rulecheck.h"

#include <stdlib.h>
#include <string.h>

#include "attribute.h"
#include "chunk.h"
#include "field.h"
#include "fingerprint.h"
#include "source.h"
#include "util.h"

struct seen {
	uint8_t *rules;     /* per rule: found */
	size_t n;
};

static void on_finding(void *arg, const struct finding *f, uint32_t rule)
{
	struct seen *s = arg;
	(void)f;
	s->rules[rule] = 1;
}

static void run_one(struct attributor *at, struct source *src, const char *text, struct seen *s)
{
	struct chunk ck;
	struct tally t;
	uint32_t recs[2] = { 0, (uint32_t)strlen(text) };
	memset(&ck, 0, sizeof ck);
	buf_init(&ck.data);
	buf_init(&ck.out);
	buf_append(&ck.data, text, strlen(text));
	ck.src = src;
	ck.first_record = 1;
	ck.recs = recs;
	ck.nrec = 1;
	memset(s->rules, 0, s->n);
	tally_init(&t, s->n);
	attribute_chunk(at, &ck, &t);
	tally_release(&t);
	buf_release(&ck.data);
	buf_release(&ck.out);
}

int rulecheck_run(const struct hsdb *db, FILE *out, FILE *err)
{
	const struct ruleset *rs = hsdb_ruleset(db);
	struct fingerprint_key key;
	char eb[256];
	struct seen s = { xcalloc(rs->n ? rs->n : 1, 1), rs->n };
	struct fieldtab *ft = fieldtab_new(rs);
	struct source *src = source_new(0, "(example)");
	/* Rules with scope: field are tried as the value of a field named by
	 * their first field word. */
	struct source *fsrc = source_new(1, "(field example)");
	uint32_t col = 0;
	int failures = 0, checks = 0;

	fingerprint_key_load(&key, NULL, eb, sizeof eb);
	src->format = FORMAT_TEXT;
	src->unnamed_field = fieldtab_intern(ft, 0, NULL, 0);
	fsrc->format = FORMAT_TSV;
	fsrc->unnamed_field = fieldtab_intern(ft, 1, NULL, 0);
	fsrc->colfield = &col;
	fsrc->ncols = 1;
	struct attribute_config cfg = {
		.db = db, .fields = ft, .key = &key, .min_confidence = CONFIDENCE_POSSIBLE,
		.on_finding = on_finding, .on_finding_arg = &s,
	};
	struct attributor *at = attributor_new(&cfg);

	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		struct source *esrc = src;
		if (r->field_scope) {
			col = fieldtab_intern(ft, 1, r->field_words.v[0], strlen(r->field_words.v[0]));
			esrc = fsrc;
		}
		if (!r->examples.n) {
			fprintf(err, "%s:%u: rule '%s': has no examples\n", r->file, r->line, r->id);
			failures++;
		}
		for (size_t k = 0; k < r->examples.n; k++) {
			run_one(at, esrc, r->examples.v[k], &s);
			checks++;
			if (!s.rules[i]) {
				/* The example itself is rule data the author wrote, not
				 * scanned data, so it may be shown. */
				fprintf(err, "%s:%u: rule '%s': example %zu is not found: \"%s\"", r->file,
					r->line, r->id, k + 1, r->examples.v[k]);
				for (size_t o = 0; o < rs->n; o++)
					if (s.rules[o])
						fprintf(err, " (reported as '%s')", rs->rules[o].id);
				fputc('\n', err);
				failures++;
			}
		}
		for (size_t k = 0; k < r->negative_examples.n; k++) {
			run_one(at, esrc, r->negative_examples.v[k], &s);
			checks++;
			if (s.rules[i]) {
				fprintf(err, "%s:%u: rule '%s': negative example %zu is reported: \"%s\"\n",
					r->file, r->line, r->id, k + 1, r->negative_examples.v[k]);
				failures++;
			}
		}
	}
	fprintf(out, "%zu rules, %d examples checked, %d failure(s)\n", rs->n, checks, failures);
	attributor_free(at);
	source_free(src);
	fsrc->colfield = NULL;
	source_free(fsrc);
	fieldtab_free(ft);
	free(s.rules);
	return failures;
}

void rulecheck_list(const struct ruleset *rs, FILE *out)
{
	fprintf(out, "%-20s %-13s %-9s %-5s %-8s %-16s %s\n", "ID", "CATEGORY", "SENSITIVE", "WEAK",
		"PRIORITY", "VALIDATOR", "NAME");
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		fprintf(out, "%-20s %-13s %-9s %-5s %-8d %-16s %s\n", r->id, rule_category_name(r->category),
			r->sensitive ? "yes" : "no", r->weak ? "yes" : "no", r->priority,
			r->validator ? r->validator->name : "-", r->name);
	}
	fprintf(out, "%zu rules from %s (rule set %s)\n", rs->n, rs->dir, rs->id);
}
