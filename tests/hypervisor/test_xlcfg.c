/*
 * test_xlcfg.c: the xl.cfg reader against golden samples
 * (tests/hypervisor/data/xlcfg/<name>.cfg and the definition expected from
 * it in <name>.expected), the exact messages of the files it must refuse,
 * the writer's output, and parse(write(def)) round trips. Run from the top
 * of the tree, as "make unit" does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hypervisor/xlcfg.h"
#include "hypervisor/xlcfg_priv.h"
#include "tests/hypervisor/hv_test_text.h"

#define DATA_DIR "tests/hypervisor/data/xlcfg/"

/* The definition in the .expected format; notes only if asked. */
static char *def_dump(const struct hv_vmdef *def, bool notes)
{
	char *text = NULL;
	size_t i;

	hv_test_add(&text, "kind: %s\nname: %s\nuuid: %s\n",
	            hv_kind_name(def->kind), def->name, def->uuid);
	hv_test_add(&text, "memory_kib: %llu\nvcpus: %u\nfirmware: %s\n",
	            (unsigned long long)def->memory_kib, def->vcpus,
	            def->firmware == HV_FW_UEFI ? "uefi" : "bios");
	for (i = 0; i < def->n_disks; i++) {
		const struct hv_vmdisk *d = &def->disks[i];

		hv_test_add(&text,
		            "disk: bus=%s controller=%u unit=%u device=%s "
		            "format=%s%s%s path=%s\n",
		            hv_disk_bus_name(d->bus), d->controller, d->unit,
		            d->device == HV_DEV_CDROM ? "cdrom" : "disk",
		            hv_img_format_name(d->format), d->subformat,
		            d->readonly ? " readonly" : "", d->path);
	}
	for (i = 0; i < def->n_nics; i++)
		hv_test_add(&text, "nic: mac=%s model=%s network=%s%s\n",
		            def->nics[i].mac,
		            hv_nic_model_name(def->nics[i].model),
		            def->nics[i].network,
		            def->nics[i].is_bridge ? " bridge" : "");
	for (i = 0; i < def->n_serials; i++)
		hv_test_add(&text, "serial: %s%s%s\n",
		            hv_serial_type_name(def->serials[i].type),
		            def->serials[i].path[0] ? " path=" : "",
		            def->serials[i].path);
	for (i = 0; notes && i < def->n_notes; i++)
		hv_test_add(&text, "note: %s\n", def->notes[i]);
	return text;
}

/* Parse what must parse; the caller frees nothing. */
static void parse_ok(const char *text, size_t len, struct hv_vmdef *def)
{
	struct hv_error err = { 0 };

	cr_assert_eq(hv_xlcfg_parse(text, len, "t.cfg", def, &err), 0, "%s\n%s",
	             err.msg, text);
}

/* parse(write(def)) gives def back, notes aside; returns the text. */
static char *round_trip(const struct hv_vmdef *def)
{
	static struct hv_vmdef again;
	struct hv_error err = { 0 };
	char *out = NULL, *want, *got;

	cr_assert_eq(hv_xlcfg_write(def, &out, &err), 0, "%s", err.msg);
	cr_assert_not_null(out);
	parse_ok(out, strlen(out), &again);
	want = def_dump(def, false);
	got = def_dump(&again, false);
	cr_assert_str_eq(got, want, "written:\n%s", out);
	free(want);
	free(got);
	return out;
}

static void golden(const char *name)
{
	static struct hv_vmdef def;
	char path[256], *cfg, *want, *got;
	size_t len;

	snprintf(path, sizeof(path), DATA_DIR "%s.cfg", name);
	cfg = hv_test_slurp(path, &len);
	snprintf(path, sizeof(path), DATA_DIR "%s.expected", name);
	want = hv_test_slurp(path, NULL);
	parse_ok(cfg, len, &def);
	got = def_dump(&def, true);
	cr_assert_str_eq(got, want, "%s: got\n%s", name, got);
	free(round_trip(&def));
	free(got);
	free(want);
	free(cfg);
}

Test(xlcfg, golden_debian_hvm)
{
	golden("debian-hvm");
}

Test(xlcfg, golden_pv_guest)
{
	golden("pv-guest");
}

Test(xlcfg, golden_uefi_guest)
{
	golden("uefi-guest");
}

Test(xlcfg, golden_legacy)
{
	golden("legacy");
}

/* ----- refused input ----- */

#define HEAD "name = 'g'\nmemory = 512\n" /* lines 1 and 2 */

/* Parsing text (as guest.cfg) fails with code and exactly msg. */
static void expect_error(const char *text, size_t len, int code,
                         const char *msg)
{
	static struct hv_vmdef def;
	struct hv_error err = { 0 };

	cr_assert_eq(hv_xlcfg_parse(text, len, "guest.cfg", &def, &err), code,
	             "%s: %s", text, err.msg);
	cr_assert_eq(err.code, code);
	cr_assert_str_eq(err.msg, msg, "got \"%s\" for:\n%s", err.msg, text);
	/* A failed parse leaves nothing behind. */
	cr_assert_eq(def.name[0], '\0');
	cr_assert_eq(def.n_disks + def.n_nics + def.n_notes, 0);
}

/* A text (or a part of one) and the message that refuses it. */
struct error_case {
	const char *text, *msg;
};

#define N_CASES(cases) (sizeof(cases) / sizeof((cases)[0]))

/*
 * Each case's text put into layout (one %s) is refused with -EINVAL and
 * the message where, then the case's message.
 */
static void expect_cases(const struct error_case *cases, size_t n,
                         const char *layout, const char *where)
{
	char *text, msg[HV_ERROR_MSG_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		text = NULL;
		hv_test_add(&text, layout, cases[i].text);
		snprintf(msg, sizeof(msg), "%s%s", where, cases[i].msg);
		expect_error(text, strlen(text), -EINVAL, msg);
		free(text);
	}
}

Test(xlcfg, syntax_errors)
{
	static const struct error_case cases[] = {
		{ "name = \"g\nmemory = 1\n",
		  "guest.cfg:1:8: unterminated string" },
		{ HEAD "extra = 'a\\", "guest.cfg:3:9: unterminated string" },
		{ HEAD "disk = [ 'a',\n  'b'\n",
		  "guest.cfg:3:8: unterminated list" },
		{ HEAD "disk = [ 'a'\nvif = []\n",
		  "guest.cfg:4:1: expected ',' or ']' in the list of 'disk', "
		  "found 'vif'" },
		{ "name = 'g'\nmemory 512\n",
		  "guest.cfg:2:8: expected '=' after 'memory'" },
		{ "name = 'g'\nmemory\n",
		  "guest.cfg:2:7: expected '=' after 'memory'" },
		{ "name = 'g'\nmemory = 12x\n",
		  "guest.cfg:2:10: bad number '12x'" },
		{ "name = 'g'\nmemory = 1.5\n",
		  "guest.cfg:2:10: bad number '1.5'" },
		{ "name = 'g'\nmemory = 09\n",
		  "guest.cfg:2:10: bad number '09'" },
		{ "name = 'g'\nmemory = -1\n",
		  "guest.cfg:2:10: unexpected '-'" },
		{ HEAD "type = hvm\n",
		  "guest.cfg:3:8: expected a value for 'type', found 'hvm' "
		  "(strings need quotes)" },
		{ HEAD "type =\n",
		  "guest.cfg:3:7: expected a value for 'type', found the end "
		  "of the line" },
		{ "name = 'g' 'h'\n",
		  "guest.cfg:1:12: expected the end of the line after the "
		  "value of 'name', found a string" },
		{ HEAD "= 3\n", "guest.cfg:3:1: expected a key, found '='" },
		{ HEAD "extra += 'x'\n",
		  "guest.cfg:3:7: '+=' is not supported: set the whole value" },
		{ HEAD "x = 'a\\qb'\n",
		  "guest.cfg:3:7: unknown escape: \\ before 'q'" },
		{ HEAD "x = 'a\\x4'\n",
		  "guest.cfg:3:7: \\x needs two hex digits" },
		{ HEAD "x = 'a\\400'\n",
		  "guest.cfg:3:7: octal escape above \\377" },
		{ HEAD "x = 'a\\0'\n",
		  "guest.cfg:3:7: a string cannot hold \\0" },
		{ HEAD "x = [[[[[[[[['deep']]]]]]]]]\n",
		  "guest.cfg:3:13: lists nested more than 8 deep" },
		{ HEAD "name@ = 1\n", "guest.cfg:3:5: unexpected '@'" },
		{ HEAD "\xc3\xa9t\xc3\xa9 = 1\n",
		  "guest.cfg:3:1: unexpected byte 0xc3" },
	};

	expect_cases(cases, N_CASES(cases), "%s", "");
}

Test(xlcfg, value_errors)
{
	static const struct error_case cases[] = {
		{ "memory = 512\n", "guest.cfg: 'name' is not set" },
		{ "name = 'g'\n", "guest.cfg: 'memory' is not set" },
		{ "name = ''\nmemory = 512\n", "guest.cfg:1:8: name is empty" },
		{ "name = 5\nmemory = 512\n",
		  "guest.cfg:1:8: name must be a string" },
		{ "name = 'a\\tb'\nmemory = 512\n",
		  "guest.cfg:1:8: name holds a control character" },
		{ "name = 'g'\nmemory = 0\n",
		  "guest.cfg:2:10: memory must be a positive number of MiB" },
		{ "name = 'g'\nmemory = 'lots'\n",
		  "guest.cfg:2:10: memory must be a positive number of MiB" },
		{ "name = 'g'\nmemory = 99999999999999999999\n",
		  "guest.cfg:2:10: memory must be at most 67108864 MiB" },
		{ "name = 'g'\nmemory = 0x4000001\n",
		  "guest.cfg:2:10: memory must be at most 67108864 MiB" },
		{ HEAD "vcpus = [ 2 ]\n",
		  "guest.cfg:3:9: vcpus must be a positive number" },
		{ HEAD "vcpus = 4097\n",
		  "guest.cfg:3:9: vcpus must be at most 4096" },
		{ HEAD "uuid = '1234'\n",
		  "guest.cfg:3:8: uuid '1234' is not a UUID (8-4-4-4-12 hex "
		  "digits)" },
		{ HEAD "uuid = '6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c3g'\n",
		  "guest.cfg:3:8: uuid '6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c3g' "
		  "is not a UUID (8-4-4-4-12 hex digits)" },
		{ HEAD "type = 'hvm2'\n",
		  "guest.cfg:3:8: type 'hvm2' is not hvm, pv or pvh" },
		{ HEAD "builder = 'linux'\n",
		  "guest.cfg:3:11: builder 'linux' is not hvm or generic" },
		{ HEAD "firmware = 'coreboot'\n",
		  "guest.cfg:3:12: firmware 'coreboot' is not uefi, ovmf, "
		  "bios, "
		  "seabios, rombios, pvgrub32 or pvgrub64" },
		{ HEAD "bios = 'uefi'\n", "guest.cfg:3:8: bios 'uefi' is not "
		                          "ovmf, seabios or rombios" },
		{ HEAD "disk = '/a,raw,xvda'\n",
		  "guest.cfg:3:8: disk must be a list of strings" },
		{ HEAD "vif = [ 3 ]\n", "guest.cfg:3:9: vif 1: not a string" },
	};

	expect_cases(cases, N_CASES(cases), "%s", "");
}

Test(xlcfg, disk_errors)
{
	static const struct error_case cases[] = {
		{ "vdev=xvda, colour=red, target=/a",
		  "disk 1: unknown parameter 'colour'" },
		{ "format=raw, vdev=xvda", "disk 1: no target" },
		{ "/a.img,raw", "disk 1: no vdev" },
		{ "format=vmdk, vdev=xvda, target=/a",
		  "disk 1: format 'vmdk' is not supported" },
		{ "/a.qed,qed,xvda",
		  "disk 1: format qed is not supported: convert the image to "
		  "qcow2 first" },
		{ "qcow:/a.qcow,xvda",
		  "disk 1: format qcow is not supported: convert the image to "
		  "qcow2 first" },
		{ "iscsi:iqn.2001-05.com.example:disk,xvda",
		  "disk 1: iscsi: disks use a block script; they cannot be "
		  "read as images" },
		{ "vdev=xvda, script=block-drbd, target=r0",
		  "disk 1: script= disks use a block script; they cannot be "
		  "read as images" },
		{ "floppy:/a.img,xvda",
		  "disk 1: unknown disk prefix 'floppy:'" },
		{ "/a.img,raw,xvda1",
		  "disk 1: vdev 'xvda1' is not xvdX, hdX (a-d) or sdX (a-p)" },
		{ "/a.img,raw,hde",
		  "disk 1: vdev 'hde' is not xvdX, hdX (a-d) or sdX (a-p)" },
		{ "/a.img,raw,xvda,rw,extra",
		  "disk 1: too many positional parameters at 'extra'" },
		{ "/a.img,raw,xvda,rwx",
		  "disk 1: access 'rwx' is not supported" },
		{ "/a.img,raw,xvda:floppy",
		  "disk 1: devtype 'floppy' is not supported" },
		{ "format=raw, format=qcow2, vdev=xvda, target=/a",
		  "disk 1: format given twice" },
		{ "/a.img, vdev=xvda, target=/b",
		  "disk 1: target given twice" },
		{ "vdev=xvda, backendtype=nbd, target=/a",
		  "disk 1: backendtype 'nbd' is not supported" },
		{ "vdev=xvda, specification=virtio, target=/a",
		  "disk 1: specification 'virtio' is not supported" },
	};
	const char *dup;

	expect_cases(cases, N_CASES(cases), HEAD "disk = [ '%s' ]\n",
	             "guest.cfg:3:10: ");
	dup = HEAD "disk = [ '/a,,xvda', \"/b,,xvda\" ]\n";
	expect_error(dup, strlen(dup), -EINVAL,
	             "guest.cfg:3:22: disk 2: vdev xvda is used twice");
}

Test(xlcfg, vif_errors)
{
	static const struct error_case cases[] = {
		{ "mac=01:00:5e:00:00:01",
		  "vif 1: mac '01:00:5e:00:00:01' is not a unicast MAC "
		  "address" },
		{ "mac=00:16:3e:01:02", "vif 1: mac '00:16:3e:01:02' is not a "
		                        "unicast MAC address" },
		{ "mac=00-16-3e-01-02-03", "vif 1: mac '00-16-3e-01-02-03' is "
		                           "not a unicast MAC address" },
		{ "bridge=xenbr0,e1000", "vif 1: 'e1000' is not key=value" },
		{ "model=virtio-net",
		  "vif 1: model 'virtio-net' is not e1000, e1000e or rtl8139" },
		{ "type=netfront",
		  "vif 1: type 'netfront' is not ioemu or vif" },
	};

	expect_cases(cases, N_CASES(cases),
	             HEAD "type = 'hvm'\nvif = [ '%s' ]\n", "guest.cfg:4:9: ");
}

/* n items of fmt (with %zu) in the list key. */
static char *many(const char *key, const char *fmt, size_t n)
{
	char *text = NULL;
	size_t i;

	hv_test_add(&text, HEAD "%s = [\n", key);
	for (i = 0; i < n; i++) {
		hv_test_add(&text, "  '");
		hv_test_add(&text, fmt, i);
		hv_test_add(&text, "',\n");
	}
	hv_test_add(&text, "]\n");
	return text;
}

/* n disks, xvda..xvdz, xvdaa... */
static char *many_disks(size_t n)
{
	char *text = NULL;
	size_t i;

	hv_test_add(&text, HEAD "disk = [\n");
	for (i = 0; i < n; i++)
		hv_test_add(&text, "  '/d/%zu.img,raw,xvd%s%c',\n", i,
		            i < 26 ? "" : "a", (char)('a' + i % 26));
	hv_test_add(&text, "]\n");
	return text;
}

/* over (one item too many) is refused with msg; at (the limit) parses. */
static void expect_limit(char *over, const char *msg, char *at,
                         struct hv_vmdef *def)
{
	expect_error(over, strlen(over), -EINVAL, msg);
	parse_ok(at, strlen(at), def);
	free(over);
	free(at);
}

Test(xlcfg, limits)
{
	static struct hv_vmdef def;
	char *text;

	expect_limit(many_disks(33),
	             "guest.cfg:36:3: disk 33: more than 32 disks",
	             many_disks(32), &def);
	cr_assert_eq(def.n_disks, 32);
	cr_assert_eq(def.disks[31].unit, 31);
	cr_assert_str_eq(def.disks[31].path, "/d/31.img");
	expect_limit(many("vif", "mac=00:16:3e:00:00:%02zx", 17),
	             "guest.cfg:20:3: vif 17: more than 16 vifs",
	             many("vif", "mac=00:16:3e:00:00:%02zx", 16), &def);
	cr_assert_eq(def.n_nics, 16);
	cr_assert_str_eq(def.nics[15].mac, "00:16:3e:00:00:0f");
	text = many("extra", "%zu", 257);
	expect_error(text, strlen(text), -EINVAL,
	             "guest.cfg:260:3: more than 256 values in a list");
	free(text);
}

Test(xlcfg, sizes_and_nul)
{
	static const char nul[] = "name = 'g'\nmemory = 5\0 12\n";
	char *big = malloc(HV_XLCFG_MAX + 1);

	expect_error("", 0, -EMSGSIZE,
	             "guest.cfg: 0 bytes, expected 1..1048576");
	expect_error(NULL, 5, -EMSGSIZE,
	             "guest.cfg: 0 bytes, expected 1..1048576");
	cr_assert_not_null(big);
	memset(big, '\n', HV_XLCFG_MAX + 1);
	memcpy(big, HEAD, strlen(HEAD));
	expect_error(big, HV_XLCFG_MAX + 1, -EMSGSIZE,
	             "guest.cfg: 1048577 bytes, expected 1..1048576");
	free(big);
	expect_error(nul, sizeof(nul) - 1, -EINVAL, "guest.cfg:2:11: NUL byte");
}

/* ----- what parses ----- */

Test(xlcfg, syntax_accepted)
{
	static struct hv_vmdef def;
	static const char text[] =
	    "name='a\"b\\\\c\\x41\\101\\'';memory=0x200;vcpus=010 # octal\r\n"
	    "vif=[\n\n'bridge=br0',\n# comment in a list\n]\n"
	    "vnuma = [ [ 'pnode=0', 'size=512' ], [ 'pnode=1' ], ]\n"
	    "empty = []\n";

	parse_ok(text, strlen(text), &def);
	cr_assert_str_eq(def.name, "a\"b\\cAA'");
	cr_assert_eq(def.memory_kib, 512 * 1024);
	cr_assert_eq(def.vcpus, 8);
	cr_assert_eq(def.n_nics, 1);
	cr_assert_str_eq(def.nics[0].network, "br0");
	/* No type: PV, so the vif is netfront. */
	cr_assert_eq(def.nics[0].model, HV_NIC_NETFRONT);
	cr_assert_eq(def.n_notes, 3);
	cr_assert_str_eq(def.notes[1],
	                 "xlcfg: CPU placement and scheduling not mapped: "
	                 "vnuma");
	cr_assert_str_eq(def.notes[2], "xlcfg: unknown keys ignored: empty");
	free(round_trip(&def));
}

Test(xlcfg, repeats_and_types)
{
	static struct hv_vmdef def;
	static const char text[] = "name = 'first'\nmemory = 256\n"
	                           "name = 'second'\ntype = 'pvh'\n"
	                           "name = 'third'\nmemory = '768'\n";

	parse_ok(text, strlen(text), &def);
	cr_assert_str_eq(def.name, "third");
	cr_assert_eq(def.memory_kib, 768 * 1024);
	cr_assert_eq(def.kind, HV_KIND_XEN);
	cr_assert_eq(def.n_notes, 4);
	cr_assert_str_eq(def.notes[0],
	                 "xlcfg: line 1: 'name' set again, line 5 wins");
	cr_assert_str_eq(def.notes[1],
	                 "xlcfg: line 2: 'memory' set again, line 6 wins");
	cr_assert_str_eq(def.notes[2],
	                 "xlcfg: line 3: 'name' set again, line 5 wins");
	cr_assert_str_eq(def.notes[3],
	                 "xlcfg: PVH guest: its kernel must be able to boot "
	                 "as HVM on another hypervisor");
}

/* ----- writer ----- */

/* A Xen definition with one of each device kind. */
static void sample_def(struct hv_vmdef *def)
{
	hv_vmdef_init(def);
	def->kind = HV_KIND_XEN;
	strcpy(def->name, "web \"01\"");
	strcpy(def->uuid, "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36");
	def->memory_kib = 2048 * 1024;
	def->vcpus = 2;
	def->firmware = HV_FW_UEFI;
	def->n_disks = 4;
	strcpy(def->disks[0].path, "/srv/xen/web, \"01\".qcow2");
	def->disks[0].format = HV_IMG_QCOW2;
	def->disks[0].bus = HV_BUS_XEN;
	strcpy(def->disks[1].path, "/srv/xen/web-data.vhd");
	def->disks[1].format = HV_IMG_VPC;
	def->disks[1].bus = HV_BUS_XEN;
	def->disks[1].unit = 27;
	def->disks[1].readonly = true;
	def->disks[2].device = HV_DEV_CDROM;
	def->disks[2].bus = HV_BUS_IDE;
	def->disks[2].controller = 1;
	def->disks[2].readonly = true;
	strcpy(def->disks[3].path, "/srv/xen/web-scsi.img");
	def->disks[3].bus = HV_BUS_SCSI;
	def->disks[3].unit = 2;
	def->n_nics = 3;
	strcpy(def->nics[0].mac, "00:16:3e:01:02:03");
	def->nics[0].model = HV_NIC_E1000;
	strcpy(def->nics[0].network, "xenbr0");
	def->nics[0].is_bridge = true;
	def->nics[1].model = HV_NIC_NETFRONT;
	strcpy(def->nics[1].network, "br-dmz");
	def->nics[1].is_bridge = true;
	strcpy(def->nics[2].mac, "00:16:3e:0a:0b:0c");
	def->nics[2].model = HV_NIC_E1000E;
	strcpy(def->nics[2].network, "xenbr0");
	def->nics[2].is_bridge = true;
	hv_vmdef_serial_add(def, HV_SERIAL_PTY, NULL);
	hv_vmdef_serial_add(def, HV_SERIAL_FILE, "/var/log/xen/web \"01\".log");
	hv_vmdef_note(def, "convert: disk 4: lsilogic SCSI kept as sd");
}

Test(xlcfg, writer_golden)
{
	static struct hv_vmdef def;
	char *want = hv_test_slurp(DATA_DIR "written.cfg", NULL), *got;

	sample_def(&def);
	got = round_trip(&def);
	cr_assert_str_eq(got, want, "got\n%s", got);
	free(got);
	free(want);
}

Test(xlcfg, writer_rounding_and_networks)
{
	static struct hv_vmdef def, back;
	char *out = NULL;

	sample_def(&def);
	def.memory_kib = 1000001; /* 976.56 MiB */
	def.nics[1].is_bridge = false;
	strcpy(def.nics[1].network, "default");
	def.nics[2].network[0] = '\0';
	cr_assert_eq(hv_xlcfg_write(&def, &out, NULL), 0);
	cr_assert_not_null(strstr(out, "# memory: 1000001 KiB, rounded up to "
	                               "whole MiB\n"));
	cr_assert_not_null(strstr(out, "memory = 977\n"));
	cr_assert_not_null(strstr(out, "    # network default is not a "
	                               "bridge: xenbr0 used\n    "
	                               "\"bridge=xenbr0, type=vif\",\n"));
	cr_assert_not_null(strstr(out, "\"mac=00:16:3e:0a:0b:0c, "
	                               "model=e1000e\",\n"));
	parse_ok(out, strlen(out), &back);
	cr_assert_eq(back.memory_kib, 977 * 1024);
	cr_assert_str_eq(back.nics[1].network, "xenbr0");
	/* No bridge written: xl's default. */
	cr_assert_str_eq(back.nics[2].network, "xenbr0");
	cr_assert(back.nics[2].is_bridge);
	free(out);
}

/* Writing def fails with exactly msg, leaving *out alone. */
static void expect_write_error(const struct hv_vmdef *def, const char *msg)
{
	struct hv_error err = { 0 };
	char *out = (char *)"untouched";

	cr_assert_eq(hv_xlcfg_write(def, &out, &err), -EINVAL);
	cr_assert_str_eq(err.msg, msg);
	cr_assert_str_eq(out, "untouched");
}

Test(xlcfg, writer_refusals)
{
	static struct hv_vmdef def;

	sample_def(&def);
	def.kind = HV_KIND_KVM;
	expect_write_error(&def, "xl.cfg: the definition is for kvm: convert "
	                         "it for xen first");
	sample_def(&def);
	def.disks[1].format = HV_IMG_VMDK;
	expect_write_error(&def, "xl.cfg: disk 2: format vmdk is not raw, "
	                         "qcow2 or vhd");
	sample_def(&def);
	def.disks[0].format = HV_IMG_VHDX;
	expect_write_error(&def, "xl.cfg: disk 1: format vhdx is not raw, "
	                         "qcow2 or vhd");
	sample_def(&def);
	def.disks[3].bus = HV_BUS_VIRTIO;
	expect_write_error(&def, "xl.cfg: disk 4: virtio controller 0 unit 2 "
	                         "has no xvd, hd or sd name");
	sample_def(&def);
	def.disks[2].controller = 2;
	expect_write_error(&def, "xl.cfg: disk 3: ide controller 2 unit 0 has "
	                         "no xvd, hd or sd name");
	sample_def(&def);
	def.disks[3].controller = 1;
	expect_write_error(&def, "xl.cfg: disk 4: scsi controller 1 unit 2 "
	                         "has no xvd, hd or sd name");
	sample_def(&def);
	def.disks[1].unit = 702;
	expect_write_error(&def, "xl.cfg: disk 2: xen controller 0 unit 702 "
	                         "has no xvd, hd or sd name");
	sample_def(&def);
	def.disks[0].path[0] = '\0';
	expect_write_error(&def, "xl.cfg: disk 1: the path is empty or holds "
	                         "a control character");
	sample_def(&def);
	def.nics[0].model = HV_NIC_VIRTIO;
	expect_write_error(&def, "xl.cfg: NIC 1: model virtio is not e1000, "
	                         "e1000e, rtl8139 or netfront");
	sample_def(&def);
	strcpy(def.nics[1].network, "br,0");
	expect_write_error(&def, "xl.cfg: NIC 2: the network name cannot be "
	                         "written in a vif spec");
	sample_def(&def);
	strcpy(def.nics[1].mac, "52:54:00:AB:CD:EF");
	expect_write_error(&def, "xl.cfg: NIC 2: the MAC address is not "
	                         "canonical");
	sample_def(&def);
	strcpy(def.name, "a\nb");
	expect_write_error(&def, "xl.cfg: the name is empty or holds a control "
	                         "character");
	sample_def(&def);
	def.memory_kib = 0;
	expect_write_error(&def,
	                   "xl.cfg: memory 0 KiB is not 1 KiB..67108864 MiB");
	sample_def(&def);
	def.vcpus = 0;
	expect_write_error(&def, "xl.cfg: vcpus 0 is not 1..4096");
	sample_def(&def);
	strcpy(def.uuid, "6F2C9A4E-1B7D-4C3A-9E58-0D4B2F1A7C36");
	expect_write_error(&def, "xl.cfg: the uuid is not canonical");
	sample_def(&def);
	strcpy(def.serials[1].path, "/log\tx");
	expect_write_error(&def, "xl.cfg: serial 2: not a pty, or a file whose "
	                         "path is empty or holds a control character");
	sample_def(&def);
	def.serials[0].type = HV_SERIAL_FILE;
	expect_write_error(&def, "xl.cfg: serial 1: not a pty, or a file whose "
	                         "path is empty or holds a control character");
	sample_def(&def);
	def.n_serials = 5;
	expect_write_error(&def, "xl.cfg: more than 32 disks, 16 NICs or 4 "
	                         "serial ports");
}

/* serial = "DEV" or a list: pty and file: mapped, none is no port. */
Test(xlcfg, serial_ports)
{
	static struct hv_vmdef def;
	static const char one[] = "name = 'a'\nmemory = 1\ntype = 'hvm'\n"
	                          "serial = 'pty'\n";
	static const char none[] = "name = 'a'\nmemory = 1\ntype = 'hvm'\n"
	                           "serial = [ 'none', 'file:/l', 'vc', "
	                           "'file:', '/dev/ttyS0', 'pty', 'pty', "
	                           "'file:/m', 'pty' ]\n";

	parse_ok(one, strlen(one), &def);
	cr_assert_eq(def.n_serials, 1);
	cr_assert_eq(def.serials[0].type, HV_SERIAL_PTY);
	cr_assert_eq(def.n_notes, 0, "%s", def.notes[0]);
	parse_ok(none, strlen(none), &def);
	cr_assert_eq(def.n_serials, 4);
	cr_assert_str_eq(def.serials[0].path, "/l");
	cr_assert_eq(def.serials[1].type, HV_SERIAL_PTY);
	cr_assert_str_eq(def.serials[3].path, "/m");
	cr_assert_eq(def.n_notes, 8);
	cr_assert_str_eq(def.notes[0], "xlcfg: serial 2 becomes serial port 0");
	cr_assert_str_eq(def.notes[1], "xlcfg: serial 3: 'vc' is not mapped");
	cr_assert_str_eq(def.notes[2], "xlcfg: serial 4: 'file:' is not "
	                               "mapped");
	cr_assert_str_eq(def.notes[6], "xlcfg: serial 8 becomes serial port 3");
	cr_assert_str_eq(def.notes[7], "xlcfg: serial 9: not mapped: at most "
	                               "4 serial ports");
	expect_error(HEAD "serial = [ 'pty', 2 ]\n",
	             strlen(HEAD "serial = [ 'pty', 2 ]\n"), -EINVAL,
	             "guest.cfg:3:19: serial 2: not a string");
}

/* ----- allocation failures ----- */

static long alloc_countdown = -1; /* fail when it reaches 0; -1: never */
static bool alloc_failed;

static void *fail_realloc(void *ptr, size_t size)
{
	if (alloc_countdown < 0 || alloc_countdown-- > 0)
		return realloc(ptr, size);
	alloc_failed = true;
	return NULL;
}

/*
 * Fail the first, second, ... allocation until a run needs no more: each
 * run either gives the right answer or fails cleanly with -ENOMEM (ASan or
 * valgrind see leaks).
 */
Test(xlcfg, alloc_failures)
{
	static struct hv_vmdef def;
	struct hv_error err;
	char *cfg, *want, *got, *out;
	size_t len;
	long n;
	int rc;

	cfg = hv_test_slurp(DATA_DIR "legacy.cfg", &len);
	want = hv_test_slurp(DATA_DIR "legacy.expected", NULL);
	hv_xlcfg_realloc = fail_realloc;
	for (n = 0, alloc_failed = true; alloc_failed; n++) {
		alloc_failed = false;
		alloc_countdown = n;
		rc = hv_xlcfg_parse(cfg, len, "t.cfg", &def, &err);
		alloc_countdown = -1;
		if (rc < 0) {
			cr_assert(alloc_failed, "%ld: %s", n, err.msg);
			cr_assert_eq(rc, -ENOMEM);
			cr_assert_str_eq(err.msg, "t.cfg: out of memory");
			continue;
		}
		got = def_dump(&def, true);
		cr_assert_str_eq(got, want, "allocation %ld failed", n);
		free(got);
	}
	cr_assert_geq(n, 4, "only %ld allocations", n);
	for (n = 0, alloc_failed = true; alloc_failed; n++) {
		alloc_failed = false;
		alloc_countdown = n;
		out = NULL;
		rc = hv_xlcfg_write(&def, &out, &err);
		alloc_countdown = -1;
		if (rc < 0) {
			cr_assert(alloc_failed);
			cr_assert_eq(rc, -ENOMEM);
			cr_assert_null(out);
			continue;
		}
		cr_assert_not_null(strstr(out, "name = \"legacy-hvm\"\n"));
		free(out);
	}
	hv_xlcfg_realloc = realloc;
	free(want);
	free(cfg);
}
