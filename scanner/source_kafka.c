/* The Kafka source over librdkafka's high-level consumer: configuration
 * (kcat's -b/-F/-X), subscription, rebalances, polling, pause/resume and
 * explicit offset commits. */
#include "source_kafka.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

/* Messages are taken from librdkafka in batches: one call per message
 * cost more (clock reads, locks) than the poll loop's own work. A batch is
 * handed out whole before librdkafka is called again, so a rebalance
 * callback (which runs inside that call) never overtakes a message polled
 * before it; messages of partitions a rebalance took away are dropped from
 * the batch by librdkafka itself. */
#define POLL_BATCH 256

struct kafka_source {
	struct kafka_source_config cfg;
	rd_kafka_t *rk;
	rd_kafka_queue_t *queue;   /* the consumer queue: messages and events */
	rd_kafka_message_t *batch[POLL_BATCH];
	size_t nbatch, ibatch;     /* batch[ibatch..nbatch) not handed out yet */
	int reset;                 /* auto.offset.reset: -1 earliest, 1 latest, 0 error */
	bool closed;
	atomic_bool fatal;
};

int kafka_start_parse(const char *s)
{
	if (!strcmp(s, "stored"))
		return KAFKA_START_STORED;
	if (!strcmp(s, "beginning"))
		return KAFKA_START_BEGINNING;
	if (!strcmp(s, "end"))
		return KAFKA_START_END;
	return -1;
}

/* Properties a producer does not know (librdkafka would warn about each);
 * the findings producer shares the consumer's -F/-X settings. */
static bool consumer_only(const char *key)
{
	static const char *const prefixes[] = {
		"group.", "enable.auto.", "auto.commit.", "auto.offset.reset", "enable.partition.eof",
		"session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms", "fetch.",
		"queued.", "isolation.level", "check.crcs", "partition.assignment.strategy",
		"consume.callback.max.messages", "coordinator.query.interval.ms", "offset.store.",
		"rebalance_cb", "offset_commit_cb",
	};
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(key, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static int conf_set(rd_kafka_conf_t *conf, bool producer, const char *key, const char *val,
		    const char *where, char *errbuf, size_t errbuf_len)
{
	char err[512];
	if (producer && consumer_only(key))
		return 0;
	if (rd_kafka_conf_set(conf, key, val, err, sizeof err) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errbuf_len, "%s%s%s", where ? where : "", where ? ": " : "", err);
		return PIISCAN_ERR_USAGE;
	}
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

static int conf_file(rd_kafka_conf_t *conf, bool producer, const char *path, char *errbuf,
		     size_t errbuf_len)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(errbuf, errbuf_len, "cannot open '%s': %s", path, strerror(errno));
		return PIISCAN_ERR_OPEN;
	}
	char *line = NULL, where[512];
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;
	while (!rc && getline(&line, &cap, fp) >= 0) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		snprintf(where, sizeof where, "'%s' line %u", path, lineno);
		if (!eq) {
			snprintf(errbuf, errbuf_len, "%s: expected key=value", where);
			rc = PIISCAN_ERR_USAGE;
			break;
		}
		*eq = '\0';
		rc = conf_set(conf, producer, trim(s), trim(eq + 1), where, errbuf, errbuf_len);
	}
	free(line);
	fclose(fp);
	return rc;
}

int kafka_conf_new(const struct kafka_client_config *cc, bool producer, struct rd_kafka_conf_s **out,
		   char *errbuf, size_t errbuf_len)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int rc = conf_set(conf, producer, "client.id", "piiscan", NULL, errbuf, errbuf_len);
	/* A scanner must not skip what was written before its group first
	 * joined: without a committed offset, start from the beginning
	 * (-F or -X auto.offset.reset=latest says otherwise). */
	if (!rc && !producer)
		rc = conf_set(conf, producer, "auto.offset.reset", "earliest", NULL, errbuf, errbuf_len);
	/* At-least-once: offsets are committed explicitly once the scan's
	 * output is durable, never stored or committed behind its back
	 * (kafka_source_new insists). */
	if (!rc && !producer)
		rc = conf_set(conf, producer, "enable.auto.commit", "false", NULL, errbuf, errbuf_len);
	if (!rc && !producer)
		rc = conf_set(conf, producer, "enable.auto.offset.store", "false", NULL, errbuf, errbuf_len);
	/* librdkafka keeps one fetch in flight per broker, and the broker
	 * holds it up to fetch.wait.max.ms while the partitions in it have
	 * nothing new. A partition at its end thus held back the others'
	 * resumed fetch by up to the default 500 ms, most of a second of idle
	 * scanners per pause (bench/kafka); 100 ms bounds that, at the cost of
	 * ten empty fetches a second per broker when there is nothing to read. */
	if (!rc && !producer)
		rc = conf_set(conf, producer, "fetch.wait.max.ms", "100", NULL, errbuf, errbuf_len);
	if (!rc && cc->brokers)
		rc = conf_set(conf, producer, "bootstrap.servers", cc->brokers, "-b", errbuf, errbuf_len);
	if (!rc && cc->config_file)
		rc = conf_file(conf, producer, cc->config_file, errbuf, errbuf_len);
	for (size_t i = 0; !rc && i < cc->nprops; i++) {
		char *kv = xstrdup(cc->props[i]);
		char *eq = strchr(kv, '=');
		if (!eq) {
			snprintf(errbuf, errbuf_len, "-X '%s': expected key=value", cc->props[i]);
			rc = PIISCAN_ERR_USAGE;
		} else {
			*eq = '\0';
			rc = conf_set(conf, producer, kv, eq + 1, "-X", errbuf, errbuf_len);
		}
		free(kv);
	}
	if (rc) {
		rd_kafka_conf_destroy(conf);
		return rc;
	}
	*out = conf;
	return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	fprintf(stderr, "piiscan: kafka: %s: %s\n", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_source *ks = opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[512];
		rd_kafka_fatal_error(rk, buf, sizeof buf);
		fprintf(stderr, "piiscan: kafka: fatal error: %s\n", buf);
		atomic_store(&ks->fatal, true);
		return;
	}
	/* Transport errors and all-brokers-down while a broker restarts are
	 * transient: librdkafka reconnects and retries on its own, and has
	 * logged the transport error already. */
	if (err != RD_KAFKA_RESP_ERR__TRANSPORT)
		fprintf(stderr, "piiscan: kafka: %s: %s\n", rd_kafka_err2name(err), reason);
}

static struct kafka_tp *tps_of(const rd_kafka_topic_partition_list_t *parts)
{
	struct kafka_tp *tps = xcalloc((size_t)parts->cnt + 1, sizeof *tps);
	for (int i = 0; i < parts->cnt; i++)
		tps[i] = (struct kafka_tp){ parts->elems[i].topic, parts->elems[i].partition,
					    parts->elems[i].offset };
	return tps;
}

/* Give every newly assigned partition an absolute start offset: the
 * group's committed offset, else (or with -o beginning/end) the low or high
 * watermark as auto.offset.reset says. librdkafka would otherwise look the
 * logical offset up itself, and librdkafka 2.0 can leave a stale lookup
 * timer behind when the partition is paused meanwhile, which later rewinds
 * a running partition to the reset offset (a re-scan of all of it). When a
 * lookup fails the partition keeps its logical offset. */
static void resolve_offsets(struct kafka_source *ks, rd_kafka_topic_partition_list_t *parts)
{
	if (ks->cfg.start == KAFKA_START_STORED) {
		rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);
		if (!rd_kafka_committed(ks->rk, c, 10000))
			for (int i = 0; i < c->cnt; i++)
				if (!c->elems[i].err && c->elems[i].offset >= 0)
					parts->elems[i].offset = c->elems[i].offset;
		rd_kafka_topic_partition_list_destroy(c);
	}
	int to = ks->cfg.start == KAFKA_START_BEGINNING ? -1 : ks->cfg.start == KAFKA_START_END ? 1 : ks->reset;
	for (int i = 0; to && i < parts->cnt; i++) {
		rd_kafka_topic_partition_t *tp = &parts->elems[i];
		int64_t lo, hi;
		if (ks->cfg.start == KAFKA_START_STORED && tp->offset >= 0)
			continue;
		if (!rd_kafka_query_watermark_offsets(ks->rk, tp->topic, tp->partition, &lo, &hi, 10000))
			tp->offset = to < 0 ? lo : hi;
		else if (ks->cfg.start != KAFKA_START_STORED)
			tp->offset = to < 0 ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
	}
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
			 void *opaque)
{
	struct kafka_source *ks = opaque;
	bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
	struct kafka_tp *tps = tps_of(parts);
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		resolve_offsets(ks, parts);
		free(tps);
		tps = tps_of(parts);
		if (ks->cfg.on_assign)
			ks->cfg.on_assign(ks->cfg.cb_arg, tps, (size_t)parts->cnt);
		if (coop)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, parts);
	} else {
		if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
			fprintf(stderr, "piiscan: kafka: rebalance failed: %s\n", rd_kafka_err2str(err));
		if (ks->cfg.on_revoke)
			ks->cfg.on_revoke(ks->cfg.cb_arg, tps, (size_t)parts->cnt,
					  err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk));
		if (coop)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, NULL);
	}
	if (error) {
		fprintf(stderr, "piiscan: kafka: %s failed: %s\n",
			err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assign" : "unassign",
			rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (aerr) {
		fprintf(stderr, "piiscan: kafka: %s failed: %s\n",
			err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assign" : "unassign",
			rd_kafka_err2str(aerr));
	}
	free(tps);
}

int kafka_source_new(const struct kafka_source_config *cfg, struct kafka_source **out, char *errbuf,
		     size_t errbuf_len)
{
	rd_kafka_conf_t *conf;
	char err[512];
	int rc;

	if ((rc = kafka_conf_new(&cfg->client, false, &conf, errbuf, errbuf_len)))
		return rc;
	static const char *const forced[][2] = {
		{ "enable.auto.commit", "false" },
		{ "enable.auto.offset.store", "false" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(forced); i++) {
		size_t sz = sizeof err;
		if (rd_kafka_conf_get(conf, forced[i][0], err, &sz) == RD_KAFKA_CONF_OK && strcmp(err, "false"))
			fprintf(stderr, "piiscan: kafka: ignoring %s=%s: offsets are committed "
				"once the scan's output is durable\n", forced[i][0], err);
		rd_kafka_conf_set(conf, forced[i][0], forced[i][1], err, sizeof err);
	}
	if (cfg->group && rd_kafka_conf_set(conf, "group.id", cfg->group, err, sizeof err) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errbuf_len, "-G: %s", err);
		rd_kafka_conf_destroy(conf);
		return PIISCAN_ERR_USAGE;
	}
	rd_kafka_conf_set(conf, "enable.partition.eof", cfg->exit_eof ? "true" : "false", err, sizeof err);

	struct kafka_source *ks = xcalloc(1, sizeof *ks);
	ks->cfg = *cfg;
	size_t rsz = sizeof err;
	ks->reset = -1;
	if (rd_kafka_conf_get(conf, "auto.offset.reset", err, &rsz) == RD_KAFKA_CONF_OK)
		ks->reset = !strcmp(err, "error") ? 0
			: (!strcmp(err, "largest") || !strcmp(err, "latest") || !strcmp(err, "end")) ? 1 : -1;
	atomic_init(&ks->fatal, false);
	rd_kafka_conf_set_opaque(conf, ks);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);

	ks->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (!ks->rk) {
		snprintf(errbuf, errbuf_len, "cannot create the Kafka consumer: %s", err);
		rd_kafka_conf_destroy(conf);
		free(ks);
		return PIISCAN_ERR_USAGE;
	}
	/* One queue for messages, rebalances and errors, served by
	 * rd_kafka_consumer_poll on the polling thread. */
	rd_kafka_poll_set_consumer(ks->rk);
	ks->queue = rd_kafka_queue_get_consumer(ks->rk);

	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new((int)cfg->ntopics);
	for (size_t i = 0; i < cfg->ntopics; i++)
		rd_kafka_topic_partition_list_add(topics, cfg->topics[i], RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t e = rd_kafka_subscribe(ks->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (e) {
		snprintf(errbuf, errbuf_len, "cannot subscribe: %s", rd_kafka_err2str(e));
		rd_kafka_destroy(ks->rk);
		free(ks);
		return PIISCAN_ERR_USAGE;
	}
	*out = ks;
	return 0;
}

void kafka_source_close(struct kafka_source *ks)
{
	if (ks->closed)
		return;
	ks->closed = true;
	/* Polled from librdkafka but never handed out: not scanned, so not
	 * committed; whoever reads the partition next reads them. */
	while (ks->ibatch < ks->nbatch)
		rd_kafka_message_destroy(ks->batch[ks->ibatch++]);
	if (ks->queue)
		rd_kafka_queue_destroy(ks->queue);
	ks->queue = NULL;
	rd_kafka_resp_err_t e = rd_kafka_consumer_close(ks->rk);
	if (e)
		fprintf(stderr, "piiscan: kafka: leaving the group failed: %s\n", rd_kafka_err2str(e));
}

void kafka_source_free(struct kafka_source *ks)
{
	if (!ks)
		return;
	kafka_source_close(ks);
	rd_kafka_destroy(ks->rk);
	free(ks);
}

enum kafka_event kafka_source_poll(struct kafka_source *ks, int timeout_ms, struct kafka_msg *m)
{
	if (atomic_load(&ks->fatal))
		return KAFKA_EVENT_FATAL;
	if (ks->closed)
		return KAFKA_EVENT_NONE;
	if (ks->ibatch == ks->nbatch) {
		ssize_t n = rd_kafka_consume_batch_queue(ks->queue, timeout_ms, ks->batch, POLL_BATCH);
		ks->ibatch = 0;
		ks->nbatch = n > 0 ? (size_t)n : 0;
		if (!ks->nbatch)
			return atomic_load(&ks->fatal) ? KAFKA_EVENT_FATAL : KAFKA_EVENT_NONE;
	}
	rd_kafka_message_t *rkm = ks->batch[ks->ibatch++];
	if (rkm->err) {
		enum kafka_event ev = KAFKA_EVENT_ERROR;
		if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && rkm->rkt) {
			*m = (struct kafka_msg){ .topic = rd_kafka_topic_name(rkm->rkt), .partition = rkm->partition,
						 .offset = rkm->offset, .rkm_ = rkm };
			return KAFKA_EVENT_EOF;
		} else if (rkm->err == RD_KAFKA_RESP_ERR__FATAL) {
			char buf[512];
			rd_kafka_fatal_error(ks->rk, buf, sizeof buf);
			fprintf(stderr, "piiscan: kafka: fatal error: %s\n", buf);
			atomic_store(&ks->fatal, true);
			ev = KAFKA_EVENT_FATAL;
		} else if (rkm->rkt) {
			fprintf(stderr, "piiscan: kafka: '%s' [%d]: %s\n", rd_kafka_topic_name(rkm->rkt),
				(int)rkm->partition, rd_kafka_message_errstr(rkm));
		} else {
			fprintf(stderr, "piiscan: kafka: %s\n", rd_kafka_message_errstr(rkm));
		}
		rd_kafka_message_destroy(rkm);
		return ev;
	}
	*m = (struct kafka_msg){
		.topic = rd_kafka_topic_name(rkm->rkt),
		.partition = rkm->partition,
		.offset = rkm->offset,
		.value = rkm->payload,
		.len = rkm->payload ? rkm->len : 0,
		.key = rkm->key,
		.key_len = rkm->key ? rkm->key_len : 0,
		.rkm_ = rkm,
	};
	return KAFKA_EVENT_MESSAGE;
}

void kafka_msg_release(struct kafka_msg *m)
{
	if (m->rkm_)
		rd_kafka_message_destroy(m->rkm_);
	m->rkm_ = m->hdrs_ = NULL;
}

int kafka_msg_header(struct kafka_msg *m, size_t idx, const char **name, const char **value, size_t *len)
{
	if (!m->hdrs_) {
		rd_kafka_headers_t *hdrs;
		if (rd_kafka_message_headers(m->rkm_, &hdrs))
			return -1;
		m->hdrs_ = hdrs;
	}
	const void *v;
	if (rd_kafka_header_get_all(m->hdrs_, idx, name, &v, len))
		return -1;
	*value = v;
	if (!v)
		*len = 0;
	return 0;
}

void kafka_source_pause(struct kafka_source *ks, const struct kafka_tp *tps, size_t n, bool pause)
{
	if (!n)
		return;
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new((int)n);
	for (size_t i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(parts, tps[i].topic, tps[i].partition);
	(pause ? rd_kafka_pause_partitions : rd_kafka_resume_partitions)(ks->rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
}

int kafka_source_at_end(struct kafka_source *ks, const char *topic, int32_t partition, int64_t next,
			int timeout_ms)
{
	int64_t lo, hi;
	if (rd_kafka_get_watermark_offsets(ks->rk, topic, partition, &lo, &hi) || hi < 0)
		return -1;
	if (next >= 0)
		return next >= hi;
	/* Nothing polled from it: where would reading start? */
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, partition);
	int rc = -1;
	if (!rd_kafka_position(ks->rk, l) && l->elems[0].offset >= 0) {
		rc = l->elems[0].offset >= hi;
	} else if (!rd_kafka_committed(ks->rk, l, timeout_ms) && l->elems[0].offset >= 0) {
		rc = l->elems[0].offset >= hi;
	} else if (!rd_kafka_query_watermark_offsets(ks->rk, topic, partition, &lo, &hi, timeout_ms)) {
		rc = lo == hi;   /* empty: nothing to read wherever it starts */
	}
	rd_kafka_topic_partition_list_destroy(l);
	return rc;
}

bool kafka_source_behind(struct kafka_source *ks, const char *topic, int32_t partition, int64_t next)
{
	int64_t lo, hi;
	return next >= 0 && !rd_kafka_get_watermark_offsets(ks->rk, topic, partition, &lo, &hi) && next < hi;
}

void kafka_source_kick(struct kafka_source *ks, const char *topic, int32_t partition, int timeout_ms)
{
	int64_t lo, hi;
	rd_kafka_query_watermark_offsets(ks->rk, topic, partition, &lo, &hi, timeout_ms);
}

int kafka_source_commit(struct kafka_source *ks, const struct kafka_tp *offs, size_t n, int timeout_ms,
			char *errbuf, size_t errbuf_len)
{
	if (!n)
		return 0;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
	for (size_t i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, offs[i].topic, offs[i].partition)->offset = offs[i].offset;
	rd_kafka_queue_t *q = rd_kafka_queue_new(ks->rk);
	rd_kafka_resp_err_t e = rd_kafka_commit_queue(ks->rk, l, q, NULL, NULL);
	if (!e) {
		rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);
		if (!ev) {
			e = RD_KAFKA_RESP_ERR__TIMED_OUT;
		} else {
			e = rd_kafka_event_error(ev);
			const rd_kafka_topic_partition_list_t *res = rd_kafka_event_topic_partition_list(ev);
			for (int i = 0; !e && res && i < res->cnt; i++)
				e = res->elems[i].err;
			rd_kafka_event_destroy(ev);
		}
	}
	rd_kafka_queue_destroy(q);
	rd_kafka_topic_partition_list_destroy(l);
	if (e) {
		snprintf(errbuf, errbuf_len, "offset commit failed: %s", rd_kafka_err2str(e));
		return PIISCAN_ERR_IO;
	}
	return 0;
}

const char *kafka_source_member_id(struct kafka_source *ks, char *dst, size_t dst_len)
{
	char *id = rd_kafka_memberid(ks->rk);
	snprintf(dst, dst_len, "%s", id ? id : "");
	if (id)
		rd_kafka_mem_free(ks->rk, id);
	return dst;
}
