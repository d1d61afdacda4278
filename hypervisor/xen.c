/*
 * xen.c: the Xen profile (HVM guests), as libvirt's libxl driver offers it.
 *
 * A Xen HVM guest sees emulated IDE disks (at most four: two channels of
 * two) and emulated e1000 or rtl8139 NICs until its PV drivers (xvd block
 * devices, netfront) take over. Disks are read by QEMU's qdisk backend,
 * which reads VHD (vpc), raw and qcow2. Xen has no SATA, NVMe, virtio or
 * guest-drivable SCSI controller, so those disks go to IDE while its four
 * slots last, then to xvd; with --paravirt straight to xvd.
 */
#include <stdio.h>
#include <string.h>

#include "hypervisor/hvprofile.h"

static const char *xen_why(const struct hv_vmdisk *disk)
{
	if (disk->device == HV_DEV_CDROM)
		return "a Xen HVM guest reads CD-ROMs from emulated IDE";
	switch (disk->bus) {
	case HV_BUS_VIRTIO:
		return "Xen has no virtio block device";
	case HV_BUS_SATA:
		return "Xen has no SATA controller";
	case HV_BUS_NVME:
		return "Xen has no NVMe controller";
	default:
		return "Xen has no SCSI controller the guest can drive";
	}
}

static void xen_map_disk(const struct hv_profile *self, enum hv_kind source,
                         const struct hv_vmdisk *disk, bool paravirt,
                         struct hv_disk_choice *out)
{
	bool cdrom = disk->device == HV_DEV_CDROM;

	(void)self;
	(void)source;
	hv_disk_choice_keep(out, disk);
	if (disk->bus == HV_BUS_IDE || (disk->bus == HV_BUS_XEN && !cdrom))
		return;
	out->scsi_model = HV_SCSI_DEFAULT;
	out->pv_hint = !cdrom;
	snprintf(out->why, sizeof(out->why), "%s", xen_why(disk));
	if (paravirt && !cdrom) {
		out->bus = HV_BUS_XEN;
		return;
	}
	out->bus = HV_BUS_IDE;
	out->has_fallback = !cdrom;
	out->fallback_bus = HV_BUS_XEN;
}

const struct hv_profile hv_profile_xen = {
	.name = "xen",
	.title = "Xen",
	.kind = HV_KIND_XEN,
	.libvirt_drivers = { "xen", "libxl", NULL },
	.uri_schemes = { "xen", NULL },
	.uri_transports = true,
	.definition_formats = { "libvirt domain XML", "xl.cfg", NULL },
	.pv_drivers = "Xen PV (xvd, netfront)",
	.formats = { HV_IMG_VPC, HV_IMG_RAW, HV_IMG_QCOW2 },
	.n_formats = 3,
	.target_format = HV_IMG_VPC,
	.target_subformat = "dynamic",
	.buses = {
		{ HV_BUS_XEN, 1, HV_VMDEF_MAX_DISKS, -1 },
		{ HV_BUS_IDE, 2, 2, -1 },
		{ HV_BUS_SCSI, 1, 7, -1 }, /* written, never chosen */
	},
	.n_buses = 3,
	.scsi_models = { HV_SCSI_DEFAULT },
	.n_scsi_models = 1,
	.nic_models = { HV_NIC_NETFRONT, HV_NIC_E1000, HV_NIC_RTL8139 },
	.n_nic_models = 3,
	.pv_nic = HV_NIC_NETFRONT,
	.live_migration = true,
	.uefi = true,
	.serial_pty = true,
	.map_disk = xen_map_disk,
	.map_nic = hv_profile_map_nic,
};
