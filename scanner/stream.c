/* Reading sources: plain bytes, LZ4 frames, gzip members or zstd frames,
 * decoded as a stream and hashed as stored. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <lz4.h>
#include <lz4frame.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
/* XXH3 at the CPU's vector width, picked at run time: Debian builds the
 * plain entry points for SSE2 (16 GB/s in cache on the 2-core VM, 38.6 for
 * the AVX-512 path the dispatcher picks there). */
#include <xxh_x86dispatch.h>
#endif

#include "error.h"
#include "util.h"

#define RAW_CAP (1u << 20)
/* An LZ4 block is at most 4 MiB: with a whole block in raw and room for it
 * in dst, LZ4F decodes it in place instead of copying it into its own
 * buffers on the way in and out (two copies of every byte). */
#define LZ4_BLOCK_MAX (4u << 20)
#define LZ4_RAW_CAP (LZ4_BLOCK_MAX + 65536)
/* Parsing LZ4 for block threads: raw holds headers and small blocks; a
 * larger block is read straight into its job (read_into). */
#define PAR_RAW_CAP 65536u

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

/* Parallel decoding (stream_set_decoders: two or more). Frames of independent
 * blocks, what the lz4 tool writes by default, are parsed here instead of
 * by LZ4F, a block to a job: one thread reads the jobs in order (stored
 * bytes, their hash), block threads decompress them side by side, and the
 * reading thread then checks each frame's content checksum over them in
 * order. Any other frame (linked blocks, a dictionary, a skippable frame,
 * a header that does not parse) and everything after it go to LZ4F, one
 * job at a time. A regular uncompressed file is read the same way: block
 * threads read its blocks at their offsets, the reading thread hashes them
 * in order. */
struct job {
	char *in, *out;
	size_t in_cap, out_cap;
	size_t in_len;          /* the block as stored */
	bool block;             /* a block to decode (else done when filled) */
	bool compressed;
	bool check_block;       /* block_sum follows the block */
	uint32_t block_sum;
	uint32_t block_max;
	const char *data;       /* what stream_read gets: out, or in for a stored block */
	size_t len, pos;        /* pos: how much of it stream_read has taken */
	bool lz4f;              /* decoded by LZ4F (checksums and all) */
	bool plain;             /* a plain file's block: pread want bytes at off */
	int fd;
	uint64_t off;
	size_t want;
	bool frame_start, frame_end;
	bool sum_content;       /* the frame has a content checksum */
	bool has_size;          /* ... and a content size in its header */
	uint32_t content_sum;   /* at frame_end */
	uint64_t content_size;
	unsigned long long at;  /* stored offset of the block, for messages */
	uint64_t stored;        /* stored bytes read once it was filled */
	int rc;
	bool last;              /* nothing follows (the end, or rc) */
	char err[256];
	/* in the ring */
	uint64_t seq;
	enum { JOB_FREE, JOB_QUEUED, JOB_DECODING, JOB_DECODED, JOB_READY } state;
};

/* The parser's place in the stored LZ4 stream. */
struct lz4par {
	bool off;               /* LZ4F decodes the rest */
	bool in_frame;
	bool first;             /* the next job is a frame's first */
	bool block_sums, content_sum, has_size;
	uint64_t size;
	uint32_t block_max;
	uint64_t total;         /* decoded bytes of the frame being checked */
};

/* Jobs by sequence number (slot seq % n): filled [.. fill), handed to
 * block threads from decode on, checked in order [.. sum), read [.. read). */
struct ring {
	pthread_t reader;
	pthread_t *workers;
	size_t nworkers;
	pthread_mutex_t lock;
	pthread_cond_t work, reader_wake, ready;
	struct job *jobs;
	size_t n;
	uint64_t fill, decode, sum, read;
	bool input_done;        /* the last job is filled, or checked */
	bool summed_last;       /* the last job is checked: pass over the rest */
	bool stop;
	bool ended;             /* stream_read has returned the last job */
};

struct stream {
	struct source *src;
	/* Decoded bytes returned so far, and how many before decoding moves to
	 * a thread of its own (stream_prefetch_after; never by default). */
	uint64_t delivered, prefetch_after;
	struct prefetch *pf;
	unsigned decoders;      /* stream_set_decoders */
	struct ring *ring;
	struct job *cur;        /* parallel decoding before the ring starts */
	bool par_plain;         /* a regular file read by block threads (pread) */
	uint64_t plain_next;    /* its offset for the next job */
	uint64_t plain_done;    /* ... after the last block hashed */
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
	/* gzip: ISA-L's inflate (2.3-2.5 times zlib's on this VM: dense CSV at
	 * -1 0.22 -> 0.53 GB/s, logs at -6 0.47 -> 1.20), since the reader
	 * alone decodes and a gzip export held --threads 2 to the decoder. */
	struct inflate_state *gz;
	bool gz_in_member;      /* inside a gzip member that has not ended */
	ZSTD_DStream *zstd;
	size_t zstd_hint;       /* 0 once a frame is complete */
	bool par;               /* LZ4 parsed here (struct job) */
	struct lz4par lp;
};

/* One read of up to n stored bytes into dst, hashed and counted: how many,
 * 0 at the end, or -1 with errbuf set (raw_eof set for both). */
static ssize_t read_stored(struct stream *st, char *dst, size_t n, char *errbuf, size_t errbuf_len)
{
	ssize_t r;
	do
		r = read(st->fd, dst, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "read failed: %s", strerror(errno));
		st->raw_eof = true;
		return -1;
	}
	if (r == 0) {
		st->raw_eof = true;
		return 0;
	}
	st->stored += (uint64_t)r;
	XXH3_128bits_update(st->hash, dst, (size_t)r);
	return r;
}

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
		ssize_t r = read_stored(st, st->raw + st->raw_len, st->raw_cap - st->raw_len, errbuf, errbuf_len);
		if (r <= 0)
			return r < 0 ? PIISCAN_ERR_IO : 0;
		st->raw_len += (size_t)r;
	}
	return 0;
}

/* Up to n stored bytes into dst: those already read, then straight from
 * the file (hashed and counted as top_up does). *got < n at the end. */
static int read_into(struct stream *st, char *dst, size_t n, size_t *got, char *errbuf, size_t errbuf_len)
{
	size_t have = MIN(n, st->raw_len - st->raw_pos);
	memcpy(dst, st->raw + st->raw_pos, have);
	st->raw_pos += have;
	while (have < n && !st->raw_eof) {
		ssize_t r = read_stored(st, dst + have, n - have, errbuf, errbuf_len);
		if (r < 0) {
			*got = have;
			return PIISCAN_ERR_IO;
		}
		have += (size_t)r;
	}
	*got = have;
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
		isal_inflate_init(st->gz);
		st->gz->crc_flag = ISAL_GZIP;
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

/* ---- parallel LZ4: the parser, a block's decoding, the checks in order ---- */

static uint32_t le32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void job_fail(struct job *j, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void job_fail(struct job *j, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->err, sizeof j->err, fmt, ap);
	va_end(ap);
	j->rc = rc;
	j->last = true;
}

static void job_room(char **p, size_t *cap, size_t want)
{
	if (*cap < want) {
		free(*p);
		*p = xmalloc(want);
		*cap = want;
	}
}

/* At a frame's start: parse and consume its header when it is one this
 * parser takes (independent blocks, no dictionary, a valid header
 * checksum); false leaves it to LZ4F, whose messages say what is wrong. */
static bool lz4par_header(struct stream *st)
{
	struct lz4par *lp = &st->lp;
	const char *h = st->raw + st->raw_pos;
	size_t avail = st->raw_len - st->raw_pos;
	if (avail < 7 || memcmp(h, "\x04\x22\x4D\x18", 4))
		return false;
	unsigned flg = (unsigned char)h[4], bd = (unsigned char)h[5];
	unsigned id = bd >> 4 & 7;
	if (flg >> 6 != 1 || (flg & 0x02) || !(flg & 0x20) || (flg & 0x01) || (bd & 0x8F) || id < 4)
		return false;
	size_t hlen = 7 + (flg & 0x08 ? 8 : 0);
	if (avail < hlen || (unsigned char)h[hlen - 1] != (XXH32(h + 4, hlen - 5, 0) >> 8 & 0xFF))
		return false;
	lp->block_max = 1u << (8 + 2 * id);
	lp->block_sums = flg & 0x10;
	lp->content_sum = flg & 0x04;
	lp->has_size = flg & 0x08;
	lp->size = lp->has_size ? (uint64_t)le32(h + 6) | (uint64_t)le32(h + 10) << 32 : 0;
	st->raw_pos += hlen;
	lp->in_frame = true;
	lp->first = true;
	return true;
}

/* The next job of the stream: a block (for lz4par_decode), a frame's end,
 * LZ4F's next output, the end, or an error. */
static void lz4par_fill(struct stream *st, struct job *j)
{
	struct lz4par *lp = &st->lp;
	int rc = 0;
	j->rc = 0;
	j->err[0] = '\0';
	j->last = j->block = j->plain = j->lz4f = j->frame_start = j->frame_end = false;
	j->data = NULL;
	j->len = j->pos = 0;
	j->at = stored_pos(st);
	if (!lp->in_frame && !lp->off) {
		rc = top_up(st, LZ4F_HEADER_SIZE_MAX, j->err, sizeof j->err);
		if (rc) {
			j->rc = rc;
			j->last = true;
		} else if (st->raw_pos == st->raw_len) {
			j->last = true;   /* the end, between frames */
		} else if (!lz4par_header(st)) {
			lp->off = true;
			st->raw_cap = LZ4_RAW_CAP;   /* LZ4F decodes in place from a whole block */
		}
		if (j->last)
			goto out;
	}
	if (lp->off) {
		job_room(&j->out, &j->out_cap, LZ4_BLOCK_MAX + 65536);
		j->lz4f = true;
		j->rc = read_lz4(st, j->out, j->out_cap, &j->len, j->err, sizeof j->err);
		j->data = j->out;
		j->last = j->rc || !j->len;
		goto out;
	}
	j->frame_start = lp->first;
	lp->first = false;
	j->sum_content = lp->content_sum;
	j->has_size = lp->has_size;
	j->content_size = lp->size;
	j->at = stored_pos(st);
	rc = top_up(st, 4, j->err, sizeof j->err);
	size_t avail = st->raw_len - st->raw_pos;
	if (rc || avail < 4)
		goto truncated;
	const char *b = st->raw + st->raw_pos;
	uint32_t bs = le32(b);
	if (bs == 0) {
		/* The end mark, and the content checksum after it. */
		size_t need = 4 + (lp->content_sum ? 4 : 0);
		rc = top_up(st, need, j->err, sizeof j->err);
		if (rc || st->raw_len - st->raw_pos < need)
			goto truncated;
		if (lp->content_sum)
			j->content_sum = le32(st->raw + st->raw_pos + 4);
		st->raw_pos += need;
		j->frame_end = true;
		lp->in_frame = false;
		goto out;
	}
	size_t size = bs & 0x7FFFFFFFu, need = size + (lp->block_sums ? 4 : 0), got;
	if (size > lp->block_max) {
		job_fail(j, PIISCAN_ERR_CORRUPT,
			 "corrupt LZ4 data near stored byte %llu: a block of %zu bytes in a frame of %u-byte blocks",
			 j->at, size, lp->block_max);
		goto out;
	}
	/* The block (and its checksum) straight into the job: raw holds
	 * little in this mode (stream_set_decoders), so most of a large block
	 * is read where it is decoded from. */
	st->raw_pos += 4;
	job_room(&j->in, &j->in_cap, lp->block_max + 4);
	rc = read_into(st, j->in, need, &got, j->err, sizeof j->err);
	if (rc || got < need) {
		if (!rc && (bs >> 31)) {
			/* What arrived of a stored block is the data itself. */
			j->data = j->in;
			j->len = MIN(got, size);
		}
		goto truncated;
	}
	job_room(&j->out, &j->out_cap, lp->block_max);
	j->in_len = size;
	j->block = true;
	j->compressed = !(bs >> 31);
	j->block_max = lp->block_max;
	j->check_block = lp->block_sums;
	if (lp->block_sums)
		j->block_sum = le32(j->in + size);
	goto out;
truncated:
	/* Or a read that failed (rc, its message in j->err). */
	st->raw_pos = st->raw_len;
	if (rc) {
		j->rc = rc;
	} else {
		snprintf(j->err, sizeof j->err, "truncated LZ4 frame: input ends inside a frame");
		j->rc = PIISCAN_ERR_TRUNCATED;
	}
	j->last = true;
out:
	j->stored = st->stored;
}

/* A block's own work, in any thread: its checksum, its decompression. */
static void lz4par_decode(struct job *j)
{
	if (!j->block)
		return;
	if (j->check_block && XXH32(j->in, j->in_len, 0) != j->block_sum) {
		job_fail(j, PIISCAN_ERR_CORRUPT, "corrupt LZ4 data near stored byte %llu: a block fails its checksum", j->at);
		return;
	}
	if (!j->compressed) {
		j->data = j->in;
		j->len = j->in_len;
		return;
	}
	int r = LZ4_decompress_safe(j->in, j->out, (int)j->in_len, (int)j->block_max);
	if (r < 0) {
		job_fail(j, PIISCAN_ERR_CORRUPT, "corrupt LZ4 data near stored byte %llu: a block does not decode", j->at);
		return;
	}
	j->data = j->out;
	j->len = (size_t)r;
}

/* The checks over a frame's whole content, job by job in stream order. */
static void lz4par_finish(struct stream *st, struct job *j)
{
	struct lz4par *lp = &st->lp;
	if (j->lz4f || j->rc)
		return;
	if (j->frame_start) {
		XXH32_reset(st->lz4_sum, 0);
		lp->total = 0;
	}
	if (j->sum_content && j->len)
		XXH32_update(st->lz4_sum, j->data, j->len);
	lp->total += j->len;
	if (!j->frame_end)
		return;
	if (j->has_size && lp->total != j->content_size)
		job_fail(j, PIISCAN_ERR_CORRUPT,
			 "corrupt LZ4 data: the frame ending at stored byte %llu holds %llu bytes, its header says %llu",
			 j->at, (unsigned long long)lp->total, (unsigned long long)j->content_size);
	else if (j->sum_content && XXH32_digest(st->lz4_sum) != j->content_sum)
		job_fail(j, PIISCAN_ERR_CORRUPT,
			 "corrupt LZ4 data: the frame ending at stored byte %llu fails its content checksum", j->at);
}

/* Copy out of job j into dst[*o..cap): true once j is used up. */
static bool job_take(struct job *j, char *dst, size_t cap, size_t *o)
{
	size_t k = MIN(cap - *o, j->len - j->pos);
	if (k)
		memcpy(dst + *o, j->data + j->pos, k);
	j->pos += k;
	*o += k;
	return j->pos == j->len;
}

/* stream_read in the caller's thread, a job at a time. */
static int read_par(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	struct job *j = st->cur;
	size_t o = 0;
	for (;;) {
		if (!job_take(j, dst, cap, &o))
			break;
		if (j->last) {
			if (j->rc)
				snprintf(errbuf, errbuf_len, "%s", j->err);
			st->done = true;
			*n = o;
			return j->rc;
		}
		if (o == cap)
			break;
		lz4par_fill(st, j);
		lz4par_decode(j);
		lz4par_finish(st, j);
	}
	*n = o;
	return 0;
}

/* What an ISA-L inflate error means, in zlib's words. */
static const char *gzip_error(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK: return "invalid block type or lengths";
	case ISAL_INVALID_SYMBOL: return "invalid code";
	case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER: return "incorrect header check";
	case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
	default: return "corrupt deflate stream";
	}
}

static int read_gzip(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	struct inflate_state *z = st->gz;
	size_t o = 0;
	while (o < cap) {
		int rc = fill(st, errbuf, errbuf_len);
		if (rc)
			return *n = o, rc;
		/* At the end of the input the decoder may still hold bytes it
		 * read ahead: it is called with none until it ends the member or
		 * makes no progress. */
		bool at_end = st->raw_pos == st->raw_len;
		if (at_end && !st->gz_in_member)
			break;
		if (!st->gz_in_member) {
			/* Another member follows (concatenated gzip files). */
			isal_inflate_reset(z);
			z->crc_flag = ISAL_GZIP;
			st->gz_in_member = true;
		}
		z->next_in = (uint8_t *)st->raw + st->raw_pos;
		z->avail_in = (uint32_t)MIN(st->raw_len - st->raw_pos, (size_t)UINT32_MAX);
		z->next_out = (uint8_t *)dst + o;
		z->avail_out = (uint32_t)MIN(cap - o, (size_t)UINT32_MAX);
		int zr = isal_inflate(z);
		size_t used = (size_t)(z->next_in - ((uint8_t *)st->raw + st->raw_pos));
		size_t made = (size_t)((char *)z->next_out - (dst + o));
		st->raw_pos += used;
		o += made;
		if (zr < 0) {
			snprintf(errbuf, errbuf_len, "corrupt gzip data near stored byte %llu: %s", stored_pos(st),
				 gzip_error(zr));
			st->done = true;
			*n = o;
			return PIISCAN_ERR_CORRUPT;
		}
		if (z->block_state == ISAL_BLOCK_FINISH) {
			st->gz_in_member = false;
		} else if (used == 0 && made == 0) {
			if (at_end) {
				snprintf(errbuf, errbuf_len, "truncated gzip member: input ends inside it");
				st->done = true;
				*n = o;
				return PIISCAN_ERR_TRUNCATED;
			}
			break;
		}
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
		int rc = st->par ? read_par(st, dst, cap, n, errbuf, errbuf_len)
			: st->lz4 ? read_lz4(st, dst, cap, n, errbuf, errbuf_len)
			: st->gz ? read_gzip(st, dst, cap, n, errbuf, errbuf_len)
			: read_zstd(st, dst, cap, n, errbuf, errbuf_len);
		if (rc || *n == 0)
			st->done = true;
		return rc;
	}
	if (st->raw_pos == st->raw_len && !st->raw_eof) {
		/* Plain bytes, nothing buffered: read straight into dst (a copy
		 * less for every byte of the input). */
		ssize_t r = read_stored(st, dst, cap, errbuf, errbuf_len);
		if (r <= 0) {
			st->done = true;
			return r < 0 ? PIISCAN_ERR_IO : 0;
		}
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

/* ---- plain regular files: blocks read side by side ---- */

#define PLAIN_BLOCK (1u << 20)

/* The next block of the file, for a block thread to read. */
static void plain_fill(struct stream *st, struct job *j)
{
	j->rc = 0;
	j->err[0] = '\0';
	j->last = j->lz4f = j->frame_start = j->frame_end = false;
	j->data = NULL;
	j->len = j->pos = 0;
	j->block = j->plain = true;
	j->fd = st->fd;
	j->off = st->plain_next;
	j->want = PLAIN_BLOCK;
	st->plain_next += PLAIN_BLOCK;
	/* read after a headroom, so that the block can be handed over whole
	 * with bytes in front of it (stream_swap_block) */
	job_room(&j->in, &j->in_cap, STREAM_HEADROOM + PLAIN_BLOCK);
}

/* A block thread's read: short at the end of the file. */
static void plain_read(struct job *j)
{
	size_t got = 0;
	char *in = j->in + STREAM_HEADROOM;
	while (got < j->want) {
		ssize_t r = pread(j->fd, in + got, j->want - got, (off_t)(j->off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			job_fail(j, PIISCAN_ERR_IO, "read failed: %s", strerror(errno));
			break;
		}
		if (r == 0) {
			j->last = true;
			break;
		}
		got += (size_t)r;
	}
	j->data = in;
	j->len = got;
}

/* In order: the stored bytes' hash and count. */
static void plain_finish(struct stream *st, struct job *j)
{
	if (j->len)
		XXH3_128bits_update(st->hash, j->data, j->len);
	st->stored += j->len;
	st->plain_done = j->off + j->len;
	j->stored = st->stored;
}

static void job_fill(struct stream *st, struct job *j)
{
	if (st->par_plain)
		plain_fill(st, j);
	else
		lz4par_fill(st, j);
}

static void job_decode(struct job *j)
{
	if (j->plain)
		plain_read(j);
	else
		lz4par_decode(j);
}

static void job_finish(struct stream *st, struct job *j)
{
	if (j->plain)
		plain_finish(st, j);
	else
		lz4par_finish(st, j);
}

/* ---- parallel decoding: the ring of jobs and its threads ---- */

static struct job *ring_job(struct ring *rg, uint64_t seq)
{
	return &rg->jobs[seq % rg->n];
}

/* A block thread: the next queued job, decoded outside the lock. */
static void *ring_worker(void *arg)
{
	struct ring *rg = arg;
	pthread_mutex_lock(&rg->lock);
	for (;;) {
		while (rg->decode < rg->fill &&
		       !(ring_job(rg, rg->decode)->seq == rg->decode && ring_job(rg, rg->decode)->state == JOB_QUEUED))
			rg->decode++;
		if (rg->stop)
			break;
		if (rg->decode == rg->fill) {
			pthread_cond_wait(&rg->work, &rg->lock);
			continue;
		}
		struct job *j = ring_job(rg, rg->decode++);
		j->state = JOB_DECODING;
		pthread_mutex_unlock(&rg->lock);
		job_decode(j);
		pthread_mutex_lock(&rg->lock);
		j->state = JOB_DECODED;
		pthread_cond_signal(&rg->reader_wake);
	}
	pthread_mutex_unlock(&rg->lock);
	return NULL;
}

/* The reading thread: fills free slots in order and checks decoded jobs
 * in order, whichever can go on. */
static void *ring_reader(void *arg)
{
	struct stream *st = arg;
	struct ring *rg = st->ring;
	pthread_mutex_lock(&rg->lock);
	while (!rg->stop) {
		struct job *j = ring_job(rg, rg->sum);
		if (rg->sum < rg->fill && j->state == JOB_DECODED) {
			/* After the last job (the end or an error found by a block
			 * thread) the jobs filled ahead are never read: not hashed
			 * or checked either. */
			bool skip = rg->summed_last;
			pthread_mutex_unlock(&rg->lock);
			if (!skip)
				job_finish(st, j);
			pthread_mutex_lock(&rg->lock);
			j->state = JOB_READY;
			if (j->last)
				rg->input_done = rg->summed_last = true;   /* read no further */
			rg->sum++;
			pthread_cond_signal(&rg->ready);
			continue;
		}
		if (!rg->input_done && rg->fill - rg->read < rg->n) {
			j = ring_job(rg, rg->fill);
			pthread_mutex_unlock(&rg->lock);
			job_fill(st, j);
			pthread_mutex_lock(&rg->lock);
			j->seq = rg->fill++;
			j->state = j->block ? JOB_QUEUED : JOB_DECODED;
			if (j->last)
				rg->input_done = true;
			if (j->block)
				pthread_cond_signal(&rg->work);
			continue;
		}
		if (rg->input_done && rg->sum == rg->fill)
			break;
		pthread_cond_wait(&rg->reader_wake, &rg->lock);
	}
	pthread_mutex_unlock(&rg->lock);
	return NULL;
}

static void ring_free(struct ring *rg)
{
	pthread_mutex_destroy(&rg->lock);
	pthread_cond_destroy(&rg->work);
	pthread_cond_destroy(&rg->reader_wake);
	pthread_cond_destroy(&rg->ready);
	for (size_t i = 0; i < rg->n; i++) {
		free(rg->jobs[i].in);
		free(rg->jobs[i].out);
	}
	free(rg->jobs);
	free(rg->workers);
	free(rg);
}

/* Tell the ring's threads to stop after what they are doing. */
static void ring_halt(struct ring *rg)
{
	pthread_mutex_lock(&rg->lock);
	rg->stop = true;
	pthread_cond_broadcast(&rg->work);
	pthread_cond_signal(&rg->reader_wake);
	pthread_mutex_unlock(&rg->lock);
}

static void ring_stop(struct stream *st)
{
	struct ring *rg = st->ring;
	ring_halt(rg);
	pthread_join(rg->reader, NULL);
	for (size_t i = 0; i < rg->nworkers; i++)
		pthread_join(rg->workers[i], NULL);
	ring_free(rg);
	st->ring = NULL;
}

/* Hand the stream over to the ring: the caller's current job (what it has
 * not yet taken of it) is the ring's first. False, with nothing changed,
 * when a thread cannot be started. */
static bool ring_start(struct stream *st)
{
	struct ring *rg = xcalloc(1, sizeof *rg);
	rg->nworkers = st->decoders;
	rg->n = rg->nworkers + 3;
	rg->jobs = xcalloc(rg->n, sizeof *rg->jobs);
	rg->workers = xcalloc(rg->nworkers, sizeof *rg->workers);
	pthread_mutex_init(&rg->lock, NULL);
	pthread_cond_init(&rg->work, NULL);
	pthread_cond_init(&rg->reader_wake, NULL);
	pthread_cond_init(&rg->ready, NULL);
	size_t left = 0;
	if (st->par_plain) {
		/* What the caller's reads left in raw is the first job; the
		 * block threads go on from the file's offset. */
		off_t at = lseek(st->fd, 0, SEEK_CUR);
		if (at < 0) {
			ring_free(rg);
			return false;
		}
		struct job *j = st->cur;
		left = st->raw_len - st->raw_pos;
		job_room(&j->in, &j->in_cap, left ? left : 1);
		memcpy(j->in, st->raw + st->raw_pos, left);
		st->raw_pos = st->raw_len;
		j->data = j->in;
		j->len = left;
		j->pos = 0;
		j->stored = st->stored;
		st->plain_next = st->plain_done = (uint64_t)at;
	}
	struct job *first = &rg->jobs[0];
	*first = *st->cur;
	memset(st->cur, 0, sizeof *st->cur);
	first->seq = 0;
	first->state = JOB_READY;
	rg->fill = rg->decode = rg->sum = 1;
	st->ring = rg;
	/* The block threads first: until the reading thread runs they have
	 * nothing to do, so a failure leaves the stream as it was. */
	size_t started = 0;
	bool ok = true;
	for (; ok && started < rg->nworkers; started++)
		ok = !pthread_create(&rg->workers[started], NULL, ring_worker, rg);
	if (ok && !pthread_create(&rg->reader, NULL, ring_reader, st))
		return true;
	rg->nworkers = ok ? started : started - 1;
	ring_halt(rg);
	for (size_t i = 0; i < rg->nworkers; i++)
		pthread_join(rg->workers[i], NULL);
	*st->cur = *first;
	memset(first, 0, sizeof *first);
	if (st->par_plain) {
		st->raw_pos -= left;   /* a plain file's first job: back to raw */
		st->cur->len = 0;
	}
	ring_free(rg);
	st->ring = NULL;
	return false;
}

/* The next job in order, once it is checked and ready to be read. */
static struct job *ring_next_ready(struct ring *rg)
{
	pthread_mutex_lock(&rg->lock);
	while (rg->read == rg->sum)
		pthread_cond_wait(&rg->ready, &rg->lock);
	pthread_mutex_unlock(&rg->lock);
	return ring_job(rg, rg->read);
}

/* That job read: its slot goes back to be filled. */
static void ring_release(struct ring *rg, struct job *j)
{
	pthread_mutex_lock(&rg->lock);
	j->state = JOB_FREE;
	rg->read++;
	pthread_cond_signal(&rg->reader_wake);
	pthread_mutex_unlock(&rg->lock);
}

/* stream_read from the ring: the ready jobs, in order; a frame's end
 * (no bytes) is passed over. */
static int take_ring(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	struct ring *rg = st->ring;
	size_t o = 0;
	*n = 0;
	if (rg->ended)
		return 0;
	for (;;) {
		struct job *j = ring_next_ready(rg);
		bool used = job_take(j, dst, cap, &o);
		st->src->bytes_stored = j->stored;
		if (!used)
			break;
		if (j->last) {
			rg->ended = true;
			if (j->rc)
				snprintf(errbuf, errbuf_len, "%s", j->err);
			*n = o;
			return j->rc;
		}
		ring_release(rg, j);
		if (o)
			break;
	}
	*n = o;
	return 0;
}

bool stream_swap_block(struct stream *st, char **buf, size_t *cap, const char *keep, size_t keep_len,
		       size_t *len)
{
	struct ring *rg = st->ring;
	if (!rg || !st->par_plain || rg->ended || keep_len > STREAM_HEADROOM)
		return false;
	struct job *j = ring_next_ready(rg);
	if (j->last || j->pos || !j->len)
		return false;
	/* keep may lie in *buf: copied before that memory is the ring's */
	if (keep_len)
		memcpy(j->in + STREAM_HEADROOM - keep_len, keep, keep_len);
	char *mine = j->in;
	size_t mine_cap = j->in_cap;
	*len = j->len;
	j->in = *buf;
	j->in_cap = *buf ? *cap : 0;
	j->data = NULL;
	j->len = 0;
	*buf = mine;
	*cap = mine_cap;
	st->src->bytes_stored = j->stored;
	ring_release(rg, j);
	return true;
}

size_t stream_block_left(struct stream *st)
{
	struct ring *rg = st->ring;
	size_t left = 0;
	if (!rg || !st->par_plain || rg->ended)
		return 0;
	pthread_mutex_lock(&rg->lock);
	if (rg->read < rg->sum) {
		const struct job *j = ring_job(rg, rg->read);
		if (j->pos)
			left = j->len - j->pos;
	}
	pthread_mutex_unlock(&rg->lock);
	return left;
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

void stream_set_decoders(struct stream *st, unsigned n)
{
	st->decoders = n;
	/* LZ4 is parsed here from the start, so that the ring can take over
	 * between any two blocks. */
	if (n < 2 || st->delivered || st->pf || st->par || st->par_plain)
		return;
	if (st->lz4) {
		st->par = true;
		st->raw_cap = PAR_RAW_CAP;
	} else {
		/* A regular file, uncompressed: its blocks can be read at their
		 * offsets by several threads (pread), hashed in order. */
		struct stat sb;
		if (st->gz || st->zstd || fstat(st->fd, &sb) || !S_ISREG(sb.st_mode))
			return;
		st->par_plain = true;
	}
	st->cur = xcalloc(1, sizeof *st->cur);
}

int stream_read(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len)
{
	if (!st->pf && !st->ring && st->delivered >= st->prefetch_after && !st->done) {
		if (!(st->par || st->par_plain) || !ring_start(st))
			prefetch_start(st);
	}
	if (st->ring)
		return take_ring(st, dst, cap, n, errbuf, errbuf_len);
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
	if (st->ring) {
		ring_stop(st);
		if (st->par_plain && lseek(st->fd, (off_t)st->plain_done, SEEK_SET) >= 0) {
			/* The rest is read from the last block hashed on. */
			st->raw_pos = st->raw_len = 0;
			st->raw_eof = false;
		}
	}
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
	if (st->cur) {
		free(st->cur->in);
		free(st->cur->out);
		free(st->cur);
	}
	free(st->gz);
	if (st->zstd)
		ZSTD_freeDStream(st->zstd);
	XXH3_freeState(st->hash);
	free(st->raw);
	free(st);
}
