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

/* The issuer ranges the networks publish and have kept stable, by the
 * first two digits: the first four must lie in lo..hi and the length be
 * one of the bits in lengths (none: no network). */
struct card_range {
	uint16_t lo, hi;
	uint32_t lengths;
	unsigned char network;
};

#define CARD_LEN(n) (UINT32_C(1) << (n))
#define CARD_LEN_16_19 (CARD_LEN(16) | CARD_LEN(17) | CARD_LEN(18) | CARD_LEN(19))
#define CARD_MC2(p2) [p2] = { 2221, 2720, CARD_LEN(16), CARD_MASTERCARD }
#define CARD_VISA4(p2) [p2] = { 0, 9999, CARD_LEN(13) | CARD_LEN(16) | CARD_LEN(19), CARD_VISA }
#define CARD_MC5(p2) [p2] = { 0, 9999, CARD_LEN(16), CARD_MASTERCARD }

static const struct card_range card_ranges[100] = {
	CARD_MC2(22), CARD_MC2(23), CARD_MC2(24), CARD_MC2(25), CARD_MC2(26), CARD_MC2(27),
	[34] = { 0, 9999, CARD_LEN(15), CARD_AMEX },
	[35] = { 3528, 3589, CARD_LEN_16_19, CARD_JCB },
	[37] = { 0, 9999, CARD_LEN(15), CARD_AMEX },
	CARD_VISA4(40), CARD_VISA4(41), CARD_VISA4(42), CARD_VISA4(43), CARD_VISA4(44),
	CARD_VISA4(45), CARD_VISA4(46), CARD_VISA4(47), CARD_VISA4(48), CARD_VISA4(49),
	CARD_MC5(51), CARD_MC5(52), CARD_MC5(53), CARD_MC5(54), CARD_MC5(55),
	[60] = { 6011, 6011, CARD_LEN_16_19, CARD_DISCOVER },
	[62] = { 0, 9999, CARD_LEN_16_19, CARD_UNIONPAY },
	[64] = { 6440, 6499, CARD_LEN_16_19, CARD_DISCOVER },
	[65] = { 0, 9999, CARD_LEN_16_19, CARD_DISCOVER },
};

/* The network whose issuer ranges hold the 13 to 19 digits d, at one of
 * that network's lengths; CARD_NONE otherwise. One in ten random numbers
 * passes Luhn, so the prefix and length are what keep order and account
 * numbers out. A table look-up, not a switch on the first digit: the
 * candidates' first digits (order numbers, resident IDs, cards) come in
 * no order a jump could predict. */
static enum card_network card_network(const char *d, size_t n)
{
	unsigned p2 = (unsigned)(d[0] - '0') * 10 + (unsigned)(d[1] - '0');
	unsigned p4 = p2 * 100 + (unsigned)(d[2] - '0') * 10 + (unsigned)(d[3] - '0');
	const struct card_range *r = &card_ranges[p2];
	return (r->lengths >> n & 1) && p4 >= r->lo && p4 <= r->hi ? (enum card_network)r->network : CARD_NONE;
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
