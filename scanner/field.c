/* Field interning: a global id space in stable pages, one name index per
 * source under a mutex, and per-worker caches in front of it. */
#include "field.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "jsonw.h"
#include "util.h"

#define PAGE_BITS FIELDTAB_PAGE_BITS
#define PAGE_SIZE (1u << PAGE_BITS)
#define MAX_PAGES FIELDTAB_MAX_PAGES

struct entry {
	uint64_t hash;
	uint32_t source;
	uint32_t id;      /* id + 1; 0 = empty slot */
};

struct fieldtab {
	struct fieldtab_pages p;   /* first: fieldtab_get reads it inline */
	pthread_mutex_t lock;
	const struct ruleset *rs;
	uint32_t count;
	atomic_uint with_field_rules;   /* fields whose name calls for field-scope rules */
	struct entry *index;     /* open addressing over (source, name) */
	size_t index_cap;
	uint32_t *per_source;    /* names per source */
	uint64_t *overflow;      /* names sent to the overflow field */
	size_t sources_cap;
};

static uint64_t name_hash(uint32_t source, const char *name, size_t len)
{
	uint64_t h = name ? XXH3_64bits(name, len) : 0x9e3779b97f4a7c15ULL;
	return h ^ ((uint64_t)source * 0xff51afd7ed558ccdULL);
}

static bool is_word_byte(unsigned char c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Split s[0..len) into lower-cased words (at non-alphanumeric ASCII bytes
 * and at lower-to-upper case changes), written back to back into dst;
 * ends[k] is where word k ends. Returns the number of words. */
static size_t split_words(const char *s, size_t len, char *dst, size_t *ends, size_t max)
{
	size_t nw = 0, o = 0, i = 0;
	while (i < len && nw < max) {
		if (!is_word_byte((unsigned char)s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		do {
			unsigned char c = (unsigned char)s[j];
			dst[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
			j++;
		} while (j < len && is_word_byte((unsigned char)s[j]) &&
			 !(s[j] >= 'A' && s[j] <= 'Z' && s[j - 1] >= 'a' && s[j - 1] <= 'z'));
		ends[nw++] = o;
		i = j;
	}
	return nw;
}

bool field_name_has_word(const char *name, size_t len, const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i < wl; i++) {
		if ((unsigned char)word[i] >= 0x80) {
			/* CJK hints (手机, 身份证) match anywhere in the name. */
			for (size_t k = 0; wl <= len && k + wl <= len; k++)
				if (!memcmp(name + k, word, wl))
					return true;
			return false;
		}
	}
	/* ASCII hints match whole words: the hint's words, joined, must equal
	 * a run of consecutive words of the name, joined, so "id_card" and
	 * "idcard" both match "idCard" and "user_id_card", while "name" does
	 * not match "nickname". */
	char nbuf[FIELD_NAME_MAX], hbuf[FIELD_NAME_MAX];
	size_t nends[64], hends[64];
	if (len > FIELD_NAME_MAX)
		len = FIELD_NAME_MAX;
	if (wl > FIELD_NAME_MAX)
		return false;
	size_t nn = split_words(name, len, nbuf, nends, 64);
	size_t hn = split_words(word, wl, hbuf, hends, 64);
	if (!hn)
		return false;
	size_t hlen = hends[hn - 1];
	for (size_t i = 0; i < nn; i++) {
		size_t start = i ? nends[i - 1] : 0;
		for (size_t j = i; j < nn; j++) {
			size_t l = nends[j] - start;
			if (l > hlen)
				break;
			if (l == hlen && !memcmp(nbuf + start, hbuf, hlen))
				return true;
		}
	}
	return false;
}

struct fieldtab *fieldtab_new(const struct ruleset *rs)
{
	struct fieldtab *ft = xcalloc(1, sizeof *ft);
	pthread_mutex_init(&ft->lock, NULL);
	ft->rs = rs;
	ft->index_cap = 1024;
	ft->index = xcalloc(ft->index_cap, sizeof *ft->index);
	return ft;
}

void fieldtab_free(struct fieldtab *ft)
{
	if (!ft)
		return;
	for (uint32_t i = 0; i < ft->count; i++) {
		struct field *f = &ft->p.pages[i >> PAGE_BITS][i & (PAGE_SIZE - 1)];
		free(f->name);
		free(f->json);
		free(f->context);
	}
	for (size_t p = 0; p < MAX_PAGES && ft->p.pages[p]; p++)
		free(ft->p.pages[p]);
	free(ft->index);
	free(ft->per_source);
	free(ft->overflow);
	pthread_mutex_destroy(&ft->lock);
	free(ft);
}

uint32_t fieldtab_count(const struct fieldtab *ft)
{
	pthread_mutex_lock((pthread_mutex_t *)&ft->lock);
	uint32_t n = ft->count;
	pthread_mutex_unlock((pthread_mutex_t *)&ft->lock);
	return n;
}

bool fieldtab_any_field_rules(const struct fieldtab *ft)
{
	return atomic_load_explicit((atomic_uint *)&ft->with_field_rules, memory_order_acquire) != 0;
}

uint64_t fieldtab_overflow(const struct fieldtab *ft, uint32_t source)
{
	return source < ft->sources_cap ? ft->overflow[source] : 0;
}

static bool same_name(const struct field *f, uint32_t source, const char *name, size_t len)
{
	if (f->source != source)
		return false;
	if (!name || !f->name)
		return !name && !f->name;
	return strlen(f->name) == len && !memcmp(f->name, name, len);
}

static void index_insert(struct fieldtab *ft, uint64_t h, uint32_t source, uint32_t id)
{
	size_t mask = ft->index_cap - 1, i = (size_t)h & mask;
	while (ft->index[i].id)
		i = (i + 1) & mask;
	ft->index[i] = (struct entry){ .hash = h, .source = source, .id = id + 1 };
}

static int32_t index_find(struct fieldtab *ft, uint64_t h, uint32_t source, const char *name, size_t len)
{
	size_t mask = ft->index_cap - 1, i = (size_t)h & mask;
	while (ft->index[i].id) {
		struct entry *e = &ft->index[i];
		if (e->hash == h && e->source == source &&
		    same_name(fieldtab_get(ft, e->id - 1), source, name, len))
			return (int32_t)(e->id - 1);
		i = (i + 1) & mask;
	}
	return -1;
}

static uint32_t add_field(struct fieldtab *ft, uint64_t h, uint32_t source, const char *name, size_t len,
			  bool by_worker)
{
	uint32_t id = ft->count;
	size_t page = id >> PAGE_BITS;
	if (page >= MAX_PAGES)
		abort(); /* 8 million fields: the per-source cap makes this unreachable in practice */
	if (!ft->p.pages[page])
		ft->p.pages[page] = xcalloc(PAGE_SIZE, sizeof(struct field));
	struct field *f = &ft->p.pages[page][id & (PAGE_SIZE - 1)];
	f->id = id;
	f->source = source;
	f->by_worker = by_worker;
	f->context = xcalloc(ft->rs->n ? ft->rs->n : 1, 1);
	if (name) {
		struct buf b;
		f->name = xstrndup(name, len);
		f->name_len = len;
		buf_init(&b);
		jsonw_quote(&b, name, len);
		buf_putc(&b, '\0');
		f->json = b.data;
		for (size_t r = 0; r < ft->rs->n; r++) {
			const struct strlist *w = &ft->rs->rules[r].field_words;
			for (size_t k = 0; k < w->n && !f->context[r]; k++)
				f->context[r] = field_name_has_word(name, len, w->v[k]);
			if (f->context[r] && ft->rs->rules[r].field_scope)
				f->field_rules = true;
		}
		if (f->field_rules)
			atomic_fetch_add_explicit(&ft->with_field_rules, 1, memory_order_release);
	} else {
		f->json = xstrdup("null");
	}
	if ((size_t)(ft->count + 1) * 2 > ft->index_cap) {
		struct entry *old = ft->index;
		size_t oldcap = ft->index_cap;
		ft->index_cap *= 2;
		ft->index = xcalloc(ft->index_cap, sizeof *ft->index);
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].id)
				index_insert(ft, old[i].hash, old[i].source, old[i].id - 1);
		free(old);
	}
	index_insert(ft, h, source, id);
	ft->count++;
	return id;
}

static uint32_t intern(struct fieldtab *ft, uint32_t source, const char *name, size_t len, bool by_worker)
{
	if (name && len > FIELD_NAME_MAX)
		len = FIELD_NAME_MAX;
	uint64_t h = name_hash(source, name, len);
	pthread_mutex_lock(&ft->lock);
	int32_t found = index_find(ft, h, source, name, len);
	uint32_t id;
	if (found >= 0) {
		id = (uint32_t)found;
	} else {
		if (source >= ft->sources_cap) {
			size_t old = ft->sources_cap, ncap = old ? old : 16;
			while (ncap <= source)
				ncap *= 2;
			ft->per_source = xrealloc(ft->per_source, ncap * sizeof *ft->per_source);
			ft->overflow = xrealloc(ft->overflow, ncap * sizeof *ft->overflow);
			memset(ft->per_source + old, 0, (ncap - old) * sizeof *ft->per_source);
			memset(ft->overflow + old, 0, (ncap - old) * sizeof *ft->overflow);
			ft->sources_cap = ncap;
		}
		if (ft->per_source[source] >= FIELD_MAX_PER_SOURCE) {
			ft->overflow[source]++;
			const char *ov = FIELD_OVERFLOW_NAME;
			uint64_t oh = name_hash(source, ov, strlen(ov));
			found = index_find(ft, oh, source, ov, strlen(ov));
			id = found >= 0 ? (uint32_t)found : add_field(ft, oh, source, ov, strlen(ov), by_worker);
		} else {
			ft->per_source[source]++;
			id = add_field(ft, h, source, name, len, by_worker);
		}
	}
	pthread_mutex_unlock(&ft->lock);
	return id;
}

uint32_t fieldtab_intern(struct fieldtab *ft, uint32_t source, const char *name, size_t len)
{
	return intern(ft, source, name, len, false);
}

#define CACHE_SLOTS 4096

struct cache_slot {
	uint64_t hash;
	uint32_t source;
	uint32_t id;
	uint16_t len;
	bool used;
	bool named;
	char name[FIELD_NAME_MAX];
};

/* A child of a known field: (parent field, key) -> field, so that a JSON
 * key's field is found from the key's few bytes, without hashing or
 * comparing the whole dotted path. */
#define CHILD_SLOTS 1024
#define ORDINAL_SLOTS 4096
#define CHILD_KEY_MAX 32

struct child_slot {
	uint32_t source, parent, id;
	uint8_t klen;
	bool used;
	char key[CHILD_KEY_MAX];
};

struct fieldcache {
	struct fieldtab *ft;
	struct cache_slot *slots;
	struct child_slot *children;
	struct child_slot *ordinal;   /* by the key's ordinal in its record */
};

struct fieldcache *fieldcache_new(struct fieldtab *ft)
{
	struct fieldcache *fc = xcalloc(1, sizeof *fc);
	fc->ft = ft;
	fc->slots = xcalloc(CACHE_SLOTS, sizeof *fc->slots);
	fc->children = xcalloc(CHILD_SLOTS, sizeof *fc->children);
	fc->ordinal = xcalloc(ORDINAL_SLOTS, sizeof *fc->ordinal);
	return fc;
}

void fieldcache_free(struct fieldcache *fc)
{
	if (!fc)
		return;
	free(fc->slots);
	free(fc->children);
	free(fc->ordinal);
	free(fc);
}

uint32_t fieldcache_intern(struct fieldcache *fc, uint32_t source, const char *name, size_t len)
{
	if (name && len > FIELD_NAME_MAX)
		len = FIELD_NAME_MAX;
	uint64_t h = name_hash(source, name, len);
	struct cache_slot *s = &fc->slots[h & (CACHE_SLOTS - 1)];
	if (s->used && s->hash == h && s->source == source && s->named == (name != NULL) &&
	    (!name || (s->len == len && !memcmp(s->name, name, len))))
		return s->id;
	/* A direct-mapped cache: a miss replaces the slot. */
	s->id = intern(fc->ft, source, name, len, true);
	s->hash = h;
	s->source = source;
	s->used = true;
	s->named = name != NULL;
	s->len = (uint16_t)(name ? len : 0);
	if (name)
		memcpy(s->name, name, len);
	return s->id;
}

/* a[0..n) == b[0..n) for n <= CHILD_KEY_MAX, in words (overlapping at
 * the end) rather than a byte at a time: keys are looked up per field of
 * every JSON record. */
static inline bool key_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		uint64_t x, y;
		for (size_t i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		uint32_t x, y, z, w;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		memcpy(&z, a + n - 4, 4);
		memcpy(&w, b + n - 4, 4);
		return x == y && z == w;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static inline bool same_key(const struct child_slot *s, uint32_t source, uint32_t parent, const char *key,
			    size_t klen)
{
	return s->used && s->parent == parent && s->source == source && s->klen == klen &&
		key_eq(s->key, key, klen);
}

static inline void child_set(struct child_slot *s, uint32_t source, uint32_t parent, const char *key, size_t klen,
			     uint32_t id)
{
	s->id = id;
	s->used = true;
	s->parent = parent;
	s->source = source;
	s->klen = (uint8_t)klen;
	memcpy(s->key, key, klen);
}

static inline uint64_t child_hash(uint32_t source, uint32_t parent, const char *key, size_t klen)
{
	uint64_t h = (uint64_t)parent * 0x9E3779B97F4A7C15ULL ^ (uint64_t)source * 0xff51afd7ed558ccdULL;
	for (size_t i = 0; i < klen; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ULL;
	return h;
}

uint32_t fieldcache_child_get(struct fieldcache *fc, uint32_t source, uint32_t parent, const char *key, size_t klen,
			     size_t ordinal)
{
	if (klen > CHILD_KEY_MAX)
		return FIELD_NONE;
	/* Records of one export mostly repeat the keys of the one before,
	 * in the same order: the key at the same ordinal is the first guess. */
	struct child_slot *o = &fc->ordinal[ordinal & (ORDINAL_SLOTS - 1)];
	if (same_key(o, source, parent, key, klen))
		return o->id;
	struct child_slot *s = &fc->children[(child_hash(source, parent, key, klen) >> 32) & (CHILD_SLOTS - 1)];
	if (!same_key(s, source, parent, key, klen))
		return FIELD_NONE;
	child_set(o, source, parent, key, klen, s->id);
	return s->id;
}

void fieldcache_child_put(struct fieldcache *fc, uint32_t source, uint32_t parent, const char *key, size_t klen,
			  size_t ordinal, uint32_t id)
{
	if (klen > CHILD_KEY_MAX)
		return;
	child_set(&fc->ordinal[ordinal & (ORDINAL_SLOTS - 1)], source, parent, key, klen, id);
	child_set(&fc->children[(child_hash(source, parent, key, klen) >> 32) & (CHILD_SLOTS - 1)], source, parent,
		  key, klen, id);
}
