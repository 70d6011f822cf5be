/* cn_mobile and cn_landline: mainland China telephone numbers as people
 * write them (country prefix, area code in parentheses, digit groups).
 * Part of the validate stage. */
#include <string.h>

#include "validate_impl.h"

/* Mobile prefixes, as libphonenumber 8.12's CN mobile pattern allocates
 * them: 1740[0-5]\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}.
 * Indexed by the second digit, the allowed third digits as a bit set (bit
 * k for digit k: one test, not a string search); 174 is only the
 * 17400-17405 satellite block and is handled apart. 149 is not in that
 * pattern and not here: tests/oracle holds this table to libphonenumber. */
#define PHONE_DIGIT(k) (1u << (k))
#define PHONE_ANY_DIGIT 0x3ffu
static const unsigned short phone_mobile_third[10] = {
	[3] = PHONE_ANY_DIGIT,
	[4] = PHONE_DIGIT(5) | PHONE_DIGIT(7),
	[5] = PHONE_ANY_DIGIT & ~PHONE_DIGIT(4),
	[6] = PHONE_DIGIT(2) | PHONE_DIGIT(5) | PHONE_DIGIT(6) | PHONE_DIGIT(7),
	[7] = PHONE_ANY_DIGIT & ~PHONE_DIGIT(4) & ~PHONE_DIGIT(9),
	[8] = PHONE_ANY_DIGIT,
	[9] = PHONE_ANY_DIGIT & ~PHONE_DIGIT(4),
};

/* Three-digit area codes (after the trunk 0), as libphonenumber 8.12's CN
 * fixed-line pattern assigns them; sorted for the binary search. The
 * two-digit codes are 10 and 20-29 except 26. */
static const unsigned short phone_area3[] = {
	310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 335, 349, 350, 351,
	352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375,
	376, 377, 378, 379, 391, 392, 393, 394, 395, 396, 398,
	410, 411, 412, 413, 414, 415, 416, 417, 418, 419, 421, 427, 429, 431,
	432, 433, 434, 435, 436, 437, 438, 439, 451, 452, 453, 454, 455, 456,
	457, 458, 459, 464, 467, 468, 469, 470, 471, 472, 473, 474, 475, 476,
	477, 478, 479, 482, 483,
	510, 511, 512, 513, 514, 515, 516, 517, 518, 519, 523, 527, 530, 531,
	532, 533, 534, 535, 536, 537, 538, 539, 543, 546, 550, 551, 552, 553,
	554, 555, 556, 557, 558, 559, 561, 562, 563, 564, 566, 570, 571, 572,
	573, 574, 575, 576, 577, 578, 579, 580, 591, 592, 593, 594, 595, 596,
	597, 598, 599,
	631, 632, 633, 634, 635, 660, 662, 663, 668, 691, 692,
	701, 710, 711, 712, 713, 714, 715, 716, 717, 718, 719, 722, 724, 728,
	730, 731, 734, 735, 736, 737, 738, 739, 743, 744, 745, 746, 750, 751,
	752, 753, 754, 755, 756, 757, 758, 759, 760, 762, 763, 766, 768, 769,
	770, 771, 772, 773, 774, 775, 776, 777, 778, 779, 790, 791, 792, 793,
	794, 795, 796, 797, 798, 799,
	812, 813, 816, 817, 818, 825, 826, 827, 830, 831, 832, 833, 834, 835,
	836, 837, 838, 839, 851, 852, 853, 854, 855, 856, 857, 858, 859, 870,
	871, 872, 873, 874, 875, 876, 877, 878, 879, 883, 886, 887, 888, 891,
	892, 893, 894, 895, 896, 897, 898,
	901, 902, 903, 906, 908, 909, 911, 912, 913, 914, 915, 916, 917, 919,
	930, 931, 932, 933, 934, 935, 936, 937, 938, 939, 941, 943, 951, 952,
	953, 954, 955, 970, 971, 972, 973, 974, 975, 976, 977, 978, 979, 990,
	991, 992, 993, 994, 995, 996, 997, 998, 999,
};

static int phone_area3_ok(int code)
{
	size_t lo = 0, hi = sizeof phone_area3 / sizeof phone_area3[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (phone_area3[mid] == code)
			return 1;
		if (phone_area3[mid] < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Whether the area code a[0..alen), without its trunk 0, is assigned. */
static int phone_area_ok(const char *a, size_t alen)
{
	if (alen == 2)
		return a[0] == '1' ? a[1] == '0' : a[1] != '6';
	return phone_area3_ok((a[0] - '0') * 100 + (a[1] - '0') * 10 + (a[2] - '0'));
}

static int phone_is_sep(char c)
{
	return c == ' ' || c == '-';
}

/* The length of a leading "+86" or "0086" and the one space or dash that
 * may follow it, or 0 when s has no country prefix. */
static size_t phone_country_prefix(const char *s, size_t len)
{
	size_t k;

	if (len >= 3 && memcmp(s, "+86", 3) == 0)
		k = 3;
	else if (len >= 4 && memcmp(s, "0086", 4) == 0)
		k = 4;
	else
		return 0;
	if (k < len && phone_is_sep(s[k]))
		k++;
	return k;
}

/* Copy the 11 digits of a mobile number written as s[0..len) to d, or
 * return 0: plain, or in 3-4-4 groups split by spaces or by dashes. */
static int phone_mobile_digits(const char *s, size_t len, char *d)
{
	size_t k = phone_country_prefix(s, len);
	size_t n = 0;

	s += k;
	len -= k;
	if (len != 11 && !(len == 13 && phone_is_sep(s[3]) && s[8] == s[3]))
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (len == 13 && (i == 3 || i == 8))
			continue;
		if (!validate_is_digit(s[i]))
			return 0;
		d[n++] = s[i];
	}
	return 1;
}

static int phone_mobile_prefix_ok(const char *d)
{
	if (d[0] != '1')
		return 0;
	if (d[1] == '7' && d[2] == '4')
		return d[3] == '0' && d[4] <= '5';
	return phone_mobile_third[d[1] - '0'] >> (d[2] - '0') & 1;
}

enum verdict validate_cn_mobile_check(const char *s, size_t len)
{
	char d[11];

	/* Most candidates are 11 plain digits: judged in place. Starting
	 * with 1, they cannot start with a "0086" country prefix. */
	if (len == 11 && s[0] == '1' && validate_all_digits(s, 11))
		return phone_mobile_prefix_ok(s) ? VERDICT_PASS : VERDICT_FAIL;
	if (!phone_mobile_digits(s, len, d) || !phone_mobile_prefix_ok(d))
		return VERDICT_FAIL;
	return VERDICT_PASS;
}

size_t validate_cn_mobile_normalize(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t k = phone_country_prefix(s, len);

	return validate_keep_digits(s + k, len - k, dst, dst_cap);
}

/* Parse a landline number written as s[0..len) into its national digits
 * ("0", area code, subscriber number) in d[0..12) and return how many, or
 * 0 if it is not one. Written forms: "010-62345678", "010 62345678",
 * "01062345678", "(010)62345678", "(010) 6234-5678", "+86-10-62345678",
 * "0086 755 2345678"; the subscriber number may be split once into 3-4
 * or 4-4 groups. Area codes in China are prefix-free (10 and 2x are the
 * only two-digit ones), so even the unseparated form parses. */
static size_t phone_landline_digits(const char *s, size_t len, char *d)
{
	size_t k = phone_country_prefix(s, len);
	size_t i = k, n = 0, alen, sub_start, split = 0;
	int paren = 0;

	d[n++] = '0';
	if (k == 0) {
		if (i < len && s[i] == '(') {
			paren = 1;
			i++;
		}
		if (i >= len || s[i] != '0')
			return 0;
		i++;
	}

	if (i >= len)
		return 0;
	if (s[i] == '1' || s[i] == '2')
		alen = 2;
	else if (s[i] >= '3' && s[i] <= '9')
		alen = 3;
	else
		return 0;
	if (len - i < alen)
		return 0;
	for (size_t j = 0; j < alen; j++) {
		if (!validate_is_digit(s[i + j]))
			return 0;
		d[n++] = s[i + j];
	}
	i += alen;
	if (!phone_area_ok(d + 1, alen))
		return 0;

	if (paren) {
		if (i >= len || s[i] != ')')
			return 0;
		i++;
		if (i < len && s[i] == ' ')
			i++;
	} else if (i < len && phone_is_sep(s[i])) {
		i++;
	}

	sub_start = n;
	for (; i < len; i++) {
		if (phone_is_sep(s[i])) {
			/* One split, not first; "021-6234 5678" is written too,
			 * so it need not match the area code's separator. */
			if (split || n == sub_start)
				return 0;
			split = n - sub_start;
			continue;
		}
		if (!validate_is_digit(s[i]) || n == 1 + alen + 8)
			return 0;
		d[n++] = s[i];
	}
	/* Subscriber numbers have 7 or 8 digits and never start with 0 (the
	 * trunk prefix) or 1 (service numbers). libphonenumber ties the
	 * length to the area code; 7 digits are accepted everywhere because
	 * records older than a city's move to 8 digits still name people. */
	if (n - sub_start < 7 || d[sub_start] < '2')
		return 0;
	if (split && !(split == n - sub_start - 4 && split >= 3))
		return 0;
	return n;
}

enum verdict validate_cn_landline_check(const char *s, size_t len)
{
	char d[12];

	return phone_landline_digits(s, len, d) ? VERDICT_PASS : VERDICT_FAIL;
}

size_t validate_cn_landline_normalize(const char *s, size_t len, char *dst, size_t dst_cap)
{
	char d[12];
	size_t n = phone_landline_digits(s, len, d);

	if (n == 0)
		return validate_keep_digits(s, len, dst, dst_cap);
	if (n > dst_cap)
		n = dst_cap;
	memcpy(dst, d, n);
	return n;
}
