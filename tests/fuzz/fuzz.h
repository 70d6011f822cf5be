/* Shared by the libFuzzer targets in tests/fuzz/: the entry point's
 * prototype, an assertion that stops the fuzzer with a message, and a small
 * deterministic generator for choices drawn from the input. */
#ifndef PIISCAN_FUZZ_H
#define PIISCAN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test promised and broke: print it and abort,
 * which libFuzzer (and replay) report as a crash with the input. */
#define FUZZ_ASSERT(cond)                                                    \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n",    \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

/* Checks for bugs already reported to the owner of scanner/ are compiled
 * in by default, so `make fuzz-replay` fails on their regression inputs
 * until they are fixed; `make fuzz` defines FUZZ_IGNORE_KNOWN_BUGS so the
 * fuzzer can explore past them. */
#ifdef FUZZ_IGNORE_KNOWN_BUGS
#define FUZZ_KNOWN_BUGS 0
#else
#define FUZZ_KNOWN_BUGS 1
#endif

/* xorshift32: a stream of choices (chunk sizes, modes) seeded by the input. */
static inline uint32_t fuzz_next(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

#endif
