/*
 * nc_error.h: the error object that netcontinuity callers pass in.
 *
 * Library code never prints. A failing call fills the caller's error object
 * with a negative errno and one human-readable line, and returns that errno.
 */
#ifndef SKYFERRY_NC_ERROR_H
#define SKYFERRY_NC_ERROR_H

#define NC_ERROR_MSG_MAX 256

struct nc_error {
	int code;                   /* 0, or a negative errno */
	char msg[NC_ERROR_MSG_MAX]; /* one line, no trailing newline */
};

/*
 * Fill err (if not NULL) with code and a printf-style message; returns
 * code. code must be a negative errno. Preserves errno.
 */
int nc_error_set(struct nc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
