/* A small table-driven test harness: each check prints both operands on
 * failure and the file:line, and the run ends with a count. Include it from
 * exactly one test_*.c file per binary and call TEST_MAIN(...) at the end. */
#ifndef PIISCAN_HARNESS_H
#define PIISCAN_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_failures;
static int harness_checks;

#define CHECK(cond)                                                          \
	do {                                                                 \
		harness_checks++;                                            \
		if (!(cond)) {                                               \
			harness_failures++;                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n",         \
				__FILE__, __LINE__, #cond);                  \
		}                                                            \
	} while (0)

#define CHECK_INT(a, b)                                                      \
	do {                                                                 \
		long long ha_ = (long long)(a), hb_ = (long long)(b);        \
		harness_checks++;                                            \
		if (ha_ != hb_) {                                            \
			harness_failures++;                                  \
			fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n",   \
				__FILE__, __LINE__, #a, #b, ha_, hb_);       \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *ha_ = (a), *hb_ = (b);                           \
		harness_checks++;                                            \
		if (!ha_ || !hb_ || strcmp(ha_, hb_) != 0) {                 \
			harness_failures++;                                  \
			fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, #a, #b,                  \
				ha_ ? ha_ : "(null)", hb_ ? hb_ : "(null)"); \
		}                                                            \
	} while (0)

/* CHECK_MSG adds a caller-formatted label (for table rows). */
#define CHECK_MSG(cond, ...)                                                 \
	do {                                                                 \
		harness_checks++;                                            \
		if (!(cond)) {                                               \
			harness_failures++;                                  \
			fprintf(stderr, "%s:%d: check failed: %s: ",         \
				__FILE__, __LINE__, #cond);                  \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
		}                                                            \
	} while (0)

#define TEST_MAIN(...)                                                       \
	int main(void)                                                       \
	{                                                                    \
		void (*tests_[])(void) = { __VA_ARGS__ };                    \
		for (size_t i_ = 0; i_ < sizeof tests_ / sizeof *tests_; i_++) \
			tests_[i_]();                                        \
		printf("%s: %d checks, %d failed\n", __FILE__,              \
		       harness_checks, harness_failures);                    \
		return harness_failures ? 1 : 0;                             \
	}

#endif
