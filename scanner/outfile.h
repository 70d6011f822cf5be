/* Output files that appear whole or not at all: written to a temporary
 * file beside the target (mode 0600), fsynced, then renamed over it, so a
 * run killed outright never leaves a half-written manifest or findings
 * file. A symbolic link is kept and the file it names replaced. "-" writes
 * to stdout, and a path that is not a regular file (/dev/null, a FIFO) is
 * written straight through. Not thread-safe per file. */
#ifndef PIISCAN_OUTFILE_H
#define PIISCAN_OUTFILE_H

#include <stddef.h>

struct outfile;

/* Returns 0, or a negative code with errbuf naming the path and cause. */
int outfile_open(const char *path, struct outfile **out, char *errbuf, size_t errbuf_len);
int outfile_write(struct outfile *of, const void *p, size_t len);
/* Flush, fsync and rename into place; frees of. Returns 0 or a negative
 * code (the first write error, if any) with errbuf set. */
int outfile_commit(struct outfile *of, char *errbuf, size_t errbuf_len);
/* Remove the temporary file; frees of. NULL is a no-op. */
void outfile_abort(struct outfile *of);

/* Write a whole file atomically. */
int outfile_write_all(const char *path, const void *p, size_t len, char *errbuf, size_t errbuf_len);

#endif
