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
	size_t cap;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
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
/* Write the decimal form of v to dst (room for 20 bytes); returns its length. */
size_t buf_format_u64(char *dst, uint64_t v);
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
