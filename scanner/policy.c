/* Loading the policy file (libyaml) and deciding per field. */
#include "policy.h"

#include <errno.h>
#include <stdbool.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <yaml.h>

#include "error.h"
#include "buf.h"
#include "util.h"

struct entry {
	char *key;              /* glob, rule id or category name */
	struct policy_decision d;
	char *reference;
	char *matched;
};

struct policy {
	char *path;
	char hash[33];
	struct entry def;
	struct entry *cats;     /* RULE_CATEGORY_COUNT_ entries, key NULL when unset */
	struct entry *rules;    /* per rule index, key NULL when unset */
	struct entry *fields;
	size_t nfields;
};

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int parse_period(const char *s, struct policy_decision *d)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (end == s || n < 0 || n > 1000 || end[0] == '\0' || end[1] != '\0')
		return -1;
	d->years = d->months = d->days = 0;
	switch (end[0]) {
	case 'y': d->years = (int)n; return 0;
	case 'm': d->months = (int)n; return 0;
	case 'd': d->days = (int)n; return 0;
	default: return -1;
	}
}

/* An entry mapping {action, retain, reference}. */
static int load_entry(yaml_document_t *doc, yaml_node_t *map, const char *path, const char *what,
		      struct entry *e, char *errbuf, size_t errbuf_len)
{
	const char *action = NULL, *retain = NULL, *ref = NULL;
	if (!map || map->type != YAML_MAPPING_NODE) {
		snprintf(errbuf, errbuf_len, "%s:%lu: %s: must be a mapping", path,
			 map ? (unsigned long)map->start_mark.line + 1 : 0UL, what);
		return PIISCAN_ERR_RULES;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));
		const char *v = scalar(yaml_document_get_node(doc, p->value));
		if (k && !strcmp(k, "action"))
			action = v;
		else if (k && !strcmp(k, "retain"))
			retain = v;
		else if (k && !strcmp(k, "reference"))
			ref = v;
		else if (k && !strcmp(k, "match"))
			continue;
		else {
			snprintf(errbuf, errbuf_len, "%s:%lu: %s: unknown key '%s'", path,
				 (unsigned long)map->start_mark.line + 1, what, k ? k : "?");
			return PIISCAN_ERR_RULES;
		}
	}
	if (!action || (strcmp(action, "destroy") && strcmp(action, "archive"))) {
		snprintf(errbuf, errbuf_len, "%s:%lu: %s: 'action' must be destroy or archive", path,
			 (unsigned long)map->start_mark.line + 1, what);
		return PIISCAN_ERR_RULES;
	}
	e->d.action = !strcmp(action, "archive") ? POLICY_ARCHIVE : POLICY_DESTROY;
	if (e->d.action == POLICY_ARCHIVE && (!retain || parse_period(retain, &e->d))) {
		snprintf(errbuf, errbuf_len, "%s:%lu: %s: an archive needs 'retain' as Ny, Nm or Nd", path,
			 (unsigned long)map->start_mark.line + 1, what);
		return PIISCAN_ERR_RULES;
	}
	e->reference = xstrdup(ref ? ref : "");
	e->matched = xstrdup(what);
	e->d.reference = e->reference;
	e->d.matched = e->matched;
	return 0;
}

static void entry_release(struct entry *e)
{
	free(e->key);
	free(e->reference);
	free(e->matched);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	entry_release(&p->def);
	for (size_t i = 0; i < RULE_CATEGORY_COUNT_; i++)
		entry_release(&p->cats[i]);
	free(p->cats);
	for (size_t i = 0; p->rules && p->rules[i].matched != (char *)-1; i++)
		entry_release(&p->rules[i]);
	free(p->rules);
	for (size_t i = 0; i < p->nfields; i++)
		entry_release(&p->fields[i]);
	free(p->fields);
	free(p->path);
	free(p);
}

int policy_load(const char *path, const struct ruleset *rs, struct policy **out,
		char *errbuf, size_t errbuf_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(errbuf, errbuf_len, "cannot open policy '%s': %s", path, strerror(errno));
		return PIISCAN_ERR_OPEN;
	}
	struct buf text;
	buf_init(&text);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(&text, tmp, n);
	fclose(f);

	struct policy *p = xcalloc(1, sizeof *p);
	p->path = xstrdup(path);
	p->cats = xcalloc(RULE_CATEGORY_COUNT_, sizeof *p->cats);
	p->rules = xcalloc(rs->n + 1, sizeof *p->rules);
	p->rules[rs->n].matched = (char *)-1; /* end marker for policy_free */
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(text.data, text.len));
	util_hex(p->hash, c.digest, 16);

	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text.data, text.len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(errbuf, errbuf_len, "%s:%lu: %s", path, (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "YAML syntax error");
		yaml_parser_delete(&parser);
		buf_release(&text);
		policy_free(p);
		return PIISCAN_ERR_RULES;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	bool have_default = false;
	if (!root || root->type != YAML_MAPPING_NODE) {
		snprintf(errbuf, errbuf_len, "%s: the policy must be a mapping", path);
		rc = PIISCAN_ERR_RULES;
		goto out;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top && !rc; pr++) {
		const char *k = scalar(yaml_document_get_node(&doc, pr->key));
		yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
		char what[160];
		if (k && !strcmp(k, "default")) {
			rc = load_entry(&doc, v, path, "default", &p->def, errbuf, errbuf_len);
			have_default = true;
		} else if (k && (!strcmp(k, "categories") || !strcmp(k, "rules"))) {
			bool cats = k[0] == 'c';
			if (v->type != YAML_MAPPING_NODE) {
				snprintf(errbuf, errbuf_len, "%s: '%s' must be a mapping", path, k);
				rc = PIISCAN_ERR_RULES;
				break;
			}
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top && !rc; q++) {
				const char *name = scalar(yaml_document_get_node(&doc, q->key));
				struct entry *e = NULL;
				if (cats) {
					for (size_t ci = 0; ci < RULE_CATEGORY_COUNT_; ci++)
						if (name && !strcmp(name, rule_category_name((enum rule_category)ci)))
							e = &p->cats[ci];
				} else {
					for (size_t ri = 0; ri < rs->n; ri++)
						if (name && !strcmp(name, rs->rules[ri].id))
							e = &p->rules[ri];
				}
				if (!e) {
					snprintf(errbuf, errbuf_len, "%s:%lu: unknown %s '%s'", path,
						 (unsigned long)yaml_document_get_node(&doc, q->key)->start_mark.line + 1,
						 cats ? "category" : "rule", name ? name : "?");
					rc = PIISCAN_ERR_RULES;
					break;
				}
				snprintf(what, sizeof what, "%s:%s", cats ? "category" : "rule", name);
				e->key = xstrdup(name);
				rc = load_entry(&doc, yaml_document_get_node(&doc, q->value), path, what, e, errbuf, errbuf_len);
			}
		} else if (k && !strcmp(k, "fields")) {
			if (v->type != YAML_SEQUENCE_NODE) {
				snprintf(errbuf, errbuf_len, "%s: 'fields' must be a list", path);
				rc = PIISCAN_ERR_RULES;
				break;
			}
			size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
			p->fields = xcalloc(cnt ? cnt : 1, sizeof *p->fields);
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top && !rc; it++) {
				yaml_node_t *m = yaml_document_get_node(&doc, *it);
				const char *glob = NULL;
				if (m->type == YAML_MAPPING_NODE)
					for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < m->data.mapping.pairs.top; q++) {
						const char *mk = scalar(yaml_document_get_node(&doc, q->key));
						if (mk && !strcmp(mk, "match"))
							glob = scalar(yaml_document_get_node(&doc, q->value));
					}
				if (!glob) {
					snprintf(errbuf, errbuf_len, "%s:%lu: a 'fields' entry needs 'match'", path,
						 (unsigned long)m->start_mark.line + 1);
					rc = PIISCAN_ERR_RULES;
					break;
				}
				struct entry *e = &p->fields[p->nfields++];
				snprintf(what, sizeof what, "field:%s", glob);
				e->key = xstrdup(glob);
				rc = load_entry(&doc, m, path, what, e, errbuf, errbuf_len);
			}
		} else {
			snprintf(errbuf, errbuf_len, "%s: unknown key '%s'", path, k ? k : "?");
			rc = PIISCAN_ERR_RULES;
		}
	}
	if (!rc && !have_default) {
		snprintf(errbuf, errbuf_len, "%s: the policy needs a 'default' entry", path);
		rc = PIISCAN_ERR_RULES;
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	buf_release(&text);
	if (rc) {
		policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void policy_decide(const struct policy *p, const struct rule *rule, size_t rule_index,
		   const char *field_name, struct policy_decision *out)
{
	char low[256];
	if (field_name) {
		size_t k = 0;
		for (; field_name[k] && k + 1 < sizeof low; k++)
			low[k] = (char)(field_name[k] >= 'A' && field_name[k] <= 'Z' ? field_name[k] + 32 : field_name[k]);
		low[k] = '\0';
	}
	/* Globs are matched against the lower-cased name (write them in lower case). */
	for (size_t i = 0; field_name && i < p->nfields; i++) {
		if (!fnmatch(p->fields[i].key, low, 0)) {
			*out = p->fields[i].d;
			return;
		}
	}
	if (p->rules[rule_index].key) {
		*out = p->rules[rule_index].d;
		return;
	}
	if (p->cats[rule->category].key) {
		*out = p->cats[rule->category].d;
		return;
	}
	*out = p->def.d;
}

const char *policy_path(const struct policy *p) { return p->path; }
const char *policy_hash(const struct policy *p) { return p->hash; }

static int days_in(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

void policy_retain_until(const struct policy_decision *d, int y, int m, int day, char dst[11])
{
	y += d->years;
	m += d->months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	if (day > days_in(y, m))
		day = days_in(y, m);
	for (int k = 0; k < d->days; k++) {
		if (++day > days_in(y, m)) {
			day = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	char tmp[48];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, day);
	memcpy(dst, tmp, 10);
	dst[10] = '\0';
}
