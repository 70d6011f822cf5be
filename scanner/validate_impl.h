/* Private to the validate_*.c family: the check and normalize functions
 * that validate.c registers, and the few byte helpers every member needs.
 * Nothing outside scanner/validate*.c includes this header. */
#ifndef PIISCAN_VALIDATE_IMPL_H
#define PIISCAN_VALIDATE_IMPL_H

#include <stddef.h>

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

/* Normalisers shared by several validators. Each writes at most dst_cap
 * bytes and returns the length written. */

/* The decimal digits of s, in order. */
static inline size_t validate_keep_digits(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < dst_cap; i++)
		if (validate_is_digit(s[i]))
			dst[n++] = s[i];
	return n;
}

/* The ASCII letters and digits of s, letters upper-cased. */
static inline size_t validate_keep_alnum_upper(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < dst_cap; i++)
		if (validate_is_digit(s[i]) || validate_is_alpha(s[i]))
			dst[n++] = validate_to_upper(s[i]);
	return n;
}

/* All of s, ASCII letters lower-cased. */
static inline size_t validate_copy_lower(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < dst_cap; i++)
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
