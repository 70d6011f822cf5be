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

char *buf_reserve(struct buf *b, size_t n)
{
	if (b->cap - b->len < n) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap - b->len < n)
			ncap *= 2;
		b->data = xrealloc(b->data, ncap);
		b->cap = ncap;
	}
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
	/* Two digits per division: findings lines carry three numbers each. */
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[24];
	size_t i = sizeof tmp;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		tmp[--i] = pairs[2 * r + 1];
		tmp[--i] = pairs[2 * r];
	}
	if (v >= 10) {
		tmp[--i] = pairs[2 * v + 1];
		tmp[--i] = pairs[2 * v];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	memcpy(dst, tmp + i, sizeof tmp - i);
	return sizeof tmp - i;
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
