/*
 * hv_error.c: fill the caller's error object.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "hypervisor/hv_error.h"

int hv_error_set(struct hv_error *err, int code, const char *fmt, ...)
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

void hv_error_clear(struct hv_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

const char *hv_error_quote(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && s[i] != '\n' && i + 1 < size; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}
