/* Reading sources: plain bytes, LZ4 frames, gzip members or zstd frames,
 * decoded as a stream and hashed as stored. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "error.h"
#include "util.h"

#define RAW_CAP (1u << 20)

struct stream {
	struct source *src;
	int fd;
	XXH3_state_t *hash;
	char *raw;              /* stored bytes read but not yet decoded */
	size_t raw_len, raw_pos;
	bool raw_eof;
	bool done;
	LZ4F_dctx *lz4;
	size_t lz4_hint;        /* 0 once a frame is complete */
	z_stream *gz;
	bool gz_in_member;      /* inside a gzip member that has not ended */
	ZSTD_DStream *zstd;
	size_t zstd_hint;       /* 0 once a frame is complete */
};

static int fill(struct stream *st, char *errbuf, size_t errbuf_len)
{
	if (st->raw_pos < st->raw_len || st->raw_eof)
		return 0;
	st->raw_pos = st->raw_len = 0;
	for (;;) {
		ssize_t r = read(st->fd, st->raw, RAW_CAP);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(errbuf, errbuf_len, "read failed: %s", strerror(errno));
			st->raw_eof = true;
			return PIISCAN_ERR_IO;
		}
		if (r == 0) {
			st->raw_eof = true;
			return 0;
		}
		st->raw_len = (size_t)r;
		st->src->bytes_stored += (uint64_t)r;
		XXH3_128bits_update(st->hash, st->raw, (size_t)r);
		return 0;
	}
}

int stream_open(struct source *src, struct stream **out, char *errbuf, size_t errbuf_len)
{
	int fd = strcmp(src->path, "-") ? open(src->path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		snprintf(errbuf, errbuf_len, "cannot open: %s", strerror(errno));
		return PIISCAN_ERR_OPEN;
	}
	struct stream *st = xcalloc(1, sizeof *st);
	st->src = src;
	st->fd = fd;
	st->raw = xmalloc(RAW_CAP);
	st->hash = XXH3_createState();
	XXH3_128bits_reset(st->hash);
	int rc = fill(st, errbuf, errbuf_len);
	if (rc) {
		stream_close(st, false);
		return rc;
	}
	/* Compression is recognised by magic number, whatever the name says. */
	if (st->raw_len >= 4 && !memcmp(st->raw, "\x04\x22\x4D\x18", 4)) {
		if (LZ4F_isError(LZ4F_createDecompressionContext(&st->lz4, LZ4F_VERSION))) {
			snprintf(errbuf, errbuf_len, "cannot create an LZ4 decoder");
			stream_close(st, false);
			return PIISCAN_ERR_NOMEM;
		}
		src->compression = COMPRESSION_LZ4;
	} else if (st->raw_len >= 2 && !memcmp(st->raw, "\x1F\x8B", 2)) {
		st->gz = xcalloc(1, sizeof *st->gz);
		if (inflateInit2(st->gz, 16 + MAX_WBITS) != Z_OK) {
			snprintf(errbuf, errbuf_len, "cannot create a gzip decoder");
			stream_close(st, false);
			return PIISCAN_ERR_NOMEM;
		}
		src->compression = COMPRESSION_GZIP;
	} else if (st->raw_len >= 4 && !memcmp(st->raw, "\x28\xB5\x2F\xFD", 4)) {
		st->zstd = ZSTD_createDStream();
		if (!st->zstd || ZSTD_isError(ZSTD_initDStream(st->zstd))) {
			snprintf(errbuf, errbuf_len, "cannot create a zstd decoder");
			stream_close(st, false);
			return PIISCAN_ERR_NOMEM;
		}
		src->compression = COMPRESSION_ZSTD;
	}
	*out = st;
	return 0;
}

/* Stored offset of the next undecoded byte, for messages. */
static unsigned long long stored_pos(const struct stream *st)
{
	return (unsigned long long)(st->src->bytes_stored - (st->raw_len - st->raw_pos));
}

static int read_lz4(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	size_t o = 0;
	while (o < cap) {
		int rc = fill(st, errbuf, errbuf_len);
		if (rc)
			return rc;
		if (st->raw_pos == st->raw_len) {
			if (st->lz4_hint != 0) {
				snprintf(errbuf, errbuf_len,
					 "truncated LZ4 frame: input ends inside a frame");
				st->done = true;
				*n = o;
				return PIISCAN_ERR_TRUNCATED;
			}
			break;
		}
		/* Small steps: on an error LZ4F reports nothing of what it
		 * decoded in that call, so each call covers at most one or two
		 * blocks and the blocks before the damage are kept. */
		size_t in = MIN(st->raw_len - st->raw_pos, (size_t)16384), outsz = cap - o;
		size_t hint = LZ4F_decompress(st->lz4, dst + o, &outsz, st->raw + st->raw_pos, &in, NULL);
		if (LZ4F_isError(hint)) {
			snprintf(errbuf, errbuf_len, "corrupt LZ4 data near stored byte %llu: %s",
				 stored_pos(st), LZ4F_getErrorName(hint));
			st->done = true;
			*n = o;
			return PIISCAN_ERR_CORRUPT;
		}
		st->raw_pos += in;
		o += outsz;
		st->lz4_hint = hint;
		if (in == 0 && outsz == 0)
			break;
	}
	*n = o;
	return 0;
}

static int read_gzip(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	z_stream *z = st->gz;
	size_t o = 0;
	while (o < cap) {
		int rc = fill(st, errbuf, errbuf_len);
		if (rc)
			return *n = o, rc;
		if (st->raw_pos == st->raw_len) {
			if (st->gz_in_member) {
				snprintf(errbuf, errbuf_len, "truncated gzip member: input ends inside it");
				st->done = true;
				*n = o;
				return PIISCAN_ERR_TRUNCATED;
			}
			break;
		}
		if (!st->gz_in_member) {
			/* Another member follows (concatenated gzip files). */
			inflateReset(z);
			st->gz_in_member = true;
		}
		z->next_in = (Bytef *)st->raw + st->raw_pos;
		z->avail_in = (uInt)(st->raw_len - st->raw_pos);
		z->next_out = (Bytef *)dst + o;
		z->avail_out = (uInt)MIN(cap - o, (size_t)UINT32_MAX);
		int zr = inflate(z, Z_NO_FLUSH);
		size_t used = (st->raw_len - st->raw_pos) - z->avail_in;
		size_t made = (size_t)((char *)z->next_out - (dst + o));
		st->raw_pos += used;
		o += made;
		if (zr == Z_STREAM_END) {
			st->gz_in_member = false;
		} else if (zr != Z_OK && !(zr == Z_BUF_ERROR && made == 0 && used == 0)) {
			snprintf(errbuf, errbuf_len, "corrupt gzip data near stored byte %llu: %s",
				 stored_pos(st), z->msg ? z->msg : zError(zr));
			st->done = true;
			*n = o;
			return PIISCAN_ERR_CORRUPT;
		}
		if (used == 0 && made == 0)
			break;
	}
	*n = o;
	return 0;
}

static int read_zstd(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	size_t o = 0;
	while (o < cap) {
		int rc = fill(st, errbuf, errbuf_len);
		if (rc)
			return *n = o, rc;
		if (st->raw_pos == st->raw_len) {
			if (st->zstd_hint != 0) {
				snprintf(errbuf, errbuf_len, "truncated zstd frame: input ends inside a frame");
				st->done = true;
				*n = o;
				return PIISCAN_ERR_TRUNCATED;
			}
			break;
		}
		ZSTD_inBuffer in = { st->raw, MIN(st->raw_len, st->raw_pos + 16384), st->raw_pos };
		ZSTD_outBuffer out = { dst, cap, o };
		size_t hint = ZSTD_decompressStream(st->zstd, &out, &in);
		if (ZSTD_isError(hint)) {
			snprintf(errbuf, errbuf_len, "corrupt zstd data near stored byte %llu: %s",
				 stored_pos(st), ZSTD_getErrorName(hint));
			st->done = true;
			*n = o;
			return PIISCAN_ERR_CORRUPT;
		}
		bool progress = in.pos != st->raw_pos || out.pos != o;
		st->raw_pos = in.pos;
		o = out.pos;
		st->zstd_hint = hint;
		if (!progress)
			break;
	}
	*n = o;
	return 0;
}

int stream_read(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	*n = 0;
	if (st->done)
		return 0;
	if (st->lz4 || st->gz || st->zstd) {
		int rc = st->lz4 ? read_lz4(st, dst, cap, n, errbuf, errbuf_len)
			: st->gz ? read_gzip(st, dst, cap, n, errbuf, errbuf_len)
			: read_zstd(st, dst, cap, n, errbuf, errbuf_len);
		if (rc || *n == 0)
			st->done = true;
		return rc;
	}
	if (st->raw_pos == st->raw_len && !st->raw_eof) {
		/* Plain bytes, nothing buffered: read straight into dst (a copy
		 * less for every byte of the input). */
		ssize_t r;
		do
			r = read(st->fd, dst, cap);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			snprintf(errbuf, errbuf_len, "read failed: %s", strerror(errno));
			st->raw_eof = st->done = true;
			return PIISCAN_ERR_IO;
		}
		if (r == 0) {
			st->raw_eof = st->done = true;
			return 0;
		}
		st->src->bytes_stored += (uint64_t)r;
		XXH3_128bits_update(st->hash, dst, (size_t)r);
		*n = (size_t)r;
		return 0;
	}
	int rc = fill(st, errbuf, errbuf_len);
	if (rc) {
		st->done = true;
		return rc;
	}
	size_t avail = st->raw_len - st->raw_pos;
	if (!avail) {
		st->done = true;
		return 0;
	}
	size_t take = MIN(avail, cap);
	memcpy(dst, st->raw + st->raw_pos, take);
	st->raw_pos += take;
	*n = take;
	return 0;
}

void stream_close(struct stream *st, bool finish_hash)
{
	if (!st)
		return;
	/* Hash what is left unread too: the hash proves which stored file this
	 * was, whatever part of it could be decoded. */
	if (finish_hash) {
		char errbuf[256];
		st->raw_pos = st->raw_len;
		while (!st->raw_eof && fill(st, errbuf, sizeof errbuf) == 0)
			st->raw_pos = st->raw_len;
	}
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st->hash));
	memcpy(st->src->hash, c.digest, sizeof st->src->hash);
	st->src->hashed = finish_hash;
	if (st->fd > 0)
		close(st->fd);
	if (st->lz4)
		LZ4F_freeDecompressionContext(st->lz4);
	if (st->gz) {
		inflateEnd(st->gz);
		free(st->gz);
	}
	if (st->zstd)
		ZSTD_freeDStream(st->zstd);
	XXH3_freeState(st->hash);
	free(st->raw);
	free(st);
}
