/* The decompressing reader: the bytes of one source as the scanner sees
 * them (LZ4 frames decoded on the fly, streaming), while it hashes and
 * counts the bytes as stored. This is the only user of liblz4 (and, with
 * the dumps issue, of zlib and libzstd). */
#ifndef PIISCAN_STREAM_H
#define PIISCAN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source.h"

struct stream;

/* Open src->path ("-" is stdin) and detect its compression from its first
 * bytes (the LZ4 frame magic), setting src->compression. Returns 0, or a
 * negative code with errbuf holding the cause. */
int stream_open(struct source *src, struct stream **out, char *errbuf, size_t errbuf_len);

/* Read up to cap decompressed bytes into dst; *n = 0 at the end. Returns 0,
 * or a negative code (PIISCAN_ERR_IO, _CORRUPT, _TRUNCATED) with errbuf
 * set. The call that meets the damage still returns, in *n, what it decoded
 * before it: use those bytes, then stop (the stream is at its end). */
int stream_read(struct stream *st, char *dst, size_t cap, size_t *n, char *errbuf, size_t errbuf_len);

/* Bytes in front of a block stream_swap_block hands over. */
#define STREAM_HEADROOM (64u << 10)

/* For a caller that would have stream_read copy a whole block of a plain
 * file read side by side (stream_set_decoders): the block's own memory
 * instead, in exchange for *buf (NULL, or *cap bytes from malloc), with
 * keep[0..keep_len) (at most STREAM_HEADROOM bytes, which may lie in *buf)
 * written right in front of the block. On true, *buf (of *cap bytes)
 * holds the block's *len bytes at *buf + STREAM_HEADROOM, keep before
 * them. False when there is no block to take whole (other input, the ring
 * not started, a block partly read, the last one) or keep does not fit:
 * *buf is unchanged and stream_read goes on from where it was. */
bool stream_swap_block(struct stream *st, char **buf, size_t *cap, const char *keep, size_t keep_len,
		       size_t *len);

/* Bytes left of a block stream_read has begun to copy out, where
 * stream_swap_block could hand over the next ones whole; else 0. */
size_t stream_block_left(struct stream *st);

/* The smallest dst that lets the decoder write into it directly (LZ4: a
 * whole block), or 0 when any size does as well. */
size_t stream_read_size(const struct stream *st);

/* Move decoding (reading, decompressing, hashing) to a thread of its own
 * once stream_read has returned this many bytes, so that the caller frames
 * one block while the next ones are decoded (three blocks ahead at most);
 * 0 starts it at the next read. By default decoding stays in the caller's
 * thread. stream_read's contract is the same either way; bytes_stored then
 * counts what the decoder has read ahead too. */
void stream_prefetch_after(struct stream *st, uint64_t bytes);

/* Decode with n threads (n >= 2; call before the first read), once
 * decoding moves off the caller's thread (stream_prefetch_after): LZ4
 * frames of independent blocks, lz4's default, have their blocks
 * decompressed side by side, and a regular uncompressed file its blocks
 * read side by side (pread), behind one thread that reads or hashes and
 * checks them in order. Other input (gzip, zstd, pipes, other LZ4 frames)
 * uses the one decoder thread. stream_read's contract is the same. */
void stream_set_decoders(struct stream *st, unsigned n);

/* Close the stream. With finish_hash, the rest of the stored bytes is read
 * and hashed (an interrupted run skips this) and the hash goes to src. */
void stream_close(struct stream *st, bool finish_hash);

#endif
