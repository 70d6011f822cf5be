/* cn_uscc: the PRC unified social credit code of GB 32100-2015, the
 * 18-character registration number of companies and other organisations,
 * with its MOD 31 check character. Part of the validate stage. */
#include <string.h>

#include "validate_impl.h"

/* The code's 31 characters: digits and capitals without I, O, S, V, Z.
 * A character's value is its index: the table holds index + 1, 0 for a
 * character outside the alphabet (a table, not strchr: this runs on every
 * 18-character candidate, resident IDs included). */
static const unsigned char uscc_table[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] =
	16, ['G'] = 17, ['H'] = 18, ['J'] = 19, ['K'] = 20, ['L'] = 21, ['M'] = 22, ['N'] = 23,
	['P'] = 24, ['Q'] = 25, ['R'] = 26, ['T'] = 27, ['U'] = 28, ['W'] = 29, ['X'] = 30, ['Y']
	= 31
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
	static const int weights[17] = {
		1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
	};
	char c[18];
	int sum = 0;

	if (validate_compact(s, len, c, sizeof c) != 18)
		return VERDICT_FAIL;
	for (int i = 0; i < 18; i++)
		c[i] = validate_to_upper(c[i]);
	if (!uscc_authority_ok(c[0]) || c[1] < '1' || c[1] > '9')
		return VERDICT_FAIL;
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
