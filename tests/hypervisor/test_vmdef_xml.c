/*
 * test_vmdef_xml.c: libvirt domain XML <-> struct hv_vmdef. Golden inputs
 * (tests/hypervisor/data/vmdef/<name>.xml, one per driver: QEMU, libxl,
 * ESX) against the summary in <name>.expected, the documents the reader
 * refuses, the writer against golden output, and round trips, also across
 * hypervisors through hv_vmdef_convert. Run from the top of the tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hypervisor/vmdef.h"
#include "hypervisor/vmdef_xml.h"

#define VMDEF_DIR "tests/hypervisor/data/vmdef/"

/* Large: kept off the stack. Criterion runs each test in its own process. */
static struct hv_vmdef def, again, other;

/* The whole of path, NUL-terminated. */
static char *read_all(const char *path)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = fopen(path, "rb");
	FILE *mem = open_memstream(&text, &size);
	char chunk[4096];
	size_t got;

	cr_assert_not_null(f, "open %s", path);
	cr_assert_not_null(mem);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cr_assert_eq(fwrite(chunk, 1, got, mem), got);
	fclose(f);
	fclose(mem);
	return text;
}

static const char *const scsi_models[] = { "default",    "virtio", "lsilogic",
	                                   "lsisas1068", "pvscsi", "buslogic" };

/* The definition in the .expected form, one field or device a line. */
static char *summary(const struct hv_vmdef *d)
{
	char *text = NULL;
	size_t size = 0, i;
	FILE *f = open_memstream(&text, &size);

	cr_assert_not_null(f);
	fprintf(f, "kind: %s\nname: %s\nuuid: %s\nmemory_kib: %llu\n",
	        hv_kind_name(d->kind), d->name, d->uuid,
	        (unsigned long long)d->memory_kib);
	fprintf(f, "vcpus: %u\nfirmware: %s\nguest_os: %s\n", d->vcpus,
	        d->firmware == HV_FW_UEFI ? "uefi" : "bios", d->guest_os);
	for (i = 0; i < d->n_disks; i++) {
		const struct hv_vmdisk *k = &d->disks[i];

		fprintf(f,
		        "disk: %s bus=%s scsi_model=%s at=%u:%u format=%s "
		        "readonly=%d path=%s\n",
		        k->device == HV_DEV_CDROM ? "cdrom" : "disk",
		        hv_disk_bus_name(k->bus), scsi_models[k->scsi_model],
		        k->controller, k->unit, hv_img_format_name(k->format),
		        k->readonly, k->path);
	}
	for (i = 0; i < d->n_nics; i++)
		fprintf(f, "nic: mac=%s model=%s network=%s bridge=%d\n",
		        d->nics[i].mac, hv_nic_model_name(d->nics[i].model),
		        d->nics[i].network, d->nics[i].is_bridge);
	for (i = 0; i < d->n_serials; i++)
		fprintf(f, "serial: %s%s%s\n",
		        hv_serial_type_name(d->serials[i].type),
		        d->serials[i].path[0] ? " path=" : "",
		        d->serials[i].path);
	for (i = 0; i < d->n_notes; i++)
		fprintf(f, "note: %s\n", d->notes[i]);
	fclose(f);
	return text;
}

static void parse_file(const char *name, struct hv_vmdef *out)
{
	char path[256], *xml;
	struct hv_error err = { 0 };

	snprintf(path, sizeof(path), VMDEF_DIR "%s.xml", name);
	xml = read_all(path);
	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), out, &err), 0,
	             "%s: %s", name, err.msg);
	free(xml);
}

static void golden(const char *name)
{
	char path[256], *want, *got;

	parse_file(name, &def);
	snprintf(path, sizeof(path), VMDEF_DIR "%s.expected", name);
	want = read_all(path);
	got = summary(&def);
	cr_assert_str_eq(got, want, "%s: got\n%s", name, got);
	free(want);
	free(got);
}

Test(vmdef_xml, golden_kvm)
{
	golden("kvm-lab");
}

Test(vmdef_xml, golden_xen)
{
	golden("xen-hvm");
}

Test(vmdef_xml, golden_vmware)
{
	golden("vmware-esx");
}

/* A parse that must fail with code and a message containing what. */
static void refuse(const char *xml, int code, const char *what)
{
	struct hv_error err = { 0 };

	def.name[0] = 'x';
	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), &def, &err), code,
	             "%s:\n%s", err.msg, xml);
	cr_assert_eq(err.code, code);
	cr_assert_not_null(strstr(err.msg, what), "'%s' lacks '%s'", err.msg,
	                   what);
	cr_assert_eq(def.name[0], 'x', "a failed parse wrote *def");
}

#define HEAD "<domain type='kvm'><name>n</name>"

Test(vmdef_xml, refuses_malformed_with_line_and_column)
{
	refuse("<domain type='kvm'>\n<name>n</name>\n  <memory>1</memry>\n"
	       "</domain>",
	       -EINVAL, "line 3: Opening and ending tag mismatch");
	refuse("<domain type='kvm'>\n<name>n</name>\n  <memory>1</memry>\n"
	       "</domain>",
	       -EINVAL, "(column 20)");
	refuse("", -EMSGSIZE, "0 bytes");
	refuse("<!DOCTYPE domain [<!ENTITY x 'y'>]><domain/>", -EINVAL,
	       "DOCTYPE");
	refuse("<domian type='kvm'/>", -EINVAL, "root element");
}

Test(vmdef_xml, refuses_missing_or_bad_identity)
{
	refuse("<domain type='kvm'><memory>1</memory></domain>", -EINVAL,
	       "<domain> has no <name>");
	refuse(HEAD "</domain>", -EINVAL, "<domain> has no <memory>");
	refuse("<domain type='lxc'><name>n</name></domain>", -EINVAL,
	       "<domain type='lxc'> is not kvm, qemu, xen or vmware");
	refuse(HEAD "<name>m</name></domain>", -EINVAL, "<name> appears twice");
	refuse(HEAD "<uuid>not-a-uuid</uuid><memory>1</memory></domain>",
	       -EINVAL, "<uuid> 'not-a-uuid' is not a UUID");
	refuse(HEAD "<memory>1</memory><vcpu>0</vcpu></domain>", -EINVAL,
	       "<vcpu> 0 is not 1..65535");
}

Test(vmdef_xml, memory_units)
{
	static const struct {
		const char *memory;
		unsigned long long kib;
	} cases[] = {
		{ "<memory>4</memory>", 4 },
		{ "<memory unit='b'>1025</memory>", 2 },
		{ "<memory unit='KB'>1024</memory>", 1000 },
		{ "<memory unit='M'>2</memory>", 2048 },
		{ "<memory unit='GiB'>1</memory>", 1048576 },
		{ "<memory unit='GB'>1</memory>", 976563 },
		{ "<memory unit='TiB'>1</memory>", 1ULL << 30 },
	};
	struct hv_error err = { 0 };
	char xml[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(xml, sizeof(xml), HEAD "%s</domain>", cases[i].memory);
		cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), &def, &err),
		             0, "%s: %s", xml, err.msg);
		cr_assert_eq(def.memory_kib, cases[i].kib, "%s", xml);
	}
	refuse(HEAD "<memory unit='parsecs'>1</memory></domain>", -EINVAL,
	       "<memory unit='parsecs'> is not a known unit");
	refuse(HEAD "<memory unit='EiB'>99999</memory></domain>", -EINVAL,
	       "out of range");
}

/* A document with n file disks vda, vdb, ... */
static char *many_disks(size_t n)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	fputs(HEAD "<memory>1</memory><devices>", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
		        "<disk><source file='/d%zu'/><target dev='vd%c%c'/>"
		        "</disk>",
		        i, (char)('a' + i / 26), (char)('a' + i % 26));
	fputs("</devices></domain>", f);
	fclose(f);
	return text;
}

Test(vmdef_xml, disk_limits)
{
	struct hv_error err = { 0 };
	char *xml = many_disks(HV_VMDEF_MAX_DISKS);

	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), &def, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(def.n_disks, HV_VMDEF_MAX_DISKS);
	cr_assert_eq(def.disks[31].unit, 31 + 26); /* "vdbf" */
	free(xml);
	xml = many_disks(HV_VMDEF_MAX_DISKS + 1);
	refuse(xml, -EINVAL, "more than 32 <disk> elements");
	free(xml);
}

Test(vmdef_xml, refuses_bad_disks)
{
	refuse(HEAD "<memory>1</memory><devices><disk><source file='/a'/>"
	            "</disk></devices></domain>",
	       -EINVAL, "<disk> has no <target>");
	refuse(HEAD "<memory>1</memory><devices><disk><target dev='vda'/>"
	            "</disk></devices></domain>",
	       -EINVAL, "disk vda has no <source>");
	refuse(HEAD "<memory>1</memory><devices><disk type='network'>"
	            "<source protocol='rbd' name='p/i'/><target dev='vda'/>"
	            "</disk></devices></domain>",
	       -EINVAL, "disk vda: a 'network' disk has no file to convert");
	refuse(HEAD "<memory>1</memory><devices><disk><driver type='qed'/>"
	            "<source file='/a'/><target dev='vda'/></disk></devices>"
	            "</domain>",
	       -EINVAL, "disk vda: <driver type='qed'> is not raw");
	refuse(HEAD "<memory>1</memory><devices><disk><source file='/a'/>"
	            "<target dev='sda' bus='usb'/></disk></devices></domain>",
	       -EINVAL, "disk sda: bus 'usb' is not virtio");
	refuse(HEAD "<memory>1</memory><devices><disk><source file='/a'/>"
	            "<target dev='vda'/></disk><disk><source file='/b'/>"
	            "<target dev='vda'/></disk></devices></domain>",
	       -EINVAL, "disk target 'vda' appears twice");
	refuse(HEAD "<memory>1</memory><devices><disk><source file='/a'/>"
	            "<target dev='sda' bus='sata'/></disk><disk>"
	            "<source file='/b'/><target dev='sdb' bus='sata'/>"
	            "<address type='drive' unit='0'/></disk></devices>"
	            "</domain>",
	       -EINVAL, "disks sda and sdb are both at sata 0:0");
	refuse(HEAD "<memory>1</memory><devices><disk><source file='/a'/>"
	            "<target dev='sda' bus='sata'/><address type='drive' "
	            "unit='x'/></disk></devices></domain>",
	       -EINVAL, "<address unit='x'> is not a number 0..1023");
	refuse(HEAD "<memory>1</memory><devices><interface type='bridge'>"
	            "<mac address='01:00:5e:00:00:01'/></interface></devices>"
	            "</domain>",
	       -EINVAL, "is not a unicast MAC address");
}

Test(vmdef_xml, notes_unmapped_kinds_once)
{
	struct hv_error err = { 0 };
	const char *xml =
	    HEAD "<memory>1</memory><devices><sound model='ich9'/>"
	         "<sound model='ac97'/><tpm model='tpm-crb'/>"
	         "<disk device='floppy'><target dev='fda'/></disk>"
	         "<video><model type='qxl'/></video><video/>"
	         "<interface type='user'><model type='ne2k_pci'/></interface>"
	         "</devices></domain>";

	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), &def, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(def.n_notes, 6);
	cr_assert_str_eq(def.notes[0], "nic 0: model 'ne2k_pci' is not known: "
	                               "taken as e1000");
	cr_assert_str_eq(def.notes[1], "nic 0: <interface type='user'> is not "
	                               "mapped: no network");
	cr_assert_str_eq(def.notes[2], "not mapped: <sound> (more than one)");
	cr_assert_str_eq(def.notes[3], "not mapped: <tpm>");
	cr_assert_str_eq(def.notes[4], "not mapped: <disk device='floppy'>");
	cr_assert_str_eq(def.notes[5], "not mapped: <video>");
}

/* Every field but the notes and subformats. */
static void assert_same(const struct hv_vmdef *a, const struct hv_vmdef *b)
{
	char *sa, *sb, *na, *nb;

	sa = summary(a);
	sb = summary(b);
	na = strstr(sa, "note: ");
	nb = strstr(sb, "note: ");
	if (na)
		*na = '\0';
	if (nb)
		*nb = '\0';
	cr_assert_str_eq(sa, sb);
	free(sa);
	free(sb);
}

/* write(d) parses back as d. */
static void round_trip(const struct hv_vmdef *d)
{
	struct hv_error err = { 0 };
	char *xml = NULL;

	cr_assert_eq(hv_vmdef_xml_write(d, &xml, &err), 0, "%s", err.msg);
	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), &again, &err), 0,
	             "%s\n%s", err.msg, xml);
	assert_same(d, &again);
	free(xml);
}

static struct hv_vmdisk *add_disk(struct hv_vmdef *d, enum hv_disk_bus bus,
                                  unsigned int controller, unsigned int unit,
                                  const char *path)
{
	struct hv_vmdisk *k = &d->disks[d->n_disks++];

	memset(k, 0, sizeof(*k));
	k->bus = bus;
	k->controller = controller;
	k->unit = unit;
	k->format = HV_IMG_QCOW2;
	snprintf(k->path, sizeof(k->path), "%s", path);
	return k;
}

static void add_nic(struct hv_vmdef *d, const char *mac,
                    enum hv_nic_model model, const char *network,
                    bool is_bridge)
{
	struct hv_vmnic *n = &d->nics[d->n_nics++];

	snprintf(n->mac, sizeof(n->mac), "%s", mac);
	n->model = model;
	snprintf(n->network, sizeof(n->network), "%s", network);
	n->is_bridge = is_bridge;
}

/* A KVM guest with a bit of everything domain XML can say. */
static void kvm_sample(struct hv_vmdef *d)
{
	struct hv_vmdisk *k;

	hv_vmdef_init(d);
	d->kind = HV_KIND_KVM;
	snprintf(d->name, sizeof(d->name), "web <1> & \"db\"");
	snprintf(d->uuid, sizeof(d->uuid),
	         "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36");
	snprintf(d->guest_os, sizeof(d->guest_os), "debian12-64");
	d->memory_kib = 2097152;
	d->vcpus = 2;
	d->firmware = HV_FW_UEFI;
	add_disk(d, HV_BUS_SATA, 0, 0, "/var/lib/sf/web-0.qcow2");
	k = add_disk(d, HV_BUS_SCSI, 0, 3, "/var/lib/sf/web 1.vmdk");
	k->scsi_model = HV_SCSI_VIRTIO;
	k->format = HV_IMG_VMDK;
	add_disk(d, HV_BUS_VIRTIO, 0, 1, "/dev/vg0/web-2")->format = HV_IMG_RAW;
	k = add_disk(d, HV_BUS_SATA, 1, 5, "");
	k->device = HV_DEV_CDROM;
	k->readonly = true;
	k->format = HV_IMG_RAW;
	add_nic(d, "52:54:00:5f:a1:0a", HV_NIC_VIRTIO, "vmbr0", true);
	add_nic(d, "", HV_NIC_E1000E, "default", false);
	add_nic(d, "52:54:00:5f:a1:0c", HV_NIC_VMXNET3, "", false);
	hv_vmdef_serial_add(d, HV_SERIAL_PTY, NULL);
	hv_vmdef_serial_add(d, HV_SERIAL_FILE,
	                    "/var/log/sf/web <1> & 'db'.log");
}

/* The writer's output for d is the file golden, to the byte. */
static void writer_golden(const struct hv_vmdef *d, const char *golden)
{
	struct hv_error err = { 0 };
	char *xml = NULL, *want;

	cr_assert_eq(hv_vmdef_xml_write(d, &xml, &err), 0, "%s", err.msg);
	want = read_all(golden);
	cr_assert_str_eq(xml, want, "got\n%s", xml);
	free(want);
	free(xml);
}

Test(vmdef_xml, writer_golden_kvm)
{
	kvm_sample(&def);
	writer_golden(&def, VMDEF_DIR "kvm-written.xml");
}

Test(vmdef_xml, round_trip_kvm)
{
	kvm_sample(&def);
	round_trip(&def);
	def.firmware = HV_FW_BIOS;
	def.disks[0].bus = HV_BUS_IDE; /* machine pc */
	def.disks[0].controller = 1;
	def.disks[0].unit = 1;
	def.uuid[0] = '\0';
	def.guest_os[0] = '\0';
	round_trip(&def);
	parse_file("kvm-lab", &other);
	round_trip(&other);
}

/* A Xen HVM guest: xvd and IDE disks, a CD-ROM, both NIC kinds. */
static void xen_sample(struct hv_vmdef *d)
{
	struct hv_vmdisk *k;

	hv_vmdef_init(d);
	d->kind = HV_KIND_XEN;
	snprintf(d->name, sizeof(d->name), "fv0");
	d->memory_kib = 1048576;
	d->vcpus = 4;
	d->firmware = HV_FW_UEFI;
	add_disk(d, HV_BUS_XEN, 0, 0, "/srv/xen/fv0.vhd")->format = HV_IMG_VPC;
	add_disk(d, HV_BUS_XEN, 0, 2, "/srv/xen/fv0-data.qcow2");
	add_disk(d, HV_BUS_IDE, 0, 1, "/dev/vg0/fv0")->format = HV_IMG_RAW;
	k = add_disk(d, HV_BUS_IDE, 1, 0, "/srv/iso/install.iso");
	k->device = HV_DEV_CDROM;
	k->readonly = true;
	k->format = HV_IMG_RAW;
	add_nic(d, "00:16:3e:5d:c7:9e", HV_NIC_NETFRONT, "xenbr0", true);
	add_nic(d, "00:16:3e:5d:c7:9f", HV_NIC_RTL8139, "default", false);
	hv_vmdef_serial_add(d, HV_SERIAL_PTY, NULL);
}

Test(vmdef_xml, writer_golden_xen)
{
	xen_sample(&def);
	writer_golden(&def, VMDEF_DIR "xen-written.xml");
}

Test(vmdef_xml, round_trip_xen)
{
	xen_sample(&def);
	round_trip(&def);
	parse_file("xen-hvm", &other);
	round_trip(&other);
}

/* A write that must fail with -EINVAL and a message containing what. */
static void refuse_write(const struct hv_vmdef *d, const char *what)
{
	struct hv_error err = { 0 };
	char *xml = NULL;

	cr_assert_eq(hv_vmdef_xml_write(d, &xml, &err), -EINVAL, "%s", xml);
	cr_assert_null(xml);
	cr_assert_not_null(strstr(err.msg, what), "'%s' lacks '%s'", err.msg,
	                   what);
}

Test(vmdef_xml, writer_refuses)
{
	kvm_sample(&def);
	def.kind = HV_KIND_VMWARE;
	refuse_write(&def, "hv_vmx_write");
	kvm_sample(&def);
	def.disks[1].unit = 7; /* KVM's SCSI controllers take units 0..6 */
	refuse_write(&def, "disk sdb: scsi 0:7 is not a position on KVM");
	kvm_sample(&def);
	def.disks[0].unit = 5;
	def.disks[0].controller = 1;
	refuse_write(&def, "sata 1:5 is taken");
	kvm_sample(&def);
	def.disks[1].bus = HV_BUS_XEN;
	refuse_write(&def, "disk xvdd: KVM has no xen bus");
	kvm_sample(&def);
	def.nics[0].model = HV_NIC_NETFRONT;
	refuse_write(&def, "nic 0: KVM has no netfront NIC");
	kvm_sample(&def);
	def.name[0] = '\001';
	refuse_write(&def, "name is not UTF-8 text");
	kvm_sample(&def);
	def.disks[0].path[0] = '\0';
	refuse_write(&def, "disk sda has no file");
	xen_sample(&def);
	def.disks[0].format = HV_IMG_VMDK;
	refuse_write(&def, "disk xvda: Xen cannot read vmdk");
	kvm_sample(&def);
	def.serials[1].path[0] = '\0';
	refuse_write(&def, "serial 1: not a pty or a file, or a file without a "
	                   "path, or a pty with one");
	kvm_sample(&def);
	strcpy(def.serials[0].path, "/tmp/x");
	refuse_write(&def, "serial 0: not a pty or a file");
	kvm_sample(&def);
	def.serials[0].type = (enum hv_serial_type)5;
	refuse_write(&def, "serial 0: not a pty or a file");
	kvm_sample(&def);
	def.serials[1].path[0] = '\002';
	refuse_write(&def, "a serial port's path is not UTF-8 text");
	kvm_sample(&def);
	def.n_serials = HV_VMDEF_MAX_SERIALS + 1;
	refuse_write(&def, "5 serial ports, at most 32, 16 and 4");
}

/*
 * Serial ports: pty and file are mapped in port order (document order
 * without a port), a <console> on a serial port is passed over, other
 * types and other consoles are noted.
 */
Test(vmdef_xml, serial_ports)
{
	static const char xml[] =
	    HEAD "<memory>1</memory><devices>"
	         "<serial type='file'><source path='/log/s2'/>"
	         "<target port='2'/></serial>"
	         "<serial type='pty'/>"
	         "<serial type='tcp'><source mode='bind' host='0.0.0.0' "
	         "service='4555'/><target port='1'/></serial>"
	         "<serial type='unix'/><serial type='tcp'/>"
	         "<serial type='file'/>"
	         "<serial type='pty'><target port='3'/></serial>"
	         "<console type='pty'><target type='serial' port='0'/>"
	         "</console>"
	         "<console type='pty'><target type='virtio' port='0'/>"
	         "</console>"
	         "</devices></domain>";
	struct hv_error err = { 0 };

	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), &def, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(def.n_serials, 3);
	cr_assert_eq(def.serials[0].type, HV_SERIAL_PTY);
	cr_assert_str_eq(def.serials[0].path, "");
	cr_assert_eq(def.serials[1].type, HV_SERIAL_FILE);
	cr_assert_str_eq(def.serials[1].path, "/log/s2");
	cr_assert_eq(def.serials[2].type, HV_SERIAL_PTY);
	cr_assert_eq(def.n_notes, 6);
	cr_assert_str_eq(def.notes[0], "serial port 2 becomes port 1");
	cr_assert_str_eq(def.notes[1], "serial port 3 becomes port 2");
	cr_assert_str_eq(def.notes[2],
	                 "not mapped: <serial type='tcp'> (more than one)");
	cr_assert_str_eq(def.notes[3], "not mapped: <serial type='unix'>");
	cr_assert_str_eq(def.notes[4], "not mapped: <serial type='file' "
	                               "without a path>");
	cr_assert_str_eq(def.notes[5], "not mapped: <console>");
}

Test(vmdef_xml, serial_ports_limits)
{
	struct hv_error err = { 0 };
	char xml[4096];
	size_t i, n;

	refuse(HEAD "<memory>1</memory><devices><serial type='pty'>"
	            "<target port='0'/></serial><serial type='pty'/>"
	            "<serial type='pty'><target port='0'/></serial>"
	            "</devices></domain>",
	       -EINVAL, "serial port 0 appears twice");
	refuse(HEAD "<memory>1</memory><devices><serial type='pty'>"
	            "<target port='32'/></serial></devices></domain>",
	       -EINVAL, "<target port='32'> is not a number 0..31");
	n = (size_t)snprintf(xml, sizeof(xml),
	                     HEAD "<memory>1</memory><devices>");
	for (i = 0; i < 6; i++)
		n += (size_t)snprintf(xml + n, sizeof(xml) - n,
		                      "<serial type='pty'/>");
	snprintf(xml + n, sizeof(xml) - n, "</devices></domain>");
	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), &def, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(def.n_serials, HV_VMDEF_MAX_SERIALS);
	cr_assert_eq(def.n_notes, 2);
	cr_assert_str_eq(def.notes[0], "serial port 4 is not mapped: at most "
	                               "4 serial ports");
	/* A serial console without any <serial> is libvirt's own serial0. */
	snprintf(xml, sizeof(xml),
	         HEAD "<memory>1</memory><devices><console type='pty'>"
	              "<target type='serial'/></console></devices></domain>");
	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), &def, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(def.n_serials, 0);
	cr_assert_eq(def.n_notes, 1);
	cr_assert_str_eq(def.notes[0], "not mapped: <console>");
}

/* Convert in for target, write domain XML and read it into out. */
static void move(const struct hv_vmdef *in, enum hv_kind target, bool paravirt,
                 struct hv_vmdef *out)
{
	struct hv_convert_opts opts = { target, paravirt };
	struct hv_error err = { 0 };
	char *xml = NULL;

	cr_assert_eq(hv_vmdef_convert(in, &opts, &other, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(hv_vmdef_xml_write(&other, &xml, &err), 0, "%s", err.msg);
	cr_assert_eq(hv_vmdef_xml_parse(xml, strlen(xml), out, &err), 0, "%s",
	             err.msg);
	free(xml);
}

/*
 * KVM -> Xen -> KVM through convert and domain XML: what each format can
 * say survives. With --paravirt the virtio disks go to xvd and back to
 * virtio; without it, to IDE and back to IDE (the guest drives it).
 */
Test(vmdef_xml, kvm_xen_kvm)
{
	hv_vmdef_init(&def);
	def.kind = HV_KIND_KVM;
	snprintf(def.name, sizeof(def.name), "sf-guest-1");
	snprintf(def.uuid, sizeof(def.uuid),
	         "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36");
	def.memory_kib = 262144;
	def.vcpus = 1;
	def.firmware = HV_FW_UEFI;
	add_disk(&def, HV_BUS_VIRTIO, 0, 0, "/var/lib/sf/root.qcow2");
	add_disk(&def, HV_BUS_VIRTIO, 0, 1, "/var/lib/sf/data.raw")->format =
	    HV_IMG_RAW;
	add_nic(&def, "52:54:00:5f:a1:0a", HV_NIC_VIRTIO, "vmbr0", true);
	hv_vmdef_serial_add(&def, HV_SERIAL_PTY, NULL);
	hv_vmdef_serial_add(&def, HV_SERIAL_FILE, "/var/log/sf/console.log");

	move(&def, HV_KIND_XEN, true, &again);
	cr_assert_eq(again.n_serials, 2); /* Xen keeps both */
	cr_assert_eq(again.disks[0].bus, HV_BUS_XEN);
	cr_assert_eq(again.nics[0].model, HV_NIC_NETFRONT);
	move(&again, HV_KIND_KVM, true, &again);
	assert_same(&def, &again);

	/* Without --paravirt: IDE on Xen, and IDE it stays on KVM. */
	move(&def, HV_KIND_XEN, false, &again);
	cr_assert_eq(again.disks[1].bus, HV_BUS_IDE);
	cr_assert_eq(again.nics[0].model, HV_NIC_E1000);
	move(&again, HV_KIND_KVM, false, &again);
	cr_assert_eq(again.disks[0].bus, HV_BUS_IDE);
	cr_assert_eq(again.disks[1].controller * 2 + again.disks[1].unit, 1);
	cr_assert_eq(again.nics[0].model, HV_NIC_E1000);
	cr_assert_str_eq(again.nics[0].mac, "52:54:00:5f:a1:0a");
	cr_assert_str_eq(again.disks[1].path, "/var/lib/sf/data.raw");
	cr_assert_eq(again.firmware, HV_FW_UEFI);
}
