/* tokstart.c against the definition it implements, byte by byte: a start
 * is a byte in the first-byte set that does not continue a token (scan.c's
 * start_ok). Random buffers over the bytes that matter (digits, letters,
 * dots, high bytes, separators), random first-byte sets, every length
 * across block edges, with each path the CPU has (AVX-512BW, AVX2) and the
 * byte path, a block at a time and a buffer at a time; half the rounds
 * with a random next-byte set for high starts. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tokstart.h"

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static int starts_here(const uint8_t *first, const unsigned char *s, size_t i)
{
	if (!first[s[i]])
		return 0;
	if (i == 0)
		return 1;
	unsigned char c = s[i], prev = s[i - 1];
	if (is_digit(c) && (is_digit(prev) || (prev == '.' && i >= 2 && is_digit(s[i - 2]))))
		return 0;
	return !(is_alpha(c) && (is_digit(prev) || is_alpha(prev)));
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static unsigned next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static unsigned char some_byte(void)
{
	static const char common[] = "0123456789.....azAZmqMQ@-_+ ,\"";
	switch (next() % 4) {
	case 0:
		return (unsigned char)next();   /* anything, high bytes included */
	default:
		return (unsigned char)common[next() % (sizeof common - 1)];
	}
}

/* With tokstart_set_next: a start at a high byte whose next byte, in
 * the same block, is not in the next-byte set is none. */
static int dropped_by_next(const uint8_t *nextset, const unsigned char *s, size_t i, size_t k, size_t n)
{
	return nextset && s[i] >= 0x80 && k + 1 < n && !nextset[s[i + 1]];
}

static void check_buffers(enum tokstart_level level)
{
	unsigned char buf[300];
	uint8_t first[256], nextset[256];
	int bad = 0;
	for (int round = 0; round < 3000 && !bad; round++) {
		for (unsigned c = 0; c < 256; c++)
			first[c] = (next() % 3) != 0;
		if (round % 5 == 0)
			memset(first, 1, sizeof first);
		struct tokstart ts;
		tokstart_init(&ts, first);
		bool filter = round % 2;
		if (filter) {
			for (unsigned c = 0; c < 256; c++)
				nextset[c] = (next() % 4) == 0;
			tokstart_set_next(&ts, nextset);
		}
		if (ts.level > level)
			ts.level = level; /* a path the CPU lacks is not tested */
		size_t len = 1 + next() % sizeof buf;
		for (size_t i = 0; i < len; i++)
			buf[i] = some_byte();
		struct tokstart_carry carry = { 0 };
		uint64_t bits[(sizeof buf + 63) / 64];
		tokstart_buffer(&ts, buf, len, bits);
		for (size_t base = 0; base < len && !bad; base += 64) {
			size_t n = len - base < 64 ? len - base : 64;
			uint64_t m = tokstart_block(&ts, buf + base, n, &carry);
			/* The whole buffer in one call: the same, block by block. */
			CHECK_MSG(bits[base / 64] == m, "round %d, block %zu: buffer %016llx, block %016llx", round,
				  base / 64, (unsigned long long)bits[base / 64], (unsigned long long)m);
			for (size_t k = 0; k < 64; k++) {
				int want = k < n && starts_here(first, buf, base + k) &&
					   !dropped_by_next(filter ? nextset : NULL, buf, base + k, k, n);
				int got = (int)(m >> k & 1);
				if (want != got) {
					fprintf(stderr, "round %d, byte %zu (0x%02x after 0x%02x): start %d, want %d\n",
						round, base + k, buf[base + k], base + k ? buf[base + k - 1] : 0, got, want);
					bad = 1;
					break;
				}
			}
		}
		CHECK(!bad);
	}
}

static void test_avx512(void) { check_buffers(TOKSTART_AVX512); }
static void test_avx2(void) { check_buffers(TOKSTART_AVX2); }
static void test_bytes(void) { check_buffers(TOKSTART_BYTES); }

/* The cases the start rule exists for, in one block and across the edge
 * between two. */
static void test_edges(void)
{
	uint8_t first[256] = { 0 };
	for (unsigned c = '0'; c <= '9'; c++)
		first[c] = 1;
	for (unsigned c = 'a'; c <= 'z'; c++)
		first[c] = 1;
	first['+'] = 1;
	first[0xE4] = 1;
	struct tokstart ts;
	tokstart_init(&ts, first);
	static const struct {
		size_t at;   /* where the probe begins */
		const char *probe;
		uint64_t want; /* starts, relative to at */
	} cases[] = {
		{ 0, "13812345678", 1 },
		{ 62, "12345", 1 },             /* one run across the edge: one start */
		{ 63, "3.14", 1 },              /* "d.d": the fraction starts nothing */
		{ 62, "a.5", 1 | 4 },           /* a dot after a letter does not join */
		{ 63, "ab9c", 1 | 4 },          /* digits after letters start (tel138...) */
		{ 63, "9abc", 1 },              /* letters after a digit continue a word */
		{ 64, "+86 138", 1 | 2 | 16 },
		{ 63, "\xE4\xB8\xAD", 1 },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		unsigned char buf[128];
		memset(buf, ' ', sizeof buf);
		size_t plen = strlen(cases[k].probe);
		memcpy(buf + cases[k].at, cases[k].probe, plen);
		struct tokstart_carry carry = { 0 };
		uint64_t a = tokstart_block(&ts, buf, 64, &carry);
		uint64_t b = tokstart_block(&ts, buf + 64, 64, &carry);
		uint64_t got = 0;
		for (size_t i = 0; i < plen; i++) {
			size_t p = cases[k].at + i;
			if ((p < 64 ? a >> p : b >> (p - 64)) & 1)
				got |= 1ULL << i;
		}
		if (got != cases[k].want)
			fprintf(stderr, "case \"%s\" at %zu:\n", cases[k].probe, cases[k].at);
		CHECK_INT(got, cases[k].want);
	}
}

TEST_MAIN(test_avx512, test_avx2, test_bytes, test_edges)
