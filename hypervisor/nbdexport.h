/*
 * nbdexport.h: one disk image served by qemu-nbd on a private unix socket.
 *
 * The socket lives in a fresh 0700 directory under /run (or $TMPDIR), so
 * only this process (and root) can reach it; nothing listens on the network.
 */
#ifndef SKYFERRY_HV_NBDEXPORT_H
#define SKYFERRY_HV_NBDEXPORT_H

#include <stdbool.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

struct hv_export;

#define HV_EXPORT_WRITABLE 0x1u

/*
 * Start qemu-nbd on image (read-only unless HV_EXPORT_WRITABLE). bitmap,
 * if not NULL, names a persistent qcow2 dirty bitmap to expose as the
 * "qemu:dirty-bitmap:BITMAP" context. Waits until the socket accepts.
 * *out is the caller's on success only; end it with hv_export_stop.
 */
int hv_export_start(const char *image, enum hv_img_format format, unsigned int flags,
                    const char *bitmap, struct hv_export **out, struct hv_error *err);

/* "nbd+unix:///?socket=PATH": valid until hv_export_stop. */
const char *hv_export_uri(const struct hv_export *exp);

/*
 * Stop qemu-nbd (SIGTERM, then wait), remove the socket and its directory,
 * free exp. NULL is a no-op. Returns 0, or -EIO if qemu-nbd failed.
 */
int hv_export_stop(struct hv_export *exp, struct hv_error *err);

#endif
