/* Findings lines and masked previews. */
#include "finding.h"

#include <string.h>

#include "jsonw.h"

static const char *const confidence_names[] = { "none", "possible", "likely", "very_likely" };

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

#define PUT_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

void finding_format(struct buf *out, const struct finding *f)
{
	PUT_LIT(out, "{\"source\":");
	buf_puts(out, f->source_json);
	PUT_LIT(out, ",\"record\":");
	buf_put_u64(out, f->record);
	PUT_LIT(out, ",\"field\":");
	buf_puts(out, f->field_json);
	PUT_LIT(out, ",\"rule\":\"");
	buf_puts(out, f->rule_id);
	PUT_LIT(out, "\",\"offset\":");
	buf_put_u64(out, f->offset);
	PUT_LIT(out, ",\"length\":");
	buf_put_u64(out, f->length);
	PUT_LIT(out, ",\"confidence\":\"");
	buf_puts(out, confidence_name(f->confidence));
	PUT_LIT(out, "\",\"masked\":");
	jsonw_quote(out, f->masked, strlen(f->masked));
	PUT_LIT(out, ",\"fingerprint\":\"");
	buf_puts(out, f->fingerprint);
	buf_putc(out, '"');
	if (f->extra)
		buf_puts(out, f->extra);
	PUT_LIT(out, "}\n");
}

/* Byte length of the UTF-8 sequence that starts with c (1 for stray bytes). */
static size_t u8len(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

size_t finding_mask(const char *v, size_t len, bool is_email, char *dst, size_t cap)
{
	size_t starts[1100];
	size_t nch = 0, i = 0, o = 0;
	if (cap == 0)
		return 0;
	if (len > 1024)
		len = 1024;
	while (i < len) {
		starts[nch++] = i;
		i += u8len((unsigned char)v[i]);
	}
	starts[nch] = len;

	size_t keep_head, keep_tail;
	const char *at = is_email ? memchr(v, '@', len) : NULL;
	if (at) {
		/* A one-character local part would be shown whole. */
		keep_head = at - v >= 2 ? 1 : 0;
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
	dst[o] = '\0';
	return o;
}
