/* Classifying a field from its tally. The thresholds are the policy:
 *  - a column where at least 30% of the values are the kind, and at least
 *    half of the candidates pass the validator, is that kind;
 *  - a field whose name says what it holds needs only 5% (sparse columns);
 *  - a free-text field (remarks, notes) with a few validated values is
 *    tagged too, at 'possible': personal data in a note is still personal
 *    data, and the manifest keeps the evidence for a person to judge;
 *  - look-alike columns (order ids, timestamps, hashes) produce candidates
 *    that mostly fail their validators and stay untagged. */
#include "classify.h"

#include <string.h>

void classify_field(const struct ruleset *rs, const struct field *f, const struct tally_field *tf,
		    struct classification *out)
{
	double best_score = -1;
	memset(out, 0, sizeof *out);
	out->rule = out->candidate = -1;
	if (!tf->by_rule || !tf->records_total)
		return;
	for (size_t k = 0; k < rs->n; k++) {
		uint64_t found = tf->by_rule[k * 4 + 1] + tf->by_rule[k * 4 + 2] + tf->by_rule[k * 4 + 3];
		if (!found)
			continue;
		double share = (double)tf->rule_records[k] / (double)tf->records_total;
		double pass = (double)found / (double)(found + tf->rule_rejected[k]);
		bool hint = f->context[k] != 0;
		double score = share * (0.5 + 0.5 * pass) + (hint ? 0.25 : 0);
		if (score > best_score ||
		    (score == best_score && rs->rules[k].priority > rs->rules[out->candidate].priority)) {
			best_score = score;
			out->candidate = (int)k;
			out->share = share > 1 ? 1 : share;
			out->pass_rate = pass;
			out->name_hint = hint;
		}
	}
	if (out->candidate < 0)
		return;
	size_t k = (size_t)out->candidate;
	uint64_t found = tf->by_rule[k * 4 + 1] + tf->by_rule[k * 4 + 2] + tf->by_rule[k * 4 + 3];
	double s = out->share, p = out->pass_rate;
	bool h = out->name_hint;
	if ((s >= 0.8 && p >= 0.9) || (h && s >= 0.5 && p >= 0.9))
		out->confidence = CONFIDENCE_VERY_LIKELY;
	else if ((s >= 0.3 && p >= 0.5) || (h && s >= 0.05))
		out->confidence = CONFIDENCE_LIKELY;
	else if (s >= 0.01 && p >= 0.8 && found >= 3)
		out->confidence = CONFIDENCE_POSSIBLE;
	else
		return;
	out->rule = out->candidate;
}
