/* A strict JSON syntax check (RFC 8259, UTF-8 strings only), for what the
 * writers emit: findings lines, manifests. Used by the unit tests and the
 * fuzz targets; header-only, every function static. */
#ifndef PIISCAN_JSONCHECK_H
#define PIISCAN_JSONCHECK_H

#include <stddef.h>
#include <string.h>

struct jp {
	const unsigned char *p, *end;
};

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jp_value(struct jp *j, int depth);

static int jp_string(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = *j->p;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			j->p++;
			if (j->p >= j->end)
				return -1;
			if (*j->p == 'u') {
				for (int k = 1; k <= 4; k++)
					if (j->p + k >= j->end || !strchr("0123456789abcdefABCDEF", j->p[k]))
						return -1;
				j->p += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", *j->p))
				return -1;
			j->p++;
			continue;
		}
		if (c >= 0x80) {
			/* Valid UTF-8 only. */
			size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
			if (!n || j->p + n > j->end)
				return -1;
			for (size_t k = 1; k < n; k++)
				if ((j->p[k] & 0xC0) != 0x80)
					return -1;
			if ((c == 0xE0 && j->p[1] < 0xA0) || (c == 0xED && j->p[1] > 0x9F) ||
			    (c == 0xF0 && j->p[1] < 0x90) || (c == 0xF4 && j->p[1] > 0x8F))
				return -1;
			j->p += n;
			continue;
		}
		j->p++;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	return 0;
}

static int jp_number(struct jp *j)
{
	const unsigned char *s = j->p;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return -1;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s ? 0 : -1;
}

static int jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return -1;
	j->p += n;
	return 0;
}

static int jp_value(struct jp *j, int depth)
{
	if (depth > 64)
		return -1;
	jp_ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		j->p++;
		jp_ws(j);
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return 0;
		}
		for (;;) {
			jp_ws(j);
			if (jp_string(j))
				return -1;
			jp_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -1;
			if (jp_value(j, depth + 1))
				return -1;
			jp_ws(j);
			if (j->p >= j->end)
				return -1;
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != '}')
				return -1;
			return 0;
		}
	case '[':
		j->p++;
		jp_ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return 0;
		}
		for (;;) {
			if (jp_value(j, depth + 1))
				return -1;
			jp_ws(j);
			if (j->p >= j->end)
				return -1;
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != ']')
				return -1;
			return 0;
		}
	case '"':
		return jp_string(j);
	case 't':
		return jp_lit(j, "true");
	case 'f':
		return jp_lit(j, "false");
	case 'n':
		return jp_lit(j, "null");
	default:
		return jp_number(j);
	}
}

/* Whether p[0..len) is exactly one JSON value (surrounding blanks allowed). */
static int json_valid(const char *p, size_t len)
{
	struct jp j = { (const unsigned char *)p, (const unsigned char *)p + len };
	if (jp_value(&j, 0))
		return 0;
	jp_ws(&j);
	return j.p == j.end;
}

#endif
