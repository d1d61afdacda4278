/*
 * vmdef.c: names of the neutral definition's values, and its notes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hypervisor/vmdef.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kind_names[] = {
	[HV_KIND_KVM] = "kvm",
	[HV_KIND_XEN] = "xen",
	[HV_KIND_VMWARE] = "vmware",
};

static const char *const format_names[] = {
	[HV_IMG_RAW] = "raw", [HV_IMG_QCOW2] = "qcow2", [HV_IMG_VMDK] = "vmdk",
	[HV_IMG_VPC] = "vpc", [HV_IMG_VHDX] = "vhdx",
};

static const char *const bus_names[] = {
	[HV_BUS_VIRTIO] = "virtio", [HV_BUS_SATA] = "sata",
	[HV_BUS_IDE] = "ide",       [HV_BUS_SCSI] = "scsi",
	[HV_BUS_NVME] = "nvme",     [HV_BUS_XEN] = "xen",
};

static const char *const nic_names[] = {
	[HV_NIC_VIRTIO] = "virtio",   [HV_NIC_E1000] = "e1000",
	[HV_NIC_E1000E] = "e1000e",   [HV_NIC_RTL8139] = "rtl8139",
	[HV_NIC_VMXNET3] = "vmxnet3", [HV_NIC_NETFRONT] = "netfront",
	[HV_NIC_PCNET] = "pcnet",
};

static const char *const scsi_names[] = {
	[HV_SCSI_DEFAULT] = "default",   [HV_SCSI_VIRTIO] = "virtio-scsi",
	[HV_SCSI_LSILOGIC] = "lsilogic", [HV_SCSI_LSISAS1068] = "lsisas1068",
	[HV_SCSI_PVSCSI] = "pvscsi",     [HV_SCSI_BUSLOGIC] = "buslogic",
};

static const char *const serial_names[] = {
	[HV_SERIAL_PTY] = "pty",
	[HV_SERIAL_FILE] = "file",
};

static const char *name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n && names[v] ? names[v] : "?";
}

const char *hv_kind_name(enum hv_kind kind)
{
	return name_of(kind_names, ARRAY_LEN(kind_names), kind);
}

const char *hv_img_format_name(enum hv_img_format f)
{
	return name_of(format_names, ARRAY_LEN(format_names), f);
}

const char *hv_disk_bus_name(enum hv_disk_bus bus)
{
	return name_of(bus_names, ARRAY_LEN(bus_names), bus);
}

const char *hv_nic_model_name(enum hv_nic_model m)
{
	return name_of(nic_names, ARRAY_LEN(nic_names), m);
}

const char *hv_scsi_model_name(enum hv_scsi_model m)
{
	return name_of(scsi_names, ARRAY_LEN(scsi_names), m);
}

const char *hv_serial_type_name(enum hv_serial_type t)
{
	return name_of(serial_names, ARRAY_LEN(serial_names), t);
}

static int parse_name(const char *const *names, size_t n, const char *s,
                      unsigned int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i] && strcmp(names[i], s) == 0) {
			*out = (unsigned int)i;
			return 0;
		}
	}
	return -EINVAL;
}

#define VMDEF_PARSER(fn, type, names)                                          \
	int fn(const char *s, type *out)                                       \
	{                                                                      \
		unsigned int v;                                                \
		int rc = parse_name(names, ARRAY_LEN(names), s, &v);           \
                                                                               \
		if (rc == 0)                                                   \
			*out = (type)v;                                        \
		return rc;                                                     \
	}

VMDEF_PARSER(hv_kind_parse, enum hv_kind, kind_names)
VMDEF_PARSER(hv_img_format_parse, enum hv_img_format, format_names)
VMDEF_PARSER(hv_disk_bus_parse, enum hv_disk_bus, bus_names)
VMDEF_PARSER(hv_nic_model_parse, enum hv_nic_model, nic_names)
VMDEF_PARSER(hv_scsi_model_parse, enum hv_scsi_model, scsi_names)

bool hv_vmserial_is_valid(const struct hv_vmserial *s)
{
	return (s->type == HV_SERIAL_PTY || s->type == HV_SERIAL_FILE) &&
	       memchr(s->path, '\0', sizeof(s->path)) &&
	       (s->type == HV_SERIAL_FILE) == (s->path[0] != '\0');
}

int hv_vmdef_serial_add(struct hv_vmdef *def, enum hv_serial_type type,
                        const char *path)
{
	struct hv_vmserial *s;
	size_t n = path ? strlen(path) : 0;

	if (type != HV_SERIAL_PTY && type != HV_SERIAL_FILE)
		return -EINVAL;
	if ((type == HV_SERIAL_FILE) != (n > 0))
		return -EINVAL;
	if (n >= sizeof(s->path))
		return -ENAMETOOLONG;
	if (def->n_serials >= HV_VMDEF_MAX_SERIALS)
		return -ENOSPC;
	s = &def->serials[def->n_serials++];
	s->type = type;
	memcpy(s->path, n ? path : "", n + 1);
	return 0;
}

void hv_vmdef_init(struct hv_vmdef *def)
{
	memset(def, 0, sizeof(*def));
}

void hv_vmdef_note(struct hv_vmdef *def, const char *fmt, ...)
{
	va_list ap;

	if (def->n_notes >= HV_VMDEF_MAX_NOTES) {
		def->notes_truncated = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(def->notes[def->n_notes], HV_VMDEF_NOTE_MAX, fmt, ap);
	va_end(ap);
	def->n_notes++;
}
