/* libFuzzer target for the decompressing reader (scanner/stream.c): the
 * input, behind a compression magic number (LZ4 frame most of the time;
 * gzip and zstd as well, chosen by the first byte), is written to a file
 * and read to its end in reads of a size the input chooses, by the caller's
 * thread or (odd sizes) by a decoder thread of its own. Whatever the
 * bytes, the reader must stop (with data, the end, or an error code it
 * documents), and the stored-byte count and XXH3-128 hash must describe
 * the whole file. LZ4 is read a second time with its blocks parsed by the
 * reader and decoded side by side (stream_set_decoders): where either
 * reading succeeds, both must, with the same bytes. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

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
	size_t which = (ctl & 0xC0) == 0x40 ? 1 : (ctl & 0xC0) == 0x80 ? 2 : 0;
	size_t cap = 1 + ((size_t)(ctl & 0x3F) << 10) + (ctl & 7);   /* 1 .. 64 KiB */
	size_t flen = magics[which].len + size - 1;
	uint8_t *file = malloc(flen);
	memcpy(file, magics[which].magic, magics[which].len);
	memcpy(file + magics[which].len, data + 1, size - 1);
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(file, 1, flen, fp) != flen)
		abort();
	fclose(fp);

	/* mode 0: as the input's size says; 1: LZ4 again, its blocks decoded
	 * side by side (stream_set_decoders), to compare with mode 0. */
	struct outcome a, b;
	read_file(file, flen, which, cap, size & 1 ? 0 : -1, 0, &a);
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
