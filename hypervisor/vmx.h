/*
 * vmx.h: read a VMware .vmx file into a struct hv_vmdef, and write one.
 *
 * A .vmx is a flat dictionary, one `key = "value"` a line: keys are
 * case-insensitive, values are quoted with |XX hex escapes (|22 for a
 * quote), '#' starts a comment. The reader maps the VM's name, BIOS UUID,
 * memory, vCPUs, firmware, guest OS, disks and cdroms (scsi, sata, ide,
 * nvme), NICs and serial ports that write to a file (serialN.fileType
 * "file"); each device group it does not map (sound card, USB, a serial
 * port on a pipe, the network or a host device...) gets one note, bookkeeping
 * keys (config.version, tools.*...) are ignored, and other keys are listed in
 * one note.
 */
#ifndef SKYFERRY_HV_VMX_H
#define SKYFERRY_HV_VMX_H

#include <stddef.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

#define HV_VMX_MAX (1u << 20) /* bytes of .vmx we accept */

/*
 * Parse len bytes of .vmx text into *def (kind HV_KIND_VMWARE). origin
 * names the file in messages ("disk.vmx"; NULL: "vmx"). Returns 0 or a
 * negative errno: -EMSGSIZE (empty, or over HV_VMX_MAX), -EINVAL with
 * "origin:line:column: ..." for a syntax error or "origin:line: ..." for a
 * value that is wrong, -ENOMEM. *def is overwritten, and zeroed on failure.
 */
int hv_vmx_parse(const char *text, size_t len, const char *origin,
                 struct hv_vmdef *def, struct hv_error *err);

/*
 * Write def as a .vmx (virtualHW.version 14). def must be for VMware
 * (convert it first): a virtio or xen bus, a NIC model VMware lacks, a
 * disk that is not a .vmdk, a slot VMware does not have, two devices in
 * one slot, or a serial port on a pty (VMware has none) are refused with
 * -EINVAL and err naming them. What the writer changes is said in comments: an
 * empty guest OS becomes "other-64", and memory is rounded up to a multiple of
 * 4 MiB. A VMDK's subformat and a NIC's is_bridge are not written (the
 * descriptor and the port group say them). Serial port i is serialI, fileType
 * "file". def's notes are written as comments.
 *
 * Returns 0 and a NUL-terminated *out that the caller frees (the caller's
 * on success only), or a negative errno with err filled.
 */
int hv_vmx_write(const struct hv_vmdef *def, char **out, struct hv_error *err);

#endif
