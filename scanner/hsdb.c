/* Compiling the rule patterns with Hyperscan, and the on-disk cache of the
 * serialised database. */
#include "hsdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "dfa.h"
#include "error.h"
#include "util.h"

struct hsdb {
	hs_database_t *db;      /* every value rule, with SOM: the reference engine */
	/* The fast path. Rules whose own DFA is small ("token rules": digit
	 * runs, codes, keys) share one forward DFA run from token starts. The
	 * others (e-mail, JWT: long bounded repeats, but literal anchors that
	 * Hyperscan skips to) stay with Hyperscan, without SOM, and find their
	 * starts with a reverse DFA each. */
	struct dfa *dfa;
	hs_database_t *rest;    /* NULL when every value rule is a token rule
				 * or split */
	struct dfa **rev;       /* per rule index: reverse DFA, for rules in rest */
	/* Rules with one literal byte at their heart (e-mail: local part, '@',
	 * domain; see dfa_split) need no Hyperscan at all: the scan finds
	 * each such byte, the suffix DFA the ends after it, the reverse prefix
	 * DFA the starts before it. Per rule index, NULL for other rules. */
	struct dfa **split_rev, **split_fwd;
	unsigned char *split_byte;
	const struct ruleset *rs;
	bool from_cache;
};

/* A rule whose own DFA has more states than this is left to Hyperscan. */
#define HSDB_TOKEN_RULE_STATES 300
/* States the combined DFA may have before the fast path gives up on it. */
#define HSDB_DFA_MAX_STATES 60000

/* Bump when the way patterns are compiled changes (flags, ids). */
#define HSDB_FORMAT 5

static unsigned rule_flags(const struct rule *r)
{
	(void)r;
	return HS_FLAG_SOM_LEFTMOST;
}

/* Whether rule i is a token rule (see struct hsdb). */
static bool is_token_rule(const struct rule *r, uint32_t i)
{
	char errbuf[128];
	if (r->field_scope || !dfa_supports(r->pattern))
		return false;
	struct dfa *d = dfa_build((const char *const *)&r->pattern, &i, 1, HSDB_TOKEN_RULE_STATES, errbuf,
				  sizeof errbuf);
	dfa_free(d);
	return d != NULL;
}

static void cache_path(const struct ruleset *rs, const char *dir, char *dst, size_t len)
{
	hs_platform_info_t plat;
	XXH3_state_t *st = XXH3_createState();
	int fmt = HSDB_FORMAT;
	memset(&plat, 0, sizeof plat);
	hs_populate_platform(&plat);
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, rs->hash, sizeof rs->hash);
	XXH3_128bits_update(st, hs_version(), strlen(hs_version()));
	XXH3_128bits_update(st, &plat, sizeof plat);
	XXH3_128bits_update(st, &fmt, sizeof fmt);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	XXH3_freeState(st);
	char hex[33];
	util_hex(hex, c.digest, 16);
	snprintf(dst, len, "%s/%s.hsdb", dir, hex);
}

static int default_cache_dir(char *dst, size_t len)
{
	const char *e = getenv("PIISCAN_CACHE_DIR");
	if (e)
		return snprintf(dst, len, "%s", e) < (int)len ? 0 : -1;
	if ((e = getenv("XDG_CACHE_HOME")) && *e)
		return snprintf(dst, len, "%s/piiscan", e) < (int)len ? 0 : -1;
	if ((e = getenv("HOME")) && *e)
		return snprintf(dst, len, "%s/.cache/piiscan", e) < (int)len ? 0 : -1;
	return -1;
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

/* The whole file at path, or NULL. */
static char *read_file(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *bytes = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (1 << 30)) {
		size_t len = (size_t)st.st_size, got = 0;
		bytes = xmalloc(len);
		while (got < len) {
			ssize_t r = read(fd, bytes + got, len - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (got != len) {
			free(bytes);
			bytes = NULL;
		}
		*n = len;
	}
	close(fd);
	return bytes;
}

static hs_database_t *cache_read(const char *path)
{
	size_t n;
	hs_database_t *db = NULL;
	char *bytes = read_file(path, &n);
	if (bytes && hs_deserialize_database(bytes, n, &db) != HS_SUCCESS)
		db = NULL;
	free(bytes);
	return db;
}

/* Best effort: a cache that cannot be written costs only start-up time. */
static void cache_write_bytes(const char *bytes, size_t n, const char *dir, const char *path)
{
	char tmp[PATH_MAX + 96];
	if (mkdir_p(dir))
		return;
	int k = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	if (k < 0 || (size_t)k >= sizeof tmp)
		return;   /* a cut name could be another file */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int err = util_write_all(fd, bytes, n);
		if (close(fd) == 0 && !err)
			rename(tmp, path);
		else
			unlink(tmp);
	}
}

static void cache_write(const hs_database_t *db, const char *dir, const char *path)
{
	char *bytes = NULL;
	size_t n = 0;
	if (hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
		return;
	cache_write_bytes(bytes, n, dir, path);
	free(bytes);
}

/* The fast path's DFA over every value rule, or NULL when a pattern is
 * outside the DFA compiler's subset or the DFA would be too large (the
 * scan then runs on Hyperscan alone). */
static struct dfa *build_dfa(const struct ruleset *rs)
{
	const char **pats = xcalloc(rs->n ? rs->n : 1, sizeof *pats);
	uint32_t *ids = xcalloc(rs->n ? rs->n : 1, sizeof *ids);
	size_t n = 0;
	char errbuf[256];
	struct dfa *d = NULL;
	for (size_t i = 0; i < rs->n; i++) {
		if (!is_token_rule(&rs->rules[i], (uint32_t)i))
			continue;
		pats[n] = rs->rules[i].pattern;
		ids[n++] = (uint32_t)i;
	}
	if (n)
		d = dfa_build(pats, ids, n, HSDB_DFA_MAX_STATES, errbuf, sizeof errbuf);
	free(pats);
	free(ids);
	return d;
}

static int compile(const struct ruleset *rs, hs_database_t **out, char *errbuf, size_t errbuf_len)
{
	const char **exprs = xcalloc(rs->n, sizeof *exprs);
	unsigned *flags = xcalloc(rs->n, sizeof *flags);
	unsigned *ids = xcalloc(rs->n, sizeof *ids);
	hs_compile_error_t *cerr = NULL;
	int rc = 0;

	unsigned n = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		hs_expr_info_t *info = NULL;
		if (r->field_scope)
			continue; /* judged on whole field values, not scanned for */
		exprs[n] = r->pattern;
		flags[n] = rule_flags(r);
		ids[n] = (unsigned)i;
		if (hs_expression_info(r->pattern, flags[n], &info, &cerr) != HS_SUCCESS) {
			snprintf(errbuf, errbuf_len, "%s:%u: rule '%s': pattern does not compile: %s",
				 r->file, r->line, r->id, cerr->message);
			hs_free_compile_error(cerr);
			rc = PIISCAN_ERR_COMPILE;
			goto out;
		}
		unsigned maxw = info->max_width, minw = info->min_width;
		free(info);
		if (maxw == UINT_MAX || maxw > HSDB_MATCH_MAX || minw < 2) {
			snprintf(errbuf, errbuf_len,
				 "%s:%u: rule '%s': pattern width must be 2..%d bytes (it is %u..%s)",
				 r->file, r->line, r->id, HSDB_MATCH_MAX, minw,
				 maxw == UINT_MAX ? "unbounded" : "over the limit");
			rc = PIISCAN_ERR_COMPILE;
			goto out;
		}
		n++;
	}
	if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, out, &cerr) != HS_SUCCESS) {
		if (cerr->expression >= 0 && (unsigned)cerr->expression < n) {
			const struct rule *r = &rs->rules[ids[cerr->expression]];
			snprintf(errbuf, errbuf_len, "%s:%u: rule '%s': pattern does not compile: %s",
				 r->file, r->line, r->id, cerr->message);
		} else {
			snprintf(errbuf, errbuf_len, "rule set '%s' does not compile: %s", rs->dir, cerr->message);
		}
		hs_free_compile_error(cerr);
		rc = PIISCAN_ERR_COMPILE;
	}
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

/* Rule i's reverse DFA, from the cache beside the database when it is
 * there (building them is most of a warm start's time otherwise), or NULL
 * if the pattern is outside the DFA compiler's subset. */
static struct dfa *reverse_dfa(const struct rule *r, uint32_t i, const char *dir, const char *path)
{
	char rpath[PATH_MAX + 96], errbuf[128];
	struct dfa *d = NULL;
	size_t n;
	if (!dfa_supports(r->pattern))
		return NULL;
	if (dir) {
		snprintf(rpath, sizeof rpath, "%.*s.rev%u.dfa", (int)(strlen(path) - 5), path, i);
		char *bytes = read_file(rpath, &n);
		if (bytes)
			d = dfa_deserialize(bytes, n);
		free(bytes);
		if (d)
			return d;
	}
	d = dfa_build_reverse(r->pattern, i, HSDB_DFA_MAX_STATES, errbuf, sizeof errbuf);
	if (d && dir) {
		struct buf b;
		buf_init(&b);
		dfa_serialize(d, &b);
		cache_write_bytes(b.data, b.len, dir, rpath);
		buf_release(&b);
	}
	return d;
}

/* Rule i split at a literal byte (dfa_split), from the cache beside the
 * database when it is there. Returns whether the rule splits. */
static bool split_rule(struct hsdb *h, uint32_t i, const char *dir, const char *path)
{
	const struct rule *r = &h->rs->rules[i];
	char spath[PATH_MAX + 96];
	size_t n;
	if (dir) {
		/* One file: the byte, the reverse prefix DFA's length, both DFAs;
		 * or one zero byte: the rule does not split. */
		snprintf(spath, sizeof spath, "%.*s.split%u.dfa", (int)(strlen(path) - 5), path, i);
		char *bytes = read_file(spath, &n);
		uint32_t rlen;
		if (bytes && n == 1 && bytes[0] == 0) {
			free(bytes);
			return false; /* known not to split */
		}
		if (bytes && n > 5 && (memcpy(&rlen, bytes + 1, 4), rlen <= n - 5)) {
			h->split_rev[i] = dfa_deserialize(bytes + 5, rlen);
			h->split_fwd[i] = dfa_deserialize(bytes + 5 + rlen, n - 5 - rlen);
			h->split_byte[i] = (unsigned char)bytes[0];
		}
		free(bytes);
		if (h->split_rev[i] && h->split_fwd[i])
			return true;
		dfa_free(h->split_rev[i]);
		dfa_free(h->split_fwd[i]);
		h->split_rev[i] = h->split_fwd[i] = NULL;
	}
	if (!dfa_split(r->pattern, i, HSDB_DFA_MAX_STATES, &h->split_byte[i], &h->split_rev[i], &h->split_fwd[i])) {
		if (dir)
			cache_write_bytes("", 1, dir, spath);
		return false;
	}
	if (dir) {
		struct buf b, f;
		buf_init(&b);
		buf_init(&f);
		dfa_serialize(h->split_rev[i], &f);
		uint32_t rlen = (uint32_t)f.len;
		buf_append(&b, &h->split_byte[i], 1);
		buf_append(&b, &rlen, 4);
		buf_append(&b, f.data, f.len);
		f.len = 0;
		dfa_serialize(h->split_fwd[i], &f);
		buf_append(&b, f.data, f.len);
		cache_write_bytes(b.data, b.len, dir, spath);
		buf_release(&b);
		buf_release(&f);
	}
	return true;
}

/* The Hyperscan database and reverse DFAs of the value rules that are not
 * in the DFA. Returns 0, or -1 if they cannot be made. */
static int build_rest(struct hsdb *h, const char *dir, const char *path)
{
	const struct ruleset *rs = h->rs;
	const char **exprs = xcalloc(rs->n ? rs->n : 1, sizeof *exprs);
	unsigned *flags = xcalloc(rs->n ? rs->n : 1, sizeof *flags);
	unsigned *ids = xcalloc(rs->n ? rs->n : 1, sizeof *ids);
	unsigned n = 0;
	int rc = 0;
	h->rev = xcalloc(rs->n ? rs->n : 1, sizeof *h->rev);
	h->split_rev = xcalloc(rs->n ? rs->n : 1, sizeof *h->split_rev);
	h->split_fwd = xcalloc(rs->n ? rs->n : 1, sizeof *h->split_fwd);
	h->split_byte = xcalloc(rs->n ? rs->n : 1, 1);
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		if (r->field_scope || dfa_has_id(h->dfa, (uint32_t)i) || split_rule(h, (uint32_t)i, dir, path))
			continue;
		h->rev[i] = reverse_dfa(r, (uint32_t)i, dir, path);
		exprs[n] = r->pattern;
		/* Without a reverse DFA, Hyperscan must track the start itself. */
		flags[n] = h->rev[i] ? 0 : HS_FLAG_SOM_LEFTMOST;
		ids[n++] = (unsigned)i;
	}
	if (n) {
		char rpath[PATH_MAX + 80] = "";
		hs_compile_error_t *cerr = NULL;
		if (dir) {
			snprintf(rpath, sizeof rpath, "%.*s.rest.hsdb", (int)(strlen(path) - 5), path);
			h->rest = cache_read(rpath);
		}
		if (!h->rest) {
			if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &h->rest, &cerr) != HS_SUCCESS) {
				hs_free_compile_error(cerr);
				h->rest = NULL;
				rc = -1;
			} else if (dir) {
				cache_write(h->rest, dir, rpath);
			}
		}
	}
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

/* Whether name is "<32 hex digits>." followed by anything: a file of one
 * cache key (the database, its DFA, reverse and split DFAs). */
static bool cache_key_file(const char *name)
{
	for (int i = 0; i < 32; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return name[32] == '.';
}

struct cache_key {
	char key[33];
	struct timespec used;
};

static int cmp_newest(const void *a, const void *b)
{
	const struct cache_key *x = a, *y = b;
	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec > y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec > y->used.tv_nsec ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Keep the cache from growing with every rule set ever used: after a new
 * database is written, the files of all but the HSDB_CACHE_KEEP most
 * recently used keys go (a key is used when its database is read or
 * written: its modification time), and so do temporary files a writer
 * left more than an hour ago. Other files are not touched. Best effort: a
 * file another run removes first is simply gone. */
static void cache_prune(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct cache_key *keys = NULL;
	size_t n = 0, cap = 0;
	char path[PATH_MAX + 300];
	struct dirent *e;
	struct stat st;
	time_t now = time(NULL);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (len > 4 && !strcmp(e->d_name + len - 4, ".tmp") && cache_key_file(e->d_name)) {
			if (!stat(path, &st) && st.st_mtime < now - 3600)
				unlink(path);
			continue;
		}
		if (len != 37 || !cache_key_file(e->d_name) || strcmp(e->d_name + 32, ".hsdb") || stat(path, &st))
			continue;
		xgrow((void **)&keys, &cap, n + 1, sizeof *keys);
		memcpy(keys[n].key, e->d_name, 32);
		keys[n].key[32] = '\0';
		keys[n++].used = st.st_mtim;
	}
	if (n > HSDB_CACHE_KEEP) {
		qsort(keys, n, sizeof *keys, cmp_newest);
		rewinddir(d);
		while ((e = readdir(d))) {
			if (!cache_key_file(e->d_name))
				continue;
			bool keep = false;
			for (size_t k = 0; k < HSDB_CACHE_KEEP && !keep; k++)
				keep = !memcmp(keys[k].key, e->d_name, 32);
			bool stale = !keep && !strstr(e->d_name, ".tmp");
			for (size_t k = HSDB_CACHE_KEEP; k < n && stale; k++)
				if (!memcmp(keys[k].key, e->d_name, 32)) {
					snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
					unlink(path);
					break;
				}
		}
	}
	free(keys);
	closedir(d);
}

int hsdb_load(const struct ruleset *rs, const char *cache_dir, struct hsdb **out,
	      char *errbuf, size_t errbuf_len)
{
	char dir[PATH_MAX], path[PATH_MAX + 64] = "";
	bool use_cache = true;
	struct hsdb *h = xcalloc(1, sizeof *h);
	h->rs = rs;

	if (cache_dir)
		snprintf(dir, sizeof dir, "%s", cache_dir);
	else if (default_cache_dir(dir, sizeof dir))
		dir[0] = '\0';
	use_cache = dir[0] != '\0';
	if (use_cache) {
		cache_path(rs, dir, path, sizeof path);
		h->db = cache_read(path);
		h->from_cache = h->db != NULL;
		if (h->from_cache)
			utimensat(AT_FDCWD, path, NULL, 0); /* used now: pruning keeps it */
	}
	if (!h->db) {
		int rc = compile(rs, &h->db, errbuf, errbuf_len);
		if (rc) {
			free(h);
			return rc;
		}
		if (use_cache) {
			cache_write(h->db, dir, path);
			cache_prune(dir);
		}
	}
	/* The DFA is cached beside the Hyperscan database, under the same key. */
	char dpath[PATH_MAX + 80] = "";
	if (use_cache) {
		snprintf(dpath, sizeof dpath, "%.*s.dfa", (int)(strlen(path) - 5), path);
		size_t n;
		char *bytes = read_file(dpath, &n);
		if (bytes)
			h->dfa = dfa_deserialize(bytes, n);
		free(bytes);
	}
	if (!h->dfa && (h->dfa = build_dfa(rs)) && use_cache) {
		struct buf b;
		buf_init(&b);
		dfa_serialize(h->dfa, &b);
		cache_write_bytes(b.data, b.len, dir, dpath);
		buf_release(&b);
	}
	/* The DFA run from every token start needs its pair table, and
	 * without the rest the fast path is incomplete: else Hyperscan. */
	if (h->dfa && (!dfa_add_pair_states(h->dfa) || build_rest(h, use_cache ? dir : NULL, path))) {
		dfa_free(h->dfa);
		h->dfa = NULL;
	}
	*out = h;
	return 0;
}

void hsdb_free(struct hsdb *h)
{
	if (!h)
		return;
	hs_free_database(h->db);
	hs_free_database(h->rest);
	if (h->rev)
		for (size_t i = 0; i < h->rs->n; i++)
			dfa_free(h->rev[i]);
	free(h->rev);
	if (h->split_rev)
		for (size_t i = 0; i < h->rs->n; i++) {
			dfa_free(h->split_rev[i]);
			dfa_free(h->split_fwd[i]);
		}
	free(h->split_rev);
	free(h->split_fwd);
	free(h->split_byte);
	dfa_free(h->dfa);
	free(h);
}

const hs_database_t *hsdb_database(const struct hsdb *h) { return h->db; }
const struct ruleset *hsdb_ruleset(const struct hsdb *h) { return h->rs; }
bool hsdb_from_cache(const struct hsdb *h) { return h->from_cache; }
const struct dfa *hsdb_dfa(const struct hsdb *h) { return h->dfa; }
const hs_database_t *hsdb_rest(const struct hsdb *h) { return h->rest; }
const struct dfa *hsdb_reverse(const struct hsdb *h, uint32_t rule) { return h->rev ? h->rev[rule] : NULL; }

const struct dfa *hsdb_split(const struct hsdb *h, uint32_t rule, unsigned char *c, const struct dfa **prefix_rev)
{
	if (!h->split_fwd || !h->split_fwd[rule])
		return NULL;
	*c = h->split_byte[rule];
	*prefix_rev = h->split_rev[rule];
	return h->split_fwd[rule];
}
