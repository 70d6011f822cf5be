/* The compiled rule database: every rule's pattern compiled into one
 * Hyperscan block-mode database, cached on disk (hs_serialize_database)
 * under a key that covers the rule text, the Hyperscan version and the CPU
 * platform, so a warm start costs milliseconds. Immutable once loaded and
 * shared read-only by every scanning worker. */
#ifndef PIISCAN_HSDB_H
#define PIISCAN_HSDB_H

#include <hs.h>
#include <stdbool.h>

#include "rules.h"

/* The widest match any rule may produce. Giant records are scanned in
 * overlapping pieces of at least this much, so no match is cut. */
#define HSDB_MATCH_MAX 1024

struct hsdb;

/* The cache keeps the compiled forms of this many rule sets (the most
 * recently used); a run that compiles a new one removes the others'. */
#define HSDB_CACHE_KEEP 8

/* Compile (or load from the cache) the database for rs, which must outlive
 * it. cache_dir NULL means the default ($PIISCAN_CACHE_DIR, else
 * $XDG_CACHE_HOME/piiscan, else ~/.cache/piiscan); "" disables caching.
 * A pattern that fails to compile, or whose width is unbounded or over
 * HSDB_MATCH_MAX, is an error naming its file and rule id. */
int hsdb_load(const struct ruleset *rs, const char *cache_dir, struct hsdb **out,
	      char *errbuf, size_t errbuf_len);

void hsdb_free(struct hsdb *db);

const hs_database_t *hsdb_database(const struct hsdb *db);
const struct ruleset *hsdb_ruleset(const struct hsdb *db);
/* Whether the last hsdb_load came from the cache (for diagnostics). */
bool hsdb_from_cache(const struct hsdb *db);

/* The DFA of every value rule for the fast path, or NULL when the rules do
 * not fit one (then every scan runs on Hyperscan). */
struct dfa;
const struct dfa *hsdb_dfa(const struct hsdb *db);
/* With the DFA: the Hyperscan database of the other value rules (NULL if
 * none), and the reverse DFA that finds a start for such a rule (NULL: the
 * database reports starts itself, with SOM). */
const hs_database_t *hsdb_rest(const struct hsdb *db);
const struct dfa *hsdb_reverse(const struct hsdb *db, uint32_t rule);
/* For a rule split at a literal byte (dfa_split): the suffix DFA, with the
 * byte and the reverse prefix DFA; NULL for other rules. */
const struct dfa *hsdb_split(const struct hsdb *db, uint32_t rule, unsigned char *c, const struct dfa **prefix_rev);

#endif
