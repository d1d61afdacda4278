/*
 * nc_json.c: strict JSON helpers for record.c and netplan.c; see
 * nc_json.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netcontinuity/nc_json.h"

#define NC_HEX_LOWER "0123456789abcdef"

int nc_json_fail(const struct nc_json_ctx *c, const char *fmt, ...)
{
	char msg[NC_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nc_error_set(c->err, c->code, "%s: %s", c->what, msg);
}

int nc_json_oom(const struct nc_json_ctx *c)
{
	return nc_error_set(c->err, -ENOMEM, "%s: out of memory", c->what);
}

const char *nc_json_quote(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* ----- text forms ----- */

/*
 * The length of the character at s if it is valid UTF-8 and no control
 * character (C0, DEL or C1), else 0: text shown to a person must not steer
 * their terminal.
 */
static size_t nc_text_char(const unsigned char *s)
{
	unsigned int cp, n, i;

	if (*s < 0x80)
		return *s < 0x20 || *s == 0x7f ? 0 : 1;
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

bool nc_text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n) {
		n = nc_text_char(p);
		if (!n)
			return false;
	}
	return true;
}

json_t *nc_text_json(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	char *clean;
	json_t *v;
	size_t n, len = 0;

	clean = malloc(max + 1);
	if (!clean)
		return NULL;
	while (*p) {
		n = nc_text_char(p);
		if (len + (n ? n : 1) > max)
			break;
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
	v = json_string(clean);
	free(clean);
	return v;
}

bool nc_id_hex_ok(const char *s)
{
	return strlen(s) == 32 && strspn(s, NC_HEX_LOWER) == 32;
}

bool nc_mac_canonical(const char *s)
{
	size_t i;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return false;
		} else if (!strchr(NC_HEX_LOWER, s[i])) {
			return false;
		}
	}
	/* The low bit of the first octet marks a multicast address. */
	return ((strchr(NC_HEX_LOWER, s[1]) - NC_HEX_LOWER) & 1) == 0;
}

bool nc_uuid_canonical(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr(NC_HEX_LOWER, s[i])) {
			return false;
		}
	}
	return true;
}

bool nc_addr_family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

unsigned int nc_addr_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

/* ----- reading ----- */

const char *nc_json_type_name(const json_t *v)
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

int nc_json_load(const struct nc_json_ctx *c, const char *buf, size_t len,
                 size_t max, const char *type, json_t **out)
{
	char shown[64];
	json_error_t jerr;
	json_t *root, *v;

	if (!buf || len == 0 || len > max)
		return nc_error_set(c->err, -EMSGSIZE,
		                    "%s: %zu bytes, expected 1..%zu", c->what,
		                    len, max);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	/* jansson says nothing when it cannot even set up its lexer. */
	if (!root && (json_error_code(&jerr) == json_error_out_of_memory ||
	              !jerr.text[0]))
		return nc_json_oom(c);
	if (!root)
		return nc_json_fail(
		    c, "bad JSON at line %d column %d: %s", jerr.line,
		    jerr.column,
		    nc_json_quote(jerr.text, shown, sizeof(shown)));
	if (!json_is_object(root)) {
		json_decref(root);
		return nc_json_fail(c, "not a JSON object");
	}
	v = json_object_get(root, "type");
	if (type && (!v || !json_is_string(v))) {
		json_decref(root);
		return nc_json_fail(c,
		                    "field 'type' is missing or not a string");
	}
	if (type && strcmp(json_string_value(v), type)) {
		nc_json_fail(
		    c, "type '%s' is not '%s'",
		    nc_json_quote(json_string_value(v), shown, sizeof(shown)),
		    type);
		json_decref(root);
		return c->code;
	}
	*out = root;
	return 0;
}

static bool nc_json_in(const char *const *keys, const char *key)
{
	for (; keys && *keys; keys++)
		if (!strcmp(*keys, key))
			return true;
	return false;
}

int nc_json_keys(const struct nc_json_ctx *c, json_t *obj, const char *prefix,
                 const char *const *required, const char *const *optional)
{
	char shown[48];
	const char *key;
	const char *const *k;
	json_t *v = NULL;

	json_object_foreach(obj, key, v)
	{
		if (!nc_json_in(required, key) && !nc_json_in(optional, key))
			return nc_json_fail(
			    c, "unknown field '%s%s'", prefix,
			    nc_json_quote(key, shown, sizeof(shown)));
	}
	for (k = required; *k; k++)
		if (!json_object_get(obj, *k))
			return nc_json_fail(c, "missing field '%s%s'", prefix,
			                    *k);
	return 0;
}

int nc_json_want_object(const struct nc_json_ctx *c, json_t *v,
                        const char *name)
{
	if (!json_is_object(v))
		return nc_json_fail(c, "%s is %s, expected an object", name,
		                    nc_json_type_name(v));
	return 0;
}

/* obj[key] of JSON type want (JSON_TRUE: any boolean). */
static int nc_json_get(const struct nc_json_ctx *c, json_t *obj,
                       const char *prefix, const char *key, json_type want,
                       const char *want_name, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return nc_json_fail(c, "missing field '%s%s'", prefix, key);
	if (json_typeof(v) != want &&
	    !(want == JSON_TRUE && json_is_boolean(v)))
		return nc_json_fail(c, "%s%s is %s, expected %s", prefix, key,
		                    nc_json_type_name(v), want_name);
	*out = v;
	return 0;
}

int nc_json_copy_str(const struct nc_json_ctx *c, json_t *v, const char *prefix,
                     const char *key, char *dst, size_t size)
{
	size_t len;

	if (!json_is_string(v))
		return nc_json_fail(c, "%s%s is %s, expected a string", prefix,
		                    key, nc_json_type_name(v));
	len = json_string_length(v);
	if (len >= size)
		return nc_json_fail(c, "%s%s is longer than %zu bytes", prefix,
		                    key, size - 1);
	memcpy(dst, json_string_value(v), len + 1);
	if (strlen(dst) != len)
		return nc_json_fail(c, "%s%s has a NUL byte", prefix, key);
	return 0;
}

int nc_json_get_str(const struct nc_json_ctx *c, json_t *obj,
                    const char *prefix, const char *key, char *dst, size_t size)
{
	json_t *v = NULL;
	int rc;

	rc = nc_json_get(c, obj, prefix, key, JSON_STRING, "a string", &v);
	if (rc == 0)
		rc = nc_json_copy_str(c, v, prefix, key, dst, size);
	return rc;
}

int nc_json_get_int(const struct nc_json_ctx *c, json_t *obj,
                    const char *prefix, const char *key, int64_t min,
                    int64_t max, int64_t *out)
{
	json_t *v = NULL;
	int rc;

	rc = nc_json_get(c, obj, prefix, key, JSON_INTEGER, "an integer", &v);
	if (rc == 0 &&
	    (json_integer_value(v) < min || json_integer_value(v) > max))
		rc = nc_json_fail(c, "%s%s %lld is out of range", prefix, key,
		                  (long long)json_integer_value(v));
	if (rc == 0)
		*out = json_integer_value(v);
	return rc;
}

int nc_json_get_bool(const struct nc_json_ctx *c, json_t *obj,
                     const char *prefix, const char *key, bool *out)
{
	json_t *v = NULL;
	int rc;

	rc = nc_json_get(c, obj, prefix, key, JSON_TRUE, "a boolean", &v);
	if (rc == 0)
		*out = json_is_true(v);
	return rc;
}

int nc_json_get_array(const struct nc_json_ctx *c, json_t *obj,
                      const char *prefix, const char *key, size_t max,
                      json_t **out, size_t *n)
{
	int rc;

	rc = nc_json_get(c, obj, prefix, key, JSON_ARRAY, "an array", out);
	if (rc == 0 && json_array_size(*out) > max)
		rc = nc_json_fail(c, "%s%s has %zu entries, at most %zu",
		                  prefix, key, json_array_size(*out), max);
	if (rc == 0)
		*n = json_array_size(*out);
	return rc;
}

int nc_json_copy_addr(const struct nc_json_ctx *c, json_t *v, const char *name,
                      struct nc_addr *a)
{
	char text[NC_ADDR_STRLEN], shown[48];
	int rc;

	rc = nc_json_copy_str(c, v, name, "", text, sizeof(text));
	if (rc == 0) {
		memset(a, 0, sizeof(*a));
		if (nc_addr_parse(text, a) < 0) {
			memset(a, 0, sizeof(*a));
			rc = nc_json_fail(
			    c, "%s '%s' is not an IP address", name,
			    nc_json_quote(text, shown, sizeof(shown)));
		}
	}
	return rc;
}

int nc_json_get_addr(const struct nc_json_ctx *c, json_t *obj,
                     const char *prefix, const char *key, struct nc_addr *a)
{
	char name[64];
	json_t *v = NULL;
	int rc;

	rc = nc_json_get(c, obj, prefix, key, JSON_STRING, "a string", &v);
	if (rc == 0) {
		snprintf(name, sizeof(name), "%s%s", prefix, key);
		rc = nc_json_copy_addr(c, v, name, a);
	}
	return rc;
}

/* ----- writing ----- */

json_t *nc_json_addr(const struct nc_addr *a)
{
	char text[NC_ADDR_STRLEN];

	return json_string(nc_addr_format(a, text, sizeof(text)));
}

bool nc_json_append(json_t **arr, json_t *v)
{
	if (*arr && v && json_array_append_new(*arr, v) == 0)
		return true;
	json_decref(*arr);
	json_decref(v);
	*arr = NULL;
	return false;
}

char *nc_json_dump(const struct nc_json_ctx *c, json_t *root, size_t max)
{
	char *out = NULL;
	size_t len = 0;

	if (root)
		len = json_dumpb(root, NULL, 0, JSON_COMPACT);
	if (len > max) {
		nc_error_set(c->err, -EMSGSIZE,
		             "%s: %zu bytes encoded, at most %zu", c->what, len,
		             max);
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
		nc_json_oom(c);
	}
	json_decref(root);
	return out;
}
