/* The only user of libsodium: key derivation and SipHash fingerprints. */
#include "fingerprint.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_SIP8 1
#endif

static void derive(struct fingerprint_key *fk, const void *material, size_t len)
{
	static const unsigned char domain[] = "piiscan fingerprint key v1";
	unsigned char idh[8];
	crypto_generichash(fk->k, sizeof fk->k, material, len, domain, sizeof domain - 1);
	crypto_generichash(idh, sizeof idh, fk->k, sizeof fk->k, NULL, 0);
	util_hex(fk->id, idh, sizeof idh);
}

int fingerprint_key_load(struct fingerprint_key *fk, const char *file, char *errbuf, size_t errbuf_len)
{
	if (sodium_init() < 0) {
		snprintf(errbuf, errbuf_len, "libsodium failed to initialise");
		return PIISCAN_ERR_KEY;
	}
	if (file) {
		unsigned char material[4096];
		FILE *f = fopen(file, "rb");
		if (!f) {
			snprintf(errbuf, errbuf_len, "cannot open fingerprint key '%s': %s", file, strerror(errno));
			return PIISCAN_ERR_KEY;
		}
		size_t n = fread(material, 1, sizeof material, f);
		fclose(f);
		if (n < 16) {
			snprintf(errbuf, errbuf_len, "fingerprint key '%s' is too short: need at least 16 bytes", file);
			return PIISCAN_ERR_KEY;
		}
		derive(fk, material, n);
		sodium_memzero(material, sizeof material);
		fk->origin = "file";
		return 0;
	}
	const char *env = getenv("PIISCAN_FINGERPRINT_KEY");
	if (env && *env) {
		if (strlen(env) < 16) {
			snprintf(errbuf, errbuf_len, "PIISCAN_FINGERPRINT_KEY is too short: need at least 16 characters");
			return PIISCAN_ERR_KEY;
		}
		derive(fk, env, strlen(env));
		fk->origin = "env";
		return 0;
	}
	unsigned char r[32];
	randombytes_buf(r, sizeof r);
	derive(fk, r, sizeof r);
	sodium_memzero(r, sizeof r);
	fk->origin = "random";
	return 0;
}

void fingerprint_hex(const struct fingerprint_key *fk, const char *v, size_t len, char hex[FINGERPRINT_HEX_LEN + 1])
{
	unsigned char h[crypto_shorthash_siphashx24_BYTES];
	crypto_shorthash_siphashx24(h, (const unsigned char *)v, len, fk->k);
	util_hex(hex, h, sizeof h);
}

void fingerprint_raw(const struct fingerprint_key *fk, const char *v, size_t len,
		     unsigned char out[FINGERPRINT_BYTES])
{
	crypto_shorthash_siphashx24(out, (const unsigned char *)v, len, fk->k);
}

#ifdef HAVE_SIP8
/* SipHash-2-4 with a 128-bit output (libsodium's siphashx24) of eight
 * messages at once, one per 64-bit lane of AVX-512 (vprolq rotates). The
 * rounds of one message form a chain of dependent operations that keeps
 * a core mostly waiting (~100 cycles for a 20-byte value); eight chains
 * side by side cost little more than one. A lane whose message has fewer
 * blocks keeps its state through the later blocks (masked). */
#define SIPROUND8(v0, v1, v2, v3) do { \
		v0 = _mm512_add_epi64(v0, v1); v1 = _mm512_rol_epi64(v1, 13); \
		v1 = _mm512_xor_si512(v1, v0); v0 = _mm512_rol_epi64(v0, 32); \
		v2 = _mm512_add_epi64(v2, v3); v3 = _mm512_rol_epi64(v3, 16); \
		v3 = _mm512_xor_si512(v3, v2); \
		v0 = _mm512_add_epi64(v0, v3); v3 = _mm512_rol_epi64(v3, 21); \
		v3 = _mm512_xor_si512(v3, v0); \
		v2 = _mm512_add_epi64(v2, v1); v1 = _mm512_rol_epi64(v1, 17); \
		v1 = _mm512_xor_si512(v1, v2); v2 = _mm512_rol_epi64(v2, 32); \
	} while (0)

#define SIP8_MAX_BLOCKS (FINGERPRINT_BATCH_MAX_LEN / 8 + 1)

__attribute__((target("avx512f"))) static void sip8(const uint8_t key[16], const char *const v[8],
						     const size_t len[8], unsigned char out[8][FINGERPRINT_BYTES])
{
	/* The messages as blocks, transposed: m[b][lane]. The last block of a
	 * message holds its tail bytes and its length in the top byte. */
	uint64_t m[SIP8_MAX_BLOCKS][8];
	uint32_t nb[8];
	size_t most = 0;
	for (int l = 0; l < 8; l++) {
		size_t full = len[l] / 8, rem = len[l] % 8, b;
		for (b = 0; b < full; b++)
			memcpy(&m[b][l], v[l] + 8 * b, 8);
		uint64_t tail = 0;
		if (rem) {   /* a whole word: the caller's buffer holds it (fingerprint.h) */
			memcpy(&tail, v[l] + 8 * full, 8);
			tail &= ~0ULL >> (64 - 8 * rem);
		}
		m[full][l] = tail | (uint64_t)len[l] << 56;
		nb[l] = (uint32_t)full + 1;
		most = nb[l] > most ? nb[l] : most;
	}
	uint64_t k0, k1;
	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	__m512i v0 = _mm512_set1_epi64((long long)(k0 ^ 0x736f6d6570736575ULL));
	__m512i v1 = _mm512_set1_epi64((long long)(k1 ^ 0x646f72616e646f6dULL ^ 0xee));
	__m512i v2 = _mm512_set1_epi64((long long)(k0 ^ 0x6c7967656e657261ULL));
	__m512i v3 = _mm512_set1_epi64((long long)(k1 ^ 0x7465646279746573ULL));
	__m512i nbv = _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(const void *)nb));
	for (size_t b = 0; b < most; b++) {
		__mmask8 live = _mm512_cmpgt_epu64_mask(nbv, _mm512_set1_epi64((long long)b));
		/* only the lanes still going: the others' words were never set */
		__m512i mb = _mm512_maskz_loadu_epi64(live, (const void *)m[b]);
		__m512i a0 = v0, a1 = v1, a2 = v2, a3 = _mm512_xor_si512(v3, mb);
		SIPROUND8(a0, a1, a2, a3);
		SIPROUND8(a0, a1, a2, a3);
		a0 = _mm512_xor_si512(a0, mb);
		v0 = _mm512_mask_blend_epi64(live, v0, a0);
		v1 = _mm512_mask_blend_epi64(live, v1, a1);
		v2 = _mm512_mask_blend_epi64(live, v2, a2);
		v3 = _mm512_mask_blend_epi64(live, v3, a3);
	}
	v2 = _mm512_xor_si512(v2, _mm512_set1_epi64(0xee));
	for (int r = 0; r < 4; r++)
		SIPROUND8(v0, v1, v2, v3);
	__m512i h0 = _mm512_xor_si512(_mm512_xor_si512(v0, v1), _mm512_xor_si512(v2, v3));
	v1 = _mm512_xor_si512(v1, _mm512_set1_epi64(0xdd));
	for (int r = 0; r < 4; r++)
		SIPROUND8(v0, v1, v2, v3);
	__m512i h1 = _mm512_xor_si512(_mm512_xor_si512(v0, v1), _mm512_xor_si512(v2, v3));
	uint64_t o0[8], o1[8];
	_mm512_storeu_si512((void *)o0, h0);
	_mm512_storeu_si512((void *)o1, h1);
	for (int l = 0; l < 8; l++) {
		memcpy(out[l], &o0[l], 8);
		memcpy(out[l] + 8, &o1[l], 8);
	}
}
#endif

void fingerprint_batch(const struct fingerprint_key *fk, size_t n, const char *const v[], const size_t len[],
		       unsigned char out[][FINGERPRINT_BYTES], bool simd)
{
	size_t i = 0;
#ifdef HAVE_SIP8
	/* __builtin_cpu_supports reads what the runtime found at start-up: a
	 * load, and no cache of ours for the workers to race on. */
	if (simd && __builtin_cpu_supports("avx512f")) {
		for (; i + 8 <= n; i += 8) {
			bool fits = true;
			for (size_t l = 0; l < 8; l++)
				fits &= len[i + l] <= FINGERPRINT_BATCH_MAX_LEN;
			if (!fits)
				break;
			sip8(fk->k, v + i, len + i, out + i);
		}
	}
#else
	(void)simd;
#endif
	for (; i < n; i++)
		fingerprint_raw(fk, v[i], len[i], out[i]);
}
