/* piiscan's command line: argument parsing and exit codes, nothing else. */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fingerprint.h"
#include "hsdb.h"
#include "pipeline.h"
#include "pipeline_kafka.h"
#include "policy.h"
#include "rulecheck.h"
#include "rules.h"
#include "scan.h"
#include "util.h"

#ifndef PIISCAN_VERSION
#define PIISCAN_VERSION "0.1.0"
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1,      /* --fail-on-findings and something was found */
	EXIT_FATAL = 2,         /* usage or fatal error */
	EXIT_PARTIAL = 3,       /* completed, but some input failed */
	EXIT_INTERRUPTED = 130, /* stopped by SIGINT/SIGTERM; manifest written */
};

static const char usage_text[] =
	"Usage: piiscan scan [OPTIONS] PATH...\n"
	"       piiscan rules check|list [--rules DIR]\n"
	"       piiscan kafka -b BROKERS -G GROUP -t TOPIC[,TOPIC...] [OPTIONS]\n"
	"       piiscan --help | --version\n"
	"\n"
	"Find and classify personal data in exports: CSV/TSV, JSON Lines, text logs,\n"
	"SQL dumps; plain, LZ4, gzip or zstd. PATH may be a file, a directory (scanned recursively)\n"
	"or - for standard input.\n"
	"\n"
	"Scan options:\n"
	"  -f, --format FMT          auto|csv|tsv|jsonl|text|sql (default auto: by extension,\n"
	"                            after a .lz4/.gz/.zst suffix, else by the first bytes)\n"
	"      --no-header           CSV/TSV has no header row; fields are col1, col2, ...\n"
	"      --encoding ENC        utf-8 (default), gbk or gb18030; SQL dumps that say\n"
	"                            SET NAMES gbk are read as GBK unless this is given\n"
	"  -o, --output FILE         write the manifest (JSON) to FILE\n"
	"      --json                print the manifest to stdout instead of the summary\n"
	"      --findings FILE       write one JSON line per finding to FILE (- for stdout)\n"
	"      --min-confidence LVL  possible|likely|very_likely (default likely)\n"
	"  -j, --threads N           scanning threads (default: one per CPU it may\n"
	"                            use, one fewer from 12 CPUs on)\n"
	"      --rules DIR           rule directory (default: the shipped rules)\n"
	"      --fingerprint-key FILE  key for value fingerprints (else the\n"
	"                            PIISCAN_FINGERPRINT_KEY variable, else random per run)\n"
	"      --fail-on-findings    exit 1 when the scan finds anything\n"
	"      --policy FILE         archive/destroy policy (default: policy.yaml in the\n"
	"                            rule directory)\n"
	"      --as-of DATE          count retention periods from DATE (YYYY-MM-DD;\n"
	"                            default: today, UTC)\n"
	"      --progress, --no-progress  force progress on stderr on or off\n"
	"                            (default: on when stderr is a terminal)\n"
	"      --engine fast|reference  how candidates are found: the rules' DFA from\n"
	"                            token starts (default), or Hyperscan over every\n"
	"                            byte; both find the same values (for tests and\n"
	"                            benchmarks)\n"
	"  -h, --help                show this help\n"
	"  -V, --version             show the version\n"
	"\n"
	"Kafka options (piiscan kafka: a consumer-group member that scans message\n"
	"values as they arrive; kcat's -b/-G/-t/-X/-F/-e/-o conventions):\n"
	"  -b BROKERS                bootstrap servers (host:port,...)\n"
	"  -G GROUP                  consumer group (members share the partitions)\n"
	"  -t TOPIC[,TOPIC...]       topics to scan (repeatable; trailing arguments too)\n"
	"  -X KEY=VALUE              librdkafka property, also for --findings-topic\n"
	"  -F FILE                   librdkafka properties, KEY=VALUE a line (# comments)\n"
	"  -e                        exit once every assigned partition reached its end\n"
	"  -o beginning|end|stored   where assigned partitions start (default stored:\n"
	"                            the group's committed offset, else the beginning)\n"
	"  -f, --format FMT          auto|jsonl|text (default auto: per partition, from\n"
	"                            its first message)\n"
	"      --scan-key            scan message keys too (field \"(key)\")\n"
	"      --scan-headers        scan header values too (field \"(header:NAME)\")\n"
	"      --findings FILE       append findings as JSON Lines to FILE (- for stdout)\n"
	"      --findings-topic TOPIC  produce findings to TOPIC, one message each\n"
	"      --manifest-dir DIR    window manifests go here (default ./piiscan-manifests)\n"
	"      --manifest-interval S a window (manifest and commit) every S seconds\n"
	"                            (default 60)\n"
	"      --manifest-every N    ... or every N messages, whichever comes first\n"
	"      --max-buffer MB       message bytes waiting to be scanned before fetching\n"
	"                            pauses (default 64)\n"
	"  -v, --verbose             a line per window and per pause on stderr\n"
	"      --min-confidence, -j, --rules, --fingerprint-key  as for scan\n"
	"  Offsets are committed only once the findings and the window's manifest are\n"
	"  durable; SIGINT/SIGTERM drain, write, commit and leave the group (exit 0).\n"
	"\n"
	"Exit status: 0 scan completed; 1 findings with --fail-on-findings;\n"
	"2 usage or fatal error; 3 completed but some input failed (see the manifest);\n"
	"130 interrupted (the manifest says so).\n"
	"kafka: 0 drained and committed (at -e's end or on a signal); 2 usage error, or\n"
	"output that could not be made durable (nothing after it was committed); 3 the\n"
	"last commit failed (the output is durable; those messages will be scanned again).\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "piiscan: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'piiscan --help' for more information.\n");
	return EXIT_FATAL;
}

static int load_rules(const char *dir, struct ruleset **rs, struct hsdb **db)
{
	char path[PATH_MAX], errbuf[512];
	if (!dir) {
		if (ruleset_default_dir(path, sizeof path)) {
			fprintf(stderr, "piiscan: cannot find the shipped rules next to the binary; use --rules DIR\n");
			return -1;
		}
		dir = path;
	}
	if (ruleset_load(dir, rs, errbuf, sizeof errbuf)) {
		fprintf(stderr, "piiscan: %s\n", errbuf);
		return -1;
	}
	if (hsdb_load(*rs, NULL, db, errbuf, sizeof errbuf)) {
		fprintf(stderr, "piiscan: %s\n", errbuf);
		ruleset_free(*rs);
		return -1;
	}
	return 0;
}

enum {
	OPT_NO_HEADER = 256,
	OPT_JSON,
	OPT_FINDINGS,
	OPT_MIN_CONFIDENCE,
	OPT_RULES,
	OPT_KEY,
	OPT_FAIL_ON_FINDINGS,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_POLICY,
	OPT_AS_OF,
	OPT_ENCODING,
	OPT_ENGINE,
};

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "findings", required_argument, NULL, OPT_FINDINGS },
	{ "min-confidence", required_argument, NULL, OPT_MIN_CONFIDENCE },
	{ "threads", required_argument, NULL, 'j' },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "fingerprint-key", required_argument, NULL, OPT_KEY },
	{ "fail-on-findings", no_argument, NULL, OPT_FAIL_ON_FINDINGS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "as-of", required_argument, NULL, OPT_AS_OF },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_scan(int argc, char **argv)
{
	struct scan_options opt = {
		.format = FORMAT_AUTO, .min_confidence = CONFIDENCE_LIKELY, .version = PIISCAN_VERSION,
	};
	const char *rules_dir = NULL, *key_file = NULL, *policy_file = NULL;
	bool fail_on_findings = false;
	int progress = -1, c;
	opt.threads = pipeline_default_threads(util_cpus());

	while ((c = getopt_long(argc, argv, "f:o:j:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'f': {
			int f = frame_format_parse(optarg);
			if (f < 0)
				return usage_error("unknown format '%s'", optarg);
			opt.format = (enum frame_format)f;
			break;
		}
		case OPT_NO_HEADER: opt.no_header = true; break;
		case 'o': opt.manifest_path = optarg; break;
		case OPT_JSON: opt.manifest_stdout = true; break;
		case OPT_FINDINGS: opt.findings_path = optarg; break;
		case OPT_MIN_CONFIDENCE:
			opt.min_confidence = confidence_parse(optarg);
			if (opt.min_confidence == CONFIDENCE_NONE)
				return usage_error("unknown confidence '%s'", optarg);
			break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024)
				return usage_error("--threads needs a number from 1 to 1024, not '%s'", optarg);
			opt.threads = (unsigned)n;
			break;
		}
		case OPT_RULES: rules_dir = optarg; break;
		case OPT_KEY: key_file = optarg; break;
		case OPT_FAIL_ON_FINDINGS: fail_on_findings = true; break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_POLICY: policy_file = optarg; break;
		case OPT_ENGINE:
			if ((opt.engine = scan_engine_parse(optarg)) < 0)
				return usage_error("unknown engine '%s' (fast, reference)", optarg);
			break;
		case OPT_ENCODING: {
			int e = encoding_parse(optarg);
			if (e < 0)
				return usage_error("unknown encoding '%s' (utf-8, gbk, gb18030)", optarg);
			opt.encoding = (enum encoding)e;
			opt.encoding_forced = true;
			break;
		}
		case OPT_AS_OF: {
			int y, m, d;
			char tail;
			if (sscanf(optarg, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1900 || m < 1 || m > 12 ||
			    d < 1 || d > 31)
				return usage_error("--as-of needs a date YYYY-MM-DD, not '%s'", optarg);
			opt.as_of[0] = y;
			opt.as_of[1] = m;
			opt.as_of[2] = d;
			break;
		}
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case 'V': printf("piiscan %s\n", PIISCAN_VERSION); return EXIT_OK;
		default: return usage_error("%s", "invalid option");
		}
	}
	if (optind >= argc)
		return usage_error("%s", "scan needs at least one PATH (- for standard input)");
	if (opt.findings_path && opt.manifest_stdout && !strcmp(opt.findings_path, "-"))
		return usage_error("%s", "--json and --findings - cannot both use stdout");
	opt.paths = argv + optind;
	opt.npaths = (size_t)(argc - optind);
	opt.progress = progress >= 0 ? progress : isatty(2);

	struct fingerprint_key key;
	char errbuf[512];
	if (fingerprint_key_load(&key, key_file, errbuf, sizeof errbuf)) {
		fprintf(stderr, "piiscan: %s\n", errbuf);
		return EXIT_FATAL;
	}
	struct ruleset *rs;
	struct hsdb *db;
	if (load_rules(rules_dir, &rs, &db))
		return EXIT_FATAL;

	struct policy *policy = NULL;
	char policy_path[PATH_MAX];
	if (!policy_file) {
		/* The policy shipped beside the rules, when there is one. */
		snprintf(policy_path, sizeof policy_path, "%s/policy.yaml", rs->dir);
		if (access(policy_path, R_OK) == 0)
			policy_file = policy_path;
	}
	if (policy_file && policy_load(policy_file, rs, &policy, errbuf, sizeof errbuf)) {
		fprintf(stderr, "piiscan: %s\n", errbuf);
		hsdb_free(db);
		ruleset_free(rs);
		return EXIT_FATAL;
	}
	opt.policy = policy;
	if (!opt.as_of[0]) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		opt.as_of[0] = tm.tm_year + 1900;
		opt.as_of[1] = tm.tm_mon + 1;
		opt.as_of[2] = tm.tm_mday;
	}

	pipeline_install_signals();
	struct scan_result res;
	int rc = pipeline_run(&opt, db, &key, &res, errbuf, sizeof errbuf);
	policy_free(policy);
	hsdb_free(db);
	ruleset_free(rs);
	if (rc) {
		fprintf(stderr, "piiscan: %s\n", errbuf);
		return EXIT_FATAL;
	}
	if (res.output_failed)
		return EXIT_FATAL;
	if (res.status == RUN_INTERRUPTED)
		return EXIT_INTERRUPTED;
	if (res.status == RUN_PARTIAL)
		return EXIT_PARTIAL;
	if (fail_on_findings && res.findings)
		return EXIT_FINDINGS;
	return EXIT_OK;
}

static int cmd_rules(int argc, char **argv)
{
	const char *rules_dir = NULL;
	int c;
	if (argc < 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "list")))
		return usage_error("%s", "rules needs 'check' or 'list'");
	const char *what = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		if (c == OPT_RULES)
			rules_dir = optarg;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return EXIT_OK;
		} else
			return usage_error("%s", "invalid option for 'rules'");
	}
	struct ruleset *rs;
	struct hsdb *db;
	if (load_rules(rules_dir, &rs, &db))
		return EXIT_FATAL;
	int rc = EXIT_OK;
	if (!strcmp(what, "list"))
		rulecheck_list(rs, stdout);
	else if (rulecheck_run(db, stdout, stderr))
		rc = 1;
	hsdb_free(db);
	ruleset_free(rs);
	return rc;
}

static int cmd_kafka(int argc, char **argv)
{
	enum {
		K_FINDINGS = 512, K_FINDINGS_TOPIC, K_SCAN_KEY, K_SCAN_HEADERS, K_MANIFEST_DIR,
		K_MANIFEST_INTERVAL, K_MANIFEST_EVERY, K_MAX_BUFFER, K_MIN_CONFIDENCE, K_RULES, K_KEY,
	};
	static const struct option kafka_options[] = {
		{ "brokers", required_argument, NULL, 'b' },
		{ "group", required_argument, NULL, 'G' },
		{ "topic", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "scan-key", no_argument, NULL, K_SCAN_KEY },
		{ "scan-headers", no_argument, NULL, K_SCAN_HEADERS },
		{ "findings", required_argument, NULL, K_FINDINGS },
		{ "findings-topic", required_argument, NULL, K_FINDINGS_TOPIC },
		{ "manifest-dir", required_argument, NULL, K_MANIFEST_DIR },
		{ "manifest-interval", required_argument, NULL, K_MANIFEST_INTERVAL },
		{ "manifest-every", required_argument, NULL, K_MANIFEST_EVERY },
		{ "max-buffer", required_argument, NULL, K_MAX_BUFFER },
		{ "min-confidence", required_argument, NULL, K_MIN_CONFIDENCE },
		{ "threads", required_argument, NULL, 'j' },
		{ "rules", required_argument, NULL, K_RULES },
		{ "fingerprint-key", required_argument, NULL, K_KEY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct kafka_options opt = {
		.start = KAFKA_START_STORED, .format = FORMAT_AUTO, .manifest_dir = KAFKA_MANIFEST_DIR_DEFAULT,
		.manifest_interval = KAFKA_MANIFEST_INTERVAL_DEFAULT, .max_buffer = KAFKA_MAX_BUFFER_DEFAULT,
		.min_confidence = CONFIDENCE_LIKELY, .version = PIISCAN_VERSION,
	};
	const char *rules_dir = NULL, *key_file = NULL;
	char **targs = calloc((size_t)argc + 1, sizeof *targs);   /* -t and trailing arguments */
	size_t ntargs = 0, props_cap = 0;
	bool have_brokers = false;
	int c, rc = EXIT_FATAL;
	if (!targs)
		abort();
	opt.threads = pipeline_default_threads(util_cpus());

	while ((c = getopt_long(argc, argv, "b:G:t:X:F:eo:f:j:vhV", kafka_options, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'b': opt.client.brokers = optarg; have_brokers = true; break;
		case 'G': opt.group = optarg; break;
		case 't': targs[ntargs++] = optarg; break;
		case 'X':
			if (!strchr(optarg, '=')) {
				rc = usage_error("-X needs KEY=VALUE, not '%s'", optarg);
				goto out;
			}
			if (!strncmp(optarg, "bootstrap.servers=", 18) || !strncmp(optarg, "metadata.broker.list=", 21))
				have_brokers = true;
			if (opt.client.nprops == props_cap) {
				props_cap = props_cap ? props_cap * 2 : 8;
				opt.client.props = realloc(opt.client.props, props_cap * sizeof *opt.client.props);
				if (!opt.client.props)
					abort();
			}
			opt.client.props[opt.client.nprops++] = optarg;
			break;
		case 'F': opt.client.config_file = optarg; have_brokers = true; break;
		case 'e': opt.exit_eof = true; break;
		case 'o': {
			int s = kafka_start_parse(optarg);
			if (s < 0) {
				rc = usage_error("-o takes beginning, end or stored, not '%s'", optarg);
				goto out;
			}
			opt.start = (enum kafka_start)s;
			break;
		}
		case 'f': {
			int f = frame_format_parse(optarg);
			if (f != FORMAT_AUTO && f != FORMAT_JSONL && f != FORMAT_TEXT) {
				rc = usage_error("kafka --format takes auto, jsonl or text, not '%s'", optarg);
				goto out;
			}
			opt.format = (enum frame_format)f;
			break;
		}
		case K_SCAN_KEY: opt.scan_key = true; break;
		case K_SCAN_HEADERS: opt.scan_headers = true; break;
		case K_FINDINGS: opt.findings_path = optarg; break;
		case K_FINDINGS_TOPIC: opt.findings_topic = optarg; break;
		case K_MANIFEST_DIR: opt.manifest_dir = optarg; break;
		case K_MANIFEST_INTERVAL:
			opt.manifest_interval = strtod(optarg, &end);
			if (*end || !(opt.manifest_interval > 0) || opt.manifest_interval > 1e6) {
				rc = usage_error("--manifest-interval needs seconds above 0, not '%s'", optarg);
				goto out;
			}
			break;
		case K_MANIFEST_EVERY:
			opt.manifest_every = strtoull(optarg, &end, 10);
			if (*end || !opt.manifest_every || *optarg == '-') {
				rc = usage_error("--manifest-every needs a number of messages, not '%s'", optarg);
				goto out;
			}
			break;
		case K_MAX_BUFFER: {
			unsigned long long mb = strtoull(optarg, &end, 10);
			if (*end || !mb || mb > 65536 || *optarg == '-') {
				rc = usage_error("--max-buffer needs MB from 1 to 65536, not '%s'", optarg);
				goto out;
			}
			opt.max_buffer = (size_t)mb << 20;
			break;
		}
		case K_MIN_CONFIDENCE:
			opt.min_confidence = confidence_parse(optarg);
			if (opt.min_confidence == CONFIDENCE_NONE) {
				rc = usage_error("unknown confidence '%s'", optarg);
				goto out;
			}
			break;
		case 'j': {
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024) {
				rc = usage_error("--threads needs a number from 1 to 1024, not '%s'", optarg);
				goto out;
			}
			opt.threads = (unsigned)n;
			break;
		}
		case K_RULES: rules_dir = optarg; break;
		case K_KEY: key_file = optarg; break;
		case 'v': opt.verbose = true; break;
		case 'h': fputs(usage_text, stdout); rc = EXIT_OK; goto out;
		case 'V': printf("piiscan %s\n", PIISCAN_VERSION); rc = EXIT_OK; goto out;
		default: rc = usage_error("%s", "invalid option for 'kafka'"); goto out;
		}
	}
	for (int i = optind; i < argc; i++)
		targs[ntargs++] = argv[i];
	/* TOPIC[,TOPIC...]: there are at most as many topics as commas. */
	size_t ncommas = 0;
	for (size_t i = 0; i < ntargs; i++)
		for (const char *p = targs[i]; *p; p++)
			ncommas += *p == ',';
	opt.topics = calloc(ntargs + ncommas + 1, sizeof *opt.topics);
	if (!opt.topics)
		abort();
	for (size_t i = 0; i < ntargs; i++)
		for (char *save = NULL, *t = strtok_r(targs[i], ",", &save); t; t = strtok_r(NULL, ",", &save))
			opt.topics[opt.ntopics++] = t;
	if (!have_brokers)
		rc = usage_error("%s", "kafka needs -b BROKERS (or bootstrap.servers from -X or -F)");
	else if (!opt.group)
		rc = usage_error("%s", "kafka needs -G GROUP");
	else if (!opt.ntopics)
		rc = usage_error("%s", "kafka needs -t TOPIC");
	else {
		struct fingerprint_key key;
		char errbuf[512];
		struct ruleset *rs;
		struct hsdb *db;
		if (fingerprint_key_load(&key, key_file, errbuf, sizeof errbuf)) {
			fprintf(stderr, "piiscan: %s\n", errbuf);
		} else if (!load_rules(rules_dir, &rs, &db)) {
			struct kafka_result res;
			pipeline_install_signals();
			int prc = pipeline_kafka_run(&opt, db, &key, &res, errbuf, sizeof errbuf);
			hsdb_free(db);
			ruleset_free(rs);
			if (prc)
				fprintf(stderr, "piiscan: %s\n", errbuf);
			else
				rc = res.failed ? EXIT_FATAL : res.uncommitted ? EXIT_PARTIAL : EXIT_OK;
		}
	}
out:
	free(targs);
	free(opt.topics);
	free(opt.client.props);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("piiscan %s\n", PIISCAN_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "scan"))
		return cmd_scan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rules"))
		return cmd_rules(argc - 1, argv + 1);
	if (!strcmp(argv[1], "kafka"))
		return cmd_kafka(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
