/* Sources: their bookkeeping, errors, and the expansion of paths. */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "jsonw.h"
#include "util.h"

const char *compression_name(enum compression c)
{
	static const char *const names[] = { "none", "lz4", "gzip", "zstd" };
	return (unsigned)c < ARRAY_SIZE(names) ? names[c] : "none";
}

struct source *source_new(uint32_t id, const char *path)
{
	struct source *src = xcalloc(1, sizeof *src);
	struct buf b;
	src->id = id;
	src->path = xstrdup(path);
	buf_init(&b);
	jsonw_quote(&b, path, strlen(path));
	src->path_json_len = (uint32_t)b.len;
	buf_putc(&b, '\0');
	src->path_json = b.data;
	atomic_init(&src->findings, 0);
	pthread_mutex_init(&src->lock, NULL);
	return src;
}

void source_free(struct source *src)
{
	if (!src)
		return;
	for (size_t i = 0; i < src->nerrors; i++)
		free(src->errors[i].message);
	free(src->errors);
	free(src->colfield);
	for (uint32_t i = 0; i < src->nlayouts; i++) {
		free(src->layouts[i]->table);
		free(src->layouts[i]->fields);
		free(src->layouts[i]);
	}
	free(src->layouts);
	free(src->path);
	free(src->path_json);
	free(src->findings_extra);
	pthread_mutex_destroy(&src->lock);
	free(src);
}

void source_error(struct source *src, uint64_t offset, uint64_t record, bool warning,
		  const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&src->lock);
	if (warning) {
		src->warnings++;
	} else {
		src->failures++;
		if (src->status == SOURCE_COMPLETE)
			src->status = SOURCE_PARTIAL;
	}
	if (src->nerrors < SOURCE_ERRORS_MAX) {
		src->errors = xrealloc(src->errors, (src->nerrors + 1) * sizeof *src->errors);
		src->errors[src->nerrors++] = (struct source_error){
			.offset = offset, .record = record, .warning = warning, .message = xstrdup(msg),
		};
		if (record)
			fprintf(stderr, "piiscan: '%s': %s at byte %llu (record %llu): %s\n", src->path,
				warning ? "warning" : "error", (unsigned long long)offset,
				(unsigned long long)record, msg);
		else
			fprintf(stderr, "piiscan: '%s': %s at byte %llu: %s\n", src->path,
				warning ? "warning" : "error", (unsigned long long)offset, msg);
	} else {
		src->errors_dropped++;
	}
	pthread_mutex_unlock(&src->lock);
}

static void push(struct source_list *list, size_t *cap, const char *path)
{
	xgrow((void **)&list->v, cap, list->n + 1, sizeof *list->v);
	list->v[list->n] = source_new((uint32_t)list->n, path);
	list->n++;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct source_list *list, size_t *cap, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d) {
		push(list, cap, dir);
		struct source *src = list->v[list->n - 1];
		source_error(src, 0, 0, false, "cannot open directory: %s", strerror(errno));
		src->status = SOURCE_FAILED;
		return;
	}
	char **names = NULL;
	size_t n = 0, ncap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		xgrow((void **)&names, &ncap, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_name);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st, lst;
		size_t dl = strlen(dir);
		snprintf(path, sizeof path, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", names[i]);
		free(names[i]);
		if (lstat(path, &lst))
			continue;
		if (S_ISDIR(lst.st_mode)) {
			if (depth < 64)
				walk(list, cap, path, depth + 1);
		} else if (S_ISREG(lst.st_mode) || (S_ISLNK(lst.st_mode) && !stat(path, &st) && S_ISREG(st.st_mode))) {
			push(list, cap, path);
		}
	}
	free(names);
}

void source_list_build(struct source_list *list, char **paths, size_t npaths)
{
	size_t cap = 0;
	list->v = NULL;
	list->n = 0;
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;
		if (strcmp(paths[i], "-") && !stat(paths[i], &st) && S_ISDIR(st.st_mode))
			walk(list, &cap, paths[i], 0);
		else
			push(list, &cap, paths[i]);
	}
}

void source_list_release(struct source_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		source_free(list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}
