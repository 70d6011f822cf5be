/* libFuzzer target for the pipeline's reading of line-framed input
 * (scanner/pipeline.c: read_lines, and its hand-back to the framers): the
 * input, after a control byte that picks the format (text, CSV, TSV, JSON
 * Lines), the encoding (UTF-8 or GB18030) and a chunk size of 8 to 256
 * bytes, is written to a file and scanned twice with the shipped rules,
 * once with every record framed by the reader and once with lines read
 * unframed (chunks cut after their last newline, in CSV the last outside
 * quotes; lines longer than a chunk and a quote left open at the end
 * handed back to the framer). In GB18030 the reader decodes all in the
 * first scan, the workers decode the unframed chunks in the second and
 * count offsets from what they decoded (transcode_raw_pos). Both must
 * find the same: the same findings lines, in the same order, with the same
 * record numbers and offsets, and the same counts. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fingerprint.h"
#include "fuzz.h"
#include "fuzz_rules.h"
#include "hsdb.h"
#include "pipeline.h"
#include "rules.h"

static struct ruleset *rs;
static struct hsdb *db;
static struct fingerprint_key key;
static char dir[64];

static void cleanup(void)
{
	rmdir(dir);
}

static void init(void)
{
	char eb[512];
	fuzz_load_rules("fuzz_lines", &rs, &db);
	if (fingerprint_key_load(&key, NULL, eb, sizeof eb))
		abort();
	snprintf(dir, sizeof dir, "/tmp/piiscan-fuzz-lines-%ld", (long)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		abort();
	atexit(cleanup);
}

/* The whole of a file, or NULL. */
static char *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *p = NULL;
	size_t cap = 0;
	*n = 0;
	for (;;) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			p = realloc(p, cap);
		}
		size_t r = fread(p + *n, 1, cap - *n, fp);
		*n += r;
		if (r == 0)
			break;
	}
	fclose(fp);
	return p;
}

/* Scan input with lines read unframed or not; its findings file's bytes. */
static char *scan(const char *input, bool unframed, bool gb, size_t chunk, struct scan_result *res, size_t *n)
{
	char findings[128];
	snprintf(findings, sizeof findings, "%s/findings-%d.jsonl", dir, unframed);
	char *paths[] = { (char *)input };
	struct scan_options opt;
	memset(&opt, 0, sizeof opt);
	opt.paths = paths;
	opt.npaths = 1;
	opt.format = FORMAT_AUTO;   /* by the file's name */
	opt.min_confidence = CONFIDENCE_POSSIBLE;
	opt.threads = 2;
	opt.findings_path = findings;
	opt.version = "fuzz";
	opt.encoding = gb ? ENCODING_GB18030 : ENCODING_UTF8;
	opt.encoding_forced = gb;
	opt.as_of[0] = 2026, opt.as_of[1] = 1, opt.as_of[2] = 1;
	opt.chunk_cap = chunk;
	opt.lines = unframed ? LINES_ALWAYS : LINES_NEVER;
	char eb[256];
	/* pipeline_run prints its summary table on stdout: not here. */
	fflush(stdout);
	int out = dup(1), null = open("/dev/null", O_WRONLY);
	FUZZ_ASSERT(out >= 0 && null >= 0 && dup2(null, 1) == 1);
	FUZZ_ASSERT(pipeline_run(&opt, db, &key, res, eb, sizeof eb) == 0);
	fflush(stdout);
	dup2(out, 1);
	close(out);
	close(null);
	char *p = slurp(findings, n);
	FUZZ_ASSERT(p != NULL);
	unlink(findings);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rs)
		init();
	if (size < 1)
		return 0;
	static const char *const ext[] = { "log", "csv", "tsv", "jsonl" };
	char input[128];
	snprintf(input, sizeof input, "%s/input.%s", dir, ext[data[0] & 3]);
	size_t chunk = 8 + (size_t)(data[0] >> 3) * 8;
	bool gb = data[0] & 4;
	FILE *fp = fopen(input, "wb");
	if (!fp || fwrite(data + 1, 1, size - 1, fp) != size - 1)
		abort();
	fclose(fp);
	struct scan_result a, b;
	size_t na, nb;
	char *fa = scan(input, false, gb, chunk, &a, &na), *fb = scan(input, true, gb, chunk, &b, &nb);
	FUZZ_ASSERT(a.status == b.status);
	FUZZ_ASSERT(a.findings == b.findings);
	FUZZ_ASSERT(na == nb && !memcmp(fa, fb, na));
	free(fa);
	free(fb);
	unlink(input);
	return 0;
}
