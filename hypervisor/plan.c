/*
 * plan.c: JSON codec for the migration plan, its answer and the control
 * messages, with the rules a receiver applies to an untrusted plan.
 *
 * Decoding is two steps: the JSON is read into the fixed structure (every
 * key known, present and of the right type, every string fitting its
 * buffer), then the structure is checked by the same functions the encoders
 * use, so both sides agree on what a valid message is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hypervisor/hv_json.h"
#include "hypervisor/plan.h"

#define PL_LOWER  "abcdefghijklmnopqrstuvwxyz"
#define PL_UPPER  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define PL_DIGITS "0123456789"

/* A libvirt-safe domain name. */
static bool pl_name_ok(const char *s)
{
	return hv_json_charset(s, HV_PLAN_NAME_MAX,
	                       PL_LOWER PL_UPPER PL_DIGITS "_+",
	                       PL_LOWER PL_UPPER PL_DIGITS "_.+-");
}

/* A disk target: [a-z]+[0-9a-z]*, at most 31 characters. */
static bool pl_target_ok(const char *s)
{
	return hv_json_charset(s, 31, PL_LOWER, PL_LOWER PL_DIGITS);
}

static bool pl_format_ok(const char *s)
{
	return !strcmp(s, "raw") || !strcmp(s, "qcow2");
}

/* ----- checks shared by encoders and decoders ----- */

static int pl_check_identity(const struct hv_json_ctx *c,
                             const struct hv_plan *p)
{
	char shown[48];

	if (p->version != HV_PLAN_VERSION)
		return hv_json_fail(c,
		                    "version %u is not supported (expected %d)",
		                    p->version, HV_PLAN_VERSION);
	if (!pl_name_ok(p->name))
		return hv_json_fail(
		    c,
		    "name '%s' is not 1..%d of [A-Za-z0-9_.+-] "
		    "starting with neither '.' nor '-'",
		    hv_error_quote(p->name, shown, sizeof(shown)),
		    HV_PLAN_NAME_MAX);
	if (!hv_uuid_is_canonical(p->uuid))
		return hv_json_fail(
		    c, "uuid '%s' is not a canonical lower-case UUID",
		    hv_error_quote(p->uuid, shown, sizeof(shown)));
	if (!hv_json_charset(p->virt_type, sizeof(p->virt_type) - 1, PL_LOWER,
	                     PL_LOWER))
		return hv_json_fail(
		    c, "virt_type '%s' is not [a-z]+",
		    hv_error_quote(p->virt_type, shown, sizeof(shown)));
	if (!hv_json_charset(p->arch, sizeof(p->arch) - 1,
	                     PL_LOWER PL_UPPER PL_DIGITS "_",
	                     PL_LOWER PL_UPPER PL_DIGITS "_"))
		return hv_json_fail(
		    c, "arch '%s' is not [A-Za-z0-9_]+",
		    hv_error_quote(p->arch, shown, sizeof(shown)));
	if (p->machine[0] &&
	    !hv_json_charset(p->machine, sizeof(p->machine) - 1,
	                     PL_LOWER PL_UPPER PL_DIGITS "_.+-",
	                     PL_LOWER PL_UPPER PL_DIGITS "_.+-"))
		return hv_json_fail(
		    c, "machine '%s' is not [A-Za-z0-9_.+-]*",
		    hv_error_quote(p->machine, shown, sizeof(shown)));
	return 0;
}

int hv_plan_check_resume(const struct hv_json_ctx *c, unsigned int ms,
                         bool sent)
{
	if ((ms || sent) &&
	    (ms < HV_PLAN_RESUME_MIN_MS || ms > HV_PLAN_RESUME_MAX_MS))
		return hv_json_fail(c, "resume_timeout_ms %u is not %u..%u", ms,
		                    HV_PLAN_RESUME_MIN_MS,
		                    HV_PLAN_RESUME_MAX_MS);
	return 0;
}

int hv_plan_read_resume(const struct hv_json_ctx *c, json_t *root,
                        unsigned int *ms)
{
	int rc = hv_json_get_uint(c, root, "", "resume_timeout_ms", ms);

	return rc < 0 ? rc : hv_plan_check_resume(c, *ms, true);
}

static int pl_check_resources(const struct hv_json_ctx *c,
                              const struct hv_plan *p)
{
	if (p->memory_kib < HV_PLAN_MEMORY_MIN ||
	    p->memory_kib > HV_PLAN_MEMORY_MAX)
		return hv_json_fail(c, "memory_kib %llu is not %llu..%llu",
		                    (unsigned long long)p->memory_kib,
		                    HV_PLAN_MEMORY_MIN, HV_PLAN_MEMORY_MAX);
	if (p->vcpus < 1 || p->vcpus > HV_PLAN_VCPUS_MAX)
		return hv_json_fail(c, "vcpus %u is not 1..%d", p->vcpus,
		                    HV_PLAN_VCPUS_MAX);
	if (p->cpu_xml &&
	    (!p->cpu_xml[0] || strlen(p->cpu_xml) >= HV_PLAN_CPU_XML_MAX))
		return hv_json_fail(c, "cpu_xml is not 1..%u bytes",
		                    HV_PLAN_CPU_XML_MAX - 1);
	if (p->cpu_xml && !hv_json_text_ok(p->cpu_xml, true))
		return hv_json_fail(c,
		                    "cpu_xml has a control character or is not "
		                    "UTF-8");
	if (p->parallel < 1 || p->parallel > HV_PLAN_PARALLEL_MAX)
		return hv_json_fail(c, "parallel %u is not 1..%d", p->parallel,
		                    HV_PLAN_PARALLEL_MAX);
	if (p->postcopy_resume && !p->postcopy)
		return hv_json_fail(c, "postcopy_resume needs postcopy");
	return hv_plan_check_resume(c, p->resume_timeout_ms, false);
}

/* Disk i of the plan; sizes=false skips "a copied disk has a size". */

/*
 * disks[i].target and .format, in a plan or an answer: well formed, and the
 * target not used by disks[0..i-1], whose targets lie stride bytes apart.
 */
static int pl_check_target_format(const struct hv_json_ctx *c, size_t i,
                                  const char *target, const char *format,
                                  size_t stride)
{
	char shown[48];
	size_t j;

	if (!pl_target_ok(target))
		return hv_json_fail(
		    c, "disks[%zu].target '%s' is not [a-z]+[0-9a-z]*", i,
		    hv_error_quote(target, shown, sizeof(shown)));
	for (j = 1; j <= i; j++)
		if (!strcmp(target - j * stride, target))
			return hv_json_fail(
			    c, "disks[%zu].target '%s' appears twice", i,
			    target);
	if (!pl_format_ok(format))
		return hv_json_fail(
		    c, "disks[%zu].format '%s' is not raw or qcow2", i,
		    hv_error_quote(format, shown, sizeof(shown)));
	return 0;
}

static int pl_check_disk(const struct hv_json_ctx *c, const struct hv_plan *p,
                         size_t i, bool sizes)
{
	const struct hv_plan_disk *d = &p->disks[i];
	char shown[48];
	uint64_t slack;
	int rc;

	rc = pl_check_target_format(c, i, d->target, d->format, sizeof(*d));
	if (rc < 0)
		return rc;
	if (d->virtual_size > HV_PLAN_DISK_MAX)
		return hv_json_fail(
		    c, "disks[%zu].virtual_size %llu is over 64 TiB", i,
		    (unsigned long long)d->virtual_size);
	if (sizes && !d->shared && d->virtual_size == 0)
		return hv_json_fail(c, "disks[%zu].virtual_size is 0", i);
	if (d->media[0] && !d->shared)
		return hv_json_fail(c,
		                    "disks[%zu].media is set on a disk that is "
		                    "not shared",
		                    i);
	if (d->media[0] && !hv_path_is_clean(d->media, sizeof(d->media) - 1))
		return hv_json_fail(
		    c,
		    "disks[%zu].media '%s' is not a clean "
		    "absolute path",
		    i, hv_error_quote(d->media, shown, sizeof(shown)));
	/* qcow2 metadata can take a little more than the virtual size. */
	slack = d->virtual_size / 8 + (1ull << 30);
	if (d->allocation > d->virtual_size + slack)
		return hv_json_fail(
		    c,
		    "disks[%zu].allocation %llu is over virtual_size "
		    "%llu + 1/8 + 1 GiB",
		    i, (unsigned long long)d->allocation,
		    (unsigned long long)d->virtual_size);
	return 0;
}

static int pl_check(const struct hv_json_ctx *c, const struct hv_plan *p,
                    bool sizes)
{
	char shown[48];
	size_t i;
	int rc;

	rc = pl_check_identity(c, p);
	if (rc == 0)
		rc = pl_check_resources(c, p);
	if (rc == 0 && p->n_disks > HV_MAX_DISKS)
		rc = hv_json_fail(c, "%zu disks, at most %d", p->n_disks,
		                  HV_MAX_DISKS);
	for (i = 0; rc == 0 && i < p->n_disks; i++)
		rc = pl_check_disk(c, p, i, sizes);
	if (rc == 0 && p->n_nics > HV_MAX_NICS)
		rc = hv_json_fail(c, "%zu nics, at most %d", p->n_nics,
		                  HV_MAX_NICS);
	for (i = 0; rc == 0 && i < p->n_nics; i++)
		if (!hv_mac_is_canonical(p->nic_macs[i]))
			rc = hv_json_fail(c,
			                  "nics[%zu] '%s' is not a canonical "
			                  "unicast MAC",
			                  i,
			                  hv_error_quote(p->nic_macs[i], shown,
			                                 sizeof(shown)));
	return rc;
}

int hv_plan_check(const struct hv_plan *plan, struct hv_error *err)
{
	struct hv_json_ctx c = { "plan", -EINVAL, err };

	return pl_check(&c, plan, true);
}

/* ----- reading JSON into fixed buffers ----- */

/* "version" first: a newer peer may send fields this side does not know. */
static int pl_version(const struct hv_json_ctx *c, json_t *root)
{
	unsigned int version;
	int rc;

	rc = hv_json_get_uint(c, root, "", "version", &version);
	if (rc == 0 && version != HV_PLAN_VERSION)
		rc =
		    hv_json_fail(c, "version %u is not supported (expected %d)",
		                 version, HV_PLAN_VERSION);
	return rc;
}

/* ----- plan ----- */

static const char *const pl_plan_keys[] = {
	"type",       "version",         "name",
	"uuid",       "virt_type",       "arch",
	"machine",    "memory_kib",      "vcpus",
	"cpu_xml",    "disks",           "nics",
	"persistent", "undefine_source", "postcopy",
	"dry_run",    "parallel",        NULL
};

/* Keys sent only when set: has[] indexes follow this order. */
static const char *const pl_plan_opt_keys[] = { "resume_timeout_ms",
	                                        "postcopy_resume", NULL };

static const char *const pl_plan_disk_keys[] = { "target",       "format",
	                                         "virtual_size", "allocation",
	                                         "shared",       NULL };
static const char *const pl_plan_disk_opt_keys[] = { "media", NULL };

/*
 * disks[i] must be an object with exactly keys; prefix gets its name
 * ("disks[1].") for the messages about its fields.
 */
static int pl_disk_entry(const struct hv_json_ctx *c, json_t *v, size_t i,
                         const char *const *keys, const char *const *opts,
                         bool *has, char *prefix, size_t size)
{
	snprintf(prefix, size, "disks[%zu].", i);
	if (!json_is_object(v))
		return hv_json_fail(c, "disks[%zu] is %s, expected an object",
		                    i, hv_json_type_name(v));
	return hv_json_keys_opt(c, v, prefix, keys, opts, has);
}

static int pl_read_disk(const struct hv_json_ctx *c, json_t *v, size_t i,
                        struct hv_plan_disk *d)
{
	char prefix[32];
	bool media = false;
	int rc;

	rc = pl_disk_entry(c, v, i, pl_plan_disk_keys, pl_plan_disk_opt_keys,
	                   &media, prefix, sizeof(prefix));
	if (rc == 0)
		rc = hv_json_get_str(c, v, prefix, "target", d->target,
		                     sizeof(d->target));
	if (rc == 0)
		rc = hv_json_get_str(c, v, prefix, "format", d->format,
		                     sizeof(d->format));
	if (rc == 0)
		rc = hv_json_get_u64(c, v, prefix, "virtual_size",
		                     &d->virtual_size);
	if (rc == 0)
		rc =
		    hv_json_get_u64(c, v, prefix, "allocation", &d->allocation);
	if (rc == 0)
		rc = hv_json_get_bool(c, v, prefix, "shared", &d->shared);
	if (rc == 0 && media)
		rc = hv_json_get_str(c, v, prefix, "media", d->media,
		                     sizeof(d->media));
	return rc;
}

static int pl_read_cpu_xml(const struct hv_json_ctx *c, json_t *root,
                           struct hv_plan *p)
{
	json_t *v = json_object_get(root, "cpu_xml");

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return hv_json_fail(c,
		                    "cpu_xml is %s, expected a string or null",
		                    hv_json_type_name(v));
	if (json_string_length(v) >= HV_PLAN_CPU_XML_MAX)
		return hv_json_fail(c, "cpu_xml is longer than %u bytes",
		                    HV_PLAN_CPU_XML_MAX - 1);
	p->cpu_xml = strdup(json_string_value(v));
	return p->cpu_xml ? 0 : hv_json_oom(c);
}

static int pl_read_lists(const struct hv_json_ctx *c, json_t *root,
                         struct hv_plan *p)
{
	char name[32];
	json_t *arr;
	size_t i;
	int rc;

	rc = hv_json_get_array(c, root, "disks", HV_MAX_DISKS, &arr,
	                       &p->n_disks);
	for (i = 0; rc == 0 && i < p->n_disks; i++)
		rc = pl_read_disk(c, json_array_get(arr, i), i, &p->disks[i]);
	if (rc == 0)
		rc = hv_json_get_array(c, root, "nics", HV_MAX_NICS, &arr,
		                       &p->n_nics);
	for (i = 0; rc == 0 && i < p->n_nics; i++) {
		snprintf(name, sizeof(name), "nics[%zu]", i);
		rc = hv_json_copy_str(c, json_array_get(arr, i), name, "",
		                      p->nic_macs[i], sizeof(p->nic_macs[i]));
	}
	return rc;
}

static int pl_read_plan(const struct hv_json_ctx *c, json_t *root,
                        struct hv_plan *p)
{
	bool has[2] = { false, false };
	int rc;

	p->version = HV_PLAN_VERSION;
	rc = hv_json_keys_opt(c, root, "", pl_plan_keys, pl_plan_opt_keys, has);
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "name", p->name,
		                     sizeof(p->name));
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "uuid", p->uuid,
		                     sizeof(p->uuid));
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "virt_type", p->virt_type,
		                     sizeof(p->virt_type));
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "arch", p->arch,
		                     sizeof(p->arch));
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "machine", p->machine,
		                     sizeof(p->machine));
	if (rc == 0)
		rc = hv_json_get_u64(c, root, "", "memory_kib", &p->memory_kib);
	if (rc == 0)
		rc = hv_json_get_uint(c, root, "", "vcpus", &p->vcpus);
	if (rc == 0)
		rc = pl_read_cpu_xml(c, root, p);
	if (rc == 0)
		rc = pl_read_lists(c, root, p);
	if (rc == 0)
		rc =
		    hv_json_get_bool(c, root, "", "persistent", &p->persistent);
	if (rc == 0)
		rc = hv_json_get_bool(c, root, "", "undefine_source",
		                      &p->undefine_source);
	if (rc == 0)
		rc = hv_json_get_bool(c, root, "", "postcopy", &p->postcopy);
	if (rc == 0)
		rc = hv_json_get_bool(c, root, "", "dry_run", &p->dry_run);
	if (rc == 0)
		rc = hv_json_get_uint(c, root, "", "parallel", &p->parallel);
	if (rc == 0 && has[0])
		rc = hv_plan_read_resume(c, root, &p->resume_timeout_ms);
	if (rc == 0 && has[1]) {
		rc = hv_json_get_bool(c, root, "", "postcopy_resume",
		                      &p->postcopy_resume);
		if (rc == 0 && !p->postcopy_resume)
			rc = hv_json_fail(c, "postcopy_resume is sent only "
			                     "when true");
	}
	return rc;
}

/* Read a versioned message of c->what's type: load, version, read. */
static int pl_decode(const struct hv_json_ctx *c, const char *buf, size_t len,
                     int (*read)(const struct hv_json_ctx *, json_t *, void *),
                     void *out)
{
	json_t *root = NULL;
	int rc;

	rc = hv_json_load(c, buf, len, c->what, &root);
	if (rc == 0)
		rc = pl_version(c, root);
	if (rc == 0)
		rc = read(c, root, out);
	json_decref(root);
	return rc;
}

static int pl_read_plan_checked(const struct hv_json_ctx *c, json_t *root,
                                void *out)
{
	int rc = pl_read_plan(c, root, out);

	return rc < 0 ? rc : pl_check(c, out, true);
}

int hv_plan_decode(const char *buf, size_t len, struct hv_plan *plan,
                   struct hv_error *err)
{
	struct hv_json_ctx c = { "plan", -EPROTO, err };
	int rc;

	memset(plan, 0, sizeof(*plan));
	rc = pl_decode(&c, buf, len, pl_read_plan_checked, plan);
	if (rc < 0)
		hv_plan_clear(plan);
	return rc;
}

void hv_plan_clear(struct hv_plan *plan)
{
	if (!plan)
		return;
	free(plan->cpu_xml);
	memset(plan, 0, sizeof(*plan));
}

/* ----- writing JSON ----- */

static json_t *pl_plan_json(const struct hv_plan *p)
{
	json_t *disks = json_array(), *nics = json_array(), *obj;
	const struct hv_plan_disk *d;
	size_t i;

	for (i = 0; i < p->n_disks; i++) {
		d = &p->disks[i];
		hv_json_append(
		    &disks,
		    hv_json_set_opt(
		        json_pack("{s:s, s:s, s:I, s:I, s:b}", "target",
		                  d->target, "format", d->format,
		                  "virtual_size", (json_int_t)d->virtual_size,
		                  "allocation", (json_int_t)d->allocation,
		                  "shared", d->shared),
		        "media", d->media[0] ? json_string(d->media) : NULL));
	}
	for (i = 0; i < p->n_nics; i++)
		hv_json_append(&nics, json_string(p->nic_macs[i]));
	if (!disks || !nics) {
		json_decref(disks);
		json_decref(nics);
		return NULL;
	}
	obj = hv_json_set_opt(
	    json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:s?, "
	              "s:o, s:o, s:b, s:b, s:b, s:b, s:i}",
	              "type", "plan", "version", (int)p->version, "name",
	              p->name, "uuid", p->uuid, "virt_type", p->virt_type,
	              "arch", p->arch, "machine", p->machine, "memory_kib",
	              (json_int_t)p->memory_kib, "vcpus", (int)p->vcpus,
	              "cpu_xml", p->cpu_xml, "disks", disks, "nics", nics,
	              "persistent", p->persistent, "undefine_source",
	              p->undefine_source, "postcopy", p->postcopy, "dry_run",
	              p->dry_run, "parallel", (int)p->parallel),
	    "resume_timeout_ms", hv_json_opt_uint(p->resume_timeout_ms));
	return hv_json_set_opt(obj, "postcopy_resume",
	                       p->postcopy_resume ? json_true() : NULL);
}

char *hv_plan_encode(const struct hv_plan *plan, struct hv_error *err)
{
	struct hv_json_ctx c = { "plan", -EINVAL, err };

	if (pl_check(&c, plan, true) < 0)
		return NULL;
	return hv_json_dump(&c, pl_plan_json(plan));
}

int hv_plan_from_domain(const struct hv_domain *dom, struct hv_plan *plan,
                        struct hv_error *err)
{
	struct hv_json_ctx c = { "plan", -EINVAL, err };
	const struct hv_disk *src;
	struct hv_plan_disk *d;
	size_t i;
	int rc;

	memset(plan, 0, sizeof(*plan));
	plan->version = HV_PLAN_VERSION;
	/* The buffers have the same sizes as the domain's. */
	memcpy(plan->name, dom->name, sizeof(plan->name));
	memcpy(plan->uuid, dom->uuid, sizeof(plan->uuid));
	memcpy(plan->virt_type, dom->virt_type, sizeof(plan->virt_type));
	memcpy(plan->arch, dom->arch, sizeof(plan->arch));
	memcpy(plan->machine, dom->machine, sizeof(plan->machine));
	plan->memory_kib = dom->memory_kib;
	plan->vcpus = dom->vcpus;
	for (i = 0; i < dom->n_disks && i < HV_MAX_DISKS; i++) {
		src = &dom->disks[i];
		if (!src->source[0])
			continue; /* an empty cdrom: nothing to move */
		d = &plan->disks[plan->n_disks++];
		memcpy(d->target, src->target, sizeof(d->target));
		/* libvirt's qemu driver treats a disk without type as raw. */
		snprintf(d->format, sizeof(d->format), "%s",
		         src->format[0] ? src->format : "raw");
		d->shared = src->readonly || src->shareable;
		/* A read-only file (an ISO) the destination must hold too. */
		if (src->readonly && !strcmp(src->type, "file") &&
		    snprintf(d->media, sizeof(d->media), "%s", src->source) >=
		        (int)sizeof(d->media))
			return hv_json_fail(
			    &c,
			    "disk %s: the path of its medium is "
			    "over %d bytes",
			    d->target, HV_PLAN_MEDIA_MAX - 1);
	}
	for (i = 0; i < dom->n_nics && i < HV_MAX_NICS; i++)
		memcpy(plan->nic_macs[i], dom->nics[i].mac, 18);
	plan->n_nics = i;
	plan->persistent = true;
	plan->parallel = 1;
	if (dom->cpu_xml) {
		plan->cpu_xml = strdup(dom->cpu_xml);
		if (!plan->cpu_xml)
			return hv_json_oom(&c);
	}
	rc = pl_check(&c, plan, false);
	if (rc < 0)
		hv_plan_clear(plan);
	return rc;
}

/* ----- answer ----- */

static const char *const pl_answer_keys[] = { "type",  "version", "ok",
	                                      "error", "checks",  "session_dir",
	                                      "disks", NULL };

static const char *const pl_answer_opt_keys[] = { "resume_timeout_ms", NULL };

static const char *const pl_answer_disk_keys[] = { "target", "path", "format",
	                                           NULL };

static int pl_check_answer_disk(const struct hv_json_ctx *c,
                                const struct hv_plan_answer *a, size_t i)
{
	const struct hv_plan_answer_disk *d = &a->disks[i];
	char shown[48];
	int rc;

	rc = pl_check_target_format(c, i, d->target, d->format, sizeof(*d));
	if (rc < 0)
		return rc;
	if (!hv_path_is_clean(d->path, sizeof(d->path) - 1))
		return hv_json_fail(
		    c,
		    "disks[%zu].path '%s' is not a clean absolute "
		    "path",
		    i, hv_error_quote(d->path, shown, sizeof(shown)));
	return 0;
}

/*
 * The rules both sides apply to an answer. A refusal's mapping is not
 * checked: the encoder leaves it out and the decoder requires it empty.
 */
static int pl_check_answer(const struct hv_json_ctx *c,
                           const struct hv_plan_answer *a)
{
	char shown[48];
	size_t i;
	int rc = 0;

	if (a->ok && a->error[0])
		return hv_json_fail(c, "ok is true but error is set");
	if (!a->ok && !a->error[0])
		return hv_json_fail(c, "ok is false but error is empty");
	if (a->n_checks > HV_PLAN_CHECKS_MAX || a->n_disks > HV_MAX_DISKS)
		return hv_json_fail(
		    c, "%zu checks and %zu disks, at most %d and %d",
		    a->n_checks, a->n_disks, HV_PLAN_CHECKS_MAX, HV_MAX_DISKS);
	if (!a->ok)
		return 0;
	rc = hv_plan_check_resume(c, a->resume_timeout_ms, false);
	if (rc < 0)
		return rc;
	if (a->session_dir[0] &&
	    !hv_path_is_clean(a->session_dir, sizeof(a->session_dir) - 1))
		return hv_json_fail(
		    c, "session_dir '%s' is not a clean absolute path",
		    hv_error_quote(a->session_dir, shown, sizeof(shown)));
	for (i = 0; rc == 0 && i < a->n_disks; i++)
		rc = pl_check_answer_disk(c, a, i);
	return rc;
}

/* What only a decoder checks: what an encoder cleans or leaves out. */
static int pl_check_answer_sent(const struct hv_json_ctx *c,
                                const struct hv_plan_answer *a)
{
	size_t i;

	if (!a->ok && (a->session_dir[0] || a->n_disks || a->resume_timeout_ms))
		return hv_json_fail(c, "ok is false but session_dir, disks or "
		                       "resume_timeout_ms are set");
	if (!hv_json_text_ok(a->error, false))
		return hv_json_fail(c,
		                    "error has a control character or is not "
		                    "UTF-8");
	for (i = 0; i < a->n_checks; i++)
		if (!hv_json_text_ok(a->checks[i], false))
			return hv_json_fail(
			    c,
			    "checks[%zu] has a control character or "
			    "is not UTF-8",
			    i);
	return 0;
}

static int pl_read_answer_disk(const struct hv_json_ctx *c, json_t *v, size_t i,
                               struct hv_plan_answer_disk *d)
{
	char prefix[32];
	int rc;

	rc = pl_disk_entry(c, v, i, pl_answer_disk_keys, NULL, NULL, prefix,
	                   sizeof(prefix));
	if (rc == 0)
		rc = hv_json_get_str(c, v, prefix, "target", d->target,
		                     sizeof(d->target));
	if (rc == 0)
		rc = hv_json_get_str(c, v, prefix, "path", d->path,
		                     sizeof(d->path));
	if (rc == 0)
		rc = hv_json_get_str(c, v, prefix, "format", d->format,
		                     sizeof(d->format));
	return rc;
}

static int pl_read_answer(const struct hv_json_ctx *c, json_t *root,
                          struct hv_plan_answer *a)
{
	char name[32];
	json_t *arr;
	bool resume;
	size_t i;
	int rc;

	rc = hv_json_keys_opt(c, root, "", pl_answer_keys, pl_answer_opt_keys,
	                      &resume);
	if (rc == 0)
		rc = hv_json_get_bool(c, root, "", "ok", &a->ok);
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "error", a->error,
		                     sizeof(a->error));
	if (rc == 0)
		rc = hv_json_get_array(c, root, "checks", HV_PLAN_CHECKS_MAX,
		                       &arr, &a->n_checks);
	for (i = 0; rc == 0 && i < a->n_checks; i++) {
		snprintf(name, sizeof(name), "checks[%zu]", i);
		rc = hv_json_copy_str(c, json_array_get(arr, i), name, "",
		                      a->checks[i], sizeof(a->checks[i]));
	}
	if (rc == 0)
		rc = hv_json_get_str(c, root, "", "session_dir", a->session_dir,
		                     sizeof(a->session_dir));
	if (rc == 0)
		rc = hv_json_get_array(c, root, "disks", HV_MAX_DISKS, &arr,
		                       &a->n_disks);
	for (i = 0; rc == 0 && i < a->n_disks; i++)
		rc = pl_read_answer_disk(c, json_array_get(arr, i), i,
		                         &a->disks[i]);
	if (rc == 0 && resume)
		rc = hv_plan_read_resume(c, root, &a->resume_timeout_ms);
	return rc;
}

static int pl_read_answer_checked(const struct hv_json_ctx *c, json_t *root,
                                  void *out)
{
	int rc = pl_read_answer(c, root, out);

	if (rc == 0)
		rc = pl_check_answer(c, out);
	if (rc == 0)
		rc = pl_check_answer_sent(c, out);
	return rc;
}

int hv_plan_answer_decode(const char *buf, size_t len, struct hv_plan_answer *a,
                          struct hv_error *err)
{
	struct hv_json_ctx c = { "answer", -EPROTO, err };
	int rc;

	memset(a, 0, sizeof(*a));
	rc = pl_decode(&c, buf, len, pl_read_answer_checked, a);
	if (rc < 0)
		memset(a, 0, sizeof(*a));
	return rc;
}

/* A refusal carries no session directory, no disks and no resume limit. */
static json_t *pl_answer_json(const struct hv_plan_answer *a)
{
	json_t *checks = json_array(), *disks = json_array();
	const struct hv_plan_answer_disk *d;
	size_t i;

	for (i = 0; i < a->n_checks; i++)
		hv_json_append(&checks, hv_json_text_json(a->checks[i]));
	for (i = 0; a->ok && i < a->n_disks; i++) {
		d = &a->disks[i];
		hv_json_append(&disks,
		               json_pack("{s:s, s:s, s:s}", "target", d->target,
		                         "path", d->path, "format", d->format));
	}
	if (!checks || !disks) {
		json_decref(checks);
		json_decref(disks);
		return NULL;
	}
	return hv_json_set_opt(
	    json_pack("{s:s, s:i, s:b, s:o, s:o, s:s, s:o}", "type", "answer",
	              "version", HV_PLAN_VERSION, "ok", a->ok, "error",
	              hv_json_text_json(a->error), "checks", checks,
	              "session_dir", a->ok ? a->session_dir : "", "disks",
	              disks),
	    "resume_timeout_ms",
	    hv_json_opt_uint(a->ok ? a->resume_timeout_ms : 0));
}

/*
 * Encode an answer. Text for a person (error, checks) is made printable; a
 * refusal (!ok) is sent without session_dir and disks.
 */
char *hv_plan_answer_encode(const struct hv_plan_answer *a,
                            struct hv_error *err)
{
	struct hv_json_ctx c = { "answer", -EINVAL, err };

	if (pl_check_answer(&c, a) < 0)
		return NULL;
	return hv_json_dump(&c, pl_answer_json(a));
}

int hv_plan_answer_match(const struct hv_plan *plan,
                         const struct hv_plan_answer *a, struct hv_error *err)
{
	struct hv_json_ctx c = { "answer", -EPROTO, err };
	const struct hv_plan_disk *d;
	size_t i, j, copied = 0;

	if (!a->ok)
		return hv_json_fail(&c, "the receiver refused the plan");
	if (!plan->dry_run && !a->session_dir[0])
		return hv_json_fail(&c, "no session_dir");
	for (i = 0; i < a->n_disks; i++) {
		for (j = 0; j < plan->n_disks; j++)
			if (!strcmp(plan->disks[j].target, a->disks[i].target))
				break;
		if (j == plan->n_disks)
			return hv_json_fail(
			    &c, "disks[%zu] '%s' is not in the plan", i,
			    a->disks[i].target);
		d = &plan->disks[j];
		if (d->shared)
			return hv_json_fail(
			    &c, "disks[%zu] '%s' is shared in the plan", i,
			    d->target);
		if (strcmp(d->format, a->disks[i].format))
			return hv_json_fail(
			    &c, "disks[%zu] '%s' is %s, the plan says %s", i,
			    d->target, a->disks[i].format, d->format);
	}
	for (j = 0; j < plan->n_disks && !plan->dry_run; j++)
		copied += !plan->disks[j].shared;
	if (copied != a->n_disks)
		return hv_json_fail(
		    &c, "%zu disks mapped, the plan %s %zu", a->n_disks,
		    plan->dry_run ? "is a dry run:" : "copies", copied);
	return 0;
}

/* ----- control messages ----- */

static const char *const pl_commit_keys[] = { "type", NULL };
static const char *const pl_abort_keys[] = { "type", "reason", NULL };
static const char *const pl_result_keys[] = { "type", "ok", "reason", NULL };

/* The keys a control message of this type has, NULL for an unknown type. */
static const char *const *pl_ctl_keys(const char *type)
{
	if (!strcmp(type, "commit"))
		return pl_commit_keys;
	if (!strcmp(type, "abort"))
		return pl_abort_keys;
	if (!strcmp(type, "result"))
		return pl_result_keys;
	return NULL;
}

static int pl_check_ctl_type(const struct hv_json_ctx *c,
                             const struct hv_ctl_msg *m)
{
	char shown[48];

	if (!pl_ctl_keys(m->type))
		return hv_json_fail(
		    c, "type '%s' is not commit, abort or result",
		    hv_error_quote(m->type, shown, sizeof(shown)));
	return 0;
}

int hv_ctl_msg_decode(const char *buf, size_t len, struct hv_ctl_msg *msg,
                      struct hv_error *err)
{
	struct hv_json_ctx c = { "message", -EPROTO, err };
	json_t *root = NULL;
	int rc;

	memset(msg, 0, sizeof(*msg));
	rc = hv_json_load(&c, buf, len, NULL, &root);
	if (rc == 0)
		rc = hv_json_get_str(&c, root, "", "type", msg->type,
		                     sizeof(msg->type));
	if (rc == 0)
		rc = pl_check_ctl_type(&c, msg);
	if (rc == 0)
		rc = hv_json_keys(&c, root, "", pl_ctl_keys(msg->type));
	if (rc == 0 && json_object_get(root, "ok"))
		rc = hv_json_get_bool(&c, root, "", "ok", &msg->ok);
	if (rc == 0 && json_object_get(root, "reason"))
		rc = hv_json_get_str(&c, root, "", "reason", msg->reason,
		                     sizeof(msg->reason));
	if (rc == 0 && !hv_json_text_ok(msg->reason, false))
		rc =
		    hv_json_fail(&c, "reason has a control character or is not "
		                     "UTF-8");
	json_decref(root);
	if (rc < 0)
		memset(msg, 0, sizeof(*msg));
	return rc;
}

/*
 * Encode msg with the fields of its type only; the reason is made
 * printable.
 */
char *hv_ctl_msg_encode(const struct hv_ctl_msg *msg, struct hv_error *err)
{
	struct hv_json_ctx c = { "message", -EINVAL, err };
	json_t *root;

	if (pl_check_ctl_type(&c, msg) < 0)
		return NULL;
	if (!strcmp(msg->type, "commit"))
		root = json_pack("{s:s}", "type", msg->type);
	else if (!strcmp(msg->type, "abort"))
		root = json_pack("{s:s, s:o}", "type", msg->type, "reason",
		                 hv_json_text_json(msg->reason));
	else
		root = json_pack("{s:s, s:b, s:o}", "type", msg->type, "ok",
		                 msg->ok, "reason",
		                 hv_json_text_json(msg->reason));
	return hv_json_dump(&c, root);
}
