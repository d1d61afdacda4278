/*
 * vmware.c: the VMware ESXi profile.
 *
 * ESXi offers IDE, SATA (AHCI, 30 ports), NVMe and four SCSI controller
 * models (LSI Logic Parallel and SAS, PVSCSI, BusLogic), and the vmxnet3,
 * e1000, e1000e and vlance NICs. It reads VMDK only. libvirt's ESX driver
 * cannot live-migrate: vMotion is not reachable through it.
 */
#include <stdio.h>
#include <string.h>

#include "hypervisor/hvprofile.h"

/* SCSI controllers of a source that a guest on ESXi has a driver for. */
static bool vmware_scsi_kept(enum hv_kind source, enum hv_scsi_model m)
{
	if (m == HV_SCSI_DEFAULT)
		return source == HV_KIND_VMWARE;
	return m != HV_SCSI_VIRTIO;
}

static const char *vmware_why(enum hv_disk_bus bus, enum hv_scsi_model m)
{
	switch (bus) {
	case HV_BUS_VIRTIO:
		return "VMware has no virtio block device";
	case HV_BUS_XEN:
		return "VMware has no Xen PV block device";
	default:
		return m == HV_SCSI_VIRTIO
		           ? "VMware has no virtio-scsi controller"
		           : "VMware has no QEMU LSI 53C895A controller the "
		             "guest can drive";
	}
}

static void vmware_map_disk(const struct hv_profile *self, enum hv_kind source,
                            const struct hv_vmdisk *disk, bool paravirt,
                            struct hv_disk_choice *out)
{
	bool cdrom = disk->device == HV_DEV_CDROM;

	(void)self;
	hv_disk_choice_keep(out, disk);
	switch (disk->bus) {
	case HV_BUS_SATA:
	case HV_BUS_IDE:
		return;
	case HV_BUS_NVME:
		if (!cdrom)
			return;
		break;
	case HV_BUS_SCSI:
		if (vmware_scsi_kept(source, disk->scsi_model))
			return;
		break;
	case HV_BUS_VIRTIO:
	case HV_BUS_XEN:
		break;
	}
	snprintf(out->why, sizeof(out->why), "%s",
	         cdrom && disk->bus == HV_BUS_NVME
	             ? "a CD-ROM cannot sit on NVMe"
	             : vmware_why(disk->bus, disk->scsi_model));
	out->pv_hint = !cdrom;
	out->bus = paravirt && !cdrom ? HV_BUS_SCSI : HV_BUS_SATA;
	out->scsi_model =
	    out->bus == HV_BUS_SCSI ? HV_SCSI_PVSCSI : HV_SCSI_DEFAULT;
}

const struct hv_profile hv_profile_vmware = {
	.name = "vmware",
	.title = "VMware",
	.kind = HV_KIND_VMWARE,
	.libvirt_drivers = { "ESX", NULL },
	.uri_schemes = { "esx", "vpx", "gsx", NULL },
	.uri_transports = false,
	.definition_formats = { ".vmx", "libvirt domain XML (ESX driver)",
	                        NULL },
	.pv_drivers = "VMware PVSCSI and vmxnet3",
	.formats = { HV_IMG_VMDK },
	.n_formats = 1,
	.target_format = HV_IMG_VMDK,
	.target_subformat = "monolithicSparse",
	.buses = {
		{ HV_BUS_SCSI, 4, 16, 7 }, /* unit 7 is the controller */
		{ HV_BUS_SATA, 4, 30, -1 },
		{ HV_BUS_IDE, 2, 2, -1 },
		{ HV_BUS_NVME, 4, 15, -1 },
	},
	.n_buses = 4,
	.scsi_models = { HV_SCSI_DEFAULT, HV_SCSI_LSILOGIC, HV_SCSI_LSISAS1068,
	                 HV_SCSI_PVSCSI, HV_SCSI_BUSLOGIC },
	.n_scsi_models = 5,
	.nic_models = { HV_NIC_VMXNET3, HV_NIC_E1000, HV_NIC_E1000E,
	                HV_NIC_PCNET },
	.n_nic_models = 4,
	.pv_nic = HV_NIC_VMXNET3,
	.live_migration = false,
	.uefi = true,
	.serial_pty = false,
	.map_disk = vmware_map_disk,
	.map_nic = hv_profile_map_nic,
};
