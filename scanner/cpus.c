/* How many CPUs this process may use: the default for --threads. Like
 * ripgrep (Rust's available_parallelism), the CPUs of the affinity mask
 * (taskset, cpusets, Docker's --cpuset-cpus), capped by a cgroup v2 CPU
 * quota (Docker's --cpus, a Kubernetes CPU limit), never the machine's
 * count: a pod limited to 2 CPUs on a 64-core node would otherwise start
 * 64 workers, each with its buffers, to be throttled. */
#define _GNU_SOURCE
#include "util.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned util_cpu_quota(const char *cpu_max)
{
	/* "max 100000" (no limit) or "QUOTA PERIOD" in microseconds */
	char *end;
	if (!strncmp(cpu_max, "max", 3))
		return 0;
	unsigned long long quota = strtoull(cpu_max, &end, 10);
	if (end == cpu_max || *end != ' ')
		return 0;
	const char *p = end + 1;
	unsigned long long period = strtoull(p, &end, 10);
	if (end == p || !period || !quota)
		return 0;
	unsigned long long n = (quota + period - 1) / period;   /* 1.5 CPUs: 2 threads */
	return n > 4096 ? 4096 : (unsigned)n;
}

/* The smallest quota on the way from this process's cgroup to the root. */
static unsigned cgroup_quota(void)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return 0;
	char line[4096], path[4200];
	const char *rel = NULL;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "0::", 3)) {   /* the cgroup v2 hierarchy */
			line[strcspn(line, "\n")] = '\0';
			rel = line + 3;
			break;
		}
	fclose(f);
	if (!rel)
		return 0;
	unsigned best = 0;
	snprintf(path, sizeof path, "/sys/fs/cgroup%s", strcmp(rel, "/") ? rel : "");
	for (;;) {
		size_t dir = strlen(path);
		snprintf(path + dir, sizeof path - dir, "/cpu.max");
		FILE *q = fopen(path, "r");
		char buf[64];
		if (q) {
			if (fgets(buf, sizeof buf, q)) {
				unsigned n = util_cpu_quota(buf);
				if (n && (!best || n < best))
					best = n;
			}
			fclose(q);
		}
		path[dir] = '\0';
		char *slash = strrchr(path, '/');
		if (!slash || slash - path < (long)strlen("/sys/fs/cgroup"))
			break;
		*slash = '\0';
	}
	return best;
}

unsigned util_cpus(void)
{
	cpu_set_t set;
	long n = 0;
	if (!sched_getaffinity(0, sizeof set, &set))
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0)
		n = 1;
	unsigned quota = cgroup_quota();
	if (quota && quota < (unsigned long)n)
		n = (long)quota;
	return (unsigned)n;
}
