/*
 * nc_json.h: the strict JSON reading and writing shared by the record and
 * net plan codecs (record.c, netplan.c), and the text forms they check.
 * Internal to netcontinuity.
 *
 * A decoder reads untrusted JSON into a fixed structure in two steps: every
 * key known, present and of the right type, every string fitting its
 * buffer; then the structure is checked by the same function the encoder
 * uses, so both sides agree on what is valid.
 */
#ifndef SKYFERRY_NC_JSON_H
#define SKYFERRY_NC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "netcontinuity/nc_addr.h"
#include "netcontinuity/nc_error.h"

/* What is being read or written, and how its errors are reported. */
struct nc_json_ctx {
	const char *what; /* "record", "net", "net-answer": message prefix */
	int code;         /* -EPROTO when decoding, -EINVAL when encoding */
	struct nc_error *err;
};

/* Fail with "<what>: <message>" and the context's code; returns it. */
int nc_json_fail(const struct nc_json_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int nc_json_oom(const struct nc_json_ctx *c);

/* s for an error message: printable ASCII, '?' for the rest, cut to fit. */
const char *nc_json_quote(const char *s, char *buf, size_t size);

/* ----- text forms ----- */

/* One line of text for a person: valid UTF-8, no control character. */
bool nc_text_ok(const char *s);
/*
 * A JSON string of s made printable: every control character or invalid
 * byte becomes '?', and the text is cut (on a character boundary) to at
 * most max bytes. NULL if out of memory.
 */
json_t *nc_text_json(const char *s, size_t max);

bool nc_id_hex_ok(const char *s);      /* 32 lower-case hex digits */
bool nc_mac_canonical(const char *s);  /* lower-case, unicast */
bool nc_uuid_canonical(const char *s); /* 8-4-4-4-12 lower-case hex */
bool nc_addr_family_ok(int family);    /* AF_INET or AF_INET6 */
unsigned int nc_addr_bits(int family); /* 32, 128, or 0 */

/* ----- reading ----- */

const char *nc_json_type_name(const json_t *v);

/*
 * Parse buf (1..max bytes) as one JSON object, rejecting duplicate keys.
 * With type not NULL, its "type" must be that string. -EMSGSIZE for an
 * empty or oversized buffer. *out is the caller's on success only.
 */
int nc_json_load(const struct nc_json_ctx *c, const char *buf, size_t len,
                 size_t max, const char *type, json_t **out);

/*
 * obj is an object whose keys are each in required or optional (both
 * NULL-terminated, optional may be NULL), with every required key present.
 * prefix says where obj is ("objects[1].").
 */
int nc_json_keys(const struct nc_json_ctx *c, json_t *obj, const char *prefix,
                 const char *const *required, const char *const *optional);

/* An array element or an object: is v an object? */
int nc_json_want_object(const struct nc_json_ctx *c, json_t *v,
                        const char *name);

int nc_json_get_str(const struct nc_json_ctx *c, json_t *obj,
                    const char *prefix, const char *key, char *dst,
                    size_t size);
/* v itself, named prefix+key, as a string into dst. */
int nc_json_copy_str(const struct nc_json_ctx *c, json_t *v, const char *prefix,
                     const char *key, char *dst, size_t size);
/* An integer within min..max (the type's range; meaning is checked later). */
int nc_json_get_int(const struct nc_json_ctx *c, json_t *obj,
                    const char *prefix, const char *key, int64_t min,
                    int64_t max, int64_t *out);
int nc_json_get_bool(const struct nc_json_ctx *c, json_t *obj,
                     const char *prefix, const char *key, bool *out);
/* An array of at most max entries. */
int nc_json_get_array(const struct nc_json_ctx *c, json_t *obj,
                      const char *prefix, const char *key, size_t max,
                      json_t **out, size_t *n);
/* An IP address string (nc_addr_parse) from obj[key], or v. */
int nc_json_get_addr(const struct nc_json_ctx *c, json_t *obj,
                     const char *prefix, const char *key, struct nc_addr *a);
int nc_json_copy_addr(const struct nc_json_ctx *c, json_t *v, const char *name,
                      struct nc_addr *a);

/* ----- writing ----- */

/* The text form of a (family checked beforehand); NULL if out of memory. */
json_t *nc_json_addr(const struct nc_addr *a);

/* Append v (taken) to arr; false (and arr released) if either is NULL. */
bool nc_json_append(json_t **arr, json_t *v);

/*
 * Serialize root (taken, may be NULL: out of memory) compactly into a
 * malloc'd string of at most max bytes, or NULL with c->err.
 */
char *nc_json_dump(const struct nc_json_ctx *c, json_t *root, size_t max);

#endif
