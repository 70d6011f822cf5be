/* The rule set: loads the YAML rule files of a directory (one family per
 * file) into an immutable table that every later stage reads. This is the
 * only module that knows the rule file schema (rules/README.md). */
#ifndef PIISCAN_RULES_H
#define PIISCAN_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "validate.h"

#define RULE_CATEGORIES(X)                 \
	X(BASIC, "basic")                  \
	X(IDENTITY, "identity")            \
	X(FINANCIAL, "financial")          \
	X(NETWORK, "network")              \
	X(DEVICE, "device")                \
	X(LOCATION, "location")            \
	X(VEHICLE, "vehicle")              \
	X(ORGANIZATION, "organization")    \
	X(CREDENTIALS, "credentials")

enum rule_category {
#define RULE_CATEGORY_ENUM(c, s) RULE_CATEGORY_##c,
	RULE_CATEGORIES(RULE_CATEGORY_ENUM)
#undef RULE_CATEGORY_ENUM
	RULE_CATEGORY_COUNT_
};

struct strlist {
	char **v;
	size_t n;
};

struct rule {
	char *id;
	char *name;
	enum rule_category category;
	bool sensitive;
	bool weak;                       /* reported at 'likely' only with context */
	/* scope: field — the validator judges whole values of fields whose
	 * name holds one of field_words; there is no pattern. */
	bool field_scope;
	int priority;
	char *pattern;                   /* Hyperscan syntax */
	const struct validator *validator;  /* NULL: none */
	struct strlist hotwords;         /* lower-cased */
	struct strlist field_words;      /* lower-cased */
	struct strlist examples;
	struct strlist negative_examples;
	struct strlist references;
	char *file;                      /* the rule file, for messages */
	unsigned line;
};

struct ruleset {
	struct rule *rules;
	size_t n;
	char *dir;
	char id[64];                     /* "<dir name>-<hash prefix>" */
	uint8_t hash[16];                /* XXH3-128 over every file's name and text */
	char hash_hex[33];
};

/* The name of a category ("financial"). */
const char *rule_category_name(enum rule_category c);

/* Load every *.yaml file in dir except policy.yaml, sorted by name, into a
 * new rule set (*out). Returns 0, or a negative code with errbuf naming the
 * file, line and rule id at fault. */
int ruleset_load(const char *dir, struct ruleset **out, char *errbuf, size_t errbuf_len);

void ruleset_free(struct ruleset *rs);

/* The rule with this id, or NULL. */
const struct rule *ruleset_find(const struct ruleset *rs, const char *id);

/* Where the shipped rules are for the running binary: "<exe dir>/../rules"
 * in a checkout, else "<exe dir>/../share/piiscan/rules" once installed.
 * Writes the first that exists into dst; returns 0 or -1. */
int ruleset_default_dir(char *dst, size_t dst_len);

#endif
