/* Field interning: a global id space in stable pages, one name index per
 * source under a mutex, and per-worker caches in front of it. */
#include "field.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "jsonw.h"
#include "util.h"

#define PAGE_BITS 10
#define PAGE_SIZE (1u << PAGE_BITS)
#define MAX_PAGES 8192

struct entry {
	uint64_t hash;
	uint32_t source;
	uint32_t id;      /* id + 1; 0 = empty slot */
};

struct fieldtab {
	pthread_mutex_t lock;
	const struct ruleset *rs;
	struct field *pages[MAX_PAGES];
	uint32_t count;
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

bool field_name_has_word(const char *name, size_t len, const char *word)
{
	size_t wl = strlen(word);
	bool ascii = true;
	for (size_t i = 0; i < wl; i++)
		if ((unsigned char)word[i] >= 0x80)
			ascii = false;
	if (!wl || wl > len)
		return false;
	if (!ascii) {
		for (size_t i = 0; i + wl <= len; i++)
			if (!memcmp(name + i, word, wl))
				return true;
		return false;
	}
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)name[i];
		int alnum = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
		alnum |= c >= '0' && c <= '9';
		if (!alnum) {
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < len) {
			unsigned char d = (unsigned char)name[j], p = (unsigned char)name[j - 1];
			int dal = ((d | 0x20) >= 'a' && (d | 0x20) <= 'z') || (d >= '0' && d <= '9');
			if (!dal || (d >= 'A' && d <= 'Z' && p >= 'a' && p <= 'z'))
				break;
			j++;
		}
		if (j - i == wl) {
			size_t k = 0;
			while (k < wl) {
				unsigned char a = (unsigned char)name[i + k];
				if (a >= 'A' && a <= 'Z')
					a = (unsigned char)(a - 'A' + 'a');
				if (a != (unsigned char)word[k])
					break;
				k++;
			}
			if (k == wl)
				return true;
		}
		i = j;
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
		struct field *f = &ft->pages[i >> PAGE_BITS][i & (PAGE_SIZE - 1)];
		free(f->name);
		free(f->json);
		free(f->context);
	}
	for (size_t p = 0; p < MAX_PAGES && ft->pages[p]; p++)
		free(ft->pages[p]);
	free(ft->index);
	free(ft->per_source);
	free(ft->overflow);
	pthread_mutex_destroy(&ft->lock);
	free(ft);
}

const struct field *fieldtab_get(const struct fieldtab *ft, uint32_t id)
{
	return &ft->pages[id >> PAGE_BITS][id & (PAGE_SIZE - 1)];
}

uint32_t fieldtab_count(const struct fieldtab *ft)
{
	pthread_mutex_lock((pthread_mutex_t *)&ft->lock);
	uint32_t n = ft->count;
	pthread_mutex_unlock((pthread_mutex_t *)&ft->lock);
	return n;
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

static uint32_t add_field(struct fieldtab *ft, uint64_t h, uint32_t source, const char *name, size_t len)
{
	uint32_t id = ft->count;
	size_t page = id >> PAGE_BITS;
	if (page >= MAX_PAGES)
		abort(); /* 8 million fields: the per-source cap makes this unreachable in practice */
	if (!ft->pages[page])
		ft->pages[page] = xcalloc(PAGE_SIZE, sizeof(struct field));
	struct field *f = &ft->pages[page][id & (PAGE_SIZE - 1)];
	f->id = id;
	f->source = source;
	f->context = xcalloc(ft->rs->n ? ft->rs->n : 1, 1);
	if (name) {
		struct buf b;
		f->name = xstrndup(name, len);
		buf_init(&b);
		jsonw_quote(&b, name, len);
		buf_putc(&b, '\0');
		f->json = b.data;
		for (size_t r = 0; r < ft->rs->n; r++) {
			const struct strlist *w = &ft->rs->rules[r].field_words;
			for (size_t k = 0; k < w->n && !f->context[r]; k++)
				f->context[r] = field_name_has_word(name, len, w->v[k]);
		}
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

uint32_t fieldtab_intern(struct fieldtab *ft, uint32_t source, const char *name, size_t len)
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
			id = found >= 0 ? (uint32_t)found : add_field(ft, oh, source, ov, strlen(ov));
		} else {
			ft->per_source[source]++;
			id = add_field(ft, h, source, name, len);
		}
	}
	pthread_mutex_unlock(&ft->lock);
	return id;
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

struct fieldcache {
	struct fieldtab *ft;
	struct cache_slot *slots;
};

struct fieldcache *fieldcache_new(struct fieldtab *ft)
{
	struct fieldcache *fc = xcalloc(1, sizeof *fc);
	fc->ft = ft;
	fc->slots = xcalloc(CACHE_SLOTS, sizeof *fc->slots);
	return fc;
}

void fieldcache_free(struct fieldcache *fc)
{
	if (!fc)
		return;
	free(fc->slots);
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
	s->id = fieldtab_intern(fc->ft, source, name, len);
	s->hash = h;
	s->source = source;
	s->used = true;
	s->named = name != NULL;
	s->len = (uint16_t)(name ? len : 0);
	if (name)
		memcpy(s->name, name, len);
	return s->id;
}
