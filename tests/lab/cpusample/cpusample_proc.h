/*
 * cpusample_proc: the /proc side of sf-cpusample. Finds the namespace
 * identity of a netns file, reads the boot clock in clock ticks, and
 * scans /proc into a struct cpusample (cpusample.h).
 */
#ifndef CPUSAMPLE_PROC_H
#define CPUSAMPLE_PROC_H

#include <stdint.h>

#include "tests/lab/cpusample/cpusample.h"

/*
 * Sets *dev and *ino to the identity of the network namespace that path
 * names (a /run/netns/NAME bind mount, or a /proc/PID/ns/net link).
 * Returns 0, -errno if path cannot be opened, or -EINVAL if it is not a
 * network namespace.
 */
int cpusample_proc_netns_id(const char *path, uint64_t *dev, uint64_t *ino);

/* Sets *ticks to CLOCK_BOOTTIME in units of 1/hz s. Returns 0 or -errno. */
int cpusample_proc_now(long hz, uint64_t *ticks);

/*
 * One scan: for each process under procfd (an open /proc) whose network
 * namespace is a group's, feeds every thread's stat line to
 * cpusample_task_seen(). Processes and threads that go away while being
 * read are skipped. Returns 0, or -errno from the accounting (-ENOMEM,
 * -ENOSPC) or from reading procfd itself.
 */
int cpusample_proc_scan(struct cpusample *cs, int procfd);

#endif
