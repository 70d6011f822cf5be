/* Rule file loading with libyaml's document API. Every rule is checked for
 * its required keys here, so later stages can trust the table. */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <yaml.h>

#include "error.h"
#include "util.h"

static const char *category_names[] = {
#define RULE_CATEGORY_NAME(c, s) s,
	RULE_CATEGORIES(RULE_CATEGORY_NAME)
#undef RULE_CATEGORY_NAME
};

const char *rule_category_name(enum rule_category c)
{
	return (unsigned)c < RULE_CATEGORY_COUNT_ ? category_names[c] : "unknown";
}

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void rule_release(struct rule *r)
{
	free(r->id);
	free(r->name);
	free(r->pattern);
	free(r->file);
	strlist_free(&r->hotwords);
	strlist_free(&r->field_words);
	strlist_free(&r->examples);
	strlist_free(&r->negative_examples);
	strlist_free(&r->references);
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_release(&rs->rules[i]);
	free(rs->rules);
	free(rs->dir);
	free(rs);
}

const struct rule *ruleset_find(const struct ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return &rs->rules[i];
	return NULL;
}

struct loader {
	yaml_document_t doc;
	const char *path;
	char *errbuf;
	size_t errbuf_len;
};

static int fail(struct loader *ld, const yaml_node_t *node, const char *rule_id,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct loader *ld, const yaml_node_t *node, const char *rule_id,
		const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(ld->errbuf, ld->errbuf_len, "%s:%lu: rule '%s': %s", ld->path,
		 node ? (unsigned long)node->start_mark.line + 1 : 0UL,
		 rule_id ? rule_id : "?", msg);
	return PIISCAN_ERR_RULES;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int load_strlist(struct loader *ld, yaml_node_t *n, struct strlist *out,
			bool lower, const char *rule_id, const char *key)
{
	strlist_free(out); /* a repeated key: the error comes after the loop */
	if (n->type == YAML_SCALAR_NODE) {
		if (lower && !*scalar(n))
			return fail(ld, n, rule_id, "'%s' holds an empty word", key);
		out->v = xmalloc(sizeof *out->v);
		out->v[0] = xstrdup(scalar(n));
		out->n = 1;
		if (lower)
			lower_ascii(out->v[0]);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(ld, n, rule_id, "'%s' must be a list of strings", key);
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	out->v = xcalloc(count ? count : 1, sizeof *out->v);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(&ld->doc, *it);
		const char *s = scalar(item);
		if (!s)
			return fail(ld, item, rule_id, "'%s' must hold strings only", key);
		if (!*s && lower)
			return fail(ld, item, rule_id, "'%s' holds an empty word", key);
		out->v[out->n] = xstrdup(s);
		if (lower)
			lower_ascii(out->v[out->n]);
		out->n++;
	}
	return 0;
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "yes")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no")) {
		*out = false;
		return true;
	}
	return false;
}

static bool valid_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* A key that appears twice in one mapping is an error, not a silent
 * override (YAML leaves it to the application). */
static const char *duplicate_key(struct loader *ld, yaml_node_t *map)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&ld->doc, p->key));
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; k && q < p; q++) {
			const char *k2 = scalar(yaml_document_get_node(&ld->doc, q->key));
			if (k2 && !strcmp(k, k2))
				return k;
		}
	}
	return NULL;
}

static int load_rule(struct loader *ld, yaml_node_t *map, struct rule *r)
{
	const char *id = NULL;
	bool have_category = false, have_sensitive = false;
	int rc;

	if (map->type != YAML_MAPPING_NODE)
		return fail(ld, map, NULL, "a rule must be a mapping");
	r->line = (unsigned)map->start_mark.line + 1;
	r->file = xstrdup(ld->path);
	/* The id first, so every later message can name the rule. */
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&ld->doc, p->key));
		if (k && !strcmp(k, "id"))
			id = scalar(yaml_document_get_node(&ld->doc, p->value));
	}
	if (!id)
		return fail(ld, map, NULL, "missing 'id'");
	const char *dup;
	if (!valid_id(id))
		return fail(ld, map, id, "id must match [a-z0-9_]+");
	r->id = xstrdup(id);

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(&ld->doc, p->value);
		const char *k = scalar(kn), *v = scalar(vn);
		if (!k)
			return fail(ld, kn, id, "keys must be strings");
		if (!strcmp(k, "id")) {
			continue;
		} else if (!strcmp(k, "name")) {
			if (!v)
				return fail(ld, vn, id, "'name' must be a string");
			free(r->name);
			r->name = xstrdup(v);
		} else if (!strcmp(k, "category")) {
			size_t c;
			for (c = 0; c < RULE_CATEGORY_COUNT_; c++)
				if (v && !strcmp(v, category_names[c]))
					break;
			if (c == RULE_CATEGORY_COUNT_)
				return fail(ld, vn, id, "unknown category '%s'", v ? v : "");
			r->category = (enum rule_category)c;
			have_category = true;
		} else if (!strcmp(k, "sensitive") || !strcmp(k, "weak")) {
			bool b;
			if (!v || !parse_bool(v, &b))
				return fail(ld, vn, id, "'%s' must be true or false", k);
			if (k[0] == 's') {
				r->sensitive = b;
				have_sensitive = true;
			} else {
				r->weak = b;
			}
		} else if (!strcmp(k, "priority")) {
			char *end;
			long pr = v ? strtol(v, &end, 10) : 0;
			if (!v || *end || pr < -1000 || pr > 1000)
				return fail(ld, vn, id, "'priority' must be an integer in -1000..1000");
			r->priority = (int)pr;
		} else if (!strcmp(k, "scope")) {
			if (!v || (strcmp(v, "value") && strcmp(v, "field")))
				return fail(ld, vn, id, "'scope' must be 'value' or 'field'");
			r->field_scope = !strcmp(v, "field");
		} else if (!strcmp(k, "pattern")) {
			if (!v || !*v)
				return fail(ld, vn, id, "'pattern' must be a non-empty string");
			free(r->pattern);
			r->pattern = xstrdup(v);
		} else if (!strcmp(k, "validator")) {
			if (!v || !(r->validator = validator_find(v)))
				return fail(ld, vn, id, "unknown validator '%s'", v ? v : "");
		} else if (!strcmp(k, "context")) {
			if (vn->type != YAML_MAPPING_NODE)
				return fail(ld, vn, id, "'context' must be a mapping");

			for (yaml_node_pair_t *q = vn->data.mapping.pairs.start; q < vn->data.mapping.pairs.top; q++) {
				const char *ck = scalar(yaml_document_get_node(&ld->doc, q->key));
				yaml_node_t *cv = yaml_document_get_node(&ld->doc, q->value);
				if (ck && !strcmp(ck, "hotwords"))
					rc = load_strlist(ld, cv, &r->hotwords, true, id, "context.hotwords");
				else if (ck && !strcmp(ck, "fields"))
					rc = load_strlist(ld, cv, &r->field_words, true, id, "context.fields");
				else
					return fail(ld, cv, id, "unknown context key '%s'", ck ? ck : "");
				if (rc)
					return rc;
			}
		} else if (!strcmp(k, "examples")) {
			if ((rc = load_strlist(ld, vn, &r->examples, false, id, k)))
				return rc;
		} else if (!strcmp(k, "negative_examples")) {
			if ((rc = load_strlist(ld, vn, &r->negative_examples, false, id, k)))
				return rc;
		} else if (!strcmp(k, "references")) {
			if ((rc = load_strlist(ld, vn, &r->references, false, id, k)))
				return rc;
		} else {
			return fail(ld, kn, id, "unknown key '%s'", k);
		}
	}
	if ((dup = duplicate_key(ld, map)))
		return fail(ld, map, id, "key '%s' appears twice", dup);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&ld->doc, p->key));
		yaml_node_t *vn = yaml_document_get_node(&ld->doc, p->value);
		if (k && !strcmp(k, "context") && (dup = duplicate_key(ld, vn)))
			return fail(ld, vn, id, "key 'context.%s' appears twice", dup);
	}
	if (!r->name)
		return fail(ld, map, id, "missing 'name'");
	if (!r->pattern && !r->field_scope)
		return fail(ld, map, id, "missing 'pattern'");
	if (r->pattern && r->field_scope)
		return fail(ld, map, id, "a rule with scope 'field' has no 'pattern'");
	if (r->field_scope && (!r->validator || !r->field_words.n))
		return fail(ld, map, id, "a rule with scope 'field' needs a 'validator' and 'context.fields'");
	if (!have_category)
		return fail(ld, map, id, "missing 'category'");
	if (!have_sensitive)
		return fail(ld, map, id, "missing 'sensitive'");
	return 0;
}

static int load_file(struct ruleset *rs, size_t *cap, const char *path,
		     const unsigned char *text, size_t len, char *errbuf, size_t errbuf_len)
{
	struct loader ld = { .path = path, .errbuf = errbuf, .errbuf_len = errbuf_len };
	yaml_parser_t parser;
	int rc = 0;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, text, len);
	if (!yaml_parser_load(&parser, &ld.doc)) {
		snprintf(errbuf, errbuf_len, "%s:%lu:%lu: %s", path,
			 (unsigned long)parser.problem_mark.line + 1,
			 (unsigned long)parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		return PIISCAN_ERR_RULES;
	}
	yaml_node_t *root = yaml_document_get_root_node(&ld.doc);
	yaml_node_t *seq = NULL;
	if (root && root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
			const char *k = scalar(yaml_document_get_node(&ld.doc, p->key));
			if (k && !strcmp(k, "rules"))
				seq = yaml_document_get_node(&ld.doc, p->value);
		}
	}
	if (!seq || seq->type != YAML_SEQUENCE_NODE) {
		rc = fail(&ld, root, NULL, "the file must be a mapping with a 'rules' list");
		goto out;
	}
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		xgrow((void **)&rs->rules, cap, rs->n + 1, sizeof *rs->rules);
		struct rule *r = &rs->rules[rs->n];
		memset(r, 0, sizeof *r);
		rs->n++;
		if ((rc = load_rule(&ld, yaml_document_get_node(&ld.doc, *it), r)))
			goto out;
		for (size_t i = 0; i + 1 < rs->n; i++) {
			if (!strcmp(rs->rules[i].id, r->id)) {
				snprintf(errbuf, errbuf_len, "%s:%u: rule '%s': duplicate id (first in %s:%u)",
					 path, r->line, r->id, rs->rules[i].file, rs->rules[i].line);
				rc = PIISCAN_ERR_RULES;
				goto out;
			}
		}
	}
out:
	yaml_document_delete(&ld.doc);
	yaml_parser_delete(&parser);
	return rc;
}

static int read_whole(const char *path, unsigned char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 0, n = 0;
	unsigned char *p = NULL;
	for (;;) {
		xgrow((void **)&p, &cap, n + 65536, 1);
		size_t got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(p);
		return -1;
	}
	*out = p;
	*len = n;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ruleset_load(const char *dir, struct ruleset **out, char *errbuf, size_t errbuf_len)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(errbuf, errbuf_len, "cannot open rule directory '%s': %s", dir, strerror(errno));
		return PIISCAN_ERR_OPEN;
	}
	char **names = NULL;
	size_t nnames = 0, ncap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") || de->d_name[0] == '.' ||
		    !strcmp(de->d_name, "policy.yaml"))
			continue;
		xgrow((void **)&names, &ncap, nnames + 1, sizeof *names);
		names[nnames++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (nnames > 1)
		qsort(names, nnames, sizeof *names, cmp_str);

	struct ruleset *rs = xcalloc(1, sizeof *rs);
	size_t cap = 0;
	int rc = 0;
	XXH3_state_t *hs = XXH3_createState();
	XXH3_128bits_reset(hs);
	rs->dir = xstrdup(dir);
	if (!nnames) {
		snprintf(errbuf, errbuf_len, "no *.yaml rule files in '%s'", dir);
		rc = PIISCAN_ERR_RULES;
	}
	for (size_t i = 0; i < nnames && !rc; i++) {
		char path[PATH_MAX];
		unsigned char *text;
		size_t len;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (read_whole(path, &text, &len)) {
			snprintf(errbuf, errbuf_len, "cannot read '%s': %s", path, strerror(errno));
			rc = PIISCAN_ERR_OPEN;
			break;
		}
		XXH3_128bits_update(hs, names[i], strlen(names[i]) + 1);
		XXH3_128bits_update(hs, text, len);
		rc = load_file(rs, &cap, path, text, len, errbuf, errbuf_len);
		free(text);
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	XXH128_canonical_t canon;
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(hs));
	XXH3_freeState(hs);
	if (rc) {
		ruleset_free(rs);
		return rc;
	}
	memcpy(rs->hash, canon.digest, sizeof rs->hash);
	util_hex(rs->hash_hex, rs->hash, sizeof rs->hash);
	const char *base = strrchr(dir, '/');
	base = base && base[1] ? base + 1 : dir;
	snprintf(rs->id, sizeof rs->id, "%.40s-%.12s", base, rs->hash_hex);
	*out = rs;
	return 0;
}

int ruleset_default_dir(char *dst, size_t dst_len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	struct stat st;
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	static const char *const candidates[] = { "../rules", "../share/piiscan/rules" };
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		snprintf(dst, dst_len, "%s/%s", exe, candidates[i]);
		if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *real = realpath(dst, NULL);
			if (real) {
				snprintf(dst, dst_len, "%s", real);
				free(real);
			}
			return 0;
		}
	}
	return -1;
}
