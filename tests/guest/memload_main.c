/*
 * sf-memload: the test guest's memory workload and heartbeat.
 *
 * Keeps sf.mem MiB of pattern pages (sf_pattern.h) and rewrites sf.rate pages
 * per second, verifying each page before rewriting it; a background sweep
 * verifies sf.sweep pages per second. Prints, on stdout (the serial console):
 *
 *   SF-READY
 *   SF-HB seq=N uptime_ms=MS pages=N gen=G dirtied=N verified=N mismatches=N
 *   SF-MISMATCH page=N expected_gen=G found_gen=G reason=TEXT
 *
 * SF-READY comes once, after the working set is written and every --wait file
 * exists (the other services create them when they are up).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sf_cmdline.h"
#include "sf_console.h"
#include "sf_pace.h"
#include "sf_workset.h"

#define MEMLOAD_TICK_NS         10000000ULL /* 10 ms */
#define MEMLOAD_MISMATCH_LINES  50          /* per second, the rest counted */
#define MEMLOAD_MAX_WAITS       8
#define MEMLOAD_WAIT_TIMEOUT_NS (30 * SF_NSEC_PER_SEC)

struct memload {
	struct sf_workset ws;
	struct sf_pace dirty_pace;
	struct sf_pace sweep_pace;
	struct sf_period heartbeat;
	uint64_t hb_seq;
	unsigned lines_this_second;
	uint64_t suppressed;
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: sf-memload [--cmdline FILE] [--mem MIB] [--rate N] "
	        "[--sweep N]\n"
	        "                  [--wait FILE]... [--duration SECONDS]\n");
	exit(2);
}

static uint64_t memload_arg_u64(const char *arg, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end != '\0' || arg[0] == '-' || v > max)
		usage();
	return v;
}

/* Wait until every file exists; false on timeout, naming the missing one. */
static bool memload_wait_files(char **files, int nfiles, const char **missing)
{
	uint64_t deadline =
	    sf_clock_ns(CLOCK_MONOTONIC) + MEMLOAD_WAIT_TIMEOUT_NS;
	struct timespec pause = { 0, 20000000 };
	int i;

	for (i = 0; i < nfiles; i++) {
		while (access(files[i], F_OK) != 0) {
			if (sf_clock_ns(CLOCK_MONOTONIC) > deadline) {
				*missing = files[i];
				return false;
			}
			nanosleep(&pause, NULL);
		}
	}
	return true;
}

static void memload_report(struct memload *ml,
                           const struct sf_page_report *report)
{
	if (ml->lines_this_second >= MEMLOAD_MISMATCH_LINES) {
		ml->suppressed++;
		return;
	}
	ml->lines_this_second++;
	sf_console_printf(1,
	                  "SF-MISMATCH page=%llu expected_gen=%llu "
	                  "found_gen=%llu reason=%s\n",
	                  (unsigned long long)report->page_no,
	                  (unsigned long long)report->expected_gen,
	                  (unsigned long long)report->found_gen,
	                  sf_page_status_name(report->status));
}

static void memload_heartbeat(struct memload *ml)
{
	if (ml->suppressed > 0)
		sf_console_printf(1, "SF-MISMATCH-SUPPRESSED count=%llu\n",
		                  (unsigned long long)ml->suppressed);
	ml->suppressed = 0;
	ml->lines_this_second = 0;
	sf_console_printf(
	    1,
	    "SF-HB seq=%llu uptime_ms=%llu pages=%llu gen=%llu "
	    "dirtied=%llu verified=%llu mismatches=%llu\n",
	    (unsigned long long)ml->hb_seq++,
	    (unsigned long long)(sf_clock_ns(CLOCK_BOOTTIME) / 1000000),
	    (unsigned long long)ml->ws.npages,
	    (unsigned long long)ml->ws.max_gen,
	    (unsigned long long)ml->ws.dirtied,
	    (unsigned long long)ml->ws.verified,
	    (unsigned long long)ml->ws.mismatches);
}

/* One tick: the paced rewrites and sweep checks, then the heartbeat. */
static void memload_tick(struct memload *ml, uint64_t now)
{
	struct sf_page_report report;
	uint64_t n;

	n = sf_pace_take(&ml->dirty_pace, now, UINT64_MAX);
	while (n-- > 0)
		if (sf_workset_dirty_next(&ml->ws, &report) < 0)
			memload_report(ml, &report);
	n = sf_pace_take(&ml->sweep_pace, now, UINT64_MAX);
	while (n-- > 0)
		if (sf_workset_sweep_next(&ml->ws, &report) < 0)
			memload_report(ml, &report);
	if (sf_period_due(&ml->heartbeat, now))
		memload_heartbeat(ml);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cmdline", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "sweep", required_argument, NULL, 's' },
		{ "wait", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmdline_path = "/proc/cmdline", *missing = NULL;
	long long mem = -1, rate = -1, sweep = -1;
	uint64_t duration_ns = 0, start, now;
	char *waits[MEMLOAD_MAX_WAITS];
	struct sf_cmdline cmdline;
	struct memload ml;
	struct sf_err err = { "" };
	int nwaits = 0, opt, ret;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cmdline_path = optarg;
			break;
		case 'm':
			mem = (long long)memload_arg_u64(optarg,
			                                 SF_CMDLINE_MAX_MEM);
			break;
		case 'r':
			rate = (long long)memload_arg_u64(optarg,
			                                  SF_CMDLINE_MAX_RATE);
			break;
		case 's':
			sweep = (long long)memload_arg_u64(optarg,
			                                   SF_CMDLINE_MAX_RATE);
			break;
		case 'w':
			if (nwaits == MEMLOAD_MAX_WAITS)
				usage();
			waits[nwaits++] = optarg;
			break;
		case 'd':
			duration_ns =
			    memload_arg_u64(optarg, 1000000) * SF_NSEC_PER_SEC;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	ret = sf_cmdline_read(&cmdline, cmdline_path, &err);
	if (ret < 0) {
		/* Keep going with defaults: a heartbeat beats silence. */
		sf_console_printf(1, "SF-BOOT-ERROR tool=sf-memload %s\n",
		                  err.msg);
		sf_cmdline_init(&cmdline);
	}
	if (mem >= 0)
		cmdline.mem_mib = (uint64_t)mem;
	if (rate >= 0)
		cmdline.rate = (uint64_t)rate;
	if (sweep >= 0)
		cmdline.sweep = (uint64_t)sweep;

	memset(&ml, 0, sizeof(ml));
	ret = sf_workset_init(
	    &ml.ws, cmdline.mem_mib * (1024 * 1024 / SF_PAGE_SIZE), &err);
	if (ret < 0) {
		sf_console_printf(1, "SF-BOOT-ERROR tool=sf-memload %s\n",
		                  err.msg);
		sf_workset_init(&ml.ws, 0, NULL);
	}
	if (!memload_wait_files(waits, nwaits, &missing))
		sf_console_printf(1,
		                  "SF-BOOT-ERROR tool=sf-memload "
		                  "service not up: %s missing\n",
		                  missing);
	else
		sf_console_printf(1, "SF-READY\n");

	start = now = sf_clock_ns(CLOCK_MONOTONIC);
	sf_pace_init(&ml.dirty_pace, cmdline.rate, now);
	sf_pace_init(&ml.sweep_pace, cmdline.sweep, now);
	sf_period_init(&ml.heartbeat, SF_NSEC_PER_SEC, now);
	memload_heartbeat(&ml);
	for (;;) {
		struct timespec tick = { 0, MEMLOAD_TICK_NS };

		nanosleep(&tick, NULL);
		now = sf_clock_ns(CLOCK_MONOTONIC);
		memload_tick(&ml, now);
		if (duration_ns != 0 && now - start >= duration_ns)
			break;
	}
	sf_workset_fini(&ml.ws);
	return 0;
}
