/*
 * hv_json.c: strict reading and careful writing of the JSON messages that
 * migrator and receiver exchange (hypervisor/plan.c, hypervisor/xplan.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/hv_json.h"

/* Fail with "<what>: <message>" and the context's code. */
int hv_json_fail(const struct hv_json_ctx *c, const char *fmt, ...)
{
	char msg[HV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hv_error_set(c->err, c->code, "%s: %s", c->what, msg);
}

int hv_json_oom(const struct hv_json_ctx *c)
{
	return hv_error_set(c->err, -ENOMEM, "%s: out of memory", c->what);
}

/* s is 1..max_len bytes of first, then rest. */
bool hv_json_charset(const char *s, size_t max_len, const char *first,
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
size_t hv_json_text_char(const unsigned char *s, bool lines)
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

bool hv_json_text_ok(const char *s, bool lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n) {
		n = hv_json_text_char(p, lines);
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
json_t *hv_json_text_json(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char clean[520]; /* 511 bytes of text and a NUL */
	size_t n, len = 0;

	while (*p && len + 4 < sizeof(clean)) {
		n = hv_json_text_char(p, false);
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

const char *hv_json_type_name(const json_t *v)
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
int hv_json_keys(const struct hv_json_ctx *c, json_t *obj, const char *prefix,
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
			return hv_json_fail(
			    c, "unknown field '%s%s'", prefix,
			    hv_error_quote(key, shown, sizeof(shown)));
	}
	for (k = keys; *k; k++)
		if (!json_object_get(obj, *k))
			return hv_json_fail(c, "missing field '%s%s'", prefix,
			                    *k);
	return 0;
}

/* obj[key], which hv_json_keys has found present, of JSON type want. */
int hv_json_get(const struct hv_json_ctx *c, json_t *obj, const char *prefix,
                const char *key, json_type want, const char *want_name,
                json_t **out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return hv_json_fail(c, "missing field '%s%s'", prefix, key);
	if (json_typeof(v) != want &&
	    !(want == JSON_TRUE && json_is_boolean(v)))
		return hv_json_fail(c, "%s%s is %s, expected %s", prefix, key,
		                    hv_json_type_name(v), want_name);
	*out = v;
	return 0;
}

/* Copy JSON string v, named prefix+key in errors, into dst. */
int hv_json_copy_str(const struct hv_json_ctx *c, json_t *v, const char *prefix,
                     const char *key, char *dst, size_t size)
{
	size_t len;

	if (!json_is_string(v))
		return hv_json_fail(c, "%s%s is %s, expected a string", prefix,
		                    key, hv_json_type_name(v));
	len = json_string_length(v);
	if (len >= size)
		return hv_json_fail(c, "%s%s is longer than %zu bytes", prefix,
		                    key, size - 1);
	memcpy(dst, json_string_value(v), len + 1);
	if (strlen(dst) != len)
		return hv_json_fail(c, "%s%s has a NUL byte", prefix, key);
	return 0;
}

int hv_json_get_str(const struct hv_json_ctx *c, json_t *obj,
                    const char *prefix, const char *key, char *dst, size_t size)
{
	json_t *v = NULL;
	int rc;

	rc = hv_json_get(c, obj, prefix, key, JSON_STRING, "a string", &v);
	if (rc == 0)
		rc = hv_json_copy_str(c, v, prefix, key, dst, size);
	return rc;
}

int hv_json_get_u64(const struct hv_json_ctx *c, json_t *obj,
                    const char *prefix, const char *key, uint64_t *out)
{
	json_t *v = NULL;
	int rc;

	rc = hv_json_get(c, obj, prefix, key, JSON_INTEGER, "an integer", &v);
	if (rc == 0 && json_integer_value(v) < 0)
		rc = hv_json_fail(c, "%s%s %lld is negative", prefix, key,
		                  (long long)json_integer_value(v));
	if (rc == 0)
		*out = (uint64_t)json_integer_value(v);
	return rc;
}

/* An integer that must fit unsigned int; the range is checked later. */
int hv_json_get_uint(const struct hv_json_ctx *c, json_t *obj,
                     const char *prefix, const char *key, unsigned int *out)
{
	uint64_t value;
	int rc;

	rc = hv_json_get_u64(c, obj, prefix, key, &value);
	if (rc == 0 && value > UINT32_MAX)
		rc = hv_json_fail(c, "%s%s %llu is out of range", prefix, key,
		                  (unsigned long long)value);
	if (rc == 0)
		*out = (unsigned int)value;
	return rc;
}

int hv_json_get_bool(const struct hv_json_ctx *c, json_t *obj,
                     const char *prefix, const char *key, bool *out)
{
	json_t *v = NULL;
	int rc;

	rc = hv_json_get(c, obj, prefix, key, JSON_TRUE, "a boolean", &v);
	if (rc == 0)
		*out = json_is_true(v);
	return rc;
}

/* An array of at most max entries. */
int hv_json_get_array(const struct hv_json_ctx *c, json_t *obj, const char *key,
                      size_t max, json_t **out, size_t *n)
{
	int rc;

	rc = hv_json_get(c, obj, "", key, JSON_ARRAY, "an array", out);
	if (rc == 0 && json_array_size(*out) > max)
		rc = hv_json_fail(c, "%s has %zu entries, at most %zu", key,
		                  json_array_size(*out), max);
	if (rc == 0)
		*n = json_array_size(*out);
	return rc;
}

/*
 * Parse buf as one JSON object whose "type" is type (or, with type NULL,
 * anything: the caller looks). *out is the caller's on success only.
 */
int hv_json_load(const struct hv_json_ctx *c, const char *buf, size_t len,
                 const char *type, json_t **out)
{
	char shown[64];
	json_error_t jerr;
	json_t *root, *v;

	if (!buf || len == 0 || len > HV_JSON_MSG_MAX)
		return hv_error_set(c->err, -EMSGSIZE,
		                    "%s: %zu bytes, expected 1..%u", c->what,
		                    len, HV_JSON_MSG_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	/* jansson says nothing when it cannot even set up its lexer. */
	if (!root && (json_error_code(&jerr) == json_error_out_of_memory ||
	              !jerr.text[0]))
		return hv_json_oom(c);
	if (!root)
		return hv_json_fail(
		    c, "bad JSON at line %d column %d: %s", jerr.line,
		    jerr.column,
		    hv_error_quote(jerr.text, shown, sizeof(shown)));
	if (!json_is_object(root)) {
		json_decref(root);
		return hv_json_fail(c, "not a JSON object");
	}
	v = json_object_get(root, "type");
	if (!v || !json_is_string(v)) {
		json_decref(root);
		return hv_json_fail(c,
		                    "field 'type' is missing or not a string");
	}
	if (type && strcmp(json_string_value(v), type)) {
		hv_json_fail(
		    c, "type '%s' is not '%s'",
		    hv_error_quote(json_string_value(v), shown, sizeof(shown)),
		    type);
		json_decref(root);
		return c->code;
	}
	*out = root;
	return 0;
}

/*
 * Serialize root (taking it) into a malloc'd string of at most
 * HV_JSON_MSG_MAX bytes. root may be NULL: building it ran out of memory
 * (every string in it was checked for valid UTF-8 beforehand).
 */
char *hv_json_dump(const struct hv_json_ctx *c, json_t *root)
{
	char *out = NULL;
	size_t len = 0;

	if (root)
		len = json_dumpb(root, NULL, 0, JSON_COMPACT);
	if (len > HV_JSON_MSG_MAX) {
		hv_error_set(c->err, -EMSGSIZE,
		             "%s: %zu bytes encoded, at most %u", c->what, len,
		             HV_JSON_MSG_MAX);
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
		hv_json_oom(c);
	}
	json_decref(root);
	return out;
}

/* Append v (taken) to arr; false (and arr released) if either is NULL. */
bool hv_json_append(json_t **arr, json_t *v)
{
	if (*arr && v && json_array_append_new(*arr, v) == 0)
		return true;
	json_decref(*arr);
	json_decref(v);
	*arr = NULL;
	return false;
}

/*
 * obj has exactly keys, plus those of opts (NULL-terminated, at most 4, or
 * NULL for none) that obj has; has[i] says whether it has opts[i]. Keys a
 * peer may leave out are sent only when set (hv_json_set_opt), so older peers,
 * which refuse unknown keys, see the messages they knew.
 */
int hv_json_keys_opt(const struct hv_json_ctx *c, json_t *obj,
                     const char *prefix, const char *const *keys,
                     const char *const *opts, bool *has)
{
	const char *all[24];
	size_t n = 0, i;

	while (keys[n] && n < sizeof(all) / sizeof(all[0]) - 5) {
		all[n] = keys[n];
		n++;
	}
	for (i = 0; opts && opts[i] && i < 4; i++) {
		has[i] = json_object_get(obj, opts[i]) != NULL;
		if (has[i])
			all[n++] = opts[i];
	}
	all[n] = NULL;
	return hv_json_keys(c, obj, prefix, all);
}

/*
 * Set obj's key to v (taken), a key a peer may leave out: v is NULL when
 * it is not set, and then not sent. Returns obj, or NULL (obj released)
 * when out of memory.
 */
json_t *hv_json_set_opt(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return obj;
	if (obj && json_object_set_new(obj, key, v) == 0)
		return obj;
	if (!obj)
		json_decref(v);
	json_decref(obj);
	return NULL;
}

json_t *hv_json_opt_uint(unsigned int v)
{
	return v ? json_integer((json_int_t)v) : NULL;
}
