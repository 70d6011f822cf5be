/* The chunk: the unit of work between the reader and the workers. It holds
 * whole records of one source (or one piece of a record too long to hold)
 * with their provenance, and receives the formatted findings. */
#ifndef PIISCAN_CHUNK_H
#define PIISCAN_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

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
	 * base_offset. Not used (nor kept true) with srcmap_used. */
	uint64_t *rec_off;
	size_t rec_off_cap;
	/* Input transcoded from GBK/GB18030: chunk_srcmap(ck, i) is the input
	 * offset of data byte i (data.len + 1 entries, uint64_t), used instead
	 * of base_offset. */
	struct buf srcmap;
	bool srcmap_used;
	/* data holds GBK/GB18030 lines as read, for the worker to decode
	 * (read_lines): it moves them to raw and decodes them into data.
	 * Then there is no srcmap (srcmap_lazy): offsets are found by a walk
	 * over raw and data (transcode_seek; the manifest job alone asks for
	 * none), which has got to data byte seek_d, raw byte seek_r. */
	bool transcode;
	bool srcmap_lazy;
	struct buf raw;
	size_t seek_d, seek_r;
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

static inline uint64_t chunk_srcmap(const struct chunk *ck, size_t i)
{
	return ((const uint64_t *)(const void *)ck->srcmap.data)[i];
}

#endif
