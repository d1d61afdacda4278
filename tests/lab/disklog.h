/*
 * Parser for the disk writer's lines in a guest serial log.
 *
 *   SF-DISK-START run=HEX nslots=N dev=PATH   starts a run
 *   SF-DISK-ACK seq=N                          record N of the run is durable
 *
 * The log is untrusted text: kernel messages, CR characters, lines cut short
 * and several boots. Only whole lines count (a last line without '\n' may be
 * cut inside a number). A token may start anywhere in a line, but its number
 * must end at a blank or the end of the line. Acks before any START line
 * belong to an anonymous run (a log that starts after the START line, e.g.
 * the destination's after a migration).
 *
 * Only the last run is kept: its records are the ones that can be on the disk.
 */
#ifndef DISKLOG_H
#define DISKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/guest/sf_err.h"

#define DISKLOG_MAX_ACKS (1U << 24)

struct disklog {
	unsigned runs;   /* SF-DISK-START lines seen */
	bool have_start; /* the kept acks follow a START line */
	uint64_t run;    /* valid if have_start */
	uint64_t nslots; /* valid if have_start */
	uint64_t *acks;  /* acks of the last run, in log order */
	size_t nacks;
	size_t cap;
	uint64_t earlier_acks; /* acks of runs before the last */
	uint64_t malformed;    /* SF-DISK- tokens that did not parse */
};

/* Empty log. */
void disklog_init(struct disklog *log);

/*
 * Parse len bytes of serial log. May be called again with more text only if
 * the previous call ended at a line boundary. Returns 0, or -E2BIG (more than
 * DISKLOG_MAX_ACKS acks) or -ENOMEM with err set.
 */
int disklog_parse(struct disklog *log, const char *text, size_t len,
                  struct sf_err *err);

/* Free the ack list; log is empty afterwards. */
void disklog_fini(struct disklog *log);

#endif
