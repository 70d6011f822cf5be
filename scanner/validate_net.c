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

/* Byte classes for e-mail addresses, one table lookup per byte: the
 * characters of an unquoted local part, of a DNS label, and the letters
 * a top-level domain is made of. */
enum {
	NET_LOCAL = 1, /* letters, digits and . _ % + - */
	NET_LABEL = 2, /* letters, digits and - */
	NET_ALPHA = 4, /* letters */
};

#define NET_DIGIT (NET_LOCAL | NET_LABEL)
#define NET_LETTER (NET_LOCAL | NET_LABEL | NET_ALPHA)

static const unsigned char net_class[256] = {
	['0'] = NET_DIGIT, ['1'] = NET_DIGIT, ['2'] = NET_DIGIT, ['3'] = NET_DIGIT,
	['4'] = NET_DIGIT, ['5'] = NET_DIGIT, ['6'] = NET_DIGIT, ['7'] = NET_DIGIT,
	['8'] = NET_DIGIT, ['9'] = NET_DIGIT,
	['A'] = NET_LETTER, ['B'] = NET_LETTER, ['C'] = NET_LETTER, ['D'] = NET_LETTER,
	['E'] = NET_LETTER, ['F'] = NET_LETTER, ['G'] = NET_LETTER, ['H'] = NET_LETTER,
	['I'] = NET_LETTER, ['J'] = NET_LETTER, ['K'] = NET_LETTER, ['L'] = NET_LETTER,
	['M'] = NET_LETTER, ['N'] = NET_LETTER, ['O'] = NET_LETTER, ['P'] = NET_LETTER,
	['Q'] = NET_LETTER, ['R'] = NET_LETTER, ['S'] = NET_LETTER, ['T'] = NET_LETTER,
	['U'] = NET_LETTER, ['V'] = NET_LETTER, ['W'] = NET_LETTER, ['X'] = NET_LETTER,
	['Y'] = NET_LETTER, ['Z'] = NET_LETTER,
	['a'] = NET_LETTER, ['b'] = NET_LETTER, ['c'] = NET_LETTER, ['d'] = NET_LETTER,
	['e'] = NET_LETTER, ['f'] = NET_LETTER, ['g'] = NET_LETTER, ['h'] = NET_LETTER,
	['i'] = NET_LETTER, ['j'] = NET_LETTER, ['k'] = NET_LETTER, ['l'] = NET_LETTER,
	['m'] = NET_LETTER, ['n'] = NET_LETTER, ['o'] = NET_LETTER, ['p'] = NET_LETTER,
	['q'] = NET_LETTER, ['r'] = NET_LETTER, ['s'] = NET_LETTER, ['t'] = NET_LETTER,
	['u'] = NET_LETTER, ['v'] = NET_LETTER, ['w'] = NET_LETTER, ['x'] = NET_LETTER,
	['y'] = NET_LETTER, ['z'] = NET_LETTER,
	['.'] = NET_LOCAL, ['_'] = NET_LOCAL, ['%'] = NET_LOCAL, ['+'] = NET_LOCAL,
	['-'] = NET_LOCAL | NET_LABEL,
};

static int net_is(char c, int cls)
{
	return net_class[(unsigned char)c] & cls;
}

/* The common subset of RFC 5321 addresses that people actually have:
 * no quoted local parts, no IP-literal domains, a real-looking TLD.
 * One pass over the local part and one over the domain. */
enum verdict validate_email_check_bytes(const char *s, size_t len)
{
	size_t at, i, start, tld, labels = 0;
	size_t local_max = len < 64 ? len : 64;

	if (len > 254)
		return VERDICT_FAIL;
	/* The local part, up to the first '@': 1-64 characters, dots neither
	 * first nor last nor two in a row. */
	for (at = 0; at < local_max && s[at] != '@'; at++) {
		if (!net_is(s[at], NET_LOCAL))
			return VERDICT_FAIL;
		if (s[at] == '.' && (at == 0 || s[at - 1] == '.'))
			return VERDICT_FAIL;
	}
	if (at == 0 || at == len || s[at] != '@' || s[at - 1] == '.')
		return VERDICT_FAIL;

	/* The domain: DNS labels of letters, digits and inner dashes, 1-63
	 * long, split by single dots; the last one is the TLD. */
	i = at + 1;
	for (;;) {
		start = i;
		while (i < len && net_is(s[i], NET_LABEL))
			i++;
		if (i == start || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return VERDICT_FAIL;
		labels++;
		tld = start;
		if (i == len)
			break;
		if (s[i] != '.')
			return VERDICT_FAIL;
		i++;
	}
	if (labels < 2 || len - tld < 2 || len - tld > 24)
		return VERDICT_FAIL;
	for (i = tld; i < len; i++)
		if (!net_is(s[i], NET_ALPHA))
			return VERDICT_FAIL;
	return VERDICT_PASS;
}

#ifdef __SSE2__
/* Bit i set where lo <= p[i] <= hi, for 16 bytes. */
static inline unsigned in_range16(__m128i v, char lo, char hi)
{
	__m128i d = _mm_sub_epi8(v, _mm_set1_epi8(lo));
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((char)(hi - lo))), d));
}

static inline unsigned eq16(__m128i v, char c)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* The byte classes of the value as bit masks (bit i: byte i). */
struct email_masks {
	uint32_t alnum, alpha, dot, at, dash, other_local;
};

/* Add the classes of the 16 bytes v, which sit at offset sh of the value. */
static inline void email_masks16(__m128i v, unsigned sh, struct email_masks *m)
{
	unsigned alpha = in_range16(v, 'a', 'z') | in_range16(v, 'A', 'Z');
	m->alpha |= (uint32_t)alpha << sh;
	m->alnum |= (uint32_t)(alpha | in_range16(v, '0', '9')) << sh;
	m->dot |= (uint32_t)eq16(v, '.') << sh;
	m->at |= (uint32_t)eq16(v, '@') << sh;
	m->dash |= (uint32_t)eq16(v, '-') << sh;
	m->other_local |= (uint32_t)(eq16(v, '_') | eq16(v, '%') | eq16(v, '+')) << sh;
}
#endif

/* validate_email_check_bytes's rules on bit masks of the whole value at
 * once, for values of 3 to 32 bytes (most addresses): a byte loop with a
 * table lookup and a branch or two per byte cost ~5 cycles a byte, 3% of
 * a dense CSV scan. Only the value's own bytes are read: 16 to 32 bytes as
 * two overlapping vectors, fewer copied into a zeroed one. */
enum verdict validate_email_check(const char *s, size_t len)
{
#ifdef __SSE2__
	if (len >= 3 && len <= 32) {
		struct email_masks m = { 0 };
		if (len >= 16) {
			email_masks16(_mm_loadu_si128((const __m128i *)(const void *)s), 0, &m);
			email_masks16(_mm_loadu_si128((const __m128i *)(const void *)(s + len - 16)),
				      (unsigned)len - 16, &m);
		} else {
			char buf[16] = { 0 };
			memcpy(buf, s, len);
			email_masks16(_mm_loadu_si128((const __m128i *)(const void *)buf), 0, &m);
		}
		uint32_t valid = len == 32 ? UINT32_MAX : (UINT32_C(1) << len) - 1;
		uint32_t ats = m.at & valid;
		if (!ats)
			return VERDICT_FAIL;
		unsigned at = (unsigned)__builtin_ctz(ats);
		if (at == 0)
			return VERDICT_FAIL;
		/* The local part: its characters, and no dot first, last or
		 * after another. */
		uint32_t local = (UINT32_C(1) << at) - 1;
		uint32_t lchars = m.alnum | m.dot | m.dash | m.other_local;
		uint32_t ldots = m.dot & local;
		if ((lchars & local) != local || (ldots & 1) || (ldots & (ldots << 1)) || (ldots >> (at - 1) & 1))
			return VERDICT_FAIL;
		/* The domain: labels of letters, digits and dashes between
		 * single dots, none empty, none starting or ending with a dash. */
		uint32_t dom = valid & ~((UINT32_C(2) << at) - 1);
		if (!dom)
			return VERDICT_FAIL;
		uint32_t ddots = m.dot & dom;
		if (((m.alnum | m.dash | m.dot) & dom) != dom || !ddots)
			return VERDICT_FAIL;
		uint32_t first = UINT32_C(1) << (at + 1), last = UINT32_C(1) << (len - 1);
		if ((ddots & (first | last)) || (ddots & (ddots << 1)))
			return VERDICT_FAIL;
		uint32_t edges = first | last | ((ddots << 1) & valid) | (ddots >> 1);
		if (m.dash & edges)
			return VERDICT_FAIL;
		/* The TLD: after the last dot, 2-24 letters. */
		unsigned tld = 32 - (unsigned)__builtin_clz(ddots);
		uint32_t tmask = valid & ~((UINT32_C(1) << tld) - 1);
		if (len - tld < 2 || len - tld > 24 || (m.alpha & tmask) != tmask)
			return VERDICT_FAIL;
		return VERDICT_PASS;
	}
#endif
	return validate_email_check_bytes(s, len);
}

#ifndef __SSE2__
/* One octet of a dotted quad at p (before end): 1-3 digits, 0-255, no
 * leading zero. Returns the end of its digits, or NULL. Unrolled: an
 * octet has at most three digits, and whatever follows them is for the
 * caller to judge. */
static const char *net_ipv4_octet(const char *p, const char *end)
{
	int v;

	if (p == end || !validate_is_digit(*p))
		return NULL;
	v = *p++ - '0';
	if (p == end || !validate_is_digit(*p))
		return p;
	if (v == 0)
		return NULL;
	v = v * 10 + (*p++ - '0');
	if (p == end || !validate_is_digit(*p))
		return p;
	v = v * 10 + (*p++ - '0');
	return v <= 255 ? p : NULL;
}
#endif

#ifdef __SSE2__
/* The bits of a movemask over bytes 0-7 of the value (the low half) and
 * bytes len-8 to len-1 (the high half), as one mask of the value's bytes
 * (8 <= len <= 16; where the halves overlap they agree). */
static inline uint32_t net_join(unsigned m, size_t len)
{
	return (m & 0xFFu) | (uint32_t)(m >> 8) << (len - 8);
}
#endif

/* Dotted quad, octets 0-255 without leading zeros ("010" is ambiguous:
 * octal to some parsers, decimal to others, and mostly a version number).
 * The same answer as inet_pton(AF_INET) (tests/unit hold it to that). */
enum verdict validate_ipv4_check(const char *s, size_t len)
{
	/* "0.0.0.0" to "255.255.255.255" */
	if (len < 7 || len > 15)
		return VERDICT_FAIL;
#ifdef __SSE2__
	/* On bit masks of the value's bytes, no branch an octet: a loop
	 * over the octets mispredicted at every octet of a length it did not
	 * expect (~130 instructions and 25 ns a value). The value's first 8
	 * bytes and last 8 are loaded (7 bytes: copied into 8 zeroes), never
	 * a byte past it. */
	char b7[8] = { 0 };
	const char *lo = s, *hi = s + len - 8;
	size_t n = len;
	if (len == 7) {
		memcpy(b7, s, 7);
		lo = hi = b7;
		n = 8;
	}
	__m128i v = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)lo),
				       _mm_loadl_epi64((const __m128i *)(const void *)hi));
	uint32_t valid = (UINT32_C(1) << len) - 1;
	uint32_t dig = net_join(in_range16(v, '0', '9'), n) & valid;
	uint32_t dot = net_join(eq16(v, '.'), n) & valid;
	/* Four runs of digits split by three single dots, none first or last. */
	if ((dig | dot) != valid || __builtin_popcount(dot) != 3 || (dot & (dot >> 1)) || (dot & 1) ||
	    (dot >> (len - 1)))
		return VERDICT_FAIL;
	/* Octets of at most three digits; a leading 0 only alone. */
	uint32_t first = dig & ~(dig << 1), zero = net_join(eq16(v, '0'), n);
	if ((dig & (dig >> 1) & (dig >> 2) & (dig >> 3)) || (first & zero & (dig >> 1)))
		return VERDICT_FAIL;
	/* Three digits abc over 255: a over 2, or a 2 and b over 5, or 25
	 * and c over 5. */
	uint32_t three = first & (dig >> 1) & (dig >> 2);
	if (three) {
		uint32_t over2 = net_join(in_range16(v, '3', '9'), n), two = net_join(eq16(v, '2'), n);
		uint32_t over5 = net_join(in_range16(v, '6', '9'), n), five = net_join(eq16(v, '5'), n);
		if (three & (over2 | (two & ((over5 >> 1) | (five >> 1 & over5 >> 2)))))
			return VERDICT_FAIL;
	}
	return VERDICT_PASS;
#else
	const char *p = s, *end = s + len;
	for (int octet = 0; octet < 4; octet++) {
		if (octet > 0) {
			if (p == end || *p != '.')
				return VERDICT_FAIL;
			p++;
		}
		p = net_ipv4_octet(p, end);
		if (!p)
			return VERDICT_FAIL;
	}
	return p == end ? VERDICT_PASS : VERDICT_FAIL;
#endif
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
