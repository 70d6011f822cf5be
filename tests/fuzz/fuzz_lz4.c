/* libFuzzer target for the decompressing reader (scanner/stream.c): the
 * input, behind a compression magic number (LZ4 frame most of the time;
 * gzip and zstd as well, chosen by the first byte), is written to a file
 * and read to its end in reads of a size the input chooses, by the caller's
 * thread or (odd sizes) by a decoder thread of its own. Whatever the
 * bytes, the reader must stop (with data, the end, or an error code it
 * documents), and the stored-byte count and XXH3-128 hash must describe
 * the whole file. LZ4 is read a second time with its blocks parsed by the
 * reader and decoded side by side (stream_set_decoders): where either
 * reading succeeds, both must, with the same bytes. gzip (decoded with
 * ISA-L) is decoded by zlib too: where either reads to the end without an
 * error, both must, with the same bytes; and one control byte in four
 * (0xC0..0xFF) makes the input valid gzip instead (the rest of the input
 * deflated by zlib into one to three members), which must come back
 * whole. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "error.h"
#include "fuzz.h"
#include "source.h"
#include "stream.h"

/* Stop reading after this much output: a few kilobytes of zstd can claim
 * gigabytes of run-length blocks. */
#define OUTPUT_MAX (64u << 20)

static char path[64];

struct outcome {
	int rc;
	bool cut;              /* stopped at OUTPUT_MAX */
	size_t total;
	XXH64_hash_t sum;      /* of the decoded bytes */
};

/* Read the file to its end in reads of cap bytes: the decoder thread from
 * after prefetch bytes (-1: never), decoders block threads for LZ4 (0:
 * none). Checks what holds of any stream. */
static void read_file(const uint8_t *file, size_t flen, size_t which, size_t cap, long long prefetch,
		      unsigned decoders, struct outcome *out)
{
	static char *buf;
	if (!buf)
		buf = malloc(1 << 16);
	struct source *src = source_new(0, path);
	struct stream *st;
	char eb[256];
	int rc = stream_open(src, &st, eb, sizeof eb);
	FUZZ_ASSERT(rc == 0);
	if (decoders)
		stream_set_decoders(st, decoders);
	if (prefetch >= 0)
		stream_prefetch_after(st, (uint64_t)prefetch);
	FUZZ_ASSERT(src->compression == (which == 0 ? COMPRESSION_LZ4 : which == 1 ? COMPRESSION_GZIP
									     : COMPRESSION_ZSTD));
	XXH64_state_t *h = XXH64_createState();
	XXH64_reset(h, 0);
	size_t total = 0;
	bool ended = false;
	rc = 0;
	while (total < OUTPUT_MAX) {
		size_t n = (size_t)-1;
		rc = stream_read(st, buf, cap, &n, eb, sizeof eb);
		FUZZ_ASSERT(n <= cap);
		total += n;
		XXH64_update(h, buf, n);
		if (rc) {
			FUZZ_ASSERT(rc == PIISCAN_ERR_CORRUPT || rc == PIISCAN_ERR_TRUNCATED);
			FUZZ_ASSERT(eb[0] != '\0');
			ended = true;
			break;
		}
		if (n == 0) {
			ended = true;
			break;
		}
	}
	if (ended) {
		/* At its end the stream stays there. */
		size_t n = (size_t)-1;
		FUZZ_ASSERT(stream_read(st, buf, cap, &n, eb, sizeof eb) == 0 && n == 0);
	}
	stream_close(st, true);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(file, flen));
	FUZZ_ASSERT(src->bytes_stored == flen);
	FUZZ_ASSERT(src->hashed);
	FUZZ_ASSERT(!memcmp(src->hash, c.digest, 16));
	source_free(src);
	out->cut = !ended;
	out->rc = rc;
	out->total = total;
	out->sum = XXH64_digest(h);
	XXH64_freeState(h);
}

/* file decoded by zlib as gzip members end to end, up to OUTPUT_MAX: 0
 * when every member ends cleanly (and *total, *sum of the bytes), else -1. */
static int zlib_gunzip(const uint8_t *file, size_t flen, size_t *total, XXH64_hash_t *sum)
{
	static unsigned char out[1 << 16];
	XXH64_state_t *h = XXH64_createState();
	XXH64_reset(h, 0);
	z_stream z;
	memset(&z, 0, sizeof z);
	int rc = inflateInit2(&z, 16 + MAX_WBITS) == Z_OK ? 0 : -1;
	size_t pos = 0, made = 0;
	while (!rc && pos < flen && made < OUTPUT_MAX) {
		inflateReset(&z);
		z.next_in = (Bytef *)file + pos;
		z.avail_in = (uInt)(flen - pos);
		int zr;
		do {
			z.next_out = out;
			z.avail_out = sizeof out;
			zr = inflate(&z, Z_NO_FLUSH);
			size_t n = sizeof out - z.avail_out;
			XXH64_update(h, out, n);
			made += n;
		} while (zr == Z_OK && made < OUTPUT_MAX);
		if (zr != Z_STREAM_END && made < OUTPUT_MAX)
			rc = -1;
		pos = flen - z.avail_in;
	}
	inflateEnd(&z);
	*total = made;
	*sum = XXH64_digest(h);
	XXH64_freeState(h);
	return made >= OUTPUT_MAX ? -2 : rc;
}

/* data deflated by zlib as gzip, cut into members where the bytes say. */
static uint8_t *zlib_gzip(const uint8_t *data, size_t size, size_t *flen)
{
	size_t cuts[2] = { size ? data[0] % (size + 1) : 0, size > 1 ? data[1] % (size + 1) : 0 };
	if (cuts[0] > cuts[1]) {
		size_t t = cuts[0];
		cuts[0] = cuts[1];
		cuts[1] = t;
	}
	size_t from[3] = { 0, cuts[0], cuts[1] }, to[3] = { cuts[0], cuts[1], size };
	size_t cap = 3 * (size + 64) + 1024, len = 0;
	uint8_t *out = malloc(cap);
	for (int k = 0; k < 3; k++) {
		if (k && from[k] == to[k] && (size & 1))
			continue;   /* sometimes no empty member */
		z_stream z;
		memset(&z, 0, sizeof z);
		if (deflateInit2(&z, (int)(size % 10), Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			abort();
		z.next_in = (Bytef *)data + from[k];
		z.avail_in = (uInt)(to[k] - from[k]);
		z.next_out = out + len;
		z.avail_out = (uInt)(cap - len);
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			abort();
		len += z.total_out;
		deflateEnd(&z);
	}
	*flen = len;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0])
		snprintf(path, sizeof path, "/tmp/piiscan-fuzz-lz4-%ld", (long)getpid());
	if (size < 1)
		return 0;
	static const struct {
		const char *magic;
		size_t len;
	} magics[] = { { "\x04\x22\x4D\x18", 4 }, { "\x1F\x8B", 2 }, { "\x28\xB5\x2F\xFD", 4 } };
	uint8_t ctl = data[0];
	bool valid_gzip = (ctl & 0xC0) == 0xC0;
	size_t which = (ctl & 0xC0) == 0x40 || valid_gzip ? 1 : (ctl & 0xC0) == 0x80 ? 2 : 0;
	size_t cap = 1 + ((size_t)(ctl & 0x3F) << 10) + (ctl & 7);   /* 1 .. 64 KiB */
	size_t flen;
	uint8_t *file;
	if (valid_gzip) {
		file = zlib_gzip(data + 1, size - 1, &flen);
	} else {
		flen = magics[which].len + size - 1;
		file = malloc(flen);
		memcpy(file, magics[which].magic, magics[which].len);
		memcpy(file + magics[which].len, data + 1, size - 1);
	}
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(file, 1, flen, fp) != flen)
		abort();
	fclose(fp);

	/* mode 0: as the input's size says; 1: LZ4 again, its blocks decoded
	 * side by side (stream_set_decoders), to compare with mode 0. */
	struct outcome a, b;
	read_file(file, flen, which, cap, size & 1 ? 0 : -1, 0, &a);
	if (valid_gzip) {
		FUZZ_ASSERT(a.rc == 0 && !a.cut && a.total == size - 1);
		FUZZ_ASSERT(a.sum == XXH64(data + 1, size - 1, 0));
	} else if (which == 1) {
		/* ISA-L and zlib agree on what is whole gzip. */
		size_t total;
		XXH64_hash_t sum;
		int zr = zlib_gunzip(file, flen, &total, &sum);
		if (!a.cut && zr != -2) {
			FUZZ_ASSERT((a.rc == 0) == (zr == 0));
			FUZZ_ASSERT(a.rc || (a.total == total && a.sum == sum));
		}
	}
	if (which == 0) {
		static const long long after[] = { -1, 0, 1000, 20000 };
		read_file(file, flen, which, cap, after[ctl & 3], 2 + (ctl >> 6 & 1), &b);
		/* LZ4F and the block parser agree on what is whole: the same
		 * bytes where either reads to the end without an error. */
		if (!a.cut && !b.cut) {
			FUZZ_ASSERT((a.rc == 0) == (b.rc == 0));
			FUZZ_ASSERT(a.rc || (a.total == b.total && a.sum == b.sum));
		}
	}
	unlink(path);
	free(file);
	return 0;
}
