/* The framer registry, format names and format detection. */
#include "frame.h"

#include <string.h>
#include <strings.h>

#include "util.h"

extern const struct framer frame_csv, frame_tsv, frame_jsonl, frame_text, frame_sql;

static const char *const format_names[] = { "auto", "csv", "tsv", "jsonl", "text", "sql" };

const char *frame_format_name(enum frame_format f)
{
	return (unsigned)f < FORMAT_COUNT_ ? format_names[f] : "unknown";
}

int frame_format_parse(const char *s)
{
	for (int i = 0; i < FORMAT_COUNT_; i++)
		if (!strcmp(s, format_names[i]))
			return i;
	return -1;
}

enum frame_format frame_format_from_path(const char *path)
{
	static const struct { const char *ext; enum frame_format f; } map[] = {
		{ ".csv", FORMAT_CSV }, { ".tsv", FORMAT_TSV }, { ".jsonl", FORMAT_JSONL },
		{ ".ndjson", FORMAT_JSONL }, { ".json", FORMAT_JSONL }, { ".log", FORMAT_TEXT },
		{ ".txt", FORMAT_TEXT }, { ".sql", FORMAT_SQL },
	};
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		return FORMAT_AUTO;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcasecmp(dot, map[i].ext))
			return map[i].f;
	return FORMAT_AUTO;
}

enum frame_format frame_format_sniff(const char *p, size_t len)
{
	size_t i = 0;
	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < len && p[i] == '{')
		return FORMAT_JSONL;
	/* A dump starts with comments or statements that name themselves. */
	static const char *const sql_marks[] = { "-- MySQL dump", "-- PostgreSQL database dump",
		"INSERT INTO", "CREATE TABLE", "SET NAMES", "/*!40101" };
	for (size_t k = 0; k < ARRAY_SIZE(sql_marks); k++) {
		size_t ml = strlen(sql_marks[k]);
		for (size_t j = i; j + ml <= len && j < i + 4096; j++)
			if (!memcmp(p + j, sql_marks[k], ml))
				return FORMAT_SQL;
	}
	/* Delimited text: the first line has delimiters, and so does the
	 * second, the same number of them. */
	const char *nl = memchr(p + i, '\n', len - i);
	if (!nl)
		return FORMAT_TEXT;
	const char *second = nl + 1;
	const char *nl2 = memchr(second, '\n', (size_t)(p + len - second));
	if (!nl2)
		return FORMAT_TEXT;
	static const char delims[] = { '\t', ',' };
	for (size_t d = 0; d < sizeof delims; d++) {
		size_t a = 0, b = 0;
		for (const char *q = p + i; q < nl; q++)
			a += *q == delims[d];
		for (const char *q = second; q < nl2; q++)
			b += *q == delims[d];
		if (a >= 1 && a == b)
			return delims[d] == '\t' ? FORMAT_TSV : FORMAT_CSV;
	}
	return FORMAT_TEXT;
}

const struct framer *framer_for(enum frame_format f)
{
	switch (f) {
	case FORMAT_CSV: return &frame_csv;
	case FORMAT_TSV: return &frame_tsv;
	case FORMAT_JSONL: return &frame_jsonl;
	case FORMAT_TEXT: return &frame_text;
	case FORMAT_SQL: return &frame_sql;
	default: return &frame_text;
	}
}

size_t frame_line_end(struct frame_cursor *cur, const char *p, size_t len, bool eof)
{
	const char *nl = memchr(p + cur->scanned, '\n', len - cur->scanned);
	if (nl) {
		cur->scanned = 0;
		return (size_t)(nl - p) + 1;
	}
	if (eof) {
		cur->scanned = 0;
		return len;
	}
	cur->scanned = len;
	return 0;
}

void span_vec_grow(struct span_vec *sv)
{
	xgrow((void **)&sv->v, &sv->cap, sv->n + 1, sizeof *sv->v);
}
