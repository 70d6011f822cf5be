/* The Luhn-checked numbers: bank_card (payment card PANs) and imei
 * (handset identities), and the Luhn check they share. Part of the
 * validate stage. */
#include "validate_impl.h"

int validate_luhn_ok(const char *d, size_t n)
{
	/* Doubling a digit and summing the two digits of the result is
	 * "2d, minus 9 if over 9"; indexed by the digit. */
	static const int doubled[10] = { 0, 2, 4, 6, 8, 1, 3, 5, 7, 9 };
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int v = d[n - 1 - i] - '0';

		sum += (i & 1) ? doubled[v] : v;
	}
	return n > 0 && sum % 10 == 0;
}

static int luhn_all_digits(const char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!validate_is_digit(d[i]))
			return 0;
	return 1;
}

static int luhn_all_same(const char *d, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (d[i] != d[0])
			return 0;
	return 1;
}

/* The leading k digits of d as a number. */
static int luhn_prefix(const char *d, int k)
{
	int v = 0;

	for (int i = 0; i < k; i++)
		v = v * 10 + (d[i] - '0');
	return v;
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

/* The network whose issuer ranges hold d[0..n), at one of that network's
 * lengths; CARD_NONE otherwise. One in ten random numbers passes Luhn, so
 * the prefix and length are what keep order and account numbers out;
 * only ranges the networks publish and have kept stable are listed. */
static enum card_network card_network(const char *d, size_t n)
{
	int p2 = luhn_prefix(d, 2), p3 = luhn_prefix(d, 3), p4 = luhn_prefix(d, 4);

	if (d[0] == '4')
		return n == 13 || n == 16 || n == 19 ? CARD_VISA : CARD_NONE;
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return n == 16 ? CARD_MASTERCARD : CARD_NONE;
	if (p2 == 62)
		return n >= 16 ? CARD_UNIONPAY : CARD_NONE;
	if (p2 == 34 || p2 == 37)
		return n == 15 ? CARD_AMEX : CARD_NONE;
	if (p4 >= 3528 && p4 <= 3589)
		return n >= 16 ? CARD_JCB : CARD_NONE;
	if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649))
		return n >= 16 ? CARD_DISCOVER : CARD_NONE;
	return CARD_NONE;
}

enum verdict validate_bank_card_check(const char *s, size_t len)
{
	char d[19];
	size_t n = validate_compact(s, len, d, sizeof d);
	enum card_network net;

	if (n < 13 || !luhn_all_digits(d, n) || luhn_all_same(d, n))
		return VERDICT_FAIL;
	net = card_network(d, n);
	if (net == CARD_NONE)
		return VERDICT_FAIL;
	if (validate_luhn_ok(d, n))
		return VERDICT_PASS;
	/* Some domestic UnionPay debit cards were issued without a valid
	 * Luhn digit; report them, but as unconfirmed. */
	return net == CARD_UNIONPAY ? VERDICT_WEAK : VERDICT_FAIL;
}

enum verdict validate_imei_check(const char *s, size_t len)
{
	char d[15];
	size_t n = validate_compact(s, len, d, sizeof d);

	/* Only the 15-digit IMEI carries a check digit; the 14-digit form and
	 * the 16-digit IMEISV are indistinguishable from any other number. */
	if (n != 15 || !luhn_all_digits(d, n) || luhn_all_same(d, n))
		return VERDICT_FAIL;
	return validate_luhn_ok(d, n) ? VERDICT_PASS : VERDICT_FAIL;
}
