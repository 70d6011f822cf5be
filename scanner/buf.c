/* Growable byte buffer. */
#include "buf.h"
#include "util.h"

#include <stdlib.h>

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

char *buf_reserve_slow(struct buf *b, size_t n)
{
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap - b->len < n)
		ncap *= 2;
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
	return b->data + b->len;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	memcpy(buf_reserve(b, n), p, n);
	b->len += n;
}

size_t buf_format_u64(char *dst, uint64_t v)
{
	/* Two digits per division: findings lines carry three numbers each.
	 * Written in place from the end, once the length is known: building
	 * the digits in a scratch array and copying them made the copy's wide
	 * loads wait on the narrow stores before them (store forwarding). */
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	static const uint64_t pow10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
		1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
		1000000000000000000ULL, 10000000000000000000ULL,
	};
	/* Digits from the bit length: log10(2) ~ 1233 / 4096, then one compare. */
	unsigned bits = 64 - (unsigned)__builtin_clzll(v | 1);
	size_t n = (bits * 1233) >> 12;
	n += v >= pow10[n];
	if (n == 0)
		n = 1;
	char *o = dst + n;
	while (v >= 1ULL << 32) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		o -= 2;
		o[0] = pairs[2 * r];
		o[1] = pairs[2 * r + 1];
	}
	/* Record numbers and offsets mostly fit 32 bits: a 32-bit division
	 * by 100 is a shorter multiply. */
	uint32_t w = (uint32_t)v;
	while (w >= 100) {
		unsigned r = w % 100;
		w /= 100;
		o -= 2;
		o[0] = pairs[2 * r];
		o[1] = pairs[2 * r + 1];
	}
	v = w;
	if (v >= 10) {
		o[-2] = pairs[2 * v];
		o[-1] = pairs[2 * v + 1];
	} else {
		o[-1] = (char)('0' + v);
	}
	return n;
}

void buf_put_u64(struct buf *b, uint64_t v)
{
	char *d = buf_reserve(b, 24);
	b->len += buf_format_u64(d, v);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}
