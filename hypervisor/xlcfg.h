/*
 * xlcfg.h: read and write Xen xl domain configuration files (xl.cfg(5)).
 *
 * The reader follows libxlu's syntax: KEY = VALUE settings ended by a new
 * line or ';', '#' comments, strings in single or double quotes with C
 * escapes, numbers in decimal, 0x hex or 0 octal, and lists "[ V, V, ]"
 * that may nest and span lines. A key set twice keeps its last value (a
 * note says so). Syntax errors and bad values are reported as
 * "ORIGIN:LINE:COLUMN: what", line and column counted from 1 in bytes.
 *
 * What it maps into struct hv_vmdef (kind HV_KIND_XEN):
 *   name, uuid, memory (MiB), vcpus      required: name, memory
 *   type / builder                       pv and pvh parse, with a note
 *   firmware, bios                       uefi/ovmf: UEFI, else BIOS
 *   disk = [ spec, ... ]                 xl-disk-configuration(5): the
 *        key=value form and the positional form with its legacy prefixes
 *        (phy:, file:, tap:qcow2:, ...); formats raw, qcow2 and vhd (VPC);
 *        no format: raw, as libxl; xvdX: Xen bus, hdX: IDE (controller
 *        idx / 2, unit idx % 2), sdX: SCSI; a cdrom is always read-only
 *   vif = [ spec, ... ]                  mac, bridge (none: xl's xenbr0),
 *        model e1000/e1000e/rtl8139; type=vif or a PV/PVH guest: netfront;
 *        an HVM vif without a model: rtl8139, libxl's default
 *   serial = "DEV" or [ "DEV", ... ]     qemu -serial devices: "pty" and
 *        "file:PATH" are mapped, "none" is no port, others are noted;
 *        written as a list
 * Everything else is noted, one note per kind of device or setting, and
 * one note for unknown keys. Refused: qcow and qed images, block-script
 * disks (iscsi:, nbd:, drbd:), "+=" settings.
 */
#ifndef SKYFERRY_HV_XLCFG_H
#define SKYFERRY_HV_XLCFG_H

#include <stddef.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

#define HV_XLCFG_MAX (1u << 20) /* bytes of xl.cfg we accept */

/*
 * Parse len bytes of xl.cfg into *def. origin names the file in messages
 * (NULL: "xl.cfg"). Returns 0, -EMSGSIZE (empty, or over HV_XLCFG_MAX),
 * -EINVAL (syntax, or a value that cannot be mapped) or -ENOMEM. *def is
 * overwritten; it is the caller's on success, and zeroed on failure.
 */
int hv_xlcfg_parse(const char *text, size_t len, const char *origin,
                   struct hv_vmdef *def, struct hv_error *err);

/*
 * Write def (kind HV_KIND_XEN) as an HVM guest's xl.cfg, its notes as
 * comments. Memory is rounded up to whole MiB. Returns 0 with *out a
 * NUL-terminated string that the caller frees, or -EINVAL (a disk format
 * or bus xl cannot take, a string that cannot be written) or -ENOMEM with
 * *out untouched.
 */
int hv_xlcfg_write(const struct hv_vmdef *def, char **out,
                   struct hv_error *err);

#endif
