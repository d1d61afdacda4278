/*
 * tp_error.h: the error object that transport callers pass in.
 *
 * Library code never prints. A failing call fills the caller's error object
 * with a negative errno and one human-readable line, and returns that errno.
 */
#ifndef SKYFERRY_TP_ERROR_H
#define SKYFERRY_TP_ERROR_H

#define TP_ERROR_MSG_MAX 256

struct tp_error {
	int code;                   /* 0, or a negative errno */
	char msg[TP_ERROR_MSG_MAX]; /* one line, no trailing newline */
};

/*
 * Fill err (if not NULL) with code and a printf-style message. Returns code,
 * so a caller can write "return tp_error_set(err, -EPROTO, ...);". code must
 * be a negative errno. Preserves errno.
 */
int tp_error_set(struct tp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err (if not NULL) to "no error". */
void tp_error_clear(struct tp_error *err);

/* Copy src into dst (either may be NULL). */
void tp_error_copy(struct tp_error *dst, const struct tp_error *src);

#endif
