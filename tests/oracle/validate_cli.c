/* validate_cli: the validators as a batch filter, for the differential
 * oracle test (test_oracle.py) and for poking at a validator by hand.
 * Reads "NAME<TAB>VALUE" lines on stdin and writes "VERDICT<TAB>NORMAL"
 * lines on stdout, one per input line, in order. VERDICT is fail, pass
 * or weak; an unknown NAME gives "error<TAB>unknown validator". */
#include <stdio.h>
#include <string.h>

#include "validate.h"

static const char *cli_verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return "pass";
	case VERDICT_WEAK:
		return "weak";
	case VERDICT_FAIL:
		break;
	}
	return "fail";
}

int main(int argc, char **argv)
{
	char line[4096], norm[VALIDATE_NORM_MAX];

	(void)argv;
	if (argc != 1) {
		fputs("usage: validate_cli < NAME<TAB>VALUE lines\n", stderr);
		return 2;
	}
	while (fgets(line, sizeof line, stdin)) {
		size_t len = strlen(line);
		const struct validator *v;
		char *tab;

		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(stdin)) {
			fputs("validate_cli: input line too long\n", stderr);
			return 1;
		}
		tab = strchr(line, '\t');
		if (!tab) {
			fputs("validate_cli: input line without a tab\n", stderr);
			return 1;
		}
		*tab = '\0';
		v = validator_find(line);
		if (!v) {
			puts("error\tunknown validator");
			continue;
		}
		const char *s = tab + 1;
		size_t slen = len - (size_t)(s - line);
		enum verdict verdict = v->check(s, slen);
		size_t n = v->normalize(s, slen, norm, sizeof norm);

		printf("%s\t%.*s\n", cli_verdict_name(verdict), (int)n, norm);
	}
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
