/* The chunk: the unit of work between the reader and the workers. It holds
 * whole records of one source (or one piece of a record too long to hold)
 * with their provenance, and receives the formatted findings. */
#ifndef PIISCAN_CHUNK_H
#define PIISCAN_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "transcode.h"

struct source;

struct chunk {
	uint64_t seq;            /* order of the chunk in the whole run */
	struct source *src;
	struct buf data;         /* record bytes, decompressed */
	uint64_t base_offset;    /* input offset of data.data[0] */
	uint64_t first_record;   /* 1-based number of the first record */
	uint32_t *recs;          /* record i is [recs[i], recs[i+1]); recs[nrec] = data.len */
	uint32_t *layouts;       /* record i's layout (frame_cursor.layout) */
	size_t layouts_cap;
	/* Input offset of each record's first byte: records are packed back
	 * to back, but the input may have bytes between them that are not
	 * records (SQL statements without rows). NULL: contiguous from
	 * base_offset. */
	uint64_t *rec_off;
	size_t rec_off_cap;
	/* Input decoded from GBK/GB18030 (transcoded): an input offset is
	 * counted from data and the skews of its characters
	 * (transcode_raw_pos), from where the last count stopped: data byte
	 * seek_d, seek_r input bytes on, skew seek_k. Records a framer found
	 * (!lines), decoded by the reader or, in SQL dumps framed as read, by
	 * the worker one by one: a count starts at a record's start, input
	 * offset rec_off[i]; lines (read as they were), at the chunk's,
	 * base_offset. transcode: not decoded yet, the worker's to do (raw
	 * then holds the bytes as read, its buffer reused). */
	bool transcoded;
	bool transcode;
	struct buf raw;
	size_t seek_d, seek_r, seek_k;
	struct transcode_skews skews;
	size_t nrec, rec_cap;
	/* A piece of a giant record: scanned as unnamed text, and only matches
	 * that start in [keep_lo, keep_hi) are kept (the rest is overlap with
	 * the neighbouring pieces, so no match is lost or counted twice). */
	bool piece;
	bool piece_first;        /* the piece that counts the record */
	uint32_t keep_lo, keep_hi;
	/* Streams whose records are numbered by something other than their
	 * position (Kafka offsets): record i is rec_ids[i]; NULL otherwise. */
	uint64_t *rec_ids;
	/* Whole lines read straight into data (pipeline.c, read_lines): nrec
	 * of them, for the worker to index (recs, layouts, rec_off). */
	bool lines;
	bool quoted;             /* ... CSV/TSV lines with quotes: frame_csv_breaks */
	/* Findings' offsets count from the start of their record (a Kafka
	 * message value) rather than from base_offset. */
	bool record_relative;
	struct buf out;          /* findings lines, for the writer */
	uint64_t nfindings;
};

#endif
