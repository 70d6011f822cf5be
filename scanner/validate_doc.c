/* Identity documents and account numbers that have a fixed layout: PRC
 * passports and vehicle plates, Hong Kong and Taiwan identity cards, AWS
 * access key ids and IBANs. Part of the validate stage. */
#include <string.h>

#include "validate_impl.h"

static int doc_all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!validate_is_digit(s[i]))
			return 0;
	return 1;
}

static int doc_all_zero(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != '0')
			return 0;
	return 1;
}

/* PRC passports: ordinary "G" + 8 digits (before 2012), ordinary
 * e-passports "E" + 8 digits, then "E" + letter + 7 digits once those ran
 * out; diplomatic, service and public-affairs passports "D", "S", "P" +
 * 7 digits, or "DE", "SE", "PE" + 7 digits for their e-passports. There
 * is no check digit, so a serial of zeros is the only thing left to
 * reject. */
enum verdict validate_cn_passport_check(const char *s, size_t len)
{
	int official = len >= 1 && (s[0] == 'D' || s[0] == 'S' || s[0] == 'P');
	const char *serial;
	size_t serial_len;

	if (len == 9 && (s[0] == 'E' || s[0] == 'G') && validate_is_digit(s[1])) {
		serial = s + 1;
		serial_len = 8;
	} else if (len == 9 && ((s[0] == 'E' && validate_is_upper(s[1]) &&
				 s[1] != 'I' && s[1] != 'O') ||
				(official && s[1] == 'E'))) {
		serial = s + 2;
		serial_len = 7;
	} else if (len == 8 && official) {
		serial = s + 1;
		serial_len = 7;
	} else {
		return VERDICT_FAIL;
	}
	if (!doc_all_digits(serial, serial_len) || doc_all_zero(serial, serial_len))
		return VERDICT_FAIL;
	return VERDICT_PASS;
}

/* Vehicle plates (GA 36-2018). The province abbreviations and the special
 * suffixes are UTF-8, three bytes each. */
static const char plate_provinces[] =
	"京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
static const char plate_suffixes[] = "学警港澳挂";

/* Whether s starts with one of the 3-byte characters of set. */
static int plate_char_in(const char *s, size_t len, const char *set, size_t set_len)
{
	if (len < 3)
		return 0;
	for (size_t i = 0; i + 3 <= set_len; i += 3)
		if (memcmp(s, set + i, 3) == 0)
			return 1;
	return 0;
}

/* Serial characters: digits and capitals without I and O, which plates
 * never use because they read as 1 and 0. */
static int plate_serial_char(char c)
{
	return validate_is_digit(c) || (validate_is_upper(c) && c != 'I' && c != 'O');
}

/* The separator people write after the issuing-authority letter: the
 * middle dot U+00B7 or a space. Returns its length, 0 if none. */
static size_t plate_sep_len(const char *s, size_t len)
{
	if (len >= 1 && s[0] == ' ')
		return 1;
	if (len >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xb7)
		return 2;
	return 0;
}

/* Province, authority letter, optional separator, then one of: five
 * serial characters with at most two letters (ordinary plates); six for
 * new-energy plates, "D"/"F" first and four digits last (small cars) or
 * five digits then "D"/"F" (large vehicles); four serial characters and
 * a suffix (learner, police, Hong Kong, Macau, trailer). */
enum verdict validate_cn_plate_check(const char *s, size_t len)
{
	size_t i = 3, rest, letters = 0;
	const char *r;

	if (!plate_char_in(s, len, plate_provinces, sizeof plate_provinces - 1))
		return VERDICT_FAIL;
	if (i >= len || !validate_is_upper(s[i]) || s[i] == 'I' || s[i] == 'O')
		return VERDICT_FAIL;
	i++;
	i += plate_sep_len(s + i, len - i);
	r = s + i;
	rest = len - i;

	if (rest == 7 && plate_char_in(r + 4, 3, plate_suffixes, sizeof plate_suffixes - 1))
		rest = 4;
	else if (rest != 5 && rest != 6)
		return VERDICT_FAIL;
	for (size_t j = 0; j < rest; j++) {
		if (!plate_serial_char(r[j]))
			return VERDICT_FAIL;
		letters += !validate_is_digit(r[j]);
	}
	if (rest == 6) {
		int small = (r[0] == 'D' || r[0] == 'F') && doc_all_digits(r + 2, 4);
		int large = doc_all_digits(r, 5) && (r[5] == 'D' || r[5] == 'F');

		return small || large ? VERDICT_PASS : VERDICT_FAIL;
	}
	return letters <= 2 ? VERDICT_PASS : VERDICT_FAIL;
}

size_t validate_cn_plate_normalize(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < dst_cap;) {
		size_t k = plate_sep_len(s + i, len - i);

		if (k) {
			i += k;
			continue;
		}
		dst[n++] = s[i++];
	}
	return n;
}

/* Hong Kong identity card: one or two letters, six digits, and a check
 * character in parentheses (often written without them). */
enum verdict validate_hk_id_check(const char *s, size_t len)
{
	size_t nletters = 0, i = 0;
	int sum, check;
	char c;

	while (i < len && i < 2 && validate_is_alpha(s[i]))
		nletters = ++i;
	if (nletters == 0 || len - i < 7 || !doc_all_digits(s + i, 6))
		return VERDICT_FAIL;
	/* Weights 9..2 over an 8-character body; a missing first letter
	 * counts as a space, worth 36 (letters are A=10 ... Z=35). */
	sum = nletters == 1 ? 36 * 9 : (validate_to_upper(s[0]) - 'A' + 10) * 9;
	sum += (validate_to_upper(s[nletters - 1]) - 'A' + 10) * 8;
	for (int j = 0; j < 6; j++)
		sum += (s[i + (size_t)j] - '0') * (7 - j);
	i += 6;

	if (len - i == 3 && s[i] == '(' && s[i + 2] == ')')
		c = s[i + 1];
	else if (len - i == 1)
		c = s[i];
	else
		return VERDICT_FAIL;
	if (validate_is_digit(c))
		check = c - '0';
	else if (c == 'A' || c == 'a')
		check = 10;
	else
		return VERDICT_FAIL;
	return (sum + check) % 11 == 0 ? VERDICT_PASS : VERDICT_FAIL;
}

/* Taiwan national identification number: a letter for the place of first
 * registration, 1 or 2 for sex (8 or 9 on the residence certificates
 * issued to foreigners since 2021), seven digits and a check digit. */
enum verdict validate_tw_id_check(const char *s, size_t len)
{
	/* Letter values A..Z; they are not in alphabetical order because
	 * letters were added for new counties after the first assignment. */
	static const int letter_value[26] = {
		10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21,
		22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33,
	};
	int v, sum;

	if (len != 10 || !validate_is_alpha(s[0]) || !doc_all_digits(s + 1, 9))
		return VERDICT_FAIL;
	if (s[1] != '1' && s[1] != '2' && s[1] != '8' && s[1] != '9')
		return VERDICT_FAIL;
	v = letter_value[validate_to_upper(s[0]) - 'A'];
	sum = v / 10 + (v % 10) * 9;
	for (int i = 1; i < 9; i++)
		sum += (s[i] - '0') * (9 - i);
	sum += s[9] - '0';
	return sum % 10 == 0 ? VERDICT_PASS : VERDICT_FAIL;
}

/* AWS access key ids: a four-letter prefix naming the kind of principal
 * (AKIA long-term user key, ASIA temporary STS key, ...) and sixteen
 * base-32 characters. */
enum verdict validate_aws_access_key_check(const char *s, size_t len)
{
	static const char prefixes[][5] = {
		"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA",
	};
	size_t i;

	if (len != 20)
		return VERDICT_FAIL;
	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (memcmp(s, prefixes[i], 4) == 0)
			break;
	if (i == sizeof prefixes / sizeof prefixes[0])
		return VERDICT_FAIL;
	for (i = 4; i < 20; i++)
		if (!validate_is_upper(s[i]) && !(s[i] >= '2' && s[i] <= '7'))
			return VERDICT_FAIL;
	return VERDICT_PASS;
}

/* IBAN countries and their BBAN layout from the ISO 13616 registry, as
 * runs of <count><class>: n digits, a capitals, c capitals or digits.
 * The IBAN's length is 4 plus the counts. */
static const struct iban_country {
	char cc[3];
	char bban[11];
} iban_countries[] = {
	{ "AD", "8n12c" },     /* 24 */
	{ "AE", "19n" },       /* 23 */
	{ "AL", "8n16c" },     /* 28 */
	{ "AT", "16n" },       /* 20 */
	{ "AZ", "4a20c" },     /* 28 */
	{ "BA", "16n" },       /* 20 */
	{ "BE", "12n" },       /* 16 */
	{ "BG", "4a6n8c" },    /* 22 */
	{ "BH", "4a14c" },     /* 22 */
	{ "BI", "23n" },       /* 27 */
	{ "BR", "23n1a1c" },   /* 29 */
	{ "BY", "4c4n16c" },   /* 28 */
	{ "CH", "5n12c" },     /* 21 */
	{ "CR", "18n" },       /* 22 */
	{ "CY", "8n16c" },     /* 28 */
	{ "CZ", "20n" },       /* 24 */
	{ "DE", "18n" },       /* 22 */
	{ "DJ", "23n" },       /* 27 */
	{ "DK", "14n" },       /* 18 */
	{ "DO", "4c20n" },     /* 28 */
	{ "EE", "16n" },       /* 20 */
	{ "EG", "25n" },       /* 29 */
	{ "ES", "20n" },       /* 24 */
	{ "FI", "14n" },       /* 18 */
	{ "FO", "14n" },       /* 18 */
	{ "FR", "10n11c2n" },  /* 27 */
	{ "GB", "4a14n" },     /* 22 */
	{ "GE", "2a16n" },     /* 22 */
	{ "GI", "4a15c" },     /* 23 */
	{ "GL", "14n" },       /* 18 */
	{ "GR", "7n16c" },     /* 27 */
	{ "GT", "24c" },       /* 28 */
	{ "HR", "17n" },       /* 21 */
	{ "HU", "24n" },       /* 28 */
	{ "IE", "4a14n" },     /* 22 */
	{ "IL", "19n" },       /* 23 */
	{ "IQ", "4a15n" },     /* 23 */
	{ "IS", "22n" },       /* 26 */
	{ "IT", "1a10n12c" },  /* 27 */
	{ "JO", "4a4n18c" },   /* 30 */
	{ "KW", "4a22c" },     /* 30 */
	{ "KZ", "3n13c" },     /* 20 */
	{ "LB", "4n20c" },     /* 28 */
	{ "LC", "4a24c" },     /* 32 */
	{ "LI", "5n12c" },     /* 21 */
	{ "LT", "16n" },       /* 20 */
	{ "LU", "3n13c" },     /* 20 */
	{ "LV", "4a13c" },     /* 21 */
	{ "LY", "21n" },       /* 25 */
	{ "MC", "10n11c2n" },  /* 27 */
	{ "MD", "20c" },       /* 24 */
	{ "ME", "18n" },       /* 22 */
	{ "MK", "3n10c2n" },   /* 19 */
	{ "MR", "23n" },       /* 27 */
	{ "MT", "4a5n18c" },   /* 31 */
	{ "MU", "4a19n3a" },   /* 30 */
	{ "NL", "4a10n" },     /* 18 */
	{ "NO", "11n" },       /* 15 */
	{ "PK", "4a16c" },     /* 24 */
	{ "PL", "24n" },       /* 28 */
	{ "PS", "4a21c" },     /* 29 */
	{ "PT", "21n" },       /* 25 */
	{ "QA", "4a21c" },     /* 29 */
	{ "RO", "4a16c" },     /* 24 */
	{ "RS", "18n" },       /* 22 */
	{ "RU", "14n15c" },    /* 33 */
	{ "SA", "2n18c" },     /* 24 */
	{ "SC", "4a20n3a" },   /* 31 */
	{ "SD", "14n" },       /* 18 */
	{ "SE", "20n" },       /* 24 */
	{ "SI", "15n" },       /* 19 */
	{ "SK", "20n" },       /* 24 */
	{ "SM", "1a10n12c" },  /* 27 */
	{ "ST", "21n" },       /* 25 */
	{ "SV", "4a20n" },     /* 28 */
	{ "TL", "19n" },       /* 23 */
	{ "TN", "20n" },       /* 24 */
	{ "TR", "6n16c" },     /* 26 */
	{ "UA", "6n19c" },     /* 29 */
	{ "VA", "18n" },       /* 22 */
	{ "VG", "4a16n" },     /* 24 */
	{ "XK", "16n" },       /* 20 */
};

static const struct iban_country *iban_country_find(const char *cc)
{
	for (size_t i = 0; i < sizeof iban_countries / sizeof iban_countries[0]; i++)
		if (iban_countries[i].cc[0] == cc[0] && iban_countries[i].cc[1] == cc[1])
			return &iban_countries[i];
	return NULL;
}

/* Whether bban[0..len) follows the registry layout. */
static int iban_bban_ok(const char *bban, size_t len, const char *layout)
{
	size_t i = 0;

	while (*layout) {
		size_t count = 0;

		while (validate_is_digit(*layout))
			count = count * 10 + (size_t)(*layout++ - '0');
		char cls = *layout++;

		for (; count > 0; count--, i++) {
			if (i >= len)
				return 0;
			if (cls == 'n' ? !validate_is_digit(bban[i]) :
			    cls == 'a' ? !validate_is_upper(bban[i]) :
			    !validate_is_digit(bban[i]) && !validate_is_upper(bban[i]))
				return 0;
		}
	}
	return i == len;
}

/* Compact form of an IBAN written s[0..len), upper-cased, into buf, or 0:
 * either unbroken or in groups of four split by single spaces. */
static size_t iban_compact(const char *s, size_t len, char *buf, size_t cap)
{
	size_t n = 0, group = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ') {
			if (group != 4 || i + 1 == len)
				return 0;
			group = 0;
			continue;
		}
		if (n == cap)
			return 0;
		buf[n++] = validate_to_upper(s[i]);
		group++;
	}
	return n;
}

enum verdict validate_iban_check(const char *s, size_t len)
{
	char c[34];
	size_t n = iban_compact(s, len, c, sizeof c);
	const struct iban_country *ctry;
	unsigned rem = 0;

	if (n < 5 || !validate_is_upper(c[0]) || !validate_is_upper(c[1]) ||
	    !validate_is_digit(c[2]) || !validate_is_digit(c[3]))
		return VERDICT_FAIL;
	ctry = iban_country_find(c);
	if (!ctry || !iban_bban_ok(c + 4, n - 4, ctry->bban))
		return VERDICT_FAIL;
	/* ISO 7064 MOD 97-10 over BBAN + country + check digits, letters
	 * counting as two digits (A=10 ... Z=35), one digit at a time. */
	for (size_t i = 0; i < n; i++) {
		char ch = c[(i + 4) % n];

		if (validate_is_digit(ch))
			rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(ch - 'A' + 10)) % 97;
	}
	return rem == 1 ? VERDICT_PASS : VERDICT_FAIL;
}
