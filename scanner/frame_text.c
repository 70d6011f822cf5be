/* Text framing: a record is a line; its one value is the line without its
 * terminator, in the source's unnamed field. */
#include <string.h>

#include "frame.h"
#include "source.h"

static size_t text_record_end(struct frame_cursor *cur, const char *p, size_t len, bool eof)
{
	const char *nl = memchr(p + cur->scanned, '\n', len - cur->scanned);
	if (nl) {
		cur->scanned = 0;
		return (size_t)(nl - p) + 1;
	}
	if (eof) {
		cur->scanned = 0;
		return len;
	}
	cur->scanned = len;
	return 0;
}

static int text_split(const struct frame_ctx *ctx, const char *rec, size_t len, uint32_t base,
		      uint32_t recno, struct span_vec *out, size_t *err_at)
{
	(void)err_at;
	if (len && rec[len - 1] == '\n')
		len--;
	if (len && rec[len - 1] == '\r')
		len--;
	if (len)
		span_vec_push(out, base, base + (uint32_t)len, ctx->src->unnamed_field, recno, 0);
	return 0;
}

const struct framer frame_text = { FORMAT_TEXT, text_record_end, text_split, NULL };
