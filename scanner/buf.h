/* A growable byte buffer, in the spirit of Redis' sds but with the length
 * kept beside the pointer. Appends never fail (allocation aborts). */
#ifndef PIISCAN_BUF_H
#define PIISCAN_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;     /* bytes from data to the end of its memory */
	size_t off;     /* bytes of the memory before data: 0 but for memory
			 * taken over with room in front (buf_adopt) */
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* The memory, and its size, for handing it on (NULL and 0 when none). */
static inline char *buf_mem(const struct buf *b) { return b->data ? b->data - b->off : NULL; }
static inline size_t buf_mem_size(const struct buf *b) { return b->data ? b->off + b->cap : 0; }
/* Take over mem (size bytes from malloc; what b had is the caller's), its
 * bytes from off on being the buffer's, len of them filled. */
static inline void buf_adopt(struct buf *b, char *mem, size_t size, size_t off, size_t len)
{
	b->data = mem + off;
	b->off = off;
	b->cap = size - off;
	b->len = len;
}
/* Empty the buffer, keeping its memory. */
static inline void buf_reset(struct buf *b) { b->len = 0; }
/* Make room for n more bytes; returns where they go (len unchanged). */
char *buf_reserve_slow(struct buf *b, size_t n);
static inline char *buf_reserve(struct buf *b, size_t n)
{
	return b->cap - b->len >= n ? b->data + b->len : buf_reserve_slow(b, n);
}
void buf_append(struct buf *b, const void *p, size_t n);
static inline void buf_putc(struct buf *b, char c)
{
	if (b->len == b->cap)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
}
static inline void buf_puts(struct buf *b, const char *s) { buf_append(b, s, strlen(s)); }
/* Append the decimal form of v, without printf. */
void buf_put_u64(struct buf *b, uint64_t v);

extern const char buf_digit_pairs[200];   /* "00" "01" ... "99" */
extern const uint64_t buf_pow10[20];
size_t buf_format_u64_wide(char *dst, uint64_t v);   /* v >= 2^32 */

/* Write the decimal form of v to dst (room for 20 bytes); returns its
 * length. Inline, two digits a step, written in place from the end once
 * the length is known (digits built in a scratch array and copied made
 * the copy's wide loads wait on the narrow stores before them): findings
 * lines carry three numbers each, and most fit 32 bits, whose division by
 * 100 is a shorter multiply. */
static inline size_t buf_format_u64(char *dst, uint64_t v)
{
	if (v >> 32)
		return buf_format_u64_wide(dst, v);
	uint32_t w = (uint32_t)v;
	/* Digits from the bit length: log10(2) ~ 1233 / 4096, then one compare. */
	unsigned bits = 32 - (unsigned)__builtin_clz(w | 1);
	size_t n = (bits * 1233) >> 12;
	n += w >= buf_pow10[n];
	n += n == 0;
	char *o = dst + n;
	while (w >= 100) {
		uint32_t q = w / 100;
		o -= 2;
		memcpy(o, buf_digit_pairs + 2 * (w - q * 100), 2);
		w = q;
	}
	if (w >= 10)
		memcpy(o - 2, buf_digit_pairs + 2 * w, 2);
	else
		o[-1] = (char)('0' + w);
	return n;
}
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
