/* Tiny librdkafka producer for tests/kafka/test_broker.sh.
 *
 *   stream_producer BROKERS TOPIC [KEY=VALUE librdkafka config ...] < lines
 *
 * Each stdin line "key:value" (or just "value") becomes one message.
 * Unlike `kcat -P`, which exits on "All broker connections are down", this
 * keeps going while the broker restarts, as a real producer would: it only
 * fails if a message is finally not delivered (message.timeout.ms) or on a
 * fatal (e.g. idempotence) error. Exit 0 iff every message was delivered;
 * prints "delivered N failed M" on stderr.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) {
        failed++;
        fprintf(stderr, "stream_producer: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        delivered++;
    }
}

static void err_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)opaque;
    char buf[256];
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        fprintf(stderr, "stream_producer: FATAL: %s\n", buf);
        exit(2);
    }
    /* Transport / all-brokers-down during a restart: librdkafka retries. */
    fprintf(stderr, "stream_producer: (transient) %s: %s\n", rd_kafka_err2name(err), reason);
}

int main(int argc, char **argv) {
    char errstr[512];
    if (argc < 3) {
        fprintf(stderr, "usage: %s BROKERS TOPIC [KEY=VALUE ...] < lines\n", argv[0]);
        return 64;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *defaults[][2] = {
        {"bootstrap.servers", argv[1]},
        {"enable.idempotence", "true"},
        {"message.timeout.ms", "60000"},
        {"linger.ms", "5"},
        {"log_level", "3"},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], errstr, sizeof errstr)) {
            fprintf(stderr, "stream_producer: %s\n", errstr);
            return 64;
        }
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) { fprintf(stderr, "stream_producer: bad config '%s'\n", argv[i]); return 64; }
        *eq = '\0';
        if (rd_kafka_conf_set(conf, argv[i], eq + 1, errstr, sizeof errstr)) {
            fprintf(stderr, "stream_producer: %s\n", errstr);
            return 64;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_error_cb(conf, err_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) { fprintf(stderr, "stream_producer: %s\n", errstr); return 1; }

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long sent = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        char *colon = memchr(line, ':', (size_t)n);
        const char *key = colon ? line : NULL;
        size_t klen = colon ? (size_t)(colon - line) : 0;
        const char *val = colon ? colon + 1 : line;
        size_t vlen = colon ? (size_t)(n - (colon + 1 - line)) : (size_t)n;
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]),
                                        RD_KAFKA_V_KEY(key, klen),
                                        RD_KAFKA_V_VALUE((void *)val, vlen),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 100);
        if (err) {
            fprintf(stderr, "stream_producer: produce: %s\n", rd_kafka_err2str(err));
            failed++;
        } else {
            sent++;
        }
        rd_kafka_poll(rk, 0);
    }
    free(line);
    rd_kafka_resp_err_t ferr = rd_kafka_flush(rk, 90 * 1000);
    if (ferr) fprintf(stderr, "stream_producer: flush: %s\n", rd_kafka_err2str(ferr));
    long outstanding = rd_kafka_outq_len(rk);
    rd_kafka_destroy(rk);
    fprintf(stderr, "stream_producer: sent %ld delivered %ld failed %ld\n", sent, delivered, failed);
    return (failed == 0 && ferr == 0 && outstanding == 0 && delivered == sent) ? 0 : 1;
}
