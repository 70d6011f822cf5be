/* GBK/GB18030 to UTF-8, one character at a time: ASCII is copied, each
 * multi-byte character goes through iconv on its own, which is what gives
 * the per-byte offset map. */
#include "transcode.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

struct transcoder {
	iconv_t cd;
	unsigned char carry[4];   /* a character cut by the previous block */
	size_t ncarry;
	uint64_t carry_off;
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
	free(tc);
}

static void put(struct buf *out, struct buf *map, const char *p, size_t n, uint64_t off)
{
	buf_append(out, p, n);
	uint64_t *m = (uint64_t *)(void *)buf_reserve(map, n * sizeof *m);
	for (size_t i = 0; i < n; i++)
		m[i] = off;
	map->len += n * sizeof *m;
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

size_t transcoder_run(struct transcoder *tc, const char *src, size_t len, uint64_t in_off, bool eof,
		      struct buf *out, struct buf *map)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	size_t bad = 0, i = 0;
	unsigned char tmp[8];

	/* Finish a character cut by the previous block. */
	if (tc->ncarry) {
		unsigned char t[8];
		size_t tn = tc->ncarry, old = tc->ncarry, take = MIN(len, 4 - tn);
		memcpy(t, tc->carry, tn);
		memcpy(t + tn, src, take);
		tn += take;
		int cl = char_len(t, tn);
		if (cl == 0 && !eof) {
			memcpy(tc->carry, t, tn);
			tc->ncarry = tn;
			return bad;
		}
		tc->ncarry = 0;
		if (cl > 0) {
			char obuf[8];
			char *ip = (char *)t, *op = obuf;
			size_t il = (size_t)cl, ol = sizeof obuf;
			if (iconv(tc->cd, &ip, &il, &op, &ol) == (size_t)-1) {
				put(out, map, replacement, 3, tc->carry_off);
				bad++;
			} else {
				put(out, map, obuf, (size_t)(op - obuf), tc->carry_off);
			}
			i = (size_t)cl - old;
		} else {
			/* The lead byte starts no character: it becomes U+FFFD and
			 * the bytes after it are read again on their own. */
			put(out, map, replacement, 3, tc->carry_off);
			bad++;
			for (size_t k = 1; k < old; k++) {
				if (tc->carry[k] < 0x80)
					put(out, map, (const char *)&tc->carry[k], 1, tc->carry_off + k);
				else
					put(out, map, replacement, 3, tc->carry_off + k), bad++;
			}
			i = 0;
		}
	}
	while (i < len) {
		const unsigned char *s = (const unsigned char *)src + i;
		/* Runs of ASCII are copied as they are. */
		size_t run = 0;
		while (i + run < len && s[run] < 0x80)
			run++;
		if (run) {
			char *o = buf_reserve(out, run);
			memcpy(o, s, run);
			out->len += run;
			uint64_t *m = (uint64_t *)(void *)buf_reserve(map, run * sizeof *m);
			for (size_t k = 0; k < run; k++)
				m[k] = in_off + i + k;
			map->len += run * sizeof *m;
			i += run;
			continue;
		}
		int cl = char_len(s, len - i);
		if (cl == 0) {
			if (!eof) {
				tc->ncarry = len - i;
				memcpy(tc->carry, s, tc->ncarry);
				tc->carry_off = in_off + i;
				return bad;
			}
			cl = -1;
		}
		if (cl < 0) {
			put(out, map, replacement, 3, in_off + i);
			bad++;
			i++;
			continue;
		}
		memcpy(tmp, s, (size_t)cl);
		char obuf[8];
		char *ip = (char *)tmp, *op = obuf;
		size_t il = (size_t)cl, ol = sizeof obuf;
		if (iconv(tc->cd, &ip, &il, &op, &ol) == (size_t)-1) {
			put(out, map, replacement, 3, in_off + i);
			bad++;
		} else {
			put(out, map, obuf, (size_t)(op - obuf), in_off + i);
		}
		i += (size_t)cl;
	}
	return bad;
}
