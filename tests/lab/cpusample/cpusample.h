/*
 * cpusample: the accounting of sf-cpusample, which measures the CPU time
 * spent in given network namespaces while it runs. Pure functions of their
 * inputs (stat lines, namespace identities, clock ticks), no I/O; the /proc
 * scan that feeds them is cpusample_proc.c.
 *
 * A group is a NAME given on the command line and the identity (st_dev,
 * st_ino) of a network namespace. A task (a thread) belongs to the group
 * of its process's namespace. Tasks are keyed by (pid, tid, starttime), so
 * a reused tid is a new task. For each task the first and the last
 * utime + stime seen are kept:
 *
 *   - a task started before the run (starttime < the run's start, both in
 *     clock ticks since boot) counts last - first: what it used while
 *     it was watched;
 *   - a task started during the run counts last: its whole life, even any
 *     part spent before it entered the namespace.
 *
 * A task stays in the group it was first seen in. Left out: every task of
 * a process whose comm is libvirtd, virtlogd or virtqemud, and threads
 * named like QEMU's vCPU threads ("CPU 0/KVM", "CPU 1/TCG"): their time is
 * the guest's, not the migration's.
 */
#ifndef CPUSAMPLE_H
#define CPUSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kernel comms are 15 bytes; workqueue workers show up to 63. */
#define CPUSAMPLE_COMM_MAX   64
#define CPUSAMPLE_NAME_MAX   64
#define CPUSAMPLE_GROUPS_MAX 32
/* Hard limit on tasks remembered in one run: 48 MiB of table. */
#define CPUSAMPLE_TASKS_MAX (1u << 19)

/* The fields of /proc/PID/task/TID/stat that the accounting uses. */
struct cpusample_stat {
	int32_t tid;                   /* field 1 */
	char comm[CPUSAMPLE_COMM_MAX]; /* field 2, cut to fit */
	char state;                    /* field 3 */
	uint64_t utime;                /* field 14, clock ticks */
	uint64_t stime;                /* field 15, clock ticks */
	uint64_t starttime;            /* field 22, ticks since boot */
};

/*
 * Parses one stat line of len bytes (need not end in NUL; a trailing
 * newline is allowed). The comm is what lies between the first '(' and the
 * last ')'; it may hold spaces and parentheses, and is cut to
 * CPUSAMPLE_COMM_MAX - 1 bytes. Fields 3..22 must be present and separated
 * by single spaces; 4..22 must be decimal numbers (14, 15 and 22
 * unsigned); later fields are not looked at. Returns 0, or -EINVAL with
 * *out undefined.
 */
int cpusample_stat_parse(const char *line, size_t len,
                         struct cpusample_stat *out);

/*
 * Splits a --netns argument NAME=PATH. NAME is 1..CPUSAMPLE_NAME_MAX - 1
 * bytes of [A-Za-z0-9_.-] (it is printed bare and as a JSON key); PATH is
 * not empty. Copies NAME to name (name_size bytes) and points *path into
 * arg. Returns 0 or -EINVAL.
 */
int cpusample_netns_arg_parse(const char *arg, char *name, size_t name_size,
                              const char **path);

/* True for the comm of a process left out whole (libvirtd and friends). */
bool cpusample_comm_excluded(const char *comm);

/* True for a thread comm that looks like a QEMU vCPU thread. */
bool cpusample_comm_is_vcpu(const char *comm);

struct cpusample_group {
	char name[CPUSAMPLE_NAME_MAX];
	uint64_t dev, ino; /* the network namespace's identity */
	uint64_t ticks;    /* set by cpusample_sum() */
	uint64_t tasks;    /* set by cpusample_sum() */
};

struct cpusample_task {
	int32_t pid, tid; /* tid 0: free slot */
	int32_t group;
	bool born; /* started during the run: counts its whole life */
	bool excluded; /* renamed into an excluded one after it was first
	                  seen (a thread names itself after it starts) */
	uint64_t starttime;
	uint64_t first, last;
};

struct cpusample {
	struct cpusample_group groups[CPUSAMPLE_GROUPS_MAX];
	size_t ngroups;
	struct cpusample_task *tab; /* open addressing, linear probing */
	size_t cap;                 /* a power of two, or 0 */
	size_t count;
	uint64_t start;    /* the run's start, ticks since boot */
	uint64_t excluded; /* sightings left out by the rules */
};

void cpusample_init(struct cpusample *cs);

/* Frees the task table; cs may be NULL. cs can be initialised again. */
void cpusample_free(struct cpusample *cs);

/*
 * Adds a group. Returns its index, -EINVAL for a bad name, -EEXIST if the
 * name or the namespace is already a group's, -ENOSPC past
 * CPUSAMPLE_GROUPS_MAX.
 */
int cpusample_group_add(struct cpusample *cs, const char *name, uint64_t dev,
                        uint64_t ino);

/* Returns the index of the group of namespace (dev, ino), or -1. */
int cpusample_group_find(const struct cpusample *cs, uint64_t dev,
                         uint64_t ino);

/* Sets the run's start, in clock ticks since boot; call before any task. */
void cpusample_start(struct cpusample *cs, uint64_t now_ticks);

/*
 * Records one sighting of task st of process pid, whose process comm is
 * proc_comm, in group. Left-out tasks are counted in cs->excluded only.
 * Returns 0, -EINVAL for a bad group or tid, -ENOMEM, or -ENOSPC past
 * CPUSAMPLE_TASKS_MAX tasks.
 */
int cpusample_task_seen(struct cpusample *cs, int group, int32_t pid,
                        const char *proc_comm, const struct cpusample_stat *st);

/* The ticks one task counts for, by the rules above. */
uint64_t cpusample_task_ticks(const struct cpusample_task *t);

/* Sets each group's ticks and tasks from the table. */
void cpusample_sum(struct cpusample *cs);

#endif
