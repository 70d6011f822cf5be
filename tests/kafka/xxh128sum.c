/* xxh128sum: the XXH3-128 of standard input in canonical (big-endian) hex,
 * as `piiscan kafka` writes it in a window manifest's "xxh3_128". For
 * tests/kafka/test_kafka.py, which recomputes windows from the topic. */
#include <stdio.h>
#include <xxhash.h>

int main(void)
{
	XXH3_state_t *st = XXH3_createState();
	char buf[1 << 16];
	size_t n;
	XXH3_128bits_reset(st);
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
		XXH3_128bits_update(st, buf, n);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	for (size_t i = 0; i < sizeof c.digest; i++)
		printf("%02x", c.digest[i]);
	putchar('\n');
	XXH3_freeState(st);
	return ferror(stdin) ? 1 : 0;
}
