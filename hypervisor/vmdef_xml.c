/*
 * vmdef_xml.c: read libvirt domain XML into a neutral VM definition, and
 * write one back for KVM or Xen.
 *
 * The reader uses domxml.c's defensive helpers (domxml_priv.h). The writer
 * builds a libxml2 tree, so every name and path is escaped by libxml2, and
 * latches the first allocation failure so that the tree code can go on
 * without checking every call.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include "hypervisor/domxml.h"
#include "hypervisor/domxml_priv.h"
#include "hypervisor/hvprofile.h"
#include "hypervisor/vmdef_xml.h"

#define ARRAY_LEN(a)        (sizeof(a) / sizeof((a)[0]))
#define VX_DEV_MAX          32 /* bytes of a <target dev=> name */
#define VX_SCSI_CONTROLLERS 32
#define VX_POSITION_MAX     1023 /* controller or unit in an <address> */
#define VX_MAX_KINDS        24   /* kinds of unmapped device noted */
#define VX_SERIAL_PORTS     32   /* <serial><target port=> 0..31 */
#define VX_XEN_OVMF         "/usr/lib/xen/boot/ovmf.bin"

/* A name in domain XML and the value it stands for. */
struct vx_name {
	const char *name;
	int value;
};

static const struct vx_name bus_names[] = {
	{ "virtio", HV_BUS_VIRTIO }, { "sata", HV_BUS_SATA },
	{ "ide", HV_BUS_IDE },       { "scsi", HV_BUS_SCSI },
	{ "xen", HV_BUS_XEN },
};

static const struct vx_name format_names[] = {
	{ "raw", HV_IMG_RAW },   { "qcow2", HV_IMG_QCOW2 },
	{ "vmdk", HV_IMG_VMDK }, { "vpc", HV_IMG_VPC },
	{ "vhdx", HV_IMG_VHDX }, { "vhd", HV_IMG_VPC }, /* xl's name */
	{ "aio", HV_IMG_RAW }, /* Xen's old blktap "tap:aio" */
};

/* First names are what the writer uses. */
static const struct vx_name nic_names[] = {
	{ "virtio", HV_NIC_VIRTIO },
	{ "e1000", HV_NIC_E1000 },
	{ "e1000e", HV_NIC_E1000E },
	{ "rtl8139", HV_NIC_RTL8139 },
	{ "vmxnet3", HV_NIC_VMXNET3 },
	{ "netfront", HV_NIC_NETFRONT },
	{ "pcnet", HV_NIC_PCNET },
	{ "vlance", HV_NIC_PCNET }, /* the ESX driver's name */
	{ "virtio-transitional", HV_NIC_VIRTIO },
	{ "virtio-non-transitional", HV_NIC_VIRTIO },
};

/*
 * SCSI controller models. On KVM and Xen, libvirt's "lsilogic" is QEMU's
 * own LSI 53C895A, which is what the default gives there too.
 */
static const struct vx_name scsi_names[] = {
	{ "virtio-scsi", HV_SCSI_VIRTIO },
	{ "lsilogic", HV_SCSI_LSILOGIC },
	{ "lsisas1068", HV_SCSI_LSISAS1068 },
	{ "vmpvscsi", HV_SCSI_PVSCSI },
	{ "buslogic", HV_SCSI_BUSLOGIC },
	{ "auto", HV_SCSI_DEFAULT },
	{ "virtio-transitional", HV_SCSI_VIRTIO },
	{ "virtio-non-transitional", HV_SCSI_VIRTIO },
};

/* Device elements read without a note: plumbing every guest has. */
static const char *const quiet_devices[] = { "emulator",   "controller",
	                                     "memballoon", "disk",
	                                     "interface",  "serial" };

static int vx_lookup(const struct vx_name *names, size_t n, const char *s,
                     int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(names[i].name, s)) {
			*out = names[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *vx_name_of(const struct vx_name *names, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].value == v)
			return names[i].name;
	return "?";
}

/* Disk names: a, b, ..., z, aa, ab, ... as libvirt counts them. */
static void vx_letters(unsigned long idx, char *buf, size_t size)
{
	char tmp[16];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('a' + idx % 26);
		idx = idx / 26;
	} while (idx-- > 0 && n < sizeof(tmp));
	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = tmp[n - 1 - i];
	if (size)
		buf[i < size ? i : size - 1] = '\0';
}

/* The index of the letters after prefix in dev ("sdc" -> 2), or -1. */
static long vx_dev_index(const char *dev, const char *prefix)
{
	size_t plen = strlen(prefix), n;
	long idx = -1;

	if (strncmp(dev, prefix, plen))
		return -1;
	dev += plen;
	n = strspn(dev, "abcdefghijklmnopqrstuvwxyz");
	if (n == 0 || n > 3 || dev[n])
		return -1;
	for (size_t i = 0; i < n; i++)
		idx = (idx + 1) * 26 + (dev[i] - 'a');
	return idx;
}

void hv_vmdef_disk_name(const struct hv_vmdef *def, size_t i, char *buf,
                        size_t size)
{
	const struct hv_vmdisk *d = &def->disks[i];
	unsigned long idx = 0;
	char letters[16];

	switch (d->bus) {
	case HV_BUS_VIRTIO:
		vx_letters(d->unit, letters, sizeof(letters));
		snprintf(buf, size, "vd%s", letters);
		return;
	case HV_BUS_XEN:
		vx_letters(d->unit, letters, sizeof(letters));
		snprintf(buf, size, "xvd%s", letters);
		return;
	case HV_BUS_IDE:
		vx_letters((unsigned long)d->controller * 2 + d->unit, letters,
		           sizeof(letters));
		snprintf(buf, size, "hd%s", letters);
		return;
	case HV_BUS_NVME:
		snprintf(buf, size, "nvme%un%u", d->controller, d->unit + 1);
		return;
	default:
		for (size_t j = 0; j < i; j++)
			idx += def->disks[j].bus == HV_BUS_SATA ||
			       def->disks[j].bus == HV_BUS_SCSI;
		vx_letters(idx, letters, sizeof(letters));
		snprintf(buf, size, "sd%s", letters);
		return;
	}
}

/* Reader ------------------------------------------------------------------ */

/* What the reader keeps besides the definition. */
struct vx_reader {
	struct hv_vmdef *def;
	char machine[64];
	char devs[HV_VMDEF_MAX_DISKS][VX_DEV_MAX];
	bool scsi_seen[VX_SCSI_CONTROLLERS];
	enum hv_scsi_model scsi_model[VX_SCSI_CONTROLLERS];
	struct hv_vmserial serials[VX_SERIAL_PORTS]; /* by port */
	bool serial_port[VX_SERIAL_PORTS];           /* port taken */
	bool serial_seen;             /* a <serial>, mapped or not */
	bool serial_console;          /* a <console> on a serial port */
	char kinds[VX_MAX_KINDS][40]; /* unmapped device kinds, and counts */
	unsigned int kind_count[VX_MAX_KINDS];
	size_t n_kinds;
	bool more_kinds;
};

/* Attribute name of n as a number 0..max; absent is 0. */
static int vx_uint_attr(const xmlNode *n, const char *name, unsigned int max,
                        unsigned int *out, struct hv_error *err)
{
	char text[16];
	unsigned long v;
	char *end;
	int rc;

	rc = hv_xml_attr(n, name, "0", text, sizeof(text), err);
	if (rc < 0)
		return rc;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (!isdigit((unsigned char)text[0]) || *end || errno || v > max)
		return hv_xml_fail(err, -EINVAL, n,
		                   "<%s %s='%s'> is not a number 0..%u",
		                   (const char *)n->name, name, text, max);
	*out = (unsigned int)v;
	return 0;
}

/* <uuid>: canonical, or 32 hex digits (Xen's old form) made canonical. */
static int vx_uuid(const xmlNode *n, char *uuid, struct hv_error *err)
{
	char text[40], shown[48];
	size_t i, o = 0;
	int rc;

	rc = hv_xml_text(n, text, sizeof(text), err);
	if (rc < 0)
		return rc;
	for (i = 0; text[i]; i++)
		text[i] = (char)tolower((unsigned char)text[i]);
	if (strlen(text) == 32 && strspn(text, "0123456789abcdef") == 32) {
		for (i = 0; i < 32; i++) {
			if (i == 8 || i == 12 || i == 16 || i == 20)
				uuid[o++] = '-';
			uuid[o++] = text[i];
		}
		uuid[o] = '\0';
		return 0;
	}
	if (!hv_uuid_is_canonical(text))
		return hv_xml_fail(err, -EINVAL, n, "<uuid> '%s' is not a UUID",
		                   hv_error_quote(text, shown, sizeof(shown)));
	memcpy(uuid, text, 37);
	return 0;
}

static int vx_identity(const xmlNode *root, struct hv_vmdef *def,
                       struct hv_error *err)
{
	char type[16];
	xmlNode *n;
	int rc;

	rc = hv_xml_attr(root, "type", "", type, sizeof(type), err);
	if (rc < 0)
		return rc;
	if (!strcmp(type, "kvm") || !strcmp(type, "qemu"))
		def->kind = HV_KIND_KVM;
	else if (!strcmp(type, "xen"))
		def->kind = HV_KIND_XEN;
	else if (!strcmp(type, "vmware"))
		def->kind = HV_KIND_VMWARE;
	else
		return hv_xml_fail(
		    err, -EINVAL, root,
		    "<domain type='%s'> is not kvm, qemu, xen or "
		    "vmware",
		    type);
	rc = hv_xml_child(root, "name", &n, err);
	if (rc == 0 && !n)
		rc = hv_xml_fail(err, -EINVAL, root, "<domain> has no <name>");
	if (rc == 0)
		rc = hv_xml_text(n, def->name, sizeof(def->name), err);
	if (rc == 0)
		rc = hv_xml_child(root, "uuid", &n, err);
	if (rc == 0 && n)
		rc = vx_uuid(n, def->uuid, err);
	return rc;
}

/* A <loader> names UEFI by its type or by its OVMF/edk2 path. */
static int vx_loader(const xmlNode *n, struct hv_vmdef *def,
                     struct hv_error *err)
{
	char type[16];
	xmlChar *path;
	int rc;

	rc = hv_xml_attr(n, "type", "", type, sizeof(type), err);
	if (rc < 0)
		return rc;
	path = xmlNodeGetContent(n);
	if (!path)
		return hv_xml_fail(err, -ENOMEM, n, "out of memory");
	if (!strcmp(type, "pflash") || strcasestr((char *)path, "ovmf") ||
	    strcasestr((char *)path, "edk2"))
		def->firmware = HV_FW_UEFI;
	xmlFree(path);
	return 0;
}

/* <os>: firmware, machine, and what a definition cannot carry. */
static int vx_os(const xmlNode *root, struct vx_reader *r, struct hv_error *err)
{
	char firmware[16], type[16] = "";
	xmlNode *os, *n;
	int rc;

	rc = hv_xml_child(root, "os", &os, err);
	if (rc < 0 || !os)
		return rc;
	rc = hv_xml_attr(os, "firmware", "", firmware, sizeof(firmware), err);
	if (rc == 0 && !strcmp(firmware, "efi"))
		r->def->firmware = HV_FW_UEFI;
	if (rc == 0)
		rc = hv_xml_child(os, "type", &n, err);
	if (rc == 0 && n)
		rc = hv_xml_text(n, type, sizeof(type), err);
	if (rc == 0 && n)
		rc = hv_xml_attr(n, "machine", "", r->machine,
		                 sizeof(r->machine), err);
	if (rc == 0)
		rc = hv_xml_child(os, "loader", &n, err);
	if (rc == 0 && n)
		rc = vx_loader(n, r->def, err);
	if (rc == 0)
		rc = hv_xml_child(os, "kernel", &n, err);
	if (rc < 0)
		return rc;
	if (n)
		hv_vmdef_note(r->def, "direct kernel boot (<os><kernel>) is "
		                      "not mapped: the guest boots from disk");
	if (!strcmp(type, "xen") || !strcmp(type, "linux"))
		hv_vmdef_note(r->def,
		              "Xen PV guest (<os><type>%s</type>): it "
		              "is described as an HVM guest",
		              type);
	return 0;
}

/* <metadata><sf:vmdef><sf:guest-os>: the VMware guestOS kept across. */
static int vx_metadata(const xmlNode *root, struct hv_vmdef *def,
                       struct hv_error *err)
{
	const xmlNode *n, *g;
	xmlNode *meta;
	int rc;

	rc = hv_xml_child(root, "metadata", &meta, err);
	for (n = meta ? meta->children : NULL; rc == 0 && n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || !n->ns ||
		    !xmlStrEqual(n->ns->href, BAD_CAST HV_VMDEF_XML_NS) ||
		    !xmlStrEqual(n->name, BAD_CAST "vmdef"))
			continue;
		for (g = n->children; rc == 0 && g; g = g->next)
			if (g->type == XML_ELEMENT_NODE && g->ns == n->ns &&
			    xmlStrEqual(g->name, BAD_CAST "guest-os"))
				rc = hv_xml_text(g, def->guest_os,
				                 sizeof(def->guest_os), err);
	}
	return rc;
}

/* Count one unmapped device of kind name. */
static void vx_unmapped(struct vx_reader *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_kinds; i++) {
		if (!strcmp(r->kinds[i], name)) {
			r->kind_count[i]++;
			return;
		}
	}
	if (r->n_kinds == VX_MAX_KINDS || strlen(name) >= sizeof(r->kinds[0])) {
		r->more_kinds = true;
		return;
	}
	strcpy(r->kinds[r->n_kinds], name);
	r->kind_count[r->n_kinds++] = 1;
}

static void vx_note_unmapped(struct vx_reader *r)
{
	for (size_t i = 0; i < r->n_kinds; i++)
		hv_vmdef_note(r->def, "not mapped: <%s>%s", r->kinds[i],
		              r->kind_count[i] > 1 ? " (more than one)" : "");
	if (r->more_kinds)
		hv_vmdef_note(r->def, "not mapped: other devices");
}

/* The bus libvirt gives a disk whose <target> names none. */
static int vx_bus_of_dev(const char *dev, int *bus)
{
	if (!strncmp(dev, "vd", 2))
		*bus = HV_BUS_VIRTIO;
	else if (!strncmp(dev, "xvd", 3))
		*bus = HV_BUS_XEN;
	else if (!strncmp(dev, "hd", 2))
		*bus = HV_BUS_IDE;
	else if (!strncmp(dev, "sd", 2))
		*bus = HV_BUS_SCSI;
	else
		return -EINVAL;
	return 0;
}

/* A disk's position from its name, as libvirt assigns drive addresses. */
static int vx_position_of_dev(const xmlNode *t, const char *dev,
                              struct hv_vmdisk *d, struct hv_error *err)
{
	static const char *const prefixes[] = { "vd", "xvd", "hd", "sd" };
	long idx = -1;

	for (size_t i = 0; i < ARRAY_LEN(prefixes) && idx < 0; i++)
		idx = vx_dev_index(dev, prefixes[i]);
	if (idx < 0)
		return hv_xml_fail(err, -EINVAL, t,
		                   "<target dev='%s'> is not a disk name "
		                   "(vdX, xvdX, hdX, sdX) and has no <address>",
		                   dev);
	switch (d->bus) {
	case HV_BUS_IDE:
		d->controller = (unsigned int)idx / 2;
		d->unit = (unsigned int)idx % 2;
		break;
	case HV_BUS_SATA:
		d->controller = (unsigned int)idx / 6;
		d->unit = (unsigned int)idx % 6;
		break;
	case HV_BUS_SCSI:
		d->controller = (unsigned int)idx / 7;
		d->unit = (unsigned int)idx % 7;
		break;
	default:
		d->unit = (unsigned int)idx;
		break;
	}
	return 0;
}

/* <address type='drive'>: IDE channels count as controllers. */
static int vx_address(const xmlNode *a, struct hv_vmdisk *d,
                      struct hv_error *err)
{
	unsigned int controller, bus, target;
	int rc;

	rc = vx_uint_attr(a, "controller", VX_POSITION_MAX, &controller, err);
	if (rc == 0)
		rc = vx_uint_attr(a, "bus", 1, &bus, err);
	if (rc == 0)
		rc = vx_uint_attr(a, "target", 0, &target, err);
	if (rc == 0)
		rc = vx_uint_attr(a, "unit", VX_POSITION_MAX, &d->unit, err);
	if (rc < 0)
		return rc;
	if (d->bus == HV_BUS_IDE) {
		d->controller = controller * 2 + bus;
		return 0;
	}
	if (bus)
		return hv_xml_fail(err, -EINVAL, a,
		                   "<address bus='%u'>: only IDE has bus 1",
		                   bus);
	d->controller = controller;
	return 0;
}

static int vx_disk_target(const xmlNode *n, struct hv_vmdisk *d, char *dev,
                          bool *skip, struct hv_error *err)
{
	char bus[16], type[16];
	xmlNode *t, *a;
	int rc, v;

	rc = hv_xml_child(n, "target", &t, err);
	if (rc == 0 && !t)
		rc = hv_xml_fail(err, -EINVAL, n, "<disk> has no <target>");
	if (rc == 0)
		rc = hv_xml_attr(t, "dev", "", dev, VX_DEV_MAX, err);
	if (rc == 0 && !dev[0])
		rc = hv_xml_fail(err, -EINVAL, t, "<target> has no dev=");
	if (rc == 0)
		rc = hv_xml_attr(t, "bus", "", bus, sizeof(bus), err);
	if (rc < 0)
		return rc;
	if (bus[0] ? vx_lookup(bus_names, ARRAY_LEN(bus_names), bus, &v)
	           : vx_bus_of_dev(dev, &v)) {
		if (d->device == HV_DEV_CDROM) {
			*skip = true;
			return 0;
		}
		return hv_xml_fail(err, -EINVAL, t,
		                   "disk %s: bus '%s' is not virtio, sata, "
		                   "ide, scsi or xen",
		                   dev, bus);
	}
	d->bus = (enum hv_disk_bus)v;
	rc = hv_xml_child(n, "address", &a, err);
	if (rc == 0 && a)
		rc = hv_xml_attr(a, "type", "", type, sizeof(type), err);
	if (rc < 0)
		return rc;
	if (a && !strcmp(type, "drive") && d->bus != HV_BUS_VIRTIO &&
	    d->bus != HV_BUS_XEN)
		return vx_address(a, d, err);
	return vx_position_of_dev(t, dev, d, err);
}

/* <disk>'s file: which attribute holds it depends on the type. */
static int vx_disk_source(const xmlNode *n, struct hv_vmdisk *d,
                          const char *dev, struct hv_error *err)
{
	char type[16];
	xmlNode *src;
	int rc;

	rc = hv_xml_attr(n, "type", "file", type, sizeof(type), err);
	if (rc == 0)
		rc = hv_xml_child(n, "source", &src, err);
	if (rc < 0)
		return rc;
	if (strcmp(type, "file") && strcmp(type, "block")) {
		if (d->device == HV_DEV_CDROM && !src)
			return 0;
		return hv_xml_fail(
		    err, -EINVAL, n,
		    "disk %s: a '%s' disk has no file to convert", dev, type);
	}
	if (src)
		rc = hv_xml_attr(src, strcmp(type, "file") ? "dev" : "file", "",
		                 d->path, sizeof(d->path), err);
	if (rc == 0 && !d->path[0] && d->device == HV_DEV_DISK)
		rc = hv_xml_fail(err, -EINVAL, n, "disk %s has no <source>",
		                 dev);
	return rc;
}

static int vx_disk_format(const xmlNode *n, struct hv_vmdisk *d,
                          enum hv_kind kind, const char *dev,
                          struct hv_error *err)
{
	char format[16];
	xmlNode *driver;
	int rc, v;

	/* The ESX driver names no format: VMware disks are VMDK. */
	d->format = kind == HV_KIND_VMWARE && d->device == HV_DEV_DISK
	                ? HV_IMG_VMDK
	                : HV_IMG_RAW;
	rc = hv_xml_child(n, "driver", &driver, err);
	if (rc == 0 && driver)
		rc = hv_xml_attr(driver, "type", "", format, sizeof(format),
		                 err);
	if (rc < 0 || !driver || !format[0])
		return rc;
	if (vx_lookup(format_names, ARRAY_LEN(format_names), format, &v))
		return hv_xml_fail(err, -EINVAL, driver,
		                   "disk %s: <driver type='%s'> is not raw, "
		                   "qcow2, vmdk, vpc or vhdx",
		                   dev, format);
	d->format = (enum hv_img_format)v;
	return 0;
}

static int vx_disk(const xmlNode *n, struct vx_reader *r, struct hv_error *err)
{
	struct hv_vmdef *def = r->def;
	struct hv_vmdisk *d = &def->disks[def->n_disks];
	char device[16], *dev = r->devs[def->n_disks];
	bool skip = false;
	xmlNode *ro;
	int rc;

	rc = hv_xml_attr(n, "device", "disk", device, sizeof(device), err);
	if (rc < 0)
		return rc;
	if (strcmp(device, "disk") && strcmp(device, "cdrom")) {
		vx_unmapped(r, strcmp(device, "floppy")
		                   ? "disk device='lun'"
		                   : "disk device='floppy'");
		return 0;
	}
	if (def->n_disks == HV_VMDEF_MAX_DISKS)
		return hv_xml_fail(err, -EINVAL, n,
		                   "more than %d <disk> elements",
		                   HV_VMDEF_MAX_DISKS);
	memset(d, 0, sizeof(*d));
	d->device = strcmp(device, "cdrom") ? HV_DEV_DISK : HV_DEV_CDROM;
	rc = vx_disk_target(n, d, dev, &skip, err);
	if (rc < 0 || skip) {
		if (skip)
			vx_unmapped(r, "disk device='cdrom' on this bus");
		return rc;
	}
	rc = vx_disk_source(n, d, dev, err);
	if (rc == 0)
		rc = vx_disk_format(n, d, def->kind, dev, err);
	if (rc == 0)
		rc = hv_xml_child(n, "readonly", &ro, err);
	if (rc < 0)
		return rc;
	d->readonly = ro != NULL;
	def->n_disks++;
	return 0;
}

/* The model a NIC without <model> gets from libvirt on each hypervisor. */
static enum hv_nic_model vx_default_nic(const struct vx_reader *r)
{
	switch (r->def->kind) {
	case HV_KIND_KVM:
		return strstr(r->machine, "q35") ? HV_NIC_E1000E
		                                 : HV_NIC_RTL8139;
	case HV_KIND_XEN:
		return HV_NIC_NETFRONT;
	default:
		return HV_NIC_E1000;
	}
}

static int vx_nic_model(const xmlNode *n, struct vx_reader *r,
                        struct hv_vmnic *nic, size_t i, struct hv_error *err)
{
	char model[32], shown[40];
	xmlNode *m;
	int rc, v;

	nic->model = vx_default_nic(r);
	rc = hv_xml_child(n, "model", &m, err);
	if (rc == 0 && m)
		rc = hv_xml_attr(m, "type", "", model, sizeof(model), err);
	if (rc < 0)
		return rc;
	if (!m || !model[0]) {
		hv_vmdef_note(r->def, "nic %zu: no <model>: taken as %s", i,
		              hv_nic_model_name(nic->model));
	} else if (vx_lookup(nic_names, ARRAY_LEN(nic_names), model, &v)) {
		nic->model = HV_NIC_E1000;
		hv_vmdef_note(r->def,
		              "nic %zu: model '%s' is not known: taken "
		              "as e1000",
		              i, hv_error_quote(model, shown, sizeof(shown)));
	} else {
		nic->model = (enum hv_nic_model)v;
	}
	return 0;
}

static int vx_nic(const xmlNode *n, struct vx_reader *r, struct hv_error *err)
{
	struct hv_vmdef *def = r->def;
	struct hv_vmnic *nic = &def->nics[def->n_nics];
	size_t i = def->n_nics;
	char type[16], shown[48];
	xmlNode *mac, *src;
	int rc;

	if (def->n_nics == HV_VMDEF_MAX_NICS)
		return hv_xml_fail(err, -EINVAL, n,
		                   "more than %d <interface> elements",
		                   HV_VMDEF_MAX_NICS);
	memset(nic, 0, sizeof(*nic));
	rc = hv_xml_attr(n, "type", "", type, sizeof(type), err);
	if (rc == 0)
		rc = hv_xml_child(n, "mac", &mac, err);
	if (rc == 0 && mac)
		rc = hv_xml_attr(mac, "address", "", nic->mac, sizeof(nic->mac),
		                 err);
	for (char *p = nic->mac; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (rc == 0 && mac && !hv_mac_is_canonical(nic->mac))
		rc =
		    hv_xml_fail(err, -EINVAL, mac,
		                "<mac address='%s'> is not a unicast MAC "
		                "address",
		                hv_error_quote(nic->mac, shown, sizeof(shown)));
	if (rc == 0)
		rc = hv_xml_child(n, "source", &src, err);
	nic->is_bridge = !strcmp(type, "bridge");
	if (rc == 0 && src && (nic->is_bridge || !strcmp(type, "network")))
		rc = hv_xml_attr(src, nic->is_bridge ? "bridge" : "network", "",
		                 nic->network, sizeof(nic->network), err);
	if (rc == 0)
		rc = vx_nic_model(n, r, nic, i, err);
	if (rc < 0)
		return rc;
	if (!nic->network[0] && strcmp(type, "ethernet"))
		hv_vmdef_note(def,
		              "nic %zu: <interface type='%s'> is not "
		              "mapped: no network",
		              i, hv_error_quote(type, shown, sizeof(shown)));
	nic->is_bridge = nic->is_bridge && nic->network[0];
	def->n_nics++;
	return 0;
}

/* <controller type='scsi'>: remember its model for the disks on it. */
static int vx_controller(const xmlNode *n, struct vx_reader *r,
                         struct hv_error *err)
{
	char type[16], model[32], shown[40];
	unsigned int index;
	int rc, v = HV_SCSI_DEFAULT;

	rc = hv_xml_attr(n, "type", "", type, sizeof(type), err);
	if (rc < 0 || strcmp(type, "scsi"))
		return rc;
	rc = vx_uint_attr(n, "index", VX_SCSI_CONTROLLERS - 1, &index, err);
	if (rc == 0)
		rc = hv_xml_attr(n, "model", "", model, sizeof(model), err);
	if (rc < 0)
		return rc;
	if (r->scsi_seen[index])
		return hv_xml_fail(err, -EINVAL, n,
		                   "scsi controller %u appears twice", index);
	if (model[0] &&
	    vx_lookup(scsi_names, ARRAY_LEN(scsi_names), model, &v)) {
		hv_vmdef_note(r->def,
		              "scsi controller %u: model '%s' is not "
		              "known: taken as the default",
		              index,
		              hv_error_quote(model, shown, sizeof(shown)));
		v = HV_SCSI_DEFAULT;
	}
	/* QEMU's "lsilogic" is its default 53C895A, not VMware's. */
	if (v == HV_SCSI_LSILOGIC && r->def->kind != HV_KIND_VMWARE)
		v = HV_SCSI_DEFAULT;
	r->scsi_seen[index] = true;
	r->scsi_model[index] = (enum hv_scsi_model)v;
	return 0;
}

/*
 * <serial type='pty'> or type='file' with <source path=>, kept by its
 * <target port=>; without one it takes the lowest free port, as libvirt
 * gives it. Other types (tcp, unix, udp, dev, pipe...) are noted.
 */
static int vx_serial(const xmlNode *n, struct vx_reader *r,
                     struct hv_error *err)
{
	char type[24], kind[64], port_text[16];
	struct hv_vmserial s = { HV_SERIAL_PTY, "" };
	unsigned int port = 0;
	xmlNode *src = NULL, *t;
	int rc;

	r->serial_seen = true;
	rc = hv_xml_attr(n, "type", "pty", type, sizeof(type), err);
	if (rc == 0)
		rc = hv_xml_child(n, "target", &t, err);
	if (rc == 0 && t)
		rc = hv_xml_attr(t, "port", "", port_text, sizeof(port_text),
		                 err);
	if (rc == 0 && t && port_text[0])
		rc = vx_uint_attr(t, "port", VX_SERIAL_PORTS - 1, &port, err);
	if (rc == 0 && !strcmp(type, "file"))
		rc = hv_xml_child(n, "source", &src, err);
	if (rc == 0 && src)
		rc = hv_xml_attr(src, "path", "", s.path, sizeof(s.path), err);
	if (rc < 0)
		return rc;
	if (strcmp(type, "pty") && (strcmp(type, "file") || !s.path[0])) {
		snprintf(
		    kind, sizeof(kind), "serial type='%s'%s",
		    strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
		            strlen(type)
		        ? type
		        : "?",
		    strcmp(type, "file") ? "" : " without a path");
		vx_unmapped(r, kind);
		return 0;
	}
	s.type = s.path[0] ? HV_SERIAL_FILE : HV_SERIAL_PTY;
	if (!t || !port_text[0])
		for (port = 0; port < VX_SERIAL_PORTS && r->serial_port[port];
		     port++)
			;
	if (port == VX_SERIAL_PORTS)
		return hv_xml_fail(err, -EINVAL, n,
		                   "more than %d <serial> elements",
		                   VX_SERIAL_PORTS);
	if (r->serial_port[port])
		return hv_xml_fail(err, -EINVAL, n,
		                   "serial port %u appears twice", port);
	r->serial_port[port] = true;
	r->serials[port] = s;
	return 0;
}

/*
 * The serial ports into the definition in port order, without gaps: a
 * port that moves, or one past HV_VMDEF_MAX_SERIALS, is noted.
 */
static void vx_serials_finish(struct vx_reader *r)
{
	struct hv_vmdef *def = r->def;

	for (unsigned int port = 0; port < VX_SERIAL_PORTS; port++) {
		if (!r->serial_port[port])
			continue;
		if (def->n_serials == HV_VMDEF_MAX_SERIALS) {
			hv_vmdef_note(
			    def,
			    "serial port %u is not mapped: at most %d "
			    "serial ports",
			    port, HV_VMDEF_MAX_SERIALS);
			continue;
		}
		if (port != def->n_serials)
			hv_vmdef_note(def, "serial port %u becomes port %zu",
			              port, def->n_serials);
		def->serials[def->n_serials++] = r->serials[port];
	}
	/* A serial console with no <serial> at all is libvirt's serial0. */
	if (r->serial_console && !r->serial_seen)
		vx_unmapped(r, "console");
}

/* A <console> on a serial port repeats a <serial>: true for it. */
static int vx_console_is_serial(const xmlNode *n, bool *serial,
                                struct hv_error *err)
{
	char type[16] = "";
	xmlNode *t;
	int rc;

	rc = hv_xml_child(n, "target", &t, err);
	if (rc == 0 && t)
		rc = hv_xml_attr(t, "type", "", type, sizeof(type), err);
	*serial = rc == 0 && !strcmp(type, "serial");
	return rc;
}

/* A <video> or <input> every guest has is no loss. */
static bool vx_is_default(const xmlNode *n)
{
	static const char *const video[] = { "vga", "cirrus", "vmvga", "xen",
		                             "none" };
	xmlNode *c;
	xmlChar *v = NULL;
	bool quiet = false;
	size_t i;

	if (hv_xml_is(n, "input")) {
		v = xmlGetNoNsProp(n, BAD_CAST "bus");
		quiet = !v || xmlStrEqual(v, BAD_CAST "ps2");
	} else if (hv_xml_is(n, "video")) {
		for (c = n->children; c && !hv_xml_is(c, "model"); c = c->next)
			;
		v = c ? xmlGetNoNsProp(c, BAD_CAST "type") : NULL;
		quiet = !v;
		for (i = 0; v && i < ARRAY_LEN(video); i++)
			quiet = quiet || xmlStrEqual(v, BAD_CAST video[i]);
	}
	xmlFree(v);
	return quiet;
}

static int vx_devices(const xmlNode *root, struct vx_reader *r,
                      struct hv_error *err)
{
	xmlNode *devices, *n;
	bool quiet;
	size_t i;
	int rc;

	rc = hv_xml_child(root, "devices", &devices, err);
	for (n = devices ? devices->children : NULL; rc == 0 && n;
	     n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		quiet = false;
		if (hv_xml_is(n, "disk"))
			rc = vx_disk(n, r, err);
		else if (hv_xml_is(n, "interface"))
			rc = vx_nic(n, r, err);
		else if (hv_xml_is(n, "controller"))
			rc = vx_controller(n, r, err);
		else if (hv_xml_is(n, "serial"))
			rc = vx_serial(n, r, err);
		else if (hv_xml_is(n, "console"))
			rc = vx_console_is_serial(n, &quiet, err);
		if (quiet || rc < 0) {
			r->serial_console = r->serial_console || quiet;
			continue;
		}
		for (i = 0; i < ARRAY_LEN(quiet_devices); i++)
			if (hv_xml_is(n, quiet_devices[i]))
				break;
		if (i == ARRAY_LEN(quiet_devices) && !vx_is_default(n))
			vx_unmapped(r, (const char *)n->name);
	}
	return rc;
}

/* Give SCSI disks their controller's model; refuse clashing disks. */
static int vx_finish(struct vx_reader *r, struct hv_error *err)
{
	struct hv_vmdef *def = r->def;
	struct hv_vmdisk *d, *e;
	size_t i, j;

	for (i = 0; i < def->n_disks; i++) {
		d = &def->disks[i];
		if (d->bus == HV_BUS_SCSI &&
		    d->controller < VX_SCSI_CONTROLLERS)
			d->scsi_model = r->scsi_model[d->controller];
		for (j = 0; j < i; j++) {
			e = &def->disks[j];
			if (!strcmp(r->devs[i], r->devs[j]))
				return hv_xml_fail(
				    err, -EINVAL, NULL,
				    "disk target '%s' appears twice",
				    r->devs[i]);
			if (d->bus == e->bus &&
			    d->controller == e->controller &&
			    d->unit == e->unit)
				return hv_xml_fail(
				    err, -EINVAL, NULL,
				    "disks %s and %s are both at %s %u:%u",
				    r->devs[j], r->devs[i],
				    hv_disk_bus_name(d->bus), d->controller,
				    d->unit);
		}
	}
	return 0;
}

static int vx_parse(const char *xml, size_t len, struct hv_vmdef *def,
                    struct hv_error *err)
{
	struct vx_reader *r;
	xmlDocPtr doc;
	xmlNode *root;
	int rc;

	r = calloc(1, sizeof(*r));
	if (!r)
		return hv_error_set(err, -ENOMEM, "domain XML: out of memory");
	r->def = def;
	rc = hv_xml_read(xml, len, &doc, err);
	if (rc < 0)
		goto out;
	root = xmlDocGetRootElement(doc);
	rc = vx_identity(root, def, err);
	if (rc == 0)
		rc = hv_xml_resources(root, &def->memory_kib, &def->vcpus, err);
	if (rc == 0)
		rc = vx_os(root, r, err);
	if (rc == 0)
		rc = vx_metadata(root, def, err);
	if (rc == 0)
		rc = vx_devices(root, r, err);
	if (rc == 0)
		rc = vx_finish(r, err);
	if (rc == 0) {
		vx_serials_finish(r);
		vx_note_unmapped(r);
	}
	xmlFreeDoc(doc);
out:
	free(r);
	return rc;
}

int hv_vmdef_xml_parse(const char *xml, size_t len, struct hv_vmdef *def,
                       struct hv_error *err)
{
	struct hv_xml_quiet quiet;
	struct hv_vmdef *tmp;
	int rc;

	tmp = malloc(sizeof(*tmp));
	if (!tmp)
		return hv_error_set(err, -ENOMEM, "domain XML: out of memory");
	hv_vmdef_init(tmp);
	hv_xml_quiet_begin(&quiet);
	rc = vx_parse(xml, len, tmp, err);
	hv_xml_quiet_end(&quiet);
	if (rc == 0)
		*def = *tmp;
	free(tmp);
	return rc;
}

/* Writer ------------------------------------------------------------------ */

/* The tree being built; the first failed allocation is latched. */
struct vx_writer {
	const struct hv_vmdef *def;
	const struct hv_profile *profile;
	bool oom;
};

/* Add element name (with escaped text, if any) under parent. */
static xmlNode *vx_add(struct vx_writer *w, xmlNode *parent, const char *name,
                       const char *text)
{
	xmlNode *n;

	if (!parent || w->oom)
		return NULL;
	n = xmlNewTextChild(parent, NULL, BAD_CAST name,
	                    text ? BAD_CAST text : NULL);
	/* libxml2 2.9 can keep the element but lose its text on ENOMEM. */
	if (!n || (text && text[0] && (!n->children || !n->children->content)))
		w->oom = true;
	return n;
}

static void vx_prop(struct vx_writer *w, xmlNode *n, const char *name,
                    const char *value)
{
	if (n && !w->oom && !hv_xml_set(n, name, value))
		w->oom = true;
}

static void vx_prop_uint(struct vx_writer *w, xmlNode *n, const char *name,
                         unsigned long long value)
{
	char text[24];

	snprintf(text, sizeof(text), "%llu", value);
	vx_prop(w, n, name, text);
}

/* s is UTF-8 without control characters other than tab and newlines. */
static bool vx_text_ok(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && !strchr("\t\n\r", *p))
			return false;
	return xmlCheckUTF8(BAD_CAST s) != 0;
}

static int vx_check_text(const char *what, const char *s, bool required,
                         struct hv_error *err)
{
	if (required && !s[0])
		return hv_error_set(err, -EINVAL, "domain XML: no %s", what);
	if (!vx_text_ok(s))
		return hv_error_set(err, -EINVAL,
		                    "domain XML: %s is not UTF-8 text", what);
	return 0;
}

static int vx_check_identity(const struct hv_vmdef *def, struct hv_error *err)
{
	int rc;

	rc = vx_check_text("name", def->name, true, err);
	if (rc == 0)
		rc = vx_check_text("guest_os", def->guest_os, false, err);
	if (rc < 0)
		return rc;
	if (def->uuid[0] && !hv_uuid_is_canonical(def->uuid))
		return hv_error_set(err, -EINVAL,
		                    "domain XML: uuid is not canonical");
	if (def->memory_kib == 0 || def->memory_kib > UINT64_MAX / 1024)
		return hv_error_set(
		    err, -EINVAL, "domain XML: memory %llu KiB is out of range",
		    (unsigned long long)def->memory_kib);
	if (def->vcpus == 0 || def->vcpus > 65535)
		return hv_error_set(err, -EINVAL,
		                    "domain XML: %u vcpus, expected 1..65535",
		                    def->vcpus);
	if (def->firmware != HV_FW_BIOS && def->firmware != HV_FW_UEFI)
		return hv_error_set(err, -EINVAL,
		                    "domain XML: unknown firmware %d",
		                    (int)def->firmware);
	if (def->n_disks > HV_VMDEF_MAX_DISKS ||
	    def->n_nics > HV_VMDEF_MAX_NICS ||
	    def->n_serials > HV_VMDEF_MAX_SERIALS)
		return hv_error_set(
		    err, -EINVAL,
		    "domain XML: %zu disks, %zu NICs and %zu serial ports, "
		    "at most %d, %d and %d",
		    def->n_disks, def->n_nics, def->n_serials,
		    HV_VMDEF_MAX_DISKS, HV_VMDEF_MAX_NICS,
		    HV_VMDEF_MAX_SERIALS);
	return 0;
}

/* Disk i against the profile: bus, model, position, format, file. */
static int vx_check_disk(const struct vx_writer *w, size_t i, const char *dev,
                         struct hv_error *err)
{
	const struct hv_vmdisk *d = &w->def->disks[i], *e;
	const struct hv_profile *p = w->profile;
	const struct hv_bus_slots *slots = hv_profile_bus(p, d->bus);

	if ((unsigned int)d->bus > HV_BUS_XEN || !slots)
		return hv_error_set(err, -EINVAL, "disk %s: %s has no %s bus",
		                    dev, p->title, hv_disk_bus_name(d->bus));
	if (!hv_bus_slot_valid(slots, d->controller, d->unit))
		return hv_error_set(err, -EINVAL,
		                    "disk %s: %s %u:%u is not a position on %s",
		                    dev, hv_disk_bus_name(d->bus),
		                    d->controller, d->unit, p->title);
	if (d->bus == HV_BUS_SCSI && !hv_profile_has_scsi(p, d->scsi_model))
		return hv_error_set(err, -EINVAL,
		                    "disk %s: %s has no such SCSI controller",
		                    dev, p->title);
	if (!hv_profile_reads(p, d->format))
		return hv_error_set(err, -EINVAL, "disk %s: %s cannot read %s",
		                    dev, p->title,
		                    hv_img_format_name(d->format));
	if ((unsigned int)d->device > HV_DEV_CDROM ||
	    (d->device == HV_DEV_CDROM && d->bus == HV_BUS_VIRTIO))
		return hv_error_set(
		    err, -EINVAL, "disk %s: not a disk or a CD-ROM on this bus",
		    dev);
	if (d->device == HV_DEV_DISK && !d->path[0])
		return hv_error_set(err, -EINVAL, "disk %s has no file", dev);
	if (vx_check_text("a disk path", d->path, false, err) < 0)
		return -EINVAL;
	for (size_t j = 0; j < i; j++) {
		e = &w->def->disks[j];
		if (e->bus != d->bus || e->controller != d->controller)
			continue;
		if (e->unit == d->unit)
			return hv_error_set(
			    err, -EINVAL, "disk %s: %s %u:%u is taken", dev,
			    hv_disk_bus_name(d->bus), d->controller, d->unit);
		if (d->bus == HV_BUS_SCSI && e->scsi_model != d->scsi_model)
			return hv_error_set(
			    err, -EINVAL,
			    "disk %s: scsi controller %u has two "
			    "models",
			    dev, d->controller);
	}
	return 0;
}

static int vx_check_nic(const struct vx_writer *w, size_t i,
                        struct hv_error *err)
{
	const struct hv_vmnic *nic = &w->def->nics[i];

	if (nic->mac[0] && !hv_mac_is_canonical(nic->mac))
		return hv_error_set(err, -EINVAL,
		                    "nic %zu: MAC is not a unicast address", i);
	if (!hv_profile_has_nic(w->profile, nic->model))
		return hv_error_set(err, -EINVAL, "nic %zu: %s has no %s NIC",
		                    i, w->profile->title,
		                    hv_nic_model_name(nic->model));
	return vx_check_text("a NIC's network", nic->network, false, err);
}

static int vx_check_serial(const struct hv_vmdef *def, size_t i,
                           struct hv_error *err)
{
	const struct hv_vmserial *s = &def->serials[i];

	if (!hv_vmserial_is_valid(s))
		return hv_error_set(
		    err, -EINVAL,
		    "serial %zu: not a pty or a file, or a file "
		    "without a path, or a pty with one",
		    i);
	return vx_check_text("a serial port's path", s->path, false, err);
}

static void vx_write_os(struct vx_writer *w, xmlNode *root)
{
	const struct hv_vmdef *def = w->def;
	bool uefi = def->firmware == HV_FW_UEFI, ide = false, sata = false;
	xmlNode *os, *type, *loader, *features;

	for (size_t i = 0; i < def->n_disks; i++) {
		ide = ide || def->disks[i].bus == HV_BUS_IDE;
		sata = sata || def->disks[i].bus == HV_BUS_SATA;
	}
	os = vx_add(w, root, "os", NULL);
	type = vx_add(w, os, "type", "hvm");
	vx_prop(w, type, "arch", "x86_64");
	if (def->kind == HV_KIND_XEN) {
		vx_prop(w, type, "machine", "xenfv");
		if (uefi) {
			loader = vx_add(w, os, "loader", VX_XEN_OVMF);
			vx_prop(w, loader, "readonly", "yes");
			vx_prop(w, loader, "type", "pflash");
		}
	} else {
		/* q35 has no IDE; an AHCI controller can join a pc. */
		vx_prop(w, type, "machine",
		        !ide && (sata || uefi) ? "q35" : "pc");
		if (uefi)
			vx_prop(w, os, "firmware", "efi");
	}
	features = vx_add(w, root, "features", NULL);
	vx_add(w, features, "acpi", NULL);
	vx_add(w, features, "apic", NULL);
	if (def->kind == HV_KIND_XEN)
		vx_add(w, features, "pae", NULL);
}

static void vx_write_disk(struct vx_writer *w, xmlNode *devices, size_t i)
{
	const struct hv_vmdisk *d = &w->def->disks[i];
	bool block = !strncmp(d->path, "/dev/", 5);
	xmlNode *disk, *n;
	char dev[VX_DEV_MAX];

	hv_vmdef_disk_name(w->def, i, dev, sizeof(dev));
	disk = vx_add(w, devices, "disk", NULL);
	vx_prop(w, disk, "type", block ? "block" : "file");
	vx_prop(w, disk, "device",
	        d->device == HV_DEV_CDROM ? "cdrom" : "disk");
	n = vx_add(w, disk, "driver", NULL);
	vx_prop(w, n, "name", "qemu");
	vx_prop(w, n, "type",
	        vx_name_of(format_names, ARRAY_LEN(format_names), d->format));
	if (d->path[0]) {
		n = vx_add(w, disk, "source", NULL);
		vx_prop(w, n, block ? "dev" : "file", d->path);
	}
	n = vx_add(w, disk, "target", NULL);
	vx_prop(w, n, "dev", dev);
	vx_prop(w, n, "bus", hv_disk_bus_name(d->bus));
	if (d->readonly)
		vx_add(w, disk, "readonly", NULL);
	if (d->bus == HV_BUS_VIRTIO || d->bus == HV_BUS_XEN)
		return;
	n = vx_add(w, disk, "address", NULL);
	vx_prop(w, n, "type", "drive");
	vx_prop_uint(w, n, "controller",
	             d->bus == HV_BUS_IDE ? d->controller / 2 : d->controller);
	vx_prop_uint(w, n, "bus", d->bus == HV_BUS_IDE ? d->controller % 2 : 0);
	vx_prop(w, n, "target", "0");
	vx_prop_uint(w, n, "unit", d->unit);
}

/* One <controller type='scsi'> per SCSI controller the disks use. */
static void vx_write_controllers(struct vx_writer *w, xmlNode *devices)
{
	const struct hv_vmdef *def = w->def;
	const struct hv_vmdisk *d;
	bool written[VX_SCSI_CONTROLLERS] = { false };
	xmlNode *n;

	for (size_t i = 0; i < def->n_disks; i++) {
		d = &def->disks[i];
		if (d->bus != HV_BUS_SCSI ||
		    d->controller >= VX_SCSI_CONTROLLERS ||
		    written[d->controller])
			continue;
		written[d->controller] = true;
		n = vx_add(w, devices, "controller", NULL);
		vx_prop(w, n, "type", "scsi");
		vx_prop_uint(w, n, "index", d->controller);
		if (d->scsi_model != HV_SCSI_DEFAULT)
			vx_prop(w, n, "model",
			        vx_name_of(scsi_names, ARRAY_LEN(scsi_names),
			                   d->scsi_model));
	}
}

/* A NIC without a network is an unconnected tap ('ethernet'). */
static void vx_write_nic(struct vx_writer *w, xmlNode *devices, size_t i)
{
	const struct hv_vmnic *nic = &w->def->nics[i];
	const char *type = !nic->network[0] ? "ethernet"
	                   : nic->is_bridge ? "bridge"
	                                    : "network";
	xmlNode *n, *iface;

	iface = vx_add(w, devices, "interface", NULL);
	vx_prop(w, iface, "type", type);
	if (nic->mac[0]) {
		n = vx_add(w, iface, "mac", NULL);
		vx_prop(w, n, "address", nic->mac);
	}
	if (nic->network[0]) {
		n = vx_add(w, iface, "source", NULL);
		vx_prop(w, n, type, nic->network);
	}
	n = vx_add(w, iface, "model", NULL);
	vx_prop(w, n, "type",
	        vx_name_of(nic_names, ARRAY_LEN(nic_names), nic->model));
}

/* libvirt adds the <console> on serial0 itself. */
static void vx_write_serial(struct vx_writer *w, xmlNode *devices, size_t i)
{
	const struct hv_vmserial *s = &w->def->serials[i];
	xmlNode *serial, *n;

	serial = vx_add(w, devices, "serial", NULL);
	vx_prop(w, serial, "type", hv_serial_type_name(s->type));
	if (s->type == HV_SERIAL_FILE) {
		n = vx_add(w, serial, "source", NULL);
		vx_prop(w, n, "path", s->path);
		vx_prop(w, n, "append", "on");
	}
	vx_prop_uint(w, vx_add(w, serial, "target", NULL), "port", i);
}

static void vx_write_metadata(struct vx_writer *w, xmlNode *root)
{
	xmlNode *meta, *vmdef;
	xmlNs *ns;

	if (!w->def->guest_os[0])
		return;
	meta = vx_add(w, root, "metadata", NULL);
	vmdef = vx_add(w, meta, "vmdef", NULL);
	if (!vmdef)
		return;
	ns = xmlNewNs(vmdef, BAD_CAST HV_VMDEF_XML_NS, BAD_CAST "sf");
	if (!ns) {
		w->oom = true;
		return;
	}
	xmlSetNs(vmdef, ns);
	xmlSetNs(vx_add(w, vmdef, "guest-os", w->def->guest_os), ns);
}

static xmlNode *vx_add_uint(struct vx_writer *w, xmlNode *parent,
                            const char *name, unsigned long long value)
{
	char text[24];

	snprintf(text, sizeof(text), "%llu", value);
	return vx_add(w, parent, name, text);
}

static void vx_build(struct vx_writer *w, xmlNode *root)
{
	const struct hv_vmdef *def = w->def;
	xmlNode *devices;
	size_t i;

	vx_prop(w, root, "type", def->kind == HV_KIND_XEN ? "xen" : "kvm");
	vx_add(w, root, "name", def->name);
	if (def->uuid[0])
		vx_add(w, root, "uuid", def->uuid);
	vx_write_metadata(w, root);
	vx_prop(w, vx_add_uint(w, root, "memory", def->memory_kib), "unit",
	        "KiB");
	vx_add_uint(w, root, "vcpu", def->vcpus);
	vx_write_os(w, root);
	devices = vx_add(w, root, "devices", NULL);
	for (i = 0; i < def->n_disks; i++)
		vx_write_disk(w, devices, i);
	vx_write_controllers(w, devices);
	for (i = 0; i < def->n_nics; i++)
		vx_write_nic(w, devices, i);
	for (i = 0; i < def->n_serials; i++)
		vx_write_serial(w, devices, i);
}

static int vx_check(const struct vx_writer *w, struct hv_error *err)
{
	char dev[VX_DEV_MAX];
	size_t i;
	int rc;

	rc = vx_check_identity(w->def, err);
	for (i = 0; rc == 0 && i < w->def->n_disks; i++) {
		hv_vmdef_disk_name(w->def, i, dev, sizeof(dev));
		rc = vx_check_disk(w, i, dev, err);
	}
	for (i = 0; rc == 0 && i < w->def->n_nics; i++)
		rc = vx_check_nic(w, i, err);
	for (i = 0; rc == 0 && i < w->def->n_serials; i++)
		rc = vx_check_serial(w->def, i, err);
	return rc;
}

/* Serialize the tree, indented, with a final newline. */
static int vx_serialize(xmlDocPtr doc, xmlNode *root, char **out,
                        struct hv_error *err)
{
	char *text = hv_xml_dump(doc, root, true, err), *grown;
	size_t len;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	grown = realloc(text, len + 2);
	if (!grown) {
		free(text);
		return hv_error_set(err, -ENOMEM, "domain XML: out of memory");
	}
	grown[len] = '\n';
	grown[len + 1] = '\0';
	*out = grown;
	return 0;
}

static int vx_write(const struct hv_vmdef *def, char **out,
                    struct hv_error *err)
{
	struct vx_writer w = { def, hv_profile_get(def->kind), false };
	xmlDocPtr doc;
	xmlNode *root;
	int rc;

	if (def->kind == HV_KIND_VMWARE)
		return hv_error_set(
		    err, -EINVAL,
		    "domain XML: a VMware definition is a .vmx; "
		    "write it with hv_vmx_write");
	if (!w.profile)
		return hv_error_set(err, -EINVAL,
		                    "domain XML: kind %d is not a hypervisor",
		                    (int)def->kind);
	rc = vx_check(&w, err);
	if (rc < 0)
		return rc;
	doc = xmlNewDoc(BAD_CAST "1.0");
	root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "domain", NULL) : NULL;
	if (!root) {
		xmlFreeDoc(doc);
		return hv_error_set(err, -ENOMEM, "domain XML: out of memory");
	}
	xmlDocSetRootElement(doc, root);
	vx_build(&w, root);
	if (w.oom)
		rc = hv_error_set(err, -ENOMEM, "domain XML: out of memory");
	else
		rc = vx_serialize(doc, root, out, err);
	xmlFreeDoc(doc);
	return rc;
}

int hv_vmdef_xml_write(const struct hv_vmdef *def, char **out,
                       struct hv_error *err)
{
	struct hv_xml_quiet quiet;
	int rc;

	if (!def || !out)
		return hv_error_set(err, -EINVAL, "domain XML: NULL argument");
	hv_xml_quiet_begin(&quiet);
	rc = vx_write(def, out, err);
	hv_xml_quiet_end(&quiet);
	return rc;
}
