/*
 * backup_priv.h: the parts of backup.c that need no libvirt, exported for
 * the unit tests: name checks, and the backup and checkpoint XML.
 */
#ifndef SKYFERRY_HV_BACKUP_PRIV_H
#define SKYFERRY_HV_BACKUP_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "hypervisor/hv_error.h"

#define HV_BACKUP_MAX_DISKS    32
#define HV_CHECKPOINT_NAME_MAX 64 /* bytes, without the NUL */
#define HV_BACKUP_TARGET_MAX   31 /* as struct hv_disk's target */
#define HV_CHECKPOINT_XML_MAX  (1u << 20)

/* One disk of a backup: its target and its scratch file. */
struct hv_backup_disk {
	const char *target;  /* <target dev=>, e.g. "vda" */
	const char *scratch; /* absolute path; libvirt creates it */
};

/*
 * A checkpoint (and bitmap) name: 1 to HV_CHECKPOINT_NAME_MAX bytes of
 * [A-Za-z0-9_.-], not starting with '.' or '-'. libvirt allows more, but
 * these names also appear in NBD context names and qemu-img arguments.
 */
bool hv_checkpoint_name_is_valid(const char *name);

/*
 * A disk target we export: 1 to HV_BACKUP_TARGET_MAX bytes of [a-z0-9],
 * starting with a letter (vda, sdb, hdc, xvda, nvme0n1). It becomes the
 * NBD export name and a file name.
 */
bool hv_backup_target_is_valid(const char *target);

/*
 * The <domainbackup mode='pull'> XML: served on the unix socket, full
 * when since is NULL, else incremental since that checkpoint; each disk
 * with a qcow2 scratch file. Disks not listed are not backed up. Returns
 * a string the caller frees with free(), or NULL with err filled.
 */
char *hv_backup_xml(const char *socket, const char *since,
                    const struct hv_backup_disk *disks, size_t n,
                    struct hv_error *err);

/*
 * The <domaincheckpoint> XML: a bitmap named after the checkpoint on each
 * disk listed; disks not listed get none. Caller frees the string.
 */
char *hv_checkpoint_xml(const char *name, const struct hv_backup_disk *disks,
                        size_t n, struct hv_error *err);

/* A disk of a checkpoint that carries a bitmap. */
struct hv_checkpoint_bitmap {
	char target[HV_BACKUP_TARGET_MAX + 1];
	char bitmap[HV_CHECKPOINT_NAME_MAX + 1];
};

/*
 * Read the disks with checkpoint='bitmap' out of a checkpoint's XML (as
 * virDomainCheckpointGetXMLDesc gives it): at most max, into out, count in
 * *n. A disk's bitmap defaults to the checkpoint's name. -EINVAL for
 * malformed XML or an invalid name, -E2BIG for more than max disks.
 */
int hv_checkpoint_xml_bitmaps(const char *xml, struct hv_checkpoint_bitmap *out,
                              size_t max, size_t *n, struct hv_error *err);

#endif
