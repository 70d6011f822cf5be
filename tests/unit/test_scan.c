/* Unit tests for the scan stage (scanner/scan.c): the token boundary test,
 * and scanner_scan over strings with the shipped rules (compiled without
 * the cache): whole tokens only, validators applied, one rule's overlapping
 * matches merged, results sorted by start. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dfa.h"
#include "harness.h"
#include "hsdb.h"
#include "rules.h"
#include "scan.h"

static struct ruleset *rs;
static struct hsdb *db;
static struct scanner *sc;

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
	CHECK(!hsdb_from_cache(db));
	CHECK(hsdb_ruleset(db) == rs);
	sc = scanner_new(db);
	CHECK(sc != NULL);
	if (!sc)
		exit(1);
}

static struct scanner *ref;

static void env_release(void)
{
	scanner_free(ref);
	scanner_free(sc);
	scanner_free(NULL);
	hsdb_free(db);
	ruleset_free(rs);
}

/* ---- scan_is_token ---- */

static void test_is_token(void)
{
	static const struct {
		const char *s;
		size_t start, end;
		int want;
	} rows[] = {
		{ "13812345678", 0, 11, 1 },
		{ " 13812345678 ", 1, 12, 1 },
		{ "a13812345678b", 1, 12, 1 },        /* digits after and before letters */
		{ "913812345678", 1, 12, 0 },         /* digit before */
		{ "138123456789", 0, 11, 0 },         /* digit after */
		{ "3.13812345678", 2, 13, 0 },        /* decimal: "d." before */
		{ "x.13812345678", 2, 13, 1 },        /* "." without a digit before it */
		{ ".13812345678", 1, 12, 1 },
		{ "13812345678.5", 0, 11, 0 },        /* decimal: ".d" after */
		{ "13812345678.", 0, 11, 1 },         /* end of a sentence */
		{ "13812345678.x", 0, 11, 1 },
		{ "13812345678,1", 0, 11, 1 },
		{ "-13812345678-", 1, 12, 1 },
		{ "手机13812345678号", 6, 17, 1 },     /* UTF-8 neighbours are boundaries */
		{ "abcd", 1, 4, 0 },                  /* letter before a letter */
		{ "1abc", 1, 4, 0 },                  /* digit before a letter */
		{ "-abc", 1, 4, 1 },
		{ "abcd", 0, 3, 0 },                  /* letter after a letter */
		{ "abc1", 0, 3, 0 },                  /* digit after a letter */
		{ "abc-", 0, 3, 1 },
		{ "abc", 0, 3, 1 },
		{ "x+86 138", 1, 8, 1 },              /* "+" starts: no rule */
		{ "9+86 138", 1, 8, 1 },
		{ "-ab-x", 1, 4, 1 },                 /* ends in "-": no rule at the end */
		{ "user@example.com.", 0, 16, 1 },
		{ "user@example.comx", 0, 16, 0 },
		{ "xuser@example.com", 1, 17, 0 },
		{ "5", 0, 1, 1 },
		{ "55", 1, 2, 0 },
		{ "5.5", 2, 3, 0 },
		{ "a.5", 2, 3, 1 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		CHECK_MSG(scan_is_token(rows[i].s, strlen(rows[i].s), rows[i].start, rows[i].end) == rows[i].want,
			  "row %zu \"%s\" [%zu,%zu): want %d", i, rows[i].s, rows[i].start, rows[i].end, rows[i].want);
}

/* ---- scanner_scan ---- */

struct want_match {
	const char *rule;
	uint32_t start, end;
	enum verdict verdict;
};

/* Compare the matches of text with want; with all false, matches that
 * failed their validator (kept by the scanner as evidence) are left out. */
static void check_scan_as(const char *text, const struct want_match *want, size_t nwant, bool all)
{
	const struct match *m;
	size_t n, k = 0;
	int rc = scanner_scan(sc, text, strlen(text), &m, &n);
	CHECK_MSG(rc == 0, "\"%s\": rc %d", text, rc);
	for (size_t i = 0; i < n; i++) {
		const char *id = rs->rules[m[i].rule].id;
		if (!all && m[i].verdict == VERDICT_FAIL)
			continue;
		if (k < nwant)
			CHECK_MSG(!strcmp(id, want[k].rule) && m[i].start == want[k].start && m[i].end == want[k].end &&
					  m[i].verdict == want[k].verdict,
				  "\"%s\" match %zu: %s [%u,%u) v%d, want %s [%u,%u) v%d", text, k, id, m[i].start,
				  m[i].end, m[i].verdict, want[k].rule, want[k].start, want[k].end, want[k].verdict);
		else
			CHECK_MSG(0, "\"%s\": extra match %s [%u,%u) v%d", text, id, m[i].start, m[i].end, m[i].verdict);
		k++;
	}
	CHECK_MSG(k == nwant, "\"%s\": %zu matches, want %zu", text, k, nwant);
}

static void check_scan(const char *text, const struct want_match *want, size_t nwant)
{
	check_scan_as(text, want, nwant, false);
}

#define PASS VERDICT_PASS
#define WEAK VERDICT_WEAK

static void test_scan_values(void)
{
	/* A 19-digit UnionPay card is one match; its 16-digit prefix (which
	 * the validator would call weak on its own) is not a token. */
	static const struct want_match card19[] = { { "bank_card", 0, 19, PASS } };
	check_scan("6222021234567890128", card19, 1);
	static const struct want_match card16[] = { { "bank_card", 0, 16, WEAK } };
	check_scan("6222021234567890", card16, 1);
	static const struct want_match card19g[] = { { "bank_card", 3, 26, PASS } };
	check_scan("No.6222 0212 3456 7890 128.", card19g, 1);

	/* 14 digits hold no mobile number, nor anything else (not even a
	 * failed candidate: no part of them is a token). */
	check_scan_as("13812345678901", NULL, 0, true);
	check_scan_as("x13812345678901x", NULL, 0, true);
	/* 12 and 10 digits neither. */
	check_scan_as("138123456789", NULL, 0, true);
	check_scan_as("1381234567", NULL, 0, true);

	/* The written form of a mobile number, prefix and groups included, is
	 * one match: the +86 form and its bare "138 ..." merge. */
	static const struct want_match plus86[] = { { "cn_mobile", 0, 17, PASS } };
	check_scan("+86 138 1234 5678", plus86, 1);
	static const struct want_match plus86b[] = { { "cn_mobile", 6, 23, PASS } };
	check_scan("电话+86 138 1234 5678。", plus86b, 1);
	static const struct want_match zero86[] = { { "cn_mobile", 0, 18, PASS } };
	check_scan("0086 138 1234 5678", zero86, 1);
	static const struct want_match dashed[] = { { "cn_mobile", 4, 17, PASS } };
	check_scan("tel 138-1234-5678", dashed, 1);
	static const struct want_match bare[] = { { "cn_mobile", 1, 12, PASS } };
	check_scan("x13812345678", bare, 1);

	/* Decimals and unallocated ranges are not phones. */
	check_scan("3.13812345678", NULL, 0);
	check_scan("13812345678.5", NULL, 0);
	check_scan("12812345678", NULL, 0);

	/* An e-mail whose local part is a phone: both rules match here (the
	 * attribute stage picks one); sorted by start, longer first. */
	static const struct want_match email[] = { { "email", 0, 18, PASS }, { "cn_mobile", 0, 11, PASS } };
	check_scan("13812345678@qq.com", email, 2);

	/* A weak rule's match comes back (the attribute stage weighs it). */
	static const struct want_match imei[] = { { "imei", 2, 17, PASS } };
	check_scan("x 868999030123453 y", imei, 1);

	/* Non-ASCII literals in patterns. */
	static const struct want_match plate[] = { { "cn_plate", 0, 9, PASS } };
	check_scan("京A12345", plate, 1);

	check_scan_as("", NULL, 0, true);
	check_scan("no personal data here at all", NULL, 0);
}

/* A value that fits a pattern but not its validator comes back once, as
 * VERDICT_FAIL (evidence against the rule for its column). */
#define FAIL VERDICT_FAIL

static void test_scan_failures(void)
{
	static const struct want_match luhn[] = { { "bank_card", 0, 16, FAIL } };
	check_scan_as("4111111111111112", luhn, 1, true);
	check_scan("4111111111111112", NULL, 0);
	static const struct want_match grouped[] = { { "bank_card", 5, 24, FAIL } };
	check_scan_as("card 4111 1111 1111 1112", grouped, 1, true);
	/* A group with a passing member is that member, not a failure. */
	static const struct want_match mixed[] = { { "cn_mobile", 0, 17, PASS } };
	check_scan_as("+86 138 1234 5678", mixed, 1, true);
	/* An unallocated mobile range fails the prefix table. */
	static const struct want_match range[] = { { "cn_mobile", 0, 11, FAIL } };
	check_scan_as("15412345678", range, 1, true);
}

/* Several values in one block come back sorted by start. */
static void test_scan_sorted(void)
{
	static const char text[] =
		"mail a@b.com tel 13812345678, card 4111111111111111, ip 10.1.2.3 id 11010519491231002X "
		"4111 1111 1111 1111 and again 13912345678 x@y.cn";
	static const struct want_match want[] = {
		{ "email", 5, 12, PASS }, { "cn_mobile", 17, 28, PASS }, { "bank_card", 35, 51, PASS },
		{ "ipv4", 56, 64, PASS }, { "cn_resident_id", 68, 86, PASS }, { "bank_card", 87, 106, PASS },
		{ "cn_mobile", 117, 128, PASS }, { "email", 129, 135, PASS },
	};
	check_scan(text, want, sizeof want / sizeof *want);

	const struct match *m;
	size_t n;
	CHECK_INT(scanner_scan(sc, text, sizeof text - 1, &m, &n), 0);
	for (size_t i = 1; i < n; i++)
		CHECK_MSG(m[i - 1].start < m[i].start ||
				  (m[i - 1].start == m[i].start && m[i - 1].end >= m[i].end),
			  "match %zu out of order", i);
	/* Every match is a whole token of the block. */
	for (size_t i = 0; i < n; i++)
		CHECK(scan_is_token(text, sizeof text - 1, m[i].start, m[i].end));
}

/* Bytes outside the block are boundaries: a value at either end counts,
 * and scanning a slice ignores what lies beyond it. */
static void test_scan_slice(void)
{
	static const char text[] = "913812345678";
	const struct match *m;
	size_t n;
	CHECK_INT(scanner_scan(sc, text + 1, 11, &m, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(scanner_scan(sc, text, 12, &m, &n), 0);
	CHECK_INT(n, 0);
	/* NUL bytes and bytes 0x80-0xFF are boundaries too. */
	static const char bin[] = "\x00" "13812345678" "\xff";
	CHECK_INT(scanner_scan(sc, bin, sizeof bin - 1, &m, &n), 0);
	CHECK_INT(n, 1);
	if (n)
		CHECK_INT(m[0].start, 1);
}

/* A block with more candidates than the scanner's first buffer holds. */
static void test_scan_many(void)
{
	size_t count = 3000, len = count * 12;
	char *text = malloc(len);
	for (size_t i = 0; i < count; i++)
		memcpy(text + i * 12, "13812345678 ", 12);
	const struct match *m;
	size_t n;
	CHECK_INT(scanner_scan(sc, text, len, &m, &n), 0);
	CHECK_INT(n, count);
	if (n == count)
		CHECK_INT(m[count - 1].start, (count - 1) * 12);
	free(text);
}

/* Regression (scanner/scan.c, fixed): Hyperscan reports one start per end,
 * the leftmost; when that start failed the token test, the shorter reading
 * that would pass was never seen. "10086 13812345678" holds a plain mobile
 * number at [6,17), but the match reported for that end was "0086
 * 13812345678" from 1, which follows the digit "1", and was dropped. */
static void test_scan_leftmost(void)
{
	static const struct want_match want[] = { { "cn_mobile", 6, 17, PASS } };
	check_scan("10086 13812345678", want, 1);
	static const struct want_match want2[] = { { "cn_mobile", 11, 22, PASS } };
	check_scan("Room 20086 13912345678", want2, 1);
}

/* Regression (bench/ sparse logs): digits with letters on both sides are
 * part of a longer code (hex trace ids), not a phone or a card; a letter on
 * one side only leaves a value. */
static void test_scan_embedded(void)
{
	check_scan("traceId=f13384889802cabb", NULL, 0);
	check_scan("span a6222021234567890123b", NULL, 0);
	static const struct want_match want[] = { { "cn_mobile", 3, 14, PASS } };
	check_scan("tel13812345678 ok", want, 1);
}

/* dfa_split: a pattern splits at a top-level literal byte that no match of
 * either side holds, and nowhere else. */
static void test_dfa_split(void)
{
	static const struct {
		const char *pattern;
		int byte; /* -1: does not split */
	} cases[] = {
		{ "[A-Za-z0-9_.%+-]{1,64}@[A-Za-z0-9.-]{1,40}\\.[A-Za-z]{2,12}", '@' },
		{ "[a-z]+\\.[0-9]+", '.' },
		{ "[a-z]+@[a-z]+|[0-9]+@[0-9]+", -1 },   /* top-level alternatives */
		{ "[a-z@]+@[a-z]+", -1 },              /* the byte on one side too */
		{ "[a-z]+@[^ ]+", -1 },
		{ "[a-z]+@?[a-z]+", -1 },              /* optional */
		{ "[a-z]+(?:@)[a-z]+", -1 },           /* not at the top level */
		{ "@[a-z]+", -1 },                     /* nothing before it */
		{ "[a-z]+@", -1 },                     /* nothing after it */
		{ "ab-[0-9]+", 'b' },                  /* the first byte that works */
		{ "[a-z]+b-[0-9]+", '-' },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		unsigned char c = 0;
		struct dfa *rev, *fwd;
		bool ok = dfa_split(cases[k].pattern, 7, 60000, &c, &rev, &fwd);
		CHECK_MSG(ok == (cases[k].byte >= 0), "%s: split %d", cases[k].pattern, ok);
		if (ok) {
			CHECK_MSG(c == cases[k].byte, "%s: at '%c'", cases[k].pattern, c);
			CHECK(dfa_has_id(rev, 7) && dfa_has_id(fwd, 7));
		} else {
			CHECK(!rev && !fwd);
		}
		dfa_free(rev);
		dfa_free(fwd);
	}
}

/* dfa_table_class_run: a DFA is taken for a counted run of one class
 * only when it is one (the e-mail rule's local part, reversed, is), with
 * its class and bounds; then a count of the class's bytes gives what a
 * walk would (the engines agree below with the e-mail rule's starts found
 * so). */
static void test_dfa_class_run(void)
{
	static const struct {
		const char *pattern;
		bool run;
		uint32_t min, max;
		const char *in, *out;   /* bytes in the class, and not */
	} cases[] = {
		{ "[a-z]{2,5}", true, 2, 5, "az", "AZ09@" },
		{ "[0-9]+", true, 1, UINT32_MAX, "059", "a." },
		{ "x{3}", true, 3, 3, "x", "y" },
		{ "[a-c]|[b-d]{2}", false, 0, 0, "", "" },   /* d only from the second byte */
		{ "[a-z]{1,3}[a-c]{0,2}", false, 0, 0, "", "" },
		{ "[a-z]+[0-9]", false, 0, 0, "", "" },
		{ "ab", false, 0, 0, "", "" },
		{ "[a-z]{2}|[a-z]{4}", false, 0, 0, "", "" },   /* not every length from min */
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		char eb[256];
		uint32_t id = 3;
		const char *pat = cases[k].pattern;
		struct dfa *d = dfa_build(&pat, &id, 1, 10000, eb, sizeof eb);
		CHECK_MSG(d != NULL, "dfa_build %s: %s", pat, eb);
		if (!d)
			continue;
		struct dfa_class_run r;
		bool got = dfa_table_class_run(dfa_table(d), &r);
		CHECK_MSG(got == cases[k].run, "%s: class run %d", pat, got);
		if (got && cases[k].run) {
			CHECK_MSG(r.min == cases[k].min && r.max == cases[k].max, "%s: {%u,%u}", pat, r.min, r.max);
			for (const char *c = cases[k].in; *c; c++)
				CHECK_MSG(r.in[(unsigned char)*c], "%s: '%c' in", pat, *c);
			for (const char *c = cases[k].out; *c; c++)
				CHECK_MSG(!r.in[(unsigned char)*c], "%s: '%c' out", pat, *c);
		}
		dfa_free(d);
	}
	unsigned char at;
	struct dfa *rev, *fwd;
	CHECK(dfa_split("[A-Za-z0-9_.%+-]{1,64}@[A-Za-z0-9.-]{1,40}\\.[A-Za-z]{2,12}", 7, 60000, &at, &rev, &fwd));
	struct dfa_class_run r;
	CHECK(rev && dfa_table_class_run(dfa_table(rev), &r) && r.min == 1 && r.max == 64 && r.in['%'] && !r.in['@']);
	CHECK(fwd && !dfa_table_class_run(dfa_table(fwd), &r));
	dfa_free(rev);
	dfa_free(fwd);
}

/* The fast engine (DFA from token starts, split rules from their byte,
 * Hyperscan for the rest) finds exactly what the reference engine (one
 * Hyperscan database with SOM) does: around e-mail addresses, where the
 * split rule's starts and ends meet token boundaries, and on random text
 * over the bytes that matter. */
static void check_engines(const char *text, size_t len)
{
	if (!ref)
		ref = scanner_new_engine(db, SCAN_ENGINE_REFERENCE);
	const struct match *a, *b;
	size_t na, nb;
	CHECK_INT(scanner_scan(sc, text, len, &a, &na), 0);
	struct match *copy = malloc((na ? na : 1) * sizeof *copy);
	memcpy(copy, a, na * sizeof *copy);
	CHECK_INT(scanner_scan(ref, text, len, &b, &nb), 0);
	bool same = na == nb;
	for (size_t i = 0; same && i < na; i++)
		same = copy[i].rule == b[i].rule && copy[i].start == b[i].start && copy[i].end == b[i].end &&
		       copy[i].verdict == b[i].verdict;
	CHECK_MSG(same, "engines differ on \"%.*s\": %zu vs %zu matches", (int)len, text, na, nb);
	free(copy);
}

static void test_engines_agree(void)
{
	static const char *const texts[] = {
		"a@b.com", "x.y+z@sub.example.co", "@@a@b.cn@", "a@b.c", "1.2@x.com", "tel13812345678@qq.com",
		"a@b.coma@c.com", "a@b.com@c.com", "-a@b.com-", "_.@x.io", "a@-.io", "mail:a.b@c.d.e.fg,",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.com",
		"a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com",
		"zhouyong290@sohu.com,6264998313858576,49.255.119.171", "x@y.commmmmmmmmmmmmm",
	};
	for (size_t k = 0; k < sizeof texts / sizeof *texts; k++)
		check_engines(texts[k], strlen(texts[k]));
	/* Regression (scan.c, sort_nearly_sorted, fixed): Hyperscan reports a
	 * long JWT's ends shortest first, each must move before all the others
	 * (one start, longer end first), and past 64 moves the insertion sort
	 * fell back to qsort with the element it was moving lost and its
	 * neighbour doubled: the JWT came out short (found by
	 * tests/fuzz/fuzz_engines.c). */
	for (int pairs = 30; pairs < 120; pairs++) {
		/* An end after each digit: some count of them puts the longest
		 * end exactly where the sort gave up. */
		char jwt[512];
		size_t jl = (size_t)snprintf(jwt, sizeof jwt, "x .eyJ%s.eyJ%s.", "abcdefghij", "klmnopqrst");
		for (int k = 0; k < pairs; k++)
			jl += (size_t)snprintf(jwt + jl, sizeof jwt - jl, "1a");
		jl += (size_t)snprintf(jwt + jl, sizeof jwt - jl, " y");
		check_engines(jwt, jl);
	}

	static const char alphabet[] = "ab.@-_+1357 9x.com@cn";
	uint64_t r = 42;
	char buf[200];
	for (int round = 0; round < 20000; round++) {
		size_t len = 1 + round % 60;
		for (size_t i = 0; i < len; i++) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[i] = alphabet[(r >> 33) % (sizeof alphabet - 1)];
		}
		check_engines(buf, len);
	}
}

/* dfa_table_drun2 against every digit string of 2 to 6 digits, walked,
 * by its first two digits: none accepts (DFA_DRUN_NONE), all reach
 * accepting states with the same ids (one of them), or neither (dead). */
static void check_drun2(const struct dfa_table *t, size_t np)
{
	for (unsigned p = 0; p < 100; p++)
		for (unsigned n = 2; n <= 6; n++) {
			unsigned total = 1;
			for (unsigned k = 2; k < n; k++)
				total *= 10;
			bool any = false, all = true;
			uint32_t one = t->dead;
			for (unsigned w = 0; w < total; w++) {
				uint32_t st = dfa_table_step(t, t->start, (unsigned char)('0' + p / 10));
				st = dfa_table_step(t, st, (unsigned char)('0' + p % 10));
				unsigned rest = w;
				for (unsigned k = 2; k < n && st != t->dead; k++, rest /= 10)
					st = dfa_table_step(t, st, (unsigned char)('0' + rest % 10));
				bool acc = st != t->dead && st >= t->acc_min;
				any |= acc;
				if (!acc) {
					all = false;
				} else if (one == t->dead) {
					one = st;
				} else {
					uint16_t na, nb;
					const uint32_t *ia = dfa_table_ids(t, st, &na), *ib = dfa_table_ids(t, one, &nb);
					all &= na == nb && !memcmp(ia, ib, na * sizeof *ia);
				}
			}
			uint32_t got = dfa_table_drun2(t, p / 10, p % 10, n);
			if (!any) {
				CHECK_MSG(got == DFA_DRUN_NONE, "%zu patterns, %02u, n %u: none accepts", np, p, n);
			} else if (!all) {
				CHECK_MSG(got == t->dead, "%zu patterns, %02u, n %u: not uniform", np, p, n);
			} else {
				CHECK_MSG(got != t->dead && got != DFA_DRUN_NONE, "%zu patterns, %02u, n %u: uniform", np, p, n);
				if (got != t->dead && got != DFA_DRUN_NONE) {
					uint16_t na, nb;
					const uint32_t *ia = dfa_table_ids(t, got, &na), *ib = dfa_table_ids(t, one, &nb);
					CHECK(na == nb && !memcmp(ia, ib, na * sizeof *ia));
				}
			}
		}
}

/* dfa_table_drun against every digit string of up to 6 digits, walked: a
 * state set and its verdicts from the subset construction must be what
 * the strings themselves do. "1[3-9]..." kills "10...", so its 5-digit
 * strings all accept but do not all survive: not uniform. */
static void test_dfa_drun(void)
{
	static const char *const pats[] = { "1[3-9][0-9]{3}", "[2-6][0-9]{2,4}", "[0-9]{4}-[0-9]{2}", "12[0-9]{3}x?",
					    "[0-9]{3}" };
	static const uint32_t ids[] = { 0, 1, 2, 3, 4 };
	char eb[256];
	for (size_t np = 1; np <= 5; np++) {
		struct dfa *d = dfa_build(pats, ids, np, 10000, eb, sizeof eb);
		CHECK_MSG(d != NULL, "dfa_build: %s", eb);
		if (!d)
			continue;
		const struct dfa_table *t = dfa_table(d);
		for (unsigned first = 0; first < 10; first++)
			for (unsigned n = 1; n <= 6; n++) {
				const struct dfa_drun *dr = dfa_table_drun(t, first, n);
				bool any_accept = false, all_survive = true, same = true;
				uint8_t cont[32] = { 0 };
				uint32_t firstfinal = t->dead;
				unsigned total = 1;
				for (unsigned k = 1; k < n; k++)
					total *= 10;
				for (unsigned w = 0; w < total; w++) {
					uint32_t st = dfa_table_step(t, t->start, (unsigned char)('0' + first));
					unsigned rest = w;
					for (unsigned k = 1; k < n && st != t->dead; k++, rest /= 10)
						st = dfa_table_step(t, st, (unsigned char)('0' + rest % 10));
					if (st == t->dead) {
						all_survive = false;
						continue;
					}
					bool acc = st >= t->acc_min;
					any_accept |= acc;
					for (unsigned c = 0; c < 256; c++)
						if (dfa_table_step(t, st, (unsigned char)c) != t->dead)
							cont[c >> 3] |= (uint8_t)(1u << (c & 7));
					uint16_t na = 0, nb = 0;
					const uint32_t *ia = acc ? dfa_table_ids(t, st, &na) : NULL;
					if (firstfinal == t->dead) {
						firstfinal = st;
					} else {
						const uint32_t *ib = firstfinal >= t->acc_min ? dfa_table_ids(t, firstfinal, &nb) : NULL;
						same &= acc && na == nb && (!na || !memcmp(ia, ib, na * sizeof *ia));
					}
					same &= acc;
				}
				bool uniform = all_survive && same && firstfinal != t->dead;
				CHECK_MSG(dr->any_accept == any_accept, "%zu patterns, %u, n %u: any_accept", np, first, n);
				for (unsigned c = 0; c < 256; c++)
					if (c < '0' || c > '9')
						CHECK_MSG(dfa_drun_goes_on(dr, (unsigned char)c) == ((cont[c >> 3] >> (c & 7)) & 1),
							  "%zu patterns, %u, n %u: byte %u", np, first, n, c);
				CHECK_MSG((dr->accept != t->dead) == uniform, "%zu patterns, %u, n %u: uniform %d", np, first,
					  n, uniform);
				if (uniform && dr->accept != t->dead) {
					uint16_t na, nb;
					const uint32_t *ia = dfa_table_ids(t, dr->accept, &na), *ib = dfa_table_ids(t, firstfinal, &nb);
					CHECK(na == nb && !memcmp(ia, ib, na * sizeof *ia));
				}
			}
		check_drun2(t, np);
		dfa_free(d);
	}
}

/* dfa_table_pair against two steps of the table, for every pair of
 * bytes, with patterns that accept after one byte and after two: where a
 * run stands after them, or that it must walk (an accept on the way), or
 * that it cannot report. */
static void test_dfa_pair_states(void)
{
	static const char *const pats[] = { "a", "bc", "b[0-9]{3}", "[0-9]{4}-[0-9]", "x+y", "\\+86[0-9]{2}" };
	static const uint32_t ids[] = { 0, 1, 2, 3, 4, 5 };
	char eb[256];
	struct dfa *d = dfa_build(pats, ids, 6, 10000, eb, sizeof eb);
	CHECK_MSG(d != NULL, "dfa_build: %s", eb);
	if (!d)
		return;
	CHECK(dfa_add_pair_states(d));
	const struct dfa_table *t = dfa_table(d);
	int bad = 0, walks = 0, states = 0, none = 0;
	for (unsigned c0 = 0; t->pair && c0 < 256; c0++)
		for (unsigned c1 = 0; c1 < 256; c1++) {
			uint32_t st1 = dfa_table_step(t, t->start, (unsigned char)c0);
			uint32_t st2 = dfa_table_dead(t, st1) ? st1 : dfa_table_step(t, st1, (unsigned char)c1);
			bool accept_on_way = !dfa_table_dead(t, st1) &&
					     (!dfa_table_goes_on(t, st1) || (!dfa_table_dead(t, st2) && !dfa_table_goes_on(t, st2)));
			uint16_t e = dfa_table_pair(t, (unsigned char)c0, (unsigned char)c1);
			if (e == 0)
				bad += !dfa_table_dead(t, st2), none++;
			else if (e == DFA_PAIR_WALK)
				bad += !accept_on_way, walks++;
			else
				bad += accept_on_way || dfa_table_pair_state(t, e) != st2 || !dfa_table_goes_on(t, st2),
					states++;
		}
	CHECK_INT(bad, 0);
	/* "a", "bc" and "x+y" walk; "b1", "12", "+8" start two bytes on. */
	CHECK(walks > 0 && states > 0 && none > 0);
	CHECK(dfa_table_pair(t, 'a', '!') == DFA_PAIR_WALK && dfa_table_pair(t, 'b', 'c') == DFA_PAIR_WALK);
	CHECK(dfa_table_pair(t, '1', '2') != 0 && dfa_table_pair(t, '1', '2') != DFA_PAIR_WALK);
	CHECK(dfa_table_pair(t, 'q', 'q') == 0 && dfa_table_pair(t, 'b', 'x') == 0);
	dfa_free(d);
}

/* Digit runs of every length up to past DFA_DRUN_MAX, each followed by a
 * byte that some rule reads on with or none does (scan.c: digit_run passes
 * over or reports a run from its length alone, and must agree with a walk).
 * The runs start with each digit; whole texts are longer than 32 bytes so
 * that the vector measure of a run applies. */
static void test_engines_digit_runs(void)
{
	static const char after[] = ",.-: @Xxa/\n\t";
	uint64_t r = 7;
	char buf[400];
	for (int round = 0; round < 30000; round++) {
		size_t len = 0;
		while (len < 200) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			size_t run = 1 + (r >> 33) % 40;
			for (size_t i = 0; i < run; i++) {
				r = r * 6364136223846793005ULL + 1442695040888963407ULL;
				buf[len++] = (char)('0' + (r >> 33) % 10);
			}
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[len++] = after[(r >> 33) % (sizeof after - 1)];
			if ((r >> 40) % 4 == 0) /* a separator run: 12.34.56.78, 0571-8888 8888 */
				buf[len++] = after[(r >> 45) % (sizeof after - 1)];
		}
		check_engines(buf, len);
	}
	/* Each length from 1 to 40 for each first digit, in a row and alone. */
	for (int d = 0; d < 10; d++)
		for (size_t n = 1; n <= 40; n++)
			for (size_t k = 0; k < sizeof after - 1; k++) {
				size_t len = 0;
				buf[len++] = ',';
				for (size_t i = 0; i < n; i++)
					buf[len++] = (char)('0' + (i ? (int)((i * 7 + (size_t)d) % 10) : d));
				buf[len++] = after[k];
				while (len < 40)
					buf[len++] = ' ';
				check_engines(buf, len);
			}
}

/* The cache directory keeps the files of the HSDB_CACHE_KEEP most recently
 * used keys when a run writes a new one: older keys' files go, with
 * temporary files left more than an hour ago; anything else stays. */
static void touch_at(const char *dir, const char *name, time_t when)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	struct timespec ts[2] = { { .tv_sec = when }, { .tv_sec = when } };
	CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

static bool exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static void test_cache_prune(void)
{
	char dir[] = "/tmp/piiscan-cache-test.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	time_t now = time(NULL);
	char name[128];
	int fake = HSDB_CACHE_KEEP + 3;
	for (int i = 0; i < fake; i++) {
		static const char *const ext[] = { "hsdb", "dfa", "rev3.dfa", "split1.dfa" };
		for (size_t k = 0; k < 4; k++) {
			snprintf(name, sizeof name, "%032x.%s", i, ext[k]);
			touch_at(dir, name, now - 6000 + 60 * i); /* key 0 the oldest */
		}
	}
	snprintf(name, sizeof name, "%032x.hsdb.99.tmp", 0);
	touch_at(dir, name, now - 7200);
	snprintf(name, sizeof name, "%032x.hsdb.98.tmp", 1);
	touch_at(dir, name, now - 60);
	touch_at(dir, "notes.txt", now - 100000);

	char eb[256];
	struct hsdb *db2 = NULL;
	CHECK_INT(hsdb_load(rs, dir, &db2, eb, sizeof eb), 0);
	CHECK(db2 && !hsdb_from_cache(db2));
	hsdb_free(db2);
	/* The new key and the newest KEEP - 1 fake ones stay, whole. */
	for (int i = 0; i < fake; i++) {
		bool want = i >= fake - (HSDB_CACHE_KEEP - 1);
		snprintf(name, sizeof name, "%032x.hsdb", i);
		CHECK_MSG(exists(dir, name) == want, "key %d .hsdb: %d", i, !want);
		snprintf(name, sizeof name, "%032x.rev3.dfa", i);
		CHECK_MSG(exists(dir, name) == want, "key %d .rev3.dfa: %d", i, !want);
	}
	snprintf(name, sizeof name, "%032x.hsdb.99.tmp", 0);
	CHECK(!exists(dir, name));
	snprintf(name, sizeof name, "%032x.hsdb.98.tmp", 1);
	CHECK(exists(dir, name));
	CHECK(exists(dir, "notes.txt"));
	/* A second load reads it back. */
	db2 = NULL;
	CHECK_INT(hsdb_load(rs, dir, &db2, eb, sizeof eb), 0);
	CHECK(db2 && hsdb_from_cache(db2));
	hsdb_free(db2);

	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

TEST_MAIN(env_init, test_is_token, test_scan_values, test_scan_failures, test_scan_sorted, test_scan_slice, test_scan_many,
	  test_scan_leftmost, test_scan_embedded, test_dfa_split, test_dfa_class_run, test_engines_agree, test_dfa_drun, test_dfa_pair_states, test_engines_digit_runs, test_cache_prune, env_release)
