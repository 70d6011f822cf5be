/* Validators: the confirm step of the validate stage. A validator looks at
 * one candidate value exactly as it was written (separators, "+86" prefix,
 * lower-case check character and all) and says whether it really is what
 * its rule claims; it also writes the value's normalised form, which the
 * fingerprint is computed over. Validators are pure functions over
 * caller-owned bytes: thread-safe, no allocation, no I/O. */
#ifndef PIISCAN_VALIDATE_H
#define PIISCAN_VALIDATE_H

#include <stddef.h>

enum verdict {
	VERDICT_FAIL = 0,  /* not this kind of value: drop the candidate */
	VERDICT_PASS = 1,  /* check digit / date / prefix table confirmed */
	VERDICT_WEAK = 2,  /* plausible but unconfirmed: report as 'possible'
			    * (UnionPay "62" cards issued without a Luhn digit) */
};

/* Longest normalised value any validator writes; callers size dst with it. */
#define VALIDATE_NORM_MAX 256

struct validator {
	const char *name;
	/* Judge the written value s[0..len). */
	enum verdict (*check)(const char *s, size_t len);
	/* Write the normalised form of s[0..len) to dst (capacity dst_cap,
	 * at least VALIDATE_NORM_MAX) and return its length; no NUL is
	 * written. Normal forms: digits only, without a "+86"/"0086" prefix
	 * or separators, check character upper-case (ids, cards, phones);
	 * lower-case (emails, hex); as written otherwise. */
	size_t (*normalize)(const char *s, size_t len, char *dst, size_t dst_cap);
};

/* The validator registered under name, or NULL if there is none. The
 * returned pointer is static and valid for the life of the process. */
const struct validator *validator_find(const char *name);

/* Every registered validator, in a static table of *count entries. */
const struct validator *validator_all(size_t *count);

/* Normalisation for rules without a validator: the value as written. */
size_t validate_normalize_identity(const char *s, size_t len, char *dst, size_t dst_cap);

#endif
