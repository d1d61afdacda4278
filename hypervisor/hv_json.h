/*
 * hv_json.h: strict JSON message helpers shared by the plan codecs.
 *
 * A reader checks every key (unknown and missing ones are errors), every
 * type and every string's length against its fixed buffer; errors read
 * "<what>: <message>" and carry the context's code (-EPROTO while decoding
 * what a peer sent, -EINVAL while encoding what we made).
 */
#ifndef SKYFERRY_HV_JSON_H
#define SKYFERRY_HV_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hypervisor/hv_error.h"

#define HV_JSON_MSG_MAX (64u << 10) /* bytes of one message */

/* What is being read or written, and how its errors are reported. */
struct hv_json_ctx {
	const char *what; /* "plan", "answer", "message", ... */
	int code;         /* -EPROTO when decoding, -EINVAL when encoding */
	struct hv_error *err;
};

/* Fail with "<what>: <message>" and the context's code. */
int hv_json_fail(const struct hv_json_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int hv_json_oom(const struct hv_json_ctx *c);

/* s is 1..max_len bytes of first, then rest. */
bool hv_json_charset(const char *s, size_t max_len, const char *first,
                     const char *rest);

/* Valid UTF-8 without control characters (lines: tab, CR, LF allowed). */
size_t hv_json_text_char(const unsigned char *s, bool lines);
bool hv_json_text_ok(const char *s, bool lines);
/* A JSON string of s made printable: bad bytes become '?', at most 511. */
json_t *hv_json_text_json(const char *s);

const char *hv_json_type_name(const json_t *v);

/* obj has exactly keys (NULL-terminated); prefix says where ("disks[1]."). */
int hv_json_keys(const struct hv_json_ctx *c, json_t *obj, const char *prefix,
                 const char *const *keys);

/*
 * obj has exactly keys, plus those of opts (NULL-terminated, at most 4, or
 * NULL for none) that obj has; has[i] says whether it has opts[i]. Keys a
 * peer may leave out are sent only when set (hv_json_set_opt), so older
 * peers, which refuse unknown keys, see the messages they knew.
 */
int hv_json_keys_opt(const struct hv_json_ctx *c, json_t *obj,
                     const char *prefix, const char *const *keys,
                     const char *const *opts, bool *has);

/*
 * Set obj's key to v (taken), a key a peer may leave out: v is NULL when it
 * is not set, and then not sent. Returns obj, or NULL (obj released) when
 * out of memory.
 */
json_t *hv_json_set_opt(json_t *obj, const char *key, json_t *v);

/* An optional unsigned value: NULL (not sent) when 0. */
json_t *hv_json_opt_uint(unsigned int v);
int hv_json_get(const struct hv_json_ctx *c, json_t *obj, const char *prefix,
                const char *key, json_type want, const char *want_name,
                json_t **out);
int hv_json_copy_str(const struct hv_json_ctx *c, json_t *v, const char *prefix,
                     const char *key, char *dst, size_t size);
int hv_json_get_str(const struct hv_json_ctx *c, json_t *obj,
                    const char *prefix, const char *key, char *dst,
                    size_t size);
int hv_json_get_u64(const struct hv_json_ctx *c, json_t *obj,
                    const char *prefix, const char *key, uint64_t *out);
int hv_json_get_uint(const struct hv_json_ctx *c, json_t *obj,
                     const char *prefix, const char *key, unsigned int *out);
int hv_json_get_bool(const struct hv_json_ctx *c, json_t *obj,
                     const char *prefix, const char *key, bool *out);
/* An array of at most max entries. */
int hv_json_get_array(const struct hv_json_ctx *c, json_t *obj, const char *key,
                      size_t max, json_t **out, size_t *n);

/*
 * Parse buf as one JSON object whose "type" is type (NULL: any). *out is
 * the caller's on success only.
 */
int hv_json_load(const struct hv_json_ctx *c, const char *buf, size_t len,
                 const char *type, json_t **out);

/* Serialize root (taking it; NULL = out of memory) into a malloc'd string. */
char *hv_json_dump(const struct hv_json_ctx *c, json_t *root);

/* Append v (taken) to arr; false (and arr released) if either is NULL. */
bool hv_json_append(json_t **arr, json_t *v);

#endif
