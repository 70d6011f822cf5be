/* Streaming JSON writer. */
#include "jsonw.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

void jsonw_init(struct jsonw *w, struct buf *out, bool pretty)
{
	memset(w, 0, sizeof *w);
	w->out = out;
	w->pretty = pretty;
}

static void newline(struct jsonw *w)
{
	if (!w->pretty)
		return;
	buf_putc(w->out, '\n');
	for (int i = 0; i < w->depth; i++)
		buf_append(w->out, "  ", 2);
}

/* Called before every key, and before every value that does not follow a
 * key: the comma and the indentation. */
static void before_item(struct jsonw *w)
{
	if (w->need_comma[w->depth])
		buf_putc(w->out, ',');
	w->need_comma[w->depth] = true;
	if (w->depth > 0)
		newline(w);
}

static void before_value(struct jsonw *w)
{
	if (w->after_key)
		w->after_key = false;
	else
		before_item(w);
}

void jsonw_object_begin(struct jsonw *w)
{
	before_value(w);
	buf_putc(w->out, '{');
	assert(w->depth + 1 < JSONW_MAX_DEPTH);
	w->need_comma[++w->depth] = false;
}

void jsonw_object_end(struct jsonw *w)
{
	bool had = w->need_comma[w->depth];
	w->depth--;
	if (had)
		newline(w);
	buf_putc(w->out, '}');
}

void jsonw_array_begin(struct jsonw *w)
{
	before_value(w);
	buf_putc(w->out, '[');
	assert(w->depth + 1 < JSONW_MAX_DEPTH);
	w->need_comma[++w->depth] = false;
}

void jsonw_array_end(struct jsonw *w)
{
	jsonw_object_end(w);
	w->out->data[w->out->len - 1] = ']';
}

void jsonw_key(struct jsonw *w, const char *key)
{
	before_item(w);
	jsonw_quote(w->out, key, strlen(key));
	buf_putc(w->out, ':');
	if (w->pretty)
		buf_putc(w->out, ' ');
	w->after_key = true;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	jsonw_string_n(w, s, strlen(s));
}

void jsonw_string_n(struct jsonw *w, const char *s, size_t n)
{
	before_value(w);
	jsonw_quote(w->out, s, n);
}

void jsonw_u64(struct jsonw *w, uint64_t v)
{
	before_value(w);
	buf_put_u64(w->out, v);
}

void jsonw_i64(struct jsonw *w, int64_t v)
{
	before_value(w);
	if (v < 0) {
		buf_putc(w->out, '-');
		buf_put_u64(w->out, (uint64_t)0 - (uint64_t)v);
	} else {
		buf_put_u64(w->out, (uint64_t)v);
	}
}

void jsonw_double(struct jsonw *w, double v)
{
	char tmp[64];
	before_value(w);
	int n = snprintf(tmp, sizeof tmp, "%.6g", v);
	buf_append(w->out, tmp, (size_t)n);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	before_value(w);
	buf_puts(w->out, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
	before_value(w);
	buf_puts(w->out, "null");
}

void jsonw_quote(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	buf_putc(b, '"');
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
			run++;
		buf_append(b, s + i, run - i);
		i = run;
		if (i >= n)
			break;
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
			i++;
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			switch (c) {
			case '\n': buf_append(b, "\\n", 2); break;
			case '\t': buf_append(b, "\\t", 2); break;
			case '\r': buf_append(b, "\\r", 2); break;
			default: buf_append(b, e, 6); break;
			}
			i++;
		} else {
			size_t len = utf8_char_len(s + i, n - i);   /* 0: not ASCII, not well-formed */
			if (len) {
				buf_append(b, s + i, len);
				i += len;
			} else {
				buf_append(b, "\xEF\xBF\xBD", 3);
				i++;
			}
		}
	}
	buf_putc(b, '"');
}
