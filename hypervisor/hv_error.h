/*
 * hv_error.h: the error object that hypervisor callers pass in.
 *
 * Library code never prints. A failing call fills the caller's error object
 * with a negative errno and one human-readable line, and returns that errno.
 */
#ifndef SKYFERRY_HV_ERROR_H
#define SKYFERRY_HV_ERROR_H

#include <stddef.h>

#define HV_ERROR_MSG_MAX 256

struct hv_error {
	int code;                   /* 0, or a negative errno */
	char msg[HV_ERROR_MSG_MAX]; /* one line, no trailing newline */
};

/*
 * Fill err (if not NULL) with code and a printf-style message. Returns code,
 * so a caller can write "return hv_error_set(err, -EINVAL, ...);". code must
 * be a negative errno. Preserves errno.
 */
int hv_error_set(struct hv_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err (if not NULL) to "no error". */
void hv_error_clear(struct hv_error *err);

/*
 * Make an untrusted string fit for an error message: copy its first line
 * into buf, truncated to size - 1 bytes, with every byte that is not
 * printable ASCII replaced by '?'. Returns buf.
 */
const char *hv_error_quote(const char *s, char *buf, size_t size);

#endif
