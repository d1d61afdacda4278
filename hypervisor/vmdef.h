/*
 * vmdef.h: a VM definition in hypervisor-neutral terms.
 *
 * Every definition format skyferry reads (libvirt domain XML for KVM, Xen
 * or VMware, a VMware .vmx, a Xen xl.cfg) is parsed into a struct
 * hv_vmdef, converted for a target hypervisor (hv_vmdef_convert), and
 * written in the target's own format. What a reader sees but cannot map
 * (a sound card, a USB controller, a serial port) is not dropped silently:
 * it is added to the definition's notes, which the converter extends with
 * every device model it had to change, and which the CLI prints.
 */
#ifndef SKYFERRY_HV_VMDEF_H
#define SKYFERRY_HV_VMDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/hv_error.h"

#define HV_VMDEF_MAX_DISKS   32
#define HV_VMDEF_MAX_NICS    16
#define HV_VMDEF_MAX_SERIALS 4
#define HV_VMDEF_MAX_NOTES   64
#define HV_VMDEF_NOTE_MAX    200 /* bytes of one note, with the NUL */

/* The hypervisor families skyferry knows (hypervisor/kvm.c, xen.c, vmware.c).
 */
enum hv_kind {
	HV_KIND_KVM,
	HV_KIND_XEN,
	HV_KIND_VMWARE,
};

enum hv_firmware {
	HV_FW_BIOS,
	HV_FW_UEFI,
};

/* Disk image formats, as QEMU's block layer names them. */
enum hv_img_format {
	HV_IMG_RAW,
	HV_IMG_QCOW2,
	HV_IMG_VMDK, /* subformat: monolithicSparse, streamOptimized,
	                monolithicFlat */
	HV_IMG_VPC,  /* VHD; subformat: dynamic (default) or fixed */
	HV_IMG_VHDX,
};

/*
 * Disk buses. HV_BUS_XEN is Xen's paravirtual block device (xvdX); a Xen HVM
 * guest without PV drivers sees its first disks as IDE instead.
 */
enum hv_disk_bus {
	HV_BUS_VIRTIO,
	HV_BUS_SATA,
	HV_BUS_IDE,
	HV_BUS_SCSI,
	HV_BUS_NVME,
	HV_BUS_XEN,
};

/* The SCSI controller model, meaningful only with HV_BUS_SCSI. */
enum hv_scsi_model {
	HV_SCSI_DEFAULT,    /* whatever the hypervisor picks */
	HV_SCSI_VIRTIO,     /* virtio-scsi (KVM) */
	HV_SCSI_LSILOGIC,   /* LSI Logic Parallel (VMware "lsilogic") */
	HV_SCSI_LSISAS1068, /* LSI Logic SAS (VMware "lsisas1068") */
	HV_SCSI_PVSCSI,     /* VMware Paravirtual */
	HV_SCSI_BUSLOGIC,
};

enum hv_disk_device {
	HV_DEV_DISK,
	HV_DEV_CDROM,
};

enum hv_nic_model {
	HV_NIC_VIRTIO,
	HV_NIC_E1000,
	HV_NIC_E1000E,
	HV_NIC_RTL8139,
	HV_NIC_VMXNET3,
	HV_NIC_NETFRONT, /* Xen's paravirtual vif */
	HV_NIC_PCNET,    /* VMware "vlance" */
};

struct hv_vmdisk {
	char path[4096]; /* image file as the definition names it; ""
	                    for an empty cdrom */
	enum hv_img_format format;
	char subformat[32]; /* "" = the format's default */
	enum hv_disk_device device;
	enum hv_disk_bus bus;
	enum hv_scsi_model scsi_model;
	unsigned int controller; /* bus controller index (vmx scsi1:0 -> 1) */
	unsigned int unit;       /* position on that controller */
	bool readonly;
};

struct hv_vmnic {
	char mac[18]; /* lower case aa:bb:cc:dd:ee:ff, "" = generated */
	enum hv_nic_model model;
	char network[256]; /* bridge, network or port group name, "" if none */
	bool is_bridge;    /* network names a host bridge, not a network */
};

/*
 * What a serial port is connected to on the host: the two every format
 * can say (libvirt <serial type='pty'|'file'>, xl.cfg "pty" and
 * "file:PATH", a VMware serialN.fileType "file" -- VMware has no pty).
 */
enum hv_serial_type {
	HV_SERIAL_PTY,
	HV_SERIAL_FILE,
};

struct hv_vmserial {
	enum hv_serial_type type;
	char path[4096]; /* HV_SERIAL_FILE: the file the output goes to;
	                    "" for a pty */
};

struct hv_vmdef {
	enum hv_kind kind; /* the hypervisor this definition is for */
	char name[256];
	char uuid[37]; /* canonical lower case, "" if the source had none */
	uint64_t memory_kib;
	unsigned int vcpus;
	enum hv_firmware firmware;
	char guest_os[64]; /* VMware guestOS hint ("debian12-64"), "" if unknown
	                    */
	struct hv_vmdisk disks[HV_VMDEF_MAX_DISKS];
	size_t n_disks;
	struct hv_vmnic nics[HV_VMDEF_MAX_NICS];
	size_t n_nics;
	/* What could not be mapped, or was changed, one line each. */
	char notes[HV_VMDEF_MAX_NOTES][HV_VMDEF_NOTE_MAX];
	size_t n_notes;
	bool notes_truncated; /* more notes were added than fit */
	/* Serial ports in port order, without gaps: serials[0] is ttyS0. */
	struct hv_vmserial serials[HV_VMDEF_MAX_SERIALS];
	size_t n_serials;
};

/* Options for hv_vmdef_convert. */
struct hv_convert_opts {
	enum hv_kind target;
	/*
	 * The guest has the target's paravirtual drivers (virtio on KVM, xvd
	 * and netfront on Xen, pvscsi and vmxnet3 on VMware). Without it, disks
	 * and NICs are given models every guest can drive (SATA or IDE, e1000).
	 */
	bool paravirt;
};

/* Names, for messages and the CLI; "?" for an out-of-range value. */
const char *hv_kind_name(enum hv_kind kind); /* kvm, xen, vmware */
const char *
hv_img_format_name(enum hv_img_format f); /* raw, qcow2, vmdk, vpc, vhdx */
const char *
hv_disk_bus_name(enum hv_disk_bus bus); /* virtio, sata, ide, scsi, nvme, xen */
const char *hv_nic_model_name(enum hv_nic_model m); /* virtio, e1000, ... */

const char *hv_scsi_model_name(
    enum hv_scsi_model m); /* default, virtio-scsi, lsilogic, ... */
const char *hv_serial_type_name(enum hv_serial_type t); /* pty, file */

/* Parse a name back; -EINVAL for an unknown one. */
int hv_kind_parse(const char *s, enum hv_kind *out);
int hv_img_format_parse(const char *s, enum hv_img_format *out);
int hv_disk_bus_parse(const char *s, enum hv_disk_bus *out);
int hv_nic_model_parse(const char *s, enum hv_nic_model *out);
int hv_scsi_model_parse(const char *s, enum hv_scsi_model *out);

/*
 * Append a serial port to def (path: HV_SERIAL_FILE only, else NULL).
 * Returns 0, -ENOSPC when def has HV_VMDEF_MAX_SERIALS already,
 * -ENAMETOOLONG for a path that does not fit, -EINVAL for an unknown type,
 * a file without a path or a pty with one. def changes on success only.
 */
int hv_vmdef_serial_add(struct hv_vmdef *def, enum hv_serial_type type,
                        const char *path);

/*
 * s keeps the promise of struct hv_vmserial: a known type, a terminated
 * path, non-empty for a file and empty for a pty.
 */
bool hv_vmserial_is_valid(const struct hv_vmserial *s);

/* Zero *def. */
void hv_vmdef_init(struct hv_vmdef *def);

/*
 * Add a note (printf-style). Past HV_VMDEF_MAX_NOTES notes, or a note
 * longer than HV_VMDEF_NOTE_MAX - 1 bytes, sets notes_truncated / cuts the
 * note; it never fails.
 */
void hv_vmdef_note(struct hv_vmdef *def, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Convert src for opts->target into *dst: device models the target lacks,
 * or the guest may not drive, are replaced and each change is noted; the
 * notes of src are kept. Disk paths and formats are left as they are (the
 * caller decides where converted images go). Returns 0 or -EINVAL (with
 * err) when src cannot be expressed on the target at all.
 */
int hv_vmdef_convert(const struct hv_vmdef *src,
                     const struct hv_convert_opts *opts, struct hv_vmdef *dst,
                     struct hv_error *err);

#endif
