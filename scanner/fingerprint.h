/* Keyed fingerprints of normalised values: SipHash-2-4 with a 128-bit
 * output (libsodium's crypto_shorthash_siphashx24), cheap enough to run on
 * every finding. The key never leaves the process; the manifest carries
 * only its id. An unkeyed hash of a phone number could be reversed by
 * hashing all numbers, which is why there is always a key. */
#ifndef PIISCAN_FINGERPRINT_H
#define PIISCAN_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FINGERPRINT_ALGORITHM "siphashx24-128"
#define FINGERPRINT_HEX_LEN 32
#define FINGERPRINT_BYTES 16
/* Values longer than this are hashed one at a time by fingerprint_batch. */
#define FINGERPRINT_BATCH_MAX_LEN 256

struct fingerprint_key {
	uint8_t k[16];
	char id[17];          /* hex of 8 bytes derived from the key */
	const char *origin;   /* "file", "env" or "random" */
};

/* Load the key: from file if given (its bytes, at least 16), else from the
 * PIISCAN_FINGERPRINT_KEY environment variable (at least 16 characters),
 * else a random per-run key. The material is hashed into a 16-byte key.
 * Returns 0 or a negative code with errbuf filled. */
int fingerprint_key_load(struct fingerprint_key *fk, const char *file, char *errbuf, size_t errbuf_len);

/* Write the 32 lower-case hex characters (and a NUL) of the fingerprint of
 * v[0..len) to hex. Thread-safe. */
void fingerprint_hex(const struct fingerprint_key *fk, const char *v, size_t len, char hex[FINGERPRINT_HEX_LEN + 1]);

/* The 16 bytes of the fingerprint of v[0..len). Thread-safe. */
void fingerprint_raw(const struct fingerprint_key *fk, const char *v, size_t len,
		     unsigned char out[FINGERPRINT_BYTES]);

/* The fingerprints of n values at once: the same bytes as fingerprint_raw
 * for each, eight at a time with AVX-512 where the CPU has it and simd is
 * true (false: one at a time, for tests). The values are read in whole
 * 8-byte words: v[i] must be readable up to len[i] rounded up to a
 * multiple of 8. Thread-safe. */
void fingerprint_batch(const struct fingerprint_key *fk, size_t n, const char *const v[], const size_t len[],
		       unsigned char out[][FINGERPRINT_BYTES], bool simd);

#endif
