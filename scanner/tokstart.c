/* Token starts, 64 bytes at a time: per-byte kinds as bit masks (AVX2 where
 * the CPU has it, a byte loop otherwise), then the start rule as shifts and
 * ands over the masks. The first-byte set is any set of bytes: it is looked
 * up with two 16-byte nibble tables (the "truffle" technique of Hyperscan's
 * literal engines), so the rule set decides it, not this file; so is the
 * next-byte set that high starts may be held to (tokstart_set_next). */
#include "tokstart.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TOKSTART_AVX2 1
#include <immintrin.h>
#endif

/* A byte set as the two nibble tables of the truffle lookup (kinds32). */
static void nibble_tables(const uint8_t set[256], uint8_t lo[16], uint8_t hi[16])
{
	for (unsigned c = 0; c < 256; c++) {
		if (!set[c])
			continue;
		if (c < 0x80)
			lo[c & 15] |= (uint8_t)(1u << (c >> 4));
		else
			hi[c & 15] |= (uint8_t)(1u << ((c >> 4) & 7));
	}
}

void tokstart_init(struct tokstart *ts, const uint8_t first[256])
{
	memset(ts, 0, sizeof *ts);
	for (unsigned c = 0; c < 256; c++)
		ts->first[c] = first[c] != 0;
	nibble_tables(ts->first, ts->lo, ts->hi);
#ifdef TOKSTART_AVX2
	__builtin_cpu_init();
	ts->level = __builtin_cpu_supports("avx512bw") ? TOKSTART_AVX512
		: __builtin_cpu_supports("avx2") ? TOKSTART_AVX2 : TOKSTART_BYTES;
#endif
}

void tokstart_set_next(struct tokstart *ts, const uint8_t next[256])
{
	for (unsigned c = 0; c < 256; c++)
		ts->next[c] = next[c] != 0;
	memset(ts->next_lo, 0, sizeof ts->next_lo);
	memset(ts->next_hi, 0, sizeof ts->next_hi);
	nibble_tables(ts->next, ts->next_lo, ts->next_hi);
	ts->filter_next = true;
}

/* Per byte of a block: in the first-byte set, a digit, a letter, a dot,
 * >= 0x80 (high), and (only where a high byte is, with filter_next) in
 * the next-byte set. */
struct kinds {
	uint64_t first, digit, alpha, dot, high, next;
};

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static struct kinds kinds_bytes(const struct tokstart *ts, const unsigned char *p, size_t n)
{
	struct kinds k = { 0 };
	for (size_t i = 0; i < n; i++) {
		uint64_t bit = 1ULL << i;
		k.first |= ts->first[p[i]] ? bit : 0;
		k.digit |= is_digit(p[i]) ? bit : 0;
		k.alpha |= is_alpha(p[i]) ? bit : 0;
		k.dot |= p[i] == '.' ? bit : 0;
		k.high |= p[i] >= 0x80 ? bit : 0;
		k.next |= ts->next[p[i]] ? bit : 0;
	}
	return k;
}

#ifdef TOKSTART_AVX2
/* Which of the 32 bytes v are in the set of the nibble tables lo, hi. */
__attribute__((target("avx2"))) static inline uint32_t truffle32(__m256i v, const uint8_t lo16[16],
								  const uint8_t hi16[16])
{
	const __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)lo16));
	const __m256i hi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)hi16));
	const __m256i bitsel = _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 1, 2, 4, 8, 16, 32, 64, (char)128,
						1, 2, 4, 8, 16, 32, 64, (char)128, 1, 2, 4, 8, 16, 32, 64, (char)128);
	/* pshufb gives 0 for an index with bit 7 set: lo answers bytes < 0x80,
	 * hi (indexed by the byte ^ 0x80) the others; the high nibble picks the bit. */
	__m256i rows = _mm256_or_si256(_mm256_shuffle_epi8(lo, v),
				       _mm256_shuffle_epi8(hi, _mm256_xor_si256(v, _mm256_set1_epi8((char)0x80))));
	__m256i hinib = _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(7));
	__m256i hit = _mm256_and_si256(rows, _mm256_shuffle_epi8(bitsel, hinib));
	return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256()));
}

__attribute__((target("avx2"))) static inline void kinds32(const struct tokstart *ts, const unsigned char *p,
							   uint32_t out[5])
{
	const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
	out[0] = truffle32(v, ts->lo, ts->hi);
	out[4] = (uint32_t)_mm256_movemask_epi8(v);
	/* Signed compares: bytes >= 0x80 are negative, so neither digit nor letter. */
	__m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8('0' - 1)),
					 _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), v));
	__m256i low = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
	__m256i alpha = _mm256_and_si256(_mm256_cmpgt_epi8(low, _mm256_set1_epi8('a' - 1)),
					 _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), low));
	out[1] = (uint32_t)_mm256_movemask_epi8(digit);
	out[2] = (uint32_t)_mm256_movemask_epi8(alpha);
	out[3] = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')));
}

__attribute__((target("avx2"))) static inline struct kinds kinds_avx2(const struct tokstart *ts, const unsigned char *p)
{
	uint32_t a[6], b[6];
	kinds32(ts, p, a);
	kinds32(ts, p + 32, b);
	/* The next-byte set for both halves where either has a high byte:
	 * the first half's last byte is followed by the second's first. */
	a[5] = b[5] = 0;
	if (ts->filter_next && (a[4] | b[4])) {
		a[5] = truffle32(_mm256_loadu_si256((const __m256i *)(const void *)p), ts->next_lo, ts->next_hi);
		b[5] = truffle32(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32)), ts->next_lo, ts->next_hi);
	}
	return (struct kinds){
		.first = (uint64_t)b[0] << 32 | a[0],
		.digit = (uint64_t)b[1] << 32 | a[1],
		.alpha = (uint64_t)b[2] << 32 | a[2],
		.dot = (uint64_t)b[3] << 32 | a[3],
		.high = (uint64_t)b[4] << 32 | a[4],
		.next = (uint64_t)b[5] << 32 | a[5],
	};
}

/* Which of the 64 bytes v are in the set of the nibble tables lo, hi (as
 * truffle32). */
__attribute__((target("avx512bw"))) static inline uint64_t truffle64(__m512i v, const uint8_t lo16[16],
								     const uint8_t hi16[16])
{
	const __m512i lo = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)lo16));
	const __m512i hi = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)hi16));
	const __m512i bitsel = _mm512_broadcast_i32x4(
		_mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 1, 2, 4, 8, 16, 32, 64, (char)128));
	__m512i rows = _mm512_or_si512(_mm512_shuffle_epi8(lo, v),
				       _mm512_shuffle_epi8(hi, _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80))));
	__m512i hinib = _mm512_and_si512(_mm512_srli_epi16(v, 4), _mm512_set1_epi8(7));
	__m512i hit = _mm512_and_si512(rows, _mm512_shuffle_epi8(bitsel, hinib));
	return _mm512_test_epi8_mask(hit, hit);
}

/* The same kinds in one pass: AVX-512BW compares give the 64-bit masks
 * directly (no movemask, no halves to join). */
__attribute__((target("avx512bw"))) static inline struct kinds kinds_avx512(const struct tokstart *ts,
								     const unsigned char *p)
{
	const __m512i v = _mm512_loadu_si512((const void *)p);
	__m512i lower = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
	uint64_t high = _mm512_movepi8_mask(v);
	return (struct kinds){
		.first = truffle64(v, ts->lo, ts->hi),
		.digit = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(10)),
		.alpha = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(lower, _mm512_set1_epi8('a')), _mm512_set1_epi8(26)),
		.dot = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.')),
		.high = high,
		.next = ts->filter_next && high ? truffle64(v, ts->next_lo, ts->next_hi) : 0,
	};
}
#endif

/* The start rule on the kinds of a block of n bytes, continued from the
 * block before (carry), which it updates. Inlined into each path's loop. */
static inline __attribute__((always_inline)) uint64_t starts_of(const struct tokstart *ts, struct kinds k, size_t n,
								 struct tokstart_carry *carry)
{
	uint64_t alnum = k.digit | k.alpha;
	/* The same masks one and two bytes back, continued from the last block. */
	uint64_t digit1 = k.digit << 1 | carry->digit >> 63;
	uint64_t digit2 = k.digit << 2 | carry->digit >> 62;
	uint64_t dot1 = k.dot << 1 | carry->dot >> 63;
	uint64_t alnum1 = alnum << 1 | carry->alnum >> 63;
	uint64_t inside = (k.digit & (digit1 | (dot1 & digit2))) | (k.alpha & alnum1);
	uint64_t starts = k.first & ~inside;
	if (ts->filter_next && (starts & k.high)) {
		/* A high start stays if its next byte may follow, or if that byte
		 * is past the block (bit n - 1: not looked at). */
		uint64_t last = 1ULL << (n - 1);
		starts &= ~k.high | k.next >> 1 | last;
	}
	if (n < 64) {
		/* A short block is the last: no carry is needed after it, and the
		 * bits past n stay clear. */
		uint64_t valid = (1ULL << n) - 1;
		return starts & valid;
	}
	carry->digit = k.digit;
	carry->dot = k.dot;
	carry->alnum = alnum;
	return starts;
}

uint64_t tokstart_block(const struct tokstart *ts, const unsigned char *p, size_t n,
			struct tokstart_carry *carry)
{
	struct kinds k;
#ifdef TOKSTART_AVX2
	if (n == 64 && ts->level == TOKSTART_AVX512)
		k = kinds_avx512(ts, p);
	else if (n == 64 && ts->level == TOKSTART_AVX2)
		k = kinds_avx2(ts, p);
	else
#endif
		k = kinds_bytes(ts, p, n);
	return starts_of(ts, k, n, carry);
}

#ifdef TOKSTART_AVX2
/* tokstart_buffer's loop, with kinds64 for the whole blocks: compiled into
 * each vector path's function below, kinds and rule inlined (a call a
 * block, and the kinds passed through memory, cost more than the block's
 * own work). */
static inline __attribute__((always_inline)) void buffer_with(
	const struct tokstart *ts, const unsigned char *p, size_t len, uint64_t *bits,
	struct kinds (*kinds64)(const struct tokstart *, const unsigned char *))
{
	struct tokstart_carry carry = { 0 };
	size_t b = 0;
	for (; len - b >= 64; b += 64)
		bits[b / 64] = starts_of(ts, kinds64(ts, p + b), 64, &carry);
	if (b < len)
		bits[b / 64] = starts_of(ts, kinds_bytes(ts, p + b, len - b), len - b, &carry);
}

__attribute__((target("avx512bw"))) static void buffer_avx512(const struct tokstart *ts, const unsigned char *p,
							      size_t len, uint64_t *bits)
{
	buffer_with(ts, p, len, bits, kinds_avx512);
}

__attribute__((target("avx2"))) static void buffer_avx2(const struct tokstart *ts, const unsigned char *p,
							size_t len, uint64_t *bits)
{
	buffer_with(ts, p, len, bits, kinds_avx2);
}
#endif

void tokstart_buffer(const struct tokstart *ts, const unsigned char *p, size_t len, uint64_t *bits)
{
#ifdef TOKSTART_AVX2
	if (ts->level == TOKSTART_AVX512) {
		buffer_avx512(ts, p, len, bits);
		return;
	}
	if (ts->level == TOKSTART_AVX2) {
		buffer_avx2(ts, p, len, bits);
		return;
	}
#endif
	struct tokstart_carry carry = { 0 };
	for (size_t b = 0; b < len; b += 64)
		bits[b / 64] = tokstart_block(ts, p + b, len - b < 64 ? len - b : 64, &carry);
}
