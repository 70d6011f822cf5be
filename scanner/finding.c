/* Findings lines and masked previews. */
#include "finding.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fingerprint.h"
#include "jsonw.h"
#include "utf8.h"

static const char *const confidence_names[] = { "none", "possible", "likely", "very_likely" };
static const unsigned char confidence_lens[] = { 4, 8, 6, 11 };

const char *confidence_name(enum confidence c)
{
	return (unsigned)c < 4 ? confidence_names[c] : "none";
}

enum confidence confidence_parse(const char *s)
{
	for (int i = 1; i < 4; i++)
		if (!strcmp(s, confidence_names[i]))
			return (enum confidence)i;
	return CONFIDENCE_NONE;
}

/* One findings line is built in place: reserve room once, then copy. The
 * only variable-length parts are the source path and field name (JSON
 * literals prepared once per source and field), the rule id and the masked
 * preview. */
#define PUT_LIT(o, s) (memcpy((o), (s), sizeof(s) - 1), (o) += sizeof(s) - 1)

/* Copy a short string (a path, a field name, a rule id, a preview): two
 * fixed-size moves that overlap in the middle, where a call to memcpy
 * for each of the five in a line cost more than the copy. */
static inline char *put_str(char *o, const char *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		char a[8], b[8];
		memcpy(a, s, 8);
		memcpy(b, s + n - 8, 8);
		memcpy(o, a, 8);
		memcpy(o + n - 8, b, 8);
	} else if (n > 16 && n <= 32) {
		char a[16], b[16];
		memcpy(a, s, 16);
		memcpy(b, s + n - 16, 16);
		memcpy(o, a, 16);
		memcpy(o + n - 16, b, 16);
	} else if (n >= 4 && n < 8) {
		char a[4], b[4];
		memcpy(a, s, 4);
		memcpy(b, s + n - 4, 4);
		memcpy(o, a, 4);
		memcpy(o + n - 4, b, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			o[i] = s[i];
	} else {
		memcpy(o, s, n);
	}
	return o + n;
}

/* Printable ASCII but for '"' and '\\': a JSON string as it stands. */
#ifdef __SSE2__
static inline int plain_mask(__m128i v)
{
	/* A byte below 0x20 or from 0x80 up (negative as a signed byte), DEL,
	 * a quote or a backslash is not plain. */
	__m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
				   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)),
						_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
							     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
	return _mm_movemask_epi8(bad);
}
#endif

static bool plain_ascii(const char *s, size_t n)
{
#ifdef __SSE2__
	/* Sixteen at a time, the last sixteen overlapping; 8 to 15 bytes as
	 * two overlapping halves of one vector. */
	if (n >= 16) {
		for (size_t i = 0; i + 16 <= n; i += 16)
			if (plain_mask(_mm_loadu_si128((const __m128i *)(const void *)(s + i))))
				return false;
		return !plain_mask(_mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)));
	}
	if (n >= 8)
		return !plain_mask(_mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)s),
						      _mm_loadl_epi64((const __m128i *)(const void *)(s + n - 8))));
#endif
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* The lengths of a line's strings: given, or measured. */
struct line_lens {
	size_t source, field, rule, extra;
};

static inline struct line_lens line_lens(const struct finding *f)
{
	return (struct line_lens){
		.source = f->source_len ? f->source_len : strlen(f->source_json),
		.field = f->field_len ? f->field_len : strlen(f->field_json),
		.rule = f->rule_len ? f->rule_len : strlen(f->rule_id),
		.extra = f->extra ? strlen(f->extra) : 0,
	};
}

/* Room in out for a line whose preview takes at most preview bytes. */
static inline char *line_reserve(struct buf *out, const struct line_lens *l, size_t preview)
{
	return buf_reserve(out, l->source + l->field + l->rule + preview + l->extra + 256);
}

/* A line at o up to the preview's opening: {"source":...,"masked": */
static inline __attribute__((always_inline)) char *line_head(char *o, const struct finding *f,
							    const struct line_lens *l)
{
	unsigned ci = (unsigned)f->confidence < 4 ? (unsigned)f->confidence : 0;
	PUT_LIT(o, "{\"source\":");
	o = put_str(o, f->source_json, l->source);
	PUT_LIT(o, ",\"record\":");
	o += buf_format_u64(o, f->record);
	PUT_LIT(o, ",\"field\":");
	o = put_str(o, f->field_json, l->field);
	PUT_LIT(o, ",\"rule\":\"");
	o = put_str(o, f->rule_id, l->rule);
	PUT_LIT(o, "\",\"offset\":");
	o += buf_format_u64(o, f->offset);
	PUT_LIT(o, ",\"length\":");
	o += buf_format_u64(o, f->length);
	PUT_LIT(o, ",\"confidence\":\"");
	o = put_str(o, confidence_names[ci], confidence_lens[ci]);
	PUT_LIT(o, "\",\"masked\":");
	return o;
}

/* The rest of the line from o, after the preview, and the line (from
 * start) added to out. Returns the offset in out of the fingerprint's 32
 * characters. */
static inline size_t line_finish(struct buf *out, char *start, char *o, const struct finding *f,
				 const struct line_lens *l)
{
	PUT_LIT(o, ",\"fingerprint\":\"");
	size_t fp_at = out->len + (size_t)(o - start);
	if (f->fingerprint)
		o = put_str(o, f->fingerprint, FINGERPRINT_HEX_LEN);
	else
		o = (char *)memset(o, '0', FINGERPRINT_HEX_LEN) + FINGERPRINT_HEX_LEN;
	*o++ = '"';
	if (l->extra)
		o = put_str(o, f->extra, l->extra);
	PUT_LIT(o, "}\n");
	out->len += (size_t)(o - start);
	return fp_at;
}

size_t finding_format(struct buf *out, const struct finding *f)
{
	struct line_lens l = line_lens(f);
	size_t lm = f->masked_len ? f->masked_len : strlen(f->masked);
	/* The preview is escaped below; each byte takes at most 6. */
	char *start = line_reserve(out, &l, 6 * lm), *o = line_head(start, f, &l);
	if (plain_ascii(f->masked, lm)) {
		/* Most previews need no escaping: quoted in place. */
		*o++ = '"';
		o = put_str(o, f->masked, lm);
		*o++ = '"';
	} else {
		out->len += (size_t)(o - start);
		jsonw_quote(out, f->masked, lm);
		o = start = buf_reserve(out, 64 + l.extra);
	}
	return line_finish(out, start, o, f, &l);
}

/* Room for a preview (finding_format_value's, on the stack). */
#define PREVIEW_CAP 160

/* Other values (Chinese names and addresses, short or long ASCII ones)
 * are masked straight into the line too, when up to TEXT_MAX bytes of
 * printable ASCII and well-formed UTF-8 with nothing to escape: what
 * finding_mask makes of them, jsonw_quote copies as it is. */
#define TEXT_MAX 150

/* The starts of v's characters into starts (TEXT_MAX + 1 of room; then
 * len), and how many; 0 when a byte needs escaping or is no part of a
 * well-formed character. */
static size_t text_chars(const char *v, size_t len, size_t *starts)
{
	size_t n = 0, i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)v[i];
		size_t k = c >= 0x80 ? utf8_char_len((const unsigned char *)v + i, len - i)
				     : c >= 0x20 && c != '"' && c != '\\';
		if (!k)
			return 0;
		starts[n++] = i;
		i += k;
	}
	starts[n] = len;
	return n;
}

/* The preview of v[0..len), whose nch characters start at starts
 * (starts[nch] = len), at dst: at most cap - 1 bytes (cap > 0), its
 * length. */
static size_t mask_chars(char *dst, size_t cap, const char *v, size_t len, bool is_email, const size_t *starts,
			 size_t nch)
{
	size_t keep_head, keep_tail, o = 0;
	const char *at = is_email ? memchr(v, '@', len) : NULL;
	if (at) {
		/* A one-character local part would be shown whole (characters,
		 * not bytes: "王@…" is one). */
		size_t local = 0;
		while (local < nch && v + starts[local] < at)
			local++;
		keep_head = local >= 2 ? 1 : 0;
		keep_tail = 0;
	} else if (nch >= 11) {
		keep_head = 3;
		keep_tail = 4;
	} else {
		keep_head = nch / 4;
		keep_tail = nch / 4;
	}
	for (size_t c = 0; c < nch && o + 5 < cap; c++) {
		size_t a = starts[c], b = (starts[c + 1] < len ? starts[c + 1] : len);
		if (at && v + a == at) {
			size_t rest = len - a;
			if (o + rest + 1 > cap)
				rest = cap - o - 1;
			memcpy(dst + o, v + a, rest);
			o += rest;
			break;
		}
		if (c < keep_head || c >= nch - keep_tail) {
			memcpy(dst + o, v + a, b - a);
			o += b - a;
		} else if (!at || c < keep_head + 3 || c == 0) {
			dst[o++] = '*';
		}
	}
	return o;
}

size_t finding_format_value(struct buf *out, const struct finding *f, const char *v, size_t len, bool is_email)
{
	/* The usual value: printable ASCII with nothing to escape, masked
	 * straight into the line as finding_mask would mask it (no preview
	 * written, read back and copied). Anything else goes through
	 * finding_mask and finding_format. */
	const char *at = NULL;
	bool fast = len >= 11 && len <= (is_email ? 64 : 23) && plain_ascii(v, len) &&
		    (!is_email || (at = memchr(v, '@', len)) != NULL);
	size_t starts[TEXT_MAX + 1], nch;
	if (!fast && len <= TEXT_MAX && (nch = text_chars(v, len, starts))) {
		struct line_lens l = line_lens(f);
		char *start = line_reserve(out, &l, PREVIEW_CAP), *o = line_head(start, f, &l);
		*o++ = '"';
		o += mask_chars(o, PREVIEW_CAP, v, len, is_email, starts, nch);
		*o++ = '"';
		return line_finish(out, start, o, f, &l);
	}
	if (!fast) {
		char masked[PREVIEW_CAP];
		struct finding g = *f;
		g.masked = masked;
		g.masked_len = (uint32_t)finding_mask(v, len, is_email, masked, sizeof masked);
		return finding_format(out, &g);
	}
	struct line_lens l = line_lens(f);
	char *start = line_reserve(out, &l, len), *o = line_head(start, f, &l);
	*o++ = '"';
	if (at) {
		/* The first character of a local part of two or more, then at
		 * most three stars, then the domain. */
		size_t local = (size_t)(at - v), head = local >= 2 ? 1 : 0;
		size_t stars = local - head < 3 ? local - head : 3;
		*o = v[0];
		o += head;
		memcpy(o, "***", 3);
		o += stars;
		o = put_str(o, at, len - local);
	} else {
		/* 11 to 23 bytes: the first 3, stars, the last 4 (the stars
		 * written as sixteen, the tail over the extra ones). */
		memcpy(o, v, 3);
		memcpy(o + 3, "****************", 16);
		memcpy(o + len - 4, v + len - 4, 4);
		o += len;
	}
	*o++ = '"';
	return line_finish(out, start, o, f, &l);
}

/* How many bytes v[0..len) starts with that are ASCII (len when all are):
 * whole words at a time, the last one overlapping, for values of 8 to 32
 * bytes, where a byte loop for the tail cost more than the rest. */
static inline size_t ascii_prefix(const char *v, size_t len)
{
	size_t k = 0;
#ifdef __SSE2__
	while (k + 16 <= len && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(v + k))))
		k += 16;
	if (k + 16 > len && len >= 16 &&
	    !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(v + len - 16))))
		return len;
#endif
	if (len - k >= 8 && len - k <= 16) {
		uint64_t a, b;
		memcpy(&a, v + k, 8);
		memcpy(&b, v + len - 8, 8);
		if (!((a | b) & 0x8080808080808080ULL))
			return len;
	}
	while (k < len && (unsigned char)v[k] < 0x80)
		k++;
	return k;
}

/* Byte length of the UTF-8 sequence that starts with c (1 for stray bytes). */
static size_t u8len(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

size_t finding_mask(const char *v, size_t len, bool is_email, char *dst, size_t cap)
{
	/* Most values are ASCII: one character per byte. */
	if (len < cap) {
		size_t k = ascii_prefix(v, len);
		const char *at = k == len && is_email && len + 4 < cap ? memchr(v, '@', len) : NULL;
		if (at) {
			/* The first character of a local part of two or more,
			 * then at most three stars, then the domain. */
			size_t local = (size_t)(at - v), head = local >= 2 ? 1 : 0;
			size_t stars = local - head < 3 ? local - head : 3, o = 0;
			if (head)
				dst[o++] = v[0];
			memset(dst + o, '*', stars);
			o += stars;
			memcpy(dst + o, at, len - local);
			o += len - local;
			dst[o] = '\0';
			return o;
		}
		if (k == len && !is_email && len >= 11) {
			/* The usual case, with copies of fixed size (the stars
			 * as sixteen, the tail written over the extra ones). */
			memcpy(dst, v, 3);
			if (len <= 23 && cap >= 20)
				memcpy(dst + 3, "****************", 16);
			else
				memset(dst + 3, '*', len - 7);
			memcpy(dst + len - 4, v + len - 4, 4);
			dst[len] = '\0';
			return len;
		}
		if (k == len && !is_email) {
			size_t keep = len / 4;
			memcpy(dst, v, keep);
			memset(dst + keep, '*', len - 2 * keep);
			memcpy(dst + len - keep, v + len - keep, keep);
			dst[len] = '\0';
			return len;
		}
	}
	size_t starts[1100];
	size_t nch = 0, i = 0;
	if (cap == 0)
		return 0;
	if (len > 1024)
		len = 1024;
	while (i < len) {
		starts[nch++] = i;
		i += u8len((unsigned char)v[i]);
	}
	starts[nch] = len;
	size_t o = mask_chars(dst, cap, v, len, is_email, starts, nch);
	dst[o] = '\0';
	return o;
}
