/* The only user of libsodium: key derivation and SipHash fingerprints. */
#include "fingerprint.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

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
