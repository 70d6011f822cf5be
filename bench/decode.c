/* bench/decode: how fast the reader decodes one file, apart from the scan.
 *
 *     build/bench/decode FILE MODE...
 *
 * MODE is "caller" (decoding in the reading thread), "thread" (one decoder
 * thread, what piiscan uses from 8 scanning threads) or a number N >= 2
 * (LZ4 blocks decoded by N threads side by side, from 8N scanning
 * threads). Each mode reads FILE to its end in reads of the size the
 * pipeline uses, round robin over the modes, and prints one line per run:
 * mode, seconds, GB/s of decoded bytes (10^9 a second) and CPU seconds.
 * Timing lives here, never in tests (bench/README.md). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "source.h"
#include "stream.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* Read path to its end; 0 and the decoded byte count, or -1. */
static int read_once(const char *path, const char *mode, unsigned long long *bytes)
{
	struct source *src = source_new(0, path);
	struct stream *st;
	char err[256];
	if (stream_open(src, &st, err, sizeof err)) {
		fprintf(stderr, "decode: %s: %s\n", path, err);
		source_free(src);
		return -1;
	}
	if (strcmp(mode, "caller")) {
		if (strcmp(mode, "thread"))
			stream_set_decoders(st, (unsigned)atoi(mode));
		stream_prefetch_after(st, 0);
	}
	size_t cap = stream_read_size(st) > (1u << 20) ? stream_read_size(st) : (1u << 20);
	char *buf = malloc(cap);
	int rc = 0;
	*bytes = 0;
	for (;;) {
		size_t n;
		rc = stream_read(st, buf, cap, &n, err, sizeof err);
		*bytes += n;
		if (rc) {
			fprintf(stderr, "decode: %s: %s\n", path, err);
			break;
		}
		if (!n)
			break;
	}
	stream_close(st, !rc);
	source_free(src);
	free(buf);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: decode FILE MODE... [--runs N] (MODE: caller, thread or a number >= 2)\n");
		return 2;
	}
	int runs = 5, nmodes = 0;
	const char *modes[16];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (nmodes < 16)
			modes[nmodes++] = argv[i];
	}
	for (int r = 0; r < runs; r++) {
		for (int m = 0; m < nmodes; m++) {
			unsigned long long bytes;
			double t0 = now(), c0 = cpu_seconds();
			if (read_once(argv[1], modes[m], &bytes))
				return 1;
			double t = now() - t0, c = cpu_seconds() - c0;
			printf("%s\t%.3f\t%.3f\t%.3f\n", modes[m], t, (double)bytes / t / 1e9, c);
			fflush(stdout);
		}
	}
	return 0;
}
