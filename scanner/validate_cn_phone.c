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
 * fixed-line pattern assigns them. The two-digit codes are 10 and 20-29
 * except 26. Kept as a bit set of 1024 codes, built by the compiler from
 * the list: one load a check, where a binary search over the list
 * mispredicted about every other step (~280 instructions and 46 ns a
 * landline, most of it the search). */
#define PHONE_AREA3(X, w) \
	X(310, w) X(311, w) X(312, w) X(313, w) X(314, w) X(315, w) X(316, w) X(317, w) X(318, w) \
	X(319, w) X(335, w) X(349, w) X(350, w) X(351, w) X(352, w) X(353, w) X(354, w) X(355, w) \
	X(356, w) X(357, w) X(358, w) X(359, w) X(370, w) X(371, w) X(372, w) X(373, w) X(374, w) \
	X(375, w) X(376, w) X(377, w) X(378, w) X(379, w) X(391, w) X(392, w) X(393, w) X(394, w) \
	X(395, w) X(396, w) X(398, w) \
	X(410, w) X(411, w) X(412, w) X(413, w) X(414, w) X(415, w) X(416, w) X(417, w) X(418, w) \
	X(419, w) X(421, w) X(427, w) X(429, w) X(431, w) X(432, w) X(433, w) X(434, w) X(435, w) \
	X(436, w) X(437, w) X(438, w) X(439, w) X(451, w) X(452, w) X(453, w) X(454, w) X(455, w) \
	X(456, w) X(457, w) X(458, w) X(459, w) X(464, w) X(467, w) X(468, w) X(469, w) X(470, w) \
	X(471, w) X(472, w) X(473, w) X(474, w) X(475, w) X(476, w) X(477, w) X(478, w) X(479, w) \
	X(482, w) X(483, w) \
	X(510, w) X(511, w) X(512, w) X(513, w) X(514, w) X(515, w) X(516, w) X(517, w) X(518, w) \
	X(519, w) X(523, w) X(527, w) X(530, w) X(531, w) X(532, w) X(533, w) X(534, w) X(535, w) \
	X(536, w) X(537, w) X(538, w) X(539, w) X(543, w) X(546, w) X(550, w) X(551, w) X(552, w) \
	X(553, w) X(554, w) X(555, w) X(556, w) X(557, w) X(558, w) X(559, w) X(561, w) X(562, w) \
	X(563, w) X(564, w) X(566, w) X(570, w) X(571, w) X(572, w) X(573, w) X(574, w) X(575, w) \
	X(576, w) X(577, w) X(578, w) X(579, w) X(580, w) X(591, w) X(592, w) X(593, w) X(594, w) \
	X(595, w) X(596, w) X(597, w) X(598, w) X(599, w) \
	X(631, w) X(632, w) X(633, w) X(634, w) X(635, w) X(660, w) X(662, w) X(663, w) X(668, w) \
	X(691, w) X(692, w) \
	X(701, w) X(710, w) X(711, w) X(712, w) X(713, w) X(714, w) X(715, w) X(716, w) X(717, w) \
	X(718, w) X(719, w) X(722, w) X(724, w) X(728, w) X(730, w) X(731, w) X(734, w) X(735, w) \
	X(736, w) X(737, w) X(738, w) X(739, w) X(743, w) X(744, w) X(745, w) X(746, w) X(750, w) \
	X(751, w) X(752, w) X(753, w) X(754, w) X(755, w) X(756, w) X(757, w) X(758, w) X(759, w) \
	X(760, w) X(762, w) X(763, w) X(766, w) X(768, w) X(769, w) X(770, w) X(771, w) X(772, w) \
	X(773, w) X(774, w) X(775, w) X(776, w) X(777, w) X(778, w) X(779, w) X(790, w) X(791, w) \
	X(792, w) X(793, w) X(794, w) X(795, w) X(796, w) X(797, w) X(798, w) X(799, w) \
	X(812, w) X(813, w) X(816, w) X(817, w) X(818, w) X(825, w) X(826, w) X(827, w) X(830, w) \
	X(831, w) X(832, w) X(833, w) X(834, w) X(835, w) X(836, w) X(837, w) X(838, w) X(839, w) \
	X(851, w) X(852, w) X(853, w) X(854, w) X(855, w) X(856, w) X(857, w) X(858, w) X(859, w) \
	X(870, w) X(871, w) X(872, w) X(873, w) X(874, w) X(875, w) X(876, w) X(877, w) X(878, w) \
	X(879, w) X(883, w) X(886, w) X(887, w) X(888, w) X(891, w) X(892, w) X(893, w) X(894, w) \
	X(895, w) X(896, w) X(897, w) X(898, w) \
	X(901, w) X(902, w) X(903, w) X(906, w) X(908, w) X(909, w) X(911, w) X(912, w) X(913, w) \
	X(914, w) X(915, w) X(916, w) X(917, w) X(919, w) X(930, w) X(931, w) X(932, w) X(933, w) \
	X(934, w) X(935, w) X(936, w) X(937, w) X(938, w) X(939, w) X(941, w) X(943, w) X(951, w) \
	X(952, w) X(953, w) X(954, w) X(955, w) X(970, w) X(971, w) X(972, w) X(973, w) X(974, w) \
	X(975, w) X(976, w) X(977, w) X(978, w) X(979, w) X(990, w) X(991, w) X(992, w) X(993, w) \
	X(994, w) X(995, w) X(996, w) X(997, w) X(998, w) X(999, w)

#define PHONE_AREA3_BIT(code, w) ((code) / 64 == (w) ? UINT64_C(1) << ((code) % 64) : 0) |
#define PHONE_AREA3_WORD(w) (PHONE_AREA3(PHONE_AREA3_BIT, w) 0)
static const uint64_t phone_area3[16] = {
	PHONE_AREA3_WORD(0), PHONE_AREA3_WORD(1), PHONE_AREA3_WORD(2), PHONE_AREA3_WORD(3),
	PHONE_AREA3_WORD(4), PHONE_AREA3_WORD(5), PHONE_AREA3_WORD(6), PHONE_AREA3_WORD(7),
	PHONE_AREA3_WORD(8), PHONE_AREA3_WORD(9), PHONE_AREA3_WORD(10), PHONE_AREA3_WORD(11),
	PHONE_AREA3_WORD(12), PHONE_AREA3_WORD(13), PHONE_AREA3_WORD(14), PHONE_AREA3_WORD(15),
};

/* code: 0-999. */
static int phone_area3_ok(int code)
{
	return phone_area3[code / 64] >> (code % 64) & 1;
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
