/*
 * Tests of sf-cpusample: the stat-line parser (golden and bad lines), the
 * --netns argument, the accounting rules on synthetic sightings, and one
 * real run that burns CPU in a private network namespace and scans /proc.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lab/cpusample/cpusample.h"
#include "tests/lab/cpusample/cpusample_proc.h"

/* Fields 1..52 of a user process, as /proc/PID/stat shows them. */
static const char golden_user[] =
    "3034 (cat) R 3032 3032 28740 0 -1 4194304 101 0 0 0 "
    "150 75 0 0 20 0 1 0 1482956 3133440 411 18446744073709551615 "
    "93853574479872 93853574499753 140733689874016 0 0 0 0 0 0 0 0 0 17 "
    "0 0 0 0 0 0 93853574515760 93853574517376 93853832331264 "
    "140733689878983 140733689879003 140733689879003 140733689880555 0\n";

static int parse_str(const char *line, struct cpusample_stat *st)
{
	return cpusample_stat_parse(line, strlen(line), st);
}

Test(cpusample, stat_golden_user)
{
	struct cpusample_stat st;

	cr_assert_eq(parse_str(golden_user, &st), 0);
	cr_assert_eq(st.tid, 3034);
	cr_assert_str_eq(st.comm, "cat");
	cr_assert_eq(st.state, 'R');
	cr_assert_eq(st.utime, 150);
	cr_assert_eq(st.stime, 75);
	cr_assert_eq(st.starttime, 1482956);
}

Test(cpusample, stat_golden_kernel_thread)
{
	/* ppid 0, tty -1 (tpgid), starttime 24. */
	static const char line[] =
	    "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 3 0 0 20 0 1 0 "
	    "24 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 "
	    "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	struct cpusample_stat st;

	cr_assert_eq(parse_str(line, &st), 0);
	cr_assert_eq(st.tid, 2);
	cr_assert_str_eq(st.comm, "kthreadd");
	cr_assert_eq(st.utime, 0);
	cr_assert_eq(st.stime, 3);
	cr_assert_eq(st.starttime, 24);
}

Test(cpusample, stat_golden_odd_comms)
{
	/* Spaces and ')' in the comm: everything up to the LAST ')'. */
	static const char parens[] = "42 (a) b (c)) D 1 1 1 0 -1 0 0 0 0 0 "
	                             "7 8 0 0 20 0 1 0 99 0 0";
	/* Exactly 22 fields, no newline; RT priority and nice negative. */
	static const char vcpu[] = "5001 (CPU 0/KVM) R 1 1 1 0 -1 0 0 0 0 0 "
	                           "12345 678 -3 -4 -100 -20 8 0 "
	                           "18446744073709551615";
	static const char empty[] = "7 () S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 "
	                            "0 1 0 3 0 0\n";
	/* A workqueue worker's long name is cut to fit. */
	static const char longname[] =
	    "9 (kworker/u8:1-events_unbound_very_long_workqueue_name_that_"
	    "goes_on_and_on) I 2 0 0 0 -1 0 0 0 0 0 4 5 0 0 20 0 1 0 6 0 0";
	struct cpusample_stat st;

	cr_assert_eq(parse_str(parens, &st), 0);
	cr_assert_str_eq(st.comm, "a) b (c)");
	cr_assert_eq(st.state, 'D');
	cr_assert_eq(st.utime, 7);
	cr_assert_eq(st.stime, 8);
	cr_assert_eq(st.starttime, 99);

	cr_assert_eq(parse_str(vcpu, &st), 0);
	cr_assert_str_eq(st.comm, "CPU 0/KVM");
	cr_assert_eq(st.utime, 12345);
	cr_assert_eq(st.stime, 678);
	cr_assert_eq(st.starttime, UINT64_MAX);
	cr_assert(cpusample_comm_is_vcpu(st.comm));

	cr_assert_eq(parse_str(empty, &st), 0);
	cr_assert_str_eq(st.comm, "");
	cr_assert_eq(st.starttime, 3);

	cr_assert_eq(parse_str(longname, &st), 0);
	cr_assert_eq(strlen(st.comm), CPUSAMPLE_COMM_MAX - 1);
	cr_assert_eq(strncmp(st.comm, "kworker/u8:1-events_unbound", 27), 0);
	cr_assert_eq(st.state, 'I');
	cr_assert_eq(st.starttime, 6);
}

Test(cpusample, stat_bad)
{
	static const char *const bad[] = {
		"",
		"\n",
		"3034 cat R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		"3034 (cat R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		"3034 )cat( R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"3",
		"3034(cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		" (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		"30a4 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"3",
		"-3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"3",
		"0 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		"2147483648 (cat) R 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		/* no state, two-character state, double space */
		"3034 (cat)  3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		"3034 (cat) RS 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"3",
		"3034 (cat) R 3032  3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"3",
		"3034 (cat)R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		/* 21 fields */
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0",
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 ",
		/* non-numeric, negative or overflowing counters */
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 x 2 0 0 20 0 1 0 "
		"3",
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2x 0 0 20 0 1 0 "
		"3",
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 -1 2 0 0 20 0 1 0 "
		"3",
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 -2 0 0 20 0 1 0 "
		"3",
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"-3",
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"18446744073709551616",
		"3034 (cat) R 3032 3032 28740 0 - 0 0 0 0 0 1 2 0 0 20 0 1 0 3",
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 +20 0 1 0 "
		"3",
		"3034 (cat) R\t3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"3",
		"3034 (cat) R 3032 3032 28740 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 "
		"3\n\n",
	};
	struct cpusample_stat st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(parse_str(bad[i], &st), -EINVAL, "line %zu: '%s'",
		             i, bad[i]);
	cr_assert_eq(cpusample_stat_parse(NULL, 0, &st), -EINVAL);
	cr_assert_eq(
	    cpusample_stat_parse(golden_user, sizeof(golden_user) - 1, NULL),
	    -EINVAL);
}

Test(cpusample, stat_nul_in_comm)
{
	static const char line[] = "3 (a\0b) S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 "
	                           "20 0 1 0 3";
	struct cpusample_stat st;

	cr_assert_eq(cpusample_stat_parse(line, sizeof(line) - 1, &st),
	             -EINVAL);
}

/* Every cut before the start of field 22 is too few fields. */
Test(cpusample, stat_truncated)
{
	const char *f22 = strstr(golden_user, " 1482956 ");
	struct cpusample_stat st;
	size_t len;

	cr_assert_not_null(f22);
	for (len = 0; len <= (size_t)(f22 - golden_user) + 1; len++)
		cr_expect_eq(cpusample_stat_parse(golden_user, len, &st),
		             -EINVAL, "cut at %zu", len);
	/* Cut inside field 22: a shorter number, still a line. */
	cr_assert_eq(cpusample_stat_parse(golden_user,
	                                  (size_t)(f22 - golden_user) + 4, &st),
	             0);
	cr_assert_eq(st.starttime, 148);
}

Test(cpusample, netns_arg)
{
	char name[CPUSAMPLE_NAME_MAX], longname[CPUSAMPLE_NAME_MAX + 8];
	static const char *const bad[] = {
		"",       "a",      "=/run/netns/x", "a=",     "a b=/x",
		"a/b=/x", "a\"=/x", "é=/x",          "a:b=/x",
	};
	const char *path = NULL;
	size_t i;

	cr_assert_eq(cpusample_netns_arg_parse("src-1.x_y=/run/netns/a=b", name,
	                                       sizeof(name), &path),
	             0);
	cr_assert_str_eq(name, "src-1.x_y");
	cr_assert_str_eq(path, "/run/netns/a=b");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(cpusample_netns_arg_parse(bad[i], name,
		                                       sizeof(name), &path),
		             -EINVAL, "'%s'", bad[i]);

	/* 63 characters fit, 64 do not; nor a name longer than name_size. */
	memset(longname, 'n', sizeof(longname));
	strcpy(longname + CPUSAMPLE_NAME_MAX - 1, "=/x");
	cr_assert_eq(
	    cpusample_netns_arg_parse(longname, name, sizeof(name), &path), 0);
	cr_assert_eq(strlen(name), CPUSAMPLE_NAME_MAX - 1);
	cr_assert_eq(cpusample_netns_arg_parse(longname, name, 8, &path),
	             -EINVAL);
	memset(longname, 'n', sizeof(longname));
	strcpy(longname + CPUSAMPLE_NAME_MAX, "=/x");
	cr_assert_eq(
	    cpusample_netns_arg_parse(longname, name, sizeof(name), &path),
	    -EINVAL);
}

Test(cpusample, comm_rules)
{
	cr_assert(cpusample_comm_excluded("libvirtd"));
	cr_assert(cpusample_comm_excluded("virtlogd"));
	cr_assert(cpusample_comm_excluded("virtqemud"));
	cr_assert_not(cpusample_comm_excluded("libvirtd2"));
	cr_assert_not(cpusample_comm_excluded("virtqemu"));
	cr_assert_not(cpusample_comm_excluded("qemu-system-x86"));
	cr_assert_not(cpusample_comm_excluded(NULL));

	cr_assert(cpusample_comm_is_vcpu("CPU 0/KVM"));
	cr_assert(cpusample_comm_is_vcpu("CPU 15/TCG"));
	cr_assert_not(cpusample_comm_is_vcpu("CPU 0"));
	cr_assert_not(cpusample_comm_is_vcpu("CPUs/KVM"));
	cr_assert_not(cpusample_comm_is_vcpu("cpu 0/KVM"));
	cr_assert_not(cpusample_comm_is_vcpu("my CPU 0/KVM"));
	cr_assert_not(cpusample_comm_is_vcpu("CPU 0/HVF"));
	cr_assert_not(cpusample_comm_is_vcpu("live_migration"));
	cr_assert_not(cpusample_comm_is_vcpu(NULL));
}

static struct cpusample_stat mkstat(int32_t tid, const char *comm,
                                    uint64_t ticks, uint64_t starttime)
{
	struct cpusample_stat st;

	memset(&st, 0, sizeof(st));
	st.tid = tid;
	snprintf(st.comm, sizeof(st.comm), "%s", comm);
	st.state = 'R';
	st.utime = ticks - ticks / 3;
	st.stime = ticks / 3;
	st.starttime = starttime;
	return st;
}

static void seen(struct cpusample *cs, int group, int32_t pid,
                 const char *proc_comm, int32_t tid, const char *comm,
                 uint64_t ticks, uint64_t starttime)
{
	struct cpusample_stat st = mkstat(tid, comm, ticks, starttime);

	cr_assert_eq(cpusample_task_seen(cs, group, pid, proc_comm, &st), 0);
}

#define START 10000

static void setup2(struct cpusample *cs)
{
	cpusample_init(cs);
	cr_assert_eq(cpusample_group_add(cs, "src", 4, 100), 0);
	cr_assert_eq(cpusample_group_add(cs, "dst", 4, 200), 1);
	cpusample_start(cs, START);
}

Test(cpusample, alive_at_start_counts_difference)
{
	struct cpusample cs;

	setup2(&cs);
	/* A relay with two threads, both older than the run. */
	seen(&cs, 0, 50, "relay", 50, "relay", 1000, 500);
	seen(&cs, 0, 50, "relay", 51, "relay-io", 2000, 600);
	seen(&cs, 0, 50, "relay", 50, "relay", 1030, 500);
	seen(&cs, 0, 50, "relay", 51, "relay-io", 2100, 600);
	seen(&cs, 0, 50, "relay", 50, "relay", 1080, 500);
	cpusample_sum(&cs);
	cr_assert_eq(cs.groups[0].ticks, 80 + 100);
	cr_assert_eq(cs.groups[0].tasks, 2);
	cr_assert_eq(cs.groups[1].ticks, 0);
	cr_assert_eq(cs.groups[1].tasks, 0);
	/* Seen once only: nothing measured. */
	seen(&cs, 1, 60, "ssh", 60, "ssh", 400, START - 1);
	cpusample_sum(&cs);
	cr_assert_eq(cs.groups[1].ticks, 0);
	cr_assert_eq(cs.groups[1].tasks, 1);
	cpusample_free(&cs);
}

Test(cpusample, new_tasks_count_all)
{
	struct cpusample cs;

	setup2(&cs);
	/* Born at the start tick, and later; seen once or more. */
	seen(&cs, 1, 70, "ssh", 70, "ssh", 40, START);
	seen(&cs, 1, 70, "ssh", 70, "ssh", 90, START);
	seen(&cs, 1, 80, "migrator", 81, "worker", 25, START + 300);
	cpusample_sum(&cs);
	cr_assert_eq(cs.groups[1].ticks, 90 + 25);
	cr_assert_eq(cs.groups[1].tasks, 2);
	cr_assert_eq(cs.groups[0].ticks, 0);
	cpusample_free(&cs);
}

Test(cpusample, restart_is_new_task)
{
	struct cpusample cs;

	setup2(&cs);
	seen(&cs, 0, 77, "relay", 77, "relay", 100, 500);
	seen(&cs, 0, 77, "relay", 77, "relay", 150, 500);
	/* The tid comes back with a new starttime: a new task. */
	seen(&cs, 0, 77, "relay", 77, "relay", 10, START + 50);
	seen(&cs, 0, 77, "relay", 77, "relay", 30, START + 50);
	/* The same tid in another process is another task too. */
	seen(&cs, 0, 78, "relay", 77, "relay", 7, START + 50);
	cpusample_sum(&cs);
	cr_assert_eq(cs.groups[0].ticks, 50 + 30 + 7);
	cr_assert_eq(cs.groups[0].tasks, 3);
	cpusample_free(&cs);
}

Test(cpusample, excluded_processes_and_vcpus)
{
	struct cpusample cs;

	setup2(&cs);
	/* libvirt daemons, whole: even threads with other names. */
	seen(&cs, 0, 10, "libvirtd", 10, "libvirtd", 500, START + 1);
	seen(&cs, 0, 10, "libvirtd", 11, "rpc-worker", 500, START + 1);
	seen(&cs, 0, 12, "virtlogd", 12, "virtlogd", 500, START + 1);
	seen(&cs, 0, 13, "virtqemud", 14, "prio-rpc-virtqem", 500, START + 1);
	/* QEMU: vCPU threads out, the rest (migration thread) in. */
	seen(&cs, 1, 20, "qemu-system-x86", 20, "qemu-system-x86", 100, 5);
	seen(&cs, 1, 20, "qemu-system-x86", 21, "CPU 0/KVM", 900, 5);
	seen(&cs, 1, 20, "qemu-system-x86", 22, "CPU 1/TCG", 900, 5);
	seen(&cs, 1, 20, "qemu-system-x86", 23, "live_migration", 7, START + 2);
	seen(&cs, 1, 20, "qemu-system-x86", 20, "qemu-system-x86", 160, 5);
	seen(&cs, 1, 20, "qemu-system-x86", 21, "CPU 0/KVM", 5000, 5);
	seen(&cs, 1, 20, "qemu-system-x86", 22, "CPU 1/TCG", 5000, 5);
	seen(&cs, 1, 20, "qemu-system-x86", 23, "live_migration", 307,
	     START + 2);
	cpusample_sum(&cs);
	cr_assert_eq(cs.groups[0].ticks, 0);
	cr_assert_eq(cs.groups[0].tasks, 0);
	cr_assert_eq(cs.groups[1].ticks, 60 + 307);
	cr_assert_eq(cs.groups[1].tasks, 2);
	cr_assert_eq(cs.excluded, 8);
	cpusample_free(&cs);
}

Test(cpusample, first_group_kept_and_bad_calls)
{
	struct cpusample_stat st = mkstat(5, "sh", 10, 1);
	struct cpusample cs;

	setup2(&cs);
	seen(&cs, 0, 5, "sh", 5, "sh", 10, 1);
	seen(&cs, 1, 5, "sh", 5, "sh", 40, 1);
	cpusample_sum(&cs);
	cr_assert_eq(cs.groups[0].ticks, 30);
	cr_assert_eq(cs.groups[1].tasks, 0);

	cr_assert_eq(cpusample_task_seen(&cs, 2, 5, "sh", &st), -EINVAL);
	cr_assert_eq(cpusample_task_seen(&cs, -1, 5, "sh", &st), -EINVAL);
	cr_assert_eq(cpusample_task_seen(&cs, 0, 0, "sh", &st), -EINVAL);
	st.tid = 0;
	cr_assert_eq(cpusample_task_seen(&cs, 0, 5, "sh", &st), -EINVAL);

	/* A counter that goes back counts nothing rather than wrapping. */
	seen(&cs, 1, 6, "sh", 6, "sh", 100, 1);
	seen(&cs, 1, 6, "sh", 6, "sh", 90, 1);
	cpusample_sum(&cs);
	cr_assert_eq(cs.groups[1].ticks, 0);
	cpusample_free(&cs);
	cpusample_free(NULL);
}

Test(cpusample, groups)
{
	struct cpusample cs;
	char name[8];
	int i;

	cpusample_init(&cs);
	cr_assert_eq(cpusample_group_add(&cs, "a", 1, 2), 0);
	cr_assert_eq(cpusample_group_add(&cs, "a", 1, 3), -EEXIST);
	cr_assert_eq(cpusample_group_add(&cs, "b", 1, 2), -EEXIST);
	cr_assert_eq(cpusample_group_add(&cs, "", 1, 4), -EINVAL);
	cr_assert_eq(cpusample_group_add(&cs, "x y", 1, 4), -EINVAL);
	cr_assert_eq(cpusample_group_add(&cs, NULL, 1, 4), -EINVAL);
	cr_assert_eq(cpusample_group_add(&cs, "b", 2, 2), 1);
	cr_assert_eq(cpusample_group_find(&cs, 1, 2), 0);
	cr_assert_eq(cpusample_group_find(&cs, 2, 2), 1);
	cr_assert_eq(cpusample_group_find(&cs, 1, 3), -1);
	for (i = 2; i < CPUSAMPLE_GROUPS_MAX; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		cr_assert_eq(cpusample_group_add(&cs, name, 9, (uint64_t)i), i);
	}
	cr_assert_eq(cpusample_group_add(&cs, "over", 9, 999), -ENOSPC);
	cpusample_free(&cs);
}

/* Enough tasks to grow the table several times, over three scans. */
Test(cpusample, many_tasks)
{
	struct cpusample cs;
	uint64_t want = 0;
	int32_t tid;
	int scan;

	setup2(&cs);
	for (scan = 0; scan < 3; scan++) {
		for (tid = 1; tid <= 5000; tid++)
			seen(&cs, tid % 2, 100000 + tid / 4, "relay", tid,
			     "relay", (uint64_t)(tid + scan * tid),
			     tid % 3 == 0 ? START + 1 : 1);
	}
	for (tid = 1; tid <= 5000; tid++)
		want += tid % 3 == 0 ? 3 * (uint64_t)tid : 2 * (uint64_t)tid;
	cpusample_sum(&cs);
	cr_assert_eq(cs.count, 5000);
	cr_assert_eq(cs.groups[0].tasks + cs.groups[1].tasks, 5000);
	cr_assert_eq(cs.groups[0].ticks + cs.groups[1].ticks, want);
	cpusample_free(&cs);
}

/* Real run ---------------------------------------------------------------- */

#define BURN_MAIN_NS  200000000ull /* the process's main thread */
#define BURN_VCPU_NS  300000000ull /* a "CPU 0/KVM" thread, left out */
#define BURN_CHILD_NS 100000000ull /* a child born during the run */

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void burn(uint64_t ns)
{
	volatile uint64_t x = 0;

	while (thread_cpu_ns() < ns)
		x++;
}

static void *vcpu_thread(void *arg)
{
	int fd = *(int *)arg;

	pthread_setname_np(pthread_self(), "CPU 0/KVM");
	burn(BURN_VCPU_NS);
	if (write(fd, "v", 1) != 1)
		_exit(1);
	pause();
	return NULL;
}

/*
 * The burner: in a new network namespace, says 'r' and waits for 'g'. Then
 * burns on its main thread and on a vCPU-named thread, forks a child that
 * burns too, and says 'd' when all three are done; all stay alive until
 * killed, so the last scan sees everything.
 */
static void burner(int to_parent, int from_parent)
{
	int done[2];
	pthread_t th;
	char c;
	pid_t child;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNET) != 0 || write(to_parent, "r", 1) != 1 ||
	    read(from_parent, &c, 1) != 1 || pipe(done) != 0)
		_exit(1);
	if (pthread_create(&th, NULL, vcpu_thread, &done[1]) != 0)
		_exit(1);
	burn(BURN_MAIN_NS);
	child = fork();
	if (child < 0)
		_exit(1);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		burn(BURN_CHILD_NS);
		if (write(done[1], "c", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(done[0], &c, 1) != 1 || read(done[0], &c, 1) != 1 ||
	    write(to_parent, "d", 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

Test(cpusample, real_namespace, .timeout = 10)
{
	int up[2], down[2], procfd, flags;
	struct cpusample cs;
	char path[64], c;
	uint64_t dev, ino, now;
	struct timespec ts = { 0, 50000000 };
	long hz = sysconf(_SC_CLK_TCK);
	double cpu_s;
	pid_t pid;
	int i;

	cr_assert_eq(pipe(up), 0);
	cr_assert_eq(pipe(down), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		burner(up[1], down[0]);
	cr_assert_eq(read(up[0], &c, 1), 1);
	cr_assert_eq(c, 'r', "the burner could not make its namespace");

	cpusample_init(&cs);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	cr_assert_eq(cpusample_proc_netns_id(path, &dev, &ino), 0);
	cr_assert_eq(cpusample_proc_netns_id("/proc/self/stat", &dev, &ino),
	             -EINVAL);
	cr_assert_eq(cpusample_group_add(&cs, "burn", dev, ino), 0);
	/* Our own namespace: the test process must not count in "burn". */
	cr_assert_eq(cpusample_proc_netns_id("/proc/self/ns/net", &dev, &ino),
	             0);
	cr_assert_eq(cpusample_group_add(&cs, "self", dev, ino), 1);
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(procfd, 0);
	cr_assert_eq(cpusample_proc_now(hz, &now), 0);
	cpusample_start(&cs, now);
	cr_assert_eq(cpusample_proc_scan(&cs, procfd), 0);

	cr_assert_eq(write(down[1], "g", 1), 1);
	flags = fcntl(up[0], F_GETFL);
	cr_assert_eq(fcntl(up[0], F_SETFL, flags | O_NONBLOCK), 0);
	for (i = 0; i < 50; i++) {
		cr_assert_eq(cpusample_proc_scan(&cs, procfd), 0);
		if (read(up[0], &c, 1) == 1)
			break;
		nanosleep(&ts, NULL);
	}
	cr_assert_eq(c, 'd', "the burner did not finish in time");
	cr_assert_eq(cpusample_proc_scan(&cs, procfd), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(procfd);

	cpusample_sum(&cs);
	cpu_s = (double)cs.groups[0].ticks / (double)hz;
	/* 0.2 s main + 0.1 s child; with the vCPU thread it would be 0.6. */
	cr_assert(cpu_s >= 0.2 && cpu_s <= 0.5, "burn cpu_s=%.2f", cpu_s);
	cr_assert_eq(cs.groups[0].tasks, 2, "tasks=%llu",
	             (unsigned long long)cs.groups[0].tasks);
	cr_assert_geq(cs.excluded, 1);
	cr_assert_geq(cs.groups[1].tasks, 1);
	cpusample_free(&cs);
}

/* A thread names itself after it starts: seen first as "qemu-system-x86",
 * then as a vCPU, it does not count at all. */
Test(cpusample, thread_renamed_to_vcpu_is_dropped)
{
	struct cpusample cs;

	setup2(&cs);
	seen(&cs, 0, 70, "qemu-system-x86", 71, "qemu-system-x86", 10,
	     START + 5);
	seen(&cs, 0, 70, "qemu-system-x86", 71, "CPU 0/TCG", 900, START + 5);
	seen(&cs, 0, 70, "qemu-system-x86", 72, "live_migration", 40,
	     START + 6);
	cpusample_sum(&cs);
	cr_assert_eq(cs.groups[0].ticks, 40);
	cr_assert_eq(cs.groups[0].tasks, 1);
	cpusample_free(&cs);
}
