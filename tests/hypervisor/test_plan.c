/*
 * test_plan.c: golden JSON for the plan, its answer and the control
 * messages; round trips; and every rule the decoders enforce, by mutating
 * the golden message one field at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "hypervisor/plan.h"

#define UUID "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36"
#define CPU  "<cpu mode=\"custom\"><model>qemu64</model></cpu>"

/* The plan of the lab guest with a data disk and an ISO. */
static const char golden_plan[] =
    "{\"type\":\"plan\","                       /* message type */
    "\"version\":1,"                            /* HV_PLAN_VERSION */
    "\"name\":\"sf-guest-1\","                  /* libvirt name */
    "\"uuid\":\"" UUID "\","                    /* canonical */
    "\"virt_type\":\"qemu\","                   /* <domain type=> */
    "\"arch\":\"x86_64\","                      /* <os><type arch=> */
    "\"machine\":\"pc-q35-8.2\","               /* <os><type machine=> */
    "\"memory_kib\":262144,"                    /* 256 MiB */
    "\"vcpus\":1,"                              /* <vcpu> */
    "\"cpu_xml\":\"<cpu mode=\\\"custom\\\">"   /* <cpu>, escaped */
    "<model>qemu64</model></cpu>\","            /* */
    "\"disks\":["                               /* */
    "{\"target\":\"vda\",\"format\":\"qcow2\"," /* system disk */
    "\"virtual_size\":10737418240,"             /* 10 GiB */
    "\"allocation\":1610612736,"                /* 1.5 GiB */
    "\"shared\":false},"                        /* copied */
    "{\"target\":\"vdb\",\"format\":\"raw\","   /* data disk */
    "\"virtual_size\":1073741824,"              /* 1 GiB */
    "\"allocation\":1073741824,"                /* fully allocated */
    "\"shared\":false},"                        /* copied */
    "{\"target\":\"sdb\",\"format\":\"raw\","   /* installer ISO */
    "\"virtual_size\":0,"                       /* not sized */
    "\"allocation\":0,"                         /* */
    "\"shared\":true}],"                        /* not copied */
    "\"nics\":[\"52:54:00:5f:a1:0a\"],"         /* MACs */
    "\"persistent\":true,"                      /* define at the target */
    "\"undefine_source\":true,"                 /* and undefine here */
    "\"postcopy\":false,"                       /* */
    "\"dry_run\":false,"                        /* */
    "\"parallel\":4}";                          /* connections */

static void golden_plan_struct(struct hv_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->version = 1;
	strcpy(p->name, "sf-guest-1");
	strcpy(p->uuid, UUID);
	strcpy(p->virt_type, "qemu");
	strcpy(p->arch, "x86_64");
	strcpy(p->machine, "pc-q35-8.2");
	p->memory_kib = 262144;
	p->vcpus = 1;
	p->cpu_xml = strdup(CPU);
	p->disks[0] =
	    (struct hv_plan_disk){ "vda",         "qcow2", 10ull << 30,
		                   1536ull << 20, false,   "" };
	p->disks[1] = (struct hv_plan_disk){ "vdb",      "raw", 1ull << 30,
		                             1ull << 30, false, "" };
	p->disks[2] = (struct hv_plan_disk){ "sdb", "raw", 0, 0, true, "" };
	p->n_disks = 3;
	strcpy(p->nic_macs[0], "52:54:00:5f:a1:0a");
	p->n_nics = 1;
	p->persistent = true;
	p->undefine_source = true;
	p->parallel = 4;
}

static void plan_assert_eq(const struct hv_plan *a, const struct hv_plan *b)
{
	size_t i;

	cr_assert_eq(a->version, b->version);
	cr_assert_str_eq(a->name, b->name);
	cr_assert_str_eq(a->uuid, b->uuid);
	cr_assert_str_eq(a->virt_type, b->virt_type);
	cr_assert_str_eq(a->arch, b->arch);
	cr_assert_str_eq(a->machine, b->machine);
	cr_assert_eq(a->memory_kib, b->memory_kib);
	cr_assert_eq(a->vcpus, b->vcpus);
	cr_assert_eq(!a->cpu_xml, !b->cpu_xml);
	if (a->cpu_xml)
		cr_assert_str_eq(a->cpu_xml, b->cpu_xml);
	cr_assert_eq(a->n_disks, b->n_disks);
	for (i = 0; i < a->n_disks; i++) {
		cr_assert_str_eq(a->disks[i].target, b->disks[i].target);
		cr_assert_str_eq(a->disks[i].format, b->disks[i].format);
		cr_assert_eq(a->disks[i].virtual_size,
		             b->disks[i].virtual_size);
		cr_assert_eq(a->disks[i].allocation, b->disks[i].allocation);
		cr_assert_eq(a->disks[i].shared, b->disks[i].shared);
		cr_assert_str_eq(a->disks[i].media, b->disks[i].media);
	}
	cr_assert_eq(a->n_nics, b->n_nics);
	for (i = 0; i < a->n_nics; i++)
		cr_assert_str_eq(a->nic_macs[i], b->nic_macs[i]);
	cr_assert_eq(a->persistent, b->persistent);
	cr_assert_eq(a->undefine_source, b->undefine_source);
	cr_assert_eq(a->postcopy, b->postcopy);
	cr_assert_eq(a->dry_run, b->dry_run);
	cr_assert_eq(a->parallel, b->parallel);
	cr_assert_eq(a->resume_timeout_ms, b->resume_timeout_ms);
	cr_assert_eq(a->postcopy_resume, b->postcopy_resume);
}

/* p encodes with fragment in its JSON, and decodes back equal. */
static void round_trip(const struct hv_plan *p, const char *fragment)
{
	struct hv_error err = { 0 };
	struct hv_plan back;
	char *json = hv_plan_encode(p, &err);

	cr_assert_not_null(json, "%s", err.msg);
	cr_assert(strstr(json, fragment), "%s", json);
	cr_assert_eq(hv_plan_decode(json, strlen(json), &back, &err), 0, "%s",
	             err.msg);
	plan_assert_eq(p, &back);
	free(json);
	hv_plan_clear(&back);
}

/* An encoder's output (taken) is the golden text. */
static void expect_encoded(char *json, const struct hv_error *err,
                           const char *golden)
{
	cr_assert_not_null(json, "%s", err->msg);
	cr_assert_str_eq(json, golden);
	free(json);
}

Test(plan, golden_encode)
{
	struct hv_plan p;
	struct hv_error err = { 0 };

	golden_plan_struct(&p);
	expect_encoded(hv_plan_encode(&p, &err), &err, golden_plan);
	hv_plan_clear(&p);
	cr_assert_null(p.cpu_xml);
}

Test(plan, golden_decode)
{
	struct hv_plan want, got;
	struct hv_error err = { 0 };

	golden_plan_struct(&want);
	cr_assert_eq(
	    hv_plan_decode(golden_plan, strlen(golden_plan), &got, &err), 0,
	    "%s", err.msg);
	plan_assert_eq(&got, &want);
	hv_plan_clear(&got);
	hv_plan_clear(&want);
}

/* Key order and white space are the sender's business. */
Test(plan, decode_reordered_pretty)
{
	static const char pretty[] =
	    "{\n  \"parallel\": 1, \"dry_run\": true, \"postcopy\": true,\n"
	    "  \"undefine_source\": false, \"persistent\": false,\n"
	    "  \"nics\": [], \"disks\": [], \"cpu_xml\": null,\n"
	    "  \"vcpus\": 1024, \"memory_kib\": 17179869184,\n"
	    "  \"machine\": \"\", \"arch\": \"aarch64\",\n"
	    "  \"virt_type\": \"kvm\", \"uuid\": \"" UUID "\",\n"
	    "  \"name\": \"a\", \"version\": 1, \"type\": \"plan\"\n}\n";
	struct hv_plan p;
	struct hv_error err = { 0 };

	cr_assert_eq(hv_plan_decode(pretty, strlen(pretty), &p, &err), 0, "%s",
	             err.msg);
	cr_assert_null(p.cpu_xml);
	cr_assert_eq(p.memory_kib, HV_PLAN_MEMORY_MAX);
	cr_assert_eq(p.vcpus, HV_PLAN_VCPUS_MAX);
	cr_assert(p.dry_run);
	cr_assert(p.postcopy);
	cr_assert_not(p.persistent);
	cr_assert_eq(p.n_disks + p.n_nics, 0);
	cr_assert_str_eq(p.machine, "");
	hv_plan_clear(&p);
}

/* ----- decoding mutated golden plans ----- */

static json_t *golden_json(void)
{
	json_t *root = json_loads(golden_plan, 0, NULL);

	cr_assert_not_null(root);
	return root;
}

/* Decode root (taken); expect code and a message containing what. */
static void expect_json(json_t *root, int code, const char *what)
{
	struct hv_plan p;
	struct hv_error err = { 0 };
	char *json = json_dumps(root, JSON_COMPACT);
	int rc;

	cr_assert_not_null(json);
	json_decref(root);
	rc = hv_plan_decode(json, strlen(json), &p, &err);
	cr_assert_eq(rc, code, "rc %d (%s) for %s", rc, err.msg, json);
	if (code < 0) {
		cr_assert_eq(err.code, code);
		cr_assert_not_null(strstr(err.msg, what),
		                   "message '%s' lacks '%s'", err.msg, what);
		cr_assert_null(p.cpu_xml);
		cr_assert_eq(p.n_disks, 0);
	} else {
		hv_plan_clear(&p);
	}
	free(json);
}

/* The golden plan with top-level key set to v (taken), or removed. */
static void expect_key(const char *key, json_t *v, int code, const char *what)
{
	json_t *root = golden_json();

	if (v)
		json_object_set_new(root, key, v);
	else
		json_object_del(root, key);
	expect_json(root, code, what);
}

/* The golden plan with disks[i].key set to v (taken), or removed. */
static void expect_disk_key(size_t i, const char *key, json_t *v, int code,
                            const char *what)
{
	json_t *root = golden_json();
	json_t *disk = json_array_get(json_object_get(root, "disks"), i);

	if (v)
		json_object_set_new(disk, key, v);
	else
		json_object_del(disk, key);
	expect_json(root, code, what);
}

static json_t *str_of(char c, size_t n)
{
	char *s = malloc(n + 1);
	json_t *v;

	memset(s, c, n);
	s[n] = '\0';
	v = json_string(s);
	free(s);
	return v;
}

Test(plan, decode_message_frame)
{
	expect_key("type", json_string("answer"), -EPROTO,
	           "plan: type 'answer' is not 'plan'");
	expect_key("type", json_integer(1), -EPROTO,
	           "plan: field 'type' is missing or not a string");
	expect_key("type", NULL, -EPROTO, "field 'type' is missing");
	expect_key("version", json_integer(2), -EPROTO,
	           "plan: version 2 is not supported (expected 1)");
	expect_key("version", json_integer(0), -EPROTO,
	           "version 0 is not supported");
	expect_key("version", json_string("1"), -EPROTO,
	           "plan: version is a string, expected an integer");
	expect_key("version", NULL, -EPROTO, "plan: missing field 'version'");
	expect_key("colour", json_string("blue"), -EPROTO,
	           "plan: unknown field 'colour'");
	expect_key("name", NULL, -EPROTO, "plan: missing field 'name'");
	expect_key("parallel", NULL, -EPROTO, "plan: missing field 'parallel'");
	expect_key("cpu_xml", NULL, -EPROTO, "plan: missing field 'cpu_xml'");
	expect_key("cpu_xml", json_null(), 0, NULL);
}

Test(plan, decode_wrong_types)
{
	expect_key("name", json_integer(7), -EPROTO,
	           "plan: name is an integer, expected a string");
	expect_key("memory_kib", json_string("262144"), -EPROTO,
	           "plan: memory_kib is a string, expected an integer");
	expect_key("memory_kib", json_real(262144.0), -EPROTO,
	           "memory_kib is a real number, expected an integer");
	expect_key("persistent", json_integer(1), -EPROTO,
	           "plan: persistent is an integer, expected a boolean");
	expect_key("dry_run", json_null(), -EPROTO,
	           "dry_run is null, expected a boolean");
	expect_key("disks", json_object(), -EPROTO,
	           "plan: disks is an object, expected an array");
	expect_key("nics", json_string("52:54:00:5f:a1:0a"), -EPROTO,
	           "nics is a string, expected an array");
	expect_key("cpu_xml", json_false(), -EPROTO,
	           "cpu_xml is a boolean, expected a string or null");
	expect_key("nics", json_pack("[i]", 5), -EPROTO,
	           "plan: nics[0] is an integer, expected a string");
	expect_key("disks", json_pack("[s]", "vda"), -EPROTO,
	           "plan: disks[0] is a string, expected an object");
	expect_disk_key(1, "shared", json_string("no"), -EPROTO,
	                "plan: disks[1].shared is a string, expected a "
	                "boolean");
	expect_disk_key(0, "virtual_size", json_real(1e9), -EPROTO,
	                "disks[0].virtual_size is a real number");
}

Test(plan, decode_name_uuid)
{
	expect_key("name", json_string(".hidden"), -EPROTO,
	           "plan: name '.hidden' is not 1..64 of [A-Za-z0-9_.+-] "
	           "starting with neither '.' nor '-'");
	expect_key("name", json_string("-x"), -EPROTO, "name '-x' is not");
	expect_key("name", json_string("my vm"), -EPROTO, "name 'my vm' is");
	expect_key("name", json_string("a/b"), -EPROTO, "name 'a/b' is");
	expect_key("name", json_string(""), -EPROTO, "name '' is not");
	expect_key("name", json_string("vm\x1b[2J"), -EPROTO,
	           "name 'vm?[2J' is not");
	expect_key("name", str_of('n', 65), -EPROTO, "is not 1..64");
	expect_key("name", str_of('n', 64), 0, NULL);
	expect_key("name", json_string("db_1.prod+x-y"), 0, NULL);
	expect_key("name", str_of('n', 300), -EPROTO,
	           "plan: name is longer than 255 bytes");
	expect_key("name", json_stringn("a\0b", 3), -EPROTO, "bad JSON");
	expect_key("uuid", json_string("6F2C9A4E-1B7D-4C3A-9E58-0D4B2F1A7C36"),
	           -EPROTO,
	           "plan: uuid '6F2C9A4E-1B7D-4C3A-9E58-0D4B2F1A7C36' "
	           "is not a canonical lower-case UUID");
	expect_key("uuid", json_string("6f2c9a4e1b7d4c3a9e580d4b2f1a7c36"),
	           -EPROTO, "is not a canonical");
	expect_key("uuid", json_string("6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c3"),
	           -EPROTO, "is not a canonical");
	expect_key("uuid", str_of('a', 37), -EPROTO,
	           "plan: uuid is longer than 36 bytes");
	expect_key("virt_type", json_string("KVM"), -EPROTO,
	           "plan: virt_type 'KVM' is not [a-z]+");
	expect_key("arch", json_string(""), -EPROTO,
	           "plan: arch '' is not [A-Za-z0-9_]+");
	expect_key("machine", json_string("pc q35"), -EPROTO,
	           "plan: machine 'pc q35' is not [A-Za-z0-9_.+-]*");
}

Test(plan, decode_resources)
{
	expect_key("memory_kib", json_integer(1023), -EPROTO,
	           "plan: memory_kib 1023 is not 1024..17179869184");
	expect_key("memory_kib", json_integer(1024), 0, NULL);
	expect_key("memory_kib", json_integer(17179869185), -EPROTO,
	           "memory_kib 17179869185 is not");
	expect_key("memory_kib", json_integer(-1), -EPROTO,
	           "plan: memory_kib -1 is negative");
	expect_key("vcpus", json_integer(0), -EPROTO,
	           "plan: vcpus 0 is not 1..1024");
	expect_key("vcpus", json_integer(1025), -EPROTO, "vcpus 1025 is not");
	expect_key("vcpus", json_integer(4294967297), -EPROTO,
	           "plan: vcpus 4294967297 is out of range");
	expect_key("parallel", json_integer(0), -EPROTO,
	           "plan: parallel 0 is not 1..32");
	expect_key("parallel", json_integer(33), -EPROTO, "parallel 33");
	expect_key("cpu_xml", str_of('x', HV_PLAN_CPU_XML_MAX), -EPROTO,
	           "plan: cpu_xml is longer than 16383 bytes");
	expect_key("cpu_xml", str_of('x', HV_PLAN_CPU_XML_MAX - 1), 0, NULL);
	expect_key("cpu_xml", json_string(""), -EPROTO,
	           "plan: cpu_xml is not 1..16383 bytes");
	expect_key("cpu_xml", json_string("<cpu>\n\t<x/>\r\n</cpu>"), 0, NULL);
	expect_key("cpu_xml", json_string("<cpu>\x01</cpu>"), -EPROTO,
	           "cpu_xml has a control character");
}

Test(plan, decode_disks)
{
	json_t *disks;
	size_t i;

	expect_disk_key(1, "format", json_string("vmdk"), -EPROTO,
	                "plan: disks[1].format 'vmdk' is not raw or qcow2");
	expect_disk_key(0, "target", json_string("VDA"), -EPROTO,
	                "plan: disks[0].target 'VDA' is not [a-z]+[0-9a-z]*");
	expect_disk_key(0, "target", json_string("1da"), -EPROTO,
	                "target '1da' is not");
	expect_disk_key(0, "target", json_string("vd-a"), -EPROTO,
	                "target 'vd-a' is not");
	expect_disk_key(0, "target", json_string("../x"), -EPROTO,
	                "target '../x' is not");
	expect_disk_key(0, "target", str_of('v', 31), 0, NULL);
	expect_disk_key(0, "target", str_of('v', 32), -EPROTO,
	                "plan: disks[0].target is longer than 31 bytes");
	expect_disk_key(2, "target", json_string("vda"), -EPROTO,
	                "plan: disks[2].target 'vda' appears twice");
	expect_disk_key(1, "colour", json_true(), -EPROTO,
	                "plan: unknown field 'disks[1].colour'");
	expect_disk_key(1, "allocation", NULL, -EPROTO,
	                "plan: missing field 'disks[1].allocation'");
	expect_disk_key(0, "virtual_size", json_integer(HV_PLAN_DISK_MAX), 0,
	                NULL);
	expect_disk_key(0, "virtual_size", json_integer(HV_PLAN_DISK_MAX + 1),
	                -EPROTO,
	                "plan: disks[0].virtual_size 70368744177665 is over "
	                "64 TiB");
	expect_disk_key(0, "virtual_size", json_integer(0), -EPROTO,
	                "plan: disks[0].virtual_size is 0");
	expect_disk_key(1, "allocation",
	                json_integer((1ll << 30) + (1ll << 27) + (1ll << 30)),
	                0, NULL);
	expect_disk_key(
	    1, "allocation",
	    json_integer((1ll << 30) + (1ll << 27) + (1ll << 30) + 1), -EPROTO,
	    "plan: disks[1].allocation 2281701377 is over "
	    "virtual_size 1073741824 + 1/8 + 1 GiB");
	expect_disk_key(0, "allocation", json_integer(-5), -EPROTO,
	                "disks[0].allocation -5 is negative");

	disks = json_array();
	for (i = 0; i <= HV_MAX_DISKS; i++)
		json_array_append_new(
		    disks, json_pack("{s:s, s:s, s:i, s:i, s:b}", "target",
		                     "vdaa", "format", "raw", "virtual_size", 1,
		                     "allocation", 1, "shared", 0));
	expect_key("disks", disks, -EPROTO,
	           "plan: disks has 33 entries, at most 32");
}

/* A read-only medium's path: optional, on a shared disk, clean. */
Test(plan, media)
{
	struct hv_plan p;
	struct hv_error err = { 0 };

	golden_plan_struct(&p);
	snprintf(p.disks[2].media, sizeof(p.disks[2].media),
	         "/var/lib/libvirt/boot/install.iso");
	round_trip(&p, "\"shared\":true,\"media\":\"/var/lib/"
	               "libvirt/boot/install.iso\"}");
	/* on a copied disk, or not a clean absolute path: refused */
	strcpy(p.disks[0].media, "/var/lib/libvirt/boot/x.iso");
	cr_assert_null(hv_plan_encode(&p, &err));
	cr_assert(strstr(err.msg, "disks[0].media is set on a disk that is "
	                          "not shared"),
	          "%s", err.msg);
	hv_plan_clear(&p);
	expect_disk_key(2, "media", json_string("boot/x.iso"), -EPROTO,
	                "disks[2].media 'boot/x.iso' is not a clean absolute "
	                "path");
	expect_disk_key(2, "media", json_string("/srv/../etc/shadow"), -EPROTO,
	                "is not a clean absolute path");
	expect_disk_key(0, "media", json_string("/srv/x.iso"), -EPROTO,
	                "disks[0].media is set on a disk that is not shared");
	expect_disk_key(2, "media", json_integer(1), -EPROTO, "disks[2].media");
	expect_disk_key(2, "media", str_of('a', HV_PLAN_MEDIA_MAX), -EPROTO,
	                "disks[2].media");
}

/* The migrator's resume limit: sent only when set, 1 s .. 1 day. */
Test(plan, resume_timeout)
{
	struct hv_plan p;
	struct hv_error err = { 0 };

	golden_plan_struct(&p);
	p.resume_timeout_ms = 120000;
	round_trip(&p, "\"parallel\":4,\"resume_timeout_ms\":120000}");
	p.resume_timeout_ms = HV_PLAN_RESUME_MIN_MS - 1;
	cr_assert_null(hv_plan_encode(&p, &err));
	cr_assert_str_eq(err.msg,
	                 "plan: resume_timeout_ms 999 is not 1000..86400000");
	hv_plan_clear(&p);
	expect_key("resume_timeout_ms", json_integer(HV_PLAN_RESUME_MIN_MS), 0,
	           "");
	expect_key("resume_timeout_ms", json_integer(HV_PLAN_RESUME_MAX_MS), 0,
	           "");
	expect_key("resume_timeout_ms", json_integer(0), -EPROTO,
	           "resume_timeout_ms 0 is not 1000..86400000");
	expect_key("resume_timeout_ms",
	           json_integer((json_int_t)HV_PLAN_RESUME_MAX_MS + 1), -EPROTO,
	           "resume_timeout_ms 86400001 is not 1000..86400000");
	expect_key("resume_timeout_ms", json_integer(-5), -EPROTO,
	           "resume_timeout_ms");
	expect_key("resume_timeout_ms", json_string("30000"), -EPROTO,
	           "resume_timeout_ms");
	expect_key("resume_timeout", json_integer(30000), -EPROTO,
	           "resume_timeout");
}

/* Recovering a failed post-copy: sent only when true, with postcopy. */
Test(plan, postcopy_resume)
{
	struct hv_plan p;
	struct hv_error err = { 0 };
	json_t *root;

	golden_plan_struct(&p);
	p.postcopy = true;
	p.postcopy_resume = true;
	p.resume_timeout_ms = 60000;
	round_trip(&p, "\"resume_timeout_ms\":60000,"
	               "\"postcopy_resume\":true}");
	p.postcopy = false;
	cr_assert_null(hv_plan_encode(&p, &err));
	cr_assert_str_eq(err.msg, "plan: postcopy_resume needs postcopy");
	hv_plan_clear(&p);
	/* the golden plan has postcopy false */
	expect_key("postcopy_resume", json_true(), -EPROTO,
	           "postcopy_resume needs postcopy");
	expect_key("postcopy_resume", json_false(), -EPROTO,
	           "postcopy_resume is sent only when true");
	expect_key("postcopy_resume", json_string("yes"), -EPROTO,
	           "postcopy_resume");
	root = golden_json();
	json_object_set_new(root, "postcopy", json_true());
	json_object_set_new(root, "postcopy_resume", json_true());
	expect_json(root, 0, "");
}

Test(plan, decode_max_disks_and_nics)
{
	json_t *disks = json_array(), *nics = json_array();
	char target[8], mac[18];
	size_t i;

	for (i = 0; i < HV_MAX_DISKS; i++) {
		snprintf(target, sizeof(target), "vd%zu", i);
		json_array_append_new(
		    disks, json_pack("{s:s, s:s, s:i, s:i, s:b}", "target",
		                     target, "format", "qcow2", "virtual_size",
		                     1 << 20, "allocation", 0, "shared", 0));
	}
	for (i = 0; i < HV_MAX_NICS; i++) {
		snprintf(mac, sizeof(mac), "52:54:00:00:00:%02zx", i);
		json_array_append_new(nics, json_string(mac));
	}
	expect_key("disks", disks, 0, NULL);
	expect_key("nics", json_deep_copy(nics), 0, NULL);
	json_array_append_new(nics, json_string("52:54:00:00:01:00"));
	expect_key("nics", nics, -EPROTO,
	           "plan: nics has 17 entries, at most 16");
}

Test(plan, decode_nics)
{
	expect_key("nics", json_pack("[s]", "52:54:00:5F:A1:0A"), -EPROTO,
	           "plan: nics[0] '52:54:00:5F:A1:0A' is not a canonical "
	           "unicast MAC");
	expect_key("nics",
	           json_pack("[s,s]", "52:54:00:5f:a1:0a", "01:00:5e:00:00:01"),
	           -EPROTO, "plan: nics[1] '01:00:5e:00:00:01' is not");
	expect_key("nics", json_pack("[s]", "52-54-00-5f-a1-0a"), -EPROTO,
	           "is not a canonical");
	expect_key("nics", json_pack("[s]", "52:54:00:5f:a1:0a:00"), -EPROTO,
	           "plan: nics[0] is longer than 17 bytes");
}

static void expect_raw(const char *buf, size_t len, int code, const char *what)
{
	struct hv_plan p;
	struct hv_error err = { 0 };
	int rc;

	rc = hv_plan_decode(buf, len, &p, &err);
	cr_assert_eq(rc, code, "rc %d (%s)", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, what), "message '%s' lacks '%s'",
	                   err.msg, what);
	cr_assert_null(p.cpu_xml);
}

static void expect_str(const char *buf, int code, const char *what)
{
	expect_raw(buf, strlen(buf), code, what);
}

Test(plan, decode_bad_json)
{
	static const char dup[] = "{\"type\":\"plan\",\"version\":1,"
	                          "\"version\":1}";
	char *big;

	expect_str("{", -EPROTO, "plan: bad JSON at line 1 column 1");
	expect_str("[]", -EPROTO, "plan: not a JSON object");
	expect_str("\"plan\"", -EPROTO, "plan: bad JSON");
	expect_str("{} {}", -EPROTO, "plan: bad JSON");
	expect_str("{\"type\":\"plan\"}x", -EPROTO, "bad JSON");
	expect_str(dup, -EPROTO, "duplicate object key");
	expect_str("{\"type\":\"pl\\u0000an\"}", -EPROTO, "bad JSON");
	expect_str("{\"type\":\"plan\",\"version\":99999999999999999999}",
	           -EPROTO, "too big integer");
	expect_str("{\"type\":\"\xff\"}", -EPROTO, "bad JSON");
	expect_raw("", 0, -EMSGSIZE, "plan: 0 bytes, expected 1..65536");
	expect_raw(NULL, 5, -EMSGSIZE, "plan: 5 bytes");
	big = malloc(HV_PLAN_MSG_MAX + 1);
	memset(big, ' ', HV_PLAN_MSG_MAX + 1);
	memcpy(big, golden_plan, strlen(golden_plan));
	expect_raw(big, HV_PLAN_MSG_MAX + 1, -EMSGSIZE,
	           "plan: 65537 bytes, expected 1..65536");
	free(big);
}

/* Every proper prefix of the golden plan is refused, cleanly. */
Test(plan, decode_truncated)
{
	struct hv_plan p;
	struct hv_error err = { 0 };
	size_t len;

	for (len = 1; len < strlen(golden_plan); len++) {
		hv_error_clear(&err);
		cr_assert_eq(hv_plan_decode(golden_plan, len, &p, &err),
		             -EPROTO, "prefix of %zu bytes", len);
		cr_assert_not_null(strstr(err.msg, "plan: bad JSON"), "%s",
		                   err.msg);
	}
}

/* ----- encode side and hv_plan_from_domain ----- */

Test(plan, encode_refuses_bad_plan)
{
	struct hv_plan p;
	struct hv_error err = { 0 };

	golden_plan_struct(&p);
	strcpy(p.disks[1].format, "vmdk");
	cr_assert_null(hv_plan_encode(&p, &err));
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_str_eq(err.msg,
	                 "plan: disks[1].format 'vmdk' is not raw or qcow2");
	strcpy(p.disks[1].format, "raw");
	p.version = 2;
	cr_assert_eq(hv_plan_check(&p, &err), -EINVAL);
	cr_assert_str_eq(err.msg,
	                 "plan: version 2 is not supported (expected 1)");
	p.version = 1;
	p.n_disks = HV_MAX_DISKS + 1;
	cr_assert_eq(hv_plan_check(&p, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "plan: 33 disks, at most 32");
	p.n_disks = 3;
	cr_assert_eq(hv_plan_check(&p, &err), 0);
	hv_plan_clear(&p);
}

static void domain_from_file(const char *path, struct hv_domain *dom)
{
	struct hv_error err = { 0 };
	char buf[16384];
	FILE *f = fopen(path, "rb");
	size_t len;

	cr_assert_not_null(f, "open %s", path);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_lt(len, sizeof(buf));
	cr_assert_eq(hv_domxml_parse(buf, len, dom, &err), 0, "%s", err.msg);
}

Test(plan, from_domain_round_trip)
{
	struct hv_domain dom;
	struct hv_plan plan, back;
	struct hv_error err = { 0 };
	char *json;

	domain_from_file("tests/hypervisor/data/lab-guest.xml", &dom);
	cr_assert_eq(hv_plan_from_domain(&dom, &plan, &err), 0, "%s", err.msg);
	cr_assert_str_eq(plan.name, "sf-guest-1");
	cr_assert_str_eq(plan.uuid, "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36");
	cr_assert_str_eq(plan.machine, "pc-q35-8.2");
	cr_assert_eq(plan.memory_kib, 262144);
	cr_assert_str_eq(plan.cpu_xml, dom.cpu_xml);
	cr_assert_eq(plan.n_disks, 1);
	cr_assert_str_eq(plan.disks[0].format, "qcow2");
	cr_assert_eq(plan.disks[0].virtual_size, 0);
	cr_assert_str_eq(plan.nic_macs[0], "52:54:00:5f:a1:0a");
	cr_assert(plan.persistent);
	cr_assert_eq(plan.parallel, 1);
	/* Sizes are the caller's: encoding refuses a copied disk without. */
	cr_assert_null(hv_plan_encode(&plan, &err));
	cr_assert_str_eq(err.msg, "plan: disks[0].virtual_size is 0");
	plan.disks[0].virtual_size = 2ull << 30;
	plan.disks[0].allocation = 180ull << 20;
	json = hv_plan_encode(&plan, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_eq(hv_plan_decode(json, strlen(json), &back, &err), 0, "%s",
	             err.msg);
	plan_assert_eq(&back, &plan);
	free(json);
	hv_plan_clear(&back);
	hv_plan_clear(&plan);
	hv_domain_clear(&dom);
}

Test(plan, from_domain_disks)
{
	struct hv_domain dom;
	struct hv_plan plan;
	struct hv_error err = { 0 };

	/* sda block raw; sdb readonly ISO: shared; hdc empty: left out;
	 * vdb shareable: shared. */
	domain_from_file("tests/hypervisor/data/sata-cdrom.xml", &dom);
	cr_assert_eq(hv_plan_from_domain(&dom, &plan, &err), 0, "%s", err.msg);
	cr_assert_eq(plan.n_disks, 3);
	cr_assert_str_eq(plan.disks[0].target, "sda");
	cr_assert_not(plan.disks[0].shared);
	cr_assert_str_eq(plan.disks[0].media, "");
	cr_assert_str_eq(plan.disks[1].target, "sdb");
	cr_assert(plan.disks[1].shared);
	/* the ISO: the destination must hold the same file */
	cr_assert_str_eq(plan.disks[1].media,
	                 "/srv/iso/debian-12.5.0-amd64-netinst.iso");
	cr_assert_str_eq(plan.disks[2].target, "vdb");
	cr_assert(plan.disks[2].shared);
	cr_assert_str_eq(plan.disks[2].media, ""); /* writable, shareable */
	cr_assert_eq(plan.vcpus, 4);
	cr_assert_eq(plan.n_nics, 2);
	cr_assert_str_eq(plan.nic_macs[1], "52:54:00:ab:cd:ef");
	hv_plan_clear(&plan);

	/* What a plan cannot carry is refused with the field's name. */
	strcpy(dom.name, "web 03");
	cr_assert_eq(hv_plan_from_domain(&dom, &plan, &err), -EINVAL);
	cr_assert(strstr(err.msg, "plan: name 'web 03' is not"), "%s", err.msg);
	cr_assert_null(plan.cpu_xml);
	strcpy(dom.name, "web03");
	strcpy(dom.disks[0].format, "vmdk");
	cr_assert_eq(hv_plan_from_domain(&dom, &plan, &err), -EINVAL);
	cr_assert_str_eq(err.msg,
	                 "plan: disks[0].format 'vmdk' is not raw or qcow2");
	dom.disks[0].format[0] = '\0'; /* no driver type: raw */
	cr_assert_eq(hv_plan_from_domain(&dom, &plan, &err), 0, "%s", err.msg);
	cr_assert_str_eq(plan.disks[0].format, "raw");
	hv_plan_clear(&plan);
	dom.nics[0].mac[0] = '\0';
	cr_assert_eq(hv_plan_from_domain(&dom, &plan, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "plan: nics[0] '' is not a canonical "
	                          "unicast MAC");
	hv_domain_clear(&dom);
}

/* ----- answer ----- */

static const char golden_answer[] =
    "{\"type\":\"answer\","                           /* message type */
    "\"version\":1,"                                  /* HV_PLAN_VERSION */
    "\"ok\":true,"                                    /* accepted */
    "\"error\":\"\","                                 /* no error */
    "\"checks\":[\"cpu: compatible (qemu, x86_64)\"," /* lines */
    "\"memory: 512 MiB needed, 20 GiB free\"],"       /* */
    "\"session_dir\":\"/run/skyferry/s-0a1b2c3d\","   /* sockets */
    "\"disks\":[{\"target\":\"vda\","                 /* mapping */
    "\"path\":\"/var/lib/skyferry/in/sf-guest-1-vda-0a1b2c3d.qcow2\","
    "\"format\":\"qcow2\"}]}";

static void golden_answer_struct(struct hv_plan_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->ok = true;
	strcpy(a->checks[0], "cpu: compatible (qemu, x86_64)");
	strcpy(a->checks[1], "memory: 512 MiB needed, 20 GiB free");
	a->n_checks = 2;
	strcpy(a->session_dir, "/run/skyferry/s-0a1b2c3d");
	strcpy(a->disks[0].target, "vda");
	strcpy(a->disks[0].path,
	       "/var/lib/skyferry/in/sf-guest-1-vda-0a1b2c3d.qcow2");
	strcpy(a->disks[0].format, "qcow2");
	a->n_disks = 1;
}

Test(plan, answer_golden)
{
	struct hv_plan_answer a, b;
	struct hv_error err = { 0 };

	golden_answer_struct(&a);
	expect_encoded(hv_plan_answer_encode(&a, &err), &err, golden_answer);
	cr_assert_eq(hv_plan_answer_decode(golden_answer, strlen(golden_answer),
	                                   &b, &err),
	             0, "%s", err.msg);
	cr_assert(b.ok);
	cr_assert_eq(b.n_checks, 2);
	cr_assert_str_eq(b.checks[1], a.checks[1]);
	cr_assert_str_eq(b.session_dir, a.session_dir);
	cr_assert_eq(b.n_disks, 1);
	cr_assert_str_eq(b.disks[0].target, "vda");
	cr_assert_str_eq(b.disks[0].path, a.disks[0].path);
	cr_assert_str_eq(b.disks[0].format, "qcow2");
}

/* A refusal goes out without mapping, and its text is made printable. */
Test(plan, answer_refusal)
{
	struct hv_plan_answer a, b;
	struct hv_error err = { 0 };
	char *json;

	golden_answer_struct(&a);
	a.ok = false;
	strcpy(a.error, "qemu: process exited\nerror: bad \x1b[31mcpu");
	strcpy(a.checks[1], "memory: 512 MiB needed, 100 MiB free \xc3\xa9");
	json = hv_plan_answer_encode(&a, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_str_eq(json,
	                 "{\"type\":\"answer\",\"version\":1,\"ok\":false,"
	                 "\"error\":\"qemu: process exited?error: bad "
	                 "?[31mcpu\",\"checks\":[\"cpu: compatible (qemu, "
	                 "x86_64)\",\"memory: 512 MiB needed, 100 MiB free "
	                 "\xc3\xa9\"],\"session_dir\":\"\",\"disks\":[]}");
	cr_assert_eq(hv_plan_answer_decode(json, strlen(json), &b, &err), 0,
	             "%s", err.msg);
	cr_assert_not(b.ok);
	cr_assert_str_eq(b.error, "qemu: process exited?error: bad ?[31mcpu");
	cr_assert_eq(b.n_disks, 0);
	free(json);
	a.error[0] = '\0';
	cr_assert_null(hv_plan_answer_encode(&a, &err));
	cr_assert_str_eq(err.msg, "answer: ok is false but error is empty");
}

/* The golden answer with key set to v (taken); decode must fail. */
static void expect_answer(const char *key, json_t *v, int code,
                          const char *what)
{
	struct hv_plan_answer a;
	struct hv_error err = { 0 };
	json_t *root = json_loads(golden_answer, 0, NULL);
	char *json;
	int rc;

	cr_assert_not_null(root);
	if (v)
		json_object_set_new(root, key, v);
	else
		json_object_del(root, key);
	json = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	rc = hv_plan_answer_decode(json, strlen(json), &a, &err);
	cr_assert_eq(rc, code, "rc %d (%s) for %s", rc, err.msg, json);
	if (code < 0)
		cr_assert_not_null(strstr(err.msg, what),
		                   "message '%s' lacks '%s'", err.msg, what);
	free(json);
}

static json_t *answer_disk(const char *target, const char *path,
                           const char *format)
{
	return json_pack("[{s:s, s:s, s:s}]", "target", target, "path", path,
	                 "format", format);
}

Test(plan, answer_decode_bad)
{
	json_t *checks = json_array();
	size_t i;

	expect_answer("type", json_string("plan"), -EPROTO,
	              "answer: type 'plan' is not 'answer'");
	expect_answer("version", json_integer(3), -EPROTO,
	              "answer: version 3 is not supported");
	expect_answer("extra", json_true(), -EPROTO,
	              "answer: unknown field 'extra'");
	expect_answer("session_dir", NULL, -EPROTO,
	              "answer: missing field 'session_dir'");
	expect_answer("ok", json_string("yes"), -EPROTO,
	              "answer: ok is a string, expected a boolean");
	expect_answer("error", json_string("oops"), -EPROTO,
	              "answer: ok is true but error is set");
	expect_answer("ok", json_false(), -EPROTO,
	              "answer: ok is false but error is empty");
	expect_answer("session_dir", json_string("run/skyferry"), -EPROTO,
	              "answer: session_dir 'run/skyferry' is not a clean");
	expect_answer("session_dir", json_string("/run/../etc"), -EPROTO,
	              "is not a clean absolute path");
	expect_answer("session_dir", json_string("/tmp/a b"), -EPROTO,
	              "is not a clean absolute path");
	expect_answer("session_dir", str_of('/', 256), -EPROTO,
	              "answer: session_dir is longer than 255 bytes");
	expect_answer("session_dir", json_string(""), 0, NULL); /* dry run */
	expect_answer(
	    "disks", answer_disk("vda", "/etc/shadow/../x", "raw"), -EPROTO,
	    "answer: disks[0].path '/etc/shadow/../x' is not a clean");
	expect_answer("disks", answer_disk("vda", "/in/a", "vmdk"), -EPROTO,
	              "answer: disks[0].format 'vmdk' is not raw or qcow2");
	expect_answer("disks", answer_disk("vd a", "/in/a", "raw"), -EPROTO,
	              "answer: disks[0].target 'vd a' is not");
	expect_answer("disks",
	              json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "target",
	                        "vda", "path", "/in/a", "format", "raw",
	                        "target", "vda", "path", "/in/b", "format",
	                        "raw"),
	              -EPROTO, "answer: disks[1].target 'vda' appears twice");
	expect_answer("disks",
	              json_pack("[{s:s, s:s}]", "target", "vda", "path", "/a"),
	              -EPROTO, "answer: missing field 'disks[0].format'");
	expect_answer("checks", json_pack("[s]", "ok \x1b]0;pwned\x07"),
	              -EPROTO,
	              "answer: checks[0] has a control character or is not "
	              "UTF-8");
	expect_answer("checks", json_pack("[s]", "c1 \xc2\x9b"), -EPROTO,
	              "checks[0] has a control character");
	expect_answer("checks", str_of('c', 2), -EPROTO,
	              "answer: checks is a string, expected an array");
	expect_answer("checks", json_pack("[o]", str_of('c', 160)), -EPROTO,
	              "answer: checks[0] is longer than 159 bytes");
	for (i = 0; i <= HV_PLAN_CHECKS_MAX; i++)
		json_array_append_new(checks, json_string("x: fine"));
	expect_answer("checks", checks, -EPROTO,
	              "answer: checks has 17 entries, at most 16");
}

/* A refusal that still carries a mapping was not sent by our encoder. */
Test(plan, answer_refusal_with_mapping)
{
	static const char bad[] =
	    "{\"type\":\"answer\",\"version\":1,\"ok\":false,"
	    "\"error\":\"no\",\"checks\":[],\"session_dir\":\"/run/x\","
	    "\"disks\":[]}";
	struct hv_plan_answer a;
	struct hv_error err = { 0 };

	cr_assert_eq(hv_plan_answer_decode(bad, strlen(bad), &a, &err),
	             -EPROTO);
	cr_assert_str_eq(err.msg, "answer: ok is false but session_dir, disks "
	                          "or resume_timeout_ms are set");
	cr_assert_eq(a.session_dir[0], '\0');
}

/* The limit the receiver grants: with an accepted plan only. */
Test(plan, answer_resume_timeout)
{
	struct hv_plan_answer a, b;
	struct hv_error err = { 0 };
	char *json;

	golden_answer_struct(&a);
	a.resume_timeout_ms = 30000;
	json = hv_plan_answer_encode(&a, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert(strstr(json, "\"format\":\"qcow2\"}],"
	                       "\"resume_timeout_ms\":30000}"),
	          "%s", json);
	cr_assert_eq(hv_plan_answer_decode(json, strlen(json), &b, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(b.resume_timeout_ms, 30000);
	free(json);
	/* a refusal leaves it out */
	a.ok = false;
	strcpy(a.error, "no");
	json = hv_plan_answer_encode(&a, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_null(strstr(json, "resume_timeout_ms"), "%s", json);
	free(json);
	expect_answer("resume_timeout_ms", json_integer(600000), 0, "");
	expect_answer("resume_timeout_ms", json_integer(10), -EPROTO,
	              "answer: resume_timeout_ms 10 is not 1000..86400000");
	expect_answer("resume_timeout_ms", json_true(), -EPROTO,
	              "resume_timeout_ms");
}

Test(plan, answer_refusal_with_resume_timeout)
{
	static const char bad[] =
	    "{\"type\":\"answer\",\"version\":1,\"ok\":false,"
	    "\"error\":\"no\",\"checks\":[],\"session_dir\":\"\","
	    "\"disks\":[],\"resume_timeout_ms\":30000}";
	struct hv_plan_answer a;
	struct hv_error err = { 0 };

	cr_assert_eq(hv_plan_answer_decode(bad, strlen(bad), &a, &err),
	             -EPROTO);
	cr_assert_str_eq(err.msg, "answer: ok is false but session_dir, disks "
	                          "or resume_timeout_ms are set");
	cr_assert_eq(a.resume_timeout_ms, 0);
}

Test(plan, answer_too_big)
{
	struct hv_plan_answer *a = calloc(1, sizeof(*a));
	struct hv_error err = { 0 };
	size_t i;

	a->ok = true;
	strcpy(a->session_dir, "/run/s");
	for (i = 0; i < HV_MAX_DISKS; i++) {
		snprintf(a->disks[i].target, sizeof(a->disks[i].target),
		         "vd%zu", i);
		strcpy(a->disks[i].format, "raw");
		memset(a->disks[i].path, 'p', 4000);
		a->disks[i].path[0] = '/';
	}
	a->n_disks = HV_MAX_DISKS;
	cr_assert_null(hv_plan_answer_encode(a, &err));
	cr_assert_eq(err.code, -EMSGSIZE);
	cr_assert(strstr(err.msg, "answer: "), "%s", err.msg);
	cr_assert(strstr(err.msg, "bytes encoded, at most 65536"), "%s",
	          err.msg);
	free(a);
}

Test(plan, answer_match)
{
	struct hv_plan p;
	struct hv_plan_answer a;
	struct hv_error err = { 0 };

	golden_plan_struct(&p);
	golden_answer_struct(&a);
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), -EPROTO);
	cr_assert_str_eq(err.msg, "answer: 1 disks mapped, the plan copies 2");
	a.disks[1] = a.disks[0];
	strcpy(a.disks[1].target, "vdb");
	strcpy(a.disks[1].path, "/in/vdb.raw");
	a.n_disks = 2;
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), -EPROTO);
	cr_assert_str_eq(err.msg,
	                 "answer: disks[1] 'vdb' is qcow2, the plan says raw");
	strcpy(a.disks[1].format, "raw");
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), 0, "%s", err.msg);
	a.disks[2] = a.disks[1];
	strcpy(a.disks[2].target, "sdb");
	a.n_disks = 3;
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), -EPROTO);
	cr_assert_str_eq(err.msg, "answer: disks[2] 'sdb' is shared in the "
	                          "plan");
	strcpy(a.disks[2].target, "vdc");
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), -EPROTO);
	cr_assert_str_eq(err.msg, "answer: disks[2] 'vdc' is not in the plan");
	a.n_disks = 2;
	a.session_dir[0] = '\0';
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), -EPROTO);
	cr_assert_str_eq(err.msg, "answer: no session_dir");
	p.dry_run = true;
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), -EPROTO);
	cr_assert_str_eq(err.msg,
	                 "answer: 2 disks mapped, the plan is a dry run: 0");
	a.n_disks = 0;
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), 0, "%s", err.msg);
	a.ok = false;
	cr_assert_eq(hv_plan_answer_match(&p, &a, &err), -EPROTO);
	hv_plan_clear(&p);
}

/* ----- allocation failures ----- */

static long alloc_countdown = -1; /* fail when it reaches 0; -1: never */
static bool alloc_failed;

static void *fail_malloc(size_t size)
{
	if (alloc_countdown < 0 || alloc_countdown-- > 0)
		return malloc(size);
	alloc_failed = true;
	return NULL;
}

/*
 * An encoder's result under an injected failure: 0, or -ENOMEM saying so.
 * Decoders are not run under injected failures: jansson 2.14's lexer
 * writes out of bounds when its token buffer cannot grow (json_loadb of a
 * string over 15 bytes with the 32-byte growth failing), and otherwise
 * reports failed allocations as syntax errors, i.e. -EPROTO here.
 */
static bool fault_ok(long n, char *json, const struct hv_error *err)
{
	if (json)
		return true;
	cr_assert(alloc_failed, "allocation %ld: %s", n, err->msg);
	cr_assert_eq(err->code, -ENOMEM, "allocation %ld: %s", n, err->msg);
	cr_assert_str_eq(strstr(err->msg, ": "), ": out of memory");
	return false;
}

/* Encode with one failed allocation; what comes out must decode. */
static void plan_faults(long n, const struct hv_plan *p)
{
	struct hv_plan back;
	struct hv_error err = { 0 };
	char *json = hv_plan_encode(p, &err);
	long countdown = alloc_countdown;

	if (!fault_ok(n, json, &err))
		return;
	alloc_countdown = -1;
	cr_assert_eq(hv_plan_decode(json, strlen(json), &back, &err), 0, "%s",
	             err.msg);
	alloc_countdown = countdown;
	plan_assert_eq(&back, p);
	hv_plan_clear(&back);
	free(json);
}

static void answer_faults(long n, const struct hv_plan_answer *a)
{
	struct hv_error err = { 0 };
	char *json = hv_plan_answer_encode(a, &err);

	if (fault_ok(n, json, &err))
		cr_assert_str_eq(json, golden_answer);
	free(json);
}

static void ctl_faults(long n, const struct hv_ctl_msg *m)
{
	struct hv_error err = { 0 };
	char *json = hv_ctl_msg_encode(m, &err);

	if (fault_ok(n, json, &err))
		cr_assert_str_eq(json,
		                 "{\"type\":\"abort\",\"reason\":\"stop\"}");
	free(json);
}

/*
 * Fail jansson's first, second, ... allocation until a run needs no more:
 * each run either succeeds or fails cleanly (valgrind or ASan see leaks).
 */
Test(plan, alloc_failures)
{
	struct hv_ctl_msg m = { .type = "abort", .reason = "stop" };
	struct hv_plan p;
	struct hv_plan_answer a;
	long n;

	json_set_alloc_funcs(fail_malloc, free);
	golden_plan_struct(&p);
	golden_answer_struct(&a);
	for (n = 0, alloc_failed = true; alloc_failed; n++) {
		alloc_failed = false;
		alloc_countdown = n;
		plan_faults(n, &p);
		answer_faults(n, &a);
		ctl_faults(n, &m);
		alloc_countdown = -1;
	}
	cr_assert_gt(n, 20, "only %ld allocations", n);
	hv_plan_clear(&p);
}

/* ----- control messages ----- */

static void ctl_round_trip(const struct hv_ctl_msg *m, const char *golden)
{
	struct hv_ctl_msg back;
	struct hv_error err = { 0 };
	char *json = hv_ctl_msg_encode(m, &err);

	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_str_eq(json, golden);
	cr_assert_eq(hv_ctl_msg_decode(json, strlen(json), &back, &err), 0,
	             "%s", err.msg);
	cr_assert_str_eq(back.type, m->type);
	free(json);
}

Test(plan, ctl_golden)
{
	static const char fine[] = "{\"type\":\"result\",\"ok\":true,"
	                           "\"reason\":\"fine\"}";
	struct hv_ctl_msg commit = { .type = "commit" };
	struct hv_ctl_msg abort_msg = { .type = "abort",
		                        .reason = "cancelled by the operator" };
	struct hv_ctl_msg result = { .type = "result", .ok = true };
	struct hv_ctl_msg failed = { .type = "result",
		                     .reason = "not running\nhere" };
	struct hv_ctl_msg back;

	ctl_round_trip(&commit, "{\"type\":\"commit\"}");
	ctl_round_trip(&abort_msg, "{\"type\":\"abort\",\"reason\":"
	                           "\"cancelled by the operator\"}");
	ctl_round_trip(&result,
	               "{\"type\":\"result\",\"ok\":true,\"reason\":\"\"}");
	ctl_round_trip(&failed, "{\"type\":\"result\",\"ok\":false,"
	                        "\"reason\":\"not running?here\"}");
	cr_assert_eq(hv_ctl_msg_decode(fine, strlen(fine), &back, NULL), 0);
	cr_assert(back.ok);
	cr_assert_str_eq(back.reason, "fine");
}

static void expect_ctl(const char *json, int code, const char *what)
{
	struct hv_ctl_msg m;
	struct hv_error err = { 0 };
	int rc;

	rc = hv_ctl_msg_decode(json, strlen(json), &m, &err);
	cr_assert_eq(rc, code, "rc %d (%s) for %s", rc, err.msg, json);
	cr_assert_not_null(strstr(err.msg, what), "message '%s' lacks '%s'",
	                   err.msg, what);
	cr_assert_eq(m.type[0], '\0');
}

Test(plan, ctl_bad)
{
	struct hv_ctl_msg m = { .type = "launch" };
	struct hv_error err = { 0 };
	char long_reason[600];

	expect_ctl("{\"type\":\"plan\"}", -EPROTO,
	           "message: type 'plan' is not commit, abort or result");
	expect_ctl("{\"type\":\"commit\",\"reason\":\"x\"}", -EPROTO,
	           "message: unknown field 'reason'");
	expect_ctl("{\"type\":\"abort\"}", -EPROTO,
	           "message: missing field 'reason'");
	expect_ctl("{\"type\":\"result\",\"reason\":\"\"}", -EPROTO,
	           "message: missing field 'ok'");
	expect_ctl("{\"type\":\"result\",\"ok\":1,\"reason\":\"\"}", -EPROTO,
	           "message: ok is an integer, expected a boolean");
	expect_ctl("{\"type\":\"abort\",\"reason\":\"\\u001b[2J\"}", -EPROTO,
	           "message: reason has a control character");
	expect_ctl("{\"type\":\"commit\"", -EPROTO, "message: bad JSON");
	expect_ctl("{\"type\":\"commitcommitcommitx\"}", -EPROTO,
	           "message: type is longer than 15 bytes");
	expect_ctl("{}", -EPROTO, "message: field 'type' is missing");
	memset(long_reason, 'r', sizeof(long_reason));
	memcpy(long_reason, "{\"type\":\"abort\",\"reason\":\"", 26);
	strcpy(long_reason + 560, "\"}");
	expect_ctl(long_reason, -EPROTO,
	           "message: reason is longer than 511 bytes");
	cr_assert_null(hv_ctl_msg_encode(&m, &err));
	cr_assert_eq(err.code, -EINVAL);
	cr_assert_str_eq(err.msg,
	                 "message: type 'launch' is not commit, abort or "
	                 "result");
}
