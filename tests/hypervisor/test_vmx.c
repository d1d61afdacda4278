/*
 * test_vmx.c: the .vmx reader against golden samples
 * (tests/hypervisor/data/vmx/<name>.vmx and the definition expected from
 * it in <name>.expected), its syntax and value errors with their exact
 * messages, the writer's golden output and refusals, and round trips.
 * Run from the top of the tree, as "make unit" does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hypervisor/vmx.h"
#include "tests/hypervisor/vmx_check.h"

#define DATA_DIR "tests/hypervisor/data/vmx/"
#define BASE     "displayName = \"m\"\nmemsize = \"1024\"\n"

/* Large: kept off the stack. Criterion runs each test in its own process. */
static struct hv_vmdef def, back;

/* A whole file, NUL-terminated; *len without the NUL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t size = 0;

	cr_assert_not_null(f, "open %s", path);
	buf = malloc(HV_VMX_MAX + 1);
	cr_assert_not_null(buf);
	size = fread(buf, 1, HV_VMX_MAX, f);
	cr_assert(feof(f), "%s is larger than the test reads", path);
	buf[size] = '\0';
	fclose(f);
	if (len)
		*len = size;
	return buf;
}

static const char *const scsi_models[] = {
	[HV_SCSI_DEFAULT] = "default",   [HV_SCSI_VIRTIO] = "virtio",
	[HV_SCSI_LSILOGIC] = "lsilogic", [HV_SCSI_LSISAS1068] = "lsisas1068",
	[HV_SCSI_PVSCSI] = "pvscsi",     [HV_SCSI_BUSLOGIC] = "buslogic",
};

/* A text written with stdio; text_close() ends it. */
static FILE *text_open(char **text, size_t *size)
{
	FILE *f = open_memstream(text, size);

	cr_assert_not_null(f);
	return f;
}

static void text_close(FILE *f)
{
	cr_assert_eq(ferror(f), 0);
	cr_assert_eq(fclose(f), 0);
}

/* The definition in the .expected format. */
static char *def_dump(const struct hv_vmdef *d)
{
	char *text = NULL;
	size_t i, size;
	FILE *f = text_open(&text, &size);

	fprintf(f, "kind: %s\nname: %s\nuuid: %s\n", hv_kind_name(d->kind),
	        d->name, d->uuid);
	fprintf(f, "memory_kib: %llu\nvcpus: %u\nfirmware: %s\n",
	        (unsigned long long)d->memory_kib, d->vcpus,
	        d->firmware == HV_FW_UEFI ? "uefi" : "bios");
	fprintf(f, "guest_os: %s\n", d->guest_os);
	for (i = 0; i < d->n_disks; i++) {
		const struct hv_vmdisk *k = &d->disks[i];

		fprintf(f, "disk: %s%u:%u device=%s format=%s",
		        hv_disk_bus_name(k->bus), k->controller, k->unit,
		        k->device == HV_DEV_CDROM ? "cdrom" : "disk",
		        hv_img_format_name(k->format));
		if (k->bus == HV_BUS_SCSI)
			fprintf(f, " scsi_model=%s",
			        scsi_models[k->scsi_model]);
		fprintf(f, " path=%s%s\n", k->path,
		        k->readonly ? " readonly" : "");
	}
	for (i = 0; i < d->n_nics; i++)
		fprintf(f, "nic: model=%s mac=%s network=%s\n",
		        hv_nic_model_name(d->nics[i].model), d->nics[i].mac,
		        d->nics[i].network);
	for (i = 0; i < d->n_serials; i++)
		fprintf(f, "serial: %s%s%s\n",
		        hv_serial_type_name(d->serials[i].type),
		        d->serials[i].path[0] ? " path=" : "",
		        d->serials[i].path);
	for (i = 0; i < d->n_notes; i++)
		fprintf(f, "note: %s\n", d->notes[i]);
	text_close(f);
	return text;
}

/* Write d, read it back into back, and check it is d again. */
static char *round_trip(const struct hv_vmdef *d)
{
	struct hv_error err = { 0 };
	const char *wrong;
	char *out = NULL;

	cr_assert_eq(hv_vmx_write(d, &out, &err), 0, "write: %s", err.msg);
	cr_assert_eq(hv_vmx_parse(out, strlen(out), "out.vmx", &back, &err), 0,
	             "read back: %s\n%s", err.msg, out);
	wrong = vmx_check_round_trip(d, &back);
	cr_assert_null(wrong, "%s differs after:\n%s", wrong, out);
	return out;
}

static void golden(const char *name)
{
	char path[256], *text, *want, *got;
	struct hv_error err = { 0 };
	size_t len;

	snprintf(path, sizeof(path), DATA_DIR "%s.vmx", name);
	text = slurp(path, &len);
	snprintf(path, sizeof(path), DATA_DIR "%s.expected", name);
	want = slurp(path, NULL);
	snprintf(path, sizeof(path), "%s.vmx", name);
	cr_assert_eq(hv_vmx_parse(text, len, path, &def, &err), 0, "%s",
	             err.msg);
	got = def_dump(&def);
	cr_assert_str_eq(got, want, "%s: got\n%s", name, got);
	free(round_trip(&def));
	free(got);
	free(want);
	free(text);
}

Test(vmx, golden_linux_esxi)
{
	golden("linux-esxi");
}

Test(vmx, golden_windows_efi)
{
	golden("windows-efi");
}

Test(vmx, golden_ide_cdrom)
{
	golden("ide-cdrom");
}

Test(vmx, golden_static_mac)
{
	golden("static-mac");
}

/* Parse text as "bad.vmx"; expect code and exactly the message msg. */
static void expect_error(const char *text, size_t len, int code,
                         const char *msg)
{
	struct hv_error err = { 0 };

	memset(&def, 0xa5, sizeof(def));
	cr_assert_eq(hv_vmx_parse(text, len, "bad.vmx", &def, &err), code,
	             "for:\n%s\n(%s)", text, err.msg);
	cr_assert_eq(err.code, code);
	cr_assert_str_eq(err.msg, msg, "for:\n%s", text);
	/* A failed parse leaves nothing behind. */
	cr_assert_eq(def.name[0], '\0');
	cr_assert_eq(def.n_disks + def.n_nics + def.n_notes, 0);
}

static void expect_bad(const char *text, const char *msg)
{
	expect_error(text, strlen(text), -EINVAL, msg);
}

struct bad_case {
	const char *text, *msg;
};

/* expect_bad() on prefix + each case's text. */
static void expect_cases(const char *prefix, const struct bad_case *cases,
                         size_t n)
{
	char *text;

	for (size_t i = 0; i < n; i++) {
		cr_assert_gt(asprintf(&text, "%s%s", prefix, cases[i].text), 0);
		expect_bad(text, cases[i].msg);
		free(text);
	}
}

Test(vmx, syntax_errors)
{
	static const struct bad_case cases[] = {
		{ BASE "numvcpus \"2\"\n",
		  "bad.vmx:3:10: expected '=' after key 'numvcpus'" },
		{ BASE "numvcpus\n",
		  "bad.vmx:3:9: expected '=' after key 'numvcpus'" },
		{ "memsize = \"1024\r\nnumvcpus = \"1\"\r\n",
		  "bad.vmx:1:11: unterminated quote" },
		{ BASE "guestOS = \"other",
		  "bad.vmx:3:11: unterminated quote" },
		{ BASE "  mem!size = \"1\"\n",
		  "bad.vmx:3:6: bad character '!' in key 'mem'" },
		{ BASE "\"memsize\" = \"1\"\n",
		  "bad.vmx:3:1: expected a key, found '\"'" },
		{ BASE "= \"1\"\n", "bad.vmx:3:1: expected a key, found '='" },
		{ BASE "guestOS = \"other\" x\n",
		  "bad.vmx:3:19: unexpected 'x' after the closing quote" },
		{ BASE "guestOS = \"other\"\"\n",
		  "bad.vmx:3:18: unexpected '\"' after the closing quote" },
		{ BASE "guestOS = other x\n",
		  "bad.vmx:3:17: unexpected 'x' after the value" },
		{ BASE "guestOS = ot\"her\n",
		  "bad.vmx:3:13: a quote inside an unquoted value" },
		{ BASE "guestOS =\n",
		  "bad.vmx:3:10: expected a value after '='" },
		{ BASE "guestOS = # none\n",
		  "bad.vmx:3:11: expected a value after '='" },
		{ BASE "guestOS = \"a|2\"\n",
		  "bad.vmx:3:13: '|' is not followed by two hex digits" },
		{ BASE "guestOS = \"a|g0\"\n",
		  "bad.vmx:3:13: '|' is not followed by two hex digits" },
		{ BASE "guestOS = \"a|00\"\n",
		  "bad.vmx:3:13: the escape |00 (a NUL byte) is not allowed" },
		{ BASE "guestOS = \"a\tb\x01\"\n",
		  "bad.vmx:3:15: control character 0x01 in a value" },
		{ BASE "guestOS = \"a\rb\"\n",
		  "bad.vmx:3:13: control character 0x0d in a value" },
		{ BASE "\r\n\r\r\n",
		  "bad.vmx:4:1: expected a key, found byte 0x0d" },
		{ "displayName = \"m\"\nmemsize = \"1\"\nMemSize = \"2\"\n",
		  "bad.vmx:3:1: duplicate key 'MemSize' (first on line 2)" },
		{ "a = 1\nb = 2\na = 3\nb = 4\na = 5\n",
		  "bad.vmx:3:1: duplicate key 'a' (first on line 1)" },
	};
	expect_cases("", cases, sizeof(cases) / sizeof(cases[0]));
}

Test(vmx, long_key)
{
	char *text = NULL;
	char key[300];

	memset(key, 'k', 256);
	key[256] = '\0';
	cr_assert_gt(asprintf(&text, BASE "\n  %s = \"1\"\n", key), 0);
	expect_bad(text, "bad.vmx:4:3: a key is longer than 255 bytes");
	free(text);
}

Test(vmx, nul_byte)
{
	static const char text[] = BASE "guestOS = \"ot\0her\"\n";

	expect_error(text, sizeof(text) - 1, -EINVAL, "bad.vmx:3:14: NUL byte");
	expect_error("\0", 1, -EINVAL, "bad.vmx:1:1: NUL byte");
}

Test(vmx, sizes)
{
	char *big = malloc(HV_VMX_MAX + 1);
	struct hv_error err = { 0 };

	expect_error("", 0, -EMSGSIZE, "bad.vmx: 0 bytes, expected 1..1048576");
	expect_error(NULL, 10, -EMSGSIZE,
	             "bad.vmx: 0 bytes, expected 1..1048576");
	/* Exactly the limit is read: a comment padding a valid file. */
	cr_assert_not_null(big);
	memset(big, '#', HV_VMX_MAX + 1);
	memcpy(big, BASE, strlen(BASE));
	cr_assert_eq(hv_vmx_parse(big, HV_VMX_MAX, "big.vmx", &def, &err), 0,
	             "%s", err.msg);
	cr_assert_str_eq(def.name, "m");
	expect_error(big, HV_VMX_MAX + 1, -EMSGSIZE,
	             "bad.vmx: 1048577 bytes, expected 1..1048576");
	free(big);
}

Test(vmx, too_many_keys)
{
	char *text = NULL;
	size_t size;
	FILE *f = text_open(&text, &size);
	int i;

	fputs(BASE, f);
	for (i = 0; i < 16382; i++)
		fprintf(f, "k%d=1\n", i);
	fflush(f);
	cr_assert_eq(hv_vmx_parse(text, strlen(text), "k.vmx", &def, NULL), 0);
	cr_assert_str_eq(def.notes[0],
	                 "vmx: 16382 keys not mapped: k0, k1, k2, k3, k4, k5, "
	                 "k6, k7, k8, k9, k10, k11, k12, k13, k14, k15, k16, "
	                 "k17, k18, k19, k20, k21, k22, k23, k24, k25, k26, "
	                 "k27, k28, k29, k30, k31, k32, ...");
	fputs("k=1\n", f);
	text_close(f);
	expect_bad(text, "bad.vmx:16385:1: more than 16384 keys");
	free(text);
}

Test(vmx, value_errors)
{
	static const struct bad_case cases[] = {
		{ "memsize = \"2\"\n",
		  "bad.vmx:3:1: duplicate key 'memsize' (first on line 2)" },
		{ "uuid.bios = \"42 1a 6d 3e 5f 70 81 92 a3 b4 c5 d6 e7 f8 09 "
		  "1a\"\n",
		  "bad.vmx:3: uuid.bios '42 1a 6d 3e 5f 70 81 92 a3 b4 c5 d6 "
		  "e7 "
		  "f8 09 1a' is not 16 hex bytes like '56 4d 12 34 56 78 9a "
		  "bc-de f0 ...'" },
		{ "uuid.bios = \"42 1a 6d 3e 5f 70 81 92-a3 b4 c5 d6 e7 f8 "
		  "09\"\n",
		  "bad.vmx:3: uuid.bios '42 1a 6d 3e 5f 70 81 92-a3 b4 c5 d6 "
		  "e7 "
		  "f8 09' is not 16 hex bytes like '56 4d 12 34 56 78 9a bc-de "
		  "f0 ...'" },
		{ "uuid.bios = \"42 1a 6d 3e 5f 70 81 92-a3 b4 c5 d6 e7 f8 09 "
		  "1a \"\n",
		  "bad.vmx:3: uuid.bios '42 1a 6d 3e 5f 70 81 92-a3 b4 c5 d6 "
		  "e7 "
		  "f8 09 1a ' is not 16 hex bytes like '56 4d 12 34 56 78 9a "
		  "bc-de f0 ...'" },
		{ "uuid.bios = \"4g\"\n", "bad.vmx:3: uuid.bios '4g' is not 16 "
		                          "hex bytes like '56 4d 12 "
		                          "34 56 78 9a bc-de f0 ...'" },
		{ "numvcpus = \"0\"\n",
		  "bad.vmx:3: numvcpus '0' is not 1..768" },
		{ "numvcpus = \"769\"\n",
		  "bad.vmx:3: numvcpus '769' is not 1..768" },
		{ "numvcpus = \"-1\"\n",
		  "bad.vmx:3: numvcpus '-1' is not 1..768" },
		{ "firmware = \"uefi\"\n",
		  "bad.vmx:3: firmware 'uefi' is not bios or efi" },
		{ "guestOS = "
		  "\"0123456789012345678901234567890123456789012345678901"
		  "234567890123\"\n",
		  "bad.vmx:3: guestOS is longer than 63 bytes" },
		{ "scsi0.present = \"maybe\"\nscsi0:0.present = \"TRUE\"\n",
		  "bad.vmx:3: scsi0.present 'maybe' is not TRUE or FALSE" },
		{ "scsi4:0.present = \"TRUE\"\n",
		  "bad.vmx:3: scsi4:0.present: the controller index is out of "
		  "range" },
		{ "scsi0:7.present = \"TRUE\"\n",
		  "bad.vmx:3: scsi0:7.present: unit 7 is the SCSI controller's "
		  "own" },
		{ "scsi0.present = \"TRUE\"\nscsi0:16.present = \"TRUE\"\n",
		  "bad.vmx:4: scsi0:16: units above 15 need a pvscsi "
		  "controller" },
		{ "ide0:2.fileName = \"x.vmdk\"\n",
		  "bad.vmx:3: ide0:2.fileName: the unit is out of range" },
		{ "ethernet32.present = \"TRUE\"\n",
		  "bad.vmx:3: ethernet32 is out of range "
		  "(ethernet0..ethernet31)" },
		{ "sata0.present = \"TRUE\"\nsata0:0.present = \"TRUE\"\n",
		  "bad.vmx:4: sata0:0 has no fileName" },
		{ "sata0.present = \"TRUE\"\nsata0:0.present = \"TRUE\"\n"
		  "sata0:0.fileName = \"\"\n",
		  "bad.vmx:4: sata0:0 has no fileName" },
		{ "sata0.present = \"TRUE\"\nsata0:0.present = \"TRUE\"\n"
		  "sata0:0.deviceType = \"floppy\"\n",
		  "bad.vmx:5: sata0:0.deviceType 'floppy' is not a disk or "
		  "cdrom "
		  "type" },
		{ "nvme0.present = \"TRUE\"\nnvme0:0.present = \"TRUE\"\n"
		  "nvme0:0.fileName = \"a.iso\"\n",
		  "bad.vmx:4: nvme0:0: VMware has no nvme cdrom" },
		{ "ide0:0.present = \"TRUE\"\nide0:0.fileName = \"a.vmdk\"\n"
		  "ide0:0.readonly = \"ro\"\n",
		  "bad.vmx:5: ide0:0.readonly 'ro' is not TRUE or FALSE" },
		{ "ethernet0.present = \"TRUE\"\n"
		  "ethernet0.addressType = \"static\"\n",
		  "bad.vmx:4: ethernet0.addressType is static but "
		  "ethernet0.address is missing" },
		{ "ethernet0.present = \"TRUE\"\n"
		  "ethernet0.addressType = \"fixed\"\n",
		  "bad.vmx:4: ethernet0.addressType 'fixed' is not static, "
		  "generated or vpx" },
		{ "ethernet0.present = \"TRUE\"\n"
		  "ethernet0.addressType = \"static\"\n"
		  "ethernet0.address = \"01:50:56:00:00:01\"\n",
		  "bad.vmx:5: ethernet0.address '01:50:56:00:00:01' is not a "
		  "unicast MAC address" },
		{ "ethernet0.present = \"TRUE\"\n"
		  "ethernet0.generatedAddress = \"00:50:56:00:00:0g\"\n",
		  "bad.vmx:4: ethernet0.generatedAddress '00:50:56:00:00:0g' "
		  "is not a unicast MAC address" },
		{ "ethernet0.present = \"TRUE\"\n"
		  "ethernet0.generatedAddress = \"00-50-56-00-00-01\"\n",
		  "bad.vmx:4: ethernet0.generatedAddress '00-50-56-00-00-01' "
		  "is not a unicast MAC address" },
		{ "sound.present = \"si\"\nsound.virtualDev = \"es1371\"\n",
		  "bad.vmx:3: sound.present 'si' is not TRUE or FALSE" },
	};
	expect_cases(BASE, cases, sizeof(cases) / sizeof(cases[0]));
}

Test(vmx, required_and_ranges)
{
	static const char max[] = "displayName=m\nmemsize=67108864\n";

	expect_bad("memsize = \"1024\"\n", "bad.vmx: displayName is missing");
	expect_bad("displayName = \"\"\nmemsize = \"4\"\n",
	           "bad.vmx:1: displayName is empty");
	expect_bad("displayName = \"m\"\n", "bad.vmx: memsize is missing");
	expect_bad("displayName = \"m\"\nmemsize = \"12x\"\n",
	           "bad.vmx:2: memsize '12x' is not a number of MiB");
	expect_bad("displayName = \"m\"\nmemsize = \"\"\n",
	           "bad.vmx:2: memsize '' is not a number of MiB");
	expect_bad("displayName = \"m\"\nmemsize = \"0\"\n",
	           "bad.vmx:2: memsize '0' is not 1..67108864 MiB");
	expect_bad(
	    "displayName = \"m\"\nmemsize = \"99999999999999999999999\"\n",
	    "bad.vmx:2: memsize '99999999999999999999999' is not "
	    "1..67108864 MiB");
	cr_assert_eq(hv_vmx_parse(max, strlen(max), NULL, &def, NULL), 0);
	cr_assert_eq(def.memory_kib, 64ull << 30);
	cr_assert_eq(def.vcpus, 1);
	cr_assert_eq(def.firmware, HV_FW_BIOS);
	cr_assert_eq(def.kind, HV_KIND_VMWARE);
	cr_assert_str_eq(def.uuid, "");
	cr_assert_str_eq(def.guest_os, "");
	cr_assert_eq(def.n_notes, 0);
}

Test(vmx, origin_in_messages)
{
	struct hv_error err = { 0 };

	cr_assert_eq(hv_vmx_parse("x", 1, NULL, &def, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "vmx:1:2: expected '=' after key 'x'");
	cr_assert_eq(hv_vmx_parse("x", 1, "a\nb.vmx", &def, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "a:1:2: expected '=' after key 'x'");
}

/* Keys in any case, unquoted values, comments, escapes, a BOM. */
Test(vmx, lexical_forms)
{
	static const char text[] = "\xef\xbb\xbf"
	                           "DISPLAYNAME=a|22b|7cc|23d|0a\n"
	                           "\t# comment\n"
	                           "\n"
	                           "memSize = 2048 # MiB\n"
	                           "NumVCpus\t=\t\"3\"\t# trailing\r\n"
	                           "guestos = \"caf\xc3\xa9 #1\"\n"
	                           "Scsi0.Present = true\n"
	                           "SCSI0.virtualdev = PVSCSI\n"
	                           "scsi0:0.PRESENT = yes\n"
	                           "scsi0:0.filename = \"A.VMDK\"\n"
	                           "ethernet0.present = 1\n"
	                           "ethernet0.virtualDev = \"E1000E\"\n"
	                           "ethernet0.addressType = \"Static\"\n"
	                           "ethernet0.address = \"00:50:56:0A:BC:DE\"\n"
	                           "ethernet1.present = 0\n"
	                           "firmware = EFI";
	struct hv_error err = { 0 };

	cr_assert_eq(hv_vmx_parse(text, sizeof(text) - 1, "l.vmx", &def, &err),
	             0, "%s", err.msg);
	cr_assert_str_eq(def.name, "a\"b|c#d\n");
	cr_assert_eq(def.memory_kib, 2048 * 1024);
	cr_assert_eq(def.vcpus, 3);
	cr_assert_str_eq(def.guest_os, "caf\xc3\xa9 #1");
	cr_assert_eq(def.firmware, HV_FW_UEFI);
	cr_assert_eq(def.n_disks, 1);
	cr_assert_eq(def.disks[0].scsi_model, HV_SCSI_PVSCSI);
	cr_assert_eq(def.disks[0].format, HV_IMG_VMDK);
	cr_assert_str_eq(def.disks[0].path, "A.VMDK");
	cr_assert_eq(def.n_nics, 1);
	cr_assert_eq(def.nics[0].model, HV_NIC_E1000E);
	cr_assert_str_eq(def.nics[0].mac, "00:50:56:0a:bc:de");
	cr_assert_eq(def.n_notes, 0, "note: %s", def.notes[0]);
}

/* sata disks (4 x 30 slots) and NICs up to the limits and one over. */
static char *many(size_t n_disks, size_t n_nics)
{
	char *text = NULL;
	size_t i, size;
	FILE *f = text_open(&text, &size);

	fputs(BASE, f);
	for (i = 0; i < 4; i++)
		fprintf(f, "sata%zu.present = \"TRUE\"\n", i);
	for (i = 0; i < n_disks; i++)
		fprintf(f,
		        "sata%zu:%zu.present = \"TRUE\"\n"
		        "sata%zu:%zu.fileName = \"d%zu.vmdk\"\n",
		        i % 4, i / 4, i % 4, i / 4, i);
	for (i = 0; i < n_nics; i++)
		fprintf(f,
		        "ethernet%zu.present = \"TRUE\"\n"
		        "ethernet%zu.virtualDev = \"vmxnet3\"\n",
		        i, i);
	text_close(f);
	return text;
}

Test(vmx, device_limits)
{
	char *text = many(HV_VMDEF_MAX_DISKS, HV_VMDEF_MAX_NICS);
	struct hv_error err = { 0 };

	cr_assert_eq(hv_vmx_parse(text, strlen(text), "m.vmx", &def, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(def.n_disks, HV_VMDEF_MAX_DISKS);
	cr_assert_eq(def.n_nics, HV_VMDEF_MAX_NICS);
	cr_assert_str_eq(def.disks[31].path, "d31.vmdk");
	cr_assert_eq(def.disks[31].controller, 3);
	cr_assert_eq(def.disks[31].unit, 7);
	cr_assert_eq(def.nics[15].model, HV_NIC_VMXNET3);
	free(round_trip(&def));
	free(text);
	text = many(HV_VMDEF_MAX_DISKS + 1, 0);
	expect_bad(text, "bad.vmx:71: more than 32 disks");
	free(text);
	text = many(0, HV_VMDEF_MAX_NICS + 1);
	expect_bad(text, "bad.vmx:39: more than 16 NICs");
	free(text);
}

/* Devices that are absent, or on an absent controller, are not read. */
Test(vmx, presence)
{
	static const char text[] = BASE "scsi0:0.present = \"TRUE\"\n"
	                                "scsi0:0.fileName = \"a.vmdk\"\n"
	                                "sata0.present = \"TRUE\"\n"
	                                "sata0:0.present = \"FALSE\"\n"
	                                "sata0:0.fileName = \"b.vmdk\"\n"
	                                "sata0:1.fileName = \"c.vmdk\"\n"
	                                "ethernet0.virtualDev = \"e1000\"\n"
	                                "serial0.present = \"FALSE\"\n"
	                                "serial0.fileType = \"pipe\"\n"
	                                "sound.fileName = \"-1\"\n";

	cr_assert_eq(hv_vmx_parse(text, strlen(text), "p.vmx", &def, NULL), 0);
	cr_assert_eq(def.n_disks, 0);
	cr_assert_eq(def.n_nics, 0);
	cr_assert_eq(def.n_notes, 1);
	cr_assert_str_eq(def.notes[0], "vmx: scsi0:0 is on scsi0, which is "
	                               "not present: not mapped");
}

Test(vmx, unknown_and_groups)
{
	static const char text[] =
	    BASE "scsi0.present = \"TRUE\"\n"
	         "scsi0.virtualDev = \"megaraid\"\n"
	         "scsi0:0.present = \"TRUE\"\n"
	         "scsi0:0.fileName = \"a.vmdk\"\n"
	         "scsi0:0.sharing = \"multi-writer\"\n"
	         "scsi0:1.present = \"TRUE\"\n"
	         "scsi0:1.deviceType = \"scsi-passthru\"\n"
	         "serial1.present = \"TRUE\"\n"
	         "serial1.fileType = \"pipe\"\n"
	         "SERIAL1.pipe.endPoint = \"client\"\n"
	         "serial2.present = \"TRUE\"\n"
	         "sched.cpu.shares = \"high\"\n"
	         "sched.mem.shares = \"normal\"\n"
	         "svga.vramSize = \"16777216\"\n"
	         "ethernet0.present = \"TRUE\"\n"
	         "ethernet0.virtualDev = \"sriov\"\n"
	         "ethernet0.connectionType = \"custom\"\n"
	         "ethernet1.present = \"TRUE\"\n"
	         "foo = \"1\"\n"
	         "serial = \"1\"\n"
	         "scsi0:01.present = \"TRUE\"\n"
	         "ethernet01.present = \"TRUE\"\n";
	static const char *const notes[] = {
		"vmx: resource settings (sched.*) are not mapped",
		"vmx: display settings (svga.*) are not mapped",
		"vmx: scsi0.virtualDev 'megaraid' is not known; the controller "
		"model is left to the target",
		"vmx: scsi0:1 (deviceType scsi-passthru) is not mapped",
		"vmx: ethernet0 virtualDev 'sriov' is not mapped; read as "
		"e1000",
		"vmx: ethernet0 connectionType 'custom' is not mapped",
		"vmx: ethernet1 has no virtualDev; read as e1000",
		"vmx: serial port (serial1.*) fileType 'pipe' is not mapped",
		"vmx: serial port (serial2.*) has no fileType: not mapped",
		"vmx: 5 keys not mapped: scsi0:0.sharing, foo, serial, "
		"scsi0:01.present, ethernet01.present",
	};
	size_t i;

	cr_assert_eq(hv_vmx_parse(text, strlen(text), "u.vmx", &def, NULL), 0);
	cr_assert_eq(def.n_disks, 1);
	cr_assert_eq(def.disks[0].scsi_model, HV_SCSI_DEFAULT);
	cr_assert_eq(def.n_nics, 2);
	cr_assert_eq(def.nics[0].model, HV_NIC_E1000);
	for (i = 0; i < def.n_notes && i < sizeof(notes) / sizeof(notes[0]);
	     i++)
		cr_assert_str_eq(def.notes[i], notes[i]);
	cr_assert_eq(def.n_notes, sizeof(notes) / sizeof(notes[0]));
}

/* ----- writer ----- */

/* A definition with every kind of device the writer knows. */
static void def_full(struct hv_vmdef *d)
{
	hv_vmdef_init(d);
	d->kind = HV_KIND_VMWARE;
	strcpy(d->name, "app \"7\" | #1");
	strcpy(d->uuid, "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36");
	d->memory_kib = 3ull << 20;
	d->vcpus = 2;
	d->firmware = HV_FW_UEFI;
	strcpy(d->guest_os, "ubuntu-64");
	d->disks[0] = (struct hv_vmdisk){ .format = HV_IMG_VMDK,
		                          .bus = HV_BUS_SCSI,
		                          .scsi_model = HV_SCSI_PVSCSI,
		                          .unit = 20 };
	strcpy(d->disks[0].path, "/vmfs/volumes/ds1/app/app.vmdk");
	d->disks[1] = (struct hv_vmdisk){ .format = HV_IMG_VMDK,
		                          .bus = HV_BUS_NVME,
		                          .controller = 1,
		                          .readonly = true };
	strcpy(d->disks[1].path, "data\tdisk.vmdk");
	d->disks[2] = (struct hv_vmdisk){ .format = HV_IMG_RAW,
		                          .device = HV_DEV_CDROM,
		                          .bus = HV_BUS_SATA };
	strcpy(d->disks[2].path, "/iso/ubuntu-24.04.iso");
	d->disks[3] = (struct hv_vmdisk){ .format = HV_IMG_RAW,
		                          .device = HV_DEV_CDROM,
		                          .bus = HV_BUS_IDE,
		                          .controller = 1 };
	d->disks[4] = (struct hv_vmdisk){ .format = HV_IMG_VMDK,
		                          .bus = HV_BUS_SATA,
		                          .unit = 2 };
	strcpy(d->disks[4].path, "odd.iso");
	d->n_disks = 5;
	d->nics[0] = (struct hv_vmnic){ .mac = "00:50:56:3f:ff:ff",
		                        .model = HV_NIC_VMXNET3,
		                        .network = "VM Network" };
	d->nics[1] = (struct hv_vmnic){ .mac = "52:54:00:12:34:56",
		                        .model = HV_NIC_E1000E };
	d->nics[2] =
	    (struct hv_vmnic){ .model = HV_NIC_PCNET, .network = "lab" };
	d->nics[3] = (struct hv_vmnic){ .mac = "00:50:56:40:00:00",
		                        .model = HV_NIC_E1000 };
	d->n_nics = 4;
	hv_vmdef_serial_add(d, HV_SERIAL_FILE, "app \"7\" | #1-serial0.log");
	hv_vmdef_serial_add(d, HV_SERIAL_FILE, "/vmfs/volumes/ds1/app/com2");
	hv_vmdef_note(d, "convert: a virtio disk became scsi\n(pvscsi)");
}

Test(vmx, writer_golden)
{
	char *want = slurp(DATA_DIR "written.vmx", NULL), *got;

	def_full(&def);
	got = round_trip(&def);
	cr_assert_str_eq(got, want, "got:\n%s", got);
	free(got);
	free(want);
}

/* The writer's documented changes, said in comments. */
Test(vmx, writer_changes)
{
	char *out;

	def_full(&def);
	def.guest_os[0] = '\0';
	def.memory_kib = 1025 * 1024 + 1;
	def.nics[2].is_bridge = true;
	strcpy(def.disks[0].subformat, "streamOptimized");
	out = round_trip(&def);
	cr_assert_str_eq(back.guest_os, "other-64");
	cr_assert_eq(back.memory_kib, 1028 * 1024);
	cr_assert_not_null(strstr(out, "# skyferry: the guest OS is not known; "
	                               "other-64 written\nguestOS = "
	                               "\"other-64\"\n"));
	cr_assert_not_null(strstr(out, "# skyferry: memory of 1049601 KiB "
	                               "rounded up to 1028 MiB (VMware needs "
	                               "a multiple of 4 MiB)\nmemsize = "
	                               "\"1028\"\n"));
	cr_assert_not_null(strstr(out, "# skyferry: ethernet2: host bridge "
	                               "'lab' written as a port group name\n"));
	free(out);
	/* Exactly a multiple of 4 MiB: no comment. */
	def.memory_kib = 4096;
	out = round_trip(&def);
	cr_assert_null(strstr(out, "rounded up"));
	cr_assert_not_null(strstr(out, "memsize = \"4\"\n"));
	free(out);
}

/* def_full changed by change(), expected to be refused with msg. */
static void expect_refused(void (*change)(struct hv_vmdef *), const char *msg)
{
	struct hv_error err = { 0 };
	char *out = NULL;

	def_full(&def);
	change(&def);
	cr_assert_eq(hv_vmx_write(&def, &out, &err), -EINVAL, "wrote:\n%s",
	             out);
	cr_assert_null(out);
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_str_eq(err.msg, msg);
}

static void virtio_bus(struct hv_vmdef *d)
{
	d->disks[1].bus = HV_BUS_VIRTIO;
}

static void xen_bus(struct hv_vmdef *d)
{
	d->disks[2].bus = HV_BUS_XEN;
}

static void virtio_scsi(struct hv_vmdef *d)
{
	d->disks[0].scsi_model = HV_SCSI_VIRTIO;
}

static void lsilogic_unit_20(struct hv_vmdef *d)
{
	d->disks[0].scsi_model = HV_SCSI_LSILOGIC;
}

static void unit_7(struct hv_vmdef *d)
{
	d->disks[0].unit = 7;
}

static void same_slot(struct hv_vmdef *d)
{
	d->disks[4].unit = 0;
}

static void mixed_models(struct hv_vmdef *d)
{
	d->disks[1] = d->disks[0];
	d->disks[1].unit = 1;
	d->disks[1].scsi_model = HV_SCSI_BUSLOGIC;
}

static void qcow2_disk(struct hv_vmdef *d)
{
	d->disks[0].format = HV_IMG_QCOW2;
}

static void nvme_cdrom(struct hv_vmdef *d)
{
	d->disks[1].device = HV_DEV_CDROM;
	d->disks[1].format = HV_IMG_RAW;
}

static void no_path(struct hv_vmdef *d)
{
	d->disks[4].path[0] = '\0';
}

static void ide_unit_2(struct hv_vmdef *d)
{
	d->disks[3].unit = 2;
}

static void virtio_nic(struct hv_vmdef *d)
{
	d->nics[1].model = HV_NIC_VIRTIO;
}

static void bad_mac(struct hv_vmdef *d)
{
	strcpy(d->nics[0].mac, "01:00:5e:00:00:01");
}

static void kvm_kind(struct hv_vmdef *d)
{
	d->kind = HV_KIND_KVM;
}

static void no_name(struct hv_vmdef *d)
{
	d->name[0] = '\0';
}

static void bad_uuid(struct hv_vmdef *d)
{
	strcpy(d->uuid, "6F2C9A4E-1B7D-4C3A-9E58-0D4B2F1A7C36");
}

static void no_memory(struct hv_vmdef *d)
{
	d->memory_kib = 0;
}

static void no_vcpus(struct hv_vmdef *d)
{
	d->vcpus = 0;
}

static void pty_serial(struct hv_vmdef *d)
{
	d->serials[1].type = HV_SERIAL_PTY;
	d->serials[1].path[0] = '\0';
}

static void serial_no_path(struct hv_vmdef *d)
{
	d->serials[0].path[0] = '\0';
}

Test(vmx, writer_refuses)
{
	expect_refused(virtio_bus, "vmx: disk 1 (virtio 1:0 'data?disk.vmdk'): "
	                           "its bus is not one VMware has");
	expect_refused(xen_bus,
	               "vmx: disk 2 (xen 0:0 '/iso/ubuntu-24.04.iso'): "
	               "its bus is not one VMware has");
	expect_refused(
	    virtio_scsi,
	    "vmx: disk 0 (scsi 0:20 '/vmfs/volumes/ds1/app/app.vmdk'): "
	    "virtio-scsi is not a VMware controller");
	expect_refused(
	    lsilogic_unit_20,
	    "vmx: disk 0 (scsi 0:20 '/vmfs/volumes/ds1/app/app.vmdk'): "
	    "units above 15 need a pvscsi controller");
	expect_refused(
	    unit_7, "vmx: disk 0 (scsi 0:7 '/vmfs/volumes/ds1/app/app.vmdk'): "
	            "unit 7 is the SCSI controller's own");
	expect_refused(same_slot, "vmx: disk 4 (sata 0:0 'odd.iso'): another "
	                          "disk has the same slot");
	expect_refused(
	    mixed_models,
	    "vmx: disk 1 (scsi 0:1 '/vmfs/volumes/ds1/app/app.vmdk'): "
	    "another disk on its controller has another model");
	expect_refused(
	    qcow2_disk,
	    "vmx: disk 0 (scsi 0:20 '/vmfs/volumes/ds1/app/app.vmdk'): "
	    "a VMware disk must be a vmdk");
	expect_refused(nvme_cdrom, "vmx: disk 1 (nvme 1:0 'data?disk.vmdk'): a "
	                           "VMware cdrom is a raw ISO on scsi, sata or "
	                           "ide");
	expect_refused(no_path,
	               "vmx: disk 4 (sata 0:2 ''): the disk has no path");
	expect_refused(ide_unit_2, "vmx: disk 3 (ide 1:2 ''): the unit is out "
	                           "of range");
	expect_refused(virtio_nic, "vmx: NIC 1: VMware has no virtio NIC");
	expect_refused(bad_mac, "vmx: NIC 0: MAC '01:00:5e:00:00:01' is not a "
	                        "unicast address");
	expect_refused(kvm_kind, "vmx: the definition is for kvm; convert it "
	                         "for vmware first");
	expect_refused(no_name, "vmx: the name is empty or not terminated");
	expect_refused(bad_uuid, "vmx: uuid '6F2C9A4E-1B7D-4C3A-9E58-"
	                         "0D4B2F1A7C36' is not canonical");
	expect_refused(no_memory, "vmx: memory 0 KiB is not 1 KiB..64 TiB");
	expect_refused(no_vcpus, "vmx: 0 vCPUs is not 1..768");
	expect_refused(pty_serial, "vmx: serial port 1: VMware has no pty; "
	                           "convert for vmware first (it becomes a "
	                           "file)");
	expect_refused(serial_no_path, "vmx: serial port 0: the file has no "
	                               "path, or it is not terminated");
}

/*
 * Serial ports: fileType "file" is mapped in index order; a port that is
 * not present is passed over, other types and a port without a fileName
 * are noted, an unknown field of a present port is listed.
 */
Test(vmx, serial_ports)
{
	static const char text[] = BASE "serial0.present = \"FALSE\"\n"
	                                "serial0.fileType = \"file\"\n"
	                                "serial0.fileName = \"off.log\"\n"
	                                "serial0.mystery = \"1\"\n"
	                                "serial1.present = \"TRUE\"\n"
	                                "serial1.fileType = \"FILE\"\n"
	                                "serial1.fileName = \"a|7Cb.log\"\n"
	                                "serial1.startConnected = \"TRUE\"\n"
	                                "serial1.bogus = \"x\"\n"
	                                "serial2.present = \"TRUE\"\n"
	                                "serial2.fileType = \"device\"\n"
	                                "serial2.fileName = \"/dev/ttyS0\"\n"
	                                "serial3.present = \"TRUE\"\n"
	                                "serial3.fileType = \"file\"\n"
	                                "serial4.present = \"TRUE\"\n"
	                                "serial4.fileType = \"pipe\"\n"
	                                "serial4.pipe.endPoint = \"server\"\n"
	                                "serial40.present = \"TRUE\"\n";
	static const char *const notes[] = {
		"vmx: serial port (serial40.*) is not mapped",
		"vmx: serial1 becomes serial port 0",
		"vmx: serial port (serial2.*) fileType 'device' is not mapped",
		"vmx: serial port (serial3.*) has no fileName: not mapped",
		"vmx: serial port (serial4.*) fileType 'pipe' is not mapped",
		"vmx: 1 key not mapped: serial1.bogus",
	};
	size_t i;

	cr_assert_eq(hv_vmx_parse(text, strlen(text), "s.vmx", &def, NULL), 0);
	cr_assert_eq(def.n_serials, 1);
	cr_assert_eq(def.serials[0].type, HV_SERIAL_FILE);
	cr_assert_str_eq(def.serials[0].path, "a|b.log");
	for (i = 0; i < def.n_notes && i < sizeof(notes) / sizeof(notes[0]);
	     i++)
		cr_assert_str_eq(def.notes[i], notes[i]);
	cr_assert_eq(def.n_notes, sizeof(notes) / sizeof(notes[0]));
}

/* The smallest definition, and every NIC model VMware has. */
Test(vmx, round_trip_small)
{
	static const enum hv_nic_model models[] = { HV_NIC_E1000, HV_NIC_E1000E,
		                                    HV_NIC_VMXNET3,
		                                    HV_NIC_PCNET };
	size_t i;

	hv_vmdef_init(&def);
	def.kind = HV_KIND_VMWARE;
	strcpy(def.name, "x");
	def.memory_kib = 4096;
	def.vcpus = 768;
	for (i = 0; i < 4; i++)
		def.nics[i].model = models[i];
	def.n_nics = 4;
	free(round_trip(&def));
	cr_assert_str_eq(back.uuid, "");
	cr_assert_eq(back.firmware, HV_FW_BIOS);
	cr_assert_eq(back.nics[3].model, HV_NIC_PCNET);
}
