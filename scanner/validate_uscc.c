/* cn_uscc: the PRC unified social credit code of GB 32100-2015, the
 * 18-character registration number of companies and other organisations,
 * with its MOD 31 check character. Part of the validate stage. */
#include "validate_impl.h"

/* The code's 31 characters: digits and capitals without I, O, S, V, Z,
 * which may be written in lower case. A character's value is its index:
 * the table holds index + 1, 0 for a character outside the alphabet (a
 * table, not strchr and not an upper-cased copy: this runs on every
 * 18-character candidate, resident IDs included). */
static const unsigned char uscc_table[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['G'] = 17,
	['H'] = 18, ['J'] = 19, ['K'] = 20, ['L'] = 21, ['M'] = 22, ['N'] = 23, ['P'] = 24,
	['Q'] = 25, ['R'] = 26, ['T'] = 27, ['U'] = 28, ['W'] = 29, ['X'] = 30, ['Y'] = 31,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['g'] = 17,
	['h'] = 18, ['j'] = 19, ['k'] = 20, ['l'] = 21, ['m'] = 22, ['n'] = 23, ['p'] = 24,
	['q'] = 25, ['r'] = 26, ['t'] = 27, ['u'] = 28, ['w'] = 29, ['x'] = 30, ['y'] = 31,
};

static int uscc_value(char c)
{
	return (int)uscc_table[(unsigned char)c] - 1;
}

/* Registration authorities (first character): digits for the civil
 * authorities (1 institution staffing, 5 civil affairs, 9 market
 * regulation, ...), Y for "other", letters for authorities added since
 * 2015 (A military staffing, N agriculture; B-G are accepted as the
 * list keeps growing and the check character still has to match).
 * Entity types (second character) are 1-9 under every authority. */
static int uscc_authority_ok(char c)
{
	return (c >= '1' && c <= '9') || (c >= 'A' && c <= 'G') || c == 'N' || c == 'Y';
}

enum verdict validate_cn_uscc_check(const char *s, size_t len)
{
	static const uint16_t weights[17] = {
		1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
	};
	char buf[18];
	const char *c = s;
	int sum = 0;

	/* Eighteen bytes are read in place. Had they held a separator, they
	 * would not compact to 18 characters; nor do they pass below, as a
	 * separator is outside the alphabet. */
	if (len != 18) {
		if (validate_compact(s, len, buf, sizeof buf) != 18)
			return VERDICT_FAIL;
		c = buf;
	}
	if (!uscc_authority_ok(validate_to_upper(c[0])) || c[1] < '1' || c[1] > '9')
		return VERDICT_FAIL;
#ifdef __SSE2__
	/* Seventeen digits before the check character (most 18-character
	 * candidates are resident ids): a digit's value is itself. */
	if (validate_digits16(c) && validate_is_digit(c[16])) {
		sum = validate_weighted16(c, weights) + (c[16] - '0') * weights[16];
		return uscc_value(c[17]) == (31 - sum % 31) % 31 ? VERDICT_PASS : VERDICT_FAIL;
	}
#endif
	/* Characters 3-8 are the administrative division code. */
	for (int i = 2; i < 8; i++)
		if (!validate_is_digit(c[i]))
			return VERDICT_FAIL;
	for (int i = 0; i < 17; i++) {
		int v = uscc_value(c[i]);

		if (v < 0)
			return VERDICT_FAIL;
		sum += v * weights[i];
	}
	return uscc_value(c[17]) == (31 - sum % 31) % 31 ? VERDICT_PASS : VERDICT_FAIL;
}
