/* Atomic output files. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

#define OUT_BUF (1u << 20)

struct outfile {
	int fd;
	char *path;
	char *tmp;       /* NULL: written straight through (stdout, not a regular file) */
	char *buf;
	size_t len;
	int err;         /* first write errno */
};

static void outfile_free(struct outfile *of)
{
	free(of->tmp);
	free(of->path);
	free(of->buf);
	free(of);
}

/* The path a symbolic link names (it need not exist yet), relative to the
 * link's directory where it is relative. */
static char *link_target(const char *path)
{
	char *real = realpath(path, NULL), t[PATH_MAX];
	if (real)
		return real;
	ssize_t n = readlink(path, t, sizeof t - 1);
	if (n <= 0)
		return xstrdup(path);
	t[n] = '\0';
	if (t[0] == '/')
		return xstrdup(t);
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	size_t l = strlen(dir) + (size_t)n + 2;
	char *joined = xmalloc(l);
	snprintf(joined, l, "%s/%s", dir, t);
	free(copy);
	return joined;
}

int outfile_open(const char *path, struct outfile **out, char *errbuf, size_t errbuf_len)
{
	struct outfile *of = xcalloc(1, sizeof *of);
	struct stat st;
	of->buf = xmalloc(OUT_BUF);
	if (!strcmp(path, "-")) {
		of->path = xstrdup(path);
		of->fd = 1;
		*out = of;
		return 0;
	}
	/* What is not a regular file (/dev/null, a FIFO, a terminal) is
	 * written straight through: renaming a temporary file over it would
	 * replace the device with a file. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		of->path = xstrdup(path);
		of->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (of->fd < 0) {
			snprintf(errbuf, errbuf_len, "cannot open '%s': %s", path, strerror(errno));
			outfile_free(of);
			return PIISCAN_ERR_OPEN;
		}
		*out = of;
		return 0;
	}
	/* A symbolic link stays: the file it names is what is replaced. */
	of->path = lstat(path, &st) == 0 && S_ISLNK(st.st_mode) ? link_target(path) : xstrdup(path);
	char *copy = xstrdup(of->path);
	const char *dir = dirname(copy);
	char *base_copy = xstrdup(of->path);
	const char *base = basename(base_copy);
	size_t l = strlen(dir) + strlen(base) + 64;
	of->tmp = xmalloc(l);
	snprintf(of->tmp, l, "%s/.%s.%ld.tmp", dir, base, (long)getpid());
	free(copy);
	free(base_copy);
	of->fd = open(of->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (of->fd < 0) {
		snprintf(errbuf, errbuf_len, "cannot create '%s': %s", path, strerror(errno));
		outfile_free(of);
		return PIISCAN_ERR_OPEN;
	}
	*out = of;
	return 0;
}

/* After the first failure nothing more is written: it is reported at commit. */
static void write_all(struct outfile *of, const char *s, size_t len)
{
	if (!of->err)
		of->err = util_write_all(of->fd, s, len);
}

static void flush(struct outfile *of)
{
	write_all(of, of->buf, of->len);
	of->len = 0;
}

int outfile_write(struct outfile *of, const void *p, size_t len)
{
	const char *s = p;
	if (len >= OUT_BUF / 2) {
		/* A chunk's findings: no need to copy them through the buffer. */
		flush(of);
		write_all(of, s, len);
		return of->err ? PIISCAN_ERR_IO : 0;
	}
	while (len) {
		if (of->len == OUT_BUF)
			flush(of);
		size_t take = MIN(len, OUT_BUF - of->len);
		memcpy(of->buf + of->len, s, take);
		of->len += take;
		s += take;
		len -= take;
	}
	return of->err ? PIISCAN_ERR_IO : 0;
}

int outfile_commit(struct outfile *of, char *errbuf, size_t errbuf_len)
{
	int rc = 0;
	flush(of);
	if (!of->tmp) {
		if (of->fd != 1 && close(of->fd) && !of->err)
			of->err = errno;
		if (of->err) {
			snprintf(errbuf, errbuf_len, "cannot write to %s: %s",
				 of->fd == 1 ? "stdout" : of->path, strerror(of->err));
			rc = PIISCAN_ERR_IO;
		}
		outfile_free(of);
		return rc;
	}
	if (!of->err && fsync(of->fd))
		of->err = errno;
	if (close(of->fd) && !of->err)
		of->err = errno;
	if (!of->err && rename(of->tmp, of->path))
		of->err = errno;
	if (of->err) {
		snprintf(errbuf, errbuf_len, "cannot write '%s': %s", of->path, strerror(of->err));
		unlink(of->tmp);
		rc = PIISCAN_ERR_IO;
	} else {
		/* Make the rename itself durable. */
		char *copy = xstrdup(of->path);
		int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(copy);
	}
	outfile_free(of);
	return rc;
}

void outfile_abort(struct outfile *of)
{
	if (!of)
		return;
	if (of->tmp) {
		close(of->fd);
		unlink(of->tmp);
	} else if (of->fd != 1) {
		close(of->fd);
	}
	outfile_free(of);
}

int outfile_write_all(const char *path, const void *p, size_t len, char *errbuf, size_t errbuf_len)
{
	struct outfile *of;
	int rc = outfile_open(path, &of, errbuf, errbuf_len);
	if (rc)
		return rc;
	outfile_write(of, p, len);
	return outfile_commit(of, errbuf, errbuf_len);
}
