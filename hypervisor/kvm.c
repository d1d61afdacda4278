/*
 * kvm.c: the KVM/QEMU profile, as libvirt 9.0's QEMU driver offers it.
 *
 * QEMU emulates many devices, so a guest's NIC usually keeps its model
 * (e1000, e1000e, rtl8139, vmxnet3). So do VMware's PVSCSI and LSI SAS
 * 1068 controllers (QEMU's pvscsi and mptsas1068, libvirt's "vmpvscsi" and
 * "lsisas1068"), whose drivers a VMware guest has. Not so the rest: QEMU's
 * "lsilogic" is the LSI 53C895A, not VMware's LSI 53C1030, and there is no
 * BusLogic. NVMe disks cannot be written in libvirt 9.0 domain XML.
 */
#include <stdio.h>
#include <string.h>

#include "hypervisor/hvprofile.h"

/* Source SCSI controllers a guest on KVM has a driver for. */
static bool kvm_scsi_kept(enum hv_kind source, enum hv_scsi_model m)
{
	if (m == HV_SCSI_VIRTIO || m == HV_SCSI_PVSCSI ||
	    m == HV_SCSI_LSISAS1068)
		return true;
	/* The default is QEMU's own LSI 53C895A on KVM and Xen alike. */
	return m == HV_SCSI_DEFAULT && source != HV_KIND_VMWARE;
}

static const char *kvm_scsi_why(enum hv_scsi_model m)
{
	switch (m) {
	case HV_SCSI_BUSLOGIC:
		return "KVM has no BusLogic controller";
	default:
		return "KVM has no LSI Logic Parallel controller the "
		       "guest can drive";
	}
}

/* Move disk off a bus KVM cannot give it: virtio with paravirt, else SATA. */
static void kvm_move(struct hv_disk_choice *out, bool paravirt, bool scsi,
                     const char *why)
{
	out->pv_hint = true;
	if (paravirt && scsi) {
		out->bus = HV_BUS_SCSI;
		out->scsi_model = HV_SCSI_VIRTIO;
	} else {
		out->bus = paravirt ? HV_BUS_VIRTIO : HV_BUS_SATA;
		out->scsi_model = HV_SCSI_DEFAULT;
	}
	snprintf(out->why, sizeof(out->why), "%s", why);
}

static void kvm_map_disk(const struct hv_profile *self, enum hv_kind source,
                         const struct hv_vmdisk *disk, bool paravirt,
                         struct hv_disk_choice *out)
{
	bool cdrom = disk->device == HV_DEV_CDROM;

	(void)self;
	hv_disk_choice_keep(out, disk);
	paravirt = paravirt && !cdrom; /* a CD-ROM stays on an emulated bus */
	switch (disk->bus) {
	case HV_BUS_SATA:
	case HV_BUS_IDE:
		return;
	case HV_BUS_VIRTIO:
		if (cdrom)
			kvm_move(out, false, false,
			         "a CD-ROM cannot sit on virtio-blk");
		return;
	case HV_BUS_XEN:
		kvm_move(out, paravirt, false,
		         "KVM has no Xen PV block device");
		return;
	case HV_BUS_NVME:
		kvm_move(out, paravirt, false,
		         "NVMe is not expressible in libvirt 9.0 domain XML");
		return;
	case HV_BUS_SCSI:
		if (!kvm_scsi_kept(source, disk->scsi_model))
			kvm_move(out, paravirt, true,
			         kvm_scsi_why(disk->scsi_model));
		return;
	}
}

const struct hv_profile hv_profile_kvm = {
	.name = "kvm",
	.title = "KVM",
	.kind = HV_KIND_KVM,
	.libvirt_drivers = { "QEMU", NULL },
	.uri_schemes = { "qemu", NULL },
	.uri_transports = true,
	.definition_formats = { "libvirt domain XML", NULL },
	.pv_drivers = "virtio",
	.formats = { HV_IMG_QCOW2, HV_IMG_RAW, HV_IMG_VMDK, HV_IMG_VPC,
	             HV_IMG_VHDX },
	.n_formats = 5,
	.target_format = HV_IMG_QCOW2,
	.target_subformat = "",
	.buses = {
		{ HV_BUS_VIRTIO, 1, HV_VMDEF_MAX_DISKS, -1 },
		{ HV_BUS_SATA, 4, 6, -1 }, /* ich9-ahci: six ports */
		{ HV_BUS_IDE, 2, 2, -1 },  /* i440fx only: not on q35 */
		{ HV_BUS_SCSI, 8, 7, -1 },
	},
	.n_buses = 4,
	.scsi_models = { HV_SCSI_DEFAULT, HV_SCSI_VIRTIO, HV_SCSI_PVSCSI,
	                 HV_SCSI_LSISAS1068 },
	.n_scsi_models = 4,
	.nic_models = { HV_NIC_VIRTIO, HV_NIC_E1000, HV_NIC_E1000E,
	                HV_NIC_RTL8139, HV_NIC_VMXNET3 },
	.n_nic_models = 5,
	.pv_nic = HV_NIC_VIRTIO,
	.live_migration = true,
	.uefi = true,
	.serial_pty = true,
	.map_disk = kvm_map_disk,
	.map_nic = hv_profile_map_nic,
};
