/* Whether bytes are well-formed UTF-8, a chunk at a time: the workers warn
 * (once a chunk) where a source's text is not, and scan the bytes as they
 * are. */
#ifndef PIISCAN_UTF8_H
#define PIISCAN_UTF8_H

#include <stdbool.h>
#include <stddef.h>

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
 * rules above): 1 for ASCII, 0 where none starts. */
size_t utf8_char_len(const unsigned char *p, size_t n);

#endif
