/* UTF-8 validation. Text with many multibyte characters (Chinese names
 * and addresses in every record) left the byte loop once a character; the
 * AVX2 check looks at 32 bytes a step whatever they hold, with the lookup
 * method of Keiser and Lemire ("Validating UTF-8 in less than one
 * instruction per byte", Software: Practice and Experience, 2021): three
 * nibble lookups classify each byte with the one before it, and a byte
 * two or three after a lead of three or four bytes must be a continuation.
 * The byte loop stays the reference, and says where the first fault is. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define UTF8_AVX2 1
#include <immintrin.h>
#endif

size_t utf8_invalid_at_bytes(const unsigned char *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		/* Skip ASCII eight bytes at a time. */
		while (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		size_t n = utf8_char_len(p + i, len - i);
		if (!n)
			return i;
		i += n;
	}
	return len;
}

#ifdef UTF8_AVX2
/* What can be wrong with a byte and the one before it, a bit each. A pair
 * is at fault where all three lookups (the first byte's high nibble, its
 * low nibble, the second byte's high nibble) share a bit. */
#define TOO_SHORT (1 << 0)      /* a lead, then no continuation */
#define TOO_LONG (1 << 1)       /* ASCII, then a continuation */
#define OVERLONG_3 (1 << 2)     /* E0 80..9F */
#define TOO_LARGE (1 << 3)      /* F4 90..BF, F5..FF */
#define SURROGATE (1 << 4)      /* ED A0..BF */
#define OVERLONG_2 (1 << 5)     /* C0, C1 */
#define TOO_LARGE_1000 (1 << 6) /* F5..FF 80..8F */
#define OVERLONG_4 (1 << 6)     /* F0 80..8F */
#define TWO_CONTS (1 << 7)      /* a continuation, then another: right only
				 * as the third or fourth byte of a character */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

#define B(x) ((char)(x))
#define TABLE(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, q)                                             \
	_mm256_setr_epi8(B(a), B(b), B(c), B(d), B(e), B(f), B(g), B(h), B(i), B(j), B(k), B(l), B(m), B(n), \
			 B(o), B(q), B(a), B(b), B(c), B(d), B(e), B(f), B(g), B(h), B(i), B(j), B(k), B(l),  \
			 B(m), B(n), B(o), B(q))

/* The faults of the 32 bytes in with the 32 before them (prev): nonzero
 * bytes where a character is malformed. */
__attribute__((target("avx2"))) static inline __m256i check32(__m256i in, __m256i prev)
{
	const __m256i first_high = TABLE(TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
					 TOO_LONG, TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
					 TOO_SHORT | OVERLONG_2, TOO_SHORT, TOO_SHORT | OVERLONG_3 | SURROGATE,
					 TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4);
	const __m256i first_low = TABLE(CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, CARRY | OVERLONG_2, CARRY,
					CARRY, CARRY | TOO_LARGE, CARRY | TOO_LARGE | TOO_LARGE_1000,
					CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
					CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
					CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
					CARRY | TOO_LARGE | TOO_LARGE_1000,
					CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
					CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000);
	const __m256i second_high = TABLE(TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
					  TOO_SHORT, TOO_SHORT,
					  TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
					  TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
					  TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
					  TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE, TOO_SHORT,
					  TOO_SHORT, TOO_SHORT, TOO_SHORT);
	const __m256i nib = _mm256_set1_epi8(0x0F);
	/* The bytes one, two and three before each (across the lanes). */
	__m256i carried = _mm256_permute2x128_si256(prev, in, 0x21);
	__m256i prev1 = _mm256_alignr_epi8(in, carried, 15);
	__m256i prev2 = _mm256_alignr_epi8(in, carried, 14);
	__m256i prev3 = _mm256_alignr_epi8(in, carried, 13);
	__m256i sc = _mm256_and_si256(
		_mm256_and_si256(_mm256_shuffle_epi8(first_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nib)),
				 _mm256_shuffle_epi8(first_low, _mm256_and_si256(prev1, nib))),
		_mm256_shuffle_epi8(second_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), nib)));
	/* Two continuations in a row must be, and may only be, the third or
	 * fourth byte of a character: two after an E0..FF lead, three after
	 * an F0..FF one (the high bit after the saturating subtraction). */
	__m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8(B(0xE0 - 0x80)));
	__m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8(B(0xF0 - 0x80)));
	__m256i must = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(B(0x80)));
	return _mm256_xor_si256(must, sc);
}

__attribute__((target("avx2"))) static bool valid_avx2(const unsigned char *p, size_t len)
{
	__m256i prev = _mm256_setzero_si256(), err = _mm256_setzero_si256();
	size_t i = 0;
	for (; i + 32 <= len; i += 32) {
		__m256i in = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		/* ASCII after ASCII: nothing to look up. */
		if (!_mm256_movemask_epi8(_mm256_or_si256(in, prev))) {
			prev = in;
			continue;
		}
		err = _mm256_or_si256(err, check32(in, prev));
		prev = in;
	}
	/* The rest, then zeros: a character the end cuts short is a lead or
	 * continuation before a zero byte, which the check sees. */
	unsigned char tail[32] = { 0 };
	if (len > i)
		memcpy(tail, p + i, len - i);
	err = _mm256_or_si256(err, check32(_mm256_loadu_si256((const __m256i *)(const void *)tail), prev));
	return _mm256_testz_si256(err, err);
}
#endif

bool utf8_valid(const unsigned char *p, size_t len)
{
#ifdef UTF8_AVX2
	if (__builtin_cpu_supports("avx2"))
		return valid_avx2(p, len);
#endif
	return utf8_invalid_at_bytes(p, len) == len;
}

size_t utf8_invalid_at(const unsigned char *p, size_t len)
{
	return utf8_valid(p, len) ? len : utf8_invalid_at_bytes(p, len);
}
