/* The Kafka findings sink over librdkafka's idempotent producer. */
#include "sink_kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

struct kafka_sink {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	char *topic;
	unsigned long failed;            /* since the last flush */
	rd_kafka_resp_err_t first_err;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	(void)rk;
	struct kafka_sink *sk = opaque;
	if (rkm->err) {
		if (!sk->failed++)
			sk->first_err = rkm->err;
	}
}

int kafka_sink_new(const struct kafka_client_config *cc, const char *topic, struct kafka_sink **out,
		   char *errbuf, size_t errbuf_len)
{
	rd_kafka_conf_t *conf;
	char err[512];
	int rc = kafka_conf_new(cc, true, &conf, errbuf, errbuf_len);
	if (rc)
		return rc;
	/* No duplicates from retries, acks from every in-sync replica: a
	 * delivered finding survives the loss of the partition leader. */
	if (rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errbuf_len, "findings producer: %s", err);
		rd_kafka_conf_destroy(conf);
		return PIISCAN_ERR_USAGE;
	}
	struct kafka_sink *sk = xcalloc(1, sizeof *sk);
	rd_kafka_conf_set_opaque(conf, sk);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	sk->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!sk->rk) {
		snprintf(errbuf, errbuf_len, "cannot create the findings producer: %s", err);
		rd_kafka_conf_destroy(conf);
		free(sk);
		return PIISCAN_ERR_USAGE;
	}
	sk->rkt = rd_kafka_topic_new(sk->rk, topic, NULL);
	if (!sk->rkt) {
		snprintf(errbuf, errbuf_len, "findings topic '%s': %s", topic,
			 rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_destroy(sk->rk);
		free(sk);
		return PIISCAN_ERR_USAGE;
	}
	sk->topic = xstrdup(topic);
	*out = sk;
	return 0;
}

int kafka_sink_write(struct kafka_sink *sk, const char *lines, size_t len, const char *key, size_t key_len,
		     char *errbuf, size_t errbuf_len)
{
	const char *p = lines, *end = lines + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		for (;;) {
			if (!rd_kafka_produce(sk->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)p, n,
					      key, key_len, NULL))
				break;
			rd_kafka_resp_err_t e = rd_kafka_last_error();
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				snprintf(errbuf, errbuf_len, "cannot produce to '%s': %s", sk->topic,
					 rd_kafka_err2str(e));
				return PIISCAN_ERR_IO;
			}
			/* Full: serve delivery reports until there is room. */
			rd_kafka_poll(sk->rk, 100);
		}
		p += n + (nl != NULL);
	}
	rd_kafka_poll(sk->rk, 0);
	return 0;
}

int kafka_sink_flush(struct kafka_sink *sk, char *errbuf, size_t errbuf_len)
{
	/* Messages that cannot be delivered fail after message.timeout.ms,
	 * so this ends. */
	while (rd_kafka_outq_len(sk->rk) > 0)
		rd_kafka_flush(sk->rk, 1000);
	rd_kafka_poll(sk->rk, 0);
	if (sk->failed) {
		snprintf(errbuf, errbuf_len, "%lu finding(s) could not be written to '%s': %s", sk->failed,
			 sk->topic, rd_kafka_err2str(sk->first_err));
		sk->failed = 0;
		return PIISCAN_ERR_IO;
	}
	return 0;
}

void kafka_sink_free(struct kafka_sink *sk)
{
	if (!sk)
		return;
	rd_kafka_flush(sk->rk, 30000);
	rd_kafka_topic_destroy(sk->rkt);
	rd_kafka_destroy(sk->rk);
	free(sk->topic);
	free(sk);
}
