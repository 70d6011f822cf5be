/* Private to the validate_*.c family: the check and normalize functions
 * that validate.c registers, and the few byte helpers every member needs.
 * Nothing outside scanner/validate*.c includes this header. */
#ifndef PIISCAN_VALIDATE_IMPL_H
#define PIISCAN_VALIDATE_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "validate.h"

/* Byte classes. The locale-dependent <ctype.h> functions are avoided on
 * purpose: candidates are raw bytes from any encoding, and a validator's
 * answer must not change with the process locale. */
static inline int validate_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline int validate_is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline int validate_is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static inline int validate_is_alpha(char c)
{
	return validate_is_upper(c) || validate_is_lower(c);
}

static inline char validate_to_upper(char c)
{
	return validate_is_lower(c) ? (char)(c - 'a' + 'A') : c;
}

static inline char validate_to_lower(char c)
{
	return validate_is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

/* The value of a hexadecimal digit, or -1. */
static inline int validate_hex_value(char c)
{
	if (validate_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether the 8 bytes at s are all decimal digits. A byte is one when its
 * high nibble is 3 and adding 6 does not carry out of its low nibble
 * ('0'-'9' are 0x30-0x39); done on a whole 64-bit word, one load instead
 * of eight compares. Once every high nibble is 3, adding 6 cannot carry
 * from one byte into the next; where some high nibble is not 3 the first
 * term is already non-zero. */
static inline int validate_digits8(const char *s)
{
	const uint64_t high = 0xf0f0f0f0f0f0f0f0u, threes = 0x3030303030303030u;
	uint64_t x;

	memcpy(&x, s, sizeof x);
	return (((x & high) ^ threes) | (((x + 0x0606060606060606u) & high) ^ threes)) == 0;
}

/* Whether s[0..len) is all decimal digits (1 for len 0). Most candidates
 * are plain digit strings, so this is every numeric validator's fast path;
 * from 8 bytes on it reads whole words, the last one overlapping the one
 * before, and never a byte past len. */
static inline int validate_all_digits(const char *s, size_t len)
{
	size_t i;

	if (len < 8) {
		for (i = 0; i < len; i++)
			if (!validate_is_digit(s[i]))
				return 0;
		return 1;
	}
	for (i = 0; i + 8 < len; i += 8)
		if (!validate_digits8(s + i))
			return 0;
	return validate_digits8(s + len - 8);
}

#ifdef __SSE2__
/* The sum of w[i] * (s[i] - '0') over the 16 digits at s (checked by the
 * caller), each weight 0-255: widened to 16 bits and multiplied pairwise
 * (pmaddwd), for the check digits that weigh every position. */
static inline int validate_weighted16(const char *s, const uint16_t w[16])
{
	const __m128i zero = _mm_setzero_si128();
	__m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)s), _mm_set1_epi8('0'));
	__m128i lo = _mm_madd_epi16(_mm_unpacklo_epi8(d, zero), _mm_loadu_si128((const __m128i *)(const void *)w));
	__m128i hi = _mm_madd_epi16(_mm_unpackhi_epi8(d, zero),
				    _mm_loadu_si128((const __m128i *)(const void *)(w + 8)));
	__m128i sum = _mm_add_epi32(lo, hi);
	sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4E));
	sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xB1));
	return _mm_cvtsi128_si32(sum);
}
#endif

/* Copy s[0..len) to buf without its separators and return the copied
 * length, or 0 when the value is not written the way people group digits:
 * separators are single spaces or single dashes (one kind per value),
 * never first or last, never two in a row. Also 0 when the compact form
 * would not fit in cap. The bytes kept are not inspected. */
static inline size_t validate_compact(const char *s, size_t len, char *buf, size_t cap)
{
	char sep = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == ' ' || c == '-') {
			if (i == 0 || i + 1 == len || (sep && c != sep) ||
			    s[i - 1] == c)
				return 0;
			sep = c;
			continue;
		}
		if (n == cap)
			return 0;
		buf[n++] = c;
	}
	return n;
}

/* The digits of a number written plainly or in groups, at most cap of
 * them: points *d at them and returns how many; returns 0 when s is not
 * digits grouped the way validate_compact allows, or has more than cap
 * digits. Same answer as compacting and then checking every byte, but a
 * plain digit string, the usual candidate, is used in place; only a
 * grouped one is compacted into buf (cap bytes). */
static inline size_t validate_digits(const char *s, size_t len, char *buf, size_t cap,
				     const char **d)
{
	size_t n;

	if (len <= cap && validate_all_digits(s, len)) {
		*d = s;
		return len;
	}
	n = validate_compact(s, len, buf, cap);
	if (!validate_all_digits(buf, n))
		return 0;
	*d = buf;
	return n;
}

/* Normalisers shared by several validators. Each writes at most dst_cap
 * bytes and returns the length written. */

/* Sixteen bytes at a time where the whole block is kept as it is or with
 * its case changed (a value written without separators, the usual case),
 * byte by byte where a block holds something to drop. */
#ifdef __SSE2__
static inline __m128i validate_in_range16(__m128i v, char lo, char hi)
{
	/* lo <= v <= hi, unsigned: v - lo <= hi - lo. */
	__m128i d = _mm_sub_epi8(v, _mm_set1_epi8(lo));
	return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((char)(hi - lo))), d);
}

/* Whether the 16 bytes at s are all decimal digits. */
static inline int validate_digits16(const char *s)
{
	return _mm_movemask_epi8(validate_in_range16(_mm_loadu_si128((const __m128i *)(const void *)s), '0', '9')) ==
	       0xFFFF;
}
#endif

/* The decimal digits of s, in order. */
static inline size_t validate_keep_digits(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = 0, i = 0;

#ifdef __SSE2__
	for (; i + 16 <= len && n + 16 <= dst_cap; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		if (_mm_movemask_epi8(validate_in_range16(v, '0', '9')) != 0xFFFF)
			break;
		_mm_storeu_si128((__m128i *)(void *)(dst + n), v);
		n += 16;
	}
#endif
	for (; i < len && n < dst_cap; i++)
		if (validate_is_digit(s[i]))
			dst[n++] = s[i];
	return n;
}

/* The ASCII letters and digits of s, letters upper-cased. */
static inline size_t validate_keep_alnum_upper(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = 0, i = 0;

#ifdef __SSE2__
	for (; i + 16 <= len && n + 16 <= dst_cap; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i lower = validate_in_range16(v, 'a', 'z');
		__m128i alnum = _mm_or_si128(_mm_or_si128(validate_in_range16(v, '0', '9'), lower),
					     validate_in_range16(v, 'A', 'Z'));
		if (_mm_movemask_epi8(alnum) != 0xFFFF)
			break;
		_mm_storeu_si128((__m128i *)(void *)(dst + n),
				 _mm_sub_epi8(v, _mm_and_si128(lower, _mm_set1_epi8(0x20))));
		n += 16;
	}
#endif
	for (; i < len && n < dst_cap; i++)
		if (validate_is_digit(s[i]) || validate_is_alpha(s[i]))
			dst[n++] = validate_to_upper(s[i]);
	return n;
}

/* All of s, ASCII letters lower-cased. */
static inline size_t validate_copy_lower(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = 0, i = 0;

#ifdef __SSE2__
	for (; i + 16 <= len && n + 16 <= dst_cap; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i upper = validate_in_range16(v, 'A', 'Z');
		_mm_storeu_si128((__m128i *)(void *)(dst + n), _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
		n += 16;
	}
#endif
	for (; i < len && n < dst_cap; i++)
		dst[n++] = validate_to_lower(s[i]);
	return n;
}

/* Luhn (ISO/IEC 7812-1) over n decimal digits d[0..n): 1 when the last
 * digit is the right check digit. The caller has checked they are digits. */
int validate_luhn_ok(const char *d, size_t n);

/* validate_cn_id.c */
enum verdict validate_cn_resident_id_check(const char *s, size_t len);

/* validate_luhn.c */
enum verdict validate_bank_card_check(const char *s, size_t len);
enum verdict validate_imei_check(const char *s, size_t len);

/* validate_cn_phone.c */
enum verdict validate_cn_mobile_check(const char *s, size_t len);
size_t validate_cn_mobile_normalize(const char *s, size_t len, char *dst, size_t dst_cap);
enum verdict validate_cn_landline_check(const char *s, size_t len);
size_t validate_cn_landline_normalize(const char *s, size_t len, char *dst, size_t dst_cap);

/* validate_uscc.c */
enum verdict validate_cn_uscc_check(const char *s, size_t len);

/* validate_net.c */
enum verdict validate_email_check(const char *s, size_t len);
/* The same, a byte at a time: for values over 32 bytes, and for tests. */
enum verdict validate_email_check_bytes(const char *s, size_t len);
enum verdict validate_ipv4_check(const char *s, size_t len);
enum verdict validate_ipv6_check(const char *s, size_t len);
enum verdict validate_mac_check(const char *s, size_t len);
size_t validate_mac_normalize(const char *s, size_t len, char *dst, size_t dst_cap);

/* validate_doc.c */
enum verdict validate_cn_passport_check(const char *s, size_t len);
enum verdict validate_cn_plate_check(const char *s, size_t len);
size_t validate_cn_plate_normalize(const char *s, size_t len, char *dst, size_t dst_cap);
enum verdict validate_hk_id_check(const char *s, size_t len);
enum verdict validate_tw_id_check(const char *s, size_t len);
enum verdict validate_aws_access_key_check(const char *s, size_t len);
enum verdict validate_iban_check(const char *s, size_t len);
enum verdict validate_cn_name_check(const char *s, size_t len);
enum verdict validate_cn_address_check(const char *s, size_t len);
enum verdict validate_cn_postal_code_check(const char *s, size_t len);
enum verdict validate_qq_number_check(const char *s, size_t len);

#endif
