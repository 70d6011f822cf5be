/* The pipeline of a scan:
 *
 *   reader (calling thread)          workers (N threads)              writer (1 thread)
 *   source → stream → frame    ──▶   frame fields → scan → validate ──▶ findings in order
 *   records packed into chunks  work   → attribute → tally shard   done   → chunk back to pool
 *                              queue                               queue
 *
 * With 8 or more workers the stream's decoding (read, decompress, hash)
 * runs in a thread of its own ahead of the reader (stream.h), which would
 * otherwise set the pace on compressed input and logs. With that many, or
 * as many as the CPUs, line-framed input (logs, JSON Lines, CSV/TSV until
 * a quote) is read a chunk at a time, its lines found by the workers
 * (read_lines).
 *
 * Chunks come from a fixed pool, so at most POOL chunks of at most
 * CHUNK_CAP bytes (one record of up to RECORD_MAX) are in flight and memory
 * stays bounded whatever the input size. The writer restores the reader's
 * order by sequence number for the findings file; with none, chunks go
 * back to the pool as they come. A record longer than RECORD_MAX is cut into
 * overlapping pieces (chunk.h). SIGINT/SIGTERM stop the reader; everything
 * read so far drains through and the manifest says "interrupted". */
#include "pipeline.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "attribute.h"
#include "chunk.h"
#include "error.h"
#include "field.h"
#include "frame.h"
#include "outfile.h"
#include "queue.h"
#include "source.h"
#include "stream.h"
#include "tally.h"
#include "transcode.h"
#include "util.h"

#define CHUNK_CAP (1u << 20)
#define READ_BLOCK (1u << 20)
#define RECORD_MAX (8u << 20)
#define OVERLAP HSDB_MATCH_MAX
#define PREFETCH_MIN_THREADS 8
#define PREFETCH_AFTER (4u << 20)
/* From 12 threads on, LZ4 blocks are decompressed side by side, a block
 * thread for every 8 scanning threads, rounded: on dense CSV one thread
 * decodes about 1.1 GB/s, what 8-10 scanning threads take in. On the
 * 16-CPU machine, 1 GB of LZ4 dense CSV, two block threads instead of one
 * decoder took 12 threads from 0.99-1.17 s to 0.82-0.87 and 14 from
 * 1.01-1.05 to 0.76-0.79 (bench/README.md, session 14). */
#define THREADS_PER_DECODER 8
/* From this many CPUs on, the default leaves one for the reader. On the
 * 16-CPU machine (session 18, medians of 3 alternated runs) 15 workers
 * beat 16 on 1 GB of dense CSV (0.72 against 0.84 s), its LZ4 copy, JSON
 * Lines, 2 GB of logs and the Chinese customers' dump (0.45 against 0.55
 * s), and lost on the orders dump (0.59 against 0.52 s): 16 workers, the
 * reader, the writer and two block threads are 20 threads on 16 CPUs,
 * and the reader, the pipeline's one serial stage, then waits its turn.
 * 12 workers were faster still for logs but slower for CSV and JSON. */
#define SPARE_CPU_FROM 12

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

bool pipeline_stop_requested(void)
{
	return stop_requested != 0;
}

void pipeline_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct pipe {
	const struct scan_options *opt;
	bool lines;              /* read line-framed input unframed (read_lines) */
	size_t chunk_cap;        /* opt->chunk_cap, or CHUNK_CAP */
	const struct hsdb *db;
	struct fieldtab *fields;
	struct attribute_config acfg;
	struct queue free_q, work_q, done_q;
	struct chunk *pool;
	size_t pool_n;
	uint64_t seq;
	struct outfile *findings;
	int findings_err;
	char findings_errbuf[256];
	atomic_uint_least64_t stored_bytes;   /* progress */
	uint64_t total_bytes;                 /* progress: sum of file sizes, 0 if unknown */
	double t0;
	bool interrupted;

	/* reader state for the current source */
	struct chunk *ck;
	struct buf pend;
	/* pend[copy_from..+copy_n): whole records of ck not yet copied into
	 * it. They are copied in one go (flush_records) instead of one call
	 * per record: ck->data.len + copy_n is the chunk's length. */
	size_t copy_from, copy_n;
};

struct worker {
	pthread_t thread;
	struct pipe *pl;
	struct attributor *at;
	struct tally tally;
	struct transcoder *tc;   /* for chunks read as GBK/GB18030 (made on the first) */
};

static void flush_records(struct pipe *pl)
{
	if (!pl->copy_n)
		return;
	buf_append(&pl->ck->data, pl->pend.data + pl->copy_from, pl->copy_n);
	pl->copy_n = 0;
}

static void dispatch(struct pipe *pl)
{
	struct chunk *ck = pl->ck;
	if (!ck)
		return;
	flush_records(pl);
	pl->ck = NULL;
	xgrow((void **)&ck->recs, &ck->rec_cap, ck->nrec + 1, sizeof *ck->recs);
	ck->recs[ck->nrec] = (uint32_t)ck->data.len;
	ck->seq = pl->seq++;
	queue_push(&pl->work_q, ck);
}

static struct chunk *take_chunk(struct pipe *pl, struct source *src, uint64_t offset, uint64_t record)
{
	struct chunk *ck = queue_pop(&pl->free_q);
	ck->src = src;
	buf_reset(&ck->data);
	buf_reset(&ck->out);
	ck->base_offset = offset;
	ck->first_record = record;
	ck->nrec = 0;
	ck->transcoded = false;
	buf_reset(&ck->raw);
	ck->seek_d = ck->seek_r = ck->seek_k = 0;
	ck->skews.n = 0;
	ck->piece = ck->piece_first = false;
	ck->lines = ck->quoted = ck->transcode = false;
	ck->keep_lo = ck->keep_hi = 0;
	ck->nfindings = 0;
	return ck;
}

struct reader {
	struct source *src;
	const struct framer *fr;
	struct frame_cursor cur;
	bool need_header;
	uint64_t base;           /* input offset of pend[0] */
	uint64_t records;
	bool giant;              /* inside a record longer than RECORD_MAX */
	/* Transcoding (GBK/GB18030): pend holds the UTF-8 of raw, the bytes
	 * as read from base on (but for a character cut at the end, which the
	 * transcoder keeps back). Offsets in pend are counted from the UTF-8
	 * and the skews of pend (transcode_raw_pos); the count has got to
	 * pend byte sd, raw byte sr, skew sk. */
	struct transcoder *tc;
	struct buf raw;
	struct transcode_skews skews;
	size_t sd, sr, sk;
	/* Lines read as they are, for the workers to decode (read_lines):
	 * the encoding, or ENCODING_UTF8 when there is nothing to decode. */
	enum encoding lines_enc;
	/* The same for SQL dumps: framed in the bytes as read (cur.gbk), each
	 * record decoded by its worker (frame_in_gbk). */
	enum encoding sql_enc;
};

/* Where in raw pend[pos] was read from (pos may be pend.len), when
 * transcoding. Records are framed in order, so the walk mostly goes on
 * from where it stopped. */
static size_t raw_pos(const struct pipe *pl, struct reader *rd, size_t pos)
{
	if (pos < rd->sd)
		rd->sd = rd->sr = rd->sk = 0;
	return transcode_raw_pos(pl->pend.data, &rd->skews, &rd->sd, &rd->sr, &rd->sk, pos);
}

/* Drop the skews of pend's first n bytes, which are going; the others'
 * offsets move down with pend. */
static void drop_skews(struct reader *rd, size_t n)
{
	struct transcode_skews *sk = &rd->skews;
	size_t k = 0;
	while (k < sk->n && sk->v[k].at < n)
		k++;
	for (size_t i = k; i < sk->n; i++)
		sk->v[i - k] = (struct transcode_skew){ .at = sk->v[i].at - n, .adj = sk->v[i].adj };
	sk->n -= k;
}

/* The input offset of pend[pos] (pos may be pend.len). */
static uint64_t pend_off(const struct pipe *pl, struct reader *rd, size_t pos)
{
	return rd->base + (rd->tc ? raw_pos(pl, rd, pos) : pos);
}

/* When transcoding: the skews of pend[pos..pos+len), record i of ck just
 * added (at ck->recs[i]; its input offset is ck->rec_off[i], which
 * counted pend up to pos), into ck->skews: with the decoded record they
 * are what its findings' offsets are counted from. */
static void add_skews(struct reader *rd, struct chunk *ck, size_t i, size_t pos, size_t len)
{
	const struct transcode_skews *sk = &rd->skews;
	for (size_t k = rd->sk; k < sk->n && sk->v[k].at < pos + len; k++) {
		struct transcode_skews *to = &ck->skews;
		xgrow((void **)&to->v, &to->cap, to->n + 1, sizeof *to->v);
		to->v[to->n++] = (struct transcode_skew){ .at = sk->v[k].at - pos + ck->recs[i], .adj = sk->v[k].adj };
	}
}

static void add_record(struct pipe *pl, struct reader *rd, size_t pos, size_t len)
{
	struct source *src = rd->src;
	bool raw = rd->sql_enc != ENCODING_UTF8;
	if (pl->ck && (pl->ck->data.len + pl->copy_n + len > pl->chunk_cap ||
		       (rd->tc != NULL) != pl->ck->transcoded || raw != pl->ck->transcode))
		dispatch(pl);
	if (!pl->ck) {
		pl->ck = take_chunk(pl, src, pend_off(pl, rd, pos), rd->records);
		pl->ck->transcoded = rd->tc != NULL;
		pl->ck->transcode = raw;
	}
	struct chunk *ck = pl->ck;
	xgrow((void **)&ck->recs, &ck->rec_cap, ck->nrec + 2, sizeof *ck->recs);
	xgrow((void **)&ck->layouts, &ck->layouts_cap, ck->nrec + 1, sizeof *ck->layouts);
	xgrow((void **)&ck->rec_off, &ck->rec_off_cap, ck->nrec + 1, sizeof *ck->rec_off);
	ck->layouts[ck->nrec] = rd->cur.layout;
	ck->rec_off[ck->nrec] = pend_off(pl, rd, pos);
	if (rd->tc) {
		ck->recs[ck->nrec] = (uint32_t)ck->data.len;
		buf_append(&ck->data, pl->pend.data + pos, len);
		add_skews(rd, ck, ck->nrec++, pos, len);
		return;
	}
	/* Records follow one another in pend: extend the pending copy (a
	 * record skipped in between, such as a header, starts a new one). */
	if (pl->copy_n && pl->copy_from + pl->copy_n != pos)
		flush_records(pl);
	if (!pl->copy_n)
		pl->copy_from = pos;
	ck->recs[ck->nrec++] = (uint32_t)(ck->data.len + pl->copy_n);
	pl->copy_n += len;
}

static void add_piece(struct pipe *pl, struct reader *rd, size_t len, bool first, uint32_t keep_lo,
		      uint32_t keep_hi)
{
	dispatch(pl);
	struct chunk *ck = take_chunk(pl, rd->src, pend_off(pl, rd, 0), rd->records);
	ck->piece = true;
	ck->piece_first = first;
	ck->keep_lo = keep_lo;
	ck->keep_hi = keep_hi;
	ck->transcoded = rd->tc != NULL;
	xgrow((void **)&ck->recs, &ck->rec_cap, 2, sizeof *ck->recs);
	xgrow((void **)&ck->layouts, &ck->layouts_cap, 1, sizeof *ck->layouts);
	xgrow((void **)&ck->rec_off, &ck->rec_off_cap, 1, sizeof *ck->rec_off);
	ck->layouts[0] = 0;
	ck->rec_off[0] = pend_off(pl, rd, 0);
	ck->recs[0] = 0;
	ck->nrec = 1;
	buf_append(&ck->data, pl->pend.data, len);
	if (rd->tc)
		add_skews(rd, ck, 0, 0, len);
	pl->ck = ck;
	dispatch(pl);
}

/* The format --format or the file's name gives, or FORMAT_AUTO. */
static enum frame_format format_by_name(const struct scan_options *opt, const struct source *src)
{
	if (opt->format != FORMAT_AUTO)
		return opt->format;
	char *name = xstrdup(src->path);
	size_t l = strlen(name);
	static const char *const suffixes[] = { ".lz4", ".gz", ".zst" };
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);
		if (l > sl && !strcmp(name + l - sl, suffixes[i]))
			name[l - sl] = '\0';
	}
	enum frame_format f = frame_format_from_path(name);
	free(name);
	return f;
}

static void set_header(struct pipe *pl, struct source *src, const char *p, size_t len)
{
	char **names;
	size_t n;
	frame_csv_header(p, len, src->format == FORMAT_TSV ? '\t' : ',', &names, &n);
	src->colfield = xcalloc(n ? n : 1, sizeof *src->colfield);
	src->ncols = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		src->colfield[i] = fieldtab_intern(pl->fields, src->id, names[i], strlen(names[i]));
		free(names[i]);
	}
	free(names);
}

/* One whole record at pend[pos..pos+len). */
static void on_record(struct pipe *pl, struct reader *rd, size_t pos, size_t len)
{
	if (rd->giant) {
		/* The last piece of a giant record (it starts at pend[0]). */
		add_piece(pl, rd, len, false, OVERLAP, (uint32_t)len);
		rd->giant = false;
		return;
	}
	if (rd->cur.skip)
		return; /* bytes that are not a record: SQL statements without rows */
	if (rd->need_header) {
		rd->need_header = false;
		set_header(pl, rd->src, pl->pend.data + pos, len);
		return;
	}
	/* Counted here, stored in the source once at the end: the source's
	 * cache line is read by the workers for every field (its columns), and
	 * a write per record made the two cores trade it. */
	rd->records++;
	add_record(pl, rd, pos, len);
}

static void consume(struct pipe *pl, struct reader *rd, size_t n)
{
	if (pl->ck)
		flush_records(pl); /* its bytes are about to move */
	if (rd->tc) {
		/* n is a character's start (the end of a record, or aligned
		 * so: the giant record's pieces): the walk stops there. */
		size_t r = raw_pos(pl, rd, n);
		buf_consume(&rd->raw, r);
		rd->base += r;
		drop_skews(rd, n);
		rd->sd = rd->sr = rd->sk = 0;
	} else {
		rd->base += n;
	}
	buf_consume(&pl->pend, n);
}

/* Start decoding a legacy encoding: what is pending (still raw bytes, the
 * identity decoding) is decoded again from here on. */
static int start_transcoding(struct pipe *pl, struct reader *rd, enum encoding enc, bool eof)
{
	rd->tc = transcoder_new(enc);
	if (!rd->tc)
		return -1;
	if (pl->ck)
		flush_records(pl);
	buf_reset(&rd->raw);
	buf_append(&rd->raw, pl->pend.data, pl->pend.len);
	buf_reset(&pl->pend);
	rd->sd = rd->sr = rd->sk = 0;
	rd->skews.n = 0;
	size_t bad = transcoder_run(rd->tc, rd->raw.data, rd->raw.len, eof, &pl->pend, &rd->skews);
	if (bad)
		source_error(rd->src, rd->base, 0, true, "%zu byte sequence(s) are not %s; read as U+FFFD", bad,
			     encoding_name(enc));
	rd->cur.scanned = 0;
	return 0;
}

/* An SQL dump in GBK/GB18030 from here on (pend, still as read, from a
 * record's start): framed in the bytes as read and decoded by the workers
 * record by record (decode_chunk), when they have every CPU (pipe.lines):
 * decoding them alone, the reader had held such dumps to ~0.6 GB/s. With
 * a CPU to itself it decodes them as before (2-core VM, a 226 MB GBK
 * dump, --threads 1: 1.42 s as before, 1.63 s decoded by the worker). A
 * backslash, backquote, bracket or letter may be the second byte of a
 * character there, which the framer tells (frame_sql.c: gb_trail); the
 * other bytes SQL framing stops at are below 0x40 and no part of one. */
static void frame_in_gbk(struct reader *rd, enum encoding enc)
{
	rd->sql_enc = enc;
	rd->cur.gbk = true;
	rd->cur.scanned = 0;
}

/* Read up to cap more bytes of the stream onto the end of into; *eof at
 * its end or on an error (reported). */
static void read_more(struct pipe *pl, struct stream *st, struct source *src, struct buf *into, size_t cap,
		      bool *eof)
{
	char errbuf[256];
	size_t n;
	uint64_t before = src->bytes_stored;
	char *dst = buf_reserve(into, cap);
	int rc = stream_read(st, dst, cap, &n, errbuf, sizeof errbuf);
	into->len += n;
	src->bytes_read += n;
	atomic_fetch_add(&pl->stored_bytes, src->bytes_stored - before);
	if (rc) {
		source_error(src, src->bytes_read, 0, false, "%s", errbuf);
		*eof = true;
	} else if (n == 0) {
		*eof = true;
	}
}

/* A plain file's next block, read by a block thread, made b's memory in
 * place of a copy (stream_swap_block): what b holds (the line or row
 * begun in the block before) is written in front of the block, and b's old
 * memory goes to the stream for a later block. On the 2-core VM the copy
 * was half the reader's time on logs with 12 threads (0.23 s a GB), and
 * the reader sets the pace there on many CPUs. False, b unchanged: no
 * whole block to take, or too much held to fit in front. */
static bool take_block(struct pipe *pl, struct stream *st, struct source *src, struct buf *b)
{
	char *mem = buf_mem(b);
	size_t size = buf_mem_size(b), held = b->len, n;
	uint64_t before = src->bytes_stored;
	if (!stream_swap_block(st, &mem, &size, b->data, held, &n))
		return false;
	buf_adopt(b, mem, size, STREAM_HEADROOM - held, held + n);
	src->bytes_read += n;
	atomic_fetch_add(&pl->stored_bytes, src->bytes_stored - before);
	return true;
}

/* How much to copy from the stream: a block begun to its end, so that the
 * next can be handed over whole (take_block), else up to cap. */
static size_t read_cap(struct stream *st, size_t cap)
{
	size_t left = stream_block_left(st);
	return left ? MIN(left, cap) : cap;
}

/* How many bytes of p[0..n) are c. */
static size_t count_byte(const char *p, size_t n, char c)
{
	size_t count = 0, i = 0;
#ifdef __SSE2__
	/* A match is -1 in its lane: subtracting counts it there, up to 255
	 * blocks, then the lanes are summed (no popcount instruction needed). */
	const __m128i want = _mm_set1_epi8(c), zero = _mm_setzero_si128();
	while (i + 16 <= n) {
		__m128i acc = zero;
		size_t stop = i + 255 * 16 < n ? i + 255 * 16 : n;
		for (; i + 64 <= stop; i += 64) {
			/* a block handed over comes from memory: ask ahead */
			__builtin_prefetch(p + i + 1024);
			for (size_t k = 0; k < 64; k += 16) {
				__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i + k));
				acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, want));
			}
		}
		for (; i + 16 <= stop; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, want));
		}
		__m128i sum = _mm_sad_epu8(acc, zero);
		count += (size_t)_mm_cvtsi128_si32(sum) + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
	}
#endif
	for (; i < n; i++)
		count += p[i] == c;
	return count;
}

/* Leave GBK/GB18030 to the workers from here on (read_lines): what is
 * pending (a record's start) becomes the bytes it was read from again,
 * with any character the transcoder kept back. A line break, quote, comma
 * or tab is never a byte of a GBK/GB18030 character (those are from 0x30
 * up), so lines and CSV records are found in the bytes as read, and a
 * chunk of whole lines decodes as it would within the stream. */
static void decode_in_workers(struct pipe *pl, struct reader *rd)
{
	if (pl->ck)
		flush_records(pl);
	buf_reset(&pl->pend);
	buf_append(&pl->pend, rd->raw.data, rd->raw.len);
	buf_reset(&rd->raw);
	transcoder_free(rd->tc);
	rd->tc = NULL;
	rd->skews.n = 0;
	rd->lines_enc = rd->src->encoding;
	rd->cur.scanned = 0;
	rd->cur.in_quotes = false;
}

/* read_lines' hand-back: ck's bytes, from a record's start, go to pend
 * for the framer, which starts afresh there (what it noted of the partial
 * record it saw last, such as an open quote, is void). */
static bool to_framer(struct pipe *pl, struct reader *rd, struct chunk *ck)
{
	buf_append(&pl->pend, ck->data.data, ck->data.len);
	queue_push(&pl->free_q, ck);
	rd->cur.scanned = 0;
	rd->cur.in_quotes = false;
	return false;
}

/* Line-framed input (text logs, JSON Lines, CSV/TSV) when the workers
 * have every CPU (pipe.lines): rather than find and copy every record (on
 * a 16-CPU machine the reader held logs to 2.3 GB/s), the reader reads a
 * chunk's worth straight into the chunk, cuts it after its last newline
 * (the rest moves on to the next), counts the lines for their numbers and
 * leaves the rest to the worker (index_lines). One chunk a call. False
 * hands pend (from a record's start) back to the framer for the rest of
 * the source: a line longer than a chunk (the framer cuts giant records
 * into pieces), or a CSV chunk with no line break outside quotes, or
 * whose last quote never closes (the framer reports the quote and reads
 * on from the next line). CSV with quotes is cut after its last line
 * break outside quotes (frame_csv_breaks): a fully quoted export framed
 * record by record held the reader to about 0.6 GB/s. */
static bool read_lines(struct pipe *pl, struct reader *rd, struct stream *st, bool *eof)
{
	struct source *src = rd->src;
	dispatch(pl);   /* what the framer packed before */
	struct chunk *ck = take_chunk(pl, src, rd->base, rd->records + 1);
	ck->transcode = rd->lines_enc != ENCODING_UTF8;
	bool whole = !ck->transcode && !pl->opt->chunk_cap;
	buf_append(&ck->data, pl->pend.data, pl->pend.len);   /* a line begun in the last read */
	buf_reset(&pl->pend);
	if (!whole || !take_block(pl, st, src, &ck->data)) {
		/* To the end of a block begun (and the next, whole, when little
		 * is left of it: a chunk of less than a line would stop reading
		 * lines), so that the block after can be handed over whole. */
		size_t left = whole ? stream_block_left(st) : 0, want = pl->chunk_cap;
		if (left)
			want = ck->data.len + left + (left < pl->chunk_cap / 2 ? pl->chunk_cap : 0);
		while (!*eof && ck->data.len < want)
			read_more(pl, st, src, &ck->data, want - ck->data.len, eof);
	}
	const char *p = ck->data.data;
	size_t len = ck->data.len, cut = len, n;
	if (rd->fr->record_end != frame_line_end && memchr(p, '"', len)) {
		/* Quoted CSV: a record ends at a line break outside quotes. A
		 * quote left open at the end of the input is the framer's to
		 * report and recover from. */
		bool open;
		n = frame_csv_breaks(p, len, NULL, 0, &cut, &open);
		if (*eof) {
			if (open)
				return to_framer(pl, rd, ck);
			n += cut < len;
			cut = len;
		} else if (!n) {
			return to_framer(pl, rd, ck);
		}
		ck->quoted = true;
	} else {
		if (!*eof) {
			const char *nl = p + len;
			while (nl > p && nl[-1] != '\n')   /* memrchr is not C11 */
				nl--;
			if (nl == p)
				return to_framer(pl, rd, ck);
			cut = (size_t)(nl - p);
		}
		n = count_byte(p, cut, '\n') + (cut && p[cut - 1] != '\n');
	}
	buf_append(&pl->pend, p + cut, len - cut);
	ck->data.len = cut;
	if (!n) {
		queue_push(&pl->free_q, ck);
		return true;
	}
	ck->nrec = n;
	ck->lines = true;
	rd->records += n;
	rd->base += cut;
	pl->ck = ck;
	dispatch(pl);
	return true;
}

/* The worker's half of read_lines: where each line starts (after each
 * newline but the chunk's last byte; in quoted CSV after each line break
 * outside quotes), found 64 bytes a step as bit masks rather than by a
 * memchr call a line. */
static void index_lines(struct chunk *ck)
{
	xgrow((void **)&ck->recs, &ck->rec_cap, ck->nrec + 1, sizeof *ck->recs);
	xgrow((void **)&ck->layouts, &ck->layouts_cap, ck->nrec, sizeof *ck->layouts);
	xgrow((void **)&ck->rec_off, &ck->rec_off_cap, ck->nrec, sizeof *ck->rec_off);
	const char *p = ck->data.data;
	size_t len = ck->data.len, last = len - 1, k = 0, i = 0;
	uint32_t *recs = ck->recs;
	uint64_t *rec_off = ck->rec_off, base = ck->base_offset;
	memset(ck->layouts, 0, ck->nrec * sizeof *ck->layouts);
	recs[k] = 0;
	rec_off[k++] = base;
	if (ck->quoted) {
		/* Line breaks inside quotes end no record. */
		size_t end;
		bool open;
		frame_csv_breaks(p, len, recs + 1, ck->nrec, &end, &open);
		for (; k < ck->nrec; k++)
			rec_off[k] = base + recs[k];
		recs[ck->nrec] = (uint32_t)len;
		return;
	}
	for (; i + 64 <= len; i += 64) {
		for (uint64_t m = frame_mask64(p + i, '\n'); m; m &= m - 1) {
			size_t q = i + (size_t)__builtin_ctzll(m);
			if (q < last) {
				recs[k] = (uint32_t)(q + 1);
				rec_off[k++] = base + q + 1;
			}
		}
	}
	for (; i < last; i++)
		if (p[i] == '\n') {
			recs[k] = (uint32_t)(i + 1);
			rec_off[k++] = base + i + 1;
		}
	recs[ck->nrec] = (uint32_t)len;
}

static void read_source(struct pipe *pl, struct source *src)
{
	char errbuf[256];
	struct stream *st;
	struct reader rd = { .src = src };
	bool eof = false;

	if (stream_open(src, &st, errbuf, sizeof errbuf)) {
		source_error(src, 0, 0, false, "%s", errbuf);
		src->status = SOURCE_FAILED;
		return;
	}
	/* With many scanning threads the reader alone sets the pace on
	 * compressed input and logs (a 16-CPU machine: LZ4 stopped at 0.8
	 * GB/s, logs at 1.9), so decoding gets a thread of its own once a
	 * source is past its first few MiB. With fewer, the workers set the
	 * pace and the hand-over only costs CPU: on 2 cores, 512 MB of logs,
	 * --threads 2: 0.75 -> 0.89 s. On the 16-CPU machine it gained from
	 * 8 threads on (logs +20%, LZ4 even) and 12 (both +25-35%); at 4 it
	 * was even there, with CPUs to spare, but would cost on 4 cores. */
	if (pl->opt->threads >= PREFETCH_MIN_THREADS) {
		stream_set_decoders(st, (pl->opt->threads + THREADS_PER_DECODER / 2) / THREADS_PER_DECODER);
		stream_prefetch_after(st, PREFETCH_AFTER);
	}
	buf_reset(&pl->pend);
	buf_init(&rd.raw);
	src->unnamed_field = fieldtab_intern(pl->fields, src->id, NULL, 0);
	src->encoding = pl->opt->encoding;
	rd.cur.src = src;
	rd.cur.fields = pl->fields;
	/* Decoding waits for the format: dumps are framed as read. */
	struct transcoder *can = pl->opt->encoding != ENCODING_UTF8 ? transcoder_new(pl->opt->encoding) : NULL;
	if (pl->opt->encoding != ENCODING_UTF8 && !can) {
		source_error(src, 0, 0, false, "this system's iconv cannot decode %s",
			     encoding_name(pl->opt->encoding));
		src->status = SOURCE_FAILED;
		stream_close(st, false);
		return;
	}
	transcoder_free(can);
	bool formatted = false, lines = false;
	size_t read_size = pl->opt->chunk_cap ? pl->opt->chunk_cap : MAX((size_t)READ_BLOCK, stream_read_size(st));

	while (!eof || pl->pend.len) {
		if (stop_requested) {
			pl->interrupted = true;
			source_error(src, pend_off(pl, &rd, pl->pend.len), 0, false,
				     "interrupted by a signal: the rest of the input was not scanned");
			break;
		}
		if (lines && !eof && !rd.need_header) {
			if (rd.tc)
				decode_in_workers(pl, &rd);
			if (read_lines(pl, &rd, st, &eof))
				continue;
			lines = false;   /* pend is the framer's; read on below */
			if (rd.lines_enc != ENCODING_UTF8 && start_transcoding(pl, &rd, rd.lines_enc, eof)) {
				/* iconv had it a moment ago */
				source_error(src, rd.base, 0, false, "this system's iconv cannot decode %s",
					     encoding_name(rd.lines_enc));
				src->status = SOURCE_FAILED;
				break;
			}
			rd.lines_enc = ENCODING_UTF8;
		}
		if (!eof) {
			size_t old = rd.raw.len;
			/* Bytes as read, framed here: a plain file's block is
			 * handed over into pend when it can be, else copied. */
			bool whole = !rd.tc && !pl->opt->chunk_cap;
			if (whole && pl->ck)
				flush_records(pl);   /* pend's memory may go */
			if (!whole || !take_block(pl, st, src, &pl->pend))
				read_more(pl, st, src, rd.tc ? &rd.raw : &pl->pend,
					  whole ? read_cap(st, read_size) : read_size, &eof);
			if (rd.tc) {
				size_t bad = transcoder_run(rd.tc, rd.raw.data + old, rd.raw.len - old, eof, &pl->pend,
							    &rd.skews);
				if (bad)
					source_error(src, rd.base + old, 0, true,
						     "%zu byte sequence(s) are not %s; read as U+FFFD", bad,
						     encoding_name(src->encoding));
			}
			/* Sniffing the format takes the first 64 KiB, a name none. */
			enum frame_format named = formatted ? FORMAT_AUTO : format_by_name(pl->opt, src);
			if (!formatted && (eof || pl->pend.len >= 65536 || named != FORMAT_AUTO)) {
				src->format = named != FORMAT_AUTO ? named : frame_format_sniff(pl->pend.data, pl->pend.len);
				rd.fr = framer_for(src->format);
				rd.need_header = (src->format == FORMAT_CSV || src->format == FORMAT_TSV) &&
					!pl->opt->no_header;
				formatted = true;
				lines = (rd.fr->record_end == frame_line_end || src->format == FORMAT_CSV ||
					 src->format == FORMAT_TSV) &&
					pl->lines;
				if (src->encoding != ENCODING_UTF8 && src->format == FORMAT_SQL && pl->lines) {
					frame_in_gbk(&rd, src->encoding);
				} else if (src->encoding != ENCODING_UTF8 && start_transcoding(pl, &rd, src->encoding, eof)) {
					/* iconv had it a moment ago */
					source_error(src, rd.base, 0, false, "this system's iconv cannot decode %s",
						     encoding_name(src->encoding));
					src->status = SOURCE_FAILED;
					break;
				}
			}
			if (!formatted)
				continue;
		}
		size_t len, pos = 0;
		bool switched = false;
		while (pos < pl->pend.len &&
		       (len = rd.fr->record_end(&rd.cur, pl->pend.data + pos, pl->pend.len - pos, false))) {
			on_record(pl, &rd, pos + rd.cur.lead, len - rd.cur.lead);
			pos += len;
			if (rd.cur.encoding_hint > ENCODING_UTF8 && !rd.tc && !rd.sql_enc && !pl->opt->encoding_forced) {
				/* The dump declared its encoding (SET NAMES gbk). */
				src->encoding = (enum encoding)rd.cur.encoding_hint;
				switched = true;
				break;
			}
		}
		consume(pl, &rd, pos);
		if (switched) {
			int rc;
			if (pl->lines) {
				struct transcoder *tc = transcoder_new(src->encoding);
				rc = tc ? 0 : -1;
				if (tc)
					frame_in_gbk(&rd, src->encoding);
				transcoder_free(tc);
			} else {
				rc = start_transcoding(pl, &rd, src->encoding, eof);
			}
			if (rc) {
				source_error(src, rd.base, 0, false, "this system's iconv cannot decode %s",
					     encoding_name(src->encoding));
				src->encoding = ENCODING_UTF8;
			}
			continue;
		}
		if (!pl->pend.len)
			continue;
		if (eof || pl->pend.len > RECORD_MAX) {
			if (rd.cur.in_quotes && (src->format == FORMAT_CSV || src->format == FORMAT_TSV)) {
				/* A quote that never closes would swallow the rest of
				 * the input into one field: read that line as unquoted
				 * text and frame on from the next. */
				const char *nl = memchr(pl->pend.data, '\n', pl->pend.len);
				if (nl || eof) {
					len = nl ? (size_t)(nl - pl->pend.data) + 1 : pl->pend.len;
					source_error(src, pend_off(pl, &rd, 0), rd.records + 1, false,
						     "unbalanced quote: a quoted field does not close %s",
						     eof ? "before the end of the input" : "within 8 MiB");
					on_record(pl, &rd, 0, len);
					consume(pl, &rd, len);
					rd.cur.scanned = 0;
					rd.cur.in_quotes = false;
					continue;
				}
			}
			if (eof) {
				on_record(pl, &rd, 0, pl->pend.len);
				consume(pl, &rd, pl->pend.len);
				continue;
			}
			if (rd.sql_enc) {
				/* A record longer than RECORD_MAX in a dump framed as
				 * read: the reader decodes the rest of the source, so
				 * that its pieces are cut between characters. */
				enum encoding enc = rd.sql_enc;
				rd.sql_enc = ENCODING_UTF8;
				rd.cur.gbk = false;
				if (start_transcoding(pl, &rd, enc, eof)) {
					source_error(src, rd.base, 0, false, "this system's iconv cannot decode %s",
						     encoding_name(enc));
					src->status = SOURCE_FAILED;
					break;
				}
				continue;
			}
			/* A record longer than RECORD_MAX: scan it in overlapping
			 * pieces, as text. Decoded text is cut at a character's
			 * start, where its offsets are found from. */
			size_t drop = pl->pend.len - 2 * OVERLAP;
			while (rd.tc && drop > 0 && (pl->pend.data[drop] & 0xC0) == 0x80)
				drop--;
			if (!rd.giant) {
				rd.giant = true;
				rd.records++;
				source_error(src, pend_off(pl, &rd, 0), rd.records, true,
					     "record longer than 8 MiB: scanned in pieces as text, without fields");
				add_piece(pl, &rd, pl->pend.len, true, 0, (uint32_t)(drop + OVERLAP));
			} else {
				add_piece(pl, &rd, pl->pend.len, false, OVERLAP, (uint32_t)(drop + OVERLAP));
			}
			consume(pl, &rd, drop);
			rd.cur.scanned = pl->pend.len;
		}
	}
	dispatch(pl);
	src->records = rd.records;
	if (rd.fr && rd.fr->release)
		rd.fr->release(&rd.cur);
	transcoder_free(rd.tc);
	buf_release(&rd.raw);
	free(rd.skews.v);
	stream_close(st, !pl->interrupted);
}

/* A chunk of GBK/GB18030 lines (decode_in_workers) or SQL rows
 * (frame_in_gbk) decoded to UTF-8, with the skews the offsets of its
 * findings are counted from (attribute.c: decoded_offset); the bytes as
 * read are left in ck->raw, whose buffer the next chunk reuses. The chunk
 * ends after a line break or at the end of the input, and a row starts
 * and ends with a character, so either decodes as the reader would have
 * decoded it within the stream. */
static bool decode_chunk(struct worker *w, struct chunk *ck)
{
	if (!w->tc && !(w->tc = transcoder_new(ENCODING_GB18030))) {
		/* The reader's iconv_open worked: out of memory or descriptors. */
		source_error(ck->src, ck->base_offset, ck->first_record, false,
			     "cannot open iconv to decode %s here; these records were not scanned",
			     encoding_name(ck->src->encoding));
		return false;
	}
	struct buf raw = ck->data;
	ck->data = ck->raw;
	ck->raw = raw;
	buf_reset(&ck->data);
	ck->skews.n = 0;
	size_t bad = 0, first_bad = 0;
	if (ck->lines) {
		bad = transcoder_decode(w->tc, ck->raw.data, ck->raw.len, &ck->data, &ck->skews);
	} else {
		/* Records the reader framed as read (SQL, frame_in_gbk): each
		 * starts and ends with a character, so decodes alone as within
		 * the stream, and starts where its UTF-8 does. */
		for (size_t i = 0; i < ck->nrec; i++) {
			uint32_t from = ck->recs[i], to = ck->recs[i + 1];
			ck->recs[i] = (uint32_t)ck->data.len;
			size_t b = transcoder_decode(w->tc, ck->raw.data + from, to - from, &ck->data, &ck->skews);
			if (b && !bad)
				first_bad = i;
			bad += b;
		}
		ck->recs[ck->nrec] = (uint32_t)ck->data.len;
	}
	ck->transcoded = true;
	ck->seek_d = ck->seek_r = ck->seek_k = 0;
	ck->transcode = false;
	if (bad)
		source_error(ck->src, ck->lines ? ck->base_offset : ck->rec_off[first_bad],
			     ck->lines ? 0 : ck->first_record + first_bad, true,
			     "%zu byte sequence(s) are not %s; read as U+FFFD", bad, encoding_name(ck->src->encoding));
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct chunk *ck;
	while ((ck = queue_pop(&w->pl->work_q))) {
		if (ck->transcode && !decode_chunk(w, ck)) {
			queue_push(&w->pl->done_q, ck);
			continue;
		}
		if (ck->lines)
			index_lines(ck);
		if (attribute_chunk(w->at, ck, &w->tally))
			source_error(ck->src, ck->base_offset, ck->first_record, false,
				     "the regex engine failed on this chunk; its records were not scanned");
		queue_push(&w->pl->done_q, ck);
	}
	return NULL;
}

static void progress(struct pipe *pl, bool final)
{
	double dt = util_now() - pl->t0;
	double done = (double)atomic_load(&pl->stored_bytes);
	double rate = dt > 0 ? done / dt : 0;
	char eta[32] = "";
	if (pl->total_bytes && rate > 0 && done < (double)pl->total_bytes) {
		double s = ((double)pl->total_bytes - done) / rate;
		snprintf(eta, sizeof eta, "  ETA %d:%02d", (int)s / 60, (int)s % 60);
	}
	if (pl->total_bytes)
		fprintf(stderr, "\r%8.2f / %.2f GB  %6.2f GB/s%s   ", done / 1e9, (double)pl->total_bytes / 1e9,
			rate / 1e9, eta);
	else
		fprintf(stderr, "\r%8.2f GB  %6.2f GB/s   ", done / 1e9, rate / 1e9);
	if (final)
		fputc('\n', stderr);
}

static void *writer_main(void *arg)
{
	struct pipe *pl = arg;
	struct chunk **slots = xcalloc(pl->pool_n, sizeof *slots);
	uint64_t next = 0;
	double last = util_now();
	struct chunk *ck;
	while ((ck = queue_pop(&pl->done_q))) {
		if (!pl->findings) {
			/* Nothing to write, so no order to keep: a chunk is free
			 * once scanned. In order, a worker that lost its CPU
			 * held back every chunk scanned after its own, and with
			 * the pool (2 a worker) spoken for the reader waited. */
			queue_push(&pl->free_q, ck);
		} else {
			slots[ck->seq % pl->pool_n] = ck;
			while ((ck = slots[next % pl->pool_n]) && ck->seq == next) {
				slots[next % pl->pool_n] = NULL;
				if (ck->out.len && !pl->findings_err)
					pl->findings_err = outfile_write(pl->findings, ck->out.data, ck->out.len);
				queue_push(&pl->free_q, ck);
				next++;
			}
		}
		if (pl->opt->progress && util_now() - last > 0.25) {
			last = util_now();
			progress(pl, false);
		}
	}
	free(slots);
	return NULL;
}

static int open_outputs(struct pipe *pl, char *errbuf, size_t errbuf_len)
{
	if (pl->opt->findings_path)
		return outfile_open(pl->opt->findings_path, &pl->findings, errbuf, errbuf_len);
	return 0;
}

unsigned pipeline_default_threads(unsigned cpus)
{
	return cpus >= SPARE_CPU_FROM ? cpus - 1 : MAX(cpus, 1u);
}

int pipeline_run(const struct scan_options *opt, const struct hsdb *db,
		 const struct fingerprint_key *key, struct scan_result *res,
		 char *errbuf, size_t errbuf_len)
{
	struct pipe pl;
	struct source_list sources;
	struct scan_report rep;
	int rc;

	memset(&pl, 0, sizeof pl);
	memset(res, 0, sizeof *res);
	memset(&rep, 0, sizeof rep);
	clock_gettime(CLOCK_REALTIME, &rep.started);
	pl.opt = opt;
	/* Unframed lines move the reader's work onto the workers (no more of
	 * it in all): a gain where every CPU is busy anyway or the reader sets
	 * the pace, a loss where it had a CPU to itself (2-core VM: 512 MB of
	 * logs, --threads 1, 1.09 -> 1.19 s; --threads 2: dense CSV 0.98 ->
	 * 0.96 s, logs 0.71 -> 0.70, medians of 9 and 5). */
	pl.lines = opt->lines == LINES_AUTO ? opt->threads >= PREFETCH_MIN_THREADS || opt->threads >= util_cpus()
		: opt->lines == LINES_ALWAYS;
	pl.chunk_cap = opt->chunk_cap ? opt->chunk_cap : CHUNK_CAP;
	pl.db = db;
	pl.t0 = util_now();
	if ((rc = open_outputs(&pl, errbuf, errbuf_len)))
		return rc;
	pl.fields = fieldtab_new(hsdb_ruleset(db));
	source_list_build(&sources, opt->paths, opt->npaths);
	for (size_t i = 0; i < sources.n; i++) {
		struct stat st;
		if (strcmp(sources.v[i]->path, "-") && !stat(sources.v[i]->path, &st) && S_ISREG(st.st_mode))
			pl.total_bytes += (uint64_t)st.st_size;
	}

	pl.acfg = (struct attribute_config){
		.db = db, .fields = pl.fields, .key = key, .min_confidence = opt->min_confidence,
		.format_findings = opt->findings_path != NULL, .engine = opt->engine,
	};
	unsigned nw = opt->threads ? opt->threads : 1;
	pl.pool_n = 2 * (size_t)nw + 2;
	pl.pool = xcalloc(pl.pool_n, sizeof *pl.pool);
	queue_init(&pl.free_q, pl.pool_n);
	queue_init(&pl.work_q, pl.pool_n);
	queue_init(&pl.done_q, pl.pool_n);
	for (size_t i = 0; i < pl.pool_n; i++) {
		buf_init(&pl.pool[i].data);
		buf_init(&pl.pool[i].out);
		buf_init(&pl.pool[i].raw);
		queue_push(&pl.free_q, &pl.pool[i]);
	}
	buf_init(&pl.pend);

	struct worker *workers = xcalloc(nw, sizeof *workers);
	for (unsigned i = 0; i < nw; i++) {
		workers[i].pl = &pl;
		tally_init(&workers[i].tally, hsdb_ruleset(db)->n);
		workers[i].at = attributor_new(&pl.acfg);
		if (!workers[i].at) {
			fprintf(stderr, "piiscan: cannot allocate Hyperscan scratch space\n");
			abort();
		}
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	}
	pthread_t writer;
	pthread_create(&writer, NULL, writer_main, &pl);

	for (size_t i = 0; i < sources.n && !pl.interrupted; i++) {
		if (sources.v[i]->status == SOURCE_FAILED)
			continue;
		read_source(&pl, sources.v[i]);
		if (stop_requested)
			pl.interrupted = true;
	}
	queue_close(&pl.work_q);
	for (unsigned i = 0; i < nw; i++)
		pthread_join(workers[i].thread, NULL);
	queue_close(&pl.done_q);
	pthread_join(writer, NULL);
	if (opt->progress)
		progress(&pl, true);

	struct tally total;
	tally_init(&total, hsdb_ruleset(db)->n);
	for (unsigned i = 0; i < nw; i++) {
		tally_merge(&total, &workers[i].tally);
		tally_release(&workers[i].tally);
		attributor_free(workers[i].at);
		transcoder_free(workers[i].tc);
	}
	free(workers);

	rep.status = RUN_COMPLETE;
	for (size_t i = 0; i < sources.n; i++) {
		res->findings += atomic_load(&sources.v[i]->findings);
		if (sources.v[i]->status != SOURCE_COMPLETE)
			rep.status = RUN_PARTIAL;
	}
	if (pl.interrupted)
		rep.status = RUN_INTERRUPTED;
	clock_gettime(CLOCK_REALTIME, &rep.finished);
	rep.version = opt->version;
	rep.rs = hsdb_ruleset(db);
	rep.key = key;
	rep.min_confidence = opt->min_confidence;
	rep.sources = &sources;
	rep.fields = pl.fields;
	rep.tally = &total;
	rep.findings = res->findings;
	rep.seconds = util_now() - pl.t0;
	rep.threads = nw;
	rep.policy = opt->policy;
	memcpy(rep.as_of, opt->as_of, sizeof rep.as_of);
	res->status = rep.status;

	if (pl.findings) {
		char eb[256];
		if (pl.findings_err || outfile_commit(pl.findings, eb, sizeof eb)) {
			if (pl.findings_err)
				snprintf(eb, sizeof eb, "cannot write '%s'", opt->findings_path);
			fprintf(stderr, "piiscan: %s\n", eb);
			res->output_failed = true;
		}
	}
	if (opt->manifest_path || opt->manifest_stdout) {
		struct buf out;
		char eb[256];
		buf_init(&out);
		manifest_format(&rep, &out);
		if (opt->manifest_path && outfile_write_all(opt->manifest_path, out.data, out.len, eb, sizeof eb)) {
			fprintf(stderr, "piiscan: %s\n", eb);
			res->output_failed = true;
		}
		if (opt->manifest_stdout)
			fwrite(out.data, 1, out.len, stdout);
		buf_release(&out);
	}
	/* stdout carries the data asked for; when that is the findings, the
	 * summary goes to stderr with the other diagnostics. */
	if (!opt->manifest_stdout)
		manifest_summary(&rep, opt->findings_path && !strcmp(opt->findings_path, "-") ? stderr : stdout);
	fflush(stdout);

	tally_release(&total);
	for (size_t i = 0; i < pl.pool_n; i++) {
		buf_release(&pl.pool[i].data);
		buf_release(&pl.pool[i].out);
		free(pl.pool[i].recs);
		free(pl.pool[i].layouts);
		free(pl.pool[i].skews.v);
		buf_release(&pl.pool[i].raw);
		free(pl.pool[i].rec_off);
	}
	free(pl.pool);
	buf_release(&pl.pend);
	queue_release(&pl.free_q);
	queue_release(&pl.work_q);
	queue_release(&pl.done_q);
	source_list_release(&sources);
	fieldtab_free(pl.fields);
	return 0;
}
