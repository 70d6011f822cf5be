/* Unit tests for the support code and the small value modules: the JSON
 * writer, buf, the finding line and masked preview, field name words and
 * the field table, the queue, atomic output files, tally shards,
 * confidence names and error strings. */
#include <dirent.h>
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "field.h"
#include "finding.h"
#include "fingerprint.h"
#include "harness.h"
#include "jsonw.h"
#include "outfile.h"
#include "pipeline.h"
#include "queue.h"
#include "rules.h"
#include "tally.h"
#include "utf8.h"
#include "util.h"

#include "../fuzz/jsoncheck.h"

static void test_json_checker(void)
{
	static const struct {
		const char *s;
		int ok;
	} rows[] = {
		{ "{}", 1 }, { "[1,-2.5e3,\"x\",true,false,null,{\"a\":[]}]", 1 }, { "\"\\u00e9\"", 1 },
		{ "{", 0 }, { "[1,]", 0 }, { "\"\x01\"", 0 }, { "\"\xff\"", 0 }, { "01", 0 }, { "{\"a\"}", 0 },
		{ "1 2", 0 }, { "\"\\x\"", 0 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		CHECK_MSG(json_valid(rows[i].s, strlen(rows[i].s)) == rows[i].ok, "checker row %zu", i);
}

/* ---- buf ---- */

static const char *bstr(struct buf *b)
{
	buf_putc(b, '\0');
	b->len--;
	return b->data;
}

/* buf_format_u64 against printf, at every length and its edges. */
static void test_format_u64(void)
{
	uint64_t vals[200];
	size_t n = 0;
	vals[n++] = 0;
	vals[n++] = UINT64_MAX;
	for (uint64_t p = 1; n < 150; p *= 10) {
		vals[n++] = p;
		vals[n++] = p - 1;
		vals[n++] = p + 1;
		vals[n++] = p * 9 + p / 2;
		if (p > UINT64_MAX / 10)
			break;
	}
	uint64_t r = 88172645463325252ULL;
	for (int i = 0; i < 20000; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		uint64_t v = i < 10000 ? r >> (i % 64) : (uint64_t)i;
		char got[32], want[32];
		size_t k = buf_format_u64(got, v);
		got[k] = '\0';
		snprintf(want, sizeof want, "%llu", (unsigned long long)v);
		CHECK_STR(got, want);
	}
	/* Every value below 10^5 and a stride through 10^8 and past it
	 * (buf_digits8's groups, its multiplies' limits), written into a
	 * buffer of 20 bytes: what lies past the digits is scratch. */
	for (uint64_t v = 0; v < 300000000; v += v < 100000 ? 1 : 997) {
		char got[21], want[32];
		size_t k = buf_format_u64(got, v);
		got[k] = '\0';
		snprintf(want, sizeof want, "%llu", (unsigned long long)v);
		if (strcmp(got, want)) {
			CHECK_STR(got, want);
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char got[32], want[32];
		size_t k = buf_format_u64(got, vals[i]);
		got[k] = '\0';
		snprintf(want, sizeof want, "%llu", (unsigned long long)vals[i]);
		CHECK_STR(got, want);
	}
}

static void test_buf(void)
{
	struct buf b;
	buf_init(&b);
	CHECK(b.data == NULL && b.len == 0);
	buf_put_u64(&b, 0);
	CHECK_STR(bstr(&b), "0");
	buf_reset(&b);
	buf_put_u64(&b, UINT64_MAX);
	CHECK_STR(bstr(&b), "18446744073709551615");
	buf_reset(&b);
	static const uint64_t vals[] = { 1, 9, 10, 99, 100, 4294967295u, 4294967296u, 10000000000000000000u };
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		char want[32];
		buf_reset(&b);
		buf_put_u64(&b, vals[i]);
		snprintf(want, sizeof want, "%llu", (unsigned long long)vals[i]);
		CHECK_STR(bstr(&b), want);
	}
	buf_reset(&b);
	for (int i = 0; i < 1000; i++)
		buf_append(&b, "abcdefghij", 10);
	CHECK_INT(b.len, 10000);
	CHECK(b.cap >= 10000);
	buf_consume(&b, 9995);
	CHECK_INT(b.len, 5);
	CHECK(!memcmp(b.data, "fghij", 5));
	buf_consume(&b, 100);
	CHECK_INT(b.len, 0);
	buf_append(&b, NULL, 0);
	CHECK_INT(b.len, 0);
	char *r = buf_reserve(&b, 1 << 20);
	CHECK(r == b.data && b.cap >= (1u << 20) && b.len == 0);
	buf_release(&b);
	CHECK(b.data == NULL && b.cap == 0);

	/* Memory taken over with room in front (a block handed over): the
	 * bytes from off on are the buffer's; appends use what follows, then
	 * the room in front, then grow; consume and release keep to it. */
	char *mem = malloc(64);
	memset(mem, '#', 64);
	memcpy(mem + 40, "block", 5);
	buf_adopt(&b, mem, 64, 40, 5);
	CHECK(buf_mem(&b) == mem && buf_mem_size(&b) == 64 && b.cap == 24);
	buf_append(&b, "0123456789", 10);            /* fits after */
	CHECK(b.data == mem + 40 && b.len == 15 && !memcmp(b.data, "block0123456789", 15));
	buf_consume(&b, 5);
	CHECK(b.data == mem + 40 && b.len == 10 && !memcmp(b.data, "0123456789", 10));
	buf_append(&b, "abcdefghijklmnopqrstuvwxyz", 26);   /* the room in front */
	CHECK(b.off == 0 && b.data == mem && b.len == 36 && b.cap == 64);
	CHECK(!memcmp(b.data, "0123456789abcdefghijklmnopqrstuvwxyz", 36));
	buf_adopt(&b, buf_mem(&b), buf_mem_size(&b), 60, 0);
	for (int i = 0; i < 100; i++)                 /* grows */
		buf_append(&b, "xy", 2);
	CHECK(b.off == 0 && b.len == 200 && b.cap >= 200 && !memcmp(b.data + 196, "xyxy", 4));
	buf_release(&b);
	CHECK(b.data == NULL && b.off == 0);
}

/* ---- jsonw ---- */

static void test_jsonw_compact(void)
{
	struct buf b;
	struct jsonw w;
	buf_init(&b);
	jsonw_init(&w, &b, false);
	jsonw_object_begin(&w);
	jsonw_key(&w, "a");
	jsonw_u64(&w, 1);
	jsonw_key(&w, "b");
	jsonw_array_begin(&w);
	jsonw_i64(&w, -5);
	jsonw_i64(&w, INT64_MIN);
	jsonw_bool(&w, true);
	jsonw_bool(&w, false);
	jsonw_null(&w);
	jsonw_object_begin(&w);
	jsonw_object_end(&w);
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_double(&w, 0.5);
	jsonw_array_end(&w);
	jsonw_key(&w, "c");
	jsonw_object_begin(&w);
	jsonw_key(&w, "d");
	jsonw_string(&w, "x");
	jsonw_object_end(&w);
	jsonw_key(&w, "e\"k");
	jsonw_string_n(&w, "ab\0c", 4);
	jsonw_object_end(&w);
	CHECK_STR(bstr(&b), "{\"a\":1,\"b\":[-5,-9223372036854775808,true,false,null,{},[],0.5],"
			    "\"c\":{\"d\":\"x\"},\"e\\\"k\":\"ab\\u0000c\"}");
	CHECK(json_valid(b.data, b.len));
	CHECK_INT(w.depth, 0);

	/* Several top-level values are comma-separated, as an array body. */
	buf_reset(&b);
	jsonw_init(&w, &b, false);
	jsonw_u64(&w, 1);
	jsonw_u64(&w, 2);
	CHECK_STR(bstr(&b), "1,2");
	buf_release(&b);
}

static void test_jsonw_pretty(void)
{
	struct buf b;
	struct jsonw w;
	buf_init(&b);
	jsonw_init(&w, &b, true);
	jsonw_object_begin(&w);
	jsonw_key(&w, "a");
	jsonw_object_begin(&w);
	jsonw_key(&w, "b");
	jsonw_u64(&w, 1);
	jsonw_object_end(&w);
	jsonw_key(&w, "c");
	jsonw_array_begin(&w);
	jsonw_u64(&w, 1);
	jsonw_string(&w, "two");
	jsonw_array_end(&w);
	jsonw_key(&w, "e");
	jsonw_object_begin(&w);
	jsonw_object_end(&w);
	jsonw_key(&w, "f");
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	CHECK_STR(bstr(&b), "{\n"
			    "  \"a\": {\n"
			    "    \"b\": 1\n"
			    "  },\n"
			    "  \"c\": [\n"
			    "    1,\n"
			    "    \"two\"\n"
			    "  ],\n"
			    "  \"e\": {},\n"
			    "  \"f\": []\n"
			    "}");
	CHECK(json_valid(b.data, b.len));
	buf_release(&b);
}

static void test_jsonw_quote(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} rows[] = {
		{ "", 0, "\"\"" },
		{ "plain", 5, "\"plain\"" },
		{ "q\"b\\s/", 6, "\"q\\\"b\\\\s/\"" },
		{ "\n\t\r\b\f\x01\x1f\x7f", 8, "\"\\n\\t\\r\\u0008\\u000c\\u0001\\u001f\x7f\"" },
		{ "a\0b", 3, "\"a\\u0000b\"" },
		{ "手机é😀", 12, "\"手机é😀\"" },
		{ "\xff", 1, "\"\xEF\xBF\xBD\"" },                          /* invalid byte */
		{ "a\x80z", 3, "\"a\xEF\xBF\xBDz\"" },                      /* stray continuation */
		{ "\xC0\xAF", 2, "\"\xEF\xBF\xBD\xEF\xBF\xBD\"" },          /* overlong "/" */
		{ "\xE0\x80\xAF", 3, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"" },
		{ "\xED\xA0\x80", 3, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"" }, /* UTF-16 surrogate */
		{ "\xF4\x90\x80\x80", 4, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"" }, /* > U+10FFFF */
		{ "\xE6\x89", 2, "\"\xEF\xBF\xBD\xEF\xBF\xBD\"" },          /* truncated at the end */
		{ "\xE6\x89x", 3, "\"\xEF\xBF\xBD\xEF\xBF\xBDx\"" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct buf b;
		buf_init(&b);
		jsonw_quote(&b, rows[i].in, rows[i].len);
		CHECK_MSG(!strcmp(bstr(&b), rows[i].want), "quote row %zu: %s", i, b.data);
		CHECK_MSG(json_valid(b.data, b.len), "quote row %zu: not JSON", i);
		buf_release(&b);
	}
	/* Every single byte and every byte pair comes out as valid JSON. */
	int bad = 0;
	for (int x = 0; x < 256; x++) {
		for (int y = 0; y < 256; y++) {
			char in[2] = { (char)x, (char)y };
			struct buf b;
			buf_init(&b);
			jsonw_quote(&b, in, 2);
			bad += !json_valid(b.data, b.len);
			buf_release(&b);
		}
	}
	CHECK_INT(bad, 0);
}

/* ---- finding ---- */

static void test_finding_format(void)
{
	struct buf b;
	buf_init(&b);
	struct finding f = {
		.source_json = "\"in/a.csv\"", .record = 12, .field_json = "\"phone\"", .rule_id = "cn_mobile",
		.offset = 345, .length = 11, .confidence = CONFIDENCE_VERY_LIKELY, .masked = "138****5678",
		.fingerprint = "0123456789abcdef0123456789abcdef",
	};
	finding_format(&b, &f);
	CHECK_STR(bstr(&b), "{\"source\":\"in/a.csv\",\"record\":12,\"field\":\"phone\",\"rule\":\"cn_mobile\","
			    "\"offset\":345,\"length\":11,\"confidence\":\"very_likely\",\"masked\":\"138****5678\","
			    "\"fingerprint\":\"0123456789abcdef0123456789abcdef\"}\n");
	CHECK(json_valid(b.data, b.len));

	/* Appends; a null field; a masked preview that needs escaping. */
	f.field_json = "null";
	f.record = UINT64_MAX;
	f.offset = 0;
	f.confidence = CONFIDENCE_POSSIBLE;
	f.masked = "a\"\\\n\xff";
	size_t first = b.len;
	finding_format(&b, &f);
	CHECK_STR(bstr(&b) + first,
		  "{\"source\":\"in/a.csv\",\"record\":18446744073709551615,\"field\":null,\"rule\":\"cn_mobile\","
		  "\"offset\":0,\"length\":11,\"confidence\":\"possible\",\"masked\":\"a\\\"\\\\\\n\xEF\xBF\xBD\","
		  "\"fingerprint\":\"0123456789abcdef0123456789abcdef\"}\n");
	CHECK(json_valid(b.data + first, b.len - first));

	/* Long previews (the 16-byte plain test and its tail), with the
	 * lengths given: a quote, DEL or control byte past the first sixteen
	 * is still escaped. */
	static const struct {
		const char *masked, *want;
	} longs[] = {
		{ "abcdefghijklmnopqrstuvwxyz@example.com", "\"abcdefghijklmnopqrstuvwxyz@example.com\"" },
		{ "abcdefghijklmnopq\"r", "\"abcdefghijklmnopq\\\"r\"" },
		{ "0123456789abcdef\x7f", "\"0123456789abcdef\x7f\"" },   /* DEL: as jsonw_quote writes it */
		{ "0123456789abcde\x01", "\"0123456789abcde\\u0001\"" },
		{ "0123456789abcdef0123456789abcde\\", "\"0123456789abcdef0123456789abcde\\\\\"" },
	};
	/* Every length to 40 with one byte that needs escaping (or, for a
	 * DEL or a high byte, quoting by jsonw_quote) at every place: the
	 * line holds what jsonw_quote makes of the preview. */
	static const unsigned char odd[] = { '"', '\\', 0x01, 0x1F, 0x7F, 0xC3 };
	for (size_t n = 1; n <= 40; n++)
		for (size_t at = 0; at <= n; at++)
			for (size_t k = 0; k < sizeof odd; k++) {
				char pv[48];
				memset(pv, 'a', n);
				if (at < n)
					pv[at] = (char)odd[k]; /* at == n: all plain */
				pv[n] = '\0';
				struct buf q;
				buf_init(&q);
				buf_puts(&q, "\"masked\":");
				jsonw_quote(&q, pv, n);
				buf_putc(&q, ',');
				buf_putc(&q, '\0');
				f.masked = pv;
				f.masked_len = (uint32_t)n;
				b.len = 0;
				finding_format(&b, &f);
				CHECK_MSG(strstr(bstr(&b), q.data) != NULL, "n %zu at %zu byte 0x%02x: %s", n, at, odd[k],
					  bstr(&b));
				buf_release(&q);
			}
	for (size_t k = 0; k < sizeof longs / sizeof *longs; k++) {
		f.masked = longs[k].masked;
		f.masked_len = (uint32_t)strlen(longs[k].masked);
		f.source_len = (uint32_t)strlen(f.source_json);
		f.field_len = (uint32_t)strlen(f.field_json);
		f.rule_len = (uint32_t)strlen(f.rule_id);
		b.len = 0;
		finding_format(&b, &f);
		char want[256];
		snprintf(want, sizeof want, "\"masked\":%s,", longs[k].want);
		CHECK_MSG(strstr(bstr(&b), want) != NULL, "%s in %s", want, bstr(&b));
		CHECK(json_valid(b.data, b.len));
	}
	buf_release(&b);
}

static void test_finding_mask(void)
{
	static const struct {
		const char *in;
		bool email;
		const char *want;
	} rows[] = {
		{ "13812345678", false, "138****5678" },
		{ "11010519491231002X", false, "110***********002X" },
		{ "4111111111111111", false, "411*********1111" },
		{ "1234567890", false, "12******90" },
		{ "12345678", false, "12****78" },
		{ "12345", false, "1***5" },
		{ "1234", false, "1**4" },
		{ "123", false, "***" },
		{ "1", false, "*" },
		{ "", false, "" },
		{ "john@example.com", true, "j***@example.com" },
		{ "zhang.san@example.com.cn", true, "z***@example.com.cn" },
		{ "ab@x.cn", true, "a*@x.cn" },
		{ "a@x.cn", true, "*@x.cn" },
		{ "@x.cn", true, "@x.cn" },
		{ "abc@x.cn", true, "a**@x.cn" },
		{ "abcd@x.cn", true, "a***@x.cn" },
		{ "王@x.cn", true, "*@x.cn" },                         /* non-ASCII local part */
		{ "wang@例子.cn", true, "w***@例子.cn" },
		{ "john@example.com", false, "joh*********.com" },    /* not an e-mail rule: plain */
		{ "no-at-sign", true, "no******gn" },
		{ "京A12345", false, "京*****5" },
		{ "粤BD12345", false, "粤B****45" },
		{ "京A·12345", false, "京A****45" },
		{ "手机号码", false, "手**码" },
		{ "\x80\x81\x82\x83", false, "\x80**\x83" },          /* stray bytes are characters */
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		char dst[160];
		size_t n = finding_mask(rows[i].in, strlen(rows[i].in), rows[i].email, dst, sizeof dst);
		CHECK_MSG(!strcmp(dst, rows[i].want), "mask row %zu: \"%s\" != \"%s\"", i, dst, rows[i].want);
		CHECK_MSG(n == strlen(dst), "mask row %zu: length %zu", i, n);
	}

	/* Short values: at least half of the characters hidden. */
	for (size_t len = 1; len <= 10; len++) {
		char in[16], dst[32];
		memset(in, '7', len);
		finding_mask(in, len, false, dst, sizeof dst);
		size_t stars = 0;
		for (char *p = dst; *p; p++)
			stars += *p == '*';
		CHECK_MSG(stars * 2 >= len, "mask of %zu chars: \"%s\"", len, dst);
		CHECK_INT(strlen(dst), len);
	}

	/* The fixed-size fast path: every ASCII length from 11 on, in room
	 * that is just enough or more, and a non-ASCII byte at each place of
	 * a short value (which takes the character-wise path). */
	for (size_t len = 11; len <= 40; len++) {
		char in[48], want[48], dst[64];
		for (size_t i = 0; i < len; i++)
			in[i] = (char)('0' + i % 10);
		memcpy(want, in, 3);
		memset(want + 3, '*', len - 7);
		memcpy(want + len - 4, in + len - 4, 4);
		want[len] = '\0';
		for (size_t cap = len + 1; cap <= len + 24; cap += 23) {
			memset(dst, 'z', sizeof dst);
			size_t n = finding_mask(in, len, false, dst, cap);
			CHECK_MSG(n == len && !strcmp(dst, want), "ascii mask of %zu in %zu: \"%s\"", len, cap, dst);
		}
	}
	for (size_t len = 8; len <= 33; len++) {
		for (size_t at = 0; at + 2 <= len; at++) {
			char in[40], dst[64];
			memset(in, '5', len);
			in[at] = '\xC3'; /* é */
			in[at + 1] = '\xA9';
			size_t n = finding_mask(in, len, false, dst, sizeof dst), chars = len - 1, keep = chars >= 11 ? 7 : 2 * (chars / 4);
			size_t stars = 0;
			for (size_t i = 0; i < n; i++)
				stars += dst[i] == '*';
			CHECK_MSG(stars == chars - keep, "mask of %zu with é at %zu: \"%s\"", len, at, dst);
		}
	}

	/* UTF-8 stays whole: a mask of valid UTF-8 is valid UTF-8, in any cap. */
	static const char plate[] = "沪A·D12345";
	for (size_t cap = 1; cap <= 20; cap++) {
		char dst[20];
		size_t n = finding_mask(plate, sizeof plate - 1, false, dst, cap);
		struct buf b;
		buf_init(&b);
		jsonw_quote(&b, dst, n);
		CHECK_MSG(n < cap && dst[n] == '\0', "cap %zu: %zu", cap, n);
		CHECK_MSG(!memchr(b.data, 0xEF, b.len), "cap %zu: \"%s\" cut a character", cap, dst);
		buf_release(&b);
	}
	char dst[4] = "xyz";
	CHECK_INT(finding_mask("13812345678", 11, false, dst, 0), 0);
	CHECK_STR(dst, "xyz");

	/* Long values are cut, never overflow. */
	char big[3000], out[160];
	memset(big, 'a', sizeof big);
	size_t n = finding_mask(big, sizeof big, false, out, sizeof out);
	CHECK(n < sizeof out);
	CHECK(!strncmp(out, "aaa***", 6));
	memset(big, 'b', sizeof big);
	big[10] = '@';
	n = finding_mask(big, sizeof big, true, out, sizeof out);
	CHECK(n < sizeof out && !strncmp(out, "b***@bbb", 8));
}

/* Every preview hides something, e-mails with a one-character local part
 * too ("a@qq.com" once came out whole). */
/* The line of finding f for value v, made by finding_format_value and by
 * finding_mask and finding_format: one more in *differ when they differ
 * (the first reported). */
static void format_both_ways(const struct finding *f, const char *v, size_t len, bool email, int *differ)
{
	char masked[160];
	struct finding g = *f;
	g.length = (uint32_t)len;
	g.masked = masked;
	g.masked_len = (uint32_t)finding_mask(v, len, email, masked, sizeof masked);
	struct buf want, got;
	buf_init(&want);
	buf_init(&got);
	size_t fw = finding_format(&want, &g);
	g.masked = NULL;
	g.masked_len = 0;
	size_t fg = finding_format_value(&got, &g, v, len, email);
	if ((fw != fg || want.len != got.len || memcmp(want.data, got.data, want.len)) && !(*differ)++)
		CHECK_MSG(0, "finding_format_value differs (length %zu, email %d): %.*s vs %.*s", len, email,
			  (int)got.len, got.data, (int)want.len, want.data);
	buf_release(&want);
	buf_release(&got);
}

/* finding_format_value (the preview masked into the line) against
 * finding_mask and finding_format, over values of every length to 80
 * with '@' and bytes that need escaping or are not ASCII at every kind of
 * place: the same lines, byte for byte. */
static void test_finding_format_value(void)
{
	static const char alphabet[] = "0123456789abcXYZ.-_+@@\"\\\x01\x7f\xc3\xa9 ";
	struct finding f = {
		.source_json = "\"in/a.csv\"", .record = 1234567, .field_json = "\"contact\"", .rule_id = "email",
		.offset = 98765432101ULL, .length = 0, .confidence = CONFIDENCE_LIKELY,
		.extra = ",\"topic\":\"t\"",
	};
	uint64_t r = 0x9E3779B97F4A7C15ULL;
	int differ = 0;
	for (int i = 0; i < 40000; i++) {
		char v[96];
		size_t len = (size_t)(i % 81);
		for (size_t k = 0; k < len; k++) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			/* mostly digits and letters, as values are */
			v[k] = (r >> 32) % 4 ? alphabet[(r >> 8) % 16] : alphabet[(r >> 8) % (sizeof alphabet - 1)];
		}
		format_both_ways(&f, v, len, (i / 81) % 2, &differ);
	}
	CHECK_INT(differ, 0);
}

/* The same for values of other scripts (finding_format_value's text
 * path: Chinese names, addresses, e-mails with them), built of whole
 * characters and of the bytes that keep a value off that path: quotes,
 * control bytes, DEL, a lead byte alone, a surrogate, an overlong form;
 * to 220 bytes, past the path's 150. */
static void test_finding_format_value_text(void)
{
	static const char *const tokens[] = { "\xe5\xbc\xa0", "\xe4\xb8\x89", "\xe8\xb7\xaf", "\xe5\x8f\xb7", "a", "7",
		"@", "@", ".", "-", " ", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xe2\x80\xa2", "\"", "\\", "\x01", "\x7f",
		"\xe5", "\xed\xa0\x80", "\xe0\x80\xaf", "\xf4\x90\x80\x80", "\xbf" };
	struct finding f = {
		.source_json = "\"in/a.csv\"", .record = 7, .field_json = "\"address\"", .rule_id = "cn_address",
		.offset = 12345, .length = 0, .confidence = CONFIDENCE_VERY_LIKELY,
	};
	uint64_t r = 0x2545F4914F6CDD1DULL;
	int differ = 0;
	for (int i = 0; i < 60000; i++) {
		char v[240];
		size_t len = 0, want = (size_t)(i % 221);
		while (len < want) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			/* mostly the four Chinese characters, as names are */
			size_t t = (r >> 32) % 8 ? (r >> 8) % 4 : (r >> 8) % (sizeof tokens / sizeof *tokens);
			size_t tl = strlen(tokens[t]);
			if (len + tl > sizeof v)
				break;
			memcpy(v + len, tokens[t], tl);
			len += tl;
		}
		format_both_ways(&f, v, len, (i / 221) % 2, &differ);
	}
	CHECK_INT(differ, 0);
}

static void test_finding_mask_short_email(void)
{
	static const char *const emails[] = { "a@qq.com", "x@example.com.cn" };
	for (size_t i = 0; i < sizeof emails / sizeof *emails; i++) {
		char dst[64];
		finding_mask(emails[i], strlen(emails[i]), true, dst, sizeof dst);
		CHECK_MSG(strcmp(dst, emails[i]) && strchr(dst, '*'), "finding_mask: \"%s\" masked as \"%s\"",
			  emails[i], dst);
	}
}

static void test_confidence(void)
{
	CHECK_STR(confidence_name(CONFIDENCE_NONE), "none");
	CHECK_STR(confidence_name(CONFIDENCE_POSSIBLE), "possible");
	CHECK_STR(confidence_name(CONFIDENCE_LIKELY), "likely");
	CHECK_STR(confidence_name(CONFIDENCE_VERY_LIKELY), "very_likely");
	CHECK_STR(confidence_name((enum confidence)4), "none");
	CHECK_INT(confidence_parse("possible"), CONFIDENCE_POSSIBLE);
	CHECK_INT(confidence_parse("likely"), CONFIDENCE_LIKELY);
	CHECK_INT(confidence_parse("very_likely"), CONFIDENCE_VERY_LIKELY);
	CHECK_INT(confidence_parse("none"), CONFIDENCE_NONE);
	CHECK_INT(confidence_parse(""), CONFIDENCE_NONE);
	CHECK_INT(confidence_parse("Likely"), CONFIDENCE_NONE);
	CHECK_INT(confidence_parse("very"), CONFIDENCE_NONE);
}

/* ---- fields ---- */

static void test_field_words(void)
{
	static const struct {
		const char *name, *word;
		bool want;
	} rows[] = {
		{ "id_card", "id_card", true },
		{ "user_id_card", "id_card", true },
		{ "idCard", "id_card", true },
		{ "idcard", "id_card", true },
		{ "IDCARD", "idcard", true },
		{ "user-id-card-no", "idcard", true },
		{ "id", "id_card", false },
		{ "card_id", "id_card", false },
		{ "idcards", "idcard", false },
		{ "nickname", "name", false },
		{ "nick_name", "name", true },
		{ "userName", "name", true },
		{ "NAME", "name", true },
		{ "names", "name", false },
		{ "buyer.mobile", "mobile", true },
		{ "mobilePhone", "phone", true },
		{ "mobile2", "mobile", false },
		{ "telephone", "tel", false },
		{ "用户手机号", "手机", true },
		{ "手机", "手机", true },
		{ "电话", "手机", false },
		{ "手", "手机", false },
		{ "", "name", false },
		{ "name", "", false },
		{ "___", "name", false },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		CHECK_MSG(field_name_has_word(rows[i].name, strlen(rows[i].name), rows[i].word) == rows[i].want,
			  "\"%s\" has \"%s\": want %d", rows[i].name, rows[i].word, rows[i].want);
	/* Only len bytes of the name are looked at. */
	CHECK(!field_name_has_word("phonex", 5, "phonex"));
	CHECK(field_name_has_word("phone_x", 5, "phone"));
	/* A name longer than FIELD_NAME_MAX is looked at up to it. */
	char longname[FIELD_NAME_MAX + 40];
	memset(longname, 'a', sizeof longname);
	memcpy(longname + 10, "_phone_", 7);
	memcpy(longname + FIELD_NAME_MAX + 10, "_mail_", 6);
	CHECK(field_name_has_word(longname, sizeof longname, "phone"));
	CHECK(!field_name_has_word(longname, sizeof longname, "mail"));
}

static void test_fieldtab(void)
{
	struct ruleset *rs;
	char eb[256];
	int rc = ruleset_load("rules", &rs, eb, sizeof eb);
	CHECK_MSG(rc == 0, "ruleset_load: %s", eb);
	if (rc)
		return;
	struct fieldtab *ft = fieldtab_new(rs);
	uint32_t a = fieldtab_intern(ft, 0, "mobile", 6);
	uint32_t b = fieldtab_intern(ft, 0, "mobile", 6);
	uint32_t c = fieldtab_intern(ft, 1, "mobile", 6);
	uint32_t u = fieldtab_intern(ft, 0, NULL, 0);
	uint32_t e = fieldtab_intern(ft, 0, "", 0);
	CHECK_INT(a, b);
	CHECK(a != c && a != u && u != e);
	CHECK_INT(fieldtab_count(ft), 4);
	const struct field *f = fieldtab_get(ft, a);
	CHECK_STR(f->name, "mobile");
	CHECK_STR(f->json, "\"mobile\"");
	CHECK_INT(f->source, 0);
	CHECK_INT(f->id, a);
	uint32_t mobile = (uint32_t)(ruleset_find(rs, "cn_mobile") - rs->rules);
	uint32_t email = (uint32_t)(ruleset_find(rs, "email") - rs->rules);
	CHECK_INT(f->context[mobile], 1);
	CHECK_INT(f->context[email], 0);
	CHECK(fieldtab_get(ft, u)->name == NULL);
	CHECK_STR(fieldtab_get(ft, u)->json, "null");
	uint32_t q = fieldtab_intern(ft, 0, "a\"b\n", 4);
	CHECK_STR(fieldtab_get(ft, q)->json, "\"a\\\"b\\n\"");

	/* The cache answers what the table answers. */
	struct fieldcache *fc = fieldcache_new(ft);
	CHECK_INT(fieldcache_intern(fc, 0, "mobile", 6), a);
	CHECK_INT(fieldcache_intern(fc, 0, "mobile", 6), a);
	CHECK_INT(fieldcache_intern(fc, 1, "mobile", 6), c);
	CHECK_INT(fieldcache_intern(fc, 0, NULL, 0), u);
	CHECK_INT(fieldcache_intern(fc, 0, "", 0), e);

	/* Names longer than FIELD_NAME_MAX are cut to it. */
	char longname[FIELD_NAME_MAX + 10];
	memset(longname, 'n', sizeof longname);
	uint32_t l1 = fieldtab_intern(ft, 2, longname, sizeof longname);
	uint32_t l2 = fieldcache_intern(fc, 2, longname, FIELD_NAME_MAX);
	CHECK_INT(l1, l2);
	CHECK_INT(strlen(fieldtab_get(ft, l1)->name), FIELD_NAME_MAX);

	/* Past FIELD_MAX_PER_SOURCE names, a source's new names share one
	 * overflow field; other sources are not affected. */
	char name[32];
	uint32_t last = 0;
	for (int i = 0; i < FIELD_MAX_PER_SOURCE + 5; i++) {
		int n = snprintf(name, sizeof name, "f%d", i);
		last = fieldcache_intern(fc, 3, name, (size_t)n);
	}
	CHECK_STR(fieldtab_get(ft, last)->name, FIELD_OVERFLOW_NAME);
	CHECK_INT(fieldtab_overflow(ft, 3), 5);
	CHECK_INT(fieldtab_overflow(ft, 0), 0);
	CHECK_INT(fieldtab_overflow(ft, 999), 0);
	CHECK_STR(fieldtab_get(ft, fieldtab_intern(ft, 3, "f0", 2))->name, "f0");
	CHECK(fieldtab_intern(ft, 4, "new", 3) != last);

	/* A child is cached under (source, parent, key): found again from any
	 * ordinal, never for another parent, key or source; keys too long to
	 * cache are not kept; colliding slots answer FIELD_NONE, not a wrong id. */
	for (int i = 0; i < 3000; i++) {
		char parent_name[40], key[48], path[96];
		int pl = snprintf(parent_name, sizeof parent_name, "p%d", i % 37);
		int kl = i % 50 == 0 ? snprintf(key, sizeof key, "a_key_longer_than_the_cache_keeps_%d", i % 7)
				    : snprintf(key, sizeof key, "k%d", i % 101);
		int n = snprintf(path, sizeof path, "%s.%s", parent_name, key);
		uint32_t parent = fieldcache_intern(fc, 5, parent_name, (size_t)pl);
		uint32_t id = fieldcache_child_get(fc, 5, parent, key, (size_t)kl, (size_t)(i % 3));
		uint32_t want = fieldtab_intern(ft, 5, path, (size_t)n);
		CHECK(id == FIELD_NONE || id == want);
		if (id == FIELD_NONE)
			fieldcache_child_put(fc, 5, parent, key, (size_t)kl, (size_t)(i % 3), want);
		id = fieldcache_child_get(fc, 5, parent, key, (size_t)kl, (size_t)(i % 5));
		CHECK(kl > 32 ? id == FIELD_NONE : id == want);
		CHECK(fieldcache_child_get(fc, 6, parent, key, (size_t)kl, (size_t)(i % 3)) == FIELD_NONE);
		CHECK(fieldcache_child_get(fc, 5, parent + 100000, key, (size_t)kl, (size_t)(i % 3)) == FIELD_NONE);
		key[kl - 1] = '#'; /* a key never put */
		CHECK(fieldcache_child_get(fc, 5, parent, key, (size_t)kl, (size_t)(i % 3)) == FIELD_NONE);
	}
	/* Keys of every cached length, differing from a cached one in any
	 * single byte (the compare goes by words): never its id. */
	for (size_t kl = 1; kl <= 32; kl++) {
		char key[33];
		for (size_t j = 0; j < kl; j++)
			key[j] = (char)('a' + (kl + j) % 26);
		uint32_t parent = fieldcache_intern(fc, 7, "q", 1);
		fieldcache_child_put(fc, 7, parent, key, kl, kl, 1000 + (uint32_t)kl);
		CHECK_INT(fieldcache_child_get(fc, 7, parent, key, kl, kl), 1000 + kl);
		for (size_t j = 0; j < kl; j++) {
			key[j] ^= 0x40;
			CHECK_MSG(fieldcache_child_get(fc, 7, parent, key, kl, kl) == FIELD_NONE,
				  "key of %zu bytes, byte %zu changed: found", kl, j);
			key[j] ^= 0x40;
		}
	}

	fieldcache_free(fc);
	fieldcache_free(NULL);
	fieldtab_free(ft);
	fieldtab_free(NULL);
	ruleset_free(rs);
}

/* ---- queue ---- */

#define QUEUE_ITEMS 20000

struct qarg {
	struct queue *q;
	uintptr_t sum, count;
	int in_order;
};

static void *consumer(void *p)
{
	struct qarg *a = p;
	void *item;
	uintptr_t prev = 0;
	a->in_order = 1;
	while ((item = queue_pop(a->q))) {
		uintptr_t v = (uintptr_t)item;
		a->in_order &= v == prev + 1;
		prev = v;
		a->sum += v;
		a->count++;
	}
	return NULL;
}

static void test_queue(void)
{
	struct queue q;
	struct qarg a = { .q = &q };
	pthread_t th;
	queue_init(&q, 4);
	CHECK_INT(pthread_create(&th, NULL, consumer, &a), 0);
	for (uintptr_t i = 1; i <= QUEUE_ITEMS; i++)
		queue_push(&q, (void *)i);
	queue_close(&q);
	pthread_join(th, NULL);
	CHECK_INT(a.count, QUEUE_ITEMS);
	CHECK_INT(a.sum, (uintptr_t)QUEUE_ITEMS * (QUEUE_ITEMS + 1) / 2);
	CHECK(a.in_order);
	CHECK(queue_pop(&q) == NULL);
	queue_release(&q);

	/* Close with items queued: they drain first, then NULL. */
	queue_init(&q, 3);
	queue_push(&q, (void *)1);
	queue_push(&q, (void *)2);
	queue_close(&q);
	CHECK(queue_pop(&q) == (void *)1);
	CHECK(queue_pop(&q) == (void *)2);
	CHECK(queue_pop(&q) == NULL);
	queue_release(&q);

	/* Wrap around the ring. */
	queue_init(&q, 2);
	int ok = 1;
	for (uintptr_t i = 1; i < 10; i++) {
		queue_push(&q, (void *)i);
		queue_push(&q, (void *)(i + 100));
		ok &= queue_pop(&q) == (void *)i && queue_pop(&q) == (void *)(i + 100);
	}
	CHECK(ok);
	queue_release(&q);
}

/* ---- outfile ---- */

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* The single entry of dir (a temporary file) into dst. */
static int dir_only(const char *dir, char *dst, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++, snprintf(dst, cap, "%s/%s", dir, de->d_name);
	closedir(d);
	return n == 1 ? 0 : -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *p = malloc(1 << 16);
	*len = fread(p, 1, 1 << 16, fp);
	fclose(fp);
	return p;
}

static void test_outfile(void)
{
	char dir[] = "/tmp/piiscan-test-XXXXXX", path[256], tmp[512], eb[256];
	struct stat st;
	struct outfile *of;
	size_t len;
	mode_t old = umask(022);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/manifest.json", dir);

	CHECK_INT(outfile_open(path, &of, eb, sizeof eb), 0);
	CHECK_INT(outfile_write(of, "{\"a\":", 5), 0);
	/* Not there until commit; the temporary file beside it is 0600. */
	CHECK(stat(path, &st) != 0 && errno == ENOENT);
	CHECK_INT(dir_only(dir, tmp, sizeof tmp), 0);
	CHECK(stat(tmp, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_INT(outfile_write(of, "1}", 2), 0);
	CHECK_INT(outfile_commit(of, eb, sizeof eb), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_INT(dir_entries(dir), 1);
	char *got = slurp(path, &len);
	CHECK(got && len == 7 && !memcmp(got, "{\"a\":1}", 7));
	free(got);

	/* Abort leaves the old file as it was and no temporary file. */
	CHECK_INT(outfile_open(path, &of, eb, sizeof eb), 0);
	CHECK_INT(outfile_write(of, "partial", 7), 0);
	outfile_abort(of);
	outfile_abort(NULL);
	CHECK_INT(dir_entries(dir), 1);
	got = slurp(path, &len);
	CHECK(got && len == 7 && !memcmp(got, "{\"a\":1}", 7));
	free(got);

	/* Abort of a new file leaves nothing. */
	char path2[300];
	snprintf(path2, sizeof path2, "%s/findings.jsonl", dir);
	CHECK_INT(outfile_open(path2, &of, eb, sizeof eb), 0);
	outfile_abort(of);
	CHECK(stat(path2, &st) != 0);
	CHECK_INT(dir_entries(dir), 1);

	/* A large write through the buffer, replacing the file whole. */
	size_t big = (3u << 20) + 17;
	char *data = malloc(big);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	CHECK_INT(outfile_write_all(path, data, big, eb, sizeof eb), 0);
	CHECK(stat(path, &st) == 0 && (size_t)st.st_size == big);
	FILE *fp = fopen(path, "rb");
	char *back = malloc(big);
	CHECK(fp && fread(back, 1, big, fp) == big && !memcmp(back, data, big));
	if (fp)
		fclose(fp);
	free(back);
	free(data);
	CHECK_INT(dir_entries(dir), 1);

	/* A directory that does not exist: an error naming the path. */
	char bad[300];
	snprintf(bad, sizeof bad, "%s/no/such/out.json", dir);
	eb[0] = '\0';
	CHECK_INT(outfile_open(bad, &of, eb, sizeof eb), PIISCAN_ERR_OPEN);
	CHECK(strstr(eb, bad) != NULL);

	/* Regression (outfile.c, fixed): "--findings /dev/null" renamed the
	 * temporary file over the device, leaving a regular file at /dev/null.
	 * What is not a regular file is written straight through: a FIFO here
	 * (not /dev/null: a regression would break the machine the test runs
	 * on), read by a child, stays a FIFO. */
	char fifo[300];
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	pid_t child = fork();
	if (child == 0) {
		alarm(10); /* if nothing ever writes to the FIFO */
		int fd = open(fifo, O_RDONLY);
		char rb[64];
		ssize_t n, total = 0;
		while ((n = read(fd, rb, sizeof rb)) > 0)
			total += n;
		_exit(total == 7 ? 0 : 1);
	}
	int status = -1;
	CHECK_INT(outfile_write_all(fifo, "{\"a\":1}", 7, eb, sizeof eb), 0);
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
	unlink(fifo);

	/* A symbolic link stays a link; the file it names is replaced. */
	char link[300];
	snprintf(link, sizeof link, "%s/link.json", dir);
	CHECK(symlink("manifest.json", link) == 0);
	CHECK_INT(outfile_write_all(link, "{}", 2, eb, sizeof eb), 0);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	got = slurp(path, &len);
	CHECK(got && len == 2 && !memcmp(got, "{}", 2));
	free(got);
	CHECK_INT(dir_entries(dir), 2);
	unlink(link);
	/* ... also when it names a file that is not there yet. */
	char target[300];
	snprintf(target, sizeof target, "%s/new.json", dir);
	CHECK(symlink("new.json", link) == 0);
	CHECK_INT(outfile_write_all(link, "[]", 2, eb, sizeof eb), 0);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	got = slurp(target, &len);
	CHECK(got && len == 2 && !memcmp(got, "[]", 2));
	free(got);
	unlink(link);
	unlink(target);

	unlink(path);
	rmdir(dir);
	umask(old);
}

/* ---- tally ---- */

static void test_tally(void)
{
	struct tally a, b, sum;
	tally_init(&a, 3);
	tally_init(&b, 3);
	tally_init(&sum, 3);

	tally_value(&a, 2, 1);
	tally_value(&a, 2, 1);      /* the same record counts once */
	tally_value(&a, 2, 2);
	tally_finding(&a, 2, 1, 1, CONFIDENCE_LIKELY);
	tally_finding(&a, 2, 1, 1, CONFIDENCE_LIKELY);
	tally_finding(&a, 2, 1, 0, CONFIDENCE_POSSIBLE);
	CHECK_INT(tally_get(&a, 2)->records_total, 2);
	CHECK_INT(tally_get(&a, 2)->records_matched, 1);
	CHECK_INT(tally_get(&a, 2)->by_rule[1 * 4 + CONFIDENCE_LIKELY], 2);

	tally_value(&b, 2, 7);
	tally_finding(&b, 2, 7, 1, CONFIDENCE_VERY_LIKELY);
	tally_value(&b, 200, 9);    /* past the first capacity */
	tally_finding(&b, 200, 9, 2, CONFIDENCE_LIKELY);

	tally_merge(&sum, &a);
	tally_merge(&sum, &b);
	const struct tally_field *f = tally_get(&sum, 2);
	CHECK_INT(f->records_total, 3);
	CHECK_INT(f->records_matched, 2);
	CHECK(f->by_rule != NULL);
	if (f->by_rule) {
		CHECK_INT(f->by_rule[1 * 4 + CONFIDENCE_LIKELY], 2);
		CHECK_INT(f->by_rule[1 * 4 + CONFIDENCE_VERY_LIKELY], 1);
		CHECK_INT(f->by_rule[0 * 4 + CONFIDENCE_POSSIBLE], 1);
		CHECK_INT(f->by_rule[2 * 4 + CONFIDENCE_LIKELY], 0);
	}
	f = tally_get(&sum, 200);
	CHECK_INT(f->records_total, 1);
	CHECK(f->by_rule && f->by_rule[2 * 4 + CONFIDENCE_LIKELY] == 1);
	/* Fields never counted read as zeroes, in or past the capacity. */
	CHECK_INT(tally_get(&sum, 3)->records_total, 0);
	CHECK(tally_get(&sum, 3)->by_rule == NULL);
	CHECK_INT(tally_get(&sum, 100000)->records_total, 0);
	/* Merging an empty shard changes nothing. */
	struct tally empty;
	tally_init(&empty, 3);
	tally_merge(&sum, &empty);
	CHECK_INT(tally_get(&sum, 2)->records_total, 3);
	tally_release(&empty);

	tally_release(&a);
	tally_release(&b);
	tally_release(&sum);
	CHECK(sum.f == NULL && sum.cap == 0);
}

/* ---- errors ---- */

static void test_errors(void)
{
	static const int codes[] = {
#define CODE(c, msg) PIISCAN_##c,
		PIISCAN_ERRORS(CODE)
#undef CODE
	};
	static const char *const msgs[] = {
#define MSG(c, msg) msg,
		PIISCAN_ERRORS(MSG)
#undef MSG
	};
	CHECK_STR(piiscan_strerror(0), "success");
	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
		CHECK(codes[i] < 0);
		CHECK_STR(piiscan_strerror(codes[i]), msgs[i]);
		for (size_t k = 0; k < i; k++)
			CHECK(codes[k] != codes[i] && strcmp(msgs[k], msgs[i]));
	}
	CHECK_STR(piiscan_strerror(PIISCAN_ERR_TRUNCATED), "truncated input");
	CHECK_STR(piiscan_strerror(1), "unknown error");
	CHECK_STR(piiscan_strerror(-1), "unknown error");
	CHECK_STR(piiscan_strerror(PIISCAN_ERR_BASE_), "unknown error");
}

/* ---- util ---- */

static void test_util(void)
{
	char hex[9];
	util_hex(hex, "\x00\x9f\xff\x10", 4);
	CHECK_STR(hex, "009fff10");
	/* Every byte value, in the vector steps and the tail, against printf. */
	unsigned char bytes[256 + 7];
	char big[2 * sizeof bytes + 1], want[2 * sizeof bytes + 1];
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (unsigned char)(i * 151 + 7);
	for (size_t n = 0; n <= sizeof bytes; n += n < 40 ? 1 : 37) {
		util_hex(big, bytes, n);
		for (size_t i = 0; i < n; i++)
			snprintf(want + 2 * i, 3, "%02x", bytes[i]);
		want[2 * n] = '\0';
		CHECK_STR(big, want);
	}
	int *v = NULL;
	size_t cap = 0;
	xgrow((void **)&v, &cap, 5, sizeof *v);
	CHECK(cap >= 5 && v);
	size_t old = cap;
	xgrow((void **)&v, &cap, 3, sizeof *v);
	CHECK_INT(cap, old);
	xgrow((void **)&v, &cap, 1000, sizeof *v);
	CHECK(cap >= 1000);
	v[999] = 1;
	free(v);
	char *s = xstrndup("abcdef", 3);
	CHECK_STR(s, "abc");
	free(s);
	double t0 = util_now(), t1 = util_now();
	CHECK(t1 >= t0);
	/* cgroup v2 cpu.max lines: a quota rounds up to whole CPUs. */
	CHECK_INT(util_cpu_quota("max 100000\n"), 0);
	CHECK_INT(util_cpu_quota("200000 100000\n"), 2);
	CHECK_INT(util_cpu_quota("150000 100000"), 2);
	CHECK_INT(util_cpu_quota("50000 100000"), 1);
	CHECK_INT(util_cpu_quota("100000 0"), 0);
	CHECK_INT(util_cpu_quota("garbage"), 0);
	CHECK_INT(util_cpu_quota(""), 0);
	CHECK(util_cpus() >= 1);
	/* the scan's default: a CPU each, one spared for the reader from 12 */
	CHECK_INT(pipeline_default_threads(0), 1);
	CHECK_INT(pipeline_default_threads(1), 1);
	CHECK_INT(pipeline_default_threads(2), 2);
	CHECK_INT(pipeline_default_threads(11), 11);
	CHECK_INT(pipeline_default_threads(12), 11);
	CHECK_INT(pipeline_default_threads(16), 15);
	CHECK_INT(pipeline_default_threads(64), 63);
}

/* ---- fingerprints ---- */

/* The eight-lane SipHash against libsodium's, one value at a time: every
 * length up to past the batch limit, batches of every size up to 20, lanes
 * of mixed lengths; and the SipHash-2-4-128 reference vectors. */
static void test_fingerprint_batch(void)
{
	struct fingerprint_key fk = { .k = { 0 } };
	for (int i = 0; i < 16; i++)
		fk.k[i] = (uint8_t)i;
	static const char *const kat[] = { "a3817f04ba25a8e66df67214c7550293",
		"da87c1d86b99af44347659119b22fc45", "8177228da4a45dc7fca38bdef60affe4" };
	char msg[8] = { 0, 1, 2 }, hex[FINGERPRINT_HEX_LEN + 1];
	for (size_t n = 0; n < 3; n++) {
		const char *v[8];
		size_t len[8];
		unsigned char out[8][FINGERPRINT_BYTES];
		for (int l = 0; l < 8; l++) {
			v[l] = msg;
			len[l] = n;
		}
		fingerprint_batch(&fk, 8, v, len, out, true);
		util_hex(hex, out[7], FINGERPRINT_BYTES);
		CHECK_STR(hex, kat[n]);
	}

	enum { MAXV = 300, N = 20 };   /* rows of MAXV + 8: readable in whole words */
	static char pool[N][MAXV + 8];
	unsigned seed = 12345;
	for (int round = 0; round < 400; round++) {
		for (int k = 0; k < 16; k++) {
			seed = seed * 1103515245u + 12345u;
			fk.k[k] = (uint8_t)(seed >> 16);
		}
		size_t n = 1 + (size_t)round % N;
		const char *v[N];
		size_t len[N];
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly value-sized, now and then past the batch limit */
			len[i] = round % 7 == 0 ? (seed >> 8) % MAXV : (seed >> 8) % 40;
			for (size_t b = 0; b < len[i]; b++) {
				seed = seed * 1103515245u + 12345u;
				pool[i][b] = (char)(seed >> 23);
			}
			v[i] = pool[i];
		}
		unsigned char fast[N][FINGERPRINT_BYTES], slow[N][FINGERPRINT_BYTES], want[FINGERPRINT_BYTES];
		fingerprint_batch(&fk, n, v, len, fast, true);
		fingerprint_batch(&fk, n, v, len, slow, false);
		for (size_t i = 0; i < n; i++) {
			crypto_shorthash_siphashx24(want, (const unsigned char *)v[i], len[i], fk.k);
			CHECK_MSG(!memcmp(fast[i], want, FINGERPRINT_BYTES) && !memcmp(slow[i], want, FINGERPRINT_BYTES),
				  "round %d: value %zu of %zu (%zu bytes) differs from libsodium", round, i, n, len[i]);
		}
	}
	/* every length 0..FINGERPRINT_BATCH_MAX_LEN in one lane, the others short */
	for (size_t L = 0; L <= FINGERPRINT_BATCH_MAX_LEN; L++) {
		const char *v[8];
		size_t len[8];
		unsigned char out[8][FINGERPRINT_BYTES], want[FINGERPRINT_BYTES];
		for (int l = 0; l < 8; l++) {
			v[l] = pool[l];
			len[l] = l == 3 ? L : (size_t)l;
		}
		fingerprint_batch(&fk, 8, v, len, out, true);
		crypto_shorthash_siphashx24(want, (const unsigned char *)pool[3], L, fk.k);
		CHECK_MSG(!memcmp(out[3], want, FINGERPRINT_BYTES), "length %zu differs from libsodium", L);
	}
}

/* The vector UTF-8 check against the byte loop: every pair of bytes with a
 * few third and fourth bytes after it, at offsets across the 32-byte
 * blocks and at the end of the input, then generated text of valid
 * characters with faults mixed in. */
static size_t utf8_put(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static void utf8_agree(const unsigned char *p, size_t len, int *bad)
{
	size_t want = utf8_invalid_at_bytes(p, len);
	bool valid = utf8_valid(p, len);
	size_t got = utf8_invalid_at(p, len);
	if (valid != (want == len) || got != want) {
		if (++*bad <= 5) {
			fprintf(stderr, "utf8: len %zu: bytes say %zu, vector says %s, utf8_invalid_at %zu:", len, want,
				valid ? "valid" : "invalid", got);
			for (size_t i = 0; i < len; i++)
				fprintf(stderr, " %02x", p[i]);
			fputc('\n', stderr);
		}
	}
}

static void test_utf8(void)
{
	static const unsigned char more[] = { 0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xFF };
	unsigned char buf[128];
	int bad = 0;
	size_t n = 0;
	for (unsigned b0 = 0x80; b0 < 0x100; b0++)
		for (unsigned b1 = 0; b1 < 0x100; b1++)
			for (size_t k = 0; k < sizeof more; k++) {
				/* An ASCII run, the sequence where the pair's bytes put
				 * it (across a block edge most often), a continuation
				 * byte and then ASCII or the end. */
				size_t at = 24 + (b0 * 7 + b1 * 3 + k) % 45;
				memset(buf, 'a', sizeof buf);
				buf[at] = (unsigned char)b0;
				buf[at + 1] = (unsigned char)b1;
				buf[at + 2] = more[k];
				buf[at + 3] = more[(k * 5 + b1) % sizeof more];
				size_t end = (b1 + k) % 5 == 0 ? at + 1 + k % 4 : at + 4 + (b0 + k) % 40;
				utf8_agree(buf, end, &bad);
				n++;
			}
	CHECK_MSG(bad == 0, "%d of %zu byte sequences judged differently", bad, n);

	unsigned seed = 2021;
	unsigned char text[600];
	int bad_text = 0, faults = 0;
	for (int round = 0; round < 20000; round++) {
		size_t len = 0, want = (size_t)(round % 300);
		while (len + 4 <= want) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = seed >> 8;
			uint32_t cp;
			switch (r % 8) {
			case 0: case 1: case 2: cp = 0x20 + r / 8 % 0x5F; break;
			case 3: cp = 0x80 + r / 8 % 0x780; break;
			case 4: case 5: cp = 0x4E00 + r / 8 % 0x51A5; break;    /* CJK */
			case 6: cp = 0x800 + r / 8 % 0xF800; break;
			default: cp = 0x10000 + r / 8 % 0x100000; break;
			}
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD;
			len += utf8_put(text + len, cp);
		}
		if (round % 3) {
			/* A fault: a byte changed, or the end moved into a character. */
			seed = seed * 1103515245u + 12345u;
			if (len && round % 3 == 1)
				text[(seed >> 8) % len] = (unsigned char)(seed >> 24);
			else if (len)
				len -= (seed >> 8) % 3;
			faults++;
		}
		utf8_agree(text, len, &bad_text);
	}
	CHECK_MSG(bad_text == 0, "%d of 20000 texts judged differently (%d with a fault)", bad_text, faults);
	CHECK(utf8_invalid_at((const unsigned char *)"", 0) == 0);
	CHECK(utf8_invalid_at((const unsigned char *)"\xed\xa0\x80", 3) == 0);   /* a surrogate */
	CHECK(utf8_invalid_at((const unsigned char *)"ab\xf4\x90\x80\x80", 6) == 2);   /* past U+10FFFF */
	CHECK(utf8_invalid_at((const unsigned char *)"\xe4\xb8\xad\xe6\x96", 5) == 3);  /* cut short */
}

TEST_MAIN(test_json_checker, test_format_u64, test_buf, test_jsonw_compact, test_jsonw_pretty, test_jsonw_quote, test_finding_format,
	  test_finding_mask, test_finding_mask_short_email, test_finding_format_value,
	  test_finding_format_value_text, test_confidence, test_field_words, test_fieldtab,
	  test_queue, test_outfile, test_tally, test_errors, test_util, test_fingerprint_batch, test_utf8)
