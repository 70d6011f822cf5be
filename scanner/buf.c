/* Growable byte buffer. */
#include "buf.h"
#include "util.h"

#include <stdlib.h>

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->off = 0;
}

void buf_release(struct buf *b)
{
	free(buf_mem(b));
	buf_init(b);
}

char *buf_reserve_slow(struct buf *b, size_t n)
{
	if (b->off) {
		/* the room in front first */
		memmove(b->data - b->off, b->data, b->len);
		b->data -= b->off;
		b->cap += b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return b->data + b->len;
	}
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

const char buf_digit_pairs[200] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";
const uint64_t buf_pow10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
	1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
	1000000000000000000ULL, 10000000000000000000ULL,
};

size_t buf_format_u64_wide(char *dst, uint64_t v)
{
	unsigned bits = 64 - (unsigned)__builtin_clzll(v | 1);
	size_t n = (bits * 1233) >> 12;
	n += v >= buf_pow10[n];
	char *o = dst + n;
	while (v >= 1ULL << 32) {
		uint64_t q = v / 100;
		o -= 2;
		memcpy(o, buf_digit_pairs + 2 * (v - q * 100), 2);
		v = q;
	}
	/* What is left fits 32 bits (a shorter division) and has exactly as
	 * many digits as there are places left before o. */
	uint32_t w = (uint32_t)v;
	while (o - dst > 2) {
		uint32_t q = w / 100;
		o -= 2;
		memcpy(o, buf_digit_pairs + 2 * (w - q * 100), 2);
		w = q;
	}
	if (o - dst == 2)
		memcpy(dst, buf_digit_pairs + 2 * w, 2);
	else
		dst[0] = (char)('0' + w);
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
