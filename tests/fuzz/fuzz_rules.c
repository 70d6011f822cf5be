/* libFuzzer target for the rule loader (scanner/rules.c, over libyaml): the
 * input is written to a temporary directory as a .yaml rule file and
 * loaded. A load either fails with a message or gives rules whose required
 * parts are all there and whose ids are valid and unique; the field table
 * then computes every rule's field words against a few names. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "field.h"
#include "fuzz.h"
#include "rules.h"

static void check_list(const struct strlist *l)
{
	for (size_t k = 0; k < l->n; k++)
		FUZZ_ASSERT(l->v[k] != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A directory of one file per input, removed before the checks, so
	 * neither a crash nor libFuzzer's exit leaves more than one behind. */
	char dir[64], path[96];
	snprintf(dir, sizeof dir, "/tmp/piiscan-fuzz-rules-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/rules.yaml", dir);
	FILE *fp = fopen(path, "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);

	struct ruleset *rs = NULL;
	char eb[512];
	eb[0] = '\0';
	int rc = ruleset_load(dir, &rs, eb, sizeof eb);
	unlink(path);
	rmdir(dir);
	if (rc) {
		FUZZ_ASSERT(rc < 0);
		FUZZ_ASSERT(eb[0] != '\0');
		FUZZ_ASSERT(memchr(eb, '\0', sizeof eb) != NULL);
		return 0;
	}
	FUZZ_ASSERT(rs != NULL);
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		FUZZ_ASSERT(r->id && r->id[0]);
		for (const char *c = r->id; *c; c++)
			FUZZ_ASSERT((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
		FUZZ_ASSERT(r->name);
		if (r->field_scope)
			FUZZ_ASSERT(!r->pattern && r->validator && r->field_words.n);
		else
			FUZZ_ASSERT(r->pattern && r->pattern[0]);
		FUZZ_ASSERT((unsigned)r->category < RULE_CATEGORY_COUNT_);
		FUZZ_ASSERT(r->priority >= -1000 && r->priority <= 1000);
		FUZZ_ASSERT(ruleset_find(rs, r->id) == r);
		check_list(&r->hotwords);
		check_list(&r->field_words);
		check_list(&r->examples);
		check_list(&r->negative_examples);
		check_list(&r->references);
		for (size_t k = 0; k < r->hotwords.n; k++)
			for (const char *c = r->hotwords.v[k]; *c; c++)
				FUZZ_ASSERT(!(*c >= 'A' && *c <= 'Z'));
	}
	/* Field words of every rule against some names, through the table. */
	static const char *const names[] = { "mobile", "user_id_card", "idCard", "手机号", "", "a.b.c", "EMAIL" };
	struct fieldtab *ft = fieldtab_new(rs);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		fieldtab_intern(ft, 0, names[i], strlen(names[i]));
	for (size_t i = 0; i < rs->n; i++)
		for (size_t k = 0; k < rs->rules[i].field_words.n; k++)
			fieldtab_intern(ft, 1, rs->rules[i].field_words.v[k], strlen(rs->rules[i].field_words.v[k]));
	fieldtab_free(ft);
	ruleset_free(rs);
	return 0;
}
