/*
 * test_xplan.c: golden JSON for the cross-hypervisor plan and its answer,
 * round trips, and the rules the decoder enforces, one field at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hypervisor/xplan.h"

#define UUID "6f2c9a4e-1b7d-4c3a-9e58-0d4b2f1a7c36"

/* The lab guest, bound for VMware with a pvscsi disk and a vmxnet3 NIC. */
static const char golden[] =
    "{\"type\":\"xplan\","                              /* message type */
    "\"version\":1,"                                    /* HV_XPLAN_VERSION */
    "\"mode\":\"cold\","                                /* cold | warm */
    "\"target\":\"vmware\","                            /* the converted kind */
    "\"start\":true,"                                   /* start it if it can */
    "\"dry_run\":false,"                                /* */
    "\"name\":\"sf-guest-1\","                          /* */
    "\"uuid\":\"" UUID "\","                            /* */
    "\"memory_kib\":262144,"                            /* 256 MiB */
    "\"vcpus\":2,"                                      /* */
    "\"firmware\":\"bios\","                            /* bios | uefi */
    "\"guest_os\":\"debian12-64\","                     /* VMware's hint */
    "\"disks\":[{\"device\":\"disk\",\"bus\":\"scsi\"," /* */
    "\"scsi_model\":\"pvscsi\",\"controller\":0,"       /* scsi0 */
    "\"unit\":0,\"readonly\":false,\"format\":\"vmdk\"," /* scsi0:0 */
    "\"subformat\":\"streamOptimized\","                 /* */
    "\"virtual_size\":1073741824},"                      /* 1 GiB */
    "{\"device\":\"cdrom\",\"bus\":\"sata\","            /* an empty drive */
    "\"scsi_model\":\"default\",\"controller\":0,"       /* */
    "\"unit\":1,\"readonly\":true,\"format\":\"raw\","   /* */
    "\"subformat\":\"\",\"virtual_size\":0}],"           /* no media */
    "\"nics\":[{\"mac\":\"52:54:00:5f:a1:0a\","          /* kept */
    "\"model\":\"vmxnet3\",\"network\":\"vmbr0\","       /* */
    "\"is_bridge\":true}],"                              /* */
    "\"serials\":[\"file\"]}";                           /* types only */

static void golden_struct(struct hv_xplan *p)
{
	struct hv_vmdef *d = &p->def;

	memset(p, 0, sizeof(*p));
	p->mode = HV_XPLAN_COLD;
	p->start = true;
	d->kind = HV_KIND_VMWARE;
	strcpy(d->name, "sf-guest-1");
	strcpy(d->uuid, UUID);
	d->memory_kib = 262144;
	d->vcpus = 2;
	strcpy(d->guest_os, "debian12-64");
	d->n_disks = 2;
	d->disks[0].bus = HV_BUS_SCSI;
	d->disks[0].scsi_model = HV_SCSI_PVSCSI;
	d->disks[0].format = HV_IMG_VMDK;
	strcpy(d->disks[0].subformat, "streamOptimized");
	p->disk_sizes[0] = 1u << 30;
	d->disks[1].device = HV_DEV_CDROM;
	d->disks[1].bus = HV_BUS_SATA;
	d->disks[1].unit = 1;
	d->disks[1].readonly = true;
	d->n_nics = 1;
	strcpy(d->nics[0].mac, "52:54:00:5f:a1:0a");
	d->nics[0].model = HV_NIC_VMXNET3;
	strcpy(d->nics[0].network, "vmbr0");
	d->nics[0].is_bridge = true;
	d->n_serials = 1;
	d->serials[0].type = HV_SERIAL_FILE;
}

static struct hv_xplan plan, back;

Test(xplan, golden_encode)
{
	struct hv_error err = { 0 };
	char *json;

	golden_struct(&plan);
	json = hv_xplan_encode(&plan, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_str_eq(json, golden);
	free(json);
}

Test(xplan, golden_decode)
{
	struct hv_error err = { 0 };

	golden_struct(&back);
	cr_assert_eq(hv_xplan_decode(golden, strlen(golden), &plan, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(memcmp(&plan, &back, sizeof(plan)), 0);
}

/* golden with the first `from` replaced by `to`. */
static char *mutate(const char *from, const char *to)
{
	const char *at = strstr(golden, from);
	char *out;

	cr_assert_not_null(at, "%s not in golden", from);
	out = malloc(sizeof(golden) + strlen(to));
	cr_assert_not_null(out);
	sprintf(out, "%.*s%s%s", (int)(at - golden), golden, to,
	        at + strlen(from));
	return out;
}

static void refused(const char *from, const char *to, const char *msg)
{
	struct hv_error err = { 0 };
	char *bad = mutate(from, to);

	cr_expect_eq(hv_xplan_decode(bad, strlen(bad), &plan, &err), -EPROTO,
	             "accepted: %s", bad);
	cr_expect(strstr(err.msg, msg), "'%s' not in '%s'", msg, err.msg);
	free(bad);
}

Test(xplan, bad_fields)
{
	refused("\"version\":1", "\"version\":2", "version 2 is not supported");
	refused("\"mode\":\"cold\"", "\"mode\":\"hot\"",
	        "mode 'hot' is unknown");
	refused("\"target\":\"vmware\"", "\"target\":\"hyperv\"",
	        "target 'hyperv'");
	refused("\"name\":\"sf-guest-1\"", "\"name\":\"../etc\"",
	        "name '../etc'");
	refused("\"uuid\":\"" UUID,
	        "\"uuid\":\"6F2C9A4E-1B7D-4C3A-9E58-0D4B2F1A7C36", "canonical");
	refused("\"memory_kib\":262144", "\"memory_kib\":12", "memory_kib 12");
	refused("\"vcpus\":2", "\"vcpus\":0", "vcpus 0");
	refused("\"vcpus\":2", "\"vcpus\":\"2\"", "vcpus is a string");
	refused("\"firmware\":\"bios\"", "\"firmware\":\"coreboot\"",
	        "firmware");
	refused("\"guest_os\":\"debian12-64\"", "\"guest_os\":\"a b\"",
	        "guest_os");
	refused("\"bus\":\"scsi\"", "\"bus\":\"usb\"", "disks[0].bus 'usb'");
	refused("\"subformat\":\"streamOptimized\"",
	        "\"subformat\":\"twoGbMaxExtentSparse\"", "disks[0].subformat");
	refused("\"virtual_size\":1073741824", "\"virtual_size\":0",
	        "virtual_size 0");
	refused("\"virtual_size\":1073741824", "\"virtual_size\":-1",
	        "negative");
	refused("\"unit\":0,", "\"unit\":64,", "unit 64");
	refused("\"mac\":\"52:54:00:5f:a1:0a\"",
	        "\"mac\":\"53:54:00:5f:a1:0a\"", "unicast");
	refused("\"network\":\"vmbr0\"", "\"network\":\"br 0\"", "network");
	refused("\"is_bridge\":true}", "\"is_bridge\":true,\"x\":1}",
	        "unknown field 'nics[0].x'");
	refused("\"dry_run\":false,", "", "missing field 'dry_run'");
	refused("[\"file\"]", "[\"tcp\"]", "serials[0] is not");
	refused("[\"file\"]", "[\"file\",\"pty\",\"pty\",\"pty\",\"pty\"]",
	        "serials has 5 entries");
	refused("\"mode\":\"cold\"", "\"mode\":\"warm\"",
	        "warm mode needs monolithicSparse");
}

Test(xplan, bad_buffers)
{
	struct hv_error err = { 0 };

	cr_assert_eq(hv_xplan_decode("", 0, &plan, &err), -EMSGSIZE);
	cr_assert_eq(hv_xplan_decode("[1]", 3, &plan, &err), -EPROTO);
	cr_assert_eq(hv_xplan_decode(golden, sizeof(golden) - 5, &plan, &err),
	             -EPROTO);
	cr_assert(strstr(err.msg, "bad JSON"), "%s", err.msg);
}

Test(xplan, encoder_checks)
{
	struct hv_error err = { 0 };

	golden_struct(&plan);
	plan.def.vcpus = 0;
	cr_assert_null(hv_xplan_encode(&plan, &err));
	cr_assert_eq(err.code, -EINVAL);
	cr_assert(strstr(err.msg, "vcpus"), "%s", err.msg);
}

Test(xplan, answer_round_trip)
{
	struct hv_xplan_answer a = { .ok = true,
		                     .n_checks = 1,
		                     .can_start = true },
	                       b;
	struct hv_error err = { 0 };
	char *json;

	strcpy(a.checks[0], "disk 0: created /srv/x/sf-disk0.vmdk (vmdk)");
	strcpy(a.vm_dir, "/srv/x");
	json = hv_xplan_answer_encode(&a, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_str_eq(json,
	                 "{\"type\":\"xplan-answer\",\"version\":1,\"ok\":true,"
	                 "\"error\":\"\",\"checks\":[\"disk 0: created "
	                 "/srv/x/sf-disk0.vmdk (vmdk)\"],\"vm_dir\":\"/srv/x\","
	                 "\"can_start\":true}");
	cr_assert_eq(hv_xplan_answer_decode(json, strlen(json), &b, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	free(json);
}

Test(xplan, answer_refusals)
{
	struct hv_xplan_answer a;
	struct hv_error err = { 0 };
	static const char no_error[] =
	    "{\"type\":\"xplan-answer\",\"version\":1,\"ok\":false,\"error\":"
	    "\"\","
	    "\"checks\":[],\"vm_dir\":\"\",\"can_start\":false}";
	static const char dotdot[] =
	    "{\"type\":\"xplan-answer\",\"version\":1,\"ok\":true,\"error\":"
	    "\"\","
	    "\"checks\":[],\"vm_dir\":\"/srv/../etc\",\"can_start\":false}";
	static const char control[] =
	    "{\"type\":\"xplan-answer\",\"version\":1,\"ok\":false,\"error\":"
	    "\"a\\u001bb\","
	    "\"checks\":[],\"vm_dir\":\"\",\"can_start\":false}";

	cr_assert_eq(
	    hv_xplan_answer_decode(no_error, strlen(no_error), &a, &err),
	    -EPROTO);
	cr_assert(strstr(err.msg, "refusal without an error"), "%s", err.msg);
	cr_assert_eq(hv_xplan_answer_decode(dotdot, strlen(dotdot), &a, &err),
	             -EPROTO);
	cr_assert(strstr(err.msg, "clean absolute path"), "%s", err.msg);
	cr_assert_eq(hv_xplan_answer_decode(control, strlen(control), &a, &err),
	             -EPROTO);
	cr_assert_eq(a.ok, false);
}

/*
 * The outage limit of a cold or warm move: sent only when asked (the golden
 * plan, without it, is what older receivers knew), 1 s .. 1 day.
 */
Test(xplan, resume_timeout)
{
	struct hv_error err = { 0 };
	char *json;

	golden_struct(&plan);
	plan.resume_timeout_ms = 3600000;
	json = hv_xplan_encode(&plan, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert(strstr(json, "\"serials\":[\"file\"],"
	                       "\"resume_timeout_ms\":3600000}"),
	          "%s", json);
	cr_assert_eq(hv_xplan_decode(json, strlen(json), &back, &err), 0, "%s",
	             err.msg);
	cr_assert_eq(memcmp(&plan, &back, sizeof(plan)), 0);
	free(json);

	plan.resume_timeout_ms = 999;
	cr_assert_null(hv_xplan_encode(&plan, &err));
	cr_assert_str_eq(err.msg,
	                 "xplan: resume_timeout_ms 999 is not 1000..86400000");

	refused("\"serials\":[\"file\"]}",
	        "\"serials\":[\"file\"],\"resume_timeout_ms\":0}",
	        "resume_timeout_ms 0 is not 1000..86400000");
	refused("\"serials\":[\"file\"]}",
	        "\"serials\":[\"file\"],\"resume_timeout_ms\":86400001}",
	        "resume_timeout_ms 86400001 is not 1000..86400000");
	refused("\"serials\":[\"file\"]}",
	        "\"serials\":[\"file\"],\"resume_timeout_ms\":\"60000\"}",
	        "resume_timeout_ms");
	refused("\"serials\":[\"file\"]}",
	        "\"serials\":[\"file\"],\"resume_timeout\":60000}",
	        "unknown field 'resume_timeout'");
}

/* What the receiver granted; a refusal carries none. */
Test(xplan, answer_resume_timeout)
{
	struct hv_xplan_answer a = { .ok = true, .resume_timeout_ms = 120000 },
	                       b;
	struct hv_error err = { 0 };
	static const char refusal[] =
	    "{\"type\":\"xplan-answer\",\"version\":1,\"ok\":false,\"error\":"
	    "\"no\",\"checks\":[],\"vm_dir\":\"\",\"can_start\":false,"
	    "\"resume_timeout_ms\":120000}";
	static const char too_short[] =
	    "{\"type\":\"xplan-answer\",\"version\":1,\"ok\":true,\"error\":"
	    "\"\",\"checks\":[],\"vm_dir\":\"\",\"can_start\":false,"
	    "\"resume_timeout_ms\":10}";
	char *json;

	strcpy(a.vm_dir, "/srv/x");
	json = hv_xplan_answer_encode(&a, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert(strstr(json, "\"can_start\":false,"
	                       "\"resume_timeout_ms\":120000}"),
	          "%s", json);
	cr_assert_eq(hv_xplan_answer_decode(json, strlen(json), &b, &err), 0,
	             "%s", err.msg);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	free(json);

	/* A refusal is sent without it, whatever the struct says. */
	a.ok = false;
	strcpy(a.error, "no");
	json = hv_xplan_answer_encode(&a, &err);
	cr_assert_not_null(json, "%s", err.msg);
	cr_assert_null(strstr(json, "resume_timeout_ms"), "%s", json);
	free(json);

	cr_assert_eq(hv_xplan_answer_decode(refusal, strlen(refusal), &b, &err),
	             -EPROTO);
	cr_assert(strstr(err.msg, "a refusal grants no resume_timeout_ms"),
	          "%s", err.msg);
	cr_assert_eq(
	    hv_xplan_answer_decode(too_short, strlen(too_short), &b, &err),
	    -EPROTO);
	cr_assert(strstr(err.msg, "resume_timeout_ms 10 is not"), "%s",
	          err.msg);
}
