/*
 * Checks a data disk image against the acks of a serial log (disklog.h).
 *
 * Record seq lives in slot seq % nslots, so an acked record is only expected
 * on the image if no later acked record went to the same slot. The slot of
 * the write that may have been in flight when the guest stopped (last ack + 1)
 * is skipped too: that write may be torn. For every other slot, the image
 * must hold a record of the run whose seq is the acked one or a later one for
 * the same slot (a later write whose ack line was not logged):
 *
 *   ok       intact record, seq >= acked seq
 *   missing  all zero, an older seq, another run, or beyond the image's end
 *   corrupt  bad magic, version, checksum or pattern, or a misplaced record
 */
#ifndef DISKCHECK_H
#define DISKCHECK_H

#include <stdint.h>

#include "tests/guest/sf_err.h"
#include "tests/lab/disklog.h"

struct diskcheck_result {
	uint64_t nslots;
	uint64_t acked; /* distinct acked seqs of the last run */
	uint64_t last_ack;
	uint64_t checked;
	uint64_t ok;
	uint64_t missing;
	uint64_t corrupt;
	uint64_t overwritten; /* acked but superseded in the same slot */
	uint64_t in_flight;   /* skipped: slot of last_ack + 1 */
};

/* Called for each record that is not ok; verdict is "missing"/"corrupt". */
typedef void (*diskcheck_report_fn)(void *arg, uint64_t seq, uint64_t slot,
                                    const char *verdict, const char *detail);

/*
 * Check the data area of area_bytes at area_offset of a raw image open on
 * image_fd: the whole image of a data disk (offset 0), or partition 2 of a
 * boot disk. Returns 0 when the check ran (then see *result), or -errno when
 * it could not: no acks (-ENODATA), area and log disagree on the geometry
 * (-EINVAL), out of memory, I/O error. err says why.
 */
int diskcheck_run(const struct disklog *log, int image_fd, uint64_t area_offset,
                  uint64_t area_bytes, struct diskcheck_result *result,
                  diskcheck_report_fn report, void *arg, struct sf_err *err);

#endif
