/* Network identifiers: email addresses, IPv4 and IPv6 addresses and
 * Ethernet MAC addresses, judged on syntax alone. Part of the validate
 * stage. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "validate_impl.h"

static int net_is_local_char(char c)
{
	return validate_is_alpha(c) || validate_is_digit(c) || c == '.' || c == '_' ||
	       c == '%' || c == '+' || c == '-';
}

/* A DNS label of a host name: letters, digits and inner dashes. */
static int net_label_ok(const char *s, size_t len)
{
	if (len < 1 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!validate_is_alpha(s[i]) && !validate_is_digit(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* The common subset of RFC 5321 addresses that people actually have:
 * no quoted local parts, no IP-literal domains, a real-looking TLD. */
enum verdict validate_email_check(const char *s, size_t len)
{
	size_t at = 0, labels = 0, start, tld;

	if (len > 254)
		return VERDICT_FAIL;
	while (at < len && s[at] != '@')
		at++;
	if (at < 1 || at > 64 || at == len)
		return VERDICT_FAIL;
	if (s[0] == '.' || s[at - 1] == '.')
		return VERDICT_FAIL;
	for (size_t i = 0; i < at; i++)
		if (!net_is_local_char(s[i]) || (s[i] == '.' && s[i + 1] == '.'))
			return VERDICT_FAIL;

	start = tld = at + 1;
	for (size_t i = at + 1; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!net_label_ok(s + start, i - start))
			return VERDICT_FAIL;
		labels++;
		tld = start;
		start = i + 1;
	}
	if (labels < 2 || len - tld < 2 || len - tld > 24)
		return VERDICT_FAIL;
	for (size_t i = tld; i < len; i++)
		if (!validate_is_alpha(s[i]))
			return VERDICT_FAIL;
	return VERDICT_PASS;
}

/* Dotted quad, octets 0-255 without leading zeros ("010" is ambiguous:
 * octal to some parsers, decimal to others, and mostly a version number). */
enum verdict validate_ipv4_check(const char *s, size_t len)
{
	size_t i = 0;

	for (int octet = 0; octet < 4; octet++) {
		size_t start = i;
		int v = 0;

		if (octet > 0) {
			if (i >= len || s[i] != '.')
				return VERDICT_FAIL;
			start = ++i;
		}
		while (i < len && validate_is_digit(s[i]) && i - start < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return VERDICT_FAIL;
	}
	return i == len ? VERDICT_PASS : VERDICT_FAIL;
}

/* Any RFC 4291 text form, IPv4-embedded ones included; inet_pton is the
 * parser, so the value is copied to a NUL-terminated stack buffer. */
enum verdict validate_ipv6_check(const char *s, size_t len)
{
	static const unsigned char loopback[16] = { [15] = 1 };
	static const unsigned char zero[16];
	char buf[46];
	unsigned char addr[16];

	/* "::" is the shortest form; 45 is INET6_ADDRSTRLEN less its NUL. */
	if (len < 2 || len >= sizeof buf)
		return VERDICT_FAIL;
	for (size_t i = 0; i < len; i++) {
		if (validate_hex_value(s[i]) < 0 && s[i] != ':' && s[i] != '.')
			return VERDICT_FAIL;
		buf[i] = s[i];
	}
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return VERDICT_FAIL;
	/* The unspecified and loopback addresses identify no one. */
	if (memcmp(addr, zero, 16) == 0 || memcmp(addr, loopback, 16) == 0)
		return VERDICT_FAIL;
	return VERDICT_PASS;
}

/* Six octets as "xx:xx:xx:xx:xx:xx" or "xx-xx-xx-xx-xx-xx" (one separator
 * throughout) or Cisco's "xxxx.xxxx.xxxx". */
enum verdict validate_mac_check(const char *s, size_t len)
{
	size_t group, ndigits = 0, nzero = 0, nf = 0;
	char sep;

	if (len == 17) {
		group = 2;
		sep = s[2];
		if (sep != ':' && sep != '-')
			return VERDICT_FAIL;
	} else if (len == 14) {
		group = 4;
		sep = '.';
	} else {
		return VERDICT_FAIL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((i + 1) % (group + 1) == 0) {
			if (s[i] != sep)
				return VERDICT_FAIL;
			continue;
		}
		int v = validate_hex_value(s[i]);

		if (v < 0)
			return VERDICT_FAIL;
		ndigits++;
		nzero += v == 0;
		nf += v == 15;
	}
	/* All-zero is a placeholder; all-ones is the broadcast address. */
	if (nzero == ndigits || nf == ndigits)
		return VERDICT_FAIL;
	return VERDICT_PASS;
}

size_t validate_mac_normalize(const char *s, size_t len, char *dst, size_t dst_cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < dst_cap; i++)
		if (validate_hex_value(s[i]) >= 0)
			dst[n++] = validate_to_lower(s[i]);
	return n;
}
