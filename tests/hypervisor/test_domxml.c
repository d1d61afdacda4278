/*
 * test_domxml.c: the domain XML reader against golden samples
 * (tests/hypervisor/data/<name>.xml and the fields expected from it in
 * <name>.expected), memory units, disk remapping, and the documents it must
 * refuse. Run from the top of the tree, as "make unit" does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/xmlmemory.h>

#include "hypervisor/domxml.h"

#define DATA_DIR "tests/hypervisor/data/"

/* A whole file, NUL-terminated; *len without the NUL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	cr_assert_not_null(f, "open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	cr_assert_geq(size, 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)size;
	return buf;
}

static void text_add(char **text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append printf output to a growing text. */
static void text_add(char **text, const char *fmt, ...)
{
	size_t old = *text ? strlen(*text) : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*text = realloc(*text, old + (size_t)n + 1);
	cr_assert_not_null(*text);
	va_start(ap, fmt);
	vsnprintf(*text + old, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

/* The parsed fields in the .expected format (newlines in cpu_xml: '|'). */
static char *dom_dump(const struct hv_domain *dom)
{
	char *text = NULL, *cpu = NULL, *p;
	size_t i;

	text_add(&text, "name: %s\nuuid: %s\nvirt_type: %s\n", dom->name,
	         dom->uuid, dom->virt_type);
	text_add(&text, "arch: %s\nmachine: %s\nmemory_kib: %llu\n", dom->arch,
	         dom->machine, (unsigned long long)dom->memory_kib);
	text_add(&text, "vcpus: %u\n", dom->vcpus);
	if (dom->cpu_xml) {
		cpu = strdup(dom->cpu_xml);
		for (p = cpu; *p; p++)
			if (*p == '\n')
				*p = '|';
	}
	text_add(&text, "cpu_xml: %s\n", cpu ? cpu : "(none)");
	free(cpu);
	for (i = 0; i < dom->n_disks; i++) {
		const struct hv_disk *d = &dom->disks[i];

		text_add(&text,
		         "disk: target=%s bus=%s device=%s type=%s "
		         "format=%s source=%s%s%s\n",
		         d->target, d->bus, d->device, d->type, d->format,
		         d->source, d->readonly ? " readonly" : "",
		         d->shareable ? " shareable" : "");
	}
	for (i = 0; i < dom->n_nics; i++)
		text_add(&text, "nic: mac=%s model=%s type=%s source=%s\n",
		         dom->nics[i].mac, dom->nics[i].model,
		         dom->nics[i].type, dom->nics[i].source);
	return text;
}

static void golden(const char *name)
{
	char path[256], *xml, *want, *got;
	struct hv_domain dom;
	struct hv_error err = { 0 };
	size_t len;

	snprintf(path, sizeof(path), DATA_DIR "%s.xml", name);
	xml = slurp(path, &len);
	snprintf(path, sizeof(path), DATA_DIR "%s.expected", name);
	want = slurp(path, NULL);
	cr_assert_eq(hv_domxml_parse(xml, len, &dom, &err), 0, "%s: %s", name,
	             err.msg);
	got = dom_dump(&dom);
	cr_assert_str_eq(got, want, "%s: got\n%s", name, got);
	hv_domain_clear(&dom);
	cr_assert_null(dom.cpu_xml);
	cr_assert_eq(dom.n_disks, 0);
	free(got);
	free(want);
	free(xml);
}

Test(domxml, golden_lab_guest)
{
	golden("lab-guest");
}

Test(domxml, golden_sata_cdrom)
{
	golden("sata-cdrom");
}

Test(domxml, golden_units)
{
	golden("units");
}

/*
 * A minimal domain with the given pieces; devices is put inside
 * <devices>. The caller frees.
 */
static char *mini(const char *name, const char *uuid, const char *memory,
                  const char *extra, const char *devices)
{
	char *xml = NULL;

	text_add(&xml, "<domain type='kvm'>\n");
	if (name)
		text_add(&xml, "  <name>%s</name>\n", name);
	if (uuid)
		text_add(&xml, "  <uuid>%s</uuid>\n", uuid);
	if (memory)
		text_add(&xml, "  %s\n", memory);
	text_add(&xml, "%s\n  <devices>\n%s  </devices>\n</domain>\n",
	         extra ? extra : "", devices ? devices : "");
	return xml;
}

#define UUID "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36"
#define MEM  "<memory>1024</memory>"

/* Parse xml; expect code and (if code < 0) a message containing what. */
static void expect(const char *xml, int code, const char *what)
{
	struct hv_domain dom;
	struct hv_error err = { 0 };
	int rc;

	rc = hv_domxml_parse(xml, strlen(xml), &dom, &err);
	cr_assert_eq(rc, code, "rc %d (%s) for:\n%s", rc, err.msg, xml);
	if (code < 0) {
		cr_assert_eq(err.code, code);
		cr_assert_not_null(strstr(err.msg, what),
		                   "message '%s' lacks '%s'", err.msg, what);
		/* A failed parse leaves nothing behind. */
		cr_assert_null(dom.cpu_xml);
		cr_assert_eq(dom.n_disks + dom.n_nics, 0);
		cr_assert_eq(dom.name[0], '\0');
	} else {
		hv_domain_clear(&dom);
	}
}

/* expect() on a mini() document. */
static void expect_mini(const char *name, const char *uuid, const char *memory,
                        const char *extra, const char *devices, int code,
                        const char *what)
{
	char *xml = mini(name, uuid, memory, extra, devices);

	expect(xml, code, what);
	free(xml);
}

/* mini() with one <memory> element, expecting kib or an error. */
static void expect_memory(const char *memory, uint64_t kib)
{
	char *xml = mini("m", UUID, memory, NULL, NULL);
	struct hv_domain dom;
	struct hv_error err = { 0 };

	cr_assert_eq(hv_domxml_parse(xml, strlen(xml), &dom, &err), 0, "%s: %s",
	             memory, err.msg);
	cr_assert_eq(dom.memory_kib, kib, "%s: %llu KiB, expected %llu", memory,
	             (unsigned long long)dom.memory_kib,
	             (unsigned long long)kib);
	hv_domain_clear(&dom);
	free(xml);
}

Test(domxml, memory_units)
{
	expect_memory("<memory>1024</memory>", 1024);
	expect_memory("<memory unit='KiB'>1024</memory>", 1024);
	expect_memory("<memory unit='k'>1024</memory>", 1024);
	expect_memory("<memory unit='b'>1025</memory>", 2); /* rounded up */
	expect_memory("<memory unit='bytes'>1048576</memory>", 1024);
	expect_memory("<memory unit='KB'>1000</memory>", 977);
	expect_memory("<memory unit='MiB'>512</memory>", 512 * 1024);
	expect_memory("<memory unit='M'>512</memory>", 512 * 1024);
	expect_memory("<memory unit='MB'>1</memory>", 977);
	expect_memory("<memory unit='GiB'>3</memory>", 3ull << 20);
	expect_memory("<memory unit='G'>3</memory>", 3ull << 20);
	expect_memory("<memory unit='gib'>3</memory>", 3ull << 20);
	expect_memory("<memory unit='GB'>1</memory>", 976563);
	expect_memory("<memory unit='TiB'>2</memory>", 2ull << 30);
	expect_memory("<memory unit='PiB'>1</memory>", 1ull << 40);
	expect_memory("<memory unit='EiB'>1</memory>", 1ull << 50);
	expect_memory("<memory> 64 </memory>", 64);
}

Test(domxml, memory_bad)
{
	static const struct {
		const char *memory, *what;
	} cases[] = {
		{ "<memory></memory>", "<memory> has no value" },
		{ "<memory>abc</memory>", "<memory> 'abc' is not a number" },
		{ "<memory>-1</memory>", "is not a number" },
		{ "<memory>12k</memory>", "is not a number" },
		{ "<memory>0</memory>", "<memory> is zero" },
		{ "<memory>99999999999999999999999</memory>", "out of range" },
		{ "<memory>1234567890123456789012345678901234567890</memory>",
		  "<memory> is longer than 31 bytes" },
		{ "<memory>18446744073709551616</memory>", "out of range" },
		{ "<memory unit='EiB'>16</memory>", "out of range" },
		{ "<memory unit='GiB'>17179869184</memory>", "out of range" },
		{ "<memory unit='XiB'>1</memory>",
		  "unit='XiB'> is not a known" },
		{ "<memory unit='Kx'>1</memory>", "is not a known unit" },
		{ "<memory unit='KiBi'>1</memory>", "is not a known unit" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_mini("m", UUID, cases[i].memory, NULL, NULL, -EINVAL,
		            cases[i].what);
}

Test(domxml, vcpus_and_os)
{
	char *xml = mini("m", UUID, MEM, NULL, NULL);
	struct hv_domain dom;

	/* No <vcpu>: one, as libvirt; no <os>: no arch or machine. */
	cr_assert_eq(hv_domxml_parse(xml, strlen(xml), &dom, NULL), 0);
	cr_assert_eq(dom.vcpus, 1);
	cr_assert_str_eq(dom.arch, "");
	cr_assert_str_eq(dom.machine, "");
	cr_assert_null(dom.cpu_xml);
	hv_domain_clear(&dom);
	free(xml);
	expect_mini("m", UUID, MEM, "<vcpu>0</vcpu>", NULL, -EINVAL,
	            "<vcpu> 0 is not 1..65535");
	expect_mini("m", UUID, MEM, "<vcpu>65536</vcpu>", NULL, -EINVAL,
	            "<vcpu> 65536 is not 1..65535");
	expect_mini("m", UUID, MEM, "<vcpu>65535</vcpu>", NULL, 0, NULL);
}

Test(domxml, required_elements)
{
	expect_mini(NULL, UUID, MEM, NULL, NULL, -EINVAL,
	            "domain XML: <domain> has no <name>");
	expect_mini("m", NULL, MEM, NULL, NULL, -EINVAL,
	            "domain XML: <domain> has no <uuid>");
	expect_mini("m", UUID, NULL, NULL, NULL, -EINVAL,
	            "domain XML: <domain> has no <memory>");
	expect_mini("", UUID, MEM, NULL, NULL, -EINVAL,
	            "domain XML line 2: <name> has no value");
	expect("<domain><name>m</name><uuid>" UUID "</uuid>" MEM "</domain>",
	       -EINVAL, "<domain> has no type=");
	expect("<domian type='kvm'/>", -EINVAL,
	       "line 1: the root element is not <domain>");
	expect("<x:domain xmlns:x='urn:x' type='kvm'/>", -EINVAL,
	       "the root element is not <domain>");
}

Test(domxml, duplicates_refused)
{
	expect_mini("m", UUID, MEM, "  <name>n</name>", NULL, -EINVAL,
	            "line 5: <name> appears twice in <domain>");
	expect_mini("m", UUID, MEM, "<memory>2048</memory>", NULL, -EINVAL,
	            "<memory> appears twice");
	expect_mini("m", UUID, MEM, NULL,
	            "<disk><source file='/a'/><target dev='vda'/></disk>"
	            "<disk><source file='/b'/><target dev='vda'/></disk>\n",
	            -EINVAL, "disk target 'vda' appears twice");
	expect_mini("m", UUID, MEM, NULL,
	            "<disk><source file='/a'/><source file='/b'/>"
	            "<target dev='vda'/></disk>\n",
	            -EINVAL, "<source> appears twice in <disk>");
}

Test(domxml, uuid_and_mac)
{
	expect_mini("m", "6f2c9a4e1b7d4c3a9e580d4b2f1a7c36", MEM, NULL, NULL,
	            -EINVAL,
	            "<uuid> '6f2c9a4e1b7d4c3a9e580d4b2f1a7c36' is not");
	expect_mini("m", "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c3g", MEM, NULL,
	            NULL, -EINVAL, "is not a canonical UUID");
	expect_mini("m", UUID, MEM, NULL,
	            "<interface type='user'><mac address='52:54:00:1'/>"
	            "</interface>\n",
	            -EINVAL, "<mac address='52:54:00:1'> is not a unicast");
	expect_mini("m", UUID, MEM, NULL,
	            "<interface type='user'>"
	            "<mac address='01:00:5e:00:00:01'/></interface>\n",
	            -EINVAL, "is not a unicast MAC address");
	expect_mini("m", UUID, MEM, NULL,
	            "<interface type='user'>"
	            "<mac address='52:54:00:0d:b0:01x'/></interface>\n",
	            -EINVAL, "<mac address=> is longer than 17 bytes");
}

Test(domxml, malformed)
{
	struct hv_domain dom;
	struct hv_error err = { 0 };
	static const char unclosed[] = "<domain type='kvm'>\n"
	                               "  <name>m</name>\n"
	                               "  <uuid>" UUID "</uuid>\n"
	                               "  <memory>1024</memory>\n"
	                               "  <devices>\n"
	                               "</domain>\n";

	expect(unclosed, -EINVAL,
	       "domain XML line 6: Opening and ending tag "
	       "mismatch: devices");
	expect("<domain type='kvm'", -EINVAL, "domain XML line 1:");
	expect("not xml at all", -EINVAL, "domain XML line 1: Start tag");
	expect("<domain type='kvm'><name>&foo;</name></domain>", -EINVAL,
	       "Entity 'foo' not defined");
	expect("<domain type='kvm'/><domain type='kvm'/>", -EINVAL,
	       "Extra content");
	cr_assert_eq(hv_domxml_parse("<domain/>", 0, &dom, &err), -EMSGSIZE);
	cr_assert_str_eq(err.msg, "domain XML: 0 bytes, expected 1..4194304");
	cr_assert_eq(hv_domxml_parse(NULL, 10, &dom, &err), -EMSGSIZE);
}

Test(domxml, doctype_refused)
{
	/* Entity expansion ("billion laughs") and external entities: any
	 * DOCTYPE is refused before its internal subset is read. */
	expect("<?xml version='1.0'?>\n"
	       "<!DOCTYPE domain [\n"
	       "  <!ENTITY a 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>\n"
	       "  <!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n"
	       "  <!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>\n"
	       "]>\n"
	       "<domain type='kvm'><name>&c;</name><uuid>" UUID "</uuid>"
	       "<memory>1024</memory></domain>\n",
	       -EINVAL, "domain XML: a DOCTYPE is not allowed");
	expect("<!DOCTYPE domain SYSTEM 'file:///etc/passwd'>\n"
	       "<domain type='kvm'><name>m</name></domain>\n",
	       -EINVAL, "a DOCTYPE is not allowed");
	expect("<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/hostname'>]>"
	       "<domain type='kvm'><name>&x;</name><uuid>" UUID "</uuid>"
	       "<memory>1024</memory></domain>",
	       -EINVAL, "a DOCTYPE is not allowed");
}

Test(domxml, oversized)
{
	struct hv_domain dom;
	struct hv_error err = { 0 };
	char *big = malloc(HV_DOMXML_MAX + 2);

	cr_assert_not_null(big);
	memset(big, ' ', HV_DOMXML_MAX + 1);
	memcpy(big, "<domain type='kvm'>", 19);
	big[HV_DOMXML_MAX + 1] = '\0';
	cr_assert_eq(hv_domxml_parse(big, HV_DOMXML_MAX + 1, &dom, &err),
	             -EMSGSIZE);
	cr_assert_str_eq(err.msg,
	                 "domain XML: 4194305 bytes, expected 1..4194304");
	free(big);
}

/* A name or source exactly at the limit is kept; one byte more fails. */
Test(domxml, string_limits)
{
	char name[300], path[4200], *xml, *devices = NULL;
	struct hv_domain dom;

	memset(name, 'n', 255);
	name[255] = '\0';
	xml = mini(name, UUID, MEM, NULL, NULL);
	cr_assert_eq(hv_domxml_parse(xml, strlen(xml), &dom, NULL), 0);
	cr_assert_eq(strlen(dom.name), 255);
	hv_domain_clear(&dom);
	free(xml);
	strcat(name, "n");
	expect_mini(name, UUID, MEM, NULL, NULL, -EINVAL,
	            "line 2: <name> is longer than 255 bytes");

	path[0] = '/';
	memset(path + 1, 'p', 4095);
	path[4096] = '\0';
	text_add(&devices,
	         "<disk type='file'><source file='%s'/>"
	         "<target dev='vda'/></disk>\n",
	         path);
	expect_mini("m", UUID, MEM, NULL, devices, -EINVAL,
	            "<source file=> is longer than 4095 bytes");
	free(devices);
	devices = NULL;
	path[4095] = '\0';
	text_add(&devices,
	         "<disk type='file'><source file='%s'/>"
	         "<target dev='vda'/></disk>\n",
	         path);
	xml = mini("m", UUID, MEM, NULL, devices);
	cr_assert_eq(hv_domxml_parse(xml, strlen(xml), &dom, NULL), 0);
	cr_assert_eq(strlen(dom.disks[0].source), 4095);
	hv_domain_clear(&dom);
	free(xml);
	free(devices);
}

/* n disks (vd<i>) and m NICs. */
static char *many(size_t n, size_t m)
{
	char *devices = NULL, *xml;
	size_t i;

	for (i = 0; i < n; i++)
		text_add(&devices,
		         "<disk type='file' device='disk'>"
		         "<source file='/d/%zu.img'/>"
		         "<target dev='vd%zu' bus='virtio'/></disk>\n",
		         i, i);
	for (i = 0; i < m; i++)
		text_add(&devices,
		         "<interface type='network'>"
		         "<mac address='52:54:00:00:00:%02zx'/>"
		         "<source network='n%zu'/></interface>\n",
		         i, i);
	xml = mini("m", UUID, MEM, NULL, devices ? devices : "");
	free(devices);
	return xml;
}

Test(domxml, device_limits)
{
	struct hv_domain dom;
	char *xml;

	xml = many(HV_MAX_DISKS, HV_MAX_NICS);
	cr_assert_eq(hv_domxml_parse(xml, strlen(xml), &dom, NULL), 0);
	cr_assert_eq(dom.n_disks, HV_MAX_DISKS);
	cr_assert_eq(dom.n_nics, HV_MAX_NICS);
	cr_assert_str_eq(dom.disks[31].target, "vd31");
	cr_assert_str_eq(dom.nics[15].mac, "52:54:00:00:00:0f");
	hv_domain_clear(&dom);
	free(xml);
	xml = many(HV_MAX_DISKS + 1, 0);
	expect(xml, -EINVAL, "more than 32 <disk> elements");
	free(xml);
	xml = many(0, HV_MAX_NICS + 1);
	expect(xml, -EINVAL, "more than 16 <interface> elements");
	free(xml);
	expect_mini("m", UUID, MEM, NULL, "<disk><source file='/a'/></disk>\n",
	            -EINVAL, "<disk> has no <target>");
	expect_mini("m", UUID, MEM, NULL,
	            "<disk><source file='/a'/><target bus='sata'/></disk>\n",
	            -EINVAL, "<target> has no dev=");
}

/* ----- hv_domxml_map_disks ----- */

/* Map xml and parse the result into *dom; returns the mapped XML. */
static char *map_parse(const char *xml, const struct hv_disk_map *map, size_t n,
                       struct hv_domain *dom)
{
	struct hv_error err = { 0 };
	char *mapped;

	mapped = hv_domxml_map_disks(xml, strlen(xml), map, n, &err);
	cr_assert_not_null(mapped, "map: %s", err.msg);
	cr_assert_eq(hv_domxml_parse(mapped, strlen(mapped), dom, &err), 0,
	             "mapped XML: %s\n%s", err.msg, mapped);
	return mapped;
}

Test(domxml, map_lab_guest)
{
	static const struct hv_disk_map map[] = {
		{ "vda", "/var/lib/skyferry/in/s1/sf-guest-1-vda.qcow2", NULL },
	};
	struct hv_domain before, after;
	char *xml, *want, *got, *mapped, *line;
	size_t len;

	xml = slurp(DATA_DIR "lab-guest.xml", &len);
	cr_assert_eq(hv_domxml_parse(xml, len, &before, NULL), 0);
	mapped = map_parse(xml, map, 1, &after);
	got = dom_dump(&after);
	/* Only vda's source changed. */
	want = dom_dump(&before);
	line = strstr(want, "/var/lib/skyferry/lab/site-a/sf-guest-1.qcow2");
	cr_assert_not_null(line);
	memmove(line + strlen(map[0].path),
	        line + strlen("/var/lib/skyferry/lab/site-a/sf-guest-1.qcow2"),
	        strlen(line) -
	            strlen("/var/lib/skyferry/lab/site-a/sf-guest-1.qcow2") +
	            1);
	memcpy(line, map[0].path, strlen(map[0].path));
	cr_assert_str_eq(got, want);
	/* The flat copy has no backing chain; other elements stay. */
	cr_assert_null(strstr(mapped, "backingStore"));
	cr_assert_not_null(strstr(mapped, "<alias name=\"virtio-disk0\"/>"));
	cr_assert_not_null(strstr(mapped, "cache=\"none\" io=\"native\""));
	cr_assert_not_null(strstr(mapped, "<sf:site>a</sf:site>"));
	cr_assert_not_null(strstr(mapped, "sf-guest-1-serial.log"));
	hv_domain_clear(&before);
	hv_domain_clear(&after);
	free(mapped);
	free(got);
	free(want);
	free(xml);
}

Test(domxml, map_block_and_format)
{
	static const struct hv_disk_map map[] = {
		{ "vdb", "/srv/in/web-content.raw", "raw" },
		{ "sda", "/srv/in/web-03-sda.qcow2", "qcow2" },
	};
	struct hv_domain dom;
	char *xml = slurp(DATA_DIR "sata-cdrom.xml", NULL);
	char *mapped = map_parse(xml, map, 2, &dom);

	cr_assert_str_eq(dom.disks[0].type, "file");
	cr_assert_str_eq(dom.disks[0].source, "/srv/in/web-03-sda.qcow2");
	cr_assert_str_eq(dom.disks[0].format, "qcow2");
	cr_assert_str_eq(dom.disks[3].source, "/srv/in/web-content.raw");
	cr_assert_str_eq(dom.disks[3].format, "raw");
	cr_assert(dom.disks[3].shareable);
	/* Untouched: the ISO, and the block disk's other driver options. */
	cr_assert_str_eq(dom.disks[1].source,
	                 "/srv/iso/debian-12.5.0-amd64-netinst.iso");
	cr_assert_null(strstr(mapped, "/dev/vg0"));
	cr_assert_not_null(strstr(mapped, "discard=\"unmap\""));
	cr_assert_str_eq(dom.nics[1].mac, "52:54:00:ab:cd:ef");
	hv_domain_clear(&dom);
	free(mapped);
	free(xml);
}

Test(domxml, map_adds_driver)
{
	static const struct hv_disk_map map[] = {
		{ "vda", "/in/a.qcow2", "qcow2" },
	};
	struct hv_domain dom;
	char *xml =
	    mini("m", UUID, MEM, NULL,
	         "<disk><source file='/a'/><target dev='vda'/></disk>\n");

	free(map_parse(xml, map, 1, &dom));
	cr_assert_str_eq(dom.disks[0].format, "qcow2");
	cr_assert_str_eq(dom.disks[0].source, "/in/a.qcow2");
	hv_domain_clear(&dom);
	free(xml);
}

static void expect_map(const char *xml, const struct hv_disk_map *map, size_t n,
                       int code, const char *what)
{
	struct hv_error err = { 0 };
	char *out;

	out = hv_domxml_map_disks(xml, strlen(xml), map, n, &err);
	cr_assert_null(out, "mapped: %s", out);
	cr_assert_eq(err.code, code, "%d: %s", err.code, err.msg);
	cr_assert_not_null(strstr(err.msg, what), "message '%s' lacks '%s'",
	                   err.msg, what);
}

Test(domxml, map_refused)
{
	static const struct hv_disk_map missing[] = { { "vdz", "/in/z",
		                                        NULL } };
	static const struct hv_disk_map twice[] = { { "vda", "/in/a", NULL },
		                                    { "vda", "/in/b", NULL } };
	static const struct hv_disk_map relative[] = { { "vda", "in/a",
		                                         NULL } };
	static const struct hv_disk_map dotdot[] = { { "vda", "/in/../etc/x",
		                                       NULL } };
	static const struct hv_disk_map comma[] = { { "vda", "/in/a,b",
		                                      NULL } };
	static const struct hv_disk_map format[] = { { "vda", "/in/a",
		                                       "qcow2'" } };
	static const struct hv_disk_map network[] = { { "vdb", "/in/b",
		                                        NULL } };
	static const struct hv_disk_map nosource[] = { { "hdc", "/in/c",
		                                         NULL } };
	char *lab = slurp(DATA_DIR "lab-guest.xml", NULL);
	char *units = slurp(DATA_DIR "units.xml", NULL);
	char *sata = slurp(DATA_DIR "sata-cdrom.xml", NULL);

	expect_map(lab, missing, 1, -ENOENT, "no disk with target 'vdz'");
	expect_map(lab, twice, 2, -EINVAL, "target 'vda' appears twice");
	expect_map(lab, relative, 1, -EINVAL,
	           "path 'in/a' is not a clean absolute path");
	expect_map(lab, dotdot, 1, -EINVAL, "is not a clean absolute path");
	expect_map(lab, comma, 1, -EINVAL, "is not a clean absolute path");
	expect_map(lab, format, 1, -EINVAL, "format 'qcow2'' is not");
	expect_map(units, network, 1, -EINVAL,
	           "disk vdb: a 'network' disk cannot be mapped to a file");
	expect_map(sata, nosource, 1, -EINVAL, "disk hdc has no <source>");
	expect_map("<domain", missing, 1, -EINVAL, "domain XML line 1");
	free(lab);
	free(units);
	free(sata);
}

Test(domxml, map_nothing)
{
	char *xml = mini("m", UUID, MEM, NULL, NULL), *out;
	struct hv_domain dom;

	/* An empty map still returns the (re-serialized) document. */
	out = hv_domxml_map_disks(xml, strlen(xml), NULL, 0, NULL);
	cr_assert_not_null(out);
	cr_assert_eq(hv_domxml_parse(out, strlen(out), &dom, NULL), 0);
	cr_assert_str_eq(dom.uuid, UUID);
	hv_domain_clear(&dom);
	free(out);
	free(xml);
}

/* ----- allocation failures ----- */

static long alloc_countdown = -1; /* fail when it reaches 0; -1: never */
static bool alloc_failed;

static bool alloc_should_fail(void)
{
	if (alloc_countdown < 0 || alloc_countdown-- > 0)
		return false;
	alloc_failed = true;
	return true;
}

static void *fail_malloc(size_t size)
{
	return alloc_should_fail() ? NULL : malloc(size);
}

static void *fail_realloc(void *ptr, size_t size)
{
	return alloc_should_fail() ? NULL : realloc(ptr, size);
}

static char *fail_strdup(const char *s)
{
	return alloc_should_fail() ? NULL : strdup(s);
}

/*
 * Fail libxml2's first, second, ... allocation until a run needs no more:
 * each run either succeeds with the right answer or fails cleanly with a
 * message and nothing left behind (valgrind or ASan see leaks).
 */
Test(domxml, alloc_failures)
{
	static const struct hv_disk_map map[] = {
		{ "vda", "/in/vda.raw", "raw" },
	};
	struct hv_domain dom;
	struct hv_error err;
	char *xml, *want, *got, *mapped;
	long n;
	size_t len;
	int rc;

	xmlInitParser();
	xmlMemSetup(free, fail_malloc, fail_realloc, fail_strdup);
	xml = slurp(DATA_DIR "lab-guest.xml", &len);
	want = slurp(DATA_DIR "lab-guest.expected", NULL);
	for (n = 0, alloc_failed = true; alloc_failed; n++) {
		alloc_failed = false;
		alloc_countdown = n;
		hv_error_clear(&err);
		rc = hv_domxml_parse(xml, len, &dom, &err);
		alloc_countdown = -1;
		if (rc < 0) {
			cr_assert(alloc_failed, "%ld: %s", n, err.msg);
			cr_assert_neq(err.msg[0], '\0');
			cr_assert_null(dom.cpu_xml);
			continue;
		}
		got = dom_dump(&dom);
		cr_assert_str_eq(got, want, "allocation %ld failed", n);
		free(got);
		hv_domain_clear(&dom);
	}
	cr_assert_gt(n, 50, "only %ld allocations", n);
	for (n = 0, alloc_failed = true; alloc_failed; n++) {
		alloc_failed = false;
		alloc_countdown = n;
		mapped = hv_domxml_map_disks(xml, len, map, 1, &err);
		alloc_countdown = -1;
		if (!mapped) {
			cr_assert(alloc_failed, "%ld: %s", n, err.msg);
			continue;
		}
		cr_assert_not_null(strstr(mapped, "/in/vda.raw"));
		free(mapped);
	}
	free(want);
	free(xml);
}

/* ----- format predicates ----- */

Test(domxml, predicates)
{
	char long_path[300];

	cr_assert(hv_uuid_is_canonical(UUID));
	cr_assert_not(
	    hv_uuid_is_canonical("6F2C9A4E-1B7D-4C3A-9E58-0D4B2F1A7C36"));
	cr_assert_not(
	    hv_uuid_is_canonical("6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c3"));
	cr_assert_not(
	    hv_uuid_is_canonical("6f2c9a4e-1b7d-4c3a-9e580-d4b2f1a7c36"));
	cr_assert_not(hv_uuid_is_canonical(""));

	cr_assert(hv_mac_is_canonical("52:54:00:5f:a1:0a"));
	cr_assert(hv_mac_is_canonical("fe:ff:ff:ff:ff:ff"));
	cr_assert_not(hv_mac_is_canonical("ff:ff:ff:ff:ff:ff")); /* bcast */
	cr_assert_not(hv_mac_is_canonical("33:33:00:00:00:01"));
	cr_assert_not(hv_mac_is_canonical("52:54:00:5F:A1:0A"));
	cr_assert_not(hv_mac_is_canonical("52-54-00-5f-a1-0a"));
	cr_assert_not(hv_mac_is_canonical("52:54:00:5f:a1:0a:"));
	cr_assert_not(hv_mac_is_canonical("52:54:00:5f:a1"));

	cr_assert(hv_path_is_clean("/var/lib/skyferry/s-1/vda.qcow2", 255));
	cr_assert(hv_path_is_clean("/a", 2));
	cr_assert_not(hv_path_is_clean("/ab", 2));
	cr_assert_not(hv_path_is_clean("/", 255));
	cr_assert_not(hv_path_is_clean("", 255));
	cr_assert_not(hv_path_is_clean("a/b", 255));
	cr_assert_not(hv_path_is_clean("/a//b", 255));
	cr_assert_not(hv_path_is_clean("/a/b/", 255));
	cr_assert_not(hv_path_is_clean("/a/./b", 255));
	cr_assert_not(hv_path_is_clean("/a/../b", 255));
	cr_assert_not(hv_path_is_clean("/a/..", 255));
	cr_assert(hv_path_is_clean("/a/...", 255));
	cr_assert(hv_path_is_clean("/a/.hidden", 255));
	cr_assert_not(hv_path_is_clean("/a b", 255));
	cr_assert_not(hv_path_is_clean("/a:b", 255));
	cr_assert_not(hv_path_is_clean("/a\nb", 255));
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	cr_assert_not(hv_path_is_clean(long_path, 255));
	long_path[255] = '\0';
	cr_assert(hv_path_is_clean(long_path, 255));
}
