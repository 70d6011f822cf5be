/* Token starts: the bytes of a block where a value may begin, found 64 at
 * a time. A value is a whole token (see scan.c: start_ok), so a start is a
 * byte some rule can begin with that does not continue a token: a digit
 * with no digit (and no "d.") before it, a letter with no letter or digit
 * before it, or any other first byte. On dense exports a start is one byte
 * in ten; finding them with vector compares instead of a test per byte is
 * what lets the DFA run only where it can match. */
#ifndef PIISCAN_TOKSTART_H
#define PIISCAN_TOKSTART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The paths, best last: what tokstart_init picks is the best the CPU has
 * (a test may lower it). */
enum tokstart_level {
	TOKSTART_BYTES,
	TOKSTART_AVX2,
	TOKSTART_AVX512,   /* AVX-512BW: one 64-byte pass to bit masks */
};

struct tokstart {
	uint8_t first[256];   /* some rule can begin with this byte */
	uint8_t lo[16], hi[16];   /* the same set as nibble tables (bytes < 0x80, >= 0x80) */
	bool filter_next;     /* tokstart_set_next: high starts need a next byte of next[] */
	uint8_t next[256];
	uint8_t next_lo[16], next_hi[16];
	enum tokstart_level level;
};

/* What a block needs of the block before it: its last two bytes' kinds. */
struct tokstart_carry {
	uint64_t digit, dot, alnum;
};

void tokstart_init(struct tokstart *ts, const uint8_t first[256]);

/* Drop the starts at a byte >= 0x80 (a UTF-8 lead: in Chinese text, every
 * character's first byte can begin a rule that starts with one, such as a
 * plate's province) whose next byte is not in next[] (next[c] != 0: some
 * match can begin with a byte >= 0x80 and then c). A start with no next
 * byte in its block is kept. Call after tokstart_init. */
void tokstart_set_next(struct tokstart *ts, const uint8_t next[256]);

/* Bit k set: p[k] is a token start (k < n <= 64). carry starts zeroed for
 * the first block of a buffer (nothing before it) and is updated. */
uint64_t tokstart_block(const struct tokstart *ts, const unsigned char *p, size_t n,
			struct tokstart_carry *carry);

/* The starts of all of p[0..len), a block at a time: bits[i] is what
 * tokstart_block gives for block i (p + 64 i, nothing before the first);
 * bits has (len + 63) / 64 words. */
void tokstart_buffer(const struct tokstart *ts, const unsigned char *p, size_t len, uint64_t *bits);

#endif
