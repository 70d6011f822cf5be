/* Replays the public conformance vectors (../shared/vectors, kept beside the
 * project, never copied into it) through the validators: every value
 * marked valid must pass its type's validator, every value marked invalid
 * must not. The file is one flat JSON object per line; PIISCAN_VECTORS
 * overrides its path. Without the file the test is skipped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "validate.h"

#define VECTORS_DEFAULT_PATH "../shared/vectors/public-vectors.jsonl"

/* Find "key": in a flat JSON object line and return a pointer to the
 * first byte of its value (whitespace skipped), or NULL. Keys are matched
 * with their quotes, so "valid" does not match inside a string value
 * unless a value contains "valid": itself, which these files do not. */
static const char *json_find(const char *line, const char *key)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strchr(p, '"')) != NULL) {
		const char *q = p + 1;

		if (strncmp(q, key, klen) == 0 && q[klen] == '"') {
			q += klen + 1;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == ':') {
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				return q;
			}
		}
		p = q;
	}
	return NULL;
}

/* Copy the JSON string value at p (pointing at its opening quote) to
 * dst and return its length, or -1 if it is not a simple string: the
 * vectors use no escapes beyond \" \\ and \/, so \u and the others are
 * refused rather than decoded. */
static long json_string(const char *p, char *dst, size_t dst_cap)
{
	size_t n = 0;

	if (!p || *p++ != '"')
		return -1;
	for (; *p && *p != '"'; p++) {
		char c = *p;

		if (c == '\\') {
			c = *++p;
			if (c != '"' && c != '\\' && c != '/')
				return -1;
		}
		if (n + 1 >= dst_cap)
			return -1;
		dst[n++] = c;
	}
	if (*p != '"')
		return -1;
	dst[n] = '\0';
	return (long)n;
}

/* 1 for true, 0 for false, -1 for anything else. */
static int json_bool(const char *p)
{
	if (p && strncmp(p, "true", 4) == 0)
		return 1;
	if (p && strncmp(p, "false", 5) == 0)
		return 0;
	return -1;
}

static void test_vectors(void)
{
	const char *path = getenv("PIISCAN_VECTORS");
	char line[4096], type[64], value[1024];
	size_t lineno = 0, replayed = 0, passed = 0, rejected = 0;
	FILE *fp;

	if (!path || !*path)
		path = VECTORS_DEFAULT_PATH;
	fp = fopen(path, "r");
	if (!fp) {
		if (errno != ENOENT)
			fprintf(stderr, "test_vectors: cannot open '%s': %s\n", path, strerror(errno));
		puts("skipped: no vectors");
		exit(0);
	}

	while (fgets(line, sizeof line, fp)) {
		const struct validator *v;
		long vlen;
		int valid;
		enum verdict got;

		lineno++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		CHECK_MSG(strchr(line, '\n') || feof(fp), "%s:%zu: line too long", path, lineno);
		vlen = json_string(json_find(line, "value"), value, sizeof value);
		valid = json_bool(json_find(line, "valid"));
		if (json_string(json_find(line, "type"), type, sizeof type) < 0 || vlen < 0 ||
		    valid < 0) {
			CHECK_MSG(0, "%s:%zu: cannot read type, value and valid", path, lineno);
			continue;
		}
		v = validator_find(type);
		CHECK_MSG(v != NULL, "%s:%zu: no validator for type '%s'", path, lineno, type);
		if (!v)
			continue;

		got = v->check(value, (size_t)vlen);
		replayed++;
		if (valid) {
			/* WEAK is a pass only where it is meant to be one: a
			 * UnionPay card without a valid Luhn digit. */
			int ok = got == VERDICT_PASS ||
				 (got == VERDICT_WEAK && strcmp(type, "bank_card") == 0 &&
				  strncmp(value, "62", 2) == 0);

			CHECK_MSG(ok, "%s:%zu: %s \"%s\" is valid but gets %s",
				  path, lineno, type, value,
				  got == VERDICT_WEAK ? "weak" : "fail");
			passed += ok;
		} else {
			CHECK_MSG(got != VERDICT_PASS, "%s:%zu: %s \"%s\" is invalid but passes",
				  path, lineno, type, value);
			rejected += got != VERDICT_PASS;
		}
	}
	CHECK_MSG(!ferror(fp), "%s: read error", path);
	fclose(fp);
	CHECK_MSG(replayed > 0, "%s: no vectors in the file", path);
	printf("%s: %zu vectors replayed, %zu valid passed, %zu invalid rejected\n",
	       path, replayed, passed, rejected);
}

TEST_MAIN(test_vectors)
