/* cn_resident_id: the PRC citizen identity number of GB 11643-1999, in the
 * 18-character form with its MOD 11-2 check character and in the 15-digit
 * form issued before 1999. Part of the validate stage. */
#include "validate_impl.h"

/* Province-level prefixes of GB/T 2260, plus 71 (Taiwan), 81 and 82 (Hong
 * Kong, Macau), 83 (residence permits for Taiwan residents) and 91 (the
 * 2023 permanent residence cards for foreigners), which all share the
 * 18-character layout and check character. */
#define CN_ID_P(p) (UINT64_C(1) << ((p) - 11))
#define CN_ID_PS(lo, hi) ((CN_ID_P(hi) << 1) - CN_ID_P(lo))
static int cn_id_province_ok(int p)
{
	/* One bit a prefix from 11 to 74: a shift, not nine range tests. */
	static const uint64_t ok = CN_ID_PS(11, 15) | CN_ID_PS(21, 23) | CN_ID_PS(31, 37) | CN_ID_PS(41, 46) |
				   CN_ID_PS(50, 54) | CN_ID_PS(61, 65) | CN_ID_P(71);
	if ((unsigned)(p - 11) < 64)
		return ok >> (p - 11) & 1;
	return (p >= 81 && p <= 83) || p == 91;
}

static int cn_id_num(const char *d, int n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*d++ - '0');
	return v;
}

static int cn_id_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int cn_id_date_ok(int y, int m, int d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12 || d < 1)
		return 0;
	/* The leap-year divisions only for the one day that needs them. */
	return d <= mdays[m - 1] || (m == 2 && d == 29 && cn_id_leap(y));
}

enum verdict validate_cn_resident_id_check(const char *s, size_t len)
{
	/* ISO 7064 MOD 11-2: weight i is 2^(17-i) mod 11; the check character
	 * is the one that makes the weighted sum 1 mod 11. */
	static const uint16_t weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	char buf[18];
	const char *d = s;
	size_t n = len;
	int sum = 0;

	/* All digits but the 18-character form's check character. An ID
	 * written without separators, the usual case, is read in place; a
	 * separator in its last place, which compacting would refuse, never
	 * equals the check character either. */
	if (!(len == 18 && validate_all_digits(s, 17)) &&
	    !(len == 15 && validate_all_digits(s, 15))) {
		n = validate_compact(s, len, buf, sizeof buf);
		d = buf;
		if (n != 18 && n != 15)
			return VERDICT_FAIL;
		if (!validate_all_digits(d, n == 18 ? 17 : 15))
			return VERDICT_FAIL;
	}
	if (!cn_id_province_ok(cn_id_num(d, 2)))
		return VERDICT_FAIL;

	if (n == 15) {
		/* Legacy form: two-digit birth year in the 1900s, no check digit. */
		if (!cn_id_date_ok(1900 + cn_id_num(d + 6, 2), cn_id_num(d + 8, 2),
				   cn_id_num(d + 10, 2)))
			return VERDICT_FAIL;
		return VERDICT_PASS;
	}

	int year = cn_id_num(d + 6, 4);

	if (year < 1900 || year > 2100 ||
	    !cn_id_date_ok(year, cn_id_num(d + 10, 2), cn_id_num(d + 12, 2)))
		return VERDICT_FAIL;
#ifdef __SSE2__
	sum = validate_weighted16(d, weights) + (d[16] - '0') * weights[16];
#else
	for (int i = 0; i < 17; i++)
		sum += (d[i] - '0') * weights[i];
#endif
	return validate_to_upper(d[17]) == check[sum % 11] ? VERDICT_PASS : VERDICT_FAIL;
}
