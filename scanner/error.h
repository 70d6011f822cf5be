/* The one error vocabulary of piiscan: an X-macro list that generates the
 * enum of negative codes and piiscan_strerror(). Functions return 0 or one
 * of these (negative); results travel through out-parameters. */
#ifndef PIISCAN_ERROR_H
#define PIISCAN_ERROR_H

#define PIISCAN_ERRORS(X)                                              \
	X(ERR_NOMEM, "out of memory")                                  \
	X(ERR_IO, "input/output error")                                \
	X(ERR_OPEN, "cannot open")                                     \
	X(ERR_USAGE, "invalid usage")                                  \
	X(ERR_RULES, "invalid rule set")                               \
	X(ERR_COMPILE, "pattern does not compile")                     \
	X(ERR_CACHE, "database cache unusable")                        \
	X(ERR_CORRUPT, "corrupt compressed data")                      \
	X(ERR_TRUNCATED, "truncated input")                            \
	X(ERR_QUOTE, "unbalanced quote")                               \
	X(ERR_JSON, "malformed JSON")                                  \
	X(ERR_ENCODING, "invalid UTF-8")                               \
	X(ERR_TOO_LONG, "record too long")                             \
	X(ERR_SCAN, "regex engine failure")                            \
	X(ERR_KEY, "bad fingerprint key")                              \
	X(ERR_INTERRUPTED, "interrupted")

enum piiscan_error {
	PIISCAN_OK = 0,
	PIISCAN_ERR_BASE_ = -100,
#define PIISCAN_ERROR_ENUM(code, msg) PIISCAN_##code,
	PIISCAN_ERRORS(PIISCAN_ERROR_ENUM)
#undef PIISCAN_ERROR_ENUM
};

/* A static description of a code returned by any piiscan function. */
const char *piiscan_strerror(int code);

#endif
