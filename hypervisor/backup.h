/*
 * backup.h: changed-block tracking through libvirt checkpoints and pull
 * backups, for warm migration and replicas.
 *
 * A pull backup makes QEMU serve a point-in-time view of the disks over
 * NBD on a unix socket; with an incremental backup, the export also carries
 * the "qemu:dirty-bitmap:backup-TARGET" context: the blocks changed since
 * the named checkpoint. Every backup here also creates a new checkpoint, so
 * rounds chain: full (checkpoint 1), delta since 1 (checkpoint 2), ...
 * After the domain is shut down, the newest checkpoint's bitmap (persistent
 * in each qcow2) still says what changed since it; hv_export_start with
 * that bitmap name reads the final delta offline.
 */
#ifndef SKYFERRY_HV_BACKUP_H
#define SKYFERRY_HV_BACKUP_H

#include <stddef.h>

#include <libvirt/libvirt.h>

#include "hypervisor/hv_error.h"

struct hv_backup;

/*
 * Begin a pull backup of the domain's disks (by target name, e.g. "vda"),
 * full when since is NULL, else incremental since that checkpoint, and
 * create checkpoint `checkpoint`. Only qcow2 disks can be tracked: other
 * disks are -ENOTSUP naming the disk. *out is the caller's on success only.
 */
int hv_backup_begin(virDomainPtr dom, const char *const *targets, size_t n_targets,
                    const char *since, const char *checkpoint, struct hv_backup **out,
                    struct hv_error *err);

/* "nbd+unix:///TARGET?socket=PATH" for one disk of the backup. */
int hv_backup_uri(const struct hv_backup *b, const char *target, char *buf, size_t len,
                  struct hv_error *err);

/* The dirty-bitmap context of an incremental backup, or NULL for a full one. */
const char *hv_backup_bitmap_context(const struct hv_backup *b, const char *target,
                                     char *buf, size_t len);

/* End the backup job (the export closes) and free b. NULL is a no-op. */
int hv_backup_end(struct hv_backup *b, struct hv_error *err);

/*
 * Delete the domain's checkpoints whose names start with prefix, newest
 * first, running or shut off (metadata and bitmaps both).
 */
int hv_checkpoint_delete_prefix(virDomainPtr dom, const char *prefix,
                                struct hv_error *err);

#endif
