/* Whether bytes are well-formed UTF-8, a chunk at a time: the workers warn
 * (once a chunk) where a source's text is not, and scan the bytes as they
 * are. */
#ifndef PIISCAN_UTF8_H
#define PIISCAN_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The offset of the first byte of p[0..len) that breaks UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF, no sequence cut
 * short by the end), or len where there is none. Thread-safe. */
size_t utf8_invalid_at(const unsigned char *p, size_t len);

/* The same, a character at a time: the reference for the tests, and what
 * finds the offset once the vector check has seen a fault. */
size_t utf8_invalid_at_bytes(const unsigned char *p, size_t len);

/* Whether the vector check (AVX2, where the CPU has it; else the byte
 * loop) finds p[0..len) well-formed: for the tests. */
bool utf8_valid(const unsigned char *p, size_t len);

/* The length of the well-formed character at p (n > 0 bytes there, by the
 * rules above): 1 for ASCII, 0 where none starts. Inline: the findings
 * lines call it for every character of a Chinese name or address. */
static inline size_t utf8_char_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t k = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	if (!k || k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
	    (c == 0xF4 && p[1] > 0x8F))
		return 0;
	return k;
}

#endif
