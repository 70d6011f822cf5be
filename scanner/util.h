/* Allocation that cannot fail (out of memory aborts, as git's xmalloc does:
 * there is nothing sensible to record in a manifest without memory) and a
 * few small helpers every module uses. Knows nothing of the pipeline. */
#ifndef PIISCAN_UTIL_H
#define PIISCAN_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *p (an array of elem-sized items with capacity *cap) to hold at
 * least need items, doubling. The test is inline: callers ask once per
 * record or per match, and nearly always there is room. */
void xgrow_slow(void **p, size_t *cap, size_t need, size_t elem);
static inline void xgrow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (__builtin_expect(need > *cap, 0))
		xgrow_slow(p, cap, need, elem);
}

/* Exchange two growable arrays (pointer and capacity each): a merge into a
 * second buffer becomes the first without a copy back. */
static inline void xswap_arrays(void **a, size_t *acap, void **b, size_t *bcap)
{
	void *p = *a;
	size_t c = *acap;
	*a = *b;
	*acap = *bcap;
	*b = p;
	*bcap = c;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* CPUs this process may use (affinity mask, capped by a cgroup v2 CPU
 * quota; at least 1): the default number of scanning threads. */
unsigned util_cpus(void);
/* CPUs a cgroup v2 cpu.max line allows ("200000 100000": 2; "150000
 * 100000": 2), or 0 for no limit or a line it cannot read. */
unsigned util_cpu_quota(const char *cpu_max);

/* Monotonic clock in seconds. */
double util_now(void);

/* Write all of p[0..n) to fd, again after a short write or EINTR:
 * 0, or the errno of the failure (EIO for a write that wrote nothing). */
int util_write_all(int fd, const void *p, size_t n);

/* Write hex of src[0..len) to dst (2*len chars + NUL). */
void util_hex(char *dst, const void *src, size_t len);

#endif
