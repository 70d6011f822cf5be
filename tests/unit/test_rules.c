/* Unit tests for the rule loader (scanner/rules.c): rule files written to a
 * temporary directory, loaded, and either read back as written or refused
 * with a message naming the file, line and rule; directory handling and the
 * rule-set id. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "harness.h"
#include "rules.h"

static char dir[] = "/tmp/piiscan-rules-test-XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (!fp)
		return;
	fputs(text, fp);
	fclose(fp);
}

static void empty_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
}

#define RULE_HEAD "rules:\n  - id: r1\n    name: one\n    category: basic\n    sensitive: false\n"

static void test_load_valid(void)
{
	empty_dir();
	put("a.yaml", RULE_HEAD
		      "    pattern: '[0-9]{6}'\n"
		      "    validator: cn_mobile\n"
		      "    weak: yes\n"
		      "    priority: -5\n"
		      "    context:\n"
		      "      hotwords: 'Phone NO'\n"
		      "      fields: [Mobile_Phone, '手机']\n"
		      "    examples: ['123456', '654321']\n"
		      "    negative_examples: '000000'\n"
		      "    references: []\n"
		      "  - id: r2\n    name: two\n    category: credentials\n    sensitive: true\n    pattern: x\n");
	put("policy.yaml", "not: a rule file\n");
	put(".hidden.yaml", "also: not\n");
	put("notes.txt", "ignored\n");
	struct ruleset *rs;
	char eb[256] = "";
	int rc = ruleset_load(dir, &rs, eb, sizeof eb);
	CHECK_MSG(rc == 0, "rc %d: %s", rc, eb);
	if (rc)
		return;
	CHECK_INT(rs->n, 2);
	const struct rule *r = ruleset_find(rs, "r1");
	CHECK(r == &rs->rules[0]);
	CHECK_STR(r->name, "one");
	CHECK_INT(r->category, RULE_CATEGORY_BASIC);
	CHECK(!r->sensitive && r->weak);
	CHECK_INT(r->priority, -5);
	CHECK_STR(r->pattern, "[0-9]{6}");
	CHECK(r->validator == validator_find("cn_mobile"));
	CHECK_INT(r->hotwords.n, 1);
	CHECK_STR(r->hotwords.v[0], "phone no");         /* lower-cased */
	CHECK_INT(r->field_words.n, 2);
	CHECK_STR(r->field_words.v[0], "mobile_phone");
	CHECK_STR(r->field_words.v[1], "手机");
	CHECK_INT(r->examples.n, 2);
	CHECK_STR(r->examples.v[1], "654321");            /* as written */
	CHECK_INT(r->negative_examples.n, 1);
	CHECK_INT(r->references.n, 0);
	CHECK_INT(r->line, 2);
	CHECK(strstr(r->file, "a.yaml") != NULL);
	r = ruleset_find(rs, "r2");
	CHECK(r && r->sensitive && !r->weak && r->priority == 0 && !r->validator);
	CHECK_INT(r ? (int)r->category : -1, RULE_CATEGORY_CREDENTIALS);
	CHECK(ruleset_find(rs, "r3") == NULL);
	CHECK_STR(rule_category_name(RULE_CATEGORY_FINANCIAL), "financial");
	CHECK_STR(rule_category_name(RULE_CATEGORY_COUNT_), "unknown");

	/* The id is the directory name and a hash prefix; the hash covers the
	 * text, comments included. */
	const char *base = strrchr(dir, '/') + 1;
	CHECK(!strncmp(rs->id, base, strlen(base)) && rs->id[strlen(base)] == '-');
	CHECK_INT(strlen(rs->id), strlen(base) + 1 + 12);
	CHECK_INT(strlen(rs->hash_hex), 32);
	char id1[64];
	snprintf(id1, sizeof id1, "%s", rs->id);
	ruleset_free(rs);
	put("a.yaml", "# a comment\n" RULE_HEAD "    pattern: x\n");
	CHECK_INT(ruleset_load(dir, &rs, eb, sizeof eb), 0);
	CHECK(strcmp(rs->id, id1) != 0);
	ruleset_free(rs);
	ruleset_free(NULL);
}

/* Files load in name order, and ids are unique across them. */
static void test_load_files(void)
{
	empty_dir();
	put("b.yaml", "rules:\n  - {id: b, name: b, category: basic, sensitive: no, pattern: b}\n");
	put("a.yaml", "rules:\n  - {id: a, name: a, category: basic, sensitive: no, pattern: a}\n");
	struct ruleset *rs;
	char eb[256];
	CHECK_INT(ruleset_load(dir, &rs, eb, sizeof eb), 0);
	CHECK(rs->n == 2 && !strcmp(rs->rules[0].id, "a") && !strcmp(rs->rules[1].id, "b"));
	ruleset_free(rs);

	put("c.yaml", "rules:\n  - {id: c, name: c, category: basic, sensitive: no, pattern: c}\n"
		      "  - {id: a, name: again, category: basic, sensitive: no, pattern: a}\n");
	eb[0] = '\0';
	CHECK_INT(ruleset_load(dir, &rs, eb, sizeof eb), PIISCAN_ERR_RULES);
	CHECK_MSG(strstr(eb, "c.yaml:3: rule 'a': duplicate id (first in") && strstr(eb, "a.yaml:2"), "%s", eb);

	empty_dir();
	eb[0] = '\0';
	CHECK_INT(ruleset_load(dir, &rs, eb, sizeof eb), PIISCAN_ERR_RULES);
	CHECK_MSG(strstr(eb, "no *.yaml rule files") != NULL, "%s", eb);

	char missing[300];
	snprintf(missing, sizeof missing, "%s/none", dir);
	eb[0] = '\0';
	CHECK_INT(ruleset_load(missing, &rs, eb, sizeof eb), PIISCAN_ERR_OPEN);
	CHECK_MSG(strstr(eb, missing) != NULL, "%s", eb);
}

/* Every mistake is refused, naming file:line and the rule. */
static void test_load_errors(void)
{
	static const struct {
		const char *text;
		const char *want;   /* a part of the message */
	} rows[] = {
		{ "rules:\n  - name: x\n", "x.yaml:2: rule '?': missing 'id'" },
		{ "rules:\n  - id: Bad-Id\n", "x.yaml:2: rule 'Bad-Id': id must match [a-z0-9_]+" },
		{ "rules:\n  - id: ''\n", "id must match" },
		{ "rules:\n  - x\n", "x.yaml:2: rule '?': a rule must be a mapping" },
		{ RULE_HEAD "    pattern: x\n    colour: red\n", "x.yaml:7: rule 'r1': unknown key 'colour'" },
		{ RULE_HEAD "    pattern: ''\n", "'pattern' must be a non-empty string" },
		{ RULE_HEAD, "x.yaml:2: rule 'r1': missing 'pattern'" },
		{ "rules:\n  - id: r1\n    category: basic\n    sensitive: false\n    pattern: x\n", "missing 'name'" },
		{ "rules:\n  - id: r1\n    name: n\n    sensitive: false\n    pattern: x\n", "missing 'category'" },
		{ "rules:\n  - id: r1\n    name: n\n    category: basic\n    pattern: x\n", "missing 'sensitive'" },
		{ "rules:\n  - id: r1\n    name: n\n    category: health\n", "x.yaml:4: rule 'r1': unknown category 'health'" },
		{ RULE_HEAD "    pattern: x\n    sensitive: maybe\n", "'sensitive' must be true or false" },
		{ RULE_HEAD "    pattern: x\n    weak: 1\n", "'weak' must be true or false" },
		{ RULE_HEAD "    pattern: x\n    priority: 1001\n", "'priority' must be an integer in -1000..1000" },
		{ RULE_HEAD "    pattern: x\n    priority: 5x\n", "'priority' must be an integer" },
		{ RULE_HEAD "    pattern: x\n    validator: luhn9\n", "x.yaml:7: rule 'r1': unknown validator 'luhn9'" },
		{ RULE_HEAD "    pattern: x\n    context: [a]\n", "'context' must be a mapping" },
		{ RULE_HEAD "    pattern: x\n    context:\n      words: [a]\n", "unknown context key 'words'" },
		{ RULE_HEAD "    pattern: x\n    context:\n      hotwords: {a: b}\n", "'context.hotwords' must be a list of strings" },
		{ RULE_HEAD "    pattern: x\n    examples: [a, [b]]\n", "'examples' must hold strings only" },
		{ RULE_HEAD "    pattern: [x]\n", "'pattern' must be a non-empty string" },
		{ RULE_HEAD "    name: [x]\n", "'name' must be a string" },
		{ "rules:\n  - id: r1\n    ? [k]\n    : v\n", "keys must be strings" },
		{ "rules: {}\n", "the file must be a mapping with a 'rules' list" },
		{ "- a\n- b\n", "the file must be a mapping with a 'rules' list" },
		{ "", "the file must be a mapping with a 'rules' list" },
		{ "rules: [\n  - id: x\n", "x.yaml:" },                 /* YAML syntax */
		{ "rules:\n\t- id: x\n", "x.yaml:2:" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		empty_dir();
		put("x.yaml", rows[i].text);
		struct ruleset *rs = NULL;
		char eb[512] = "";
		int rc = ruleset_load(dir, &rs, eb, sizeof eb);
		CHECK_MSG(rc == PIISCAN_ERR_RULES, "row %zu: rc %d", i, rc);
		CHECK_MSG(strstr(eb, rows[i].want) != NULL, "row %zu: \"%s\" lacks \"%s\"", i, eb, rows[i].want);
		if (!rc)
			ruleset_free(rs);
	}
}

/* Regression (scanner/rules.c, load_rule / load_strlist, fixed): a key
 * given twice in one rule was not refused. For a list key the second
 * load_strlist allocated for its own items but appended at out->n left by
 * the first (a heap-buffer-overflow write, NULL entries in the list, the
 * first array leaked); for a scalar key the first value leaked. Found by
 * fuzz_rules; the inputs are tests/fuzz/corpus/rules/regression-duplicate-*. */
static void test_duplicate_keys(void)
{
	static const char *const texts[] = {
		RULE_HEAD "    pattern: x\n    examples: [a]\n    examples: [b]\n",
		RULE_HEAD "    pattern: x\n    context:\n      hotwords: [a]\n      hotwords: [b, c]\n",
		RULE_HEAD "    pattern: x\n    pattern: y\n",
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		empty_dir();
		put("x.yaml", texts[i]);
		struct ruleset *rs = NULL;
		char eb[512] = "";
		int rc = ruleset_load(dir, &rs, eb, sizeof eb);
		CHECK_MSG(rc == PIISCAN_ERR_RULES, "duplicate key %zu loaded (rc %d)", i, rc);
		if (!rc) {
			const struct rule *r = &rs->rules[0];
			for (size_t k = 0; k < r->examples.n; k++)
				CHECK_MSG(r->examples.v[k] != NULL, "duplicate key %zu: examples[%zu] is NULL", i, k);
			for (size_t k = 0; k < r->hotwords.n; k++)
				CHECK_MSG(r->hotwords.v[k] != NULL, "duplicate key %zu: hotwords[%zu] is NULL", i, k);
			ruleset_free(rs);
		} else {
			CHECK_MSG(strstr(eb, "x.yaml:") && strstr(eb, "'r1'"), "%s", eb);
		}
	}
}

static void setup(void)
{
	CHECK(mkdtemp(dir) != NULL);
}

static void cleanup(void)
{
	empty_dir();
	rmdir(dir);
}

TEST_MAIN(setup, test_load_valid, test_load_files, test_load_errors, test_duplicate_keys, cleanup)
