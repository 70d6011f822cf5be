/* Decoding legacy Chinese encodings (GBK, GB18030) to UTF-8 for the frame
 * and scan stages; transcode_raw_pos finds the input offset of an output
 * character, so that findings keep pointing at input bytes. The only user of
 * iconv. One transcoder per stream or worker; not thread-safe. */
#ifndef PIISCAN_TRANSCODE_H
#define PIISCAN_TRANSCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum encoding {
	ENCODING_UTF8,       /* bytes are scanned as they are */
	ENCODING_GBK,
	ENCODING_GB18030,
};

/* Parse an --encoding name (utf-8, utf8, gbk, cp936, gb18030, gb2312);
 * -1 if unknown. */
int encoding_parse(const char *s);
const char *encoding_name(enum encoding e);

struct transcoder;

/* NULL if iconv lacks the encoding. */
struct transcoder *transcoder_new(enum encoding e);
void transcoder_free(struct transcoder *tc);

/* Most input characters are as long as their UTF-8, but for a
 * three-byte one, which two input bytes make (a Chinese character from
 * GBK): so the input offset of UTF-8 byte d is d less the three-byte
 * characters before it, plus the skews of the characters that keep to
 * neither rule (a four-byte GB18030 character, a byte that decodes to
 * U+FFFD alone): each one's UTF-8 offset and its input length less the
 * rule's. Rare; kept in order. */
struct transcode_skew {
	size_t at;
	ptrdiff_t adj;
};

struct transcode_skews {
	struct transcode_skew *v;
	size_t n, cap;
};

/* Decode src[0..len), appending UTF-8 to out. A character cut at the end
 * is kept for the next call (at eof it becomes U+FFFD). Returns how many
 * invalid sequences were replaced by U+FFFD. With skews, the skews of
 * what it appends (their offsets in out) are appended to it. */
size_t transcoder_run(struct transcoder *tc, const char *src, size_t len, bool eof, struct buf *out,
		      struct transcode_skews *skews);

/* The input offset of utf8[want], the start of a character, by the rule
 * above: counted on from (*d, *r), an earlier character's offsets in both
 * ((0, 0) at first), whose skews before it are skews->v[0..*k). Offsets
 * asked for in increasing order cost one pass over the UTF-8 in all,
 * sixteen bytes a step, and none over the input. want must be >= *d. */
size_t transcode_raw_pos(const char *utf8, const struct transcode_skews *skews, size_t *d, size_t *r, size_t *k,
			 size_t want);

/* Decode the whole of src[0..len) (nothing kept back: a character cut at
 * the end becomes U+FFFD), appending UTF-8 to out: the same UTF-8, count
 * and skews as transcoder_run with eof, for text cut after a line break
 * (a worker's chunk). */
size_t transcoder_decode(struct transcoder *tc, const char *src, size_t len, struct buf *out,
			 struct transcode_skews *skews);

/* How many input bytes the last call kept back (a character cut at its
 * end), not yet decoded. */
size_t transcoder_pending(const struct transcoder *tc);

#endif
