/*
 * The test guest's kernel command line contract.
 *
 *   sf.ip=A.B.C.D/P    eth0 address and prefix length (0-32)
 *   sf.gw=A.B.C.D      default gateway (optional)
 *   sf.mem=MiB         memory workload working set, 0 = off     (default 0)
 *   sf.rate=N          pages dirtied per second                 (default 2000)
 *   sf.sweep=N         pages verified per second by the sweep   (default 1000)
 *   sf.disk=/dev/X     run the disk writer on this device (optional); "auto":
 *                      on the first disk's partition 2 if it has an MBR,
 *                      else on the whole disk, whatever the bus (sf_disk.h)
 *   sf.diskrate=N      disk records per second, 1-10000         (default 20)
 *
 * Other parameters belong to the kernel and are ignored. A malformed sf.*
 * value is an error; an unknown sf.* key is remembered so the caller can warn.
 * As in the kernel, the last occurrence of a key wins and double quotes group.
 */
#ifndef SF_CMDLINE_H
#define SF_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_err.h"

#define SF_CMDLINE_MAX       4096 /* longest command line read from a file */
#define SF_CMDLINE_DISK_MAX  64   /* sf.disk path, including the NUL */
#define SF_CMDLINE_MAX_MEM   65536
#define SF_CMDLINE_MAX_RATE  1000000
#define SF_CMDLINE_MAX_DRATE 10000

struct sf_cmdline {
	bool have_ip;
	uint32_t ip;     /* host byte order */
	unsigned prefix; /* 0-32 */
	bool have_gw;
	uint32_t gw; /* host byte order */
	uint64_t mem_mib;
	uint64_t rate;
	uint64_t sweep;
	bool have_disk;
	char disk[SF_CMDLINE_DISK_MAX];
	uint64_t disk_rate;
	char unknown[32]; /* first unknown sf.* key, "" if none */
};

/* Defaults for every field; nothing set. */
void sf_cmdline_init(struct sf_cmdline *cmdline);

/*
 * Parse len bytes of text (need not be NUL terminated; a NUL ends it) on top
 * of what *cmdline holds. Returns 0, or -EINVAL with err set; on error
 * *cmdline may hold some of the parameters.
 */
int sf_cmdline_parse(struct sf_cmdline *cmdline, const char *text, size_t len,
                     struct sf_err *err);

/* sf_cmdline_init, then parse the file at path (e.g. /proc/cmdline). */
int sf_cmdline_read(struct sf_cmdline *cmdline, const char *path,
                    struct sf_err *err);

/* Dotted quad of a host byte order address into buf (16 bytes suffice). */
void sf_cmdline_format_ip(uint32_t ip, char *buf, size_t size);

#endif
