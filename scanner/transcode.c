/* GBK/GB18030 to UTF-8: ASCII is copied 16 bytes a step, a two-byte
 * character is looked up in a table that iconv fills a lead byte's row at
 * a time when the row is first needed, and a four-byte one goes through
 * iconv on its own. Every input character makes one output character,
 * most of them as long as the input, or three bytes from two; the decoder
 * notes the few that keep to neither (transcode_skews), and the input
 * offset of an output character is counted from the output and those
 * (transcode_raw_pos), only where one is asked for: no map of offsets is
 * kept. */
#include "transcode.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Two-byte characters by lead byte (0x81..0xFE) and trail byte: the
 * UTF-8 iconv makes of them, its length in the low byte and the bytes
 * above (0: iconv refused it). A call of iconv per character held a GBK
 * export to 0.076 GB/s, the reader alone. */
#define LEADS 126

struct transcoder {
	iconv_t cd;
	unsigned char carry[4];   /* a character cut by the previous block */
	size_t ncarry;
	uint64_t *rows[LEADS];
};

int encoding_parse(const char *s)
{
	if (!strcasecmp(s, "utf-8") || !strcasecmp(s, "utf8") || !strcasecmp(s, "utf8mb4"))
		return ENCODING_UTF8;
	if (!strcasecmp(s, "gbk") || !strcasecmp(s, "cp936") || !strcasecmp(s, "gb2312"))
		return ENCODING_GBK;
	if (!strcasecmp(s, "gb18030"))
		return ENCODING_GB18030;
	return -1;
}

const char *encoding_name(enum encoding e)
{
	return e == ENCODING_GBK ? "gbk" : e == ENCODING_GB18030 ? "gb18030" : "utf-8";
}

struct transcoder *transcoder_new(enum encoding e)
{
	/* GB18030 is a superset of GBK (and GB2312): one decoder serves all. */
	(void)e;
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1)
		return NULL;
	struct transcoder *tc = xcalloc(1, sizeof *tc);
	tc->cd = cd;
	return tc;
}

void transcoder_free(struct transcoder *tc)
{
	if (!tc)
		return;
	iconv_close(tc->cd);
	for (size_t k = 0; k < LEADS; k++)
		free(tc->rows[k]);
	free(tc);
}

/* The UTF-8 of the character in[0..n) as iconv gives it, packed as in
 * rows (0 when iconv refuses it or it makes more than seven bytes). */
static uint64_t convert(struct transcoder *tc, const unsigned char *in, size_t n)
{
	char obuf[16], tmp[4];
	memcpy(tmp, in, n);
	char *ip = tmp, *op = obuf;
	size_t il = n, ol = sizeof obuf;
	if (iconv(tc->cd, &ip, &il, &op, &ol) == (size_t)-1)
		return 0;
	size_t made = (size_t)(op - obuf);
	if (made == 0 || made > 7)
		return 0;
	uint64_t e = made;
	for (size_t k = 0; k < made; k++)
		e |= (uint64_t)(unsigned char)obuf[k] << (8 * (k + 1));
	return e;
}

/* The row of the lead byte lead (0x81..0xFE), made on first use. */
static const uint64_t *row_of(struct transcoder *tc, unsigned char lead)
{
	uint64_t **r = &tc->rows[lead - 0x81];
	if (!*r) {
		*r = xcalloc(256, sizeof **r);
		for (unsigned t = 0x40; t <= 0xFE; t++) {
			if (t == 0x7F)
				continue;
			unsigned char in[2] = { lead, (unsigned char)t };
			(*r)[t] = convert(tc, in, 2);
		}
	}
	return *r;
}

/* Length of the GB18030 character that starts with s[0] (n bytes
 * available): 1, 2 or 4; 0 when more bytes are needed; -1 if invalid. */
static int char_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] == 0x80 || s[0] == 0xFF)
		return -1;
	if (n < 2)
		return 0;
	if (s[1] >= 0x30 && s[1] <= 0x39) {
		if (n < 4)
			return 0;
		return s[2] >= 0x81 && s[2] <= 0xFE && s[3] >= 0x30 && s[3] <= 0x39 ? 4 : -1;
	}
	return s[1] >= 0x40 && s[1] <= 0xFE && s[1] != 0x7F ? 2 : -1;
}

static const char replacement[] = "\xEF\xBF\xBD";

/* Whether c leads a three-byte UTF-8 character (0xE0-0xEF): the ones that
 * two input bytes make, by the rule the skews keep. */
static inline bool lead3(unsigned char c)
{
	return (c & 0xF0) == 0xE0;
}

/* What a character of n input bytes that made the m bytes of UTF-8 u
 * adds to the skews: its input length less the rule's (m, less one for
 * each three-byte character in u: iconv could make more than one). */
static inline void add_skew(struct transcode_skews *sk, size_t at, size_t n, const unsigned char *u, size_t m)
{
	if (!sk)
		return;
	ptrdiff_t adj = (ptrdiff_t)n - (ptrdiff_t)m;
	for (size_t k = 0; k < m; k++)
		adj += lead3(u[k]);
	if (!adj)
		return;
	xgrow((void **)&sk->v, &sk->cap, sk->n + 1, sizeof *sk->v);
	sk->v[sk->n++] = (struct transcode_skew){ .at = at, .adj = adj };
}

/* Decode the character at s[0..n) into out: how many bytes it took, or 0
 * when it needs more than n and more may come (!eof). A byte that starts
 * no character becomes U+FFFD alone; a character of the right shape that
 * iconv refuses, whole. */
static size_t one_char(struct transcoder *tc, const unsigned char *s, size_t n, bool eof, struct buf *out,
		       size_t *bad, struct transcode_skews *sk)
{
	int cl = char_len(s, n);
	if (cl == 0) {
		if (!eof)
			return 0;
		cl = -1;
	}
	if (cl == 1) {
		buf_append(out, s, 1);
		return 1;
	}
	uint64_t e = cl == 2 ? row_of(tc, s[0])[s[1]] : cl == 4 ? convert(tc, s, 4) : 0;
	size_t used = cl < 0 ? 1 : (size_t)cl;
	if (!e) {
		add_skew(sk, out->len, used, (const unsigned char *)replacement, 3);
		buf_append(out, replacement, 3);
		(*bad)++;
		return used;
	}
	unsigned char u[8];
	for (size_t k = 0; k < (e & 0xFF); k++)
		u[k] = (unsigned char)(e >> (8 * (k + 1)));
	add_skew(sk, out->len, used, u, e & 0xFF);
	buf_append(out, u, e & 0xFF);
	return used;
}

/* Decode s[0..len) into o (room for 3 * len + 16 bytes: at most three
 * out a byte in, U+FFFD for one, and slack for whole-word stores): the
 * bytes written. *used is how many were read: all of them, or (!eof) up to
 * a character cut at the end. With sk, the skews go there, at their
 * offsets from o plus base. */
static size_t decode_core(struct transcoder *tc, const unsigned char *s, size_t len, bool eof, char *o,
			  size_t *used, size_t *bad, struct transcode_skews *sk, size_t base)
{
	char *o0 = o;
	size_t i = 0;
	while (i < len) {
		if (s[i] < 0x80) {
#ifdef __SSE2__
			/* ASCII 16 bytes a step, stored before it is known how
			 * many of them are ASCII (the room is there). */
			while (i + 16 <= len) {
				__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
				_mm_storeu_si128((__m128i *)(void *)o, v);
				unsigned high = (unsigned)_mm_movemask_epi8(v);
				unsigned n = high ? (unsigned)__builtin_ctz(high) : 16;
				i += n;
				o += n;
				if (high)
					break;
			}
#endif
			while (i < len && s[i] < 0x80)
				*o++ = (char)s[i++];
			continue;
		}
		/* A two-byte character whose row is made, the common case,
		 * is read straight from its entry: no other shape has one (a
		 * trail that is no trail, or a digit of a four-byte character,
		 * reads 0 and is measured by char_len as the rest are). */
		unsigned lead = (unsigned)s[i] - 0x81;
		uint64_t e = lead < LEADS && i + 1 < len && tc->rows[lead] ? tc->rows[lead][s[i + 1]] : 0;
		int cl = 2;
		if (!e) {
			cl = char_len(s + i, len - i);
			if (cl == 0 && !eof)
				break;   /* the rest of it comes with the next block */
			e = cl == 2 ? row_of(tc, s[i])[s[i + 1]] : cl == 4 ? convert(tc, s + i, 4) : 0;
		}
		if (!e) {
			add_skew(sk, base + (size_t)(o - o0), cl > 0 ? (size_t)cl : 1, (const unsigned char *)replacement,
				 3);
			memcpy(o, replacement, 3);
			o += 3;
			(*bad)++;
			i += cl > 0 ? (size_t)cl : 1;
			continue;
		}
		uint64_t bytes = e >> 8;
		/* Two bytes that made two, or one three-byte character (the
		 * common case), keep to the rule; the rest are weighed. */
		if (sk && !(cl == 2 && ((e & 0xFF) == 2 || ((e & 0xFF) == 3 && lead3((unsigned char)bytes))))) {
			unsigned char u[8];
			memcpy(u, &bytes, sizeof u);   /* little-endian: the first byte first */
			add_skew(sk, base + (size_t)(o - o0), (size_t)cl, u, e & 0xFF);
		}
		memcpy(o, &bytes, sizeof bytes);   /* little-endian: the first byte first */
		o += e & 0xFF;
		i += (size_t)cl;
	}
	*used = i;
	return (size_t)(o - o0);
}

size_t transcoder_run(struct transcoder *tc, const char *src, size_t len, bool eof, struct buf *out,
		      struct transcode_skews *skews)
{
	size_t bad = 0, i = 0;

	/* A character cut by the previous block: its bytes and the first of
	 * this block's, read as one text until past the carried ones, so that
	 * where a block ends changes nothing (a carried byte that starts no
	 * character is replaced, and the bytes after it read afresh). */
	if (tc->ncarry) {
		unsigned char t[12];
		size_t nc = tc->ncarry, take = MIN(len, 8), tn = nc + take, k = 0;
		memcpy(t, tc->carry, nc);
		memcpy(t + nc, src, take);
		while (k < nc) {
			size_t c = one_char(tc, t + k, tn - k, eof || take < len, out, &bad, skews);
			if (!c) {
				/* Still cut: this block was shorter than the character. */
				memmove(tc->carry, t + k, tn - k);
				tc->ncarry = tn - k;
				return bad;
			}
			k += c;
		}
		tc->ncarry = 0;
		i = k - nc;
	}
	if (i >= len)
		return bad;   /* (src may be NULL when len is 0) */
	const unsigned char *s = (const unsigned char *)src + i;
	size_t used;
	out->len += decode_core(tc, s, len - i, eof, buf_reserve(out, 3 * (len - i) + 16), &used, &bad, skews,
				out->len);
	if (i + used < len) {
		tc->ncarry = len - i - used;
		memcpy(tc->carry, s + used, tc->ncarry);
	}
	return bad;
}

size_t transcoder_pending(const struct transcoder *tc)
{
	return tc->ncarry;
}

size_t transcoder_decode(struct transcoder *tc, const char *src, size_t len, struct buf *out,
			 struct transcode_skews *skews)
{
	size_t bad = 0, used;
	out->len += decode_core(tc, (const unsigned char *)src, len, true, buf_reserve(out, 3 * len + 16), &used,
				&bad, skews, out->len);
	return bad;
}

/* How many bytes of u[0..n) lead a three-byte UTF-8 character. */
static size_t count_three(const unsigned char *u, size_t n)
{
	size_t c = 0, i = 0;
#ifdef __SSE2__
	/* A match is 0xFF in the compare, -1: subtracted from byte counters
	 * that are summed (psadbw) before any can pass 255. */
	const __m128i hi = _mm_set1_epi8((char)0xF0), e0 = _mm_set1_epi8((char)0xE0), zero = _mm_setzero_si128();
	while (i + 16 <= n) {
		__m128i acc = zero;
		for (size_t end = i + 16 * 255; i + 16 <= n && i < end; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_and_si128(v, hi), e0));
		}
		__m128i sum = _mm_sad_epu8(acc, zero);
		c += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_extract_epi16(sum, 4);
	}
#endif
	for (; i < n; i++)
		c += lead3(u[i]);
	return c;
}

size_t transcode_raw_pos(const char *utf8, const struct transcode_skews *skews, size_t *d, size_t *r, size_t *k,
			 size_t want)
{
	size_t dd = *d, kk = *k;
	ptrdiff_t adj = 0;
	if (want == dd)
		return *r;   /* (utf8 may be NULL when there is none) */
	while (kk < skews->n && skews->v[kk].at < want)
		adj += skews->v[kk++].adj;
	size_t ruled = (want - dd) - count_three((const unsigned char *)utf8 + dd, want - dd);
	size_t rr = (size_t)((ptrdiff_t)(*r + ruled) + adj);
	*d = want;
	*r = rr;
	*k = kk;
	return rr;
}
