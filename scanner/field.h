/* The field table: every field seen in every source (a CSV column, a JSON
 * path, or the single unnamed field of a text source) gets a stable id and
 * knows which rules name it as context. Shared by all workers: interning
 * takes a lock, reading a field by id does not. Each source is capped at
 * FIELD_MAX_PER_SOURCE names; later names share one overflow field. */
#ifndef PIISCAN_FIELD_H
#define PIISCAN_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define FIELD_MAX_PER_SOURCE 10000
#define FIELD_NAME_MAX 256
#define FIELD_OVERFLOW_NAME "(other)"

struct field {
	uint32_t id;
	uint32_t source;      /* source id */
	char *name;           /* NULL: a text source's records have no field */
	size_t name_len;
	char *json;           /* name as a JSON literal, or "null" */
	uint8_t *context;     /* per rule: 1 if the name holds one of its field words */
	bool field_rules;     /* some rule with scope: field applies to this name */
	/* First interned by a scanning worker (a JSON path, a CSV column past
	 * the header): its id depends on which thread got there first, so
	 * the manifest orders such fields by name, not by id. Header columns,
	 * SQL columns and the unnamed field come from the reader, in input
	 * order. */
	bool by_worker;
};

struct fieldtab;

/* Fields live in stable pages; the page table comes first in struct
 * fieldtab, so fieldtab_get is inline (it runs per value and per finding). */
#define FIELDTAB_PAGE_BITS 10
#define FIELDTAB_MAX_PAGES 8192
struct fieldtab_pages {
	struct field *pages[FIELDTAB_MAX_PAGES];
};

struct fieldtab *fieldtab_new(const struct ruleset *rs);
void fieldtab_free(struct fieldtab *ft);

/* The id of field name[0..len) of source (name NULL: the unnamed field),
 * creating it. Thread-safe. */
uint32_t fieldtab_intern(struct fieldtab *ft, uint32_t source, const char *name, size_t len);

/* The field with id; valid until fieldtab_free. Thread-safe. */
static inline const struct field *fieldtab_get(const struct fieldtab *ft, uint32_t id)
{
	const struct fieldtab_pages *p = (const struct fieldtab_pages *)(const void *)ft;
	return &p->pages[id >> FIELDTAB_PAGE_BITS][id & ((1u << FIELDTAB_PAGE_BITS) - 1)];
}

/* How many fields exist (ids are 0..count-1). */
uint32_t fieldtab_count(const struct fieldtab *ft);

/* Whether some field so far has field_rules set. A field interned before
 * (by this thread, or by another whose id this thread got through the
 * table or a chunk) is counted. */
bool fieldtab_any_field_rules(const struct fieldtab *ft);

/* How many names of source went to the overflow field. */
uint64_t fieldtab_overflow(const struct fieldtab *ft, uint32_t source);

/* Whether a field name holds word: both are split into words at
 * non-alphanumeric ASCII bytes and at lower-to-upper case changes, and the
 * word's words, joined, must equal a run of consecutive words of the name,
 * joined, case-insensitively ("id_card" and "idcard" both match "idCard"
 * and "user_id_card"; "nickname" does not hold "name"). A word with
 * non-ASCII bytes (手机) matches as a substring. */
bool field_name_has_word(const char *name, size_t len, const char *word);

/* A per-worker cache in front of fieldtab_intern, so the hot path does not
 * take the lock. Not thread-safe: one per worker. */
struct fieldcache;
struct fieldcache *fieldcache_new(struct fieldtab *ft);
void fieldcache_free(struct fieldcache *fc);
uint32_t fieldcache_intern(struct fieldcache *fc, uint32_t source, const char *name, size_t len);
/* JSON key paths: the field whose name is the field parent's name, a dot
 * and key[0..klen), as cached by fieldcache_child_put, or FIELD_NONE.
 * ordinal (the key's position in its record) is where to look first:
 * records mostly repeat the keys of the one before, in the same order. */
#define FIELD_NONE UINT32_MAX
uint32_t fieldcache_child_get(struct fieldcache *fc, uint32_t source, uint32_t parent, const char *key, size_t klen,
			     size_t ordinal);
void fieldcache_child_put(struct fieldcache *fc, uint32_t source, uint32_t parent, const char *key, size_t klen,
			  size_t ordinal, uint32_t id);

#endif
