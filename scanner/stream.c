/* Reading sources: plain bytes, LZ4 frames, gzip members or zstd frames,
 * decoded as a stream and hashed as stored. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
/* An LZ4 block is at most 4 MiB: with a whole block in raw and room for it
 * in dst, LZ4F decodes it in place instead of copying it into its own
 * buffers on the way in and out (two copies of every byte). */
#define LZ4_BLOCK_MAX (4u << 20)
#define LZ4_RAW_CAP (LZ4_BLOCK_MAX + 65536)

/* The decoder thread's output: blocks [head, head + filled) of a ring are
 * decoded and wait for stream_read, which copies them out in order. */
#define PF_BLOCKS 3
struct pf_block {
	char *data;
	size_t len;
	int rc;                 /* the decoder's result for this block */
	char err[256];
	uint64_t stored;        /* stored bytes read when it was decoded */
};

struct prefetch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;    /* a block decoded, a block freed, or stop */
	struct pf_block b[PF_BLOCKS];
	size_t cap;             /* of each block */
	size_t head, filled;
	size_t pos;             /* stream_read's offset in b[head] */
	bool stop;              /* stream_close: decode no more */
	bool ended;             /* stream_read has returned the last block */
};

struct stream {
	struct source *src;
	/* Decoded bytes returned so far, and how many before decoding moves to
	 * a thread of its own (stream_prefetch_after; never by default). */
	uint64_t delivered, prefetch_after;
	struct prefetch *pf;
	/* Everything below belongs to the decoder: the caller's thread, or
	 * the decoder thread once it runs. */
	uint64_t stored;        /* stored bytes read (src->bytes_stored is the caller's) */
	int fd;
	XXH3_state_t *hash;
	char *raw;              /* stored bytes read but not yet decoded */
	size_t raw_len, raw_pos, raw_cap;
	bool raw_eof;
	bool done;
	LZ4F_dctx *lz4;
	size_t lz4_hint;        /* 0 once a frame is complete */
	size_t lz4_block;       /* the frame's largest block */
	bool lz4_own_sum;       /* the frame's content checksum is ours to check */
	XXH32_state_t *lz4_sum;
	unsigned char lz4_tail[4];
	z_stream *gz;
	bool gz_in_member;      /* inside a gzip member that has not ended */
	ZSTD_DStream *zstd;
	size_t zstd_hint;       /* 0 once a frame is complete */
};

/* Read stored bytes until raw holds at least want undecoded ones (at most
 * raw_cap) or the input ends; what is left undecoded moves to the front. */
static int top_up(struct stream *st, size_t want, char *errbuf, size_t errbuf_len)
{
	want = MIN(want, st->raw_cap);
	if (st->raw_len - st->raw_pos >= want || st->raw_eof)
		return 0;
	st->raw_len -= st->raw_pos;
	memmove(st->raw, st->raw + st->raw_pos, st->raw_len);
	st->raw_pos = 0;
	while (st->raw_len < want) {
		ssize_t r = read(st->fd, st->raw + st->raw_len, st->raw_cap - st->raw_len);
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
		st->stored += (uint64_t)r;
		XXH3_128bits_update(st->hash, st->raw + st->raw_len, (size_t)r);
		st->raw_len += (size_t)r;
	}
	return 0;
}

/* Read more stored bytes once all read ones are decoded. */
static int fill(struct stream *st, char *errbuf, size_t errbuf_len)
{
	return st->raw_pos < st->raw_len ? 0 : top_up(st, 1, errbuf, errbuf_len);
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
	st->prefetch_after = UINT64_MAX;
	st->raw_cap = RAW_CAP;
	st->raw = xmalloc(st->raw_cap);
	st->hash = XXH3_createState();
	XXH3_128bits_reset(st->hash);
	int rc = fill(st, errbuf, errbuf_len);
	if (rc) {
		stream_close(st, false);
		return rc;
	}
	/* Compression is recognised by magic number, whatever the name says. */
	if (st->raw_len >= 4 && !memcmp(st->raw, "\x04\x22\x4D\x18", 4)) {
		st->lz4_sum = XXH32_createState();
		if (LZ4F_isError(LZ4F_createDecompressionContext(&st->lz4, LZ4F_VERSION)) || !st->lz4_sum) {
			snprintf(errbuf, errbuf_len, "cannot create an LZ4 decoder");
			stream_close(st, false);
			return PIISCAN_ERR_NOMEM;
		}
		src->compression = COMPRESSION_LZ4;
		st->raw_cap = LZ4_RAW_CAP;
		st->raw = xrealloc(st->raw, st->raw_cap);
		st->lz4_block = LZ4_BLOCK_MAX;
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
	return (unsigned long long)(st->stored - (st->raw_len - st->raw_pos));
}

static int read_lz4(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	size_t o = 0;
	/* Once dst has no room for a whole block, LZ4F would decode the next
	 * one into its own buffer and copy it out: leave it to the next call. */
	while (o < cap && !(o > 0 && cap - o < st->lz4_block)) {
		/* LZ4F's hint is the rest of the current block and the next
		 * block's header: with all of it in raw, the block is decoded
		 * straight from there. */
		int rc = top_up(st, st->lz4_hint ? st->lz4_hint : LZ4F_HEADER_SIZE_MAX, errbuf, errbuf_len);
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
		/* One block a call: on an error LZ4F reports nothing of what it
		 * decoded in that call, so the blocks before the damage are kept.
		 * A frame's first call takes its header alone. */
		size_t avail = st->raw_len - st->raw_pos, want = st->lz4_hint;
		if (!want) {
			want = LZ4F_headerSize(st->raw + st->raw_pos, avail);
			if (LZ4F_isError(want))
				want = LZ4F_HEADER_SIZE_MAX;   /* LZ4F_decompress says what is wrong */
		}
		size_t in = MIN(avail, want), outsz = cap - o;
		const char *from = st->raw + st->raw_pos;
		LZ4F_decompressOptions_t opt = { .skipChecksums = st->lz4_own_sum };
		size_t hint = LZ4F_decompress(st->lz4, dst + o, &outsz, from, &in, &opt);
		if (LZ4F_isError(hint)) {
			snprintf(errbuf, errbuf_len, "corrupt LZ4 data near stored byte %llu: %s",
				 stored_pos(st), LZ4F_getErrorName(hint));
			st->done = true;
			*n = o;
			return PIISCAN_ERR_CORRUPT;
		}
		if (st->lz4_own_sum) {
			XXH32_update(st->lz4_sum, dst + o, outsz);
			/* the last four stored bytes read: at the frame's end, its
			 * content checksum */
			if (in >= 4) {
				memcpy(st->lz4_tail, from + in - 4, 4);
			} else {
				memmove(st->lz4_tail, st->lz4_tail + in, 4 - in);
				memcpy(st->lz4_tail + 4 - in, from, in);
			}
		}
		st->raw_pos += in;
		o += outsz;
		if (!st->lz4_hint && hint) {
			/* A frame's header is read: its largest block, and whether
			 * to check its content ourselves. LZ4F's XXH32 (as Debian
			 * builds it) cost a quarter of the reader's time, libxxhash's
			 * a third of that; a frame with block checksums is left to
			 * LZ4F whole. */
			LZ4F_frameInfo_t fi;
			size_t none = 0;
			if (!LZ4F_isError(LZ4F_getFrameInfo(st->lz4, &fi, NULL, &none))) {
				st->lz4_block = fi.blockSizeID == LZ4F_max64KB ? 65536u
					: fi.blockSizeID == LZ4F_max256KB ? 262144u
					: fi.blockSizeID == LZ4F_max1MB ? 1048576u : LZ4_BLOCK_MAX;
				st->lz4_own_sum = fi.contentChecksumFlag == LZ4F_contentChecksumEnabled &&
					fi.blockChecksumFlag == LZ4F_noBlockChecksum;
				if (st->lz4_own_sum)
					XXH32_reset(st->lz4_sum, 0);
			}
		} else if (st->lz4_hint && !hint && st->lz4_own_sum) {
			/* The frame's end: its content checksum, little-endian. */
			st->lz4_own_sum = false;
			const unsigned char *t = st->lz4_tail;
			uint32_t want_sum = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
				(uint32_t)t[3] << 24;
			if (XXH32_digest(st->lz4_sum) != want_sum) {
				snprintf(errbuf, errbuf_len,
					 "corrupt LZ4 data: the frame ending at stored byte %llu fails its content checksum",
					 stored_pos(st));
				st->done = true;
				*n = o;
				return PIISCAN_ERR_CORRUPT;
			}
		}
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

size_t stream_read_size(const struct stream *st)
{
	return st->lz4 ? LZ4_BLOCK_MAX + 65536 : 0;
}

/* Decode up to cap bytes into dst, in the calling thread: stream_read's
 * contract, on the decoder's own state. */
static int decode(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
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
		st->stored += (uint64_t)r;
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

static void *prefetch_main(void *arg)
{
	struct stream *st = arg;
	struct prefetch *pf = st->pf;
	for (;;) {
		pthread_mutex_lock(&pf->lock);
		while (pf->filled == PF_BLOCKS && !pf->stop)
			pthread_cond_wait(&pf->cond, &pf->lock);
		bool stop = pf->stop;
		struct pf_block *b = &pf->b[(pf->head + pf->filled) % PF_BLOCKS];
		pthread_mutex_unlock(&pf->lock);
		if (stop)
			break;
		b->err[0] = '\0';
		b->rc = decode(st, b->data, pf->cap, &b->len, b->err, sizeof b->err);
		b->stored = st->stored;
		bool last = b->rc || !b->len;
		pthread_mutex_lock(&pf->lock);
		pf->filled++;
		pthread_cond_signal(&pf->cond);
		pthread_mutex_unlock(&pf->lock);
		if (last)
			break;
	}
	return NULL;
}

static void prefetch_start(struct stream *st)
{
	struct prefetch *pf = xcalloc(1, sizeof *pf);
	pf->cap = MAX((size_t)RAW_CAP, stream_read_size(st));
	for (size_t i = 0; i < PF_BLOCKS; i++)
		pf->b[i].data = xmalloc(pf->cap);
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->cond, NULL);
	st->pf = pf;
	if (pthread_create(&pf->thread, NULL, prefetch_main, st)) {
		/* No thread: decode in the caller's, as before. */
		st->pf = NULL;
		st->prefetch_after = UINT64_MAX;
		pthread_mutex_destroy(&pf->lock);
		pthread_cond_destroy(&pf->cond);
		for (size_t i = 0; i < PF_BLOCKS; i++)
			free(pf->b[i].data);
		free(pf);
	}
}

static void prefetch_stop(struct stream *st)
{
	struct prefetch *pf = st->pf;
	pthread_mutex_lock(&pf->lock);
	pf->stop = true;
	pthread_cond_signal(&pf->cond);
	pthread_mutex_unlock(&pf->lock);
	pthread_join(pf->thread, NULL);
	pthread_mutex_destroy(&pf->lock);
	pthread_cond_destroy(&pf->cond);
	for (size_t i = 0; i < PF_BLOCKS; i++)
		free(pf->b[i].data);
	free(pf);
	st->pf = NULL;
}

/* Copy out of the decoder thread's blocks. */
static int take(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	struct prefetch *pf = st->pf;
	*n = 0;
	if (pf->ended)
		return 0;
	pthread_mutex_lock(&pf->lock);
	while (!pf->filled)
		pthread_cond_wait(&pf->cond, &pf->lock);
	pthread_mutex_unlock(&pf->lock);
	struct pf_block *b = &pf->b[pf->head];
	size_t k = MIN(cap, b->len - pf->pos);
	memcpy(dst, b->data + pf->pos, k);
	pf->pos += k;
	*n = k;
	st->src->bytes_stored = b->stored;
	if (pf->pos < b->len)
		return 0;
	if (b->rc || !b->len) {
		/* The last block: its error, with the bytes decoded before it. */
		pf->ended = true;
		if (b->rc)
			snprintf(errbuf, errbuf_len, "%s", b->err);
		return b->rc;
	}
	pthread_mutex_lock(&pf->lock);
	pf->head = (pf->head + 1) % PF_BLOCKS;
	pf->filled--;
	pf->pos = 0;
	pthread_cond_signal(&pf->cond);
	pthread_mutex_unlock(&pf->lock);
	return 0;
}

void stream_prefetch_after(struct stream *st, uint64_t bytes)
{
	st->prefetch_after = bytes;
}

int stream_read(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	if (!st->pf && st->delivered >= st->prefetch_after && !st->done)
		prefetch_start(st);
	if (st->pf)
		return take(st, dst, cap, n, errbuf, errbuf_len);
	int rc = decode(st, dst, cap, n, errbuf, errbuf_len);
	st->delivered += *n;
	st->src->bytes_stored = st->stored;
	return rc;
}

void stream_close(struct stream *st, bool finish_hash)
{
	if (!st)
		return;
	if (st->pf)
		prefetch_stop(st);
	/* Hash what is left unread too: the hash proves which stored file this
	 * was, whatever part of it could be decoded. */
	if (finish_hash) {
		char errbuf[256];
		st->raw_pos = st->raw_len;
		while (!st->raw_eof && fill(st, errbuf, sizeof errbuf) == 0)
			st->raw_pos = st->raw_len;
	}
	st->src->bytes_stored = st->stored;
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st->hash));
	memcpy(st->src->hash, c.digest, sizeof st->src->hash);
	st->src->hashed = finish_hash;
	if (st->fd > 0)
		close(st->fd);
	if (st->lz4)
		LZ4F_freeDecompressionContext(st->lz4);
	XXH32_freeState(st->lz4_sum);
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
