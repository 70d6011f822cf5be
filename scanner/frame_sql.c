/* SQL dump framing: mysqldump and pg_dump plain output. A record is a row:
 * one parenthesised tuple of an INSERT ... VALUES statement (MySQL or
 * PostgreSQL), or one line of a PostgreSQL COPY ... FROM stdin block.
 * Everything else (SET, LOCK TABLES, CREATE TABLE, comments, psql
 * meta-commands such as \restrict) is skipped; CREATE TABLE is read for its
 * column names, so INSERTs without a column list still get named fields.
 * Fields are "table.column" with the bare table name (schema or database
 * prefix and quoting removed). Rows stream: a statement may be any length,
 * only one row at a time is held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SQL_WIDE_MASKS 1
#include <immintrin.h>
#endif

#include "field.h"
#include "frame.h"
#include "source.h"
#include "transcode.h"
#include "util.h"

#define SQL_NAME_MAX 128
/* Names read as GBK/GB18030 bytes are kept longer: decoded, their first
 * SQL_NAME_MAX - 1 bytes are what the decoded name's would be. */
#define SQL_NAME_READ (2 * SQL_NAME_MAX)
#define NAME_CAP(gb) ((gb) ? SQL_NAME_READ : SQL_NAME_MAX)
#define SQL_COLS_MAX 4096
/* A statement that carries no rows and is longer than this is skipped in
 * parts rather than held whole. */
#define SQL_STATEMENT_MAX (1u << 20)

enum sql_mode { SQL_TOP, SQL_VALUES, SQL_COPY };

/* The bytes of a 64-byte block that tuple_end's block step reads, as bit
 * masks. */
struct sql_masks {
	uint64_t sq, dq, bs, open, close;
};
typedef void sql_masks_fn(const char *b, struct sql_masks *m);

struct sql_table {
	char *name;
	char **cols;
	size_t ncols;
};

struct sql_state {
	enum sql_mode mode;
	bool pg;                  /* PostgreSQL: backslashes are literal in strings */
	uint32_t layout;          /* of the current INSERT or COPY */
	struct sql_table *tables; /* column names from CREATE TABLE */
	size_t ntables, tables_cap;
	bool skipping;            /* inside a long row-less statement */
	int tdepth;               /* tuple_end's state between calls */
	bool tin;
	char tq;
	bool skip_in_str;
	char skip_q;
	bool gb;                  /* cur->gbk: GBK/GB18030 as read */
	struct transcoder *tc;    /* for names, then */
	sql_masks_fn *masks;      /* the widest this CPU has */
};

static void sql_release(struct frame_cursor *cur)
{
	struct sql_state *st = cur->state;
	if (!st)
		return;
	for (size_t i = 0; i < st->ntables; i++) {
		for (size_t k = 0; k < st->tables[i].ncols; k++)
			free(st->tables[i].cols[k]);
		free(st->tables[i].cols);
		free(st->tables[i].name);
	}
	free(st->tables);
	transcoder_free(st->tc);
	free(st);
	cur->state = NULL;
}

/* Byte kinds, from a table: a tuple's values are read a byte at a time. */
enum { K_SPACE = 1, K_IDENT = 2 };
#define K_OF(c)                                                                                      \
	(((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\f' || (c) == '\v' ? K_SPACE : 0) | \
	 (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') ||       \
	  (c) == '_' || (c) == '$' || (c) >= 0x80 ? K_IDENT : 0))
#define K_ROW(r) K_OF(r), K_OF(r + 1), K_OF(r + 2), K_OF(r + 3), K_OF(r + 4), K_OF(r + 5), K_OF(r + 6), \
	K_OF(r + 7), K_OF(r + 8), K_OF(r + 9), K_OF(r + 10), K_OF(r + 11), K_OF(r + 12), K_OF(r + 13),      \
	K_OF(r + 14), K_OF(r + 15)
static const uint8_t sql_kind[256] = {
	K_ROW(0x00), K_ROW(0x10), K_ROW(0x20), K_ROW(0x30), K_ROW(0x40), K_ROW(0x50), K_ROW(0x60), K_ROW(0x70),
	K_ROW(0x80), K_ROW(0x90), K_ROW(0xA0), K_ROW(0xB0), K_ROW(0xC0), K_ROW(0xD0), K_ROW(0xE0), K_ROW(0xF0),
};
#undef K_ROW
#undef K_OF

static inline bool is_space(char c)
{
	return sql_kind[(unsigned char)c] & K_SPACE;
}

static inline bool is_ident(char c)
{
	return sql_kind[(unsigned char)c] & K_IDENT;
}

/* NULL in any case, the four bytes at p: in a dump's rows the most common
 * bare value, tested inline (a strncasecmp call each was 1.4% of a MySQL
 * dump's scan). A byte or'ed with 0x20 is a given lower-case letter only
 * when it is that letter in either case. */
static inline bool is_null(const char *p)
{
	return (p[0] | 0x20) == 'n' && (p[1] | 0x20) == 'u' && (p[2] | 0x20) == 'l' && (p[3] | 0x20) == 'l';
}

static bool word_at(const char *p, size_t len, size_t i, const char *w)
{
	size_t wl = strlen(w);
	return i + wl <= len && !strncasecmp(p + i, w, wl) && (i + wl == len || !is_ident(p[i + wl]));
}

/* In GBK/GB18030 as read (gb): whether p[i], a byte from 0x40 up but 0x7F
 * (a backslash, backquote, bracket, letter), is the second byte of a
 * two-byte character, p[0] being a character's first byte. It is when an
 * odd number of bytes 0x81-0xFE come right before it: such a run pairs off
 * from its first byte, for the byte before the run ends a character (an
 * ASCII byte, a second byte, a 0x80 or 0xFF read alone, or a digit, which
 * cannot be the second byte of a four-byte character here: its fourth
 * would have to be a digit too). The decoder's grouping (transcode.c,
 * char_len) found by one look back from wherever the framer stands; the
 * other bytes SQL reads (quotes, parentheses, commas, semicolons, line
 * breaks) are below 0x40 and never part of a character. */
static bool gb_trail(bool gb, const char *p, size_t i)
{
	if (!gb || i == 0 || (unsigned char)p[i - 1] < 0x81)
		return false;
	size_t k = 0;
	while (k < i && (unsigned char)p[i - 1 - k] >= 0x81 && (unsigned char)p[i - 1 - k] <= 0xFE)
		k++;
	return k & 1;
}

/* word_at, at a character's start. */
static bool kw_at(bool gb, const char *p, size_t len, size_t i, const char *w)
{
	return word_at(p, len, i, w) && !gb_trail(gb, p, i);
}

/* Whether p[i] belongs to an unquoted name: an identifier byte, or a
 * character's second byte in GBK/GB18030 (as its UTF-8 would). */
static bool ident_at(bool gb, const char *p, size_t i)
{
	unsigned char c = (unsigned char)p[i];
	return is_ident(p[i]) || (gb && c >= 0x40 && c != 0x7F && gb_trail(gb, p, i));
}

/* Skip blanks and comments from i. Returns the new position, or (size_t)-1
 * when a comment is not complete in p[0..len). */
static size_t skip_blank(const char *p, size_t len, size_t i, bool eof)
{
	for (;;) {
		while (i < len && is_space(p[i]))
			i++;
		if (i + 1 < len && p[i] == '-' && p[i + 1] == '-') {
			const char *nl = memchr(p + i, '\n', len - i);
			if (!nl)
				return eof ? len : (size_t)-1;
			i = (size_t)(nl - p) + 1;
		} else if (i < len && p[i] == '#') {
			const char *nl = memchr(p + i, '\n', len - i);
			if (!nl)
				return eof ? len : (size_t)-1;
			i = (size_t)(nl - p) + 1;
		} else if (i + 1 < len && p[i] == '/' && p[i + 1] == '*') {
			/* MySQL's executable comments, / *!40101 SET ... * /, are
			 * statements without rows: skipping them whole is right. */
			size_t j = i + 2;
			for (;;) {
				const char *star = memchr(p + j, '*', len - j);
				if (!star || (size_t)(star - p) + 1 >= len)
					return eof ? len : (size_t)-1;
				j = (size_t)(star - p) + 1;
				if (p[j] == '/')
					break;
			}
			i = j + 1;
		} else if (i + 1 >= len && i < len && (p[i] == '-' || p[i] == '/') && !eof) {
			return (size_t)-1; /* might start a comment */
		} else {
			return i;
		}
	}
}

/* The first of the bytes a, b, c, d in p[i..len), or len (frame_find2 for
 * four bytes): the framer's byte loops were a third of a MySQL dump's
 * scan. */
static inline size_t find4(const char *p, size_t len, size_t i, char a, char b, char c, char d)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c), vd = _mm_set1_epi8(d);
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
				     _mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, vd))));
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	for (; i < len; i++)
		if (p[i] == a || p[i] == b || p[i] == c || p[i] == d)
			return i;
	return len;
}

/* Scan a quoted string or identifier starting at p[i] (the quote). Returns
 * the position after the closing quote, or (size_t)-1 if it does not close
 * in p[0..len). Doubled quotes are escapes; so are backslashes, in MySQL
 * strings. */
static size_t skip_quoted(const char *p, size_t len, size_t i, bool backslash, bool gb)
{
	char q = p[i++];
	char esc = backslash && q != '`' ? '\\' : q;
	while (i < len) {
		i = frame_find2(p, i, len, q, esc);
		if (i >= len)
			break;
		char c = p[i];
		if ((c == '\\' || c == '`') && gb_trail(gb, p, i)) {
			i++;
			continue;
		}
		if (c == '\\' && backslash && q != '`') {
			i += 2;
			continue;
		}
		if (c == q) {
			if (i + 1 < len && p[i + 1] == q) {
				i += 2;
				continue;
			}
			if (i + 1 == len)
				return i + 1; /* may be a doubled quote cut by the block end: caller decides */
			return i + 1;
		}
		i++;
	}
	return (size_t)-1;
}

/* At p[i] == '$' in a PostgreSQL dump: if a dollar quote ($$ or $tag$)
 * opens here, the position after the matching close, or (size_t)-1 when
 * the close is not in p[0..len); i itself when this is no dollar quote
 * ($1 and the like). */
static size_t skip_dollar(const char *p, size_t len, size_t i, bool gb)
{
	size_t j = i + 1;
	if (j < len && p[j] >= '0' && p[j] <= '9')
		return i;
	while (j < len && ident_at(gb, p, j) && p[j] != '$')
		j++;
	if (j >= len)
		return (size_t)-1;
	if (p[j] != '$')
		return i;
	size_t tl = j + 1 - i;
	for (size_t k = j + 1; k + tl <= len; k++)
		if (p[k] == '$' && !memcmp(p + k, p + i, tl))
			return k + tl;
	return (size_t)-1;
}

/* The end of the statement that starts at i: just after its ';' outside
 * quotes, or (size_t)-1 if not in p[0..len). */
static size_t statement_end(const struct sql_state *st, const char *p, size_t len, size_t i)
{
	while (i < len) {
		char c = p[i];
		if (c == '$' && st->pg) {
			/* Function bodies: CREATE FUNCTION ... AS $$ ... $$; */
			size_t j = skip_dollar(p, len, i, st->gb);
			if (j == (size_t)-1)
				return j;
			if (j != i) {
				i = j;
				continue;
			}
		}
		if (c == '\'' || c == '"' || (c == '`' && !gb_trail(st->gb, p, i))) {
			i = skip_quoted(p, len, i, !st->pg, st->gb);
			if (i == (size_t)-1)
				return i;
			continue;
		}
		if (c == ';')
			return i + 1;
		i++;
	}
	return (size_t)-1;
}

/* Read a possibly qualified, possibly quoted name at p[i]; the bare last
 * component goes to out. Returns the position after it, or (size_t)-1. */
static size_t read_name(const char *p, size_t len, size_t i, char *out, size_t cap, bool gb)
{
	size_t o = 0;
	for (;;) {
		o = 0;
		if (i < len && (p[i] == '`' || p[i] == '"' || p[i] == '[')) {
			char close = p[i] == '[' ? ']' : p[i];
			i++;
			while (i < len && (p[i] != close || (close != '"' && gb_trail(gb, p, i)))) {
				if (o + 1 < cap)
					out[o++] = p[i];
				i++;
			}
			if (i >= len)
				return (size_t)-1;
			i++;
		} else {
			while (i < len && ident_at(gb, p, i)) {
				if (o + 1 < cap)
					out[o++] = p[i];
				i++;
			}
			if (o == 0)
				return (size_t)-1;
		}
		out[o] = '\0';
		if (i < len && p[i] == '.') {
			i++;
			continue;
		}
		return i;
	}
}

/* Read "(a, `b`, "c")" at p[i] into names. Returns the position after the
 * ')' or (size_t)-1. */
static size_t read_name_list(const char *p, size_t len, size_t i, char ***names, size_t *n, bool gb)
{
	char name[SQL_NAME_READ];
	size_t cap = 0;
	*names = NULL;
	*n = 0;
	if (i >= len || p[i] != '(')
		return (size_t)-1;
	i++;
	for (;;) {
		while (i < len && is_space(p[i]))
			i++;
		if (i < len && p[i] == ')')
			return i + 1;
		size_t j = read_name(p, len, i, name, NAME_CAP(gb), gb);
		if (j == (size_t)-1)
			return j;
		if (*n < SQL_COLS_MAX) {
			xgrow((void **)names, &cap, *n + 1, sizeof **names);
			(*names)[(*n)++] = xstrdup(name);
		}
		i = j;
		while (i < len && is_space(p[i]))
			i++;
		if (i < len && p[i] == ',')
			i++;
		else if (i < len && p[i] == ')')
			return i + 1;
		else
			return (size_t)-1;
	}
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static struct sql_table *find_table(struct sql_state *st, const char *name)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (!strcmp(st->tables[i].name, name))
			return &st->tables[i];
	return NULL;
}

/* A name read as GBK/GB18030 bytes in UTF-8, cut as read_name cuts names
 * (newly allocated). */
static char *gb_name(struct sql_state *st, const char *raw)
{
	if (!st->tc && !(st->tc = transcoder_new(ENCODING_GB18030)))
		return xstrdup(raw);   /* iconv failed the reader a moment ago: not reached */
	struct buf b;
	buf_init(&b);
	transcoder_decode(st->tc, raw, strlen(raw), &b, NULL);
	char *s = xstrndup(b.data ? b.data : "", MIN(b.len, (size_t)SQL_NAME_MAX - 1));
	buf_release(&b);
	return s;
}

/* The layout of table's cols, reused or new (the names as fields are),
 * for INSERT tuples or COPY lines. */
static uint32_t layout_for(struct frame_cursor *cur, const char *table, char **cols, size_t ncols, bool copy)
{
	struct source *src = cur->src;
	struct sql_state *st = cur->state;
	/* Reuse the previous layout when it is the same table and columns:
	 * mysqldump writes many INSERTs per table. */
	for (uint32_t k = src->nlayouts; k-- > 0 && k + 8 >= src->nlayouts;) {
		struct layout *l = src->layouts[k];
		if (strcmp(l->table, table) || l->n != ncols || l->pg != st->pg || l->copy != copy)
			continue;
		bool same = true;
		for (size_t c = 0; c < ncols && same; c++) {
			/* The field may be the source's overflow field "(other)". */
			const char *nm = fieldtab_get(cur->fields, l->fields[c])->name;
			size_t tl = strlen(table);
			same = nm && strlen(nm) > tl && !strncmp(nm, table, tl) && nm[tl] == '.' &&
			       !strcmp(nm + tl + 1, cols[c]);
		}
		if (same)
			return k;
	}
	if (!src->layouts)
		src->layouts = xcalloc(SOURCE_LAYOUTS_MAX, sizeof *src->layouts);
	if (src->nlayouts == SOURCE_LAYOUTS_MAX)
		return src->nlayouts - 1; /* pathological: share the last layout */
	struct layout *l = xcalloc(1, sizeof *l);
	l->table = xstrdup(table);
	l->pg = st->pg;
	l->copy = copy;
	l->n = (uint32_t)ncols;
	l->fields = xcalloc(ncols ? ncols : 1, sizeof *l->fields);
	for (size_t c = 0; c < ncols; c++) {
		char name[2 * SQL_NAME_MAX + 2];
		int n = snprintf(name, sizeof name, "%s.%s", table, cols[c]);
		l->fields[c] = fieldtab_intern(cur->fields, src->id, name, (size_t)n);
	}
	src->layouts[src->nlayouts] = l;
	return src->nlayouts++;
}

/* A layout for table with cols (or the CREATE TABLE columns, or none). */
static uint32_t add_layout(struct frame_cursor *cur, const char *table, char **cols, size_t ncols, bool copy)
{
	struct sql_state *st = cur->state;
	struct sql_table *t = NULL;
	if (!cols && (t = find_table(st, table))) {
		cols = t->cols;
		ncols = t->ncols;
	}
	if (!st->gb)
		return layout_for(cur, table, cols, ncols, copy);
	char *dtable = gb_name(st, table), **dcols = xcalloc(ncols ? ncols : 1, sizeof *dcols);
	for (size_t c = 0; c < ncols; c++)
		dcols[c] = gb_name(st, cols[c]);
	uint32_t k = layout_for(cur, dtable, dcols, ncols, copy);
	free_names(dcols, ncols);
	free(dtable);
	return k;
}

/* CREATE TABLE name ( col type ..., PRIMARY KEY (...), ... ): the names of
 * the items that are columns, not constraints. */
static void read_create_table(struct sql_state *st, const char *p, size_t len)
{
	static const char *const not_columns[] = { "PRIMARY", "KEY", "UNIQUE", "CONSTRAINT", "INDEX",
		"FOREIGN", "CHECK", "FULLTEXT", "SPATIAL", "EXCLUDE", "LIKE", "PERIOD" };
	char table[SQL_NAME_READ], col[SQL_NAME_READ];
	size_t i = 0;
	while (i < len && !kw_at(st->gb, p, len, i, "TABLE"))
		i++;
	i += 5;
	while (i < len && is_space(p[i]))
		i++;
	if (word_at(p, len, i, "IF")) {
		while (i < len && !kw_at(st->gb, p, len, i, "EXISTS"))
			i++;
		i += 6;
		while (i < len && is_space(p[i]))
			i++;
	}
	if ((i = read_name(p, len, i, table, NAME_CAP(st->gb), st->gb)) == (size_t)-1)
		return;
	while (i < len && is_space(p[i]))
		i++;
	if (i >= len || p[i] != '(')
		return;
	i++;
	struct sql_table t = { .name = xstrdup(table) };
	size_t cap = 0;
	int depth = 0;
	bool item_start = true;
	while (i < len) {
		char c = p[i];
		if (item_start) {
			while (i < len && is_space(p[i]))
				i++;
			item_start = false;
			size_t j = read_name(p, len, i, col, NAME_CAP(st->gb), st->gb);
			bool constraint = false;
			for (size_t k = 0; k < ARRAY_SIZE(not_columns); k++)
				constraint |= word_at(p, len, i, not_columns[k]);
			if (j != (size_t)-1 && !constraint && t.ncols < SQL_COLS_MAX) {
				xgrow((void **)&t.cols, &cap, t.ncols + 1, sizeof *t.cols);
				t.cols[t.ncols++] = xstrdup(col);
			}
			if (j != (size_t)-1)
				i = j;
			continue;
		}
		if (c == '\'' || c == '"' || (c == '`' && !gb_trail(st->gb, p, i))) {
			size_t j = skip_quoted(p, len, i, !st->pg, st->gb);
			if (j == (size_t)-1)
				break;
			i = j;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && depth-- == 0)
			break;
		else if (c == ',' && depth == 0)
			item_start = true;
		i++;
	}
	struct sql_table *old = find_table(st, table);
	if (old) {
		free_names(old->cols, old->ncols);
		free(old->name);
		*old = t;
	} else {
		xgrow((void **)&st->tables, &st->tables_cap, st->ntables + 1, sizeof *st->tables);
		st->tables[st->ntables++] = t;
	}
}

/* INSERT [IGNORE] INTO name [(cols)] VALUES: returns the offset just after
 * VALUES and sets the layout, or 0 if p[0..len) is not all there yet, or
 * (size_t)-1 if this is not an INSERT with VALUES. */
static size_t read_insert_head(struct frame_cursor *cur, const char *p, size_t len)
{
	struct sql_state *st = cur->state;
	char table[SQL_NAME_READ];
	char **cols = NULL;
	size_t ncols = 0, i = 0;
	while (i < len && !kw_at(st->gb, p, len, i, "INTO")) {
		if (p[i] == ';')
			return (size_t)-1;
		i++;
	}
	if (i >= len)
		return len > SQL_STATEMENT_MAX ? (size_t)-1 : 0;
	i += 4;
	while (i < len && is_space(p[i]))
		i++;
	size_t j = read_name(p, len, i, table, NAME_CAP(st->gb), st->gb);
	if (j == (size_t)-1 || j >= len)
		return len > SQL_STATEMENT_MAX ? (size_t)-1 : 0;
	i = j;
	while (i < len && is_space(p[i]))
		i++;
	if (i < len && p[i] == '(') {
		j = read_name_list(p, len, i, &cols, &ncols, st->gb);
		if (j == (size_t)-1) {
			free_names(cols, ncols);
			return len > SQL_STATEMENT_MAX ? (size_t)-1 : 0;
		}
		i = j;
		while (i < len && is_space(p[i]))
			i++;
	}
	if (i + 6 >= len) {
		free_names(cols, ncols);
		return 0;
	}
	if (!word_at(p, len, i, "VALUES") && !word_at(p, len, i, "VALUE")) {
		free_names(cols, ncols);
		return (size_t)-1; /* INSERT ... SELECT and the like carry no literal rows */
	}
	i += word_at(p, len, i, "VALUES") ? 6 : 5;
	st->layout = add_layout(cur, table, cols, ncols, false);
	free_names(cols, ncols);
	return i;
}

/* COPY name [(cols)] FROM stdin; up to and including its line end. */
static size_t read_copy_head(struct frame_cursor *cur, const char *p, size_t len, bool eof)
{
	struct sql_state *st = cur->state;
	char table[SQL_NAME_READ];
	char **cols = NULL;
	size_t ncols = 0;
	const char *nl = memchr(p, '\n', len);
	if (!nl)
		return eof ? (size_t)-1 : 0;
	size_t end = (size_t)(nl - p) + 1, i = 4;
	while (i < end && is_space(p[i]))
		i++;
	size_t j = read_name(p, end, i, table, NAME_CAP(st->gb), st->gb);
	if (j == (size_t)-1)
		return (size_t)-1;
	i = j;
	while (i < end && is_space(p[i]))
		i++;
	if (i < end && p[i] == '(') {
		j = read_name_list(p, end, i, &cols, &ncols, st->gb);
		if (j != (size_t)-1)
			i = j;
	}
	bool from_stdin = false;
	for (size_t k = i; k < end; k++)
		if (kw_at(st->gb, p, end, k, "STDIN"))
			from_stdin = true;
	if (from_stdin) {
		st->layout = add_layout(cur, table, cols, ncols, true);
		st->mode = SQL_COPY;
		st->pg = true;
	}
	free_names(cols, ncols);
	return end;
}

static void masks_sse2(const char *b, struct sql_masks *m)
{
	m->sq = frame_mask64(b, '\'');
	m->dq = frame_mask64(b, '"');
	m->bs = frame_mask64(b, '\\');
	m->open = frame_mask64(b, '(');
	m->close = frame_mask64(b, ')');
}

#ifdef SQL_WIDE_MASKS
/* The same with two 32-byte compares for each byte looked for (four
 * 16-byte ones and their movemasks each were the hottest lines of the
 * reader's framing of a dump), or one 64-byte compare into a mask
 * register. */
__attribute__((target("avx2"))) static void masks_avx2(const char *b, struct sql_masks *m)
{
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)b);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32));
#define MASK2(c)                                                                                        \
	((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, _mm256_set1_epi8(c))) |          \
	 (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, _mm256_set1_epi8(c))) << 32)
	m->sq = MASK2('\'');
	m->dq = MASK2('"');
	m->bs = MASK2('\\');
	m->open = MASK2('(');
	m->close = MASK2(')');
#undef MASK2
}

__attribute__((target("avx512bw"))) static void masks_avx512(const char *b, struct sql_masks *m)
{
	__m512i v = _mm512_loadu_si512((const void *)b);
	m->sq = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\''));
	m->dq = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
	m->bs = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
	m->open = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('('));
	m->close = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(')'));
}
#endif

/* The widest the CPU has, up to max. */
static sql_masks_fn *masks_for_cpu(enum frame_simd max)
{
#ifdef SQL_WIDE_MASKS
	__builtin_cpu_init();
	if (max == FRAME_SIMD_AUTO)
		max = FRAME_SIMD_AVX512;
	if (max >= FRAME_SIMD_AVX512 && __builtin_cpu_supports("avx512bw"))
		return masks_avx512;
	if (max >= FRAME_SIMD_AVX2 && __builtin_cpu_supports("avx2"))
		return masks_avx2;
#else
	(void)max;
#endif
	return masks_sse2;
}

/* A tuple "( ... )" starting at p[0]: its length, or 0 when it does not
 * end in p[0..len). Resumes at cur->scanned (which the reader moves when it
 * drops the front of a giant tuple) with the parenthesis depth and string
 * state kept in the framer's state. */
static size_t tuple_end(struct frame_cursor *cur, const char *p, size_t len)
{
	struct sql_state *st = cur->state;
	size_t i = cur->scanned;
	if (!i) {
		i = 1;
		st->tdepth = 0;
		st->tin = false;
	}
	int depth = st->tdepth;
	bool in = st->tin;
	char q = st->tq;
	size_t bytewise_until = 0;   /* a block the masks cannot read: the loop below's */
	while (i < len) {
		if (i >= bytewise_until && i + 64 <= len && depth == 0 && (!in || q == '\'')) {
			/* 64 bytes at a time where no backslash (in MySQL strings
			 * an escape) and no double quote is: single quotes open
			 * and close strings in turn (a doubled one closes and opens
			 * again), so the bytes inside strings are the prefix XOR of
			 * the quote mask; the tuple ends at the first ')' outside
			 * them, unless a '(' outside them comes first. */
			struct sql_masks m;
			/* With many threads the bytes were read by a block thread
			 * and come from memory here first (pipeline.c,
			 * take_block): ask for them a little ahead. Reader,
			 * orders dump, 12 threads: 0.52-0.59 -> 0.49-0.51 s/GB
			 * (512, 1024 and 2048 bytes ahead alike); one thread
			 * pinned, where the bytes were just copied: the same. */
			__builtin_prefetch(p + i + 1024);
			st->masks(p + i, &m);
			uint64_t odd = m.dq | (st->pg ? 0 : m.bs);
			uint64_t inside = frame_prefix_xor(m.sq) ^ (in ? ~(uint64_t)0 : 0);
			uint64_t open = m.open & ~inside, close = m.close & ~inside;
			if (!odd && (!open || (close && (open & ((close & (0 - close)) - 1)) == 0))) {
				if (close) {
					cur->scanned = 0;
					cur->in_quotes = false;
					return i + (size_t)__builtin_ctzll(close) + 1;
				}
				if (!open) {
					in = inside >> 63;
					q = '\'';
					i += 64;
					continue;
				}
			}
			bytewise_until = i + 64;
		}
		i = in ? frame_find2(p, i, len, q, st->pg ? q : '\\') : find4(p, len, i, '\'', '"', '(', ')');
		if (i >= len)
			break;
		char c = p[i];
		if (in) {
			if (c == '\\' && !st->pg && !gb_trail(st->gb, p, i)) {
				if (i + 1 >= len)
					break;
				i += 2;
				continue;
			}
			if (c == q) {
				if (i + 1 >= len)
					break; /* a doubled quote may follow */
				if (p[i + 1] == q) {
					i += 2;
					continue;
				}
				in = false;
			}
			i++;
			continue;
		}
		if (c == '\'' || c == '"') {
			in = true;
			q = c;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (depth == 0) {
				cur->scanned = 0;
				cur->in_quotes = false;
				return i + 1;
			}
			depth--;
		}
		i++;
	}
	cur->scanned = i;
	cur->in_quotes = in;
	st->tdepth = depth;
	st->tin = in;
	st->tq = q;
	return 0;
}

static size_t skip_span(struct frame_cursor *cur, size_t n)
{
	cur->skip = true;
	return n;
}

/* SET NAMES gbk (MySQL, also inside / *!40101 ... * /) or SET
 * client_encoding = 'GBK' (PostgreSQL): the rest of the dump is in it. */
static void detect_encoding(struct frame_cursor *cur, const char *p, size_t len)
{
	static const char *const keys[] = { "NAMES", "client_encoding", "CHARACTER SET" };
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		size_t kl = strlen(keys[k]);
		for (size_t i = 0; i + kl < len; i++) {
			if (strncasecmp(p + i, keys[k], kl) || gb_trail(cur->gbk, p, i))
				continue;
			size_t j = i + kl;
			while (j < len && (is_space(p[j]) || p[j] == '=' || p[j] == '\'' || p[j] == 'T' ||
					   p[j] == 'O'))
				j++;
			char name[16];
			size_t n = 0;
			while (j < len && n + 1 < sizeof name && (is_ident(p[j]) || p[j] == '-'))
				name[n++] = p[j++];
			name[n] = '\0';
			int e = encoding_parse(name);
			if (e > 0)
				cur->encoding_hint = e;
			return;
		}
	}
}

static size_t sql_record_end(struct frame_cursor *cur, const char *p, size_t len, bool eof)
{
	struct sql_state *st = cur->state;
	if (!st) {
		st = cur->state = xcalloc(1, sizeof *st);
		st->masks = masks_for_cpu(cur->simd);
	}
	cur->skip = false;
	cur->layout = st->layout;
	cur->lead = 0;
	st->gb = cur->gbk;
	if (!len)
		return 0;

	if (st->mode == SQL_COPY) {
		const char *nl = memchr(p + cur->scanned, '\n', len - cur->scanned);
		if (!nl && !eof) {
			cur->scanned = len;
			return 0;
		}
		size_t end = nl ? (size_t)(nl - p) + 1 : len;
		cur->scanned = 0;
		/* The end of the data: "\." alone on its line. */
		if (end >= 2 && p[0] == '\\' && p[1] == '.' &&
		    (end == 2 || (end == 3 && p[2] == '\n') || (end == 4 && p[2] == '\r' && p[3] == '\n'))) {
			st->mode = SQL_TOP;
			return skip_span(cur, end);
		}
		return end;
	}

	if (st->mode == SQL_VALUES) {
		if (cur->scanned)
			goto tuple;
		/* Most rows follow a comma straight after the one before. */
		size_t i = len > 1 && p[0] == ',' && p[1] == '(' ? 0 : skip_blank(p, len, 0, eof);
		if (i == (size_t)-1)
			return 0;
		if (i < len && p[i] == ',')
			i++;
		if (i > 0) {
			/* The next tuple, if it is all here, with the comma before
			 * it as its lead: one call a row, not two. */
			if (i < len && p[i] == '(') {
				size_t end = tuple_end(cur, p + i, len - i);
				if (end) {
					cur->lead = i;
					return i + end;
				}
				/* Not all here: the comma goes alone, and the tuple
				 * is resumed from its '(' (cur->scanned counts from
				 * there). */
			}
			return skip_span(cur, i);
		}
		if (p[0] == ';') {
			st->mode = SQL_TOP;
			return skip_span(cur, 1);
		}
		if (p[0] != '(') {
			/* Not a tuple: ON DUPLICATE KEY UPDATE ..., RETURNING, ...
			 * The rest of the statement carries no rows. */
			st->mode = SQL_TOP;
			st->skipping = true;
			goto top;
		}
tuple:;
		size_t end = tuple_end(cur, p, len);
		if (end)
			return end;
		if (eof) {
			cur->scanned = 0;
			cur->in_quotes = false;
			return len;
		}
		return 0;
	}

top:
	if (st->skipping) {
		/* The rest of a long row-less statement, in parts. */
		size_t i = 0, safe = 0;
		bool in = st->skip_in_str, safe_in = in;
		while (i < len) {
			char c = p[i];
			bool second = (c == '\\' || c == '`') && gb_trail(st->gb, p, i);
			if (in) {
				if (c == '\\' && !st->pg && !second) {
					if (i + 1 >= len && !eof) {
						/* The escaped byte is in the next block: stop
						 * before the backslash and read it again. */
						st->skip_in_str = in;
						return i ? skip_span(cur, i) : 0;
					}
					i++;
				} else if (c == st->skip_q && !second) {
					in = false;
				}
			} else if (c == '\'' || c == '"' || (c == '`' && !second)) {
				in = true;
				st->skip_q = c;
			} else if (c == ';') {
				st->skipping = false;
				st->skip_in_str = false;
				return skip_span(cur, i + 1);
			}
			i++;
			unsigned char b = i <= len ? (unsigned char)p[i - 1] : 0x40;
			if (b < 0x30 || (b > 0x39 && b < 0x40)) {
				safe = i;   /* a character of its own ended here */
				safe_in = in;
			}
		}
		if (st->gb && !eof && safe < len) {
			/* GBK as read: the part ends where a character surely
			 * does, not inside one the next block completes. */
			st->skip_in_str = safe_in;
			return safe ? skip_span(cur, safe) : 0;
		}
		st->skip_in_str = in;
		return skip_span(cur, len);
	}
	size_t i = skip_blank(p, len, 0, eof);
	if (i == (size_t)-1)
		return len > SQL_STATEMENT_MAX ? skip_span(cur, len) : 0;
	if (i > 0) {
		/* MySQL's executable comments carry statements too; pg_dump
		 * says what it is in its header comment. */
		if (memchr(p, '!', i))
			detect_encoding(cur, p, i);
		for (size_t k = 0; k + 24 <= i; k++)
			if (p[k] == 'P' && !memcmp(p + k, "PostgreSQL database dump", 24) && !gb_trail(st->gb, p, k))
				st->pg = true;
		return skip_span(cur, i);
	}
	if (p[0] == '\\') {
		/* psql meta-commands (\connect, \restrict) end at the line end. */
		const char *nl = memchr(p, '\n', len);
		if (!nl)
			return eof ? skip_span(cur, len) : 0;
		return skip_span(cur, (size_t)(nl - p) + 1);
	}
	if (word_at(p, len, 0, "INSERT") || word_at(p, len, 0, "REPLACE")) {
		size_t h = read_insert_head(cur, p, len);
		if (h == 0)
			return eof ? skip_span(cur, len) : 0;
		if (h != (size_t)-1) {
			st->mode = SQL_VALUES;
			cur->layout = st->layout;
			return skip_span(cur, h);
		}
	} else if (word_at(p, len, 0, "COPY")) {
		size_t h = read_copy_head(cur, p, len, eof);
		if (h == 0)
			return 0;
		if (h != (size_t)-1)
			return skip_span(cur, h);
	}
	size_t end = statement_end(st, p, len, 0);
	if (end == (size_t)-1) {
		if (eof)
			return skip_span(cur, len);
		if (len > SQL_STATEMENT_MAX) {
			st->skipping = true;
			goto top;
		}
		return 0;
	}
	if (word_at(p, end, 0, "CREATE")) {
		size_t k = 6;
		while (k < end && is_space(p[k]))
			k++;
		while (k < end && !is_space(p[k]) && !kw_at(st->gb, p, end, k, "TABLE"))
			k++; /* CREATE TEMPORARY TABLE, CREATE UNLOGGED TABLE */
		while (k < end && is_space(p[k]))
			k++;
		if (kw_at(st->gb, p, end, k, "TABLE"))
			read_create_table(st, p, end);
	} else if (word_at(p, end, 0, "SET")) {
		for (size_t k = 3; k + 27 < end; k++)
			if (!strncasecmp(p + k, "standard_conforming_strings", 27) && !gb_trail(st->gb, p, k))
				st->pg = true;
		detect_encoding(cur, p, end);
	}
	return skip_span(cur, end);
}

/* The value spans of one tuple: quoted strings (contents), numbers and
 * other bare tokens; NULL and empty strings have none. */
static int tuple_split(const struct frame_ctx *ctx, const struct layout *l, const char *rec,
		       size_t len, uint32_t base, uint32_t recno, struct span_vec *out, size_t *err_at)
{
	size_t i = 1, col = 0;
	if (len && rec[len - 1] == ')')
		len--;
	while (i <= len) {
		while (i < len && is_space(rec[i]))
			i++;
		size_t a = i, b = i;
		/* Introducers and prefixes: _binary'..', _utf8mb4'..', X'..', N'..', E'..' */
		size_t k = i;
		while (k < len && (is_ident(rec[k])))
			k++;
		if (k < len && rec[k] == '\'' && k > i)
			i = k;
		if (i < len && (rec[i] == '\'' || rec[i] == '"')) {
			size_t j = skip_quoted(rec, len, i, !l->pg, false);
			if (j == (size_t)-1) {
				*err_at = i;
				return -1;
			}
			a = i + 1;
			b = j - 1;
			i = j;
		} else {
			/* rec[i..k) is identifier bytes (a number, NULL): none of
			 * them ends the value or nests. */
			int depth = 0;
			i = MAX(i, k);
			while (i < len && (depth > 0 || rec[i] != ',')) {
				if (rec[i] == '(')
					depth++;
				else if (rec[i] == ')')
					depth--;
				else if (rec[i] == '\'' || rec[i] == '"') {
					size_t j = skip_quoted(rec, len, i, !l->pg, false);
					if (j == (size_t)-1)
						break;
					i = j;
					continue;
				}
				i++;
			}
			b = i;
			while (b > a && is_space(rec[b - 1]))
				b--;
			if (b - a == 4 && is_null(rec + a))
				b = a;
		}
		if (b > a) {
			uint32_t field = col < l->n ? l->fields[col] : 0;
			if (col >= l->n) {
				char name[SQL_NAME_MAX + 16];
				int n = snprintf(name, sizeof name, "%s.col%zu", l->table, col + 1);
				field = fieldcache_intern(ctx->fc, ctx->src->id, name, (size_t)n);
			}
			span_vec_push(out, base + (uint32_t)a, base + (uint32_t)b, field, recno, 0);
		}
		while (i < len && is_space(rec[i]))
			i++;
		if (i >= len)
			break;
		if (rec[i] != ',') {
			*err_at = i;
			return -1;
		}
		i++;
		col++;
	}
	return 0;
}

/* A COPY line: tab-separated, \N for NULL, backslash escapes kept as written. */
static void copy_split(const struct frame_ctx *ctx, const struct layout *l, const char *rec, size_t len,
		       uint32_t base, uint32_t recno, struct span_vec *out)
{
	size_t i = 0, col = 0;
	if (len && rec[len - 1] == '\n')
		len--;
	if (len && rec[len - 1] == '\r')
		len--;
	for (;;) {
		const char *tab = memchr(rec + i, '\t', len - i);
		size_t b = tab ? (size_t)(tab - rec) : len;
		if (b > i && !(b - i == 2 && rec[i] == '\\' && rec[i + 1] == 'N')) {
			uint32_t field;
			if (col < l->n) {
				field = l->fields[col];
			} else {
				char name[SQL_NAME_MAX + 16];
				int n = snprintf(name, sizeof name, "%s.col%zu", l->table, col + 1);
				field = fieldcache_intern(ctx->fc, ctx->src->id, name, (size_t)n);
			}
			span_vec_push(out, base + (uint32_t)i, base + (uint32_t)b, field, recno, 0);
		}
		if (!tab)
			return;
		i = b + 1;
		col++;
	}
}

static int sql_split(const struct frame_ctx *ctx, const char *rec, size_t len, uint32_t base,
		     uint32_t recno, struct span_vec *out, size_t *err_at)
{
	const struct source *src = ctx->src;
	if (ctx->layout >= src->nlayouts)
		return -1;
	const struct layout *l = src->layouts[ctx->layout];
	/* By the statement, not the first byte: a COPY line may start with
	 * a parenthesis, "(010) 6552 1234" or "(2)". */
	if (!l->copy && len && rec[0] == '(')
		return tuple_split(ctx, l, rec, len, base, recno, out, err_at);
	copy_split(ctx, l, rec, len, base, recno, out);
	return 0;
}

const struct framer frame_sql = { FORMAT_SQL, sql_record_end, sql_split, sql_release };
