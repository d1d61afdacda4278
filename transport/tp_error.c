/*
 * tp_error.c: fill the caller's error object.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "transport/tp_error.h"

int tp_error_set(struct tp_error *err, int code, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	errno = saved_errno;
	return code;
}

void tp_error_clear(struct tp_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

void tp_error_copy(struct tp_error *dst, const struct tp_error *src)
{
	if (!dst || !src)
		return;
	dst->code = src->code;
	memcpy(dst->msg, src->msg, sizeof(dst->msg));
}
