/* The scan stage and the engine's one narrow interface: a compiled rule set
 * in, validated matches out. A scanner runs the Hyperscan database over a
 * block of bytes, keeps the candidates that stand as whole tokens, runs
 * each rule's validator on them and merges the overlapping matches of one
 * rule into one. Everything after this (fields, context, confidence) is
 * the attribute stage's business. */
#ifndef PIISCAN_SCAN_H
#define PIISCAN_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "hsdb.h"
#include "validate.h"

/* A validated match in a scanned block: bytes [start, end) fit rule. */
struct match {
	uint32_t rule;           /* index into the rule set */
	uint32_t start;
	uint32_t end;
	enum verdict verdict;    /* VERDICT_PASS, VERDICT_WEAK, or VERDICT_FAIL for a
				  * value that fits the pattern but not the validator
				  * (kept as evidence; never a finding) */
};

struct scanner;

/* How candidates are found. Both find exactly the same matches; the
 * reference is the plain one the fast path is tested against. */
enum scan_engine {
	SCAN_ENGINE_FAST,       /* the rules' DFA, run from token starts (Hyperscan
				 * when the rules do not fit a DFA) */
	SCAN_ENGINE_REFERENCE,  /* Hyperscan over every byte */
};

/* Parse "fast" or "reference"; -1 otherwise. */
int scan_engine_parse(const char *s);

/* A scanner for one worker thread: it owns its Hyperscan scratch and its
 * match buffer. db must outlive it. Returns NULL if Hyperscan cannot
 * allocate scratch. scanner_new uses SCAN_ENGINE_FAST. */
struct scanner *scanner_new(const struct hsdb *db);
struct scanner *scanner_new_engine(const struct hsdb *db, enum scan_engine engine);
void scanner_free(struct scanner *sc);

/* Scan p[0..len) (len < 4 GiB). On success *out points at *n matches
 * sorted by start (ties: longer first), owned by the scanner and valid
 * until its next call. Overlapping matches of one rule are merged; a group
 * with no member that passes the validator is one VERDICT_FAIL match. Bytes outside the block count as token
 * boundaries. Returns 0 or PIISCAN_ERR_SCAN. Not thread-safe per scanner. */
int scanner_scan(struct scanner *sc, const char *p, size_t len,
		 const struct match **out, size_t *n);

/* How many token starts p[0..len) holds: the start pass alone, the one
 * pass over every byte the fast path makes (0 for the reference engine).
 * For bench/floor.c, which times it apart from the rest of the scan. */
size_t scanner_count_starts(struct scanner *sc, const char *p, size_t len);

/* The token boundary test applied to every candidate, exposed for tests. */
int scan_is_token(const char *p, size_t len, size_t start, size_t end);

#endif
