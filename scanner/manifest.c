/* Writing the manifest and the human summary from sources, fields and the
 * merged tally. */
#include "manifest.h"

#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "jsonw.h"
#include "transcode.h"
#include "util.h"

static const char *const status_names[] = { "complete", "partial", "interrupted" };

const char *run_status_name(enum run_status s)
{
	return status_names[s];
}

static const char *source_status_name(enum source_status s)
{
	return s == SOURCE_COMPLETE ? "complete" : s == SOURCE_PARTIAL ? "partial" : "failed";
}

void manifest_put_time(struct jsonw *w, const struct timespec *ts)
{
	struct tm tm;
	char tmp[40];
	gmtime_r(&ts->tv_sec, &tm);
	size_t n = strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tmp + n, sizeof tmp - n, ".%03ldZ", ts->tv_nsec / 1000000);
	jsonw_string(w, tmp);
}

void manifest_format_field(const struct scan_report *r, struct jsonw *w, const struct field *f,
			   const struct source *src)
{
	const struct tally_field *tf = tally_get(r->tally, f->id);
	struct classification cl;
	classify_field(r->rs, f, tf, &cl);
	int win = cl.rule;
	enum confidence conf = cl.confidence;

	jsonw_object_begin(w);
	jsonw_key(w, "source");
	jsonw_string(w, src->path);
	jsonw_key(w, "field");
	if (f->name)
		jsonw_string(w, f->name);
	else
		jsonw_null(w);
	jsonw_key(w, "records_total");
	jsonw_u64(w, tf->records_total);
	jsonw_key(w, "records_matched");
	jsonw_u64(w, tf->records_matched);
	jsonw_key(w, "rules");
	jsonw_object_begin(w);
	if (tf->by_rule) {
		for (size_t k = 0; k < r->rs->n; k++) {
			uint64_t n = tf->by_rule[k * 4 + 1] + tf->by_rule[k * 4 + 2] + tf->by_rule[k * 4 + 3];
			if (n) {
				jsonw_key(w, r->rs->rules[k].id);
				jsonw_u64(w, n);
			}
		}
	}
	jsonw_object_end(w);
	jsonw_key(w, "classification");
	if (win >= 0) {
		const struct rule *rule = &r->rs->rules[win];
		jsonw_string(w, rule->id);
		jsonw_key(w, "category");
		jsonw_string(w, rule_category_name(rule->category));
		jsonw_key(w, "sensitive");
		jsonw_bool(w, rule->sensitive);
		jsonw_key(w, "confidence");
		jsonw_string(w, confidence_name(conf));
		if (r->policy) {
			struct policy_decision d;
			char until[11];
			policy_decide(r->policy, rule, (size_t)win, f->name, &d);
			jsonw_key(w, "action");
			jsonw_string(w, d.action == POLICY_ARCHIVE ? "archive" : "destroy");
			jsonw_key(w, "retain_until");
			if (d.action == POLICY_ARCHIVE) {
				policy_retain_until(&d, r->as_of[0], r->as_of[1], r->as_of[2], until);
				jsonw_string(w, until);
			} else {
				jsonw_null(w);
			}
			jsonw_key(w, "policy");
			jsonw_string(w, d.matched);
			jsonw_key(w, "legal_reference");
			jsonw_string(w, d.reference);
		}
	} else {
		jsonw_null(w);
		jsonw_key(w, "category");
		jsonw_null(w);
		jsonw_key(w, "sensitive");
		jsonw_null(w);
		jsonw_key(w, "confidence");
		jsonw_null(w);
		if (r->policy) {
			jsonw_key(w, "action");
			jsonw_null(w);
			jsonw_key(w, "retain_until");
			jsonw_null(w);
		}
	}
	jsonw_key(w, "evidence");
	if (cl.candidate >= 0) {
		jsonw_object_begin(w);
		jsonw_key(w, "rule");
		jsonw_string(w, r->rs->rules[cl.candidate].id);
		jsonw_key(w, "share");
		jsonw_double(w, cl.share);
		jsonw_key(w, "validator_pass_rate");
		jsonw_double(w, cl.pass_rate);
		jsonw_key(w, "name_hint");
		jsonw_bool(w, cl.name_hint);
		jsonw_object_end(w);
	} else {
		jsonw_null(w);
	}
	jsonw_object_end(w);
}

/* Field ids grouped by source (a counting sort: a run over many files has
 * many sources and many fields, and the manifest must not cost sources x
 * fields); first[s]..first[s+1] index ids. Within a source, the fields the
 * reader made come first in id order (input order: header columns, SQL
 * columns), then those the workers made, by name: their ids depend on
 * thread timing, and the manifest must not. */
struct by_source {
	uint32_t *ids;
	size_t *first;
};

static int cmp_field_order(const void *a, const void *b)
{
	const struct field *x = *(const struct field *const *)a, *y = *(const struct field *const *)b;
	if (x->by_worker != y->by_worker)
		return x->by_worker ? 1 : -1;
	/* Workers intern only named fields (the unnamed one is the reader's). */
	if (x->by_worker && x->name && y->name) {
		int c = memcmp(x->name, y->name, MIN(x->name_len, y->name_len));
		if (c || x->name_len != y->name_len)
			return c ? c : x->name_len < y->name_len ? -1 : 1;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

static void group_by_source(const struct scan_report *r, struct by_source *g)
{
	uint32_t n = fieldtab_count(r->fields);
	size_t ns = r->sources->n;
	g->ids = xcalloc(n ? n : 1, sizeof *g->ids);
	g->first = xcalloc(ns + 2, sizeof *g->first);
	for (uint32_t id = 0; id < n; id++) {
		uint32_t s = fieldtab_get(r->fields, id)->source;
		if (s < ns)
			g->first[s + 2]++;
	}
	for (size_t s = 2; s < ns + 2; s++)
		g->first[s] += g->first[s - 1];
	for (uint32_t id = 0; id < n; id++) {
		uint32_t s = fieldtab_get(r->fields, id)->source;
		if (s < ns)
			g->ids[g->first[s + 1]++] = id;
	}
	for (size_t s = 0; s < ns; s++)
		manifest_sort_fields(r->fields, g->ids + g->first[s], g->first[s + 1] - g->first[s]);
}

void manifest_sort_fields(const struct fieldtab *ft, uint32_t *ids, size_t n)
{
	if (n < 2)
		return;
	const struct field **v = xmalloc(n * sizeof *v);
	for (size_t k = 0; k < n; k++)
		v[k] = fieldtab_get(ft, ids[k]);
	qsort(v, n, sizeof *v, cmp_field_order);
	for (size_t k = 0; k < n; k++)
		ids[k] = v[k]->id;
	free(v);
}

static void by_source_release(struct by_source *g)
{
	free(g->ids);
	free(g->first);
}

void manifest_format_head(const struct scan_report *r, struct jsonw *w, const char *kind)
{
	jsonw_key(w, "manifest_version");
	jsonw_u64(w, MANIFEST_VERSION);
	if (kind) {
		jsonw_key(w, "kind");
		jsonw_string(w, kind);
	}
	jsonw_key(w, "tool");
	jsonw_object_begin(w);
	jsonw_key(w, "name");
	jsonw_string(w, "piiscan");
	jsonw_key(w, "version");
	jsonw_string(w, r->version);
	jsonw_object_end(w);
	jsonw_key(w, "rule_set");
	jsonw_object_begin(w);
	jsonw_key(w, "id");
	jsonw_string(w, r->rs->id);
	jsonw_key(w, "xxh3_128");
	jsonw_string(w, r->rs->hash_hex);
	jsonw_key(w, "rules");
	jsonw_u64(w, r->rs->n);
	jsonw_object_end(w);
	jsonw_key(w, "fingerprint");
	jsonw_object_begin(w);
	jsonw_key(w, "algorithm");
	jsonw_string(w, FINGERPRINT_ALGORITHM);
	jsonw_key(w, "key_id");
	jsonw_string(w, r->key->id);
	jsonw_key(w, "key_origin");
	jsonw_string(w, r->key->origin);
	jsonw_object_end(w);
}

void manifest_format(const struct scan_report *r, struct buf *out)
{
	struct jsonw w;
	uint64_t bytes = 0, records = 0;
	char hex[33];

	jsonw_init(&w, out, true);
	jsonw_object_begin(&w);
	manifest_format_head(r, &w, NULL);
	if (r->policy) {
		char asof[32];
		snprintf(asof, sizeof asof, "%04d-%02d-%02d", r->as_of[0], r->as_of[1], r->as_of[2]);
		jsonw_key(&w, "policy");
		jsonw_object_begin(&w);
		jsonw_key(&w, "path");
		jsonw_string(&w, policy_path(r->policy));
		jsonw_key(&w, "xxh3_128");
		jsonw_string(&w, policy_hash(r->policy));
		jsonw_key(&w, "as_of");
		jsonw_string(&w, asof);
		jsonw_object_end(&w);
	}
	jsonw_key(&w, "min_confidence");
	jsonw_string(&w, confidence_name(r->min_confidence));
	jsonw_key(&w, "started_at");
	manifest_put_time(&w, &r->started);
	jsonw_key(&w, "finished_at");
	manifest_put_time(&w, &r->finished);
	jsonw_key(&w, "status");
	jsonw_string(&w, run_status_name(r->status));

	jsonw_key(&w, "sources");
	jsonw_array_begin(&w);
	for (size_t i = 0; i < r->sources->n; i++) {
		const struct source *src = r->sources->v[i];
		bytes += src->bytes_read;
		records += src->records;
		jsonw_object_begin(&w);
		jsonw_key(&w, "path");
		jsonw_string(&w, src->path);
		jsonw_key(&w, "format");
		jsonw_string(&w, frame_format_name(src->format));
		jsonw_key(&w, "compression");
		jsonw_string(&w, compression_name(src->compression));
		jsonw_key(&w, "encoding");
		jsonw_string(&w, encoding_name((enum encoding)src->encoding));
		jsonw_key(&w, "status");
		jsonw_string(&w, source_status_name(src->status));
		jsonw_key(&w, "bytes_read");
		jsonw_u64(&w, src->bytes_read);
		jsonw_key(&w, "bytes_stored");
		jsonw_u64(&w, src->bytes_stored);
		jsonw_key(&w, "records");
		jsonw_u64(&w, src->records);
		jsonw_key(&w, "xxh3_128");
		if (src->hashed) {
			util_hex(hex, src->hash, sizeof src->hash);
			jsonw_string(&w, hex);
		} else {
			jsonw_null(&w);
		}
		jsonw_key(&w, "findings");
		jsonw_u64(&w, atomic_load(&src->findings));
		jsonw_key(&w, "fields_overflow");
		jsonw_u64(&w, fieldtab_overflow(r->fields, src->id));
		jsonw_key(&w, "errors");
		jsonw_array_begin(&w);
		for (size_t e = 0; e < src->nerrors; e++) {
			const struct source_error *se = &src->errors[e];
			jsonw_object_begin(&w);
			jsonw_key(&w, "severity");
			jsonw_string(&w, se->warning ? "warning" : "error");
			jsonw_key(&w, "offset");
			jsonw_u64(&w, se->offset);
			jsonw_key(&w, "record");
			if (se->record)
				jsonw_u64(&w, se->record);
			else
				jsonw_null(&w);
			jsonw_key(&w, "message");
			jsonw_string(&w, se->message);
			jsonw_object_end(&w);
		}
		jsonw_array_end(&w);
		jsonw_key(&w, "errors_not_listed");
		jsonw_u64(&w, src->errors_dropped);
		jsonw_object_end(&w);
	}
	jsonw_array_end(&w);

	jsonw_key(&w, "fields");
	jsonw_array_begin(&w);
	struct by_source g;
	group_by_source(r, &g);
	for (size_t i = 0; i < r->sources->n; i++) {
		const struct source *src = r->sources->v[i];
		for (size_t k = g.first[src->id]; k < g.first[src->id + 1]; k++) {
			uint32_t id = g.ids[k];
			const struct field *f = fieldtab_get(r->fields, id);
			const struct tally_field *tf = tally_get(r->tally, id);
			/* The unnamed field of a CSV or JSON source exists for records
			 * that could not be split; list it only if it was used. */
			if (!f->name && src->format != FORMAT_TEXT && !tf->records_total && !tf->by_rule)
				continue;
			manifest_format_field(r, &w, f, src);
		}
	}
	jsonw_array_end(&w);
	by_source_release(&g);

	jsonw_key(&w, "totals");
	jsonw_object_begin(&w);
	jsonw_key(&w, "sources");
	jsonw_u64(&w, r->sources->n);
	jsonw_key(&w, "bytes_read");
	jsonw_u64(&w, bytes);
	jsonw_key(&w, "records");
	jsonw_u64(&w, records);
	jsonw_key(&w, "findings");
	jsonw_u64(&w, r->findings);
	jsonw_key(&w, "seconds");
	jsonw_double(&w, r->seconds);
	jsonw_key(&w, "threads");
	jsonw_u64(&w, r->threads);
	jsonw_object_end(&w);
	jsonw_object_end(&w);
	buf_putc(out, '\n');
}

void manifest_summary(const struct scan_report *r, FILE *out)
{
	uint64_t bytes = 0, untagged = 0;
	fprintf(out, "%-32s %-20s %-16s %-12s %8s %9s %9s  %-11s  %s\n", "SOURCE", "FIELD", "CLASSIFICATION",
		"CATEGORY", "SENSITIVE", "MATCHED", "RECORDS", "CONFIDENCE", "ACTION");
	struct by_source g;
	group_by_source(r, &g);
	for (size_t i = 0; i < r->sources->n; i++) {
		const struct source *src = r->sources->v[i];
		bytes += src->bytes_read;
		for (size_t k = g.first[src->id]; k < g.first[src->id + 1]; k++) {
			uint32_t id = g.ids[k];
			const struct field *f = fieldtab_get(r->fields, id);
			struct classification cl;
			classify_field(r->rs, f, tally_get(r->tally, id), &cl);
			int win = cl.rule;
			enum confidence conf = cl.confidence;
			if (win < 0) {
				untagged++;
				continue;
			}
			const struct tally_field *tf = tally_get(r->tally, id);
			const struct rule *rule = &r->rs->rules[win];
			char action[40] = "-";
			if (r->policy) {
				struct policy_decision d;
				char until[11];
				policy_decide(r->policy, rule, (size_t)win, f->name, &d);
				if (d.action == POLICY_ARCHIVE) {
					policy_retain_until(&d, r->as_of[0], r->as_of[1], r->as_of[2], until);
					snprintf(action, sizeof action, "archive until %s", until);
				} else {
					snprintf(action, sizeof action, "destroy");
				}
			}
			fprintf(out, "%-32s %-20s %-16s %-12s %8s %9llu %9llu  %-11s  %s\n", src->path,
				f->name ? f->name : "-", rule->id, rule_category_name(rule->category),
				rule->sensitive ? "yes" : "no", (unsigned long long)tf->records_matched,
				(unsigned long long)tf->records_total, confidence_name(conf), action);
		}
	}
	by_source_release(&g);
	fprintf(out, "\n%zu source(s), %.1f MB, %llu finding(s) at %s or above, %llu untagged field(s); "
		"%.2f s; status %s\n",
		r->sources->n, (double)bytes / 1e6, (unsigned long long)r->findings,
		confidence_name(r->min_confidence), (unsigned long long)untagged, r->seconds,
		run_status_name(r->status));
	for (size_t i = 0; i < r->sources->n; i++) {
		const struct source *src = r->sources->v[i];
		if (src->status != SOURCE_COMPLETE)
			fprintf(out, "%s: %s (%zu error(s); see the manifest)\n", src->path,
				source_status_name(src->status), src->nerrors);
	}
}
