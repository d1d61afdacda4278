/*
 * vmdef_xml.h: libvirt domain XML <-> the neutral VM definition.
 *
 * The reader takes the domain XML of the QEMU (type kvm or qemu), libxl
 * (type xen) and ESX (type vmware) drivers. The writer gives domain XML
 * for KVM and Xen (HVM); a VMware definition is a .vmx (hv_vmx_write).
 * What the writer emits reads back as the same definition, except for its
 * notes and disk subformats (domain XML has none: QEMU reads it from the
 * image).
 */
#ifndef SKYFERRY_HV_VMDEF_XML_H
#define SKYFERRY_HV_VMDEF_XML_H

#include <stddef.h>

#include "hypervisor/hv_error.h"
#include "hypervisor/vmdef.h"

/* The namespace of skyferry's <metadata> element (the VMware guestOS). */
#define HV_VMDEF_XML_NS "https://skyferry.example/vmdef/1"

/*
 * Parse len bytes of domain XML into *def. Parsing is defensive as in
 * domxml.h (no network, no DOCTYPE, at most HV_DOMXML_MAX bytes).
 * <serial type='pty'> and <serial type='file'> are mapped, in the order of
 * their <target port=> (a <console> on a serial port repeats one and is
 * passed over); devices that have no place in a definition (graphics,
 * sound, a serial port on a TCP socket...) become one note per kind. Returns 0
 * or a negative errno: -EMSGSIZE (empty or too large), -EINVAL (malformed, with
 * libxml2's line and column; or an element or attribute that is missing,
 * duplicated, out of range or unknown, named in the message), -ENOMEM. *def is
 * the caller's on success only.
 */
int hv_vmdef_xml_parse(const char *xml, size_t len, struct hv_vmdef *def,
                       struct hv_error *err);

/*
 * Write def as libvirt domain XML for def->kind (KVM or XEN), built with
 * libxml2's tree API; serial ports as <serial type='pty'> or type='file'
 * (append='on'), libvirt adding the serial console. Returns 0 and a
 * NUL-terminated string in *out that the caller frees with free(), or a
 * negative errno: -EINVAL for a kind without domain XML (VMware) or a
 * definition the target cannot take (a bus, model, position or format its
 * profile lacks, two disks at one position, text that is not UTF-8), -ENOMEM.
 * *out is set on success only.
 */
int hv_vmdef_xml_write(const struct hv_vmdef *def, char **out,
                       struct hv_error *err);

/*
 * The <target dev=> name the writer gives disk i of def: vdX for virtio,
 * xvdX for Xen, hdX by IDE position, sdX in order over SATA and SCSI,
 * nvmeCnU for NVMe. Also the name notes use for a disk.
 */
void hv_vmdef_disk_name(const struct hv_vmdef *def, size_t i, char *buf,
                        size_t size);

#endif
