/*
 * sf-cpusample: the CPU seconds spent in given network namespaces while it
 * runs, for the benchmark's "CPU at the sender and at the receiver":
 *
 *   sf-cpusample --netns NAME=PATH [--netns NAME=PATH ...]
 *                [--interval-ms 200] [--json]
 *
 * Every interval it scans /proc: each process whose /proc/PID/ns/net is
 * the namespace at a PATH (e.g. /run/netns/X) counts for that NAME, thread
 * by thread, by the rules in cpusample.h (libvirt daemons and QEMU vCPU
 * threads left out). On SIGINT or SIGTERM it scans once more, prints
 *
 *   NAME cpu_s=12.34 tasks=N          (one line per NAME), or with --json
 *   {"NAME":{"cpu_s":12.34,"tasks":N},...}
 *
 * and exits 0; 1 if a scan failed, 2 on a usage error. Run as root, or
 * other users' processes are not seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/lab/cpusample/cpusample.h"
#include "tests/lab/cpusample/cpusample_proc.h"

#define INTERVAL_MIN_MS 10
#define INTERVAL_MAX_MS 60000

static void usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "sf-cpusample: %s\n", why);
	fprintf(stderr,
	        "usage: sf-cpusample --netns NAME=PATH [--netns NAME=PATH ...]"
	        "\n                    [--interval-ms 200] [--json]\n"
	        "Counts user+system CPU seconds of the tasks in each network "
	        "namespace PATH\n"
	        "(e.g. /run/netns/X) until SIGINT or SIGTERM, then prints "
	        "them per NAME.\n"
	        "Leaves out libvirtd, virtlogd, virtqemud and QEMU vCPU "
	        "threads (\"CPU n/KVM\").\n"
	        "/proc is scanned every interval, so a task that exits "
	        "between two scans\n"
	        "loses at most one interval of its CPU time.\n");
	exit(2);
}

static unsigned long arg_number(const char *name, const char *arg,
                                unsigned long min, unsigned long max)
{
	char why[128];
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' ||
	    v < min || v > max) {
		snprintf(why, sizeof(why),
		         "--%s: '%s' is not a number in %lu..%lu", name, arg,
		         min, max);
		usage(why);
	}
	return v;
}

static void netns_add(struct cpusample *cs, const char *arg)
{
	char name[CPUSAMPLE_NAME_MAX], why[512];
	const char *path;
	uint64_t dev, ino;
	int ret;

	if (cpusample_netns_arg_parse(arg, name, sizeof(name), &path) != 0) {
		snprintf(why, sizeof(why),
		         "--netns '%s': want NAME=PATH, NAME of 1..%d "
		         "characters [A-Za-z0-9_.-]",
		         arg, CPUSAMPLE_NAME_MAX - 1);
		usage(why);
	}
	ret = cpusample_proc_netns_id(path, &dev, &ino);
	if (ret != 0) {
		snprintf(why, sizeof(why), "--netns %s: %s: %s", name, path,
		         ret == -EINVAL ? "not a network namespace"
		                        : strerror(-ret));
		usage(why);
	}
	ret = cpusample_group_add(cs, name, dev, ino);
	if (ret == -EEXIST) {
		snprintf(why, sizeof(why),
		         "--netns %s: the name or the namespace is given twice",
		         name);
		usage(why);
	} else if (ret < 0) {
		snprintf(why, sizeof(why),
		         "--netns %s: more than %d namespaces", name,
		         CPUSAMPLE_GROUPS_MAX);
		usage(why);
	}
}

static void print_result(const struct cpusample *cs, long hz, bool json)
{
	const struct cpusample_group *g;
	size_t i;

	if (json)
		putchar('{');
	for (i = 0; i < cs->ngroups; i++) {
		g = &cs->groups[i];
		if (json)
			printf("%s\"%s\":{\"cpu_s\":%.2f,\"tasks\":%" PRIu64
			       "}",
			       i > 0 ? "," : "", g->name,
			       (double)g->ticks / (double)hz, g->tasks);
		else
			printf("%s cpu_s=%.2f tasks=%" PRIu64 "\n", g->name,
			       (double)g->ticks / (double)hz, g->tasks);
	}
	if (json)
		printf("}\n");
	fflush(stdout);
}

static int scan(struct cpusample *cs, int procfd)
{
	int ret = cpusample_proc_scan(cs, procfd);

	if (ret < 0)
		fprintf(stderr, "sf-cpusample: scanning /proc: %s\n",
		        strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long interval_ms = 200;
	struct cpusample cs;
	struct timespec ts;
	uint64_t now;
	bool json = false;
	sigset_t sigs;
	int c, procfd, sig, ret = 1;
	long hz;

	cpusample_init(&cs);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			netns_add(&cs, optarg);
			break;
		case 'i':
			interval_ms =
			    arg_number("interval-ms", optarg, INTERVAL_MIN_MS,
			               INTERVAL_MAX_MS);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(NULL);
			break;
		default:
			usage("unknown option");
		}
	}
	if (optind != argc)
		usage("unexpected argument");
	if (cs.ngroups == 0)
		usage("give at least one --netns NAME=PATH");

	hz = sysconf(_SC_CLK_TCK);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (hz <= 0 || sigprocmask(SIG_BLOCK, &sigs, NULL) != 0) {
		fprintf(stderr,
		        "sf-cpusample: no clock tick rate or signals\n");
		return 1;
	}
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || cpusample_proc_now(hz, &now) != 0) {
		fprintf(stderr, "sf-cpusample: /proc or the boot clock: %s\n",
		        strerror(errno));
		return 1;
	}
	cpusample_start(&cs, now);

	ts.tv_sec = (time_t)(interval_ms / 1000);
	ts.tv_nsec = (long)(interval_ms % 1000) * 1000000L;
	for (;;) {
		if (scan(&cs, procfd) < 0)
			goto out;
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	if (scan(&cs, procfd) < 0)
		goto out;
	cpusample_sum(&cs);
	print_result(&cs, hz, json);
	ret = 0;
out:
	close(procfd);
	cpusample_free(&cs);
	return ret;
}
