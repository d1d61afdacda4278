/*
 * The guest's data area for sf.disk=auto, whatever the bus: the first of the
 * candidate disks that exists (virtio-blk, SCSI or SATA, Xen, IDE); when it
 * carries an MBR with a partition 2 (the boot disk of scripts/mkbootdisk),
 * that partition, else the whole disk as a plain data disk.
 */
#ifndef SF_DISK_H
#define SF_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "sf_err.h"

#define SF_DISK_AUTO     "auto"
#define SF_DISK_PATH_MAX 64

/* /dev/vda, /dev/sda, /dev/xvda, /dev/hda; NULL-terminated. */
extern const char *const sf_disk_candidates[];

/*
 * Wait up to timeout_ns for one of candidates (NULL-terminated, in order of
 * preference) to exist, then write the data area's path into path (size
 * bytes). Returns 0, or:
 *   -ENOENT        no candidate appeared in time
 *   -EBADMSG       the disk has an MBR, but no usable partition 2
 *   -ENAMETOOLONG  the partition's path does not fit
 *   -errno         the disk could not be opened or read
 * with err saying which.
 */
int sf_disk_find(const char *const *candidates, uint64_t timeout_ns, char *path,
                 size_t size, struct sf_err *err);

/*
 * The size of the disk open on fd: a block device's, or a regular file's (an
 * image, in tests and on the host). Returns 0, -EINVAL for anything else, or
 * -errno.
 */
int sf_disk_size(int fd, uint64_t *bytes);

/*
 * The path of partition index of disk: "/dev/vda" 2 -> "/dev/vda2", and as
 * the kernel names them after a digit, "/dev/nvme0n1" 2 -> "/dev/nvme0n1p2".
 * Returns 0 or -ENAMETOOLONG.
 */
int sf_disk_part_path(const char *disk, unsigned index, char *path,
                      size_t size);

#endif
