/* The Luhn-checked numbers: bank_card (payment card PANs) and imei
 * (handset identities), and the Luhn check they share. Part of the
 * validate stage. */
#include "validate_impl.h"

int validate_luhn_ok(const char *d, size_t n)
{
	/* Doubling a digit and summing the two digits of the result is
	 * "2d, minus 9 if over 9"; indexed by the digit. */
	static const unsigned char doubled[10] = { 0, 2, 4, 6, 8, 1, 3, 5, 7, 9 };
	unsigned sum = 0;
	size_t i = n;

#ifdef __SSE2__
	if (n >= 16) {
		/* The last 16 digits in one step: in d[n-16..n) the bytes at even
		 * places are an odd distance from the check digit, so doubled
		 * (2v, minus 9 from 5 up); the sum of the bytes by psadbw. */
		const __m128i zero = _mm_setzero_si128();
		__m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(d + n - 16)), _mm_set1_epi8('0'));
		__m128i twice = _mm_sub_epi8(_mm_add_epi8(v, v),
					     _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(4)), _mm_set1_epi8(9)));
		const __m128i even = _mm_set1_epi16(0x00FF);
		v = _mm_or_si128(_mm_and_si128(even, twice), _mm_andnot_si128(even, v));
		__m128i s2 = _mm_sad_epu8(v, zero);
		sum = (unsigned)(_mm_cvtsi128_si32(s2) + _mm_extract_epi16(s2, 4));
		i = n - 16;
		/* What is left before them is as far from the check digit as
		 * its own length from the window: the same pairing applies. */
	}
#endif

	/* From the check digit leftwards, a pair at a time: the right digit
	 * as it is, the left one doubled, so no digit needs a parity test. */
	for (; i >= 2; i -= 2)
		sum += (unsigned)(d[i - 1] - '0') + doubled[d[i - 2] - '0'];
	if (i == 1)
		sum += (unsigned)(d[0] - '0');
	return n > 0 && sum % 10 == 0;
}

static int luhn_all_same(const char *d, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (d[i] != d[0])
			return 0;
	return 1;
}

enum card_network {
	CARD_NONE,
	CARD_VISA,
	CARD_MASTERCARD,
	CARD_UNIONPAY,
	CARD_AMEX,
	CARD_JCB,
	CARD_DISCOVER,
};

/* The network whose issuer ranges hold the n >= 4 digits d, at one of that
 * network's lengths; CARD_NONE otherwise. One in ten random numbers passes
 * Luhn, so the prefix and length are what keep order and account numbers
 * out; only ranges the networks publish and have kept stable are listed.
 * Sorted by the leading digit, which most candidates (resident IDs, order
 * numbers) already fail on. */
static enum card_network card_network(const char *d, size_t n)
{
	int p4 = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
	int p3 = p4 / 10, p2 = p4 / 100;

	switch (d[0]) {
	case '2':
		if (p4 >= 2221 && p4 <= 2720)
			return n == 16 ? CARD_MASTERCARD : CARD_NONE;
		return CARD_NONE;
	case '3':
		if (p2 == 34 || p2 == 37)
			return n == 15 ? CARD_AMEX : CARD_NONE;
		if (p4 >= 3528 && p4 <= 3589)
			return n >= 16 ? CARD_JCB : CARD_NONE;
		return CARD_NONE;
	case '4':
		return n == 13 || n == 16 || n == 19 ? CARD_VISA : CARD_NONE;
	case '5':
		if (p2 >= 51 && p2 <= 55)
			return n == 16 ? CARD_MASTERCARD : CARD_NONE;
		return CARD_NONE;
	case '6':
		if (p2 == 62)
			return n >= 16 ? CARD_UNIONPAY : CARD_NONE;
		if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649))
			return n >= 16 ? CARD_DISCOVER : CARD_NONE;
		return CARD_NONE;
	default:
		return CARD_NONE;
	}
}

enum verdict validate_bank_card_check(const char *s, size_t len)
{
	char buf[19];
	const char *d;
	size_t n = validate_digits(s, len, buf, sizeof buf, &d);
	enum card_network net;

	/* Cheapest first: length and issuer range reject nearly every
	 * candidate that is not a card before any digit is summed. */
	if (n < 13)
		return VERDICT_FAIL;
	net = card_network(d, n);
	if (net == CARD_NONE || luhn_all_same(d, n))
		return VERDICT_FAIL;
	if (validate_luhn_ok(d, n))
		return VERDICT_PASS;
	/* Some domestic UnionPay debit cards were issued without a valid
	 * Luhn digit; report them, but as unconfirmed. */
	return net == CARD_UNIONPAY ? VERDICT_WEAK : VERDICT_FAIL;
}

enum verdict validate_imei_check(const char *s, size_t len)
{
	char buf[15];
	const char *d;
	size_t n = validate_digits(s, len, buf, sizeof buf, &d);

	/* Only the 15-digit IMEI carries a check digit; the 14-digit form and
	 * the 16-digit IMEISV are indistinguishable from any other number. */
	if (n != 15 || luhn_all_same(d, n))
		return VERDICT_FAIL;
	return validate_luhn_ok(d, n) ? VERDICT_PASS : VERDICT_FAIL;
}
