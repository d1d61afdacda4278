/*
 * xplan.c: JSON codec for the cross-hypervisor plan and its answer, with
 * the rules a receiver applies to an untrusted plan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hv_json.h"
#include "hypervisor/plan.h"
#include "hypervisor/xplan.h"

#define XP_LOWER   "abcdefghijklmnopqrstuvwxyz"
#define XP_UPPER   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define XP_DIGITS  "0123456789"
#define XP_MAX_POS 63 /* controller and unit indexes */

const char *hv_xplan_mode_name(enum hv_xplan_mode mode)
{
	return mode == HV_XPLAN_COLD   ? "cold"
	       : mode == HV_XPLAN_WARM ? "warm"
	                               : "?";
}

static int xp_mode_parse(const char *s, enum hv_xplan_mode *out)
{
	if (!strcmp(s, "cold"))
		*out = HV_XPLAN_COLD;
	else if (!strcmp(s, "warm"))
		*out = HV_XPLAN_WARM;
	else
		return -EINVAL;
	return 0;
}

/* ----- checks shared by the encoder and the decoder ----- */

static bool xp_mac_ok(const char *s)
{
	unsigned int b[6];
	char tail;

	if (!s[0])
		return true;
	return strlen(s) == 17 &&
	       sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
	              &b[3], &b[4], &b[5], &tail) == 6 &&
	       strspn(s, XP_DIGITS "abcdef:") == 17 && !(b[0] & 1);
}

static bool xp_subformat_ok(enum hv_img_format f, const char *s)
{
	static const char *const vmdk[] = { "monolithicSparse",
		                            "streamOptimized", "monolithicFlat",
		                            NULL };
	static const char *const vpc[] = { "dynamic", "fixed", NULL };
	const char *const *list = f == HV_IMG_VMDK                      ? vmdk
	                          : f == HV_IMG_VPC || f == HV_IMG_VHDX ? vpc
	                                                                : NULL;

	if (!s[0])
		return true;
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int xp_check_identity(const struct hv_json_ctx *c,
                             const struct hv_vmdef *d)
{
	char shown[80];

	if (!hv_json_charset(d->name, HV_PLAN_NAME_MAX,
	                     XP_LOWER XP_UPPER XP_DIGITS "_+",
	                     XP_LOWER XP_UPPER XP_DIGITS "_.+-"))
		return hv_json_fail(
		    c, "name '%s' is not 1..%d of [A-Za-z0-9_.+-]",
		    hv_error_quote(d->name, shown, sizeof(shown)),
		    HV_PLAN_NAME_MAX);
	if (!hv_uuid_is_canonical(d->uuid))
		return hv_json_fail(
		    c, "uuid '%s' is not a canonical lower-case UUID",
		    hv_error_quote(d->uuid, shown, sizeof(shown)));
	if (d->memory_kib < HV_PLAN_MEMORY_MIN ||
	    d->memory_kib > HV_PLAN_MEMORY_MAX)
		return hv_json_fail(c, "memory_kib %llu is out of range",
		                    (unsigned long long)d->memory_kib);
	if (d->vcpus < 1 || d->vcpus > HV_PLAN_VCPUS_MAX)
		return hv_json_fail(c, "vcpus %u is not 1..%d", d->vcpus,
		                    HV_PLAN_VCPUS_MAX);
	if (d->guest_os[0] &&
	    !hv_json_charset(d->guest_os, sizeof(d->guest_os) - 1,
	                     XP_LOWER XP_UPPER XP_DIGITS,
	                     XP_LOWER XP_UPPER XP_DIGITS "_-"))
		return hv_json_fail(
		    c, "guest_os '%s' is not [A-Za-z0-9_-]",
		    hv_error_quote(d->guest_os, shown, sizeof(shown)));
	return 0;
}

static int xp_check_disk(const struct hv_json_ctx *c, const struct hv_xplan *p,
                         size_t i)
{
	const struct hv_vmdisk *d = &p->def.disks[i];
	uint64_t size = p->disk_sizes[i];

	if (d->controller > XP_MAX_POS || d->unit > XP_MAX_POS)
		return hv_json_fail(
		    c, "disks[%zu]: controller %u unit %u: at most %d", i,
		    d->controller, d->unit, XP_MAX_POS);
	if (!xp_subformat_ok(d->format, d->subformat))
		return hv_json_fail(c, "disks[%zu].subformat is not one of %s",
		                    i, hv_img_format_name(d->format));
	if (size > HV_PLAN_DISK_MAX || (size == 0 && d->device != HV_DEV_CDROM))
		return hv_json_fail(
		    c, "disks[%zu].virtual_size %llu is not 1..%llu", i,
		    (unsigned long long)size,
		    (unsigned long long)HV_PLAN_DISK_MAX);
	if (p->mode == HV_XPLAN_WARM &&
	    !strcmp(d->subformat, "streamOptimized"))
		return hv_json_fail(
		    c,
		    "disks[%zu]: a streamOptimized VMDK is written once, "
		    "in order: warm mode needs monolithicSparse",
		    i);
	return 0;
}

static int xp_check(const struct hv_json_ctx *c, const struct hv_xplan *p)
{
	const struct hv_vmdef *d = &p->def;
	char shown[80];
	size_t i;
	int rc;

	rc = xp_check_identity(c, d);
	if (rc < 0)
		return rc;
	if (d->n_disks > HV_VMDEF_MAX_DISKS || d->n_nics > HV_VMDEF_MAX_NICS ||
	    d->n_serials > HV_VMDEF_MAX_SERIALS)
		return hv_json_fail(c, "too many disks, NICs or serial ports");
	for (i = 0; i < d->n_serials; i++)
		if (d->serials[i].type != HV_SERIAL_PTY &&
		    d->serials[i].type != HV_SERIAL_FILE)
			return hv_json_fail(c, "serials[%zu]: unknown type", i);
	for (i = 0; i < d->n_disks; i++) {
		rc = xp_check_disk(c, p, i);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < d->n_nics; i++) {
		const struct hv_vmnic *n = &d->nics[i];

		if (!xp_mac_ok(n->mac))
			return hv_json_fail(
			    c, "nics[%zu].mac '%s' is not a unicast MAC", i,
			    hv_error_quote(n->mac, shown, sizeof(shown)));
		if (n->network[0] &&
		    !hv_json_charset(n->network, sizeof(n->network) - 1,
		                     XP_LOWER XP_UPPER XP_DIGITS "_.-",
		                     XP_LOWER XP_UPPER XP_DIGITS "_.:-"))
			return hv_json_fail(
			    c, "nics[%zu].network '%s' is not [A-Za-z0-9_.:-]",
			    i,
			    hv_error_quote(n->network, shown, sizeof(shown)));
	}
	return hv_plan_check_resume(c, p->resume_timeout_ms, false);
}

int hv_xplan_check(const struct hv_xplan *plan, struct hv_error *err)
{
	struct hv_json_ctx c = { "xplan", -EINVAL, err };

	return xp_check(&c, plan);
}

/* ----- encoding ----- */

static json_t *xp_disk_json(const struct hv_xplan *p, size_t i)
{
	const struct hv_vmdisk *d = &p->def.disks[i];

	return json_pack(
	    "{s:s,s:s,s:s,s:I,s:I,s:b,s:s,s:s,s:I}", "device",
	    d->device == HV_DEV_CDROM ? "cdrom" : "disk", "bus",
	    hv_disk_bus_name(d->bus), "scsi_model",
	    hv_scsi_model_name(d->scsi_model), "controller",
	    (json_int_t)d->controller, "unit", (json_int_t)d->unit, "readonly",
	    d->readonly, "format", hv_img_format_name(d->format), "subformat",
	    d->subformat, "virtual_size", (json_int_t)p->disk_sizes[i]);
}

static json_t *xp_nic_json(const struct hv_vmnic *n)
{
	return json_pack("{s:s,s:s,s:s,s:b}", "mac", n->mac, "model",
	                 hv_nic_model_name(n->model), "network", n->network,
	                 "is_bridge", n->is_bridge);
}

static json_t *xp_plan_json(const struct hv_xplan *p)
{
	const struct hv_vmdef *d = &p->def;
	json_t *disks = json_array(), *nics = json_array(),
	       *serials = json_array();
	size_t i;

	for (i = 0; i < d->n_disks; i++)
		if (!hv_json_append(&disks, xp_disk_json(p, i)))
			break;
	for (i = 0; i < d->n_nics; i++)
		if (!hv_json_append(&nics, xp_nic_json(&d->nics[i])))
			break;
	/* Types only: the receiver chooses where a file port writes. */
	for (i = 0; i < d->n_serials; i++)
		if (!hv_json_append(&serials, json_string(hv_serial_type_name(
		                                  d->serials[i].type))))
			break;
	if (!disks || !nics || !serials) {
		json_decref(disks);
		json_decref(nics);
		json_decref(serials);
		return NULL;
	}
	return hv_json_set_opt(
	    json_pack(
	        "{s:s,s:i,s:s,s:s,s:b,s:b,s:s,s:s,s:I,s:I,s:s,s:s,s:o,s:o,s:o}",
	        "type", "xplan", "version", HV_XPLAN_VERSION, "mode",
	        hv_xplan_mode_name(p->mode), "target", hv_kind_name(d->kind),
	        "start", p->start, "dry_run", p->dry_run, "name", d->name,
	        "uuid", d->uuid, "memory_kib", (json_int_t)d->memory_kib,
	        "vcpus", (json_int_t)d->vcpus, "firmware",
	        d->firmware == HV_FW_UEFI ? "uefi" : "bios", "guest_os",
	        d->guest_os, "disks", disks, "nics", nics, "serials", serials),
	    "resume_timeout_ms", hv_json_opt_uint(p->resume_timeout_ms));
}

char *hv_xplan_encode(const struct hv_xplan *plan, struct hv_error *err)
{
	struct hv_json_ctx c = { "xplan", -EINVAL, err };

	if (xp_check(&c, plan) < 0)
		return NULL;
	return hv_json_dump(&c, xp_plan_json(plan));
}

/* ----- decoding ----- */

static const char *const xp_plan_keys[] = {
	"type",  "version", "mode",       "target", "start",    "dry_run",
	"name",  "uuid",    "memory_kib", "vcpus",  "firmware", "guest_os",
	"disks", "nics",    "serials",    NULL,
};
/* Keys sent only when set. */
static const char *const xp_plan_opt_keys[] = { "resume_timeout_ms", NULL };
static const char *const xp_disk_keys[] = {
	"device",   "bus",    "scsi_model", "controller",   "unit",
	"readonly", "format", "subformat",  "virtual_size", NULL,
};
static const char *const xp_nic_keys[] = { "mac", "model", "network",
	                                   "is_bridge", NULL };

/* Read obj[key], a name that parse maps to an enum; errors name it. */
#define XP_GET_ENUM(c, obj, prefix, key, parse, out)                           \
	({                                                                     \
		char name_[32];                                                \
		int rc_ = hv_json_get_str(c, obj, prefix, key, name_,          \
		                          sizeof(name_));                      \
		if (rc_ == 0 && parse(name_, out) < 0)                         \
			rc_ = hv_json_fail(c, "%s%s '%s' is unknown", prefix,  \
			                   key, name_);                        \
		rc_;                                                           \
	})

static int xp_read_device(const char *s, enum hv_disk_device *out)
{
	if (!strcmp(s, "disk"))
		*out = HV_DEV_DISK;
	else if (!strcmp(s, "cdrom"))
		*out = HV_DEV_CDROM;
	else
		return -EINVAL;
	return 0;
}

static int xp_read_firmware(const char *s, enum hv_firmware *out)
{
	if (!strcmp(s, "bios"))
		*out = HV_FW_BIOS;
	else if (!strcmp(s, "uefi"))
		*out = HV_FW_UEFI;
	else
		return -EINVAL;
	return 0;
}

static int xp_read_disk(const struct hv_json_ctx *c, json_t *v, size_t i,
                        struct hv_xplan *p)
{
	struct hv_vmdisk *d = &p->def.disks[i];
	char prefix[40];
	int rc;

	snprintf(prefix, sizeof(prefix), "disks[%zu].", i);
	if (!json_is_object(v))
		return hv_json_fail(c, "disks[%zu] is not an object", i);
	rc = hv_json_keys(c, v, prefix, xp_disk_keys);
	if (rc == 0)
		rc = XP_GET_ENUM(c, v, prefix, "device", xp_read_device,
		                 &d->device);
	if (rc == 0)
		rc = XP_GET_ENUM(c, v, prefix, "bus", hv_disk_bus_parse,
		                 &d->bus);
	if (rc == 0)
		rc = XP_GET_ENUM(c, v, prefix, "scsi_model",
		                 hv_scsi_model_parse, &d->scsi_model);
	if (rc == 0)
		rc = XP_GET_ENUM(c, v, prefix, "format", hv_img_format_parse,
		                 &d->format);
	if (rc == 0)
		rc = hv_json_get_uint(c, v, prefix, "controller",
		                      &d->controller);
	if (rc == 0)
		rc = hv_json_get_uint(c, v, prefix, "unit", &d->unit);
	if (rc == 0)
		rc = hv_json_get_bool(c, v, prefix, "readonly", &d->readonly);
	if (rc == 0)
		rc = hv_json_get_str(c, v, prefix, "subformat", d->subformat,
		                     sizeof(d->subformat));
	if (rc == 0)
		rc = hv_json_get_u64(c, v, prefix, "virtual_size",
		                     &p->disk_sizes[i]);
	return rc;
}

static int xp_read_nic(const struct hv_json_ctx *c, json_t *v, size_t i,
                       struct hv_vmnic *n)
{
	char prefix[40];
	int rc;

	snprintf(prefix, sizeof(prefix), "nics[%zu].", i);
	if (!json_is_object(v))
		return hv_json_fail(c, "nics[%zu] is not an object", i);
	rc = hv_json_keys(c, v, prefix, xp_nic_keys);
	if (rc == 0)
		rc = hv_json_get_str(c, v, prefix, "mac", n->mac,
		                     sizeof(n->mac));
	if (rc == 0)
		rc = XP_GET_ENUM(c, v, prefix, "model", hv_nic_model_parse,
		                 &n->model);
	if (rc == 0)
		rc = hv_json_get_str(c, v, prefix, "network", n->network,
		                     sizeof(n->network));
	if (rc == 0)
		rc = hv_json_get_bool(c, v, prefix, "is_bridge", &n->is_bridge);
	return rc;
}

static int xp_read_lists(const struct hv_json_ctx *c, json_t *root,
                         struct hv_xplan *p)
{
	json_t *arr = NULL;
	size_t i, n = 0;
	int rc;

	rc = hv_json_get_array(c, root, "disks", HV_VMDEF_MAX_DISKS, &arr, &n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = xp_read_disk(c, json_array_get(arr, i), i, p);
	p->def.n_disks = n;
	if (rc == 0)
		rc = hv_json_get_array(c, root, "nics", HV_VMDEF_MAX_NICS, &arr,
		                       &n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = xp_read_nic(c, json_array_get(arr, i), i, &p->def.nics[i]);
	p->def.n_nics = n;
	if (rc == 0)
		rc = hv_json_get_array(c, root, "serials", HV_VMDEF_MAX_SERIALS,
		                       &arr, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		const char *t = json_string_value(json_array_get(arr, i));

		if (t && !strcmp(t, "pty"))
			p->def.serials[i].type = HV_SERIAL_PTY;
		else if (t && !strcmp(t, "file"))
			p->def.serials[i].type = HV_SERIAL_FILE;
		else
			rc = hv_json_fail(
			    c, "serials[%zu] is not \"pty\" or \"file\"", i);
	}
	p->def.n_serials = n;
	return rc;
}

static int xp_read_plan(const struct hv_json_ctx *c, json_t *root,
                        struct hv_xplan *p)
{
	struct hv_vmdef *d = &p->def;
	unsigned int version = 0;
	bool has[1] = { false };
	int rc;

	rc = hv_json_get_uint(c, root, "", "version", &version);
	if (rc == 0 && version != HV_XPLAN_VERSION)
		return hv_json_fail(c,
		                    "version %u is not supported (expected %d)",
		                    version, HV_XPLAN_VERSION);
	if (rc == 0)
		rc = hv_json_keys_opt(c, root, "", xp_plan_keys,
		                      xp_plan_opt_keys, has);
	if (rc == 0 && has[0])
		rc = hv_plan_read_resume(c, root, &p->resume_timeout_ms);
	if (rc == 0)
		rc = XP_GET_ENUM(c, root, "", "mode", xp_mode_parse, &p->mode);
	if (rc == 0)
		rc =
		    XP_GET_ENUM(c, root, "", "target", hv_kind_parse, &d->kind);
	if (rc == 0)
		rc = hv_json_get_bool(c, root, "", "start", &p->start);
	if (rc == 0)
		rc = hv_json_get_bool(c, root, "", "dry_run", &p->dry_run);
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "name", d->name,
		                     sizeof(d->name));
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "uuid", d->uuid,
		                     sizeof(d->uuid));
	if (rc == 0)
		rc = hv_json_get_u64(c, root, "", "memory_kib", &d->memory_kib);
	if (rc == 0)
		rc = hv_json_get_uint(c, root, "", "vcpus", &d->vcpus);
	if (rc == 0)
		rc = XP_GET_ENUM(c, root, "", "firmware", xp_read_firmware,
		                 &d->firmware);
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "guest_os", d->guest_os,
		                     sizeof(d->guest_os));
	if (rc == 0)
		rc = xp_read_lists(c, root, p);
	return rc == 0 ? xp_check(c, p) : rc;
}

int hv_xplan_decode(const char *buf, size_t len, struct hv_xplan *plan,
                    struct hv_error *err)
{
	struct hv_json_ctx c = { "xplan", -EPROTO, err };
	struct hv_xplan *p = calloc(1, sizeof(*p));
	json_t *root = NULL;
	int rc;

	if (!p)
		return hv_json_oom(&c);
	rc = hv_json_load(&c, buf, len, "xplan", &root);
	if (rc == 0)
		rc = xp_read_plan(&c, root, p);
	if (rc == 0)
		*plan = *p;
	json_decref(root);
	free(p);
	return rc;
}

/* ----- the answer ----- */

static const char *const xp_answer_keys[] = { "type",      "version", "ok",
	                                      "error",     "checks",  "vm_dir",
	                                      "can_start", NULL };
static const char *const xp_answer_opt_keys[] = { "resume_timeout_ms", NULL };

static int xp_check_answer(const struct hv_json_ctx *c,
                           const struct hv_xplan_answer *a)
{
	size_t i;

	if (!hv_json_text_ok(a->error, false))
		return hv_json_fail(c, "error is not printable text");
	if (!a->ok && !a->error[0])
		return hv_json_fail(c, "a refusal without an error");
	for (i = 0; i < a->n_checks; i++)
		if (!hv_json_text_ok(a->checks[i], false))
			return hv_json_fail(
			    c, "checks[%zu] is not printable text", i);
	if (a->vm_dir[0] && (a->vm_dir[0] != '/' || strstr(a->vm_dir, "/..") ||
	                     !hv_json_text_ok(a->vm_dir, false)))
		return hv_json_fail(c, "vm_dir is not a clean absolute path");
	if (!a->ok && a->resume_timeout_ms)
		return hv_json_fail(c, "a refusal grants no resume_timeout_ms");
	return hv_plan_check_resume(c, a->resume_timeout_ms, false);
}

char *hv_xplan_answer_encode(const struct hv_xplan_answer *a,
                             struct hv_error *err)
{
	struct hv_json_ctx c = { "xanswer", -EINVAL, err };
	json_t *checks = json_array();
	size_t i;

	for (i = 0; i < a->n_checks; i++)
		if (!hv_json_append(&checks, hv_json_text_json(a->checks[i])))
			break;
	if (!checks)
		return hv_json_dump(&c, NULL);
	return hv_json_dump(
	    &c, hv_json_set_opt(
	            json_pack(
	                "{s:s,s:i,s:b,s:o,s:o,s:s,s:b}", "type", "xplan-answer",
	                "version", HV_XPLAN_VERSION, "ok", a->ok, "error",
	                hv_json_text_json(a->error), "checks", checks, "vm_dir",
	                a->ok ? a->vm_dir : "", "can_start", a->can_start),
	            "resume_timeout_ms",
	            hv_json_opt_uint(a->ok ? a->resume_timeout_ms : 0)));
}

static int xp_read_answer(const struct hv_json_ctx *c, json_t *root,
                          struct hv_xplan_answer *a)
{
	json_t *arr = NULL;
	size_t i, n = 0;
	bool has[1] = { false };
	int rc;

	rc = hv_json_keys_opt(c, root, "", xp_answer_keys, xp_answer_opt_keys,
	                      has);
	if (rc == 0 && has[0])
		rc = hv_plan_read_resume(c, root, &a->resume_timeout_ms);
	if (rc == 0)
		rc = hv_json_get_bool(c, root, "", "ok", &a->ok);
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "error", a->error,
		                     sizeof(a->error));
	if (rc == 0)
		rc = hv_json_get_array(c, root, "checks", HV_XPLAN_CHECKS_MAX,
		                       &arr, &n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = hv_json_copy_str(c, json_array_get(arr, i), "checks", "[]",
		                      a->checks[i], sizeof(a->checks[i]));
	a->n_checks = n;
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "vm_dir", a->vm_dir,
		                     sizeof(a->vm_dir));
	if (rc == 0)
		rc = hv_json_get_bool(c, root, "", "can_start", &a->can_start);
	return rc == 0 ? xp_check_answer(c, a) : rc;
}

int hv_xplan_answer_decode(const char *buf, size_t len,
                           struct hv_xplan_answer *a, struct hv_error *err)
{
	struct hv_json_ctx c = { "xanswer", -EPROTO, err };
	json_t *root = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	rc = hv_json_load(&c, buf, len, "xplan-answer", &root);
	if (rc == 0)
		rc = xp_read_answer(&c, root, a);
	json_decref(root);
	if (rc < 0)
		memset(a, 0, sizeof(*a));
	return rc;
}
