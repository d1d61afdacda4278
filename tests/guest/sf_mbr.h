/*
 * MBR partition table, as the test guest's boot disk carries it
 * (scripts/mkbootdisk): the guest's disk writer finds its data area in it, and
 * the host's sf-diskverify finds the same area in the image. Read from a disk,
 * so untrusted: every entry is checked against the disk's size.
 *
 *   offset size field
 *   446    16   partition entry 1 .. 4, each:
 *                 0  1  status    0x00, or 0x80 bootable
 *                 4  1  type      0 = unused
 *                 8  4  first LBA little-endian, in 512-byte sectors
 *                 12 4  sectors   little-endian
 *   510    2    signature 0x55 0xaa
 */
#ifndef SF_MBR_H
#define SF_MBR_H

#include <stddef.h>
#include <stdint.h>

#include "sf_err.h"

#define SF_MBR_SIZE      512
#define SF_MBR_SECTOR    512
#define SF_MBR_PARTS     4
#define SF_MBR_OFF_PARTS 446
#define SF_MBR_OFF_SIG   510
#define SF_MBR_DATA_PART 2 /* the boot disk's data area */

struct sf_mbr_part {
	uint64_t offset; /* bytes from the start of the disk */
	uint64_t length; /* bytes */
	uint8_t type;
};

/*
 * Find primary partition index (1-4) in the first sector of a disk of
 * disk_bytes (0: size unknown, not checked). Returns 0 with *part filled, or:
 *   -ENODATA   len is short, or no MBR (signature, status bytes): a whole disk
 *   -ENOENT    an MBR without that partition
 *   -EBADMSG   the entry starts at sector 0 or ends beyond the disk
 *   -EINVAL    index is not 1-4
 * with err saying which.
 */
int sf_mbr_part_find(const uint8_t *sector, size_t len, unsigned index,
                     uint64_t disk_bytes, struct sf_mbr_part *part,
                     struct sf_err *err);

#endif
