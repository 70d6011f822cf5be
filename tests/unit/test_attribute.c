/* Unit tests for the attribute stage (scanner/attribute.c): the JSON string
 * decoder and its offset map, and attribute_chunk end to end over small
 * chunks of text, CSV and JSONL sources with the shipped rules: one rule per
 * written value, confidence from validators, fields and hotwords, offsets of
 * escaped values in input bytes, the tally, the findings lines. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attribute.h"
#include "chunk.h"
#include "error.h"
#include "field.h"
#include "fingerprint.h"
#include "harness.h"
#include "hsdb.h"
#include "rules.h"
#include "source.h"
#include "tally.h"

/* ---- attribute_json_unescape ---- */

struct unescape_case {
	const char *in;
	const char *want;
	size_t want_len;               /* the decoded length (NUL bytes allowed) */
	uint32_t map[24];              /* expected map[0..want_len] */
};

static const struct unescape_case unescape_cases[] = {
	{ "", "", 0, { 0 } },
	{ "abc", "abc", 3, { 0, 1, 2, 3 } },
	{ "a\\nb", "a\nb", 3, { 0, 1, 3, 4 } },
	{ "\\\"\\\\\\/\\b\\f\\n\\r\\t", "\"\\/\b\f\n\r\t", 8, { 0, 2, 4, 6, 8, 10, 12, 14, 16 } },
	{ "\\u0031\\u00333", "133", 3, { 0, 6, 12, 13 } },
	{ "\\u00e9", "\xC3\xA9", 2, { 0, 0, 6 } },                       /* é: both bytes map to the escape */
	{ "x\\u624B", "x\xE6\x89\x8B", 4, { 0, 1, 1, 1, 7 } },            /* 手, upper-case hex */
	{ "\\uD83D\\uDE00", "\xF0\x9F\x98\x80", 4, { 0, 0, 0, 0, 12 } },  /* surrogate pair: U+1F600 */
	{ "\\uD83Dx", "\xEF\xBF\xBDx", 4, { 0, 0, 0, 6, 7 } },            /* lone high surrogate */
	{ "\\uDE00", "\xEF\xBF\xBD", 3, { 0, 0, 0, 6 } },                 /* lone low surrogate */
	{ "\\uD83D\\u0041", "\xEF\xBF\xBD" "A", 4, { 0, 0, 0, 6, 12 } },  /* high, then not a low one */
	{ "\\uD83D\\uD83D\\uDE00", "\xEF\xBF\xBD\xF0\x9F\x98\x80", 7, { 0, 0, 0, 6, 6, 6, 6, 18 } },
	{ "\\u0000", "\0", 1, { 0, 6 } },
	{ "\\x41", "\\x41", 4, { 0, 1, 2, 3, 4 } },                       /* unknown escape: as written */
	{ "\\u12", "\\u12", 4, { 0, 1, 2, 3, 4 } },                       /* short \u: as written */
	{ "\\u12G4", "\\u12G4", 6, { 0, 1, 2, 3, 4, 5, 6 } },
	{ "ab\\", "ab\\", 3, { 0, 1, 2, 3 } },                             /* trailing backslash */
	{ "\\\\u0041", "\\u0041", 6, { 0, 2, 3, 4, 5, 6, 7 } },           /* escaped backslash, then text */
	{ "\xE6\x89\x8B", "\xE6\x89\x8B", 3, { 0, 1, 2, 3 } },           /* raw UTF-8 kept */
};

static void test_unescape(void)
{
	for (size_t i = 0; i < sizeof unescape_cases / sizeof *unescape_cases; i++) {
		const struct unescape_case *c = &unescape_cases[i];
		size_t len = strlen(c->in), dlen = 999;
		char *dst = malloc(len + 1);
		uint32_t *map = malloc((len + 1) * sizeof *map);
		attribute_json_unescape(c->in, len, dst, map, &dlen);
		CHECK_MSG(dlen == c->want_len, "unescape %zu: length %zu != %zu", i, dlen, c->want_len);
		if (dlen == c->want_len) {
			CHECK_MSG(!memcmp(dst, c->want, dlen), "unescape %zu: bytes differ", i);
			for (size_t k = 0; k <= dlen; k++)
				CHECK_MSG(map[k] == c->map[k], "unescape %zu: map[%zu] = %u != %u", i, k, map[k],
					  c->map[k]);
		}
		free(dst);
		free(map);
	}
}

/* The decoded form is never longer than the input, and the map never goes
 * backwards or past the input, whatever the bytes. */
static void test_unescape_properties(void)
{
	static const char alphabet[] = "\\u0D8Ee\"nxF9a";
	unsigned seed = 12345;
	char in[40], dst[40];
	uint32_t map[41];
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(round % 40), dlen;
		for (size_t k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			in[k] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		attribute_json_unescape(in, len, dst, map, &dlen);
		bool ok = dlen <= len && map[dlen] == len;
		for (size_t k = 0; k < dlen; k++)
			ok &= map[k] < len && (k == 0 || map[k] >= map[k - 1]);
		CHECK_MSG(ok, "round %d: \"%.*s\"", round, (int)len, in);
		if (!ok)
			break;
	}
}

/* ---- attribute_chunk ---- */

static struct ruleset *rs;
static struct hsdb *db;
static struct fieldtab *ft;
static struct fingerprint_key key;

static void env_init(void)
{
	char eb[256];
	int rc = ruleset_load("rules", &rs, eb, sizeof eb);
	CHECK_MSG(rc == 0, "ruleset_load: %s", eb);
	if (rc)
		exit(1);
	rc = hsdb_load(rs, "", &db, eb, sizeof eb);
	CHECK_MSG(rc == 0, "hsdb_load: %s", eb);
	if (rc)
		exit(1);
	ft = fieldtab_new(rs);
	CHECK_INT(fingerprint_key_load(&key, NULL, eb, sizeof eb), 0);
}

static void env_release(void)
{
	fieldtab_free(ft);
	hsdb_free(db);
	ruleset_free(rs);
}

struct got {
	char rule[32];
	char field[64];
	uint64_t record, offset;
	uint32_t length;
	enum confidence conf;
	char masked[64];
	size_t fplen;
	uint32_t rule_index;
};

struct collected {
	struct got v[32];
	size_t n;
};

static void on_finding(void *arg, const struct finding *f, uint32_t rule)
{
	struct collected *c = arg;
	if (c->n == 32)
		return;
	struct got *g = &c->v[c->n++];
	snprintf(g->rule, sizeof g->rule, "%s", f->rule_id);
	snprintf(g->field, sizeof g->field, "%s", f->field_json);
	snprintf(g->masked, sizeof g->masked, "%s", f->masked);
	g->record = f->record;
	g->offset = f->offset;
	g->length = f->length;
	g->conf = f->confidence;
	g->fplen = strlen(f->fingerprint);
	g->rule_index = rule;
}

static uint32_t next_source_id = 10;

static struct source *make_source(enum frame_format fmt, const char *header)
{
	uint32_t id = next_source_id++;
	struct source *src = source_new(id, fmt == FORMAT_JSONL ? "t.jsonl" : fmt == FORMAT_TEXT ? "t.log" : "t.csv");
	src->format = fmt;
	src->unnamed_field = fieldtab_intern(ft, id, NULL, 0);
	if (header) {
		char **names;
		size_t n;
		frame_csv_header(header, strlen(header), fmt == FORMAT_TSV ? '\t' : ',', &names, &n);
		src->colfield = calloc(n ? n : 1, sizeof *src->colfield);
		src->ncols = (uint32_t)n;
		for (size_t i = 0; i < n; i++) {
			src->colfield[i] = fieldtab_intern(ft, id, names[i], strlen(names[i]));
			free(names[i]);
		}
		free(names);
	}
	return src;
}

struct run {
	struct chunk ck;
	struct tally t;
	struct collected c;
	uint32_t recs[16];
	int rc;
};

/* Attribute the records of data (split at line ends, as text records are)
 * as one chunk of src at base_offset, first record first_record. */
static void run_chunk(struct run *r, struct source *src, const char *data, uint64_t base_offset,
		      uint64_t first_record, enum confidence min, bool format)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->ck.data);
	buf_init(&r->ck.out);
	buf_append(&r->ck.data, data, strlen(data));
	r->ck.src = src;
	r->ck.base_offset = base_offset;
	r->ck.first_record = first_record;
	r->ck.recs = r->recs;
	size_t len = strlen(data), n = 0;
	r->recs[0] = 0;
	for (size_t i = 0; i < len && n < 14; i++)
		if (data[i] == '\n' || i + 1 == len)
			r->recs[++n] = (uint32_t)(i + 1);
	r->ck.nrec = n;
	tally_init(&r->t, rs->n);
	struct attribute_config cfg = {
		.db = db, .fields = ft, .key = &key, .min_confidence = min, .format_findings = format,
		.on_finding = on_finding, .on_finding_arg = &r->c,
	};
	struct attributor *at = attributor_new(&cfg);
	CHECK(at != NULL);
	r->rc = attribute_chunk(at, &r->ck, &r->t);
	attributor_free(at);
}

static void run_release(struct run *r)
{
	tally_release(&r->t);
	buf_release(&r->ck.data);
	buf_release(&r->ck.out);
}

struct want {
	const char *rule;
	const char *field;       /* JSON literal */
	uint64_t record, offset;
	uint32_t length;
	enum confidence conf;
	const char *masked;      /* NULL: not checked */
};

static void check_found(const struct run *r, const struct want *w, size_t nw, const char *label)
{
	CHECK_MSG(r->rc == 0, "%s: rc %d", label, r->rc);
	CHECK_MSG(r->c.n == nw, "%s: %zu findings, want %zu", label, r->c.n, nw);
	for (size_t i = 0; i < r->c.n; i++) {
		const struct got *g = &r->c.v[i];
		if (i >= nw) {
			CHECK_MSG(0, "%s: extra finding %s in %s at %llu+%u (%s)", label, g->rule, g->field,
				  (unsigned long long)g->offset, g->length, confidence_name(g->conf));
			continue;
		}
		CHECK_MSG(!strcmp(g->rule, w[i].rule) && !strcmp(g->field, w[i].field) && g->record == w[i].record &&
				  g->offset == w[i].offset && g->length == w[i].length && g->conf == w[i].conf,
			  "%s finding %zu: %s %s rec %llu at %llu+%u %s; want %s %s rec %llu at %llu+%u %s", label, i,
			  g->rule, g->field, (unsigned long long)g->record, (unsigned long long)g->offset, g->length,
			  confidence_name(g->conf), w[i].rule, w[i].field, (unsigned long long)w[i].record,
			  (unsigned long long)w[i].offset, w[i].length, confidence_name(w[i].conf));
		CHECK_STR(rs->rules[g->rule_index].id, g->rule);
		if (w[i].masked)
			CHECK_MSG(!strcmp(g->masked, w[i].masked), "%s finding %zu: masked \"%s\" != \"%s\"", label, i,
				  g->masked, w[i].masked);
		CHECK_INT(g->fplen, FINGERPRINT_HEX_LEN);
	}
}

#define POSS CONFIDENCE_POSSIBLE
#define LIKE CONFIDENCE_LIKELY
#define VERY CONFIDENCE_VERY_LIKELY

static void test_text_chunk(void)
{
	struct source *src = make_source(FORMAT_TEXT, NULL);
	struct run r;

	/* A value that fits several rules is reported once, as the best. */
	static const struct want w1[] = {
		{ "email", "null", 7, 1008, 18, LIKE, "1***@qq.com" },
	};
	run_chunk(&r, src, "contact 13812345678@qq.com today\n", 1000, 7, POSS, false);
	check_found(&r, w1, 1, "email over phone");
	run_release(&r);

	/* A weak rule without context is possible, with a hotword very likely
	 * (validated); records are numbered from first_record. */
	static const struct want w2[] = {
		{ "imei", "null", 1, 2, 15, POSS, "868********3453" },
		{ "imei", "null", 2, 26, 15, VERY, NULL },
		{ "cn_mobile", "null", 3, 45, 11, LIKE, "138****5678" },
		{ "cn_mobile", "null", 4, 69, 11, VERY, NULL },
	};
	run_chunk(&r, src,
		  "x 868999030123453 y\n"
		  "IMEI: 868999030123453\n"
		  "to 13812345678\n"
		  "手机号：13812345678\n",
		  0, 1, POSS, false);
	check_found(&r, w2, 4, "confidence");
	CHECK_INT(tally_get(&r.t, src->unnamed_field)->records_total, 4);
	CHECK_INT(tally_get(&r.t, src->unnamed_field)->records_matched, 4);
	run_release(&r);

	/* A hotword counts only within ATTRIBUTE_HOTWORD_WINDOW bytes. */
	static const struct want w3[] = { { "imei", "null", 1, 38, 15, POSS, NULL } };
	run_chunk(&r, src, "imei ................................ 868999030123453\n", 0, 1, POSS, false);
	check_found(&r, w3, 1, "hotword window");
	run_release(&r);

	/* min_confidence drops the possible one and counts only the rest. */
	static const struct want w4[] = { { "cn_mobile", "null", 2, 23, 11, LIKE, NULL } };
	run_chunk(&r, src, "x 868999030123453 y\nto 13812345678\n", 0, 1, LIKE, false);
	check_found(&r, w4, 1, "min confidence");
	CHECK_INT(r.ck.nfindings, 1);
	CHECK_INT(atomic_load(&src->findings), 7);
	run_release(&r);

	/* The formatted lines: one per finding, with the masked preview and
	 * never the raw value. */
	run_chunk(&r, src, "a 13812345678 b zhang.san@example.com\n", 0, 1, POSS, true);
	CHECK_INT(r.c.n, 2);
	CHECK_INT(r.ck.nfindings, 2);
	buf_putc(&r.ck.out, '\0');
	const char *out = r.ck.out.data;
	CHECK(out && strstr(out, "{\"source\":\"t.log\",\"record\":1,\"field\":null,\"rule\":\"cn_mobile\",\"offset\":2,"
				 "\"length\":11,\"confidence\":\"likely\",\"masked\":\"138****5678\",\"fingerprint\":\""));
	CHECK(out && strstr(out, "\"rule\":\"email\",\"offset\":16,\"length\":21,"));
	CHECK(out && strstr(out, "\"masked\":\"z***@example.com\""));
	CHECK(out && !strstr(out, "13812345678") && !strstr(out, "zhang.san"));
	size_t lines = 0;
	for (const char *p = out; p && *p; p++)
		lines += *p == '\n';
	CHECK_INT(lines, 2);
	run_release(&r);

	source_free(src);
}

/* Regression (scanner/attribute.c, attribute_chunk, fixed): a new
 * attributor's candidate array was NULL until the first candidate, and
 * qsort(NULL, 0, ...) is undefined behaviour (UBSan stopped here under
 * SANITIZE=address,undefined); a worker whose first chunk held nothing to
 * find did the same. */
static void test_no_candidates(void)
{
	struct source *src = make_source(FORMAT_TEXT, NULL);
	struct run r;
	run_chunk(&r, src, "hello world\n\n", 0, 1, POSS, true);
	check_found(&r, NULL, 0, "nothing");
	CHECK_INT(r.ck.out.len, 0);
	CHECK_INT(tally_get(&r.t, src->unnamed_field)->records_total, 1);
	run_release(&r);
	source_free(src);
}

static void test_csv_chunk(void)
{
	struct source *src = make_source(FORMAT_CSV, "imei,note,\"Mobile Phone\",user_id_card\n");
	struct run r;
	/* The field name is context: an IMEI in column "imei" is very likely,
	 * the same value in "note" only possible. */
	static const struct want w[] = {
		{ "imei", "\"imei\"", 5, 100, 15, VERY, NULL },
		{ "imei", "\"note\"", 5, 116, 15, POSS, NULL },
		{ "cn_mobile", "\"Mobile Phone\"", 5, 132, 13, VERY, "138******5678" },
		{ "cn_resident_id", "\"user_id_card\"", 5, 146, 18, VERY, NULL },
		{ "email", "\"note\"", 6, 167, 18, LIKE, NULL },
		{ "cn_mobile", "\"col5\"", 6, 189, 11, LIKE, NULL },
	};
	run_chunk(&r, src,
		  "868999030123453,868999030123453,138-1234-5678,11010519491231002X\n"
		  ",\"13812345678@qq.com\",,,13812345678\n",
		  100, 5, POSS, false);
	check_found(&r, w, sizeof w / sizeof *w, "csv");
	CHECK_INT(tally_get(&r.t, src->colfield[0])->records_total, 1);
	CHECK_INT(tally_get(&r.t, src->colfield[1])->records_total, 2);
	CHECK_INT(tally_get(&r.t, src->colfield[1])->records_matched, 2);
	CHECK_INT(tally_get(&r.t, src->colfield[2])->records_total, 1);
	const struct tally_field *tf = tally_get(&r.t, src->colfield[1]);
	CHECK(tf->by_rule != NULL);
	if (tf->by_rule) {
		uint32_t imei = (uint32_t)(ruleset_find(rs, "imei") - rs->rules);
		uint32_t email = (uint32_t)(ruleset_find(rs, "email") - rs->rules);
		CHECK_INT(tf->by_rule[imei * 4 + POSS], 1);
		CHECK_INT(tf->by_rule[email * 4 + LIKE], 1);
	}
	run_release(&r);

	/* An unbalanced quote: the record is scanned as text, in no field,
	 * with a warning against the source. */
	size_t warnings = src->warnings;
	static const struct want wq[] = { { "cn_mobile", "null", 1, 3, 11, LIKE, NULL } };
	run_chunk(&r, src, "a,\"13812345678\n", 0, 1, POSS, false);
	check_found(&r, wq, 1, "unbalanced");
	CHECK_INT(src->warnings, warnings + 1);
	run_release(&r);
	source_free(src);
}

static void test_jsonl_chunk(void)
{
	struct source *src = make_source(FORMAT_JSONL, NULL);
	struct run r;
	/* Offsets and lengths of escaped values cover the raw escapes: the
	 * phone below is written "\u0031\u0033812345678" (21 bytes). */
	static const char data[] =
		"{\"phone\":\"\\u0031\\u0033812345678\",\"buyer\":{\"mobile\":\"13912345678\"}}\n"
		"{\"note\":\"line1\\nmail: a.b@example.com\",\"x\":\"\\u004113812345678\"}\n"
		"{\"k\":\"\\\"13812345678\\\"\"}\n"
		"{\"bad\": \"13812345678\"\n";
	static const struct want w[] = {
		{ "cn_mobile", "\"phone\"", 1, 10, 21, VERY, "138****5678" },
		{ "cn_mobile", "\"buyer.mobile\"", 1, 52, 11, VERY, NULL },
		{ "email", "\"note\"", 2, 89, 15, VERY, "a**@example.com" },
		{ "cn_mobile", "\"x\"", 2, 117, 11, LIKE, NULL },
		{ "cn_mobile", "\"k\"", 3, 139, 11, LIKE, NULL },
		{ "cn_mobile", "null", 4, 164, 11, LIKE, NULL },
	};
	size_t warnings = src->warnings;
	run_chunk(&r, src, data, 0, 1, POSS, false);
	check_found(&r, w, sizeof w / sizeof *w, "jsonl");
	CHECK_INT(src->warnings, warnings + 1);
	run_release(&r);

	/* A key is scanned but is not a value of its field. */
	static const struct want wk[] = { { "cn_mobile", "\"13812345678\"", 1, 2, 11, LIKE, NULL } };
	run_chunk(&r, src, "{\"13812345678\":true}\n", 0, 1, POSS, false);
	check_found(&r, wk, 1, "key");
	run_release(&r);
	source_free(src);
}

/* Attribution passes over field-scope rules while no field's name calls
 * for one (fieldtab_any_field_rules); the first such field, interned after
 * chunks without one, turns them on. */
static void test_field_rules_later(void)
{
	struct fieldtab *shared = ft;
	ft = fieldtab_new(rs);
	CHECK(!fieldtab_any_field_rules(ft));
	struct source *plain = make_source(FORMAT_CSV, "mobile,note\n");
	struct run r;
	static const struct want w1[] = { { "cn_mobile", "\"mobile\"", 1, 0, 11, VERY, NULL } };
	run_chunk(&r, plain, "13812345678,王伟\n", 0, 1, POSS, false);
	check_found(&r, w1, 1, "no name field");
	run_release(&r);
	CHECK(!fieldtab_any_field_rules(ft));

	struct source *named = make_source(FORMAT_CSV, "name,mobile\n");
	CHECK(fieldtab_any_field_rules(ft));
	static const struct want w2[] = {
		{ "cn_name", "\"name\"", 1, 0, 6, VERY, NULL },
		{ "cn_mobile", "\"mobile\"", 1, 7, 11, VERY, NULL },
	};
	run_chunk(&r, named, "王伟,13812345678\n", 0, 1, POSS, false);
	check_found(&r, w2, 2, "name field");
	run_release(&r);
	source_free(plain);
	source_free(named);
	fieldtab_free(ft);
	ft = shared;
}

/* A piece of a giant record keeps only the matches that start in
 * [keep_lo, keep_hi), and counts the record only when it is the first. */
static void test_piece_chunk(void)
{
	struct source *src = make_source(FORMAT_CSV, "a,b\n");
	struct run r;
	memset(&r, 0, sizeof r);
	buf_init(&r.ck.data);
	buf_init(&r.ck.out);
	buf_puts(&r.ck.data, "13812345678,13912345678,13712345678");
	r.ck.src = src;
	r.ck.first_record = 9;
	r.ck.piece = true;
	r.ck.piece_first = false;
	r.ck.keep_lo = 5;
	r.ck.keep_hi = 24;
	tally_init(&r.t, rs->n);
	struct attribute_config cfg = {
		.db = db, .fields = ft, .key = &key, .min_confidence = POSS, .on_finding = on_finding,
		.on_finding_arg = &r.c,
	};
	struct attributor *at = attributor_new(&cfg);
	CHECK_INT(attribute_chunk(at, &r.ck, &r.t), 0);
	attributor_free(at);
	static const struct want w[] = { { "cn_mobile", "null", 9, 12, 11, LIKE, NULL } };
	check_found(&r, w, 1, "piece");
	CHECK_INT(tally_get(&r.t, src->unnamed_field)->records_total, 0);
	run_release(&r);
	source_free(src);
}

/* A validator failure is never a finding but is counted against its
 * field's rule (the evidence classify.c weighs): a 19-digit order number
 * and a card number with a bad check digit are bank-card candidates that
 * fail; the valid card is found. */
static void test_rejects(void)
{
	struct source *src = make_source(FORMAT_CSV, "order_no,card\n");
	struct run r;
	static const struct want w[] = { { "bank_card", "\"card\"", 1, 20, 16, LIKE, NULL } };
	run_chunk(&r, src, "2100870115563336335,4111111111111111\n2100870115563336336,4111111111111112\n", 0, 1,
		  POSS, false);
	check_found(&r, w, 1, "rejects");
	uint32_t card = (uint32_t)(ruleset_find(rs, "bank_card") - rs->rules);
	const struct tally_field *order = tally_get(&r.t, src->colfield[0]), *cards = tally_get(&r.t, src->colfield[1]);
	CHECK(order->rule_rejected && order->rule_rejected[card] == 2);
	CHECK(cards->rule_rejected && cards->rule_rejected[card] == 1);
	CHECK(cards->by_rule && cards->by_rule[card * 4 + LIKE] == 1);
	run_release(&r);
	source_free(src);
}

/* A chunk of a few hundred KB is framed, scanned and judged a slice of
 * records at a time (attribute.c: SLICE_BYTES): every value is found once,
 * in its record and field, at its own offset, whichever slice its record
 * falls in, first or last. Rows of varying length move the slice ends. */
struct slice_seen {
	const uint64_t *row_off;   /* each row's chunk offset */
	size_t nrows;
	uint64_t base_offset;
	size_t n, bad;
	unsigned char *hits;       /* per row: bit 0 the mobile, bit 1 the ID */
};

static void on_slice_finding(void *arg, const struct finding *f, uint32_t rule)
{
	struct slice_seen *s = arg;
	(void)rule;
	s->n++;
	size_t row = (size_t)f->record - 1;
	if (row >= s->nrows) {
		s->bad++;
		return;
	}
	uint64_t at = s->base_offset + s->row_off[row];
	if (!strcmp(f->rule_id, "cn_mobile") && f->offset == at && f->length == 11 &&
	    !strcmp(f->field_json, "\"mobile\"") && !(s->hits[row] & 1))
		s->hits[row] |= 1;
	else if (!strcmp(f->rule_id, "cn_resident_id") && f->offset == at + 13 + (row * 37) % 50 &&
		 f->length == 18 && !strcmp(f->field_json, "\"id\"") && !(s->hits[row] & 2))
		s->hits[row] |= 2;
	else
		s->bad++;
}

static void test_slices(void)
{
	struct source *src = make_source(FORMAT_CSV, "mobile,note,id\n");
	enum { ROWS = 6000 };
	struct buf data;
	buf_init(&data);
	uint32_t *recs = malloc((ROWS + 1) * sizeof *recs);
	uint64_t *row_off = malloc(ROWS * sizeof *row_off);
	unsigned char *hits = calloc(ROWS, 1);
	for (size_t i = 0; i < ROWS; i++) {
		char row[160];
		int pad = (int)((i * 37) % 50);
		recs[i] = (uint32_t)data.len;
		row_off[i] = data.len;
		snprintf(row, sizeof row, "138%08zu,%.*s,11010519491231002X\n", i, pad,
			 "..................................................");
		buf_puts(&data, row);
	}
	recs[ROWS] = (uint32_t)data.len;
	CHECK(data.len > (256u << 10));   /* several slices */
	struct slice_seen seen = { .row_off = row_off, .nrows = ROWS, .base_offset = 4096, .hits = hits };
	struct chunk ck;
	struct tally t;
	memset(&ck, 0, sizeof ck);
	ck.data = data;
	buf_init(&ck.out);
	ck.src = src;
	ck.base_offset = 4096;
	ck.first_record = 1;
	ck.recs = recs;
	ck.nrec = ROWS;
	tally_init(&t, rs->n);
	struct attribute_config cfg = {
		.db = db, .fields = ft, .key = &key, .min_confidence = POSS, .on_finding = on_slice_finding,
		.on_finding_arg = &seen,
	};
	struct attributor *at = attributor_new(&cfg);
	CHECK_INT(attribute_chunk(at, &ck, &t), 0);
	attributor_free(at);
	size_t missing = 0;
	for (size_t i = 0; i < ROWS; i++)
		missing += hits[i] != 3;
	CHECK_MSG(seen.n == 2 * ROWS && !seen.bad && !missing, "slices: %zu findings (want %d), %zu wrong, %zu rows short",
		  seen.n, 2 * ROWS, seen.bad, missing);
	CHECK_INT(ck.nfindings, 2 * ROWS);
	CHECK_INT(tally_get(&t, src->colfield[0])->records_total, ROWS);
	CHECK_INT(tally_get(&t, src->colfield[2])->records_matched, ROWS);
	tally_release(&t);
	buf_release(&ck.data);
	buf_release(&ck.out);
	free(recs);
	free(row_off);
	free(hits);
	source_free(src);
}

/* Regression (scanner/attribute.c, has_hotword, fixed): an empty hotword
 * ('') read low[len], past the 32-byte window when the value was 32 or more
 * bytes into its span, and a NUL byte there gave every value context. An
 * empty hotword must be refused by ruleset_load or never count as context;
 * this test accepts either. */
static void test_empty_hotword(void)
{
	static const char yaml[] =
		"rules:\n"
		"  - id: digits15\n"
		"    name: fifteen digits\n"
		"    category: device\n"
		"    sensitive: false\n"
		"    weak: true\n"
		"    pattern: '[0-9]{15}'\n"
		"    context:\n"
		"      hotwords: ['', 'imei']\n";
	char rdir[] = "/tmp/piiscan-rules-XXXXXX", path[128], eb[256];
	CHECK(mkdtemp(rdir) != NULL);
	snprintf(path, sizeof path, "%s/x.yaml", rdir);
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (!fp)
		return;
	fputs(yaml, fp);
	fclose(fp);
	struct ruleset *rs2;
	int rc = ruleset_load(rdir, &rs2, eb, sizeof eb);
	unlink(path);
	rmdir(rdir);
	if (rc) {
		CHECK(strstr(eb, "digits15") != NULL);   /* refused, naming the rule */
		return;
	}
	struct hsdb *db2;
	CHECK_INT(hsdb_load(rs2, "", &db2, eb, sizeof eb), 0);
	struct fieldtab *ft2 = fieldtab_new(rs2);
	struct source *src = source_new(99, "e.log");
	src->format = FORMAT_TEXT;
	src->unnamed_field = fieldtab_intern(ft2, 99, NULL, 0);
	struct collected c = { .n = 0 };
	struct attribute_config cfg = {
		.db = db2, .fields = ft2, .key = &key, .min_confidence = POSS, .on_finding = on_finding,
		.on_finding_arg = &c,
	};
	struct attributor *at = attributor_new(&cfg);
	struct chunk ck;
	struct tally t;
	static const char line[] = "0123456789 0123456789 0123456789 123456789012345 0 123456789012345\n";
	uint32_t recs[2] = { 0, sizeof line - 1 };
	memset(&ck, 0, sizeof ck);
	buf_init(&ck.data);
	buf_init(&ck.out);
	buf_append(&ck.data, line, sizeof line - 1);
	ck.src = src;
	ck.first_record = 1;
	ck.recs = recs;
	ck.nrec = 1;
	tally_init(&t, rs2->n);
	CHECK_INT(attribute_chunk(at, &ck, &t), 0);
	CHECK_INT(c.n, 2);
	for (size_t i = 0; i < c.n; i++)
		CHECK_MSG(c.v[i].conf == POSS, "has_hotword: an empty hotword gave context (%s)",
			  confidence_name(c.v[i].conf));
	tally_release(&t);
	buf_release(&ck.data);
	buf_release(&ck.out);
	attributor_free(at);
	source_free(src);
	fieldtab_free(ft2);
	hsdb_free(db2);
	ruleset_free(rs2);
}

TEST_MAIN(test_unescape, test_unescape_properties, env_init, test_text_chunk, test_csv_chunk, test_jsonl_chunk,
	  test_field_rules_later, test_piece_chunk, test_rejects, test_slices, test_empty_hotword, test_no_candidates, env_release)
