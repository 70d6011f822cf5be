/* The pipeline of `piiscan kafka`:
 *
 *   poll thread (caller)             workers (N threads)             writer (1 thread)
 *   consumer_poll → message   ──▶    frame → scan → validate   ──▶   findings → file / topic
 *   values of one partition   work   → attribute → batch tally FIFO  batch tally → window tally
 *   packed into a batch;      queue                            (dispatch order)
 *   window: ranges, xxh3,                                            at a window marker:
 *   message count; pause         window marker ─────────────────▶   fsync file, flush producer,
 *   when too much waits                                              write manifest, commit
 *
 * A batch holds messages of one partition (values in one chunk, keys and
 * each header name in chunks of their own, scanned as text). The writer
 * takes batches and window markers strictly in dispatch order, so when it
 * reaches a marker every message polled before it has been scanned and its
 * findings written; only then does it make the output durable, write the
 * window's manifest and commit the offsets after the window's messages.
 * A crash at any point leaves those offsets uncommitted, and the messages
 * are read again (at least once; duplicates are possible, losses are not).
 *
 * The poll thread never waits for the scanners: when the bytes waiting to
 * be scanned pass max_buffer it pauses every assigned partition, and
 * resumes them once half has drained. It waits for the writer only where
 * Kafka requires it: a revocation (the revoked partitions' offsets are
 * committed before they are given up) and shutdown. SIGINT/SIGTERM stop
 * polling; what was polled drains, is written and committed, a final
 * manifest is written and the member leaves the group. */
#include "pipeline_kafka.h"
#include "pipeline.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>   /* XXH3 at the CPU's vector width (stream.c) */
#endif

#include "attribute.h"
#include "chunk.h"
#include "error.h"
#include "field.h"
#include "jsonw.h"
#include "manifest.h"
#include "outfile.h"
#include "queue.h"
#include "sink_kafka.h"
#include "source.h"
#include "tally.h"
#include "util.h"

#define BATCH_BYTES (512u << 10)      /* a batch is dispatched once its values reach this */
#define BATCHES_MAX 256               /* batches in flight before pausing */
#define WORK_CAP 4096                 /* work queue slots: more than can be in flight */
#define LINGER_S 0.05                 /* a partly filled batch waits at most this long */
#define POLL_MS 100
#define COMMIT_TIMEOUT_MS 30000
#define EOF_PROBE_S 0.05              /* an idle loop compares positions with the end this often */
#define EOF_ASK_S 1.0                 /* and asks the broker (nothing polled yet) this often */
#define KICK_MS 100                   /* the longest a fetcher wake-up request waits */
#define KICK_FREE 8                   /* wake-ups in a row without progress before backing off */
#define KICK_BACKOFF_MAX_S 1.0        /* then at most one a second (a leader that is down) */
#define CLOCK_EVERY 64                /* messages between clock reads in the poll loop */
#define HEADER_FIELDS_MAX 32          /* header names with a field of their own, per partition */
#define META_MAX (HEADER_FIELDS_MAX + 2)   /* + the key + the other header names */
#define OUT_FLUSH (1u << 20)


enum reason {
	REASON_INTERVAL,
	REASON_COUNT,
	REASON_REVOKE,
	REASON_END,
	REASON_SHUTDOWN,
	REASON_FAILURE,
};

static const char *const reason_names[] = { "interval", "count", "revoke", "end", "shutdown", "failure" };

/* Keys, or one header name, of a partition: scanned as text into one field
 * of the partition's source ("(key)", "(header:NAME)"). */
struct kmeta {
	char *name;                 /* the header name; NULL for the key */
	struct source *src;
};

/* A chunk with room for its record ids (the message offsets). */
struct kchunk {
	struct chunk ck;
	size_t ids_cap;
};

struct kpart;
struct kmark;

/* A node of the writer's FIFO: a batch of one partition's messages, or a
 * window marker. */
struct kbatch {
	struct kbatch *next;
	struct kmark *mark;         /* a marker: no chunks */
	bool done;                  /* scanned (guarded by the FIFO lock) */
	bool scan_failed;
	struct kpart *kp;
	struct kchunk val;
	struct kchunk *meta;        /* meta[i] holds kp->meta[i]'s records */
	size_t nmeta;               /* entries in use (kp->nmeta when dispatched) */
	size_t meta_cap;
	struct tally tally;
	size_t bytes;               /* counted in inflight_bytes */
	double born;
};

/* A partition's share of the open window (poll thread). */
struct kwin {
	uint64_t msgs, bytes;
	int64_t (*ranges)[2];       /* inclusive offset ranges, in polling order */
	size_t nranges, rcap;
	int64_t last;
	XXH3_state_t *hash;         /* over the values, in offset order */
};

struct kpart {
	char *topic;
	int32_t partition;
	struct source *src;         /* values; its fields hold the meta fields too */
	/* [0] is the key with --scan-key. Fixed size: the writer reads the
	 * first nmeta entries (their error counts) while the poll thread adds. */
	struct kmeta meta[META_MAX];
	atomic_size_t nmeta;
	size_t header_fields;
	int64_t key_meta;           /* index in meta, or -1 */
	int64_t overflow_meta;      /* "(header:*)": names past HEADER_FIELDS_MAX, or -1 */
	/* poll thread */
	bool assigned, eof, paused;
	atomic_size_t inflight;     /* bytes polled and not yet written (the writer subtracts) */
	int64_t next;               /* offset after the last message polled (or where reading
	                               starts) since assigned, or -1 */
	struct kbatch *pending;
	struct kwin win;
	/* kick_stalled: wake-ups since next last moved, and when the next may go */
	unsigned kicks_idle;
	int64_t kick_from;
	double kick_after;
	/* writer */
	int64_t uncommitted;        /* durable next offset not committed yet, or -1 */
	bool dirty;                 /* in the writer's dirty list */
	uint64_t win_findings;
	uint64_t warnings_seen, failures_seen;
};

struct kmark_part {
	struct kpart *kp;
	uint64_t msgs, bytes;
	int64_t (*ranges)[2];
	size_t nranges;
	int64_t next;
	uint8_t hash[16];
};

struct kmark {
	uint64_t seq;
	enum reason reason;
	bool final;                 /* a manifest even when empty */
	struct timespec started, finished;
	char member_id[256];
	struct kmark_part *parts;
	size_t nparts;
	struct kpart **drop;        /* revoked: commit, then forget */
	size_t ndrop;
	bool lost;                  /* revoked but already lost: do not commit them */
};

struct kpipe {
	const struct kafka_options *opt;
	const struct hsdb *db;
	const struct ruleset *rs;
	const struct fingerprint_key *key;
	struct kafka_result *res;
	struct fieldtab *fields;
	struct attribute_config acfg;
	struct kafka_source *ks;

	/* poll thread */
	struct kpart **parts;
	size_t nparts, parts_cap;
	struct kpart *last_part;
	size_t npending;              /* partitions with a partly filled batch */
	uint32_t next_source_id;
	bool paused;
	size_t kick_next;             /* where kick_stalled looks first */
	bool stalled;                 /* fetching is expected: poll briefly, then kick */
	struct kafka_tp *tps;         /* backpressure's list, one slot per partition */
	size_t tps_cap;
	uint64_t win_msgs;
	double win_t0;
	double now;                   /* util_now(), read every CLOCK_EVERY messages */
	struct timespec win_started;
	double last_eof_probe, last_eof_ask;

	struct queue work_q;
	pthread_mutex_t lock;         /* the FIFO, the free list, marker progress */
	pthread_cond_t cond;
	struct kbatch *head, *tail;
	struct kbatch *free_list;
	bool closing;
	uint64_t marks_pushed, marks_done;
	atomic_size_t inflight_bytes;
	atomic_size_t inflight_batches;
	atomic_bool failed;

	/* writer */
	struct tally wtally;
	int out_fd;
	bool out_regular;
	struct buf out_buf;
	struct kafka_sink *sink;
	struct kpart **dirty;
	size_t ndirty, dirty_cap;
	char host[64];
};

static void fail(struct kpipe *pl, const char *msg)
{
	if (!atomic_exchange(&pl->failed, true)) {
		fprintf(stderr, "piiscan: kafka: %s; offsets after the last durable window are not "
			"committed\n", msg);
	}
}

/* ------------------------------------------------------------ partitions */

static struct source *meta_source(struct kpipe *pl, struct kpart *kp, const char *field, size_t len)
{
	struct source *ms = source_new(pl->next_source_id++, kp->src->path);
	ms->format = FORMAT_TEXT;
	ms->findings_extra = xstrdup(kp->src->findings_extra);
	ms->unnamed_field = fieldtab_intern(pl->fields, kp->src->id, field, len);
	return ms;
}

static size_t meta_add(struct kpipe *pl, struct kpart *kp, const char *hname, size_t hlen)
{
	char field[FIELD_NAME_MAX + 1];
	int n;
	if (!hname)
		n = snprintf(field, sizeof field, "(key)");
	else
		n = snprintf(field, sizeof field, "(header:%.*s)", (int)MIN(hlen, FIELD_NAME_MAX - 10), hname);
	size_t i = atomic_load(&kp->nmeta);
	assert(i < META_MAX);
	kp->meta[i] = (struct kmeta){
		.name = hname ? xstrndup(hname, hlen) : NULL,
		.src = meta_source(pl, kp, field, (size_t)n),
	};
	atomic_store(&kp->nmeta, i + 1);
	return i;
}

static size_t header_meta(struct kpipe *pl, struct kpart *kp, const char *name)
{
	size_t len = strlen(name), nmeta = atomic_load(&kp->nmeta);
	for (size_t i = 0; i < nmeta; i++)
		if (kp->meta[i].name && (int64_t)i != kp->overflow_meta && !strcmp(kp->meta[i].name, name))
			return i;
	if (kp->header_fields < HEADER_FIELDS_MAX) {
		kp->header_fields++;
		return meta_add(pl, kp, name, len);
	}
	if (kp->overflow_meta < 0)
		kp->overflow_meta = (int64_t)meta_add(pl, kp, "*", 1);
	return (size_t)kp->overflow_meta;
}

static struct kpart *part_get(struct kpipe *pl, const char *topic, int32_t partition, bool create)
{
	struct kpart *kp = pl->last_part;
	if (kp && kp->partition == partition && !strcmp(kp->topic, topic))
		return kp;
	for (size_t i = 0; i < pl->nparts; i++) {
		kp = pl->parts[i];
		if (kp->partition == partition && !strcmp(kp->topic, topic))
			return pl->last_part = kp;
	}
	if (!create)
		return NULL;

	kp = xcalloc(1, sizeof *kp);
	atomic_init(&kp->inflight, 0);
	atomic_init(&kp->nmeta, 0);
	kp->topic = xstrdup(topic);
	kp->partition = partition;
	kp->next = kp->uncommitted = kp->key_meta = kp->overflow_meta = -1;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "kafka://%s/%d", topic, (int)partition);
	kp->src = source_new(pl->next_source_id++, path);
	kp->src->format = pl->opt->format;
	kp->src->unnamed_field = fieldtab_intern(pl->fields, kp->src->id, NULL, 0);
	struct buf b;
	buf_init(&b);
	buf_puts(&b, ",\"topic\":");
	jsonw_quote(&b, topic, strlen(topic));
	buf_puts(&b, ",\"partition\":");
	buf_put_u64(&b, (uint64_t)partition);
	buf_putc(&b, '\0');
	kp->src->findings_extra = b.data;
	if (pl->opt->scan_key)
		kp->key_meta = (int64_t)meta_add(pl, kp, NULL, 0);
	kp->win.hash = XXH3_createState();
	xgrow((void **)&pl->parts, &pl->parts_cap, pl->nparts + 1, sizeof *pl->parts);
	pl->parts[pl->nparts++] = kp;
	return pl->last_part = kp;
}

static void part_free(struct kpart *kp)
{
	for (size_t i = 0; i < atomic_load(&kp->nmeta); i++) {
		free(kp->meta[i].name);
		source_free(kp->meta[i].src);
	}
	source_free(kp->src);
	free(kp->win.ranges);
	XXH3_freeState(kp->win.hash);
	free(kp->topic);
	free(kp);
}

/* --------------------------------------------------------------- batches */

static void kchunk_reset(struct kchunk *kc, struct source *src)
{
	struct chunk *ck = &kc->ck;
	ck->src = src;
	buf_reset(&ck->data);
	buf_reset(&ck->out);
	ck->nrec = 0;
	ck->nfindings = 0;
	ck->base_offset = 0;
	ck->first_record = 0;
	ck->piece = ck->piece_first = false;
	ck->record_relative = true;
}

static void kchunk_release(struct kchunk *kc)
{
	buf_release(&kc->ck.data);
	buf_release(&kc->ck.out);
	free(kc->ck.recs);
	free(kc->ck.rec_ids);
}

/* Append one record (a value, key or header) of the message at offset.
 * Every record ends with a newline: the framers drop it, and it keeps a
 * match from running from one message into the next. */
static void kchunk_add(struct kchunk *kc, int64_t offset, const char *p, size_t len)
{
	struct chunk *ck = &kc->ck;
	xgrow((void **)&ck->recs, &ck->rec_cap, ck->nrec + 2, sizeof *ck->recs);
	xgrow((void **)&ck->rec_ids, &kc->ids_cap, ck->nrec + 1, sizeof *ck->rec_ids);
	if (!ck->nrec)
		ck->first_record = (uint64_t)offset;
	ck->recs[ck->nrec] = (uint32_t)ck->data.len;
	ck->rec_ids[ck->nrec] = (uint64_t)offset;
	ck->nrec++;
	if (len)
		buf_append(&ck->data, p, len);
	buf_putc(&ck->data, '\n');
}

static struct kbatch *batch_take(struct kpipe *pl, struct kpart *kp)
{
	pthread_mutex_lock(&pl->lock);
	struct kbatch *b = pl->free_list;
	if (b)
		pl->free_list = b->next;
	pthread_mutex_unlock(&pl->lock);
	if (!b) {
		b = xcalloc(1, sizeof *b);
		buf_init(&b->val.ck.data);
		buf_init(&b->val.ck.out);
	}
	b->next = NULL;
	b->mark = NULL;
	b->done = b->scan_failed = false;
	b->kp = kp;
	kchunk_reset(&b->val, kp->src);
	for (size_t i = 0; i < b->meta_cap; i++)
		kchunk_reset(&b->meta[i], NULL);
	b->nmeta = 0;
	tally_init(&b->tally, pl->rs->n);
	b->bytes = 0;
	b->born = pl->now;
	atomic_fetch_add(&pl->inflight_batches, 1);
	return b;
}

static struct kchunk *batch_meta(struct kbatch *b, size_t idx)
{
	if (idx >= b->meta_cap) {
		size_t old = b->meta_cap;
		xgrow((void **)&b->meta, &b->meta_cap, idx + 1, sizeof *b->meta);
		memset(b->meta + old, 0, (b->meta_cap - old) * sizeof *b->meta);
		for (size_t i = old; i < b->meta_cap; i++) {
			buf_init(&b->meta[i].ck.data);
			buf_init(&b->meta[i].ck.out);
			kchunk_reset(&b->meta[i], NULL);
		}
	}
	struct kchunk *kc = &b->meta[idx];
	kc->ck.src = b->kp->meta[idx].src;
	if (idx + 1 > b->nmeta)
		b->nmeta = idx + 1;
	return kc;
}

static void batch_recycle(struct kpipe *pl, struct kbatch *b)
{
	tally_release(&b->tally);
	atomic_fetch_sub(&b->kp->inflight, b->bytes);
	atomic_fetch_sub(&pl->inflight_bytes, b->bytes);
	atomic_fetch_sub(&pl->inflight_batches, 1);
	pthread_mutex_lock(&pl->lock);
	b->next = pl->free_list;
	pl->free_list = b;
	pthread_mutex_unlock(&pl->lock);
}

static void batch_free(struct kbatch *b)
{
	kchunk_release(&b->val);
	for (size_t i = 0; i < b->meta_cap; i++)
		kchunk_release(&b->meta[i]);
	free(b->meta);
	free(b);
}

/* Append b (a batch or a marker) to the writer's FIFO. */
static void fifo_push(struct kpipe *pl, struct kbatch *b)
{
	pthread_mutex_lock(&pl->lock);
	b->next = NULL;
	if (pl->tail)
		pl->tail->next = b;
	else
		pl->head = b;
	pl->tail = b;
	pthread_cond_broadcast(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
}

static void seal(struct kchunk *kc)
{
	struct chunk *ck = &kc->ck;
	xgrow((void **)&ck->recs, &ck->rec_cap, ck->nrec + 1, sizeof *ck->recs);
	ck->recs[ck->nrec] = (uint32_t)ck->data.len;
}

static void dispatch(struct kpipe *pl, struct kpart *kp)
{
	struct kbatch *b = kp->pending;
	if (!b)
		return;
	kp->pending = NULL;
	pl->npending--;
	/* A partition whose first values were all empty has not shown its
	 * format; its records are empty, so any framer will do. */
	if (kp->src->format == FORMAT_AUTO)
		kp->src->format = FORMAT_TEXT;
	seal(&b->val);
	for (size_t i = 0; i < b->nmeta; i++)
		seal(&b->meta[i]);
	fifo_push(pl, b);
	queue_push(&pl->work_q, b);
}

static void dispatch_all(struct kpipe *pl, double older_than)
{
	for (size_t i = 0; pl->npending && i < pl->nparts; i++)
		if (pl->parts[i]->pending && pl->parts[i]->pending->born <= older_than)
			dispatch(pl, pl->parts[i]);
}

/* ------------------------------------------------------------ poll thread */

static void win_add(struct kwin *w, int64_t offset, const char *p, size_t len)
{
	if (!w->msgs) {
		XXH3_128bits_reset(w->hash);
		w->nranges = 0;
	}
	if (w->msgs && offset > w->last) {
		/* Offsets missing in between (compaction, transaction markers)
		 * do not exist: the range goes on. */
		w->ranges[w->nranges - 1][1] = offset;
	} else {
		xgrow((void **)&w->ranges, &w->rcap, w->nranges + 1, sizeof *w->ranges);
		w->ranges[w->nranges][0] = w->ranges[w->nranges][1] = offset;
		w->nranges++;
	}
	w->last = offset;
	w->msgs++;
	w->bytes += len;
	if (len)
		XXH3_128bits_update(w->hash, p, len);
}

static void on_message(struct kpipe *pl, struct kafka_msg *m)
{
	struct kpart *kp = part_get(pl, m->topic, m->partition, true);
	if (kp->src->format == FORMAT_AUTO && m->len)
		kp->src->format = frame_format_sniff(m->value, m->len) == FORMAT_JSONL ? FORMAT_JSONL : FORMAT_TEXT;
	if (!kp->pending) {
		kp->pending = batch_take(pl, kp);
		pl->npending++;
	}
	struct kbatch *b = kp->pending;
	size_t added = m->len + 1;

	kchunk_add(&b->val, m->offset, m->value, m->len);
	if (kp->key_meta >= 0 && m->key_len) {
		kchunk_add(batch_meta(b, (size_t)kp->key_meta), m->offset, m->key, m->key_len);
		added += m->key_len + 1;
	}
	if (pl->opt->scan_headers) {
		const char *name, *v;
		size_t len;
		for (size_t i = 0; !kafka_msg_header(m, i, &name, &v, &len); i++) {
			if (!len)
				continue;
			kchunk_add(batch_meta(b, header_meta(pl, kp, name)), m->offset, v, len);
			added += len + 1;
		}
	}
	b->bytes += added;
	atomic_fetch_add(&kp->inflight, added);
	atomic_fetch_add(&pl->inflight_bytes, added);

	win_add(&kp->win, m->offset, m->value, m->len);
	pl->win_msgs++;
	kp->next = m->offset + 1;
	kp->eof = false;
	pl->res->messages++;
	pl->res->bytes += m->len;
	if (b->val.ck.data.len >= BATCH_BYTES || b->bytes >= 2 * BATCH_BYTES)
		dispatch(pl, kp);
}

/* Close the open window: dispatch every partly filled batch, then queue a
 * marker that the writer acts on once everything before it is written.
 * Returns the marker's sequence number. */
static uint64_t rotate(struct kpipe *pl, enum reason why, bool final, struct kpart **drop, size_t ndrop,
		       bool lost)
{
	dispatch_all(pl, 1e300);
	struct kmark *mk = xcalloc(1, sizeof *mk);
	mk->reason = why;
	mk->final = final;
	mk->started = pl->win_started;
	clock_gettime(CLOCK_REALTIME, &mk->finished);
	kafka_source_member_id(pl->ks, mk->member_id, sizeof mk->member_id);
	for (size_t i = 0; i < pl->nparts; i++) {
		struct kpart *kp = pl->parts[i];
		struct kwin *w = &kp->win;
		if (!w->msgs)
			continue;
		mk->parts = xrealloc(mk->parts, (mk->nparts + 1) * sizeof *mk->parts);
		struct kmark_part *mp = &mk->parts[mk->nparts++];
		mp->kp = kp;
		mp->msgs = w->msgs;
		mp->bytes = w->bytes;
		mp->ranges = xmalloc(w->nranges * sizeof *mp->ranges);
		memcpy(mp->ranges, w->ranges, w->nranges * sizeof *mp->ranges);
		mp->nranges = w->nranges;
		mp->next = w->last + 1;
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(w->hash));
		memcpy(mp->hash, c.digest, sizeof mp->hash);
		w->msgs = w->bytes = 0;
		w->nranges = 0;
	}
	if (ndrop) {
		mk->drop = xmalloc(ndrop * sizeof *mk->drop);
		memcpy(mk->drop, drop, ndrop * sizeof *drop);
		mk->ndrop = ndrop;
		mk->lost = lost;
	}
	struct kbatch *node = xcalloc(1, sizeof *node);
	node->mark = mk;
	pl->win_msgs = 0;
	pl->win_t0 = util_now();
	pl->win_started = mk->finished;
	pthread_mutex_lock(&pl->lock);
	uint64_t seq = mk->seq = ++pl->marks_pushed;
	pthread_mutex_unlock(&pl->lock);
	fifo_push(pl, node);     /* the writer owns (and frees) mk from here */
	return seq;
}

static void wait_mark(struct kpipe *pl, uint64_t seq)
{
	pthread_mutex_lock(&pl->lock);
	while (pl->marks_done < seq)
		pthread_cond_wait(&pl->cond, &pl->lock);
	pthread_mutex_unlock(&pl->lock);
}

static void print_tps(const char *what, const struct kafka_tp *tps, size_t n)
{
	fprintf(stderr, "piiscan: kafka: %s", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s'%s' [%d]", i ? ", " : " ", tps[i].topic, (int)tps[i].partition);
	fputc('\n', stderr);
}

static void on_assign(void *arg, const struct kafka_tp *tps, size_t n)
{
	struct kpipe *pl = arg;
	for (size_t i = 0; i < n; i++) {
		struct kpart *kp = part_get(pl, tps[i].topic, tps[i].partition, true);
		kp->assigned = true;
		kp->eof = kp->paused = false;
		kp->next = tps[i].offset >= 0 ? tps[i].offset : -1;   /* where reading starts, when known */
	}
	print_tps("assigned", tps, n);
}

static void on_revoke(void *arg, const struct kafka_tp *tps, size_t n, bool lost)
{
	struct kpipe *pl = arg;
	struct kpart **drop = xcalloc(n + 1, sizeof *drop);
	size_t ndrop = 0;
	for (size_t i = 0; i < n; i++) {
		struct kpart *kp = part_get(pl, tps[i].topic, tps[i].partition, false);
		if (kp)
			drop[ndrop++] = kp;
	}
	/* Commit on revoke: everything polled from these partitions is
	 * scanned, written, made durable and committed before they go. */
	wait_mark(pl, rotate(pl, REASON_REVOKE, false, drop, ndrop, lost));
	for (size_t i = 0; i < ndrop; i++) {
		drop[i]->assigned = drop[i]->eof = drop[i]->paused = false;
		drop[i]->next = -1;
	}
	free(drop);
	print_tps(lost ? "lost" : "revoked", tps, n);
}

/* Pause or resume partitions so that at most about max_buffer bytes wait
 * to be scanned. Only partitions with bytes in flight are paused, so a
 * partition whose messages were queued behind a busy one's still gets its
 * turn instead of starving; all resume once half has drained (a resumed
 * partition fetches again only at the broker thread's next wake-up, up to
 * a second later in librdkafka 2.0, which the remaining half covers). */
static void backpressure(struct kpipe *pl)
{
	size_t bytes = atomic_load(&pl->inflight_bytes), batches = atomic_load(&pl->inflight_batches);
	bool over = bytes > pl->opt->max_buffer || batches > BATCHES_MAX;
	bool under = bytes <= pl->opt->max_buffer / 2 && batches <= BATCHES_MAX / 2;
	if (!over && !(under && pl->paused))
		return;
	xgrow((void **)&pl->tps, &pl->tps_cap, pl->nparts + 1, sizeof *pl->tps);
	size_t n = 0;
	for (size_t i = 0; i < pl->nparts; i++) {
		struct kpart *kp = pl->parts[i];
		if (!kp->assigned || kp->paused == over || (over && !atomic_load(&kp->inflight)))
			continue;
		kp->paused = over;
		pl->tps[n++] = (struct kafka_tp){ kp->topic, kp->partition, 0 };
	}
	kafka_source_pause(pl->ks, pl->tps, n, over);
	if (over && n) {
		if (!pl->paused)
			pl->res->pauses++;
		pl->paused = true;
		if (pl->opt->verbose)
			fprintf(stderr, "piiscan: kafka: paused %zu partition(s): %zu bytes in %zu batches wait to "
				"be scanned\n", n, bytes, batches);
	} else if (!over) {
		pl->paused = false;
		pl->stalled = true; /* the fetcher may not notice the resume: see soon */
		if (pl->opt->verbose)
			fprintf(stderr, "piiscan: kafka: resumed %zu partition(s)\n", n);
	}
}

/* -e: has every assigned partition been read to its end? The EOF event of
 * a partition can be lost to a pause (librdkafka drops fetched messages
 * and events, and reports an end offset once), so when idle, look: the
 * position against the high watermark of the last fetch costs nothing and
 * is looked at often (a lost EOF would otherwise hold the exit up); a
 * partition nothing was polled from needs the broker, asked once a second. */
static bool all_at_end(struct kpipe *pl, bool idle)
{
	size_t assigned = 0, at_end = 0;
	double now = idle ? util_now() : 0;
	bool probe = idle && now - pl->last_eof_probe >= EOF_PROBE_S;
	bool ask = probe && now - pl->last_eof_ask >= EOF_ASK_S;
	if (probe)
		pl->last_eof_probe = now;
	for (size_t i = 0; i < pl->nparts; i++) {
		struct kpart *kp = pl->parts[i];
		if (!kp->assigned)
			continue;
		assigned++;
		if (!kp->eof && probe && !kp->pending && (kp->next >= 0 || ask)) {
			if (kp->next < 0)
				pl->last_eof_ask = now;
			if (kafka_source_at_end(pl->ks, kp->topic, kp->partition, kp->next, 1000) == 1)
				kp->eof = true;
		}
		at_end += kp->eof;
	}
	return assigned && at_end == assigned;
}

/* When the poll loop finds nothing while an unpaused partition is known
 * to hold more, librdkafka's fetcher is waiting for its broker thread to
 * wake (kafka_source_kick): wake it, one partition per idle poll, in turn.
 * Returns whether such a partition was found (poll again soon). */
static bool kick_stalled(struct kpipe *pl)
{
	double now = util_now();
	for (size_t k = 0; k < pl->nparts; k++) {
		size_t i = (pl->kick_next + k) % pl->nparts;
		struct kpart *kp = pl->parts[i];
		if (!kp->assigned || kp->paused || kp->eof || kp->pending ||
		    !kafka_source_behind(pl->ks, kp->topic, kp->partition, kp->next))
			continue;
		/* A partition that stays behind whatever is done (its leader is
		 * down or moving) is asked about less and less often: a wake-up
		 * is a request to the cluster, and every member makes its own. */
		if (kp->next != kp->kick_from) {
			kp->kick_from = kp->next;
			kp->kicks_idle = 0;
		} else if (now < kp->kick_after) {
			continue;
		}
		kafka_source_kick(pl->ks, kp->topic, kp->partition, KICK_MS);
		if (++kp->kicks_idle > KICK_FREE) {
			double wait = 0.01 * (double)(1u << MIN(kp->kicks_idle - KICK_FREE, 7u));
			kp->kick_after = now + MIN(wait, KICK_BACKOFF_MAX_S);
		}
		pl->kick_next = i + 1;
		pl->res->kicks++;
		return true;
	}
	return false;
}

static enum reason poll_loop(struct kpipe *pl)
{
	const struct kafka_options *opt = pl->opt;
	double last_linger = pl->now = util_now();
	unsigned since_clock = 0;
	for (;;) {
		if (pipeline_stop_requested())
			return REASON_SHUTDOWN;
		if (atomic_load(&pl->failed))
			return REASON_FAILURE;
		backpressure(pl);
		struct kafka_msg m;
		bool idle = false;
		enum kafka_event ev = kafka_source_poll(pl->ks, pl->npending || pl->stalled ? 10 : POLL_MS, &m);
		switch (ev) {
		case KAFKA_EVENT_MESSAGE:
			on_message(pl, &m);
			kafka_msg_release(&m);
			break;
		case KAFKA_EVENT_EOF: {
			struct kpart *kp = part_get(pl, m.topic, m.partition, false);
			if (kp && kp->assigned)
				kp->eof = true;
			kafka_msg_release(&m);
			break;
		}
		case KAFKA_EVENT_FATAL:
			fail(pl, "the Kafka client failed");
			return REASON_FAILURE;
		case KAFKA_EVENT_NONE:
			idle = true;
			dispatch_all(pl, 1e300);
			pl->stalled = kick_stalled(pl);
			break;
		case KAFKA_EVENT_ERROR:
			break;
		}
		/* At hundreds of thousands of messages a second, reading the
		 * clock for each shows in profiles; timers need less. */
		if (ev != KAFKA_EVENT_MESSAGE || ++since_clock >= CLOCK_EVERY) {
			pl->now = util_now();
			since_clock = 0;
		}
		double now = pl->now;
		if (now - last_linger >= LINGER_S) {
			dispatch_all(pl, now - LINGER_S);
			last_linger = now;
		}
		if (opt->manifest_every && pl->win_msgs >= opt->manifest_every)
			rotate(pl, REASON_COUNT, false, NULL, 0, false);
		else if (now - pl->win_t0 >= opt->manifest_interval)
			rotate(pl, REASON_INTERVAL, false, NULL, 0, false);
		/* Only an EOF event or an idle poll can bring the end nearer. */
		if (opt->exit_eof && (ev == KAFKA_EVENT_EOF || idle) && all_at_end(pl, idle))
			return REASON_END;
	}
}

/* --------------------------------------------------------------- workers */

static void *worker_main(void *arg)
{
	struct kpipe *pl = ((void **)arg)[0];
	struct attributor *at = ((void **)arg)[1];
	struct kbatch *b;
	while ((b = queue_pop(&pl->work_q))) {
		int rc = 0;
		if (b->val.ck.nrec)
			rc |= attribute_chunk(at, &b->val.ck, &b->tally);
		for (size_t i = 0; i < b->nmeta; i++)
			if (b->meta[i].ck.nrec)
				rc |= attribute_chunk(at, &b->meta[i].ck, &b->tally);
		pthread_mutex_lock(&pl->lock);
		b->scan_failed = rc != 0;
		b->done = true;
		pthread_cond_broadcast(&pl->cond);
		pthread_mutex_unlock(&pl->lock);
	}
	return NULL;
}

/* ---------------------------------------------------------------- writer */

static int findings_open(struct kpipe *pl, const char *path, char *errbuf, size_t errbuf_len)
{
	if (!strcmp(path, "-")) {
		pl->out_fd = 1;
		return 0;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(errbuf, errbuf_len, "cannot open '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return PIISCAN_ERR_OPEN;
	}
	pl->out_fd = fd;
	pl->out_regular = S_ISREG(st.st_mode);
	if (!pl->out_regular || !st.st_size)
		return 0;
	/* A run killed between two windows may have left a torn last line.
	 * Its messages were never committed and will be scanned again, so it
	 * goes; whole lines stay (duplicates are allowed, garbage is not). */
	char blk[4096];
	off_t pos = st.st_size, keep = 0;
	while (pos > 0) {
		size_t n = (size_t)MIN((off_t)sizeof blk, pos);
		pos -= (off_t)n;
		if (pread(fd, blk, n, pos) != (ssize_t)n)
			break;
		size_t k = n;
		while (k && blk[k - 1] != '\n')
			k--;
		if (k) {
			keep = pos + (off_t)k;
			break;
		}
	}
	if (keep != st.st_size) {
		fprintf(stderr, "piiscan: '%s': dropping a partial last line (%lld bytes) left by an "
			"interrupted run\n", path, (long long)(st.st_size - keep));
		if (ftruncate(fd, keep)) {
			snprintf(errbuf, errbuf_len, "cannot truncate '%s': %s", path, strerror(errno));
			close(fd);
			return PIISCAN_ERR_IO;
		}
	}
	return 0;
}

static int out_flush(struct kpipe *pl)
{
	int err = util_write_all(pl->out_fd, pl->out_buf.data, pl->out_buf.len);
	if (err)
		return -err;
	buf_reset(&pl->out_buf);
	return 0;
}

static void write_findings(struct kpipe *pl, struct kbatch *b, struct chunk *ck)
{
	char eb[512];
	b->kp->win_findings += ck->nfindings;
	pl->res->findings += ck->nfindings;
	if (!ck->out.len || atomic_load(&pl->failed))
		return;
	if (pl->out_fd >= 0) {
		buf_append(&pl->out_buf, ck->out.data, ck->out.len);
		int rc = pl->out_buf.len >= OUT_FLUSH ? out_flush(pl) : 0;
		if (rc) {
			snprintf(eb, sizeof eb, "cannot write '%s': %s", pl->opt->findings_path, strerror(-rc));
			fail(pl, eb);
		}
	}
	if (pl->sink && kafka_sink_write(pl->sink, ck->out.data, ck->out.len, ck->src->path,
					 strlen(ck->src->path), eb, sizeof eb))
		fail(pl, eb);
}

/* Warnings and failures recorded against kp's sources since its last
 * manifest. */
static void part_errors(struct kpart *kp, uint64_t *warnings, uint64_t *failures)
{
	uint64_t w = 0, f = 0;
	size_t nmeta = atomic_load(&kp->nmeta);
	for (size_t i = 0; i <= nmeta; i++) {
		struct source *src = i < nmeta ? kp->meta[i].src : kp->src;
		pthread_mutex_lock(&src->lock);
		w += src->warnings;
		f += src->failures;
		pthread_mutex_unlock(&src->lock);
	}
	*warnings = w - kp->warnings_seen;
	*failures = f - kp->failures_seen;
	kp->warnings_seen = w;
	kp->failures_seen = f;
}

static void format_manifest(struct kpipe *pl, const struct kmark *mk, uint64_t window, struct buf *out)
{
	const struct kafka_options *opt = pl->opt;
	struct jsonw w;
	struct scan_report rep = {
		.version = opt->version, .rs = pl->rs, .key = pl->key, .min_confidence = opt->min_confidence,
		.fields = pl->fields, .tally = &pl->wtally,
	};
	uint64_t msgs = 0, bytes = 0, findings = 0;
	char hex[33];

	jsonw_init(&w, out, true);
	jsonw_object_begin(&w);
	manifest_format_head(&rep, &w, "kafka_window");
	jsonw_key(&w, "min_confidence");
	jsonw_string(&w, confidence_name(opt->min_confidence));
	jsonw_key(&w, "started_at");
	manifest_put_time(&w, &mk->started);
	jsonw_key(&w, "finished_at");
	manifest_put_time(&w, &mk->finished);
	jsonw_key(&w, "status");
	jsonw_string(&w, "complete");

	jsonw_key(&w, "kafka");
	jsonw_object_begin(&w);
	jsonw_key(&w, "group");
	jsonw_string(&w, opt->group);
	jsonw_key(&w, "member_id");
	jsonw_string(&w, mk->member_id);
	jsonw_key(&w, "host");
	jsonw_string(&w, pl->host);
	jsonw_key(&w, "pid");
	jsonw_u64(&w, (uint64_t)getpid());
	jsonw_key(&w, "window");
	jsonw_u64(&w, window);
	jsonw_key(&w, "reason");
	jsonw_string(&w, reason_names[mk->reason]);
	jsonw_key(&w, "final");
	jsonw_bool(&w, mk->final);
	jsonw_object_end(&w);

	jsonw_key(&w, "partitions");
	jsonw_array_begin(&w);
	for (size_t i = 0; i < mk->nparts; i++) {
		const struct kmark_part *mp = &mk->parts[i];
		struct kpart *kp = mp->kp;
		uint64_t warnings, failures;
		part_errors(kp, &warnings, &failures);
		msgs += mp->msgs;
		bytes += mp->bytes;
		findings += kp->win_findings;
		jsonw_object_begin(&w);
		jsonw_key(&w, "source");
		jsonw_string(&w, kp->src->path);
		jsonw_key(&w, "topic");
		jsonw_string(&w, kp->topic);
		jsonw_key(&w, "partition");
		jsonw_u64(&w, (uint64_t)kp->partition);
		jsonw_key(&w, "format");
		jsonw_string(&w, frame_format_name(kp->src->format));
		jsonw_key(&w, "ranges");
		jsonw_array_begin(&w);
		for (size_t r = 0; r < mp->nranges; r++) {
			jsonw_array_begin(&w);
			jsonw_i64(&w, mp->ranges[r][0]);
			jsonw_i64(&w, mp->ranges[r][1]);
			jsonw_array_end(&w);
		}
		jsonw_array_end(&w);
		jsonw_key(&w, "next_offset");
		jsonw_i64(&w, mp->next);
		jsonw_key(&w, "messages");
		jsonw_u64(&w, mp->msgs);
		jsonw_key(&w, "bytes");
		jsonw_u64(&w, mp->bytes);
		jsonw_key(&w, "xxh3_128");
		util_hex(hex, mp->hash, sizeof mp->hash);
		jsonw_string(&w, hex);
		jsonw_key(&w, "findings");
		jsonw_u64(&w, kp->win_findings);
		jsonw_key(&w, "warnings");
		jsonw_u64(&w, warnings);
		jsonw_key(&w, "errors");
		jsonw_u64(&w, failures);
		jsonw_object_end(&w);
	}
	jsonw_array_end(&w);

	/* The fields seen in this window, partition by partition: one pass
	 * over the field table sorts them out. */
	uint32_t nfields = fieldtab_count(pl->fields);
	uint32_t *by_part = xcalloc(nfields + 1, sizeof *by_part);
	size_t *counts = xcalloc(mk->nparts + 1, sizeof *counts);
	uint32_t *src_to_part = NULL;
	size_t src_cap = 0;
	for (size_t i = 0; i < mk->nparts; i++) {
		uint32_t sid = mk->parts[i].kp->src->id;
		if (sid >= src_cap) {
			size_t old = src_cap;
			xgrow((void **)&src_to_part, &src_cap, (size_t)sid + 1, sizeof *src_to_part);
			memset(src_to_part + old, 0xff, (src_cap - old) * sizeof *src_to_part);
		}
		src_to_part[sid] = (uint32_t)i;
	}
	size_t nlisted = 0;
	uint32_t *listed = xcalloc(nfields + 1, sizeof *listed);
	for (uint32_t id = 0; id < nfields; id++) {
		const struct field *f = fieldtab_get(pl->fields, id);
		const struct tally_field *tf = tally_get(&pl->wtally, id);
		if (f->source >= src_cap || src_to_part[f->source] == UINT32_MAX)
			continue;
		if (!tf->records_total && !tf->by_rule)
			continue;
		listed[nlisted++] = id;
		counts[src_to_part[f->source]]++;
	}
	/* In the order a file's manifest lists them, not by id: the ids of
	 * JSON paths depend on which worker met them first. */
	manifest_sort_fields(pl->fields, listed, nlisted);
	for (size_t k = 0; k < nlisted; k++)
		by_part[k] = src_to_part[fieldtab_get(pl->fields, listed[k])->source];
	jsonw_key(&w, "fields");
	jsonw_array_begin(&w);
	for (size_t i = 0; i < mk->nparts; i++) {
		if (!counts[i])
			continue;
		for (size_t k = 0; k < nlisted; k++)
			if (by_part[k] == i)
				manifest_format_field(&rep, &w, fieldtab_get(pl->fields, listed[k]), mk->parts[i].kp->src);
	}
	jsonw_array_end(&w);
	free(by_part);
	free(counts);
	free(listed);
	free(src_to_part);

	jsonw_key(&w, "totals");
	jsonw_object_begin(&w);
	jsonw_key(&w, "partitions");
	jsonw_u64(&w, mk->nparts);
	jsonw_key(&w, "messages");
	jsonw_u64(&w, msgs);
	jsonw_key(&w, "bytes");
	jsonw_u64(&w, bytes);
	jsonw_key(&w, "findings");
	jsonw_u64(&w, findings);
	jsonw_key(&w, "seconds");
	jsonw_double(&w, (double)(mk->finished.tv_sec - mk->started.tv_sec) +
		     (double)(mk->finished.tv_nsec - mk->started.tv_nsec) / 1e9);
	jsonw_key(&w, "threads");
	jsonw_u64(&w, opt->threads);
	jsonw_object_end(&w);
	jsonw_object_end(&w);
	buf_putc(out, '\n');
}

static int write_manifest(struct kpipe *pl, const struct kmark *mk, char *errbuf, size_t errbuf_len)
{
	struct buf out;
	struct tm tm;
	char stamp[32], path[PATH_MAX];
	uint64_t window = pl->res->manifests + 1;
	gmtime_r(&mk->finished.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	snprintf(path, sizeof path, "%s/piiscan-%s.%03ldZ-%s-%ld-%06llu.json", pl->opt->manifest_dir, stamp,
		 mk->finished.tv_nsec / 1000000, pl->host, (long)getpid(), (unsigned long long)window);
	buf_init(&out);
	format_manifest(pl, mk, window, &out);
	int rc = outfile_write_all(path, out.data, out.len, errbuf, errbuf_len);
	buf_release(&out);
	if (!rc)
		pl->res->manifests++;
	return rc;
}

static void dirty_add(struct kpipe *pl, struct kpart *kp)
{
	if (kp->dirty)
		return;
	kp->dirty = true;
	xgrow((void **)&pl->dirty, &pl->dirty_cap, pl->ndirty + 1, sizeof *pl->dirty);
	pl->dirty[pl->ndirty++] = kp;
}

static void dirty_forget(struct kpipe *pl, struct kpart *kp)
{
	for (size_t i = 0; i < pl->ndirty; i++)
		if (pl->dirty[i] == kp) {
			pl->dirty[i] = pl->dirty[--pl->ndirty];
			break;
		}
	kp->dirty = false;
	kp->uncommitted = -1;
}

/* The commit protocol: the window's findings are on disk (fsync) and/or
 * acknowledged by the brokers, its manifest is written (fsync, rename,
 * directory fsync), and only then are its offsets committed. Offsets
 * whose commit failed are retried with the next window. */
static void close_window(struct kpipe *pl, struct kmark *mk)
{
	char eb[512];
	int rc;
	if (!atomic_load(&pl->failed) && pl->out_fd >= 0) {
		if ((rc = out_flush(pl)) || (pl->out_regular && fsync(pl->out_fd) && (rc = -errno))) {
			snprintf(eb, sizeof eb, "cannot write '%s': %s", pl->opt->findings_path, strerror(-rc));
			fail(pl, eb);
		}
	}
	if (!atomic_load(&pl->failed) && pl->sink && kafka_sink_flush(pl->sink, eb, sizeof eb))
		fail(pl, eb);
	if (!atomic_load(&pl->failed) && (mk->nparts || mk->final) && write_manifest(pl, mk, eb, sizeof eb))
		fail(pl, eb);

	for (size_t i = 0; i < mk->nparts; i++) {
		mk->parts[i].kp->uncommitted = mk->parts[i].next;
		dirty_add(pl, mk->parts[i].kp);
	}
	if (mk->lost)
		for (size_t i = 0; i < mk->ndrop; i++)
			dirty_forget(pl, mk->drop[i]);
	bool committed = false;
	if (!atomic_load(&pl->failed) && pl->ndirty) {
		struct kafka_tp *offs = xcalloc(pl->ndirty, sizeof *offs);
		for (size_t i = 0; i < pl->ndirty; i++)
			offs[i] = (struct kafka_tp){ pl->dirty[i]->topic, pl->dirty[i]->partition,
						     pl->dirty[i]->uncommitted };
		if (kafka_source_commit(pl->ks, offs, pl->ndirty, COMMIT_TIMEOUT_MS, eb, sizeof eb)) {
			pl->res->commits_failed++;
			fprintf(stderr, "piiscan: kafka: %s; retrying with the next window\n", eb);
		} else {
			committed = true;
			while (pl->ndirty)
				dirty_forget(pl, pl->dirty[0]);
		}
		free(offs);
	}
	for (size_t i = 0; i < mk->ndrop; i++)
		dirty_forget(pl, mk->drop[i]);

	if (pl->opt->verbose && (mk->nparts || mk->final)) {
		uint64_t msgs = 0, findings = 0;
		for (size_t i = 0; i < mk->nparts; i++) {
			msgs += mk->parts[i].msgs;
			findings += mk->parts[i].kp->win_findings;
		}
		fprintf(stderr, "piiscan: kafka: window closed (%s): %llu message(s) from %zu partition(s), "
			"%llu finding(s)%s\n", reason_names[mk->reason], (unsigned long long)msgs, mk->nparts,
			(unsigned long long)findings, committed ? ", committed" : "");
	}
	for (size_t i = 0; i < mk->nparts; i++)
		mk->parts[i].kp->win_findings = 0;
	tally_release(&pl->wtally);
	tally_init(&pl->wtally, pl->rs->n);
}

static void *writer_main(void *arg)
{
	struct kpipe *pl = arg;
	for (;;) {
		pthread_mutex_lock(&pl->lock);
		while (!(pl->head && (pl->head->mark || pl->head->done)) && !(pl->closing && !pl->head))
			pthread_cond_wait(&pl->cond, &pl->lock);
		struct kbatch *b = pl->head;
		if (b) {
			pl->head = b->next;
			if (!pl->head)
				pl->tail = NULL;
		}
		pthread_mutex_unlock(&pl->lock);
		if (!b)
			break;
		if (b->mark) {
			struct kmark *mk = b->mark;
			close_window(pl, mk);
			pthread_mutex_lock(&pl->lock);
			pl->marks_done = mk->seq;
			pthread_cond_broadcast(&pl->cond);
			pthread_mutex_unlock(&pl->lock);
			for (size_t i = 0; i < mk->nparts; i++)
				free(mk->parts[i].ranges);
			free(mk->parts);
			free(mk->drop);
			free(mk);
			free(b);
			continue;
		}
		if (b->scan_failed)
			fail(pl, "the regex engine failed on a batch of messages");
		write_findings(pl, b, &b->val.ck);
		for (size_t i = 0; i < b->nmeta; i++)
			write_findings(pl, b, &b->meta[i].ck);
		tally_merge(&pl->wtally, &b->tally);
		batch_recycle(pl, b);
	}
	return NULL;
}

/* ------------------------------------------------------------------- run */

static int mkdir_p(const char *dir, char *errbuf, size_t errbuf_len)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0700) && errno != EEXIST) {
				snprintf(errbuf, errbuf_len, "cannot create '%s': %s", tmp, strerror(errno));
				return PIISCAN_ERR_OPEN;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static void host_name(char *dst, size_t len)
{
	char h[256] = "";
	gethostname(h, sizeof h - 1);
	size_t o = 0;
	for (size_t i = 0; h[i] && o + 1 < len; i++) {
		char c = h[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			c == '_' || c == '.';
		dst[o++] = ok ? c : '_';
	}
	dst[o] = '\0';
	if (!o)
		snprintf(dst, len, "host");
}

int pipeline_kafka_run(const struct kafka_options *opt, const struct hsdb *db,
		       const struct fingerprint_key *key, struct kafka_result *res,
		       char *errbuf, size_t errbuf_len)
{
	struct kpipe pl;
	int rc;

	memset(&pl, 0, sizeof pl);
	memset(res, 0, sizeof *res);
	pl.opt = opt;
	pl.db = db;
	pl.rs = hsdb_ruleset(db);
	pl.key = key;
	pl.res = res;
	pl.out_fd = -1;
	atomic_init(&pl.inflight_bytes, 0);
	atomic_init(&pl.inflight_batches, 0);
	atomic_init(&pl.failed, false);
	host_name(pl.host, sizeof pl.host);
	buf_init(&pl.out_buf);

	if ((rc = mkdir_p(opt->manifest_dir, errbuf, errbuf_len)))
		return rc;
	if (opt->findings_path && (rc = findings_open(&pl, opt->findings_path, errbuf, errbuf_len)))
		return rc;
	if (opt->findings_topic &&
	    (rc = kafka_sink_new(&opt->client, opt->findings_topic, &pl.sink, errbuf, errbuf_len)))
		goto out_files;

	struct kafka_source_config kcfg = {
		.client = opt->client, .group = opt->group, .topics = opt->topics, .ntopics = opt->ntopics,
		.start = opt->start, .exit_eof = opt->exit_eof, .on_assign = on_assign, .on_revoke = on_revoke,
		.cb_arg = &pl,
	};
	if ((rc = kafka_source_new(&kcfg, &pl.ks, errbuf, errbuf_len)))
		goto out_sink;

	pl.fields = fieldtab_new(pl.rs);
	pl.acfg = (struct attribute_config){
		.db = db, .fields = pl.fields, .key = key, .min_confidence = opt->min_confidence,
		.format_findings = opt->findings_path || opt->findings_topic,
	};
	tally_init(&pl.wtally, pl.rs->n);
	queue_init(&pl.work_q, WORK_CAP);
	pthread_mutex_init(&pl.lock, NULL);
	pthread_cond_init(&pl.cond, NULL);

	unsigned nw = opt->threads ? opt->threads : 1;
	pthread_t *threads = xcalloc(nw, sizeof *threads);
	void *(*wargs)[2] = xcalloc(nw, sizeof *wargs);
	for (unsigned i = 0; i < nw; i++) {
		wargs[i][0] = &pl;
		wargs[i][1] = attributor_new(&pl.acfg);
		if (!wargs[i][1]) {
			fprintf(stderr, "piiscan: cannot allocate Hyperscan scratch space\n");
			abort();
		}
		pthread_create(&threads[i], NULL, worker_main, wargs[i]);
	}
	pthread_t writer;
	pthread_create(&writer, NULL, writer_main, &pl);

	pl.win_t0 = util_now();
	clock_gettime(CLOCK_REALTIME, &pl.win_started);
	double t0 = util_now();
	enum reason why = poll_loop(&pl);

	/* Drain: everything polled is scanned, written, made durable and
	 * committed, with a final manifest; then leave the group. */
	wait_mark(&pl, rotate(&pl, why, true, NULL, 0, false));
	kafka_source_close(pl.ks);

	pthread_mutex_lock(&pl.lock);
	pl.closing = true;
	pthread_cond_broadcast(&pl.cond);
	pthread_mutex_unlock(&pl.lock);
	queue_close(&pl.work_q);
	for (unsigned i = 0; i < nw; i++) {
		pthread_join(threads[i], NULL);
		attributor_free(wargs[i][1]);
	}
	pthread_join(writer, NULL);
	free(threads);
	free(wargs);

	res->failed = atomic_load(&pl.failed);
	res->uncommitted = pl.ndirty != 0;
	fprintf(stderr, "piiscan: kafka: %s: %llu message(s), %.1f MB, %llu finding(s), %llu manifest(s) "
		"in %.1f s; paused %llu time(s), fetcher woken %llu time(s); %s\n",
		why == REASON_END ? "end of every partition" : why == REASON_FAILURE ? "stopped" : "stopped by a signal",
		(unsigned long long)res->messages, (double)res->bytes / 1e6, (unsigned long long)res->findings,
		(unsigned long long)res->manifests, util_now() - t0, (unsigned long long)res->pauses,
		(unsigned long long)res->kicks,
		res->failed ? "output after the failure was not committed"
		: res->uncommitted ? "the last offsets could not be committed (they will be scanned again)"
		: "all scanned offsets committed");

	kafka_source_free(pl.ks);
	while (pl.free_list) {
		struct kbatch *b = pl.free_list;
		pl.free_list = b->next;
		batch_free(b);
	}
	for (size_t i = 0; i < pl.nparts; i++)
		part_free(pl.parts[i]);
	free(pl.parts);
	free(pl.tps);
	free(pl.dirty);
	tally_release(&pl.wtally);
	queue_release(&pl.work_q);
	pthread_mutex_destroy(&pl.lock);
	pthread_cond_destroy(&pl.cond);
	fieldtab_free(pl.fields);
	rc = 0;
out_sink:
	kafka_sink_free(pl.sink);
out_files:
	if (pl.out_fd > 2)
		close(pl.out_fd);
	buf_release(&pl.out_buf);
	return rc;
}
