/* mock_cluster: a librdkafka mock cluster (rdkafka_mock.h) holding one topic,
 * for fast tests of `piiscan kafka` without a JVM broker.
 *
 *   mock_cluster TOPIC PARTITIONS < messages
 *
 * Each stdin line "PARTITION<TAB>VALUE" is produced to that partition (in
 * order, so the n-th line of a partition gets offset n-1), LZ4-compressed.
 * Then the cluster's bootstrap address is printed on stdout as
 * "bootstrap HOST:PORT" and the cluster serves clients (consumer groups,
 * commits, offset lookups) until SIGTERM or SIGINT. Exit 0 when every
 * message was delivered.
 *
 * SIGUSR1 leaves partition 1 without a leader (as while a broker restarts
 * and no replica has taken over), SIGUSR2 gives it its leader back. The
 * signals are blocked in every thread and taken with sigwait: with
 * handlers, one of librdkafka's threads could take a signal and leave the
 * main thread in pause() (a SIGTERM that did not stop it: the mock_leader
 * test's teardown timed out once in CI).
 * MOCK_RTT_MS in the environment delays every response by that much, so a
 * consumer reads slowly enough to be caught mid-partition. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long failed;

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err)
		failed++;
}

int main(int argc, char **argv)
{
	char err[512];
	if (argc != 3) {
		fprintf(stderr, "usage: %s TOPIC PARTITIONS < messages\n", argv[0]);
		return 64;
	}
	const char *topic = argv[1];
	int parts = atoi(argv[2]);

	/* Before any thread starts, so that all of them inherit the mask. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* The mock cluster lives in a client instance of its own. */
	rd_kafka_conf_t *hconf = rd_kafka_conf_new();
	rd_kafka_conf_set(hconf, "log_level", "3", err, sizeof err);
	rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, hconf, err, sizeof err);
	if (!host) {
		fprintf(stderr, "mock_cluster: %s\n", err);
		return 1;
	}
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(host, 1);
	if (!mc || rd_kafka_mock_topic_create(mc, topic, parts, 1)) {
		fprintf(stderr, "mock_cluster: cannot create the cluster or topic\n");
		return 1;
	}
	const char *boot = rd_kafka_mock_cluster_bootstraps(mc);

	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", boot, err, sizeof err) ||
	    rd_kafka_conf_set(conf, "compression.codec", "lz4", err, sizeof err) ||
	    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err)) {
		fprintf(stderr, "mock_cluster: %s\n", err);
		return 1;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "mock_cluster: %s\n", err);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long sent = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		rd_kafka_resp_err_t e;
		while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(atoi(line)),
					      RD_KAFKA_V_VALUE(tab + 1, (size_t)(n - (tab + 1 - line))),
					      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 50);
		if (e) {
			fprintf(stderr, "mock_cluster: produce: %s\n", rd_kafka_err2str(e));
			return 1;
		}
		sent++;
	}
	free(line);
	rd_kafka_flush(rk, 30000);
	rd_kafka_destroy(rk);
	if (failed) {
		fprintf(stderr, "mock_cluster: %ld of %ld messages not delivered\n", failed, sent);
		return 1;
	}

	const char *rtt = getenv("MOCK_RTT_MS");
	if (rtt && atoi(rtt) > 0)
		rd_kafka_mock_broker_set_rtt(mc, 1, atoi(rtt));
	printf("bootstrap %s\n", boot);
	fflush(stdout);
	for (;;) {
		int sig;
		if (sigwait(&sigs, &sig))
			continue;
		if (sig == SIGUSR1)
			rd_kafka_mock_partition_set_leader(mc, topic, 1, -1);
		else if (sig == SIGUSR2)
			rd_kafka_mock_partition_set_leader(mc, topic, 1, 1);
		else
			break;
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(host);
	return 0;
}
