/*
 * test_vmdef_file.c: definitions through the files each hypervisor keeps.
 *
 * Round trips KVM -> VMware (.vmx) -> KVM and KVM -> Xen (xl.cfg) -> KVM
 * keep everything both formats can express; the definition files are
 * written and read back by hv_vmdef_save / hv_vmdef_load, which refuse to
 * replace a file, guess formats from names, make relative image paths
 * absolute and pass on the parsers' line and column.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "hypervisor/vmdef.h"
#include "hypervisor/vmdef_file.h"
#include "hypervisor/vmdef_xml.h"
#include "hypervisor/vmx.h"
#include "hypervisor/xlcfg.h"
#include "tests/testdir.h"

#define UUID "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36"

static struct hv_vmdef kvm, there, back;
static char dir[] = "/tmp/sf-vmdef-file-XXXXXX";

static void setup(void)
{
	testdir_make(dir);
}

static void teardown(void)
{
	testdir_remove(dir);
}

static struct hv_vmdisk *add_disk(struct hv_vmdef *d, enum hv_disk_bus bus,
                                  unsigned int controller, unsigned int unit)
{
	struct hv_vmdisk *disk = &d->disks[d->n_disks++];

	disk->bus = bus;
	disk->controller = controller;
	disk->unit = unit;
	disk->format = HV_IMG_QCOW2;
	snprintf(disk->path, sizeof(disk->path), "/srv/vm/web-%zu.vmdk",
	         d->n_disks);
	return disk;
}

static void add_nic(struct hv_vmdef *d, enum hv_nic_model model,
                    const char *mac)
{
	struct hv_vmnic *n = &d->nics[d->n_nics++];

	n->model = model;
	snprintf(n->mac, sizeof(n->mac), "%s", mac);
	snprintf(n->network, sizeof(n->network), "br-prod");
	n->is_bridge = true;
}

/* A KVM guest whose devices every one of the three can express. */
static void kvm_guest(enum hv_disk_bus bus)
{
	hv_vmdef_init(&kvm);
	kvm.kind = HV_KIND_KVM;
	strcpy(kvm.name, "web-1");
	strcpy(kvm.uuid, UUID);
	kvm.memory_kib = 2048 * 1024;
	kvm.vcpus = 2;
	kvm.firmware = HV_FW_UEFI;
	add_disk(&kvm, bus, 0, 0);
	add_disk(&kvm, bus, 0, 1);
	add_nic(&kvm, HV_NIC_E1000, "52:54:00:12:34:56");
	add_nic(&kvm, HV_NIC_E1000, "00:16:3e:aa:bb:cc");
}

static void convert(const struct hv_vmdef *from, enum hv_kind to,
                    struct hv_vmdef *out)
{
	struct hv_convert_opts opts = { .target = to };
	struct hv_error err = { 0 };

	cr_assert_eq(hv_vmdef_convert(from, &opts, out, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(out->kind, to);
}

/* What both formats express survived: identity, resources, devices. */
static void same_guest(const struct hv_vmdef *a, const struct hv_vmdef *b)
{
	size_t i;

	cr_assert_str_eq(a->name, b->name);
	cr_assert_str_eq(a->uuid, b->uuid);
	cr_assert_eq(a->memory_kib, b->memory_kib);
	cr_assert_eq(a->vcpus, b->vcpus);
	cr_assert_eq(a->firmware, b->firmware);
	cr_assert_eq(a->n_disks, b->n_disks);
	for (i = 0; i < a->n_disks; i++) {
		cr_assert_str_eq(a->disks[i].path, b->disks[i].path);
		cr_assert_eq(a->disks[i].bus, b->disks[i].bus, "disk %zu: %s",
		             i, hv_disk_bus_name(b->disks[i].bus));
		cr_assert_eq(a->disks[i].controller, b->disks[i].controller);
		cr_assert_eq(a->disks[i].unit, b->disks[i].unit);
		cr_assert_eq(a->disks[i].device, b->disks[i].device);
	}
	cr_assert_eq(a->n_nics, b->n_nics);
	for (i = 0; i < a->n_nics; i++) {
		cr_assert_str_eq(a->nics[i].mac, b->nics[i].mac);
		cr_assert_eq(a->nics[i].model, b->nics[i].model, "nic %zu: %s",
		             i, hv_nic_model_name(b->nics[i].model));
		cr_assert_str_eq(a->nics[i].network, b->nics[i].network);
	}
	cr_assert_eq(a->n_serials, b->n_serials);
	for (i = 0; i < a->n_serials; i++) {
		cr_assert_eq(a->serials[i].type, b->serials[i].type,
		             "serial %zu: %s", i,
		             hv_serial_type_name(b->serials[i].type));
		cr_assert_str_eq(a->serials[i].path, b->serials[i].path);
	}
}

/* def as a file of format, parsed again. */
static void through_text(const struct hv_vmdef *def, enum hv_def_format format,
                         struct hv_vmdef *out)
{
	struct hv_error err = { 0 };
	char *text = NULL;

	cr_assert_eq(hv_vmdef_format(def, format, &text, &err), 0, "%s",
	             err.msg);
	switch (format) {
	case HV_DEF_VMX:
		cr_assert_eq(
		    hv_vmx_parse(text, strlen(text), "t.vmx", out, &err), 0,
		    "%s\n%s", err.msg, text);
		break;
	case HV_DEF_XLCFG:
		cr_assert_eq(
		    hv_xlcfg_parse(text, strlen(text), "t.cfg", out, &err), 0,
		    "%s\n%s", err.msg, text);
		break;
	case HV_DEF_XML:
		cr_assert_eq(hv_vmdef_xml_parse(text, strlen(text), out, &err),
		             0, "%s\n%s", err.msg, text);
		break;
	}
	free(text);
}

Test(vmdef_file, kvm_vmware_kvm_round_trip)
{
	size_t i;

	kvm_guest(HV_BUS_SATA);
	hv_vmdef_serial_add(&kvm, HV_SERIAL_FILE, "/var/log/web-1.log");
	there = kvm;
	/* The disks are converted too: the target reads what it gets. */
	for (i = 0; i < there.n_disks; i++)
		there.disks[i].format = HV_IMG_VMDK;
	convert(&there, HV_KIND_VMWARE, &there);
	cr_assert_eq(there.n_notes, 0, "%s", there.notes[0]);
	through_text(&there, HV_DEF_VMX, &back);
	for (i = 0; i < back.n_disks; i++) {
		cr_assert_eq(back.disks[i].format, HV_IMG_VMDK);
		back.disks[i].format = HV_IMG_QCOW2;
	}
	back.nics[0].is_bridge = back.nics[1].is_bridge =
	    true; /* not in a .vmx */
	convert(&back, HV_KIND_KVM, &there);
	same_guest(&kvm, &there);
	cr_assert_eq(there.n_notes, 0, "%s", there.notes[0]);
}

/*
 * A pty serial console through VMware comes back as a file: VMware has
 * none, so the converter writes NAME-serialN.log next to the .vmx, and
 * loading the .vmx makes that path absolute. The documented difference.
 */
Test(vmdef_file, kvm_vmware_kvm_pty_becomes_file, .init = setup,
     .fini = teardown)
{
	char paths[HV_VMDEF_FILES][4096], want[4200];
	struct hv_error err = { 0 };
	size_t n = 0, i;

	kvm_guest(HV_BUS_SATA);
	hv_vmdef_serial_add(&kvm, HV_SERIAL_PTY, NULL);
	hv_vmdef_serial_add(&kvm, HV_SERIAL_FILE, "/var/log/web-1-com2.log");
	there = kvm;
	for (i = 0; i < there.n_disks; i++)
		there.disks[i].format = HV_IMG_VMDK;
	convert(&there, HV_KIND_VMWARE, &there);
	cr_assert_eq(there.n_notes, 1, "%s", there.notes[1]);
	cr_assert_str_eq(there.notes[0],
	                 "serial 0: pty -> file web-1-serial0.log: VMware has "
	                 "no pty; the console output goes to that file, next "
	                 "to the definition");
	cr_assert_eq(hv_vmdef_save(&there, dir, paths, &n, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(hv_vmdef_load(paths[0], NULL, &back, &err), 0, "%s",
	             err.msg);
	for (i = 0; i < back.n_disks; i++)
		back.disks[i].format = HV_IMG_QCOW2;
	back.nics[0].is_bridge = back.nics[1].is_bridge = true;
	convert(&back, HV_KIND_KVM, &there);
	snprintf(want, sizeof(want), "%s/web-1-serial0.log", dir);
	cr_assert_eq(there.serials[0].type, HV_SERIAL_FILE);
	cr_assert_str_eq(there.serials[0].path, want);
	kvm.serials[0].type = HV_SERIAL_FILE;
	strcpy(kvm.serials[0].path, want);
	same_guest(&kvm, &there);
}

Test(vmdef_file, kvm_xen_kvm_round_trip)
{
	kvm_guest(HV_BUS_IDE);
	kvm.firmware = HV_FW_BIOS;
	kvm.nics[1].model = HV_NIC_RTL8139;
	/* Xen has ptys and files: both kept, in both of its formats. */
	hv_vmdef_serial_add(&kvm, HV_SERIAL_PTY, NULL);
	hv_vmdef_serial_add(&kvm, HV_SERIAL_FILE, "/var/log/web-1.log");
	convert(&kvm, HV_KIND_XEN, &there);
	cr_assert_eq(there.n_notes, 0, "%s", there.notes[0]);
	through_text(&there, HV_DEF_XLCFG, &back);
	convert(&back, HV_KIND_KVM, &there);
	same_guest(&kvm, &there);
	/* And Xen's libvirt XML says the same as its xl.cfg. */
	convert(&kvm, HV_KIND_XEN, &there);
	through_text(&there, HV_DEF_XML, &back);
	convert(&back, HV_KIND_KVM, &there);
	same_guest(&kvm, &there);
}

Test(vmdef_file, paravirt_round_trip_through_vmware)
{
	struct hv_convert_opts pv = { .target = HV_KIND_VMWARE,
		                      .paravirt = true };
	struct hv_error err = { 0 };

	kvm_guest(HV_BUS_VIRTIO);
	kvm.nics[0].model = kvm.nics[1].model = HV_NIC_VIRTIO;
	cr_assert_eq(hv_vmdef_convert(&kvm, &pv, &there, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(there.disks[0].bus, HV_BUS_SCSI);
	cr_assert_eq(there.disks[0].scsi_model, HV_SCSI_PVSCSI);
	cr_assert_eq(there.nics[0].model, HV_NIC_VMXNET3);
	there.disks[0].format = there.disks[1].format = HV_IMG_VMDK;
	through_text(&there, HV_DEF_VMX, &back);
	pv.target = HV_KIND_KVM;
	cr_assert_eq(hv_vmdef_convert(&back, &pv, &there, &err), 0, "%s",
	             err.msg);
	/* QEMU emulates PVSCSI and vmxnet3: the guest keeps its drivers. */
	cr_assert_eq(there.disks[0].bus, HV_BUS_SCSI);
	cr_assert_eq(there.disks[0].scsi_model, HV_SCSI_PVSCSI);
	cr_assert_eq(there.nics[0].model, HV_NIC_VMXNET3);
	cr_assert_str_eq(there.nics[1].mac, "00:16:3e:aa:bb:cc");
}

static char *path_in(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(path_in(name), "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(vmdef_file, save_and_load, .init = setup, .fini = teardown)
{
	char paths[HV_VMDEF_FILES][4096];
	struct hv_error err = { 0 };
	size_t n = 0;

	kvm_guest(HV_BUS_IDE);
	kvm.firmware = HV_FW_BIOS;
	convert(&kvm, HV_KIND_XEN, &there);
	cr_assert_eq(hv_vmdef_save(&there, dir, paths, &n, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(paths[0], path_in("web-1.cfg"));
	cr_assert_str_eq(paths[1], path_in("web-1.xml"));
	cr_assert_eq(hv_vmdef_load(paths[0], NULL, &back, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(back.kind, HV_KIND_XEN);
	cr_assert_eq(hv_vmdef_load(paths[1], NULL, &back, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(back.kind, HV_KIND_XEN);
	/* Never replaced, and nothing half-written is left. */
	cr_assert_eq(hv_vmdef_save(&there, dir, paths, &n, &err), -EEXIST);
	cr_assert_eq(n, 0);
	cr_assert(strstr(err.msg, "web-1.cfg"), "%s", err.msg);
	convert(&kvm, HV_KIND_VMWARE, &there);
	there.disks[0].format = there.disks[1].format = HV_IMG_VMDK;
	cr_assert_eq(hv_vmdef_save(&there, dir, paths, &n, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(paths[0], path_in("web-1.vmx"));
}

Test(vmdef_file, relative_paths_and_errors, .init = setup, .fini = teardown)
{
	enum hv_def_format vmx = HV_DEF_VMX;
	struct hv_error err = { 0 };
	char want[4200];

	write_text(
	    "a.vmx",
	    "displayName = \"a\"\nmemsize = \"512\"\n"
	    "scsi0.present = \"TRUE\"\nscsi0.virtualDev = \"pvscsi\"\n"
	    "scsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"a.vmdk\"\n");
	cr_assert_eq(hv_vmdef_load(path_in("a.vmx"), NULL, &back, &err), 0,
	             "%s", err.msg);
	snprintf(want, sizeof(want), "%s/a.vmdk", dir);
	cr_assert_str_eq(back.disks[0].path, want);
	/* The parser's line and column reach the caller. */
	write_text("b.vmx", "displayName = \"b\"\nmemsize \"512\"\n");
	cr_assert_eq(hv_vmdef_load(path_in("b.vmx"), NULL, &back, &err),
	             -EINVAL);
	cr_assert(strstr(err.msg, "b.vmx:2:"), "%s", err.msg);
	/* A name that says nothing: XML is recognised by its first byte... */
	write_text("def", "  <domain type='kvm'><name>x</name></domain>");
	cr_assert_neq(hv_vmdef_load(path_in("def"), NULL, &back, &err), 0);
	cr_assert(strstr(err.msg, "memory"), "%s", err.msg);
	/* ... anything else needs --from. */
	write_text("c", "displayName = \"c\"\nmemsize = \"512\"\n");
	cr_assert_eq(hv_vmdef_load(path_in("c"), NULL, &back, &err), -EINVAL);
	cr_assert(strstr(err.msg, "--from"), "%s", err.msg);
	cr_assert_eq(hv_vmdef_load(path_in("c"), &vmx, &back, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(hv_vmdef_load(path_in("none.vmx"), NULL, &back, &err),
	             -ENOENT);
}

Test(vmdef_file, names)
{
	enum hv_def_format f;

	cr_assert_eq(hv_def_format_parse("xl", &f), 0);
	cr_assert_eq(f, HV_DEF_XLCFG);
	cr_assert_eq(hv_def_format_parse("ovf", &f), -EINVAL);
	cr_assert_str_eq(hv_img_format_ext(HV_IMG_VPC), "vhd");
	cr_assert_str_eq(hv_img_format_ext(HV_IMG_RAW), "img");
	cr_assert_str_eq(hv_def_format_name(HV_DEF_XLCFG), "xl.cfg");
}
