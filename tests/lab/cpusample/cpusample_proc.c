/*
 * cpusample_proc: reads /proc for sf-cpusample. One scan stats each
 * /proc/PID/ns/net, and for the processes in a watched namespace reads
 * /proc/PID/stat (the process comm) and every /proc/PID/task/TID/stat.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/lab/cpusample/cpusample_proc.h"

/* A stat line is ~300 bytes plus the comm; a longer one is cut. */
#define STAT_BUF 4096

int cpusample_proc_netns_id(const char *path, uint64_t *dev, uint64_t *ino)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		ret = -EINVAL;
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		goto out;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
out:
	close(fd);
	return ret;
}

int cpusample_proc_now(long hz, uint64_t *ticks)
{
	struct timespec ts;

	if (hz <= 0)
		return -EINVAL;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		return -errno;
	/* Truncated, as the kernel does for starttime. */
	*ticks = (uint64_t)ts.tv_sec * (uint64_t)hz +
	         (uint64_t)ts.tv_nsec * (uint64_t)hz / 1000000000u;
	return 0;
}

/* A /proc directory entry that is a pid or tid, or 0. */
static int32_t proc_id(const char *name)
{
	int64_t v = 0;

	if (*name == '\0')
		return 0;
	for (; *name != '\0'; name++) {
		if (*name < '0' || *name > '9')
			return 0;
		v = v * 10 + (*name - '0');
		if (v > INT32_MAX)
			return 0;
	}
	return (int32_t)v;
}

/* Reads and parses the stat file rel under dirfd. Returns 0 or -errno. */
static int stat_read(int dirfd, const char *rel, struct cpusample_stat *out)
{
	char buf[STAT_BUF];
	ssize_t n;
	int fd;

	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	return cpusample_stat_parse(buf, (size_t)n, out);
}

/* Feeds every thread of process pid in group. */
static int scan_threads(struct cpusample *cs, int group, int32_t pid,
                        const char *proc_comm, int taskfd)
{
	struct cpusample_stat st;
	struct dirent *de;
	char rel[32];
	int32_t tid;
	DIR *dir;
	int ret = 0;

	dir = fdopendir(taskfd);
	if (dir == NULL) {
		close(taskfd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		tid = proc_id(de->d_name);
		if (tid <= 0)
			continue;
		snprintf(rel, sizeof(rel), "%d/stat", (int)tid);
		if (stat_read(taskfd, rel, &st) != 0)
			continue;
		ret = cpusample_task_seen(cs, group, pid, proc_comm, &st);
		if (ret < 0)
			break;
	}
	closedir(dir);
	return ret;
}

static int scan_process(struct cpusample *cs, int procfd, int32_t pid)
{
	struct cpusample_stat proc;
	char rel[48];
	struct stat st;
	int group, taskfd;

	snprintf(rel, sizeof(rel), "%d/ns/net", (int)pid);
	if (fstatat(procfd, rel, &st, 0) != 0)
		return 0;
	group = cpusample_group_find(cs, st.st_dev, st.st_ino);
	if (group < 0)
		return 0;
	snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
	if (stat_read(procfd, rel, &proc) != 0)
		return 0;
	snprintf(rel, sizeof(rel), "%d/task", (int)pid);
	taskfd = openat(procfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (taskfd < 0)
		return 0;
	return scan_threads(cs, group, pid, proc.comm, taskfd);
}

int cpusample_proc_scan(struct cpusample *cs, int procfd)
{
	struct dirent *de;
	DIR *dir;
	int fd, ret = 0;
	int32_t pid;

	/* A new open description, so each scan reads /proc from its start. */
	fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (dir == NULL) {
		ret = -errno;
		close(fd);
		return ret;
	}
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			ret = -errno;
			break;
		}
		pid = proc_id(de->d_name);
		if (pid <= 0)
			continue;
		ret = scan_process(cs, procfd, pid);
		if (ret < 0)
			break;
	}
	closedir(dir);
	return ret;
}
