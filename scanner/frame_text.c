/* Text framing: a record is a line; its one value is the line without its
 * terminator, in the source's unnamed field. */
#include <string.h>

#include "frame.h"
#include "source.h"

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

const struct framer frame_text = { FORMAT_TEXT, frame_line_end, text_split, NULL };
