/* bench/floor: what parts of the job cost on their own, against the
 * budget a throughput goal leaves per record.
 *
 *     build/bench/floor FILE [--rules DIR] [--runs N] [--goal GB/s]
 *                            [--max-mb N] [--json]
 *
 * The first N MiB of FILE (default 4, whole lines: in the caches, as a
 * slice is when the pipeline scans and judges it) are read into memory
 * once; then, round robin over N runs (default 5), each stage runs alone:
 *
 *   read      read(2) of the whole file, 1 MiB at a time (the page
 *             cache's copy)
 *   mmap      the whole file mapped, then memchr for every newline in it
 *   lines     memchr for every newline in memory (one pass, nothing judged)
 *   starts    the scan's token-start pass alone (where a value may begin:
 *             64 bytes at a time, the one pass over every byte it makes)
 *   scan      scanner_scan over slices of at most 128 KiB ending at a
 *             newline: token starts, DFA walks, validators, grouping (the
 *             scan stage; no framing, attribution or counting)
 *   validate  the rules' validators alone, called on the values the scan
 *             returned (after grouping: fewer calls than the scan makes),
 *             in the order it found them
 *   by rule   the same calls, one rule's at a time (each loop's branches
 *             then predict better than in the mixed order; where values
 *             are sparse, as in logs, each one's bytes come from far
 *             away and the ns each is the memory's, not the validator's)
 *
 * Each line gives the median CPU time of the process (user + system), ns
 * per record (a line of the sample's mean size), and the GB/s that stage
 * alone would allow; --json gives the medians as one JSON object
 * (bench/run.sh keeps it, bench/report.py weighs it against the goals). The
 * budget is the time per record at the goal (2.5 GB/s a core, issue 3's
 * for dense CSV; --goal 5 for its logs): a stage over it, or stages every
 * design needs that add up to more, rule the goal out whatever the rest
 * costs.
 * Timing lives here, never in tests (bench/README.md). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hsdb.h"
#include "rules.h"
#include "scan.h"

#define SLICE (128u << 10)
#define MAX_RUNS 64

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A value the scan returned, where its validator finds it. */
struct value {
	const char *p;
	uint32_t len;
	uint32_t rule;
};

struct job {
	const char *path;
	size_t file_len;   /* the whole file: read and mmap */
	char *data;        /* its first max bytes (whole lines): the rest */
	size_t len, lines;
	struct scanner *sc;
	const struct ruleset *rs;
	struct value *vals;        /* in scan order */
	struct value *sorted;      /* the same by rule, each rule's in scan order */
	size_t nvals;
	size_t *by_rule;   /* per rule: its first value in sorted, n + 1 entries */
	volatile unsigned sink;
};

static int stage_read(struct job *j)
{
	static char buf[1u << 20];
	int fd = open(j->path, O_RDONLY);
	ssize_t n;
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		j->sink += (unsigned char)buf[0];
	close(fd);
	return n < 0 ? -1 : 0;
}

static size_t count_lines(const char *p, size_t len)
{
	size_t n = 0;
	for (const char *end = p + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		n++;
	return n;
}

static int stage_lines(struct job *j)
{
	j->sink += (unsigned)count_lines(j->data, j->len);
	return 0;
}

/* The file mapped and every newline found in it: the page cache without
 * read(2)'s copy, but with a fault (or a fault-around) per few pages. */
static int stage_mmap(struct job *j)
{
	int fd = open(j->path, O_RDONLY);
	if (fd < 0)
		return -1;
	void *p = mmap(NULL, j->file_len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	j->sink += (unsigned)count_lines(p, j->file_len);
	munmap(p, j->file_len);
	return 0;
}

/* The scan over slices ending at a newline; with collect, the values it
 * returns are kept for the validate stages. */
static int scan_all(struct job *j, int collect)
{
	size_t off = 0;
	while (off < j->len) {
		size_t n = j->len - off;
		if (n > SLICE) {
			const char *nl = memrchr(j->data + off, '\n', SLICE);
			n = nl ? (size_t)(nl - (j->data + off)) + 1 : SLICE;
		}
		const struct match *m;
		size_t nm;
		if (scanner_scan(j->sc, j->data + off, n, &m, &nm))
			return -1;
		j->sink += (unsigned)nm;
		for (size_t i = 0; collect && i < nm; i++) {
			if (!j->rs->rules[m[i].rule].validator)
				continue;
			if ((j->nvals & (j->nvals - 1)) == 0)
				j->vals = realloc(j->vals, (j->nvals ? 2 * j->nvals : 1) * sizeof *j->vals);
			j->vals[j->nvals++] = (struct value){ j->data + off + m[i].start, m[i].end - m[i].start,
							      m[i].rule };
		}
		off += n;
	}
	return 0;
}

static int stage_scan(struct job *j)
{
	return scan_all(j, 0);
}

static int stage_starts(struct job *j)
{
	size_t n = 0;
	for (size_t off = 0; off < j->len; off += SLICE)
		n += scanner_count_starts(j->sc, j->data + off, j->len - off < SLICE ? j->len - off : SLICE);
	j->sink += (unsigned)n;
	return 0;
}

static int stage_validate(struct job *j)
{
	const struct rule *rules = j->rs->rules;
	unsigned v = 0;
	for (size_t i = 0; i < j->nvals; i++)
		v += (unsigned)rules[j->vals[i].rule].validator->check(j->vals[i].p, j->vals[i].len);
	j->sink += v;
	return 0;
}

static int cmp_value_rule(const void *a, const void *b)
{
	const struct value *x = a, *y = b;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->p < y->p ? -1 : x->p > y->p;
}

/* The validator of rule r over its values alone: CPU seconds. */
static double time_rule(struct job *j, uint32_t r)
{
	const struct validator *val = j->rs->rules[r].validator;
	unsigned v = 0;
	double t0 = cpu_now();
	for (size_t i = j->by_rule[r]; i < j->by_rule[r + 1]; i++)
		v += (unsigned)val->check(j->sorted[i].p, j->sorted[i].len);
	double t = cpu_now() - t0;
	j->sink += v;
	return t;
}

/* A stage's median over bytes: ns a record of the sample's mean size. */
static void report(const char *name, double sec, size_t bytes, const struct job *j, double budget_ns)
{
	double ns = sec * 1e9 / (double)bytes * (double)j->len / (double)j->lines;
	printf("%-10s %9.1f ms %9.1f ns/record %8.3f GB/s alone %6.2fx the budget\n", name, sec * 1e3, ns,
	       (double)bytes / sec / 1e9, ns / budget_ns);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	const char *rules_dir = "rules";
	int runs = 5;
	double goal = 2.5;
	size_t max = (size_t)4 << 20;
	bool json = false;
	struct job j = { 0 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rules") && i + 1 < argc)
			rules_dir = argv[++i];
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--goal") && i + 1 < argc)
			goal = atof(argv[++i]);
		else if (!strcmp(argv[i], "--max-mb") && i + 1 < argc)
			max = (size_t)atol(argv[++i]) << 20;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!j.path)
			j.path = argv[i];
	}
	if (!j.path || runs < 1 || runs > MAX_RUNS || goal <= 0 || !max) {
		fprintf(stderr, "usage: floor FILE [--rules DIR] [--runs N (1-%d)] [--goal GB/s] [--max-mb N] [--json]\n",
			MAX_RUNS);
		return 2;
	}

	char err[512];
	struct ruleset *rs;
	struct hsdb *db;
	if (ruleset_load(rules_dir, &rs, err, sizeof err) || hsdb_load(rs, NULL, &db, err, sizeof err)) {
		fprintf(stderr, "floor: %s\n", err);
		return 1;
	}
	j.rs = rs;
	j.sc = scanner_new(db);
	int fd = open(j.path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		perror(j.path);
		return 1;
	}
	j.file_len = (size_t)st.st_size;
	size_t want = j.file_len < max ? j.file_len : max;
	if (!(j.data = malloc(want + 1))) {
		perror(j.path);
		return 1;
	}
	for (ssize_t n; j.len < want; j.len += (size_t)n)
		if ((n = read(fd, j.data + j.len, want - j.len)) <= 0) {
			perror(j.path);
			return 1;
		}
	close(fd);
	/* Whole lines only. */
	while (j.len < j.file_len && j.len && j.data[j.len - 1] != '\n')
		j.len--;
	j.lines = count_lines(j.data, j.len);
	if (!j.lines || !j.sc || scan_all(&j, 1)) {
		fprintf(stderr, "floor: %s: no lines, or the scan failed\n", j.path);
		return 1;
	}
	/* In scan order within a rule: the bytes are read front to back, as
	 * the scan reads them, not from all over the file. */
	j.sorted = malloc((j.nvals ? j.nvals : 1) * sizeof *j.sorted);
	memcpy(j.sorted, j.vals, j.nvals * sizeof *j.vals);
	qsort(j.sorted, j.nvals, sizeof *j.sorted, cmp_value_rule);
	j.by_rule = calloc(rs->n + 1, sizeof *j.by_rule);
	for (size_t i = 0, r = 0; r <= rs->n; r++) {
		while (i < j.nvals && j.sorted[i].rule < r)
			i++;
		j.by_rule[r] = i;
	}

	static const struct {
		const char *name;
		int (*run)(struct job *);
	} stages[] = { { "read", stage_read }, { "mmap", stage_mmap }, { "lines", stage_lines }, { "starts", stage_starts },
		       { "scan", stage_scan },
		       { "validate", stage_validate } };
	enum { NSTAGES = sizeof stages / sizeof stages[0], NWHOLE = 2 /* read, mmap: the whole file */ };
	static double t[NSTAGES][MAX_RUNS];
	double *tr = calloc(rs->n * (size_t)runs, sizeof *tr);
	for (int r = 0; r < runs; r++) {
		for (int s = 0; s < NSTAGES; s++) {
			double t0 = cpu_now();
			if (stages[s].run(&j)) {
				perror(stages[s].name);
				return 1;
			}
			t[s][r] = cpu_now() - t0;
		}
		for (uint32_t k = 0; k < rs->n; k++)
			tr[(size_t)k * (size_t)runs + (size_t)r] = time_rule(&j, k);
	}

	double budget_ns = (double)j.len / (double)j.lines / goal;
	if (json) {
		printf("{\"file\":");
		json_str(j.path);
		printf(",\"bytes\":%zu,\"sample_bytes\":%zu,\"records\":%zu,\"values\":%zu,\"runs\":%d,"
		       "\"goal_gb_s\":%g,\"stages\":{",
		       j.file_len, j.len, j.lines, j.nvals, runs, goal);
		for (int s = 0; s < NSTAGES; s++)
			printf("%s\"%s\":{\"cpu_s\":%.6f,\"bytes\":%zu}", s ? "," : "", stages[s].name,
			       median(t[s], runs), s < NWHOLE ? j.file_len : j.len);
		printf("},\"rules\":{");
		for (uint32_t k = 0, first = 1; k < rs->n; k++) {
			size_t n = j.by_rule[k + 1] - j.by_rule[k];
			if (!n)
				continue;
			printf("%s", first ? "" : ",");
			json_str(rs->rules[k].id);
			printf(":{\"values\":%zu,\"cpu_s\":%.6f}", n, median(tr + (size_t)k * (size_t)runs, runs));
			first = 0;
		}
		printf("}}\n");
	} else {
		printf("%s: %zu bytes (the first %zu: %zu records, %.1f B each), %zu values with a validator "
		       "(%.2f a record)\n",
		       j.path, j.file_len, j.len, j.lines, (double)j.len / (double)j.lines, j.nvals,
		       (double)j.nvals / (double)j.lines);
		printf("budget at %.2f GB/s a core: %.1f ns a record; median of %d runs, CPU time\n", goal, budget_ns,
		       runs);
		for (int s = 0; s < NSTAGES; s++)
			report(stages[s].name, median(t[s], runs), s < NWHOLE ? j.file_len : j.len, &j, budget_ns);
		for (uint32_t k = 0; k < rs->n; k++) {
			size_t n = j.by_rule[k + 1] - j.by_rule[k];
			if (!n)
				continue;
			double sec = median(tr + (size_t)k * (size_t)runs, runs);
			printf("  %-22s %9zu values %7.1f ns each %7.1f ns/record\n", rs->rules[k].id, n,
			       sec * 1e9 / (double)n, sec * 1e9 / (double)j.lines);
		}
	}
	free(tr);
	free(j.by_rule);
	free(j.vals);
	free(j.sorted);
	free(j.data);
	scanner_free(j.sc);
	hsdb_free(db);
	ruleset_free(rs);
	return 0;
}
