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

#include "hypervisor/plan.h"

#define PL_LOWER  "abcdefghijklmnopqrstuvwxyz"
#define PL_UPPER  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define PL_DIGITS "0123456789"

/* What is being read or written, and how its errors are reported. */
struct pl_ctx {
	const char *what; /* "plan", "answer" or "message" */
	int code;         /* -EPROTO when decoding, -EINVAL when encoding */
	struct hv_error *err;
};

static int pl_fail(const struct pl_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fail with "<what>: <message>" and the context's code. */
static int pl_fail(const struct pl_ctx *c, const char *fmt, ...)
{
	char msg[HV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hv_error_set(c->err, c->code, "%s: %s", c->what, msg);
}

static int pl_oom(const struct pl_ctx *c)
{
	return hv_error_set(c->err, -ENOMEM, "%s: out of memory", c->what);
}

/* s is 1..max_len bytes of first, then rest. */
static bool pl_charset(const char *s, size_t max_len, const char *first,
                       const char *rest)
{
	size_t len = strlen(s);

	return len > 0 && len <= max_len && strchr(first, s[0]) &&
	       strspn(s + 1, rest) == len - 1;
}

/*
 * The length of the character at s if it is valid UTF-8 and no control
 * character (C0, DEL or C1), else 0: text shown to a person must not steer
 * their terminal. lines allows tab, CR and LF, for XML.
 */
static size_t pl_text_char(const unsigned char *s, bool lines)
{
	unsigned int cp, n, i;

	if (*s < 0x80) {
		if (*s == 0x7f ||
		    (*s < 0x20 && !(lines && strchr("\t\r\n", *s))))
			return 0;
		return 1;
	}
	if (*s >= 0xc2 && *s <= 0xdf)
		n = 1;
	else if (*s >= 0xe0 && *s <= 0xef)
		n = 2;
	else if (*s >= 0xf0 && *s <= 0xf4)
		n = 3;
	else
		return 0;
	cp = *s & (0x3f >> n);
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n + 1;
}

static bool pl_text_ok(const char *s, bool lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n) {
		n = pl_text_char(p, lines);
		if (!n)
			return false;
	}
	return true;
}

/*
 * A JSON string of one line of text for a person (at most 511 bytes), with
 * every control character or invalid byte replaced by '?': an encoder passes
 * on a libvirt error that has a newline in it rather than failing.
 */
static json_t *pl_text_json(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char clean[520]; /* 511 bytes of text and a NUL */
	size_t n, len = 0;

	while (*p && len + 4 < sizeof(clean)) {
		n = pl_text_char(p, false);
		if (n) {
			memcpy(clean + len, p, n);
			len += n;
			p += n;
		} else {
			clean[len++] = '?';
			p++;
		}
	}
	clean[len] = '\0';
	return json_string(clean);
}

/* A libvirt-safe domain name. */
static bool pl_name_ok(const char *s)
{
	return pl_charset(s, HV_PLAN_NAME_MAX, PL_LOWER PL_UPPER PL_DIGITS "_+",
	                  PL_LOWER PL_UPPER PL_DIGITS "_.+-");
}

/* A disk target: [a-z]+[0-9a-z]*, at most 31 characters. */
static bool pl_target_ok(const char *s)
{
	return pl_charset(s, 31, PL_LOWER, PL_LOWER PL_DIGITS);
}

static bool pl_format_ok(const char *s)
{
	return !strcmp(s, "raw") || !strcmp(s, "qcow2");
}

/* ----- checks shared by encoders and decoders ----- */

static int pl_check_identity(const struct pl_ctx *c, const struct hv_plan *p)
{
	char shown[48];

	if (p->version != HV_PLAN_VERSION)
		return pl_fail(c, "version %u is not supported (expected %d)",
		               p->version, HV_PLAN_VERSION);
	if (!pl_name_ok(p->name))
		return pl_fail(c,
		               "name '%s' is not 1..%d of [A-Za-z0-9_.+-] "
		               "starting with neither '.' nor '-'",
		               hv_error_quote(p->name, shown, sizeof(shown)),
		               HV_PLAN_NAME_MAX);
	if (!hv_uuid_is_canonical(p->uuid))
		return pl_fail(c,
		               "uuid '%s' is not a canonical lower-case UUID",
		               hv_error_quote(p->uuid, shown, sizeof(shown)));
	if (!pl_charset(p->virt_type, sizeof(p->virt_type) - 1, PL_LOWER,
	                PL_LOWER))
		return pl_fail(
		    c, "virt_type '%s' is not [a-z]+",
		    hv_error_quote(p->virt_type, shown, sizeof(shown)));
	if (!pl_charset(p->arch, sizeof(p->arch) - 1,
	                PL_LOWER PL_UPPER PL_DIGITS "_",
	                PL_LOWER PL_UPPER PL_DIGITS "_"))
		return pl_fail(c, "arch '%s' is not [A-Za-z0-9_]+",
		               hv_error_quote(p->arch, shown, sizeof(shown)));
	if (p->machine[0] && !pl_charset(p->machine, sizeof(p->machine) - 1,
	                                 PL_LOWER PL_UPPER PL_DIGITS "_.+-",
	                                 PL_LOWER PL_UPPER PL_DIGITS "_.+-"))
		return pl_fail(
		    c, "machine '%s' is not [A-Za-z0-9_.+-]*",
		    hv_error_quote(p->machine, shown, sizeof(shown)));
	return 0;
}

static int pl_check_resources(const struct pl_ctx *c, const struct hv_plan *p)
{
	if (p->memory_kib < HV_PLAN_MEMORY_MIN ||
	    p->memory_kib > HV_PLAN_MEMORY_MAX)
		return pl_fail(c, "memory_kib %llu is not %llu..%llu",
		               (unsigned long long)p->memory_kib,
		               HV_PLAN_MEMORY_MIN, HV_PLAN_MEMORY_MAX);
	if (p->vcpus < 1 || p->vcpus > HV_PLAN_VCPUS_MAX)
		return pl_fail(c, "vcpus %u is not 1..%d", p->vcpus,
		               HV_PLAN_VCPUS_MAX);
	if (p->cpu_xml &&
	    (!p->cpu_xml[0] || strlen(p->cpu_xml) >= HV_PLAN_CPU_XML_MAX))
		return pl_fail(c, "cpu_xml is not 1..%u bytes",
		               HV_PLAN_CPU_XML_MAX - 1);
	if (p->cpu_xml && !pl_text_ok(p->cpu_xml, true))
		return pl_fail(c, "cpu_xml has a control character or is not "
		                  "UTF-8");
	if (p->parallel < 1 || p->parallel > HV_PLAN_PARALLEL_MAX)
		return pl_fail(c, "parallel %u is not 1..%d", p->parallel,
		               HV_PLAN_PARALLEL_MAX);
	return 0;
}

/* Disk i of the plan; sizes=false skips "a copied disk has a size". */
/*
 * disks[i].target and .format, in a plan or an answer: well formed, and the
 * target not used by disks[0..i-1], whose targets lie stride bytes apart.
 */
static int pl_check_target_format(const struct pl_ctx *c, size_t i,
                                  const char *target, const char *format,
                                  size_t stride)
{
	char shown[48];
	size_t j;

	if (!pl_target_ok(target))
		return pl_fail(c,
		               "disks[%zu].target '%s' is not [a-z]+[0-9a-z]*",
		               i, hv_error_quote(target, shown, sizeof(shown)));
	for (j = 1; j <= i; j++)
		if (!strcmp(target - j * stride, target))
			return pl_fail(c,
			               "disks[%zu].target '%s' appears twice",
			               i, target);
	if (!pl_format_ok(format))
		return pl_fail(c, "disks[%zu].format '%s' is not raw or qcow2",
		               i, hv_error_quote(format, shown, sizeof(shown)));
	return 0;
}

static int pl_check_disk(const struct pl_ctx *c, const struct hv_plan *p,
                         size_t i, bool sizes)
{
	const struct hv_plan_disk *d = &p->disks[i];
	uint64_t slack;
	int rc;

	rc = pl_check_target_format(c, i, d->target, d->format, sizeof(*d));
	if (rc < 0)
		return rc;
	if (d->virtual_size > HV_PLAN_DISK_MAX)
		return pl_fail(c, "disks[%zu].virtual_size %llu is over 64 TiB",
		               i, (unsigned long long)d->virtual_size);
	if (sizes && !d->shared && d->virtual_size == 0)
		return pl_fail(c, "disks[%zu].virtual_size is 0", i);
	/* qcow2 metadata can take a little more than the virtual size. */
	slack = d->virtual_size / 8 + (1ull << 30);
	if (d->allocation > d->virtual_size + slack)
		return pl_fail(
		    c,
		    "disks[%zu].allocation %llu is over virtual_size "
		    "%llu + 1/8 + 1 GiB",
		    i, (unsigned long long)d->allocation,
		    (unsigned long long)d->virtual_size);
	return 0;
}

static int pl_check(const struct pl_ctx *c, const struct hv_plan *p, bool sizes)
{
	char shown[48];
	size_t i;
	int rc;

	rc = pl_check_identity(c, p);
	if (rc == 0)
		rc = pl_check_resources(c, p);
	if (rc == 0 && p->n_disks > HV_MAX_DISKS)
		rc = pl_fail(c, "%zu disks, at most %d", p->n_disks,
		             HV_MAX_DISKS);
	for (i = 0; rc == 0 && i < p->n_disks; i++)
		rc = pl_check_disk(c, p, i, sizes);
	if (rc == 0 && p->n_nics > HV_MAX_NICS)
		rc = pl_fail(c, "%zu nics, at most %d", p->n_nics, HV_MAX_NICS);
	for (i = 0; rc == 0 && i < p->n_nics; i++)
		if (!hv_mac_is_canonical(p->nic_macs[i]))
			rc = pl_fail(c,
			             "nics[%zu] '%s' is not a canonical "
			             "unicast MAC",
			             i,
			             hv_error_quote(p->nic_macs[i], shown,
			                            sizeof(shown)));
	return rc;
}

int hv_plan_check(const struct hv_plan *plan, struct hv_error *err)
{
	struct pl_ctx c = { "plan", -EINVAL, err };

	return pl_check(&c, plan, true);
}

/* ----- reading JSON into fixed buffers ----- */

static const char *pl_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/*
 * Check obj's keys: each must be one of keys (NULL-terminated) and each of
 * keys must be there. prefix says where obj is ("disks[1].").
 */
static int pl_keys(const struct pl_ctx *c, json_t *obj, const char *prefix,
                   const char *const *keys)
{
	char shown[48];
	const char *key;
	const char *const *k;
	json_t *v = NULL;

	json_object_foreach(obj, key, v)
	{
		for (k = keys; *k && strcmp(*k, key); k++)
			;
		if (!*k)
			return pl_fail(
			    c, "unknown field '%s%s'", prefix,
			    hv_error_quote(key, shown, sizeof(shown)));
	}
	for (k = keys; *k; k++)
		if (!json_object_get(obj, *k))
			return pl_fail(c, "missing field '%s%s'", prefix, *k);
	return 0;
}

/* obj[key], which pl_keys has found present, of JSON type want. */
static int pl_get(const struct pl_ctx *c, json_t *obj, const char *prefix,
                  const char *key, json_type want, const char *want_name,
                  json_t **out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return pl_fail(c, "missing field '%s%s'", prefix, key);
	if (json_typeof(v) != want &&
	    !(want == JSON_TRUE && json_is_boolean(v)))
		return pl_fail(c, "%s%s is %s, expected %s", prefix, key,
		               pl_type_name(v), want_name);
	*out = v;
	return 0;
}

/* Copy JSON string v, named prefix+key in errors, into dst. */
static int pl_copy_str(const struct pl_ctx *c, json_t *v, const char *prefix,
                       const char *key, char *dst, size_t size)
{
	size_t len;

	if (!json_is_string(v))
		return pl_fail(c, "%s%s is %s, expected a string", prefix, key,
		               pl_type_name(v));
	len = json_string_length(v);
	if (len >= size)
		return pl_fail(c, "%s%s is longer than %zu bytes", prefix, key,
		               size - 1);
	memcpy(dst, json_string_value(v), len + 1);
	if (strlen(dst) != len)
		return pl_fail(c, "%s%s has a NUL byte", prefix, key);
	return 0;
}

static int pl_get_str(const struct pl_ctx *c, json_t *obj, const char *prefix,
                      const char *key, char *dst, size_t size)
{
	json_t *v = NULL;
	int rc;

	rc = pl_get(c, obj, prefix, key, JSON_STRING, "a string", &v);
	if (rc == 0)
		rc = pl_copy_str(c, v, prefix, key, dst, size);
	return rc;
}

static int pl_get_u64(const struct pl_ctx *c, json_t *obj, const char *prefix,
                      const char *key, uint64_t *out)
{
	json_t *v = NULL;
	int rc;

	rc = pl_get(c, obj, prefix, key, JSON_INTEGER, "an integer", &v);
	if (rc == 0 && json_integer_value(v) < 0)
		rc = pl_fail(c, "%s%s %lld is negative", prefix, key,
		             (long long)json_integer_value(v));
	if (rc == 0)
		*out = (uint64_t)json_integer_value(v);
	return rc;
}

/* An integer that must fit unsigned int; the range is checked later. */
static int pl_get_uint(const struct pl_ctx *c, json_t *obj, const char *prefix,
                       const char *key, unsigned int *out)
{
	uint64_t value;
	int rc;

	rc = pl_get_u64(c, obj, prefix, key, &value);
	if (rc == 0 && value > UINT32_MAX)
		rc = pl_fail(c, "%s%s %llu is out of range", prefix, key,
		             (unsigned long long)value);
	if (rc == 0)
		*out = (unsigned int)value;
	return rc;
}

static int pl_get_bool(const struct pl_ctx *c, json_t *obj, const char *prefix,
                       const char *key, bool *out)
{
	json_t *v = NULL;
	int rc;

	rc = pl_get(c, obj, prefix, key, JSON_TRUE, "a boolean", &v);
	if (rc == 0)
		*out = json_is_true(v);
	return rc;
}

/* An array of at most max entries. */
static int pl_get_array(const struct pl_ctx *c, json_t *obj, const char *key,
                        size_t max, json_t **out, size_t *n)
{
	int rc;

	rc = pl_get(c, obj, "", key, JSON_ARRAY, "an array", out);
	if (rc == 0 && json_array_size(*out) > max)
		rc = pl_fail(c, "%s has %zu entries, at most %zu", key,
		             json_array_size(*out), max);
	if (rc == 0)
		*n = json_array_size(*out);
	return rc;
}

/*
 * Parse buf as one JSON object whose "type" is type (or, with type NULL,
 * anything: the caller looks). *out is the caller's on success only.
 */
static int pl_load(const struct pl_ctx *c, const char *buf, size_t len,
                   const char *type, json_t **out)
{
	char shown[64];
	json_error_t jerr;
	json_t *root, *v;

	if (!buf || len == 0 || len > HV_PLAN_MSG_MAX)
		return hv_error_set(c->err, -EMSGSIZE,
		                    "%s: %zu bytes, expected 1..%u", c->what,
		                    len, HV_PLAN_MSG_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	/* jansson says nothing when it cannot even set up its lexer. */
	if (!root && (json_error_code(&jerr) == json_error_out_of_memory ||
	              !jerr.text[0]))
		return pl_oom(c);
	if (!root)
		return pl_fail(c, "bad JSON at line %d column %d: %s",
		               jerr.line, jerr.column,
		               hv_error_quote(jerr.text, shown, sizeof(shown)));
	if (!json_is_object(root)) {
		json_decref(root);
		return pl_fail(c, "not a JSON object");
	}
	v = json_object_get(root, "type");
	if (!v || !json_is_string(v)) {
		json_decref(root);
		return pl_fail(c, "field 'type' is missing or not a string");
	}
	if (type && strcmp(json_string_value(v), type)) {
		pl_fail(
		    c, "type '%s' is not '%s'",
		    hv_error_quote(json_string_value(v), shown, sizeof(shown)),
		    type);
		json_decref(root);
		return c->code;
	}
	*out = root;
	return 0;
}

/* "version" first: a newer peer may send fields this side does not know. */
static int pl_version(const struct pl_ctx *c, json_t *root)
{
	unsigned int version;
	int rc;

	rc = pl_get_uint(c, root, "", "version", &version);
	if (rc == 0 && version != HV_PLAN_VERSION)
		rc = pl_fail(c, "version %u is not supported (expected %d)",
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

static const char *const pl_plan_disk_keys[] = { "target",       "format",
	                                         "virtual_size", "allocation",
	                                         "shared",       NULL };

/*
 * disks[i] must be an object with exactly keys; prefix gets its name
 * ("disks[1].") for the messages about its fields.
 */
static int pl_disk_entry(const struct pl_ctx *c, json_t *v, size_t i,
                         const char *const *keys, char *prefix, size_t size)
{
	snprintf(prefix, size, "disks[%zu].", i);
	if (!json_is_object(v))
		return pl_fail(c, "disks[%zu] is %s, expected an object", i,
		               pl_type_name(v));
	return pl_keys(c, v, prefix, keys);
}

static int pl_read_disk(const struct pl_ctx *c, json_t *v, size_t i,
                        struct hv_plan_disk *d)
{
	char prefix[32];
	int rc;

	rc = pl_disk_entry(c, v, i, pl_plan_disk_keys, prefix, sizeof(prefix));
	if (rc == 0)
		rc = pl_get_str(c, v, prefix, "target", d->target,
		                sizeof(d->target));
	if (rc == 0)
		rc = pl_get_str(c, v, prefix, "format", d->format,
		                sizeof(d->format));
	if (rc == 0)
		rc = pl_get_u64(c, v, prefix, "virtual_size", &d->virtual_size);
	if (rc == 0)
		rc = pl_get_u64(c, v, prefix, "allocation", &d->allocation);
	if (rc == 0)
		rc = pl_get_bool(c, v, prefix, "shared", &d->shared);
	return rc;
}

static int pl_read_cpu_xml(const struct pl_ctx *c, json_t *root,
                           struct hv_plan *p)
{
	json_t *v = json_object_get(root, "cpu_xml");

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return pl_fail(c, "cpu_xml is %s, expected a string or null",
		               pl_type_name(v));
	if (json_string_length(v) >= HV_PLAN_CPU_XML_MAX)
		return pl_fail(c, "cpu_xml is longer than %u bytes",
		               HV_PLAN_CPU_XML_MAX - 1);
	p->cpu_xml = strdup(json_string_value(v));
	return p->cpu_xml ? 0 : pl_oom(c);
}

static int pl_read_lists(const struct pl_ctx *c, json_t *root,
                         struct hv_plan *p)
{
	char name[32];
	json_t *arr;
	size_t i;
	int rc;

	rc = pl_get_array(c, root, "disks", HV_MAX_DISKS, &arr, &p->n_disks);
	for (i = 0; rc == 0 && i < p->n_disks; i++)
		rc = pl_read_disk(c, json_array_get(arr, i), i, &p->disks[i]);
	if (rc == 0)
		rc = pl_get_array(c, root, "nics", HV_MAX_NICS, &arr,
		                  &p->n_nics);
	for (i = 0; rc == 0 && i < p->n_nics; i++) {
		snprintf(name, sizeof(name), "nics[%zu]", i);
		rc = pl_copy_str(c, json_array_get(arr, i), name, "",
		                 p->nic_macs[i], sizeof(p->nic_macs[i]));
	}
	return rc;
}

static int pl_read_plan(const struct pl_ctx *c, json_t *root, struct hv_plan *p)
{
	int rc;

	p->version = HV_PLAN_VERSION;
	rc = pl_keys(c, root, "", pl_plan_keys);
	if (rc == 0)
		rc = pl_get_str(c, root, "", "name", p->name, sizeof(p->name));
	if (rc == 0)
		rc = pl_get_str(c, root, "", "uuid", p->uuid, sizeof(p->uuid));
	if (rc == 0)
		rc = pl_get_str(c, root, "", "virt_type", p->virt_type,
		                sizeof(p->virt_type));
	if (rc == 0)
		rc = pl_get_str(c, root, "", "arch", p->arch, sizeof(p->arch));
	if (rc == 0)
		rc = pl_get_str(c, root, "", "machine", p->machine,
		                sizeof(p->machine));
	if (rc == 0)
		rc = pl_get_u64(c, root, "", "memory_kib", &p->memory_kib);
	if (rc == 0)
		rc = pl_get_uint(c, root, "", "vcpus", &p->vcpus);
	if (rc == 0)
		rc = pl_read_cpu_xml(c, root, p);
	if (rc == 0)
		rc = pl_read_lists(c, root, p);
	if (rc == 0)
		rc = pl_get_bool(c, root, "", "persistent", &p->persistent);
	if (rc == 0)
		rc = pl_get_bool(c, root, "", "undefine_source",
		                 &p->undefine_source);
	if (rc == 0)
		rc = pl_get_bool(c, root, "", "postcopy", &p->postcopy);
	if (rc == 0)
		rc = pl_get_bool(c, root, "", "dry_run", &p->dry_run);
	if (rc == 0)
		rc = pl_get_uint(c, root, "", "parallel", &p->parallel);
	return rc;
}

/* Read a versioned message of c->what's type: load, version, read. */
static int pl_decode(const struct pl_ctx *c, const char *buf, size_t len,
                     int (*read)(const struct pl_ctx *, json_t *, void *),
                     void *out)
{
	json_t *root = NULL;
	int rc;

	rc = pl_load(c, buf, len, c->what, &root);
	if (rc == 0)
		rc = pl_version(c, root);
	if (rc == 0)
		rc = read(c, root, out);
	json_decref(root);
	return rc;
}

static int pl_read_plan_checked(const struct pl_ctx *c, json_t *root, void *out)
{
	int rc = pl_read_plan(c, root, out);

	return rc < 0 ? rc : pl_check(c, out, true);
}

int hv_plan_decode(const char *buf, size_t len, struct hv_plan *plan,
                   struct hv_error *err)
{
	struct pl_ctx c = { "plan", -EPROTO, err };
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

/*
 * Serialize root (taking it) into a malloc'd string of at most
 * HV_PLAN_MSG_MAX bytes. root may be NULL: building it ran out of memory
 * (every string in it was checked for valid UTF-8 beforehand).
 */
static char *pl_dump(const struct pl_ctx *c, json_t *root)
{
	char *out = NULL;
	size_t len = 0;

	if (root)
		len = json_dumpb(root, NULL, 0, JSON_COMPACT);
	if (len > HV_PLAN_MSG_MAX) {
		hv_error_set(c->err, -EMSGSIZE,
		             "%s: %zu bytes encoded, at most %u", c->what, len,
		             HV_PLAN_MSG_MAX);
		json_decref(root);
		return NULL;
	}
	if (len > 0)
		out = malloc(len + 1);
	if (out && json_dumpb(root, out, len, JSON_COMPACT) == len) {
		out[len] = '\0';
	} else {
		free(out);
		out = NULL;
		pl_oom(c);
	}
	json_decref(root);
	return out;
}

/* Append v (taken) to arr; false (and arr released) if either is NULL. */
static bool pl_append(json_t **arr, json_t *v)
{
	if (*arr && v && json_array_append_new(*arr, v) == 0)
		return true;
	json_decref(*arr);
	json_decref(v);
	*arr = NULL;
	return false;
}

static json_t *pl_plan_json(const struct hv_plan *p)
{
	json_t *disks = json_array(), *nics = json_array();
	const struct hv_plan_disk *d;
	size_t i;

	for (i = 0; i < p->n_disks; i++) {
		d = &p->disks[i];
		pl_append(&disks,
		          json_pack("{s:s, s:s, s:I, s:I, s:b}", "target",
		                    d->target, "format", d->format,
		                    "virtual_size", (json_int_t)d->virtual_size,
		                    "allocation", (json_int_t)d->allocation,
		                    "shared", d->shared));
	}
	for (i = 0; i < p->n_nics; i++)
		pl_append(&nics, json_string(p->nic_macs[i]));
	if (!disks || !nics) {
		json_decref(disks);
		json_decref(nics);
		return NULL;
	}
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:s?, "
	                 "s:o, s:o, s:b, s:b, s:b, s:b, s:i}",
	                 "type", "plan", "version", (int)p->version, "name",
	                 p->name, "uuid", p->uuid, "virt_type", p->virt_type,
	                 "arch", p->arch, "machine", p->machine, "memory_kib",
	                 (json_int_t)p->memory_kib, "vcpus", (int)p->vcpus,
	                 "cpu_xml", p->cpu_xml, "disks", disks, "nics", nics,
	                 "persistent", p->persistent, "undefine_source",
	                 p->undefine_source, "postcopy", p->postcopy, "dry_run",
	                 p->dry_run, "parallel", (int)p->parallel);
}

char *hv_plan_encode(const struct hv_plan *plan, struct hv_error *err)
{
	struct pl_ctx c = { "plan", -EINVAL, err };

	if (pl_check(&c, plan, true) < 0)
		return NULL;
	return pl_dump(&c, pl_plan_json(plan));
}

int hv_plan_from_domain(const struct hv_domain *dom, struct hv_plan *plan,
                        struct hv_error *err)
{
	struct pl_ctx c = { "plan", -EINVAL, err };
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
	}
	for (i = 0; i < dom->n_nics && i < HV_MAX_NICS; i++)
		memcpy(plan->nic_macs[i], dom->nics[i].mac, 18);
	plan->n_nics = i;
	plan->persistent = true;
	plan->parallel = 1;
	if (dom->cpu_xml) {
		plan->cpu_xml = strdup(dom->cpu_xml);
		if (!plan->cpu_xml)
			return pl_oom(&c);
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

static const char *const pl_answer_disk_keys[] = { "target", "path", "format",
	                                           NULL };

static int pl_check_answer_disk(const struct pl_ctx *c,
                                const struct hv_plan_answer *a, size_t i)
{
	const struct hv_plan_answer_disk *d = &a->disks[i];
	char shown[48];
	int rc;

	rc = pl_check_target_format(c, i, d->target, d->format, sizeof(*d));
	if (rc < 0)
		return rc;
	if (!hv_path_is_clean(d->path, sizeof(d->path) - 1))
		return pl_fail(c,
		               "disks[%zu].path '%s' is not a clean absolute "
		               "path",
		               i,
		               hv_error_quote(d->path, shown, sizeof(shown)));
	return 0;
}

/*
 * The rules both sides apply to an answer. A refusal's mapping is not
 * checked: the encoder leaves it out and the decoder requires it empty.
 */
static int pl_check_answer(const struct pl_ctx *c,
                           const struct hv_plan_answer *a)
{
	char shown[48];
	size_t i;
	int rc = 0;

	if (a->ok && a->error[0])
		return pl_fail(c, "ok is true but error is set");
	if (!a->ok && !a->error[0])
		return pl_fail(c, "ok is false but error is empty");
	if (a->n_checks > HV_PLAN_CHECKS_MAX || a->n_disks > HV_MAX_DISKS)
		return pl_fail(c, "%zu checks and %zu disks, at most %d and %d",
		               a->n_checks, a->n_disks, HV_PLAN_CHECKS_MAX,
		               HV_MAX_DISKS);
	if (!a->ok)
		return 0;
	if (a->session_dir[0] &&
	    !hv_path_is_clean(a->session_dir, sizeof(a->session_dir) - 1))
		return pl_fail(
		    c, "session_dir '%s' is not a clean absolute path",
		    hv_error_quote(a->session_dir, shown, sizeof(shown)));
	for (i = 0; rc == 0 && i < a->n_disks; i++)
		rc = pl_check_answer_disk(c, a, i);
	return rc;
}

/* What only a decoder checks: what an encoder cleans or leaves out. */
static int pl_check_answer_sent(const struct pl_ctx *c,
                                const struct hv_plan_answer *a)
{
	size_t i;

	if (!a->ok && (a->session_dir[0] || a->n_disks))
		return pl_fail(c, "ok is false but session_dir or disks are "
		                  "set");
	if (!pl_text_ok(a->error, false))
		return pl_fail(c, "error has a control character or is not "
		                  "UTF-8");
	for (i = 0; i < a->n_checks; i++)
		if (!pl_text_ok(a->checks[i], false))
			return pl_fail(c,
			               "checks[%zu] has a control character or "
			               "is not UTF-8",
			               i);
	return 0;
}

static int pl_read_answer_disk(const struct pl_ctx *c, json_t *v, size_t i,
                               struct hv_plan_answer_disk *d)
{
	char prefix[32];
	int rc;

	rc =
	    pl_disk_entry(c, v, i, pl_answer_disk_keys, prefix, sizeof(prefix));
	if (rc == 0)
		rc = pl_get_str(c, v, prefix, "target", d->target,
		                sizeof(d->target));
	if (rc == 0)
		rc = pl_get_str(c, v, prefix, "path", d->path, sizeof(d->path));
	if (rc == 0)
		rc = pl_get_str(c, v, prefix, "format", d->format,
		                sizeof(d->format));
	return rc;
}

static int pl_read_answer(const struct pl_ctx *c, json_t *root,
                          struct hv_plan_answer *a)
{
	char name[32];
	json_t *arr;
	size_t i;
	int rc;

	rc = pl_keys(c, root, "", pl_answer_keys);
	if (rc == 0)
		rc = pl_get_bool(c, root, "", "ok", &a->ok);
	if (rc == 0)
		rc = pl_get_str(c, root, "", "error", a->error,
		                sizeof(a->error));
	if (rc == 0)
		rc = pl_get_array(c, root, "checks", HV_PLAN_CHECKS_MAX, &arr,
		                  &a->n_checks);
	for (i = 0; rc == 0 && i < a->n_checks; i++) {
		snprintf(name, sizeof(name), "checks[%zu]", i);
		rc = pl_copy_str(c, json_array_get(arr, i), name, "",
		                 a->checks[i], sizeof(a->checks[i]));
	}
	if (rc == 0)
		rc = pl_get_str(c, root, "", "session_dir", a->session_dir,
		                sizeof(a->session_dir));
	if (rc == 0)
		rc = pl_get_array(c, root, "disks", HV_MAX_DISKS, &arr,
		                  &a->n_disks);
	for (i = 0; rc == 0 && i < a->n_disks; i++)
		rc = pl_read_answer_disk(c, json_array_get(arr, i), i,
		                         &a->disks[i]);
	return rc;
}

static int pl_read_answer_checked(const struct pl_ctx *c, json_t *root,
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
	struct pl_ctx c = { "answer", -EPROTO, err };
	int rc;

	memset(a, 0, sizeof(*a));
	rc = pl_decode(&c, buf, len, pl_read_answer_checked, a);
	if (rc < 0)
		memset(a, 0, sizeof(*a));
	return rc;
}

/* A refusal carries no session directory and no disks. */
static json_t *pl_answer_json(const struct hv_plan_answer *a)
{
	json_t *checks = json_array(), *disks = json_array();
	const struct hv_plan_answer_disk *d;
	size_t i;

	for (i = 0; i < a->n_checks; i++)
		pl_append(&checks, pl_text_json(a->checks[i]));
	for (i = 0; a->ok && i < a->n_disks; i++) {
		d = &a->disks[i];
		pl_append(&disks,
		          json_pack("{s:s, s:s, s:s}", "target", d->target,
		                    "path", d->path, "format", d->format));
	}
	if (!checks || !disks) {
		json_decref(checks);
		json_decref(disks);
		return NULL;
	}
	return json_pack("{s:s, s:i, s:b, s:o, s:o, s:s, s:o}", "type",
	                 "answer", "version", HV_PLAN_VERSION, "ok", a->ok,
	                 "error", pl_text_json(a->error), "checks", checks,
	                 "session_dir", a->ok ? a->session_dir : "", "disks",
	                 disks);
}

/*
 * Encode an answer. Text for a person (error, checks) is made printable; a
 * refusal (!ok) is sent without session_dir and disks.
 */
char *hv_plan_answer_encode(const struct hv_plan_answer *a,
                            struct hv_error *err)
{
	struct pl_ctx c = { "answer", -EINVAL, err };

	if (pl_check_answer(&c, a) < 0)
		return NULL;
	return pl_dump(&c, pl_answer_json(a));
}

int hv_plan_answer_match(const struct hv_plan *plan,
                         const struct hv_plan_answer *a, struct hv_error *err)
{
	struct pl_ctx c = { "answer", -EPROTO, err };
	const struct hv_plan_disk *d;
	size_t i, j, copied = 0;

	if (!a->ok)
		return pl_fail(&c, "the receiver refused the plan");
	if (!plan->dry_run && !a->session_dir[0])
		return pl_fail(&c, "no session_dir");
	for (i = 0; i < a->n_disks; i++) {
		for (j = 0; j < plan->n_disks; j++)
			if (!strcmp(plan->disks[j].target, a->disks[i].target))
				break;
		if (j == plan->n_disks)
			return pl_fail(&c, "disks[%zu] '%s' is not in the plan",
			               i, a->disks[i].target);
		d = &plan->disks[j];
		if (d->shared)
			return pl_fail(&c,
			               "disks[%zu] '%s' is shared in the plan",
			               i, d->target);
		if (strcmp(d->format, a->disks[i].format))
			return pl_fail(
			    &c, "disks[%zu] '%s' is %s, the plan says %s", i,
			    d->target, a->disks[i].format, d->format);
	}
	for (j = 0; j < plan->n_disks && !plan->dry_run; j++)
		copied += !plan->disks[j].shared;
	if (copied != a->n_disks)
		return pl_fail(
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

static int pl_check_ctl_type(const struct pl_ctx *c, const struct hv_ctl_msg *m)
{
	char shown[48];

	if (!pl_ctl_keys(m->type))
		return pl_fail(c, "type '%s' is not commit, abort or result",
		               hv_error_quote(m->type, shown, sizeof(shown)));
	return 0;
}

int hv_ctl_msg_decode(const char *buf, size_t len, struct hv_ctl_msg *msg,
                      struct hv_error *err)
{
	struct pl_ctx c = { "message", -EPROTO, err };
	json_t *root = NULL;
	int rc;

	memset(msg, 0, sizeof(*msg));
	rc = pl_load(&c, buf, len, NULL, &root);
	if (rc == 0)
		rc = pl_get_str(&c, root, "", "type", msg->type,
		                sizeof(msg->type));
	if (rc == 0)
		rc = pl_check_ctl_type(&c, msg);
	if (rc == 0)
		rc = pl_keys(&c, root, "", pl_ctl_keys(msg->type));
	if (rc == 0 && json_object_get(root, "ok"))
		rc = pl_get_bool(&c, root, "", "ok", &msg->ok);
	if (rc == 0 && json_object_get(root, "reason"))
		rc = pl_get_str(&c, root, "", "reason", msg->reason,
		                sizeof(msg->reason));
	if (rc == 0 && !pl_text_ok(msg->reason, false))
		rc = pl_fail(&c, "reason has a control character or is not "
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
	struct pl_ctx c = { "message", -EINVAL, err };
	json_t *root;

	if (pl_check_ctl_type(&c, msg) < 0)
		return NULL;
	if (!strcmp(msg->type, "commit"))
		root = json_pack("{s:s}", "type", msg->type);
	else if (!strcmp(msg->type, "abort"))
		root = json_pack("{s:s, s:o}", "type", msg->type, "reason",
		                 pl_text_json(msg->reason));
	else
		root = json_pack("{s:s, s:b, s:o}", "type", msg->type, "ok",
		                 msg->ok, "reason", pl_text_json(msg->reason));
	return pl_dump(&c, root);
}
