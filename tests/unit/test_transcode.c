/* transcode.c against iconv a character at a time: generated GB18030 text
 * (ASCII, two- and four-byte characters, bytes that start or continue no
 * character) fed in blocks cut anywhere, so that characters straddle them;
 * the UTF-8 and the count of replaced sequences must be what decoding each
 * character on its own with iconv gives, and transcode_raw_pos over what
 * is decoded so far the input offset of each character (as the reader
 * asks). The same text decoded at once (transcoder_decode, a worker's
 * chunk) must give the same UTF-8, and transcode_raw_pos the same
 * offsets. */
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "transcode.h"

/* The reference: the whole input at once, a character at a time. */
static int ref_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] == 0x80 || s[0] == 0xFF)
		return -1;
	if (n < 2)
		return -1;
	if (s[1] >= 0x30 && s[1] <= 0x39) {
		if (n < 4)
			return -1;
		return s[2] >= 0x81 && s[2] <= 0xFE && s[3] >= 0x30 && s[3] <= 0x39 ? 4 : -1;
	}
	return s[1] >= 0x40 && s[1] <= 0xFE && s[1] != 0x7F ? 2 : -1;
}

static void put_ref(struct buf *out, struct buf *map, const char *p, size_t n, uint64_t off)
{
	buf_append(out, p, n);
	for (size_t i = 0; i < n; i++)
		buf_append(map, (const char *)&off, sizeof off);
}

static size_t reference(iconv_t cd, const unsigned char *s, size_t len, struct buf *out, struct buf *map)
{
	size_t bad = 0;
	for (size_t i = 0; i < len;) {
		int cl = ref_len(s + i, len - i);
		if (cl == 1) {
			uint64_t off = i;
			put_ref(out, map, (const char *)s + i, 1, off);
			i++;
			continue;
		}
		char in[4], obuf[16], *ip = in, *op = obuf;
		size_t il = cl > 0 ? (size_t)cl : 0, ol = sizeof obuf;
		if (cl > 0)
			memcpy(in, s + i, (size_t)cl);
		if (cl < 0 || iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
			/* A byte that starts no character is replaced alone; a
			 * character of the right shape that iconv refuses, whole. */
			put_ref(out, map, "\xEF\xBF\xBD", 3, i);
			bad++;
			i += cl > 0 ? (size_t)cl : 1;
			continue;
		}
		put_ref(out, map, obuf, (size_t)(op - obuf), i);
		i += (size_t)cl;
	}
	return bad;
}

static unsigned seed = 18030;
static unsigned next(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static void test_generated(void)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	CHECK(cd != (iconv_t)-1);
	if (cd == (iconv_t)-1)
		return;
	unsigned char text[700];
	int bad = 0, bad_decode = 0, bad_count = 0;
	for (int round = 0; round < 3000; round++) {
		size_t len = 0;
		while (len + 4 < sizeof text && len < (size_t)(round % 600)) {
			unsigned r = next();
			switch (r % 10) {
			case 0: case 1: case 2:
				text[len++] = (unsigned char)(0x20 + r / 10 % 0x5F);
				break;
			case 3: case 4: case 5: case 6:   /* two bytes, mostly valid */
				text[len++] = (unsigned char)(0x81 + r / 10 % 126);
				text[len++] = (unsigned char)(r / 1300 % 8 ? 0x40 + r / 13 % 191 : r / 7);
				break;
			case 7:   /* four bytes */
				text[len++] = (unsigned char)(0x81 + r / 10 % 126);
				text[len++] = (unsigned char)(0x30 + r / 1000 % 10);
				text[len++] = (unsigned char)(0x81 + r / 17 % 126);
				text[len++] = (unsigned char)(r / 5000 % 4 ? 0x30 + r / 23 % 10 : r / 31);
				break;
			case 8:
				text[len++] = '\n';
				break;
			default:   /* anything */
				text[len++] = (unsigned char)(r / 10);
				break;
			}
		}
		struct buf want, want_map, got;
		buf_init(&want), buf_init(&want_map), buf_init(&got);
		size_t want_bad = reference(cd, text, len, &want, &want_map), got_bad = 0;
		const uint64_t *wm = (const uint64_t *)(const void *)want_map.data;
		struct transcoder *tc = transcoder_new(ENCODING_GB18030);
		struct transcode_skews skews = { 0 };
		size_t d2 = 0, r2 = 0, k2 = 0;
		for (size_t at = 0; at < len || at == 0;) {
			size_t n = round % 4 == 0 ? len - at : 1 + next() % 9;
			if (n > len - at)
				n = len - at;
			got_bad += transcoder_run(tc, (const char *)text + at, n, at + n == len, &got, &skews);
			at += n;
			/* The reader's offsets, counted (transcode_raw_pos): at
			 * characters' starts, in increasing order. */
			for (size_t k = 0; k < 2 && got.len <= want.len; k++) {
				size_t pos = k ? got.len : d2 + next() % (got.len - d2 + 1);
				while (pos > d2 && pos < got.len && (got.data[pos] & 0xC0) == 0x80)
					pos--;
				size_t off = transcode_raw_pos(got.data, &skews, &d2, &r2, &k2, pos);
				size_t want_off = pos < want.len ? wm[pos] : at - transcoder_pending(tc);
				if (off != want_off && ++bad_count <= 3)
					fprintf(stderr, "round %d: counted offset of byte %zu of %zu: %zu, want %zu\n",
						round, pos, got.len, off, want_off);
			}
			if (len == 0)
				break;
		}
		/* The workers' decoding: the whole text at once, no map, then
		 * offsets counted from it and its skews. */
		struct buf whole;
		buf_init(&whole);
		struct transcode_skews whole_skews = { 0 };
		size_t whole_bad = transcoder_decode(tc, (const char *)text, len, &whole, &whole_skews);
		if (whole_bad != want_bad || whole.len != want.len ||
		    memcmp(want.data ? want.data : "", whole.data ? whole.data : "", want.len)) {
			if (++bad_decode <= 3)
				fprintf(stderr, "round %d: transcoder_decode made %zu bytes (%zu bad), want %zu (%zu bad)\n",
					round, whole.len, whole_bad, want.len, want_bad);
		} else {
			/* Counted, at every character's start. */
			size_t c_d = 0, c_r = 0, c_k = 0;
			for (size_t at = 0; at <= whole.len; at++) {
				if (at < whole.len && (whole.data[at] & 0xC0) == 0x80)
					continue;
				size_t got_off = transcode_raw_pos(whole.data, &whole_skews, &c_d, &c_r, &c_k, at);
				size_t want_off = at < whole.len ? wm[at] : len;
				if (got_off != want_off) {
					if (++bad_count <= 3)
						fprintf(stderr, "round %d: byte %zu of %zu decoded: counted %zu, want %zu\n",
							round, at, whole.len, got_off, want_off);
					break;
				}
			}
		}
		free(whole_skews.v);
		buf_release(&whole);
		free(skews.v);
		transcoder_free(tc);
		bool same = want_bad == got_bad && want.len == got.len &&
			    !memcmp(want.data ? want.data : "", got.data ? got.data : "", want.len);
		if (!same && ++bad <= 3)
			fprintf(stderr, "round %d, %zu bytes: %zu bytes out (%zu bad), want %zu (%zu bad)\n", round, len,
				got.len, got_bad, want.len, want_bad);
		buf_release(&want), buf_release(&want_map), buf_release(&got);
	}
	CHECK_MSG(bad == 0, "%d of 3000 texts decoded differently", bad);
	CHECK_MSG(bad_decode == 0, "%d of 3000 texts decoded differently at once", bad_decode);
	CHECK_MSG(bad_count == 0, "%d offsets by transcode_raw_pos differ from iconv's", bad_count);
	iconv_close(cd);
}

/* transcode_raw_pos over a long text in one count (its vector counters
 * are summed every 255 steps): 6,000 Chinese characters with ASCII and a
 * four-byte character here and there, at every character's start. */
static void test_long_count(void)
{
	enum { CHARS = 6000 };
	unsigned char *text = malloc(CHARS * 4);
	size_t len = 0;
	for (int i = 0; i < CHARS; i++) {
		if (i % 1000 == 999) {
			memcpy(text + len, "\x81\x30\x81\x30", 4);   /* U+0080 */
			len += 4;
		} else if (i % 97 == 0) {
			text[len++] = 'a';
		} else {
			text[len++] = (unsigned char)(0xB0 + i % 39);
			text[len++] = (unsigned char)(0xA1 + i % 93);
		}
	}
	struct transcoder *tc = transcoder_new(ENCODING_GB18030);
	struct transcode_skews skews = { 0 };
	struct buf out;
	buf_init(&out);
	CHECK(transcoder_run(tc, (const char *)text, len, true, &out, &skews) == 0);
	CHECK_INT(skews.n, CHARS / 1000);
	size_t d = 0, r = 0, k = 0;
	CHECK_INT(transcode_raw_pos(out.data, &skews, &d, &r, &k, out.len), len);
	/* Every character's start, from the start each time and in order. */
	size_t dd = 0, rr = 0, kk = 0, bad = 0, raw = 0;
	for (size_t pos = 0; pos < out.len;) {
		size_t d0 = 0, r0 = 0, k0 = 0;
		bad += transcode_raw_pos(out.data, &skews, &d0, &r0, &k0, pos) != raw;
		bad += transcode_raw_pos(out.data, &skews, &dd, &rr, &kk, pos) != raw;
		unsigned char c = (unsigned char)out.data[pos];
		size_t ul = c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		raw += ul == 1 ? 1 : ul == 3 ? 2 : 4;   /* U+0080 is two UTF-8 bytes from four */
		pos += ul;
	}
	CHECK_INT(bad, 0);
	free(skews.v);
	buf_release(&out);
	transcoder_free(tc);
	free(text);
}

TEST_MAIN(test_generated, test_long_count)
