/*
 * test_convert.c: hv_vmdef_convert's mapping rules for each target, with
 * and without --paravirt, the notes it writes, and how it renumbers disks
 * that would clash on their new bus.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hypervisor/vmdef.h"

/* Large: kept off the stack. */
static struct hv_vmdef src, dst;

static void start(enum hv_kind kind)
{
	hv_vmdef_init(&src);
	src.kind = kind;
	snprintf(src.name, sizeof(src.name), "guest");
	src.memory_kib = 1048576;
	src.vcpus = 1;
}

static struct hv_vmdisk *disk(enum hv_disk_bus bus, enum hv_scsi_model model,
                              unsigned int controller, unsigned int unit)
{
	struct hv_vmdisk *d = &src.disks[src.n_disks++];

	memset(d, 0, sizeof(*d));
	d->bus = bus;
	d->scsi_model = model;
	d->controller = controller;
	d->unit = unit;
	d->format = HV_IMG_QCOW2;
	snprintf(d->path, sizeof(d->path), "/img/%zu", src.n_disks);
	return d;
}

static void nic(enum hv_nic_model model, const char *mac)
{
	struct hv_vmnic *n = &src.nics[src.n_nics++];

	memset(n, 0, sizeof(*n));
	n->model = model;
	snprintf(n->mac, sizeof(n->mac), "%s", mac);
}

static void convert(enum hv_kind target, bool paravirt)
{
	struct hv_convert_opts opts = { target, paravirt };
	struct hv_error err = { 0 };

	cr_assert_eq(hv_vmdef_convert(&src, &opts, &dst, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(dst.kind, target);
}

/* The note that names what, or a failure listing them all. */
static const char *note(const char *what)
{
	for (size_t i = 0; i < dst.n_notes; i++)
		if (strstr(dst.notes[i], what))
			return dst.notes[i];
	for (size_t i = 0; i < dst.n_notes; i++)
		cr_log_error("note: %s", dst.notes[i]);
	cr_assert_fail("no note with '%s'", what);
	return NULL;
}

static void disk_is(size_t i, enum hv_disk_bus bus, enum hv_scsi_model model,
                    unsigned int controller, unsigned int unit)
{
	const struct hv_vmdisk *d = &dst.disks[i];

	cr_assert_eq(d->bus, bus, "disk %zu: bus %s", i,
	             hv_disk_bus_name(d->bus));
	cr_assert_eq(d->scsi_model, model, "disk %zu: model %d", i,
	             (int)d->scsi_model);
	cr_assert_eq(d->controller, controller, "disk %zu", i);
	cr_assert_eq(d->unit, unit, "disk %zu: unit %u", i, d->unit);
}

Test(convert, lsilogic_to_kvm)
{
	start(HV_KIND_VMWARE);
	disk(HV_BUS_SCSI, HV_SCSI_LSILOGIC, 0, 0)->format = HV_IMG_VMDK;
	disk(HV_BUS_SCSI, HV_SCSI_LSILOGIC, 0, 1)->format = HV_IMG_VMDK;
	convert(HV_KIND_KVM, false);
	disk_is(0, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0);
	disk_is(1, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 1);
	cr_assert_str_eq(dst.notes[0],
	                 "disk sda: bus scsi (lsilogic) -> sata: KVM has no "
	                 "LSI Logic Parallel controller the guest can "
	                 "drive; use --paravirt if the guest has virtio "
	                 "drivers");
	cr_assert_eq(dst.n_notes, 2);
	convert(HV_KIND_KVM, true);
	disk_is(0, HV_BUS_SCSI, HV_SCSI_VIRTIO, 0, 0);
	disk_is(1, HV_BUS_SCSI, HV_SCSI_VIRTIO, 0, 1);
	note("disk sdb: bus scsi (lsilogic) -> scsi (virtio-scsi): KVM has "
	     "no LSI Logic Parallel controller the guest can drive; the "
	     "guest has virtio drivers (--paravirt)");
}

Test(convert, vmware_scsi_models_to_kvm)
{
	start(HV_KIND_VMWARE);
	disk(HV_BUS_SCSI, HV_SCSI_PVSCSI, 0, 0);
	disk(HV_BUS_SCSI, HV_SCSI_BUSLOGIC, 1, 0);
	disk(HV_BUS_SCSI, HV_SCSI_LSISAS1068, 2, 0);
	disk(HV_BUS_SCSI, HV_SCSI_DEFAULT, 3, 0);
	convert(HV_KIND_KVM, false);
	/* QEMU emulates PVSCSI and the SAS 1068: the guest keeps its driver. */
	disk_is(0, HV_BUS_SCSI, HV_SCSI_PVSCSI, 0, 0);
	disk_is(1, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0);
	disk_is(2, HV_BUS_SCSI, HV_SCSI_LSISAS1068, 2, 0);
	disk_is(3, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 1);
	note("disk sdb: bus scsi (buslogic) -> sata: KVM has no BusLogic");
	note("disk sdd: bus scsi (default) -> sata: KVM has no LSI Logic");
}

Test(convert, kvm_keeps_what_qemu_emulates)
{
	start(HV_KIND_KVM);
	disk(HV_BUS_VIRTIO, HV_SCSI_DEFAULT, 0, 0);
	disk(HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0);
	disk(HV_BUS_IDE, HV_SCSI_DEFAULT, 1, 1);
	disk(HV_BUS_SCSI, HV_SCSI_VIRTIO, 0, 2);
	disk(HV_BUS_SCSI, HV_SCSI_DEFAULT, 1, 0);
	nic(HV_NIC_VIRTIO, "52:54:00:00:00:01");
	nic(HV_NIC_E1000, "52:54:00:00:00:02");
	nic(HV_NIC_E1000E, "52:54:00:00:00:03");
	nic(HV_NIC_RTL8139, "52:54:00:00:00:04");
	nic(HV_NIC_VMXNET3, "52:54:00:00:00:05");
	convert(HV_KIND_KVM, false);
	cr_assert_eq(dst.n_notes, 0, "%s", dst.notes[0]);
	cr_assert_eq(memcmp(src.disks, dst.disks, sizeof(src.disks)), 0);
	cr_assert_eq(memcmp(src.nics, dst.nics, sizeof(src.nics)), 0);
}

Test(convert, xen_pv_and_nvme_to_kvm)
{
	start(HV_KIND_XEN);
	disk(HV_BUS_XEN, HV_SCSI_DEFAULT, 0, 0);
	disk(HV_BUS_NVME, HV_SCSI_DEFAULT, 0, 0);
	nic(HV_NIC_NETFRONT, "00:16:3e:00:00:01");
	convert(HV_KIND_KVM, false);
	disk_is(0, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0);
	disk_is(1, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 1);
	note("disk xvda: bus xen -> sata: KVM has no Xen PV block device");
	note("disk nvme0n1: bus nvme -> sata: NVMe is not expressible in "
	     "libvirt 9.0 domain XML");
	cr_assert_eq(dst.nics[0].model, HV_NIC_E1000);
	note("nic 0 (00:16:3e:00:00:01): model netfront -> e1000: KVM has no "
	     "netfront NIC; use --paravirt if the guest has virtio drivers");
	convert(HV_KIND_KVM, true);
	disk_is(0, HV_BUS_VIRTIO, HV_SCSI_DEFAULT, 0, 0);
	disk_is(1, HV_BUS_VIRTIO, HV_SCSI_DEFAULT, 0, 1);
	cr_assert_eq(dst.nics[0].model, HV_NIC_VIRTIO);
}

Test(convert, to_vmware)
{
	start(HV_KIND_KVM);
	disk(HV_BUS_VIRTIO, HV_SCSI_DEFAULT, 0, 0);
	disk(HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0);
	disk(HV_BUS_SCSI, HV_SCSI_VIRTIO, 0, 0);
	disk(HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 0)->device = HV_DEV_CDROM;
	nic(HV_NIC_VIRTIO, "52:54:00:00:00:01");
	nic(HV_NIC_RTL8139, "52:54:00:00:00:02");
	nic(HV_NIC_E1000E, "52:54:00:00:00:03");
	convert(HV_KIND_VMWARE, false);
	disk_is(0, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 1);
	disk_is(1, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0); /* kept its place */
	disk_is(2, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 2);
	disk_is(3, HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 0);
	note("disk vda: bus virtio -> sata: VMware has no virtio block device; "
	     "use --paravirt if the guest has VMware PVSCSI and vmxnet3 "
	     "drivers");
	note("disk sdb: bus scsi (virtio-scsi) -> sata: VMware has no "
	     "virtio-scsi controller");
	note("disk vda: VMware cannot read qcow2; convert the image to vmdk");
	cr_assert_eq(dst.nics[0].model, HV_NIC_E1000);
	cr_assert_eq(dst.nics[1].model, HV_NIC_E1000);
	cr_assert_eq(dst.nics[2].model, HV_NIC_E1000E);
	convert(HV_KIND_VMWARE, true);
	disk_is(0, HV_BUS_SCSI, HV_SCSI_PVSCSI, 0, 1);
	disk_is(2, HV_BUS_SCSI, HV_SCSI_PVSCSI, 0, 0); /* kept its place */
	disk_is(3, HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 0);
	cr_assert_eq(dst.nics[0].model, HV_NIC_VMXNET3);
	cr_assert_eq(dst.nics[1].model, HV_NIC_VMXNET3);
}

Test(convert, to_xen_ide_then_xvd)
{
	start(HV_KIND_VMWARE);
	for (unsigned int i = 0; i < 5; i++)
		disk(HV_BUS_SATA, HV_SCSI_DEFAULT, 0, i);
	disk(HV_BUS_SCSI, HV_SCSI_LSILOGIC, 0, 0)->device = HV_DEV_CDROM;
	nic(HV_NIC_VMXNET3, "00:50:56:00:00:01");
	nic(HV_NIC_E1000, "00:50:56:00:00:02");
	nic(HV_NIC_PCNET, "");
	convert(HV_KIND_XEN, false);
	/* The CD-ROM takes its IDE slot first; three disks get the rest. */
	disk_is(5, HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 0);
	disk_is(0, HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 1);
	disk_is(1, HV_BUS_IDE, HV_SCSI_DEFAULT, 1, 0);
	disk_is(2, HV_BUS_IDE, HV_SCSI_DEFAULT, 1, 1);
	disk_is(3, HV_BUS_XEN, HV_SCSI_DEFAULT, 0, 0);
	disk_is(4, HV_BUS_XEN, HV_SCSI_DEFAULT, 0, 1);
	note("disk sda: bus sata -> ide: Xen has no SATA controller; use "
	     "--paravirt if the guest has Xen PV (xvd, netfront) drivers");
	note("disk sdd: bus sata -> xen: Xen has no SATA controller; the IDE "
	     "slots are taken");
	note("disk sdf: bus scsi (lsilogic) -> ide: a Xen HVM guest reads "
	     "CD-ROMs from emulated IDE");
	cr_assert_eq(dst.nics[0].model, HV_NIC_E1000);
	cr_assert_eq(dst.nics[1].model, HV_NIC_E1000);
	cr_assert_eq(dst.nics[2].model, HV_NIC_E1000);
	note("nic 0 (00:50:56:00:00:01): model vmxnet3 -> e1000: Xen has no "
	     "vmxnet3 NIC");
	note("nic 2: no MAC address; Xen will generate one");
	note("nic 2: model pcnet -> e1000");
	convert(HV_KIND_XEN, true);
	for (unsigned int i = 0; i < 5; i++)
		disk_is(i, HV_BUS_XEN, HV_SCSI_DEFAULT, 0, i);
	disk_is(5, HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 0);
	cr_assert_eq(dst.nics[0].model, HV_NIC_NETFRONT);
	cr_assert_eq(dst.nics[1].model, HV_NIC_E1000);
}

Test(convert, virtio_to_xen)
{
	start(HV_KIND_KVM);
	disk(HV_BUS_VIRTIO, HV_SCSI_DEFAULT, 0, 0);
	disk(HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 0);
	nic(HV_NIC_VIRTIO, "52:54:00:00:00:01");
	convert(HV_KIND_XEN, false);
	disk_is(0, HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 1);
	disk_is(1, HV_BUS_IDE, HV_SCSI_DEFAULT, 0, 0);
	note("disk vda: bus virtio -> ide: Xen has no virtio block device");
	convert(HV_KIND_XEN, true);
	disk_is(0, HV_BUS_XEN, HV_SCSI_DEFAULT, 0, 0);
	cr_assert_eq(dst.nics[0].model, HV_NIC_NETFRONT);
}

Test(convert, renumbers_clashes)
{
	start(HV_KIND_VMWARE);
	disk(HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 20); /* KVM: six ports */
	disk(HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0);
	disk(HV_BUS_SCSI, HV_SCSI_LSILOGIC, 0, 0);
	disk(HV_BUS_SATA, HV_SCSI_DEFAULT, 3, 2);
	convert(HV_KIND_KVM, false);
	disk_is(0, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 1);
	disk_is(1, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0);
	disk_is(2, HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 2);
	disk_is(3, HV_BUS_SATA, HV_SCSI_DEFAULT, 3, 2);
	note("disk sda: sata 0:20 -> 0:1: that position is taken or does not "
	     "exist on KVM");
	cr_assert_eq(dst.n_notes, 2); /* sda moved, sdc changed bus */
}

Test(convert, keeps_mac_firmware_notes_in_place)
{
	struct hv_convert_opts opts = { HV_KIND_VMWARE, false };
	struct hv_error err = { 0 };

	start(HV_KIND_KVM);
	src.firmware = HV_FW_UEFI;
	hv_vmdef_note(&src, "from the reader");
	disk(HV_BUS_SATA, HV_SCSI_DEFAULT, 0, 0)->format = HV_IMG_VMDK;
	nic(HV_NIC_E1000, "52:54:00:aa:bb:cc");
	cr_assert_eq(hv_vmdef_convert(&src, &opts, &src, &err), 0);
	cr_assert_eq(src.kind, HV_KIND_VMWARE);
	cr_assert_eq(src.firmware, HV_FW_UEFI);
	cr_assert_str_eq(src.nics[0].mac, "52:54:00:aa:bb:cc");
	cr_assert_eq(src.n_notes, 1);
	cr_assert_str_eq(src.notes[0], "from the reader");
}

Test(convert, refuses)
{
	struct hv_convert_opts opts = { (enum hv_kind)7, false };
	struct hv_error err = { 0 };

	start(HV_KIND_KVM);
	cr_assert_eq(hv_vmdef_convert(&src, &opts, &dst, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "target kind 7"));
	/* Five CD-ROMs cannot all sit on Xen's four IDE slots. */
	opts.target = HV_KIND_XEN;
	for (unsigned int i = 0; i < 5; i++)
		disk(HV_BUS_SATA, HV_SCSI_DEFAULT, 0, i)->device = HV_DEV_CDROM;
	src.n_notes = 0;
	cr_assert_eq(hv_vmdef_convert(&src, &opts, &src, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "disk sde: no free position on "
	                                   "Xen's ide bus"),
	                   "%s", err.msg);
	cr_assert_eq(src.kind, HV_KIND_KVM, "a failed convert changed src");
	cr_assert_eq(src.disks[0].bus, HV_BUS_SATA);
	src.disks[0].bus = (enum hv_disk_bus)99;
	cr_assert_eq(hv_vmdef_convert(&src, &opts, &dst, &err), -EINVAL);
	start(HV_KIND_KVM);
	hv_vmdef_serial_add(&src, HV_SERIAL_PTY, NULL);
	src.serials[0].type = (enum hv_serial_type)9;
	cr_assert_eq(hv_vmdef_convert(&src, &opts, &dst, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "convert: serial port 0 has an unknown type");
	src.n_serials = HV_VMDEF_MAX_SERIALS + 1;
	cr_assert_eq(hv_vmdef_convert(&src, &opts, &dst, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "convert: 5 serial ports, at most 4");
}

/*
 * KVM and Xen keep pty and file serial ports; VMware has no pty, so a pty
 * becomes the file NAME-serialN.log next to the .vmx, with a note.
 */
Test(convert, serial_ports)
{
	start(HV_KIND_KVM);
	snprintf(src.name, sizeof(src.name), "web/1");
	hv_vmdef_serial_add(&src, HV_SERIAL_PTY, NULL);
	hv_vmdef_serial_add(&src, HV_SERIAL_FILE, "/var/log/web-1.log");
	hv_vmdef_serial_add(&src, HV_SERIAL_PTY, NULL);
	convert(HV_KIND_XEN, false);
	cr_assert_eq(dst.n_serials, 3);
	cr_assert_eq(dst.serials[0].type, HV_SERIAL_PTY);
	cr_assert_str_eq(dst.serials[1].path, "/var/log/web-1.log");
	cr_assert_eq(dst.n_notes, 0, "%s", dst.notes[0]);
	convert(HV_KIND_KVM, false);
	cr_assert_eq(dst.serials[2].type, HV_SERIAL_PTY);
	cr_assert_eq(dst.n_notes, 0, "%s", dst.notes[0]);
	convert(HV_KIND_VMWARE, false);
	cr_assert_eq(dst.n_serials, 3);
	cr_assert_eq(dst.serials[0].type, HV_SERIAL_FILE);
	cr_assert_str_eq(dst.serials[0].path, "web_1-serial0.log");
	cr_assert_str_eq(dst.serials[1].path, "/var/log/web-1.log");
	cr_assert_str_eq(dst.serials[2].path, "web_1-serial2.log");
	note("serial 0: pty -> file web_1-serial0.log: VMware has no pty; the "
	     "console output goes to that file, next to the definition");
	note("serial 2: pty -> file web_1-serial2.log");
	cr_assert_eq(dst.n_notes, 2);
}
